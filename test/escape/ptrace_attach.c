/*
 * Class: ptrace_attach — attach to a process outside the sandbox with ptrace.
 * Source: issue 4 ("ptrace of another process"); a tracer owns its tracee
 * (memory, registers, syscalls), the classic way out of a seccomp-only sandbox.
 * Usage: ptrace_attach PID   (a process the runner started outside, e.g. sleep)
 * PTRACE_SEIZE is used: it does not stop the target, and the kernel detaches it
 * again when this program exits, so the target is not disturbed.
 * BLOCKED: PTRACE_SEIZE fails (EPERM from seccomp, Yama or credentials; ESRCH
 * when the pid is not visible). ESCAPED: attached.
 */
#define ESCAPE_CLASS "ptrace_attach"
#include "escape.h"
#include <sys/ptrace.h>

int main(int argc, char **argv)
{
  if (argc < 2) escape_error("usage: ptrace_attach PID");
  long pid = escape_arg_long(argv[1], "PID");
  if (ptrace(PTRACE_SEIZE, (pid_t)pid, NULL, NULL))
    escape_blocked("ptrace(PTRACE_SEIZE, %ld) = -1 %s", pid, escape_errname(errno));
  escape_escaped("ptrace(PTRACE_SEIZE, %ld) = 0", pid);
}
