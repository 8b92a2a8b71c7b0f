/*
 * Class: write_sbx_binary — open the sandbox's own launcher or libsbx.so for writing.
 * Source: runc CVE-2019-5736: a container process overwrote the host's runc
 * binary through /proc/self/exe and thereby ran code as host root at the next
 * `docker exec`. A confined process must not be able to write any of sbx's
 * artifacts (the launcher, libsbx.so, the Node addon).
 * Usage: write_sbx_binary PATH   (the artifact, or a copy with the same owner and mode)
 * SAFE: the file is opened for writing (no O_TRUNC) and closed; nothing is written.
 * Tries open(PATH, O_WRONLY) and the /proc/self/fd re-open trick (O_PATH first,
 * then O_WRONLY through /proc/self/fd/N).
 * BLOCKED: both fail (EACCES, EPERM, EROFS, ETXTBSY, ENOENT). ESCAPED: one
 * returned a writable fd.
 */
#define ESCAPE_CLASS "write_sbx_binary"
#include "escape.h"
#include <fcntl.h>

int main(int argc, char **argv)
{
  if (argc < 2) escape_error("usage: write_sbx_binary PATH");
  const char *path = argv[1];
  char a[200], b[200];
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  escape_ret(a, sizeof a, "open(O_WRONLY)", fd, errno);
  int fd2 = -1;
  int p = open(path, O_PATH | O_CLOEXEC);
  if (p < 0) {
    escape_ret(b, sizeof b, "open(O_PATH)", -1, errno);
  } else {
    char via[64];
    snprintf(via, sizeof via, "/proc/self/fd/%d", p);
    fd2 = open(via, O_WRONLY | O_CLOEXEC);
    escape_ret(b, sizeof b, "reopen via /proc/self/fd O_WRONLY", fd2, errno);
  }
  if (fd >= 0 || fd2 >= 0) escape_escaped("%s: %s, %s", path, a, b);
  escape_blocked("%s: %s, %s", path, a, b);
}
