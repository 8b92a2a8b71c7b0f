/*
 * The preload door's one way out on failure (preload.h): a line on stderr
 * and exit 126, so that the program never runs unconfined. Below every other
 * file of preload/.
 */
#include "preload.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define EXIT_SETUP_FAILED 126

/* One line: control characters (a newline in a message would make two) are
 * replaced. write(2) on a stack buffer: no stdio state left in the host. */
void sbx_preload_die(const char *what, const char *why, const char *where)
{
	char line[1024];
	int n;
	if (where && *where)
		n = snprintf(line, sizeof(line) - 1, "sbx: %s: %s (%s)", what, why, where);
	else
		n = snprintf(line, sizeof(line) - 1, "sbx: %s: %s", what, why);
	if (n < 0)
		n = 0;
	if ((size_t)n > sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	for (int i = 0; i < n; i++)
		if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
			line[i] = ' ';
	line[n++] = '\n';
	for (int off = 0; off < n;) {
		ssize_t w = write(STDERR_FILENO, line + off, (size_t)(n - off));
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (int)w;
	}
	_exit(EXIT_SETUP_FAILED);
}

void sbx_preload_die_err(const char *what, const struct sbx_error *err,
			 const char *fallback)
{
	char why[768];
	const char *msg = err->message[0] ? err->message : sbx_code_name(err->code);
	if (err->err && err->syscall[0])
		snprintf(why, sizeof(why), "%s [%s: %s]", msg, err->syscall, strerror(err->err));
	else if (err->err)
		snprintf(why, sizeof(why), "%s [%s]", msg, strerror(err->err));
	else
		snprintf(why, sizeof(why), "%s", msg);
	sbx_preload_die(what, why, err->pointer[0] ? err->pointer : fallback);
}
