/*
 * net.unixPaths in a prepared sandbox (docs/security-model.md, "Unix sockets").
 *
 * Landlock governs connect() on a pathname unix socket only from ABI 9
 * (LANDLOCK_ACCESS_FS_RESOLVE_UNIX), and sbx does not use that right yet. So:
 *
 *   spawn door   the filter hands connect(), sendto() with an address,
 *                sendmsg() and sendmmsg() to a supervisor (USER_NOTIF) where
 *                the policy allows them, and denies io_uring_setup() (a ring
 *                connects and sends beside seccomp). The supervisor
 *                (launcher/unixsup.c) performs each call itself on its own
 *                copy of the socket and of the arguments, after checking a
 *                pathname address against the listed sockets by inode: the
 *                sandbox's memory is read once and never again (no TOCTOU).
 *   preload,     refused in enforce mode (SBX_EUNSUPPORTED at /net/unixPaths),
 *   self door    skipped with a note in best-effort mode.
 *
 * The filter is changed on the per-arch model, after the policy's entries are
 * resolved, so that "where the policy allows" is exact: a call the policy
 * denies (errno, kill, trap), whatever its arguments, is still denied by the
 * kernel and never reaches the supervisor; only an allow (or log) becomes a
 * notification. sendto() is notified only when its address argument is not
 * NULL: send() on a connected socket (the common case) stays in the kernel.
 */
#include "policy.h"
#include "prepared.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int oom(struct sbx_error *err)
{
	return sbx_error_set(err, SBX_ENOMEM, ENOMEM, "/net/unixPaths", "out of memory");
}

int sbx_prepare_unix_check(struct sbx_prepared *pp, const struct sbx_policy *p, int abi,
			   struct sbx_error *err)
{
	const struct sbx_ppaths *up = &p->net.unix_paths;
	int compat = p->resolved.net;
	const char *door = pp->door == SBX_DOOR_SELF ? "self" : "preload";

	if (!up->set)
		return 0;
	if (pp->door == SBX_DOOR_SPAWN) {
		if (!(pp->flags & SBX_PREPARE_LISTENER))
			return sbx_error_set(err, SBX_EUNSUPPORTED, EOPNOTSUPP, "/net/unixPaths",
					     "net.unixPaths needs the spawn door's supervisor: "
					     "prepare with SBX_PREPARE_LISTENER (sbx-launcher does)");
		pp->unix_supervise = true;
		return 0;
	}
	if (compat != SBX_COMPAT_BEST_EFFORT) {
		if (pp->door == SBX_DOOR_SELF)
			return sbx_error_set(err, SBX_EUNSUPPORTED, EOPNOTSUPP, "/net/unixPaths",
				"the self door cannot restrict which unix sockets the process "
				"connects to: sbx does not use Landlock's unix-socket right "
				"(ABI 9; this kernel has ABI %d), and a seccomp supervisor does "
				"not see the connects and sends of the io_uring rings Node's "
				"libuv holds. Use sbx.spawn() for this policy, or set \"compat\": "
				"\"best-effort\" in \"net\" to run with unix sockets unrestricted",
				abi);
		return sbx_error_set(err, SBX_EUNSUPPORTED, EOPNOTSUPP, "/net/unixPaths",
			"the preload door cannot restrict which unix sockets a program "
			"connects to: sbx does not use Landlock's unix-socket right (ABI 9; "
			"this kernel has ABI %d), and only the spawn door has the supervisor "
			"that checks each connect. Use `sbx run` (spawn door) for this policy, "
			"or set \"compat\": \"best-effort\" in \"net\" to run with unix sockets "
			"unrestricted", abi);
	}
	sbx_notebuf_add(&pp->skipped, "/net/unixPaths: not enforced by the %s door (only "
			"the spawn door checks unix-socket connects): unix sockets may "
			"connect to any socket the program can reach", door);
	return 0;
}

/* ---- the filter ------------------------------------------------------------ */

static const struct sbx_action notify = { SBX_ACT_NOTIFY, 0 };

static bool allowish(struct sbx_action a)
{
	return a.kind == SBX_ACT_ALLOW || a.kind == SBX_ACT_LOG;
}

static struct sbx_action to_notify(struct sbx_action a)
{
	if (a.kind == SBX_ACT_ERRNO && a.data != ENOSYS)
		return notify;
	return a;
}

static void free_conds(struct sbx_arg_cond *c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free((void *)c[i].set);
	free(c);
}

/* A copy of conds (sets too) with room for `extra` more at the end. */
static struct sbx_arg_cond *copy_conds(const struct sbx_arg_cond *c, size_t n, size_t extra)
{
	struct sbx_arg_cond *out = calloc(n + extra, sizeof(*out));

	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		out[i] = c[i];
		out[i].set = NULL;
		if (c[i].op == SBX_CMP_IN && c[i].nset) {
			uint64_t *set = malloc(c[i].nset * sizeof(*set));

			if (!set) {
				free_conds(out, n + extra);
				return NULL;
			}
			memcpy(set, c[i].set, c[i].nset * sizeof(*set));
			out[i].set = set;
		}
	}
	return out;
}

static struct sbx_model_syscall *sys_of(struct sbx_filter_model *m, const char *name)
{
	int nr = sbx_syscall_lookup(m->arch, name);

	if (nr < 0 || nr > m->max_nr)
		return NULL;
	return &m->sys[nr];
}

/*
 * sendto(fd, buf, len, flags, addr, alen): an allow with addr != NULL becomes
 * a notification, one with addr == NULL stays. First match wins, so each
 * allowing rule R becomes [R && arg4 == 0: R's action], [R: notify]; and an
 * allowing base gets a last rule [arg4 != 0: notify].
 */
static int notify_sendto_allows(struct sbx_filter_model *m)
{
	struct sbx_model_syscall *s = sys_of(m, "sendto");
	struct sbx_model_rule *rules;
	struct sbx_arg_cond *last = NULL;
	struct sbx_action base;
	size_t n = 0, i = 0;

	if (!s)
		return 0;
	base = s->has_base ? s->base : m->default_action;
	rules = calloc(s->nrules * 2 + 1, sizeof(*rules));
	if (!rules)
		return -ENOMEM;
	if (allowish(base) && !(last = calloc(1, sizeof(*last))))
		goto fail;
	for (i = 0; i < s->nrules; i++) {
		struct sbx_model_rule *r = &s->rules[i];

		if (allowish(r->action)) {
			struct sbx_arg_cond *c = copy_conds(r->conds, r->nconds, 1);

			if (!c)
				goto fail;
			c[r->nconds] = (struct sbx_arg_cond){ .arg = 4, .op = SBX_CMP_EQ, .value = 0 };
			rules[n++] = (struct sbx_model_rule){ c, r->nconds + 1, r->action };
			rules[n] = *r;
			rules[n++].action = notify;
		} else {
			rules[n++] = *r;
		}
	}
	if (last) {
		*last = (struct sbx_arg_cond){ .arg = 4, .op = SBX_CMP_NE, .value = 0 };
		rules[n++] = (struct sbx_model_rule){ last, 1, notify };
	}
	free(s->rules);     /* their conditions moved to `rules` */
	s->rules = rules;
	s->nrules = n;
	return 0;
fail:
	/* Free the copies made so far (each right before its moved original). */
	for (size_t j = 0, k = 0; j < i && j < s->nrules; j++) {
		if (allowish(s->rules[j].action)) {
			free_conds(rules[k].conds, rules[k].nconds);
			k += 2;
		} else {
			k++;
		}
	}
	free(last);
	free(rules);
	return -ENOMEM;
}

/* io_uring_setup: refused whatever the policy says (a ring's IORING_OP_CONNECT
 * and SENDMSG would not pass the supervisor). */
static void deny_rings(struct sbx_filter_model *m, struct sbx_action deny)
{
	struct sbx_model_syscall *s = sys_of(m, "io_uring_setup");
	struct sbx_action cur;

	if (!s)
		return;
	cur = s->has_base ? s->base : m->default_action;
	/* A kill or trap the policy chose for it stays. */
	if (!s->nrules && (cur.kind == SBX_ACT_KILL_PROCESS || cur.kind == SBX_ACT_KILL_THREAD ||
			   cur.kind == SBX_ACT_TRAP))
		return;
	for (size_t i = 0; i < s->nrules; i++)
		free_conds(s->rules[i].conds, s->rules[i].nconds);
	free(s->rules);
	s->rules = NULL;
	s->nrules = 0;
	s->has_base = true;
	s->base = deny;
}

int sbx_prepare_unix_seccomp(struct sbx_prepared *pp, const struct sbx_policy *p,
			     struct sbx_error *err)
{
	static const struct sbx_action eperm = { SBX_ACT_ERRNO, EPERM };
	bool report = pp->report;
	struct sbx_seccomp_spec *spec = NULL, work;
	struct sbx_seccomp_spec allow_all = {
		.has_default = true, .default_action = { SBX_ACT_ALLOW, 0 }, .default_pointer = "",
	};
	struct sbx_seccomp_entry *entries = NULL;
	struct sbx_filter_model *model = NULL;
	struct sbx_notes notes = { 0 };
	struct sock_filter *prog = NULL;
	struct sbx_compiled *c = NULL;
	size_t len = 0;
	int r;

	r = sbx_policy_seccomp_spec_net(p, pp->net, sbx_arch_native(), &spec, &notes, err);
	if (r)
		goto out;
	/* No filter asked for: one that allows everything but the above. */
	work = spec ? *spec : allow_all;
	if (report) {
		/* The policy's own verdicts, for the supervisor: which errno a
		 * denial gets, and whether a notified connect was allowed. */
		r = sbx_seccomp_resolve(&work, sbx_arch_native(), &pp->denial_model, &notes, err);
		if (r)
			goto out;
		deny_rings(pp->denial_model, eperm);
		pp->notify_denials = true;
		if (work.nentries) {
			entries = malloc(work.nentries * sizeof(*entries));
			if (!entries) {
				r = oom(err);
				goto out;
			}
			for (size_t i = 0; i < work.nentries; i++) {
				entries[i] = work.entries[i];
				entries[i].action = to_notify(entries[i].action);
			}
			work.entries = entries;
		}
		work.default_action = to_notify(work.has_default ? work.default_action : eperm);
		work.has_default = true;
	}
	r = sbx_seccomp_resolve(&work, sbx_arch_native(), &model, &notes, err);
	if (r)
		goto out;
	deny_rings(model, report ? notify : eperm);
	sbx_model_notify_allows(model, "connect");
	sbx_model_notify_allows(model, "sendmsg");
	sbx_model_notify_allows(model, "sendmmsg");
	if (report && pp->door != SBX_DOOR_SELF)
		sbx_model_observe_fs(pp, model);      /* prepare_listener.c */
	if (notify_sendto_allows(model) || sbx_model_refuse_listeners(model)) {
		r = oom(err);
		goto out;
	}
	r = sbx_seccomp_compile(model, &prog, &len, err);
	if (r)
		goto out;
	c = calloc(1, sizeof(*c));
	if (!c) {
		r = oom(err);
		goto out;
	}
	c->arch = (int)sbx_arch_native();
	c->bpf = (unsigned char *)prog;
	prog = NULL;
	c->insn_count = len;
	c->bpf_size = len * sizeof(struct sock_filter);
	pp->compiled = c;
	c = NULL;
	sbx_notebuf_add(&pp->notes, "net.unixPaths: connect(), sendto() with an address, "
			"sendmsg() and sendmmsg() go to the launcher's supervisor where the "
			"policy allows them; it performs them itself after checking a pathname "
			"unix address against the listed sockets and the sandbox's own mounts "
			"(by inode); io_uring_setup() is denied, and seccomp() with a listener "
			"of the program's own");
out:
	free(prog);
	free(entries);
	sbx_filter_model_free(model);
	sbx_policy_seccomp_spec_free(spec);
	sbx_notes_free(&notes);
	return r;
}
