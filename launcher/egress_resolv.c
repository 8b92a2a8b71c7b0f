/*
 * DNS inside the sandbox, the launcher's side (egress.h; docs/network.md,
 * "DNS inside the sandbox"). The sandbox's network namespace has loopback
 * only, so the nameservers its /etc/resolv.conf names are unreachable. In
 * that namespace, before anything of the program's runs, each of them (at
 * most three, as glibc reads) becomes an address of the loopback device and
 * gets a UDP socket on port 53, handed to the egress process, which answers
 * there (egress_dns.c). So every resolver that reads resolv.conf (glibc,
 * musl, c-ares, Go's) asks sbx, without a file changed in the view, whatever
 * the view (a symlinked resolv.conf, no mount namespace), and search domains
 * and options stay the host's. Without a nameserver line, resolvers ask
 * 127.0.0.1: that one is used.
 *
 * Adding an address and binding port 53 need CAP_NET_ADMIN and
 * CAP_NET_BIND_SERVICE over the sandbox's network namespace: the launcher
 * has them there (it made the namespace, in its own user namespace or as
 * root), and the program, later, has not.
 */
#include "egress.h"
#include "launcher.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define RESOLV_CONF "/etc/resolv.conf"
#define MAX_NS 3                     /* glibc's MAXNS */

struct ns_addr {
	int family;                  /* AF_INET or AF_INET6 */
	uint8_t addr[16];
};

/* The nameserver lines of resolv.conf (IPv6 with a zone, fe80::1%eth0, are
 * skipped: a link of the host's that the sandbox does not have). */
static size_t read_nameservers(struct ns_addr *out)
{
	FILE *f = fopen(RESOLV_CONF, "re");
	char line[512];
	size_t n = 0;

	if (!f)
		return 0;
	while (n < MAX_NS && fgets(line, sizeof(line), f)) {
		char word[16], addr[INET6_ADDRSTRLEN + 1];
		if (sscanf(line, " %15s %46s", word, addr) != 2 || strcmp(word, "nameserver"))
			continue;
		memset(&out[n], 0, sizeof(out[n]));
		if (inet_pton(AF_INET, addr, out[n].addr) == 1)
			out[n].family = AF_INET;
		else if (inet_pton(AF_INET6, addr, out[n].addr) == 1)
			out[n].family = AF_INET6;
		else
			continue;
		bool dup = false;
		for (size_t i = 0; i < n && !dup; i++)
			dup = out[i].family == out[n].family && !memcmp(out[i].addr, out[n].addr, 16);
		if (!dup)
			n++;
	}
	fclose(f);
	return n;
}

static bool is_loopback(const struct ns_addr *a)
{
	if (a->family == AF_INET)
		return a->addr[0] == 127;
	return IN6_IS_ADDR_LOOPBACK((const struct in6_addr *)a->addr);
}

/* The address on the sandbox's lo (RTM_NEWADDR, /32 or /128): packets to it
 * stay in the namespace. 0 or errno. */
static int add_to_lo(const struct ns_addr *a)
{
	struct {
		struct nlmsghdr nh;
		struct ifaddrmsg ifa;
		char attrs[64];
	} req;
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	size_t alen = a->family == AF_INET ? 4 : 16;
	unsigned idx = if_nametoindex("lo");
	int s, e = 0;

	if (!idx)
		return errno ? errno : ENODEV;
	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_type = RTM_NEWADDR;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;
	req.nh.nlmsg_seq = 1;
	req.ifa.ifa_family = (unsigned char)a->family;
	req.ifa.ifa_prefixlen = (unsigned char)(alen * 8);
	req.ifa.ifa_flags = IFA_F_NODAD | IFA_F_PERMANENT;
	req.ifa.ifa_scope = RT_SCOPE_HOST;
	req.ifa.ifa_index = idx;
	size_t off = NLMSG_ALIGN(sizeof(req.nh) + sizeof(req.ifa));
	static const unsigned short types[] = { IFA_LOCAL, IFA_ADDRESS };
	for (int i = 0; i < 2; i++) {
		struct rtattr *rta = (struct rtattr *)((char *)&req + off);
		rta->rta_type = types[i];
		rta->rta_len = (unsigned short)RTA_LENGTH(alen);
		memcpy(RTA_DATA(rta), a->addr, alen);
		off += RTA_ALIGN(rta->rta_len);
	}
	req.nh.nlmsg_len = (unsigned)off;

	s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (s < 0)
		return errno;
	if (sendto(s, &req, off, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0) {
		e = errno;
	} else {
		union {
			char buf[512];
			struct nlmsghdr align;
		} u;
		ssize_t n = recv(s, u.buf, sizeof(u.buf), 0);
		struct nlmsghdr *nh = &u.align;
		if (n < 0)
			e = errno;
		else if ((size_t)n < sizeof(*nh) + sizeof(struct nlmsgerr) || nh->nlmsg_type != NLMSG_ERROR)
			e = EPROTO;
		else
			e = -((struct nlmsgerr *)NLMSG_DATA(nh))->error;
	}
	close(s);
	return e == EEXIST ? 0 : e;
}

/* A UDP socket on the address, port 53. fd, or -errno. */
static int bind53(const struct ns_addr *a)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int one = 1, s = socket(a->family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	if (s < 0)
		return -errno;
	memset(&ss, 0, sizeof(ss));
	if (a->family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;
		in->sin_family = AF_INET;
		in->sin_port = htons(53);
		memcpy(&in->sin_addr, a->addr, 4);
		len = sizeof(*in);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(53);
		memcpy(&in6->sin6_addr, a->addr, 16);
		len = sizeof(*in6);
		setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	}
	if (bind(s, (struct sockaddr *)&ss, len)) {
		int e = errno;
		close(s);
		return -e;
	}
	return s;
}

/* Also egress_setup.c's proxy and transparent listeners. */
int ln_egress_send_listener(int ctl, char tag, int fd)
{
	struct iovec iov = { &tag, 1 };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			     .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);

	memset(u.buf, 0, sizeof(u.buf));
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return sendmsg(ctl, &mh, MSG_NOSIGNAL) == 1 ? 0 : -1;
}

int ln_egress_dns_listen(int ctl, struct sbx_error *err)
{
	struct ns_addr ns[MAX_NS];
	size_t n = read_nameservers(ns), made = 0;
	char text[INET6_ADDRSTRLEN] = "", why[160] = "";

	if (n == 0) {                /* what resolvers ask without a nameserver line */
		memset(&ns[0], 0, sizeof(ns[0]));
		ns[0].family = AF_INET;
		ns[0].addr[0] = 127;
		ns[0].addr[3] = 1;
		n = 1;
	}
	for (size_t i = 0; i < n; i++) {
		int e = is_loopback(&ns[i]) ? 0 : add_to_lo(&ns[i]);
		int s = e ? -e : bind53(&ns[i]);
		if (s < 0) {
			/* one nameserver the sandbox cannot have (IPv6 off in
			 * its namespace): the resolver asks the next */
			inet_ntop(ns[i].family, ns[i].addr, text, sizeof(text));
			snprintf(why, sizeof(why), "%s port 53: %s", text, strerror(-s));
			continue;
		}
		int rc = ln_egress_send_listener(ctl, 'D', s);
		e = errno;
		close(s);
		if (rc)
			return sbx_error_sys(err, e, "sendmsg", "/net/hosts",
					     "handing the resolver's socket to the egress process: %s",
					     strerror(e));
		made++;
	}
	if (!made)
		return sbx_error_sys(err, EADDRNOTAVAIL, "bind", "/net/hosts",
				     "the sandbox's resolver (the nameserver of " RESOLV_CONF
				     " on the sandbox's loopback): %s", why);
	return 0;
}
