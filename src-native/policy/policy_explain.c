/*
 * `sbx explain`: what a merged policy allows and denies, in plain words, one
 * paragraph per section. Sections the policy does not mention are named as
 * unrestricted, so that a reader sees what is NOT confined as well.
 */
#include "policy.h"
#include "report_calls.h"
#include "caps.h"
#include "seccomp_import.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct out {
	char *buf;
	size_t len, cap;
	bool failed;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->failed)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf ? o->buf + o->len : NULL, o->buf ? o->cap - o->len : 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		o->failed = true;
		return;
	}
	if (!o->buf || o->len + (size_t)n >= o->cap) {
		size_t ncap = (o->cap ? o->cap : 1024);
		char *nb;

		while (ncap <= o->len + (size_t)n)
			ncap *= 2;
		nb = realloc(o->buf, ncap);
		if (!nb) {
			o->failed = true;
			return;
		}
		o->buf = nb;
		o->cap = ncap;
		va_start(ap, fmt);
		vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
		va_end(ap);
	}
	o->len += (size_t)n;
}

static void path_list(struct out *o, const struct sbx_ppaths *l)
{
	if (!l->count) {
		put(o, "nothing");
		return;
	}
	for (size_t i = 0; i < l->count; i++)
		put(o, "%s%s%s", i ? ", " : "", l->items[i].path,
		    l->items[i].optional ? " (if present)" : "");
}

static const char *compat_words(int resolved)
{
	return resolved == SBX_COMPAT_BEST_EFFORT
		       ? " Best effort: what this kernel cannot enforce is skipped and reported."
		       : "";
}

static void explain_fs(struct out *o, const struct sbx_policy *p)
{
	static const char *const words[SBX_FS_NRIGHTS] = {
		"Read files and list directories under", "Modify (write, create, remove, rename) under",
		"Execute programs from", "Write existing files under", "Create files under",
		"Create directories under", "Remove files under", "Truncate files under",
		"Use device ioctls under", "Link or move files across directories under",
		"List directories (names only, not file contents) under",
	};

	if (!p->fs.present) {
		put(o, "Files: not restricted by sbx (only by ordinary permissions).");
	} else {
		put(o, "Files: everything not listed here is denied.");
		for (int r = 0; r < SBX_FS_NRIGHTS; r++) {
			if (!p->fs.rights[r].set)
				continue;
			put(o, " %s: ", words[r]);
			path_list(o, &p->fs.rights[r]);
			put(o, ".");
		}
		put(o, "%s", compat_words(p->resolved.fs));
	}
	if (p->fs.protect.count) {
		put(o, " Kept read-only even inside a writable directory (relative paths: beneath "
		       "each writable directory; the spawn door mounts them read-only, the other "
		       "doors refuse to run when one lies where the program may write): ");
		path_list(o, &p->fs.protect);
		put(o, ".");
	}
	if (p->fs.hide.count) {
		put(o, " Hidden (shown empty by the spawn door; the other doors refuse to run when "
		       "one lies where the program may read): ");
		path_list(o, &p->fs.hide);
		put(o, ".");
	}
	put(o, "\n\n");
}

static void port_list(struct out *o, const char *what, const struct sbx_ports *l)
{
	if (!l->set) {
		put(o, " TCP %s: any port.", what);
		return;
	}
	if (!l->count) {
		put(o, " TCP %s: no port.", what);
		return;
	}
	put(o, " TCP %s: only port%s", what, l->count > 1 ? "s" : "");
	for (size_t i = 0; i < l->count; i++)
		put(o, "%s %u", i ? "," : "", l->items[i]);
	put(o, ".");
}

static void explain_net(struct out *o, const struct sbx_policy *p)
{
	const struct sbx_policy_net *n = &p->net;
	static const char *const unix_words[] = {
		"no unix sockets at all (not even socketpair)",
		"no unix sockets except socketpair() between related processes",
		"unix sockets allowed, including connecting to every host daemon's socket "
		"the program can see (docker.sock, D-Bus, ssh-agent: see net.unixPaths)",
	};

	if (!n->present) {
		put(o, "Network: not restricted.\n\n");
		return;
	}
	put(o, "Network: IPv4/IPv6 sockets %s; netlink sockets %s; other socket families "
	       "(packet, vsock, alg, bluetooth, ...) %s; ",
	    !sbx_net_inet_sockets(n) ? "denied" : "allowed", n->netlink == 0 ? "denied" : "allowed",
	    n->other == 0 ? "denied" : "allowed");
	if (n->unix_paths.set) {
		put(o, "unix sockets may be created, and connect(), sendto(), sendmsg() and "
		       "sendmmsg() reach only the sandbox's own pathname sockets (made in its "
		       "private /tmp, $TMPDIR, $HOME or /dev/shm) and ");
		if (!n->unix_paths.count)
			put(o, "no other");
		for (size_t i = 0; i < n->unix_paths.count; i++)
			put(o, "%s%s%s", i ? ", " : "", n->unix_paths.items[i].path,
			    n->unix_paths.items[i].optional ? " (if present)" : "");
		put(o, " (pathname sockets, compared by inode; abstract ones as the scope "
		       "says). Enforced by the spawn door, whose supervisor performs those calls "
		       "after the check (io_uring is denied there); the preload and self doors "
		       "refuse net.unixPaths unless it is best-effort.");
	} else {
		put(o, "%s.", unix_words[n->unix_mode == SBX_UNSET ? SBX_UNIX_ALL : n->unix_mode]);
	}
	if (n->hosts.set) {
		char pat[320];

		put(o, " Egress by name (net.hosts): the sandbox keeps its own network; TCP leaves "
		       "only through the spawn door's egress path, to ");
		if (!n->hosts.count)
			put(o, "no host");
		for (size_t i = 0; i < n->hosts.count; i++) {
			sbx_host_pattern_format(&n->hosts.items[i].pat, pat, sizeof(pat));
			put(o, "%s%s", i ? ", " : "", pat);
			if (n->hosts.items[i].group)
				put(o, " (%s)", n->hosts.items[i].group);
		}
		put(o, " (no port: 80 and 443). A name is checked where the connection says it "
		       "(the proxy's CONNECT line, the TLS server name, the HTTP Host header); "
		       "an address is reached when it is listed or an allowed name resolves to it. "
		       "Proxy-aware programs get HTTP_PROXY/HTTPS_PROXY/ALL_PROXY; other programs' "
		       "connect() goes through it transparently. No UDP leaves; DNS answers allowed "
		       "names only. The preload and self doors refuse net.hosts.");
	}
	if (sbx_net_inet_sockets(n)) {
		port_list(o, "connect", &n->connect);
		port_list(o, "bind", &n->bind);
	}
	put(o, "%s\n\n", compat_words(p->resolved.net));
	if (p->scope.present) {
		put(o, "Scope: connecting to abstract unix sockets outside the sandbox is %s; "
		       "signals to processes outside the sandbox are %s.%s\n\n",
		    p->scope.abstract_unix == 1 ? "denied" : "allowed",
		    p->scope.signals == 1 ? "denied" : "allowed", compat_words(p->resolved.scope));
	}
}

static void action_words(struct sbx_action a, char *buf, size_t cap)
{
	char t[64];

	sbx_action_format(a, t, sizeof(t));
	switch (a.kind) {
	case SBX_ACT_ALLOW: snprintf(buf, cap, "allowed"); break;
	case SBX_ACT_ERRNO: snprintf(buf, cap, "fail with %.40s", t + 6); break;
	case SBX_ACT_KILL_PROCESS: snprintf(buf, cap, "kill the process"); break;
	case SBX_ACT_KILL_THREAD: snprintf(buf, cap, "kill the thread"); break;
	case SBX_ACT_TRAP: snprintf(buf, cap, "raise SIGSYS"); break;
	case SBX_ACT_LOG: snprintf(buf, cap, "allowed and logged"); break;
	case SBX_ACT_NOTIFY: snprintf(buf, cap, "ask the supervisor"); break;
	default: snprintf(buf, cap, "%s", t); break;
	}
}

static void explain_seccomp(struct out *o, const struct sbx_policy *p)
{
	const struct sbx_policy_seccomp *s = &p->seccomp;
	struct sbx_action def = { SBX_ACT_ERRNO, EPERM };
	char w[64];

	if (!s->present) {
		put(o, "System calls: %s\n\n",
		    p->net.present ? "only socket() and socketpair() are filtered (see Network)."
				   : "not filtered.");
		return;
	}
	/* as the merged policy reads it: an import's default, then its layer's key */
	for (size_t i = 0; i < s->nlayers; i++) {
		const struct sbx_seccomp_layer *l = &s->layers[i];

		if (l->imported && sbx_seccomp_import_spec(l->imported)->has_default)
			def = sbx_seccomp_import_spec(l->imported)->default_action;
		if (l->has_default)
			def = l->default_action;
	}
	action_words(def, w, sizeof(w));
	put(o, "System calls: unless a rule below says otherwise, a call will %s.", w);
	for (size_t i = 0; i < s->nlayers; i++) {
		const struct sbx_seccomp_layer *l = &s->layers[i];

		if (l->import_path)
			put(o, " From %s: the rules of the %s %s.", l->origin,
			    l->imported ? sbx_seccomp_import_kind(l->imported)
					: "seccomp profile", l->import_path);
		for (size_t k = 0; k < l->nrules;) {
			const struct sbx_policy_rule *r = &l->rules[k];
			size_t end = k + 1;

			/* consecutive unconditional rules with one action: one sentence */
			while (!r->nconds && end < l->nrules && !l->rules[end].nconds &&
			       l->rules[end].action.kind == r->action.kind &&
			       l->rules[end].action.data == r->action.data)
				end++;
			action_words(r->action, w, sizeof(w));
			put(o, " ");
			for (size_t x = k; x < end; x++)
				for (size_t j = 0; j < l->rules[x].nnames; j++)
					put(o, "%s%s", x > k || j ? ", " : "", l->rules[x].names[j]);
			put(o, ": %s%s%s.", w, r->when ? " when " : "", r->when ? r->when : "");
			k = end;
		}
	}
	put(o, " Later rules override earlier ones; groups (@name) stand for their members. "
	       "Calls unknown to sbx's tables fail with ENOSYS, and other architectures' "
	       "calls kill the process.%s\n\n",
	    compat_words(p->resolved.seccomp));
}

static void explain_caps(struct out *o, const struct sbx_policy *p)
{
	if (!p->has_caps) {
		put(o, "Capabilities: kept as the process has them.\n\n");
		return;
	}
	if (!p->caps_keep) {
		put(o, "Capabilities: all dropped (bounding, ambient, inheritable, permitted and "
		       "effective sets); no_new_privs is set, so setuid programs gain nothing.\n\n");
		return;
	}
	put(o, "Capabilities: all dropped except");
	for (int c = 0, first = 1; c <= SBX_CAP_LAST; c++) {
		if (!(p->caps_keep & SBX_CAP_BIT(c)))
			continue;
		put(o, "%s %s", first ? "" : ",", sbx_cap_name(c));
		first = 0;
	}
	put(o, "; no_new_privs is set.\n\n");
}

static void explain_limits(struct out *o, const struct sbx_policy *p)
{
	if (p->rlimits.present) {
		bool any = false;

		put(o, "Resource limits (setrlimit, soft = hard):");
		for (int r = 0; r < SBX_RL_COUNT; r++) {
			if (!p->rlimits.set[r])
				continue;
			if (p->rlimits.value[r] == SBX_RLIM_UNLIMITED)
				put(o, "%s %s unlimited", any ? "," : "", sbx_rlimit_infos[r].key);
			else
				put(o, "%s %s %" PRIu64 "%s", any ? "," : "", sbx_rlimit_infos[r].key,
				    p->rlimits.value[r],
				    sbx_rlimit_infos[r].unit == 'b'   ? " bytes"
				    : sbx_rlimit_infos[r].unit == 's' ? " s"
				    : sbx_rlimit_infos[r].unit == 'u' ? " us"
								      : "");
			any = true;
		}
		put(o, "%s.%s\n\n", any ? "" : " none set", compat_words(p->resolved.rlimits));
	}
	if (p->limits.present) {
		const struct sbx_policy_limits *l = &p->limits;

		put(o, "Limits for the whole sandbox (spawn door):");
		if (l->has_memory && l->memory_pct)
			put(o, " memory %u%% of the host's (a cgroup only);", (unsigned)l->memory_pct);
		else if (l->has_memory && l->memory == SBX_LIMIT_UNLIMITED)
			put(o, " memory unlimited;");
		else if (l->has_memory)
			put(o, " memory %" PRIu64 " bytes;", l->memory);
		if (l->has_pids && l->pids == SBX_LIMIT_UNLIMITED)
			put(o, " processes unlimited;");
		else if (l->has_pids)
			put(o, " at most %" PRIu64 " processes;", l->pids);
		if (l->has_cpu)
			put(o, " %" PRIu64 ".%03" PRIu64 " CPUs;", l->cpu_milli / 1000,
			    l->cpu_milli % 1000);
		if (l->has_wall)
			put(o, " killed after %" PRIu64 " ms of wall-clock time;", l->wall_ms);
		if (l->has_cputime)
			put(o, " killed after %" PRIu64 " ms of CPU time;", l->cputime_ms);
		put(o, "%s\n\n", compat_words(p->resolved.limits));
	}
}

static void explain_spawn(struct out *o, const struct sbx_policy *p)
{
	static const char *const roots[] = { "the host's, read-only", "the host's",
					     "empty (only what the mounts add)" };

	if (p->namespaces.present) {
		bool any = false, off = false, unset = false;

		/* Only what the policy says: a kind it leaves unset is the spawn
		 * door's default (every kind but time), which the plan above
		 * shows as made; "new none" would contradict it. */
		put(o, "Namespaces (spawn door only):");
		for (int n = 0; n < SBX_NS_COUNT; n++) {
			if (p->namespaces.ns[n] != 1)
				continue;
			put(o, "%s %s", any ? "," : " new", sbx_ns_keys[n]);
			any = true;
		}
		for (int n = 0; n < SBX_NS_COUNT; n++) {
			if (p->namespaces.ns[n] == SBX_UNSET)
				unset = true;
			if (p->namespaces.ns[n] != 0)
				continue;
			put(o, "%s %s", off ? "," : any ? "; not made:" : " not made:", sbx_ns_keys[n]);
			off = true;
		}
		if (unset)
			put(o, "%s", any || off ? "; the others as the spawn door's default" :
				     " the spawn door's default");
		put(o, ".");
		if (p->namespaces.uid >= 0)
			put(o, " Inside, uid %" PRId64 ".", p->namespaces.uid);
		if (p->namespaces.gid >= 0)
			put(o, " Inside, gid %" PRId64 ".", p->namespaces.gid);
		put(o, "%s\n\n", compat_words(p->resolved.namespaces));
	}
	if (p->root_kind != SBX_UNSET || p->has_mounts) {
		put(o, "Filesystem view (spawn door only): root is %s.",
		    p->root_kind == SBX_ROOT_DIR ? p->root_dir
		    : p->root_kind == SBX_UNSET  ? "the host's"
						 : roots[p->root_kind]);
		for (size_t i = 0; i < p->nmounts; i++) {
			const struct sbx_policy_mount *m = &p->mounts[i];

			put(o, " %s %s%s%s%s%s.", sbx_mount_type_names[m->type], m->target,
			    m->source ? " from " : "", m->source ? m->source : "",
			    m->writable ? ", writable" : "", m->optional ? ", if present" : "");
		}
		put(o, "\n\n");
	}
	if (p->env.present) {
		put(o, "Environment: %s.", p->env.clear == 1 ? "cleared" : "inherited");
		if (p->env.nkeep) {
			put(o, " Kept:");
			for (size_t i = 0; i < p->env.nkeep; i++)
				put(o, "%s %s", i ? "," : "", p->env.keep[i]);
			put(o, ".");
		}
		for (size_t i = 0; i < p->env.nset; i++)
			put(o, " %s is set to \"%s\".", p->env.set[i].name, p->env.set[i].value);
		put(o, "\n\n");
	}
	if (p->session_new != SBX_UNSET || p->die_with_parent != SBX_UNSET || p->hostname ||
	    p->cwd || p->report != SBX_UNSET || p->allow_broad_cwd == 1 ||
	    p->follow_symlinks == 1 || (p->home != SBX_UNSET && p->home != SBX_HOME_HIDDEN) ||
	    p->git == 1) {
		put(o, "Process:");
		if (p->session_new != SBX_UNSET)
			put(o, " %s session.", p->session_new ? "a new" : "the caller's");
		if (p->die_with_parent == 1)
			put(o, " Killed when its parent dies.");
		if (p->hostname)
			put(o, " Hostname %s.", p->hostname);
		if (p->cwd)
			put(o, " Working directory %s.", p->cwd);
		if (p->report == 1) {
			/* The doors with a supervisor (spawn, preload) also judge
			 * the calls that name a file (policy/report_calls.c). */
			put(o, " Denied system calls are reported; in the spawn and preload doors, so are "
			       "file accesses Landlock or the read-only view refuses, in the calls:");
			for (size_t i = 0; i < sbx_report_fs_ncalls; i++)
				put(o, "%s %s", i ? "," : "", sbx_report_fs_calls[i]);
			put(o, ". Not seen: %s.", sbx_report_fs_unseen);
		}
		if (p->allow_broad_cwd == 1)
			put(o, " The working directory may be /, the home directory or one of its "
			       "parents (all of it writable).");
		if (p->follow_symlinks == 1)
			put(o, " Symbolic links are followed anywhere on the way to the working "
			       "directory and bound paths (a link an earlier sandbox planted can "
			       "redirect them).");
		if (p->home == SBX_HOME_PRIVATE)
			put(o, " The private home is writable (caches and settings stay in it).");
		if (p->home == SBX_HOME_TOOLCHAINS)
			put(o, " The private home is writable; toolchains under the host's home "
			       "(the $PATH entries there, pyenv, nvm, volta, rustup, cargo, bun, "
			       "deno, ~/.local/bin) and ~/.gitconfig are shown read-only, "
			       "credentials beside them stay hidden.");
		if (p->git == 1)
			put(o, " In a git repository, its top level is readable and its git "
			       "directory writable (hooks and config read-only).");
		put(o, "\n\n");
	}
}

int sbx_policy_explain(const struct sbx_policy *p, char **text, struct sbx_error *err)
{
	struct out o = { 0 };

	if (!p || !text)
		return sbx_error_set(err, SBX_EINVAL, EINVAL, "", "no policy");
	*text = NULL;
	if (p->norigins > 1) {
		put(&o, "Built from, in order:");
		for (size_t i = 0; i < p->norigins; i++)
			put(&o, "%s %s", i ? "," : "", p->origins[i]);
		put(&o, ".\n\n");
	}
	explain_fs(&o, p);
	explain_net(&o, p);
	explain_seccomp(&o, p);
	explain_caps(&o, p);
	explain_limits(&o, p);
	explain_spawn(&o, p);
	if (o.failed || !o.buf) {
		free(o.buf);
		return sbx_error_set(err, SBX_ENOMEM, ENOMEM, "", "out of memory");
	}
	/* one trailing newline */
	while (o.len > 0 && o.buf[o.len - 1] == '\n')
		o.buf[--o.len] = '\0';
	*text = o.buf;
	return 0;
}
