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
 *   egress_resolv.c  the launcher's side of DNS: the nameservers the
 *                    sandbox's /etc/resolv.conf names, made addresses of its
 *                    loopback, with a UDP socket on port 53 of each.
 *   egress_dns.c     the egress process's resolver: answers the sandbox's
 *                    queries for allowed names (resolved here, recorded as
 *                    what the name resolved to), refuses the others.
 *   egress_dns_wire.c  DNS messages read and written (pure functions).
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
int ln_egress_begin(struct ln_ctx *c, const struct sbx_policy *p, struct sbx_error *err);
/* After the namespaces, in the sandbox's network: the listeners. */
int ln_egress_listen(struct ln_ctx *c, struct sbx_error *err);
/* The listeners' ports (0 or 2 into out): net.connect, when the policy
 * sets it, must allow them (an input of sbx_prepare_with, not a change to
 * the policy). */
size_t ln_egress_ports(const struct ln_ctx *c, uint16_t out[2]);
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
/* A TCP socket connected through the egress process to `dst` (the original
 * destination), in the family `family` of the program's socket, made in
 * three steps that never block (the supervisor's loop waits between them):
 *   open     a non-blocking socket to the egress process on the sandbox's
 *            loopback, in *out: 0 (connected), EINPROGRESS (wait for
 *            POLLOUT), or an errno (no socket);
 *   ask      once connected: the header naming dst; 0 or an errno;
 *   verdict  once readable: 0 (connected upstream), an errno from the
 *            egress process (EACCES: not allowed), or EAGAIN (not yet). */
int ln_egress_tcp_open(uint16_t tcp_port, int family, const struct sockaddr_storage *dst,
		       int *out);
int ln_egress_tcp_ask(int s, const struct sockaddr_storage *dst);
int ln_egress_tcp_verdict(int s);

/* ---- egress_resolv.c (launcher, in the sandbox's network namespace) ---- */
/* The UDP sockets of the sandbox's resolver, handed to the egress process
 * over `ctl` (tag 'D'). 0, or -1 with err. */
int ln_egress_dns_listen(int ctl, struct sbx_error *err);
/* A listening socket handed to the egress process: one tag byte and the fd. */
int ln_egress_send_listener(int ctl, char tag, int fd);

/* ---- egress_dns.c (in the egress process) ---- */
/* What the resolver asks of the egress process (egress_daemon.c gives it,
 * so that the resolver stays below the daemon): */
struct ln_egress_names {
	/* May the sandbox learn this name's addresses: some pattern names it
	 * (on whatever port). */
	bool (*listed)(const char *name);
	/* The name resolved to this address (family 4 or 6) through sbx. */
	void (*record)(const char *name, int family, const uint8_t *addr);
	/* A violation line (host may be a name; port 0: a name lookup). */
	void (*report)(const char *host, unsigned port, const char *reason);
};
/* The resolver's socket is readable: take the queries waiting (each is
 * answered on a thread of its own; resolving may block). */
void ln_egress_dns_ready(int fd, const struct ln_egress_names *names);

/* ---- egress_dns_wire.c ---- */
#define LN_DNS_UDP_MAX 512       /* a reply never needs more (RFC 1035 4.2.1) */
#define LN_DNS_IN_MAX 4096       /* what is read of a query                   */

enum {
	LN_DNS_NOERROR = 0, LN_DNS_FORMERR = 1, LN_DNS_SERVFAIL = 2, LN_DNS_NXDOMAIN = 3,
	LN_DNS_NOTIMP = 4, LN_DNS_REFUSED = 5,
};
enum { LN_DNS_A = 1, LN_DNS_AAAA = 28, LN_DNS_CLASS_IN = 1 };

struct ln_dns_query {
	uint16_t id, flags;
	bool has_question;       /* the question was read (it goes in the reply) */
	size_t qend;             /* where it ends in the message                 */
	uint16_t qtype, qclass;
	bool name_ok;            /* a host name (sbx_host_name_normalize): name   */
	char name[256];          /* lower case, no trailing dot; "" for the root */
};
struct ln_dns_addr {
	int family;              /* 4 or 6 */
	uint8_t addr[16];
};
/* Read a query. -1: not a query to answer (shorter than a header, or a
 * response); else the rcode to answer with (LN_DNS_NOERROR: a standard query
 * with one question, to be decided by the caller). */
int ln_dns_parse(const unsigned char *msg, size_t len, struct ln_dns_query *q);
/* The reply to `q` (its question copied from `msg`, as asked: case kept)
 * with `rcode` and the addresses of q->qtype among `addrs` (as many as fit
 * in LN_DNS_UDP_MAX). Its length; 0 when out is too small for a header. */
size_t ln_dns_reply(const unsigned char *msg, const struct ln_dns_query *q, int rcode,
		    const struct ln_dns_addr *addrs, size_t naddrs, uint32_t ttl,
		    unsigned char *out, size_t outlen);

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
