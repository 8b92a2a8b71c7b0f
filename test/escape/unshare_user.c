/*
 * Class: unshare_user — create a user namespace with unshare(CLONE_NEWUSER).
 * Source: issue 4 ("unshare"); a user namespace hands full capabilities over
 * new namespaces and opens kernel surface otherwise reserved to root
 * (CVE-2022-0185, CVE-2023-32233, CVE-2024-1086 all start here).
 * Usage: unshare_user   (done in a child that exits at once)
 * BLOCKED: EPERM/EACCES/ENOSYS (policy, AppArmor, no_new_privs does not stop it)
 * or EINVAL/ENOSPC (user namespaces disabled/limited). ESCAPED: created.
 */
#define ESCAPE_CLASS "unshare_user"
#include "escape.h"
#include <sched.h>
#include <sys/wait.h>

int main(void)
{
  int p[2];
  if (pipe(p)) escape_error("pipe = -1 %s", escape_errname(errno));
  pid_t c = fork();
  if (c < 0) escape_error("fork = -1 %s", escape_errname(errno));
  if (c == 0) {
    int e = unshare(CLONE_NEWUSER) ? errno : 0;
    ssize_t w = write(p[1], &e, sizeof e);
    (void)w;
    _exit(0);
  }
  close(p[1]);
  int e = -1;
  ssize_t n = read(p[0], &e, sizeof e);
  int st;
  waitpid(c, &st, 0);
  if (n != (ssize_t)sizeof e) escape_blocked("child killed by signal %d in unshare", WIFSIGNALED(st) ? WTERMSIG(st) : 0);
  if (e) escape_blocked("unshare(CLONE_NEWUSER) = -1 %s", escape_errname(e));
  escape_escaped("unshare(CLONE_NEWUSER) = 0");
}
