/*
 * The seccomp part of a prepared sandbox: the policy's filter for the native
 * arch, and the flags the door asked for.
 *
 * Reporting (`"report": true` with SBX_PREPARE_LISTENER): every errno action
 * of the spec, the default included, becomes USER_NOTIF, so that a
 * supervisor reading the listener fd can say what was denied and answer
 * with the errno the policy gives (sbx_prepared_denial_ret(), from a model
 * of the original spec). errno:ENOSYS stays as it is: it tells libc to fall
 * back to an older call (clone3 -> clone), it is not a denial worth a line.
 * Kill and trap actions stay: a supervisor cannot make them softer.
 * Without a listener, `report` is noted and ignored: a USER_NOTIF with no
 * one listening fails the call with ENOSYS, which is not the policy's errno.
 */
#include "bpf.h"
#include "policy.h"
#include "prepared.h"
#include "preset_fast.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "seccomp_defs.h"

static int oom(struct sbx_error *err)
{
	return sbx_error_set(err, SBX_ENOMEM, ENOMEM, NULL, "out of memory");
}

static struct sbx_action to_notify(struct sbx_action a)
{
	if (a.kind == SBX_ACT_ERRNO && a.data != ENOSYS)
		return (struct sbx_action){ SBX_ACT_NOTIFY, 0 };
	return a;
}

/* Compile `spec` with its denials turned into notifications, and no
 * listener of the program's own beside ours (prepare_listener.c). */
static int compile_notifying(struct sbx_prepared *pp, const struct sbx_seccomp_spec *spec,
			     struct sbx_compiled **out, struct sbx_error *err)
{
	struct sbx_seccomp_spec copy = *spec;
	struct sbx_seccomp_entry *entries = NULL;
	struct sbx_filter_model *model = NULL;
	struct sbx_notes notes = { 0 };
	struct sock_filter *prog = NULL;
	struct sbx_compiled *c = NULL;
	size_t len = 0;
	int r;

	if (spec->nentries) {
		entries = malloc(spec->nentries * sizeof(*entries));
		if (!entries)
			return oom(err);
		for (size_t i = 0; i < spec->nentries; i++) {
			entries[i] = spec->entries[i];
			entries[i].action = to_notify(entries[i].action);
		}
	}
	copy.entries = entries;
	/* The spec's own default when it has none is errno:EPERM. */
	copy.has_default = true;
	copy.default_action = to_notify(spec->has_default ? spec->default_action :
			(struct sbx_action){ SBX_ACT_ERRNO, EPERM });
	r = sbx_seccomp_resolve(&copy, sbx_arch_native(), &model, &notes, err);
	if (!r && pp->door != SBX_DOOR_SELF)
		sbx_model_observe_fs(pp, model);      /* prepare_listener.c */
	if (!r && sbx_model_refuse_listeners(model))
		r = oom(err);
	if (!r)
		r = sbx_seccomp_compile(model, &prog, &len, err);
	if (!r && !(c = calloc(1, sizeof(*c))))
		r = oom(err);
	if (!r && c) {
		c->arch = (int)sbx_arch_native();
		c->bpf = (unsigned char *)prog;
		prog = NULL;
		c->insn_count = len;
		c->bpf_size = len * sizeof(struct sock_filter);
		*out = c;
	}
	free(prog);
	free(entries);
	sbx_filter_model_free(model);
	sbx_notes_free(&notes);
	return r;
}

static int prepare_notifying(struct sbx_prepared *pp, const struct sbx_policy *p,
			     struct sbx_error *err)
{
	struct sbx_seccomp_spec *spec = NULL;
	struct sbx_notes notes = { 0 };
	int r;

	r = sbx_policy_seccomp_spec_net(p, pp->net, sbx_arch_native(), &spec, &notes, err);
	if (!r && !spec)     /* no filter: nothing to report */
		r = sbx_compile_policy_net(p, pp->net, -1, SBX_COMPILE_NO_DISASSEMBLY,
					   &pp->compiled, err);
	else if (!r)
		r = compile_notifying(pp, spec, &pp->compiled, err);
	if (!r && spec)
		r = sbx_seccomp_resolve(spec, sbx_arch_native(),
					&pp->denial_model, &notes, err);
	if (!r && spec)
		pp->notify_denials = true;
	sbx_policy_seccomp_spec_free(spec);
	sbx_notes_free(&notes);
	return r;
}

int sbx_compile_policy_keep_rings(const struct sbx_policy *p, const struct sbx_policy_net *net,
				  struct sbx_compiled **out, struct sbx_error *err)
{
	static const struct sbx_seccomp_entry enter = {
		.name = "io_uring_enter",
		.action = { SBX_ACT_ALLOW, 0 },
		.arch_mask = SBX_ARCH_MASK_ALL,
		.pointer = "/seccomp",
	};
	struct sbx_seccomp_spec *spec = NULL, copy;
	struct sbx_seccomp_entry *entries;
	struct sbx_notes notes = { 0 };
	int r;

	*out = NULL;
	r = sbx_policy_seccomp_spec_net(p, net, sbx_arch_native(), &spec, &notes, err);
	if (r || !spec) {
		sbx_notes_free(&notes);
		return r;
	}
	entries = malloc((spec->nentries + 1) * sizeof(*entries));
	if (!entries) {
		sbx_policy_seccomp_spec_free(spec);
		sbx_notes_free(&notes);
		return oom(err);
	}
	if (spec->nentries)
		memcpy(entries, spec->entries, spec->nentries * sizeof(*entries));
	entries[spec->nentries] = enter;
	copy = *spec;
	copy.entries = entries;
	copy.nentries = spec->nentries + 1;
	r = sbx_compile_seccomp_spec_flags(&copy, -1, SBX_COMPILE_NO_DISASSEMBLY,
					   out, err);
	free(entries);
	sbx_policy_seccomp_spec_free(spec);
	sbx_notes_free(&notes);
	return r;
}

/*
 * Self door, rings held before lockdown (self_rings.c accounted for each):
 * a filter that would refuse io_uring_enter gets one more entry at the end,
 * after everything the policy says, that allows it. New rings and
 * registrations stay as the policy says. A bare preset's program with that
 * entry is compiled at build time, like its own (preset_fast.h).
 */
static int keep_rings(struct sbx_prepared *pp, const struct sbx_policy *p,
		      struct sbx_error *err)
{
	const struct sbx_arch_info *ai = sbx_arch_info(sbx_arch_native());
	int nr = sbx_syscall_lookup(sbx_arch_native(), "io_uring_enter");
	struct sbx_compiled *compiled = NULL;
	char fds[96];
	size_t off = 0;
	int r;

	if (nr < 0 || !pp->compiled || !pp->compiled->insn_count ||
	    sbx_bpf_const_allows((const struct sock_filter *)pp->compiled->bpf,
				 pp->compiled->insn_count, ai->audit_arch,
				 (uint32_t)nr))
		return 0;
	if (!sbx_policy_compiled_fast_rings(p, pp->net, &compiled)) {
		r = sbx_compile_policy_keep_rings(p, pp->net, &compiled, err);
		if (r || !compiled)
			return r;
	}
	sbx_compiled_free(pp->compiled);
	pp->compiled = compiled;
	for (int i = 0; i < pp->self_nrings && i < SBX_SELF_RING_FDS; i++)
		off += (size_t)snprintf(fds + off, sizeof(fds) - off, "%s%d",
					i ? ", " : "", pp->self_ring_fds[i]);
	sbx_notebuf_add(&pp->notes, "self: io_uring_enter kept for the %d io_uring "
			"ring%s held before lockdown (fd %s%s; libuv, Node 22+): Landlock "
			"governs their operations, seccomp does not see them",
			pp->self_nrings, pp->self_nrings == 1 ? "" : "s", fds,
			pp->self_nrings > SBX_SELF_RING_FDS ? ", ..." : "");
	return 0;
}

int sbx_prepare_seccomp(struct sbx_prepared *pp, const struct sbx_policy *p,
			struct sbx_error *err)
{
	struct sbx_plan_seccomp *sc = &pp->plan.seccomp;
	bool listen = pp->flags & SBX_PREPARE_LISTENER;
	int r;

	if (pp->unix_supervise)
		r = sbx_prepare_unix_seccomp(pp, p, err);   /* prepare_unix.c */
	else if (pp->report && listen)
		r = prepare_notifying(pp, p, err);
	else if (sbx_policy_compiled_fast(p, pp->net, &pp->compiled))
		r = 0;     /* a preset's program, compiled at build time */
	else
		r = sbx_compile_policy_net(p, pp->net, -1, SBX_COMPILE_NO_DISASSEMBLY,
					   &pp->compiled, err);
	if (!r && pp->door == SBX_DOOR_SELF && pp->self_nrings)
		r = keep_rings(pp, p, err);
	if (r)
		return r;
	if (pp->report && !listen)
		sbx_notebuf_add(&pp->notes, "report: denied system calls are "
				"not reported: this door did not ask for a "
				"listener (SBX_PREPARE_LISTENER)");
	sc->pointer = "/seccomp";
	if (!pp->compiled || !pp->compiled->insn_count)
		return 0;
	sc->prog = (const struct sock_filter *)pp->compiled->bpf;
	sc->len = pp->compiled->insn_count;
	if (pp->flags & SBX_PREPARE_TSYNC)
		sc->flags |= SECCOMP_FILTER_FLAG_TSYNC;
	if (listen)
		sc->flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
	/* Both return a positive value; TSYNC_ESRCH tells them apart. */
	if ((pp->flags & SBX_PREPARE_TSYNC) && listen)
		sc->flags |= SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
	return 0;
}

int sbx_prepared_denial_ret(const struct sbx_prepared *pp, uint32_t arch,
			    uint32_t nr, const uint64_t args[6], uint32_t *ret)
{
	if (!pp || !pp->denial_model || !args || !ret)
		return -EINVAL;
	*ret = sbx_filter_model_eval(pp->denial_model, arch, nr, args);
	return 0;
}
