/*
 * Class: write_outside — create and write a file outside the working directory.
 * Source: filesystem confinement (issue 4: "writing outside the working
 * directory"); Landlock write rights, read-only bind mounts.
 * Usage: write_outside PATH   (a path that does not exist yet, in a directory
 * outside the sandbox's writable paths; the file is removed again on success)
 * BLOCKED: the create or the write fails (EACCES, EROFS, ENOENT, EPERM).
 * ESCAPED: the file was created and a byte written.
 */
#define ESCAPE_CLASS "write_outside"
#include "escape.h"
#include <fcntl.h>

int main(int argc, char **argv)
{
  if (argc < 2) escape_error("usage: write_outside PATH");
  const char *path = argv[1];
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0 && errno == EEXIST) escape_error("%s already exists: pass a fresh path", path);
  if (fd < 0) escape_blocked("open(%s, O_CREAT|O_WRONLY) = -1 %s", path, escape_errname(errno));
  ssize_t n = write(fd, "x", 1);
  int werr = errno;
  close(fd);
  int u = unlink(path);
  if (n != 1)
    escape_escaped("created %s but write() = -1 %s", path, escape_errname(werr));
  escape_escaped("created and wrote %s%s", path, u ? " (and could not remove it)" : "");
}
