/*
 * net.hosts patterns (net_hosts.h): parsing and matching.
 *
 * Strict on purpose: a pattern that could be read two ways (a bare IPv6
 * address followed by what may be a port, "*" in the middle of a name, a
 * CIDR range with host bits set, a name that looks like a mistyped address)
 * is refused with the reason, never guessed at: an allowlist that silently
 * means something else is an open door.
 */
#include "net_hosts.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int fail(char *why, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (why && len) {
		va_start(ap, fmt);
		vsnprintf(why, len, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static bool name_char(unsigned char c)
{
	return isalnum(c) || c == '-' || c == '_';
}

bool sbx_host_name_normalize(const char *name, size_t len, char *out)
{
	size_t label = 0;

	if (len && name[len - 1] == '.')
		len--;
	if (!len || len > SBX_HOST_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c == '.') {
			if (!label)
				return false;
			label = 0;
		} else if (name_char(c) && ++label <= 63) {
			/* fine */
		} else {
			return false;
		}
		out[i] = (char)tolower(c);
	}
	out[len] = 0;
	return label > 0;
}

/* The last label is all digits: a name that meant to be an address. */
static bool looks_numeric(const char *name)
{
	const char *last = strrchr(name, '.');

	last = last ? last + 1 : name;
	for (; *last; last++)
		if (!isdigit((unsigned char)*last))
			return false;
	return true;
}

static int parse_port(const char *s, uint32_t *port, char *why, size_t whylen)
{
	unsigned long v = 0;

	if (!strcmp(s, "*")) {
		*port = SBX_HOST_ANY_PORT;
		return 0;
	}
	if (!*s)
		return fail(why, whylen, "empty port after ':'");
	for (const char *c = s; *c; c++) {
		if (!isdigit((unsigned char)*c) || c - s > 5)
			return fail(why, whylen, "port \"%.16s\" is not a number from 1 to 65535 "
				    "(or * for every port)", s);
		v = v * 10 + (unsigned long)(*c - '0');
	}
	if (v < 1 || v > 65535)
		return fail(why, whylen, "port %lu is out of range (1 to 65535)", v);
	*port = (uint32_t)v;
	return 0;
}

/* An address or CIDR range (`s` without brackets or port). */
static int parse_addr(const char *s, struct sbx_host_pattern *out, char *why, size_t whylen)
{
	char buf[64];
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	unsigned max;

	if (alen >= sizeof(buf))
		return fail(why, whylen, "not an IP address: \"%.64s\"", s);
	memcpy(buf, s, alen);
	buf[alen] = 0;
	memset(out->addr, 0, sizeof(out->addr));
	if (inet_pton(AF_INET, buf, out->addr) == 1) {
		out->family = 4;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, out->addr) == 1) {
		static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
		out->family = 6;
		max = 128;
		if (!memcmp(out->addr, mapped, 12))
			return fail(why, whylen, "%s is an IPv4-mapped IPv6 address: write the "
				    "IPv4 address (%u.%u.%u.%u)", buf, out->addr[12], out->addr[13],
				    out->addr[14], out->addr[15]);
	} else {
		return fail(why, whylen, "not an IP address: \"%s\"", buf);
	}
	out->kind = SBX_HOST_ADDR;
	out->prefix = max;
	if (slash) {
		const char *p = slash + 1;
		unsigned v = 0;

		if (!*p || strlen(p) > 3)
			return fail(why, whylen, "bad CIDR prefix length \"/%.8s\" (0 to %u)", p, max);
		for (; *p; p++) {
			if (!isdigit((unsigned char)*p))
				return fail(why, whylen, "bad CIDR prefix length \"%.8s\" (0 to %u)",
					    slash, max);
			v = v * 10 + (unsigned)(*p - '0');
		}
		if (v > max)
			return fail(why, whylen, "CIDR prefix /%u is longer than %u bits", v, max);
		out->prefix = v;
		for (unsigned bit = v; bit < max; bit++)
			if (out->addr[bit / 8] & (0x80 >> (bit % 8))) {
				char net[64];
				uint8_t a[16];
				memcpy(a, out->addr, 16);
				for (unsigned b = v; b < max; b++)
					a[b / 8] &= (uint8_t)~(0x80 >> (b % 8));
				inet_ntop(out->family == 4 ? AF_INET : AF_INET6, a, net, sizeof(net));
				return fail(why, whylen, "%s has bits set beyond the /%u prefix: "
					    "did you mean %s/%u?", s, v, net, v);
			}
	}
	return 0;
}

int sbx_host_pattern_parse(const char *text, struct sbx_host_pattern *out, char *why,
			   size_t whylen)
{
	char host[300];
	const char *port = NULL;
	size_t len;

	memset(out, 0, sizeof(*out));
	out->port = SBX_HOST_WEB_PORTS;
	if (!text || !*text)
		return fail(why, whylen, "empty host pattern");
	len = strlen(text);
	if (len >= sizeof(host))
		return fail(why, whylen, "host pattern longer than %zu bytes", sizeof(host) - 1);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];
		if (c <= 0x20 || c >= 0x7f)
			return fail(why, whylen, "%s in a host pattern (names are ASCII: write an "
				    "internationalised name as its xn-- form)",
				    c == ' ' ? "a space" : c < 0x20 || c == 0x7f ?
				    "a control character" : "a non-ASCII byte");
	}
	if (strstr(text, "://"))
		return fail(why, whylen, "a host pattern is HOST[:PORT], not a URL");
	if (text[0] == '[') {
		const char *close = strchr(text, ']');
		if (!close)
			return fail(why, whylen, "'[' without ']'");
		memcpy(host, text + 1, (size_t)(close - text - 1));
		host[close - text - 1] = 0;
		if (close[1] == ':')
			port = close + 2;
		else if (close[1])
			return fail(why, whylen, "unexpected \"%.16s\" after ']'", close + 1);
		if (!strchr(host, ':'))
			return fail(why, whylen, "brackets are for IPv6 addresses: \"%s\"", host);
		if (parse_addr(host, out, why, whylen))
			return -EINVAL;
	} else {
		const char *colon = strchr(text, ':');
		if (colon && strchr(colon + 1, ':')) {
			/* Two colons or more: a bare IPv6 address, never a port. */
			return parse_addr(text, out, why, whylen) ? -EINVAL : 0;
		}
		len = colon ? (size_t)(colon - text) : len;
		memcpy(host, text, len);
		host[len] = 0;
		if (colon)
			port = colon + 1;
		if (!host[0])
			return fail(why, whylen, "no host before ':'");
		if (strchr(host, '/') || (isdigit((unsigned char)host[0]) && looks_numeric(host) &&
					  strspn(host, "0123456789.") == strlen(host))) {
			if (parse_addr(host, out, why, whylen))
				return -EINVAL;
		} else if (!strcmp(host, "*")) {
			return fail(why, whylen, "\"*\" alone would allow every host: use "
				    "--net host (namespaces.net: false) for the whole network");
		} else {
			const char *name = host;
			if (!strncmp(host, "*.", 2)) {
				out->kind = SBX_HOST_WILDCARD;
				name = host + 2;
			} else {
				out->kind = SBX_HOST_NAME;
			}
			if (strchr(name, '*'))
				return fail(why, whylen, "'*' only as the whole first label "
					    "(*.example.com): \"%s\"", host);
			if (!sbx_host_name_normalize(name, strlen(name), out->name))
				return fail(why, whylen, "\"%s\" is not a host name (letters, digits, "
					    "'-' and '_' in dot-separated labels of 1 to 63 bytes, "
					    "at most 253 bytes)", name);
			if (looks_numeric(out->name))
				return fail(why, whylen, "\"%s\" is neither a host name (its last "
					    "label is a number) nor an IP address", name);
			if (out->kind == SBX_HOST_WILDCARD && !strchr(out->name, '.'))
				return fail(why, whylen, "\"%s\" would allow every name under a "
					    "top-level domain: name a domain (*.example.com)", host);
		}
	}
	if (port && parse_port(port, &out->port, why, whylen))
		return -EINVAL;
	return 0;
}

bool sbx_host_port_ok(const struct sbx_host_pattern *p, unsigned port)
{
	if (p->port == SBX_HOST_ANY_PORT)
		return port >= 1 && port <= 65535;
	if (p->port == SBX_HOST_WEB_PORTS)
		return port == 80 || port == 443;
	return port == p->port;
}

bool sbx_host_match_name(const struct sbx_host_pattern *p, const char *name, unsigned port)
{
	size_t n, s;

	if (!sbx_host_port_ok(p, port))
		return false;
	if (p->kind == SBX_HOST_NAME)
		return !strcmp(p->name, name);
	if (p->kind != SBX_HOST_WILDCARD)
		return false;
	n = strlen(name);
	s = strlen(p->name);
	return n > s + 1 && name[n - s - 1] == '.' && !strcmp(name + n - s, p->name);
}

bool sbx_host_match_addr(const struct sbx_host_pattern *p, int family, const uint8_t *addr,
			 unsigned port)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	unsigned full, rest;

	if (p->kind != SBX_HOST_ADDR || !sbx_host_port_ok(p, port))
		return false;
	if (family == 6 && !memcmp(addr, mapped, 12)) {
		family = 4;
		addr += 12;
	}
	if (family != p->family)
		return false;
	full = p->prefix / 8;
	rest = p->prefix % 8;
	if (memcmp(addr, p->addr, full))
		return false;
	return !rest || ((addr[full] ^ p->addr[full]) & (uint8_t)(0xff << (8 - rest))) == 0;
}

void sbx_host_pattern_format(const struct sbx_host_pattern *p, char *out, size_t len)
{
	char host[300], port[16] = "";

	if (p->kind == SBX_HOST_ADDR) {
		char a[64];
		inet_ntop(p->family == 4 ? AF_INET : AF_INET6, p->addr, a, sizeof(a));
		if (p->prefix != (p->family == 4 ? 32u : 128u))
			snprintf(host, sizeof(host), p->family == 6 ? "[%s/%u]" : "%s/%u", a, p->prefix);
		else
			snprintf(host, sizeof(host), p->family == 6 ? "[%s]" : "%s", a);
	} else {
		snprintf(host, sizeof(host), "%s%s", p->kind == SBX_HOST_WILDCARD ? "*." : "",
			 p->name);
	}
	if (p->port == SBX_HOST_ANY_PORT)
		snprintf(port, sizeof(port), ":*");
	else if (p->port != SBX_HOST_WEB_PORTS)
		snprintf(port, sizeof(port), ":%u", p->port);
	snprintf(out, len, "%s%s", host, port);
}
