/*
 * The launcher's events: one JSON line each on the channel to Node (when it
 * is a socket), and the setup failure that ends the process. Below every
 * step of the launch (limits.c, ns.c, paths.c, unixsup.c report skipped
 * layers here; launch.c turns their errors into ln_fail).
 */
#include "launcher.h"

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

/* Append `s` as a JSON string body (no quotes) to buf. */
static size_t json_str(char *buf, size_t at, size_t cap, const char *s)
{
	for (; s && *s && at + 7 < cap; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\') {
			buf[at++] = '\\';
			buf[at++] = (char)ch;
		} else if (ch < 0x20) {
			at += (size_t)snprintf(buf + at, cap - at, "\\u%04x", ch);
		} else {
			buf[at++] = (char)ch;
		}
	}
	buf[at] = '\0';
	return at;
}

static void chan_send(struct ln_ctx *c, const char *line, size_t n)
{
	if (c->chan_fd >= 0 && chan_is_socket(c->chan_fd))
		(void)!send(c->chan_fd, line, n, MSG_NOSIGNAL);
}

void ln_event_skipped(struct ln_ctx *c, const char *layer, const char *why)
{
	char line[1024];
	size_t n = (size_t)snprintf(line, sizeof(line), "{\"event\":\"skipped\",\"layer\":\"");
	n = json_str(line, n, sizeof(line) - 4, layer);
	n += (size_t)snprintf(line + n, sizeof(line) - n, "\",\"reason\":\"");
	n = json_str(line, n, sizeof(line) - 4, why);
	n += (size_t)snprintf(line + n, sizeof(line) - n, "\"}\n");
	chan_send(c, line, n);
	if (c->verbose)
		dprintf(2, "sbx: skipped %s: %s\n", layer, why);
}

void ln_event_notice(struct ln_ctx *c, const char *text)
{
	char line[1600];
	size_t n = (size_t)snprintf(line, sizeof(line), "{\"event\":\"notice\",\"message\":\"");
	n = json_str(line, n, sizeof(line) - 4, text);
	n += (size_t)snprintf(line + n, sizeof(line) - n, "\"}\n");
	chan_send(c, line, n);
}

void ln_event_error(struct ln_ctx *c, const char *event, const char *step,
		    const struct sbx_error *err, int exit_code)
{
	char line[2048];
	size_t n = (size_t)snprintf(line, sizeof(line), "{\"event\":\"%s\",\"exitCode\":%d,\"step\":\"",
				    event, exit_code);
	n = json_str(line, n, sizeof(line) - 8, step);
	n += (size_t)snprintf(line + n, sizeof(line) - n, "\",\"code\":\"%s\",\"errno\":%d,\"pointer\":\"",
			      sbx_code_name(err->code), err->err);
	n = json_str(line, n, sizeof(line) - 8, err->pointer);
	n += (size_t)snprintf(line + n, sizeof(line) - n, "\",\"message\":\"");
	n = json_str(line, n, sizeof(line) - 8, err->message);
	n += (size_t)snprintf(line + n, sizeof(line) - n, "\"}\n");
	chan_send(c, line, n);
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
