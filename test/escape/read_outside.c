/*
 * Class: read_outside — read a file outside the paths the policy allows.
 * Source: the basic confinement claim of every sandbox (issue 4: "reading a
 * file outside the allowed paths, e.g. under /root"); Landlock/mount-namespace
 * filesystem isolation.
 * Usage: read_outside PATH   (an existing, readable-by-the-host file, e.g. under /root)
 * BLOCKED: open() or read() fails (EACCES from Landlock, ENOENT because the file
 * is not in the sandbox's view, EPERM from seccomp). ESCAPED: a byte was read.
 */
#define ESCAPE_CLASS "read_outside"
#include "escape.h"
#include <fcntl.h>

int main(int argc, char **argv)
{
  if (argc < 2) escape_error("usage: read_outside PATH");
  const char *path = argv[1];
  char b[512];
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) escape_blocked("open(%s, O_RDONLY) = -1 %s", path, escape_errname(errno));
  char c;
  ssize_t n = read(fd, &c, 1);
  if (n < 0) escape_blocked("open(%s) = %d, %s", path, fd, escape_ret(b, sizeof b, "read", -1, errno));
  escape_escaped("open(%s) = %d, read() = %zd byte(s)", path, fd, n);
}
