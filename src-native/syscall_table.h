/*
 * Layout of the generated tables (syscall_table.c, written by
 * scripts/gen-syscalls.mjs from src-native/syscalls/). Only syscalls.c reads
 * them; everyone else uses the functions in syscalls.h.
 */
#ifndef SBX_SYSCALL_TABLE_H
#define SBX_SYSCALL_TABLE_H

#include "syscalls.h"

struct sbx_syscall_entry {
	const char *name;
	int nr;
};

struct sbx_arg32_entry {
	int nr;
	unsigned mask;
};

struct sbx_syscall_arch_table {
	const struct sbx_syscall_entry *by_name;   /* sorted by name (strcmp) */
	size_t count;
	const char *const *by_nr;                  /* index nr, NULL for holes */
	int max_nr;
	const struct sbx_arg32_entry *arg32;       /* sorted by nr */
	size_t arg32_count;
};

struct sbx_const_entry {
	const char *name;
	uint64_t value[SBX_ARCH_COUNT];
	unsigned present;                          /* bit per enum sbx_arch */
};

extern const struct sbx_arch_info sbx_arch_infos[SBX_ARCH_COUNT];
extern const struct sbx_syscall_arch_table sbx_syscall_tables[SBX_ARCH_COUNT];

/* Union of the names of every arch, sorted. */
extern const char *const sbx_syscall_names_all[];
extern const size_t sbx_syscall_names_all_count;

/* Sorted by name. */
extern const struct sbx_syscall_group sbx_syscall_group_table[];
extern const size_t sbx_syscall_group_count;

/* Sorted by name. */
extern const struct sbx_const_entry sbx_const_table[];
extern const size_t sbx_const_count;

#endif
