/*
 * Class: userfaultfd — create a userfaultfd.
 * Source: issue 4 (@privileged/@debug); userfaultfd lets an attacker pause the
 * kernel mid-copy_from_user, the standard way to win kernel races
 * (CVE-2016-5195-era exploits, CVE-2021-22555). Tried first with kernel-fault
 * handling (flags 0, the dangerous one), then UFFD_USER_MODE_ONLY.
 * Usage: userfaultfd
 * BLOCKED: both fail with EPERM/EACCES/ENOSYS. ESCAPED: an fd was returned
 * (which flavour is reported).
 */
#define ESCAPE_CLASS "userfaultfd"
#include "escape.h"
#include <fcntl.h>
#include <sys/syscall.h>

#ifndef __NR_userfaultfd
#define __NR_userfaultfd 323
#endif
#define UFFD_USER_MODE_ONLY_ 1

int main(void)
{
  char a[128], b[128];
  long fd = syscall(__NR_userfaultfd, O_CLOEXEC);
  escape_ret(a, sizeof a, "userfaultfd(0)", fd, errno);
  if (fd >= 0) escape_escaped("%s (kernel faults handled in user space)", a);
  int e1 = errno;
  long fd2 = syscall(__NR_userfaultfd, O_CLOEXEC | UFFD_USER_MODE_ONLY_);
  int e2 = errno;
  escape_ret(b, sizeof b, "userfaultfd(UFFD_USER_MODE_ONLY)", fd2, e2);
  if (fd2 >= 0) escape_escaped("%s, %s", a, b);
  if (escape_is_policy_errno(e1) && (escape_is_policy_errno(e2) || e2 == EINVAL)) escape_blocked("%s, %s", a, b);
  escape_escaped("%s, %s (past the permission check)", a, b);
}
