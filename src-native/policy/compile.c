/* The compile facade: spec -> model -> BPF, with disassembly and notes. */
#include "sbx_compile.h"

#include "bpf.h"
#include "policy.h"
#include "seccomp.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void sbx_compiled_free(struct sbx_compiled *c)
{
	if (!c)
		return;
	free(c->bpf);
	free(c->disassembly);
	for (size_t i = 0; i < c->nnotes; i++)
		free(c->notes[i]);
	free(c->notes);
	free(c);
}

static int compile_spec(const struct sbx_seccomp_spec *spec, int arch,
			unsigned flags, struct sbx_notes *first,
			struct sbx_compiled **out, struct sbx_error *err);

int sbx_compile_seccomp_spec_flags(const struct sbx_seccomp_spec *spec, int arch,
				   unsigned flags, struct sbx_compiled **out,
				   struct sbx_error *err)
{
	return compile_spec(spec, arch, flags, NULL, out, err);
}

int sbx_compile_seccomp_spec(const struct sbx_seccomp_spec *spec, int arch,
			     struct sbx_compiled **out, struct sbx_error *err)
{
	return compile_spec(spec, arch, 0, NULL, out, err);
}

int sbx_compile_policy(const struct sbx_policy *policy, int arch,
		       struct sbx_compiled **out, struct sbx_error *err)
{
	return sbx_compile_policy_flags(policy, arch, 0, out, err);
}

int sbx_compile_policy_flags(const struct sbx_policy *policy, int arch,
			     unsigned flags, struct sbx_compiled **out,
			     struct sbx_error *err)
{
	return sbx_compile_policy_net(policy, policy ? &policy->net : NULL, arch, flags, out, err);
}

int sbx_compile_policy_net(const struct sbx_policy *policy, const struct sbx_policy_net *net,
			   int arch, unsigned flags, struct sbx_compiled **out,
			   struct sbx_error *err)
{
	struct sbx_notes notes = { 0 };
	struct sbx_seccomp_spec *spec = NULL;
	int rc;

	if (out)
		*out = NULL;
	if (!policy || !out)
		return sbx_error_set(err, SBX_EINVAL, EINVAL, NULL,
				     "sbx_compile_policy: NULL argument");
	if (arch < 0)
		arch = (int)sbx_arch_native();
	if (!sbx_arch_info((enum sbx_arch)arch))
		return sbx_error_set(err, SBX_EINVAL, EINVAL, NULL,
				     "unknown architecture %d", arch);
	/* Notes from loading the policy (a Docker import's skipped names) come
	 * first: they explain the filter as much as the compiler's own. */
	for (size_t i = 0; i < policy->notes.count; i++)
		sbx_notes_add(&notes, "%s", policy->notes.items[i]);
	rc = sbx_policy_seccomp_spec_net(policy, net, (enum sbx_arch)arch, &spec, &notes, err);
	if (rc) {
		sbx_notes_free(&notes);
		return rc;
	}
	if (!spec) {
		struct sbx_compiled *c = calloc(1, sizeof(*c));

		sbx_notes_add(&notes, "the policy asks for no seccomp filter");
		if (!c) {
			sbx_notes_free(&notes);
			return sbx_error_set(err, SBX_ENOMEM, ENOMEM, NULL, "out of memory");
		}
		c->arch = arch;
		c->notes = notes.items;
		c->nnotes = notes.count;
		*out = c;
		return 0;
	}
	rc = compile_spec(spec, arch, flags, &notes, out, err);
	sbx_notes_free(&notes);
	sbx_policy_seccomp_spec_free(spec);
	return rc;
}

/* `first`: notes gathered before resolving (building the spec); they come
 * first in the result and are moved out of *first. */
static int compile_spec(const struct sbx_seccomp_spec *spec, int arch,
			unsigned flags, struct sbx_notes *first,
			struct sbx_compiled **out, struct sbx_error *err)
{
	struct sbx_notes notes = { 0 };
	struct sbx_filter_model *model = NULL;
	struct sock_filter *prog = NULL;
	struct sbx_compiled *c = NULL;
	size_t len = 0;
	int rc;

	if (out)
		*out = NULL;
	if (!spec || !out)
		return sbx_error_set(err, SBX_EINVAL, EINVAL, NULL,
				     "sbx_compile_seccomp_spec: NULL argument");
	if (arch < 0)
		arch = (int)sbx_arch_native();
	if (!sbx_arch_info((enum sbx_arch)arch))
		return sbx_error_set(err, SBX_EINVAL, EINVAL, NULL,
				     "unknown architecture %d", arch);
	if (first) {
		notes = *first;
		*first = (struct sbx_notes){ 0 };
	}
	rc = sbx_seccomp_resolve(spec, (enum sbx_arch)arch, &model, &notes, err);
	if (rc)
		goto out;
	rc = sbx_seccomp_compile(model, &prog, &len, err);
	if (rc)
		goto out;
	c = calloc(1, sizeof(*c));
	if (!c) {
		rc = sbx_error_set(err, SBX_ENOMEM, ENOMEM, NULL, "out of memory");
		goto out;
	}
	c->arch = arch;
	if (!(flags & SBX_COMPILE_NO_DISASSEMBLY)) {
		rc = sbx_bpf_disasm(prog, len, arch, &c->disassembly, err);
		if (rc)
			goto out;
	}
	c->bpf = (unsigned char *)prog;
	prog = NULL;
	c->insn_count = len;
	c->bpf_size = len * sizeof(struct sock_filter);
	/* The notes' strings move over as they are. */
	c->notes = notes.items;
	c->nnotes = notes.count;
	notes = (struct sbx_notes){ 0 };
	*out = c;
	c = NULL;
out:
	sbx_compiled_free(c);
	free(prog);
	sbx_filter_model_free(model);
	sbx_notes_free(&notes);
	return rc;
}

int sbx_arch_by_name(const char *name)
{
	return name ? sbx_arch_from_name(name) : (int)sbx_arch_native();
}

const char *sbx_arch_name(int arch)
{
	const struct sbx_arch_info *ai = sbx_arch_info((enum sbx_arch)arch);

	return ai ? ai->name : NULL;
}
