/*
 * Class: setuid_create — leave a setuid or setgid file behind.
 * Source: issue 18 ("Root callers"): with uid 0 mapped to host uid 0, a
 * `chmod 4755` in the writable working directory leaves a setuid-root program
 * on the host for any local user (no_new_privs and the sandbox's nosuid view
 * only make the bit inert *inside*); for any other uid, a setuid/setgid file
 * is a way back in as that user or group.
 * Usage: setuid_create   (files are made in the working directory and removed)
 * First the neighbours that must keep working: open(O_CREAT, 0644), chmod
 * 0755, fchmod 0644, mkdir; if one fails the program says ERROR (a sandbox
 * that refuses every chmod proves nothing). Then every way to put S_ISUID or
 * S_ISGID on a regular file, each followed by a stat of the result (a call may
 * succeed without setting the bit: the kernel drops S_ISGID for a group the
 * caller is not in):
 *   chmod, fchmod, fchmodat, fchmodat2 with 04755 and 02755 (the file's group
 *   is one of ours, checked), and fchmodat with bit 32 set above 04755 (the
 *   kernel drops it: a filter must test the low word); open, openat, creat with O_CREAT and 04755 or
 *   02755; open(O_TMPFILE) with 04755; mknod and mknodat of S_IFREG|04755;
 *   openat2(O_CREAT) with 04755 in its struct open_how.
 * SAFE: the files are plain copies of nothing (empty), in the working
 * directory, removed at once.
 * BLOCKED: no file got either bit (each call's result is listed).
 * ESCAPED: a file got S_ISUID or S_ISGID (the calls that did it are named).
 */
#define ESCAPE_CLASS "setuid_create"
#include "escape.h"
#include <fcntl.h>
#include <grp.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#ifndef SYS_openat2
#define SYS_openat2 437
#endif
#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif
#ifndef O_TMPFILE
#define O_TMPFILE (020000000 | O_DIRECTORY)
#endif

struct how { uint64_t flags, mode, resolve; };

static char report[900];
static size_t rlen;
static char escaped[700];
static size_t elen;

static void note(const char *what, long ret, int err, mode_t got, bool have)
{
  char b[200];
  int n;
  if (ret < 0)
    n = snprintf(b, sizeof b, "%s=%s", what, escape_errname(err));
  else if (have)
    n = snprintf(b, sizeof b, "%s=0 (mode %o)", what, (unsigned)got & 07777);
  else
    n = snprintf(b, sizeof b, "%s=0", what);
  if (n > 0 && rlen + (size_t)n + 2 < sizeof report) rlen += (size_t)snprintf(report + rlen, sizeof report - rlen, "%s%s", rlen ? ", " : "", b);
  if (have && (got & (S_ISUID | S_ISGID)) && elen + strlen(what) + 3 < sizeof escaped)
    elen += (size_t)snprintf(escaped + elen, sizeof escaped - elen, "%s%s", elen ? ", " : "", what);
}

static bool our_group(gid_t g)
{
  if (g == getegid() || geteuid() == 0) return true;
  gid_t gs[256];
  int n = getgroups(256, gs);
  for (int i = 0; i < n; i++)
    if (gs[i] == g) return true;
  return false;
}

/* A fresh empty 0644 file `name` (the neighbour open(O_CREAT) itself), or ERROR. */
static void fresh(const char *name)
{
  unlink(name);
  int fd = open(name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) escape_error("neighbour refused: open(%s, O_CREAT, 0644) = -1 %s", name, escape_errname(errno));
  struct stat st;
  if (fstat(fd, &st) || (st.st_mode & 07777) != 0644)
    escape_error("neighbour: open(O_CREAT, 0644) made mode %o", (unsigned)st.st_mode & 07777);
  if (!our_group(st.st_gid)) escape_error("%s has group %u, not one of ours: setgid would be dropped anyway", name, (unsigned)st.st_gid);
  close(fd);
}

static void after_path(const char *what, const char *name, long ret, int err)
{
  struct stat st;
  bool have = ret >= 0 && stat(name, &st) == 0;
  note(what, ret, err, have ? st.st_mode : 0, have);
  unlink(name);
}

int main(void)
{
  char f[64], g[64], d[64];
  struct stat st;
  snprintf(f, sizeof f, "sbx-escape-suid-%d", (int)getpid());
  snprintf(g, sizeof g, "sbx-escape-suid-%d.new", (int)getpid());
  snprintf(d, sizeof d, "sbx-escape-suid-%d.d", (int)getpid());
  umask(022);

  /* The neighbours. */
  fresh(f);
  if (chmod(f, 0755) || stat(f, &st) || (st.st_mode & 07777) != 0755)
    escape_error("neighbour refused: chmod(0755) = -1 %s", escape_errname(errno));
  int fd = open(f, O_RDONLY | O_CLOEXEC);
  if (fd < 0 || fchmod(fd, 0644) || fstat(fd, &st) || (st.st_mode & 07777) != 0644)
    escape_error("neighbour refused: fchmod(0644) = -1 %s", escape_errname(errno));
  close(fd);
  if (mkdir(d, 0755)) escape_error("neighbour refused: mkdir = -1 %s", escape_errname(errno));
  rmdir(d);

  /* The chmod family, on a file of our own. */
  static const struct { const char *what; int call; mode_t mode; } chmods[] = {
    { "chmod(04755)", 0, 04755 },     { "chmod(02755)", 0, 02755 },
    { "fchmod(04755)", 1, 04755 },    { "fchmod(02755)", 1, 02755 },
    { "fchmodat(04755)", 2, 04755 },  { "fchmodat(02755)", 2, 02755 },
    { "fchmodat2(04755)", 3, 04755 }, { "fchmodat2(02755)", 3, 02755 },
    /* The kernel reads the mode as umode_t: bits above the low word are
     * dropped, so a filter that compared all 64 bits would be passed. */
    { "fchmodat(1<<32|04755)", 4, 04755 },
  };
  for (size_t i = 0; i < sizeof chmods / sizeof chmods[0]; i++) {
    fresh(f);
    long r;
    errno = 0;
    switch (chmods[i].call) {
    case 0: r = chmod(f, chmods[i].mode); break;
    case 1:
      fd = open(f, O_RDONLY | O_CLOEXEC);
      r = fd < 0 ? -1 : fchmod(fd, chmods[i].mode);
      if (fd >= 0) close(fd);
      break;
    case 2: r = fchmodat(AT_FDCWD, f, chmods[i].mode, 0); break;
    case 3: r = syscall(SYS_fchmodat2, AT_FDCWD, f, (unsigned long)chmods[i].mode, 0UL); break;
    default: r = syscall(SYS_fchmodat, AT_FDCWD, f, (1UL << 32) | chmods[i].mode); break;
    }
    int e = errno;
    bool have = stat(f, &st) == 0;
    note(chmods[i].what, r, e, have ? st.st_mode : 0, have);
  }
  unlink(f);

  /* Creation modes. */
  static const struct { const char *what; int call; mode_t mode; } creates[] = {
    { "open(O_CREAT,04755)", 0, 04755 },   { "open(O_CREAT,02755)", 0, 02755 },
    { "openat(O_CREAT,04755)", 1, 04755 }, { "openat(O_CREAT,02755)", 1, 02755 },
    { "creat(04755)", 2, 04755 },          { "creat(02755)", 2, 02755 },
    { "mknod(S_IFREG|04755)", 3, 04755 },  { "mknodat(S_IFREG|02755)", 4, 02755 },
    { "openat2(O_CREAT,04755)", 5, 04755 },
  };
  for (size_t i = 0; i < sizeof creates / sizeof creates[0]; i++) {
    unlink(g);
    long r;
    errno = 0;
    mode_t m = creates[i].mode;
    switch (creates[i].call) {
#ifdef SYS_open
    case 0: r = syscall(SYS_open, g, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, m); break;
#else
    case 0: r = openat(AT_FDCWD, g, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, m); break;
#endif
    case 1: r = openat(AT_FDCWD, g, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, m); break;
#ifdef SYS_creat
    case 2: r = syscall(SYS_creat, g, m); break;
#else
    case 2: r = openat(AT_FDCWD, g, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, m); break;
#endif
#ifdef SYS_mknod
    case 3: r = syscall(SYS_mknod, g, S_IFREG | m, 0); break;
#else
    case 3: r = mknodat(AT_FDCWD, g, S_IFREG | m, 0); break;
#endif
    case 4: r = mknodat(AT_FDCWD, g, S_IFREG | m, 0); break;
    default: {
      struct how h = { .flags = O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, .mode = m, .resolve = 0 };
      r = syscall(SYS_openat2, AT_FDCWD, g, &h, sizeof h);
      break;
    }
    }
    int e = errno;
    if (r >= 0 && creates[i].call != 3 && creates[i].call != 4) close((int)r);
    after_path(creates[i].what, g, r, e);
  }

  /* An unnamed file, then linkable into the directory: its mode is what counts. */
  errno = 0;
  fd = open(".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 04755);
  int e = errno;
  bool have = fd >= 0 && fstat(fd, &st) == 0;
  note("open(O_TMPFILE,04755)", fd, e, have ? st.st_mode : 0, have);
  if (fd >= 0) close(fd);

  if (elen) escape_escaped("setuid/setgid file left by: %s", escaped);
  escape_blocked("no setuid/setgid file; neighbours ok; %s", report);
}
