/*
 * `sbx-launcher --server`: the spawn door's long-lived helper (docs/spawn.md,
 * "The spawn server"). sbx.spawn starts it once per Node process; each
 * request is then a fork of this small process instead of a fork of Node and
 * an exec of the launcher, and runs the very same code as `sbx-launcher --`
 * from there on (launch.c, ln_launch).
 *
 *   fd 3  stream socket to Node: {"id":N,"status":S} when a sandbox ended
 *         (S: the raw wait status of its first process, which ends like
 *         the program did)
 *   fd 4  seqpacket socket with Node: requests with their fds (request.h);
 *         each spawn request is answered right away on it, {"pid":P} or
 *         {"error":"..."}, so that child.pid is known when spawn() returns
 *
 * Prepared sandboxes. For a policy it has served, the server keeps the
 * parsed policy and plan, and, once a sandbox of that policy has ended, one
 * sandbox built ahead of the next request: namespaces made, the view
 * mounted, Landlock paths opened, waiting in ln_slot_activate() for its
 * stdio, channel, argv and environment. It serves exactly one request and
 * is never reused; it is only taken for a request with the same policy
 * text, working directory (same inode), $HOME, $TMPDIR, $PATH and verbosity, and
 * only when it is younger than SLOT_MAX_AGE_MS, so that it cannot show an
 * old view of a host that changed. Policies with time limits, reports,
 * net.unixPaths or copy-on-write, and policy texts that read files (a path,
 * `extends` of a file, `import`), are never prepared ahead: they take the
 * cold path. net.hosts is (listener_warmable).
 */
#include "channel.h"
#include "policy.h"
#include "launcher.h"
#include "request.h"
#include "sbx_apply.h"
#include "sbx_policy.h"
#include "kernel_defs.h"

#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define CTL_FD 3
#define REQ_FD 4
#define MAX_ENTRIES 8
#define SLOT_MAX_AGE_MS 10000
#define SLOT_MAX_FAILURES 3
/* launcher.h: below it, a prepared sandbox's fds are /dev/null until its
 * request comes (slot.c). */
#define SLOT_FD_BASE LN_SLOT_FD_BASE

struct srv_entry {
	bool used;
	uint32_t gen;
	char *policy;
	size_t plen;
	char *cwd, *home, *tmpdir;
	char *path;                     /* $PATH: home "toolchains" binds by it */
	bool verbose;
	dev_t dev;
	ino_t ino;
	struct sbx_policy *p;           /* NULL: loading failed (the worker reports) */
	struct sbx_spawn_plan *plan;    /* with p */
	bool warmable;
	pid_t slot;                     /* 0: none */
	int slot_sock;
	uint64_t slot_born, last_used;
	int slot_failures;
	uint64_t slot_fp;               /* protect_fingerprint() before the slot */
};

struct srv_job {
	uint32_t id;
	pid_t pid;
	int entry;                      /* -1: uncached */
	uint32_t gen;
	int fd;                         /* the launcher's early status; -1 once read */
	bool reported;
	bool warm;                      /* LN_REQ_WARM: the next one may be prepared */
};

struct srv {
	int sigfd;
	struct srv_entry e[MAX_ENTRIES];
	uint32_t gen;
	struct srv_job *jobs;
	size_t njobs, capjobs;
	unsigned char *buf;
	/* Event lines not yet taken by Node: the server never blocks on
	 * them (Node may be busy sending requests and waiting for answers). */
	char *out;
	size_t outlen, outcap;
};

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* The answer to a spawn request, on the request socket. */
static void answer(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void answer(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n > 0 && (size_t)n < sizeof(line) && send(REQ_FD, line, (size_t)n, MSG_NOSIGNAL) < 0 &&
	    errno != EINTR)
		_exit(0);       /* Node is gone: so are we (the workers follow) */
}

/* Send what is queued for Node, as far as the socket takes it now. */
static void flush(struct srv *s)
{
	size_t off = 0;
	while (off < s->outlen) {
		ssize_t w = send(CTL_FD, s->out + off, s->outlen - off, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN)
			break;
		if (w <= 0)
			_exit(0);       /* Node is gone: so are we (the workers follow) */
		off += (size_t)w;
	}
	memmove(s->out, s->out + off, s->outlen - off);
	s->outlen -= off;
}

/* An event line on the control stream (queued, then flushed). */
static void reply(struct srv *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void reply(struct srv *s, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n <= 0 || (size_t)n >= sizeof(line))
		return;
	if (s->outlen + (size_t)n > s->outcap) {
		size_t cap = (s->outlen + (size_t)n) * 2;
		char *p = realloc(s->out, cap);
		if (!p)
			_exit(LN_EXIT_SETUP);   /* cannot tell Node: end, the sandboxes follow */
		s->out = p;
		s->outcap = cap;
	}
	memcpy(s->out + s->outlen, line, (size_t)n);
	s->outlen += (size_t)n;
	flush(s);
}

static const char *env_get(char **envp, const char *name)
{
	size_t n = strlen(name);
	for (; envp && *envp; envp++)
		if (!strncmp(*envp, name, n) && (*envp)[n] == '=')
			return *envp + n + 1;
	return NULL;
}

static bool str_eq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

/* A policy text whose meaning depends on nothing but itself and the key:
 * no file is read (a path, `import`, or `extends` naming a file). Textual
 * and conservative: a false "no" only costs the cold path. */
static bool cacheable(const char *text, size_t len)
{
	if (memchr(text, '\0', len))
		return false;
	switch (sbx_policy_source_kind(text, len, NULL)) {
	case SBX_SOURCE_EMPTY:
	case SBX_SOURCE_PRESET:
		return true;
	case SBX_SOURCE_FILE:
		return false;
	default:
		break;
	}
	if (strstr(text, "\"import\""))
		return false;
	for (const char *x = strstr(text, "\"extends\""); x; x = strstr(x + 1, "\"extends\"")) {
		/* the value: up to the end of a string or an array of them */
		const char *v = x + 9;
		v += strspn(v, " \t\r\n:");
		const char *end = *v == '[' ? strchr(v, ']') : strchr(v + 1, '"');
		if (!end)
			return false;
		for (const char *q = v; q < end; q++)
			if (*q == '/' || *q == '\\' || !strncmp(q, ".json", 5))
				return false;
	}
	return true;
}

static void entry_drop_slot(struct srv_entry *en)
{
	if (en->slot > 0) {
		/* With limits the slot is their supervisor, which passes
		 * SIGTERM on and removes its cgroups once the sandbox is gone
		 * (limits.c); SIGKILL would leave them to the next sweep. */
		kill(en->slot, en->plan && en->plan->limits_asked ? SIGTERM : SIGKILL);
		close(en->slot_sock);
	}
	en->slot = 0;
	en->slot_sock = -1;
}

static void entry_free(struct srv_entry *en)
{
	entry_drop_slot(en);
	free(en->policy);
	free(en->cwd);
	free(en->home);
	free(en->tmpdir);
	free(en->path);
	sbx_policy_free(en->p);
	sbx_spawn_plan_free(en->plan);
	memset(en, 0, sizeof(*en));
	en->slot_sock = -1;
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

/*
 * A filter with a listener (its supervisor answers calls) is prepared ahead
 * only for net.hosts alone: the socket supervisor and the egress process
 * (its own, forked by the prepared sandbox for this policy; nothing is
 * shared with another sandbox) need nothing of the request's. Not with
 * `report`, whose lines go on the request's channel from processes made
 * before it; not with net.unixPaths, whose listed sockets are opened (and
 * their inodes fixed) when the sandbox is built, which must not be up to
 * SLOT_MAX_AGE_MS before the request.
 */
static bool listener_warmable(const struct sbx_policy *p)
{
	if (!ln_notify_prepare_flags(p))
		return true;
	return p->net.hosts.set && !ln_notify_reports(p) && !p->net.unix_paths.set;
}

/* The entry for this request: found, made (evicting the least recently
 * used), or -1 when the policy is not cacheable. */
static int entry_for(struct srv *s, const struct ln_request *r, const struct stat *cwd_st)
{
	const char *home = env_get(r->envp, "HOME"), *tmpdir = env_get(r->envp, "TMPDIR");
	const char *path = env_get(r->envp, "PATH");
	bool verbose = r->flags & LN_REQ_VERBOSE;
	for (int i = 0; i < MAX_ENTRIES; i++) {
		struct srv_entry *en = &s->e[i];
		if (en->used && en->plen == r->policy_len && !memcmp(en->policy, r->policy, en->plen) &&
		    !strcmp(en->cwd, r->cwd) && str_eq(en->home, home) && str_eq(en->tmpdir, tmpdir) &&
		    str_eq(en->path, path) && en->verbose == verbose && en->dev == cwd_st->st_dev && en->ino == cwd_st->st_ino) {
			en->last_used = now_ms();
			return i;
		}
	}
	if (!cacheable(r->policy, r->policy_len))
		return -1;
	int pick = 0;
	for (int i = 0; i < MAX_ENTRIES; i++) {
		if (!s->e[i].used) {
			pick = i;
			break;
		}
		if (s->e[i].last_used < s->e[pick].last_used)
			pick = i;
	}
	struct srv_entry *en = &s->e[pick];
	if (en->used)
		entry_free(en);
	en->used = true;
	en->gen = ++s->gen;
	en->policy = malloc(r->policy_len + 1);
	en->cwd = strdup(r->cwd);
	en->home = dup_or_null(home);
	en->tmpdir = dup_or_null(tmpdir);
	en->path = dup_or_null(path);
	if (!en->policy || !en->cwd || (home && !en->home) || (tmpdir && !en->tmpdir) ||
	    (path && !en->path)) {
		entry_free(en);
		return -1;
	}
	memcpy(en->policy, r->policy, r->policy_len + 1);
	en->plen = r->policy_len;
	en->verbose = verbose;
	en->dev = cwd_st->st_dev;
	en->ino = cwd_st->st_ino;
	en->slot_sock = -1;
	en->last_used = now_ms();
	/* Loaded the way the launcher loads it, in the request's environment
	 * ($HOME, $TMPDIR); a failure is left for the worker to report. */
	char **saved = environ;
	environ = r->envp;
	struct sbx_error err;
	struct sbx_policy_load_opts opts = { .cwd = r->cwd, .max_bytes = LN_POLICY_MAX };
	if (!ln_channel_load(r->policy, r->policy_len, &opts, &en->p, &err) &&
	    ln_plan_build(en->p, r->cwd, &en->plan, &err)) {
		sbx_policy_free(en->p);
		en->p = NULL;
	}
	environ = saved;
	/* Limits are prepared ahead too (their cgroups made with the
	 * sandbox), but not the time limits, whose clocks would run ahead. */
	en->warmable = en->p && listener_warmable(en->p) &&
		       !(en->plan->limits_asked &&
			 (en->plan->limits.has_wall || en->plan->limits.has_cputime));
	return pick;
}

static bool job_add(struct srv *s, uint32_t id, pid_t pid, int entry, int fd, bool warm)
{
	if (s->njobs == s->capjobs) {
		size_t cap = s->capjobs ? s->capjobs * 2 : 64;
		struct srv_job *j = realloc(s->jobs, cap * sizeof(*j));
		if (!j) {
			kill(pid, SIGKILL);
			close(fd);
			answer("{\"error\":\"out of memory\"}");
			return false;
		}
		s->jobs = j;
		s->capjobs = cap;
	}
	s->jobs[s->njobs++] = (struct srv_job){ .id = id, .pid = pid, .entry = entry, .fd = fd, .warm = warm,
						 .gen = entry >= 0 ? s->e[entry].gen : 0 };
	answer("{\"pid\":%d}", (int)pid);
	return true;
}

/* In a fresh child of the server: no mask, default SIGPIPE, no server fds
 * beyond those the caller keeps. */
static void child_reset(void)
{
	sigset_t none;
	sigemptyset(&none);
	signal(SIGPIPE, SIG_DFL);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/* Move `fds[0..n-1]` to 0..n-1 and close everything above. The copies go
 * at n or above, clear of every target, and no higher than they must: a
 * Node with a low RLIMIT_NOFILE (64) has no fd above SLOT_FD_BASE. */
static int fds_place(const int *fds, int n)
{
	int tmp[LN_REQ_MAX_FDS + 2];
	for (int i = 0; i < n; i++) {
		tmp[i] = fcntl(fds[i], F_DUPFD, n);
		if (tmp[i] < 0)
			return -errno;
	}
	for (int i = 0; i < n; i++)
		if (dup2(tmp[i], i) < 0)
			return -errno;
	return syscall(__NR_close_range, (unsigned)n, ~0U, 0) ? -errno : 0;
}

static __attribute__((noreturn)) void worker(struct srv_entry *en, const struct ln_request *r,
					     const int *fds, int report)
{
	child_reset();
	int n = (int)r->nfds;
	struct ln_ctx c = { .chan_fd = n, .keep_fds = n, .parent_pid = getppid(), .notify_sock = -1,
			    .notify_peer = -1, .slot_sock = -1, .slot_buf = -1, .report_fd = n + 1,
			    .empty_dir = -1, .empty_file = -1,
			    .verbose = r->flags & LN_REQ_VERBOSE, .argv = r->argv, .argv0 = r->argv0,
			    .quiet = !(r->flags & LN_REQ_NOTICE) };
	struct sbx_error err;
	sbx_error_clear(&err);
	int all[LN_REQ_MAX_FDS + 2];
	memcpy(all, fds, sizeof(int) * (size_t)(n + 1));
	all[n + 1] = report;
	if (report < 0)
		c.report_fd = -1;
	int rc = fds_place(all, report < 0 ? n + 1 : n + 2);
	if (rc) {
		/* Said on the channel, still where it came (EMFILE: the fd table is full). */
		c.chan_fd = fds[n];
		c.report_fd = -1;
		sbx_error_sys(&err, -rc, "fcntl", NULL, "placing the request's %d stdio fds: %s", n,
			      strerror(-rc));
		ln_fail(&c, "stdio", &err);
	}
	if (fcntl(n, F_SETFD, FD_CLOEXEC) || (report >= 0 && fcntl(n + 1, F_SETFD, FD_CLOEXEC)))
		_exit(LN_EXIT_SETUP);
	environ = r->envp;
	if (chdir(r->cwd)) {
		sbx_error_sys(&err, errno, "chdir", NULL, "working directory %s: %s", r->cwd,
			      strerror(errno));
		ln_fail(&c, "cwd", &err);
	}
	struct sbx_policy *p = en ? en->p : NULL;
	if (p) {
		c.plan = en->plan;
	} else {
		struct sbx_policy_load_opts opts = { .cwd = r->cwd, .max_bytes = LN_POLICY_MAX };
		if (ln_channel_load(r->policy, r->policy_len, &opts, &p, &err))
			ln_fail(&c, "policy", &err);
		struct sbx_spawn_plan *plan = NULL;
		if (ln_plan_build(p, r->cwd, &plan, &err))
			ln_fail(&c, "plan", &err);
		c.plan = plan;
	}
	ln_launch(&c, p);
}

static __attribute__((noreturn)) void slot_main(struct srv_entry *en, int sock)
{
	child_reset();
	int buf[2];
	int nul = open("/dev/null", O_RDWR);
	if (nul < 0 || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, buf))
		_exit(LN_EXIT_SETUP);
	/* A server with many sandboxes running has fds at and above
	 * SLOT_FD_BASE: one of these four may already be the target of
	 * another's dup3() (which would close it) or its own (EINVAL). Above
	 * the targets first, then into place. */
	int src[4] = { sock, buf[0], buf[1], nul };
	for (int i = 0; i < 4; i++)
		if ((src[i] = fcntl(src[i], F_DUPFD_CLOEXEC, SLOT_FD_BASE + 8)) < 0)
			_exit(LN_EXIT_SETUP);
	for (int i = 0; i < 4; i++)
		if (dup3(src[i], SLOT_FD_BASE + i, O_CLOEXEC) < 0)
			_exit(LN_EXIT_SETUP);
	for (int fd = 0; fd < SLOT_FD_BASE; fd++)
		if (dup2(SLOT_FD_BASE + 3, fd) < 0)
			_exit(LN_EXIT_SETUP);
	if (syscall(__NR_close_range, SLOT_FD_BASE + 3U, ~0U, 0))
		_exit(LN_EXIT_SETUP);
	static char *no_env[] = { NULL };
	static char *no_argv[] = { "sbx-slot", NULL };
	environ = no_env;
	struct ln_ctx c = { .chan_fd = SLOT_FD_BASE + 1, .keep_fds = 3, .parent_pid = getppid(),
			    .notify_sock = -1, .notify_peer = -1, .slot_sock = SLOT_FD_BASE,
			    .slot_buf = SLOT_FD_BASE + 2, .report_fd = SLOT_FD_BASE,
			    .verbose = en->verbose, .argv = no_argv, .quiet = true,
			    .plan = en->plan, .empty_dir = -1, .empty_file = -1 };
	if (chdir(en->cwd))
		_exit(LN_EXIT_SETUP);
	ln_launch(&c, en->p);
}

/*
 * What the host looks like at the plan's protected and hidden paths (paths.c
 * decides from it: present or not, of which kind, and for a missing one,
 * whether its parent is there). Taken before a sandbox is prepared and again
 * at its request: a path that appeared meanwhile (`git init`, a new
 * .vscode) would be unprotected in the prepared view, so a different answer
 * sends the request down the cold path, which looks again.
 */
static uint64_t protect_fingerprint(const struct sbx_spawn_plan *plan)
{
	uint64_t h = 1469598103934665603ULL, last_v = 0;
	char parent[PATH_MAX], last[PATH_MAX] = "";

	for (size_t i = 0; i < plan->nprotect; i++) {
		const char *path = plan->protect[i].host;
		struct stat st;
		uint64_t v[3] = { 0, 0, 0 };

		if (lstat(path, &st) == 0) {
			v[0] = (uint64_t)(st.st_mode & S_IFMT);
			v[1] = (uint64_t)st.st_ino;
			v[2] = (uint64_t)st.st_dev;
		} else {
			const char *slash = strrchr(path, '/');
			size_t n = slash ? (size_t)(slash - path) : 0;

			v[0] = (uint64_t)errno << 32;
			if (n && n < sizeof(parent)) {
				memcpy(parent, path, n);
				parent[n] = '\0';
				/* Entries share parents (the working directory): asked once. */
				if (strcmp(parent, last)) {
					last_v = lstat(parent, &st) ? 0 :
						 (uint64_t)(st.st_mode & S_IFMT) << 32 | (uint64_t)st.st_ino;
					memcpy(last, parent, n + 1);
				}
				v[1] = last_v;
			}
		}
		for (int k = 0; k < 3; k++)
			for (int b = 0; b < 8; b++)
				h = (h ^ ((v[k] >> (8 * b)) & 0xff)) * 1099511628211ULL;
	}
	return h;
}

/* Would the view make an empty directory on the host for a missing
 * protected path (paths.c)? Then no sandbox is prepared ahead: that would
 * change the host after the request that asked for it ended (and race with
 * whoever removes the directory meanwhile); the next request makes it, cold,
 * and the sandboxes after it find it there. */
static bool needs_placeholder(const struct sbx_spawn_plan *plan)
{
	char parent[PATH_MAX];
	struct stat st;

	for (size_t i = 0; i < plan->nprotect; i++) {
		const struct sbx_spawn_protect *e = &plan->protect[i];
		const char *slash = strrchr(e->host, '/');
		size_t n = slash ? (size_t)(slash - e->host) : 0;

		if (e->hide || e->optional || !n || n >= sizeof(parent) || lstat(e->host, &st) == 0 ||
		    errno != ENOENT)
			continue;
		memcpy(parent, e->host, n);
		parent[n] = '\0';
		if (stat(parent, &st) == 0 && S_ISDIR(st.st_mode) && access(parent, W_OK) == 0)
			return true;
	}
	return false;
}

static void slot_start(struct srv *s, int i)
{
	struct srv_entry *en = &s->e[i];
	if (!en->used || !en->warmable || en->slot > 0 || en->slot_failures >= SLOT_MAX_FAILURES ||
	    needs_placeholder(en->plan))
		return;
	/* A prepared sandbox keeps fds up to SLOT_FD_BASE + 8 (slot_main):
	 * under a lower RLIMIT_NOFILE, requests take the cold path. */
	struct rlimit nofile;
	if (getrlimit(RLIMIT_NOFILE, &nofile) || nofile.rlim_cur <= SLOT_FD_BASE + 16)
		return;
	int sp[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp))
		return;
	en->slot_fp = protect_fingerprint(en->plan);
	if (en->plan->ns_flags)
		ln_host_learn();        /* host.c: once per server */
	pid_t pid = fork();
	if (pid == 0) {
		close(sp[0]);
		slot_main(en, sp[1]);
	}
	close(sp[1]);
	if (pid < 0) {
		close(sp[0]);
		return;
	}
	en->slot = pid;
	en->slot_sock = sp[0];
	en->slot_born = now_ms();
}

static void handle_spawn(struct srv *s, const struct ln_request *r, size_t len, const int *fds,
			 int nfds)
{
	if (nfds != (int)r->nfds + 1 || r->nfds < 3) {
		answer("{\"error\":\"request carries %d fds, expected %u\"}", nfds, r->nfds + 1);
		return;
	}
	struct stat st;
	int entry = -1;
	if (stat(r->cwd, &st) == 0)
		entry = entry_for(s, r, &st);
	struct srv_entry *en = entry >= 0 ? &s->e[entry] : NULL;
	if (en && en->slot > 0 && (r->flags & LN_REQ_WARM)) {
		pid_t pid = en->slot;
		bool fresh = now_ms() - en->slot_born <= SLOT_MAX_AGE_MS &&
			     protect_fingerprint(en->plan) == en->slot_fp;
		/* Node is answered before the sandbox is woken: woken first,
		 * the sandbox took this CPU (its execve) while Node, blocked
		 * on this answer and woken onto the same CPU, waited behind
		 * it (measured: 150-750 µs). First the sandbox must be able to
		 * take the request (its socket writable, its end open); if the
		 * hand-over still fails, it is killed and the caller sees that
		 * (SIGKILL), never a second start. */
		struct pollfd pf = { .fd = en->slot_sock, .events = POLLOUT };
		if (fresh && poll(&pf, 1, 0) == 1 && pf.revents == POLLOUT) {
			int fd = en->slot_sock;         /* now the early status */
			en->slot = 0;
			en->slot_sock = -1;
			if (job_add(s, r->id, pid, entry, fd, true) &&
			    ln_request_send(fd, s->buf, len, fds, nfds, MSG_DONTWAIT) != 0)
				kill(pid, SIGKILL);
			return;
		}
		entry_drop_slot(en);
	}
	int rp[2] = { -1, -1 };
	if ((r->flags & LN_REQ_EARLY_EXIT) && socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, rp)) {
		answer("{\"error\":\"socketpair: %s\"}", strerror(errno));
		return;
	}
	ln_host_learn();                /* host.c: once per server */
	pid_t pid = fork();
	if (pid == 0)
		worker(en, r, fds, rp[1]);
	if (rp[1] >= 0)
		close(rp[1]);
	if (pid < 0) {
		if (rp[0] >= 0)
			close(rp[0]);
		answer("{\"error\":\"fork: %s\"}", strerror(errno));
		return;
	}
	job_add(s, r->id, pid, entry, rp[0], r->flags & LN_REQ_WARM);
}

/* A seqpacket reads 0 bytes both at end-of-file and for an empty datagram:
 * only the first is Node gone. */
static bool peer_gone(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLRDHUP };
	return poll(&p, 1, 0) != 0 && (p.revents & (POLLHUP | POLLRDHUP | POLLERR | POLLNVAL));
}

static void handle_request(struct srv *s)
{
	int fds[LN_REQ_MAX_FDS + 1];
	int nfds, trunc;
	long n = ln_request_recv(REQ_FD, s->buf, LN_REQ_MAX_BYTES, fds, &nfds, &trunc);
	if (n == -EAGAIN)
		return;
	if (n < 0 || (n == 0 && peer_gone(REQ_FD)))
		_exit(0);               /* Node closed its end */
	/* n == 0 with Node there: an empty datagram, malformed below */
	struct ln_request r;
	if (ln_request_parse(s->buf, (size_t)n, &r)) {
		answer("{\"error\":\"malformed request\"}");
	} else if (r.type == LN_REQ_KILL) {
		for (size_t i = 0; i < s->njobs; i++)
			if (s->jobs[i].id == r.id)
				kill(s->jobs[i].pid, (int)r.sig);
	} else if (trunc) {
		answer("{\"error\":\"request too large\"}");
	} else {
		handle_spawn(s, &r, (size_t)n, fds, nfds);
	}
	ln_request_free(&r);
	for (int i = 0; i < nfds; i++)
		close(fds[i]);
}

/* The launcher said how the sandbox ended (its pid namespace is empty);
 * EOF without a word: the waitpid status will tell. */
static void early_status(struct srv *s, struct srv_job *j)
{
	int st;
	ssize_t n = recv(j->fd, &st, sizeof(st), MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n == (ssize_t)sizeof(st) && !j->reported) {
		reply(s, "{\"id\":%u,\"status\":%d}\n", j->id, st);
		j->reported = true;
		/* The next sandbox of this policy now, not at the reap: with
		 * limits the launcher still removes its cgroups (limits.c). */
		if (j->warm && j->entry >= 0 && s->e[j->entry].used && s->e[j->entry].gen == j->gen)
			slot_start(s, j->entry);
	}
	close(j->fd);
	j->fd = -1;
}

static void reap(struct srv *s)
{
	struct signalfd_siginfo si;
	while (read(s->sigfd, &si, sizeof(si)) > 0)
		;
	int st;
	pid_t pid;
	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		bool job = false;
		for (size_t i = 0; i < s->njobs; i++) {
			if (s->jobs[i].pid != pid)
				continue;
			struct srv_job j = s->jobs[i];
			s->jobs[i] = s->jobs[--s->njobs];
			/* killed (SIGKILL mid-setup): its cgroups are ours to remove */
			if (WIFSIGNALED(st))
				ln_leftovers_add(pid);
			if (j.fd >= 0)
				close(j.fd);
			if (!j.reported)
				reply(s, "{\"id\":%u,\"status\":%d}\n", j.id, st);
			/* The next sandbox of this policy, made while nobody waits. */
			if (j.warm && j.entry >= 0 && s->e[j.entry].used && s->e[j.entry].gen == j.gen)
				slot_start(s, j.entry);
			job = true;
			break;
		}
		if (job)
			continue;
		for (int i = 0; i < MAX_ENTRIES; i++) {
			if (s->e[i].used && s->e[i].slot == pid) {
				/* died before its request: not made again and again */
				s->e[i].slot_failures++;
				if (WIFSIGNALED(st))
					ln_leftovers_add(pid);
				close(s->e[i].slot_sock);
				s->e[i].slot = 0;
				s->e[i].slot_sock = -1;
			}
		}
	}
}

/* Prepared sandboxes past their age are dropped; the poll timeout until the
 * next one is due (-1: none). */
static int expire(struct srv *s)
{
	uint64_t t = now_ms();
	int64_t next = -1;
	for (int i = 0; i < MAX_ENTRIES; i++) {
		struct srv_entry *en = &s->e[i];
		if (!en->used || en->slot <= 0)
			continue;
		uint64_t due = en->slot_born + SLOT_MAX_AGE_MS;
		if (due <= t) {
			entry_drop_slot(en);
			continue;
		}
		if (next < 0 || (int64_t)(due - t) < next)
			next = (int64_t)(due - t);
	}
	int left = ln_leftovers_sweep();
	if (left >= 0 && (next < 0 || left < next))
		next = left;
	return (int)next;
}

/* Node has gone. Prepared sandboxes with limits are asked to end and
 * waited for a moment: they die with this process (dieWithParent), and
 * would leave their cgroups to the next sweep. */
static __attribute__((noreturn)) void server_exit(struct srv *s)
{
	pid_t wait_for[MAX_ENTRIES];
	int n = 0;
	for (int i = 0; i < MAX_ENTRIES; i++) {
		if (s->e[i].used && s->e[i].slot > 0 && s->e[i].plan && s->e[i].plan->limits_asked)
			wait_for[n++] = s->e[i].slot;
		entry_drop_slot(&s->e[i]);
	}
	for (int t = 0; t < 200 && n > 0; t++) {
		for (int i = 0; i < n; i++)
			if (waitpid(wait_for[i], NULL, WNOHANG) != 0)
				wait_for[i--] = wait_for[--n];
		struct timespec ts = { 0, 5 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	_exit(0);
}

int ln_server_main(int argc, char **argv)
{
	(void)argv;
	if (argc != 0) {
		dprintf(2, "sbx-launcher --server takes no arguments\n");
		return LN_EXIT_SETUP;
	}
	pid_t parent = getppid();
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) || getppid() != parent)
		return LN_EXIT_SETUP;
	/* Node's fds without CLOEXEC reach us too: keep stdio and ours only. */
	if (syscall(__NR_close_range, REQ_FD + 1U, ~0U, 0))
		return LN_EXIT_SETUP;
	signal(SIGPIPE, SIG_IGN);
	sigset_t chld;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, NULL);
	static struct srv s;
	s.sigfd = signalfd(-1, &chld, SFD_NONBLOCK | SFD_CLOEXEC);
	s.buf = malloc(LN_REQ_MAX_BYTES);
	if (s.sigfd < 0 || !s.buf || fcntl(CTL_FD, F_SETFD, FD_CLOEXEC) ||
	    fcntl(REQ_FD, F_SETFD, FD_CLOEXEC))
		return LN_EXIT_SETUP;
	for (int i = 0; i < MAX_ENTRIES; i++)
		s.e[i].slot_sock = -1;
	struct pollfd *pf = NULL;
	size_t cap = 0;
	for (;;) {
		if (cap < s.njobs + 3) {
			cap = (s.njobs + 3) * 2;
			struct pollfd *np = realloc(pf, cap * sizeof(*pf));
			if (!np)
				return LN_EXIT_SETUP;
			pf = np;
		}
		pf[0] = (struct pollfd){ .fd = REQ_FD, .events = POLLIN };
		pf[1] = (struct pollfd){ .fd = s.sigfd, .events = POLLIN };
		size_t nj = s.njobs;
		for (size_t i = 0; i < nj; i++)
			pf[2 + i] = (struct pollfd){ .fd = s.jobs[i].fd, .events = POLLIN };
		pf[2 + nj] = (struct pollfd){ .fd = s.outlen ? CTL_FD : -1, .events = POLLOUT };
		int r = poll(pf, 3 + nj, expire(&s));
		if (r < 0 && errno != EINTR)
			return LN_EXIT_SETUP;
		if (r <= 0)
			continue;
		/* Early statuses first: the jobs array is as polled until reap(). */
		for (size_t i = 0; i < nj; i++)
			if (pf[2 + i].revents && s.jobs[i].fd >= 0)
				early_status(&s, &s.jobs[i]);
		if (pf[2 + nj].revents)
			flush(&s);
		if (pf[1].revents)
			reap(&s);
		if (pf[0].revents & POLLIN)
			handle_request(&s);
		else if (pf[0].revents & (POLLHUP | POLLERR))
			server_exit(&s);
	}
}
