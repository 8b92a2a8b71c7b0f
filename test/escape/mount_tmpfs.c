/*
 * Class: mount_tmpfs — mount a filesystem (tmpfs).
 * Source: issue 4 ("mount"); mount is how a root-in-container reshapes its view
 * (over /proc, /etc...) and the base of many container escapes.
 * Usage: mount_tmpfs
 * Safe unconfined: a child first tries unshare(CLONE_NEWNS) and makes its mounts
 * private; either way the tmpfs goes on a fresh empty directory (under /tmp, or
 * the working directory) and is unmounted again at once.
 * BLOCKED: mount() fails with EPERM/EACCES/ENOSYS. ESCAPED: the mount succeeded.
 */
#define ESCAPE_CLASS "mount_tmpfs"
#include "escape.h"
#include <sched.h>
#include <sys/mount.h>
#include <sys/wait.h>

int main(void)
{
  char dir[64] = "/tmp/sbx-escape-mnt-XXXXXX";
  if (!mkdtemp(dir)) {
    snprintf(dir, sizeof dir, "sbx-escape-mnt-XXXXXX");
    if (!mkdtemp(dir)) escape_error("no directory to mount on: mkdtemp = -1 %s", escape_errname(errno));
  }
  int p[2];
  if (pipe(p)) escape_error("pipe = -1 %s", escape_errname(errno));
  pid_t c = fork();
  if (c < 0) escape_error("fork = -1 %s", escape_errname(errno));
  if (c == 0) {
    char msg[200];
    int us = unshare(CLONE_NEWNS) ? errno : 0;
    if (!us) mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
    int r = mount("sbx-escape", dir, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=64k");
    int e = errno;
    if (r == 0) umount2(dir, MNT_DETACH);
    snprintf(msg, sizeof msg, "%c%s mount(tmpfs, %s) = %s", r == 0 ? 'E' : escape_is_policy_errno(e) ? 'B' : 'O',
             us ? "without a new mount namespace," : "in a new mount namespace,", dir, r == 0 ? "0" : escape_errname(e));
    ssize_t w = write(p[1], msg, strlen(msg) + 1);
    (void)w;
    _exit(0);
  }
  close(p[1]);
  char msg[200] = "";
  ssize_t n = read(p[0], msg, sizeof msg - 1);
  int st;
  waitpid(c, &st, 0);
  rmdir(dir);
  if (n <= 0) {
    if (WIFSIGNALED(st)) escape_blocked("child killed by signal %d", WTERMSIG(st));
    escape_error("child reported nothing");
  }
  msg[n] = 0;
  if (msg[0] == 'E') escape_escaped("%s", msg + 1);
  if (msg[0] == 'B') escape_blocked("%s", msg + 1);
  escape_blocked("%s (refused, not by a policy errno)", msg + 1);
}
