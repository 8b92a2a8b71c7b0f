/*
 * Class: block_dev_open — open a block device (the host's disks).
 * Source: issue 8 ("/dev device nodes"); read access to /dev/vda or /dev/sda
 * reads every file of the host regardless of permissions and mount views.
 * Usage: block_dev_open [DEV...]   (default: every block device found in /dev,
 * else /dev/vda /dev/sda /dev/nvme0n1 /dev/xvda /dev/loop0)
 * SAFE: opened read-only and closed; nothing is read or written.
 * BLOCKED: no block device could be opened (or none is visible).
 * ESCAPED: one was opened.
 */
#define ESCAPE_CLASS "block_dev_open"
#include "escape.h"
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

static char tried[600];

static void try_dev(const char *path)
{
  struct stat sb;
  char key[300];
  snprintf(key, sizeof key, "%s=", path);
  if (strstr(tried, key) || stat(path, &sb) || !S_ISBLK(sb.st_mode)) return;
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd >= 0) escape_escaped("open(%s, O_RDONLY) = %d (nothing read)", path, fd);
  size_t l = strlen(tried);
  snprintf(tried + l, sizeof tried - l, "%s%s=%s", l ? " " : "", path, escape_errname(errno));
}

int main(int argc, char **argv)
{
  for (int i = 1; i < argc; i++) try_dev(argv[i]);
  if (argc == 1) {
    DIR *d = opendir("/dev");
    if (d) {
      struct dirent *e;
      char p[300];
      while ((e = readdir(d))) {
        if (e->d_type != DT_BLK && e->d_type != DT_UNKNOWN) continue;
        snprintf(p, sizeof p, "/dev/%s", e->d_name);
        try_dev(p);
      }
      closedir(d);
    }
    static const char *const guess[] = { "/dev/vda", "/dev/sda", "/dev/nvme0n1", "/dev/xvda", "/dev/loop0" };
    for (size_t i = 0; i < sizeof guess / sizeof *guess; i++) try_dev(guess[i]);
  }
  if (!tried[0]) escape_blocked("no block device visible");
  escape_blocked("no block device could be opened: %s", tried);
}
