/*
 * One policy document (JSON tree) -> one layer (struct sbx_policy).
 *
 * Strict by design: an unknown key is an error with a suggestion, a wrong
 * type names what was expected and what was found, a value out of range
 * names the range, and every error carries the JSON pointer of the value.
 * A policy is a security boundary; a typo that silently drops a restriction
 * ("raed" instead of "read") must never load.
 */
#include "policy.h"
#include "policy_keys.h"
#include "caps.h"
#include "suggest.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#define MAX_LIST 4096      /* entries in one list (paths, names, rules) */
#define MAX_EXTENDS 16
#define MAX_MOUNTS 256
#define MAX_ENV 1024

const char *const sbx_fs_right_keys[SBX_FS_NRIGHTS] = {
	"read", "write", "exec", "writeFile", "create", "makeDir", "remove",
	"truncate", "ioctlDev", "refer", "list",
};

const char *const sbx_ns_keys[SBX_NS_COUNT] = {
	"user", "pid", "net", "mount", "ipc", "uts", "cgroup", "time",
};

const char *const sbx_mount_type_names[SBX_MOUNT_TYPE_COUNT] = {
	"bind", "tmpfs", "proc", "dev", "overlay",
};

#define BIG (UINT64_C(1) << 62)
/* nofile: the kernel's ceiling for fs.nr_open on 64-bit (sysctl_nr_open_max). */
const struct sbx_rlimit_info sbx_rlimit_infos[SBX_RL_COUNT] = {
	[SBX_RL_AS] = { "as", RLIMIT_AS, 'b', BIG },
	[SBX_RL_CORE] = { "core", RLIMIT_CORE, 'b', BIG },
	[SBX_RL_CPU] = { "cpu", RLIMIT_CPU, 's', BIG },
	[SBX_RL_DATA] = { "data", RLIMIT_DATA, 'b', BIG },
	[SBX_RL_FSIZE] = { "fsize", RLIMIT_FSIZE, 'b', BIG },
	[SBX_RL_LOCKS] = { "locks", RLIMIT_LOCKS, 'n', BIG },
	[SBX_RL_MEMLOCK] = { "memlock", RLIMIT_MEMLOCK, 'b', BIG },
	[SBX_RL_MSGQUEUE] = { "msgqueue", RLIMIT_MSGQUEUE, 'b', BIG },
	[SBX_RL_NICE] = { "nice", RLIMIT_NICE, 'n', 40 },
	[SBX_RL_NOFILE] = { "nofile", RLIMIT_NOFILE, 'n', 2147483584u },
	[SBX_RL_NPROC] = { "nproc", RLIMIT_NPROC, 'n', BIG },
	[SBX_RL_RSS] = { "rss", RLIMIT_RSS, 'b', BIG },
	[SBX_RL_RTPRIO] = { "rtprio", RLIMIT_RTPRIO, 'n', 99 },
	[SBX_RL_RTTIME] = { "rttime", RLIMIT_RTTIME, 'u', BIG },
	[SBX_RL_SIGPENDING] = { "sigpending", RLIMIT_SIGPENDING, 'n', BIG },
	[SBX_RL_STACK] = { "stack", RLIMIT_STACK, 'b', BIG },
};

struct pctx {
	const struct sbx_parse_ctx *c;
	struct sbx_arena *a;
	struct sbx_policy *L;
	struct sbx_error *err;
	char ptr[256];
};

#define ARRAY_LEN(x) (sizeof(x) / sizeof((x)[0]))

static int oom(struct pctx *p)
{
	return sbx_error_set(p->err, SBX_ENOMEM, ENOMEM, p->ptr, "out of memory");
}

static const char *cur_ptr(struct pctx *p)
{
	const char *s = sbx_arena_strdup(p->a, p->ptr);

	return s ? s : "";
}

static const char *a_type(enum sbx_json_type t)
{
	switch (t) {
	case SBX_JSON_NULL: return "null";
	case SBX_JSON_BOOL: return "a boolean";
	case SBX_JSON_NUMBER: return "a number";
	case SBX_JSON_STRING: return "a string";
	case SBX_JSON_ARRAY: return "an array";
	case SBX_JSON_OBJECT: return "an object";
	}
	return "a value";
}

static int type_error(struct pctx *p, const struct sbx_json *v, const char *expected)
{
	if (v->type == SBX_JSON_STRING)
		return sbx_error_set(p->err, SBX_ETYPE, EINVAL, p->ptr,
				     "expected %s, found a string (\"%.40s\")", expected,
				     v->u.string.str);
	if (v->type == SBX_JSON_NUMBER)
		return sbx_error_set(p->err, SBX_ETYPE, EINVAL, p->ptr,
				     "expected %s, found a number (%.40s)", expected,
				     v->u.number.text);
	return sbx_error_set(p->err, SBX_ETYPE, EINVAL, p->ptr, "expected %s, found %s",
			     expected, a_type(v->type));
}

/* Every key of obj must be one of keys[]; the first stranger is an error at
 * its own pointer, with the nearest known key. */
static int check_keys(struct pctx *p, const struct sbx_json *obj,
		      const char *const *keys, size_t nkeys)
{
	for (size_t i = 0; i < obj->u.object.count; i++) {
		const char *k = obj->u.object.members[i].key;
		bool ok = false;

		for (size_t j = 0; j < nkeys && !ok; j++)
			ok = !strcmp(k, keys[j]);
		if (!ok) {
			const char *sug = sbx_suggest(k, keys, nkeys);
			size_t n = sbx_json_ptr_push(p->ptr, sizeof(p->ptr), k);
			int rc;

			if (sug)
				rc = sbx_error_set(p->err, SBX_EUNKNOWNKEY, EINVAL, p->ptr,
						   "unknown key %s, did you mean \"%s\"?", p->ptr, sug);
			else
				rc = sbx_error_set(p->err, SBX_EUNKNOWNKEY, EINVAL, p->ptr,
						   "unknown key %s", p->ptr);
			sbx_json_ptr_pop(p->ptr, n);
			return rc;
		}
	}
	return 0;
}

static int want(struct pctx *p, const struct sbx_json *v, enum sbx_json_type t,
		const char *expected)
{
	return v->type == t ? 0 : type_error(p, v, expected);
}

static int get_bool(struct pctx *p, const struct sbx_json *v, int *out)
{
	int rc = want(p, v, SBX_JSON_BOOL, "true or false");

	if (!rc)
		*out = v->u.boolean;
	return rc;
}

static int get_string(struct pctx *p, const struct sbx_json *v, const char **out)
{
	int rc = want(p, v, SBX_JSON_STRING, "a string");

	if (!rc)
		*out = v->u.string.str;
	return rc;
}

static int get_choice(struct pctx *p, const struct sbx_json *v, const char *const *choices,
		      size_t n, int *out)
{
	char list[160] = "";
	const char *sug;
	int rc = want(p, v, SBX_JSON_STRING, "a string");

	if (rc)
		return rc;
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(v->u.string.str, choices[i])) {
			*out = (int)i;
			return 0;
		}
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s\"%s\"",
			 i ? ", " : "", choices[i]);
	}
	sug = sbx_suggest(v->u.string.str, choices, n);
	return sbx_error_set(p->err, SBX_EVALUE, EINVAL, p->ptr,
			     "expected one of %s, found \"%.40s\"%s%s%s", list, v->u.string.str,
			     sug ? ", did you mean \"" : "", sug ? sug : "", sug ? "\"?" : "");
}

static int get_compat(struct pctx *p, const struct sbx_json *v, int *out)
{
	static const char *const c[] = { "enforce", "best-effort" };

	return get_choice(p, v, c, 2, out);
}

/* A non-negative integer in [min, max]. */
static int get_uint(struct pctx *p, const struct sbx_json *v, uint64_t min, uint64_t max,
		    uint64_t *out)
{
	if (v->type != SBX_JSON_NUMBER)
		return type_error(p, v, "an integer");
	if (v->u.number.is_integer && !v->u.number.is_negative && v->u.number.u64 >= min &&
	    v->u.number.u64 <= max) {
		*out = v->u.number.u64;
		return 0;
	}
	return sbx_error_set(p->err, SBX_EVALUE, ERANGE, p->ptr,
			     "%.40s is out of range: expected an integer from %llu to %llu",
			     v->u.number.text, (unsigned long long)min, (unsigned long long)max);
}

/* ---- paths -------------------------------------------------------------------- */

static int check_exists(struct pctx *p, const char *path, bool optional, bool want_dir)
{
	struct stat st;

	if (optional || (p->c->flags & SBX_POLICY_NO_PATH_CHECK))
		return 0;
	if (stat(path, &st) != 0)
		return sbx_error_set(p->err, SBX_EPATH, ENOENT, p->ptr,
				     SBX_MISSING_PATH_FMT, path, strerror(errno));
	if (want_dir && !S_ISDIR(st.st_mode))
		return sbx_error_set(p->err, SBX_EPATH, ENOTDIR, p->ptr,
				     "%s is not a directory", path);
	return 0;
}

/* A relative entry of fs.protect / fs.hide: "a/b" (a leading "./", "//",
 * "/./" and a trailing "/" are normalised away); ".." is refused, since it
 * would reach above the writable root the entry is taken beneath. */
static const char *relative_path(struct pctx *p, const char *in)
{
	size_t n = strlen(in);
	char *out = sbx_arena_alloc(p->a, n + 1), *w = out;
	const char *s = in;

	if (!out) {
		oom(p);
		return NULL;
	}
	while (*s) {
		const char *e = strchr(s, '/');
		size_t len = e ? (size_t)(e - s) : strlen(s);

		if (len == 2 && s[0] == '.' && s[1] == '.') {
			sbx_error_set(p->err, SBX_EVALUE, EINVAL, p->ptr,
				      "path \"%.60s\" has a \"..\" component: a relative entry is taken beneath each writable root and may not leave it",
				      in);
			return NULL;
		}
		if (len && !(len == 1 && s[0] == '.')) {
			if (w != out)
				*w++ = '/';
			memcpy(w, s, len);
			w += len;
		}
		s += len;
		while (*s == '/')
			s++;
	}
	*w = '\0';
	if (!out[0]) {
		sbx_error_set(p->err, SBX_EVALUE, EINVAL, p->ptr,
			      "path \"%.60s\" names the writable root itself: write a path beneath it (\".git/hooks\") or an absolute one",
			      in);
		return NULL;
	}
	return out;
}

/* `relative`: fs.protect / fs.hide, whose entries may be relative and may
 * be missing (a missing protected path is what the spawn door keeps from
 * being made). */
static int add_path(struct pctx *p, struct sbx_ppaths *list, const char *written,
		    bool optional, bool relative)
{
	const char *exp;
	struct sbx_ppath *e;
	int rc = 0;

	/* An optional protected path in a home that is not known here is in
	 * no writable root either (presets list start-up files this way). */
	if (relative && optional && !p->c->home && !strncmp(written, "$HOME", 5) &&
	    (written[5] == '/' || !written[5]))
		return 0;
	if (relative && written[0] && written[0] != '/' && written[0] != '$')
		exp = relative_path(p, written);
	else
		exp = sbx_policy_expand_path(p->c, written, p->ptr, false, p->err);
	if (!exp)
		return -EINVAL;
	if (!relative)
		rc = check_exists(p, exp, optional, false);
	if (rc)
		return rc;
	if (sbx_arena_grow(p->a, (void **)&list->items, list->count, &list->cap,
			   sizeof(*list->items)))
		return oom(p);
	e = &list->items[list->count++];
	e->path = exp;
	e->written = sbx_arena_strdup(p->a, written);
	e->optional = optional;
	e->pointer = cur_ptr(p);
	return e->written ? 0 : oom(p);
}

static int parse_path_list(struct pctx *p, const struct sbx_json *v, struct sbx_ppaths *list,
			   bool relative)
{
	static const char *const keys[] = { "path", "optional" };
	int rc = want(p, v, SBX_JSON_ARRAY, "an array of paths");

	if (rc)
		return rc;
	if (v->u.array.count > MAX_LIST)
		return sbx_error_set(p->err, SBX_ETOOBIG, E2BIG, p->ptr,
				     "more than %d paths", MAX_LIST);
	list->set = true;
	for (size_t i = 0; i < v->u.array.count && !rc; i++) {
		const struct sbx_json *it = v->u.array.items[i];
		size_t n = sbx_json_ptr_push_index(p->ptr, sizeof(p->ptr), i);

		if (it->type == SBX_JSON_STRING) {
			rc = add_path(p, list, it->u.string.str, false, relative);
		} else if (it->type == SBX_JSON_OBJECT) {
			const struct sbx_json *path = sbx_json_get(it, "path");
			const struct sbx_json *opt = sbx_json_get(it, "optional");
			int o = 0;

			rc = check_keys(p, it, keys, ARRAY_LEN(keys));
			if (!rc && !path)
				rc = sbx_error_set(p->err, SBX_EVALUE, EINVAL, p->ptr,
						   "missing \"path\"");
			if (!rc && opt) {
				size_t m = sbx_json_ptr_push(p->ptr, sizeof(p->ptr), "optional");

				rc = get_bool(p, opt, &o);
				sbx_json_ptr_pop(p->ptr, m);
			}
			if (!rc) {
				size_t m = sbx_json_ptr_push(p->ptr, sizeof(p->ptr), "path");

				rc = want(p, path, SBX_JSON_STRING, "a string");
				if (!rc)
					rc = add_path(p, list, path->u.string.str, o, relative);
				sbx_json_ptr_pop(p->ptr, m);
			}
		} else {
			rc = type_error(p, it, "a path string or {\"path\": ..., \"optional\": true}");
		}
		sbx_json_ptr_pop(p->ptr, n);
	}
	return rc;
}

/* ---- sections ----------------------------------------------------------------- */

static int parse_fs(struct pctx *p, const struct sbx_json *v)
{
	const char *keys[SBX_FS_NRIGHTS + 3];
	int rc;

	for (int i = 0; i < SBX_FS_NRIGHTS; i++)
		keys[i] = sbx_fs_right_keys[i];
	keys[SBX_FS_NRIGHTS] = "compat";
	keys[SBX_FS_NRIGHTS + 1] = "protect";
	keys[SBX_FS_NRIGHTS + 2] = "hide";
	if ((rc = want(p, v, SBX_JSON_OBJECT, "an object")) ||
	    (rc = check_keys(p, v, keys, ARRAY_LEN(keys))))
		return rc;
	/* "fs": {} grants nothing: a Landlock section that denies every access. */
	if (!v->u.object.count)
		p->L->fs.present = true;
	for (size_t i = 0; i < v->u.object.count && !rc; i++) {
		const struct sbx_json_member *m = &v->u.object.members[i];
		size_t n = sbx_json_ptr_push(p->ptr, sizeof(p->ptr), m->key);

		if (!strcmp(m->key, "protect")) {
			rc = parse_path_list(p, m->value, &p->L->fs.protect, true);
		} else if (!strcmp(m->key, "hide")) {
			rc = parse_path_list(p, m->value, &p->L->fs.hide, true);
		} else {
			/* Any other key makes the section a Landlock one. */
			p->L->fs.present = true;
			if (!strcmp(m->key, "compat"))
				rc = get_compat(p, m->value, &p->L->fs.compat);
			for (int r = 0; r < SBX_FS_NRIGHTS; r++)
				if (!strcmp(m->key, sbx_fs_right_keys[r]))
					rc = parse_path_list(p, m->value, &p->L->fs.rights[r], false);
		}
		sbx_json_ptr_pop(p->ptr, n);
	}
	return rc;
}

static int parse_ports(struct pctx *p, const struct sbx_json *v, struct sbx_ports *ports)
{
	int rc = want(p, v, SBX_JSON_ARRAY, "an array of port numbers");

	if (rc)
		return rc;
	if (v->u.array.count > 65536)
		return sbx_error_set(p->err, SBX_ETOOBIG, E2BIG, p->ptr, "too many ports");
	ports->set = true;
	for (size_t i = 0; i < v->u.array.count && !rc; i++) {
		size_t n = sbx_json_ptr_push_index(p->ptr, sizeof(p->ptr), i);
		uint64_t port = 0;

		rc = get_uint(p, v->u.array.items[i], 0, 65535, &port);
		if (!rc && !sbx_arena_grow(p->a, (void **)&ports->items, ports->count,
					   &ports->cap, sizeof(*ports->items)))
			ports->items[ports->count++] = (uint16_t)port;
		else if (!rc)
			rc = oom(p);
		sbx_json_ptr_pop(p->ptr, n);
	}
	return rc;
}

/* net.hosts: HOST[:PORT] patterns (net_hosts.c), each checked here so that a
 * bad one is an error at its own pointer, before anything runs. */
/* A named group ("@npm", host_groups.c): its patterns, each written as
 * its own text (so that layers merge them like any pattern) with the group
 * it came from. */
static int add_host_group(struct pctx *p, const char *name, struct sbx_hosts *hosts)
{
	char texts[SBX_HOST_GROUP_MAX][SBX_HOST_GROUP_TEXT], why[512];
	int n = sbx_host_group_expand(name, p->c->cwd, p->c->home, texts, SBX_HOST_GROUP_MAX, why,
				      sizeof(why));

	if (n < 0)
		return sbx_error_set(p->err, SBX_EVALUE, EINVAL, p->ptr, "host group: %s", why);
	for (int i = 0; i < n; i++) {
		struct sbx_host_entry *e;
		char bad[256];

		if (sbx_arena_grow(p->a, (void **)&hosts->items, hosts->count, &hosts->cap,
				   sizeof(*hosts->items)))
			return oom(p);
		e = &hosts->items[hosts->count];
		memset(e, 0, sizeof(*e));
		if (sbx_host_pattern_parse(texts[i], &e->pat, bad, sizeof(bad)))
			return sbx_error_set(p->err, SBX_EVALUE, EINVAL, p->ptr,
					     "host group %s: its host \"%s\": %s", name, texts[i], bad);
		e->written = sbx_arena_strdup(p->a, texts[i]);
		e->group = sbx_arena_strdup(p->a, name);
		e->pointer = cur_ptr(p);
		if (!e->written || !e->group || !e->pointer)
			return oom(p);
		hosts->count++;
	}
	return 0;
}

static int parse_hosts(struct pctx *p, const struct sbx_json *v, struct sbx_hosts *hosts)
{
	int rc = want(p, v, SBX_JSON_ARRAY, "an array of host patterns (\"HOST[:PORT]\")");

	if (rc)
		return rc;
	if (v->u.array.count > MAX_LIST)
		return sbx_error_set(p->err, SBX_ETOOBIG, E2BIG, p->ptr,
				     "more than %d host patterns", MAX_LIST);
	hosts->set = true;
	for (size_t i = 0; i < v->u.array.count && !rc; i++) {
		const struct sbx_json *it = v->u.array.items[i];
		size_t n = sbx_json_ptr_push_index(p->ptr, sizeof(p->ptr), i);
		struct sbx_host_entry *e;
		char why[256];

		rc = want(p, it, SBX_JSON_STRING, "a host pattern string (\"HOST[:PORT]\")");
		if (!rc && strlen(it->u.string.str) != it->u.string.len)
			rc = sbx_error_set(p->err, SBX_EVALUE, EINVAL, p->ptr,
					   "a NUL byte in a host pattern");
		if (!rc && it->u.string.str[0] == '@') {
			rc = add_host_group(p, it->u.string.str, hosts);
			sbx_json_ptr_pop(p->ptr, n);
			continue;
		}
		if (!rc && sbx_arena_grow(p->a, (void **)&hosts->items, hosts->count, &hosts->cap,
					  sizeof(*hosts->items)))
			rc = oom(p);
		if (!rc) {
			e = &hosts->items[hosts->count];
			memset(e, 0, sizeof(*e));
			if (sbx_host_pattern_parse(it->u.string.str, &e->pat, why, sizeof(why)))
				rc = sbx_error_set(p->err, SBX_EVALUE, EINVAL, p->ptr,
						   "host pattern \"%.300s\": %s", it->u.string.str, why);
		}
		if (!rc) {
			e->written = sbx_arena_strdup(p->a, it->u.string.str);
			e->pointer = cur_ptr(p);
			if (!e->written || !e->pointer)
				rc = oom(p);
			else
				hosts->count++;
		}
		sbx_json_ptr_pop(p->ptr, n);
	}
	return rc;
}

static int parse_net(struct pctx *p, const struct sbx_json *v)
{
	static const char *const keys[] = { "compat", "inet", "netlink", "other", "unix",
					    "unixPaths", "hosts", "connect", "bind" };
	static const char *const unix_modes[] = { "none", "socketpair", "all" };
	struct sbx_policy_net *net = &p->L->net;
	int rc;

	if ((rc = want(p, v, SBX_JSON_OBJECT, "an object")) ||
	    (rc = check_keys(p, v, keys, ARRAY_LEN(keys))))
		return rc;
	net->present = true;
	for (size_t i = 0; i < v->u.object.count && !rc; i++) {
		const struct sbx_json_member *m = &v->u.object.members[i];
		size_t n = sbx_json_ptr_push(p->ptr, sizeof(p->ptr), m->key);

		if (!strcmp(m->key, "compat"))
			rc = get_compat(p, m->value, &net->compat);
		else if (!strcmp(m->key, "inet"))
			rc = get_bool(p, m->value, &net->inet);
		else if (!strcmp(m->key, "netlink"))
			rc = get_bool(p, m->value, &net->netlink);
		else if (!strcmp(m->key, "other"))
			rc = get_bool(p, m->value, &net->other);
		else if (!strcmp(m->key, "unix"))
			rc = get_choice(p, m->value, unix_modes, 3, &net->unix_mode);
		else if (!strcmp(m->key, "unixPaths"))
			rc = parse_path_list(p, m->value, &net->unix_paths, false);
		else if (!strcmp(m->key, "hosts"))
			rc = parse_hosts(p, m->value, &net->hosts);
		else if (!strcmp(m->key, "connect"))
			rc = parse_ports(p, m->value, &net->connect);
		else
			rc = parse_ports(p, m->value, &net->bind);
		sbx_json_ptr_pop(p->ptr, n);
	}
	return rc;
}

static int parse_scope(struct pctx *p, const struct sbx_json *v)
{
	static const char *const keys[] = { "compat", "abstractUnix", "signals" };
	int rc;

	if ((rc = want(p, v, SBX_JSON_OBJECT, "an object")) ||
	    (rc = check_keys(p, v, keys, ARRAY_LEN(keys))))
		return rc;
	p->L->scope.present = true;
	for (size_t i = 0; i < v->u.object.count && !rc; i++) {
		const struct sbx_json_member *m = &v->u.object.members[i];
		size_t n = sbx_json_ptr_push(p->ptr, sizeof(p->ptr), m->key);

		if (!strcmp(m->key, "compat"))
			rc = get_compat(p, m->value, &p->L->scope.compat);
		else if (!strcmp(m->key, "abstractUnix"))
			rc = get_bool(p, m->value, &p->L->scope.abstract_unix);
		else
			rc = get_bool(p, m->value, &p->L->scope.signals);
		sbx_json_ptr_pop(p->ptr, n);
	}
	return rc;
}

/* ---- seccomp ------------------------------------------------------------------ */

static int check_syscall_name(struct pctx *p, const char *name)
{
	const char *sug;

	if (name[0] == '@') {
		if (sbx_syscall_group_find(name))
			return 0;
		sug = sbx_syscall_suggest(name);
		return sbx_error_set(p->err, SBX_ESYSCALL, ENOENT, p->ptr,
				     "unknown syscall group \"%.60s\"%s%s%s", name,
				     sug ? ", did you mean \"" : "", sug ? sug : "",
				     sug ? "\"?" : "");
	}
	if (sbx_syscall_lookup(SBX_ARCH_X86_64, name) != -ENOENT)
		return 0;
	sug = sbx_syscall_suggest(name);
	return sbx_error_set(p->err, SBX_ESYSCALL, ENOENT, p->ptr,
			     "unknown syscall \"%.60s\"%s%s%s", name,
			     sug ? ", did you mean \"" : "", sug ? sug : "", sug ? "\"?" : "");
}

static int get_action(struct pctx *p, const struct sbx_json *v, struct sbx_action *out)
{
	int rc = want(p, v, SBX_JSON_STRING, "an action string (\"allow\", \"errno:EPERM\", ...)");

	if (rc)
		return rc;
	return sbx_action_parse(v->u.string.str, out, p->ptr, p->err);
}

static struct sbx_policy_rule *new_rule(struct pctx *p, struct sbx_seccomp_layer *l)
{
	if (sbx_arena_grow(p->a, (void **)&l->rules, l->nrules, &l->cap, sizeof(*l->rules)))
		return NULL;
	return &l->rules[l->nrules++];
}

/* "allow" / "deny": each name becomes an unconditional rule. */
static int parse_name_list(struct pctx *p, const struct sbx_json *v,
			   struct sbx_seccomp_layer *l, struct sbx_action action)
{
	int rc = want(p, v, SBX_JSON_ARRAY, "an array of syscall names");

	if (rc)
		return rc;
	if (v->u.array.count > MAX_LIST)
		return sbx_error_set(p->err, SBX_ETOOBIG, E2BIG, p->ptr, "more than %d names",
				     MAX_LIST);
	for (size_t i = 0; i < v->u.array.count && !rc; i++) {
		size_t n = sbx_json_ptr_push_index(p->ptr, sizeof(p->ptr), i);
		const char *name;
		struct sbx_policy_rule *r;

		rc = get_string(p, v->u.array.items[i], &name);
		if (!rc)
			rc = check_syscall_name(p, name);
		if (!rc) {
			r = new_rule(p, l);
			if (!r || !(r->names = sbx_arena_alloc(p->a, sizeof(*r->names))))
				rc = oom(p);
			else {
				r->names[0] = name;
				r->nnames = 1;
				r->action = action;
				r->arch_mask = SBX_ARCH_MASK_ALL;
				r->pointer = cur_ptr(p);
			}
		}
		sbx_json_ptr_pop(p->ptr, n);
	}
	return rc;
}

static int parse_rule(struct pctx *p, const struct sbx_json *v, struct sbx_seccomp_layer *l)
{
	static const char *const keys[] = { "syscall", "when", "action", "arch", "comment" };
	const struct sbx_json *sc, *when, *act, *comment, *arch;
	struct sbx_policy_rule r;
	struct sbx_policy_rule *slot;
	size_t n;
	int rc;

	memset(&r, 0, sizeof(r));
	if ((rc = want(p, v, SBX_JSON_OBJECT, "a rule object")) ||
	    (rc = check_keys(p, v, keys, ARRAY_LEN(keys))))
		return rc;
	sc = sbx_json_get(v, "syscall");
	when = sbx_json_get(v, "when");
	act = sbx_json_get(v, "action");
	comment = sbx_json_get(v, "comment");
	arch = sbx_json_get(v, "arch");
	r.pointer = cur_ptr(p);
	r.arch_mask = SBX_ARCH_MASK_ALL;
	if (arch) {
		n = sbx_json_ptr_push(p->ptr, sizeof(p->ptr), "arch");
		rc = want(p, arch, SBX_JSON_ARRAY, "an array of architecture names");
		if (!rc)
			r.arch_mask = 0;
		for (size_t i = 0; !rc && i < arch->u.array.count; i++) {
			size_t m = sbx_json_ptr_push_index(p->ptr, sizeof(p->ptr), i);
			const char *name;

			rc = get_string(p, arch->u.array.items[i], &name);
			if (!rc) {
				int a = sbx_arch_from_name(name);

				if (a < 0)
					rc = sbx_error_set(p->err, SBX_EVALUE, EINVAL, p->ptr,
							   "unknown architecture \"%.40s\": expected \"x86_64\" or \"aarch64\"",
							   name);
				else
					r.arch_mask |= SBX_ARCH_BIT(a);
			}
			sbx_json_ptr_pop(p->ptr, m);
		}
		sbx_json_ptr_pop(p->ptr, n);
		if (rc)
			return rc;
	}
	if (!sc)
		return sbx_error_set(p->err, SBX_EVALUE, EINVAL, p->ptr, "missing \"syscall\"");
	if (!act)
		return sbx_error_set(p->err, SBX_EVALUE, EINVAL, p->ptr, "missing \"action\"");
	if (comment) {
		n = sbx_json_ptr_push(p->ptr, sizeof(p->ptr), "comment");
		rc = want(p, comment, SBX_JSON_STRING, "a string");
		sbx_json_ptr_pop(p->ptr, n);
		if (rc)
			return rc;
	}
	n = sbx_json_ptr_push(p->ptr, sizeof(p->ptr), "syscall");
	if (sc->type == SBX_JSON_STRING) {
		r.names = sbx_arena_alloc(p->a, sizeof(*r.names));
		if (!r.names)
			rc = oom(p);
		else {
			r.names[0] = sc->u.string.str;
			r.nnames = 1;
			rc = check_syscall_name(p, sc->u.string.str);
		}
	} else if (sc->type == SBX_JSON_ARRAY) {
		if (sc->u.array.count == 0)
			rc = sbx_error_set(p->err, SBX_EVALUE, EINVAL, p->ptr,
					   "expected at least one syscall name");
		else if (sc->u.array.count > MAX_LIST)
			rc = sbx_error_set(p->err, SBX_ETOOBIG, E2BIG, p->ptr, "too many names");
		else if (!(r.names = sbx_arena_alloc(p->a, sc->u.array.count * sizeof(*r.names))))
			rc = oom(p);
		for (size_t i = 0; !rc && i < sc->u.array.count; i++) {
			size_t m = sbx_json_ptr_push_index(p->ptr, sizeof(p->ptr), i);

			rc = get_string(p, sc->u.array.items[i], &r.names[i]);
			if (!rc)
				rc = check_syscall_name(p, r.names[i]);
			sbx_json_ptr_pop(p->ptr, m);
		}
		r.nnames = sc->u.array.count;
	} else {
		rc = type_error(p, sc, "a syscall name or an array of names");
	}
	sbx_json_ptr_pop(p->ptr, n);
	if (rc)
		return rc;
	n = sbx_json_ptr_push(p->ptr, sizeof(p->ptr), "action");
	rc = get_action(p, act, &r.action);
	sbx_json_ptr_pop(p->ptr, n);
	if (rc)
		return rc;
	if (when) {
		n = sbx_json_ptr_push(p->ptr, sizeof(p->ptr), "when");
		rc = want(p, when, SBX_JSON_STRING, "a condition string (\"arg0 == AF_UNIX\")");
		if (!rc)
			rc = sbx_when_parse(p->a, when->u.string.str, p->ptr, &r.conds,
					    &r.nconds, p->err);
		r.when = when->type == SBX_JSON_STRING ? when->u.string.str : NULL;
		sbx_json_ptr_pop(p->ptr, n);
		if (rc)
			return rc;
	}
	slot = new_rule(p, l);
	if (!slot)
		return oom(p);
	*slot = r;
	return 0;
}

static int parse_seccomp(struct pctx *p, const struct sbx_json *v)
{
	static const char *const keys[] = { "compat", "default", "allow", "deny", "denyAction",
					    "rules", "import", "foreignArch" };
	struct sbx_policy_seccomp *s = &p->L->seccomp;
	struct sbx_seccomp_layer *l;
	struct sbx_action deny_action = { SBX_ACT_ERRNO, EPERM };
	struct sbx_action allow_action = { SBX_ACT_ALLOW, 0 };
	const struct sbx_json *x;
	size_t n;
	int rc;

	if ((rc = want(p, v, SBX_JSON_OBJECT, "an object")) ||
	    (rc = check_keys(p, v, keys, ARRAY_LEN(keys))))
		return rc;
	s->present = true;
	if (sbx_arena_grow(p->a, (void **)&s->layers, s->nlayers, &s->cap, sizeof(*s->layers)))
		return oom(p);
	l = &s->layers[s->nlayers++];
	memset(l, 0, sizeof(*l));
	l->origin = p->c->origin;

	/* Fixed order whatever the order of the keys: the meaning of a section
	 * must not depend on how its author happened to sort it. */
#define WITH(key, stmt)                                                         \
	if ((x = sbx_json_get(v, key)) != NULL) {                               \
		n = sbx_json_ptr_push(p->ptr, sizeof(p->ptr), key);             \
		rc = (stmt);                                                    \
		sbx_json_ptr_pop(p->ptr, n);                                    \
		if (rc)                                                         \
			return rc;                                              \
	}
	WITH("compat", get_compat(p, x, &s->compat));
	WITH("default", (l->default_pointer = cur_ptr(p), l->has_default = true,
			 get_action(p, x, &l->default_action)));
	WITH("foreignArch", (l->has_foreign = true, get_action(p, x, &l->foreign_action)));
	WITH("denyAction", get_action(p, x, &deny_action));
	WITH("import", want(p, x, SBX_JSON_STRING, "a path to a Docker seccomp profile or a minijail policy"));
	if (x) {
		n = sbx_json_ptr_push(p->ptr, sizeof(p->ptr), "import");
		l->import_pointer = cur_ptr(p);
		l->import_path = sbx_policy_expand_path(p->c, x->u.string.str, p->ptr, true,
							p->err);
		sbx_json_ptr_pop(p->ptr, n);
		if (!l->import_path)
			return -EINVAL;
	}
	WITH("allow", parse_name_list(p, x, l, allow_action));
	WITH("deny", parse_name_list(p, x, l, deny_action));
	if ((x = sbx_json_get(v, "rules")) != NULL) {
		n = sbx_json_ptr_push(p->ptr, sizeof(p->ptr), "rules");
		rc = want(p, x, SBX_JSON_ARRAY, "an array of rules");
		if (!rc && x->u.array.count > MAX_LIST)
			rc = sbx_error_set(p->err, SBX_ETOOBIG, E2BIG, p->ptr, "more than %d rules",
					   MAX_LIST);
		for (size_t i = 0; !rc && i < x->u.array.count; i++) {
			size_t m = sbx_json_ptr_push_index(p->ptr, sizeof(p->ptr), i);

			rc = parse_rule(p, x->u.array.items[i], l);
			sbx_json_ptr_pop(p->ptr, m);
		}
		sbx_json_ptr_pop(p->ptr, n);
	}
#undef WITH
	return rc;
}

/* ---- capabilities, rlimits, namespaces ---------------------------------------- */

static int parse_caps(struct pctx *p, const struct sbx_json *v)
{
	static const char *const keys[] = { "keep" };
	const struct sbx_json *keep;
	size_t n;
	int rc;

	if ((rc = want(p, v, SBX_JSON_OBJECT, "an object")) ||
	    (rc = check_keys(p, v, keys, ARRAY_LEN(keys))))
		return rc;
	p->L->has_caps = true;
	keep = sbx_json_get(v, "keep");
	if (!keep)
		return 0;
	n = sbx_json_ptr_push(p->ptr, sizeof(p->ptr), "keep");
	rc = want(p, keep, SBX_JSON_ARRAY, "an array of capability names");
	for (size_t i = 0; !rc && i < keep->u.array.count; i++) {
		size_t m = sbx_json_ptr_push_index(p->ptr, sizeof(p->ptr), i);
		const char *name;

		rc = get_string(p, keep->u.array.items[i], &name);
		if (!rc) {
			int cap = sbx_cap_from_name(name);

			if (cap < 0) {
				const char *sug = sbx_cap_suggest(name);

				rc = sbx_error_set(p->err, SBX_EVALUE, EINVAL, p->ptr,
						   "unknown capability \"%.40s\"%s%s%s", name,
						   sug ? ", did you mean \"" : "", sug ? sug : "",
						   sug ? "\"?" : "");
			} else {
				p->L->caps_keep |= SBX_CAP_BIT(cap);
			}
		}
		sbx_json_ptr_pop(p->ptr, m);
	}
	sbx_json_ptr_pop(p->ptr, n);
	return rc;
}

static int parse_rlimit_value(struct pctx *p, const struct sbx_json *v,
			      const struct sbx_rlimit_info *info, uint64_t *out)
{
	const char *expected = info->unit == 'b' ? "an integer, a size (\"64M\") or \"unlimited\""
			       : info->unit == 'n' ? "an integer or \"unlimited\""
						   : "an integer, a duration (\"30s\") or \"unlimited\"";

	if (v->type == SBX_JSON_NUMBER)
		return get_uint(p, v, 0, info->max, out);
	if (v->type != SBX_JSON_STRING)
		return type_error(p, v, expected);
	if (!strcmp(v->u.string.str, "unlimited")) {
		*out = SBX_RLIM_UNLIMITED;
		return 0;
	}
	if (info->unit == 'b') {
		int rc = sbx_parse_size(v->u.string.str, out);

		if (rc == -EINVAL)
			return sbx_error_set(p->err, SBX_EVALUE, EINVAL, p->ptr,
					     "bad size \"%.40s\": expected digits with an optional K, M, G or T suffix (\"64M\"), or \"unlimited\"",
					     v->u.string.str);
		if (rc || *out > info->max)
			return sbx_error_set(p->err, SBX_EVALUE, ERANGE, p->ptr,
					     "size \"%.40s\" is out of range (at most 2^62 bytes)",
					     v->u.string.str);
		return 0;
	}
	if (info->unit == 's' || info->unit == 'u') {
		uint64_t ms;
		int rc = sbx_parse_duration_ms(v->u.string.str, &ms);

		if (rc == -EINVAL)
			return sbx_error_set(p->err, SBX_EVALUE, EINVAL, p->ptr,
					     "bad duration \"%.40s\": expected digits and a unit, ms, s, m or h (\"30s\")",
					     v->u.string.str);
		if (rc || ms / 1000 > info->max / 1000000)
			return sbx_error_set(p->err, SBX_EVALUE, ERANGE, p->ptr,
					     "duration \"%.40s\" is out of range", v->u.string.str);
		/* RLIMIT_CPU counts whole seconds: round up, never grant less
		 * than asked... and never 0, which would mean "kill at once". */
		*out = info->unit == 's' ? (ms + 999) / 1000 : ms * 1000;
		return 0;
	}
	return type_error(p, v, expected);
}

static int parse_rlimits(struct pctx *p, const struct sbx_json *v)
{
	const char *keys[SBX_RL_COUNT + 1];
	int rc;

	for (int i = 0; i < SBX_RL_COUNT; i++)
		keys[i] = sbx_rlimit_infos[i].key;
	keys[SBX_RL_COUNT] = "compat";
	if ((rc = want(p, v, SBX_JSON_OBJECT, "an object")) ||
	    (rc = check_keys(p, v, keys, ARRAY_LEN(keys))))
		return rc;
	p->L->rlimits.present = true;
	for (size_t i = 0; i < v->u.object.count && !rc; i++) {
		const struct sbx_json_member *m = &v->u.object.members[i];
		size_t n = sbx_json_ptr_push(p->ptr, sizeof(p->ptr), m->key);

		if (!strcmp(m->key, "compat")) {
			rc = get_compat(p, m->value, &p->L->rlimits.compat);
		} else {
			for (int r = 0; r < SBX_RL_COUNT; r++) {
				if (strcmp(m->key, sbx_rlimit_infos[r].key))
					continue;
				rc = parse_rlimit_value(p, m->value, &sbx_rlimit_infos[r],
							&p->L->rlimits.value[r]);
				p->L->rlimits.set[r] = !rc;
			}
		}
		sbx_json_ptr_pop(p->ptr, n);
	}
	return rc;
}

static int parse_namespaces(struct pctx *p, const struct sbx_json *v)
{
	const char *keys[SBX_NS_COUNT + 3];
	struct sbx_policy_namespaces *ns = &p->L->namespaces;
	int rc;

	for (int i = 0; i < SBX_NS_COUNT; i++)
		keys[i] = sbx_ns_keys[i];
	keys[SBX_NS_COUNT] = "compat";
	keys[SBX_NS_COUNT + 1] = "uid";
	keys[SBX_NS_COUNT + 2] = "gid";
	if ((rc = want(p, v, SBX_JSON_OBJECT, "an object")) ||
	    (rc = check_keys(p, v, keys, ARRAY_LEN(keys))))
		return rc;
	ns->present = true;
	for (size_t i = 0; i < v->u.object.count && !rc; i++) {
		const struct sbx_json_member *m = &v->u.object.members[i];
		size_t n = sbx_json_ptr_push(p->ptr, sizeof(p->ptr), m->key);
		uint64_t id;

		if (!strcmp(m->key, "compat")) {
			rc = get_compat(p, m->value, &ns->compat);
		} else if (!strcmp(m->key, "uid") || !strcmp(m->key, "gid")) {
			/* 4294967295 is (uid_t)-1, "no change", never a real id */
			rc = get_uint(p, m->value, 0, 4294967294u, &id);
			if (!rc && m->key[0] == 'u')
				ns->uid = (int64_t)id;
			else if (!rc)
				ns->gid = (int64_t)id;
		} else {
			for (int k = 0; k < SBX_NS_COUNT; k++)
				if (!strcmp(m->key, sbx_ns_keys[k]))
					rc = get_bool(p, m->value, &ns->ns[k]);
		}
		sbx_json_ptr_pop(p->ptr, n);
	}
	return rc;
}

/* ---- filesystem view ---------------------------------------------------------- */

static int parse_root(struct pctx *p, const struct sbx_json *v)
{
	const char *s;
	int rc = want(p, v, SBX_JSON_STRING,
		      "\"host-readonly\", \"host\", \"empty\" or a directory path");

	if (rc)
		return rc;
	s = v->u.string.str;
	if (!strcmp(s, "host-readonly"))
		p->L->root_kind = SBX_ROOT_HOST_READONLY;
	else if (!strcmp(s, "host"))
		p->L->root_kind = SBX_ROOT_HOST;
	else if (!strcmp(s, "empty"))
		p->L->root_kind = SBX_ROOT_EMPTY;
	else if (s[0] == '/' || s[0] == '$') {
		p->L->root_kind = SBX_ROOT_DIR;
		p->L->root_dir = sbx_policy_expand_path(p->c, s, p->ptr, false, p->err);
		if (!p->L->root_dir)
			return -EINVAL;
		return check_exists(p, p->L->root_dir, false, true);
	} else {
		static const char *const c[] = { "host-readonly", "host", "empty" };
		const char *sug = sbx_suggest(s, c, 3);

		return sbx_error_set(p->err, SBX_EVALUE, EINVAL, p->ptr,
				     "expected \"host-readonly\", \"host\", \"empty\" or an absolute directory, found \"%.40s\"%s%s%s",
				     s, sug ? ", did you mean \"" : "", sug ? sug : "",
				     sug ? "\"?" : "");
	}
	return 0;
}

static int mount_path(struct pctx *p, const struct sbx_json *m, const char *key,
		      const char **out)
{
	const struct sbx_json *x = sbx_json_get(m, key);
	size_t n;
	int rc;

	if (!x)
		return 0;
	n = sbx_json_ptr_push(p->ptr, sizeof(p->ptr), key);
	rc = want(p, x, SBX_JSON_STRING, "a path");
	if (!rc) {
		*out = sbx_policy_expand_path(p->c, x->u.string.str, p->ptr, false, p->err);
		if (!*out)
			rc = -EINVAL;
	}
	sbx_json_ptr_pop(p->ptr, n);
	return rc;
}

static int parse_mount(struct pctx *p, const struct sbx_json *v, struct sbx_policy_mount *mt)
{
	static const char *const keys[] = { "type", "source", "target", "writable", "size",
					    "optional", "upper" };
	const struct sbx_json *x;
	int t = 0, b = 0;
	size_t n;
	int rc;

	if ((rc = want(p, v, SBX_JSON_OBJECT, "a mount object")) ||
	    (rc = check_keys(p, v, keys, ARRAY_LEN(keys))))
		return rc;
	mt->pointer = cur_ptr(p);
	if (!(x = sbx_json_get(v, "type")))
		return sbx_error_set(p->err, SBX_EVALUE, EINVAL, p->ptr, "missing \"type\"");
	n = sbx_json_ptr_push(p->ptr, sizeof(p->ptr), "type");
	rc = get_choice(p, x, sbx_mount_type_names, SBX_MOUNT_TYPE_COUNT, &t);
	sbx_json_ptr_pop(p->ptr, n);
	if (rc)
		return rc;
	mt->type = (enum sbx_mount_type)t;
	if (!sbx_json_get(v, "target"))
		return sbx_error_set(p->err, SBX_EVALUE, EINVAL, p->ptr, "missing \"target\"");
	if ((rc = mount_path(p, v, "target", &mt->target)) ||
	    (rc = mount_path(p, v, "source", &mt->source)) ||
	    (rc = mount_path(p, v, "upper", &mt->upper)))
		return rc;
	if ((x = sbx_json_get(v, "writable"))) {
		n = sbx_json_ptr_push(p->ptr, sizeof(p->ptr), "writable");
		rc = get_bool(p, x, &b);
		mt->writable = b;
		sbx_json_ptr_pop(p->ptr, n);
	}
	if (!rc && (x = sbx_json_get(v, "optional"))) {
		n = sbx_json_ptr_push(p->ptr, sizeof(p->ptr), "optional");
		rc = get_bool(p, x, &b);
		mt->optional = b;
		sbx_json_ptr_pop(p->ptr, n);
	}
	if (!rc && (x = sbx_json_get(v, "size"))) {
		n = sbx_json_ptr_push(p->ptr, sizeof(p->ptr), "size");
		if (mt->type != SBX_MOUNT_TMPFS)
			rc = sbx_error_set(p->err, SBX_EVALUE, EINVAL, p->ptr,
					   "\"size\" applies to tmpfs mounts only");
		else if (x->type == SBX_JSON_NUMBER)
			rc = get_uint(p, x, 1, BIG, &mt->size);
		else if (x->type != SBX_JSON_STRING)
			rc = type_error(p, x, "a size (\"64M\") or an integer");
		else if (sbx_parse_size(x->u.string.str, &mt->size) || mt->size == 0)
			rc = sbx_error_set(p->err, SBX_EVALUE, EINVAL, p->ptr,
					   "bad size \"%.40s\": expected digits with an optional K, M, G or T suffix (\"64M\")",
					   x->u.string.str);
		sbx_json_ptr_pop(p->ptr, n);
	}
	if (rc)
		return rc;
	if ((mt->type == SBX_MOUNT_BIND || mt->type == SBX_MOUNT_OVERLAY) && !mt->source)
		return sbx_error_set(p->err, SBX_EVALUE, EINVAL, p->ptr,
				     "a %s mount needs \"source\"", sbx_mount_type_names[t]);
	if (mt->type != SBX_MOUNT_BIND && mt->type != SBX_MOUNT_OVERLAY && mt->source)
		return sbx_error_set(p->err, SBX_EVALUE, EINVAL, p->ptr,
				     "a %s mount takes no \"source\"", sbx_mount_type_names[t]);
	if (mt->type != SBX_MOUNT_OVERLAY && mt->upper)
		return sbx_error_set(p->err, SBX_EVALUE, EINVAL, p->ptr,
				     "\"upper\" applies to overlay mounts only");
	if (mt->source) {
		n = sbx_json_ptr_push(p->ptr, sizeof(p->ptr), "source");
		rc = check_exists(p, mt->source, mt->optional, false);
		sbx_json_ptr_pop(p->ptr, n);
	}
	return rc;
}

static int parse_mounts(struct pctx *p, const struct sbx_json *v)
{
	int rc = want(p, v, SBX_JSON_ARRAY, "an array of mounts");

	if (rc)
		return rc;
	if (v->u.array.count > MAX_MOUNTS)
		return sbx_error_set(p->err, SBX_ETOOBIG, E2BIG, p->ptr, "more than %d mounts",
				     MAX_MOUNTS);
	p->L->has_mounts = true;
	for (size_t i = 0; i < v->u.array.count && !rc; i++) {
		size_t n = sbx_json_ptr_push_index(p->ptr, sizeof(p->ptr), i);

		if (sbx_arena_grow(p->a, (void **)&p->L->mounts, p->L->nmounts,
				   &p->L->mounts_cap, sizeof(*p->L->mounts)))
			rc = oom(p);
		else {
			struct sbx_policy_mount *mt = &p->L->mounts[p->L->nmounts];

			memset(mt, 0, sizeof(*mt));
			rc = parse_mount(p, v->u.array.items[i], mt);
			if (!rc)
				p->L->nmounts++;
		}
		sbx_json_ptr_pop(p->ptr, n);
	}
	return rc;
}

/* ---- env, limits, misc -------------------------------------------------------- */

static int check_env_name(struct pctx *p, const char *name, bool pattern)
{
	size_t len = strlen(name);

	if (len == 0 || len > 256 || strchr(name, '=') ||
	    (!pattern && strchr(name, '*')) ||
	    (pattern && strchr(name, '*') && strchr(name, '*') != name + len - 1))
		return sbx_error_set(p->err, SBX_EVALUE, EINVAL, p->ptr,
				     "bad environment variable name \"%.40s\": expected 1 to 256 characters without '='%s",
				     name, pattern ? " (a '*' may end a prefix pattern)" : "");
	return 0;
}

static int parse_env(struct pctx *p, const struct sbx_json *v)
{
	static const char *const keys[] = { "clear", "keep", "set" };
	struct sbx_policy_env *env = &p->L->env;
	const struct sbx_json *x;
	size_t n;
	int rc;

	if ((rc = want(p, v, SBX_JSON_OBJECT, "an object")) ||
	    (rc = check_keys(p, v, keys, ARRAY_LEN(keys))))
		return rc;
	env->present = true;
	if ((x = sbx_json_get(v, "clear"))) {
		n = sbx_json_ptr_push(p->ptr, sizeof(p->ptr), "clear");
		rc = get_bool(p, x, &env->clear);
		sbx_json_ptr_pop(p->ptr, n);
		if (rc)
			return rc;
	}
	if ((x = sbx_json_get(v, "keep"))) {
		n = sbx_json_ptr_push(p->ptr, sizeof(p->ptr), "keep");
		rc = want(p, x, SBX_JSON_ARRAY, "an array of variable names");
		if (!rc && x->u.array.count > MAX_ENV)
			rc = sbx_error_set(p->err, SBX_ETOOBIG, E2BIG, p->ptr, "too many names");
		for (size_t i = 0; !rc && i < x->u.array.count; i++) {
			size_t m = sbx_json_ptr_push_index(p->ptr, sizeof(p->ptr), i);
			const char *name;

			rc = get_string(p, x->u.array.items[i], &name);
			if (!rc)
				rc = check_env_name(p, name, true);
			if (!rc && sbx_arena_grow(p->a, (void **)&env->keep, env->nkeep,
						  &env->keep_cap, sizeof(*env->keep)))
				rc = oom(p);
			if (!rc)
				env->keep[env->nkeep++] = name;
			sbx_json_ptr_pop(p->ptr, m);
		}
		sbx_json_ptr_pop(p->ptr, n);
		if (rc)
			return rc;
	}
	if ((x = sbx_json_get(v, "set"))) {
		n = sbx_json_ptr_push(p->ptr, sizeof(p->ptr), "set");
		rc = want(p, x, SBX_JSON_OBJECT, "an object of NAME: \"value\"");
		if (!rc && x->u.object.count > MAX_ENV)
			rc = sbx_error_set(p->err, SBX_ETOOBIG, E2BIG, p->ptr, "too many variables");
		for (size_t i = 0; !rc && i < x->u.object.count; i++) {
			const struct sbx_json_member *m = &x->u.object.members[i];
			size_t k = sbx_json_ptr_push(p->ptr, sizeof(p->ptr), m->key);

			rc = check_env_name(p, m->key, false);
			if (!rc)
				rc = want(p, m->value, SBX_JSON_STRING, "a string");
			if (!rc && sbx_arena_grow(p->a, (void **)&env->set, env->nset,
						  &env->set_cap, sizeof(*env->set)))
				rc = oom(p);
			if (!rc) {
				env->set[env->nset].name = m->key;
				env->set[env->nset++].value = m->value->u.string.str;
			}
			sbx_json_ptr_pop(p->ptr, k);
		}
		sbx_json_ptr_pop(p->ptr, n);
	}
	return rc;
}

static int get_duration(struct pctx *p, const struct sbx_json *v, uint64_t *ms)
{
	if (v->type == SBX_JSON_NUMBER) {
		uint64_t s = 0;
		int rc = get_uint(p, v, 1, UINT64_C(1) << 40, &s);

		*ms = s * 1000;
		return rc;
	}
	if (v->type != SBX_JSON_STRING)
		return type_error(p, v, "a duration (\"30s\", \"500ms\", \"2m\") or seconds");
	switch (sbx_parse_duration_ms(v->u.string.str, ms)) {
	case 0:
		if (*ms == 0)
			return sbx_error_set(p->err, SBX_EVALUE, ERANGE, p->ptr,
					     "a duration of 0 is out of range: expected at least 1ms");
		return 0;
	case -ERANGE:
		return sbx_error_set(p->err, SBX_EVALUE, ERANGE, p->ptr,
				     "duration \"%.40s\" is out of range", v->u.string.str);
	default:
		return sbx_error_set(p->err, SBX_EVALUE, EINVAL, p->ptr,
				     "bad duration \"%.40s\": expected digits and a unit, ms, s, m or h (\"30s\")",
				     v->u.string.str);
	}
}

/* "50%": 1 to 100, digits only. */
static int get_percent(struct pctx *p, const char *s, uint32_t *out)
{
	size_t len = strlen(s);
	uint32_t v = 0;

	if (len < 2 || len > 4 || s[len - 1] != '%' || strspn(s, "0123456789") != len - 1)
		return sbx_error_set(p->err, SBX_EVALUE, EINVAL, p->ptr,
				     "bad share \"%.40s\": expected 1%% to 100%% of the host's memory (\"50%%\")",
				     s);
	for (size_t k = 0; k < len - 1; k++)
		v = v * 10 + (uint32_t)(s[k] - '0');
	if (v < 1 || v > 100)
		return sbx_error_set(p->err, SBX_EVALUE, ERANGE, p->ptr,
				     "share \"%.40s\" is out of range: expected 1%% to 100%%", s);
	*out = v;
	return 0;
}

static int parse_limits(struct pctx *p, const struct sbx_json *v)
{
	static const char *const keys[] = { "compat", "memory", "pids", "cpu", "wallTime",
					    "cpuTime" };
	struct sbx_policy_limits *l = &p->L->limits;
	int rc;

	if ((rc = want(p, v, SBX_JSON_OBJECT, "an object")) ||
	    (rc = check_keys(p, v, keys, ARRAY_LEN(keys))))
		return rc;
	l->present = true;
	for (size_t i = 0; i < v->u.object.count && !rc; i++) {
		const struct sbx_json_member *m = &v->u.object.members[i];
		const struct sbx_json *x = m->value;
		size_t n = sbx_json_ptr_push(p->ptr, sizeof(p->ptr), m->key);

		if (!strcmp(m->key, "compat")) {
			rc = get_compat(p, x, &l->compat);
		} else if (!strcmp(m->key, "memory")) {
			l->has_memory = true;
			l->memory_pct = 0;
			if (x->type == SBX_JSON_NUMBER)
				rc = get_uint(p, x, 1 << 20, BIG, &l->memory);
			else if (x->type != SBX_JSON_STRING)
				rc = type_error(p, x, "a size (\"512M\"), a share of the host's memory (\"50%\"), \"unlimited\" or bytes");
			else if (!strcmp(x->u.string.str, "unlimited"))
				l->memory = SBX_LIMIT_UNLIMITED;
			else if (strchr(x->u.string.str, '%'))
				rc = get_percent(p, x->u.string.str, &l->memory_pct);
			else if (sbx_parse_size(x->u.string.str, &l->memory))
				rc = sbx_error_set(p->err, SBX_EVALUE, EINVAL, p->ptr,
						   "bad size \"%.40s\": expected digits with an optional K, M, G or T suffix (\"512M\")",
						   x->u.string.str);
			else if (l->memory < (1 << 20))
				rc = sbx_error_set(p->err, SBX_EVALUE, ERANGE, p->ptr,
						   "memory limit \"%.40s\" is out of range: expected at least 1M",
						   x->u.string.str);
		} else if (!strcmp(m->key, "pids")) {
			l->has_pids = true;
			if (x->type == SBX_JSON_STRING && !strcmp(x->u.string.str, "unlimited"))
				l->pids = SBX_LIMIT_UNLIMITED;
			else if (x->type == SBX_JSON_STRING)
				rc = sbx_error_set(p->err, SBX_EVALUE, EINVAL, p->ptr,
						   "bad pids \"%.40s\": expected a number of processes (1 to 4194304) or \"unlimited\"",
						   x->u.string.str);
			else
				rc = get_uint(p, x, 1, 4194304, &l->pids);
		} else if (!strcmp(m->key, "cpu")) {
			l->has_cpu = true;
			if (x->type == SBX_JSON_STRING) {
				const char *t = x->u.string.str;
				size_t len = strlen(t);
				uint64_t milli = 0;

				if (len < 2 || len > 8 || t[len - 1] != 'm' ||
				    strspn(t, "0123456789") != len - 1)
					rc = sbx_error_set(p->err, SBX_EVALUE, EINVAL, p->ptr,
							   "bad cpu \"%.40s\": expected a number of CPUs (0.5) or milli-CPUs (\"500m\")",
							   t);
				for (size_t k = 0; !rc && k < len - 1; k++)
					milli = milli * 10 + (uint64_t)(t[k] - '0');
				if (!rc && (milli < 10 || milli > 4096000))
					rc = sbx_error_set(p->err, SBX_EVALUE, ERANGE, p->ptr,
							   "cpu \"%.40s\" is out of range: expected 10m to 4096000m",
							   t);
				l->cpu_milli = milli;
			} else if (x->type != SBX_JSON_NUMBER)
				rc = type_error(p, x, "a number of CPUs (0.5, 2) or milli-CPUs (\"500m\")");
			else if (!(x->u.number.f64 >= 0.01 && x->u.number.f64 <= 4096))
				rc = sbx_error_set(p->err, SBX_EVALUE, ERANGE, p->ptr,
						   "%.40s is out of range: expected a number of CPUs from 0.01 to 4096",
						   x->u.number.text);
			else
				l->cpu_milli = (uint64_t)(x->u.number.f64 * 1000 + 0.5);
		} else if (!strcmp(m->key, "wallTime")) {
			l->has_wall = true;
			rc = get_duration(p, x, &l->wall_ms);
		} else {
			l->has_cputime = true;
			rc = get_duration(p, x, &l->cputime_ms);
		}
		sbx_json_ptr_pop(p->ptr, n);
	}
	/* After the loop: "compat" may follow the limits it governs. */
	const bool set[5] = { l->has_memory, l->has_pids, l->has_cpu, l->has_wall, l->has_cputime };
	for (int k = 0; k < 5; k++)
		if (set[k])
			l->kcompat[k] = l->compat;
	return rc;
}

static int parse_hostname(struct pctx *p, const struct sbx_json *v)
{
	const char *s;
	int rc = get_string(p, v, &s);
	size_t len;

	if (rc)
		return rc;
	len = strlen(s);
	if (len == 0 || len > 64 || strspn(s, "abcdefghijklmnopqrstuvwxyz"
					       "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") != len)
		return sbx_error_set(p->err, SBX_EVALUE, EINVAL, p->ptr,
				     "bad hostname \"%.64s\": expected 1 to 64 letters, digits, '.' or '-'",
				     s);
	p->L->hostname = s;
	return 0;
}

/* A BOOL or CHOICE key of the table (policy_keys.def). */
static int parse_plain(struct pctx *p, const struct sbx_policy_key *k, const struct sbx_json *v)
{
	int *field = sbx_policy_key_intp(p->L, k);
	size_t n = 0;

	if (k->kind == SBX_PK_BOOL)
		return get_bool(p, v, field);
	while (k->choices[n])
		n++;
	return get_choice(p, v, k->choices, n, field);
}

/* An object of plain keys ("preload": {"keepEnv": ...}). */
static int parse_plain_section(struct pctx *p, const char *section, const struct sbx_json *v)
{
	const char *keys[SBX_PK_COUNT];
	size_t nkeys = sbx_policy_key_names(section, keys, SBX_PK_COUNT);
	int rc;

	if ((rc = want(p, v, SBX_JSON_OBJECT, "an object")) ||
	    (rc = check_keys(p, v, keys, nkeys)))
		return rc;
	for (size_t i = 0; i < nkeys && !rc; i++) {
		const struct sbx_json *x = sbx_json_get(v, keys[i]);
		size_t n;

		if (!x)
			continue;
		n = sbx_json_ptr_push(p->ptr, sizeof(p->ptr), keys[i]);
		rc = parse_plain(p, sbx_policy_key_find(section, keys[i]), x);
		sbx_json_ptr_pop(p->ptr, n);
	}
	return rc;
}

static int parse_extends(struct pctx *p, const struct sbx_json *v, const char ***out,
			 const char ***ptrs, size_t *count)
{
	size_t n = v->type == SBX_JSON_ARRAY ? v->u.array.count : 1;

	if (v->type != SBX_JSON_STRING && v->type != SBX_JSON_ARRAY)
		return type_error(p, v, "a preset name, a policy file path, or an array of them");
	if (n > MAX_EXTENDS)
		return sbx_error_set(p->err, SBX_ETOOBIG, E2BIG, p->ptr,
				     "more than %d entries in extends", MAX_EXTENDS);
	*out = sbx_arena_alloc(p->a, (n ? n : 1) * sizeof(**out));
	*ptrs = sbx_arena_alloc(p->a, (n ? n : 1) * sizeof(**ptrs));
	if (!*out || !*ptrs)
		return oom(p);
	for (size_t i = 0; i < n; i++) {
		const struct sbx_json *it = v->type == SBX_JSON_ARRAY ? v->u.array.items[i] : v;
		size_t m = v->type == SBX_JSON_ARRAY
				   ? sbx_json_ptr_push_index(p->ptr, sizeof(p->ptr), i)
				   : strlen(p->ptr);
		int rc = want(p, it, SBX_JSON_STRING, "a preset name or a policy file path");

		if (!rc && it->u.string.len == 0)
			rc = sbx_error_set(p->err, SBX_EVALUE, EINVAL, p->ptr,
					   "expected a preset name or a policy file path, found \"\"");
		(*out)[i] = rc ? NULL : it->u.string.str;
		(*ptrs)[i] = cur_ptr(p);
		sbx_json_ptr_pop(p->ptr, m);
		if (rc)
			return rc;
	}
	*count = n;
	return 0;
}

int sbx_policy_parse_layer(const struct sbx_json *root, const struct sbx_parse_ctx *ctx,
			   struct sbx_policy *layer, const char ***extends,
			   const char ***extends_ptrs, size_t *nextends,
			   struct sbx_error *err)
{
	const char *keys[SBX_PK_COUNT];
	size_t nkeys = sbx_policy_key_names(NULL, keys, SBX_PK_COUNT);
	struct pctx p = { .c = ctx, .a = ctx->arena, .L = layer, .err = err };
	int rc;

	*nextends = 0;
	*extends = NULL;
	*extends_ptrs = NULL;
	if (root->type != SBX_JSON_OBJECT)
		return type_error(&p, root, "a policy object ({...})");
	rc = check_keys(&p, root, keys, nkeys);
	for (size_t i = 0; i < root->u.object.count && !rc; i++) {
		const struct sbx_json_member *m = &root->u.object.members[i];
		const struct sbx_json *v = m->value;
		const char *k = m->key;
		const struct sbx_policy_key *plain = sbx_policy_key_find(NULL, k);
		size_t n = sbx_json_ptr_push(p.ptr, sizeof(p.ptr), k);
		uint64_t version;

		if (plain && (plain->kind == SBX_PK_BOOL || plain->kind == SBX_PK_CHOICE)) {
			rc = parse_plain(&p, plain, v);
		} else if (!plain && sbx_policy_key_is_section(k)) {
			rc = parse_plain_section(&p, k, v);      /* "preload" */
		} else if (!strcmp(k, "version")) {
			if (v->type != SBX_JSON_NUMBER)
				rc = type_error(&p, v, "the integer 1");
			else if (!v->u.number.is_integer || v->u.number.is_negative ||
				 v->u.number.u64 != 1)
				rc = sbx_error_set(err, SBX_EVALUE, ERANGE, p.ptr,
						   "unsupported policy version %.20s: this sbx reads version 1",
						   v->u.number.text);
			else {
				rc = get_uint(&p, v, 1, 1, &version);
				layer->version = 1;
			}
		} else if (!strcmp(k, "extends")) {
			rc = parse_extends(&p, v, extends, extends_ptrs, nextends);
		} else if (!strcmp(k, "compat")) {
			rc = get_compat(&p, v, &layer->compat);
		} else if (!strcmp(k, "description")) {
			rc = want(&p, v, SBX_JSON_STRING, "a string");
		} else if (!strcmp(k, "fs")) {
			rc = parse_fs(&p, v);
		} else if (!strcmp(k, "net")) {
			rc = parse_net(&p, v);
		} else if (!strcmp(k, "scope")) {
			rc = parse_scope(&p, v);
		} else if (!strcmp(k, "seccomp")) {
			rc = parse_seccomp(&p, v);
		} else if (!strcmp(k, "capabilities")) {
			rc = parse_caps(&p, v);
		} else if (!strcmp(k, "rlimits")) {
			rc = parse_rlimits(&p, v);
		} else if (!strcmp(k, "namespaces")) {
			rc = parse_namespaces(&p, v);
		} else if (!strcmp(k, "root")) {
			rc = parse_root(&p, v);
		} else if (!strcmp(k, "mounts")) {
			rc = parse_mounts(&p, v);
		} else if (!strcmp(k, "env")) {
			rc = parse_env(&p, v);
		} else if (!strcmp(k, "limits")) {
			rc = parse_limits(&p, v);
		} else if (!strcmp(k, "hostname")) {
			rc = parse_hostname(&p, v);
		} else if (!strcmp(k, "cwd")) {
			rc = want(&p, v, SBX_JSON_STRING, "a directory path");
			if (!rc) {
				layer->cwd = sbx_policy_expand_path(ctx, v->u.string.str, p.ptr, false,
								    err);
				rc = layer->cwd ? check_exists(&p, layer->cwd, false, true) : -EINVAL;
			}
		}
		sbx_json_ptr_pop(p.ptr, n);
	}
	return rc;
}
