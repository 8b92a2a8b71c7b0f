/*
 * Class: netlink_route — dump the network interfaces through NETLINK_ROUTE.
 * Source: network confinement (issue 4: "netlink socket"); rtnetlink is also
 * the way to reconfigure interfaces and routes where CAP_NET_ADMIN is held.
 * Usage: netlink_route
 * BLOCKED: socket(AF_NETLINK) or the RTM_GETLINK dump fails.
 * ESCAPED: the kernel answered the dump (the interface names are listed, so a
 * reader can tell a host view from a namespace's "lo").
 */
#define ESCAPE_CLASS "netlink_route"
#include "escape.h"
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/socket.h>

int main(void)
{
  int s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (s < 0) escape_blocked("socket(AF_NETLINK, NETLINK_ROUTE) = -1 %s", escape_errname(errno));
  struct {
    struct nlmsghdr nh;
    struct ifinfomsg ifi;
  } req = {
    .nh = { .nlmsg_len = sizeof req, .nlmsg_type = RTM_GETLINK,
            .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP, .nlmsg_seq = 1 },
    .ifi = { .ifi_family = AF_UNSPEC },
  };
  struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
  if (sendto(s, &req, sizeof req, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0)
    escape_blocked("socket(AF_NETLINK) ok, sendto(RTM_GETLINK) = -1 %s", escape_errname(errno));
  char names[256] = "";
  int links = 0;
  static char buf[32768];
  for (;;) {
    ssize_t n = recv(s, buf, sizeof buf, 0);
    if (n < 0) escape_blocked("socket(AF_NETLINK) ok, recv = -1 %s", escape_errname(errno));
    for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
      if (h->nlmsg_type == NLMSG_DONE) goto done;
      if (h->nlmsg_type == NLMSG_ERROR) {
        struct nlmsgerr *e = NLMSG_DATA(h);
        escape_blocked("RTM_GETLINK dump answered with error %s", escape_errname(-e->error));
      }
      if (h->nlmsg_type != RTM_NEWLINK) continue;
      struct ifinfomsg *ifi = NLMSG_DATA(h);
      int len = (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof *ifi));
      for (struct rtattr *a = IFLA_RTA(ifi); RTA_OK(a, len); a = RTA_NEXT(a, len))
        if (a->rta_type == IFLA_IFNAME && strlen(names) + RTA_PAYLOAD(a) + 2 < sizeof names) {
          if (links) strcat(names, ",");
          strncat(names, (char *)RTA_DATA(a), RTA_PAYLOAD(a));
        }
      links++;
    }
  }
done:
  if (!links) escape_blocked("RTM_GETLINK dump returned no links");
  escape_escaped("RTM_GETLINK dump listed %d link(s): %s", links, names);
}
