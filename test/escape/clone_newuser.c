/*
 * Class: clone_newuser — clone(2) with CLONE_NEWUSER.
 * Source: issue 4 ("unshare"); the same power as unshare(CLONE_NEWUSER) through
 * a syscall whose flags a filter must check separately.
 * Usage: clone_newuser   (the child exits at once)
 * BLOCKED: clone fails (EPERM/EACCES/ENOSYS, or EINVAL/ENOSPC when user
 * namespaces are off) or is killed. ESCAPED: the child ran.
 */
#define ESCAPE_CLASS "clone_newuser"
#include "escape.h"
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>

int main(void)
{
  /* Raw clone without a new stack: fork semantics, the child only exits. */
  long r = syscall(SYS_clone, (unsigned long)(CLONE_NEWUSER | SIGCHLD), NULL, NULL, NULL, 0UL);
  if (r == 0) syscall(SYS_exit_group, 42);
  if (r < 0) escape_blocked("clone(CLONE_NEWUSER) = -1 %s", escape_errname(errno));
  int st;
  if (waitpid((pid_t)r, &st, 0) != r) escape_error("waitpid = -1 %s", escape_errname(errno));
  if (WIFEXITED(st) && WEXITSTATUS(st) == 42) escape_escaped("clone(CLONE_NEWUSER) = %ld, child ran", r);
  escape_blocked("clone(CLONE_NEWUSER) = %ld but the child died (status %#x)", r, st);
}
