/*
 * A filter with a listener (report, net.unixPaths): no listener of the
 * program's own beside it.
 *
 * When several filters return SECCOMP_RET_USER_NOTIF for a call, the kernel
 * hands the notification to the most recently installed one, and a listener
 * that answers SECCOMP_USER_NOTIF_FLAG_CONTINUE lets the call run. While sbx's
 * listener is open the kernel refuses a second listener in the same filter
 * tree (EBUSY), but once its holder is gone (the unix-socket supervisor runs
 * in the program's own Landlock domain and may be killed by it; a reporter
 * may be killed where the policy does not scope signals) the program could
 * install a filter with a listener of its own, get every call sbx's filter
 * notifies (a denial under report, a unix-socket connect under
 * net.unixPaths) and let it run. So the filter refuses seccomp() with
 * SECCOMP_FILTER_FLAG_NEW_LISTENER, with EBUSY, what the kernel says while
 * sbx's listener is there. Filters without a listener stay allowed where the
 * policy allows seccomp(): one returning USER_NOTIF without a listener fails
 * the call (ENOSYS), never lets it run.
 */
#include "policy.h"
#include "prepared.h"
#include "report_calls.h"
#include "seccomp_defs.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Something other than a denial (the kernel or a supervisor may let it run). */
static bool may_run(struct sbx_action a)
{
	return a.kind != SBX_ACT_ERRNO && a.kind != SBX_ACT_KILL_PROCESS &&
	       a.kind != SBX_ACT_KILL_THREAD && a.kind != SBX_ACT_TRAP;
}

int sbx_model_refuse_listeners(struct sbx_filter_model *m)
{
	int nr = sbx_syscall_lookup(m->arch, "seccomp");
	struct sbx_model_syscall *s;
	struct sbx_model_rule *rules;
	struct sbx_arg_cond *c;
	bool open = false;

	if (nr < 0 || nr > m->max_nr)
		return 0;
	s = &m->sys[nr];
	open = may_run(s->has_base ? s->base : m->default_action);
	for (size_t i = 0; i < s->nrules && !open; i++)
		open = may_run(s->rules[i].action);
	if (!open)
		return 0;
	rules = calloc(s->nrules + 1, sizeof(*rules));
	c = calloc(1, sizeof(*c));
	if (!rules || !c) {
		free(rules);
		free(c);
		return -ENOMEM;
	}
	/* flags is an unsigned int: the kernel reads its low 32 bits. Only
	 * SECCOMP_SET_MODE_FILTER accepts any flag, so the operation need not
	 * be compared. */
	*c = (struct sbx_arg_cond){ .arg = 1, .op = SBX_CMP_MASKED_EQ,
				    .value = SECCOMP_FILTER_FLAG_NEW_LISTENER,
				    .mask = SECCOMP_FILTER_FLAG_NEW_LISTENER, .low32 = true };
	rules[0] = (struct sbx_model_rule){ c, 1, { SBX_ACT_ERRNO, EBUSY } };
	if (s->nrules)
		memcpy(rules + 1, s->rules, s->nrules * sizeof(*rules));
	free(s->rules);
	s->rules = rules;
	s->nrules++;
	return 0;
}

static bool allowish(struct sbx_action a)
{
	return a.kind == SBX_ACT_ALLOW || a.kind == SBX_ACT_LOG;
}

void sbx_model_notify_allows(struct sbx_filter_model *m, const char *name)
{
	static const struct sbx_action notify = { SBX_ACT_NOTIFY, 0 };
	int nr = sbx_syscall_lookup(m->arch, name);
	struct sbx_model_syscall *s;

	if (nr < 0 || nr > m->max_nr)
		return;
	s = &m->sys[nr];
	if (!s->has_base) {
		s->has_base = true;
		s->base = m->default_action;
	}
	if (allowish(s->base))
		s->base = notify;
	for (size_t i = 0; i < s->nrules; i++)
		if (allowish(s->rules[i].action))
			s->rules[i].action = notify;
}

/*
 * report: the calls that name a file (open, exec, create, remove, rename,
 * link, truncate, chmod/chown/utimes: policy/report_calls.c) reach the
 * supervisor too where the policy allows them, so that it can say which
 * file access Landlock (or a read-only mount) refused: Landlock itself
 * returns EACCES and tells no one (its audit records need root and the
 * host's audit switched on). The supervisor only observes: it answers
 * SECCOMP_USER_NOTIF_FLAG_CONTINUE for every one of them, and the kernel,
 * with Landlock, decides (confine/fs_denial.c).
 */
void sbx_model_observe_fs(struct sbx_prepared *pp, struct sbx_filter_model *m)
{
	for (size_t i = 0; i < sbx_report_fs_ncalls; i++)
		sbx_model_notify_allows(m, sbx_report_fs_calls[i]);
	pp->observe_fs = true;
}
