/*
 * Class: clock_settime — set the system clock.
 * Source: issue 4 (@clock/@privileged); the clock is not namespaced (time
 * namespaces only offset monotonic/boottime), so a root-in-sandbox would move
 * the host's time (certificates, logs, timeouts).
 * Usage: clock_settime
 * SAFE: sets CLOCK_REALTIME to the value just read (a step back of about a
 * microsecond); a time that is invalid would be refused before the permission
 * check, so it cannot be used as a probe.
 * BLOCKED: EPERM/EACCES/ENOSYS. ESCAPED: the clock was set.
 */
#define ESCAPE_CLASS "clock_settime"
#include "escape.h"
#include <sys/syscall.h>
#include <time.h>

int main(void)
{
  struct timespec now;
  if (clock_gettime(CLOCK_REALTIME, &now)) escape_error("clock_gettime = -1 %s", escape_errname(errno));
  long r = syscall(SYS_clock_settime, CLOCK_REALTIME, &now);
  escape_verdict_call("clock_settime(CLOCK_REALTIME, now)", r, errno);
}
