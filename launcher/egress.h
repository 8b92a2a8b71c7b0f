/*
 * Egress by name (net.hosts) in the spawn door: docs/network.md, "Egress by
 * name". Three parts:
 *
 *   egress_setup.c   the launcher's side: forks the egress process before the
 *                    namespaces (so it stays in the host's network), then,
 *                    inside the sandbox's new network namespace, makes the
 *                    listening sockets on the sandbox's loopback and hands
 *                    them over; the program's proxy variables.
 *   egress_daemon.c  the egress process: accepts on those sockets (which live
 *                    in the sandbox's namespace) and connects out in the
 *                    host's, after the checks; relays; reports denials.
 *   egress_proto.c   what it reads from a connection before relaying it:
 *                    the proxy request head, the TLS server name, the HTTP
 *                    Host header, the supervisor's header (pure functions).
 *   egress_tcp.c     the socket supervisor's side (unixsup.c): a connect() to
 *                    an outside address becomes a connection to the egress
 *                    process, put in place of the program's socket.
 */
#ifndef SBX_LN_EGRESS_H
#define SBX_LN_EGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct ln_ctx;
struct sbx_policy;
struct sbx_error;

/* ---- egress_setup.c (launcher) ---- */
struct ln_egress {
	int ctl;                 /* launcher -> egress process (SEQPACKET)   */
	int pid;
	uint16_t proxy_port;     /* HTTP proxy on the sandbox's 127.0.0.1   */
	uint16_t tcp_port;       /* the supervisor's transparent connections */
};
/* Before the namespaces: fork the egress process (c->egress; NULL without
 * net.hosts). */
int ln_egress_begin(struct ln_ctx *c, struct sbx_policy *p, struct sbx_error *err);
/* After the namespaces, in the sandbox's network: the listeners. */
int ln_egress_listen(struct ln_ctx *c, struct sbx_policy *p, struct sbx_error *err);
/* The program's environment with the proxy variables (envp, or a new array). */
char **ln_egress_env(const struct ln_ctx *c, char **envp);
/* A process of the sandbox (init, program) drops the control socket. */
void ln_egress_forget(struct ln_ctx *c);

/* ---- egress_daemon.c ---- */
__attribute__((noreturn)) void ln_egress_daemon(const struct sbx_policy *p, int ctl, int chan);

/* ---- egress_tcp.c (in the socket supervisor) ---- */
/* An address the program connects a TCP socket to that must go through the
 * egress path (not the sandbox's own loopback or unspecified). */
bool ln_egress_outside(const struct sockaddr_storage *ss, socklen_t len);
/* Make a TCP socket connected through the egress process to `dst` (the
 * original destination), in the family `family` of the program's socket.
 * 0 and *out, or an errno (EACCES: not allowed). Blocks. */
int ln_egress_tcp(uint16_t tcp_port, int family, const struct sockaddr_storage *dst,
		  int *out);

/* ---- egress_proto.c ---- */
#define LN_EGRESS_HEAD_MAX 16384

enum ln_head_kind { LN_HEAD_MORE = 0, LN_HEAD_BAD = -1, LN_HEAD_OK = 1 };

/* A proxy request head ("CONNECT host:port HTTP/1.1" or "GET http://host[:port]/..."):
 * host (normalized or an address literal, no brackets), port, connect or not,
 * where the head ends (after \r\n\r\n) and, for a plain request, the
 * request line's target rewritten to origin form in `rewritten` (the whole
 * head to send upstream, NUL-terminated; its length in *rlen). */
struct ln_proxy_req {
	bool connect;
	char host[256];
	unsigned port;
	size_t head_len;
	char *rewritten;         /* malloc'd, plain requests only */
	size_t rlen;
};
int ln_proxy_parse(const char *buf, size_t len, struct ln_proxy_req *out);

/* The first bytes a client sent on a connection, classified. */
enum ln_peek_kind {
	LN_PEEK_MORE = 0,      /* not enough bytes yet                          */
	LN_PEEK_TLS,           /* a ClientHello; name: its server name, or ""   */
	LN_PEEK_HTTP,          /* an HTTP/1 request; name: its Host, or ""      */
	LN_PEEK_OTHER,         /* anything else                                 */
	LN_PEEK_BAD,           /* a TLS or HTTP start that is malformed         */
};
enum ln_peek_kind ln_peek_classify(const unsigned char *buf, size_t len, char *name,
				   size_t namelen);

/* The supervisor's header on a transparent connection:
 * "SBX-EGRESS <address> <port>\n". 1 with the address, 0 more, -1 bad. */
int ln_tcp_header_parse(const char *buf, size_t len, struct sockaddr_storage *dst,
			size_t *head_len);

#endif /* SBX_LN_EGRESS_H */
