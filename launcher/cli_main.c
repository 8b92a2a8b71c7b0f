/*
 * The `sbx` command without Node (issue 22): `sbx run` parsed here and
 * launched in this very process (launch.c, no further exec); anything else
 * handed to Node unchanged, `node <package>/dist/cli.js ARGS...`.
 *
 * What goes to Node, and why: the other subcommands (probe, compile,
 * explain, preload-path, --help, --version: not on anyone's hot path), and
 * `sbx run` with --cow, --report or --explain, whose work (the overlay's
 * temporary directory and the change list, the violation lines, the plan's
 * rendering) lives in lib/ and is shared with the Node API. Also an inline
 * --policy that the core's strict reader refuses but JSON.parse reads (a
 * duplicate key, a syntax error: run.ts's own answer is Node's), so both
 * front ends always say the same. Without node on PATH those print one
 * line saying they need Node.
 */
#include "channel.h"
#include "cli.h"
#include "launcher.h"
#include "sbx_policy.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <limits.h>
#include <signal.h>
#include <termios.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

bool ln_cli_wanted(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "--cli"))
		return true;
	const char *base = argc >= 1 && argv[0] ? strrchr(argv[0], '/') : NULL;
	base = base ? base + 1 : argc >= 1 && argv[0] ? argv[0] : "";
	return !strcmp(base, "sbx");
}

/* The package this binary belongs to: build/Release/ or
 * prebuilds/<platform>-<arch>/ under it, two levels up either way. */
static bool package_root(char *out, size_t size)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return false;
	exe[n] = '\0';
	for (int up = 0; up < 3; up++) {
		char *slash = strrchr(exe, '/');
		if (!slash)
			return false;
		*slash = '\0';
	}
	return snprintf(out, size, "%s", exe[0] ? exe : "/") < (int)size;
}

/* `node <root>/dist/cli.js args...`; returns only when that cannot start. */
static __attribute__((noreturn)) void to_node(char **args, int nargs, const char *what, int fail_code)
{
	char root[PATH_MAX], cli[PATH_MAX + 32];
	if (!package_root(root, sizeof(root)) ||
	    snprintf(cli, sizeof(cli), "%s/dist/cli.js", root) >= (int)sizeof(cli) ||
	    access(cli, R_OK)) {
		dprintf(2, "sbx: %s needs the TypeScript front end, and %s is missing: reinstall sbx\n",
			what, package_root(root, sizeof(root)) ? cli : "dist/cli.js");
		_exit(fail_code);
	}
	char **nv = calloc((size_t)nargs + 3, sizeof(*nv));
	if (!nv) {
		dprintf(2, "sbx: out of memory\n");
		_exit(fail_code);
	}
	nv[0] = "node";
	nv[1] = cli;
	for (int i = 0; i < nargs; i++)
		nv[i + 2] = args[i];
	execvp("node", nv);
	if (errno == ENOENT)
		dprintf(2, "sbx: %s needs Node.js, which is not on PATH (%s works without it)\n", what,
			strncmp(what, "sbx run ", 8) ? "sbx run" : "sbx run without --cow, --report and --explain");
	else
		dprintf(2, "sbx: %s: cannot start node: %s\n", what, strerror(errno));
	_exit(fail_code);
}

/* The caller's terminal as it was, put back when the sandbox ended, as
 * Node does at its exit for the stdio it found to be terminals: a program
 * that turns echo off and dies leaves the shell usable. (Without a pid
 * namespace and without limits the launcher becomes the program: nothing
 * is left to put it back, as with any program the shell runs.) */
static struct termios tty_saved[3];
static dev_t tty_dev[3];
static bool tty_have[3];

/* The launch closes fds 0-2 in the launcher (launch.c) and no copy of a
 * terminal may stay open in any process of the sandbox: the terminal is
 * opened again at the end, as the controlling one, and gets back what the
 * stdio fd that was this terminal had. */
static void tty_restore(void)
{
	int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
	unsigned int dev;
	if (fd < 0)
		return;
	/* /dev/tty's own inode says (5, 0): the kernel names the real one. */
	if (ioctl(fd, TIOCGDEV, &dev) == 0) {
		sigset_t ttou, old;
		sigemptyset(&ttou);
		sigaddset(&ttou, SIGTTOU);
		/* From a background process group tcsetattr would stop us. */
		sigprocmask(SIG_BLOCK, &ttou, &old);
		for (int i = 0; i < 3; i++) {
			if (!tty_have[i] || tty_dev[i] != (dev_t)dev)
				continue;
			while (tcsetattr(fd, TCSANOW, &tty_saved[i]) && errno == EINTR)
				;
			break;
		}
		sigprocmask(SIG_SETMASK, &old, NULL);
	}
	close(fd);
}

static void tty_save(void)
{
	bool any = false;
	for (int fd = 0; fd < 3; fd++) {
		struct stat st;
		tty_have[fd] = isatty(fd) && !tcgetattr(fd, &tty_saved[fd]) && !fstat(fd, &st);
		if (tty_have[fd])
			tty_dev[fd] = st.st_rdev;
		any |= tty_have[fd];
	}
	if (any)
		ln_exit_hook = tty_restore;
}

/* What main.c does after its arguments, with the policy text in hand and
 * no channel: the caller's stdio only, the working directory as named. */
static __attribute__((noreturn)) void launch(const struct ln_cli_run *f, const char *text)
{
	struct ln_ctx c = { .chan_fd = -1, .keep_fds = 3, .parent_pid = getppid(),
			    .notify_sock = -1, .notify_peer = -1, .slot_sock = -1, .slot_buf = -1,
			    .report_fd = -1, .usup = NULL, .empty_dir = -1, .empty_file = -1,
			    .verbose = f->verbose, .quiet = f->quiet, .argv = f->cmd,
			    .limit_exit_codes = true };
	struct sbx_error err;
	sbx_error_clear(&err);
	/* What child_process.spawn gave the launcher: fds 0-2, nothing else. */
	if (ln_close_fds(c.keep_fds, -1, &err))
		ln_fail(&c, "fds", &err);
	tty_save();
	char cwd[PATH_MAX];
	ln_caller_cwd(&c, NULL, cwd);
	struct sbx_policy_load_opts opts = { .cwd = cwd, .max_bytes = LN_POLICY_MAX };
	struct sbx_policy *p = NULL;
	if (ln_channel_load(text, strlen(text), &opts, &p, &err))
		ln_fail(&c, "policy", &err);
	struct sbx_spawn_plan *plan = NULL;
	if (ln_plan_build(p, cwd, &plan, &err))
		ln_fail(&c, "plan", &err);
	c.plan = plan;
	ln_launch(&c, p);
}

int ln_cli_main(int argc, char **argv)
{
	char **args = argv + 1;
	int nargs = argc - 1;
	if (nargs >= 1 && !strcmp(args[0], "--cli")) {
		args++;
		nargs--;
	}
	if (nargs < 1 || strcmp(args[0], "run")) {
		char what[80];
		snprintf(what, sizeof(what), "sbx%s%.60s", nargs ? " " : "", nargs ? args[0] : "");
		to_node(args, nargs, what, 1);
	}
	/* lib/cli.ts: `--help` asks for help only before `--`. */
	const char *node_flag = NULL;
	for (int i = 1; i < nargs && strcmp(args[i], "--"); i++) {
		if (!strcmp(args[i], "-h") || !strcmp(args[i], "--help")) {
			fputs(ln_cli_run_help, stdout);
			fflush(stdout);
			return 0;
		}
		if (!node_flag && (!strcmp(args[i], "--report") || !strcmp(args[i], "--explain") ||
				   !strcmp(args[i], "--cow") || !strncmp(args[i], "--cow=", 6)))
			node_flag = args[i];
	}
	char what[64];
	if (node_flag) {
		snprintf(what, sizeof(what), "sbx run %.40s", node_flag);
		to_node(args, nargs, what, LN_EXIT_SETUP);
	}
	struct ln_cli_run f;
	ln_cli_parse_run(nargs - 1, args + 1, &f);
	char *text = ln_cli_run_policy(&f);
	if (!text)
		to_node(args, nargs, "sbx run --policy (this inline policy)", LN_EXIT_SETUP);
	/* test/cli-native.test.ts holds this text to runPolicy()'s, byte for
	 * byte: the policy only, nothing run. */
	const char *show = getenv("SBX_RUN_PRINT_POLICY");
	if (show && !strcmp(show, "1")) {
		printf("%s\n", text);
		fflush(stdout);
		return 0;
	}
	launch(&f, text);
}
