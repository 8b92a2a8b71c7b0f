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

/* sbx_self_lockdown() with explicit options (NULL: the defaults). */
int sbx_self_lockdown_opts(struct sbx_prepared *pp,
			   const struct sbx_self_opts *opts,
			   struct sbx_error *err);

#endif
