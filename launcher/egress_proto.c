/*
 * What the egress process reads from a connection before it relays it
 * (egress.h): the proxy request head, the TLS ClientHello's server name, an
 * HTTP request's Host, the supervisor's header. Pure functions over bytes
 * the sandbox sent: every length is checked against the buffer, nothing is
 * guessed (a malformed start is LN_PEEK_BAD, which the caller refuses), and
 * test/native/test_egress_proto.c feeds them every truncation.
 *
 * TLS is never decrypted: the server name is the plaintext SNI extension of
 * the ClientHello (reassembled across handshake records, at most 16 KiB).
 */
#include "egress.h"

#include "net_hosts.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *find_end(const char *buf, size_t len)
{
	for (size_t i = 3; i < len; i++)
		if (buf[i] == '\n' && buf[i - 1] == '\r' && buf[i - 2] == '\n' && buf[i - 3] == '\r')
			return buf + i + 1;
	return NULL;
}

/* host[:port] or [v6][:port] from `s` (n bytes) into out: a normalized name
 * or an address literal. 0, or -1. */
static int split_hostport(const char *s, size_t n, char *host, size_t hostlen, unsigned *port,
			  bool need_port)
{
	char tmp[300];
	const char *colon = NULL;
	size_t hlen;

	if (!n || n >= sizeof(tmp))
		return -1;
	memcpy(tmp, s, n);
	tmp[n] = 0;
	if (tmp[0] == '[') {
		char *close = strchr(tmp, ']');
		if (!close)
			return -1;
		*close = 0;
		if (close[1] == ':')
			colon = close + 1;
		else if (close[1])
			return -1;
		unsigned char a[16];
		if (inet_pton(AF_INET6, tmp + 1, a) != 1 || strlen(tmp + 1) >= hostlen)
			return -1;
		strcpy(host, tmp + 1);
	} else {
		char *c = strrchr(tmp, ':');
		if (c) {
			*c = 0;
			colon = c;
		}
		hlen = strlen(tmp);
		unsigned char a[4];
		if (inet_pton(AF_INET, tmp, a) == 1) {
			if (hlen >= hostlen)
				return -1;
			strcpy(host, tmp);
		} else if (hostlen <= SBX_HOST_NAME_MAX || !sbx_host_name_normalize(tmp, hlen, host)) {
			return -1;
		}
	}
	if (colon) {
		unsigned long v = 0;
		const char *p = colon + 1;
		if (!*p || strlen(p) > 5)
			return -1;
		for (; *p; p++) {
			if (!isdigit((unsigned char)*p))
				return -1;
			v = v * 10 + (unsigned long)(*p - '0');
		}
		if (v < 1 || v > 65535)
			return -1;
		*port = (unsigned)v;
	} else if (need_port) {
		return -1;
	}
	return 0;
}

/* Header lines a forward proxy does not pass on (hop-by-hop, or ours). */
static bool dropped_header(const char *line, size_t n)
{
	static const char *const names[] = { "proxy-connection:", "proxy-authorization:",
					      "connection:", "keep-alive:", "host:" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		size_t k = strlen(names[i]);
		if (n >= k && !strncasecmp(line, names[i], k))
			return true;
	}
	return false;
}

int ln_proxy_parse(const char *buf, size_t len, struct ln_proxy_req *out)
{
	const char *end = find_end(buf, len), *sp1, *sp2, *eol;

	memset(out, 0, sizeof(*out));
	if (!end)
		return len >= LN_EGRESS_HEAD_MAX ? LN_HEAD_BAD : LN_HEAD_MORE;
	out->head_len = (size_t)(end - buf);
	eol = memchr(buf, '\r', out->head_len);
	sp1 = memchr(buf, ' ', (size_t)(eol - buf));
	if (!sp1 || sp1 == buf)
		return LN_HEAD_BAD;
	sp2 = memchr(sp1 + 1, ' ', (size_t)(eol - sp1 - 1));
	if (!sp2 || (size_t)(eol - sp2 - 1) != 8 || strncmp(sp2 + 1, "HTTP/1.", 7))
		return LN_HEAD_BAD;
	for (const char *m = buf; m < sp1; m++)
		if (!isupper((unsigned char)*m))
			return LN_HEAD_BAD;
	if ((size_t)(sp1 - buf) == 7 && !strncmp(buf, "CONNECT", 7)) {
		out->connect = true;
		return split_hostport(sp1 + 1, (size_t)(sp2 - sp1 - 1), out->host, sizeof(out->host),
				      &out->port, true) ? LN_HEAD_BAD : LN_HEAD_OK;
	}
	/* A plain request through the proxy: absolute form, http only. */
	const char *t = sp1 + 1;
	size_t tlen = (size_t)(sp2 - t);
	if (tlen < 8 || strncasecmp(t, "http://", 7))
		return LN_HEAD_BAD;
	const char *auth = t + 7, *path = auth;
	while (path < sp2 && *path != '/' && *path != '?')
		path++;
	out->port = 80;
	if (memchr(auth, '@', (size_t)(path - auth)) ||
	    split_hostport(auth, (size_t)(path - auth), out->host, sizeof(out->host), &out->port,
			   false))
		return LN_HEAD_BAD;
	/* method SP origin-form SP version CRLF, Host, the other headers
	 * minus the hop-by-hop ones, Connection: close, CRLF */
	size_t cap = out->head_len + 600;
	char *r = malloc(cap);
	if (!r)
		return LN_HEAD_BAD;
	size_t n = 0;
	const char *hdr = eol + 2;
	n += (size_t)snprintf(r + n, cap - n, "%.*s %s%.*s %.8s\r\n", (int)(sp1 - buf), buf,
			      *path == '?' || path == sp2 ? "/" : "", (int)(sp2 - path), path,
			      sp2 + 1);
	if (strchr(out->host, ':'))
		n += (size_t)snprintf(r + n, cap - n, "Host: [%s]", out->host);
	else
		n += (size_t)snprintf(r + n, cap - n, "Host: %s", out->host);
	if (out->port != 80)
		n += (size_t)snprintf(r + n, cap - n, ":%u", out->port);
	n += (size_t)snprintf(r + n, cap - n, "\r\n");
	while (hdr < end - 2) {
		const char *le = memchr(hdr, '\n', (size_t)(end - hdr));
		size_t ln = (size_t)(le - hdr + 1);
		/* No folded (obsolete) continuation lines: they would let a
		 * dropped header go on. */
		if (*hdr == ' ' || *hdr == '\t') {
			free(r);
			return LN_HEAD_BAD;
		}
		if (!dropped_header(hdr, ln)) {
			memcpy(r + n, hdr, ln);
			n += ln;
		}
		hdr = le + 1;
	}
	n += (size_t)snprintf(r + n, cap - n, "Connection: close\r\n\r\n");
	out->rewritten = r;
	out->rlen = n;
	return LN_HEAD_OK;
}

/* ---- the first bytes of a connection ---- */

static unsigned be16(const unsigned char *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

/* The SNI of a complete ClientHello body (after the 4-byte handshake
 * header). 1 found, 0 none, -1 malformed. */
static int sni_of(const unsigned char *p, size_t n, char *name, size_t namelen)
{
	size_t at = 2 + 32, l;

	if (n < at + 1)
		return -1;
	at += 1 + p[at];                           /* session id     */
	if (n < at + 2)
		return -1;
	at += 2 + be16(p + at);                    /* cipher suites  */
	if (n < at + 1)
		return -1;
	at += 1 + p[at];                           /* compression    */
	if (n == at)
		return 0;                          /* no extensions  */
	if (n < at + 2)
		return -1;
	l = be16(p + at);
	at += 2;
	if (n < at + l)
		return -1;
	n = at + l;
	while (at + 4 <= n) {
		unsigned type = be16(p + at), elen = be16(p + at + 2);
		at += 4;
		if (at + elen > n)
			return -1;
		if (type == 0) {
			size_t e = at, eend = at + elen;
			if (elen < 2 || be16(p + e) + 2u != elen)
				return -1;
			e += 2;
			while (e + 3 <= eend) {
				unsigned nt = p[e], nl = be16(p + e + 1);
				e += 3;
				if (e + nl > eend)
					return -1;
				if (nt == 0) {
					if (namelen <= SBX_HOST_NAME_MAX ||
					    !sbx_host_name_normalize((const char *)p + e, nl, name))
						return -1;
					return 1;
				}
				e += nl;
			}
			return -1;
		}
		at += elen;
	}
	return at == n ? 0 : -1;
}

static enum ln_peek_kind peek_tls(const unsigned char *buf, size_t len, char *name,
				  size_t namelen)
{
	unsigned char hs[LN_EGRESS_HEAD_MAX + 8];
	size_t hlen = 0, at = 0, need = 0;

	while (at + 5 <= len) {
		unsigned rl = be16(buf + at + 3);
		if (buf[at] != 0x16 || buf[at + 1] != 3 || rl == 0 || rl > 16384)
			return LN_PEEK_BAD;
		if (at + 5 + rl > len)
			break;
		if (hlen + rl > sizeof(hs))
			return LN_PEEK_BAD;
		memcpy(hs + hlen, buf + at + 5, rl);
		hlen += rl;
		at += 5 + rl;
		if (hlen >= 4) {
			if (hs[0] != 1)
				return LN_PEEK_BAD;          /* not a ClientHello */
			need = 4 + ((size_t)hs[1] << 16 | (size_t)hs[2] << 8 | hs[3]);
			if (need > LN_EGRESS_HEAD_MAX)
				return LN_PEEK_BAD;
			if (hlen >= need) {
				int r = sni_of(hs + 4, need - 4, name, namelen);
				if (r < 0)
					return LN_PEEK_BAD;
				if (!r)
					name[0] = 0;
				return LN_PEEK_TLS;
			}
		}
	}
	if (len >= LN_EGRESS_HEAD_MAX + 5)
		return LN_PEEK_BAD;
	if (len >= 3 && (buf[1] != 3))
		return LN_PEEK_BAD;
	return LN_PEEK_MORE;
}

static const char *const methods[] = { "GET ", "POST ", "PUT ", "HEAD ", "DELETE ",
				       "OPTIONS ", "PATCH ", "TRACE ", "CONNECT " };

static enum ln_peek_kind peek_http(const char *buf, size_t len, char *name, size_t namelen)
{
	const char *end = find_end(buf, len), *eol, *h;

	if (!end)
		return len >= LN_EGRESS_HEAD_MAX ? LN_PEEK_BAD : LN_PEEK_MORE;
	name[0] = 0;
	eol = memchr(buf, '\n', (size_t)(end - buf));
	for (h = eol + 1; h < end - 2;) {
		const char *le = memchr(h, '\n', (size_t)(end - h));
		size_t ln = (size_t)(le - h);
		if (ln >= 5 && !strncasecmp(h, "host:", 5)) {
			const char *v = h + 5, *ve = le;
			unsigned port = 0;
			if (name[0])
				return LN_PEEK_BAD;           /* two Host headers */
			while (v < ve && (*v == ' ' || *v == '\t'))
				v++;
			while (ve > v && (ve[-1] == '\r' || ve[-1] == ' ' || ve[-1] == '\t'))
				ve--;
			if (split_hostport(v, (size_t)(ve - v), name, namelen, &port, false))
				return LN_PEEK_BAD;
		}
		h = le + 1;
	}
	return LN_PEEK_HTTP;
}

enum ln_peek_kind ln_peek_classify(const unsigned char *buf, size_t len, char *name,
				   size_t namelen)
{
	name[0] = 0;
	if (!len)
		return LN_PEEK_MORE;
	if (buf[0] == 0x16)
		return peek_tls(buf, len, name, namelen);
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		size_t k = strlen(methods[i]);
		size_t m = len < k ? len : k;
		if (!memcmp(buf, methods[i], m))
			return m < k ? LN_PEEK_MORE : peek_http((const char *)buf, len, name, namelen);
	}
	return LN_PEEK_OTHER;
}

int ln_tcp_header_parse(const char *buf, size_t len, struct sockaddr_storage *dst,
			size_t *head_len)
{
	static const char magic[] = "SBX-EGRESS ";
	const char *nl = memchr(buf, '\n', len), *sp;
	char addr[64];
	unsigned long port = 0;

	if (len < sizeof(magic) - 1 ? memcmp(buf, magic, len) : memcmp(buf, magic, sizeof(magic) - 1))
		return -1;
	if (!nl)
		return len > 100 ? -1 : 0;
	*head_len = (size_t)(nl - buf + 1);
	buf += sizeof(magic) - 1;
	sp = memchr(buf, ' ', (size_t)(nl - buf));
	if (!sp || sp == buf || (size_t)(sp - buf) >= sizeof(addr) || nl - sp < 2 || nl - sp > 6)
		return -1;
	memcpy(addr, buf, (size_t)(sp - buf));
	addr[sp - buf] = 0;
	for (const char *p = sp + 1; p < nl; p++) {
		if (!isdigit((unsigned char)*p))
			return -1;
		port = port * 10 + (unsigned long)(*p - '0');
	}
	if (port < 1 || port > 65535)
		return -1;
	memset(dst, 0, sizeof(*dst));
	struct sockaddr_in *s4 = (struct sockaddr_in *)dst;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)dst;
	if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
	} else if (inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
	} else {
		return -1;
	}
	return 1;
}
