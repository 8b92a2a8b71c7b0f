/*
 * Class: memfd_exec — execute code that never touched the filesystem:
 * memfd_create + write an ELF + fexecve.
 * Source: issue 4 ("executing a memfd"); fileless malware and the standard way
 * around path-based exec rules (Landlock's EXECUTE right, noexec mounts);
 * vm.memfd_noexec and MFD_NOEXEC_SEAL (Linux 6.3) exist for this.
 * Usage: memfd_exec [SOURCE]   (SOURCE defaults to /bin/true; run in a child)
 * BLOCKED: memfd_create or fexecve refused (EPERM/EACCES/ENOSYS), or the child
 * killed by SIGSYS at the exec. ESCAPED: the memfd image ran.
 * ERROR: SOURCE could not be read.
 */
#define ESCAPE_CLASS "memfd_exec"
#include "escape.h"
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>

int main(int argc, char **argv)
{
  const char *src = argc > 1 ? argv[1] : "/bin/true";
  int in = open(src, O_RDONLY | O_CLOEXEC);
  if (in < 0) escape_error("open(%s) = -1 %s", src, escape_errname(errno));
  int m = memfd_create("sbx-escape", MFD_CLOEXEC);
  if (m < 0) escape_blocked("memfd_create = -1 %s", escape_errname(errno));
  char buf[65536];
  ssize_t n;
  while ((n = read(in, buf, sizeof buf)) > 0)
    if (write(m, buf, (size_t)n) != n) escape_error("write to memfd = -1 %s", escape_errname(errno));
  if (n < 0) escape_error("read(%s) = -1 %s", src, escape_errname(errno));
  int p[2];
  if (pipe2(p, O_CLOEXEC)) escape_error("pipe2 = -1 %s", escape_errname(errno));
  pid_t c = fork();
  if (c < 0) escape_error("fork = -1 %s", escape_errname(errno));
  if (c == 0) {
    char *const av[] = { "sbx-escape-memfd", NULL };
    char *const ev[] = { NULL };
    fexecve(m, av, ev);
    int e = errno;
    ssize_t w = write(p[1], &e, sizeof e);
    (void)w;
    _exit(127);
  }
  close(p[1]);
  int e = 0;
  ssize_t r = read(p[0], &e, sizeof e);
  int st;
  waitpid(c, &st, 0);
  if (r == (ssize_t)sizeof e) escape_blocked("memfd_create ok, fexecve = -1 %s", escape_errname(e));
  if (WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS) escape_blocked("child killed by SIGSYS at fexecve(memfd)");
  if (WIFSIGNALED(st)) escape_escaped("fexecve(memfd) succeeded (the image then died of signal %d)", WTERMSIG(st));
  escape_escaped("fexecve(memfd) ran %s (exit status %d)", src, WEXITSTATUS(st));
}
