/*
 * The merged policy as canonical JSON (`sbx compile --format json`,
 * debugging, and the Node layer's view of what was loaded). It loads again
 * with the same meaning: no `extends`, paths already expanded, and the
 * seccomp layers flattened into one ordered `rules` list (an unconditional
 * rule is what `allow`/`deny` entries are).
 */
#include "policy.h"
#include "policy_keys.h"
#include "caps.h"
#include "seccomp_import.h"
#include "jsonw.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static const char *compat_name(int c)
{
	return c == SBX_COMPAT_BEST_EFFORT ? "best-effort" : "enforce";
}

static void kv_compat(struct sbx_jsonw *w, int c)
{
	if (c != SBX_UNSET)
		sbx_jsonw_kv_string(w, "compat", compat_name(c));
}

static void kv_tri(struct sbx_jsonw *w, const char *key, int v)
{
	if (v != SBX_UNSET)
		sbx_jsonw_kv_bool(w, key, v);
}

static void paths(struct sbx_jsonw *w, const char *key, const struct sbx_ppaths *l)
{
	if (!l->set)
		return;
	sbx_jsonw_key(w, key);
	sbx_jsonw_array_begin(w);
	for (size_t i = 0; i < l->count; i++) {
		if (l->items[i].optional) {
			sbx_jsonw_object_begin(w);
			sbx_jsonw_kv_string(w, "path", l->items[i].path);
			sbx_jsonw_kv_bool(w, "optional", true);
			sbx_jsonw_object_end(w);
		} else {
			sbx_jsonw_string(w, l->items[i].path);
		}
	}
	sbx_jsonw_array_end(w);
}

static void ports(struct sbx_jsonw *w, const char *key, const struct sbx_ports *l)
{
	if (!l->set)
		return;
	sbx_jsonw_key(w, key);
	sbx_jsonw_array_begin(w);
	for (size_t i = 0; i < l->count; i++)
		sbx_jsonw_uint(w, l->items[i]);
	sbx_jsonw_array_end(w);
}

static void action(struct sbx_jsonw *w, const char *key, struct sbx_action a)
{
	char buf[64];

	sbx_action_format(a, buf, sizeof(buf));
	sbx_jsonw_kv_string(w, key, buf);
}

static const char *op_text(enum sbx_cmp_op op)
{
	switch (op) {
	case SBX_CMP_EQ: return "==";
	case SBX_CMP_NE: return "!=";
	case SBX_CMP_LT: return "<";
	case SBX_CMP_LE: return "<=";
	case SBX_CMP_GT: return ">";
	case SBX_CMP_GE: return ">=";
	default: return "==";
	}
}

/* An imported rule's conditions in `when` syntax (numbers in hex). */
static void when_of(const struct sbx_arg_cond *c, size_t n, char *buf, size_t cap)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && len < cap; i++) {
		if (i)
			len += (size_t)snprintf(buf + len, cap - len, " && ");
		if (len >= cap)
			break;
		if (c[i].op == SBX_CMP_MASKED_EQ || c[i].op == SBX_CMP_MASKED_NE) {
			len += (size_t)snprintf(buf + len, cap - len, "arg%u & 0x%" PRIx64 " %s 0x%" PRIx64,
						c[i].arg, c[i].mask,
						c[i].op == SBX_CMP_MASKED_EQ ? "==" : "!=", c[i].value);
		} else if (c[i].op == SBX_CMP_IN) {
			len += (size_t)snprintf(buf + len, cap - len, "arg%u in [", c[i].arg);
			for (size_t k = 0; k < c[i].nset && len < cap; k++)
				len += (size_t)snprintf(buf + len, cap - len, "%s0x%" PRIx64,
							k ? ", " : "", c[i].set[k]);
			if (len < cap)
				len += (size_t)snprintf(buf + len, cap - len, "]");
		} else {
			len += (size_t)snprintf(buf + len, cap - len, "arg%u %s 0x%" PRIx64, c[i].arg,
						op_text(c[i].op), c[i].value);
		}
	}
}

/* "arch": [...] only when a rule does not apply to every architecture. */
static void arches(struct sbx_jsonw *w, unsigned mask)
{
	unsigned all = (1u << SBX_ARCH_COUNT) - 1;

	if ((mask & all) == all)
		return;
	sbx_jsonw_key(w, "arch");
	sbx_jsonw_array_begin(w);
	for (int a = 0; a < SBX_ARCH_COUNT; a++)
		if (mask & SBX_ARCH_BIT(a))
			sbx_jsonw_string(w, sbx_arch_info((enum sbx_arch)a)->name);
	sbx_jsonw_array_end(w);
}

static void seccomp(struct sbx_jsonw *w, const struct sbx_policy_seccomp *s)
{
	bool has_default = false, has_foreign = false;
	struct sbx_action def = { SBX_ACT_ERRNO, EPERM }, foreign = { SBX_ACT_KILL_PROCESS, 0 };

	for (size_t i = 0; i < s->nlayers; i++) {
		const struct sbx_seccomp_layer *l = &s->layers[i];

		if (l->imported) {
			const struct sbx_seccomp_spec *im = sbx_seccomp_import_spec(l->imported);

			if (im->has_default)
				has_default = true, def = im->default_action;
			if (im->has_bad_arch)
				has_foreign = true, foreign = im->bad_arch_action;
		}
		if (l->has_default)
			has_default = true, def = l->default_action;
		if (l->has_foreign)
			has_foreign = true, foreign = l->foreign_action;
	}
	sbx_jsonw_key(w, "seccomp");
	sbx_jsonw_object_begin(w);
	kv_compat(w, s->compat);
	if (has_default)
		action(w, "default", def);
	if (has_foreign)
		action(w, "foreignArch", foreign);
	sbx_jsonw_key(w, "rules");
	sbx_jsonw_array_begin(w);
	for (size_t i = 0; i < s->nlayers; i++) {
		const struct sbx_seccomp_layer *l = &s->layers[i];

		if (l->imported) {
			const struct sbx_seccomp_spec *im = sbx_seccomp_import_spec(l->imported);

			for (size_t k = 0; k < im->nentries; k++) {
				const struct sbx_seccomp_entry *e = &im->entries[k];
				char when[1024];

				sbx_jsonw_object_begin(w);
				sbx_jsonw_kv_string(w, "syscall", e->name);
				arches(w, e->arch_mask);
				if (e->nconds) {
					when_of(e->conds, e->nconds, when, sizeof(when));
					sbx_jsonw_kv_string(w, "when", when);
				}
				action(w, "action", e->action);
				sbx_jsonw_object_end(w);
			}
		}
		for (size_t k = 0; k < l->nrules; k++) {
			const struct sbx_policy_rule *r = &l->rules[k];

			sbx_jsonw_object_begin(w);
			if (r->nnames == 1) {
				sbx_jsonw_kv_string(w, "syscall", r->names[0]);
			} else {
				sbx_jsonw_key(w, "syscall");
				sbx_jsonw_array_begin(w);
				for (size_t j = 0; j < r->nnames; j++)
					sbx_jsonw_string(w, r->names[j]);
				sbx_jsonw_array_end(w);
			}
			arches(w, r->arch_mask);
			if (r->when)
				sbx_jsonw_kv_string(w, "when", r->when);
			action(w, "action", r->action);
			sbx_jsonw_object_end(w);
		}
	}
	sbx_jsonw_array_end(w);
	sbx_jsonw_object_end(w);
}

static void size_or_unlimited(struct sbx_jsonw *w, const char *key, uint64_t v)
{
	if (v == SBX_RLIM_UNLIMITED)
		sbx_jsonw_kv_string(w, key, "unlimited");
	else {
		sbx_jsonw_key(w, key);
		sbx_jsonw_uint(w, v);
	}
}

static void duration(struct sbx_jsonw *w, const char *key, uint64_t ms)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%" PRIu64 "ms", ms);
	sbx_jsonw_kv_string(w, key, buf);
}

static const char *unix_name(int m)
{
	return m == SBX_UNIX_NONE ? "none" : m == SBX_UNIX_SOCKETPAIR ? "socketpair" : "all";
}

int sbx_policy_to_json(const struct sbx_policy *p, char **json, struct sbx_error *err)
{
	struct sbx_jsonw w;
	int rc;

	if (!p || !json)
		return sbx_error_set(err, SBX_EINVAL, EINVAL, "", "no policy");
	*json = NULL;
	sbx_jsonw_init(&w);
	sbx_jsonw_object_begin(&w);
	sbx_jsonw_kv_int(&w, "version", 1);
	kv_compat(&w, p->compat);
	if (p->fs.present || p->fs.protect.set || p->fs.hide.set) {
		bool any = p->fs.compat != SBX_UNSET;

		sbx_jsonw_key(&w, "fs");
		sbx_jsonw_object_begin(&w);
		for (int r = 0; r < SBX_FS_NRIGHTS; r++)
			any |= p->fs.rights[r].set;
		/* A Landlock section with no list must stay one when read back
		 * beside protect/hide (which alone make none): say its compat. */
		if (p->fs.present && !any && (p->fs.protect.set || p->fs.hide.set))
			sbx_jsonw_kv_string(&w, "compat", compat_name(SBX_COMPAT_ENFORCE));
		kv_compat(&w, p->fs.compat);
		for (int r = 0; r < SBX_FS_NRIGHTS; r++)
			paths(&w, sbx_fs_right_keys[r], &p->fs.rights[r]);
		paths(&w, "protect", &p->fs.protect);
		paths(&w, "hide", &p->fs.hide);
		sbx_jsonw_object_end(&w);
	}
	if (p->net.present) {
		sbx_jsonw_key(&w, "net");
		sbx_jsonw_object_begin(&w);
		kv_compat(&w, p->net.compat);
		kv_tri(&w, "inet", p->net.inet);
		kv_tri(&w, "netlink", p->net.netlink);
		kv_tri(&w, "other", p->net.other);
		if (p->net.unix_mode != SBX_UNSET)
			sbx_jsonw_kv_string(&w, "unix", unix_name(p->net.unix_mode));
		paths(&w, "unixPaths", &p->net.unix_paths);
		if (p->net.hosts.set) {
			sbx_jsonw_key(&w, "hosts");
			sbx_jsonw_array_begin(&w);
			for (size_t i = 0; i < p->net.hosts.count; i++)
				sbx_jsonw_string(&w, p->net.hosts.items[i].written);
			sbx_jsonw_array_end(&w);
		}
		ports(&w, "connect", &p->net.connect);
		ports(&w, "bind", &p->net.bind);
		sbx_jsonw_object_end(&w);
	}
	if (p->scope.present) {
		sbx_jsonw_key(&w, "scope");
		sbx_jsonw_object_begin(&w);
		kv_compat(&w, p->scope.compat);
		kv_tri(&w, "abstractUnix", p->scope.abstract_unix);
		kv_tri(&w, "signals", p->scope.signals);
		sbx_jsonw_object_end(&w);
	}
	if (p->seccomp.present)
		seccomp(&w, &p->seccomp);
	if (p->has_caps) {
		sbx_jsonw_key(&w, "capabilities");
		sbx_jsonw_object_begin(&w);
		sbx_jsonw_key(&w, "keep");
		sbx_jsonw_array_begin(&w);
		for (int c = 0; c <= SBX_CAP_LAST; c++)
			if (p->caps_keep & SBX_CAP_BIT(c))
				sbx_jsonw_string(&w, sbx_cap_name(c));
		sbx_jsonw_array_end(&w);
		sbx_jsonw_object_end(&w);
	}
	if (p->rlimits.present) {
		sbx_jsonw_key(&w, "rlimits");
		sbx_jsonw_object_begin(&w);
		kv_compat(&w, p->rlimits.compat);
		for (int r = 0; r < SBX_RL_COUNT; r++)
			if (p->rlimits.set[r])
				size_or_unlimited(&w, sbx_rlimit_infos[r].key, p->rlimits.value[r]);
		sbx_jsonw_object_end(&w);
	}
	if (p->namespaces.present) {
		sbx_jsonw_key(&w, "namespaces");
		sbx_jsonw_object_begin(&w);
		kv_compat(&w, p->namespaces.compat);
		for (int n = 0; n < SBX_NS_COUNT; n++)
			kv_tri(&w, sbx_ns_keys[n], p->namespaces.ns[n]);
		if (p->namespaces.uid >= 0)
			sbx_jsonw_kv_int(&w, "uid", p->namespaces.uid);
		if (p->namespaces.gid >= 0)
			sbx_jsonw_kv_int(&w, "gid", p->namespaces.gid);
		sbx_jsonw_object_end(&w);
	}
	if (p->root_kind != SBX_UNSET) {
		static const char *const roots[] = { "host-readonly", "host", "empty" };

		sbx_jsonw_kv_string(&w, "root", p->root_kind == SBX_ROOT_DIR ? p->root_dir
									 : roots[p->root_kind]);
	}
	if (p->has_mounts) {
		sbx_jsonw_key(&w, "mounts");
		sbx_jsonw_array_begin(&w);
		for (size_t i = 0; i < p->nmounts; i++) {
			const struct sbx_policy_mount *m = &p->mounts[i];

			sbx_jsonw_object_begin(&w);
			sbx_jsonw_kv_string(&w, "type", sbx_mount_type_names[m->type]);
			if (m->source)
				sbx_jsonw_kv_string(&w, "source", m->source);
			sbx_jsonw_kv_string(&w, "target", m->target);
			if (m->upper)
				sbx_jsonw_kv_string(&w, "upper", m->upper);
			if (m->writable)
				sbx_jsonw_kv_bool(&w, "writable", true);
			if (m->optional)
				sbx_jsonw_kv_bool(&w, "optional", true);
			if (m->size) {
				sbx_jsonw_key(&w, "size");
				sbx_jsonw_uint(&w, m->size);
			}
			sbx_jsonw_object_end(&w);
		}
		sbx_jsonw_array_end(&w);
	}
	if (p->env.present) {
		sbx_jsonw_key(&w, "env");
		sbx_jsonw_object_begin(&w);
		kv_tri(&w, "clear", p->env.clear);
		sbx_jsonw_key(&w, "keep");
		sbx_jsonw_array_begin(&w);
		for (size_t i = 0; i < p->env.nkeep; i++)
			sbx_jsonw_string(&w, p->env.keep[i]);
		sbx_jsonw_array_end(&w);
		sbx_jsonw_key(&w, "set");
		sbx_jsonw_object_begin(&w);
		for (size_t i = 0; i < p->env.nset; i++)
			sbx_jsonw_kv_string(&w, p->env.set[i].name, p->env.set[i].value);
		sbx_jsonw_object_end(&w);
		sbx_jsonw_object_end(&w);
	}
	if (p->limits.present) {
		const struct sbx_policy_limits *l = &p->limits;

		sbx_jsonw_key(&w, "limits");
		sbx_jsonw_object_begin(&w);
		kv_compat(&w, l->compat);
		if (l->has_memory && l->memory_pct) {
			char buf[16];

			snprintf(buf, sizeof(buf), "%u%%", (unsigned)l->memory_pct);
			sbx_jsonw_kv_string(&w, "memory", buf);
		} else if (l->has_memory && l->memory == SBX_LIMIT_UNLIMITED) {
			sbx_jsonw_kv_string(&w, "memory", "unlimited");
		} else if (l->has_memory) {
			sbx_jsonw_key(&w, "memory");
			sbx_jsonw_uint(&w, l->memory);
		}
		if (l->has_pids && l->pids == SBX_LIMIT_UNLIMITED) {
			sbx_jsonw_kv_string(&w, "pids", "unlimited");
		} else if (l->has_pids) {
			sbx_jsonw_key(&w, "pids");
			sbx_jsonw_uint(&w, l->pids);
		}
		if (l->has_cpu) {
			char buf[32];

			/* milli-CPUs as a string: exact, no float formatting */
			snprintf(buf, sizeof(buf), "%" PRIu64 "m", l->cpu_milli);
			sbx_jsonw_kv_string(&w, "cpu", buf);
		}
		if (l->has_wall)
			duration(&w, "wallTime", l->wall_ms);
		if (l->has_cputime)
			duration(&w, "cpuTime", l->cputime_ms);
		sbx_jsonw_object_end(&w);
	}
	sbx_policy_keys_json(&w, p);       /* the plain keys: policy_keys.def */
	sbx_jsonw_object_end(&w);
	rc = sbx_jsonw_finish(&w, json);
	if (rc)
		return sbx_error_set(err, rc == -ENOMEM ? SBX_ENOMEM : SBX_EINTERNAL, -rc, "",
				     "cannot write the policy as JSON");
	return 0;
}
