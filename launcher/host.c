/*
 * Restricted hosts (issue 25, docs/security-model.md "Restricted hosts"):
 * a layer the host refuses is skipped (best-effort) or names the host
 * setting (enforce); what was lost is said in one line on stderr, once,
 * before the program starts (--quiet silences it; the `skipped` events
 * carry the same). The spawn server learns what the host refuses once
 * (ln_host_learn) and its sandboxes skip those layers without paying for
 * the failed attempt each time.
 *
 * Only layers that change isolation are loud (namespaces, the view,
 * loopback). A best-effort limit skipped for want of a writable cgroup (the
 * default presets' limits, limits.c) is a `skipped` event and a --verbose
 * line only: it would print on every run of every unprivileged user.
 */
#include "host_check.h"
#include "launcher.h"
#include "kernel_defs.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static struct {
	bool known;
	struct sbx_host_skip skip[SBX_HOST_NKINDS + 3];
	size_t n;
} cache;

void ln_host_learn(void)
{
	struct sbx_host_check r;
	if (cache.known || sbx_host_check_run(&r))
		return;   /* not learnt: each sandbox tries for itself */
	unsigned long all = CLONE_NEWUSER;
	for (int i = 0; i < SBX_HOST_NKINDS; i++)
		all |= sbx_host_kinds[i].flag;
	cache.n = sbx_host_skipped(&r, all, sbx_host_cap_sys_admin(), cache.skip,
				   sizeof(cache.skip) / sizeof(cache.skip[0]));
	cache.known = true;
}

bool ln_host_cached(const char *layer, const char **why)
{
	for (size_t i = 0; cache.known && i < cache.n; i++)
		if (!strcmp(cache.skip[i].layer, layer) &&
		    strcmp(cache.skip[i].reason, SBX_HOST_NEEDS_USERNS)) {
			*why = cache.skip[i].reason;
			return true;
		}
	return false;
}

int ln_host_refused(struct ln_ctx *c, const char *layer, unsigned long what, const char *why,
		    struct sbx_error *err)
{
	if (!c->plan->ns_best_effort)
		return sbx_error_set(err, SBX_EUNSUPPORTED, EPERM, "/namespaces",
				     "%s: the host refuses it: %s; the policy requires it (set "
				     "\"namespaces\": {\"compat\": \"best-effort\"} to run without it)",
				     layer, why);
	ln_event_skipped(c, layer, why);
	c->lost.what |= what;
	if (strcmp(why, SBX_HOST_NEEDS_USERNS)) {
		for (int i = 0; i < 2; i++) {
			if (!strcmp(c->lost.why[i], why))
				break;
			if (!c->lost.why[i][0]) {
				snprintf(c->lost.why[i], sizeof(c->lost.why[i]), "%s", why);
				break;
			}
		}
	}
	return 0;
}

static void add(char *buf, size_t cap, size_t *n, bool *first, const char *s)
{
	if (*n < cap)
		*n += (size_t)snprintf(buf + *n, cap - *n, "%s%s", *first ? "" : ", ", s);
	*first = false;
}

void ln_host_notice(struct ln_ctx *c)
{
	unsigned long w = c->lost.what;
	if (!w || c->lost.said)
		return;
	c->lost.said = true;
	char line[1500];
	size_t n = 0, cap = sizeof(line);
	bool first = true;
	n += (size_t)snprintf(line, cap, "sbx: %s%s%s: running without ", c->lost.why[0],
			      c->lost.why[1][0] ? "; " : "", c->lost.why[1]);
	if (w & CLONE_NEWUSER)
		add(line, cap, &n, &first, "a user namespace");
	if (w & (CLONE_NEWNS | LN_LOST_VIEW))
		add(line, cap, &n, &first, "the read-only view and private /tmp (the host's /tmp "
		    "and files apply, as the policy's fs rules allow them)");
	if (w & CLONE_NEWPID)
		add(line, cap, &n, &first, "a pid namespace (host processes are visible)");
	if (w & CLONE_NEWNET)
		add(line, cap, &n, &first, c->lost.inet_closed
		    ? "a network namespace (internet sockets are refused instead, loopback too)"
		    : "a network namespace (the policy's net rules still hold: seccomp and Landlock)");
	if (w & LN_LOST_LOOPBACK)
		add(line, cap, &n, &first, "loopback (the sandbox has no network at all)");
	static const struct { unsigned long flag; const char *name; } minor[] = {
		{ CLONE_NEWIPC, "ipc" }, { CLONE_NEWUTS, "uts" }, { CLONE_NEWCGROUP, "cgroup" },
		{ CLONE_NEWTIME, "time" },
	};
	char names[64] = "";
	size_t m = 0;
	for (size_t i = 0; i < sizeof(minor) / sizeof(minor[0]); i++)
		if (w & minor[i].flag)
			m += (size_t)snprintf(names + m, sizeof(names) - m, "%s%s", m ? "/" : "",
					      minor[i].name);
	if (m) {
		char s[96];
		snprintf(s, sizeof(s), "%s namespace%s", names, strchr(names, '/') ? "s" : "");
		add(line, cap, &n, &first, s);
	}
	static const struct { unsigned long flag; const char *name; } kinds[] = {
		{ CLONE_NEWUSER, "user" }, { CLONE_NEWPID, "pid" }, { CLONE_NEWNET, "network" },
		{ CLONE_NEWNS, "mount" }, { CLONE_NEWIPC, "ipc" }, { CLONE_NEWUTS, "uts" },
		{ CLONE_NEWCGROUP, "cgroup" }, { CLONE_NEWTIME, "time" },
	};
	char made[96] = "";
	m = 0;
	unsigned long done = c->ns_done & ~(w & LN_LOST_VIEW ? (unsigned long)CLONE_NEWNS : 0UL);
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (done & kinds[i].flag)
			m += (size_t)snprintf(made + m, sizeof(made) - m, "%s%s", m ? "/" : "",
					      kinds[i].name);
	if (n < cap)
		snprintf(line + n, cap - n, "; still enforced: the policy's Landlock and seccomp rules%s%s%s",
			 m ? ", the " : "", made,
			 m ? (strchr(made, '/') ? " namespaces" : " namespace") : "");
	ln_event_notice(c, line + 5);           /* without "sbx: " */
	if (!c->quiet)
		dprintf(2, "%s (--quiet hides this line)\n", line);
}
