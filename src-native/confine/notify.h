/*
 * The supervisor side of denial reporting, shared by the preload door's
 * reporter and the spawn door's launcher: passing the seccomp listener fd
 * over a socket, and answering one notification with what the policy says.
 *
 * The answer is decided on the syscall number, architecture and register
 * arguments only: pointer arguments may be rewritten by another thread while
 * the call waits, so nothing behind a pointer ever allows a call.
 */
#ifndef SBX_NOTIFY_H
#define SBX_NOTIFY_H

#include "prepared.h"

#include <linux/seccomp.h>
#include <stdbool.h>
#include <stdint.h>

/* Send `fd` over a unix socket (one byte + SCM_RIGHTS). 0 or -errno. */
int sbx_fd_send(int sock, int fd);

/* Receive one fd (close-on-exec) sent by sbx_fd_send, or -1. */
int sbx_fd_recv(int sock);

/*
 * Fill `resp` for `req`: let it continue when the policy allows it (it was
 * notified for another reason), else fail it with the policy's errno (EPERM
 * for anything that is not an errno action). Returns the errno the caller
 * will see (errno:0 is a valid answer), or -1 when the call continues
 * (nothing to report).
 */
int sbx_notify_decide(const struct sbx_prepared *pp, const struct seccomp_notif *req,
		      struct seccomp_notif_resp *resp);

/*
 * How many denials of one system call are reported one by one; later ones
 * are only counted, and the supervisor says how many at the end. A program
 * that retries a denied call in a loop would otherwise fill the terminal (or
 * the memory of whoever collects the lines) faster than it can be read.
 */
#define SBX_REPORT_PER_CALL 100
/* Calls tallied by name; beyond that, one shared bucket. */
#define SBX_REPORT_CALLS 64

struct sbx_report_call {
	uint32_t arch;
	int nr;
	bool shared;            /* the bucket of every call beyond SBX_REPORT_CALLS (arch, nr: its first) */
	uint64_t denials;
};

struct sbx_report_tally {
	struct sbx_report_call call[SBX_REPORT_CALLS + 1];
	size_t ncalls;
};

enum sbx_report_show {
	SBX_REPORT_SHOW,        /* report it */
	SBX_REPORT_SHOW_LAST,   /* report it, and say that further ones are counted */
	SBX_REPORT_COUNT,       /* count it only */
};

/* Count one denial of (arch, nr) and say whether to report it; `*callp` is its tally. */
enum sbx_report_show sbx_report_tally_add(struct sbx_report_tally *t, uint32_t arch, int nr,
					  const struct sbx_report_call **callp);

/* Denials of `c` that were counted but not reported. */
static inline uint64_t sbx_report_unshown(const struct sbx_report_call *c)
{
	return c->denials > SBX_REPORT_PER_CALL ? c->denials - SBX_REPORT_PER_CALL : 0;
}

#endif
