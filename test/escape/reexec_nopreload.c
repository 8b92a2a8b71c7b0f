/*
 * Class: reexec_nopreload — re-execute itself with LD_PRELOAD (and the whole
 * environment) removed, then retry an operation the sandbox denies.
 * Source: issue 4 ("re-exec with LD_PRELOAD removed (still confined)"); a
 * preload-based sandbox that confined only in user space (function
 * interposition) would be gone after this; seccomp, Landlock and no_new_privs
 * survive execve.
 * Usage: reexec_nopreload [OP]   (OP: see denied_op.h; default inet). The
 * second stage is the same binary run as `reexec_nopreload --stage2 OP WAS`.
 * BLOCKED: the re-exec was refused, or OP is still refused after it.
 * ESCAPED: OP worked in the re-executed image.
 */
#define ESCAPE_CLASS "reexec_nopreload"
#include "escape.h"
#include "denied_op.h"

int main(int argc, char **argv)
{
  char res[160];
  if (argc > 3 && !strcmp(argv[1], "--stage2")) {
    const char *pre = getenv("LD_PRELOAD");
    int ok = escape_denied_op(argv[2], res, sizeof res);
    if (ok < 0) escape_error("%s", res);
    if (ok)
      escape_escaped("re-executed with an empty environment (LD_PRELOAD %s before, %s now); %s", argv[3],
                     pre ? "still set" : "unset", res);
    escape_blocked("re-executed with an empty environment (LD_PRELOAD %s before, %s now); %s", argv[3],
                   pre ? "still set" : "unset", res);
  }
  const char *op = argc > 1 ? argv[1] : "inet";
  char *was = getenv("LD_PRELOAD") ? "set" : "unset";
  char *const av[] = { argv[0], "--stage2", (char *)op, was, NULL };
  char *const ev[] = { NULL };
  execve("/proc/self/exe", av, ev);
  int e1 = errno;
  execve(argv[0], av, ev);
  escape_blocked("execve(self) = -1 %s (via /proc/self/exe: %s)", escape_errname(errno), escape_errname(e1));
}
