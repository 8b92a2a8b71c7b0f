/*
 * The preset fast path (src-native/preset_fast.h) against the normal path:
 * for every built-in preset and a set of environments chosen to hit the
 * cases where the result depends on them ($CWD equal to $TMPDIR or to a
 * system directory, "/", trailing slashes, a variable that does not expand,
 * paths that do not exist with and without the path check), both loads
 * give the same error, or the same policy (field by field, and the same
 * canonical JSON), the same seccomp program and notes, and the same
 * prepared Landlock rules.
 *
 * The normal path is reached with " strict" (leading blank): load_top()
 * skips it and loads the same preset, but it is not a bare preset name, so
 * the fast path declines it (checked below).
 */
#include "bpf.h"
#include "policy.h"
#include "prepared.h"
#include "preset_fast.h"
#include "sbx_apply.h"
#include "syscalls.h"
#include "t.h"

#include <limits.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <unistd.h>

static bool same_str(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

#define SAME(cond, ...)                                                      \
	do {                                                                 \
		if (!(cond)) {                                               \
			T_FAIL(__VA_ARGS__);                                 \
			return false;                                        \
		}                                                            \
	} while (0)

static bool same_value(const struct sbx_when_value *a, const struct sbx_when_value *b)
{
	SAME(a->count == b->count, "when value count");
	for (size_t i = 0; i < a->count; i++)
		/* a named atom's value is 0 (its name is resolved per arch) */
		SAME(same_str(a->atoms[i].name, b->atoms[i].name) &&
		     a->atoms[i].value == b->atoms[i].value,
		     "when atom %zu", i);
	return true;
}

static bool same_rule(const struct sbx_policy_rule *a, const struct sbx_policy_rule *b)
{
	SAME(a->nnames == b->nnames, "rule nnames");
	for (size_t i = 0; i < a->nnames; i++)
		SAME(same_str(a->names[i], b->names[i]), "rule name %s", a->names[i]);
	SAME(a->action.kind == b->action.kind && a->action.data == b->action.data, "rule action");
	SAME(same_str(a->when, b->when) && a->arch_mask == b->arch_mask &&
	     same_str(a->pointer, b->pointer), "rule when/arch/pointer %s", a->pointer);
	SAME(a->nconds == b->nconds, "rule nconds");
	for (size_t c = 0; c < a->nconds; c++) {
		const struct sbx_when_cond *x = &a->conds[c], *y = &b->conds[c];

		SAME(x->arg == y->arg && x->op == y->op && x->nset == y->nset, "cond %zu", c);
		if (!same_value(&x->value, &y->value) || !same_value(&x->mask, &y->mask))
			return false;
		for (size_t s = 0; s < x->nset; s++)
			if (!same_value(&x->set[s], &y->set[s]))
				return false;
	}
	return true;
}

static bool same_ports(const struct sbx_ports *a, const struct sbx_ports *b)
{
	SAME(a->set == b->set && a->count == b->count, "ports");
	for (size_t i = 0; i < a->count; i++)
		SAME(a->items[i] == b->items[i], "port %zu", i);
	return true;
}

/* Every field a preset can set, and those it cannot (they must be unset in
 * both). */
static bool same_policy(const struct sbx_policy *a, const struct sbx_policy *b)
{
	SAME(a->version == b->version && a->compat == b->compat, "version/compat");
	SAME(a->fs.present == b->fs.present && a->fs.compat == b->fs.compat, "fs");
	for (int r = 0; r < SBX_FS_NRIGHTS; r++) {
		const struct sbx_ppaths *x = &a->fs.rights[r], *y = &b->fs.rights[r];

		SAME(x->set == y->set && x->count == y->count, "fs.%s: set %d/%d count %zu/%zu",
		     sbx_fs_right_keys[r], x->set, y->set, x->count, y->count);
		for (size_t i = 0; i < x->count; i++)
			SAME(same_str(x->items[i].path, y->items[i].path) &&
			     same_str(x->items[i].written, y->items[i].written) &&
			     x->items[i].optional == y->items[i].optional &&
			     same_str(x->items[i].pointer, y->items[i].pointer),
			     "fs.%s[%zu]: %s %s %d %s / %s %s %d %s", sbx_fs_right_keys[r], i,
			     x->items[i].path, x->items[i].written, x->items[i].optional,
			     x->items[i].pointer, y->items[i].path, y->items[i].written,
			     y->items[i].optional, y->items[i].pointer);
	}
	for (int k = 0; k < 2; k++) {
		const struct sbx_ppaths *x = k ? &a->fs.hide : &a->fs.protect;
		const struct sbx_ppaths *y = k ? &b->fs.hide : &b->fs.protect;

		SAME(x->set == y->set && x->count == y->count, "fs.%s: set %d/%d count %zu/%zu",
		     k ? "hide" : "protect", x->set, y->set, x->count, y->count);
		for (size_t i = 0; i < x->count; i++)
			SAME(same_str(x->items[i].path, y->items[i].path) &&
			     same_str(x->items[i].written, y->items[i].written) &&
			     x->items[i].optional == y->items[i].optional &&
			     same_str(x->items[i].pointer, y->items[i].pointer),
			     "fs.%s[%zu]: %s %s %d %s / %s %s %d %s", k ? "hide" : "protect", i,
			     x->items[i].path, x->items[i].written, x->items[i].optional,
			     x->items[i].pointer, y->items[i].path, y->items[i].written,
			     y->items[i].optional, y->items[i].pointer);
	}
	SAME(a->allow_broad_cwd == b->allow_broad_cwd && a->follow_symlinks == b->follow_symlinks,
	     "allowBroadCwd/followSymlinks");
	SAME(a->net.present == b->net.present && a->net.compat == b->net.compat &&
	     a->net.inet == b->net.inet && a->net.netlink == b->net.netlink &&
	     a->net.other == b->net.other && a->net.unix_mode == b->net.unix_mode, "net");
	if (!same_ports(&a->net.connect, &b->net.connect) || !same_ports(&a->net.bind, &b->net.bind))
		return false;
	SAME((a->scope.present == b->scope.present &&
	     a->scope.compat == b->scope.compat && a->scope.abstract_unix == b->scope.abstract_unix &&
	     a->scope.signals == b->scope.signals), "scope");
	SAME(a->seccomp.present == b->seccomp.present && a->seccomp.compat == b->seccomp.compat &&
	     a->seccomp.nlayers == b->seccomp.nlayers, "seccomp");
	for (size_t i = 0; i < a->seccomp.nlayers; i++) {
		const struct sbx_seccomp_layer *x = &a->seccomp.layers[i], *y = &b->seccomp.layers[i];

		SAME(same_str(x->origin, y->origin) && x->has_default == y->has_default &&
		     x->default_action.kind == y->default_action.kind &&
		     x->default_action.data == y->default_action.data &&
		     same_str(x->default_pointer, y->default_pointer) &&
		     x->has_foreign == y->has_foreign &&
		     x->foreign_action.kind == y->foreign_action.kind &&
		     x->foreign_action.data == y->foreign_action.data &&
		     same_str(x->import_path, y->import_path) &&
		     same_str(x->import_pointer, y->import_pointer) &&
		     !x->imported && !y->imported && x->nrules == y->nrules, "seccomp layer %zu", i);
		for (size_t r = 0; r < x->nrules; r++)
			if (!same_rule(&x->rules[r], &y->rules[r]))
				return false;
	}
	SAME(a->has_caps == b->has_caps && a->caps_keep == b->caps_keep, "caps");
	SAME(a->rlimits.present == b->rlimits.present && a->rlimits.compat == b->rlimits.compat,
	     "rlimits");
	for (int r = 0; r < SBX_RL_COUNT; r++)
		SAME(a->rlimits.set[r] == b->rlimits.set[r] &&
		     (!a->rlimits.set[r] || a->rlimits.value[r] == b->rlimits.value[r]), "rlimit %d", r);
	SAME(a->namespaces.present == b->namespaces.present &&
	     a->namespaces.compat == b->namespaces.compat &&
	     !memcmp(a->namespaces.ns, b->namespaces.ns, sizeof(a->namespaces.ns)) &&
	     a->namespaces.uid == b->namespaces.uid && a->namespaces.gid == b->namespaces.gid,
	     "namespaces");
	SAME(a->root_kind == b->root_kind && same_str(a->root_dir, b->root_dir) &&
	     a->has_mounts == b->has_mounts && a->nmounts == b->nmounts && !a->env.present &&
	     !b->env.present, "root/mounts/env");
	SAME(a->limits.present == b->limits.present && a->limits.compat == b->limits.compat &&
	     a->limits.has_memory == b->limits.has_memory && a->limits.memory == b->limits.memory &&
	     a->limits.has_pids == b->limits.has_pids && a->limits.pids == b->limits.pids &&
	     a->limits.has_cpu == b->limits.has_cpu && a->limits.cpu_milli == b->limits.cpu_milli &&
	     a->limits.has_wall == b->limits.has_wall && a->limits.wall_ms == b->limits.wall_ms &&
	     a->limits.has_cputime == b->limits.has_cputime &&
	     a->limits.cputime_ms == b->limits.cputime_ms, "limits");
	SAME(a->session_new == b->session_new && a->die_with_parent == b->die_with_parent &&
	     a->report == b->report && a->keep_preload_env == b->keep_preload_env &&
	     same_str(a->hostname, b->hostname) && same_str(a->cwd, b->cwd), "process settings");
	SAME(a->notes.count == b->notes.count, "notes");
	SAME(a->norigins == b->norigins, "origins");
	for (size_t i = 0; i < a->norigins; i++)
		SAME(same_str(a->origins[i], b->origins[i]), "origin %zu", i);
	return true;
}

static bool same_compiled(const struct sbx_compiled *a, const struct sbx_compiled *b)
{
	SAME(a && b, "compiled missing");
	SAME(a->arch == b->arch && a->insn_count == b->insn_count && a->bpf_size == b->bpf_size &&
	     (!a->bpf_size || !memcmp(a->bpf, b->bpf, a->bpf_size)), "bpf differs");
	SAME(!a->disassembly && !b->disassembly && a->nnotes == b->nnotes, "notes count");
	for (size_t i = 0; i < a->nnotes; i++)
		SAME(same_str(a->notes[i], b->notes[i]), "note %zu", i);
	return true;
}

static bool same_prepared(const struct sbx_prepared *a, const struct sbx_prepared *b)
{
	if (!same_compiled(a->compiled, b->compiled))
		return false;
	SAME(a->plan.seccomp.len == b->plan.seccomp.len &&
	     a->plan.seccomp.flags == b->plan.seccomp.flags, "seccomp plan");
	SAME(a->npaths == b->npaths && a->nports == b->nports, "landlock rules %zu/%zu",
	     a->npaths, b->npaths);
	for (size_t i = 0; i < a->npaths; i++)
		SAME((same_str(a->paths[i].path, b->paths[i].path) &&
		      a->paths[i].access == b->paths[i].access &&
		      a->paths[i].optional == b->paths[i].optional &&
		      same_str(a->paths[i].pointer, b->paths[i].pointer)),
		     "landlock rule %zu: %s / %s", i, a->paths[i].path, b->paths[i].path);
	SAME(a->landlock_abi == b->landlock_abi && (a->landlock_fd < 0) == (b->landlock_fd < 0),
	     "landlock");
	SAME(a->plan.nrlimits == b->plan.nrlimits && a->plan.caps.present == b->plan.caps.present &&
	     a->plan.caps.keep == b->plan.caps.keep, "rlimits/caps plan");
	SAME(a->skipped.count == b->skipped.count && a->notes.count == b->notes.count &&
	     a->skipped.lost == b->skipped.lost && a->notes.lost == b->notes.lost, "notes count");
	for (unsigned i = 0; i < a->skipped.count && i < SBX_NOTEBUF_MAX; i++)
		SAME(same_str(a->skipped.text[i], b->skipped.text[i]), "skipped %u", i);
	for (unsigned i = 0; i < a->notes.count && i < SBX_NOTEBUF_MAX; i++)
		SAME(same_str(a->notes.text[i], b->notes.text[i]), "note %u", i);
	return true;
}

static char dir[64];

static void setup_dir(void)
{
	if (dir[0])
		return;
	snprintf(dir, sizeof(dir), "/tmp/sbx-test-fast-XXXXXX");
	if (!mkdtemp(dir))
		abort();
}

/* Load `name` both ways under `o` and compare everything. Returns whether
 * the fast path was taken. */
static bool compare(const char *name, const struct sbx_policy_load_opts *o, const char *what)
{
	char slow_src[64];
	struct sbx_policy *fast = NULL, *slow = NULL;
	struct sbx_error ef, es;
	int rf, rs;
	bool took = false;

	snprintf(slow_src, sizeof(slow_src), " %s", name);
	memset(&ef, 0x5a, sizeof(ef));
	memset(&es, 0x5a, sizeof(es));
	rf = sbx_policy_load(name, o, &fast, &ef);
	rs = sbx_policy_load(slow_src, o, &slow, &es);
	if (slow)
		CHECK_EQ_INT(slow->fast_preset, 0);
	if (rf != rs) {
		T_FAIL("%s (%s): rc %d / %d (%s)", name, what, rf, rs, rs ? es.message : ef.message);
		goto out;
	}
	if (rf) {
		CHECK(fast == NULL);
		CHECK_EQ_INT(ef.code, es.code);
		CHECK_EQ_INT(ef.err, es.err);
		CHECK_STR(ef.pointer, es.pointer);
		CHECK_STR(ef.message, es.message);
		goto out;
	}
	took = fast->fast_preset != 0;
	CHECK_EQ_INT(ef.code, es.code);
	CHECK_STR(ef.message, es.message);
	if (!same_policy(fast, slow))
		T_FAIL("%s (%s): policies differ", name, what);
	{
		char *jf = NULL, *js = NULL;

		CHECK_EQ_INT(sbx_policy_to_json(fast, &jf, &ef), 0);
		CHECK_EQ_INT(sbx_policy_to_json(slow, &js, &es), 0);
		CHECK_STR(jf, js);
		free(jf);
		free(js);
	}
	{
		struct sbx_compiled *cs = NULL, *cf = NULL;

		/* The precompiled program against the compiler, on the same
		 * (fast-loaded) policy and on the normally loaded one. */
		CHECK_EQ_INT(sbx_compile_policy_flags(slow, -1, SBX_COMPILE_NO_DISASSEMBLY, &cs, &es), 0);
		if (took) {
			CHECK_EQ_INT(sbx_policy_compiled_fast(fast, &fast->net, &cf), 1);
			if (!same_compiled(cf, cs))
				T_FAIL("%s (%s): programs differ", name, what);
		}
		/* The self door's program for a process holding io_uring
		 * rings: precompiled whenever the preset's own refuses
		 * io_uring_enter (else keep_rings() keeps the program). */
		if (took) {
			struct sbx_compiled *rf = NULL, *rs = NULL;
			int enter = sbx_syscall_lookup(sbx_arch_native(), "io_uring_enter");
			bool refuses = enter >= 0 && cs && cs->insn_count &&
				!sbx_bpf_const_allows((const struct sock_filter *)cs->bpf, cs->insn_count,
						      sbx_arch_info(sbx_arch_native())->audit_arch,
						      (uint32_t)enter);

			CHECK_EQ_INT(sbx_compile_policy_keep_rings(slow, &slow->net, &rs, &es), 0);
			CHECK_EQ_INT(sbx_policy_compiled_fast_rings(fast, &fast->net, &rf), refuses ? 1 : 0);
			if (refuses && !same_compiled(rf, rs))
				T_FAIL("%s (%s): programs keeping io_uring_enter differ", name, what);
			if (refuses && rs && (enter < 0 || !sbx_bpf_const_allows(
					(const struct sock_filter *)rs->bpf, rs->insn_count,
					sbx_arch_info(sbx_arch_native())->audit_arch, (uint32_t)enter)))
				T_FAIL("%s (%s): io_uring_enter still refused", name, what);
			sbx_compiled_free(rf);
			sbx_compiled_free(rs);
		}
		sbx_compiled_free(cs);
		sbx_compiled_free(cf);
	}
	for (int door = SBX_DOOR_PRELOAD; door <= SBX_DOOR_SPAWN; door++) {
		struct sbx_prepared *pf = NULL, *ps = NULL;
		int qf = sbx_prepare(fast, door, 0, &pf, &ef);
		int qs = sbx_prepare(slow, door, 0, &ps, &es);

		CHECK_EQ_INT(qf, qs);
		if (!qf && !qs && !same_prepared(pf, ps))
			T_FAIL("%s (%s): prepared sandboxes differ (door %d)", name, what, door);
		if (qf && qs) {
			CHECK_STR(ef.pointer, es.pointer);
			CHECK_STR(ef.message, es.message);
		}
		sbx_prepared_free(pf);
		sbx_prepared_free(ps);
	}
out:
	sbx_policy_free(fast);
	sbx_policy_free(slow);
	return took;
}

struct env_case {
	const char *what, *cwd, *home, *tmpdir;
	unsigned flags;
};

TEST(every_preset_fast_equals_normal)
{
	const char *const *names = sbx_preset_names();
	char sub[128], tmp_slash[128], missing[128], longdir[PATH_MAX + 64];

	setup_dir();
	snprintf(sub, sizeof(sub), "%s/sub", dir);
	mkdir(sub, 0700);
	snprintf(tmp_slash, sizeof(tmp_slash), "%s/./", dir);
	snprintf(missing, sizeof(missing), "%s/missing", dir);
	memset(longdir, 'x', sizeof(longdir) - 1);
	longdir[0] = '/';
	longdir[sizeof(longdir) - 1] = '\0';
	{
		const struct env_case cases[] = {
			{ "plain", dir, "/root", "/tmp", 0 },
			{ "plain, no path check", dir, "/root", "/tmp", SBX_POLICY_NO_PATH_CHECK },
			{ "cwd = tmpdir (the bench)", dir, dir, dir, SBX_POLICY_NO_PATH_CHECK },
			{ "cwd = tmpdir, checked", dir, dir, dir, 0 },
			{ "cwd = /usr", "/usr", "/root", "/tmp", 0 },
			{ "cwd = /", "/", "/root", "/tmp", 0 },
			{ "cwd = /dev/null", "/dev/null", "/root", "/tmp", 0 },
			{ "cwd = /dev/tty (optional elsewhere)", "/dev/tty", NULL, "/tmp",
			  SBX_POLICY_NO_PATH_CHECK },
			{ "tmpdir with ./ and /", sub, NULL, tmp_slash, 0 },
			{ "tmpdir = cwd's parent", sub, NULL, dir, 0 },
			{ "missing cwd, checked", missing, "/root", "/tmp", 0 },
			{ "missing cwd, unchecked", missing, "/root", "/tmp", SBX_POLICY_NO_PATH_CHECK },
			{ "missing tmpdir, checked", dir, "/root", missing, 0 },
			{ "tmpdir too long", dir, "/root", longdir, SBX_POLICY_NO_PATH_CHECK },
			{ "home relative", dir, "relative", "/tmp", 0 },
		};
		int fast_taken = 0;

		for (size_t n = 0; names[n]; n++)
			for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
				struct sbx_policy_load_opts o = { .cwd = cases[c].cwd,
								  .home = cases[c].home,
								  .tmpdir = cases[c].tmpdir,
								  .flags = cases[c].flags };

				fast_taken += compare(names[n], &o, cases[c].what);
			}
		/* Not a test that cannot fail: the fast path must actually be
		 * taken for every preset in the plain case. */
		for (size_t n = 0; names[n]; n++) {
			struct sbx_policy_load_opts o = { .cwd = dir, .home = "/root", .tmpdir = "/tmp" };
			struct sbx_policy *p = NULL;
			struct sbx_error err;

			CHECK_EQ_INT(sbx_policy_load(names[n], &o, &p, &err), 0);
			if (p && !p->fast_preset)
				T_FAIL("preset %s has no fast path", names[n]);
			sbx_policy_free(p);
		}
		CHECK(fast_taken > 0);
	}
}

/* The environment of the process (no opts): getcwd(), $HOME, $TMPDIR. */
TEST(process_environment)
{
	const char *const *names = sbx_preset_names();
	char old[PATH_MAX];
	const char *home = getenv("HOME"), *tmp = getenv("TMPDIR");
	char *home_copy = home ? strdup(home) : NULL, *tmp_copy = tmp ? strdup(tmp) : NULL;

	setup_dir();
	CHECK(getcwd(old, sizeof(old)) != NULL);
	CHECK_EQ_INT(chdir(dir), 0);
	setenv("TMPDIR", dir, 1);
	unsetenv("HOME");
	for (size_t n = 0; names[n]; n++)
		CHECK(compare(names[n], NULL, "process env"));
	setenv("TMPDIR", "relative", 1);
	setenv("HOME", "/nonexistent-home", 1);
	for (size_t n = 0; names[n]; n++)
		compare(names[n], NULL, "relative TMPDIR");
	CHECK_EQ_INT(chdir(old), 0);
	if (home_copy)
		setenv("HOME", home_copy, 1);
	if (tmp_copy)
		setenv("TMPDIR", tmp_copy, 1);
	else
		unsetenv("TMPDIR");
	free(home_copy);
	free(tmp_copy);
}

/* Sources that are not exactly a preset name, and load options the table
 * was not built for, take the normal path. */
TEST(doubt_takes_normal_path)
{
	static const char *const sources[] = { " strict", "strict ", "strict\n", "STRICT",
					       "{\"extends\": \"strict\"}", "stric" };
	struct sbx_policy_load_opts o = { .cwd = "/tmp", .home = "/root", .tmpdir = "/tmp",
					   .flags = SBX_POLICY_NO_PATH_CHECK };
	struct sbx_policy *p = NULL;
	struct sbx_error err;

	for (size_t i = 0; i < sizeof(sources) / sizeof(sources[0]); i++) {
		if (sbx_policy_load(sources[i], &o, &p, &err) == 0) {
			CHECK_EQ_INT(p->fast_preset, 0);
			sbx_policy_free(p);
			p = NULL;
		}
	}
	/* A document limit below the preset's size: the normal path's error. */
	o.max_bytes = 64;
	CHECK(sbx_policy_load("strict", &o, &p, &err) < 0);
	CHECK(p == NULL);
	CHECK_EQ_INT(err.code, SBX_ETOOBIG);
	o.max_bytes = 0;
	o.flags |= SBX_POLICY_INLINE_ONLY;
	CHECK(sbx_policy_load("strict", &o, &p, &err) < 0);
	CHECK(p == NULL);
}

/* The loaded policy is never changed; a filter built from a `net` section a
 * door derived (the spawn door without its network namespace:
 * sbx_prepare_inputs.inet_closed) is compiled, not the preset's program, and
 * is the program of the policy that says `net.inet: false` itself. */
TEST(derived_net_is_compiled)
{
	struct sbx_policy_load_opts o = { .cwd = "/tmp", .home = "/root", .tmpdir = "/tmp",
					   .flags = SBX_POLICY_NO_PATH_CHECK };
	const char *const *names = sbx_preset_names();
	struct sbx_policy *p = NULL, *closed = NULL;
	struct sbx_compiled *c = NULL, *ref = NULL;
	struct sbx_error err;
	const char *name = NULL;

	/* A preset that lets internet sockets be made and has a filter. */
	for (size_t n = 0; names[n] && !name; n++) {
		CHECK_EQ_INT(sbx_policy_load(names[n], &o, &p, &err), 0);
		if (p && p->fast_preset && p->seccomp.present && sbx_net_inet_sockets(&p->net))
			name = names[n];
		else
			sbx_policy_free(p);
	}
	if (!name) {
		T_FAIL("no preset allows internet sockets with a seccomp section");
		return;
	}
	CHECK_EQ_INT(sbx_policy_compiled_fast(p, &p->net, &c), 1);
	sbx_compiled_free(c);
	c = NULL;
	struct sbx_policy_net net = p->net;
	net.present = true;
	net.inet = 0;
	CHECK_EQ_INT(sbx_policy_compiled_fast(p, &net, &c), 0);
	CHECK(c == NULL);
	CHECK_EQ_INT(sbx_policy_compiled_fast_rings(p, &net, &c), 0);
	CHECK(c == NULL);

	char doc[128];
	snprintf(doc, sizeof(doc), "{\"extends\": \"%s\", \"net\": {\"inet\": false}}", name);
	CHECK_EQ_INT(sbx_policy_load(doc, &o, &closed, &err), 0);
	if (closed)
		CHECK_EQ_INT(sbx_compile_policy_flags(closed, -1, SBX_COMPILE_NO_DISASSEMBLY, &ref,
						      &err), 0);
	for (int inet_closed = 0; inet_closed < 2; inet_closed++) {
		struct sbx_prepare_inputs in = { .inet_closed = inet_closed };
		struct sbx_prepared *pp = NULL;
		struct sbx_compiled *own = NULL;

		CHECK_EQ_INT(sbx_prepare_with(p, SBX_DOOR_SPAWN, &in, sbx_landlock_abi(), &pp, &err),
			     0);
		CHECK_EQ_INT(sbx_policy_compiled_fast(p, &p->net, &own), 1);
		if (pp && ref && own) {
			/* closed: the policy's program with inet refused, not the
			 * preset's; open: the preset's. */
			const struct sbx_compiled *other = inet_closed ? own : ref;

			CHECK(same_compiled(pp->compiled, inet_closed ? ref : own));
			CHECK(pp->compiled->bpf_size != other->bpf_size ||
			      memcmp(pp->compiled->bpf, other->bpf, other->bpf_size));
		}
		sbx_compiled_free(own);
		sbx_prepared_free(pp);
	}
	/* The policy itself was left as loaded. */
	CHECK(sbx_net_inet_sockets(&p->net));
	sbx_compiled_free(ref);
	sbx_policy_free(closed);
	sbx_policy_free(p);
}

int main(void)
{
	int r = t_run();

	if (dir[0]) {
		char sub[128];

		snprintf(sub, sizeof(sub), "%s/sub", dir);
		rmdir(sub);
		rmdir(dir);
	}
	return r;
}
