/*
 * The self door: a prepared sandbox applied to every thread of the calling
 * process (include/sbx_self.h). Why it is not sbx_prepared_apply(): rlimits
 * and seccomp (TSYNC) reach the whole process from one thread, but
 * capabilities, no_new_privs and the Landlock domain live in each thread's
 * credentials, and before Landlock ABI 8 only the thread itself can change
 * them. So every other thread is sent a signal whose handler applies those
 * steps (raw system calls only: it runs wherever the thread was interrupted)
 * and answers in memory (a slot, then a futex count). All threads of a round
 * are signalled at once, before the caller's own steps, so that the
 * per-thread credential work (as root ~40 commit_creds() for the bounding
 * set alone) runs on every CPU in parallel; the caller then sleeps until the
 * last answer and re-scans /proc/self/task until a scan finds no thread it
 * has not confined. seccomp (TSYNC) comes last, or, when the filter allows
 * every system call still to be made whatever its arguments, meanwhile
 * (seccomp_early_ok()): the kernel's check and JIT of the program then
 * overlaps the threads' work.
 *
 * A scan that finds nothing new is enough: every thread that existed at the
 * scan has answered, and a thread created later has a confined creator (the
 * kernel restarts a clone() that a pending signal interrupts, so a thread
 * cannot be born from a creator that is about to run the handler).
 *
 * Global state: a signal handler can reach nothing else, so the job being
 * run and the borrowed signal's previous disposition are file-scope
 * variables, guarded by `self_busy` (one lockdown at a time per process).
 * The job itself lives on the caller's stack: it returns only after every
 * handler that answered has also counted itself (settle()), the handler's
 * last write to it.
 */
#include "bpf.h"
#include "self.h"

#include "seccomp_defs.h"
#include "kernel_defs.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/securebits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* Phase timings to stderr, for measuring only: build with -DSBX_SELF_TRACE. */
#ifdef SBX_SELF_TRACE
static struct { const char *what; struct timespec ts; } self_trace_v[64];
static unsigned self_trace_n;
static long self_trace_th[64][2];
static unsigned self_trace_thn;
#define SELF_TRACE(w) do { if (self_trace_n < 64) { \
	self_trace_v[self_trace_n].what = (w); \
	clock_gettime(CLOCK_MONOTONIC, &self_trace_v[self_trace_n++].ts); } } while (0)
static void self_trace_dump(void)
{
	char line[4096];
	int n = 0;

	for (unsigned i = 1; i < self_trace_n; i++)
		n += snprintf(line + n, sizeof(line) - (size_t)n, "%s=%ld ",
			      self_trace_v[i].what,
			      (self_trace_v[i].ts.tv_sec - self_trace_v[i - 1].ts.tv_sec) * 1000000000L +
			      self_trace_v[i].ts.tv_nsec - self_trace_v[i - 1].ts.tv_nsec);
	for (unsigned i = 0; i < self_trace_thn && i < 64; i++)
		n += snprintf(line + n, sizeof(line) - (size_t)n, "[%ld+%ld] ",
			      (self_trace_th[i][0] - (self_trace_v[0].ts.tv_sec * 1000000000L + self_trace_v[0].ts.tv_nsec)) / 1000,
			      (self_trace_th[i][1] - self_trace_th[i][0]) / 1000);
	line[n++] = '\n';
	(void)!write(2, line, (size_t)n);
	self_trace_n = 0;
	self_trace_thn = 0;
}
static long self_trace_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000L + ts.tv_nsec;
}
#else
#define SELF_TRACE(w) do { } while (0)
#define self_trace_dump() do { } while (0)
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

/* One thread's answer, in the slot it reserved. `tid` is stored last (with
 * release order): nonzero means the slot is complete. */
struct self_ack {
	int32_t tid;
	int32_t step;            /* enum sbx_step that failed, or 0            */
	int32_t err;             /* its errno                                   */
};

struct self_job {
	const struct sbx_prepared *pp;
	bool caps;               /* drop capabilities to `keep`                */
	uint64_t keep;
	/* What the calling thread's bounding set holds and `keep` does not,
	 * read only when it has CAP_SETPCAP (else 0): a thread drops these
	 * without reading them first, and reads only the others (none for the
	 * usual thread, which has the same bounding set as the caller). */
	uint64_t bounding_drop;
	bool securebits;         /* set and lock the securebits where possible */
	bool landlock;           /* restrict with the prepared ruleset         */
	/* Answers: a handler reserves a slot in the round's block, fills it,
	 * then counts itself in `acks` (a futex word) and wakes the caller
	 * once `acks` reaches `want` (the answers expected over all rounds),
	 * so the caller sleeps once per round instead of once per thread. */
	struct self_slots *slots;
	uint32_t acks;
	uint32_t want;
	uint64_t token;          /* the signal's value: ours, not forged       */
};

/* One round's answers. A block is never reused or freed before the end of
 * the lockdown, so a late or forged signal writes only into live memory. */
struct self_slots {
	struct self_slots *prev;
	uint32_t cap;
	uint32_t next;           /* slots reserved                             */
	struct self_ack v[];
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
 * CAP_SETPCAP) the bounding set; securebits as the caller's thread has them.
 * Every credential change costs the kernel a new struct cred, so steps that
 * would change nothing are skipped (an unprivileged thread with no
 * capabilities changes nothing here). */
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
		/* Every capability not kept leaves this thread's own bounding
		 * set, also one its caller no longer has (bounding sets are per
		 * thread). EINVAL from a read marks the kernel's last one. */
		for (cap = 0; cap < 64; cap++) {
			if (job->keep & CAPBIT(cap))
				continue;
			if (!(job->bounding_drop & CAPBIT(cap))) {
				int in = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);

				if (in < 0)
					break;
				if (in == 0)
					continue;
			}
			if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
				return -errno;
		}
	}
	if (setpcap && job->securebits) {
		unsigned want;

		r = prctl(PR_GET_SECUREBITS, 0, 0, 0, 0);
		if (r < 0)
			return -errno;
		/* Pure arithmetic on this thread's own bits: safe here. */
		want = sbx_apply_securebits_want((unsigned)r);
		if ((unsigned)r != want &&
		    prctl(PR_SET_SECUREBITS, want, 0, 0, 0) < 0)
			return -errno;
	}
	if ((perm | eff | inh) & ~job->keep) {
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
		perm = cap64(d[0].permitted, d[1].permitted);
		inh = cap64(d[0].inheritable, d[1].inheritable);
		if ((perm | cap64(d[0].effective, d[1].effective) | inh) &
		    ~job->keep)
			return -EPERM;
	}
	/* The kernel keeps ambient within permitted and inheritable (capset
	 * narrows it too): with none of them both, it is already empty.
	 * EINVAL: a kernel before 4.3 has no ambient set. */
	if ((perm & inh) &&
	    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 &&
	    errno != EINVAL)
		return -errno;
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
	struct self_slots *sl;
	struct self_ack a;
	uint32_t slot, want;
	int saved = errno;

	/* Only the token we sent counts (glibc's own use of the signal
	 * carries none). */
	if (!job || !si || si->si_code != SI_QUEUE ||
	    si->si_value.sival_ptr != (void *)(uintptr_t)job->token) {
		th_chain(sig, si, uc);
		errno = saved;
		return;
	}
#ifdef SBX_SELF_TRACE
	long tr0 = self_trace_ns();
#endif
	a.tid = (int32_t)syscall(SYS_gettid);
	a.step = 0;
	a.err = 0;
	th_apply(job, &a);
#ifdef SBX_SELF_TRACE
	{
		unsigned k = __atomic_fetch_add(&self_trace_thn, 1, __ATOMIC_RELAXED);

		if (k < 64) {
			self_trace_th[k][0] = tr0;
			self_trace_th[k][1] = self_trace_ns();
		}
	}
#endif
	/* A slot past the end (a forged extra signal) is not written: the
	 * real thread's answer is then missing, which is a timeout, fatal. */
	sl = __atomic_load_n(&job->slots, __ATOMIC_ACQUIRE);
	slot = sl ? __atomic_fetch_add(&sl->next, 1, __ATOMIC_RELAXED) : 0;
	if (sl && slot < sl->cap) {
		sl->v[slot].step = a.step;
		sl->v[slot].err = a.err;
		__atomic_store_n(&sl->v[slot].tid, a.tid, __ATOMIC_RELEASE);
	}
	/* `acks` is the last write to the job: the caller may return as soon
	 * as it has seen every answer counted (the wake-up only names the
	 * address), so `want` is read before. */
	want = __atomic_load_n(&job->want, __ATOMIC_RELAXED);
	if (__atomic_add_fetch(&job->acks, 1, __ATOMIC_RELEASE) >= want)
		syscall(SYS_futex, &job->acks, FUTEX_WAKE_PRIVATE, 1, NULL,
			NULL, 0);
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
	int task_fd;             /* /proc/self/task, or -1: no thread is asked */
	pid_t pid, self_tid;
	uid_t uid;
	struct tidset done, pending;
	uint32_t seen;           /* answers of the current block read so far  */
	bool seed;               /* first round: the threads listed at prepare */
	size_t io_workers;       /* in `done` without a signal: io_uring's     */
	unsigned rounds, max_rounds, timeout_ms;
};

/* Calls fn for every thread id in `fd` (a /proc/<pid>/task directory),
 * read from the start; stops at the first nonzero return. */
static int each_tid(int fd, int (*fn)(void *, pid_t), void *arg)
{
	char buf[4096];
	long n;
	int r;

	if (lseek(fd, 0, SEEK_SET) < 0)
		return -errno;
	while ((n = syscall(SYS_getdents64, fd, buf, sizeof(buf))) > 0) {
		for (long off = 0; off < n;) {
			struct linux_dirent64_ *d = (void *)(buf + off);
			pid_t tid = 0;

			off += d->d_reclen;
			for (const char *c = d->d_name; *c >= '0' && *c <= '9'; c++)
				tid = tid * 10 + (*c - '0');
			if (tid > 0 && (r = fn(arg, tid)))
				return r;
		}
	}
	return n < 0 ? -errno : 0;
}

/* An io_uring worker of the kernel runs no user code and takes no handler:
 * it is counted as done without a signal (self_rings.c). */
static int skip_io_worker(struct self_run *run, pid_t tid)
{
	run->io_workers++;
	return tidset_add(&run->done, tid);
}

/* Queue `tid` unless it is the caller, confined or already waited for. */
static int add_new(void *arg, pid_t tid)
{
	struct self_run *run = arg;

	if (tid == run->self_tid || tidset_has(&run->done, tid) ||
	    tidset_has(&run->pending, tid))
		return 0;
	/* Kernel io workers exist only beside rings. */
	if (!run->seed && run->job.pp->self_nrings &&
	    sbx_self_task_is_io_worker(run->task_fd, tid))
		return skip_io_worker(run, tid);
	return tidset_add(&run->pending, tid);
}

/* Add to `pending` every thread of /proc/self/task not yet confined nor
 * waited for; the new ones are pending.v[from..]. The first round takes the
 * list made at prepare time instead of reading the directory: the threads
 * are signalled without waiting for /proc, and every later round reads it
 * (so a thread started since prepare is found there). Returns how many. */
static int list_new(struct self_run *run, size_t from, struct sbx_error *err)
{
	const struct sbx_prepared *pp = run->job.pp;
	int r;

	if (run->seed) {
		/* Still seeding while the list is added: it was filtered at
		 * prepare. */
		for (size_t i = 0; i < pp->self_ntids; i++)
			if ((r = add_new(run, pp->self_tids[i])))
				return sbx_error_set(err, SBX_ENOMEM, ENOMEM,
						     NULL, "out of memory");
		run->seed = false;
		return (int)(run->pending.n - from);
	}
	r = each_tid(run->task_fd, add_new, run);
	if (r == -ENOMEM)
		return sbx_error_set(err, SBX_ENOMEM, ENOMEM, NULL,
				     "out of memory");
	if (r < 0)
		return sbx_error_sys(err, -r, "getdents64", NULL,
				     "self: cannot list /proc/self/task");
	return (int)(run->pending.n - from);
}

static int keep_tid(void *arg, pid_t tid)
{
	struct sbx_prepared *pp = arg;

	if (pp->self_nrings && sbx_self_task_is_io_worker(pp->self_task_fd, tid))
		return 0;
	return sbx_self_seed_add(pp, tid);
}

static void drop_seed(struct sbx_prepared *pp)
{
	if (pp->self_task_fd >= 0)
		close(pp->self_task_fd);
	pp->self_task_fd = -1;
	free(pp->self_tids);
	pp->self_tids = NULL;
	pp->self_ntids = 0;
}

/* Whether the other threads must be asked at all: for capabilities, for
 * Landlock without its TSYNC (ABI 8), or for no_new_privs when no seccomp
 * filter (whose TSYNC sets it on every thread) comes. */
static bool others_needed(const struct sbx_prepared *pp)
{
	return pp->plan.caps.present ||
	       (pp->landlock.active && pp->landlock_abi < 8) ||
	       !pp->plan.seccomp.prog;
}

void sbx_self_prepare_threads(struct sbx_prepared *pp)
{
	int fd;

	if (!others_needed(pp)) {
		drop_seed(pp);
		return;
	}
	/* Listed already by the ring check, which read every thread's state
	 * (self_rings.c): one pass over /proc/self/task instead of two. */
	if (pp->self_task_fd >= 0)
		return;
	fd = open("/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return;
	pp->self_task_fd = fd;
	if (each_tid(fd, keep_tid, pp)) {
		free(pp->self_tids);
		pp->self_tids = NULL;
		pp->self_ntids = 0;
	}
	pp->self_pid = getpid();
}

/* One round: list the threads, give the round a fresh answer block, then
 * signal them all at once (they confine themselves in parallel while the
 * caller goes on). Returns how many were signalled, or -errno. */
static int signal_round(struct self_run *run, struct sbx_error *err)
{
	struct self_slots *sl;
	size_t from = run->pending.n;
	int sent = 0, r;

	if ((r = list_new(run, from, err)) <= 0)
		return r;
	SELF_TRACE("scan");
	/* Slack for a forged signal or two: it must not take a real slot. */
	sl = calloc(1, sizeof(*sl) + ((size_t)r + 8) * sizeof(sl->v[0]));
	if (!sl)
		return sbx_error_set(err, SBX_ENOMEM, ENOMEM, NULL,
				     "out of memory");
	sl->cap = (uint32_t)r + 8;
	sl->prev = run->job.slots;
	run->seen = 0;
	__atomic_store_n(&run->job.slots, sl, __ATOMIC_RELEASE);
	__atomic_store_n(&run->job.want, run->job.want + (uint32_t)r,
			 __ATOMIC_RELAXED);
	for (size_t i = from; i < run->pending.n;) {
		pid_t tid = run->pending.v[i];
		siginfo_t si;

		memset(&si, 0, sizeof(si));
		si.si_signo = SBX_SELF_SIGNAL;
		si.si_code = SI_QUEUE;
		si.si_pid = run->pid;
		si.si_uid = run->uid;
		si.si_value.sival_ptr = (void *)(uintptr_t)run->job.token;
		if (syscall(SYS_rt_tgsigqueueinfo, run->pid, tid,
			    SBX_SELF_SIGNAL, &si) == 0) {
			SELF_TRACE("s");
			sent++;
			i++;
			continue;
		}
		if (errno != ESRCH)
			return sbx_error_sys(err, errno, "rt_tgsigqueueinfo",
					     NULL, "self: cannot signal thread "
					     "%d: %s", (int)tid, strerror(errno));
		/* It has exited meanwhile: nothing to wait for. */
		tidset_del(&run->pending, tid);
		__atomic_sub_fetch(&run->job.want, 1, __ATOMIC_RELAXED);
	}
	return sent;
}

static bool thread_exists(pid_t pid, pid_t tid)
{
	return syscall(SYS_tgkill, pid, tid, 0) == 0 || errno != ESRCH;
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Take the answers written since the last look. */
static int read_answers(struct self_run *run, struct sbx_error *err)
{
	struct self_slots *sl = run->job.slots;

	while (run->seen < sl->cap) {
		struct self_ack *a = &sl->v[run->seen];
		pid_t tid = __atomic_load_n(&a->tid, __ATOMIC_ACQUIRE);

		if (!tid)
			break;
		run->seen++;
		if (a->err)
			return sbx_error_sys(err, a->err, sbx_step_name(a->step),
					     NULL, "self: thread %d: %s: %s",
					     (int)tid, sbx_step_name(a->step),
					     strerror(a->err));
		if (tidset_has(&run->pending, tid)) {
			tidset_del(&run->pending, tid);
			if (tidset_add(&run->done, tid))
				return sbx_error_set(err, SBX_ENOMEM, ENOMEM,
						     NULL, "out of memory");
		}
	}
	return 0;
}

/* A thread that exits with the signal pending never answers: every
 * CHECK_NS the caller looks for such threads instead of waiting them out. */
#define CHECK_NS 2000000

/* Wait until every pending thread has answered (or exited). */
static int wait_round(struct self_run *run, struct sbx_error *err)
{
	int64_t start = now_ns(), deadline = start +
		(int64_t)run->timeout_ms * 1000000, next_check = start + CHECK_NS;
	int r;

	for (;;) {
		uint32_t acks = __atomic_load_n(&run->job.acks, __ATOMIC_ACQUIRE);
		int64_t now, until;
		struct timespec ts;

		if ((r = read_answers(run, err)))
			return r;
		if (!run->pending.n)
			return 0;
		now = now_ns();
		if (now >= next_check || now >= deadline) {
			/* Threads that exited before handling do not answer,
			 * nor do io_uring workers (one that started since the
			 * round was listed). */
			for (size_t i = run->pending.n; i-- > 0;) {
				pid_t tid = run->pending.v[i];
				bool gone = !thread_exists(run->pid, tid);

				if (!gone && !sbx_self_task_is_io_worker(
						run->task_fd, tid))
					continue;
				tidset_del(&run->pending, tid);
				__atomic_sub_fetch(&run->job.want, 1,
						   __ATOMIC_RELAXED);
				if (!gone && skip_io_worker(run, tid))
					return sbx_error_set(err, SBX_ENOMEM,
						ENOMEM, NULL, "out of memory");
			}
			if (!run->pending.n)
				return 0;
			if (now >= deadline)
				return sbx_error_set(err, SBX_ESYS, ETIMEDOUT,
					NULL, "self: thread %d (and %zu more) "
					"did not confine itself within %u ms "
					"(signal %d blocked, or the thread is "
					"stopped)", (int)run->pending.v[0],
					run->pending.n - 1, run->timeout_ms,
					SBX_SELF_SIGNAL);
			next_check = now + CHECK_NS;
		}
		until = next_check < deadline ? next_check : deadline;
		ts.tv_sec = (until - now) / 1000000000;
		ts.tv_nsec = (until - now) % 1000000000;
		/* Woken by the last answer, or at `until`; EAGAIN: `acks`
		 * moved meanwhile; EINTR: a signal. All mean: look again. */
		(void)syscall(SYS_futex, &run->job.acks, FUTEX_WAIT_PRIVATE,
			      acks, &ts, NULL, 0);
	}
}

/* After the first round was sent (and the caller did its own steps): wait
 * for it, then re-scan until a scan finds no thread not yet confined. */
static int finish_other_threads(struct self_run *run, int sent,
				struct sbx_error *err)
{
	int r;

	for (;;) {
		if (sent > 0 && (r = wait_round(run, err)))
			return r;
		SELF_TRACE("wait");
		if ((r = signal_round(run, err)) < 0)
			return r;
		SELF_TRACE("signal");
		if (r == 0 && !run->pending.n)
			return 0;
		if (++run->rounds > run->max_rounds)
			break;
		sent = r;
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
	memset(run, 0, sizeof(*run));
	run->task_fd = -1;
	run->pid = getpid();
	run->self_tid = (pid_t)syscall(SYS_gettid);
	run->uid = getuid();
	run->timeout_ms = opts && opts->timeout_ms ? opts->timeout_ms
						    : SBX_SELF_DEFAULT_TIMEOUT_MS;
	run->max_rounds = opts && opts->max_rounds ? opts->max_rounds
						    : SBX_SELF_DEFAULT_MAX_ROUNDS;
	run->job.pp = pp;
	/* What the signal carries: unguessable, so that no other process
	 * can make a thread write an answer. */
	if (syscall(SYS_getrandom, &run->job.token, sizeof(run->job.token),
		    GRND_NONBLOCK) != (long)sizeof(run->job.token))
		run->job.token = (uintptr_t)&run->job ^ (uint64_t)now_ns();
	run->job.token |= 1;     /* never NULL */
	/* Listed at prepare time by this same process: its directory and
	 * list are taken over (the list seeds the first round, which is then
	 * not a scan: a later round always follows, see confine()). */
	if (!others_needed(pp)) {
		/* seccomp's TSYNC alone: no thread is signalled */
	} else if (pp->self_task_fd >= 0 && pp->self_pid == run->pid) {
		run->task_fd = pp->self_task_fd;
		pp->self_task_fd = -1;
		run->seed = true;
	} else {
		run->task_fd = open("/proc/self/task",
				    O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	if (others_needed(pp) && run->task_fd < 0)
		return sbx_error_sys(err, errno, "open", NULL,
				     "self: cannot list the threads: "
				     "/proc/self/task: %s (is /proc mounted?)",
				     strerror(errno));
	/* Allocated now, so that the common case allocates little later. */
	if (tidset_add(&run->done, run->self_tid) ||
	    tidset_add(&run->pending, 0))
		return sbx_error_set(err, SBX_ENOMEM, ENOMEM, NULL,
				     "out of memory");
	run->done.n = run->pending.n = 0;
	return 0;
}

static void teardown(struct self_run *run)
{
	struct self_slots *sl = run->job.slots;

	if (run->task_fd >= 0)
		close(run->task_fd);
	while (sl) {
		struct self_slots *prev = sl->prev;

		free(sl);
		sl = prev;
	}
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

/*
 * This thread's bounding set as /proc says it (CapBnd): one read instead of
 * a PR_CAPBSET_READ per capability (~10 against ~45 us). Only a hint for
 * the threads: one not in it is still read and dropped by each thread
 * (th_caps()), so a wrong answer costs time, never a capability left.
 * 0, or -1 (no /proc: the caller reads bit by bit).
 */
static int bounding_from_status(uint64_t *out)
{
	char buf[4096];
	const char *p;
	uint64_t v = 0;
	ssize_t n;
	int fd = open("/proc/thread-self/status", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	p = strstr(buf, "\nCapBnd:\t");
	if (!p)
		return -1;
	p += 9;
	for (int i = 0; i < 16; i++, p++) {
		int d = *p >= '0' && *p <= '9' ? *p - '0' :
			*p >= 'a' && *p <= 'f' ? *p - 'a' + 10 : -1;

		if (d < 0)
			return -1;
		v = v << 4 | (uint64_t)d;
	}
	if (*p != '\n')
		return -1;
	*out = v;
	return 0;
}

/* What the other threads are asked to do, from this thread's state before
 * it changes anything (they start from the same credentials). */
static int make_job(struct self_run *run, struct sbx_prepared *pp,
		    bool ll_tsync, struct sbx_error *err)
{
	struct self_job *job = &run->job;
	struct __user_cap_data_struct d[2];
	int r;

	job->landlock = pp->landlock.active && !ll_tsync;
	if (!pp->plan.caps.present)
		return 0;
	job->caps = true;
	job->keep = pp->plan.caps.keep;
	job->securebits = !pp->plan.caps.skip_securebits;
	/* Without CAP_SETPCAP here (an unprivileged process) the bounding set
	 * is not read: a thread that has it reads its own instead. */
	if ((r = th_capget(d)))
		return sbx_error_sys(err, -r, "capget", pp->plan.caps.pointer,
				     "capabilities: cannot read them");
	if (!(d[0].permitted & (1u << CAP_SETPCAP)))
		return 0;
	if (!bounding_from_status(&job->bounding_drop)) {
		job->bounding_drop &= ~job->keep;
		return 0;
	}
	for (int cap = 0; cap < 64; cap++) {
		int in = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);

		if (in < 0)
			break;   /* past the kernel's last capability */
		if (in == 1 && !(job->keep & CAPBIT(cap)))
			job->bounding_drop |= CAPBIT(cap);
	}
	return 0;
}

/* The calling thread's capabilities and no_new_privs. */
static int confine_caller(struct sbx_prepared *pp, struct sbx_error *err)
{
	struct sbx_apply_result *res = &pp->result;
	int r;

	if (pp->plan.caps.present) {
		unsigned before = res->notes.count + res->notes.lost;

		res->failed_step = SBX_STEP_CAPS;
		if ((r = sbx_apply_caps(&pp->plan.caps, true, res, err)))
			return r;
		res->enforced |= SBX_STEP_BIT(SBX_STEP_CAPS);
		if (res->notes.count + res->notes.lost != before)
			res->skipped |= SBX_STEP_BIT(SBX_STEP_CAPS);
	}
	res->failed_step = SBX_STEP_NNP;
	if ((r = sbx_apply_no_new_privs(err)))
		return r;
	res->enforced |= SBX_STEP_BIT(SBX_STEP_NNP);
	return 0;
}

/* Before the job can go away: every handler that wrote an answer has also
 * counted itself in `acks`, its last touch of the job (the wake-up after
 * it only names the address). */
static void settle(struct self_run *run)
{
	uint32_t written = 0, acks;

	for (struct self_slots *sl = run->job.slots; sl; sl = sl->prev) {
		uint32_t n = __atomic_load_n(&sl->next, __ATOMIC_ACQUIRE);

		written += n < sl->cap ? n : sl->cap;
	}
	while ((acks = __atomic_load_n(&run->job.acks, __ATOMIC_ACQUIRE)) <
	       written) {
		struct timespec ts = { 0, 100000 };

		(void)syscall(SYS_futex, &run->job.acks, FUTEX_WAIT_PRIVATE,
			      acks, &ts, NULL, 0);
	}
}

#if defined(__x86_64__)
#define SELF_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define SELF_AUDIT_ARCH AUDIT_ARCH_AARCH64
#endif

/*
 * May seccomp be loaded while the other threads still confine themselves?
 * Only if the filter allows, whatever the arguments, every system call made
 * after it by the handlers and by this thread until the end (answers,
 * re-scans and later rounds, its own Landlock, giving the signal back, the
 * fatal exit, memory for later rounds). Then the kernel checks and compiles
 * the filter (~100 µs) while the threads work, instead of after them; else
 * seccomp stays last. Either way every thread ends with the same layers.
 */
static bool seccomp_early_ok(const struct sbx_plan_seccomp *sc)
{
#ifdef SELF_AUDIT_ARCH
	static const uint32_t needed[] = {
		/* the handler, and the interrupted call it returns to (a
		 * restartable one runs again, others via restart_syscall) */
		SYS_gettid, SYS_capget, SYS_capset, SYS_prctl,
		SYS_landlock_restrict_self, SYS_futex, SYS_rt_sigreturn,
		SYS_restart_syscall,
		/* this thread: waits, scans, rounds, its Landlock, the end */
		SYS_lseek, SYS_getdents64, SYS_rt_tgsigqueueinfo, SYS_tgkill,
		SYS_rt_sigaction, SYS_close, SYS_clock_gettime, SYS_write,
		SYS_exit_group, SYS_brk, SYS_mmap, SYS_munmap, SYS_mremap,
		SYS_mprotect, SYS_madvise,
	};

	if (!sc->prog || sc->len == 0 || (sc->flags & ~(unsigned)
	    (SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_SPEC_ALLOW |
	     SECCOMP_FILTER_FLAG_LOG)))
		return false;
	for (size_t i = 0; i < sizeof(needed) / sizeof(needed[0]); i++)
		if (!sbx_bpf_const_allows(sc->prog, sc->len, SELF_AUDIT_ARCH,
				   needed[i]))
			return false;
	return true;
#else
	(void)sc;
	return false;
#endif
}

static int load_seccomp(struct sbx_prepared *pp, struct sbx_plan_seccomp *sc,
			struct sbx_error *err)
{
	struct sbx_apply_result *res = &pp->result;
	int r;

	res->failed_step = SBX_STEP_SECCOMP;
	sc->flags |= SECCOMP_FILTER_FLAG_TSYNC;
	if ((r = sbx_apply_seccomp(sc, &res->seccomp_listener_fd,
				   &res->tsync_failed_tid, err)))
		return r;
	res->enforced |= SBX_STEP_BIT(SBX_STEP_SECCOMP);
	return 0;
}

/* Everything from the first change of a thread's credentials on. */
static int confine(struct self_run *run, struct sbx_prepared *pp,
		   struct sbx_error *err)
{
	struct sbx_apply_result *res = &pp->result;
	struct sbx_plan_seccomp sc = pp->plan.seccomp;
	bool ll_tsync = pp->landlock.active && pp->landlock_abi >= 8;
	bool others, early = false, seeded = false;
	int r, sent = 0;

	res->failed_step = SBX_STEP_CAPS;
	if ((r = make_job(run, pp, ll_tsync, err)))
		return r;
	SELF_TRACE("job");

	/* The other threads first, all at once: they confine themselves in
	 * parallel while this thread does its own steps, and all of them
	 * before this thread's Landlock domain (a kernel that scopes signals
	 * between sibling domains would refuse the signals after). */
	others = others_needed(pp);
	if (others) {
		__atomic_store_n(&self_active, &run->job, __ATOMIC_RELEASE);
		seeded = run->seed;
		if ((sent = signal_round(run, err)) < 0)
			return sent;
		if (sent > 0)
			run->rounds = 1;
		SELF_TRACE("signal");
	}
	if ((r = confine_caller(pp, err)))
		return r;
	SELF_TRACE("caller");
	/* While the threads answer: nothing left to do here but seccomp. */
	/* Not with rings held: their second check asks each ring, which the
	 * filter would refuse (see below). */
	if (sent > 0 && !pp->self_nrings && seccomp_early_ok(&sc)) {
		early = true;
		if ((r = load_seccomp(pp, &sc, err)))
			return r;
		SELF_TRACE("seccomp-early");
	}
	if (others) {
		res->failed_step = SBX_STEP_LANDLOCK;
		/* A first round from the prepare-time list is no scan: a
		 * thread started since (in a process that had none other
		 * then) is found by the next one, even when it sent nothing. */
		r = sent > 0 || seeded ? finish_other_threads(run, sent, err) : 0;
		__atomic_store_n(&self_active, NULL, __ATOMIC_RELEASE);
		settle(run);
		if (r)
			return r;
	}
	SELF_TRACE("others");
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
			"signal in %u round%s%s%s", run->done.n - run->io_workers,
			run->done.n - run->io_workers == 1 ? "" : "s", run->rounds,
			run->rounds == 1 ? "" : "s",
			ll_tsync ? " (Landlock by TSYNC)" : "",
			early ? " (seccomp loaded meanwhile)" : "");
	if (run->io_workers)
		sbx_notebuf_add(&pp->notes, "self: %zu io_uring worker "
				"thread%s of the kernel left as they are (they "
				"run each operation with its submitter's "
				"credentials)", run->io_workers,
				run->io_workers == 1 ? "" : "s");

	/* Every thread confined: rings made and personalities registered
	 * since prepare by a thread that was not are found now, while the
	 * rings can still be asked (io_uring_register). */
	if (pp->self_nrings && (r = sbx_self_rings_recheck(pp, err)))
		return r;
	/* Unless it was loaded early (a filter that allows all of the above),
	 * seccomp may deny what the steps above need: last. The handler goes
	 * back first for the same reason. */
	SELF_TRACE("landlock");
	return_signal();
	if (sc.prog && !early && (r = load_seccomp(pp, &sc, err)))
		return r;
	SELF_TRACE("seccomp");
	/* No ring can be made from here on (every preset refuses
	 * io_uring_setup): one made since prepare must be accounted for too. */
	if (sc.prog && !pp->self_nrings && (r = sbx_self_rings_recheck(pp, err)))
		return r;
	if (sc.prog)
		sbx_self_rings_sealed(pp);
	SELF_TRACE("rings");
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

	SELF_TRACE("start");
	if ((r = check_args(pp, err)))
		return r;
	if (__atomic_exchange_n(&self_busy, 1, __ATOMIC_ACQUIRE))
		return sbx_error_set(err, SBX_EINVAL, EBUSY, NULL,
				     "sbx_self_lockdown: another lockdown is "
				     "running in this process");
	r = setup(&run, pp, opts, err);
	SELF_TRACE("setup");
	if (r || (r = borrow_signal(err))) {
		teardown(&run);
		__atomic_store_n(&self_busy, 0, __ATOMIC_RELEASE);
		return r;
	}

	SELF_TRACE("borrow");
	res = sbx_prepared_begin_apply(pp);
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

	SELF_TRACE("rlimits");
	if ((r = confine(&run, pp, err)))
		self_fatal(err);
	pp->apply_rc = 0;
	/* The ruleset is in force and cannot be applied again: its fd need
	 * not stay open in the confined process until the handle is freed. */
	if (pp->landlock_fd >= 0) {
		close(pp->landlock_fd);
		pp->landlock_fd = -1;
	}
	teardown(&run);
	SELF_TRACE("teardown");
	self_trace_dump();
	__atomic_store_n(&self_busy, 0, __ATOMIC_RELEASE);
	return 0;
}

int sbx_self_lockdown(struct sbx_prepared *pp, struct sbx_error *err)
{
	return sbx_self_lockdown_opts(pp, NULL, err);
}
