/*
 * The copy-on-write walk's output (cow.h): one JSON line per change, and the
 * abort line, on stdout (written by event_lines.c). Below the walk (cow.c)
 * and the apply (cow_apply.c).
 */
#include "cow.h"
#include "event_lines.h"

#include <stdio.h>
#include <sys/stat.h>

static const char *type_name(mode_t m)
{
	if (S_ISREG(m))
		return "file";
	if (S_ISDIR(m))
		return "dir";
	if (S_ISLNK(m))
		return "symlink";
	return "other";
}

void ln_cow_emit(const char *kind, const char *rel, mode_t type, const struct ln_cow_done *d)
{
	static struct ln_line line;     /* one process, one thread */
	if (ln_line_cow_change(&line, kind, type_name(type), rel, d ? d->applied : -1,
			       d ? d->reason : NULL, d ? d->leftover : NULL))
		fwrite(line.buf, 1, line.len, stdout);
}

void ln_cow_emit_abort(const char *rel, const char *reason)
{
	static struct ln_line line;
	if (ln_line_cow_abort(&line, rel, reason))
		fwrite(line.buf, 1, line.len, stdout);
}
