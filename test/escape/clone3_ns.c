/*
 * Class: clone3_ns — clone3 (raw syscall 435) with namespace flags.
 * Source: issue 4 ("clone3 with namespace flags"); clone3 passes its flags in
 * memory, where seccomp cannot look, so a filter must deny clone3 as a whole
 * (usually ENOSYS, making libc fall back to clone) or it lets namespaces through.
 * Usage: clone3_ns   (the child exits at once)
 * Flags: CLONE_NEWUSER|CLONE_NEWNS|CLONE_NEWPID|CLONE_NEWNET|CLONE_NEWUTS|CLONE_NEWIPC.
 * BLOCKED: clone3 fails (ENOSYS/EPERM/EACCES; EINVAL/ENOSPC when namespaces are
 * off) or is killed. ESCAPED: the child ran in the new namespaces.
 */
#define ESCAPE_CLASS "clone3_ns"
#include "escape.h"
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#ifndef __NR_clone3
#define __NR_clone3 435
#endif

int main(void)
{
  struct {
    uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
  } args = {
    .flags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWUTS | CLONE_NEWIPC,
    .exit_signal = SIGCHLD,
  };
  long r = syscall(__NR_clone3, &args, sizeof args);
  if (r == 0) syscall(SYS_exit_group, 42);
  if (r < 0) escape_blocked("clone3(CLONE_NEWUSER|NEWNS|NEWPID|NEWNET|NEWUTS|NEWIPC) = -1 %s", escape_errname(errno));
  int st;
  if (waitpid((pid_t)r, &st, 0) != r) escape_error("waitpid = -1 %s", escape_errname(errno));
  if (WIFEXITED(st) && WEXITSTATUS(st) == 42) escape_escaped("clone3(namespace flags) = %ld, child ran", r);
  escape_blocked("clone3(namespace flags) = %ld but the child died (status %#x)", r, st);
}
