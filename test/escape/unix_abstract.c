/*
 * Class: unix_abstract — connect to an abstract unix socket of a host listener.
 * Source: issue 8 ("abstract unix sockets to host listeners"); abstract names
 * have no file, so only a network namespace, seccomp or Landlock's
 * LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET (ABI 6) stop them (X11's @/tmp/.X11-unix,
 * containerd-shim CVE-2020-15257).
 * Usage: unix_abstract NAME   (without the leading NUL; the runner listens on it)
 * BLOCKED: socket() or connect() fails (EPERM from seccomp or the Landlock
 * scope, ECONNREFUSED in another network namespace). ESCAPED: connected.
 */
#define ESCAPE_CLASS "unix_abstract"
#include "escape.h"
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>

int main(int argc, char **argv)
{
  if (argc < 2) escape_error("usage: unix_abstract NAME");
  struct sockaddr_un sa = { .sun_family = AF_UNIX };
  size_t len = strlen(argv[1]);
  if (len + 1 > sizeof sa.sun_path) escape_error("name too long");
  memcpy(sa.sun_path + 1, argv[1], len);
  int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0) escape_blocked("socket(AF_UNIX) = -1 %s", escape_errname(errno));
  if (connect(s, (struct sockaddr *)&sa, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + len)) == 0)
    escape_escaped("connect(@%s) = 0", argv[1]);
  int e = errno;
  /* Some listeners (libuv/Node) bind the name NUL-padded to the full sun_path. */
  if (e == ECONNREFUSED && connect(s, (struct sockaddr *)&sa, sizeof sa) == 0)
    escape_escaped("connect(@%s, NUL-padded) = 0", argv[1]);
  escape_blocked("connect(@%s) = -1 %s", argv[1], escape_errname(e));
}
