/*
 * The launch pipeline (docs/spawn.md, design.md), from the plan on: limits,
 * namespaces, [fork: init], view, hostname, prepare (Landlock paths are
 * opened inside the new view), [fork: program], parent-death signal,
 * session, environment, apply (rlimits, caps, no_new_privs, Landlock,
 * seccomp last), execve. The launcher's main() (main.c) and the spawn
 * server's workers and prepared sandboxes (server.c) all end here.
 *
 * Each step returns its error; this file ends the process with it (fail():
 * the event line, the limits' cgroups removed, the message, exit 125).
 */
#include "egress.h"
#include "launcher.h"
#include "policy.h"
#include "prepared.h"
#include "sbx_apply.h"
#include "sbx_policy.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

extern char **environ;

/* ln_fail, with the launcher's cgroups removed between the event line and
 * the message (no-op in any process but the launcher, and without limits). */
static __attribute__((noreturn)) void fail(struct ln_ctx *c, const char *step,
					   const struct sbx_error *err)
{
	ln_event_error(c, "error", step, err, LN_EXIT_SETUP);
	ln_limits_cleanup(c);
	ln_die(step, err);
}

/* The program's side: everything after the view, then execve. */
static __attribute__((noreturn)) void run_program(struct ln_ctx *c, struct sbx_prepared *pp,
						  pid_t parent, const sigset_t *old_mask)
{
	const struct sbx_spawn_plan *plan = c->plan;
	struct sbx_error err;
	sbx_error_clear(&err);
	if (plan->die_with_parent && ln_die_with_parent(parent, &err))
		fail(c, "dieWithParent", &err);
	if (plan->new_session && ln_new_session(&err))
		fail(c, "session", &err);
	sigprocmask(SIG_SETMASK, old_mask, NULL);
	if (ln_limits_rlimits(c, &err))     /* limits.c: rlimit fallbacks */
		fail(c, "limits", &err);
	/* A sandbox prepared ahead (server.c) is confined before its request
	 * exists; then it takes the request's fds, argv and environment. The
	 * filter comes last, after that hand-over, unless it allows every call
	 * the hand-over makes whatever the arguments (server.c): then it is
	 * loaded ahead too, and the request finds only execve left to do. */
	bool early = c->slot_sock >= 0 && ln_slot_seccomp_early_ok(pp);
	if (sbx_prepared_apply_phase(pp, SBX_APPLY_BEFORE_SECCOMP, &err))
		fail(c, "apply", &err);
	/* net.unixPaths: the supervisor, in this Landlock domain (unixsup.c) */
	if (ln_usup_fork(c, pp, &err))
		fail(c, "unixPaths", &err);
	if (early && sbx_prepared_apply_phase(pp, SBX_APPLY_SECCOMP, &err))
		fail(c, "apply", &err);
	if (c->slot_sock >= 0 && ln_slot_activate(c, &err))
		fail(c, "activate", &err);
	char **envp = ln_egress_env(c, ln_build_env(plan, environ));  /* net.hosts */
	if (!envp) {
		sbx_error_set(&err, SBX_ENOMEM, ENOMEM, "/env", "out of memory");
		fail(c, "env", &err);
	}
	if (!early && sbx_prepared_apply_phase(pp, SBX_APPLY_SECCOMP, &err))
		fail(c, "apply", &err);
	if (ln_usup_handoff(c, pp, &err))       /* net.unixPaths: unixsup.c */
		fail(c, "unixPaths", &err);
	if (ln_notify_handoff(c, pp, &err))     /* report: notify.c */
		fail(c, "report", &err);
	int code = ln_exec(c->argv, c->argv0, envp, &err);
	ln_event_error(c, "exec-error", "exec", &err, code);
	dprintf(2, "sbx: %s\n", err.message);
	_exit(code);
}

struct program_start {
	struct ln_ctx c;
	struct sbx_prepared *pp;
	int status_fd;
	const sigset_t *old_mask;
};

static int program_main(void *arg)
{
	struct program_start *a = arg;
	close(a->status_fd);
	run_program(&a->c, a->pp, 1, a->old_mask);
}

/*
 * The init's child that becomes the program. Where the program's side talks
 * to nobody but the kernel before its execve (no report or unixPaths
 * supervisor, no prepared sandbox waiting for its request), it shares the
 * init's memory until then and the init waits (CLONE_VM | CLONE_VFORK, as
 * posix_spawn does): the address space that fork() copies and the execve
 * throws away again is a large part of a sandbox's CPU on a virtual machine
 * (measured: fork + exit 1.9 ms of CPU, this 0.03 ms; docs/spawn.md,
 * "Throughput"). Nothing of the init's memory reaches the
 * program: the execve replaces it, and nothing untrusted runs before. The
 * program writes only its own copy of the context and its own stack (the
 * prepared layers are only read); its fds, credentials, Landlock domain,
 * filter and rlimits are its own as with fork(). Else, and under a
 * sanitizer (whose per-thread state the two would share), fork().
 */
static pid_t fork_program(struct ln_ctx *c, struct sbx_prepared *pp, int status_fd,
			  const sigset_t *old_mask)
{
	bool shared = c->notify_sock < 0 && !c->usup && c->slot_sock < 0;
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
	shared = false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer)
	shared = false;
#endif
#endif
	if (!shared) {
		pid_t prog = fork();
		if (prog == 0) {
			close(status_fd);
			run_program(c, pp, 1, old_mask);
		}
		return prog;
	}
	/* Its own stack, a guard page below it. */
	const size_t guard = 4096, size = 1u << 20;
	char *stack = mmap(NULL, guard + size, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
	if (stack == MAP_FAILED)
		return -1;
	if (mprotect(stack, guard, PROT_NONE)) {
		munmap(stack, guard + size);
		return -1;
	}
	struct program_start *a = (struct program_start *)(stack + guard + size) - 1;
	*a = (struct program_start){ .c = *c, .pp = pp, .status_fd = status_fd, .old_mask = old_mask };
	char *top = (char *)((uintptr_t)a & ~(uintptr_t)63);
	pid_t prog = clone(program_main, top, CLONE_VM | CLONE_VFORK | SIGCHLD, a);
	int e = errno;
	/* Back here once the program ran execve or ended: the stack is free. */
	munmap(stack, guard + size);
	errno = e;
	return prog;
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
	ln_egress_forget(c);                    /* net.hosts: egress_setup.c */
	if (ln_usup_begin(c, p, &err))         /* net.unixPaths: unixsup.c */
		fail(c, "unixPaths", &err);
	bool mount_ns = c->ns_done & CLONE_NEWNS;
	int view = mount_ns ? ln_rootfs_build(c, &step, &err) : 0;
	if (view < 0)
		fail(c, step, &err);
	if (view == 1) {         /* host.c: the host refuses mounting */
		char why[sizeof(err.message)];
		snprintf(why, sizeof(why), "%s", err.message);
		if (ln_host_refused(c, "root and mounts", LN_LOST_VIEW, why, &err))
			fail(c, "rootfs", &err);
	} else if (!mount_ns && plan->nmounts && (plan->ns_flags & CLONE_NEWNS)) {
		ln_event_skipped(c, "root and mounts", plan->nprotect ? "no mount namespace (nor "
				 "fs.protect/fs.hide: paths under the working directory stay writable)"
				 : "no mount namespace");
	}
	/* What prepare adds to the policy (which is never changed): the
	 * flags, the egress ports (net.hosts: egress_setup.c), the grants and
	 * whether internet sockets are refused (below). */
	uint16_t egress_ports[2];
	struct sbx_prepare_inputs in = {
		.flags = ln_notify_prepare_flags(p), .connect = egress_ports,
		.nconnect = ln_egress_ports(c, egress_ports),
	};
	struct sbx_prepare_grant *grants = NULL;
	/* grants.c (home, git): only over a view that was built. A mount
	 * namespace whose mounting the host refused shows the host's own
	 * $HOME, which a grant would open. */
	if (mount_ns && view == 0 && ln_grants(c, p, &grants, &in.ngrants, &err))
		fail(c, "plan", &err);
	in.grants = grants;
	if (chdir(plan->cwd)) {
		sbx_error_sys(&err, errno, "chdir", "/cwd", "working directory %s: %s", plan->cwd,
			      strerror(errno));
		fail(c, "cwd", &err);
	}
	if ((c->ns_done & CLONE_NEWUTS) && sethostname(plan->hostname, strlen(plan->hostname))) {
		sbx_error_sys(&err, errno, "sethostname", "/hostname", "%s", strerror(errno));
		fail(c, "hostname", &err);
	}
	/* net.unixPaths: the listed sockets, as the view shows them */
	if (ln_usup_open(c, p, &err))
		fail(c, "unixPaths", &err);
	/* No network namespace (host.c): what the policy left to it, internet
	 * sockets that reach only loopback, would reach the host's network;
	 * they are refused instead (net.hosts refuses itself: egress_setup.c). */
	if ((plan->ns_flags & CLONE_NEWNET) && !(c->ns_done & CLONE_NEWNET) && p->net.inet != 0 &&
	    !p->net.hosts.set) {
		in.inet_closed = true;
		c->lost.inet_closed = true;
		ln_event_skipped(c, "net.inet", "no network namespace: internet sockets are refused "
				 "(they would reach the host's network)");
	}
	ln_host_notice(c);         /* host.c: one line, unless --quiet */
	struct sbx_prepared *pp = NULL;
	if (sbx_prepare_with(p, SBX_DOOR_SPAWN, &in, sbx_landlock_abi(), &pp, &err))
		fail(c, "prepare", &err);
	free(grants);
	/* report: the supervisor (notify.c) */
	if (ln_notify_setup(c, pp, &err))
		fail(c, "report", &err);
	if (!as_init) {
		if (ln_notify_fork(c, pp, true, NULL, &err))
			fail(c, "report", &err);
		run_program(c, pp, c->parent_pid, old_mask);
	}

	pid_t prog = fork_program(c, pp, status_fd, old_mask);
	if (prog < 0) {
		sbx_error_sys(&err, errno, "fork", NULL, "forking the program: %s", strerror(errno));
		fail(c, "fork", &err);
	}
	ln_usup_init_forked(c);                 /* net.unixPaths: unixsup.c */
	/* report: the supervisor, after the program so that it stays pid 2 */
	struct ln_supervisor sup = { -1, -1 };
	if (ln_notify_fork(c, pp, false, &sup, &err)) {
		kill(prog, SIGKILL);
		fail(c, "report", &err);
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
	struct sbx_env_dirs dirs;
	sbx_policy_env_dirs(NULL, &dirs);
	/* The plan uses $HOME only when absolute, as the load does. */
	struct sbx_spawn_ctx sctx = {
		.cwd = cwd, .home = dirs.home, .tmpdir = dirs.tmpdir, .self_dir = self_dir(),
		.path = getenv("PATH"),
	};
	return sbx_spawn_plan_build(p, &sctx, out, err);
}

/* From the plan on: limits, namespaces, the process tree, the view, apply,
 * execve. The launcher's main() and the spawn server's workers (server.c)
 * both end here. */
void ln_launch(struct ln_ctx *c_, const struct sbx_policy *p)
{
	struct ln_ctx c = *c_;
	const struct sbx_spawn_plan *plan = c.plan;
	struct sbx_error err;
	sbx_error_clear(&err);
	/* limits.c: mechanisms chosen, cgroups made (before the namespaces) */
	if (ln_limits_setup(&c, &err))
		fail(&c, "limits", &err);

	if (plan->die_with_parent && ln_die_with_parent(c.parent_pid, &err))
		fail(&c, "dieWithParent", &err);
	/* paths.c: the working directory as the caller named it (no planted
	 * symlink on the way, not /, $HOME or a parent of it). */
	if (ln_paths_check(&c, &err))
		fail(&c, "cwd", &err);
	/* net.hosts: the egress process keeps the host's network (egress_setup.c) */
	if (ln_egress_begin(&c, p, &err))
		fail(&c, "egress", &err);
	const char *step = "namespaces";
	if (ln_ns_enter(&c, &step, &err))
		fail(&c, step, &err);
	if (ln_egress_listen(&c, &err))
		fail(&c, "egress", &err);
	if (ln_limits_arm(&c, &err))
		fail(&c, "limits", &err);

	sigset_t fwd, old_mask;
	ln_forward_sigset(&fwd);
	sigprocmask(SIG_BLOCK, &fwd, &old_mask);
	if (!(c.ns_done & CLONE_NEWPID) && c.limits) {
		/* limits.c: no init to kill the tree for us, so the launcher
		 * stays as the supervisor and the program is its child. */
		pid_t prog = fork();
		if (prog < 0) {
			sbx_error_sys(&err, errno, "fork", NULL, "forking the program: %s", strerror(errno));
			fail(&c, "fork", &err);
		}
		if (prog == 0) {
			if (ln_limits_join(&c, &err))
				fail(&c, "limits", &err);
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
		fail(&c, "fork", &err);
	}
	pid_t init = fork();
	if (init < 0) {
		sbx_error_sys(&err, errno, "fork", NULL, "forking the init: %s", strerror(errno));
		fail(&c, "fork", &err);
	}
	if (init == 0) {
		if (ln_limits_join(&c, &err))   /* limits.c: before anything else */
			fail(&c, "limits", &err);
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
			fail(&c, "dieWithParent", &err);
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
