/*
 * Class: setns — join another process's network namespace.
 * Source: issue 4 ("unshare/setns"); setns into a host namespace undoes the
 * spawn door's isolation (runc CVE-2019-16884 class of "wrong namespace" bugs).
 * Usage: setns PID   (a process outside the sandbox, started by the runner)
 * Done in a child that exits at once.
 * BLOCKED: opening /proc/PID/ns/net fails (ENOENT: not visible; EACCES) or
 * setns fails with EPERM/EACCES/ENOSYS. ESCAPED: setns(CLONE_NEWNET) = 0.
 */
#define ESCAPE_CLASS "setns"
#include "escape.h"
#include <fcntl.h>
#include <sched.h>
#include <sys/wait.h>

int main(int argc, char **argv)
{
  if (argc < 2) escape_error("usage: setns PID");
  long pid = escape_arg_long(argv[1], "PID");
  char path[64], mine[64] = "?", theirs[64] = "?";
  snprintf(path, sizeof path, "/proc/%ld/ns/net", pid);
  ssize_t l = readlink("/proc/self/ns/net", mine, sizeof mine - 1);
  mine[l > 0 ? l : 1] = 0;
  l = readlink(path, theirs, sizeof theirs - 1);
  theirs[l > 0 ? l : 1] = 0;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) escape_blocked("open(%s) = -1 %s", path, escape_errname(errno));
  int p[2];
  if (pipe(p)) escape_error("pipe = -1 %s", escape_errname(errno));
  pid_t c = fork();
  if (c < 0) escape_error("fork = -1 %s", escape_errname(errno));
  if (c == 0) {
    int e = setns(fd, CLONE_NEWNET) ? errno : 0;
    ssize_t w = write(p[1], &e, sizeof e);
    (void)w;
    _exit(0);
  }
  close(p[1]);
  int e = -1;
  ssize_t n = read(p[0], &e, sizeof e);
  int st;
  waitpid(c, &st, 0);
  if (n != (ssize_t)sizeof e) escape_blocked("child killed by signal %d in setns", WIFSIGNALED(st) ? WTERMSIG(st) : 0);
  if (e && escape_is_policy_errno(e)) escape_blocked("setns(%s) = -1 %s", path, escape_errname(e));
  if (e) escape_blocked("setns(%s) = -1 %s (refused by the kernel)", path, escape_errname(e));
  escape_escaped("setns(%s, CLONE_NEWNET) = 0 (%s, ours was %s)", path, theirs, mine);
}
