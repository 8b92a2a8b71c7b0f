/*
 * Syscall tables, groups and named constants, per architecture.
 *
 * The numbers are facts kept as data in the files of src-native/syscalls/ (with
 * their provenance in src-native/syscalls/README.md); scripts/gen-syscalls.mjs
 * turns them into syscall_table.c, which is committed, and a test checks the
 * two agree. The system headers stop at Linux 6.1, so nothing here may come
 * from <asm/unistd.h>.
 */
#ifndef SBX_SYSCALLS_H
#define SBX_SYSCALLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum sbx_arch {
	SBX_ARCH_X86_64 = 0,
	SBX_ARCH_AARCH64 = 1,
	SBX_ARCH_COUNT
};

struct sbx_arch_info {
	const char *name;        /* "x86_64", "aarch64" */
	uint32_t audit_arch;     /* AUDIT_ARCH_X86_64 = 0xc000003e, AUDIT_ARCH_AARCH64 = 0xc00000b7 */
	int max_nr;              /* highest syscall number in the table */
	/* x86_64 only: numbers >= this with bit 30 set are x32 (0x40000000) */
	uint32_t x32_bit;        /* 0x40000000 on x86_64, 0 elsewhere */
};

const struct sbx_arch_info *sbx_arch_info(enum sbx_arch arch);

/* The arch sbx was compiled for. */
enum sbx_arch sbx_arch_native(void);

/* "x86_64"/"amd64"/"aarch64"/"arm64" -> arch; -1 if unknown. */
int sbx_arch_from_name(const char *name);

/*
 * Name -> number on `arch`.
 * Returns the number (>= 0),
 *   -ENOSYS  if the name is a real Linux syscall that this arch does not have
 *            (e.g. "open" on aarch64): callers skip it with a note,
 *   -ENOENT  if no arch knows the name: callers report SBX_ESYSCALL.
 */
int sbx_syscall_lookup(enum sbx_arch arch, const char *name);

/* Number -> name on `arch`, or NULL for a hole in the table. */
const char *sbx_syscall_name(enum sbx_arch arch, int nr);

/* Every distinct syscall name known on any arch, for suggestions/iteration:
 * sorted, static; the i-th name, or NULL for i >= sbx_syscall_all_count(). */
size_t sbx_syscall_all_count(void);
const char *sbx_syscall_all_name(size_t i);

/*
 * Nearest known syscall or group name to `name` (edit distance, at most 3,
 * ties broken by table order), or NULL. Groups are offered with their "@".
 */
const char *sbx_syscall_suggest(const char *name);

/* ---- groups -----------------------------------------------------------------
 * systemd-style names ("@system-service"). A group's members are syscall
 * names or other group names ("@..."); members absent on an arch are skipped
 * by the caller (lookup gives -ENOSYS). Group definitions live in
 * src-native/syscalls/groups.txt. A group is read through the functions
 * below (its table holds offsets, not pointers: see syscall_table.h); the
 * strings they return are static. */
struct sbx_syscall_group;

#define SBX_GROUP_NR_GROUP (-1)   /* the member is a group ("@...")        */
#define SBX_GROUP_NR_ABSENT (-2)  /* not a syscall on this arch            */

/* Group by name (with '@'), or NULL. */
const struct sbx_syscall_group *sbx_syscall_group_find(const char *name);

/* All groups, sorted by name: the i-th, or NULL for i >= the count. */
size_t sbx_syscall_group_count(void);
const struct sbx_syscall_group *sbx_syscall_group_at(size_t i);

/* The name, with its leading '@'. */
const char *sbx_syscall_group_name(const struct sbx_syscall_group *g);

/* One line, for `sbx explain` and docs. */
const char *sbx_syscall_group_description(const struct sbx_syscall_group *g);

/* Members, sorted by name: the i-th, or NULL for i >= the size. */
size_t sbx_syscall_group_size(const struct sbx_syscall_group *g);
const char *sbx_syscall_group_member(const struct sbx_syscall_group *g, size_t i);

/* The i-th member's number on `arch`, resolved by the generator (what
 * sbx_syscall_lookup() gives), or SBX_GROUP_NR_GROUP, or SBX_GROUP_NR_ABSENT
 * (also for i or arch out of range). */
int sbx_syscall_group_member_nr(const struct sbx_syscall_group *g, enum sbx_arch arch,
				size_t i);

/* ---- argument widths ----------------------------------------------------------
 * Bit i set when argument i of the syscall is a 32-bit int in the kernel
 * (`int`, `unsigned int`), so a filter must compare only the low word:
 * the kernel truncates, so high bits could otherwise smuggle a value past a
 * rule (e.g. ioctl(fd, TIOCSTI | 1ULL << 32)). 0 when all args are 64-bit or
 * the syscall is unknown. */
unsigned sbx_syscall_arg32_mask(enum sbx_arch arch, int nr);

/* ---- named constants ----------------------------------------------------------
 * AF_*, SOCK_*, CLONE_*, PROT_*, MAP_*, O_*, TIOC*, PR_*, ... as used in
 * argument rules. Values can differ per arch (O_DIRECTORY on aarch64).
 * Returns 0 and sets *value, or -ENOENT. */
int sbx_const_lookup(enum sbx_arch arch, const char *name, uint64_t *value);

/* Nearest constant name (for "unknown constant" errors), or NULL. */
const char *sbx_const_suggest(const char *name);

#endif
