/*
 * Seccomp UAPI constants independent of the installed kernel headers.
 *
 * Why: sbx is built against whatever headers the build machine has (Linux
 * 6.1 here, older elsewhere) but must name every action and flag the running
 * kernel may offer; whether the kernel really has them is measured at run
 * time (probe_seccomp.c), never inferred from the headers. Every macro is
 * guarded and spelled as in include/uapi/linux/seccomp.h, so including
 * <linux/seccomp.h> before or after this header is harmless.
 *
 * Kernel versions that added them:
 *   SECCOMP_GET_ACTION_AVAIL, RET_LOG, FILTER_FLAG_LOG          4.14
 *   RET_KILL_PROCESS                                            4.14
 *   FILTER_FLAG_SPEC_ALLOW                                      4.17
 *   RET_USER_NOTIF, FILTER_FLAG_NEW_LISTENER, GET_NOTIF_SIZES   5.0
 *   FILTER_FLAG_TSYNC_ESRCH                                     5.7
 *   USER_NOTIF_FLAG_CONTINUE                                    5.5
 *   NOTIF_ADDFD (FLAG_SETFD), ADDFD_FLAG_SEND                   5.9, 5.14
 *   FILTER_FLAG_WAIT_KILLABLE_RECV                              5.19
 *   IOCTL_NOTIF_SET_FLAGS, USER_NOTIF_FD_SYNC_WAKE_UP           6.6
 */
#ifndef SBX_SECCOMP_DEFS_H
#define SBX_SECCOMP_DEFS_H

#include <linux/ioctl.h>
#include <linux/types.h>
#include <sys/syscall.h>

#ifndef __NR_seccomp
# if defined(__x86_64__)
#  define __NR_seccomp 317
# elif defined(__aarch64__)
#  define __NR_seccomp 277
# endif
#endif

/* seccomp(2) operations */
#ifndef SECCOMP_SET_MODE_STRICT
#define SECCOMP_SET_MODE_STRICT		0
#endif
#ifndef SECCOMP_SET_MODE_FILTER
#define SECCOMP_SET_MODE_FILTER		1
#endif
#ifndef SECCOMP_GET_ACTION_AVAIL
#define SECCOMP_GET_ACTION_AVAIL	2
#endif
#ifndef SECCOMP_GET_NOTIF_SIZES
#define SECCOMP_GET_NOTIF_SIZES		3
#endif

/* modes, as in /proc/<pid>/status "Seccomp:" and PR_GET_SECCOMP */
#ifndef SECCOMP_MODE_DISABLED
#define SECCOMP_MODE_DISABLED	0
#endif
#ifndef SECCOMP_MODE_STRICT
#define SECCOMP_MODE_STRICT	1
#endif
#ifndef SECCOMP_MODE_FILTER
#define SECCOMP_MODE_FILTER	2
#endif

/* SECCOMP_SET_MODE_FILTER flags */
#ifndef SECCOMP_FILTER_FLAG_TSYNC
#define SECCOMP_FILTER_FLAG_TSYNC		(1UL << 0)
#endif
#ifndef SECCOMP_FILTER_FLAG_LOG
#define SECCOMP_FILTER_FLAG_LOG			(1UL << 1)
#endif
#ifndef SECCOMP_FILTER_FLAG_SPEC_ALLOW
#define SECCOMP_FILTER_FLAG_SPEC_ALLOW		(1UL << 2)
#endif
#ifndef SECCOMP_FILTER_FLAG_NEW_LISTENER
#define SECCOMP_FILTER_FLAG_NEW_LISTENER	(1UL << 3)
#endif
#ifndef SECCOMP_FILTER_FLAG_TSYNC_ESRCH
#define SECCOMP_FILTER_FLAG_TSYNC_ESRCH		(1UL << 4)
#endif
#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV	(1UL << 5)
#endif

/* filter return values */
#ifndef SECCOMP_RET_KILL_PROCESS
#define SECCOMP_RET_KILL_PROCESS 0x80000000U
#endif
#ifndef SECCOMP_RET_KILL_THREAD
#define SECCOMP_RET_KILL_THREAD	 0x00000000U
#endif
#ifndef SECCOMP_RET_TRAP
#define SECCOMP_RET_TRAP	 0x00030000U
#endif
#ifndef SECCOMP_RET_ERRNO
#define SECCOMP_RET_ERRNO	 0x00050000U
#endif
#ifndef SECCOMP_RET_USER_NOTIF
#define SECCOMP_RET_USER_NOTIF	 0x7fc00000U
#endif
#ifndef SECCOMP_RET_TRACE
#define SECCOMP_RET_TRACE	 0x7ff00000U
#endif
#ifndef SECCOMP_RET_LOG
#define SECCOMP_RET_LOG		 0x7ffc0000U
#endif
#ifndef SECCOMP_RET_ALLOW
#define SECCOMP_RET_ALLOW	 0x7fff0000U
#endif
#ifndef SECCOMP_RET_ACTION_FULL
#define SECCOMP_RET_ACTION_FULL	0xffff0000U
#endif
#ifndef SECCOMP_RET_ACTION
#define SECCOMP_RET_ACTION	0x7fff0000U
#endif
#ifndef SECCOMP_RET_DATA
#define SECCOMP_RET_DATA	0x0000ffffU
#endif

/* user notification */
#ifndef SECCOMP_USER_NOTIF_FLAG_CONTINUE
#define SECCOMP_USER_NOTIF_FLAG_CONTINUE (1UL << 0)
#endif
#ifndef SECCOMP_ADDFD_FLAG_SETFD
#define SECCOMP_ADDFD_FLAG_SETFD	(1UL << 0)
#endif
#ifndef SECCOMP_ADDFD_FLAG_SEND
#define SECCOMP_ADDFD_FLAG_SEND		(1UL << 1)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (1UL << 0)
#endif
#ifndef SECCOMP_IOC_MAGIC
#define SECCOMP_IOC_MAGIC		'!'
#endif
#ifndef SECCOMP_IOW
#define SECCOMP_IOW(nr, type)		_IOW(SECCOMP_IOC_MAGIC, nr, type)
#endif
#ifndef SECCOMP_IOWR
#define SECCOMP_IOWR(nr, type)		_IOWR(SECCOMP_IOC_MAGIC, nr, type)
#endif
/* The notification structs themselves are in every header that has
 * RET_USER_NOTIF (5.0+), with the ioctls below; a header older than that
 * has neither (the ioctls then name structs it lacks, and only code that
 * uses them fails to build); the 6.6 ioctl is missing from 6.1 headers. */
#ifndef SECCOMP_IOCTL_NOTIF_RECV
#define SECCOMP_IOCTL_NOTIF_RECV	SECCOMP_IOWR(0, struct seccomp_notif)
#endif
#ifndef SECCOMP_IOCTL_NOTIF_SEND
#define SECCOMP_IOCTL_NOTIF_SEND	SECCOMP_IOWR(1, struct seccomp_notif_resp)
#endif
#ifndef SECCOMP_IOCTL_NOTIF_ID_VALID
#define SECCOMP_IOCTL_NOTIF_ID_VALID	SECCOMP_IOW(2, __u64)
#endif
#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS	SECCOMP_IOW(4, __u64)
#endif

#endif /* SBX_SECCOMP_DEFS_H */
