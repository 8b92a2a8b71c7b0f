/*
 * A minijail policy as an sbx seccomp spec: read for every architecture
 * (minijail_parse.c), each syscall's filters written as entries with that
 * architecture's mask, and notes for what sbx cannot honour as written.
 */
#include "minijail_import.h"
#include "minijail_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct sbx_minijail_policy {
	struct sbx_seccomp_spec spec;
	struct sbx_arena arena;
	struct sbx_seccomp_entry *entries;
	size_t count, cap;
	int rc[SBX_ARCH_COUNT];
	struct sbx_error errs[SBX_ARCH_COUNT];
};

/* ---- telling a policy from JSON --------------------------------------------------- */

static bool ident_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool ident_char(char c)
{
	return ident_start(c) || (c >= '0' && c <= '9') || c == '-' || c == '@';
}

bool sbx_minijail_sniff(const char *text, size_t len)
{
	const char *p = text, *end = text + len;

	if (len >= 3 && !memcmp(p, "\xef\xbb\xbf", 3))
		p += 3;
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
		p++;
	if (p == end)
		return false;
	if (*p == '#' || *p == '@')
		return true;
	if (*p == '{') {
		for (p++; p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'); p++)
			;
		if (p == end || !ident_start(*p))
			return false;
		while (p < end && ident_char(*p))
			p++;
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		return p < end && (*p == ',' || *p == '}' || *p == '[');
	}
	if (!ident_start(*p))
		return false;
	while (p < end && ident_char(*p))
		p++;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p < end && (*p == ':' || *p == '[');
}

/* ---- spec entries ------------------------------------------------------------------- */

static int oom(struct sbx_error *err, const char *pointer)
{
	return sbx_error_set(err, SBX_ENOMEM, ENOMEM, pointer, "out of memory");
}

static struct sbx_seccomp_entry *add(struct sbx_minijail_policy *p)
{
	if (sbx_arena_grow(&p->arena, (void **)&p->entries, p->count, &p->cap,
			   sizeof(*p->entries)))
		return NULL;
	memset(&p->entries[p->count], 0, sizeof(p->entries[0]));
	return &p->entries[p->count++];
}

/* minijail's atoms as sbx conditions: `&` is "(arg & v) != 0", `in` is
 * "(arg & ~v) == 0"; the rest compare the same way. */
static struct sbx_arg_cond cond_of(const struct mj_atom *a)
{
	struct sbx_arg_cond c = { .arg = a->arg, .op = a->op, .value = a->value };

	if (a->op == SBX_CMP_MASKED_NE)
		c.mask = a->value, c.value = 0;
	else if (a->op == SBX_CMP_MASKED_EQ)
		c.mask = ~a->value, c.value = 0;
	return c;
}

static void note_once(struct sbx_notes *notes, const char *text)
{
	if (!notes)
		return;
	for (size_t i = 0; i < notes->count; i++)
		if (strcmp(notes->items[i], text) == 0)
			return;
	sbx_notes_add(notes, "%s", text);
}

static int translate(struct sbx_minijail_policy *p, const struct mj_parsed *m,
		     const char *pointer, struct sbx_notes *notes, struct sbx_error *err)
{
	char shortcut[400] = "", buf[700];
	size_t nshort = 0;

	for (size_t k = 0; k < m->norder; k++) {
		int nr = m->order[k];
		const struct mj_syscall *s = &m->sys[nr];
		const struct mj_filter *last = &s->filters[s->nfilters - 1];
		const char *name = sbx_syscall_name(m->arch, nr);
		struct sbx_seccomp_entry *e;

		if (!(e = add(p)))
			return oom(err, pointer);
		*e = (struct sbx_seccomp_entry){ .name = name, .action = last->action,
						 .arch_mask = SBX_ARCH_BIT(m->arch),
						 .pointer = pointer };
		/* minijail's compiler allows outright a syscall whose last
		 * action is allow; its conditional filters never run. */
		if (!m->denylist && last->action.kind == SBX_ACT_ALLOW && s->nfilters > 1) {
			size_t l = strlen(shortcut);

			if (nshort++ < 6 && l + 64 < sizeof(shortcut))
				snprintf(shortcut + l, sizeof(shortcut) - l, "%s%s", l ? ", " : "", name);
			continue;
		}
		for (size_t i = 0; i + 1 < s->nfilters; i++) {
			const struct mj_filter *f = &s->filters[i];
			const struct mj_atom *a = f->atoms;

			for (size_t c = 0; c < f->nclauses; a += f->clause_len[c], c++) {
				struct sbx_arg_cond *conds =
					sbx_arena_alloc(&p->arena, f->clause_len[c] * sizeof(*conds));

				if (!conds || !(e = add(p)))
					return oom(err, pointer);
				for (size_t j = 0; j < f->clause_len[c]; j++)
					conds[j] = cond_of(&a[j]);
				*e = (struct sbx_seccomp_entry){ .name = name, .action = f->action,
								 .conds = conds,
								 .nconds = f->clause_len[c],
								 .arch_mask = SBX_ARCH_BIT(m->arch),
								 .pointer = pointer };
			}
		}
	}
	if (nshort) {
		snprintf(buf, sizeof(buf), "%s%s: allowed whatever the arguments, as minijail's "
			 "compiler does when a syscall's last filter is allow (its conditional "
			 "filters never decide)", shortcut, nshort > 6 ? " and more" : "");
		note_once(notes, buf);
	}
	if (m->trace.set) {
		snprintf(buf, sizeof(buf), "%s:%u:%u: trace: sbx attaches no tracer, so the kernel "
			 "fails these calls with ENOSYS without running them", m->trace.file->path,
			 m->trace.line, m->trace.col);
		note_once(notes, buf);
	}
	if (m->notify.set) {
		snprintf(buf, sizeof(buf), "%s:%u:%u: user-notify: sbx hands these calls to no "
			 "listener; with none attached the kernel fails them with ENOSYS without "
			 "running them", m->notify.file->path, m->notify.line, m->notify.col);
		note_once(notes, buf);
	}
	if (m->expr_return.set) {
		snprintf(buf, sizeof(buf), "%s:%u:%u: \"EXPR; return ERRNO\" returns the errno when "
			 "EXPR holds, as minijail's compile_seccomp_policy.py does (libminijail's "
			 "runtime parser, minijail0 -S, allows then and returns the errno otherwise: "
			 "write \"{EXPR, return ERRNO}\" for that)", m->expr_return.file->path,
			 m->expr_return.line, m->expr_return.col);
		note_once(notes, buf);
	}
	if (m->denylist)
		note_once(notes, "@denylist: calls of another architecture or ABI (i386, x32 on "
			  "x86_64) are killed; minijail's denylist filter would return EPERM for "
			  "them, or allow x32 calls");
	return 0;
}

/* ---- the policy ------------------------------------------------------------------------ */

int sbx_minijail_import(const char *text, size_t len, const char *path, const char *pointer,
			struct sbx_minijail_policy **out, struct sbx_notes *notes,
			struct sbx_error *err)
{
	struct sbx_minijail_policy *p;
	struct mj_loader *L;
	struct mj_file *top = NULL;
	struct stat st;
	int native = (int)sbx_arch_native(), ok = 0, rc;

	*out = NULL;
	if (!pointer)
		pointer = "";
	if (!text || !path)
		return sbx_error_set(err, SBX_EINVAL, EINVAL, pointer, "no policy text or path");
	p = calloc(1, sizeof(*p));
	L = p ? calloc(1, sizeof(*L)) : NULL;
	if (!L) {
		free(p);
		return oom(err, pointer);
	}
	L->arena = &p->arena;
	L->pointer = sbx_arena_strdup(&p->arena, pointer);
	rc = L->pointer ? mj_load_text(L, path, text, len, &top, err) : oom(err, pointer);
	if (rc || !top) {
		free(L);
		sbx_minijail_policy_free(p);
		return rc ? rc : oom(err, pointer);
	}
	if (stat(path, &st) == 0) {
		top->dev = st.st_dev;
		top->ino = st.st_ino;
	}
	p->spec.has_default = true;
	p->spec.default_pointer = L->pointer;
	for (int a = 0; a < SBX_ARCH_COUNT; a++) {
		struct mj_parsed m;

		p->rc[a] = mj_parse(L, top, (enum sbx_arch)a, &m, &p->errs[a]);
		if (!p->rc[a])
			p->rc[a] = translate(p, &m, L->pointer, notes, &p->errs[a]);
		if (p->rc[a])
			continue;
		if (!ok++ || a == native)
			p->spec.default_action = m.unlisted_action;
	}
	free(L);
	if (!ok) {
		*err = p->errs[native];
		rc = p->rc[native];
		sbx_minijail_policy_free(p);
		return rc;
	}
	p->spec.entries = p->entries;
	p->spec.nentries = p->count;
	*out = p;
	return 0;
}

const struct sbx_seccomp_spec *sbx_minijail_policy_spec(const struct sbx_minijail_policy *p)
{
	return &p->spec;
}

int sbx_minijail_policy_check(const struct sbx_minijail_policy *p, enum sbx_arch arch,
			      struct sbx_error *err)
{
	if ((unsigned)arch >= SBX_ARCH_COUNT)
		return sbx_error_set(err, SBX_EINVAL, EINVAL, "", "unknown architecture %d",
				     (int)arch);
	if (p->rc[arch] && err)
		*err = p->errs[arch];
	return p->rc[arch];
}

void sbx_minijail_policy_free(struct sbx_minijail_policy *p)
{
	if (!p)
		return;
	sbx_arena_free(&p->arena);
	free(p);
}
