/*
 * Internals of the Docker-profile importer shared by its files:
 * docker_import.c reads and decides the profile into items (one per
 * applicable entry, name and rule), docker_import_merge.c applies
 * libseccomp's per-syscall precedence to them.
 */
#ifndef SBX_DOCKER_IMPORT_INT_H
#define SBX_DOCKER_IMPORT_INT_H

#include "seccomp.h"

#include <stddef.h>

struct sbx_docker_item {
	const char *name;
	struct sbx_action action;
	const struct sbx_arg_cond *conds; /* AND; NULL when nconds == 0 */
	size_t nconds;
	unsigned arch_mask;               /* SBX_ARCH_BIT()s where it applies */
	size_t entry;                     /* index in the profile's syscalls[] */
};

/*
 * Make items (in file order) mean under sbx's entry semantics what libseccomp
 * makes of the same rules added in the same order: per syscall and arch the
 * first unconditional item wins and every other item for that syscall is
 * dropped there (arch_mask bits cleared; 0 means dropped). Notes where a
 * dropped item had another action, and where conditional rules with
 * different actions overlap (sbx tries them in file order).
 * 0 or -ENOMEM (err filled).
 */
int sbx_docker_merge(struct sbx_docker_item *items, size_t n, struct sbx_notes *notes,
		     struct sbx_error *err);

/* docker_import_action.c: Docker's action names and what each means in sbx;
 * the first, SCMP_ACT_KILL, is libseccomp's alias of SCMP_ACT_KILL_THREAD. */
#define SBX_DOCKER_NACTIONS 9
struct sbx_docker_action {
	const char *name;
	enum sbx_action_kind kind;
};
extern const struct sbx_docker_action sbx_docker_actions[SBX_DOCKER_NACTIONS];

/* The action as Docker writes it ("SCMP_ACT_ERRNO(1)"), for notes. */
void sbx_docker_action_name(struct sbx_action a, char *buf, size_t cap);

/* Same action (kind and data)? */
static inline int sbx_docker_action_eq(struct sbx_action a, struct sbx_action b)
{
	return a.kind == b.kind && a.data == b.data;
}

#endif
