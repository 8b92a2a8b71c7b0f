/*
 * The self door's internals (include/sbx_self.h is the public side): the
 * knobs the C tests need to reach the fail-closed paths quickly.
 */
#ifndef SBX_SELF_H
#define SBX_SELF_H

#include "prepared.h"
#include "sbx_self.h"

/*
 * The signal the other threads are asked with. glibc's SIGSETXID
 * (__SIGRTMIN + 1): the one signal no thread can block through libc
 * (pthread_sigmask and sigprocmask silently keep it deliverable, because
 * glibc's own setuid() broadcast needs it), and Node's inspector thread
 * blocks every other one. Its handler is borrowed for the duration of the
 * lockdown and chained to for every signal that is not ours.
 */
#define SBX_SELF_SIGNAL 33

struct sbx_self_opts {
	/* How long one round waits for every signalled thread's answer. */
	unsigned timeout_ms;
	/* Rounds of re-scanning /proc/self/task before giving up (a process
	 * that keeps starting unconfined threads faster than they answer). */
	unsigned max_rounds;
};

#define SBX_SELF_DEFAULT_TIMEOUT_MS 5000
#define SBX_SELF_DEFAULT_MAX_ROUNDS 64

/* ---- the self door's part of sbx_prepare() (prepare_door.c) ---- */

/* self.c: list the process's threads for the self door's apply (nothing is
 * changed; a failure here leaves apply to open /proc itself and report). */
void sbx_self_prepare_threads(struct sbx_prepared *pp);
/* self_rings.c (which lists the threads while it checks the rings): add a
 * thread to that list. 0 or -ENOMEM. */
int sbx_self_seed_add(struct sbx_prepared *pp, pid_t tid);

/* self_rings.c: every io_uring ring the process holds must be accounted
 * for (no SQPOLL thread, no registered personality, state readable); at
 * prepare (counted into pp->self_nrings and recorded, nothing changed) and
 * once more when every thread is confined, before seccomp (a process that
 * held rings at prepare), or after it (one that held none). 0, or the error (SBX_EUNSUPPORTED naming the
 * ring and what to do, SBX_ESYS when /proc cannot tell). */
int sbx_self_rings_check(struct sbx_prepared *pp, struct sbx_error *err);
int sbx_self_rings_recheck(struct sbx_prepared *pp, struct sbx_error *err);
/* What the policy asks that the held rings defeat: refused sockets are an
 * error in enforce mode (skipped in best-effort); the rest is listed in
 * pp->skipped. */
int sbx_self_rings_policy(struct sbx_prepared *pp, const struct sbx_policy *p,
			  struct sbx_error *err);
/* After a lockdown's seccomp filter is in force: if it refuses
 * io_uring_register, later lockdowns of this process may take a ring whose
 * probe that filter refuses as accounted for (nothing can have been
 * registered since this one). */
void sbx_self_rings_sealed(const struct sbx_prepared *pp);

/* Whether thread `tid` (a name in the /proc/<pid>/task directory
 * `task_dir`) is an io_uring worker of the kernel: it runs no user code, so
 * there is nothing of its own to confine and it takes no signal handler. */
bool sbx_self_task_is_io_worker(int task_dir, pid_t tid);

/* sbx_self_lockdown() with explicit options (NULL: the defaults). */
int sbx_self_lockdown_opts(struct sbx_prepared *pp,
			   const struct sbx_self_opts *opts,
			   struct sbx_error *err);

#endif
