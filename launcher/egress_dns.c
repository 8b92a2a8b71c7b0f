/*
 * The sandbox's resolver, in the egress process (egress.h; docs/network.md,
 * "DNS inside the sandbox"). The launcher made the nameserver addresses of
 * the sandbox's /etc/resolv.conf addresses of its loopback, with a UDP
 * socket on port 53 of each (egress_resolv.c); those sockets are here.
 *
 * A query for a name the policy allows is answered from this process's own
 * resolution (getaddrinfo in the host's network: /etc/hosts, the host's
 * DNS), and the addresses are recorded as what the name resolved to, which
 * is what lets the transparent path connect to them (egress_daemon.c). A
 * query for any other name is answered NXDOMAIN and reported (once per
 * name): nothing of it leaves the machine, so the names a program asks for
 * cannot carry data out (DNS tunnelling); neither can anything else it sends
 * here, since no query is forwarded as sent. A query that is not a plain
 * question about a host name is refused.
 */
#include "egress.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define DNS_MAX_JOBS 64
#define DNS_TTL 60
#define DNS_MAX_ADDRS 32
#define DNS_REPORTED_MAX 256

struct dns_job {
	const struct ln_egress_names *names;
	int fd;
	struct sockaddr_storage peer;
	socklen_t plen;
	size_t len;
	unsigned char msg[LN_DNS_IN_MAX];
};

static atomic_int jobs;
static pthread_mutex_t reported_mu = PTHREAD_MUTEX_INITIALIZER;
static char *reported[DNS_REPORTED_MAX];
static size_t nreported;

/* One report per name: a resolver asks for A and AAAA, and again on retry. */
static void report_once(const struct ln_egress_names *names, const char *name)
{
	bool seen = false;

	pthread_mutex_lock(&reported_mu);
	for (size_t i = 0; i < nreported && !seen; i++)
		seen = !strcmp(reported[i], name);
	if (!seen && nreported < DNS_REPORTED_MAX) {
		char *copy = strdup(name);
		if (copy)
			reported[nreported++] = copy;
	}
	pthread_mutex_unlock(&reported_mu);
	if (!seen)
		names->report(name, 0, "name not allowed");
}

/* The addresses of an allowed name, recorded. The rcode. */
static int resolve(const struct ln_egress_names *names, const char *name,
		   struct ln_dns_addr *out, size_t *n)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res = NULL;
	int rc = getaddrinfo(name, NULL, &hints, &res);

	*n = 0;
	if (rc == EAI_NONAME)
		return LN_DNS_NXDOMAIN;
#ifdef EAI_NODATA
	if (rc == EAI_NODATA)
		return LN_DNS_NOERROR;          /* the name is there, no address */
#endif
	if (rc)
		return LN_DNS_SERVFAIL;
	for (struct addrinfo *ai = res; ai && *n < DNS_MAX_ADDRS; ai = ai->ai_next) {
		struct ln_dns_addr *a = &out[*n];
		memset(a, 0, sizeof(*a));
		if (ai->ai_family == AF_INET) {
			a->family = 4;
			memcpy(a->addr, &((struct sockaddr_in *)ai->ai_addr)->sin_addr, 4);
		} else if (ai->ai_family == AF_INET6) {
			a->family = 6;
			memcpy(a->addr, &((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr, 16);
		} else {
			continue;
		}
		bool dup = false;
		for (size_t i = 0; i < *n && !dup; i++)
			dup = out[i].family == a->family && !memcmp(out[i].addr, a->addr, 16);
		if (dup)
			continue;
		names->record(name, a->family, a->addr);
		(*n)++;
	}
	freeaddrinfo(res);
	return LN_DNS_NOERROR;
}

static bool is_reverse(const char *name)
{
	size_t n = strlen(name);
	return n >= 5 && !strcmp(name + n - 5, ".arpa");
}

static void *dns_main(void *arg)
{
	struct dns_job *j = arg;
	struct ln_dns_query q;
	struct ln_dns_addr addrs[DNS_MAX_ADDRS];
	size_t naddrs = 0;
	unsigned char out[LN_DNS_UDP_MAX];
	int rc = ln_dns_parse(j->msg, j->len, &q);

	if (rc < 0)
		goto done;
	if (rc == LN_DNS_NOERROR) {
		if (q.qclass != LN_DNS_CLASS_IN || !q.name_ok)
			rc = LN_DNS_REFUSED;            /* not a question about a host */
		else if (!j->names->listed(q.name)) {
			/* reverse lookups are made by programs on their
			 * own; no name to allow there, nothing to report */
			if (!is_reverse(q.name))
				report_once(j->names, q.name);
			rc = LN_DNS_NXDOMAIN;
		} else {
			rc = resolve(j->names, q.name, addrs, &naddrs);
		}
	}
	memset(out, 0, sizeof(out));
	size_t n = ln_dns_reply(j->msg, &q, rc, addrs, naddrs, DNS_TTL, out, sizeof(out));
	if (n)
		(void)!sendto(j->fd, out, n, MSG_NOSIGNAL, (struct sockaddr *)&j->peer, j->plen);
done:
	free(j);
	atomic_fetch_sub(&jobs, 1);
	return NULL;
}

void ln_egress_dns_ready(int fd, const struct ln_egress_names *names)
{
	pthread_attr_t attr;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 256 << 10);
	/* a few at a time, so that one socket cannot starve the others */
	for (int i = 0; i < 16; i++) {
		struct dns_job *j = malloc(sizeof(*j));
		if (!j)
			break;
		j->names = names;
		j->fd = fd;
		j->plen = sizeof(j->peer);
		ssize_t n = recvfrom(fd, j->msg, sizeof(j->msg), MSG_DONTWAIT,
				     (struct sockaddr *)&j->peer, &j->plen);
		if (n < 0) {
			free(j);
			break;
		}
		j->len = (size_t)n;
		pthread_t t;
		if (atomic_fetch_add(&jobs, 1) >= DNS_MAX_JOBS ||
		    pthread_create(&t, &attr, dns_main, j)) {
			/* too many at once: dropped, the client asks again */
			atomic_fetch_sub(&jobs, 1);
			free(j);
		}
	}
	pthread_attr_destroy(&attr);
}
