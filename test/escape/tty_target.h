/*
 * Shared by the tty ioctl programs (tiocsti, tiocsti_highbits, tioclinux):
 * find a terminal to aim at and run one ioctl on it.
 *
 * Targets, in order: the controlling terminal (/dev/tty: the real attack,
 * the terminal of whoever started the sandbox), a terminal on fd 0-2, then a
 * pty of our own made the controlling terminal of a child in a new session
 * (so the kernel's own "not your controlling tty" check passes and only a
 * policy can refuse). On terminals that are not ours the argument pointer is
 * NULL: the kernel's permission checks come before it reads the argument, so
 * EFAULT means "allowed" and nothing is ever injected into a real terminal.
 */
#ifndef SBX_ESCAPE_TTY_TARGET_H
#define SBX_ESCAPE_TTY_TARGET_H
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>

struct tty_try {
  char where[64];
  long ret;
  int err;
  int found; /* 0: no terminal could be reached at all */
  char note[160];
};

typedef long (*tty_ioctl_fn)(int fd, int own, char *note, size_t notelen);

static inline void tty_try_on(struct tty_try *t, tty_ioctl_fn fn)
{
  char note[160] = "";
  int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
  int open_err = errno;
  if (fd >= 0) {
    snprintf(t->where, sizeof t->where, "/dev/tty");
    errno = 0;
    t->ret = fn(fd, 0, t->note, sizeof t->note);
    t->err = errno;
    t->found = 1;
    close(fd);
    return;
  }
  for (int i = 0; i < 3; i++) {
    if (!isatty(i)) continue;
    snprintf(t->where, sizeof t->where, "fd %d", i);
    errno = 0;
    t->ret = fn(i, 0, t->note, sizeof t->note);
    t->err = errno;
    t->found = 1;
    return;
  }
  /* Own pty, as the controlling terminal of a child in a new session. */
  int p[2];
  if (pipe2(p, O_CLOEXEC)) { t->found = 0; snprintf(t->note, sizeof t->note, "pipe failed"); return; }
  pid_t c = fork();
  if (c == 0) {
    struct { long ret; int err; int stage; char where[64]; char note[160]; } r = { -1, 0, 0, "", "" };
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (setsid() < 0) { r.err = errno; r.stage = 1; goto out; }
    int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (m < 0) { r.err = errno; r.stage = 2; goto out; }
    if (grantpt(m) || unlockpt(m)) { r.err = errno; r.stage = 3; goto out; }
    const char *name = ptsname(m);
    int s = name ? open(name, O_RDWR | O_CLOEXEC) : -1; /* no O_NOCTTY: becomes our ctty */
    if (s < 0) { r.err = errno; r.stage = 4; goto out; }
    if (ioctl(s, TIOCSCTTY, 0) && errno != EPERM) { /* already ours after open */ }
    snprintf(r.where, sizeof r.where, "own pty %s (controlling tty)", name);
    errno = 0;
    r.ret = fn(s, 1, r.note, sizeof r.note);
    r.err = errno;
    r.stage = 5;
  out:;
    ssize_t w = write(p[1], &r, sizeof r);
    (void)w;
    _exit(0);
  }
  close(p[1]);
  struct { long ret; int err; int stage; char where[64]; char note[160]; } r;
  ssize_t n = c > 0 ? read(p[0], &r, sizeof r) : -1;
  close(p[0]);
  int st = 0;
  if (c > 0) waitpid(c, &st, 0);
  if (n != (ssize_t)sizeof r) {
    t->found = 1;
    t->ret = -1;
    t->err = 0;
    snprintf(t->where, sizeof t->where, "own pty");
    snprintf(t->note, sizeof t->note, "child killed by signal %d", WIFSIGNALED(st) ? WTERMSIG(st) : 0);
    return;
  }
  if (r.stage < 5) {
    static const char *const what[] = { "", "setsid", "posix_openpt", "grantpt/unlockpt", "open(pts)" };
    t->found = 0;
    snprintf(t->note, sizeof t->note, "no terminal reachable: open(/dev/tty) = -1 %s, fd 0-2 not ttys, %s = -1 %s",
             escape_errname(open_err), what[r.stage], escape_errname(r.err));
    return;
  }
  t->found = 1;
  t->ret = r.ret;
  t->err = r.err;
  snprintf(t->where, sizeof t->where, "%s", r.where);
  snprintf(t->note, sizeof t->note, "%s", r.note);
  (void)note;
}
#endif
