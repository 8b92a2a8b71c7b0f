/*
 * Class: disk_fill — write a file until something stops us (bounded).
 * Source: issue 6 ("a disk fill on a sized tmpfs"); a sized tmpfs (ENOSPC),
 * quotas (EDQUOT) or RLIMIT_FSIZE (EFBIG, SIGXFSZ ignored here) must stop it.
 * Usage: disk_fill PATH [MIB]   (PATH: a fresh file in a writable place;
 * MIB defaults to 64; the file is removed at the end)
 * BLOCKED: a write (or the final fsync) failed before MIB MiB.
 * ESCAPED: MIB MiB were written. ERROR: PATH could not be created.
 */
#define ESCAPE_CLASS "disk_fill"
#include "escape.h"
#include <fcntl.h>
#include <signal.h>

int main(int argc, char **argv)
{
  if (argc < 2) escape_error("usage: disk_fill PATH [MIB]");
  const char *path = argv[1];
  long mib = argc > 2 ? escape_arg_long(argv[2], "MIB") : 64;
  if (mib < 1 || mib > 1 << 20) escape_error("MIB out of range");
  signal(SIGXFSZ, SIG_IGN);
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) escape_error("open(%s, O_CREAT|O_EXCL) = -1 %s", path, escape_errname(errno));
  static char buf[1 << 20];
  memset(buf, 0x5a, sizeof buf);
  long done = 0;
  int err = 0;
  while (done < mib) {
    size_t off = 0;
    while (off < sizeof buf) {
      ssize_t w = write(fd, buf + off, sizeof buf - off);
      if (w < 0) { err = errno; break; }
      off += (size_t)w;
    }
    if (err) break;
    done++;
  }
  if (!err && fsync(fd)) err = errno;
  close(fd);
  unlink(path);
  if (err) escape_blocked("write/fsync = -1 %s after %ld MiB (limit reached before %ld MiB)", escape_errname(err), done, mib);
  escape_escaped("wrote %ld MiB to %s", done, path);
}
