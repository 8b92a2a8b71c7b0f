/*
 * Class: mem_bomb — allocate and touch memory until something stops us (bounded).
 * Source: issue 6 ("a memory bomb with limits.memory"); the memory cgroup
 * (OOM kill, counted as BLOCKED by the runner when it is SIGKILL) or
 * RLIMIT_AS (mmap fails) must stop it.
 * Usage: mem_bomb [MIB]   (default 256)
 * BLOCKED: an allocation failed before MIB MiB. ESCAPED: MIB MiB were touched.
 */
#define ESCAPE_CLASS "mem_bomb"
#include "escape.h"
#include <sys/mman.h>

int main(int argc, char **argv)
{
  long mib = argc > 1 ? escape_arg_long(argv[1], "MIB") : 256;
  if (mib < 1 || mib > 1 << 20) escape_error("MIB out of range");
  const size_t chunk = 1 << 20;
  long done = 0;
  for (; done < mib; done++) {
    char *p = mmap(NULL, chunk, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
      escape_blocked("mmap(1 MiB) = -1 %s after %ld MiB (limit reached before %ld MiB)", escape_errname(errno), done, mib);
    memset(p, 0xa5, chunk);
  }
  escape_escaped("allocated and touched %ld MiB", done);
}
