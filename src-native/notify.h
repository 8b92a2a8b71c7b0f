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

#endif
