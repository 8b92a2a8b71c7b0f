/* Random seccomp specs from bytes (see spec_gen.h). */
#include "spec_gen.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct reader {
	const uint8_t *p;
	size_t left;
};

static uint8_t u8(struct reader *r)
{
	if (!r->left)
		return 0;
	r->left--;
	return *r->p++;
}

static uint16_t u16(struct reader *r)
{
	return (uint16_t)(u8(r) | (u8(r) << 8));
}

static uint32_t u32(struct reader *r)
{
	return (uint32_t)u16(r) | ((uint32_t)u16(r) << 16);
}

static uint64_t u64(struct reader *r)
{
	return (uint64_t)u32(r) | ((uint64_t)u32(r) << 32);
}

/* Values that sit on the edges where 64-bit compares go wrong. */
static uint64_t value(struct reader *r)
{
	switch (u8(r) % 12) {
	case 0: return 0;
	case 1: return u8(r);
	case 2: return u32(r);
	case 3: return u64(r);
	case 4: return UINT64_MAX;
	case 5: return 0xffffffffu;
	case 6: return 1ull << 32;
	case 7: return 0x80000000u;
	case 8: return ((uint64_t)u8(r) << 32) | u8(r);
	case 9: return 0xffffffff00000000ull | u32(r);
	case 10: return 1ull << (u8(r) % 64);
	default: return (uint64_t)u16(r) << (u8(r) % 48);
	}
}

static struct sbx_action action(struct reader *r)
{
	static const enum sbx_action_kind kinds[] = {
		SBX_ACT_ALLOW, SBX_ACT_ERRNO, SBX_ACT_KILL_PROCESS,
		SBX_ACT_KILL_THREAD, SBX_ACT_TRAP, SBX_ACT_LOG, SBX_ACT_NOTIFY,
		SBX_ACT_TRACE,
	};
	uint8_t k = u8(r);
	struct sbx_action a = { kinds[k % 8], 0 };

	if (a.kind == SBX_ACT_ERRNO)
		a.data = (uint16_t)(1 + u8(r) % 40);
	else if (a.kind == SBX_ACT_TRAP || a.kind == SBX_ACT_TRACE)
		a.data = u8(r);
	/* Lean towards the common pair so neighbours share verdicts. */
	if (k >= 200)
		a = (struct sbx_action){ SBX_ACT_ALLOW, 0 };
	return a;
}

static void *track(struct spec_gen *g, void *p)
{
	if (!p)
		return NULL;
	if (g->nallocs == g->allocs_cap) {
		size_t ncap = g->allocs_cap ? g->allocs_cap * 2 : 64;
		void **n = realloc(g->allocs, ncap * sizeof(*n));

		if (!n) {
			free(p);
			return NULL;
		}
		g->allocs = n;
		g->allocs_cap = ncap;
	}
	g->allocs[g->nallocs++] = p;
	return p;
}

static const char *name(struct spec_gen *g, struct reader *r,
			const struct spec_gen_opts *o)
{
	size_t count = sbx_syscall_all_count(), ngroups = sbx_syscall_group_count();
	uint8_t kind = u8(r);

	(void)g;
	if (kind < o->unknown_per_256)
		return kind & 1 ? "no_such_syscall" : "@no-such-group";
	if (kind % 8 == 0 && ngroups)
		return sbx_syscall_group_name(sbx_syscall_group_at(u16(r) % ngroups));
	/* A few syscalls everyone writes rules for, then any name. */
	if (kind % 8 == 1) {
		static const char *const common[] = {
			"ioctl", "socket", "clone", "personality", "prctl",
			"mmap", "openat", "read", "write", "fcntl", "kill",
		};
		return common[u8(r) % (sizeof(common) / sizeof(common[0]))];
	}
	return sbx_syscall_all_name(u16(r) % count);
}

int spec_gen_build(struct spec_gen *g, const uint8_t *data, size_t len,
		   const struct spec_gen_opts *opts)
{
	struct spec_gen_opts o = opts ? *opts : (struct spec_gen_opts){ 64, 2 };
	struct reader r = { data, len };
	size_t n;

	memset(g, 0, sizeof(*g));
	if (!o.max_entries)
		o.max_entries = 64;
	g->spec.has_default = u8(&r) & 1;
	g->spec.default_action = action(&r);
	g->spec.default_pointer = "/seccomp/default";
	g->spec.has_bad_arch = (u8(&r) % 4) == 0;
	g->spec.bad_arch_action = action(&r);
	n = u16(&r) % o.max_entries;
	g->entries = calloc(n ? n : 1, sizeof(*g->entries));
	if (!g->entries)
		return -ENOMEM;
	g->spec.entries = g->entries;
	g->spec.nentries = n;
	for (size_t i = 0; i < n; i++) {
		struct sbx_seccomp_entry *e = &g->entries[i];
		uint8_t nc = u8(&r);

		e->name = name(g, &r, &o);
		e->action = action(&r);
		e->pointer = "/seccomp/rules";
		e->arch_mask = (u8(&r) % 8) ? SBX_ARCH_MASK_ALL : SBX_ARCH_BIT(u8(&r) % 2);
		e->nconds = nc < 128 ? 0 : 1 + nc % 3;
		if (!e->nconds)
			continue;
		struct sbx_arg_cond *conds = track(g, calloc(e->nconds, sizeof(*conds)));

		if (!conds)
			return -ENOMEM;
		e->conds = conds;
		for (size_t j = 0; j < e->nconds; j++) {
			struct sbx_arg_cond *c = &conds[j];

			c->arg = u8(&r) % 6;
			c->op = (enum sbx_cmp_op)(u8(&r) % 9);
			c->value = value(&r);
			c->low32 = (u8(&r) % 8) == 0;
			if (c->op == SBX_CMP_MASKED_EQ || c->op == SBX_CMP_MASKED_NE) {
				c->mask = value(&r);
				/* Mostly values that can match. */
				if (u8(&r) % 4)
					c->value &= c->mask;
			}
			if (c->op == SBX_CMP_IN) {
				uint64_t *set;

				c->nset = u8(&r) % 6;
				set = track(g, calloc(c->nset ? c->nset : 1, sizeof(*set)));
				if (!set)
					return -ENOMEM;
				for (size_t k = 0; k < c->nset; k++)
					set[k] = value(&r);
				c->set = set;
			}
		}
	}
	return 0;
}

void spec_gen_free(struct spec_gen *g)
{
	for (size_t i = 0; i < g->nallocs; i++)
		free(g->allocs[i]);
	free(g->allocs);
	free(g->entries);
	memset(g, 0, sizeof(*g));
}

uint64_t spec_gen_rand(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

void spec_gen_fill(uint64_t *state, uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)spec_gen_rand(state);
}
