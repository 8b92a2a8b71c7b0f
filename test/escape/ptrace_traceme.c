/*
 * Class: ptrace_traceme — PTRACE_TRACEME in a child, then read its memory with
 * PTRACE_PEEKDATA and process_vm_readv.
 * Source: issue 4 (ptrace denied entirely); PTRACE_TRACEME needs no target
 * permission at all (CVE-2019-13272 abused it), and a tracer inside the sandbox
 * can rewrite a sibling's syscall arguments after a seccomp check
 * (seccomp-bpf's documented ptrace caveat).
 * Usage: ptrace_traceme
 * BLOCKED: PTRACE_TRACEME fails (or kills the child: SIGSYS) and
 * process_vm_readv of the child fails. ESCAPED: either one read the child's memory.
 */
#define ESCAPE_CLASS "ptrace_traceme"
#include "escape.h"
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/wait.h>

static volatile long secret = 0x5b7e5c2e7ace;

int main(void)
{
  int p[2];
  if (pipe2(p, O_CLOEXEC)) escape_error("pipe2 = -1 %s", escape_errname(errno));
  pid_t c = fork();
  if (c < 0) escape_error("fork = -1 %s", escape_errname(errno));
  if (c == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    int e = ptrace(PTRACE_TRACEME, 0, NULL, NULL) ? errno : 0;
    ssize_t w = write(p[1], &e, sizeof e);
    (void)w;
    if (e == 0) raise(SIGSTOP);
    for (;;) pause();
  }
  close(p[1]);
  int e = -1;
  char tm[128], vm[128], pk[128];
  if (read(p[0], &e, sizeof e) != (ssize_t)sizeof e) {
    int st;
    waitpid(c, &st, 0);
    snprintf(tm, sizeof tm, "PTRACE_TRACEME killed the child (signal %d)", WIFSIGNALED(st) ? WTERMSIG(st) : 0);
    escape_blocked("%s", tm);
  }
  escape_ret(tm, sizeof tm, "ptrace(PTRACE_TRACEME)", e ? -1 : 0, e);
  int peek_ok = 0;
  snprintf(pk, sizeof pk, "PEEKDATA not tried");
  if (e == 0) {
    int st;
    if (waitpid(c, &st, WUNTRACED) == c && WIFSTOPPED(st)) {
      errno = 0;
      long v = ptrace(PTRACE_PEEKDATA, c, (void *)&secret, NULL);
      if (errno) snprintf(pk, sizeof pk, "PEEKDATA = -1 %s", escape_errname(errno));
      else {
        peek_ok = v == secret;
        snprintf(pk, sizeof pk, "PEEKDATA read %s", peek_ok ? "the child's memory" : "a wrong value");
      }
    }
  }
  long got = 0;
  struct iovec local = { &got, sizeof got }, remote = { (void *)&secret, sizeof got };
  ssize_t n = process_vm_readv(c, &local, 1, &remote, 1, 0);
  int verr = errno;
  int vm_ok = n == (ssize_t)sizeof got && got == secret;
  escape_ret(vm, sizeof vm, "process_vm_readv(child)", n, verr);
  if (kill(c, SIGKILL) == 0) waitpid(c, NULL, 0); /* else PR_SET_PDEATHSIG ends it */
  if (peek_ok || vm_ok) escape_escaped("%s, %s, %s", tm, pk, vm);
  escape_blocked("%s, %s, %s", tm, pk, vm);
}
