/*
 * Class: proc_sys_write — open a /proc/sys/kernel sysctl for writing.
 * Source: issue 8 ("/proc/sys"); writing kernel.core_pattern ("|/path") makes
 * the host kernel run a program as root at the next crash, the classic
 * container escape; Docker mounts /proc/sys read-only.
 * Usage: proc_sys_write [PATH]   (default /proc/sys/kernel/core_pattern)
 * SAFE: opened for writing and closed; nothing is ever written.
 * BLOCKED: the open fails (EACCES, EPERM, EROFS, ENOENT). ESCAPED: it opened.
 */
#define ESCAPE_CLASS "proc_sys_write"
#include "escape.h"
#include <fcntl.h>

int main(int argc, char **argv)
{
  const char *path = argc > 1 ? argv[1] : "/proc/sys/kernel/core_pattern";
  if (strncmp(path, "/proc/sys/", 10)) escape_error("PATH must be under /proc/sys/");
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) escape_blocked("open(%s, O_WRONLY) = -1 %s", path, escape_errname(errno));
  close(fd);
  escape_escaped("open(%s, O_WRONLY) = %d (nothing written)", path, fd);
}
