/*
 * Class: cwd_leak — a working directory or directory fd outside the sandbox's root.
 * Source: runc CVE-2024-21626 ("Leaky Vessels"): a host directory fd leaked
 * into the container let the process chdir outside its root
 * (/proc/self/fd/7/../../..); the same for a launcher that pivot_roots but keeps
 * a cwd or an fd from the old root.
 * Usage: cwd_leak
 * For the cwd and every open directory fd, walks ".." (with O_PATH, which
 * Landlock does not restrict) until a directory is its own parent, and
 * compares that top with our "/". A directory outside our root climbs to
 * another top (the kernel only stops ".." at our root when it passes through it).
 * BLOCKED: everything leads back to our "/". ESCAPED: the cwd or an fd does not.
 */
#define ESCAPE_CLASS "cwd_leak"
#include "escape.h"
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

/* 1: inside our root, 0: outside, -1: could not tell. */
static int inside_root(int dfd, const struct stat *root)
{
  int cur = openat(dfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (cur < 0) return -1;
  for (int i = 0; i < 4096; i++) {
    struct stat a, b;
    int up = openat(cur, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (up < 0 || fstat(cur, &a) || fstat(up, &b)) {
      close(cur);
      if (up >= 0) close(up);
      return -1;
    }
    close(cur);
    cur = up;
    if (a.st_dev == b.st_dev && a.st_ino == b.st_ino) {
      close(cur);
      return a.st_dev == root->st_dev && a.st_ino == root->st_ino;
    }
  }
  close(cur);
  return -1;
}

int main(void)
{
  struct stat root;
  if (stat("/", &root)) escape_error("stat(/) = -1 %s", escape_errname(errno));
  char out[700] = "", cwd[256];
  int leaks = 0, unknown = 0;
  if (!getcwd(cwd, sizeof cwd)) snprintf(cwd, sizeof cwd, "getcwd: %s", escape_errname(errno));
  int in = inside_root(AT_FDCWD, &root);
  if (in == 0) { leaks++; snprintf(out, sizeof out, "cwd (%s) is outside our root", cwd); }
  if (in < 0) unknown++;

  int fds[256], n = 0;
  DIR *d = opendir("/proc/self/fd");
  if (d) {
    struct dirent *e;
    while ((e = readdir(d)) && n < 256)
      if (e->d_name[0] != '.' && atoi(e->d_name) != dirfd(d)) fds[n++] = atoi(e->d_name);
    closedir(d);
  } else {
    for (int fd = 0; fd < 1024 && n < 256; fd++)
      if (fcntl(fd, F_GETFD) >= 0) fds[n++] = fd;
  }
  int dirs = 0;
  for (int i = 0; i < n; i++) {
    struct stat sb;
    if (fstat(fds[i], &sb) || !S_ISDIR(sb.st_mode)) continue;
    dirs++;
    int r = inside_root(fds[i], &root);
    if (r < 0) unknown++;
    if (r == 0) {
      size_t l = strlen(out);
      snprintf(out + l, sizeof out - l, "%sfd %d is a directory outside our root", leaks ? ", " : "", fds[i]);
      leaks++;
    }
  }
  if (leaks) escape_escaped("%s", out);
  escape_blocked("cwd (%s) and %d directory fd(s) lead back to our root%s", cwd, dirs,
                 unknown ? " (some could not be walked)" : "");
}
