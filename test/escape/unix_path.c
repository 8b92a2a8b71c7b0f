/*
 * Class: unix_path — connect to a pathname unix socket of a host daemon.
 * Source: issue 8 ("pathname unix sockets to host daemons": docker.sock,
 * D-Bus, ssh-agent); connecting is not a file "open", so Landlock's file rights
 * only cover it from the ABI that adds unix-socket path control.
 * Usage: unix_path PATH   (a SOCK_STREAM listener the runner created)
 * BLOCKED: socket() or connect() fails (EPERM from seccomp, EACCES, ENOENT
 * when the path is not in the sandbox's view, ECONNREFUSED).
 * ESCAPED: connected.
 */
#define ESCAPE_CLASS "unix_path"
#include "escape.h"
#include <sys/socket.h>
#include <sys/un.h>

int main(int argc, char **argv)
{
  if (argc < 2) escape_error("usage: unix_path PATH");
  struct sockaddr_un sa = { .sun_family = AF_UNIX };
  if (strlen(argv[1]) >= sizeof sa.sun_path) escape_error("path too long");
  strcpy(sa.sun_path, argv[1]);
  int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0) escape_blocked("socket(AF_UNIX) = -1 %s", escape_errname(errno));
  if (connect(s, (struct sockaddr *)&sa, sizeof sa))
    escape_blocked("connect(%s) = -1 %s", argv[1], escape_errname(errno));
  escape_escaped("connect(%s) = 0", argv[1]);
}
