/*
 * Landlock UAPI as of ABI 8 (and ABI 9's unix-socket right, for reference),
 * independent of the installed kernel headers.
 *
 * Why: the build machines carry Linux 6.1 headers (ABI 2 at most, without
 * handled_access_net or scoped in struct landlock_ruleset_attr) while sbx must
 * use every right the running kernel offers. Macros are guarded with #ifndef
 * and spelled exactly as in include/uapi/linux/landlock.h, so including the
 * system header before or after this one is harmless. The structures carry an
 * sbx_ prefix because the system header may define shorter versions of them.
 *
 * ABI history (what each version added):
 *   1 (5.13)  filesystem rights EXECUTE .. MAKE_SYM
 *   2 (5.19)  FS_REFER
 *   3 (6.2)   FS_TRUNCATE
 *   4 (6.7)   handled_access_net: NET_BIND_TCP, NET_CONNECT_TCP
 *   5 (6.10)  FS_IOCTL_DEV
 *   6 (6.12)  scoped: SCOPE_ABSTRACT_UNIX_SOCKET, SCOPE_SIGNAL
 *   7 (6.15)  restrict_self flags LOG_SAME_EXEC_OFF, LOG_NEW_EXEC_ON,
 *             LOG_SUBDOMAINS_OFF; create_ruleset flag ERRATA
 *   8         restrict_self flag TSYNC (all threads of the process). Its value
 *             is taken from the upstream patch "landlock: Multithreading
 *             support for landlock_restrict_self()" (uapi landlock.h,
 *             LANDLOCK_RESTRICT_SELF_TSYNC = 1U << 3, landlock_abi_version
 *             = 8) and the kernel selftests that use it.
 *   9         FS_RESOLVE_UNIX: connect(2) and sendmsg(2) with a recipient to a
 *             pathname unix socket created outside the domain (sockets of the
 *             domain stay reachable). Value from the upstream series
 *             "landlock: Control pathname UNIX domain socket resolution by
 *             path" (Linux 7.1; util-linux setpriv's table: 1ULL << 16).
 *             Defined for reference only: sbx does not handle it yet (this
 *             kernel has ABI 7); net.unixPaths is enforced by the spawn
 *             door's supervisor instead (src-native/prepare_unix.c).
 */
#ifndef SBX_LANDLOCK_DEFS_H
#define SBX_LANDLOCK_DEFS_H

#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The same numbers on every architecture (the unified syscall table). */
#ifndef __NR_landlock_create_ruleset
#define __NR_landlock_create_ruleset 444
#endif
#ifndef __NR_landlock_add_rule
#define __NR_landlock_add_rule 445
#endif
#ifndef __NR_landlock_restrict_self
#define __NR_landlock_restrict_self 446
#endif

/* landlock_create_ruleset() flags */
#ifndef LANDLOCK_CREATE_RULESET_VERSION
#define LANDLOCK_CREATE_RULESET_VERSION			(1U << 0)
#endif
#ifndef LANDLOCK_CREATE_RULESET_ERRATA
#define LANDLOCK_CREATE_RULESET_ERRATA			(1U << 1)
#endif

/* rule types (an enum in the UAPI header, hence our own names) */
#define SBX_LANDLOCK_RULE_PATH_BENEATH 1
#define SBX_LANDLOCK_RULE_NET_PORT 2

/* filesystem rights */
#ifndef LANDLOCK_ACCESS_FS_EXECUTE
#define LANDLOCK_ACCESS_FS_EXECUTE			(1ULL << 0)
#endif
#ifndef LANDLOCK_ACCESS_FS_WRITE_FILE
#define LANDLOCK_ACCESS_FS_WRITE_FILE			(1ULL << 1)
#endif
#ifndef LANDLOCK_ACCESS_FS_READ_FILE
#define LANDLOCK_ACCESS_FS_READ_FILE			(1ULL << 2)
#endif
#ifndef LANDLOCK_ACCESS_FS_READ_DIR
#define LANDLOCK_ACCESS_FS_READ_DIR			(1ULL << 3)
#endif
#ifndef LANDLOCK_ACCESS_FS_REMOVE_DIR
#define LANDLOCK_ACCESS_FS_REMOVE_DIR			(1ULL << 4)
#endif
#ifndef LANDLOCK_ACCESS_FS_REMOVE_FILE
#define LANDLOCK_ACCESS_FS_REMOVE_FILE			(1ULL << 5)
#endif
#ifndef LANDLOCK_ACCESS_FS_MAKE_CHAR
#define LANDLOCK_ACCESS_FS_MAKE_CHAR			(1ULL << 6)
#endif
#ifndef LANDLOCK_ACCESS_FS_MAKE_DIR
#define LANDLOCK_ACCESS_FS_MAKE_DIR			(1ULL << 7)
#endif
#ifndef LANDLOCK_ACCESS_FS_MAKE_REG
#define LANDLOCK_ACCESS_FS_MAKE_REG			(1ULL << 8)
#endif
#ifndef LANDLOCK_ACCESS_FS_MAKE_SOCK
#define LANDLOCK_ACCESS_FS_MAKE_SOCK			(1ULL << 9)
#endif
#ifndef LANDLOCK_ACCESS_FS_MAKE_FIFO
#define LANDLOCK_ACCESS_FS_MAKE_FIFO			(1ULL << 10)
#endif
#ifndef LANDLOCK_ACCESS_FS_MAKE_BLOCK
#define LANDLOCK_ACCESS_FS_MAKE_BLOCK			(1ULL << 11)
#endif
#ifndef LANDLOCK_ACCESS_FS_MAKE_SYM
#define LANDLOCK_ACCESS_FS_MAKE_SYM			(1ULL << 12)
#endif
#ifndef LANDLOCK_ACCESS_FS_REFER
#define LANDLOCK_ACCESS_FS_REFER			(1ULL << 13)
#endif
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE			(1ULL << 14)
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV			(1ULL << 15)
#endif
/* ABI 9; not used yet (see the history above). */
#ifndef LANDLOCK_ACCESS_FS_RESOLVE_UNIX
#define LANDLOCK_ACCESS_FS_RESOLVE_UNIX			(1ULL << 16)
#endif

/* network rights (ABI 4) */
#ifndef LANDLOCK_ACCESS_NET_BIND_TCP
#define LANDLOCK_ACCESS_NET_BIND_TCP			(1ULL << 0)
#endif
#ifndef LANDLOCK_ACCESS_NET_CONNECT_TCP
#define LANDLOCK_ACCESS_NET_CONNECT_TCP			(1ULL << 1)
#endif

/* scopes (ABI 6) */
#ifndef LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET
#define LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET		(1ULL << 0)
#endif
#ifndef LANDLOCK_SCOPE_SIGNAL
#define LANDLOCK_SCOPE_SIGNAL				(1ULL << 1)
#endif

/* landlock_restrict_self() flags (ABI 7, TSYNC: ABI 8) */
#ifndef LANDLOCK_RESTRICT_SELF_LOG_SAME_EXEC_OFF
#define LANDLOCK_RESTRICT_SELF_LOG_SAME_EXEC_OFF		(1U << 0)
#endif
#ifndef LANDLOCK_RESTRICT_SELF_LOG_NEW_EXEC_ON
#define LANDLOCK_RESTRICT_SELF_LOG_NEW_EXEC_ON			(1U << 1)
#endif
#ifndef LANDLOCK_RESTRICT_SELF_LOG_SUBDOMAINS_OFF
#define LANDLOCK_RESTRICT_SELF_LOG_SUBDOMAINS_OFF		(1U << 2)
#endif
#ifndef LANDLOCK_RESTRICT_SELF_TSYNC
#define LANDLOCK_RESTRICT_SELF_TSYNC				(1U << 3)
#endif

/* All rights known at each ABI, for "handle everything this kernel has". */
#define SBX_LANDLOCK_FS_ABI1 ((1ULL << 13) - 1)
#define SBX_LANDLOCK_FS_ABI2 (SBX_LANDLOCK_FS_ABI1 | LANDLOCK_ACCESS_FS_REFER)
#define SBX_LANDLOCK_FS_ABI3 (SBX_LANDLOCK_FS_ABI2 | LANDLOCK_ACCESS_FS_TRUNCATE)
#define SBX_LANDLOCK_FS_ABI5 (SBX_LANDLOCK_FS_ABI3 | LANDLOCK_ACCESS_FS_IOCTL_DEV)
#define SBX_LANDLOCK_NET_ABI4 \
	(LANDLOCK_ACCESS_NET_BIND_TCP | LANDLOCK_ACCESS_NET_CONNECT_TCP)
#define SBX_LANDLOCK_SCOPE_ABI6 \
	(LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET | LANDLOCK_SCOPE_SIGNAL)

/* struct landlock_ruleset_attr at ABI 6. Pass the smallest size that covers
 * the members in use: kernels before 6.7 (ABI < 4) reject a larger size only
 * if the extra bytes are non-zero (E2BIG), so zeroed tails are fine. */
struct sbx_landlock_ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;   /* ABI 4 */
	uint64_t scoped;               /* ABI 6 */
};

struct sbx_landlock_path_beneath_attr {
	uint64_t allowed_access;
	int32_t parent_fd;
} __attribute__((packed));

struct sbx_landlock_net_port_attr {
	uint64_t allowed_access;
	uint64_t port;
};

static inline int sbx_landlock_create_ruleset(
	const struct sbx_landlock_ruleset_attr *attr, size_t size, uint32_t flags)
{
	return (int)syscall(__NR_landlock_create_ruleset, attr, size, flags);
}

static inline int sbx_landlock_add_rule(int ruleset_fd, int rule_type,
					const void *rule_attr, uint32_t flags)
{
	return (int)syscall(__NR_landlock_add_rule, ruleset_fd, rule_type,
			    rule_attr, flags);
}

static inline int sbx_landlock_restrict_self(int ruleset_fd, uint32_t flags)
{
	return (int)syscall(__NR_landlock_restrict_self, ruleset_fd, flags);
}

/* ---- other uapi values newer than the 6.1 headers ---------------------------
 * Read by scripts/uapi-constants.c for the named-constant table
 * (src-native/syscalls/constants.tsv), spelled as in the 6.18 uapi headers. */
#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25                 /* asm-generic/mman-common.h, 6.1 */
#endif
#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102           /* asm-generic/mman-common.h, 6.13 */
#endif
#ifndef MADV_GUARD_REMOVE
#define MADV_GUARD_REMOVE 103            /* asm-generic/mman-common.h, 6.13 */
#endif
#ifndef PR_GET_AUXV
#define PR_GET_AUXV 0x41555856           /* linux/prctl.h, 6.4 */
#endif

#endif /* SBX_LANDLOCK_DEFS_H */
