/*
 * Class: reboot — the reboot(2) syscall.
 * Source: issue 4 (@reboot/@privileged); a root-in-sandbox must not be able to
 * reboot or halt the host.
 * Usage: reboot
 * SAFE: called with a wrong second magic number, so the kernel answers EINVAL
 * after its CAP_SYS_BOOT check and never acts.
 * BLOCKED: EPERM/EACCES/ENOSYS (no CAP_SYS_BOOT, or the policy).
 * ESCAPED: EINVAL (the call got past the capability check).
 */
#define ESCAPE_CLASS "reboot"
#include "escape.h"
#include <linux/reboot.h>
#include <sys/syscall.h>

int main(void)
{
  long r = syscall(SYS_reboot, LINUX_REBOOT_MAGIC1, 0x5b7e0000 /* not a valid magic2 */,
                   LINUX_REBOOT_CMD_CAD_OFF, NULL);
  if (r == 0) escape_escaped("reboot(bad magic) = 0 ?!");
  escape_verdict_call("reboot(LINUX_REBOOT_MAGIC1, bad magic2)", r, errno);
}
