/*
 * Class: proc_mem — open /proc/PID/mem of another process and read it.
 * Source: issue 8 ("/proc/<pid>/mem of another process"); /proc/PID/mem also
 * writes through read-only mappings (CVE-2012-0056 "mempodipper" lineage).
 * Usage: proc_mem PID
 * The file is opened read-only; nothing is written.
 * BLOCKED: the open fails (EACCES/EPERM from ptrace-access checks or Landlock,
 * ENOENT when the process or /proc is not in the sandbox's view).
 * ESCAPED: the open succeeded (the read result is reported).
 */
#define ESCAPE_CLASS "proc_mem"
#include "escape.h"
#include "mem_target.h"
#include <fcntl.h>

int main(int argc, char **argv)
{
  if (argc < 2) escape_error("usage: proc_mem PID");
  long pid = escape_arg_long(argv[1], "PID");
  char path[64];
  snprintf(path, sizeof path, "/proc/%ld/mem", pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) escape_blocked("open(%s) = -1 %s", path, escape_errname(errno));
  int from_maps;
  unsigned long addr = escape_target_addr(pid, &from_maps);
  char buf[16];
  ssize_t n = pread(fd, buf, sizeof buf, (off_t)addr);
  if (n < 0) escape_escaped("open(%s) = %d (pread at %#lx = -1 %s)", path, fd, addr, escape_errname(errno));
  escape_escaped("open(%s) = %d, pread at %#lx read %zd bytes", path, fd, addr, n);
}
