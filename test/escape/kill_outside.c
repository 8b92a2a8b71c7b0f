/*
 * Class: kill_outside — send a signal to a process outside the sandbox.
 * Source: issue 4 ("signals to processes outside"); Landlock's
 * LANDLOCK_SCOPE_SIGNAL (ABI 6), pid namespaces, seccomp on kill/tgkill.
 * Usage: kill_outside PID [SIG]   (SIG defaults to SIGWINCH, ignored by default,
 * so an unconfined run does not disturb the target)
 * BLOCKED: kill() fails (EPERM from the policy or credentials, ESRCH when the
 * pid is not visible). ESCAPED: the signal was delivered.
 */
#define ESCAPE_CLASS "kill_outside"
#include "escape.h"
#include <signal.h>

int main(int argc, char **argv)
{
  if (argc < 2) escape_error("usage: kill_outside PID [SIG]");
  long pid = escape_arg_long(argv[1], "PID");
  long sig = argc > 2 ? escape_arg_long(argv[2], "SIG") : SIGWINCH;
  if (pid <= 0) escape_error("PID must be a single process");
  if (kill((pid_t)pid, (int)sig)) escape_blocked("kill(%ld, %ld) = -1 %s", pid, sig, escape_errname(errno));
  escape_escaped("kill(%ld, %ld) = 0", pid, sig);
}
