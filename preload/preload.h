/*
 * libsbx.so internals (the preload door). Nothing here is exported from the
 * library (exports.map): these are shared between the files of preload/.
 */
#ifndef SBX_PRELOAD_H
#define SBX_PRELOAD_H

#include "sbx.h"

#include <stdbool.h>

/* preload_die.c: print `sbx: <what>: <why> (<where>)` on stderr and _exit(126). `where` is
 * the policy pointer, or what the failure is about when the document has no
 * part in it (e.g. "SBX_POLICY"). Never returns. */
__attribute__((noreturn)) void sbx_preload_die(const char *what, const char *why,
					       const char *where);

/* Same, from a core error: why = its message (plus the system call and errno
 * when it has them), where = its pointer or `fallback`. */
__attribute__((noreturn)) void sbx_preload_die_err(const char *what,
						   const struct sbx_error *err,
						   const char *fallback);

/* Remove SBX_POLICY from the environment, and from LD_PRELOAD every entry
 * that is this very library (same file, or same name when the entry is a bare
 * name the loader searched for); other entries stay, in order. LD_PRELOAD is
 * edited in place (no allocation) and unset when nothing is left. */
void sbx_preload_scrub_env(void);

/* Number of threads of this process: 1 when unshare(CLONE_THREAD) says the
 * thread group is empty (asked only without a seccomp filter); else the link
 * count of /proc/self/task (at least 2 when the kernel refused because of
 * another thread), or -errno when it cannot be told. */
int sbx_preload_thread_count(void);

struct sbx_prepared;
struct sbx_policy;

/* Refuse (exit 126) when the prepared Landlock rules let the program write
 * where libsbx.so or a policy file lies (preload_guard.c). */
void sbx_preload_check_own_files(const struct sbx_prepared *pp,
				 const struct sbx_policy *p);

/* Reporting denials (preload_report.c). Before apply: start the reporter
 * process; returns the socket to hand it the listener on, or -1 when the
 * prepared filter notifies nothing. Dies (exit 126) on failure. */
int sbx_preload_report_start(const struct sbx_prepared *pp);

/* After apply: send the seccomp listener to the reporter, close both fds. */
void sbx_preload_report_handoff(int sock, int listener_fd);

#endif
