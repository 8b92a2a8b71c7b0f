/*
 * sbx-launcher — the spawn door's first process inside the child.
 *
 *   sbx-launcher [--policy-fd N] [--keep-fds N] [--argv0 NAME] [--verbose] -- CMD [ARGS...]
 *
 * The policy (inline JSON, a preset name or a file path) arrives on fd N
 * (default 3), read to end-of-file, at most 4 MiB: never in argv, where it
 * would be size-limited and visible in ps. When that fd is a socket (as
 * child_process gives), the launcher answers on it with one JSON line per
 * event: layers skipped (best-effort), or the setup error. End-of-file
 * without an error line means the program was executed.
 *
 * Order (docs/spawn.md, design.md): policy, namespaces, [fork: init], view,
 * hostname, prepare (Landlock paths are opened inside the new view), [fork:
 * program], parent-death signal, session, environment, apply (rlimits, caps,
 * no_new_privs, Landlock, seccomp last), execve.
 *
 * Exit codes: the program's own; 125 setup failed; 126 found but not
 * executable; 127 not found; killed by a signal: the launcher dies of the
 * same signal.
 */
#include "channel.h"
#include "launcher.h"
#include "sbx_apply.h"
#include "sbx_policy.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

extern char **environ;

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

static void send_error(struct ln_ctx *c, const char *event, const char *step,
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

void ln_fail(struct ln_ctx *c, const char *step, const struct sbx_error *err)
{
	send_error(c, "error", step, err, LN_EXIT_SETUP);
	ln_limits_cleanup(c);      /* limits.c: the launcher's cgroups, if made */
	if (err->pointer[0])
		dprintf(2, "sbx: %s: %s (%s)\n", step, err->message, err->pointer);
	else
		dprintf(2, "sbx: %s: %s\n", step, err->message);
	_exit(LN_EXIT_SETUP);
}

static __attribute__((noreturn)) void usage(const char *why)
{
	dprintf(2, "sbx-launcher: %s\nusage: sbx-launcher [--policy-fd N] [--keep-fds N] "
		   "[--argv0 NAME] [--cwd PATH] [--verbose] [--explain] -- CMD [ARGS...]\n"
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

static struct sbx_policy *load_policy(struct ln_ctx *c, const char *cwd)
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

/* The program's side: everything after the view, then execve. */
static __attribute__((noreturn)) void run_program(struct ln_ctx *c, struct sbx_prepared *pp,
						  pid_t parent, const sigset_t *old_mask)
{
	const struct sbx_spawn_plan *plan = c->plan;
	struct sbx_error err;
	sbx_error_clear(&err);
	if (plan->die_with_parent && ln_die_with_parent(parent, &err))
		ln_fail(c, "dieWithParent", &err);
	if (plan->new_session && ln_new_session(&err))
		ln_fail(c, "session", &err);
	sigprocmask(SIG_SETMASK, old_mask, NULL);
	ln_limits_rlimits(c);      /* limits.c: rlimit fallbacks */
	/* A sandbox prepared ahead (server.c) is confined before its request
	 * exists; then it takes the request's fds, argv and environment. The
	 * filter comes last, after that hand-over, unless it allows every call
	 * the hand-over makes whatever the arguments (server.c): then it is
	 * loaded ahead too, and the request finds only execve left to do. */
	bool early = c->slot_sock >= 0 && ln_slot_seccomp_early_ok(pp);
	if (sbx_prepared_apply_phase(pp, SBX_APPLY_BEFORE_SECCOMP, &err))
		ln_fail(c, "apply", &err);
	/* net.unixPaths: the supervisor, in this Landlock domain (unixsup.c) */
	if (ln_usup_fork(c, pp, &err))
		ln_fail(c, "unixPaths", &err);
	if (early && sbx_prepared_apply_phase(pp, SBX_APPLY_SECCOMP, &err))
		ln_fail(c, "apply", &err);
	if (c->slot_sock >= 0 && ln_slot_activate(c, &err))
		ln_fail(c, "activate", &err);
	char **envp = ln_build_env(plan, environ);
	if (!envp) {
		sbx_error_set(&err, SBX_ENOMEM, ENOMEM, "/env", "out of memory");
		ln_fail(c, "env", &err);
	}
	if (!early && sbx_prepared_apply_phase(pp, SBX_APPLY_SECCOMP, &err))
		ln_fail(c, "apply", &err);
	if (ln_usup_handoff(c, pp, &err))       /* net.unixPaths: unixsup.c */
		ln_fail(c, "unixPaths", &err);
	if (ln_notify_handoff(c, pp, &err))     /* report: notify.c */
		ln_fail(c, "report", &err);
	int code = ln_exec(c->argv, c->argv0, envp, &err);
	send_error(c, "exec-error", "exec", &err, code);
	dprintf(2, "sbx: %s\n", err.message);
	_exit(code);
}

/* After the namespaces: the view, hostname, prepare; then either fork the
 * program (as the init of a pid namespace) or become it. */
static __attribute__((noreturn)) void stage2(struct ln_ctx *c, const struct sbx_policy *p,
					     bool as_init, int status_fd, const sigset_t *old_mask)
{
	const struct sbx_spawn_plan *plan = c->plan;
	struct sbx_error err;
	const char *step = "rootfs";
	sbx_error_clear(&err);
	if (ln_usup_begin(c, p, &err))         /* net.unixPaths: unixsup.c */
		ln_fail(c, "unixPaths", &err);
	if (c->ns_done & CLONE_NEWNS) {
		if (ln_rootfs_build(c, &step, &err))
			ln_fail(c, step, &err);
	} else if (plan->nmounts && (plan->ns_flags & CLONE_NEWNS)) {
		ln_event_skipped(c, "root and mounts", plan->nprotect ? "no mount namespace (nor "
				 "fs.protect/fs.hide: paths under the working directory stay writable)"
				 : "no mount namespace");
	}
	if (chdir(plan->cwd)) {
		sbx_error_sys(&err, errno, "chdir", "/cwd", "working directory %s: %s", plan->cwd,
			      strerror(errno));
		ln_fail(c, "cwd", &err);
	}
	if ((c->ns_done & CLONE_NEWUTS) && sethostname(plan->hostname, strlen(plan->hostname))) {
		sbx_error_sys(&err, errno, "sethostname", "/hostname", "%s", strerror(errno));
		ln_fail(c, "hostname", &err);
	}
	/* net.unixPaths: the listed sockets, as the view shows them */
	if (ln_usup_open(c, p, &err))
		ln_fail(c, "unixPaths", &err);
	struct sbx_prepared *pp = NULL;
	if (sbx_prepare(p, SBX_DOOR_SPAWN, ln_notify_prepare_flags(p), &pp, &err))
		ln_fail(c, "prepare", &err);
	/* report: the supervisor (notify.c) */
	if (ln_notify_setup(c, pp, &err))
		ln_fail(c, "report", &err);
	if (!as_init) {
		if (ln_notify_fork(c, pp, true, NULL, &err))
			ln_fail(c, "report", &err);
		run_program(c, pp, c->parent_pid, old_mask);
	}

	pid_t prog = fork();
	if (prog < 0) {
		sbx_error_sys(&err, errno, "fork", NULL, "forking the program: %s", strerror(errno));
		ln_fail(c, "fork", &err);
	}
	if (prog == 0) {
		close(status_fd);
		run_program(c, pp, 1, old_mask);
	}
	ln_usup_init_forked(c);                 /* net.unixPaths: unixsup.c */
	/* report: the supervisor, after the program so that it stays pid 2 */
	struct ln_supervisor sup = { -1, -1 };
	if (ln_notify_fork(c, pp, false, &sup, &err)) {
		kill(prog, SIGKILL);
		ln_fail(c, "report", &err);
	}
	if (c->notify_sock >= 0)
		close(c->notify_sock);
	if (c->slot_sock >= 0) {   /* server.c: the program takes the request */
		if (c->slot_sock != c->report_fd)
			close(c->slot_sock);
		close(c->slot_buf);
	}
	sbx_prepared_free(pp);
	ln_limits_forked(c);       /* limits.c: the exec watch is the program's */
	/* The init keeps nothing of the caller's: stdio and the channel stay
	 * open only in the program. */
	close(c->chan_fd);
	for (int fd = 0; fd < c->keep_fds; fd++)
		if (fd != status_fd && fd != sup.end_fd)
			close(fd);
	ln_init_loop(prog, status_fd, &sup, c->report_fd);
}

int main(int argc, char **argv)
{
	struct ln_ctx c = { .chan_fd = 3, .keep_fds = 3, .parent_pid = getppid(),
			    .notify_sock = -1, .notify_peer = -1, .slot_sock = -1, .slot_buf = -1,
			    .report_fd = -1, .usup = NULL, .empty_dir = -1, .empty_file = -1 };
	bool explain = false;
	const char *named_cwd = NULL;
	int i = 1;
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

	/* The working directory as the caller named it (--cwd, which must be
	 * where we are: sbx.spawn passes what it chdir'ed to, links and all),
	 * else the kernel's, or $PWD when that is the same directory (the
	 * shell's name for it: `cd sub` through a link). paths.c walks it. */
	char cwd[PATH_MAX];
	struct stat here, named;
	const char *pwd = getenv("PWD");
	if (!getcwd(cwd, sizeof(cwd)) || stat(".", &here)) {
		sbx_error_sys(&err, errno, "getcwd", NULL, "%s", strerror(errno));
		ln_fail(&c, "cwd", &err);
	}
	if (!named_cwd && pwd && pwd[0] == '/' && strcmp(pwd, cwd))
		named_cwd = pwd;
	if (named_cwd && (named_cwd[0] != '/' || strlen(named_cwd) >= sizeof(cwd) ||
			  stat(named_cwd, &named) || named.st_dev != here.st_dev ||
			  named.st_ino != here.st_ino)) {
		if (named_cwd != pwd) {
			sbx_error_set(&err, SBX_EPATH, ENOENT, "/cwd",
				      "--cwd %s is not the launcher's working directory", named_cwd);
			ln_fail(&c, "cwd", &err);
		}
		named_cwd = NULL;
	}
	if (named_cwd)
		strcpy(cwd, named_cwd);
	struct sbx_policy *p = load_policy(&c, cwd);
	struct sbx_spawn_plan *plan = NULL;
	if (ln_plan_build(p, cwd, &plan, &err))
		ln_fail(&c, "plan", &err);
	c.plan = plan;
	if (explain)
		ln_explain(c.plan, ln_notify_reports(p));
	ln_launch(&c, p);
}

/* The directory this launcher was started from (sbx's own artifacts): the
 * plan protects it where a writable bind shows it (paths.c). */
static const char *self_dir(void)
{
	static char dir[PATH_MAX];
	static bool done;

	if (!done) {
		ssize_t n = readlink("/proc/self/exe", dir, sizeof(dir) - 1);
		char *slash;

		done = true;
		dir[n > 0 ? n : 0] = '\0';
		slash = strrchr(dir, '/');
		if (n <= 0 || dir[0] != '/' || !slash || strstr(dir, " (deleted)"))
			dir[0] = '\0';
		else if (slash == dir)
			dir[1] = '\0';
		else
			*slash = '\0';
	}
	return dir[0] ? dir : NULL;
}

int ln_plan_build(const struct sbx_policy *p, const char *cwd, struct sbx_spawn_plan **out,
		  struct sbx_error *err)
{
	const char *tmpdir = getenv("TMPDIR");
	struct sbx_spawn_ctx sctx = {
		.cwd = cwd, .home = getenv("HOME"),
		.tmpdir = tmpdir && tmpdir[0] == '/' ? tmpdir : "/tmp",
		.self_dir = self_dir(), .path = getenv("PATH"),
	};
	return sbx_spawn_plan_build(p, &sctx, out, err);
}

/* From the plan on: limits, namespaces, the process tree, the view, apply,
 * execve. The launcher's main() and the spawn server's workers (server.c)
 * both end here. */
void ln_launch(struct ln_ctx *c_, struct sbx_policy *p)
{
	struct ln_ctx c = *c_;
	const struct sbx_spawn_plan *plan = c.plan;
	struct sbx_error err;
	sbx_error_clear(&err);
	/* limits.c: mechanisms chosen, cgroups made (before the namespaces) */
	c.limits = ln_limits_setup(&c);

	if (plan->die_with_parent && ln_die_with_parent(c.parent_pid, &err))
		ln_fail(&c, "dieWithParent", &err);
	/* paths.c: the working directory as the caller named it (no planted
	 * symlink on the way, not /, $HOME or a parent of it). */
	if (ln_paths_check(&c, &err))
		ln_fail(&c, "cwd", &err);
	const char *step = "namespaces";
	if (ln_ns_enter(&c, &step, &err))
		ln_fail(&c, step, &err);
	if (ln_grants_apply(&c, p, &err))       /* grants.c: home, git */
		ln_fail(&c, "plan", &err);
	ln_limits_arm(&c);

	sigset_t fwd, old_mask;
	ln_forward_sigset(&fwd);
	sigprocmask(SIG_BLOCK, &fwd, &old_mask);
	if (!(c.ns_done & CLONE_NEWPID) && c.limits) {
		/* limits.c: no init to kill the tree for us, so the launcher
		 * stays as the supervisor and the program is its child. */
		pid_t prog = fork();
		if (prog < 0) {
			sbx_error_sys(&err, errno, "fork", NULL, "forking the program: %s", strerror(errno));
			ln_fail(&c, "fork", &err);
		}
		if (prog == 0) {
			ln_limits_join(&c);
			c.parent_pid = getppid();
			stage2(&c, p, false, -1, &old_mask);
		}
		ln_limits_supervise(&c, prog, -1, false);
	}
	if (!(c.ns_done & CLONE_NEWPID))
		stage2(&c, p, false, -1, &old_mask);

	int sp[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp)) {
		sbx_error_sys(&err, errno, "socketpair", NULL, "%s", strerror(errno));
		ln_fail(&c, "fork", &err);
	}
	pid_t init = fork();
	if (init < 0) {
		sbx_error_sys(&err, errno, "fork", NULL, "forking the init: %s", strerror(errno));
		ln_fail(&c, "fork", &err);
	}
	if (init == 0) {
		ln_limits_join(&c);    /* limits.c: before anything else */
		close(sp[0]);
		/* The init reports the end itself when the program leaves
		 * nothing behind (proc.c); with limits, the launcher's
		 * supervisor says how it ended (limits.c). */
		if (c.limits && c.report_fd >= 0) {
			if (c.report_fd != c.slot_sock)
				close(c.report_fd);
			c.report_fd = -1;
		}
		/* The launcher is outside this pid namespace (getppid() is 0
		 * here): its end of the socket tells whether it is still there. */
		if (ln_die_with_parent(0, &err))
			ln_fail(&c, "dieWithParent", &err);
		struct pollfd pfd = { .fd = sp[1], .events = POLLIN };
		if (poll(&pfd, 1, 0) > 0 && (pfd.revents & (POLLHUP | POLLIN)))
			_exit(LN_EXIT_SETUP);
		stage2(&c, p, true, sp[1], &old_mask);
	}
	close(sp[1]);
	if (c.limits)              /* limits.c: keeps the channel for the end */
		ln_limits_supervise(&c, init, sp[0], true);
	close(c.chan_fd);
	for (int fd = 0; fd < c.keep_fds; fd++)
		close(fd);
	ln_relay(init, sp[0], c.report_fd);
}
