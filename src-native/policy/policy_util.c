/* Small helpers of the policy stages: sizes, durations, section compat, and
 * a policy's life (init, free). */
#include "policy.h"
#include "policy_keys.h"
#include "seccomp_import.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int parse_digits(const char **s, uint64_t *out)
{
	uint64_t v = 0;
	const char *p = *s;

	if (*p < '0' || *p > '9')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			return -ERANGE;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	*s = p;
	*out = v;
	return 0;
}

int sbx_parse_size(const char *s, uint64_t *out)
{
	uint64_t v, mul = 1;
	int rc;

	if (!s)
		return -EINVAL;
	rc = parse_digits(&s, &v);
	if (rc)
		return rc;
	switch (*s) {
	case '\0': break;
	case 'K': case 'k': mul = 1ull << 10; s++; break;
	case 'M': case 'm': mul = 1ull << 20; s++; break;
	case 'G': case 'g': mul = 1ull << 30; s++; break;
	case 'T': case 't': mul = 1ull << 40; s++; break;
	default: return -EINVAL;
	}
	if (*s)
		return -EINVAL;
	if (v > (UINT64_MAX >> 1) / mul)
		return -ERANGE;
	*out = v * mul;
	return 0;
}

int sbx_parse_duration_ms(const char *s, uint64_t *out)
{
	uint64_t v, mul;
	int rc;

	if (!s)
		return -EINVAL;
	rc = parse_digits(&s, &v);
	if (rc)
		return rc;
	if (!strcmp(s, "ms"))
		mul = 1;
	else if (!strcmp(s, "s"))
		mul = 1000;
	else if (!strcmp(s, "m"))
		mul = 60000;
	else if (!strcmp(s, "h"))
		mul = 3600000;
	else
		return -EINVAL;
	if (v > (UINT64_MAX >> 1) / mul)
		return -ERANGE;
	*out = v * mul;
	return 0;
}

/* A section's own compat, else the top level's, else enforce. */
static int section_compat(const struct sbx_policy *p, int own)
{
	if (own != SBX_UNSET)
		return own;
	if (p->compat != SBX_UNSET)
		return p->compat;
	return SBX_COMPAT_ENFORCE;
}

void sbx_policy_resolve_compat(struct sbx_policy *p)
{
	p->resolved.top = section_compat(p, SBX_UNSET);
	p->resolved.fs = section_compat(p, p->fs.compat);
	p->resolved.net = section_compat(p, p->net.compat);
	p->resolved.scope = section_compat(p, p->scope.compat);
	p->resolved.seccomp = section_compat(p, p->seccomp.compat);
	p->resolved.rlimits = section_compat(p, p->rlimits.compat);
	p->resolved.namespaces = section_compat(p, p->namespaces.compat);
	p->resolved.limits = section_compat(p, p->limits.compat);
	for (int k = 0; k < 5; k++)
		p->resolved.limit[k] = section_compat(p, p->limits.kcompat[k]);
}

void sbx_policy_init(struct sbx_policy *p)
{
	struct sbx_arena keep = p->arena;

	memset(p, 0, sizeof(*p));
	p->arena = keep;
	p->version = SBX_UNSET;
	p->compat = SBX_UNSET;
	p->fs.compat = p->net.compat = p->scope.compat = SBX_UNSET;
	p->seccomp.compat = p->rlimits.compat = p->namespaces.compat = SBX_UNSET;
	p->limits.compat = SBX_UNSET;
	for (int k = 0; k < 5; k++)
		p->limits.kcompat[k] = SBX_UNSET;
	p->net.inet = p->net.netlink = p->net.other = p->net.unix_mode = SBX_UNSET;
	p->scope.abstract_unix = p->scope.signals = SBX_UNSET;
	for (int i = 0; i < SBX_NS_COUNT; i++)
		p->namespaces.ns[i] = SBX_UNSET;
	p->namespaces.uid = p->namespaces.gid = -1;
	p->root_kind = SBX_UNSET;
	p->env.clear = SBX_UNSET;
	sbx_policy_keys_init(p);       /* policy_keys.def */
	sbx_policy_resolve_compat(p);
}

void sbx_policy_free(struct sbx_policy *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->seccomp.nlayers; i++)
		if (p->seccomp.layers[i].imported)
			sbx_seccomp_import_free(p->seccomp.layers[i].imported);
	for (size_t i = 0; i < p->ndocs; i++)
		sbx_json_doc_free(p->docs[i]);
	sbx_notes_free(&p->notes);
	sbx_arena_free(&p->arena);
	free(p);
}
