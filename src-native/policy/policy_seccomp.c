/*
 * Merged policy -> seccomp spec (seccomp.h) for one architecture.
 *
 * Entries come out in layer order (deepest `extends` first), and inside a
 * layer in a fixed order: the imported Docker profile, `allow`, `deny`,
 * `rules`. Groups stay names (the resolver expands them); `when` constants
 * are resolved here, per arch, because their values may differ.
 *
 * The `net` section is authoritative for socket(2) and socketpair(2): when it
 * restricts families, unconditional entries for both are appended after all
 * layers (an unconditional entry drops earlier rules for that syscall, so an
 * earlier "socket when arg0 == AF_INET: allow" cannot outlive "inet": false).
 */
#include "policy.h"
#include "seccomp_import.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define AF_UNIX_NR 1
#define AF_INET_NR 2
#define AF_INET6_NR 10
#define AF_NETLINK_NR 16

struct spec_box {
	struct sbx_seccomp_spec spec;   /* first: the box is freed through it */
	struct sbx_arena arena;
	struct sbx_seccomp_entry *entries;
	size_t count, cap;
};

static int oom(struct sbx_error *err)
{
	return sbx_error_set(err, SBX_ENOMEM, ENOMEM, "", "out of memory");
}

static struct sbx_seccomp_entry *add(struct spec_box *b)
{
	if (sbx_arena_grow(&b->arena, (void **)&b->entries, b->count, &b->cap,
			   sizeof(*b->entries)))
		return NULL;
	memset(&b->entries[b->count], 0, sizeof(b->entries[0]));
	return &b->entries[b->count++];
}

static int build_conds(struct spec_box *b, const struct sbx_policy_rule *r, enum sbx_arch arch,
		       struct sbx_arg_cond **out, struct sbx_error *err)
{
	struct sbx_arg_cond *c;
	char ptr[300];

	*out = NULL;
	if (!r->nconds)
		return 0;
	snprintf(ptr, sizeof(ptr), "%s/when", r->pointer);
	c = sbx_arena_alloc(&b->arena, r->nconds * sizeof(*c));
	if (!c)
		return oom(err);
	for (size_t i = 0; i < r->nconds; i++) {
		const struct sbx_when_cond *w = &r->conds[i];
		int rc = 0;

		c[i].arg = w->arg;
		c[i].op = w->op;
		if (w->op == SBX_CMP_IN) {
			uint64_t *set = sbx_arena_alloc(&b->arena, w->nset * sizeof(*set));

			if (!set)
				return oom(err);
			for (size_t k = 0; k < w->nset && !rc; k++)
				rc = sbx_when_value_eval(&w->set[k], arch, &set[k], ptr, err);
			c[i].set = set;
			c[i].nset = w->nset;
		} else {
			rc = sbx_when_value_eval(&w->value, arch, &c[i].value, ptr, err);
			if (!rc && w->op == SBX_CMP_MASKED_EQ)
				rc = sbx_when_value_eval(&w->mask, arch, &c[i].mask, ptr, err);
			if (!rc && w->op == SBX_CMP_MASKED_EQ && (c[i].value & ~c[i].mask))
				return sbx_error_set(err, SBX_EVALUE, EINVAL, ptr,
						     "\"%s\" can never hold: the value has bits outside the mask",
						     r->when ? r->when : "");
		}
		if (rc)
			return rc;
	}
	*out = c;
	return 0;
}

static int add_layer(struct spec_box *b, const struct sbx_seccomp_layer *l, enum sbx_arch arch,
		     struct sbx_error *err)
{
	if (l->imported) {
		const struct sbx_seccomp_spec *im = sbx_seccomp_import_spec(l->imported);
		int rc = sbx_seccomp_import_check(l->imported, arch, err);

		if (rc)
			return rc;

		for (size_t i = 0; i < im->nentries; i++) {
			struct sbx_seccomp_entry *e = add(b);

			if (!e)
				return oom(err);
			*e = im->entries[i];
		}
		if (im->has_default) {
			b->spec.has_default = true;
			b->spec.default_action = im->default_action;
			b->spec.default_pointer = im->default_pointer ? im->default_pointer
								      : l->import_pointer;
		}
		if (im->has_bad_arch) {
			b->spec.has_bad_arch = true;
			b->spec.bad_arch_action = im->bad_arch_action;
		}
	}
	if (l->has_default) {
		b->spec.has_default = true;
		b->spec.default_action = l->default_action;
		b->spec.default_pointer = l->default_pointer;
	}
	if (l->has_foreign) {
		b->spec.has_bad_arch = true;
		b->spec.bad_arch_action = l->foreign_action;
	}
	for (size_t i = 0; i < l->nrules; i++) {
		const struct sbx_policy_rule *r = &l->rules[i];
		struct sbx_arg_cond *conds;
		int rc = build_conds(b, r, arch, &conds, err);

		if (rc)
			return rc;
		for (size_t k = 0; k < r->nnames; k++) {
			struct sbx_seccomp_entry *e = add(b);

			if (!e)
				return oom(err);
			e->name = r->names[k];
			e->action = r->action;
			e->conds = conds;
			e->nconds = r->nconds;
			e->arch_mask = r->arch_mask;
			e->pointer = r->pointer;
		}
	}
	return 0;
}

static bool net_restricts(const struct sbx_policy_net *n)
{
	return n->present && (!sbx_net_inet_sockets(n) || n->netlink == 0 || n->other == 0 ||
			      !sbx_net_unix_sockets(n));
}

static int add_net(struct spec_box *b, const struct sbx_policy_net *n, struct sbx_error *err)
{
	static const struct sbx_action allow = { SBX_ACT_ALLOW, 0 };
	static const struct sbx_action deny = { SBX_ACT_ERRNO, EPERM };
	bool other = n->other != 0;
	struct { uint64_t family; bool ok; } fam[] = {
		{ AF_UNIX_NR, sbx_net_unix_sockets(n) },
		{ AF_INET_NR, sbx_net_inet_sockets(n) },
		{ AF_INET6_NR, sbx_net_inet_sockets(n) },
		{ AF_NETLINK_NR, n->netlink != 0 },
	};
	uint64_t *set;
	size_t nset = 0;
	struct sbx_seccomp_entry *e;
	struct sbx_arg_cond *c;

	set = sbx_arena_alloc(&b->arena, sizeof(fam) / sizeof(fam[0]) * sizeof(*set));
	if (!set)
		return oom(err);
	for (size_t i = 0; i < sizeof(fam) / sizeof(fam[0]); i++)
		if (fam[i].ok != other)
			set[nset++] = fam[i].family;
	if (!(e = add(b)))
		return oom(err);
	e->name = "socket";
	e->action = other ? allow : deny;
	e->arch_mask = SBX_ARCH_MASK_ALL;
	e->pointer = "/net";
	if (nset) {
		if (!(e = add(b)) || !(c = sbx_arena_alloc(&b->arena, sizeof(*c))))
			return oom(err);
		c->arg = 0;
		c->op = SBX_CMP_IN;
		c->set = set;
		c->nset = nset;
		e->name = "socket";
		e->action = other ? deny : allow;
		e->conds = c;
		e->nconds = 1;
		e->arch_mask = SBX_ARCH_MASK_ALL;
		e->pointer = "/net";
	}
	if (!(e = add(b)))
		return oom(err);
	e->name = "socketpair";
	e->action = n->unix_mode == SBX_UNIX_NONE ? deny : allow;
	e->arch_mask = SBX_ARCH_MASK_ALL;
	e->pointer = "/net/unix";
	return 0;
}

void sbx_policy_seccomp_spec_free(struct sbx_seccomp_spec *spec)
{
	struct spec_box *b = (struct spec_box *)spec;

	if (!b)
		return;
	sbx_arena_free(&b->arena);
	free(b);
}

int sbx_policy_seccomp_spec(const struct sbx_policy *p, enum sbx_arch arch,
			    struct sbx_seccomp_spec **out, struct sbx_notes *notes,
			    struct sbx_error *err)
{
	if (out)
		*out = NULL;
	if (!p)
		return sbx_error_set(err, SBX_EINVAL, EINVAL, "", "bad policy or architecture");
	return sbx_policy_seccomp_spec_net(p, &p->net, arch, out, notes, err);
}

int sbx_policy_seccomp_spec_net(const struct sbx_policy *p, const struct sbx_policy_net *net,
				enum sbx_arch arch, struct sbx_seccomp_spec **out,
				struct sbx_notes *notes, struct sbx_error *err)
{
	struct spec_box *b;
	int rc = 0;

	*out = NULL;
	if (!p || !net || (unsigned)arch >= SBX_ARCH_COUNT)
		return sbx_error_set(err, SBX_EINVAL, EINVAL, "", "bad policy or architecture");
	if (net->unix_paths.set && notes)
		sbx_notes_add(notes, "net.unixPaths is not in this program: the spawn door "
			      "adds to it (connect, sendto with an address, sendmsg and sendmmsg "
			      "go to its supervisor; io_uring_setup is denied), the preload and "
			      "self doors refuse the key (docs/network.md)");
	if (!p->seccomp.present && !net_restricts(net))
		return 0;
	b = calloc(1, sizeof(*b));
	if (!b)
		return oom(err);
	/* A net-only policy restricts sockets and nothing else. */
	b->spec.has_default = true;
	if (p->seccomp.present)
		b->spec.default_action = (struct sbx_action){ SBX_ACT_ERRNO, EPERM };
	else
		b->spec.default_action = (struct sbx_action){ SBX_ACT_ALLOW, 0 };
	b->spec.default_pointer = "";
	for (size_t i = 0; !rc && i < p->seccomp.nlayers; i++)
		rc = add_layer(b, &p->seccomp.layers[i], arch, err);
	if (!rc && net_restricts(net))
		rc = add_net(b, net, err);
	if (rc) {
		sbx_policy_seccomp_spec_free(&b->spec);
		return rc;
	}
	b->spec.entries = b->entries;
	b->spec.nentries = b->count;
	*out = &b->spec;
	return 0;
}
