/*
 * Class: fd_leak — a file descriptor the launcher did not mean to pass.
 * Source: issue 6 ("a secret fd opened without CLOEXEC in the parent is not
 * visible in the child") and issue 8 (runc CVE-2024-21626 leaked a host
 * directory fd into the container).
 * Usage: fd_leak [ALLOWED]   ALLOWED: comma-separated fds the runner passed on
 * purpose (default 0,1,2).
 * Open fds are listed from /proc/self/fd (or, without /proc, by probing
 * fcntl(F_GETFD) over the first 4096 numbers).
 * BLOCKED: no other fd is open. ESCAPED: other fds are open (each is named).
 */
#define ESCAPE_CLASS "fd_leak"
#include "escape.h"
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

static int allowed(const char *list, int fd)
{
  char buf[256];
  snprintf(buf, sizeof buf, "%s", list);
  for (char *s = strtok(buf, ","); s; s = strtok(NULL, ","))
    if (atoi(s) == fd && *s) return 1;
  return 0;
}

static void describe(int fd, char *out, size_t len)
{
  char p[64], t[200];
  snprintf(p, sizeof p, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(p, t, sizeof t - 1);
  if (n > 0) {
    t[n] = 0;
    snprintf(out, len, "%d->%s", fd, t);
    return;
  }
  struct stat sb;
  const char *k = "?";
  if (fstat(fd, &sb) == 0)
    k = S_ISDIR(sb.st_mode) ? "dir" : S_ISREG(sb.st_mode) ? "file" : S_ISSOCK(sb.st_mode) ? "socket"
      : S_ISFIFO(sb.st_mode) ? "pipe" : S_ISCHR(sb.st_mode) ? "chardev" : "other";
  snprintf(out, len, "%d(%s)", fd, k);
}

int main(int argc, char **argv)
{
  const char *list = argc > 1 ? argv[1] : "0,1,2";
  int fds[256], n = 0;
  DIR *d = opendir("/proc/self/fd");
  const char *how = "/proc/self/fd";
  if (d) {
    int self = dirfd(d);
    struct dirent *e;
    while ((e = readdir(d)) && n < 256) {
      if (e->d_name[0] == '.') continue;
      int fd = atoi(e->d_name);
      if (fd != self) fds[n++] = fd;
    }
    closedir(d);
  } else {
    how = "fcntl probing";
    for (int fd = 0; fd < 4096 && n < 256; fd++)
      if (fcntl(fd, F_GETFD) >= 0) fds[n++] = fd;
  }
  char leaks[700] = "";
  int count = 0;
  for (int i = 0; i < n; i++) {
    if (allowed(list, fds[i])) continue;
    char one[240];
    describe(fds[i], one, sizeof one);
    size_t l = strlen(leaks);
    snprintf(leaks + l, sizeof leaks - l, "%s%s", count ? ", " : "", one);
    count++;
  }
  if (count) escape_escaped("%d fd(s) open beyond [%s] (%s): %s", count, list, how, leaks);
  escape_blocked("only the allowed fds [%s] are open (%s, %d open)", list, how, n);
}
