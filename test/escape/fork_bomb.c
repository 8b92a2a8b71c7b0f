/*
 * Class: fork_bomb — create processes until something stops us (bounded).
 * Source: issue 6 ("a fork bomb with limits.pids"); the pids cgroup controller
 * or RLIMIT_NPROC must stop it before it starves the host.
 * Usage: fork_bomb [N]   (default 200: stops after N live children, then kills them)
 * Children only wait; they die with the parent (PR_SET_PDEATHSIG) in any case.
 * BLOCKED: fork() failed before N (EAGAIN from pids.max or RLIMIT_NPROC).
 * ESCAPED: N children were alive at once.
 */
#define ESCAPE_CLASS "fork_bomb"
#include "escape.h"
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>

int main(int argc, char **argv)
{
  long n = argc > 1 ? escape_arg_long(argv[1], "N") : 200;
  if (n < 1 || n > 100000) escape_error("N out of range");
  pid_t *kids = calloc((size_t)n, sizeof *kids);
  if (!kids) escape_error("out of memory");
  pid_t parent = getpid();
  long made = 0;
  int err = 0;
  while (made < n) {
    pid_t c = fork();
    if (c < 0) { err = errno; break; }
    if (c == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent) _exit(0);
      for (;;) pause();
    }
    kids[made++] = c;
  }
  /* If the policy denies kill(2), do not wait: PR_SET_PDEATHSIG ends them when we exit. */
  for (long i = 0; i < made; i++)
    if (kill(kids[i], SIGKILL) == 0) waitpid(kids[i], NULL, 0);
  if (made < n) escape_blocked("fork() = -1 %s after %ld children (limit reached before N=%ld)", escape_errname(err), made, n);
  escape_escaped("forked N=%ld children", n);
}
