/*
 * Class: mknod_dev — create device nodes.
 * Source: issue 8 ("/dev device nodes"); a node for the host's disk (or
 * /dev/mem, /dev/kmsg) gives raw access whatever the mount view; Docker drops
 * CAP_MKNOD's use through the devices cgroup, bubblewrap through user namespaces.
 * Usage: mknod_dev   (nodes are made in the working directory and removed at once:
 * a char node 1:3 (/dev/null) and a block node for the device of "/")
 * BLOCKED: both mknod calls fail (EPERM/EACCES/ENOSYS; EROFS/ENOENT).
 * ESCAPED: a node was created.
 */
#define ESCAPE_CLASS "mknod_dev"
#include "escape.h"
#include <sys/stat.h>
#include <sys/sysmacros.h>

int main(void)
{
  char c[64], b[64], rc[160], rb[160];
  snprintf(c, sizeof c, "sbx-escape-chr-%d", (int)getpid());
  snprintf(b, sizeof b, "sbx-escape-blk-%d", (int)getpid());
  struct stat root;
  dev_t blk = stat("/", &root) == 0 ? root.st_dev : makedev(254, 0);
  int r1 = mknod(c, S_IFCHR | 0600, makedev(1, 3));
  escape_ret(rc, sizeof rc, "mknod(chr 1:3)", r1, errno);
  int r2 = mknod(b, S_IFBLK | 0600, blk);
  char what[64];
  snprintf(what, sizeof what, "mknod(blk %u:%u)", major(blk), minor(blk));
  escape_ret(rb, sizeof rb, what, r2, errno);
  if (r1 == 0) unlink(c);
  if (r2 == 0) unlink(b);
  if (r1 == 0 || r2 == 0) escape_escaped("%s, %s", rc, rb);
  escape_blocked("%s, %s", rc, rb);
}
