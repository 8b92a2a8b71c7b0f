/*
 * net.hosts in the socket supervisor (unixsup.c): a program's connect() of a
 * TCP socket to an address outside the sandbox. The sandbox's network has no
 * route out, so the kernel would say ENETUNREACH; instead the supervisor
 * makes a TCP socket of its own connected to the egress process (on the
 * sandbox's loopback), says where the program wanted to go, waits for the
 * egress process to check the address and connect it (one byte: 0 or the
 * errno), and puts that socket in place of the program's fd
 * (SECCOMP_IOCTL_NOTIF_ADDFD with SECCOMP_ADDFD_FLAG_SETFD, in unixsup.c).
 * None of these steps blocks: the supervisor's main loop waits for each
 * (no thread per connect).
 *
 * The address was copied from the program once (unixsup.c's load_addr); the
 * egress process decides on that copy and connects it itself, so no later
 * change to the program's memory or fds can change where the connection
 * goes. What the program sees: a connected TCP socket whose getpeername()
 * is the sandbox's loopback (the egress port), not the address it asked for.
 */
#include "egress.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

bool ln_egress_outside(const struct sockaddr_storage *ss, socklen_t len)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	if (ss->ss_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
		uint32_t a = ntohl(((const struct sockaddr_in *)ss)->sin_addr.s_addr);
		/* 127/8 is the sandbox's loopback, 0.0.0.0 means it too */
		return (a >> 24) != 127 && a != 0;
	}
	if (ss->ss_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)ss)->sin6_addr;
		if (IN6_IS_ADDR_LOOPBACK(a) || IN6_IS_ADDR_UNSPECIFIED(a))
			return false;
		if (!memcmp(a->s6_addr, mapped, 12))
			return a->s6_addr[12] != 127 &&
			       (a->s6_addr[12] | a->s6_addr[13] | a->s6_addr[14] | a->s6_addr[15]);
		return true;
	}
	return false;
}

int ln_egress_tcp_open(uint16_t tcp_port, int family, const struct sockaddr_storage *dst,
		       int *out)
{
	unsigned port = dst->ss_family == AF_INET
				? ntohs(((const struct sockaddr_in *)dst)->sin_port)
				: ntohs(((const struct sockaddr_in6 *)dst)->sin6_port);
	int s, zero = 0, r;

	if (!port)
		return ECONNREFUSED;      /* what connecting to port 0 gives */
	s = socket(family == AF_INET6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s < 0)
		return errno;
	if (family == AF_INET6) {
		struct sockaddr_in6 lo = { .sin6_family = AF_INET6, .sin6_port = htons(tcp_port) };
		setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
		lo.sin6_addr.s6_addr[10] = lo.sin6_addr.s6_addr[11] = 0xff;
		lo.sin6_addr.s6_addr[12] = 127;
		lo.sin6_addr.s6_addr[15] = 1;
		r = connect(s, (struct sockaddr *)&lo, sizeof(lo));
	} else {
		struct sockaddr_in lo = { .sin_family = AF_INET, .sin_port = htons(tcp_port),
					  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		r = connect(s, (struct sockaddr *)&lo, sizeof(lo));
	}
	if (r && errno != EINPROGRESS) {
		int e = errno;
		close(s);
		return e;
	}
	*out = s;
	return r ? EINPROGRESS : 0;
}

int ln_egress_tcp_ask(int s, const struct sockaddr_storage *dst)
{
	char head[128], addr[INET6_ADDRSTRLEN];
	unsigned port;
	int e = 0;
	socklen_t el = sizeof(e);

	if (getsockopt(s, SOL_SOCKET, SO_ERROR, &e, &el))
		return errno;
	if (e)
		return e;
	if (dst->ss_family == AF_INET) {
		const struct sockaddr_in *d = (const struct sockaddr_in *)dst;
		inet_ntop(AF_INET, &d->sin_addr, addr, sizeof(addr));
		port = ntohs(d->sin_port);
	} else {
		const struct sockaddr_in6 *d = (const struct sockaddr_in6 *)dst;
		inet_ntop(AF_INET6, &d->sin6_addr, addr, sizeof(addr));
		port = ntohs(d->sin6_port);
	}
	int n = snprintf(head, sizeof(head), "SBX-EGRESS %s %u\n", addr, port);
	/* a fresh connection's empty send buffer takes it whole */
	ssize_t w = send(s, head, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
	return w == n ? 0 : w < 0 ? errno : EIO;
}

int ln_egress_tcp_verdict(int s)
{
	unsigned char verdict = EIO;
	ssize_t r = recv(s, &verdict, 1, MSG_DONTWAIT);

	if (r < 0)
		return errno == EINTR ? EAGAIN : errno;
	if (r == 0)
		return ECONNREFUSED;
	return verdict;
}
