/*
 * The egress process (egress.h; docs/network.md, "Egress by name").
 *
 * Forked by the launcher before the namespaces, it stays in the host's
 * network; the launcher, once inside the sandbox's new network namespace,
 * hands it listening sockets bound to the sandbox's loopback. So the sandbox
 * has no route out and this process is the only way between the two:
 * whatever a program does with its own sockets, nothing leaves but what
 * this process connects. Each accepted connection is served by a thread
 * already waiting in accept() (a pool per listener):
 *
 *   proxy (HTTP_PROXY)   "CONNECT host:port" or "GET http://host/...":
 *                        the name (or address) checked, resolved here,
 *                        connected; 403 with the reason when refused.
 *   tcp (the supervisor) "SBX-EGRESS address port\n": a program's connect()
 *                        to that address (unixsup.c, egress_tcp.c); the
 *                        address must be listed or be what an allowed name
 *                        resolves to; one byte answers: 0 or the errno.
 *   dns (UDP, port 53)   the sandbox's resolver (egress_dns.c): allowed
 *                        names answered and their addresses recorded.
 *
 * Then the first bytes the client sends are held until they are classified
 * (egress_proto.c): a TLS ClientHello's server name and an HTTP request's
 * Host must be allowed too (for the port), so an allowed address cannot
 * carry a connection to another name it serves. Bytes from the server flow
 * at once (ssh and other protocols where the server speaks first). After
 * that the connection is relayed with splice().
 *
 * Denials are violation lines on the launcher's channel (with report).
 */
#include "egress.h"
#include "launcher.h"
#include "event_lines.h"

#include "policy.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define EG_MAX_CONNS 512
#define EG_MAX_LISTENERS 8
#define EG_IDLE_MIN 2
#define EG_IDLE_MAX 8
#define EG_HEAD_TIMEOUT_MS 30000
#define EG_CONNECT_TIMEOUT_MS 30000
#define EG_MAP_MAX 4096
#define EG_PIPE_SIZE (1 << 20)

enum eg_listener { EG_PROXY = 'P', EG_TCP = 'T', EG_DNS = 'D' };

/* An address an allowed name resolved to (through this process). */
struct eg_addr {
	int family;
	uint8_t addr[16];
	char name[SBX_HOST_NAME_MAX + 1];
};

static struct {
	const struct sbx_policy *p;
	int chan;
	pthread_mutex_t chan_mu;
	pthread_mutex_t map_mu;
	struct eg_addr *map;
	size_t nmap;
	time_t refreshed;
	atomic_int conns;
	int wake;                       /* eventfd: an acceptor asks for more */
} eg = { .wake = -1, .chan = -1, .chan_mu = PTHREAD_MUTEX_INITIALIZER, .map_mu = PTHREAD_MUTEX_INITIALIZER };

/* ---- checks ---------------------------------------------------------------- */

/* net.connect, when the policy sets it, limits the ports too. */
static bool port_ok(unsigned port)
{
	const struct sbx_ports *c = &eg.p->net.connect;

	if (!c->set)
		return true;
	for (size_t i = 0; i < c->count; i++)
		if (c->items[i] == port)
			return true;
	return false;
}

static bool name_allowed(const char *name, unsigned port)
{
	const struct sbx_hosts *h = &eg.p->net.hosts;

	if (!port_ok(port))
		return false;
	for (size_t i = 0; i < h->count; i++)
		if (sbx_host_match_name(&h->items[i].pat, name, port))
			return true;
	return false;
}

static void map_add(int family, const uint8_t *addr, const char *name)
{
	pthread_mutex_lock(&eg.map_mu);
	for (size_t i = 0; i < eg.nmap; i++)
		if (eg.map[i].family == family && !memcmp(eg.map[i].addr, addr, family == 4 ? 4 : 16) &&
		    !strcmp(eg.map[i].name, name)) {
			pthread_mutex_unlock(&eg.map_mu);
			return;
		}
	if (eg.nmap < EG_MAP_MAX) {
		struct eg_addr *m = realloc(eg.map, (eg.nmap + 1) * sizeof(*m));
		if (m) {
			eg.map = m;
			m[eg.nmap].family = family;
			memset(m[eg.nmap].addr, 0, 16);
			memcpy(m[eg.nmap].addr, addr, family == 4 ? 4 : 16);
			snprintf(m[eg.nmap].name, sizeof(m[eg.nmap].name), "%s", name);
			eg.nmap++;
		}
	}
	pthread_mutex_unlock(&eg.map_mu);
}

/* An allowed name that resolved to this address, for this port: into `via`. */
static bool map_allows(int family, const uint8_t *addr, unsigned port, char *via, size_t vlen)
{
	bool ok = false;

	pthread_mutex_lock(&eg.map_mu);
	for (size_t i = 0; i < eg.nmap && !ok; i++)
		if (eg.map[i].family == family &&
		    !memcmp(eg.map[i].addr, addr, family == 4 ? 4 : 16) &&
		    name_allowed(eg.map[i].name, port)) {
			snprintf(via, vlen, "%s", eg.map[i].name);
			ok = true;
		}
	pthread_mutex_unlock(&eg.map_mu);
	return ok;
}

static void record_ai(const char *name, const struct addrinfo *ai)
{
	for (; ai; ai = ai->ai_next) {
		if (ai->ai_family == AF_INET)
			map_add(4, (const uint8_t *)&((struct sockaddr_in *)ai->ai_addr)->sin_addr, name);
		else if (ai->ai_family == AF_INET6)
			map_add(6, (const uint8_t *)&((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr, name);
	}
}

/* The exact names of the policy, resolved again (at most once a second):
 * a program that found an address in /etc/hosts, or in a cache, connects to
 * it without asking sbx's resolver. */
static void refresh_names(void)
{
	const struct sbx_hosts *h = &eg.p->net.hosts;
	time_t now = time(NULL);

	pthread_mutex_lock(&eg.map_mu);
	if (eg.refreshed == now) {
		pthread_mutex_unlock(&eg.map_mu);
		return;
	}
	eg.refreshed = now;
	pthread_mutex_unlock(&eg.map_mu);
	for (size_t i = 0; i < h->count; i++) {
		struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res = NULL;
		if (h->items[i].pat.kind != SBX_HOST_NAME)
			continue;
		if (getaddrinfo(h->items[i].pat.name, NULL, &hints, &res) == 0) {
			record_ai(h->items[i].pat.name, res);
			freeaddrinfo(res);
		}
	}
}

static void to_family_addr(const struct sockaddr_storage *ss, int *family, uint8_t *addr,
			   unsigned *port)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s = (const struct sockaddr_in *)ss;
		*family = 4;
		memcpy(addr, &s->sin_addr, 4);
		*port = ntohs(s->sin_port);
	} else {
		const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)ss;
		*family = 6;
		memcpy(addr, &s->sin6_addr, 16);
		*port = ntohs(s->sin6_port);
		if (!memcmp(addr, mapped, 12)) {
			*family = 4;
			memmove(addr, addr + 12, 4);
		}
	}
}

/* The address is listed, or an allowed name resolved to it. */
static bool addr_allowed(const struct sockaddr_storage *ss, char *via, size_t vlen)
{
	const struct sbx_hosts *h = &eg.p->net.hosts;
	uint8_t addr[16];
	int family;
	unsigned port;

	via[0] = 0;
	to_family_addr(ss, &family, addr, &port);
	if (!port_ok(port))
		return false;
	for (size_t i = 0; i < h->count; i++)
		if (sbx_host_match_addr(&h->items[i].pat, family, addr, port))
			return true;
	if (map_allows(family, addr, port, via, vlen))
		return true;
	refresh_names();
	return map_allows(family, addr, port, via, vlen);
}

/* ---- reports ---------------------------------------------------------------- */

static void addr_text(const struct sockaddr_storage *ss, char *out, size_t len)
{
	uint8_t a[16];
	int family;
	unsigned port;

	to_family_addr(ss, &family, a, &port);
	inet_ntop(family == 4 ? AF_INET : AF_INET6, a, out, (socklen_t)len);
}

/* One violation line: {"event":"violation","kind":"net",...}. `host` may be
 * an address; `ip` NULL when none was reached. */
static void report(const char *host, unsigned port, const char *ip, const char *reason)
{
	struct ln_line line;

	if (eg.chan < 0)
		return;
	if (!ln_line_net_violation(&line, host, port, ip, reason))
		return;
	pthread_mutex_lock(&eg.chan_mu);
	(void)!send(eg.chan, line.buf, line.len, MSG_NOSIGNAL);
	pthread_mutex_unlock(&eg.chan_mu);
}

/* ---- I/O helpers -------------------------------------------------------------- */

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int wait_fd(int fd, short ev, long long deadline)
{
	struct pollfd p = { .fd = fd, .events = ev };
	for (;;) {
		long long left = deadline - now_ms();
		if (left <= 0)
			return ETIMEDOUT;
		int r = poll(&p, 1, (int)left);
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return errno;
	}
}

static int write_all(int fd, const void *buf, size_t len)
{
	const char *b = buf;
	long long deadline = now_ms() + EG_HEAD_TIMEOUT_MS;

	while (len) {
		ssize_t n = send(fd, b, len, MSG_NOSIGNAL);
		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			int e = wait_fd(fd, POLLOUT, deadline);
			if (e)
				return e;
			continue;
		}
		if (n <= 0)
			return n < 0 ? errno : EPIPE;
		b += n;
		len -= (size_t)n;
	}
	return 0;
}

/* A non-blocking TCP connection to ss, waited for. 0 and *out, or errno. */
static int dial(const struct sockaddr_storage *ss, int *out)
{
	socklen_t len = ss->ss_family == AF_INET ? sizeof(struct sockaddr_in)
						 : sizeof(struct sockaddr_in6);
	int s = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), e, one = 1;
	socklen_t el = sizeof(e);

	if (s < 0)
		return errno;
	setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(s, (const struct sockaddr *)ss, len) && errno != EINPROGRESS) {
		e = errno;
		close(s);
		return e;
	}
	e = wait_fd(s, POLLOUT, now_ms() + EG_CONNECT_TIMEOUT_MS);
	if (!e && getsockopt(s, SOL_SOCKET, SO_ERROR, &e, &el))
		e = errno;
	if (e) {
		close(s);
		return e;
	}
	*out = s;
	return 0;
}

/* ---- one connection ----------------------------------------------------------- */

struct conn {
	int kind;
	int cfd, ufd;
	char host[SBX_HOST_NAME_MAX + 1]; /* the name asked for, or an address text */
	unsigned port;
	char ip[64];
	bool by_name;                      /* host is a name the policy allows      */
	unsigned char buf[LN_EGRESS_HEAD_MAX + 16];
	size_t len;                        /* client bytes held                     */
	bool checked;                      /* the first bytes were looked at        */
};

static const char *const forbidden_fmt =
	"HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nConnection: close\r\n"
	"Content-Length: %zu\r\n\r\n%s";

static void http_refuse(struct conn *k, const char *status, const char *why)
{
	char body[600], msg[1024];
	int n;

	snprintf(body, sizeof(body), "sbx: %s\n", why);
	if (!strcmp(status, "403"))
		n = snprintf(msg, sizeof(msg), forbidden_fmt, strlen(body), body);
	else
		n = snprintf(msg, sizeof(msg), "HTTP/1.1 %s\r\nContent-Type: text/plain\r\n"
			     "Connection: close\r\nContent-Length: %zu\r\n\r\n%s", status,
			     strlen(body), body);
	if (n > 0)
		(void)!write_all(k->cfd, msg, (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1);
}

/* Read client bytes into k->buf until `done` says so (or the timeout). */
static int read_more(struct conn *k, long long deadline)
{
	ssize_t n;

	if (k->len >= sizeof(k->buf))
		return EMSGSIZE;
	for (;;) {
		n = recv(k->cfd, k->buf + k->len, sizeof(k->buf) - k->len, 0);
		if (n > 0) {
			k->len += (size_t)n;
			return 0;
		}
		if (n == 0)
			return ECONNRESET;
		if (errno != EAGAIN && errno != EINTR)
			return errno;
		int e = wait_fd(k->cfd, POLLIN, deadline);
		if (e)
			return e;
	}
}

static void drop_head(struct conn *k, size_t n)
{
	memmove(k->buf, k->buf + n, k->len - n);
	k->len -= n;
}

/* Resolve k->host (a name) and connect to the first address that answers;
 * the addresses are recorded as the name's. 0 or errno (EHOSTUNREACH: no
 * address). */
static int dial_name(struct conn *k)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res = NULL;
	char port[8];
	int e = EHOSTUNREACH;

	snprintf(port, sizeof(port), "%u", k->port);
	if (getaddrinfo(k->host, port, &hints, &res))
		return EHOSTUNREACH;
	record_ai(k->host, res);
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		struct sockaddr_storage ss;
		if (ai->ai_addrlen > sizeof(ss))
			continue;
		memset(&ss, 0, sizeof(ss));
		memcpy(&ss, ai->ai_addr, ai->ai_addrlen);
		if (!(e = dial(&ss, &k->ufd))) {
			addr_text(&ss, k->ip, sizeof(k->ip));
			break;
		}
	}
	freeaddrinfo(res);
	return e;
}

/* The name a TLS or HTTP start carries, checked. 0 allowed, else refused. */
static int check_first_bytes(struct conn *k)
{
	char name[SBX_HOST_NAME_MAX + 1], why[600];
	enum ln_peek_kind kind = ln_peek_classify(k->buf, k->len, name, sizeof(name));
	unsigned char a[16];

	if (kind == LN_PEEK_MORE)
		return EAGAIN;
	k->checked = true;
	if (kind == LN_PEEK_OTHER || ((kind == LN_PEEK_TLS || kind == LN_PEEK_HTTP) && !name[0]))
		return 0;
	if (kind == LN_PEEK_BAD) {
		snprintf(why, sizeof(why), "a malformed TLS or HTTP start to %s:%u", k->host, k->port);
		report(k->host, k->port, k->ip, why);
		return EPROTO;
	}
	if (inet_pton(AF_INET, name, a) == 1 || inet_pton(AF_INET6, name, a) == 1) {
		/* Host: an address. It must be the one connected to, or allowed. */
		if (!strcmp(name, k->ip))
			return 0;
		struct sockaddr_storage ss = { 0 };
		char via[SBX_HOST_NAME_MAX + 1];
		if (inet_pton(AF_INET, name, &((struct sockaddr_in *)&ss)->sin_addr) == 1) {
			ss.ss_family = AF_INET;
			((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)k->port);
		} else {
			ss.ss_family = AF_INET6;
			inet_pton(AF_INET6, name, &((struct sockaddr_in6 *)&ss)->sin6_addr);
			((struct sockaddr_in6 *)&ss)->sin6_port = htons((uint16_t)k->port);
		}
		if (addr_allowed(&ss, via, sizeof(via)))
			return 0;
	} else if (name_allowed(name, k->port)) {
		return 0;
	}
	snprintf(why, sizeof(why), "%s %s is not allowed on port %u (connection to %s)",
		 kind == LN_PEEK_TLS ? "TLS server name" : "HTTP Host", name, k->port, k->host);
	report(name, k->port, k->ip, why);
	return EACCES;
}

/* One direction of the relay. */
struct dir {
	int from, to;
	int pipe[2];
	size_t inpipe;
	bool eof, done;
};

/* Move what can move now, one way, without blocking: from the source into
 * the pipe and straight on out (no poll between the two). 0 with *ev the
 * event to wait for on *wfd (0: this way is done), or -1. */
static int pump(struct dir *x, short *ev, int *wfd)
{
	for (;;) {
		ssize_t n;
		if (x->inpipe) {
			n = splice(x->pipe[0], NULL, x->to, NULL, x->inpipe,
				   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
			if (n > 0) {
				x->inpipe -= (size_t)n;
				continue;
			}
			if (n < 0 && errno == EINTR)
				continue;
			if (n == 0 || errno != EAGAIN)
				return -1;
			*ev = POLLOUT;
			*wfd = x->to;
			return 0;
		}
		if (x->eof) {
			if (!x->done)
				shutdown(x->to, SHUT_WR);
			x->done = true;
			*ev = 0;
			return 0;
		}
		n = splice(x->from, NULL, x->pipe[1], NULL, EG_PIPE_SIZE,
			   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
		if (n > 0) {
			x->inpipe += (size_t)n;
		} else if (n == 0) {
			x->eof = true;
		} else if (errno != EINTR) {
			if (errno != EAGAIN)
				return -1;
			*ev = POLLIN;
			*wfd = x->from;
			return 0;
		}
	}
}

/* Copy both ways until both are closed; the client's bytes only after the
 * first ones were checked (k->checked). */
static void relay(struct conn *k)
{
	struct dir d[2] = { { k->cfd, k->ufd, { -1, -1 }, 0, false, false },
			    { k->ufd, k->cfd, { -1, -1 }, 0, false, false } };
	bool ready[2] = { true, true };

	for (int i = 0; i < 2; i++) {
		if (pipe2(d[i].pipe, O_CLOEXEC | O_NONBLOCK))
			goto out;
		fcntl(d[i].pipe[0], F_SETPIPE_SZ, EG_PIPE_SIZE);
	}
	fcntl(k->cfd, F_SETFL, fcntl(k->cfd, F_GETFL) | O_NONBLOCK);
	fcntl(k->ufd, F_SETFL, fcntl(k->ufd, F_GETFL) | O_NONBLOCK);
	long long deadline = now_ms() + EG_HEAD_TIMEOUT_MS;
	if (!k->checked && k->len) {
		int e = check_first_bytes(k);
		if (e && e != EAGAIN)
			goto out;
	}
	while (!d[0].done || !d[1].done) {
		struct pollfd pf[3];
		int idx[3], np = 0;

		if (!k->checked) {
			/* Hold the client's bytes (in k->buf) until they are
			 * classified; the server's flow meanwhile. */
			pf[np] = (struct pollfd){ .fd = k->cfd, .events = POLLIN };
			idx[np++] = 10;
		} else if (k->len) {
			if (write_all(k->ufd, k->buf, k->len))
				goto out;
			k->len = 0;
			ready[0] = true;
		}
		for (int i = 0; i < 2; i++) {
			short ev = 0;
			int wfd = -1;
			if (d[i].done || (i == 0 && !k->checked))
				continue;
			if (!ready[i]) {
				/* waiting as before: poll for it again */
				pf[np] = (struct pollfd){ .fd = d[i].inpipe ? d[i].to : d[i].from,
							  .events = d[i].inpipe ? POLLOUT : POLLIN };
				idx[np++] = i;
				continue;
			}
			if (pump(&d[i], &ev, &wfd))
				goto out;
			ready[i] = false;
			if (ev) {
				pf[np] = (struct pollfd){ .fd = wfd, .events = ev };
				idx[np++] = i;
			}
		}
		if (!np)
			continue;       /* both ways just ended */
		long long left = deadline - now_ms();
		int r = poll(pf, (nfds_t)np, k->checked ? -1 : (int)(left > 0 ? left : 0));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			goto out;
		for (int j = 0; j < np; j++) {
			if (!pf[j].revents)
				continue;
			if (idx[j] != 10) {
				ready[idx[j]] = true;
				continue;
			}
			int e = read_more(k, deadline);
			if (e == ECONNRESET && !k->len) {
				/* the client sent nothing and closed */
				shutdown(k->ufd, SHUT_WR);
				d[0].done = true;
				k->checked = true;
				continue;
			}
			if (e)
				goto out;
			e = check_first_bytes(k);
			if (e && e != EAGAIN)
				goto out;
		}
	}
out:
	for (int i = 0; i < 2; i++) {
		if (d[i].pipe[0] >= 0)
			close(d[i].pipe[0]);
		if (d[i].pipe[1] >= 0)
			close(d[i].pipe[1]);
	}
}

static void serve_proxy(struct conn *k)
{
	long long deadline = now_ms() + EG_HEAD_TIMEOUT_MS;
	struct ln_proxy_req r;
	char why[600], via[SBX_HOST_NAME_MAX + 1];
	int rc, e;
	unsigned char a[16];

	for (;;) {
		rc = ln_proxy_parse((const char *)k->buf, k->len, &r);
		if (rc != LN_HEAD_MORE)
			break;
		if (read_more(k, deadline))
			return;
	}
	if (rc == LN_HEAD_BAD) {
		http_refuse(k, "400 Bad Request", "this proxy takes CONNECT host:port and "
			    "absolute http:// requests only");
		return;
	}
	snprintf(k->host, sizeof(k->host), "%.253s", r.host);
	k->port = r.port;
	drop_head(k, r.head_len);
	bool literal = inet_pton(AF_INET, r.host, a) == 1 || inet_pton(AF_INET6, r.host, a) == 1;
	if (literal) {
		struct sockaddr_storage ss = { 0 };
		char t[300];
		snprintf(t, sizeof(t), "SBX-EGRESS %s %u\n", r.host, r.port);
		size_t hl;
		if (ln_tcp_header_parse(t, strlen(t), &ss, &hl) != 1) {
			http_refuse(k, "400 Bad Request", "bad address");
			goto out;
		}
		snprintf(k->ip, sizeof(k->ip), "%.63s", r.host);
		if (!addr_allowed(&ss, via, sizeof(via))) {
			snprintf(why, sizeof(why), "%.64s port %u is not allowed (net.hosts: neither listed "
				 "nor an address an allowed name resolved to): --allow-host %s%.64s%s:%u",
				 r.host, r.port, strchr(r.host, ':') ? "[" : "", r.host,
				 strchr(r.host, ':') ? "]" : "", r.port);
			report(r.host, r.port, r.host, "address not allowed");
			http_refuse(k, "403", why);
			goto out;
		}
		e = dial(&ss, &k->ufd);
	} else {
		if (!name_allowed(r.host, r.port)) {
			snprintf(why, sizeof(why), "%s port %u is not allowed (net.hosts): "
				 "--allow-host %s:%u", r.host, r.port, r.host, r.port);
			report(r.host, r.port, NULL, "name not allowed");
			http_refuse(k, "403", why);
			goto out;
		}
		k->by_name = true;
		e = dial_name(k);
	}
	if (e) {
		snprintf(why, sizeof(why), "%s port %u: %s", r.host, r.port, strerror(e));
		http_refuse(k, e == ETIMEDOUT ? "504 Gateway Timeout" : "502 Bad Gateway", why);
		goto out;
	}
	if (r.connect) {
		static const char ok[] = "HTTP/1.1 200 Connection established\r\n\r\n";
		if (write_all(k->cfd, ok, sizeof(ok) - 1))
			goto out;
	} else {
		/* The head names the host itself (rewritten): sent as is, the
		 * rest of the connection is the request's body and beyond. */
		if (write_all(k->ufd, r.rewritten, r.rlen))
			goto out;
		k->checked = true;
	}
	relay(k);
out:
	free(r.rewritten);
}

static void serve_tcp(struct conn *k)
{
	long long deadline = now_ms() + EG_HEAD_TIMEOUT_MS;
	struct sockaddr_storage dst;
	char via[SBX_HOST_NAME_MAX + 1], why[600];
	size_t hl = 0;
	int rc, e;
	unsigned char verdict;

	for (;;) {
		rc = ln_tcp_header_parse((const char *)k->buf, k->len, &dst, &hl);
		if (rc)
			break;
		if (read_more(k, deadline))
			return;
	}
	if (rc < 0)
		return;
	drop_head(k, hl);
	addr_text(&dst, k->ip, sizeof(k->ip));
	snprintf(k->host, sizeof(k->host), "%s", k->ip);
	k->port = ntohs(((struct sockaddr_in *)&dst)->sin_port);
	if (!addr_allowed(&dst, via, sizeof(via))) {
		snprintf(why, sizeof(why), "address not allowed (neither listed in net.hosts nor "
			 "what an allowed name resolved to)");
		report(k->ip, k->port, k->ip, why);
		verdict = EACCES;
		(void)!write_all(k->cfd, &verdict, 1);
		return;
	}
	if (via[0])
		snprintf(k->host, sizeof(k->host), "%s", via);
	e = dial(&dst, &k->ufd);
	verdict = (unsigned char)(e > 0 && e < 256 ? e : e ? EIO : 0);
	if (write_all(k->cfd, &verdict, 1) || e)
		return;
	relay(k);
}

/* One accepted connection, served to its end. */
static void serve_conn(int kind, int cfd)
{
	struct conn *k;
	int one = 1;

	if (atomic_fetch_add(&eg.conns, 1) >= EG_MAX_CONNS || !(k = calloc(1, sizeof(*k)))) {
		atomic_fetch_sub(&eg.conns, 1);
		close(cfd);
		return;
	}
	/* A relay: what comes is passed on at once (Nagle would hold a
	 * small reply until the client's ACK). */
	setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	k->kind = kind;
	k->cfd = cfd;
	k->ufd = -1;
	if (k->kind == EG_PROXY)
		serve_proxy(k);
	else
		serve_tcp(k);
	close(k->cfd);
	if (k->ufd >= 0)
		close(k->ufd);
	free(k);
	atomic_fetch_sub(&eg.conns, 1);
}

/*
 * Threads waiting in accept() on a listener, each serving the connection it
 * took and then waiting again: a connection is taken by a thread that is
 * already there (no thread made, no hand-over from a poll loop on its
 * path). When the last idle one takes a connection, the main thread is
 * asked (eventfd) for EG_IDLE_MIN more; beyond EG_IDLE_MAX idle ones, a
 * thread ends.
 */
struct eg_acceptors {
	int fd, kind;
	atomic_int idle;
};

static void *acceptor(void *arg)
{
	struct eg_acceptors *l = arg;

	for (;;) {
		int cfd = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC);
		if (cfd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOMEM || errno == ENOBUFS) {
				struct timespec ts = { 0, 10 * 1000 * 1000 };
				nanosleep(&ts, NULL);
			}
			continue;
		}
		/* The last idle one: more, made beside this connection (one
		 * connection at a time never makes a thread). */
		if (atomic_fetch_sub(&l->idle, 1) <= 1) {
			uint64_t one = 1;
			(void)!write(eg.wake, &one, sizeof(one));
		}
		serve_conn(l->kind, cfd);
		if (atomic_fetch_add(&l->idle, 1) >= EG_IDLE_MAX) {
			atomic_fetch_sub(&l->idle, 1);
			return NULL;
		}
	}
}

/* At least EG_IDLE_MIN threads waiting on each listener. */
static void acceptors_fill(struct eg_acceptors *ls, int n, const pthread_attr_t *attr)
{
	for (int i = 0; i < n; i++) {
		while (atomic_load(&ls[i].idle) < EG_IDLE_MIN &&
		       atomic_load(&eg.conns) < EG_MAX_CONNS) {
			pthread_t t;
			atomic_fetch_add(&ls[i].idle, 1);
			if (pthread_create(&t, attr, acceptor, &ls[i])) {
				atomic_fetch_sub(&ls[i].idle, 1);
				break;
			}
		}
	}
}

/* ---- the process ---------------------------------------------------------------- */

/* A listener from the launcher: one tag byte ('P', 'T', 'D') and the fd. */
static int recv_listener(int ctl, int *kind)
{
	char tag = 0;
	struct iovec iov = { &tag, 1 };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			     .msg_controllen = sizeof(u.buf) };
	ssize_t n = recvmsg(ctl, &mh, MSG_CMSG_CLOEXEC);
	struct cmsghdr *cm = n > 0 ? CMSG_FIRSTHDR(&mh) : NULL;
	int fd = -1;

	if (n <= 0)
		return -2;
	if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS &&
	    cm->cmsg_len == CMSG_LEN(sizeof(int)))
		memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	*kind = tag;
	return fd;
}

/* ---- for the resolver (egress_dns.c, struct ln_egress_names) ---------------- */

static bool name_listed(const char *name)
{
	const struct sbx_hosts *h = &eg.p->net.hosts;

	for (size_t i = 0; i < h->count; i++) {
		const struct sbx_host_pattern *pat = &h->items[i].pat;
		/* a port the pattern allows, to ask the matcher about the name */
		unsigned port = pat->port == SBX_HOST_WEB_PORTS ? 443
			      : pat->port == SBX_HOST_ANY_PORT ? 1 : pat->port;
		if (sbx_host_match_name(pat, name, port))
			return true;
	}
	return false;
}

static void name_record(const char *name, int family, const uint8_t *addr)
{
	map_add(family, addr, name);
}

static void name_report(const char *host, unsigned port, const char *reason)
{
	report(host, port, NULL, reason);
}

static const struct ln_egress_names names = { name_listed, name_record, name_report };

void ln_egress_daemon(const struct sbx_policy *p, int ctl, int chan)
{
	static struct eg_acceptors ls[EG_MAX_LISTENERS];
	struct pollfd pf[EG_MAX_LISTENERS + 2];
	int nls = 0, n = 2;
	pthread_attr_t attr;

	eg.p = p;
	eg.chan = chan;
	eg.wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (eg.wake < 0)
		_exit(1);
	signal(SIGPIPE, SIG_IGN);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 256 << 10);
	pf[0] = (struct pollfd){ .fd = ctl, .events = POLLIN };
	pf[1] = (struct pollfd){ .fd = eg.wake, .events = POLLIN };
	for (;;) {
		if (poll(pf, (nfds_t)n, -1) < 0) {
			if (errno == EINTR)
				continue;
			_exit(1);
		}
		if (pf[0].revents) {
			int kind = 0, fd = recv_listener(ctl, &kind);
			if (fd == -2) {
				/* The launcher let go of us (it became the program,
				 * or ended): we end with our parent (pdeathsig). */
				pf[0].fd = -1;
			} else if (fd >= 0 && kind == EG_DNS && n < EG_MAX_LISTENERS + 2) {
				/* UDP: answered from here (egress_dns.c) */
				pf[n++] = (struct pollfd){ .fd = fd, .events = POLLIN };
			} else if (fd >= 0 && (kind == EG_PROXY || kind == EG_TCP) &&
				   nls < EG_MAX_LISTENERS) {
				ls[nls].fd = fd;
				ls[nls].kind = kind;
				atomic_init(&ls[nls].idle, 0);
				nls++;
				acceptors_fill(ls, nls, &attr);
			} else if (fd >= 0) {
				close(fd);
			}
		}
		if (pf[1].revents & POLLIN) {
			uint64_t v;
			(void)!read(eg.wake, &v, sizeof(v));
			acceptors_fill(ls, nls, &attr);
		}
		for (int i = 2; i < n; i++)
			if (pf[i].revents & POLLIN)
				ln_egress_dns_ready(pf[i].fd, &names);
	}
}
