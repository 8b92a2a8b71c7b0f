/* Apply steps: no_new_privs, and the seccomp filter (always last). */
#include "apply.h"
#include "seccomp_defs.h"

#include <errno.h>
#include <linux/filter.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

int sbx_apply_no_new_privs(struct sbx_error *err)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return sbx_error_sys(err, errno, "prctl(PR_SET_NO_NEW_PRIVS)",
				     NULL, "no_new_privs: cannot set it: %s",
				     strerror(errno));
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
		return sbx_error_set(err, SBX_EINTERNAL, EPERM, NULL,
				     "no_new_privs: not set after setting it");
	return 0;
}

int sbx_apply_seccomp_check(const struct sbx_plan_seccomp *sc,
			    struct sbx_error *err)
{
	unsigned both = SECCOMP_FILTER_FLAG_TSYNC |
			SECCOMP_FILTER_FLAG_NEW_LISTENER;

	if (!sc->prog)
		return 0;
	if (sc->len == 0 || sc->len > BPF_MAXINSNS)
		return sbx_error_set(err, SBX_EPROGRAM, EINVAL, sc->pointer,
				     "seccomp: the program has %zu instructions; "
				     "the kernel accepts 1 to %d", sc->len,
				     BPF_MAXINSNS);
	/* Both return a positive value; the kernel wants them told apart. */
	if ((sc->flags & both) == both &&
	    !(sc->flags & SECCOMP_FILTER_FLAG_TSYNC_ESRCH))
		return sbx_error_set(err, SBX_EINTERNAL, EINVAL, sc->pointer,
				     "seccomp: TSYNC with NEW_LISTENER needs "
				     "TSYNC_ESRCH");
	return 0;
}

int sbx_apply_seccomp(const struct sbx_plan_seccomp *sc, int *listener_fd,
		      pid_t *failed_tid, struct sbx_error *err)
{
	struct sock_fprog prog;
	long r;
	int e;

	*listener_fd = -1;
	*failed_tid = 0;
	if (!sc->prog)
		return 0;
	if ((r = sbx_apply_seccomp_check(sc, err)))
		return (int)r;
	prog.len = (unsigned short)sc->len;
	prog.filter = (struct sock_filter *)sc->prog;
	r = syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, sc->flags, &prog);
	if (r < 0) {
		e = errno;
		if (e == EACCES)
			return sbx_error_sys(err, e, "seccomp", sc->pointer,
					     "seccomp: the thread has neither "
					     "no_new_privs nor CAP_SYS_ADMIN");
		if (e == ESRCH)
			return sbx_error_sys(err, e, "seccomp", sc->pointer,
					     "seccomp: a thread of the process "
					     "cannot be synchronized (TSYNC); "
					     "nothing was installed");
		return sbx_error_sys(err, e, "seccomp", sc->pointer,
				     "seccomp: the kernel refuses the filter "
				     "(flags 0x%x, %zu instructions): %s",
				     sc->flags, sc->len, strerror(e));
	}
	if (r > 0 && (sc->flags & SECCOMP_FILTER_FLAG_NEW_LISTENER)) {
		*listener_fd = (int)r;
	} else if (r > 0) {
		/* TSYNC without TSYNC_ESRCH: the id of a thread whose filter
		 * tree or no_new_privs state differs; nothing was installed. */
		*failed_tid = (pid_t)r;
		return sbx_error_sys(err, ESRCH, "seccomp", sc->pointer,
				     "seccomp: thread %ld could not be "
				     "synchronized (TSYNC): it runs a different "
				     "filter; nothing was installed", r);
	}
	return 0;
}
