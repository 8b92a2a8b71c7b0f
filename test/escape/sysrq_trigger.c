/*
 * Class: sysrq_trigger — open /proc/sysrq-trigger for writing.
 * Source: issue 8 ("/proc/sysrq-trigger"); one byte written there crashes,
 * reboots or freezes the host ('c', 'b', 'j'). Docker masks it read-only.
 * Usage: sysrq_trigger
 * SAFE: opened for writing and closed; nothing is ever written.
 * BLOCKED: the open fails (EACCES, EPERM, EROFS, ENOENT when it is not in the
 * sandbox's view or the kernel lacks CONFIG_MAGIC_SYSRQ). ESCAPED: it opened.
 */
#define ESCAPE_CLASS "sysrq_trigger"
#include "escape.h"
#include <fcntl.h>

int main(void)
{
  int fd = open("/proc/sysrq-trigger", O_WRONLY | O_CLOEXEC);
  if (fd < 0) escape_blocked("open(/proc/sysrq-trigger, O_WRONLY) = -1 %s%s", escape_errname(errno),
                             errno == ENOENT ? " (not present)" : "");
  close(fd);
  escape_escaped("open(/proc/sysrq-trigger, O_WRONLY) = %d (nothing written)", fd);
}
