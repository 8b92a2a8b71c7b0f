/* Lookups over the generated syscall, group, arg32 and constant tables. */
#include "syscalls.h"
#include "syscall_table.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Suggestions compare names of at most this length; syscall, group and
 * constant names are all far shorter, and a longer input cannot be within
 * distance 3 of any of them. */
#define SUGGEST_MAX_LEN 64
#define SUGGEST_MAX_DIST 3

static bool arch_ok(enum sbx_arch arch)
{
	return (unsigned)arch < SBX_ARCH_COUNT;
}

const struct sbx_arch_info *sbx_arch_info(enum sbx_arch arch)
{
	return arch_ok(arch) ? &sbx_arch_infos[arch] : NULL;
}

enum sbx_arch sbx_arch_native(void)
{
#if defined(__x86_64__) && !defined(__ILP32__)
	return SBX_ARCH_X86_64;
#elif defined(__aarch64__)
	return SBX_ARCH_AARCH64;
#else
#error "sbx supports x86_64 and aarch64"
#endif
}

int sbx_arch_from_name(const char *name)
{
	if (!name)
		return -1;
	if (!strcmp(name, "x86_64") || !strcmp(name, "amd64"))
		return SBX_ARCH_X86_64;
	if (!strcmp(name, "aarch64") || !strcmp(name, "arm64"))
		return SBX_ARCH_AARCH64;
	return -1;
}

static int by_name_cmp(const void *key, const void *elem)
{
	return strcmp(key, sbx_str(((const struct sbx_syscall_entry *)elem)->name));
}

static int str_cmp(const void *key, const void *elem)
{
	return strcmp(key, sbx_str(*(const sbx_strofs *)elem));
}

static bool known_anywhere(const char *name)
{
	return bsearch(name, sbx_syscall_names_all, sbx_syscall_names_all_count,
		       sizeof(sbx_syscall_names_all[0]), str_cmp) != NULL;
}

int sbx_syscall_lookup(enum sbx_arch arch, const char *name)
{
	const struct sbx_syscall_arch_table *t;
	const struct sbx_syscall_entry *e;

	if (!name || !arch_ok(arch))
		return -EINVAL;
	t = &sbx_syscall_tables[arch];
	e = bsearch(name, &sbx_syscall_by_name[t->by_name], t->count,
		    sizeof(sbx_syscall_by_name[0]), by_name_cmp);
	if (e)
		return e->nr;
	return known_anywhere(name) ? -ENOSYS : -ENOENT;
}

const char *sbx_syscall_name(enum sbx_arch arch, int nr)
{
	const struct sbx_syscall_arch_table *t;
	sbx_strofs off;

	if (!arch_ok(arch))
		return NULL;
	t = &sbx_syscall_tables[arch];
	if (nr < 0 || nr > t->max_nr)
		return NULL;
	off = sbx_syscall_by_nr[t->by_nr + nr];
	return off == SBX_STR_NONE ? NULL : sbx_str(off);
}

size_t sbx_syscall_all_count(void)
{
	return sbx_syscall_names_all_count;
}

const char *sbx_syscall_all_name(size_t i)
{
	return i < sbx_syscall_names_all_count ? sbx_str(sbx_syscall_names_all[i]) : NULL;
}

static int group_cmp(const void *key, const void *elem)
{
	return strcmp(key, sbx_str(((const struct sbx_syscall_group *)elem)->name));
}

const struct sbx_syscall_group *sbx_syscall_group_find(const char *name)
{
	if (!name)
		return NULL;
	return bsearch(name, sbx_syscall_group_table, sbx_syscall_group_table_count,
		       sizeof(sbx_syscall_group_table[0]), group_cmp);
}

size_t sbx_syscall_group_count(void)
{
	return sbx_syscall_group_table_count;
}

const struct sbx_syscall_group *sbx_syscall_group_at(size_t i)
{
	return i < sbx_syscall_group_table_count ? &sbx_syscall_group_table[i] : NULL;
}

const char *sbx_syscall_group_name(const struct sbx_syscall_group *g)
{
	return sbx_str(g->name);
}

const char *sbx_syscall_group_description(const struct sbx_syscall_group *g)
{
	return sbx_str(g->description);
}

size_t sbx_syscall_group_size(const struct sbx_syscall_group *g)
{
	return g->count;
}

const char *sbx_syscall_group_member(const struct sbx_syscall_group *g, size_t i)
{
	return i < g->count ? sbx_str(sbx_syscall_group_members[g->members + i].name) : NULL;
}

int sbx_syscall_group_member_nr(const struct sbx_syscall_group *g, enum sbx_arch arch,
				size_t i)
{
	if (i >= g->count || !arch_ok(arch))
		return SBX_GROUP_NR_ABSENT;
	return sbx_syscall_group_members[g->members + i].nr[arch];
}

static int arg32_cmp(const void *key, const void *elem)
{
	int nr = *(const int *)key;
	int other = ((const struct sbx_arg32_entry *)elem)->nr;

	return (nr > other) - (nr < other);
}

unsigned sbx_syscall_arg32_mask(enum sbx_arch arch, int nr)
{
	const struct sbx_syscall_arch_table *t;
	const struct sbx_arg32_entry *e;

	if (!arch_ok(arch))
		return 0;
	t = &sbx_syscall_tables[arch];
	e = bsearch(&nr, &sbx_syscall_arg32[t->arg32], t->arg32_count,
		    sizeof(sbx_syscall_arg32[0]), arg32_cmp);
	return e ? e->mask : 0;
}

static int const_cmp(const void *key, const void *elem)
{
	return strcmp(key, sbx_str(((const struct sbx_const_entry *)elem)->name));
}

int sbx_const_lookup(enum sbx_arch arch, const char *name, uint64_t *value)
{
	const struct sbx_const_entry *e;

	if (!name || !value || !arch_ok(arch))
		return -EINVAL;
	e = bsearch(name, sbx_const_table, sbx_const_count, sizeof(sbx_const_table[0]),
		    const_cmp);
	if (!e || !(e->present & (1u << arch)))
		return -ENOENT;
	*value = e->value[arch];
	return 0;
}

/*
 * Levenshtein distance, case-insensitive (people type "af_unix" and
 * "EXECVE"). Two rows on the stack: callers bound both lengths by
 * SUGGEST_MAX_LEN, and the core does not allocate for an error message.
 */
static unsigned edit_distance(const char *a, size_t la, const char *b, size_t lb)
{
	unsigned prev[SUGGEST_MAX_LEN + 1], cur[SUGGEST_MAX_LEN + 1];

	for (size_t j = 0; j <= lb; j++)
		prev[j] = (unsigned)j;
	for (size_t i = 1; i <= la; i++) {
		cur[0] = (unsigned)i;
		for (size_t j = 1; j <= lb; j++) {
			unsigned ca = (unsigned char)a[i - 1], cb = (unsigned char)b[j - 1];
			unsigned sub = prev[j - 1];
			unsigned best;

			if (ca >= 'A' && ca <= 'Z')
				ca += 'a' - 'A';
			if (cb >= 'A' && cb <= 'Z')
				cb += 'a' - 'A';
			sub += ca != cb;
			best = sub;
			if (prev[j] + 1 < best)
				best = prev[j] + 1;
			if (cur[j - 1] + 1 < best)
				best = cur[j - 1] + 1;
			cur[j] = best;
		}
		memcpy(prev, cur, (lb + 1) * sizeof(prev[0]));
	}
	return prev[lb];
}

/* Keeps the closest candidate seen so far; the first of equals wins, which
 * gives "ties broken by table order". */
struct nearest {
	const char *input;
	size_t len;
	unsigned limit;
	unsigned best_dist;
	const char *best;
};

static void nearest_init(struct nearest *n, const char *input)
{
	n->input = input;
	n->len = strlen(input);
	/* A suggestion that rewrites most of a short word is noise ("ab" ->
	 * "brk"), so the distance must also stay below the input's length. */
	n->limit = n->len < SUGGEST_MAX_DIST + 1 ? (unsigned)n->len - 1 : SUGGEST_MAX_DIST;
	if (n->len == 0)
		n->limit = 0;
	n->best_dist = n->limit + 1;
	n->best = NULL;
}

static void nearest_offer(struct nearest *n, const char *candidate)
{
	size_t lc = strlen(candidate);
	size_t diff = lc > n->len ? lc - n->len : n->len - lc;
	unsigned d;

	if (n->len == 0 || n->len > SUGGEST_MAX_LEN || lc > SUGGEST_MAX_LEN ||
	    diff >= n->best_dist)
		return;
	d = edit_distance(n->input, n->len, candidate, lc);
	if (d < n->best_dist && d <= n->limit) {
		n->best_dist = d;
		n->best = candidate;
	}
}

const char *sbx_syscall_suggest(const char *name)
{
	struct nearest n;

	if (!name)
		return NULL;
	nearest_init(&n, name);
	for (size_t i = 0; i < sbx_syscall_names_all_count; i++)
		nearest_offer(&n, sbx_str(sbx_syscall_names_all[i]));
	for (size_t i = 0; i < sbx_syscall_group_table_count; i++)
		nearest_offer(&n, sbx_str(sbx_syscall_group_table[i].name));
	return n.best;
}

const char *sbx_const_suggest(const char *name)
{
	struct nearest n;

	if (!name)
		return NULL;
	nearest_init(&n, name);
	for (size_t i = 0; i < sbx_const_count; i++)
		nearest_offer(&n, sbx_str(sbx_const_table[i].name));
	return n.best;
}
