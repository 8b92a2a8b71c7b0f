/*
 * Class: exec_cwd — execute a binary written into the working directory.
 * Source: "write then exec" (downloaded payloads); Landlock's EXECUTE right,
 * noexec mounts (issue 4: "exec from the working directory").
 * Usage: exec_cwd [SOURCE]   (SOURCE defaults to /bin/true; it is copied to
 * ./sbx-escape-exec-<pid> and executed in a child, then removed)
 * BLOCKED: execve() fails (EACCES from Landlock or noexec, EPERM from seccomp).
 * ESCAPED: the copy ran and exited 0.
 * ERROR: the copy could not be made (the working directory must be writable).
 */
#define ESCAPE_CLASS "exec_cwd"
#include "escape.h"
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

int main(int argc, char **argv)
{
  const char *src = argc > 1 ? argv[1] : "/bin/true";
  char dst[64];
  snprintf(dst, sizeof dst, "./sbx-escape-exec-%d", (int)getpid());
  int in = open(src, O_RDONLY | O_CLOEXEC);
  if (in < 0) escape_error("open(%s) = -1 %s", src, escape_errname(errno));
  int out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
  if (out < 0) escape_error("cannot write into the working directory: open(%s) = -1 %s", dst, escape_errname(errno));
  char buf[65536];
  ssize_t n;
  while ((n = read(in, buf, sizeof buf)) > 0)
    if (write(out, buf, (size_t)n) != n) { unlink(dst); escape_error("short write to %s", dst); }
  close(in);
  if (close(out) || n < 0) { unlink(dst); escape_error("copying %s failed", src); }
  chmod(dst, 0755);

  int p[2];
  if (pipe2(p, O_CLOEXEC)) { unlink(dst); escape_error("pipe2 = -1 %s", escape_errname(errno)); }
  pid_t pid = fork();
  if (pid < 0) { unlink(dst); escape_error("fork = -1 %s", escape_errname(errno)); }
  if (pid == 0) {
    char *const av[] = { dst, NULL };
    char *const ev[] = { NULL };
    execve(dst, av, ev);
    int e = errno;
    ssize_t w = write(p[1], &e, sizeof e);
    (void)w;
    _exit(127);
  }
  close(p[1]);
  int e = 0;
  ssize_t r = read(p[0], &e, sizeof e);
  int st;
  waitpid(pid, &st, 0);
  unlink(dst);
  if (r == (ssize_t)sizeof e) escape_blocked("execve(%s) = -1 %s", dst, escape_errname(e));
  /* SIGSYS: seccomp killed the child at execve (a /bin/true that got to run
   * only uses brk/mmap/exit, which every policy allows). */
  if (WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS) escape_blocked("child killed by SIGSYS at execve(%s)", dst);
  if (WIFSIGNALED(st)) escape_escaped("execve(%s) succeeded (the image then died of signal %d)", dst, WTERMSIG(st));
  if (WEXITSTATUS(st) == 0) escape_escaped("execve(%s) ran and exited 0", dst);
  escape_escaped("execve(%s) ran (exit status %d)", dst, WEXITSTATUS(st));
}
