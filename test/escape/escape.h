/*
 * The reporting protocol shared by every attack program in test/escape/
 * (header-only: each .c file is one standalone program, libc only, and must
 * not depend on sbx). See README.md for the protocol and the argument lists.
 *
 * A program prints exactly one line on stdout and exits:
 *   ESCAPE <class>: BLOCKED <how>        exit 0   the attack achieved nothing
 *   ESCAPE <class>: ESCAPED <what>       exit 1   the attack worked
 *   ESCAPE <class>: ERROR <why>          exit 2   the test itself could not run
 * A process that dies of SIGSYS (seccomp kill) is counted as BLOCKED by the
 * runner; so is SIGKILL for the bombs (a cgroup OOM kill is a limit at work).
 *
 * Each program defines ESCAPE_CLASS before including this header.
 */
#ifndef SBX_ESCAPE_H
#define SBX_ESCAPE_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef ESCAPE_CLASS
#error "define ESCAPE_CLASS before including escape.h"
#endif

enum { ESCAPE_RC_BLOCKED = 0, ESCAPE_RC_ESCAPED = 1, ESCAPE_RC_ERROR = 2 };

/* errno as its symbolic name: verdict lines are read by tests and people. */
static inline const char *escape_errname(int e)
{
  const char *n = strerrorname_np(e);
  static char buf[24];
  if (n) return n;
  snprintf(buf, sizeof buf, "errno%d", e);
  return buf;
}

/*
 * The errnos by which a policy layer refuses: seccomp's errno actions (EPERM
 * by default, ENOSYS for unknown numbers), Landlock (EACCES), capabilities and
 * LSMs (EPERM/EACCES). Anything else from a call whose permission check the
 * kernel makes first means the call got past every policy check.
 */
static inline int escape_is_policy_errno(int e)
{
  return e == EPERM || e == EACCES || e == ENOSYS;
}

/* One line, one write(2): a partly written verdict must not look complete. */
static inline void escape_vreport(int rc, const char *fmt, va_list ap)
{
  static const char *const word[] = { "BLOCKED", "ESCAPED", "ERROR" };
  char line[1024];
  int n = snprintf(line, sizeof line, "ESCAPE %s: %s ", ESCAPE_CLASS, word[rc]);
  if (n < 0) n = 0;
  if ((size_t)n < sizeof line) {
    int m = vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    if (m > 0) n += m;
  }
  if ((size_t)n >= sizeof line - 1) n = (int)sizeof line - 2;
  for (int i = 0; i < n; i++)
    if (line[i] == '\n') line[i] = ' ';
  line[n++] = '\n';
  fflush(stdout);
  ssize_t w = write(STDOUT_FILENO, line, (size_t)n);
  (void)w;
  _exit(rc);
}

__attribute__((noreturn, format(printf, 1, 2)))
static inline void escape_blocked(const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  escape_vreport(ESCAPE_RC_BLOCKED, fmt, ap);
  va_end(ap);
  _exit(ESCAPE_RC_BLOCKED);
}

__attribute__((noreturn, format(printf, 1, 2)))
static inline void escape_escaped(const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  escape_vreport(ESCAPE_RC_ESCAPED, fmt, ap);
  va_end(ap);
  _exit(ESCAPE_RC_ESCAPED);
}

__attribute__((noreturn, format(printf, 1, 2)))
static inline void escape_error(const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  escape_vreport(ESCAPE_RC_ERROR, fmt, ap);
  va_end(ap);
  _exit(ESCAPE_RC_ERROR);
}

/* "what = ret" or "what = -1 ENAME", for verdict lines. */
static inline const char *escape_ret(char *buf, size_t len, const char *what, long ret, int err)
{
  if (ret < 0)
    snprintf(buf, len, "%s = -1 %s", what, escape_errname(err));
  else
    snprintf(buf, len, "%s = %ld", what, ret);
  return buf;
}

/*
 * The common shape of a "filter" test: the call either got past every policy
 * check (success, or an errno the kernel only returns after its permission
 * check, e.g. EINVAL for a deliberately invalid argument) or it was refused.
 */
__attribute__((noreturn))
static inline void escape_verdict_call(const char *what, long ret, int err)
{
  char b[256];
  escape_ret(b, sizeof b, what, ret, err);
  if (ret < 0 && escape_is_policy_errno(err)) escape_blocked("%s", b);
  if (ret < 0) escape_escaped("%s (past the permission check)", b);
  escape_escaped("%s", b);
}

/* Parse a decimal argument or fail the test (exit 2) with a clear reason. */
static inline long escape_arg_long(const char *s, const char *name)
{
  char *end;
  errno = 0;
  long v = s ? strtol(s, &end, 10) : 0;
  if (!s || errno || *end || end == s) escape_error("bad or missing argument %s: '%s'", name, s ? s : "");
  return v;
}

#endif
