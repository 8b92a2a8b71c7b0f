/*
 * A sandbox prepared ahead by the spawn server (server.c, docs/spawn.md "The
 * spawn server"), from inside: the launch pipeline (launch.c) asks here
 * whether its filter may be loaded before the request, and waits here for
 * the request, whose stdio, channel, argv and environment it then takes.
 */
#include "launcher.h"
#include "request.h"
#include "sbx_apply.h"
#include "kernel_defs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#define SLOT_FD_BASE LN_SLOT_FD_BASE

extern char **environ;

bool ln_slot_seccomp_early_ok(const struct sbx_prepared *pp)
{
	static const long needed[] = {
		/* ln_slot_activate */
		SYS_recvmsg, SYS_fcntl, SYS_read, SYS_sendto, SYS_close, SYS_dup3, __NR_close_range,
#ifdef SYS_dup2
		SYS_dup2,
#endif
		/* the environment, argv0 (malloc), execve and its failure: the
		 * error line, the message, the exit */
		SYS_brk, SYS_mmap, SYS_munmap, SYS_mremap, SYS_mprotect, SYS_execve, SYS_write,
		SYS_exit_group, SYS_exit, SYS_newfstatat,
#ifdef SYS_stat
		SYS_stat,
#endif
	};
	return sbx_prepared_seccomp_allows(pp, needed, sizeof(needed) / sizeof(needed[0])) == 1;
}

int ln_slot_activate(struct ln_ctx *c, struct sbx_error *err)
{
	unsigned char *msg = malloc(LN_REQ_MAX_BYTES);
	if (!msg)
		_exit(LN_EXIT_SETUP);
	int fds[LN_REQ_MAX_FDS + 1];
	int nfds, trunc;
	long n = ln_request_recv(c->slot_sock, msg, LN_REQ_MAX_BYTES, fds, &nfds, &trunc);
	if (n <= 0 || trunc)
		_exit(LN_EXIT_SETUP);   /* dropped unused: nobody to tell */
	struct ln_request r;
	/* The server checked this very datagram before handing it over. */
	if (ln_request_parse(msg, (size_t)n, &r) || r.type != LN_REQ_SPAWN || nfds != (int)r.nfds + 1)
		_exit(LN_EXIT_SETUP);
	int chan = fds[nfds - 1];
	/* What the setup said so far (skipped layers) goes first. */
	char ev[4096];
	ssize_t got;
	fcntl(c->slot_buf, F_SETFL, O_NONBLOCK);
	while ((got = read(c->slot_buf, ev, sizeof(ev))) > 0)
		(void)!send(chan, ev, (size_t)got, MSG_NOSIGNAL);
	/* limits.c: the supervisor reports the end on this channel */
	ln_limits_handoff(c, chan, fds[2]);
	close(c->slot_buf);
	close(c->slot_sock);
	close(c->chan_fd);
	/* The request's fds arrived above SLOT_FD_BASE (everything below is
	 * taken): they go to 0..nfds-1 and the channel right after, as in the
	 * cold path; the rest of the reserved range is freed. */
	int k = (int)r.nfds;
	for (int i = 0; i < k; i++)
		if (dup2(fds[i], i) < 0)
			return sbx_error_sys(err, errno, "dup2", NULL, "stdio %d: %s", i, strerror(errno));
	if (dup3(chan, k, O_CLOEXEC) < 0)
		return sbx_error_sys(err, errno, "dup3", NULL, "channel: %s", strerror(errno));
	for (int i = 0; i < nfds; i++)
		close(fds[i]);
	if (k + 1 < SLOT_FD_BASE)
		(void)!syscall(__NR_close_range, (unsigned)k + 1, SLOT_FD_BASE - 1U, 0);
	c->chan_fd = k;
	c->keep_fds = k;
	c->slot_sock = -1;
	c->slot_buf = -1;
	c->argv = r.argv;
	c->argv0 = r.argv0;
	environ = r.envp;
	/* r.mem stays: argv and environ live in it until execve. */
	return 0;
}
