/*
 * Internals of sbx_probe_json(): one writer per section (one file each), and
 * the small helpers they share. The schema is documented in docs/probe.md.
 *
 * Every section writer appends `"name": {...}` to the open top-level object
 * and never fails: whatever cannot be measured becomes null with a sibling
 * "<field>Reason". Only running out of memory fails the probe, and the JSON
 * writer carries that to the end (jsonw.h).
 *
 * Children: sections that must try something irreversible (install a
 * seccomp filter, enter a user namespace, enforce a Landlock ruleset) do it
 * in a forked child that uses only system calls and _exit(), which is safe
 * in a multi-threaded parent; every child is reaped before the section
 * returns, and every pipe is closed.
 */
#ifndef SBX_PROBE_H
#define SBX_PROBE_H

#include "jsonw.h"

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

void sbx_probe_landlock(struct sbx_jsonw *w);
void sbx_probe_seccomp(struct sbx_jsonw *w);
void sbx_probe_userns(struct sbx_jsonw *w);
void sbx_probe_cgroup(struct sbx_jsonw *w);
void sbx_probe_container(struct sbx_jsonw *w);
void sbx_probe_process(struct sbx_jsonw *w);
/* The spawn door's layers on this host (probe_spawn.c, host_check.h). */
void sbx_probe_spawn(struct sbx_jsonw *w);

/* Landlock ABI version of the running kernel (>= 1), or -errno
 * (-ENOSYS: not built in, -EOPNOTSUPP: disabled at boot). */
int sbx_probe_landlock_abi(void);

/* ---- helpers (probe_util.c) ---------------------------------------------- */
/* v in decimal at buf (no NUL); its length. Async-signal-safe: used by
 * children that write id maps after a fork. */
size_t sbx_probe_utoa(unsigned long v, char *buf);

/* "EPERM" for EPERM; NULL for a value the table does not know. */
const char *sbx_probe_errname(int errnum);

/* Writes "<what>: EPERM" (or "<what>: errno 123") into buf. */
void sbx_probe_reason_errno(char *buf, size_t size, const char *what,
			    int errnum);

/* Describes how a probe child ended when it did not report normally:
 * "<what>: child killed by signal 31", "... exited with status 3". */
void sbx_probe_reason_status(char *buf, size_t size, const char *what,
			     int status);

/* Reads a whole (proc or sys) file into a malloc'd, NUL-terminated buffer.
 * Returns 0 or -errno; *out is NULL on failure. Files over 4 MiB: -EFBIG. */
int sbx_probe_read_file(const char *path, char **out, size_t *len);

/* Reads at most size-1 bytes into buf, NUL-terminates, strips one trailing
 * newline. Returns the length or -errno. */
int sbx_probe_read_small(const char *path, char *buf, size_t size);

/* Reads a file holding one decimal integer. Returns 0 or -errno
 * (-EINVAL when the content is not an integer). */
int sbx_probe_read_long(const char *path, long long *value);

/* fork() for probe children: the child starts with every signal blocked
 * (and keeps them so until _exit); the parent's mask is unchanged. */
pid_t sbx_probe_fork(void);

/* waitpid() that survives EINTR. Returns 0 or -errno. */
int sbx_probe_wait(pid_t pid, int *status);

/* Child side: write all of buf to fd (used before _exit, so no stdio). */
void sbx_probe_child_write(int fd, const void *buf, size_t len);

/* Parent side: read exactly len bytes unless EOF comes first. Returns the
 * number of bytes read, or -errno. */
ssize_t sbx_probe_read_full(int fd, void *buf, size_t len);

#endif /* SBX_PROBE_H */
