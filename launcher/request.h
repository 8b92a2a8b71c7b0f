/*
 * The spawn server's wire format (launcher/server.c, lib/spawn-server.ts).
 * Node sends one SOCK_SEQPACKET datagram per request, with the request's file
 * descriptors attached (SCM_RIGHTS): the program's stdio entries 0..nfds-1,
 * then the event channel. All integers are u32 in host order; a string is a
 * u32 length and its bytes (no terminator).
 *
 *   spawn: magic type=1 id flags nfds  cwd policy argv0  argc arg*  envc env*
 *   kill:  magic type=2 id sig
 *
 * Kept apart from the server so that the parser can be tested on its own
 * (test/native/test_launcher_request.c) against truncated and hostile input.
 */
#ifndef SBX_LAUNCHER_REQUEST_H
#define SBX_LAUNCHER_REQUEST_H

#include <stddef.h>
#include <stdint.h>

#define LN_REQ_MAGIC 0x31584253u        /* "SBX1" */
#define LN_REQ_SPAWN 1u
#define LN_REQ_KILL 2u
/* flags */
#define LN_REQ_VERBOSE 1u
#define LN_REQ_WARM 2u          /* a prepared sandbox may serve it, and one may be prepared after it
				 * (not with cow/report, nor SBX_SPAWN_PREPARE=0) */
#define LN_REQ_ARGV0 4u
/* The exit may be told as soon as the pid namespace is empty, before the
 * launcher's own namespace teardown (not with cow: Node reads the overlay's
 * upper directory after 'close', when its mount must be gone). */
#define LN_REQ_EARLY_EXIT 8u
/* The sandbox's stderr gets the one line on layers the host refused
 * (launcher/host.c); without it Node says it (lib/spawn.ts). */
#define LN_REQ_NOTICE 16u
/* stdio entries passed to the program (child_process allows any number; a
 * request with more goes through the direct launcher). */
#define LN_REQ_MAX_FDS 60
/* Largest request datagram (the socket's send buffer bounds it anyway). */
#define LN_REQ_MAX_BYTES (192u * 1024u)

struct ln_request {
	uint32_t type, id, flags, nfds;
	uint32_t sig;                   /* kill */
	const char *cwd;
	const char *policy;             /* may hold NULs: policy_len counts */
	size_t policy_len;
	const char *argv0;              /* NULL unless LN_REQ_ARGV0 */
	char **argv;                    /* NULL-terminated, argc >= 1 */
	char **envp;                    /* NULL-terminated */
	void *mem;                      /* one block holding all of the above */
};

/* Decode `len` bytes. 0, or -EINVAL for anything malformed (bad magic or
 * type, a length past the end, trailing bytes, no argv, NUL inside cwd, argv
 * or env, nfds above LN_REQ_MAX_FDS). On failure *out is all zero (nothing
 * to free, no field half-decoded: a kill whose signal is missing). */
int ln_request_parse(const void *buf, size_t len, struct ln_request *out);
void ln_request_free(struct ln_request *r);

/* One datagram from `sock` into buf (cap bytes) and the fds that came with
 * it, CLOEXEC: at most LN_REQ_MAX_FDS + 1 in fds[] (*nfds), any more are
 * closed. Returns its length, 0 at end-of-file, or -errno (EINTR retried);
 * *trunc is set when the datagram or its fds did not fit. */
long ln_request_recv(int sock, void *buf, size_t cap, int *fds, int *nfds, int *trunc);
/* One datagram with nfds fds attached; `flags` as for sendmsg (MSG_NOSIGNAL
 * is added). 0, or -errno (a short send is -EMSGSIZE). */
int ln_request_send(int sock, const void *buf, size_t len, const int *fds, int nfds, int flags);

#endif /* SBX_LAUNCHER_REQUEST_H */
