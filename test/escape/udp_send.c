/*
 * Class: udp_send — exchange a UDP datagram with a listener outside the sandbox.
 * Source: network confinement (issue 4: "any TCP/UDP socket"); UDP is not
 * covered by Landlock's TCP port rules, so only seccomp or a network namespace
 * stops it.
 * Usage: udp_send PORT [ADDR]   (the runner runs a UDP echo service on
 * ADDR:PORT, default 127.0.0.1)
 * BLOCKED: socket()/sendto() fails, or no echo comes back within 2 s (the
 * datagram did not reach the host's listener: isolated network).
 * ESCAPED: the host's listener echoed the datagram.
 */
#define ESCAPE_CLASS "udp_send"
#include "escape.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

int main(int argc, char **argv)
{
  if (argc < 2) escape_error("usage: udp_send PORT [ADDR]");
  long port = escape_arg_long(argv[1], "PORT");
  const char *addr = argc > 2 ? argv[2] : "127.0.0.1";
  struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
  if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1) escape_error("bad address %s", addr);
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) escape_blocked("socket(AF_INET, SOCK_DGRAM) = -1 %s", escape_errname(errno));
  static const char msg[] = "sbx-escape-udp";
  ssize_t n = sendto(s, msg, sizeof msg - 1, 0, (struct sockaddr *)&sa, sizeof sa);
  if (n < 0) escape_blocked("sendto(%s:%ld) = -1 %s", addr, port, escape_errname(errno));
  struct pollfd pfd = { .fd = s, .events = POLLIN };
  int pr = poll(&pfd, 1, 2000);
  if (pr <= 0) escape_blocked("sendto(%s:%ld) = %zd but no echo from the host listener within 2 s", addr, port, n);
  char buf[64];
  ssize_t r = recv(s, buf, sizeof buf, 0);
  if (r < 0) escape_blocked("sendto(%s:%ld) = %zd, recv = -1 %s (no listener reachable)", addr, port, n, escape_errname(errno));
  escape_escaped("sendto(%s:%ld) = %zd and the host listener echoed %zd bytes", addr, port, n, r);
}
