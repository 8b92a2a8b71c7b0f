/*
 * sbx-launcher internals. The launcher is three processes at most:
 *
 *   launcher  started by child_process.spawn; reads the policy, enters the
 *             namespaces; with a new pid namespace it forks the init and
 *             relays signals and the final status (proc.c), else it goes on
 *             itself and execs the program
 *   init      pid 1 of the new pid namespace: builds the filesystem view,
 *             forks the program, reaps, forwards signals, reports its status
 *   program   the last steps (fdenv.c), sbx_prepared_apply, execve
 *
 * Errors travel as struct sbx_error plus the step's name; only events.c
 * turns them into text and an exit code (ln_fail, called by launch.c, main.c
 * and server.c: the steps themselves return their errors).
 */
#ifndef SBX_LAUNCHER_H
#define SBX_LAUNCHER_H

#include "sbx.h"
#include "sbx_spawn.h"

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

/* Setup failed: distinct from the program's own 126 (cannot execute) and
 * 127 (not found). */
#define LN_EXIT_SETUP 125
#define LN_EXIT_NOEXEC 126
#define LN_EXIT_NOTFOUND 127

struct ln_ctx {
	const struct sbx_spawn_plan *plan;
	int chan_fd;            /* policy in, events out; -1 when closed      */
	int keep_fds;           /* fds 0..keep_fds-1 go to the program        */
	bool verbose;
	const char *argv0;      /* NULL: the command as given                 */
	char **argv;            /* command and arguments                      */
	unsigned long ns_done;  /* CLONE_NEW* flags actually in effect        */
	bool caller_root;       /* started by uid 0 (secrets.c)               */
	pid_t parent_pid;       /* who started the launcher                  */
	/* notify.c (report: true): the program's and the supervisor's ends of
	 * the listener handoff socket; -1 when not reporting. */
	int notify_sock;
	int notify_peer;
	struct ln_limits *limits;  /* limits.c; NULL when the policy sets none */
	/* server.c: a sandbox prepared ahead of its request: the socket its
	 * request arrives on, and the read end of the buffer that holds its
	 * events until then (chan_fd is the write end); -1 otherwise. */
	int slot_sock;
	int slot_buf;
	/* server.c: where the launcher tells the server how the sandbox ended
	 * as soon as its pid namespace is empty, before its own (slow)
	 * namespace teardown; -1 outside the server. */
	int report_fd;
	/* unixsup.c (net.unixPaths): the listed sockets, the sandbox's own
	 * filesystems, the supervisor's pipes; NULL without unixPaths. */
	struct ln_usup *usup;
	/* egress_setup.c (net.hosts): the egress process and its ports; NULL
	 * without net.hosts. */
	struct ln_egress *egress;
	/* paths.c: the empty directory and file fs.hide mounts (-1: none yet). */
	int empty_dir;
	int empty_file;
	/* host.c: no line on stderr for the layers the host refused. */
	bool quiet;
	/* host.c: what the host refused (CLONE_NEW* and LN_LOST_*), the first
	 * two reasons in its terms, and whether internet sockets were closed
	 * for want of a network namespace (launch.c). */
	struct {
		unsigned long what;
		char why[2][240];
		bool inet_closed;
		bool said;
	} lost;
	/* cli_main.c (`sbx run` in this process): a limit's kill ends the
	 * launcher with sbx run's codes, 124 (wallTime) or 123 (another
	 * limit), not with the program's signal (limits.c). */
	bool limit_exit_codes;
};

struct ln_line;
/* events.c: a line of event_lines.h on the channel `fd`, when it is a
 * socket (nothing when the line could not be written). */
void ln_event_send(int fd, const struct ln_line *l);
/* ---- host.c (restricted hosts: docs/security-model.md) ---- */
#define LN_LOST_VIEW (1UL << 40)        /* mount namespace made, mounting refused */
#define LN_LOST_LOOPBACK (1UL << 41)    /* network namespace made, lo not up      */
/* The spawn server, before its first sandbox: what the host refuses, tried
 * once in a child (host_check.h) and kept for every sandbox forked after. */
void ln_host_learn(void);
/* A layer the server found refused ("namespaces.pid", "root and mounts",
 * "loopback"): its reason in *why. */
bool ln_host_cached(const char *layer, const char **why);
/* The host refuses `layer` (`what`: the CLONE_NEW* flag or LN_LOST_*):
 * enforce: -1 with err naming the layer and the host's reason; best-effort:
 * the `skipped` event, remembered for the notice, 0. */
int ln_host_refused(struct ln_ctx *c, const char *layer, unsigned long what, const char *why,
		    struct sbx_error *err);
/* The one line saying what was lost and what still holds (nothing when
 * nothing was lost; once): a "notice" event, and on stderr unless quiet. */
void ln_host_notice(struct ln_ctx *c);

/* events.c: one JSON line on the channel (and on stderr with --verbose). */
void ln_event_skipped(struct ln_ctx *c, const char *layer, const char *why);
/* events.c: host.c's one line on the layers the host refused, as an event
 * ("notice": Node says it when the launcher does not). */
void ln_event_notice(struct ln_ctx *c, const char *text);
/* events.c: a setup failure (event "error") or the exec's ("exec-error") as
 * a line on the channel. */
void ln_event_error(struct ln_ctx *c, const char *event, const char *step,
		    const struct sbx_error *err, int exit_code);
/* events.c: the failure on stderr, then _exit(125). */
__attribute__((noreturn)) void ln_die(const char *step, const struct sbx_error *err);
/* events.c: ln_event_error + ln_die. The steps return their errors; the
 * launch pipeline (launch.c, which also removes the limits' cgroups first),
 * the entry (main.c) and the server's workers end with this. */
__attribute__((noreturn)) void ln_fail(struct ln_ctx *c, const char *step,
				       const struct sbx_error *err);

struct sbx_policy;
struct sbx_prepared;
/* launch.c: the spawn plan for `p` (*out), with $CWD = cwd and $HOME,
 * $TMPDIR from the environment. */
int ln_plan_build(const struct sbx_policy *p, const char *cwd, struct sbx_spawn_plan **out,
		  struct sbx_error *err);
/* main.c: the working directory as the caller named it (named_cwd, else
 * $PWD when it is the kernel's under another name, else the kernel's). */
void ln_caller_cwd(struct ln_ctx *c, const char *named_cwd, char cwd[]);
/* launch.c: from the plan on (limits, namespaces, view, apply, execve). */
__attribute__((noreturn)) void ln_launch(struct ln_ctx *c, const struct sbx_policy *p);

/* server.c: `sbx-launcher --server` (docs/spawn.md, "The spawn server"). */
int ln_server_main(int argc, char **argv);
/* leftovers.c, in the server: the cgroups of a launcher it reaped dead of a
 * signal are killed and removed now, or retried by ln_leftovers_sweep(),
 * which returns the poll timeout until its next try (-1: nothing left). */
void ln_leftovers_add(pid_t launcher);
int ln_leftovers_sweep(void);
/* A prepared sandbox keeps fds 0..LN_SLOT_FD_BASE-1 taken (by /dev/null)
 * until its request comes, so that nothing it opens meanwhile can sit where
 * the request's stdio must go (server.c, slot.c). */
#define LN_SLOT_FD_BASE 64
/* slot.c, in a prepared sandbox: wait for its request, then take its
 * stdio, channel, argv and environment. */
int ln_slot_activate(struct ln_ctx *c, struct sbx_error *err);
/* slot.c: may the prepared sandbox load its filter before its request?
 * Only when it allows every call from there to execve, whatever the
 * arguments (the hand-over, the environment, execve and its failure path). */
bool ln_slot_seccomp_early_ok(const struct sbx_prepared *pp);

/* ns.c: unshare what the plan asks for (user first, maps written by this
 * process itself), skipping what the host refuses when best-effort.
 * Sets c->ns_done. The pid namespace applies to the next fork. */
int ln_ns_enter(struct ln_ctx *c, const char **step, struct sbx_error *err);

/* rootfs.c: the filesystem view, pivot_root, old root detached; then the
 * working directory. Needs a new mount namespace. 1 when the host refuses
 * mounting before anything was changed (err holds the reason in its terms:
 * the view is skipped or, in enforce mode, the launch fails). */
int ln_rootfs_build(struct ln_ctx *c, const char **step, struct sbx_error *err);
/* secrets.c: for a root caller, cover the root-only secrets under /etc
 * in the view being built under /newroot (before pivot_root). */
int ln_hide_root_secrets(struct ln_ctx *c, struct sbx_error *err);

/* paths.c (docs/spawn.md, "Paths"): before the namespaces, the working
 * directory as the caller gave it is walked (a symlink is followed only in
 * /, $HOME and the directories on the way to it, unless followSymlinks) and
 * refused when it is /, $HOME or a parent of it (unless allowBroadCwd). */
int ln_paths_check(struct ln_ctx *c, struct sbx_error *err);
/* A bind of the host's m->source (walked from `oldroot`) at m->target
 * (walked from `newroot`, mount points made), by fd. 1: an optional source
 * is missing (skipped); 0; -1 with err. */
struct sbx_spawn_mount;
int ln_bind_host(struct ln_ctx *c, const struct sbx_spawn_mount *m, int oldroot, int newroot,
		 struct sbx_error *err);
/* grants.c: the plan's Landlock grants (home, git) for sbx_prepare_with(),
 * when the view is built (a mount namespace) and `fs` present: *out (free
 * it) and *n, possibly none. */
struct sbx_prepare_grant;
int ln_grants(const struct ln_ctx *c, const struct sbx_policy *p,
	      struct sbx_prepare_grant **out, size_t *n, struct sbx_error *err);
/* fs.protect / fs.hide over the finished view (still under `newroot`). */
int ln_protect(struct ln_ctx *c, int newroot, struct sbx_error *err);

/* proc.c */
/* The launcher with a pid namespace: wait for the init, forward signals,
 * end like the program did (exit code, or the same signal); first the
 * wait status on report_fd when it is not -1. */
__attribute__((noreturn)) void ln_relay(pid_t init, int status_fd, int report_fd);
/* The report supervisor as its parent sees it: pid and the write end of
 * the pipe whose hangup tells it the program ended; -1 when none. */
struct ln_supervisor {
	pid_t pid;
	int end_fd;
};
/* The init: reap everything, forward signals to the program, write the
 * program's wait status to status_fd and exit when it ends (after the
 * supervisor, if any, said what it counted: sup may be NULL); first the
 * status on report_fd too (when not -1) if the program left no process
 * behind in the namespace. */
__attribute__((noreturn)) void ln_init_loop(pid_t program, int status_fd,
					    const struct ln_supervisor *sup, int report_fd);
/* The signals forwarded (blocked in the launcher and the init). */
void ln_forward_sigset(sigset_t *set);
/* Called first by ln_exit_like (and by a limit's end in the CLI): the
 * `sbx` command puts the caller's terminal settings back (cli_main.c). */
extern void (*ln_exit_hook)(void);
/* End the way a wait status says (exit code, or re-raise the signal). */
__attribute__((noreturn)) void ln_exit_like(int status);

/* fdenv.c */
int ln_die_with_parent(pid_t parent, struct sbx_error *err);
int ln_close_fds(int keep_below, int also_keep, struct sbx_error *err);
int ln_new_session(struct sbx_error *err);
/* The program's environment (malloc'd array, process-lifetime). */
char **ln_build_env(const struct sbx_spawn_plan *plan, char **environ_in);
/* execve, searching PATH of `envp` when the command has no '/'. Returns
 * only on failure, with the exit code to use (126/127) and err filled. */
int ln_exec(char *const argv[], const char *argv0, char **envp, struct sbx_error *err);

/* ---- cow.c, notify.c, explain.c (copy-on-write, violations, --explain) ---- */
struct sbx_policy;
struct sbx_prepared;
/* An overlay mount at `dst` (under the staging /newroot): lower = the host's
 * m->source, upper = m->upper (work dir "<upper>.work") or a private tmpfs. */
int ln_mount_overlay(const struct sbx_spawn_mount *m, const char *dst, struct ln_ctx *c,
		     struct sbx_error *err);
/* `sbx-launcher --cow-diff UPPER LOWER`: the changes an overlay's upper dir
 * holds, one JSON line each, on stdout. Returns the exit code. */
int ln_cow_diff_main(int argc, char **argv);
/* `sbx-launcher --cow-apply UPPER TARGET [DEV:INO]`: the same walk, and each
 * change applied onto TARGET by file descriptor as it is found (cow_apply.c).
 * Returns the exit code: 0, 3 when the apply stopped, 1 or 2 when it could
 * not start. */
int ln_cow_apply_main(int argc, char **argv);
/* SBX_PREPARE_LISTENER when the policy asks for reports, else 0. */
unsigned ln_notify_prepare_flags(const struct sbx_policy *p);
/* The listener's wake-ups made synchronous (6.6), where the kernel has it. */
void ln_notify_sync_wakeup(int lfd);
/* After sbx_prepare: the handoff socket when reporting (sets notify_*). */
int ln_notify_setup(struct ln_ctx *c, const struct sbx_prepared *pp, struct sbx_error *err);
/* Fork the supervisor (detach: twice, when the caller becomes the program,
 * and it ends with the filter's users; else *sup is filled and it ends when
 * sup->end_fd is closed or the filter's users are gone). */
int ln_notify_fork(struct ln_ctx *c, const struct sbx_prepared *pp, bool detach,
		   struct ln_supervisor *sup, struct sbx_error *err);
/* In the program, right after sbx_prepared_apply: send the listener fd. */
int ln_notify_handoff(struct ln_ctx *c, const struct sbx_prepared *pp, struct sbx_error *err);
/* The policy says "report": true. */
bool ln_notify_reports(const struct sbx_policy *p);
/* The report supervisor's answer to one notification (a denial: the
 * policy's errno and a line on `chan`), and its end (the unshown counts). */
struct seccomp_notif;
void ln_notify_answer(const struct sbx_prepared *pp, int lfd, int chan,
		      const struct seccomp_notif *req);
/* A denial's violation line (and count), answered by the caller. */
void ln_notify_report(int chan, const struct seccomp_notif *req, int e);
__attribute__((noreturn)) void ln_notify_exit(int chan, int code);
void ln_notify_counts(int chan);

/* ---- unixsup.c (net.unixPaths: the unix-socket supervisor) ---- */
struct ln_usup;
/* Before the view: state for net.unixPaths in c->usup (NULL without). */
int ln_usup_begin(struct ln_ctx *c, const struct sbx_policy *p, struct sbx_error *err);
/* rootfs.c: `path` (staging root) is a filesystem this sandbox made: the
 * sockets on it are the sandbox's own. */
void ln_usup_own_fs(struct ln_ctx *c, const char *path);
/* After the view and the working directory: the listed sockets, opened and
 * checked (a socket) in the sandbox's view. */
int ln_usup_open(struct ln_ctx *c, const struct sbx_policy *p, struct sbx_error *err);
/* The init, after forking the program: the listed sockets are not its. */
void ln_usup_init_forked(struct ln_ctx *c);
/* The program, after every step but seccomp: fork. The child goes on as the
 * program; this process becomes its supervisor (the same Landlock domain,
 * the program's parent: an ancestor, as Yama wants for pidfd_getfd), which
 * forwards signals to it and ends like it. Then, in the program under the
 * filter: the listener to the supervisor. */
int ln_usup_fork(struct ln_ctx *c, const struct sbx_prepared *pp, struct sbx_error *err);
int ln_usup_handoff(struct ln_ctx *c, const struct sbx_prepared *pp, struct sbx_error *err);

/* `--explain`: the plan as JSON on stdout, then exit 0. */
__attribute__((noreturn)) void ln_explain(const struct sbx_spawn_plan *plan, bool report);

/* ---- limits.c (memory, pids, cpu, wallTime, cpuTime) ---- */
struct ln_limits;
/* Before the namespaces: a mechanism for each limit, the cgroups made, a
 * `limit` line each (or `skipped`), in c->limits (NULL when the plan has no
 * limits); -1 with err when a limit to enforce has no mechanism (the
 * cgroups made are removed again). */
int ln_limits_setup(struct ln_ctx *c, struct sbx_error *err);
/* After the namespaces: pids.max (counting the init when there is one). */
int ln_limits_arm(struct ln_ctx *c, struct sbx_error *err);
/* The first child (init, or the program): into the cgroups, first thing. */
int ln_limits_join(struct ln_ctx *c, struct sbx_error *err);
/* The init after forking the program: drop its copy of the exec watch. */
void ln_limits_forked(struct ln_ctx *c);
/* The program before sbx_prepared_apply: the rlimit fallbacks. */
int ln_limits_rlimits(struct ln_ctx *c, struct sbx_error *err);
/* A sandbox prepared ahead (slot.c), in the program when its request
 * came: the request's channel and stderr to the supervisor, which until
 * then had only the event buffer and /dev/null. */
void ln_limits_handoff(struct ln_ctx *c, int chan, int err_fd);
/* The launcher: kill what is left in the cgroups and remove them (no-op in
 * any other process, and without limits). */
void ln_limits_cleanup(struct ln_ctx *c);
/* The launcher after forking `child` (the init when is_init): relay signals,
 * enforce the time limits, report the end, clean up, end like the program. */
__attribute__((noreturn)) void ln_limits_supervise(struct ln_ctx *c, pid_t child, int status_fd,
						   bool is_init);
/* ---- end limits.c ---- */

#endif /* SBX_LAUNCHER_H */
