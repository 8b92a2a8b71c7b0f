/*
 * Every line the launcher writes for Node, one function each: the events on
 * the spawn door's channel (docs/spawn.md, "Events"; read by
 * lib/launcher-events.ts) and the copy-on-write walk's lines on stdout.
 * They format only; events.c, limits.c, notify.c, unixsup.c,
 * egress_daemon.c and cow_emit.c send them.
 *
 * A line is one JSON object and a newline, written by base/jsonw.c into the
 * line's own buffer: no allocation, since some are written by the confined
 * child after a failed exec and by supervisors while the program waits.
 * Strings are cut at LN_LINE_FIELD_MAX bytes, so every event fits.
 *
 * A new event: its function here, its case in lib/launcher-events.ts, its
 * row in docs/spawn.md, and one line of it in test/native/launcher_wire.c
 * (test/launcher-wire.test.ts parses every line that program writes).
 */
#ifndef SBX_LAUNCHER_EVENT_LINES_H
#define SBX_LAUNCHER_EVENT_LINES_H

#include "jsonw.h"
#include "sbx.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The longest string field written (longer ones are cut: a JSON escape
 * takes at most 6 bytes a byte, and no line has more than four strings). */
#define LN_LINE_FIELD_MAX 640
#define LN_LINE_MAX 16384

struct ln_line {
	struct sbx_jsonw w;
	size_t len;             /* of buf with its '\n'; 0: nothing to send */
	char buf[LN_LINE_MAX];
};

/* Each returns line->len: the bytes of line->buf to send. */

/* {"event":"started"}: the program was executed. */
size_t ln_line_started(struct ln_line *l);
/* {"event":"skipped","layer","reason"}: best-effort left a layer out. */
size_t ln_line_skipped(struct ln_line *l, const char *layer, const char *reason);
/* {"event":"notice","message"}: the one line on layers the host refused
 * (host.c), for Node to say when the launcher does not. */
size_t ln_line_notice(struct ln_line *l, const char *message);
/* {"event":"limit","limit","mechanism"}: what enforces a limit. */
size_t ln_line_limit(struct ln_line *l, const char *limit, const char *mechanism);
/* {"event":"error"|"exec-error","exitCode","step","code","errno","pointer","message"} */
size_t ln_line_error(struct ln_line *l, const char *event, const char *step,
		     const struct sbx_error *err, int exit_code);
/* {"event":"end","wallMs"[,"cpuMs"][,"reason"]}: the sandbox with limits
 * ended; cpu_ms NULL when unknown, reason NULL when no limit ended it. */
size_t ln_line_end(struct ln_line *l, uint64_t wall_ms, const uint64_t *cpu_ms, const char *reason);
/* {"event":"violation","kind":"syscall","syscall","nr","arch","args","pid","errno"[,"last"]}:
 * syscall NULL when the number is not known; args beyond 2^53 as "0x..."
 * strings (a JavaScript number would lose them). */
size_t ln_line_violation(struct ln_line *l, const char *syscall, int nr, uint32_t arch,
			 const uint64_t args[6], int pid, int err, bool last);
/* {"event":"violation","kind":"net","host","port"[,"ip"],"reason"}: ip NULL
 * or "" when no address was reached. */
size_t ln_line_net_violation(struct ln_line *l, const char *host, unsigned port,
			     const char *ip, const char *reason);
/* {"event":"violation","kind":"fs","syscall","path","access","reason","allow","key","flag","pid"}:
 * a file access the sandbox refuses (confine/fs_denial.h): access is read,
 * list, write, create, remove or execute; reason landlock or read-only;
 * allow the path to grant (the file, or its directory), key the policy key
 * and flag the sbx run flag that grant it. */
size_t ln_line_fs_violation(struct ln_line *l, const char *syscall, const char *path,
			    const char *access, const char *reason, const char *allow,
			    const char *key, const char *flag, int pid);
/* {"event":"violations-unshown","syscall","nr","arch","shared","count"} */
size_t ln_line_unshown(struct ln_line *l, const char *syscall, int nr, uint32_t arch,
		       bool shared, uint64_t count);

/* The copy-on-write walk (--cow-diff / --cow-apply), on stdout. Names are
 * hex of their bytes. applied: -1 for a diff, else 0 or 1 (then reason, or
 * NULL, and leftover, a temporary name left behind, or ""). */
size_t ln_line_cow_change(struct ln_line *l, const char *kind, const char *type, const char *rel,
			  int applied, const char *reason, const char *leftover);
size_t ln_line_cow_abort(struct ln_line *l, const char *rel, const char *reason);

#endif /* SBX_LAUNCHER_EVENT_LINES_H */
