/*
 * Class: tiocsti — push characters into a terminal's input with ioctl(TIOCSTI).
 * Source: issue 4/6 (new session "against TIOCSTI"); CVE-2016-7545 (SELinux
 * sandbox), CVE-2017-5226 (bubblewrap), CVE-2019-10063 (flatpak: the filter
 * compared all 64 bits of the ioctl number, see tiocsti_highbits).
 * Usage: tiocsti   (targets: see tty_target.h; a real character is injected
 * only into our own pty, and read back)
 * BLOCKED: the ioctl fails with EPERM/EACCES/ENOSYS/EIO, is killed, or no
 * terminal can be reached at all. ESCAPED: it succeeded, or failed with EFAULT
 * on a NULL argument (every permission check had passed).
 */
#ifndef ESCAPE_CLASS
#define ESCAPE_CLASS "tiocsti"
#define TIOCSTI_CMD ((unsigned long)TIOCSTI)
#define TIOCSTI_CMD_NAME "TIOCSTI"
#endif
#include "escape.h"
#include "tty_target.h"

static long do_sti(int fd, int own, char *note, size_t notelen)
{
  if (!own) return syscall(SYS_ioctl, fd, TIOCSTI_CMD, NULL);
  struct termios tio;
  if (tcgetattr(fd, &tio) == 0) {
    cfmakeraw(&tio);
    tcsetattr(fd, TCSANOW, &tio);
  }
  char ch = 'Z';
  long r = syscall(SYS_ioctl, fd, TIOCSTI_CMD, &ch);
  int e = errno;
  if (r == 0) {
    char got = 0;
    int fl = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, fl | O_NONBLOCK);
    ssize_t n = read(fd, &got, 1);
    snprintf(note, notelen, n == 1 && got == 'Z' ? "injected 'Z' and read it back" : "ioctl returned 0");
  }
  errno = e;
  return r;
}

int main(void)
{
  struct tty_try t = { .ret = -1 };
  tty_try_on(&t, do_sti);
  if (!t.found) escape_blocked("%s", t.note);
  if (t.ret == 0) escape_escaped("ioctl(" TIOCSTI_CMD_NAME ") = 0 on %s: %s", t.where, t.note);
  if (t.err == EFAULT) escape_escaped("ioctl(" TIOCSTI_CMD_NAME ", NULL) on %s = -1 EFAULT (past every permission check)", t.where);
  if (t.err == 0) escape_blocked("ioctl(" TIOCSTI_CMD_NAME ") on %s: %s", t.where, t.note);
  escape_blocked("ioctl(" TIOCSTI_CMD_NAME ") on %s = -1 %s%s", t.where, escape_errname(t.err),
                 t.err == EIO ? " (dev.tty.legacy_tiocsti=0)" : "");
}
