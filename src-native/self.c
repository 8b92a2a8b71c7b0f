/*
 * The self door: a prepared sandbox applied to every thread of the calling
 * process (include/sbx_self.h). Why it is not sbx_prepared_apply(): rlimits
 * and seccomp (TSYNC) reach the whole process from one thread, but
 * capabilities, no_new_privs and the Landlock domain live in each thread's
 * credentials, and before Landlock ABI 8 only the thread itself can change
 * them. So every other thread is sent a signal whose handler applies those
 * steps (raw system calls only: it runs wherever the thread was interrupted)
 * and answers on a pipe; the caller waits for each answer and re-scans
 * /proc/self/task until a scan finds no thread it has not confined.
 *
 * A scan that finds nothing new is enough: every thread that existed at the
 * scan has answered, and a thread created later has a confined creator (the
 * kernel restarts a clone() that a pending signal interrupts, so a thread
 * cannot be born from a creator that is about to run the handler).
 *
 * Global state: a signal handler can reach nothing else, so the job being
 * run and the borrowed signal's previous disposition are file-scope
 * variables, guarded by `self_busy` (one lockdown at a time per process).
 */
#include "self.h"

#include "seccomp_defs.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#endif

/* The kernel's struct sigaction for rt_sigaction(2) (not glibc's: glibc
 * refuses to touch the signals it reserves, which is the one we need). */
struct self_ksigaction {
	void *handler;
	unsigned long flags;
	void *restorer;
	uint64_t mask;
};
#define SELF_SA_RESTORER 0x04000000UL

struct self_ack {
	int32_t tid;
	int32_t step;            /* enum sbx_step that failed, or 0            */
	int32_t err;             /* its errno                                   */
};

struct self_job {
	const struct sbx_prepared *pp;
	int ack_fd;              /* write end of the answer pipe               */
	bool caps;               /* drop capabilities to `keep`                */
	uint64_t keep;
	/* The bounding set as the calling thread had it: threads start with the
	 * same, so only these are dropped (no read per capability). */
	uint64_t bounding_drop;
	bool securebits;         /* set `securebits_want` where possible       */
	unsigned securebits_want;
	bool landlock;           /* restrict with the prepared ruleset         */
};

struct tidset {
	pid_t *v;
	size_t n, cap;
};

static struct self_job *self_active;
static struct self_ksigaction self_chained;
static int self_busy;

#define CAPBIT(n) (UINT64_C(1) << (n))

#if defined(__x86_64__)
/* rt_sigreturn, for a process where libc has installed no handler to borrow
 * its trampoline from (a single-threaded C program). */
void sbx_self_restorer(void) __attribute__((visibility("hidden")));
__asm__(".text\n"
	".p2align 4\n"
	".hidden sbx_self_restorer\n"
	".globl sbx_self_restorer\n"
	".type sbx_self_restorer, @function\n"
	"sbx_self_restorer:\n"
	"\tmovq $15, %rax\n"
	"\tsyscall\n"
	"\thlt\n"
	".size sbx_self_restorer, .-sbx_self_restorer\n");
#endif

static int ksigaction(int sig, const struct self_ksigaction *act,
		      struct self_ksigaction *old)
{
	if (syscall(SYS_rt_sigaction, sig, act, old, sizeof(uint64_t)))
		return -errno;
	return 0;
}

/* ---- in the signal handler: raw system calls only ------------------------ */

static int th_capget(struct __user_cap_data_struct d[2])
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };

	return syscall(SYS_capget, &h, d) ? -errno : 0;
}

static int th_capset(struct __user_cap_data_struct d[2])
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };

	return syscall(SYS_capset, &h, d) ? -errno : 0;
}

static uint64_t cap64(uint32_t lo, uint32_t hi)
{
	return lo | (uint64_t)hi << 32;
}

/* The same result as sbx_apply_caps() for a thread of this process: what is
 * not kept leaves permitted, effective, inheritable, ambient and (with
 * CAP_SETPCAP) the bounding set; securebits as the caller's thread has them. */
static int th_caps(const struct self_job *job)
{
	struct __user_cap_data_struct d[2];
	uint64_t perm, eff, inh;
	bool setpcap;
	int r, cap;

	if ((r = th_capget(d)))
		return r;
	perm = cap64(d[0].permitted, d[1].permitted);
	eff = cap64(d[0].effective, d[1].effective);
	inh = cap64(d[0].inheritable, d[1].inheritable);
	setpcap = perm & CAPBIT(CAP_SETPCAP);
	if (setpcap && !(eff & CAPBIT(CAP_SETPCAP))) {
		d[0].effective |= 1u << CAP_SETPCAP;
		if ((r = th_capset(d)))
			return r;
	}
	if (setpcap) {
		for (cap = 0; cap < 64; cap++)
			if ((job->bounding_drop & CAPBIT(cap)) &&
			    prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
				return -errno;
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 &&
	    errno != EINVAL)
		return -errno;
	if (setpcap && job->securebits) {
		r = prctl(PR_GET_SECUREBITS, 0, 0, 0, 0);
		if (r < 0)
			return -errno;
		if ((unsigned)r != job->securebits_want &&
		    prctl(PR_SET_SECUREBITS, job->securebits_want, 0, 0, 0) < 0)
			return -errno;
	}
	perm &= job->keep;
	inh &= job->keep;
	d[0].permitted = d[0].effective = (uint32_t)perm;
	d[1].permitted = d[1].effective = (uint32_t)(perm >> 32);
	d[0].inheritable = (uint32_t)inh;
	d[1].inheritable = (uint32_t)(inh >> 32);
	if ((r = th_capset(d)))
		return r;
	if ((r = th_capget(d)))
		return r;
	if ((cap64(d[0].permitted, d[1].permitted) |
	     cap64(d[0].effective, d[1].effective) |
	     cap64(d[0].inheritable, d[1].inheritable)) & ~job->keep)
		return -EPERM;
	return 0;
}

static void th_apply(const struct self_job *job, struct self_ack *a)
{
	int r;

	if (job->caps && (r = th_caps(job))) {
		a->step = SBX_STEP_CAPS;
		a->err = -r;
		return;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		a->step = SBX_STEP_NNP;
		a->err = errno;
		return;
	}
	if (job->landlock && (r = sbx_prepared_landlock_thread(job->pp))) {
		a->step = SBX_STEP_LANDLOCK;
		a->err = -r;
	}
}

/* Someone else's signal (glibc's setuid() broadcast, most likely): give it to
 * the handler we borrowed the signal from. */
static void th_chain(int sig, siginfo_t *si, void *uc)
{
	struct self_ksigaction old = self_chained;

	if (old.handler == (void *)SIG_IGN || old.handler == (void *)SIG_DFL)
		return;
	if (old.flags & SA_SIGINFO)
		((void (*)(int, siginfo_t *, void *))old.handler)(sig, si, uc);
	else
		((void (*)(int))old.handler)(sig);
}

static void th_handler(int sig, siginfo_t *si, void *uc)
{
	struct self_job *job = __atomic_load_n(&self_active, __ATOMIC_ACQUIRE);
	struct self_ack a;
	int saved = errno;

	/* Only a pointer we sent counts; it is compared, never trusted. */
	if (!job || !si || si->si_code != SI_QUEUE ||
	    si->si_value.sival_ptr != (void *)job) {
		th_chain(sig, si, uc);
		errno = saved;
		return;
	}
	a.tid = (int32_t)syscall(SYS_gettid);
	a.step = 0;
	a.err = 0;
	th_apply(job, &a);
	/* One write below PIPE_BUF is atomic; EINTR cannot happen (all
	 * signals are blocked in here). A lost answer is a timeout: fatal. */
	(void)!write(job->ack_fd, &a, sizeof(a));
	errno = saved;
}

/* ---- in the caller ------------------------------------------------------------ */

static __attribute__((noreturn)) void self_fatal(const struct sbx_error *e)
{
	char line[768];
	int n;

	n = snprintf(line, sizeof(line), "sbx: lockdown failed after it had "
		     "started to confine threads: %s; the process cannot be "
		     "made consistent and exits (fail closed, status %d)\n",
		     e->message, SBX_SELF_EXIT_STATUS);
	if (n > (int)sizeof(line) - 1)
		n = (int)sizeof(line) - 1;
	if (n > 0)
		(void)!write(STDERR_FILENO, line, (size_t)n);
	_exit(SBX_SELF_EXIT_STATUS);
}

static bool tidset_has(const struct tidset *s, pid_t t)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i] == t)
			return true;
	return false;
}

static int tidset_add(struct tidset *s, pid_t t)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		pid_t *v = realloc(s->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = t;
	return 0;
}

static void tidset_del(struct tidset *s, pid_t t)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i] == t) {
			s->v[i] = s->v[--s->n];
			return;
		}
}

struct linux_dirent64_ {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

struct self_run {
	struct self_job job;
	int ack_rfd;
	int task_fd;             /* /proc/self/task, opened before anything   */
	pid_t pid, self_tid;
	struct tidset done, pending;
	unsigned rounds, max_rounds, timeout_ms;
};

/* Signal every thread not yet confined nor waited for. Returns how many
 * were signalled, or -errno (err filled). */
static int signal_round(struct self_run *run, struct sbx_error *err)
{
	char buf[4096];
	int sent = 0;
	long n;

	if (lseek(run->task_fd, 0, SEEK_SET) < 0)
		return sbx_error_sys(err, errno, "lseek", NULL,
				     "self: cannot re-read /proc/self/task");
	while ((n = syscall(SYS_getdents64, run->task_fd, buf, sizeof(buf))) > 0) {
		for (long off = 0; off < n;) {
			struct linux_dirent64_ *d = (void *)(buf + off);
			siginfo_t si;
			pid_t tid;
			int r;

			off += d->d_reclen;
			tid = (pid_t)atoi(d->d_name);
			if (tid <= 0 || tid == run->self_tid ||
			    tidset_has(&run->done, tid) ||
			    tidset_has(&run->pending, tid))
				continue;
			memset(&si, 0, sizeof(si));
			si.si_signo = SBX_SELF_SIGNAL;
			si.si_code = SI_QUEUE;
			si.si_pid = run->pid;
			si.si_uid = getuid();
			si.si_value.sival_ptr = &run->job;
			r = (int)syscall(SYS_rt_tgsigqueueinfo, run->pid, tid,
					 SBX_SELF_SIGNAL, &si);
			if (r < 0 && errno == ESRCH)
				continue;        /* it has exited meanwhile */
			if (r < 0)
				return sbx_error_sys(err, errno,
						     "rt_tgsigqueueinfo", NULL,
						     "self: cannot signal thread "
						     "%d: %s", (int)tid,
						     strerror(errno));
			if ((r = tidset_add(&run->pending, tid)))
				return sbx_error_set(err, SBX_ENOMEM, ENOMEM,
						     NULL, "out of memory");
			sent++;
		}
	}
	if (n < 0)
		return sbx_error_sys(err, errno, "getdents64", NULL,
				     "self: cannot list /proc/self/task");
	return sent;
}

static bool thread_exists(pid_t pid, pid_t tid)
{
	return syscall(SYS_tgkill, pid, tid, 0) == 0 || errno != ESRCH;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait until every pending thread has answered (or exited). */
static int wait_round(struct self_run *run, struct sbx_error *err)
{
	int64_t deadline = now_ms() + run->timeout_ms;

	while (run->pending.n) {
		struct pollfd pfd = { run->ack_rfd, POLLIN, 0 };
		int64_t left = deadline - now_ms();
		struct self_ack a;
		ssize_t got;
		int r;

		if (left < 0)
			left = 0;
		r = poll(&pfd, 1, (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return sbx_error_sys(err, errno, "poll", NULL,
					     "self: cannot wait for threads");
		if (r == 0) {
			/* Threads that exited before handling do not answer. */
			for (size_t i = run->pending.n; i-- > 0;)
				if (!thread_exists(run->pid, run->pending.v[i]))
					tidset_del(&run->pending,
						   run->pending.v[i]);
			if (!run->pending.n)
				return 0;
			return sbx_error_set(err, SBX_ESYS, ETIMEDOUT, NULL,
					     "self: thread %d (and %zu more) did "
					     "not confine itself within %u ms "
					     "(signal %d blocked, or the thread "
					     "is stopped)",
					     (int)run->pending.v[0],
					     run->pending.n - 1, run->timeout_ms,
					     SBX_SELF_SIGNAL);
		}
		got = read(run->ack_rfd, &a, sizeof(a));
		if (got < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (got != (ssize_t)sizeof(a))
			return sbx_error_sys(err, got < 0 ? errno : EIO, "read",
					     NULL, "self: bad answer from a "
					     "thread");
		if (a.err)
			return sbx_error_sys(err, a.err, sbx_step_name(a.step),
					     NULL, "self: thread %d: %s: %s",
					     (int)a.tid, sbx_step_name(a.step),
					     strerror(a.err));
		if (tidset_has(&run->pending, a.tid)) {
			tidset_del(&run->pending, a.tid);
			if (tidset_add(&run->done, a.tid))
				return sbx_error_set(err, SBX_ENOMEM, ENOMEM,
						     NULL, "out of memory");
		}
	}
	return 0;
}

static int confine_other_threads(struct self_run *run, struct sbx_error *err)
{
	int r;

	for (;;) {
		if ((r = signal_round(run, err)) < 0)
			return r;
		if (r == 0)
			return 0;
		if (++run->rounds > run->max_rounds)
			break;
		if ((r = wait_round(run, err)))
			return r;
	}
	return sbx_error_set(err, SBX_ESYS, EAGAIN, NULL, "self: threads keep "
			     "appearing after %u rounds", run->rounds);
}

/* Borrow the signal: our handler, the previous one kept for chaining. On
 * x86_64 the kernel needs a return trampoline: libc's (it has unwind info
 * for debuggers), from the previous disposition or from any signal libc
 * has a handler for; else our own. */
static int borrow_signal(struct sbx_error *err)
{
	struct self_ksigaction act, old;
	int r, sig;

	if ((r = ksigaction(SBX_SELF_SIGNAL, NULL, &old)))
		return sbx_error_sys(err, -r, "rt_sigaction", NULL,
				     "self: cannot read the disposition of "
				     "signal %d", SBX_SELF_SIGNAL);
	memset(&act, 0, sizeof(act));
	act.handler = (void *)th_handler;
	act.flags = SA_SIGINFO | SA_RESTART | SA_ONSTACK;
	act.mask = ~UINT64_C(0);
	if (old.flags & SELF_SA_RESTORER) {
		act.flags |= SELF_SA_RESTORER;
		act.restorer = old.restorer;
	}
	for (sig = 1; sig <= 64 && !(act.flags & SELF_SA_RESTORER); sig++) {
		struct self_ksigaction o;

		if (!ksigaction(sig, NULL, &o) && (o.flags & SELF_SA_RESTORER)) {
			act.flags |= SELF_SA_RESTORER;
			act.restorer = o.restorer;
		}
	}
#if defined(__x86_64__)
	if (!(act.flags & SELF_SA_RESTORER)) {
		act.flags |= SELF_SA_RESTORER;
		act.restorer = (void *)sbx_self_restorer;
	}
#endif
	self_chained = old;
	if ((r = ksigaction(SBX_SELF_SIGNAL, &act, NULL)))
		return sbx_error_sys(err, -r, "rt_sigaction", NULL,
				     "self: cannot install the handler for "
				     "signal %d", SBX_SELF_SIGNAL);
	return 0;
}

static void return_signal(void)
{
	(void)ksigaction(SBX_SELF_SIGNAL, &self_chained, NULL);
}

static int setup(struct self_run *run, struct sbx_prepared *pp,
		 const struct sbx_self_opts *opts, struct sbx_error *err)
{
	int fds[2];

	memset(run, 0, sizeof(*run));
	run->ack_rfd = run->job.ack_fd = run->task_fd = -1;
	run->pid = getpid();
	run->self_tid = (pid_t)syscall(SYS_gettid);
	run->timeout_ms = opts && opts->timeout_ms ? opts->timeout_ms
						    : SBX_SELF_DEFAULT_TIMEOUT_MS;
	run->max_rounds = opts && opts->max_rounds ? opts->max_rounds
						    : SBX_SELF_DEFAULT_MAX_ROUNDS;
	run->job.pp = pp;
	run->task_fd = open("/proc/self/task",
			    O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (run->task_fd < 0)
		return sbx_error_sys(err, errno, "open", NULL,
				     "self: cannot list the threads: "
				     "/proc/self/task: %s (is /proc mounted?)",
				     strerror(errno));
	if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) < 0)
		return sbx_error_sys(err, errno, "pipe2", NULL,
				     "self: cannot create the answer pipe");
	run->ack_rfd = fds[0];
	run->job.ack_fd = fds[1];
	/* Allocated now, so that the common case allocates nothing later. */
	if (tidset_add(&run->done, run->self_tid) ||
	    tidset_add(&run->pending, 0))
		return sbx_error_set(err, SBX_ENOMEM, ENOMEM, NULL,
				     "out of memory");
	run->done.n = run->pending.n = 0;
	return 0;
}

static void teardown(struct self_run *run)
{
	if (run->task_fd >= 0)
		close(run->task_fd);
	if (run->ack_rfd >= 0)
		close(run->ack_rfd);
	if (run->job.ack_fd >= 0)
		close(run->job.ack_fd);
	free(run->done.v);
	free(run->pending.v);
}

static int check_args(struct sbx_prepared *pp, struct sbx_error *err)
{
	if (!pp)
		return sbx_error_set(err, SBX_EINVAL, EINVAL, NULL,
				     "sbx_self_lockdown: NULL argument");
	if (pp->door != SBX_DOOR_SELF)
		return sbx_error_set(err, SBX_EINVAL, EINVAL, NULL,
				     "sbx_self_lockdown: the sandbox was not "
				     "prepared for the self door");
	if (pp->applied)
		return sbx_error_set(err, SBX_EINVAL, EALREADY, NULL,
				     "sbx_self_lockdown: this prepared sandbox "
				     "was already applied");
	if (pp->flags & SBX_PREPARE_LISTENER)
		return sbx_error_set(err, SBX_EUNSUPPORTED, EINVAL, "/report",
				     "sbx_self_lockdown: the process cannot "
				     "supervise its own denials; report is for "
				     "the spawn and preload doors");
	return 0;
}

/* Everything from the first change of a thread's credentials on. */
static int confine(struct self_run *run, struct sbx_prepared *pp,
		   struct sbx_error *err)
{
	struct sbx_apply_result *res = &pp->result;
	struct sbx_plan_seccomp sc = pp->plan.seccomp;
	bool ll_tsync = pp->landlock.active && pp->landlock_abi >= 8;
	int r;

	if (pp->plan.caps.present) {
		unsigned before = res->notes.count + res->notes.lost;

		for (int cap = 0; cap < 64; cap++) {
			int in = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);

			if (in < 0)
				break;   /* past the kernel's last capability */
			if (in == 1 && !(pp->plan.caps.keep & CAPBIT(cap)))
				run->job.bounding_drop |= CAPBIT(cap);
		}
		res->failed_step = SBX_STEP_CAPS;
		if ((r = sbx_apply_caps(&pp->plan.caps, true, res, err)))
			return r;
		res->enforced |= SBX_STEP_BIT(SBX_STEP_CAPS);
		if (res->notes.count + res->notes.lost != before)
			res->skipped |= SBX_STEP_BIT(SBX_STEP_CAPS);
		run->job.caps = true;
		run->job.keep = pp->plan.caps.keep;
		run->job.securebits = !pp->plan.caps.skip_securebits;
		run->job.securebits_want = res->securebits;
	}
	res->failed_step = SBX_STEP_NNP;
	if ((r = sbx_apply_no_new_privs(err)))
		return r;
	res->enforced |= SBX_STEP_BIT(SBX_STEP_NNP);

	/* The other threads, before this one's Landlock domain: a kernel that
	 * scopes signals between sibling domains would refuse them after. */
	run->job.landlock = pp->landlock.active && !ll_tsync;
	if (run->job.caps || run->job.landlock || !sc.prog) {
		res->failed_step = SBX_STEP_LANDLOCK;
		__atomic_store_n(&self_active, &run->job, __ATOMIC_RELEASE);
		r = confine_other_threads(run, err);
		__atomic_store_n(&self_active, NULL, __ATOMIC_RELEASE);
		if (r)
			return r;
	}
	if (pp->landlock.active) {
		res->failed_step = SBX_STEP_LANDLOCK;
		if ((r = sbx_landlock_restrict(&pp->landlock, pp->landlock_fd,
					       ll_tsync ?
					       LANDLOCK_RESTRICT_SELF_TSYNC : 0,
					       err)))
			return r;
		res->enforced |= SBX_STEP_BIT(SBX_STEP_LANDLOCK);
		res->landlock_fs = pp->landlock.attr.handled_access_fs;
		res->landlock_net = pp->landlock.attr.handled_access_net;
		res->landlock_scoped = pp->landlock.attr.scoped;
	}
	sbx_notebuf_add(&pp->notes, "self: %zu other thread%s confined by "
			"signal in %u round%s%s", run->done.n,
			run->done.n == 1 ? "" : "s", run->rounds,
			run->rounds == 1 ? "" : "s",
			ll_tsync ? " (Landlock by TSYNC)" : "");

	/* seccomp may deny what the steps above need: last. The handler goes
	 * back first for the same reason. */
	return_signal();
	if (sc.prog) {
		res->failed_step = SBX_STEP_SECCOMP;
		sc.flags |= SECCOMP_FILTER_FLAG_TSYNC;
		if ((r = sbx_apply_seccomp(&sc, &res->seccomp_listener_fd,
					   &res->tsync_failed_tid, err)))
			return r;
		res->enforced |= SBX_STEP_BIT(SBX_STEP_SECCOMP);
	}
	res->failed_step = SBX_STEP_NONE;
	return 0;
}

int sbx_self_lockdown_opts(struct sbx_prepared *pp,
			   const struct sbx_self_opts *opts,
			   struct sbx_error *err)
{
	struct sbx_apply_result *res;
	struct self_run run;
	int r;

	if ((r = check_args(pp, err)))
		return r;
	if (__atomic_exchange_n(&self_busy, 1, __ATOMIC_ACQUIRE))
		return sbx_error_set(err, SBX_EINVAL, EBUSY, NULL,
				     "sbx_self_lockdown: another lockdown is "
				     "running in this process");
	if ((r = setup(&run, pp, opts, err)) || (r = borrow_signal(err))) {
		teardown(&run);
		__atomic_store_n(&self_busy, 0, __ATOMIC_RELEASE);
		return r;
	}

	pp->applied = true;
	res = &pp->result;
	memset(res, 0, sizeof(*res));
	res->seccomp_listener_fd = -1;
	res->landlock_abi = pp->landlock_abi;
	res->landlock_dropped_fs = pp->landlock.dropped_fs;
	res->landlock_dropped_net = pp->landlock.dropped_net;
	res->landlock_dropped_scoped = pp->landlock.dropped_scoped;
	if (pp->landlock.dropped_fs || pp->landlock.dropped_net ||
	    pp->landlock.dropped_scoped || pp->landlock.dropped_flags)
		res->skipped |= SBX_STEP_BIT(SBX_STEP_LANDLOCK);

	/* Process-wide and only narrowing: a failure leaves every thread
	 * alike, so it is returned. */
	if (pp->plan.nrlimits) {
		r = sbx_apply_rlimits(pp->plan.rlimits, pp->plan.nrlimits, err);
		if (r) {
			res->failed_step = SBX_STEP_RLIMITS;
			pp->apply_rc = r;
			return_signal();
			teardown(&run);
			__atomic_store_n(&self_busy, 0, __ATOMIC_RELEASE);
			return r;
		}
		res->enforced |= SBX_STEP_BIT(SBX_STEP_RLIMITS);
	}

	if ((r = confine(&run, pp, err)))
		self_fatal(err);
	pp->apply_rc = 0;
	teardown(&run);
	__atomic_store_n(&self_busy, 0, __ATOMIC_RELEASE);
	return 0;
}

int sbx_self_lockdown(struct sbx_prepared *pp, struct sbx_error *err)
{
	return sbx_self_lockdown_opts(pp, NULL, err);
}
