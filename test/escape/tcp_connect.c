/*
 * Class: tcp_connect — open a TCP connection to a listener on the host's loopback.
 * Source: network confinement (issue 4: "any TCP socket to the outside");
 * local services on 127.0.0.1 (databases, metadata proxies, dev servers).
 * Usage: tcp_connect PORT [ADDR]   (ADDR defaults to 127.0.0.1; the runner listens there)
 * BLOCKED: socket() or connect() fails (EPERM/EACCES from seccomp or Landlock
 * TCP rules, EAFNOSUPPORT, ECONNREFUSED/ENETUNREACH in an isolated network
 * namespace). ESCAPED: the connection was established.
 */
#define ESCAPE_CLASS "tcp_connect"
#include "escape.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

int main(int argc, char **argv)
{
  if (argc < 2) escape_error("usage: tcp_connect PORT [ADDR]");
  long port = escape_arg_long(argv[1], "PORT");
  const char *addr = argc > 2 ? argv[2] : "127.0.0.1";
  struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
  if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1) escape_error("bad address %s", addr);
  int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0) escape_blocked("socket(AF_INET, SOCK_STREAM) = -1 %s", escape_errname(errno));
  if (connect(s, (struct sockaddr *)&sa, sizeof sa))
    escape_blocked("connect(%s:%ld) = -1 %s", addr, port, escape_errname(errno));
  escape_escaped("connect(%s:%ld) = 0", addr, port);
}
