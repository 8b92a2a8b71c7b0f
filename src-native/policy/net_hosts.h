/*
 * net.hosts: which hosts a sandbox may reach through sbx's egress path
 * (docs/network.md, "Egress by name"). Pure functions: a pattern parsed from
 * its text, and the two questions the egress path asks (may this name, may
 * this address, be reached on this port). No system calls, no allocation
 * beyond the caller's buffers: the launcher's egress process and the tests
 * use the same code.
 *
 * A pattern is HOST[:PORT]:
 *   example.com        exactly that name (any case; a trailing dot ignored)
 *   *.example.com      every name beneath it (not example.com itself)
 *   192.0.2.7          an IPv4 address       [2001:db8::7] or 2001:db8::7
 *   10.0.0.0/8         a CIDR range          [2001:db8::/32] or 2001:db8::/32
 *   PORT               1-65535, or * for every port; no port: 80 and 443
 * An IPv6 literal with a port needs brackets: [2001:db8::7]:22.
 */
#ifndef SBX_NET_HOSTS_H
#define SBX_NET_HOSTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SBX_HOST_NAME_MAX 253

enum sbx_host_kind {
	SBX_HOST_NAME,      /* exact name                         */
	SBX_HOST_WILDCARD,  /* *.suffix: names beneath the suffix */
	SBX_HOST_ADDR,      /* one address, or a CIDR range       */
};

/* port: 0 = 80 and 443 (web), SBX_HOST_ANY_PORT = every port. */
#define SBX_HOST_WEB_PORTS 0
#define SBX_HOST_ANY_PORT 65536

struct sbx_host_pattern {
	enum sbx_host_kind kind;
	char name[SBX_HOST_NAME_MAX + 1];  /* lower case; for WILDCARD the suffix */
	int family;                        /* ADDR: 4 or 6                          */
	uint8_t addr[16];                  /* ADDR: network byte order, host bits 0 */
	unsigned prefix;                   /* ADDR: 32 / 128 for one address        */
	uint32_t port;
};

/* Parse `text`. 0, or -EINVAL with a one-line reason in why (which the
 * policy parser puts after the pattern's JSON pointer). */
int sbx_host_pattern_parse(const char *text, struct sbx_host_pattern *out, char *why,
			   size_t whylen);

/* `name` written as a host name may be (letters, digits, '-', '_', dots;
 * labels of 1-63 bytes; at most 253 bytes); lower-cased into out (which has
 * room for SBX_HOST_NAME_MAX + 1), a trailing dot dropped. */
bool sbx_host_name_normalize(const char *name, size_t len, char *out);

/* Does the pattern allow this port? */
bool sbx_host_port_ok(const struct sbx_host_pattern *p, unsigned port);
/* Does the pattern name `name` (normalized) on `port`? Address patterns
 * never match a name. */
bool sbx_host_match_name(const struct sbx_host_pattern *p, const char *name, unsigned port);
/* Does the pattern cover the address (family 4: 4 bytes, 6: 16 bytes) on
 * `port`? An IPv4-mapped IPv6 address is taken as the IPv4 one. */
bool sbx_host_match_addr(const struct sbx_host_pattern *p, int family, const uint8_t *addr,
			 unsigned port);
/* The pattern as a policy would write it (for messages and explain). */
void sbx_host_pattern_format(const struct sbx_host_pattern *p, char *out, size_t len);

#endif /* SBX_NET_HOSTS_H */
