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

/* The mount API (5.2, mount_setattr 5.12): the launcher's view and paths,
 * the probe's checks of what the host allows. */
#ifndef __NR_open_tree
#define __NR_open_tree 428
#endif
#ifndef __NR_move_mount
#define __NR_move_mount 429
#endif
#ifndef __NR_mount_setattr
#define __NR_mount_setattr 442
#endif
#ifndef __NR_pivot_root
#define __NR_pivot_root 155
#endif
#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif
#ifndef OPEN_TREE_CLOEXEC
#define OPEN_TREE_CLOEXEC O_CLOEXEC
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif
#ifndef MOVE_MOUNT_F_EMPTY_PATH
#define MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#endif
#ifndef MOVE_MOUNT_T_EMPTY_PATH
#define MOVE_MOUNT_T_EMPTY_PATH 0x00000040
#endif

#endif /* SBX_KERNEL_DEFS_H */
