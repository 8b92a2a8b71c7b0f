/*
 * Layout of the generated tables (syscall_table.c, written by
 * scripts/gen-syscalls.mjs from src-native/syscalls/). Only syscalls.c reads
 * them; everyone else uses the functions in syscalls.h.
 *
 * The tables hold no pointers: a string is an offset into one pool,
 * sbx_syscall_strings, and each arch's or group's part of a table is an
 * index range of one shared array. libsbx.so is preloaded into every
 * sandboxed process, and each pointer in a shared library's table is a
 * relocation the dynamic loader applies at every start, on a page it must
 * then copy: with name pointers these tables were ~2800 relocations on
 * 12 pages.
 */
#ifndef SBX_SYSCALL_TABLE_H
#define SBX_SYSCALL_TABLE_H

#include "syscalls.h"

/* Offset into sbx_syscall_strings (the generator checks the pool fits). */
typedef uint16_t sbx_strofs;

/* Offset 0 is the empty string, which is no name: a hole in by_nr. */
#define SBX_STR_NONE 0

extern const char sbx_syscall_strings[];

static inline const char *sbx_str(sbx_strofs off)
{
	return sbx_syscall_strings + off;
}

struct sbx_syscall_entry {
	sbx_strofs name;
	uint16_t nr;                 /* < 1024, checked by the generator */
};

struct sbx_arg32_entry {
	int nr;
	unsigned mask;
};

/* Index ranges of the shared arrays below. */
struct sbx_syscall_arch_table {
	uint16_t by_name, count;     /* sbx_syscall_by_name, sorted by name (strcmp) */
	uint16_t by_nr, max_nr;      /* sbx_syscall_by_nr[by_nr + nr], 0 <= nr <= max_nr */
	uint16_t arg32, arg32_count; /* sbx_syscall_arg32, sorted by nr */
};

struct sbx_const_entry {
	uint64_t value[SBX_ARCH_COUNT];
	sbx_strofs name;
	uint16_t present;            /* bit per enum sbx_arch */
};

struct sbx_syscall_group {
	sbx_strofs name;             /* with the leading '@' */
	sbx_strofs description;
	uint16_t members, count;     /* range of sbx_syscall_group_members, sorted by name */
};

struct sbx_syscall_group_member {
	sbx_strofs name;             /* a syscall, or a group ("@...") */
	/* What sbx_syscall_lookup() gives on each arch, or SBX_GROUP_NR_GROUP,
	 * SBX_GROUP_NR_ABSENT. */
	int16_t nr[SBX_ARCH_COUNT];
};

extern const struct sbx_arch_info sbx_arch_infos[SBX_ARCH_COUNT];
extern const struct sbx_syscall_arch_table sbx_syscall_tables[SBX_ARCH_COUNT];
extern const struct sbx_syscall_entry sbx_syscall_by_name[];
extern const sbx_strofs sbx_syscall_by_nr[];
extern const struct sbx_arg32_entry sbx_syscall_arg32[];

/* Union of the names of every arch, sorted. */
extern const sbx_strofs sbx_syscall_names_all[];
extern const size_t sbx_syscall_names_all_count;

/* Sorted by name. */
extern const struct sbx_syscall_group sbx_syscall_group_table[];
extern const size_t sbx_syscall_group_table_count;
extern const struct sbx_syscall_group_member sbx_syscall_group_members[];

/* Sorted by name. */
extern const struct sbx_const_entry sbx_const_table[];
extern const size_t sbx_const_count;

#endif
