/*
 * Class: seccomp_stack — install an allow-everything seccomp filter on top of
 * the sandbox's, then retry an operation the sandbox denies.
 * Source: issue 4 ("stacking a permissive filter"); seccomp filters only ever
 * add restrictions (the most restrictive verdict wins), which this checks in
 * the real kernel, together with the sandbox's own choice to allow or deny
 * seccomp(2) itself.
 * Usage: seccomp_stack [OP]   (OP: see denied_op.h; default inet)
 * BLOCKED: OP is still refused. ESCAPED: OP worked (unconfined: it always does).
 */
#define ESCAPE_CLASS "seccomp_stack"
#include "escape.h"
#include "denied_op.h"
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

int main(int argc, char **argv)
{
  const char *op = argc > 1 ? argv[1] : "inet";
  char inst[160], res[160];
  int nnp = prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  int nnp_err = errno;
  struct sock_filter allow[] = { BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
  struct sock_fprog prog = { .len = 1, .filter = allow };
  long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
  int e = errno;
  if (r < 0) {
    long r2 = prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0);
    snprintf(inst, sizeof inst, "allow-all filter: seccomp() = -1 %s, prctl(PR_SET_SECCOMP) = %s%s",
             escape_errname(e), r2 ? "-1 " : "0", r2 ? escape_errname(errno) : "");
  } else {
    snprintf(inst, sizeof inst, "allow-all filter installed%s%s", nnp ? " (no_new_privs: " : "",
             nnp ? escape_errname(nnp_err) : "");
    if (nnp) strcat(inst, ")");
  }
  int ok = escape_denied_op(op, res, sizeof res);
  if (ok < 0) escape_error("%s", res);
  if (ok) escape_escaped("%s; then %s", inst, res);
  escape_blocked("%s; then %s", inst, res);
}
