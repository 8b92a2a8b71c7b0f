/*
 * `limits`: memory, pids, cpu share, wall-clock and CPU time (docs/spawn.md,
 * "Limits"). For each limit the first mechanism that works here:
 *
 *   memory   cgroup v2 memory.max → v1 memory.limit_in_bytes → RLIMIT_AS
 *   pids     cgroup v2 pids.max   → v1 pids.max              → RLIMIT_NPROC
 *            (not for the host's root user, whom the kernel exempts)
 *   cpu      cgroup v2 cpu.max    → v1 cpu.cfs_quota_us      → none
 *   cpuTime  cgroup v2 cpu.stat   → v1 cpuacct.usage (both polled by the
 *            launcher, the whole tree)              → RLIMIT_CPU (per process)
 *   wallTime the launcher's timer
 *
 * The cgroups (sbx-<pid>-<random>, children of the launcher's own cgroup in
 * each hierarchy) are made before the namespaces, while the launcher still
 * sees the host's /sys/fs/cgroup; it keeps directory fds because the view is
 * replaced later. The first child (the init, or the program without a pid
 * namespace) moves itself in before doing anything else. The launcher stays
 * as the supervisor: it kills the whole tree when a time limit is reached
 * (the init with a pid namespace: pid 1's death empties it; else the cgroup,
 * then the process group), reports how the sandbox ended on the channel,
 * and removes the cgroups once they are empty.
 */
#include "launcher.h"
#include "event_lines.h"
#include "sbx_cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { LIM_MEMORY, LIM_PIDS, LIM_CPU, LIM_WALL, LIM_CPUTIME, LIM_COUNT };
static const char *const lim_key[LIM_COUNT] = { "memory", "pids", "cpu", "wallTime", "cpuTime" };

enum { M_NONE, M_V2, M_V1, M_RLIMIT, M_TIMER };
static const char *const mech_name[] = { "none", "cgroup-v2", "cgroup-v1", "rlimit", "timer" };

/* v1 hierarchies we may need, by controller. */
enum { H_MEMORY, H_PIDS, H_CPU, H_CPUACCT, H_COUNT };
static const char *const h_ctrl[H_COUNT] = { "memory", "pids", "cpu", "cpuacct" };

enum { END_NONE, END_TIMEOUT, END_CPUTIME, END_MEMORY };

struct cg {
	int fd;                  /* the sandbox's cgroup, -1 when none        */
	int parent_fd;           /* its parent (O_PATH), for rmdir            */
	int procs_fd;            /* its cgroup.procs, opened for the join     */
	char name[48];
	char parent[PATH_MAX];
	struct cg *same;         /* co-mounted with an earlier one (cpu,cpuacct) */
};

struct ln_limits {
	int mech[LIM_COUNT];
	struct cg v2;
	struct cg v1[H_COUNT];
	int pids_fd;             /* pids.max, written once the pid ns is known */
	int exec_rd, exec_wr;    /* EOF on exec_rd: the program was executed  */
	int err_fd;              /* the launcher's stderr, kept for the end    */
	pid_t owner;             /* the launcher: only it cleans up           */
	bool emptied;            /* the cgroups were seen empty at the end    */
	char why_v2[256];        /* why v2 could not do a limit (last reason) */
	char why_v1[256];
	char why[LIM_COUNT][700];  /* why limit k has no mechanism, as it was */
	struct sbx_cgroup_files files;  /* read once for the whole choice */
};

static void no_mech_reason(const struct ln_limits *l, int k, char *buf, size_t size);

/* Messages may be cut short: they are for people, and never parsed. */
static __attribute__((format(printf, 3, 4))) void say(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, size, fmt, ap);
	va_end(ap);
}

static void cg_init(struct cg *g)
{
	g->fd = g->parent_fd = g->procs_fd = -1;
	g->same = NULL;
}

/* Create the cgroup of `g` under `parent` (once). */
static int cg_make(struct cg *g, const char *parent, char *why, size_t wsize)
{
	struct sbx_error err;
	if (g->fd >= 0)
		return 0;
	/* The sweep of leftovers waits until the sandbox runs (supervise). */
	int fd = sbx_cgroup_create(parent, g->name, sizeof(g->name), &err);
	if (fd < 0) {
		say(why, wsize, "%s", err.message);
		return fd;
	}
	g->fd = fd;
	g->parent_fd = open(parent, O_PATH | O_DIRECTORY | O_CLOEXEC);
	g->procs_fd = openat(fd, "cgroup.procs", O_WRONLY | O_CLOEXEC);
	say(g->parent, sizeof(g->parent), "%s", parent);
	if (g->parent_fd < 0 || g->procs_fd < 0) {
		say(why, wsize, "%s/%s: %s", parent, g->name, strerror(errno));
		return -errno;
	}
	return 0;
}

static int write_u64(int dirfd, const char *file, uint64_t v)
{
	char buf[32];
	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	return sbx_cgroup_write(dirfd, file, buf);
}

/* v2: the controller must be available to our children. */
/*
 * Does RLIMIT_NPROC bind our processes? The kernel exempts only the host's
 * root user (and holders of CAP_SYS_RESOURCE/CAP_SYS_ADMIN in the initial
 * user namespace, which nothing inside another user namespace can hold): uid
 * 0 inside a user namespace mapped to another host uid is bound. One level
 * of mapping is read (/proc/self/uid_map); an id that maps to 0 one level up
 * is treated as root, the safe side (the limit is then refused, not faked).
 */
static bool nproc_binds(void)
{
	uid_t uid = getuid();
	unsigned long in, out, count;
	bool bound = uid != 0;
	FILE *f = fopen("/proc/self/uid_map", "re");

	if (!f)
		return bound;
	while (fscanf(f, "%lu %lu %lu", &in, &out, &count) == 3) {
		if (uid < in || uid - in >= count)
			continue;
		/* The identity map of the initial namespace keeps `bound` as is. */
		if (!(in == 0 && out == 0 && count == 4294967295UL))
			bound = out + (uid - in) != 0;
		break;
	}
	fclose(f);
	return bound;
}

static bool v2_try(struct ln_limits *l, const char *ctrl)
{
	char dir[PATH_MAX];
	struct sbx_error err;
	if (sbx_cgroup_own_dir_in(&l->files, NULL, dir, sizeof(dir), &err)) {
		say(l->why_v2, sizeof(l->why_v2), "cgroup v2: %s", err.message);
		return false;
	}
	int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		say(l->why_v2, sizeof(l->why_v2), "cgroup v2: %s: %s", dir, strerror(errno));
		return false;
	}
	bool ok = false;
	int rc;
	char plus[32];
	snprintf(plus, sizeof(plus), "+%s", ctrl);
	if (sbx_cgroup_has_word(dfd, "cgroup.controllers", ctrl) != 1)
		say(l->why_v2, sizeof(l->why_v2),
			 "cgroup v2: the %s controller is not available in %s", ctrl, dir);
	else if (sbx_cgroup_has_word(dfd, "cgroup.subtree_control", ctrl) != 1 &&
		 (rc = sbx_cgroup_write(dfd, "cgroup.subtree_control", plus)))
		say(l->why_v2, sizeof(l->why_v2),
			 "cgroup v2: cannot enable %s for the children of %s: %s", ctrl, dir,
			 strerror(-rc));
	else
		ok = cg_make(&l->v2, dir, l->why_v2, sizeof(l->why_v2)) == 0;
	close(dfd);
	return ok;
}

/* v1: our cgroup in the hierarchy of `h`, and a child we may create there. */
static bool v1_try(struct ln_limits *l, int h)
{
	char dir[PATH_MAX];
	struct sbx_error err;
	struct cg *g = &l->v1[h];
	if (g->fd >= 0 || g->same)
		return true;
	if (sbx_cgroup_own_dir_in(&l->files, h_ctrl[h], dir, sizeof(dir), &err)) {
		say(l->why_v1, sizeof(l->why_v1), "cgroup v1: %s", err.message);
		return false;
	}
	/* cpu and cpuacct are often one hierarchy: one cgroup, joined once. */
	for (int k = 0; k < H_COUNT; k++) {
		if (k != h && l->v1[k].fd >= 0 && !strcmp(l->v1[k].parent, dir)) {
			g->same = &l->v1[k];
			return true;
		}
	}
	char why[256];
	if (cg_make(g, dir, why, sizeof(why))) {
		say(l->why_v1, sizeof(l->why_v1), "cgroup v1: %s", why);
		return false;
	}
	return true;
}

static struct cg *v1_cg(struct ln_limits *l, int h)
{
	return l->v1[h].same ? l->v1[h].same : &l->v1[h];
}

static void choose(struct ln_ctx *c, struct ln_limits *l)
{
	const struct sbx_spawn_limits *L = &c->plan->limits;
	char buf[64];

	if (L->has_memory) {
		if (v2_try(l, "memory") && !write_u64(l->v2.fd, "memory.max", L->memory)) {
			(void)sbx_cgroup_write(l->v2.fd, "memory.swap.max", "0");
			l->mech[LIM_MEMORY] = M_V2;
		} else if (v1_try(l, H_MEMORY) &&
			   !write_u64(v1_cg(l, H_MEMORY)->fd, "memory.limit_in_bytes", L->memory)) {
			/* Without it the limit would only push the bomb into swap. */
			(void)write_u64(v1_cg(l, H_MEMORY)->fd, "memory.memsw.limit_in_bytes", L->memory);
			l->mech[LIM_MEMORY] = M_V1;
		} else if (!L->memory_cgroup_only) {
			l->mech[LIM_MEMORY] = M_RLIMIT;
		}
		if (!l->mech[LIM_MEMORY])
			no_mech_reason(l, LIM_MEMORY, l->why[LIM_MEMORY], sizeof(l->why[0]));
	}
	if (L->has_pids) {
		const char *v1why = NULL;
		if (v2_try(l, "pids")) {
			l->pids_fd = openat(l->v2.fd, "pids.max", O_WRONLY | O_CLOEXEC);
			l->mech[LIM_PIDS] = l->pids_fd >= 0 ? M_V2 : M_NONE;
		}
		if (!l->mech[LIM_PIDS] && v1_try(l, H_PIDS)) {
			l->pids_fd = openat(v1_cg(l, H_PIDS)->fd, "pids.max", O_WRONLY | O_CLOEXEC);
			l->mech[LIM_PIDS] = l->pids_fd >= 0 ? M_V1 : M_NONE;
			if (l->pids_fd < 0)
				v1why = "pids.max cannot be opened";
		}
		if (!l->mech[LIM_PIDS] && nproc_binds())
			l->mech[LIM_PIDS] = M_RLIMIT;
		if (v1why)
			say(l->why_v1, sizeof(l->why_v1), "cgroup v1: %s", v1why);
		if (!l->mech[LIM_PIDS])
			no_mech_reason(l, LIM_PIDS, l->why[LIM_PIDS], sizeof(l->why[0]));
	}
	if (L->has_cpu) {
		uint64_t quota = L->cpu_milli * 100;    /* per 100 ms period */
		snprintf(buf, sizeof(buf), "%" PRIu64 " 100000", quota);
		if (v2_try(l, "cpu") && !sbx_cgroup_write(l->v2.fd, "cpu.max", buf))
			l->mech[LIM_CPU] = M_V2;
		else if (v1_try(l, H_CPU) &&
			 !write_u64(v1_cg(l, H_CPU)->fd, "cpu.cfs_period_us", 100000) &&
			 !write_u64(v1_cg(l, H_CPU)->fd, "cpu.cfs_quota_us", quota))
			l->mech[LIM_CPU] = M_V1;
		if (!l->mech[LIM_CPU])
			no_mech_reason(l, LIM_CPU, l->why[LIM_CPU], sizeof(l->why[0]));
	}
	if (L->has_cputime) {
		uint64_t u;
		char dir[PATH_MAX];
		struct sbx_error err;
		/* cpu.stat is there in every v2 cgroup, no controller needed. */
		if (l->v2.fd < 0 && !sbx_cgroup_own_dir_in(&l->files, NULL, dir, sizeof(dir), &err))
			(void)cg_make(&l->v2, dir, l->why_v2, sizeof(l->why_v2));
		if (l->v2.fd >= 0 && !sbx_cgroup_read_u64(l->v2.fd, "cpu.stat", "usage_usec", &u))
			l->mech[LIM_CPUTIME] = M_V2;
		else if (v1_try(l, H_CPUACCT) &&
			 !sbx_cgroup_read_u64(v1_cg(l, H_CPUACCT)->fd, "cpuacct.usage", NULL, &u))
			l->mech[LIM_CPUTIME] = M_V1;
		else
			l->mech[LIM_CPUTIME] = M_RLIMIT;
	}
	if (L->has_wall)
		l->mech[LIM_WALL] = M_TIMER;
}

/* Why limit k has no mechanism here. */
static void no_mech_reason(const struct ln_limits *l, int k, char *buf, size_t size)
{
	const char *extra = k == LIM_PIDS ? "; RLIMIT_NPROC does not apply to root" :
			    k == LIM_CPU ? "; there is no rlimit for a CPU share" :
			    k == LIM_MEMORY ? "; a share of the host's memory (\"50%\") is not "
					      "bounded by RLIMIT_AS, which counts address space" : "";
	say(buf, size, "no writable cgroup with the %s controller (%s; %s)%s",
		 k == LIM_PIDS ? "pids" : k == LIM_MEMORY ? "memory" : "cpu", l->why_v2[0] ? l->why_v2 : "cgroup v2: not usable",
		 l->why_v1[0] ? l->why_v1 : "cgroup v1: not usable", extra);
}

int ln_limits_setup(struct ln_ctx *c, struct sbx_error *err)
{
	const struct sbx_spawn_plan *plan = c->plan;
	c->limits = NULL;
	if (!plan->limits_asked)
		return 0;
	struct ln_limits *l = calloc(1, sizeof(*l));
	if (!l)
		return sbx_error_set(err, SBX_ENOMEM, ENOMEM, "/limits", "out of memory");
	cg_init(&l->v2);
	for (int h = 0; h < H_COUNT; h++)
		cg_init(&l->v1[h]);
	l->pids_fd = l->exec_rd = l->exec_wr = l->err_fd = -1;
	l->owner = getpid();
	c->limits = l;
	int rc = sbx_cgroup_files_read(&l->files);
	if (rc) {
		say(l->why_v2, sizeof(l->why_v2), "cgroup v2: /proc/self/mountinfo: %s", strerror(-rc));
		say(l->why_v1, sizeof(l->why_v1), "cgroup v1: /proc/self/mountinfo: %s", strerror(-rc));
		l->files.mountinfo = l->files.cgroup = "";
	}
	choose(c, l);
	if (!rc)
		sbx_cgroup_files_free(&l->files);

	const bool want[LIM_COUNT] = { plan->limits.has_memory, plan->limits.has_pids,
				       plan->limits.has_cpu, plan->limits.has_wall,
				       plan->limits.has_cputime };
	for (int k = 0; k < LIM_COUNT; k++) {
		char why[700], ptr[32], layer[32];
		struct ln_line line;
		if (!want[k])
			continue;
		if (l->mech[k] == M_NONE) {
			say(why, sizeof(why), "%s", l->why[k]);
			snprintf(ptr, sizeof(ptr), "/limits/%s", lim_key[k]);
			if (!plan->limits_best_effort[k]) {
				ln_limits_cleanup(c);
				return sbx_error_set(err, SBX_EUNSUPPORTED, ENOSYS, ptr, "limits.%s: %s",
						     lim_key[k], why);
			}
			snprintf(layer, sizeof(layer), "limits.%s", lim_key[k]);
			ln_event_skipped(c, layer, why);
			continue;
		}
		ln_line_limit(&line, lim_key[k], mech_name[l->mech[k]]);
		ln_event_send(c->chan_fd, &line);
		if (c->verbose)
			dprintf(2, "sbx: limits.%s: %s\n", lim_key[k], mech_name[l->mech[k]]);
	}
	int p[2];
	if (pipe2(p, O_CLOEXEC)) {
		sbx_error_sys(err, errno, "pipe2", "/limits", "%s", strerror(errno));
		ln_limits_cleanup(c);
		return -1;
	}
	l->exec_rd = p[0];
	l->exec_wr = p[1];
	l->err_fd = fcntl(2, F_DUPFD_CLOEXEC, 3);
	return 0;
}

int ln_limits_arm(struct ln_ctx *c, struct sbx_error *err)
{
	struct ln_limits *l = c->limits;
	if (!l || l->pids_fd < 0)
		return 0;
	/* The init of a pid namespace is a process of the sandbox too; the
	 * program's tree gets the number the policy says. */
	uint64_t n = c->plan->limits.pids + ((c->ns_done & CLONE_NEWPID) ? 1 : 0);
	char buf[32];
	snprintf(buf, sizeof(buf), "%" PRIu64, n);
	ssize_t w = write(l->pids_fd, buf, strlen(buf));
	if (w != (ssize_t)strlen(buf)) {
		sbx_error_sys(err, errno, "write", "/limits/pids", "pids.max: %s", strerror(errno));
		ln_limits_cleanup(c);
		return -1;
	}
	close(l->pids_fd);
	l->pids_fd = -1;
	return 0;
}

void ln_limits_handoff(struct ln_ctx *c, int chan, int err_fd)
{
	if (!c->limits || c->slot_buf < 0)
		return;
	int fds[2] = { chan, err_fd };
	char byte = 'L', ctl[CMSG_SPACE(sizeof(fds))];
	struct iovec iov = { &byte, 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
			     .msg_controllen = sizeof(ctl) };
	memset(ctl, 0, sizeof(ctl));
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(fds));
	memcpy(CMSG_DATA(cm), fds, sizeof(fds));
	/* The buffer's far end is the supervisor's channel until now. A
	 * failure leaves it there: the end line is lost, nothing else. */
	(void)!sendmsg(c->slot_buf, &mh, MSG_NOSIGNAL);
}

/* The supervisor of a prepared sandbox: the request's channel and stderr
 * (ln_limits_handoff). True when they came, or will not. */
static bool take_handoff(struct ln_ctx *c, struct ln_limits *l)
{
	char byte, ctl[CMSG_SPACE(2 * sizeof(int))];
	struct iovec iov = { &byte, 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
			     .msg_controllen = sizeof(ctl) };
	ssize_t n = recvmsg(c->chan_fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return false;
	struct cmsghdr *cm = n > 0 ? CMSG_FIRSTHDR(&mh) : NULL;
	if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS &&
	    cm->cmsg_len == CMSG_LEN(2 * sizeof(int))) {
		int fds[2];
		memcpy(fds, CMSG_DATA(cm), sizeof(fds));
		close(c->chan_fd);
		c->chan_fd = fds[0];
		if (l->err_fd >= 0)
			close(l->err_fd);
		l->err_fd = fds[1];
	}
	return true;
}

int ln_limits_join(struct ln_ctx *c, struct sbx_error *err)
{
	struct ln_limits *l = c->limits;
	if (!l)
		return 0;
	struct cg *all[H_COUNT + 1] = { &l->v2, &l->v1[0], &l->v1[1], &l->v1[2], &l->v1[3] };
	for (int i = 0; i < H_COUNT + 1; i++) {
		/* "0": the writer itself (the fd was opened before the
		 * namespaces, with the launcher's credentials). */
		if (all[i]->procs_fd >= 0 && write(all[i]->procs_fd, "0", 1) != 1)
			return sbx_error_sys(err, errno, "write", "/limits", "joining cgroup %s/%s: %s",
					     all[i]->parent, all[i]->name, strerror(errno));
	}
	return 0;
}

void ln_limits_forked(struct ln_ctx *c)
{
	struct ln_limits *l = c->limits;
	if (l && l->exec_wr >= 0) {
		close(l->exec_wr);
		l->exec_wr = -1;
	}
}

int ln_limits_rlimits(struct ln_ctx *c, struct sbx_error *err)
{
	struct ln_limits *l = c->limits;
	const struct sbx_spawn_limits *L = &c->plan->limits;
	if (!l)
		return 0;
	struct { int k, res; uint64_t v; } set[] = {
		{ LIM_MEMORY, RLIMIT_AS, L->memory },
		/* counted per user (in its user namespace): the init counts too */
		{ LIM_PIDS, RLIMIT_NPROC, L->pids + ((c->ns_done & CLONE_NEWPID) ? 1 : 0) },
		{ LIM_CPUTIME, RLIMIT_CPU, (L->cputime_ms + 999) / 1000 },
	};
	for (size_t i = 0; i < sizeof(set) / sizeof(set[0]); i++) {
		if (l->mech[set[i].k] != M_RLIMIT)
			continue;
		struct rlimit cur, rl = { set[i].v, set[i].v };
		/* CPU: SIGXCPU at the limit says why (reason cpu-time); the
		 * kernel's SIGKILL a second later if the program ignores it. */
		if (set[i].res == RLIMIT_CPU)
			rl.rlim_max = rl.rlim_cur + 1;
		/* Never raise what the caller already limited further. */
		if (!getrlimit(set[i].res, &cur) && cur.rlim_max < rl.rlim_max) {
			rl.rlim_max = cur.rlim_max;
			if (rl.rlim_cur > rl.rlim_max)
				rl.rlim_cur = rl.rlim_max;
		}
		if (setrlimit(set[i].res, &rl))
			return sbx_error_sys(err, errno, "setrlimit", "/limits", "limits.%s: %s",
					     lim_key[set[i].k], strerror(errno));
	}
	return 0;
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* CPU time of the whole tree, in ms; false when it cannot be read. */
static bool tree_cpu_ms(const struct ln_limits *l, uint64_t *ms)
{
	uint64_t v;
	if (l->mech[LIM_CPUTIME] == M_V2 && !sbx_cgroup_read_u64(l->v2.fd, "cpu.stat", "usage_usec", &v)) {
		*ms = v / 1000;
		return true;
	}
	if (l->mech[LIM_CPUTIME] == M_V1 &&
	    !sbx_cgroup_read_u64(l->v1[H_CPUACCT].same ? l->v1[H_CPUACCT].same->fd : l->v1[H_CPUACCT].fd,
				 "cpuacct.usage", NULL, &v)) {
		*ms = v / 1000000;
		return true;
	}
	return false;
}

/* SIGKILL every process listed in a cgroup; how many were listed. */
static int kill_listed(int cgfd)
{
	int fd = openat(cgfd, "cgroup.procs", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	char buf[8192];
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	int count = 0;
	for (char *p = buf, *end; *p; p = end) {
		long pid = strtol(p, &end, 10);
		if (end == p)
			break;
		if (pid > 0 && kill((pid_t)pid, SIGKILL) == 0)
			count++;
	}
	return count;
}

/* Kill everything in our cgroups; true when some cgroup was there to do it. */
static bool kill_cgroups(struct ln_limits *l)
{
	bool any = false;
	if (l->v2.fd >= 0) {
		any = true;
		if (sbx_cgroup_write(l->v2.fd, "cgroup.kill", "1"))
			kill_listed(l->v2.fd);
	}
	for (int h = 0; h < H_COUNT; h++) {
		if (l->v1[h].fd >= 0) {
			any = true;
			kill_listed(l->v1[h].fd);
		}
	}
	return any;
}

static void kill_tree(struct ln_limits *l, pid_t child, bool is_init)
{
	/* pid 1 gone: the kernel kills the rest of its namespace. */
	kill(child, SIGKILL);
	if (is_init)
		return;
	kill_cgroups(l);
	kill(-child, SIGKILL);
}

static bool cgroups_empty(struct ln_limits *l)
{
	struct cg *all[H_COUNT + 1] = { &l->v2, &l->v1[0], &l->v1[1], &l->v1[2], &l->v1[3] };
	for (int i = 0; i < H_COUNT + 1; i++) {
		char b[16];
		if (all[i]->fd < 0)
			continue;
		int fd = openat(all[i]->fd, "cgroup.procs", O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		ssize_t n = read(fd, b, sizeof(b));
		close(fd);
		if (n > 0)
			return false;
	}
	return true;
}

/* What the program left behind (no pid namespace) goes with it. */
static void kill_leftovers(struct ln_limits *l)
{
	for (int i = 0; i < 400 && !(l->emptied = cgroups_empty(l)); i++) {
		kill_cgroups(l);
		struct timespec ts = { 0, 5 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
}

void ln_limits_cleanup(struct ln_ctx *c)
{
	struct ln_limits *l = c->limits;
	if (!l || getpid() != l->owner)
		return;
	/* Seen empty at the end (supervise): nothing can join them since. */
	if (!l->emptied)
		kill_leftovers(l);
	struct cg *all[H_COUNT + 1] = { &l->v2, &l->v1[0], &l->v1[1], &l->v1[2], &l->v1[3] };
	for (int i = 0; i < H_COUNT + 1; i++) {
		struct cg *g = all[i];
		if (g->fd < 0)
			continue;
		/* A cgroup whose last task just exited can be busy a moment. */
		for (int t = 0; t < 200; t++) {
			if (!unlinkat(g->parent_fd, g->name, AT_REMOVEDIR) || errno != EBUSY)
				break;
			struct timespec ts = { 0, 2 * 1000 * 1000 };
			nanosleep(&ts, NULL);
		}
		close(g->fd);
		close(g->parent_fd);
		if (g->procs_fd >= 0)
			close(g->procs_fd);
		g->fd = g->parent_fd = g->procs_fd = -1;
	}
}

/* Did the memory limit's OOM killer kill something? */
static bool oom_killed(const struct ln_limits *l)
{
	uint64_t v = 0;
	if (l->mech[LIM_MEMORY] == M_V2)
		return !sbx_cgroup_read_u64(l->v2.fd, "memory.events", "oom_kill", &v) && v > 0;
	if (l->mech[LIM_MEMORY] == M_V1) {
		const struct cg *g = l->v1[H_MEMORY].same ? l->v1[H_MEMORY].same : &l->v1[H_MEMORY];
		return !sbx_cgroup_read_u64(g->fd, "memory.oom_control", "oom_kill", &v) && v > 0;
	}
	return false;
}

/* Leftovers of launchers killed with SIGKILL, beside our cgroups
 * (sbx_cgroup_sweep): housekeeping, done here while the sandbox sets itself
 * up in the child rather than before the fork, where it would delay it. */
static void sweep_leftovers(const struct ln_limits *l)
{
	const struct cg *all[H_COUNT + 1] = { &l->v2, &l->v1[0], &l->v1[1], &l->v1[2], &l->v1[3] };
	for (int i = 0; i < H_COUNT + 1; i++)
		if (all[i]->fd >= 0 && all[i]->parent_fd >= 0)
			sbx_cgroup_sweep_at(all[i]->parent_fd);
}

void ln_limits_supervise(struct ln_ctx *c, pid_t child, int status_fd, bool is_init)
{
	struct ln_limits *l = c->limits;
	const struct sbx_spawn_limits *L = &c->plan->limits;
	for (int fd = 0; fd < c->keep_fds; fd++)
		close(fd);
	ln_limits_forked(c);
	sigset_t set;
	ln_forward_sigset(&set);
	int sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	/* dieWithParent: SIGKILL would leave the cgroups behind. SIGTERM
	 * (passed on like any other) wakes this loop, which sees the parent
	 * gone, kills the sandbox and cleans up. */
	bool orphan_watch = c->plan->die_with_parent && c->parent_pid > 0;
	if (orphan_watch)
		(void)prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0);
	sweep_leftovers(l);
	uint64_t start = now_ms();
	uint64_t wall_end = l->mech[LIM_WALL] == M_TIMER ? start + L->wall_ms : UINT64_MAX;
	bool poll_cpu = l->mech[LIM_CPUTIME] == M_V2 || l->mech[LIM_CPUTIME] == M_V1;
	/* Often enough to stop near the limit, rarely enough to cost nothing. */
	uint64_t cpu_every = poll_cpu ? L->cputime_ms / 20 : 0;
	if (cpu_every < 10)
		cpu_every = 10;
	if (cpu_every > 100)
		cpu_every = 100;
	int reason = END_NONE, st = 0;
	bool killed = false;
	/* Prepared ahead: the request's channel comes at activation, and
	 * the wall clock starts there. */
	bool waiting = c->slot_sock >= 0 && c->chan_fd >= 0;
	/* Without a cgroup: the child's CPU time and that of all it reaped
	 * (with a pid namespace the init reaps the whole tree). */
	struct rusage ru;
	memset(&ru, 0, sizeof(ru));

	for (;;) {
		uint64_t now = now_ms();
		if (!killed && orphan_watch && getppid() != c->parent_pid) {
			killed = true;
			kill_tree(l, child, is_init);
		}
		if (!killed && now >= wall_end) {
			reason = END_TIMEOUT;
			killed = true;
			kill_tree(l, child, is_init);
		}
		uint64_t used;
		if (!killed && poll_cpu && tree_cpu_ms(l, &used) && used >= L->cputime_ms) {
			reason = END_CPUTIME;
			killed = true;
			kill_tree(l, child, is_init);
		}
		int timeout = -1;
		if (!killed && wall_end != UINT64_MAX)
			timeout = (int)(wall_end - now < 1000000 ? wall_end - now : 1000000);
		if (!killed && poll_cpu && (timeout < 0 || (uint64_t)timeout > cpu_every))
			timeout = (int)cpu_every;
		if (killed)
			timeout = 100;   /* a killed tree goes fast; look again anyway */
		struct pollfd pf[3] = { { .fd = sfd, .events = POLLIN },
					{ .fd = waiting ? c->chan_fd : -1, .events = POLLIN },
					{ .fd = l->exec_rd, .events = POLLIN } };
		int r = poll(pf, 3, timeout);
		if (r < 0 && errno != EINTR)
			break;
		/* Before the exec watch: `started` goes to the new channel. */
		if (waiting && (pf[1].revents & (POLLIN | POLLHUP | POLLERR)) && take_handoff(c, l)) {
			waiting = false;
			start = now_ms();
			if (l->mech[LIM_WALL] == M_TIMER)
				wall_end = start + L->wall_ms;
		}
		if (l->exec_rd >= 0 && (pf[2].revents & (POLLIN | POLLHUP))) {
			char b;
			if (read(l->exec_rd, &b, 1) <= 0) {
				close(l->exec_rd);
				l->exec_rd = -1;
				struct ln_line line;
				ln_line_started(&line);
				ln_event_send(c->chan_fd, &line);
			}
		}
		struct signalfd_siginfo si;
		while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
			if (si.ssi_signo != SIGCHLD)
				kill(child, (int)si.ssi_signo);
		}
		pid_t w = wait4(child, &st, WNOHANG, &ru);
		if (w == child)
			break;
	}
	if (is_init) {
		int prog = 0;
		ssize_t n = read(status_fd, &prog, sizeof(prog));
		/* No status: the init died before the program ended. */
		if (n == (ssize_t)sizeof(prog))
			st = prog;
	}
	if (reason == END_NONE && oom_killed(l))
		reason = END_MEMORY;
	uint64_t cpu_ms = 0;
	bool have_cpu = tree_cpu_ms(l, &cpu_ms);
	if (!have_cpu) {
		cpu_ms = (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000 +
			 (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000;
		have_cpu = true;
	}
	/* RLIMIT_CPU: the kernel's SIGXCPU at the soft limit (only it sends
	 * that), or its SIGKILL at the hard one when SIGXCPU was ignored. */
	if (reason == END_NONE && l->mech[LIM_CPUTIME] == M_RLIMIT && WIFSIGNALED(st) &&
	    (WTERMSIG(st) == SIGXCPU || (WTERMSIG(st) == SIGKILL && cpu_ms >= L->cputime_ms)))
		reason = END_CPUTIME;
	kill_leftovers(l);

	static const char *const names[] = { "", "timeout", "cpu-time", "memory" };
	struct ln_line line;
	ln_line_end(&line, now_ms() - start, have_cpu ? &cpu_ms : NULL, reason ? names[reason] : NULL);
	ln_event_send(c->chan_fd, &line);
	if (reason == END_TIMEOUT)
		dprintf(l->err_fd, "sbx: limits.wallTime: %" PRIu64 " ms reached; the sandbox was killed\n",
			L->wall_ms);
	else if (reason == END_CPUTIME)
		dprintf(l->err_fd, "sbx: limits.cpuTime: %" PRIu64 " ms of CPU reached; the sandbox was killed\n",
			L->cputime_ms);
	else if (reason == END_MEMORY)
		dprintf(l->err_fd, "sbx: limits.memory: the memory limit (%" PRIu64 " bytes) killed a process\n",
			L->memory);
	/* Nothing of the sandbox runs any more: the caller may know now
	 * (server.c), while the cgroups go (an rmdir can take a while). */
	if (c->report_fd >= 0)
		(void)!send(c->report_fd, &st, sizeof(st), MSG_NOSIGNAL);
	if (c->chan_fd >= 0)
		close(c->chan_fd);
	if (l->err_fd >= 0)
		close(l->err_fd);
	c->chan_fd = l->err_fd = -1;
	ln_limits_cleanup(c);
	/* `sbx run` in this process (cli_main.c): its exit codes for a limit. */
	if (c->limit_exit_codes && reason && WIFSIGNALED(st)) {
		if (ln_exit_hook)
			ln_exit_hook();
		_exit(reason == END_TIMEOUT ? 124 : 123);
	}
	ln_exit_like(st);
}
