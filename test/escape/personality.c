/*
 * Class: personality — switch on READ_IMPLIES_EXEC or ADDR_NO_RANDOMIZE.
 * Source: issue 4 (@default excludes most personalities); READ_IMPLIES_EXEC
 * makes every readable mapping executable and ADDR_NO_RANDOMIZE turns ASLR off
 * for the next exec (CVE-2009-1895 used personality to defeat mmap_min_addr).
 * Docker's profile only allows PER_LINUX and the query 0xffffffff.
 * Usage: personality   (the old persona is restored before exit)
 * BLOCKED: neither flag could be set. ESCAPED: at least one took effect.
 */
#define ESCAPE_CLASS "personality"
#include "escape.h"
#include <sys/personality.h>

int main(void)
{
  errno = 0;
  int cur = personality(0xffffffff);
  int qerr = errno;
  unsigned base = cur < 0 ? 0 : (unsigned)cur;
  char out[256] = "";
  int hits = 0;
  static const struct { unsigned long flag; const char *name; } f[] = {
    { READ_IMPLIES_EXEC, "READ_IMPLIES_EXEC" },
    { ADDR_NO_RANDOMIZE, "ADDR_NO_RANDOMIZE" },
  };
  for (int i = 0; i < 2; i++) {
    errno = 0;
    int r = personality(base | f[i].flag);
    int e = errno;
    int now = personality(0xffffffff);
    int took = r >= 0 && now >= 0 && ((unsigned)now & f[i].flag);
    if (took) hits++;
    size_t l = strlen(out);
    snprintf(out + l, sizeof out - l, "%spersonality(%s) = %s%s", i ? ", " : "", f[i].name,
             r < 0 ? "-1 " : "ok", r < 0 ? escape_errname(e) : took ? " (in effect)" : " (not in effect)");
    if (cur >= 0) personality(base);
  }
  if (cur < 0) {
    size_t l = strlen(out);
    snprintf(out + l, sizeof out - l, " [query = -1 %s]", escape_errname(qerr));
  }
  if (hits) escape_escaped("%s", out);
  escape_blocked("%s", out);
}
