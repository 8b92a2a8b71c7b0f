/*
 * The runtime half of the preset fast path (preset_fast.h): the helpers the
 * generated builders call, and the two entry points that sbx_policy_load()
 * and sbx_prepare() try before their normal path.
 */
#include "preset_fast.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void *sbx_fb_alloc(struct sbx_fast_builder *b, size_t size)
{
	void *m = sbx_arena_alloc(b->ctx.arena, size);

	if (!m)
		b->failed = true;
	return m;
}

void sbx_fb_path(struct sbx_fast_builder *b, int right, const char *written,
		 const char *path, bool optional, const char *pointer)
{
	struct sbx_ppaths *l = &b->p->fs.rights[right];
	struct stat st;

	if (b->failed)
		return;
	if (written[0] == '$') {
		path = sbx_policy_expand_path(&b->ctx, written, pointer, false, &b->scratch);
		if (!path) {
			b->failed = true;
			return;
		}
	}
	/* The parser's check (policy_parse.c, check_exists): a failure is
	 * reported by the normal path, with its message. */
	if (b->check_paths && !optional && stat(path, &st) != 0) {
		b->failed = true;
		return;
	}
	l->set = true;
	for (size_t j = 0; j < l->count; j++) {
		if (!strcmp(l->items[j].path, path)) {
			l->items[j].optional &= optional;
			return;
		}
	}
	if (sbx_arena_grow(b->ctx.arena, (void **)&l->items, l->count, &l->cap,
			   sizeof(*l->items))) {
		b->failed = true;
		return;
	}
	l->items[l->count++] = (struct sbx_ppath){ .path = path, .written = written,
						   .optional = optional, .pointer = pointer };
}

void sbx_fb_listed(struct sbx_fast_builder *b, int which, const char *written,
		   const char *path, bool optional, const char *pointer)
{
	struct sbx_ppaths *l = which ? &b->p->fs.hide : &b->p->fs.protect;

	if (b->failed)
		return;
	if (written[0] == '$') {
		if (optional && !b->ctx.home && !strncmp(written, "$HOME", 5) &&
		    (written[5] == '/' || !written[5])) {
			l->set = true;
			return;
		}
		path = sbx_policy_expand_path(&b->ctx, written, pointer, false, &b->scratch);
		if (!path) {
			b->failed = true;
			return;
		}
	}
	l->set = true;
	for (size_t j = 0; j < l->count; j++) {
		if (!strcmp(l->items[j].path, path)) {
			l->items[j].optional &= optional;
			return;
		}
	}
	if (sbx_arena_grow(b->ctx.arena, (void **)&l->items, l->count, &l->cap,
			   sizeof(*l->items))) {
		b->failed = true;
		return;
	}
	l->items[l->count++] = (struct sbx_ppath){ .path = path, .written = written,
						   .optional = optional, .pointer = pointer };
}

int sbx_fb_compiled(const unsigned char *bpf, size_t size, struct sbx_compiled **out)
{
	struct sbx_compiled *c = calloc(1, sizeof(*c));

	*out = NULL;
	if (!c)
		return -ENOMEM;
	c->arch = (int)sbx_arch_native();
	if (size) {
		c->bpf = malloc(size);
		if (!c->bpf) {
			free(c);
			return -ENOMEM;
		}
		memcpy(c->bpf, bpf, size);
	}
	c->bpf_size = size;
	c->insn_count = size / 8;
	*out = c;
	return 0;
}

int sbx_fb_compiled_note(struct sbx_compiled *c, const char *note)
{
	char **n = realloc(c->notes, (c->nnotes + 1) * sizeof(*n));

	if (!n)
		return -ENOMEM;
	c->notes = n;
	n[c->nnotes] = strdup(note);
	if (!n[c->nnotes])
		return -ENOMEM;
	c->nnotes++;
	return 0;
}

int sbx_policy_load_fast(const char *source, const struct sbx_policy_load_opts *opts,
			 struct sbx_policy **out)
{
	struct sbx_fast_builder b;
	struct sbx_policy *p;
	char cwdbuf[PATH_MAX];
	struct sbx_env_dirs dirs;
	size_t max_text, max = opts && opts->max_bytes ? opts->max_bytes : 4u << 20;
	int idx;

	/* Preset names are short: never walk a long text to compare it. */
	if ((opts && (opts->flags & SBX_POLICY_INLINE_ONLY)) || strnlen(source, 64) == 64)
		return -1;
	idx = sbx_preset_fast_index(source, &max_text);
	if (idx < 0 || max_text > max)
		return -1;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -1;
	sbx_policy_init(p);
	memset(&b, 0, sizeof(b));
	b.p = p;
	b.check_paths = !(opts && (opts->flags & SBX_POLICY_NO_PATH_CHECK));
	b.ctx.arena = &p->arena;
	/* The same environment as load_top() in policy_source.c. The values
	 * are only read while building (paths are copied by the expansion). */
	b.ctx.cwd = opts && opts->cwd ? opts->cwd : getcwd(cwdbuf, sizeof(cwdbuf));
	sbx_policy_env_dirs(opts, &dirs);
	b.ctx.home = dirs.home;
	b.ctx.tmpdir = dirs.tmpdir;
	if (sbx_preset_fast_build(idx, &b) || b.failed) {
		sbx_policy_free(p);
		return -1;
	}
	if (p->version == SBX_UNSET)
		p->version = 1;
	sbx_policy_resolve_compat(p);
	p->fast_preset = idx + 1;
	*out = p;
	return 0;
}

/* The program is the preset's own: the policy is a preset as the fast path
 * loaded it (never changed since: it is const from the load on) and the
 * filter is built from its own `net` section, not one a door derived. */
static bool preset_program(const struct sbx_policy *p, const struct sbx_policy_net *net)
{
	return p->fast_preset && !p->notes.count && net == &p->net;
}

int sbx_policy_compiled_fast(const struct sbx_policy *p, const struct sbx_policy_net *net,
			     struct sbx_compiled **out)
{
	if (!preset_program(p, net))
		return 0;
	return sbx_preset_fast_compiled(p->fast_preset - 1, out) ? 0 : 1;
}

int sbx_policy_compiled_fast_rings(const struct sbx_policy *p, const struct sbx_policy_net *net,
				   struct sbx_compiled **out)
{
	if (!preset_program(p, net))
		return 0;
	return sbx_preset_fast_compiled_rings(p->fast_preset - 1, out) ? 0 : 1;
}
