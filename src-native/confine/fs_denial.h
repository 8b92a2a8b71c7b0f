/*
 * File denials, seen by a supervisor (report mode): for a call that names a
 * file (open, exec, create, remove), notified where the policy allows it
 * (prepare_listener.c), say whether the sandbox will refuse it, which access
 * and why: a right Landlock does not grant beneath the path, or a read-only
 * mount. The supervisor decides nothing: the call continues either way, and
 * the kernel with Landlock decides; this only predicts the refusal from the
 * same rules, to name the path the program's own EACCES does not.
 *
 * The path is read from the caller's memory while the call waits: another
 * thread may change it before the kernel reads it again (TOCTOU), which can
 * make a report wrong, never an access allowed or denied.
 */
#ifndef SBX_FS_DENIAL_H
#define SBX_FS_DENIAL_H

#include "prepared.h"

#include <limits.h>
#include <stdint.h>
#include <sys/types.h>

struct sbx_fs_denial {
	char path[PATH_MAX];     /* the file, absolute in the sandbox's view          */
	char allow[PATH_MAX];    /* what to allow: the file, or its directory         */
	const char *access;      /* "read", "list", "write", "create", "remove",
	                            "refer", "execute" */
	const char *reason;      /* "landlock" or "read-only"                         */
	const char *key;         /* the policy key that grants it: "fs.read"...       */
	const char *flag;        /* the sbx run flag: "--ro", "--rw", "--exec"        */
	const char *syscall;     /* the call                                          */
};

/*
 * 1 when the call (native arch `nr`, `args`, by `pid` as the caller sees
 * pids) will be refused by the sandbox's file rules, with *out filled; 0
 * when not, or when it cannot tell (a call it does not model, a path it
 * cannot read or resolve, a file that does not exist).
 */
int sbx_fs_denial_check(const struct sbx_prepared *pp, pid_t pid, int nr,
			const uint64_t args[6], struct sbx_fs_denial *out);

/*
 * 1 the first time this call, access and path are seen: a program that
 * retries one (or a build that tries a hundred headers the same way) gets one
 * line each. Once its table is full (1024), the caller's per-call tally
 * limits the lines.
 */
int sbx_fs_denial_first(const struct sbx_fs_denial *d);

#endif
