/*
 * Shared by seccomp_stack and reexec_nopreload: an operation the sandbox is
 * expected to deny, tried after the attack. OP names (argument of both programs):
 *   inet    socket(AF_INET, SOCK_STREAM)   (default; strict denies TCP sockets)
 *   userns  unshare(CLONE_NEWUSER)
 * Returns 1 if the operation worked, 0 if refused, -1 for an unknown OP; `out`
 * gets "call = result".
 */
#ifndef SBX_ESCAPE_DENIED_OP_H
#define SBX_ESCAPE_DENIED_OP_H
#include <sched.h>
#include <sys/socket.h>

static inline int escape_denied_op(const char *op, char *out, size_t len)
{
  long r;
  const char *what;
  if (!strcmp(op, "inet")) {
    what = "socket(AF_INET, SOCK_STREAM)";
    r = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  } else if (!strcmp(op, "userns")) {
    what = "unshare(CLONE_NEWUSER)";
    r = unshare(CLONE_NEWUSER);
  } else {
    snprintf(out, len, "unknown OP '%s' (inet, userns)", op);
    return -1;
  }
  escape_ret(out, len, what, r, errno);
  return r >= 0;
}
#endif
