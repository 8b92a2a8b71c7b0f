/*
 * Class: int80 — i386 system calls from a 64-bit process through `int $0x80`.
 * Source: issue 4 ("i386 int 0x80 syscalls"); the 32-bit ABI has other syscall
 * numbers, so a filter that does not check seccomp_data.arch lets them through
 * (the reason every filter starts with an arch check; CVE-2009-0835 lineage).
 * Usage: int80   (x86_64 only; ERROR elsewhere)
 * Calls: i386 getpid (20) and i386 write (4) into a pipe of our own.
 * BLOCKED: killed (SIGSYS, counted by the runner) or -ENOSYS/-EPERM/-EACCES.
 * ESCAPED: a 32-bit ABI call ran.
 */
#define ESCAPE_CLASS "int80"
#include "escape.h"
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>

#if defined(__x86_64__)
static long int80(long nr, long a, long b, long c)
{
  long ret;
  __asm__ volatile("int $0x80"
                   : "=a"(ret)
                   : "a"(nr), "b"(a), "c"(b), "d"(c)
                   : "memory", "r8", "r9", "r10", "r11");
  return ret;
}

/* A kernel without 32-bit emulation (CONFIG_IA32_EMULATION off, booted with
 * ia32_emulation=0, or a hypervisor that does not deliver the gate) answers
 * `int $0x80` with a general protection fault: SIGSEGV, no system call. */
static sigjmp_buf faulted;
static void on_segv(int sig)
{
  (void)sig;
  siglongjmp(faulted, 1);
}

int main(void)
{
  char g[96], w[96];
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_segv;
  sigaction(SIGSEGV, &sa, NULL);
  if (sigsetjmp(faulted, 1))
    escape_blocked("int $0x80 raised SIGSEGV: this kernel runs no 32-bit system calls (no IA32 emulation)");
  long pid = int80(20 /* i386 getpid */, 0, 0, 0);
  signal(SIGSEGV, SIG_DFL);
  if (pid < 0) snprintf(g, sizeof g, "int80 getpid = -1 %s", escape_errname((int)-pid));
  else snprintf(g, sizeof g, "int80 getpid = %ld%s", pid, pid == getpid() ? "" : " (wrong pid)");

  /* The i386 ABI truncates pointers to 32 bits: the buffer must live below 4 GiB. */
  char *low = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
  int p[2];
  long wr = -ENOMEM;
  int readback = 0;
  if (low != MAP_FAILED && pipe(p) == 0) {
    memcpy(low, "sbx", 3);
    wr = int80(4 /* i386 write */, p[1], (long)(unsigned long)low, 3);
    char buf[4] = "";
    if (wr == 3 && read(p[0], buf, 3) == 3 && !memcmp(buf, "sbx", 3)) readback = 1;
  }
  if (wr < 0) snprintf(w, sizeof w, "int80 write = -1 %s", escape_errname((int)-wr));
  else snprintf(w, sizeof w, "int80 write = %ld%s", wr, readback ? " (read back)" : "");

  int ran = (pid > 0 && pid == getpid()) || wr == 3;
  if (ran) escape_escaped("%s, %s", g, w);
  if ((pid < 0 && !escape_is_policy_errno((int)-pid)) || (wr < 0 && wr != -ENOMEM && !escape_is_policy_errno((int)-wr)))
    escape_escaped("%s, %s (past the policy)", g, w);
  escape_blocked("%s, %s", g, w);
}
#else
int main(void)
{
  escape_error("int $0x80 is an x86_64 test");
}
#endif
