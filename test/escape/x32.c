/*
 * Class: x32 — x32 ABI syscall numbers (nr | 0x40000000) on x86_64.
 * Source: issue 4/design ("x32 numbers on x86_64 are denied by every filter");
 * x32 calls carry AUDIT_ARCH_X86_64, so only a check of the number's bit 30
 * stops a filter written for x86_64 numbers from being bypassed (systemd,
 * Chromium and libseccomp all special-case it).
 * Usage: x32   (x86_64 only; ERROR elsewhere)
 * Calls: x32 getpid (39) and x32 socket(AF_INET, SOCK_STREAM) (41).
 * BLOCKED: killed (SIGSYS) or ENOSYS/EPERM/EACCES (ENOSYS also on kernels built
 * without CONFIG_X86_X32_ABI). ESCAPED: a call ran.
 */
#define ESCAPE_CLASS "x32"
#include "escape.h"
#include <sys/socket.h>
#include <sys/syscall.h>

#if defined(__x86_64__)
#define X32_BIT 0x40000000L

int main(void)
{
  char g[96], s[96];
  long pid = syscall(X32_BIT | 39, 0);
  int ge = errno;
  escape_ret(g, sizeof g, "x32 getpid", pid, ge);
  long fd = syscall(X32_BIT | 41, AF_INET, SOCK_STREAM, 0);
  int se = errno;
  escape_ret(s, sizeof s, "x32 socket(AF_INET)", fd, se);
  if (pid >= 0 || fd >= 0) escape_escaped("%s, %s", g, s);
  if (!escape_is_policy_errno(ge) || !escape_is_policy_errno(se)) escape_escaped("%s, %s (past the policy)", g, s);
  escape_blocked("%s, %s", g, s);
}
#else
int main(void)
{
  escape_error("x32 is an x86_64 test");
}
#endif
