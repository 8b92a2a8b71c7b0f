/*
 * Class: process_vm_readv — read another process's memory without ptrace.
 * Source: issue 4 (ptrace of another process); process_vm_readv uses the same
 * PTRACE_MODE_ATTACH check as ptrace but is a separate syscall a filter can forget.
 * Usage: process_vm_readv PID
 * BLOCKED: EPERM/EACCES/ENOSYS (policy or credentials), ESRCH (pid not visible).
 * ESCAPED: bytes were read, or EFAULT/EIO (the permission check passed and only
 * the address was wrong).
 */
#define ESCAPE_CLASS "process_vm_readv"
#include "escape.h"
#include "mem_target.h"
#include <sys/uio.h>

int main(int argc, char **argv)
{
  if (argc < 2) escape_error("usage: process_vm_readv PID");
  long pid = escape_arg_long(argv[1], "PID");
  int from_maps;
  unsigned long addr = escape_target_addr(pid, &from_maps);
  char buf[16];
  struct iovec local = { buf, sizeof buf }, remote = { (void *)addr, sizeof buf };
  ssize_t n = process_vm_readv((pid_t)pid, &local, 1, &remote, 1, 0);
  int e = errno;
  if (n >= 0) escape_escaped("process_vm_readv(%ld, %#lx) read %zd bytes", pid, addr, n);
  if (escape_is_policy_errno(e) || e == ESRCH)
    escape_blocked("process_vm_readv(%ld) = -1 %s", pid, escape_errname(e));
  escape_escaped("process_vm_readv(%ld, %#lx%s) = -1 %s (past the permission check)", pid, addr,
                 from_maps ? "" : ", guessed address", escape_errname(e));
}
