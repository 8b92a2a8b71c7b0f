/*
 * The calls that name a file which `report` watches for file denials
 * (confine/fs_denial.c judges them, confine/prepare_listener.c notifies
 * them), and in words what it cannot see: one list for the filter, the
 * supervisor and the explanations (policy_explain.c, launcher/explain.c).
 */
#ifndef SBX_REPORT_CALLS_H
#define SBX_REPORT_CALLS_H

#include <stddef.h>

extern const char *const sbx_report_fs_calls[];
extern const size_t sbx_report_fs_ncalls;

/* What the supervisor does not see, one phrase. */
extern const char sbx_report_fs_unseen[];

#endif
