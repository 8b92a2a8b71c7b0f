/* The apply engine every door ships (sbx_prepared_apply, prepare.c): each
 * step and their order, in forked children, as root and as 65534 (the
 * unprivileged cases run as the current user when the tests do not run as
 * root). Each job is a plan built by hand, prepared by sbx_prepare_plan()
 * (the filter check and the Landlock build of sbx_prepare()), then applied;
 * the policy -> plan mapping has its own tests (test_prepare.c). */
#include "apply.h"
#include "prepared.h"
#include "seccomp_defs.h"
#include "t.h"
#include "child.h"

#include <fcntl.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>

#if defined(__x86_64__)
#define ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define ARCH AUDIT_ARCH_AARCH64
#endif

#define SECBITS_LOCKED 0xefu   /* what the caps step sets and locks */

static char g_dir[64];

static void path_of(char *buf, size_t cap, const char *rel)
{
	snprintf(buf, cap, "%s/%s", g_dir, rel);
}

__attribute__((constructor(200))) static void fixture(void)
{
	char p[256];
	int fd;

	snprintf(g_dir, sizeof(g_dir), "/tmp/sbx-ap-XXXXXX");
	if (!mkdtemp(g_dir))
		abort();
	chmod(g_dir, 0777);
	path_of(p, sizeof(p), "allowed");
	mkdir(p, 0755);
	path_of(p, sizeof(p), "allowed/a.txt");
	fd = open(p, O_WRONLY | O_CREAT, 0644);
	if (fd >= 0)
		close(fd);
	path_of(p, sizeof(p), "b.txt");
	fd = open(p, O_WRONLY | O_CREAT, 0644);
	if (fd >= 0)
		close(fd);
}

__attribute__((destructor)) static void fixture_done(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", g_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "# could not remove %s\n", g_dir);
}

/* getppid -> EPERM, other arches killed, everything else allowed */
static const struct sock_filter g_filter[] = {
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ARCH, 1, 0),
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_getppid, 0, 1),
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
};
#define FILTER_LEN (sizeof(g_filter) / sizeof(g_filter[0]))

struct job {
	struct sbx_plan plan;
	struct sbx_plan_rlimit rl[4];
	struct sbx_landlock_path_rule rules[4];
	int pre_nofile_hard;      /* >0: lower the hard limit before applying */
	uint64_t pre_ambient;     /* raised into the ambient set before applying */
	bool threaded;            /* start a thread before applying            */
	bool thread_own_filter;   /* ... which installs its own filter first   */
	const char *exec_check;   /* shell test run after applying             */
	int rc;                   /* from sbx_prepare_plan, else sbx_prepared_apply */
	bool in_prepare;          /* rc is sbx_prepare_plan's: nothing applied  */
	struct sbx_error err;
	struct sbx_apply_result res;
};

static struct job *job_new(void)
{
	/* shared, so the parent sees the child's result and error */
	struct job *j = mmap(NULL, sizeof(*j), PROT_READ | PROT_WRITE,
			     MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (j == MAP_FAILED)
		abort();
	memset(j, 0, sizeof(*j));
	j->plan.rlimits = j->rl;
	j->plan.landlock.paths = j->rules;
	return j;
}

static void job_free(struct job *j)
{
	munmap(j, sizeof(*j));
}

static void put64(struct child_out *o, long long v)
{
	child_put(o, (int)(v & 0xffffffff));
	child_put(o, (int)((unsigned long long)v >> 32));
}

static long long status_hex(const char *name)
{
	return child_status_field("/proc/self/status", name, 16);
}

static long long status_dec(const char *name)
{
	return child_status_field("/proc/self/status", name, 10);
}

static int try_chown(void)
{
	char p[256];

	path_of(p, sizeof(p), "b.txt");
	return CHILD_ERRNO(chown(p, 12345, (gid_t)-1));
}

static int try_mknod(void)
{
	char p[256];
	int r;

	path_of(p, sizeof(p), "null-dev");
	r = CHILD_ERRNO(mknod(p, S_IFCHR | 0600, makedev(1, 3)));
	unlink(p);
	return r;
}

static int try_read(const char *rel)
{
	char p[256];
	int fd;

	path_of(p, sizeof(p), rel);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

static int g_ready_pipe[2], g_hold_pipe[2];
static pid_t g_thread_tid;

static void *thread_main(void *arg)
{
	struct job *j = arg;
	char c;

	g_thread_tid = (pid_t)syscall(SYS_gettid);
	if (j->thread_own_filter) {
		struct sock_fprog prog = { FILTER_LEN,
					   (struct sock_filter *)g_filter };
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
		    syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog))
			_exit(7);
	}
	if (write(g_ready_pipe[1], "r", 1) != 1)
		_exit(8);
	/* held until the child exits (exit_group ends it) */
	while (read(g_hold_pipe[0], &c, 1) != 0)
		;
	return NULL;
}

/* Apply the job's plan in the child and report:
 *   v[0]  rc          v[1] NoNewPrivs   v[2] Seccomp
 *   v[3..4] CapEff    v[5..6] CapPrm    v[7..8] CapBnd   v[9..10] CapAmb
 *   v[11] securebits  v[12] chown       v[13] mknod      v[14] getppid errno
 *   v[15] RLIMIT_NOFILE soft  v[16] hard   v[17] read allowed/a.txt
 *   v[18] read b.txt  v[19] uid  v[20] thread Seccomp  v[21] exec check */
static void body_apply(void *arg, struct child_out *o)
{
	struct job *j = arg;
	struct rlimit rl;
	pthread_t th;
	char task[64];
	int thread_seccomp = -1;

	if (j->pre_nofile_hard > 0) {
		rl.rlim_cur = rl.rlim_max = (rlim_t)j->pre_nofile_hard;
		if (setrlimit(RLIMIT_NOFILE, &rl))
			_exit(5);
	}
	if (j->pre_ambient) {
		struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
		struct __user_cap_data_struct d[2];

		if (syscall(SYS_capget, &h, d))
			_exit(9);
		d[0].inheritable |= (uint32_t)j->pre_ambient;
		d[1].inheritable |= (uint32_t)(j->pre_ambient >> 32);
		if (syscall(SYS_capset, &h, d))
			_exit(9);
		for (int cap = 0; cap < 64; cap++)
			if ((j->pre_ambient & (UINT64_C(1) << cap)) &&
			    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0))
				_exit(9);
		if ((uint64_t)status_hex("CapAmb") != j->pre_ambient)
			_exit(9);
	}
	if (j->threaded) {
		char c;

		if (pipe(g_ready_pipe) || pipe(g_hold_pipe) ||
		    pthread_create(&th, NULL, thread_main, j))
			_exit(6);
		if (read(g_ready_pipe[0], &c, 1) != 1)
			_exit(6);
	}
	sbx_error_clear(&j->err);
	{
		struct sbx_prepared *pp = NULL;

		j->rc = sbx_prepare_plan(&j->plan, SBX_DOOR_PRELOAD, 0, &pp, &j->err);
		j->in_prepare = j->rc != 0;
		if (pp) {
			j->rc = sbx_prepared_apply(pp, &j->err);
			j->res = pp->result;
		}
	}
	child_put(o, j->rc);
	child_put(o, (int)status_dec("NoNewPrivs"));
	child_put(o, (int)status_dec("Seccomp"));
	put64(o, status_hex("CapEff"));
	put64(o, status_hex("CapPrm"));
	put64(o, status_hex("CapBnd"));
	put64(o, status_hex("CapAmb"));
	child_put(o, prctl(PR_GET_SECUREBITS, 0, 0, 0, 0));
	child_put(o, try_chown());
	child_put(o, try_mknod());
	/* not getppid(): glibc's wrapper does not set errno */
	child_put(o, CHILD_ERRNO(syscall(SYS_getppid)));
	getrlimit(RLIMIT_NOFILE, &rl);
	child_put(o, (int)rl.rlim_cur);
	child_put(o, (int)rl.rlim_max);
	child_put(o, try_read("allowed/a.txt"));
	child_put(o, try_read("b.txt"));
	child_put(o, (int)getuid());
	if (j->threaded) {
		snprintf(task, sizeof(task), "/proc/self/task/%d/status",
			 (int)g_thread_tid);
		thread_seccomp = (int)child_status_field(task, "Seccomp", 10);
	}
	child_put(o, thread_seccomp);
	if (j->exec_check) {
		pid_t pid = fork();
		int st = 0;
		if (pid == 0) {
			execl("/bin/sh", "sh", "-c", j->exec_check, (char *)NULL);
			_exit(127);
		}
		waitpid(pid, &st, 0);
		child_put(o, WIFEXITED(st) ? WEXITSTATUS(st) : 128);
	} else {
		child_put(o, -1);
	}
	if (j->threaded) {
		/* the thread may be confined: let exit_group take it */
		_exit(0);
	}
}

enum { V_RC, V_NNP, V_SECCOMP, V_EFF, V_PRM = 5, V_BND = 7, V_AMB = 9,
       V_SECBITS = 11, V_CHOWN, V_MKNOD, V_GETPPID, V_NOFILE_SOFT,
       V_NOFILE_HARD, V_READ_ALLOWED, V_READ_OTHER, V_UID, V_THREAD_SECCOMP,
       V_EXEC };

static long long v64(const struct child_out *o, int i)
{
	return (long long)((unsigned long long)(unsigned)o->v[i] |
			   (unsigned long long)(unsigned)o->v[i + 1] << 32);
}

static struct child_out *run(struct job *j, bool nobody)
{
	struct child_out *o = child_run(body_apply, j, nobody);

	if (!child_ok(o) || j->rc)
		printf("#   child status 0x%x rc %d step %s: %s\n",
		       o ? o->status : -1, j->rc,
		       j->in_prepare ? "prepare" : sbx_step_name(j->res.failed_step),
		       j->err.message);
	return o;
}

#define NEED_ROOT()                                                          \
	do {                                                                 \
		if (!child_is_root()) {                                      \
			printf("# skip: needs root\n");                     \
			return;                                              \
		}                                                            \
	} while (0)

static void landlock_read_only_allowed(struct job *j)
{
	static char allowed[256];

	path_of(allowed, sizeof(allowed), "allowed");
	j->plan.landlock.present = true;
	j->plan.landlock.handled_fs = LANDLOCK_ACCESS_FS_READ_FILE;
	j->rules[0] = (struct sbx_landlock_path_rule){ allowed,
		LANDLOCK_ACCESS_FS_READ_FILE, false, "/fs/read/0" };
	j->plan.landlock.npaths = 1;
}

/* ---- capabilities ------------------------------------------------------ */

TEST(caps_keep_none_as_root_clears_every_set)
{
	struct job *j = job_new();
	struct child_out *o;

	NEED_ROOT();
	j->plan.caps.present = true;
	o = run(j, false);
	CHECK(child_ok(o));
	CHECK_EQ_INT(o->v[V_RC], 0);
	CHECK_EQ_INT(v64(o, V_EFF), 0);
	CHECK_EQ_INT(v64(o, V_PRM), 0);
	CHECK_EQ_INT(v64(o, V_BND), 0);
	CHECK_EQ_INT(v64(o, V_AMB), 0);
	CHECK_EQ_INT(o->v[V_SECBITS], SECBITS_LOCKED);
	CHECK_EQ_INT(o->v[V_CHOWN], EPERM);
	CHECK_EQ_INT(o->v[V_MKNOD], EPERM);
	CHECK_EQ_INT(o->v[V_NNP], 1);
	CHECK(j->res.enforced & SBX_STEP_BIT(SBX_STEP_CAPS));
	CHECK(!(j->res.skipped & SBX_STEP_BIT(SBX_STEP_CAPS)));
	CHECK_EQ_INT(j->res.caps_bounding, 0);
	child_free(o);
	job_free(j);
}

TEST(caps_privileged_ops_work_without_the_caps_step)
{
	struct job *j = job_new();
	struct child_out *o;

	NEED_ROOT();
	o = run(j, false);   /* the neighbour of the test above */
	CHECK(child_ok(o));
	CHECK_EQ_INT(o->v[V_RC], 0);
	CHECK_EQ_INT(o->v[V_CHOWN], 0);
	CHECK_EQ_INT(o->v[V_MKNOD], 0);
	CHECK(v64(o, V_EFF) != 0);
	child_free(o);
	job_free(j);
}

TEST(caps_keep_chown_allows_chown_not_mknod)
{
	struct job *j = job_new();
	struct child_out *o;

	NEED_ROOT();
	j->plan.caps.present = true;
	j->plan.caps.keep = UINT64_C(1) << CAP_CHOWN;
	o = run(j, false);
	CHECK(child_ok(o));
	CHECK_EQ_INT(o->v[V_RC], 0);
	CHECK_EQ_INT(v64(o, V_EFF), 1);
	CHECK_EQ_INT(v64(o, V_PRM), 1);
	CHECK_EQ_INT(v64(o, V_BND), 1);
	CHECK_EQ_INT(o->v[V_CHOWN], 0);
	CHECK_EQ_INT(o->v[V_MKNOD], EPERM);
	child_free(o);
	job_free(j);
}

TEST(caps_keep_across_exec_uses_ambient)
{
	struct job *j = job_new();
	struct child_out *o;

	NEED_ROOT();
	j->plan.caps.present = true;
	j->plan.caps.keep = UINT64_C(1) << CAP_CHOWN;
	j->plan.caps.keep_across_exec = true;
	j->exec_check = "grep -q '^CapEff:.*0000000000000001$' /proc/self/status";
	o = run(j, false);
	CHECK(child_ok(o));
	CHECK_EQ_INT(o->v[V_RC], 0);
	CHECK_EQ_INT(v64(o, V_AMB), 1);
	CHECK_EQ_INT(o->v[V_EXEC], 0);
	child_free(o);
	job_free(j);

	/* without it, NOROOT (locked) leaves nothing after execve */
	j = job_new();
	j->plan.caps.present = true;
	j->plan.caps.keep = UINT64_C(1) << CAP_CHOWN;
	j->exec_check = "grep -q '^CapEff:.*0000000000000000$' /proc/self/status";
	o = run(j, false);
	CHECK(child_ok(o));
	CHECK_EQ_INT(o->v[V_EXEC], 0);
	child_free(o);
	job_free(j);
}

/* The ambient set ends empty however it is emptied: cleared when a kept
 * capability stays inheritable, else by the last capset (the kernel keeps
 * ambient within permitted & inheritable), which the step relies on to save
 * the clear. */
TEST(caps_ambient_set_ends_empty)
{
	static const struct {
		uint64_t keep, ambient, prm;
	} cases[] = {
		{ 0, UINT64_C(1) << CAP_NET_BIND_SERVICE, 0 },
		{ UINT64_C(1) << CAP_CHOWN, UINT64_C(1) << CAP_CHOWN, UINT64_C(1) << CAP_CHOWN },
		{ UINT64_C(1) << CAP_CHOWN, UINT64_C(1) << CAP_NET_BIND_SERVICE,
		  UINT64_C(1) << CAP_CHOWN },
		{ UINT64_C(1) << CAP_CHOWN, (UINT64_C(1) << CAP_CHOWN) |
		  (UINT64_C(1) << CAP_NET_BIND_SERVICE), UINT64_C(1) << CAP_CHOWN },
	};

	NEED_ROOT();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct job *j = job_new();
		struct child_out *o;

		j->plan.caps.present = true;
		j->plan.caps.keep = cases[i].keep;
		j->pre_ambient = cases[i].ambient;
		o = run(j, false);
		CHECK(child_ok(o));
		CHECK_EQ_INT(o->v[V_RC], 0);
		CHECK_EQ_INT(v64(o, V_AMB), 0);
		CHECK_EQ_INT(v64(o, V_PRM), (long long)cases[i].prm);
		CHECK_EQ_INT(v64(o, V_EFF), (long long)cases[i].prm);
		child_free(o);
		job_free(j);
	}
}

TEST(caps_unprivileged_succeeds_and_notes_the_bounding_set)
{
	struct job *j = job_new();
	struct child_out *o;
	unsigned i;
	bool noted = false;

	j->plan.caps.present = true;
	o = run(j, true);
	CHECK(child_ok(o));
	CHECK_EQ_INT(o->v[V_RC], 0);
	CHECK_EQ_INT(v64(o, V_EFF), 0);
	CHECK_EQ_INT(v64(o, V_PRM), 0);
	CHECK_EQ_INT(o->v[V_NNP], 1);
	for (i = 0; i < j->res.notes.count; i++)
		noted |= strstr(j->res.notes.text[i], "bounding") != NULL;
	if (v64(o, V_BND) != 0) {
		CHECK(noted);
		CHECK(j->res.skipped & SBX_STEP_BIT(SBX_STEP_CAPS));
	}
	child_free(o);
	job_free(j);
}

/* ---- no_new_privs, rlimits ------------------------------------------------ */

static void check_nnp(bool nobody)
{
	struct job *j = job_new();
	struct child_out *o = run(j, nobody);

	CHECK(child_ok(o));
	CHECK_EQ_INT(o->v[V_RC], 0);
	CHECK_EQ_INT(o->v[V_NNP], 1);
	CHECK_EQ_INT(o->v[V_SECCOMP], 0);
	CHECK_EQ_INT(j->res.enforced, SBX_STEP_BIT(SBX_STEP_NNP));
	child_free(o);
	job_free(j);
}

TEST(no_new_privs_is_set) { check_nnp(false); }
TEST(no_new_privs_is_set_unprivileged) { check_nnp(true); }

static void check_rlimits(bool nobody)
{
	struct job *j = job_new();
	struct child_out *o;

	j->rl[0] = (struct sbx_plan_rlimit){ RLIMIT_NOFILE, 100, 200, "nofile",
					     "/rlimits/nofile" };
	j->rl[1] = (struct sbx_plan_rlimit){ RLIMIT_CORE, 0, 0, NULL,
					     "/rlimits/core" };
	j->plan.nrlimits = 2;
	o = run(j, nobody);
	CHECK(child_ok(o));
	CHECK_EQ_INT(o->v[V_RC], 0);
	CHECK_EQ_INT(o->v[V_NOFILE_SOFT], 100);
	CHECK_EQ_INT(o->v[V_NOFILE_HARD], 200);
	CHECK(j->res.enforced & SBX_STEP_BIT(SBX_STEP_RLIMITS));
	child_free(o);
	job_free(j);
}

TEST(rlimits_are_set) { check_rlimits(false); }
TEST(rlimits_are_set_unprivileged) { check_rlimits(true); }

TEST(rlimits_raising_the_hard_limit_fails_unprivileged_and_stops_the_rest)
{
	struct job *j = job_new();
	struct child_out *o;

	j->pre_nofile_hard = 200;
	j->rl[0] = (struct sbx_plan_rlimit){ RLIMIT_NOFILE, 400, 400, "nofile",
					     "/rlimits/nofile" };
	j->plan.nrlimits = 1;
	landlock_read_only_allowed(j);
	j->plan.seccomp.prog = g_filter;
	j->plan.seccomp.len = FILTER_LEN;
	o = run(j, true);
	CHECK(child_ok(o));
	CHECK_EQ_INT(o->v[V_RC], -EPERM);
	CHECK_EQ_INT(j->res.failed_step, SBX_STEP_RLIMITS);
	CHECK_STR(sbx_code_name(j->err.code), "SBX_ESYS");
	CHECK_EQ_INT(j->err.err, EPERM);
	CHECK_STR(j->err.syscall, "setrlimit");
	CHECK_STR(j->err.pointer, "/rlimits/nofile");
	CHECK(strncmp(j->err.message, "rlimits: ", 9) == 0);
	CHECK(strstr(j->err.message, "nofile") && strstr(j->err.message, "200"));
	CHECK_EQ_INT(o->v[V_NOFILE_HARD], 200);
	/* nothing after the failed step ran */
	CHECK_EQ_INT(o->v[V_NNP], 0);
	CHECK_EQ_INT(o->v[V_SECCOMP], 0);
	CHECK_EQ_INT(o->v[V_GETPPID], 0);
	CHECK_EQ_INT(o->v[V_READ_OTHER], 0);
	CHECK_EQ_INT(j->res.enforced, 0);
	child_free(o);
	job_free(j);
}

/* ---- seccomp ----------------------------------------------------------------- */

static void check_seccomp(bool nobody)
{
	struct job *j = job_new();
	struct child_out *o;

	j->plan.seccomp.prog = g_filter;
	j->plan.seccomp.len = FILTER_LEN;
	o = run(j, nobody);
	CHECK(child_ok(o));
	CHECK_EQ_INT(o->v[V_RC], 0);
	CHECK_EQ_INT(o->v[V_SECCOMP], 2);
	CHECK_EQ_INT(o->v[V_GETPPID], EPERM);
	CHECK_EQ_INT(o->v[V_UID], nobody && child_is_root() ? 65534
						      : (int)getuid());
	CHECK(j->res.enforced & SBX_STEP_BIT(SBX_STEP_SECCOMP));
	CHECK_EQ_INT(j->res.seccomp_listener_fd, -1);
	child_free(o);
	job_free(j);
}

TEST(seccomp_filter_installed) { check_seccomp(false); }
TEST(seccomp_filter_installed_unprivileged) { check_seccomp(true); }

TEST(seccomp_new_listener_returns_an_fd)
{
	struct job *j = job_new();
	struct child_out *o;

	j->plan.seccomp.prog = g_filter;
	j->plan.seccomp.len = FILTER_LEN;
	j->plan.seccomp.flags = SECCOMP_FILTER_FLAG_NEW_LISTENER;
	o = run(j, true);
	CHECK(child_ok(o));
	CHECK_EQ_INT(o->v[V_RC], 0);
	CHECK(j->res.seccomp_listener_fd > 2);
	child_free(o);
	job_free(j);
}

TEST(seccomp_tsync_reaches_other_threads)
{
	struct job *j = job_new();
	struct child_out *o;

	j->threaded = true;
	j->plan.seccomp.prog = g_filter;
	j->plan.seccomp.len = FILTER_LEN;
	j->plan.seccomp.flags = SECCOMP_FILTER_FLAG_TSYNC;
	o = run(j, true);
	CHECK(child_ok(o));
	CHECK_EQ_INT(o->v[V_RC], 0);
	CHECK_EQ_INT(o->v[V_THREAD_SECCOMP], 2);
	child_free(o);
	job_free(j);

	/* neighbour: without TSYNC the other thread stays unfiltered */
	j = job_new();
	j->threaded = true;
	j->plan.seccomp.prog = g_filter;
	j->plan.seccomp.len = FILTER_LEN;
	o = run(j, true);
	CHECK(child_ok(o));
	CHECK_EQ_INT(o->v[V_RC], 0);
	CHECK_EQ_INT(o->v[V_SECCOMP], 2);
	CHECK_EQ_INT(o->v[V_THREAD_SECCOMP], 0);
	child_free(o);
	job_free(j);
}

TEST(seccomp_tsync_failure_reports_the_thread)
{
	struct job *j = job_new();
	struct child_out *o;

	j->threaded = true;
	j->thread_own_filter = true;
	j->plan.seccomp.prog = g_filter;
	j->plan.seccomp.len = FILTER_LEN;
	j->plan.seccomp.flags = SECCOMP_FILTER_FLAG_TSYNC;
	o = run(j, true);
	CHECK(child_ok(o));
	CHECK_EQ_INT(o->v[V_RC], -ESRCH);
	CHECK_EQ_INT(j->res.failed_step, SBX_STEP_SECCOMP);
	CHECK(j->res.tsync_failed_tid > 0);
	CHECK(strstr(j->err.message, "TSYNC") != NULL);
	CHECK_EQ_INT(o->v[V_SECCOMP], 0);   /* the calling thread: nothing */
	child_free(o);
	job_free(j);
}

TEST(seccomp_bad_program_fails_before_anything_is_applied)
{
	struct job *j = job_new();
	struct child_out *o;

	j->plan.seccomp.prog = g_filter;
	j->plan.seccomp.len = 0;
	j->plan.seccomp.pointer = "/seccomp";
	o = run(j, true);
	CHECK(child_ok(o));
	CHECK(o->v[V_RC] < 0);
	CHECK_STR(sbx_code_name(j->err.code), "SBX_EPROGRAM");
	CHECK(j->in_prepare);
	CHECK_EQ_INT(o->v[V_NNP], 0);
	child_free(o);
	job_free(j);
}

/* ---- order, and the whole plan ------------------------------------------------ */

static void check_missing_path_applies_nothing(bool nobody)
{
	struct job *j = job_new();
	struct child_out *o;
	static char missing[256];

	path_of(missing, sizeof(missing), "missing");
	j->rl[0] = (struct sbx_plan_rlimit){ RLIMIT_NOFILE, 64, 64, "nofile",
					     "/rlimits/nofile" };
	j->plan.nrlimits = 1;
	j->plan.caps.present = true;
	landlock_read_only_allowed(j);
	j->rules[1] = (struct sbx_landlock_path_rule){ missing,
		LANDLOCK_ACCESS_FS_READ_FILE, false, "/fs/read/1" };
	j->plan.landlock.npaths = 2;
	j->plan.seccomp.prog = g_filter;
	j->plan.seccomp.len = FILTER_LEN;
	o = run(j, nobody);
	CHECK(child_ok(o));
	CHECK_EQ_INT(o->v[V_RC], -ENOENT);
	CHECK_STR(sbx_code_name(j->err.code), "SBX_EPATH");
	CHECK_STR(j->err.pointer, "/fs/read/1");
	CHECK(j->in_prepare);
	CHECK_EQ_INT(j->res.enforced, 0);
	CHECK_EQ_INT(o->v[V_NNP], 0);
	CHECK_EQ_INT(o->v[V_SECCOMP], 0);
	CHECK_EQ_INT(o->v[V_GETPPID], 0);
	CHECK(o->v[V_NOFILE_SOFT] != 64);
	if (!nobody && child_is_root())
		CHECK(v64(o, V_EFF) != 0);
	child_free(o);
	job_free(j);
}

TEST(order_missing_path_leaves_everything_unapplied)
{
	check_missing_path_applies_nothing(false);
}

TEST(order_missing_path_leaves_everything_unapplied_unprivileged)
{
	check_missing_path_applies_nothing(true);
}

static void check_full(bool nobody)
{
	struct job *j = job_new();
	struct child_out *o;

	if (sbx_landlock_abi() < 1) {
		printf("# skip: no Landlock\n");
		job_free(j);
		return;
	}
	j->rl[0] = (struct sbx_plan_rlimit){ RLIMIT_NOFILE, 64, 64, "nofile",
					     "/rlimits/nofile" };
	j->plan.nrlimits = 1;
	j->plan.caps.present = true;
	landlock_read_only_allowed(j);
	/* the child reports from /proc/self/status */
	j->rules[1] = (struct sbx_landlock_path_rule){ "/proc",
		LANDLOCK_ACCESS_FS_READ_FILE, false, "/fs/read/1" };
	j->plan.landlock.npaths = 2;
	j->plan.seccomp.prog = g_filter;
	j->plan.seccomp.len = FILTER_LEN;
	o = run(j, nobody);
	CHECK(child_ok(o));
	CHECK_EQ_INT(o->v[V_RC], 0);
	CHECK_EQ_INT(o->v[V_NOFILE_SOFT], 64);
	CHECK_EQ_INT(v64(o, V_EFF), 0);
	CHECK_EQ_INT(o->v[V_NNP], 1);
	CHECK_EQ_INT(o->v[V_READ_ALLOWED], 0);
	CHECK_EQ_INT(o->v[V_READ_OTHER], EACCES);
	CHECK_EQ_INT(o->v[V_SECCOMP], 2);
	CHECK_EQ_INT(o->v[V_GETPPID], EPERM);
	CHECK_EQ_INT(j->res.failed_step, SBX_STEP_NONE);
	CHECK(j->res.enforced & SBX_STEP_BIT(SBX_STEP_LANDLOCK));
	CHECK(j->res.enforced & SBX_STEP_BIT(SBX_STEP_SECCOMP));
	CHECK(j->res.enforced & SBX_STEP_BIT(SBX_STEP_RLIMITS));
	CHECK_EQ_INT(j->res.landlock_fs, LANDLOCK_ACCESS_FS_READ_FILE);
	child_free(o);
	job_free(j);
}

TEST(full_plan_enforces_every_step) { check_full(false); }
TEST(full_plan_enforces_every_step_unprivileged) { check_full(true); }

TEST(step_names)
{
	CHECK_STR(sbx_step_name(SBX_STEP_SECCOMP), "seccomp");
	CHECK_STR(sbx_step_name(SBX_STEP_CAPS), "capabilities");
	CHECK_STR(sbx_step_name(99), "?");
}

int main(void)
{
	return t_run();
}
