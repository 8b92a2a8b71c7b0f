/*
 * Class: fsopen — create a filesystem context with the new mount API.
 * Source: issue 4 ("mount"); fsopen/fsconfig/fsmount/move_mount (Linux 5.2)
 * reach mounting without mount(2), and CVE-2022-0185 was a heap overflow in
 * fsconfig reachable from a user namespace.
 * Usage: fsopen
 * Nothing is mounted: the context is closed right away.
 * BLOCKED: fsopen() fails (EPERM without CAP_SYS_ADMIN, or from the policy;
 * ENOSYS). ESCAPED: a context fd was returned.
 */
#define ESCAPE_CLASS "fsopen"
#include "escape.h"
#include <sys/syscall.h>

#ifndef __NR_fsopen
#define __NR_fsopen 430
#endif
#define FSOPEN_CLOEXEC_ 0x00000001

int main(void)
{
  long fd = syscall(__NR_fsopen, "tmpfs", FSOPEN_CLOEXEC_);
  escape_verdict_call("fsopen(\"tmpfs\")", fd, errno);
}
