/*
 * sbx-launcher — the spawn door's first process inside the child.
 *
 *   sbx-launcher [--policy-fd N] [--keep-fds N] [--argv0 NAME] [--verbose] [--quiet] -- CMD [ARGS...]
 *
 * The policy (inline JSON, a preset name or a file path) arrives on fd N
 * (default 3), read to end-of-file, at most 4 MiB: never in argv, where it
 * would be size-limited and visible in ps. When that fd is a socket (as
 * child_process gives), the launcher answers on it with one JSON line per
 * event: layers skipped (best-effort), or the setup error. End-of-file
 * without an error line means the program was executed.
 *
 * This file is the entry: the arguments, the fds, the working directory, the
 * policy and its plan; then the launch pipeline (launch.c) takes over. The
 * other modes: --server (server.c), --cow-diff / --cow-apply (cow_main.c).
 *
 * Exit codes: the program's own; 125 setup failed; 126 found but not
 * executable; 127 not found; killed by a signal: the launcher dies of the
 * same signal.
 */
#include "channel.h"
#include "cli.h"
#include "launcher.h"
#include "sbx_policy.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static __attribute__((noreturn)) void usage(const char *why)
{
	dprintf(2, "sbx-launcher: %s\nusage: sbx-launcher [--policy-fd N] [--keep-fds N] "
		   "[--argv0 NAME] [--cwd PATH] [--verbose] [--quiet] [--explain] -- CMD [ARGS...]\n"
		   "       sbx-launcher --cow-diff UPPER LOWER\n"
		   "       sbx-launcher --cow-apply UPPER TARGET [DEV:INO]\n", why);
	_exit(LN_EXIT_SETUP);
}

static int parse_fd(const char *s)
{
	char *end;
	errno = 0;
	long v = strtol(s ? s : "", &end, 10);
	if (!s || !*s || *end || errno || v < 0 || v > 1 << 20)
		usage("bad fd number");
	return (int)v;
}

static const struct sbx_policy *load_policy(struct ln_ctx *c, const char *cwd)
{
	struct sbx_error err;
	struct sbx_policy *p = NULL;
	char *text;
	size_t len;
	/* channel.c: the same code test/fuzz/fuzz_launcher_policy.c runs. */
	if (ln_channel_read(c->chan_fd, &text, &len, &err))
		ln_fail(c, "policy", &err);
	struct sbx_policy_load_opts opts = { .cwd = cwd, .max_bytes = LN_POLICY_MAX };
	int rc = ln_channel_load(text, len, &opts, &p, &err);
	free(text);
	if (rc)
		ln_fail(c, "policy", &err);
	return p;
}

int main(int argc, char **argv)
{
	struct ln_ctx c = { .chan_fd = 3, .keep_fds = 3, .parent_pid = getppid(),
			    .notify_sock = -1, .notify_peer = -1, .slot_sock = -1, .slot_buf = -1,
			    .report_fd = -1, .usup = NULL, .empty_dir = -1, .empty_file = -1 };
	bool explain = false;
	const char *named_cwd = NULL;
	int i = 1;
	/* The `sbx` command itself (cli_main.c): dist/sbx links here. */
	if (ln_cli_wanted(argc, argv))
		return ln_cli_main(argc, argv);
	/* sbx.spawn({ cow }) reads an overlay's changes after exit (cow.c),
	 * and applies them (cow_apply.c). */
	if (argc >= 2 && !strcmp(argv[1], "--cow-diff"))
		return ln_cow_diff_main(argc - 2, argv + 2);
	if (argc >= 2 && !strcmp(argv[1], "--cow-apply"))
		return ln_cow_apply_main(argc - 2, argv + 2);
	/* sbx.spawn's long-lived server: forks the sandboxes (server.c). */
	if (argc >= 2 && !strcmp(argv[1], "--server"))
		return ln_server_main(argc - 2, argv + 2);
	for (; i < argc; i++) {
		if (!strcmp(argv[i], "--")) {
			i++;
			break;
		} else if (!strcmp(argv[i], "--version")) {
			printf("sbx-launcher %s\n", sbx_version());
			return 0;
		} else if (!strcmp(argv[i], "--policy-fd") && i + 1 < argc) {
			c.chan_fd = parse_fd(argv[++i]);
		} else if (!strcmp(argv[i], "--keep-fds") && i + 1 < argc) {
			c.keep_fds = parse_fd(argv[++i]);
		} else if (!strcmp(argv[i], "--argv0") && i + 1 < argc) {
			c.argv0 = argv[++i];
		} else if (!strcmp(argv[i], "--cwd") && i + 1 < argc) {
			named_cwd = argv[++i];
		} else if (!strcmp(argv[i], "--verbose")) {
			c.verbose = true;
		} else if (!strcmp(argv[i], "--quiet")) {
			c.quiet = true;     /* host.c: no line for refused layers */
		} else if (!strcmp(argv[i], "--explain")) {
			explain = true;     /* explain.c */
		} else {
			usage("unknown option");
		}
	}
	if (i >= argc)
		usage("no command given");
	if (c.chan_fd < 3 || c.chan_fd < c.keep_fds)
		usage("--policy-fd must be 3 or more and not below --keep-fds");
	c.argv = argv + i;

	struct sbx_error err;
	sbx_error_clear(&err);
	/* First, so that nothing the caller leaked reaches any later step. */
	if (ln_close_fds(c.keep_fds, c.chan_fd, &err))
		ln_fail(&c, "fds", &err);
	if (fcntl(c.chan_fd, F_SETFD, FD_CLOEXEC)) {
		sbx_error_sys(&err, errno, "fcntl", NULL, "policy fd %d: %s", c.chan_fd, strerror(errno));
		ln_fail(&c, "policy", &err);
	}

	char cwd[PATH_MAX];
	ln_caller_cwd(&c, named_cwd, cwd);
	const struct sbx_policy *p = load_policy(&c, cwd);
	struct sbx_spawn_plan *plan = NULL;
	if (ln_plan_build(p, cwd, &plan, &err))
		ln_fail(&c, "plan", &err);
	c.plan = plan;
	if (explain)
		ln_explain(c.plan, ln_notify_reports(p));
	ln_launch(&c, p);
}

