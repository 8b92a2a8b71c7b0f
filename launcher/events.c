/*
 * The launcher's events: one JSON line each on the channel to Node (when it
 * is a socket; the lines are event_lines.c's), and the setup failure that
 * ends the process. Below every
 * step of the launch (limits.c, ns.c, paths.c, unixsup.c report skipped
 * layers here; launch.c turns their errors into ln_fail).
 */
#include "launcher.h"
#include "event_lines.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

static bool chan_is_socket(int fd)
{
	struct stat st;
	return fd >= 0 && fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode);
}

void ln_event_send(int fd, const struct ln_line *l)
{
	if (l->len && fd >= 0 && chan_is_socket(fd))
		while (send(fd, l->buf, l->len, MSG_NOSIGNAL) < 0 && errno == EINTR)
			;
}

void ln_event_skipped(struct ln_ctx *c, const char *layer, const char *why)
{
	struct ln_line l;
	ln_line_skipped(&l, layer, why);
	ln_event_send(c->chan_fd, &l);
	if (c->verbose)
		dprintf(2, "sbx: skipped %s: %s\n", layer, why);
}

void ln_event_notice(struct ln_ctx *c, const char *text)
{
	struct ln_line l;
	ln_line_notice(&l, text);
	ln_event_send(c->chan_fd, &l);
}

void ln_event_error(struct ln_ctx *c, const char *event, const char *step,
		    const struct sbx_error *err, int exit_code)
{
	struct ln_line l;
	ln_line_error(&l, event, step, err, exit_code);
	ln_event_send(c->chan_fd, &l);
}

void ln_die(const char *step, const struct sbx_error *err)
{
	if (err->pointer[0])
		dprintf(2, "sbx: %s: %s (in the policy at %s)\n", step, err->message, err->pointer);
	else
		dprintf(2, "sbx: %s: %s\n", step, err->message);
	_exit(LN_EXIT_SETUP);
}

void ln_fail(struct ln_ctx *c, const char *step, const struct sbx_error *err)
{
	ln_event_error(c, "error", step, err, LN_EXIT_SETUP);
	ln_die(step, err);
}
