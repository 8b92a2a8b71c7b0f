/*
 * Class: init_module — load a kernel module (finit_module).
 * Source: issue 4 (@module/@privileged); a loaded module is kernel code.
 * Usage: init_module
 * SAFE: finit_module(-1, "", 0) fails with EBADF after the CAP_SYS_MODULE check;
 * init_module(NULL, 0, "") is tried when finit_module is refused, to catch a
 * filter that only lists one of them.
 * BLOCKED: both fail with EPERM/EACCES/ENOSYS (ENOSYS also without
 * CONFIG_MODULES). ESCAPED: either got past the permission check (EBADF,
 * EINVAL, EFAULT, ENOEXEC).
 */
#define ESCAPE_CLASS "init_module"
#include "escape.h"
#include <sys/syscall.h>

int main(void)
{
  char a[128], b[128];
  long r1 = syscall(SYS_finit_module, -1, "", 0);
  int e1 = errno;
  escape_ret(a, sizeof a, "finit_module(-1)", r1, e1);
  long r2 = syscall(SYS_init_module, NULL, 0UL, "");
  int e2 = errno;
  escape_ret(b, sizeof b, "init_module(NULL, 0)", r2, e2);
  if (r1 < 0 && escape_is_policy_errno(e1) && r2 < 0 && escape_is_policy_errno(e2))
    escape_blocked("%s, %s", a, b);
  escape_escaped("%s, %s (past the permission check)", a, b);
}
