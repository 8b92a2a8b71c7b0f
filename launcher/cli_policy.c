/*
 * runPolicy() of lib/commands/run.ts in C: the policy `sbx run`'s flags
 * describe, as the text the launcher loads. Step for step the TypeScript:
 * the same checks in the same order with the same words, the same object
 * built in the same key order, written as JSON.stringify writes it
 * (cli_json.c). Paths are made absolute as Node's path.resolve() makes
 * them (lexically, against the kernel's working directory), `~` as
 * os.homedir() reads it ($HOME, else the password database).
 */
#include "cli.h"
#include "json.h"

#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "analyzer.h"

/* base/analyzer.h: this process execs or exits soon (ANALYZER_UNTIL_EXEC). */
ANALYZER_UNTIL_EXEC_BEGIN

static char *xstrdup(const char *s)
{
	char *d = strdup(s);
	if (!d) {
		dprintf(2, "sbx: out of memory\n");
		_exit(1);
	}
	return d;
}

/* path.resolve(x) with the process's working directory. */
static char *resolve(const char *x)
{
	char cwd[PATH_MAX];
	size_t xl = strlen(x);
	char *joined;
	if (x[0] == '/') {
		joined = xstrdup(x);
	} else {
		if (!getcwd(cwd, sizeof(cwd)))
			strcpy(cwd, "/");
		joined = malloc(strlen(cwd) + xl + 2);
		if (!joined) {
			dprintf(2, "sbx: out of memory\n");
			_exit(1);
		}
		sprintf(joined, "%s/%s", cwd, x);
	}
	/* normalize: no empty or "." segment, ".." takes the last one away */
	char *out = malloc(strlen(joined) + 2);
	if (!out) {
		dprintf(2, "sbx: out of memory\n");
		_exit(1);
	}
	size_t n = 0;
	for (char *seg = joined; *seg;) {
		char *end = strchr(seg, '/');
		size_t len = end ? (size_t)(end - seg) : strlen(seg);
		if (len == 0 || (len == 1 && seg[0] == '.')) {
			/* skip */
		} else if (len == 2 && seg[0] == '.' && seg[1] == '.') {
			while (n > 0 && out[n - 1] != '/')
				n--;
			if (n > 0)
				n--;
		} else {
			out[n++] = '/';
			memcpy(out + n, seg, len);
			n += len;
		}
		seg += len;
		if (*seg == '/')
			seg++;
	}
	if (n == 0)
		out[n++] = '/';
	out[n] = '\0';
	free(joined);
	return out;
}

/* os.homedir(): $HOME when set and not empty, else the password database. */
static const char *homedir(void)
{
	const char *h = getenv("HOME");
	if (h && *h)
		return h;
	struct passwd *pw = getpwuid(getuid());
	return pw && pw->pw_dir ? pw->pw_dir : "";
}

/* abs(x) of run.ts: a leading `~` (alone or before '/') is the home. */
static char *abs_path(const char *x)
{
	if (x[0] == '~' && (x[1] == '\0' || x[1] == '/')) {
		const char *h = homedir();
		char *t = malloc(strlen(h) + strlen(x) + 1);
		if (!t) {
			dprintf(2, "sbx: out of memory\n");
			_exit(1);
		}
		sprintf(t, "%s%s", h, x + 1);
		char *r = resolve(t);
		free(t);
		return r;
	}
	return resolve(x);
}

static bool digits_only(const char *v)
{
	if (!*v)
		return false;
	for (; *v; v++)
		if (*v < '0' || *v > '9')
			return false;
	return true;
}

/* num(v) of run.ts: digits are a number, anything else the string. */
static struct ln_cj *num(const char *v)
{
	return digits_only(v) ? ln_cj_number(v) : ln_cj_string(v);
}

static bool js_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

/* `o.key ??= {}` / `?? []`: the member when it is an object (array), a new
 * one when absent or null; NULL when it is something else, where run.ts
 * would fail or do something odd: Node says what. */
static struct ln_cj *member_or_new(struct ln_cj *o, const char *key, enum ln_cj_kind kind, bool set)
{
	struct ln_cj *v = ln_cj_get(o, key);
	if (v && ln_cj_kind(v) == kind)
		return v;
	if (v && ln_cj_kind(v) != LN_CJ_NULL)
		return NULL;
	v = kind == LN_CJ_OBJECT ? ln_cj_object() : ln_cj_array();
	if (set)
		ln_cj_set(o, key, v);
	return v;
}

/* `{ ...o.key }`: a copy, an empty object for absent or null, NULL else. */
static struct ln_cj *spread(struct ln_cj *o, const char *key)
{
	struct ln_cj *v = member_or_new(o, key, LN_CJ_OBJECT, false);
	return v ? ln_cj_copy(v) : NULL;
}

/* `[...(o?.key ?? [])]` */
static struct ln_cj *spread_list(struct ln_cj *o, const char *key)
{
	struct ln_cj *v = o ? member_or_new(o, key, LN_CJ_ARRAY, false) : ln_cj_array();
	return v ? ln_cj_copy(v) : NULL;
}

char *ln_cli_run_policy(const struct ln_cli_run *f)
{
	/* policy-shortcuts.ts noShortcuts(): a flag given, even empty
	 * (--memory=), is a shortcut, which the checks below or the core
	 * then refuse. */
	bool none = !f->ro.n && !f->rw.n && !f->exec.n && !f->net && !f->unix_paths.n &&
		    !f->allow_host.n && !f->env.n && !f->memory && !f->pids && !f->timeout;
	const char *src = f->policy ? f->policy : "default";
	const char *t = src;
	while (js_space(*t))
		t++;
	bool inline_ = t[0] == '{';
	size_t tl = strlen(t);
	char *ref = !inline_ && (strchr(t, '/') || (tl >= 5 && !strcmp(t + tl - 5, ".json")))
			    ? resolve(t) : xstrdup(src);
	if (none)
		return ref;

	struct ln_cj *p;
	if (inline_) {
		/* JSON.parse(src): the core's strict reader; what it refuses
		 * (a syntax error, a duplicate key, a depth JSON.parse allows),
		 * Node reads, as run.ts always did. */
		struct sbx_json_doc *doc = NULL;
		struct sbx_error err;
		if (sbx_json_parse(src, strlen(src), NULL, &doc, &err))
			return NULL;
		p = ln_cj_from(sbx_json_doc_root(doc));
		if (ln_cj_kind(p) != LN_CJ_OBJECT)
			return NULL;
	} else {
		p = ln_cj_object();
		ln_cj_set(p, "extends", ln_cj_string(ref));
	}
	/* lib/policy-shortcuts.ts: --ro, --rw, --exec in that order; the
	 * fs section only when one of them is given. */
	static const char *const flag[3] = { "--ro", "--rw", "--exec" };
	const struct ln_cli_list *paths[3] = { &f->ro, &f->rw, &f->exec };
	for (int k = 0; k < 3; k++) {
		const struct ln_cli_list *l = paths[k];
		const bool writable = k == 1, bind = k != 2;
		for (size_t i = 0; i < l->n; i++) {
			const char *x = l->v[i];
			char *a = abs_path(x);
			struct stat st;
			/* Said in the flag's terms: the core's message would name a
			 * policy pointer (/fs/read/0) the user never wrote. */
			if (lstat(a, &st)) {
				char *q = ln_cj_quote(x);
				ln_cli_usage("run: %s %s: %s does not exist; create it first%s%s%s, or leave the flag out",
					     flag[k], x, a, writable ? " (mkdir -p " : "",
					     writable ? q : "", writable ? ")" : "");
			}
			if (bind) {
				struct ln_cj *mounts = member_or_new(p, "mounts", LN_CJ_ARRAY, true);
				if (!mounts)
					return NULL;
				struct ln_cj *m = ln_cj_object();
				ln_cj_set(m, "type", ln_cj_string("bind"));
				ln_cj_set(m, "source", ln_cj_string(a));
				ln_cj_set(m, "target", ln_cj_string(a));
				ln_cj_set(m, "writable", ln_cj_bool(writable));
				ln_cj_push(mounts, m);
			}
			struct ln_cj *fs = member_or_new(p, "fs", LN_CJ_OBJECT, true);
			struct ln_cj *read = fs ? member_or_new(fs, "read", LN_CJ_ARRAY, true) : NULL;
			if (!read)
				return NULL;
			ln_cj_push(read, ln_cj_string(a));
			/* --ro also allows executing, as bubblewrap's --ro-bind
			 * does (policy-shortcuts.ts says why); --rw does not. */
			struct ln_cj *more = member_or_new(fs, writable ? "write" : "exec", LN_CJ_ARRAY, true);
			if (!more)
				return NULL;
			ln_cj_push(more, ln_cj_string(a));
		}
	}
	/* The host's network does not open the host's unix daemons: unix
	 * sockets reach the sandbox's own and the --unix names only. */
	if (f->net && !strcmp(f->net, "host")) {
		struct ln_cj *ns = spread(p, "namespaces"), *net = spread(p, "net");
		if (!ns || !net)
			return NULL;
		ln_cj_set(ns, "net", ln_cj_bool(false));
		ln_cj_set(p, "namespaces", ns);
		struct ln_cj *up = spread_list(ln_cj_get(p, "net") && ln_cj_kind(ln_cj_get(p, "net")) == LN_CJ_OBJECT
						       ? ln_cj_get(p, "net") : NULL, "unixPaths");
		if (!up)
			return NULL;
		ln_cj_set(net, "inet", ln_cj_bool(true));
		ln_cj_set(net, "netlink", ln_cj_bool(true));
		ln_cj_set(net, "unixPaths", up);
		ln_cj_set(p, "net", net);
	} else if (f->net && !strcmp(f->net, "none")) {
		struct ln_cj *ns = spread(p, "namespaces");
		if (!ns)
			return NULL;
		ln_cj_set(ns, "net", ln_cj_bool(true));
		ln_cj_set(p, "namespaces", ns);
	} else if (f->net) {
		ln_cli_usage("run: --net must be none or host, not '%s'", f->net);
	}
	/* net.unixPaths, then net.hosts: `{ ...p.net, key: [...old, ...new] }` */
	const struct { const char *key; const struct ln_cli_list *l; bool paths; } lists[] = {
		{ "unixPaths", &f->unix_paths, true }, { "hosts", &f->allow_host, false },
	};
	for (size_t k = 0; k < 2; k++) {
		if (!lists[k].l->n)
			continue;
		if (!lists[k].paths && f->net && !strcmp(f->net, "host"))
			ln_cli_usage("run: --allow-host limits the network to some hosts; --net host opens all of it: drop one");
		struct ln_cj *old = ln_cj_get(p, "net");
		struct ln_cj *net = spread(p, "net");
		struct ln_cj *list = spread_list(old && ln_cj_kind(old) == LN_CJ_OBJECT ? old : NULL, lists[k].key);
		if (!net || !list)
			return NULL;
		for (size_t i = 0; i < lists[k].l->n; i++) {
			const char *v = lists[k].l->v[i];
			ln_cj_push(list, lists[k].paths ? ln_cj_string(abs_path(v)) : ln_cj_string(v));
		}
		ln_cj_set(net, lists[k].key, list);
		ln_cj_set(p, "net", net);
	}
	for (size_t i = 0; i < f->env.n; i++) {
		const char *kv = f->env.v[i];
		const char *eq = strchr(kv, '=');
		if (!eq || eq == kv)
			ln_cli_usage("run: --env expects NAME=VALUE, not '%s'", kv);
		struct ln_cj *env = member_or_new(p, "env", LN_CJ_OBJECT, true);
		struct ln_cj *set = env ? member_or_new(env, "set", LN_CJ_OBJECT, true) : NULL;
		if (!set)
			return NULL;
		char *name = strndup(kv, (size_t)(eq - kv));
		if (!name) {
			dprintf(2, "sbx: out of memory\n");
			_exit(1);
		}
		ln_cj_set(set, name, ln_cj_string(eq + 1));
	}
	/* ---- limits (launcher/limits.c): the core checks the values ---- */
	if (f->memory || f->pids || f->timeout) {
		struct ln_cj *lim;
		if (f->memory) {
			if (!(lim = member_or_new(p, "limits", LN_CJ_OBJECT, true)))
				return NULL;
			ln_cj_set(lim, "memory", num(f->memory));
		}
		if (f->pids) {
			if (!digits_only(f->pids))
				ln_cli_usage("run: --pids expects a number, not '%s'", f->pids);
			if (!(lim = member_or_new(p, "limits", LN_CJ_OBJECT, true)))
				return NULL;
			ln_cj_set(lim, "pids", ln_cj_number(f->pids));
		}
		/* A bare number is seconds, as for GNU timeout. */
		if (f->timeout) {
			if (!(lim = member_or_new(p, "limits", LN_CJ_OBJECT, true)))
				return NULL;
			ln_cj_set(lim, "wallTime", num(f->timeout));
		}
	}
	/* ---- end limits ---- */
	return ln_cj_stringify(p);
}

ANALYZER_UNTIL_EXEC_END
