/*
 * libseccomp's precedence between rules of one syscall, replayed on the
 * importer's items so that sbx's ordered entry semantics give the verdicts
 * Docker gives. libseccomp's db_rule_add(): a syscall that already has an
 * unconditional rule ignores every later rule for it; an unconditional rule
 * added after conditional ones replaces them. So per syscall and arch: the
 * first unconditional rule, if any, alone decides; else all conditional
 * rules stand. After this pass no syscall has both kinds on one arch, and
 * the emission order no longer matters between the two kinds.
 */
#include "docker_import_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ref {
	const char *name;
	size_t idx;
};

static int ref_cmp(const void *a, const void *b)
{
	const struct ref *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c)
		return c;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static void arch_list(unsigned mask, char *buf, size_t cap)
{
	size_t len = 0;

	buf[0] = '\0';
	for (int a = 0; a < SBX_ARCH_COUNT; a++) {
		if (!(mask & SBX_ARCH_BIT(a)) || len >= cap)
			continue;
		int n = snprintf(buf + len, cap - len, "%s%s", len ? ", " : "",
				 sbx_arch_info(a)->name);
		if (n > 0)
			len += (size_t)n;
	}
}

/* Does any arch in `lost` have a winner whose action differs from a? */
static int differs(unsigned lost, const struct sbx_action *winner, struct sbx_action a)
{
	for (int arch = 0; arch < SBX_ARCH_COUNT; arch++)
		if ((lost & SBX_ARCH_BIT(arch)) && !sbx_docker_action_eq(winner[arch], a))
			return 1;
	return 0;
}

static void note_shadowed(struct sbx_notes *notes, const struct sbx_docker_item *it,
			  unsigned lost)
{
	char arches[64], act[48];

	if (!notes)
		return;
	arch_list(lost, arches, sizeof(arches));
	sbx_docker_action_name(it->action, act, sizeof(act));
	sbx_notes_add(notes,
		      "/syscalls/%zu: %s %s ignored on %s: an earlier unconditional "
		      "entry decides %s there (libseccomp keeps a syscall's first "
		      "unconditional rule)",
		      it->entry, it->name, act, arches, it->name);
}

static void merge_group(struct sbx_docker_item *items, const struct ref *g, size_t n,
			struct sbx_notes *notes)
{
	struct sbx_action winner[SBX_ARCH_COUNT];
	unsigned taken = 0;

	memset(winner, 0, sizeof(winner));
	for (size_t i = 0; i < n; i++) {
		struct sbx_docker_item *it = &items[g[i].idx];
		unsigned lost = it->arch_mask & taken;

		if (it->nconds)
			continue;
		if (lost && differs(lost, winner, it->action))
			note_shadowed(notes, it, lost);
		for (int a = 0; a < SBX_ARCH_COUNT; a++)
			if ((it->arch_mask & ~taken) & SBX_ARCH_BIT(a))
				winner[a] = it->action;
		taken |= it->arch_mask;
		it->arch_mask &= ~lost;
	}
	for (size_t i = 0; i < n; i++) {
		struct sbx_docker_item *it = &items[g[i].idx];
		unsigned lost = it->arch_mask & taken;

		if (!it->nconds || !lost)
			continue;
		if (differs(lost, winner, it->action))
			note_shadowed(notes, it, lost);
		it->arch_mask &= ~lost;
	}
	/* Overlapping conditional rules with different actions: libseccomp
	 * orders its argument tree by argument and value, sbx by file order;
	 * the two agree unless one input satisfies rules of both actions. */
	for (size_t i = 0; i < n; i++) {
		const struct sbx_docker_item *a = &items[g[i].idx];
		for (size_t j = i + 1; a->nconds && j < n; j++) {
			const struct sbx_docker_item *b = &items[g[j].idx];
			if (b->nconds && (a->arch_mask & b->arch_mask) &&
			    !sbx_docker_action_eq(a->action, b->action)) {
				if (notes)
					sbx_notes_add(notes,
						      "/syscalls/%zu and /syscalls/%zu: %s has "
						      "conditional rules with different actions; "
						      "sbx tries them in file order, first match wins",
						      a->entry, b->entry, a->name);
				return;
			}
		}
	}
}

int sbx_docker_merge(struct sbx_docker_item *items, size_t n, struct sbx_notes *notes,
		     struct sbx_error *err)
{
	struct ref *refs;

	if (n == 0)
		return 0;
	refs = calloc(n, sizeof(*refs));
	if (!refs)
		return sbx_error_set(err, SBX_ENOMEM, ENOMEM, NULL, "out of memory");
	for (size_t i = 0; i < n; i++)
		refs[i] = (struct ref){ items[i].name, i };
	qsort(refs, n, sizeof(*refs), ref_cmp);
	for (size_t i = 0, j; i < n; i = j) {
		for (j = i + 1; j < n && strcmp(refs[j].name, refs[i].name) == 0; j++)
			;
		merge_group(items, refs + i, j - i, notes);
	}
	free(refs);
	return 0;
}
