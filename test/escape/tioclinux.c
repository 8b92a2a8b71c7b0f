/*
 * Class: tioclinux — ioctl(TIOCLINUX) on a terminal.
 * Source: TIOCLINUX's TIOCL_PASTESEL/TIOCL_SETSEL subcodes paste the console
 * selection into the input queue (the same effect as TIOCSTI; restricted to
 * CAP_SYS_ADMIN only in Linux 6.7, CVE-2023-46838-era hardening); sandboxes
 * (bubblewrap, flatpak) deny TIOCLINUX with TIOCSTI.
 * Usage: tioclinux   (a virtual console /dev/tty0 is tried first, then the
 * targets of tty_target.h; the subcode is TIOCL_GETFGCONSOLE, read-only)
 * BLOCKED: EPERM/EACCES/ENOSYS, killed, or no terminal reachable.
 * ESCAPED: the console answered, or the ioctl reached the tty layer of a
 * non-console terminal (ENOTTY/EINVAL: only a policy stops it earlier).
 */
#define ESCAPE_CLASS "tioclinux"
#include "escape.h"
#include "tty_target.h"

#define TIOCL_GETFGCONSOLE_ 12

static long do_linux(int fd, int own, char *note, size_t notelen)
{
  char sub[2] = { TIOCL_GETFGCONSOLE_, 0 };
  (void)own; (void)note; (void)notelen;
  return syscall(SYS_ioctl, fd, (unsigned long)TIOCLINUX, sub);
}

int main(void)
{
  struct tty_try t = { .ret = -1 };
  int vt = open("/dev/tty0", O_RDONLY | O_NOCTTY | O_CLOEXEC);
  if (vt >= 0) {
    snprintf(t.where, sizeof t.where, "/dev/tty0");
    errno = 0;
    t.ret = do_linux(vt, 0, NULL, 0);
    t.err = errno;
    t.found = 1;
  } else {
    tty_try_on(&t, do_linux);
  }
  if (!t.found) escape_blocked("%s", t.note);
  if (t.ret >= 0) escape_escaped("ioctl(TIOCLINUX, GETFGCONSOLE) on %s = %ld", t.where, t.ret);
  if (t.err == 0) escape_blocked("ioctl(TIOCLINUX) on %s: %s", t.where, t.note);
  if (escape_is_policy_errno(t.err))
    escape_blocked("ioctl(TIOCLINUX) on %s = -1 %s", t.where, escape_errname(t.err));
  escape_escaped("ioctl(TIOCLINUX) on %s = -1 %s (reached the tty layer)", t.where, escape_errname(t.err));
}
