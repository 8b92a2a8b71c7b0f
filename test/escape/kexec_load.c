/*
 * Class: kexec_load — load a new kernel with kexec_load.
 * Source: issue 4 (@reboot/@privileged); kexec replaces the running kernel.
 * Usage: kexec_load
 * SAFE: called with invalid flags and no segments, so a kernel that lets the
 * call through answers EINVAL after its CAP_SYS_BOOT/kexec_load_disabled check.
 * BLOCKED: EPERM/EACCES/ENOSYS (ENOSYS also when the kernel has no
 * CONFIG_KEXEC: then nothing can be loaded either).
 * ESCAPED: EINVAL (got past the permission check).
 */
#define ESCAPE_CLASS "kexec_load"
#include "escape.h"
#include <sys/syscall.h>

int main(void)
{
  long r = syscall(SYS_kexec_load, 0UL, 0UL, NULL, 0x7f0000UL /* invalid flags */);
  escape_verdict_call("kexec_load(invalid flags)", r, errno);
}
