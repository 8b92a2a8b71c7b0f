/*
 * Kernel constants the system headers may lack (they are Linux 6.1 here,
 * older elsewhere), in one place: whether the running kernel has a feature is
 * measured at run time, never inferred from the headers. Every macro is
 * guarded and spelled as in the kernel's UAPI, so the system header may come
 * before or after this one. The seccomp and Landlock families have their own
 * headers beside this one (seccomp_defs.h, included here; landlock_defs.h).
 */
#ifndef SBX_KERNEL_DEFS_H
#define SBX_KERNEL_DEFS_H

#include "seccomp_defs.h"

#include <sys/syscall.h>

/* namespaces (clone flags) */
#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000          /* 4.6 */
#endif
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080            /* 5.6 */
#endif

/* close_range(2), 5.9: the same number on every arch */
#ifndef __NR_close_range
#define __NR_close_range 436
#endif

/* ambient capabilities, 4.3 */
#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_IS_SET 1
#define PR_CAP_AMBIENT_RAISE 2
#define PR_CAP_AMBIENT_LOWER 3
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#endif

#endif /* SBX_KERNEL_DEFS_H */
