/* probe "seccomp": which filter return actions the kernel knows
 * (SECCOMP_GET_ACTION_AVAIL) and which filter flags it accepts, the latter
 * tried for real by installing a filter in a throw-away child. */
#include "probe.h"
#include "seccomp_defs.h"

#include <errno.h>
#include <linux/filter.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct {
	uint32_t action;
	const char *name;
} actions[] = {
	{ SECCOMP_RET_ALLOW, "allow" },
	{ SECCOMP_RET_ERRNO, "errno" },
	{ SECCOMP_RET_KILL_PROCESS, "kill_process" },
	{ SECCOMP_RET_KILL_THREAD, "kill_thread" },
	{ SECCOMP_RET_TRAP, "trap" },
	{ SECCOMP_RET_LOG, "log" },
	{ SECCOMP_RET_USER_NOTIF, "user_notif" },
	{ SECCOMP_RET_TRACE, "trace" },
};

/* Each flag is tried in the smallest combination that is valid on a kernel
 * that knows it: TSYNC_ESRCH only means something together with TSYNC, and
 * WAIT_KILLABLE_RECV is rejected without NEW_LISTENER (and TSYNC together
 * with NEW_LISTENER is rejected without TSYNC_ESRCH, so we never ask that).
 * A filter with a listener gets a program that can return USER_NOTIF. */
static const struct {
	const char *name;
	unsigned long flags;
	int notify_prog;
} flag_tries[] = {
	{ "tsync", SECCOMP_FILTER_FLAG_TSYNC, 0 },
	{ "log", SECCOMP_FILTER_FLAG_LOG, 0 },
	{ "spec_allow", SECCOMP_FILTER_FLAG_SPEC_ALLOW, 0 },
	{ "new_listener", SECCOMP_FILTER_FLAG_NEW_LISTENER, 1 },
	{ "tsync_esrch",
	  SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_TSYNC_ESRCH, 0 },
	{ "wait_killable_recv",
	  SECCOMP_FILTER_FLAG_NEW_LISTENER |
		  SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, 1 },
};

/* No architecture uses this syscall number, so the child, which only
 * calls exit_group after installing the filter, never waits on the
 * listener that nobody reads. */
#define NEVER_CALLED_NR 0x3ffffffeU

#define CHILD_SETUP_FAILED 255

static long seccomp_(unsigned int op, unsigned int flags, void *args)
{
#ifdef __NR_seccomp
	return syscall(__NR_seccomp, op, flags, args);
#else
	(void)op; (void)flags; (void)args;
	errno = ENOSYS;
	return -1;
#endif
}

/* The child reports through its exit status: 0 = accepted, else errno. */
static __attribute__((noreturn)) void flag_child(unsigned long flags,
						 int notify_prog)
{
	struct sock_filter allow[] = {
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_filter notify[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0 /* seccomp_data.nr */),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NEVER_CALLED_NR, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog;

	if (notify_prog) {
		prog.len = (unsigned short)N(notify);
		prog.filter = notify;
	} else {
		prog.len = (unsigned short)N(allow);
		prog.filter = allow;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		_exit(CHILD_SETUP_FAILED);
	long r = seccomp_(SECCOMP_SET_MODE_FILTER, (unsigned int)flags, &prog);
	if (r >= 0)
		_exit(0);
	_exit(errno > 0 && errno < CHILD_SETUP_FAILED ? errno :
						  CHILD_SETUP_FAILED - 1);
}

static void write_flags(struct sbx_jsonw *w)
{
	pid_t pids[N(flag_tries)];
	int fork_err[N(flag_tries)];
	char reason[160];

	/* start them all, then reap them all: the children run in parallel */
	for (size_t i = 0; i < N(flag_tries); i++) {
		fork_err[i] = 0;
		pids[i] = sbx_probe_fork();
		if (pids[i] == 0)
			flag_child(flag_tries[i].flags, flag_tries[i].notify_prog);
		if (pids[i] < 0)
			fork_err[i] = errno;
	}
	sbx_jsonw_key(w, "flags");
	sbx_jsonw_object_begin(w);
	for (size_t i = 0; i < N(flag_tries); i++) {
		const char *key = flag_tries[i].name;
		int status;
		if (pids[i] < 0) {
			sbx_probe_reason_errno(reason, sizeof(reason), "fork",
					       fork_err[i]);
			sbx_jsonw_kv_null_reason(w, key, reason);
			continue;
		}
		int r = sbx_probe_wait(pids[i], &status);
		if (r < 0) {
			sbx_probe_reason_errno(reason, sizeof(reason),
					       "waitpid", -r);
			sbx_jsonw_kv_null_reason(w, key, reason);
			continue;
		}
		int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
		if (code == 0 || code == EINVAL) {
			/* EINVAL: a flag (or combination) this kernel does
			 * not know */
			sbx_jsonw_kv_bool(w, key, code == 0);
		} else if (code > 0 && code < CHILD_SETUP_FAILED - 1) {
			sbx_probe_reason_errno(reason, sizeof(reason),
				"seccomp(SET_MODE_FILTER)", code);
			sbx_jsonw_kv_null_reason(w, key, reason);
		} else {
			sbx_probe_reason_status(reason, sizeof(reason),
				"seccomp(SET_MODE_FILTER)", status);
			sbx_jsonw_kv_null_reason(w, key, reason);
		}
	}
	sbx_jsonw_object_end(w);
}

static void write_all_false(struct sbx_jsonw *w, const char *key,
			    int use_flags)
{
	sbx_jsonw_key(w, key);
	sbx_jsonw_object_begin(w);
	if (use_flags)
		for (size_t i = 0; i < N(flag_tries); i++)
			sbx_jsonw_kv_bool(w, flag_tries[i].name, false);
	else
		for (size_t i = 0; i < N(actions); i++)
			sbx_jsonw_kv_bool(w, actions[i].name, false);
	sbx_jsonw_object_end(w);
}

void sbx_probe_seccomp(struct sbx_jsonw *w)
{
	char reason[160];
	uint32_t act = SECCOMP_RET_ALLOW;

	sbx_jsonw_key(w, "seccomp");
	sbx_jsonw_object_begin(w);
	if (seccomp_(SECCOMP_GET_ACTION_AVAIL, 0, &act) != 0) {
		int e = errno;
		/* PR_GET_SECCOMP fails with EINVAL only on kernels built
		 * without CONFIG_SECCOMP: then nothing is available. */
		if (prctl(PR_GET_SECCOMP, 0, 0, 0, 0) < 0 && errno == EINVAL) {
			sbx_jsonw_kv_bool(w, "available", false);
			write_all_false(w, "actions", 0);
			write_all_false(w, "flags", 1);
			sbx_jsonw_object_end(w);
			return;
		}
		/* seccomp exists but the seccomp() call does not answer
		 * (kernel < 4.14, or a filter of our own denies it) */
		sbx_jsonw_kv_bool(w, "available", true);
		sbx_probe_reason_errno(reason, sizeof(reason),
				       "seccomp(GET_ACTION_AVAIL)", e);
		sbx_jsonw_kv_null_reason(w, "actions", reason);
		write_flags(w);
		sbx_jsonw_object_end(w);
		return;
	}
	sbx_jsonw_kv_bool(w, "available", true);
	sbx_jsonw_key(w, "actions");
	sbx_jsonw_object_begin(w);
	for (size_t i = 0; i < N(actions); i++) {
		act = actions[i].action;
		if (seccomp_(SECCOMP_GET_ACTION_AVAIL, 0, &act) == 0)
			sbx_jsonw_kv_bool(w, actions[i].name, true);
		else if (errno == EOPNOTSUPP)
			sbx_jsonw_kv_bool(w, actions[i].name, false);
		else {
			sbx_probe_reason_errno(reason, sizeof(reason),
					       "seccomp(GET_ACTION_AVAIL)", errno);
			sbx_jsonw_kv_null_reason(w, actions[i].name, reason);
		}
	}
	sbx_jsonw_object_end(w);
	write_flags(w);
	sbx_jsonw_object_end(w);
}
