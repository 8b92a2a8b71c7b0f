/*
 * The self door on a multi-threaded process: every thread confined (caps,
 * no_new_privs, Landlock, seccomp), threads created before and after,
 * threads that block signals, stacking, the fail-closed exit, and that the
 * borrowed signal is given back. Each case runs in a forked child
 * (child.h); threads are real pthreads.
 */
#include "t.h"
#include "child.h"

#include "self.h"
#include "sbx_apply.h"
#include "sbx_policy.h"

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#define NTHREADS 4

/* /usr is readable, /etc is not; /proc for the status files. */
static const char policy_usr[] =
	"{\"fs\": {\"read\": [\"/usr\", \"/proc\", \"/etc\"]},"
	" \"seccomp\": {\"default\": \"allow\", \"deny\": [\"ptrace\"]},"
	" \"capabilities\": {\"keep\": []}}";
static const char policy_no_etc[] =
	"{\"fs\": {\"read\": [\"/usr\", \"/proc\"]},"
	" \"seccomp\": {\"default\": \"allow\", \"deny\": [\"ptrace\"]},"
	" \"capabilities\": {\"keep\": []}}";

struct worker {
	pthread_t th;
	atomic_int go;           /* 1: probe; 2: exit                          */
	atomic_int done;
	int etc_errno, usr_errno;
	bool block_all;          /* pthread_sigmask(everything) like Node's     */
};

static int probe_open(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	if (w->block_all) {
		sigset_t all;

		sigfillset(&all);
		pthread_sigmask(SIG_SETMASK, &all, NULL);
	}
	for (;;) {
		int g = atomic_load(&w->go);

		if (g == 2)
			return NULL;
		if (g == 1 && !atomic_load(&w->done)) {
			w->etc_errno = probe_open("/etc/passwd");
			w->usr_errno = probe_open("/usr/bin");
			atomic_store(&w->done, 1);
		}
		usleep(1000);
	}
}

static void worker_probe(struct worker *w)
{
	atomic_store(&w->done, 0);
	atomic_store(&w->go, 1);
	while (!atomic_load(&w->done))
		usleep(500);
	atomic_store(&w->go, 0);
}

static struct sbx_prepared *prepare(const char *text, struct sbx_error *e)
{
	struct sbx_policy *p = NULL;
	struct sbx_prepared *pp = NULL;

	sbx_error_clear(e);
	if (sbx_policy_load(text, NULL, &p, e))
		return NULL;
	if (sbx_prepare(p, SBX_DOOR_SELF, SBX_PREPARE_TSYNC, &pp, e))
		pp = NULL;
	sbx_policy_free(p);
	return pp;
}

/* Every task of this process confined (Seccomp 2, NoNewPrivs, no
 * capability left in any set; as root none in the bounding set either):
 * how many tasks, how many not. */
static void put_tasks(struct child_out *o)
{
	bool root = geteuid() == 0;
	DIR *d = opendir("/proc/self/task");
	struct dirent *de;
	char path[300];
	int ntasks = 0, bad = 0;

	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/status", de->d_name);
		ntasks++;
		if (child_status_field(path, "Seccomp", 10) != 2 ||
		    child_status_field(path, "NoNewPrivs", 10) != 1 ||
		    child_status_field(path, "CapEff", 16) != 0 ||
		    child_status_field(path, "CapPrm", 16) != 0 ||
		    child_status_field(path, "CapInh", 16) != 0 ||
		    child_status_field(path, "CapAmb", 16) != 0 ||
		    /* root (CAP_SETPCAP) empties every thread's bounding set;
		     * uid 65534 cannot, and no_new_privs covers it */
		    (root && child_status_field(path, "CapBnd", 16) != 0))
			bad++;
	}
	if (d)
		closedir(d);
	child_put(o, ntasks);
	child_put(o, bad);
}

/* v: per task (Seccomp, NoNewPrivs, CapEff==0), then per worker (etc, usr
 * errno), then the late thread's. */
static void body_all_threads(void *arg, struct child_out *o)
{
	struct worker w[NTHREADS], late;
	struct sbx_prepared *pp;
	struct sbx_error e;
	int i;

	(void)arg;
	memset(w, 0, sizeof(w));
	memset(&late, 0, sizeof(late));
	for (i = 0; i < NTHREADS; i++) {
		w[i].block_all = i % 2 == 0;
		pthread_create(&w[i].th, NULL, worker_main, &w[i]);
	}
	pp = prepare(policy_no_etc, &e);
	if (!pp || sbx_self_lockdown(pp, &e)) {
		snprintf(o->msg, sizeof(o->msg), "%s", e.message);
		_exit(3);
	}
	pthread_create(&late.th, NULL, worker_main, &late);
	put_tasks(o);
	for (i = 0; i < NTHREADS; i++) {
		worker_probe(&w[i]);
		child_put(o, w[i].etc_errno);
		child_put(o, w[i].usr_errno);
	}
	worker_probe(&late);
	child_put(o, late.etc_errno);
	child_put(o, late.usr_errno);
	child_put(o, probe_open("/etc/passwd"));
	child_put(o, probe_open("/usr/bin"));
	sbx_prepared_free(pp);
	_exit(0);
}

static void check_all_threads(bool as_nobody)
{
	struct child_out *o = child_run(body_all_threads, NULL, as_nobody);
	int i;

	CHECK(child_ok(o));
	if (!child_ok(o)) {
		printf("# status %d: %s\n", o ? o->status : -1, o ? o->msg : "");
		child_free(o);
		return;
	}
	CHECK_EQ_INT(o->v[0], NTHREADS + 2);   /* main, workers, late */
	CHECK_EQ_INT(o->v[1], 0);
	for (i = 0; i < NTHREADS + 2; i++) {
		CHECK_EQ_INT(o->v[2 + 2 * i], EACCES);
		CHECK_EQ_INT(o->v[3 + 2 * i], 0);
	}
	child_free(o);
}

TEST(self_confines_every_thread_as_root) { check_all_threads(false); }
TEST(self_confines_every_thread_unprivileged) { check_all_threads(true); }

/* The threads are listed when the lockdown is prepared; threads started
 * between prepare and apply are found by apply's own listing, and a thread
 * listed at prepare that exited since is no obstacle. */
static void body_after_prepare(void *arg, struct child_out *o)
{
	struct worker w[NTHREADS];
	struct sbx_prepared *pp;
	struct sbx_error e;
	int i;

	(void)arg;
	memset(w, 0, sizeof(w));
	for (i = 0; i < 3; i++)
		pthread_create(&w[i].th, NULL, worker_main, &w[i]);
	pp = prepare(policy_no_etc, &e);
	if (!pp)
		_exit(3);
	/* One listed thread gone, one not listed started. */
	atomic_store(&w[0].go, 2);
	pthread_join(w[0].th, NULL);
	w[3].block_all = true;
	pthread_create(&w[3].th, NULL, worker_main, &w[3]);
	if (sbx_self_lockdown(pp, &e)) {
		snprintf(o->msg, sizeof(o->msg), "%s", e.message);
		_exit(4);
	}
	put_tasks(o);
	for (i = 1; i < NTHREADS; i++) {
		worker_probe(&w[i]);
		child_put(o, w[i].etc_errno);
		child_put(o, w[i].usr_errno);
	}
	sbx_prepared_free(pp);
	_exit(0);
}

TEST(self_threads_started_after_prepare)
{
	struct child_out *o = child_run(body_after_prepare, NULL, true);

	CHECK(child_ok(o));
	if (!child_ok(o)) {
		printf("# status %d: %s\n", o ? o->status : -1, o ? o->msg : "");
		child_free(o);
		return;
	}
	CHECK_EQ_INT(o->v[0], NTHREADS);      /* main and three workers */
	CHECK_EQ_INT(o->v[1], 0);
	for (int i = 0; i < NTHREADS - 1; i++) {
		CHECK_EQ_INT(o->v[2 + 2 * i], EACCES);
		CHECK_EQ_INT(o->v[3 + 2 * i], 0);
	}
	child_free(o);
}

/* A process with no other thread at prepare starts one before apply: the
 * prepare-time list holds only the caller, so the first round sends no
 * signal, and apply must still scan /proc/self/task once for the thread
 * (it used to take the empty round for a scan that found nothing). */
static void body_first_thread_after_prepare(void *arg, struct child_out *o)
{
	struct worker w;
	struct sbx_prepared *pp;
	struct sbx_error e;

	(void)arg;
	memset(&w, 0, sizeof(w));
	pp = prepare(policy_no_etc, &e);
	if (!pp)
		_exit(3);
	child_put(o, (int)pp->self_ntids);    /* the caller only */
	pthread_create(&w.th, NULL, worker_main, &w);
	if (sbx_self_lockdown(pp, &e)) {
		snprintf(o->msg, sizeof(o->msg), "%s", e.message);
		_exit(4);
	}
	put_tasks(o);
	worker_probe(&w);
	child_put(o, w.etc_errno);
	child_put(o, w.usr_errno);
	child_put(o, strstr(pp->notes.text[pp->notes.count - 1],
			    "1 other thread confined by signal in 1 round") != NULL);
	sbx_prepared_free(pp);
	_exit(0);
}

TEST(self_first_thread_started_after_prepare)
{
	struct child_out *o = child_run(body_first_thread_after_prepare, NULL, true);

	CHECK(child_ok(o));
	if (!child_ok(o)) {
		printf("# status %d: %s\n", o ? o->status : -1, o ? o->msg : "");
		child_free(o);
		return;
	}
	CHECK_EQ_INT(o->v[0], 1);
	CHECK_EQ_INT(o->v[1], 2);             /* main and the worker */
	CHECK_EQ_INT(o->v[2], 0);             /* both confined */
	CHECK_EQ_INT(o->v[3], EACCES);        /* Landlock on the worker */
	CHECK_EQ_INT(o->v[4], 0);
	CHECK_EQ_INT(o->v[5], 1);
	child_free(o);
}

/* Only a seccomp filter (no capabilities section, no Landlock): TSYNC puts
 * it and no_new_privs on every thread, so nothing is listed at prepare and
 * no thread is signalled; every thread still ends with both. */
static void body_seccomp_only(void *arg, struct child_out *o)
{
	struct worker w[3];
	struct sbx_prepared *pp;
	struct sbx_error e;

	(void)arg;
	memset(w, 0, sizeof(w));
	for (int i = 0; i < 3; i++)
		pthread_create(&w[i].th, NULL, worker_main, &w[i]);
	pp = prepare("{\"seccomp\": {\"default\": \"allow\", \"deny\": [\"ptrace\"]}}", &e);
	if (!pp)
		_exit(3);
	child_put(o, pp->self_task_fd);
	if (sbx_self_lockdown(pp, &e)) {
		snprintf(o->msg, sizeof(o->msg), "%s", e.message);
		_exit(4);
	}
	put_tasks(o);
	child_put(o, strstr(pp->notes.text[pp->notes.count - 1], "0 other threads") != NULL);
	sbx_prepared_free(pp);
	_exit(0);
}

TEST(self_seccomp_only_needs_no_signal)
{
	struct child_out *o = child_run(body_seccomp_only, NULL, true);

	CHECK(child_ok(o));
	if (!child_ok(o)) {
		printf("# status %d: %s\n", o ? o->status : -1, o ? o->msg : "");
		child_free(o);
		return;
	}
	CHECK_EQ_INT(o->v[0], -1);            /* nothing listed */
	CHECK_EQ_INT(o->v[1], 4);             /* main and three workers */
	CHECK_EQ_INT(o->v[2], 0);             /* all with Seccomp 2 and NNP */
	CHECK_EQ_INT(o->v[3], 1);
	child_free(o);
}

/* Prepared in a process, applied in its forked child: the child confines
 * its own threads (the parent's list and /proc directory are not its own),
 * and the parent's threads stay as they were. */
static void body_forked(void *arg, struct child_out *o)
{
	struct worker w[2];
	struct sbx_prepared *pp;
	struct sbx_error e;
	int st = 0;
	pid_t pid;

	(void)arg;
	memset(w, 0, sizeof(w));
	pthread_create(&w[0].th, NULL, worker_main, &w[0]);
	/* Running, not still starting, when the fork comes: a thread that
	 * starts holds the allocator's locks a moment (ASan's), and a fork
	 * then would give the child a lock nobody releases (seen: 1 run in
	 * 20 hung under ASan on a loaded machine). */
	worker_probe(&w[0]);
	pp = prepare(policy_no_etc, &e);
	if (!pp)
		_exit(3);
	pid = fork();
	if (pid == 0) {
		struct worker cw[2];

		memset(cw, 0, sizeof(cw));
		for (int i = 0; i < 2; i++)
			pthread_create(&cw[i].th, NULL, worker_main, &cw[i]);
		if (sbx_self_lockdown(pp, &e))
			_exit(10);
		for (int i = 0; i < 2; i++) {
			worker_probe(&cw[i]);
			if (cw[i].etc_errno != EACCES || cw[i].usr_errno != 0)
				_exit(11 + i);
		}
		{
			struct child_out mine;

			memset(&mine, 0, sizeof(mine));
			put_tasks(&mine);
			/* main and two workers, all confined */
			_exit(mine.v[0] == 3 && mine.v[1] == 0 ? 0 : 13);
		}
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		_exit(5);
	child_put(o, WIFEXITED(st) ? WEXITSTATUS(st) : 100 + WTERMSIG(st));
	/* The parent: untouched. */
	child_put(o, (int)child_status_field("/proc/self/status", "Seccomp", 10));
	worker_probe(&w[0]);
	child_put(o, w[0].etc_errno);
	sbx_prepared_free(pp);
	_exit(0);
}

TEST(self_prepared_before_fork_applies_to_the_child)
{
	struct child_out *o = child_run(body_forked, NULL, true);

	CHECK(child_ok(o));
	if (child_ok(o)) {
		CHECK_EQ_INT(o->v[0], 0);
		CHECK_EQ_INT(o->v[1], 0);
		CHECK_EQ_INT(o->v[2], 0);
	}
	child_free(o);
}

/* A thread that blocks the signal with the raw system call never answers:
 * the process must exit 126, never return half-confined. */
static void body_blocked(void *arg, struct child_out *o)
{
	struct worker w;
	struct sbx_self_opts opts = { .timeout_ms = 200, .max_rounds = 0 };
	struct sbx_prepared *pp;
	struct sbx_error e;

	(void)arg;
	memset(&w, 0, sizeof(w));
	w.block_all = true;
	pthread_create(&w.th, NULL, worker_main, &w);
	usleep(10000);
	pp = prepare(policy_no_etc, &e);
	if (!pp)
		_exit(3);
	child_put(o, 1);
	sbx_self_lockdown_opts(pp, &opts, &e);
	child_put(o, 2);        /* must not be reached */
	_exit(0);
}

static void *blocker_main(void *arg)
{
	uint64_t all = ~UINT64_C(0);

	(void)arg;
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, NULL, sizeof(all));
	for (;;)
		pause();
	return NULL;
}

static void body_blocked_raw(void *arg, struct child_out *o)
{
	struct sbx_self_opts opts = { .timeout_ms = 200, .max_rounds = 0 };
	struct sbx_prepared *pp;
	struct sbx_error e;
	pthread_t th;

	(void)arg;
	pthread_create(&th, NULL, blocker_main, NULL);
	usleep(20000);
	pp = prepare(policy_no_etc, &e);
	if (!pp)
		_exit(3);
	child_put(o, 1);
	sbx_self_lockdown_opts(pp, &opts, &e);
	child_put(o, 2);
	_exit(0);
}

TEST(self_unanswering_thread_exits_126)
{
	struct child_out *o = child_run(body_blocked_raw, NULL, false);

	CHECK(o && WIFEXITED(o->status));
	CHECK_EQ_INT(WEXITSTATUS(o->status), SBX_SELF_EXIT_STATUS);
	CHECK_EQ_INT(o->n, 1);
	child_free(o);
	/* And libc-level blocking is no obstacle (Node's inspector thread). */
	o = child_run(body_blocked, NULL, false);
	CHECK(o && WIFEXITED(o->status));
	CHECK_EQ_INT(o->n, 2);
	child_free(o);
}

/* A thread that exits with the request still pending (here: it blocks the
 * signal, then exits) never answers; that is no failure, it is gone. */
static void *exiting_main(void *arg)
{
	uint64_t all = ~UINT64_C(0);

	(void)arg;
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, NULL, sizeof(all));
	usleep(100000);
	return NULL;
}

static void body_exiting(void *arg, struct child_out *o)
{
	struct sbx_prepared *pp;
	struct sbx_error e;
	struct worker w;
	pthread_t th;

	(void)arg;
	memset(&w, 0, sizeof(w));
	pthread_create(&w.th, NULL, worker_main, &w);
	pthread_create(&th, NULL, exiting_main, NULL);
	usleep(20000);
	pp = prepare(policy_no_etc, &e);
	if (!pp)
		_exit(3);
	child_put(o, sbx_self_lockdown(pp, &e));
	pthread_join(th, NULL);
	child_put(o, probe_open("/etc/passwd"));
	worker_probe(&w);
	child_put(o, w.etc_errno);
	child_put(o, w.usr_errno);
	sbx_prepared_free(pp);
	_exit(0);
}

TEST(self_thread_exiting_with_the_signal_pending)
{
	struct child_out *o = child_run(body_exiting, NULL, false);

	CHECK(child_ok(o));
	if (child_ok(o)) {
		CHECK_EQ_INT(o->v[0], 0);
		CHECK_EQ_INT(o->v[1], EACCES);
		CHECK_EQ_INT(o->v[2], EACCES);
		CHECK_EQ_INT(o->v[3], 0);
	}
	child_free(o);
}

/* A second lockdown narrows; the first one's grants do not come back. */
static void body_stack(void *arg, struct child_out *o)
{
	struct worker w;
	struct sbx_prepared *a, *b;
	struct sbx_error e;

	(void)arg;
	memset(&w, 0, sizeof(w));
	pthread_create(&w.th, NULL, worker_main, &w);
	a = prepare(policy_usr, &e);
	if (!a || sbx_self_lockdown(a, &e))
		_exit(3);
	worker_probe(&w);
	child_put(o, w.etc_errno);
	child_put(o, probe_open("/etc/passwd"));
	b = prepare(policy_no_etc, &e);
	if (!b || sbx_self_lockdown(b, &e))
		_exit(4);
	worker_probe(&w);
	child_put(o, w.etc_errno);
	child_put(o, probe_open("/etc/passwd"));
	child_put(o, w.usr_errno);
	/* The wider policy again: still narrowed. */
	sbx_prepared_free(a);
	a = prepare(policy_usr, &e);
	if (!a || sbx_self_lockdown(a, &e))
		_exit(5);
	child_put(o, probe_open("/etc/passwd"));
	worker_probe(&w);
	child_put(o, w.etc_errno);
	child_put(o, (int)child_status_field("/proc/self/status",
					     "Seccomp_filters", 10));
	_exit(0);
}

TEST(self_second_lockdown_only_narrows)
{
	struct child_out *o = child_run(body_stack, NULL, true);

	CHECK(child_ok(o));
	if (child_ok(o)) {
		CHECK_EQ_INT(o->v[0], 0);
		CHECK_EQ_INT(o->v[1], 0);
		CHECK_EQ_INT(o->v[2], EACCES);
		CHECK_EQ_INT(o->v[3], EACCES);
		CHECK_EQ_INT(o->v[4], 0);
		CHECK_EQ_INT(o->v[5], EACCES);
		CHECK_EQ_INT(o->v[6], EACCES);
		CHECK_EQ_INT(o->v[7], 3);
	}
	child_free(o);
}

struct ksa {
	void *handler;
	unsigned long flags;
	void *restorer;
	uint64_t mask;
};

/* The borrowed signal's disposition is given back; nothing is applied when
 * the arguments are wrong. */
static void body_restore(void *arg, struct child_out *o)
{
	struct ksa before, after;
	struct sbx_policy *p = NULL;
	struct sbx_prepared *pp = NULL;
	struct sbx_error e;
	pthread_t th;
	struct worker w;

	(void)arg;
	memset(&w, 0, sizeof(w));
	pthread_create(&th, NULL, worker_main, &w);
	syscall(SYS_rt_sigaction, SBX_SELF_SIGNAL, NULL, &before, 8);
	/* Wrong door: refused, nothing changes. */
	if (sbx_policy_load(policy_no_etc, NULL, &p, &e) ||
	    sbx_prepare(p, SBX_DOOR_PRELOAD, 0, &pp, &e))
		_exit(3);
	child_put(o, sbx_self_lockdown(pp, &e));
	child_put(o, prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
	child_put(o, probe_open("/etc/passwd"));
	sbx_prepared_free(pp);
	if (sbx_prepare(p, SBX_DOOR_SELF, SBX_PREPARE_TSYNC, &pp, &e))
		_exit(4);
	child_put(o, sbx_self_lockdown(pp, &e));
	syscall(SYS_rt_sigaction, SBX_SELF_SIGNAL, NULL, &after, 8);
	child_put(o, before.handler == after.handler &&
		     before.flags == after.flags && before.mask == after.mask);
	/* Applied once only. */
	child_put(o, sbx_self_lockdown(pp, &e));
	sbx_prepared_free(pp);
	sbx_policy_free(p);
	_exit(0);
}

TEST(self_refuses_bad_args_and_restores_the_signal)
{
	struct child_out *o = child_run(body_restore, NULL, false);

	CHECK(child_ok(o));
	if (child_ok(o)) {
		CHECK_EQ_INT(o->v[0], -EINVAL);
		CHECK_EQ_INT(o->v[1], 0);
		CHECK_EQ_INT(o->v[2], 0);
		CHECK_EQ_INT(o->v[3], 0);
		CHECK_EQ_INT(o->v[4], 1);
		CHECK_EQ_INT(o->v[5], -EALREADY);
	}
	child_free(o);
}

int main(void) { return t_run(); }
