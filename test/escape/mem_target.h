/* Shared by the programs that read another process's memory: an address that
 * is mapped in the target (from /proc/PID/maps when readable), else a low
 * unmapped one, so that EFAULT/EIO still tells "got past the permission check". */
#ifndef SBX_ESCAPE_MEM_TARGET_H
#define SBX_ESCAPE_MEM_TARGET_H
#include <stdio.h>

static inline unsigned long escape_target_addr(long pid, int *from_maps)
{
  char path[64];
  unsigned long start = 0, end = 0;
  char perms[8] = "";
  snprintf(path, sizeof path, "/proc/%ld/maps", pid);
  FILE *f = fopen(path, "re");
  *from_maps = 0;
  if (f) {
    while (fscanf(f, "%lx-%lx %7s%*[^\n]", &start, &end, perms) == 3)
      if (perms[0] == 'r') { *from_maps = 1; break; }
    fclose(f);
  }
  return *from_maps ? start : 0x10000;
}
#endif
