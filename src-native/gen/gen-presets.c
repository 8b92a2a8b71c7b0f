/*
 * Build-time generator of the core's preset fast path (preset_fast.h). It
 * lives in a subdirectory so that the core's *.c glob leaves it out, and in
 * src-native/ so that the npm package, which builds from source, has it.
 *
 *
 *   gen-presets OUT.c
 *
 * Loads every built-in preset the normal way (this program links the core
 * without the generated table: presets_fast_none.c, an empty one, makes
 * every lookup miss),
 * with placeholders for $CWD, $HOME and $TMPDIR, and writes C that rebuilds
 * the same merged policy (paths that use a variable are expanded again at
 * load time, in the real environment) and the seccomp program compiled for
 * the native arch; when that program refuses io_uring_enter, also the same
 * program keeping it (the self door's in a process holding io_uring rings,
 * sbx_compile_policy_keep_rings()). A preset that uses something the writer
 * does not know (mounts, env, imports, ...) gets no fast path: it loads the
 * normal way.
 * test/native/test_preset_fast.c compares both paths.
 */
#include "bpf.h"
#include "policy.h"
#include "policy_keys.h"
#include "prepared.h"
#include "preset_fast.h"
#include "sbx_compile.h"
#include "syscalls.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- writing C ------------------------------------------------------------------ */

static FILE *out;

/* A C string literal (or NULL). Octal escapes are always 3 digits, so a
 * digit after one cannot extend it. */
static void str(const char *s)
{
	if (!s) {
		fputs("NULL", out);
		return;
	}
	fputc('"', out);
	for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
		if (*c == '"' || *c == '\\')
			fprintf(out, "\\%c", *c);
		else if (*c < 0x20 || *c >= 0x7f || *c == '?')
			fprintf(out, "\\%03o", *c);
		else
			fputc(*c, out);
	}
	fputc('"', out);
}

static bool supported(const struct sbx_policy *p, const char **why)
{
	*why = NULL;
	if (p->root_kind != SBX_UNSET)
		*why = "root";
	else if (p->has_mounts)
		*why = "mounts";
	else if (p->env.present)
		*why = "env";
	else if (p->notes.count)
		*why = "notes";
	for (size_t k = 0; !*why && k < SBX_PK_COUNT; k++)
		if (sbx_policy_keys[k].kind == SBX_PK_STRING &&
		    sbx_policy_key_string(p, &sbx_policy_keys[k]))
			*why = sbx_policy_keys[k].name;    /* hostname, cwd */
	for (size_t i = 0; !*why && i < p->seccomp.nlayers; i++)
		if (p->seccomp.layers[i].import_path || p->seccomp.layers[i].imported)
			*why = "seccomp import";
	for (int r = 0; !*why && r < SBX_FS_NRIGHTS; r++)
		for (size_t i = 0; i < p->fs.rights[r].count; i++) {
			const struct sbx_ppath *pp = &p->fs.rights[r].items[i];

			/* A literal path that looks like a placeholder would
			 * merge differently here than at run time. */
			if (pp->written[0] != '$' &&
			    (strchr(pp->path, '@') || pp->written[0] != '/'))
				*why = "path";
		}
	/* fs.protect / fs.hide may be relative (kept as written). */
	for (int k = 0; !*why && k < 2; k++) {
		const struct sbx_ppaths *l = k ? &p->fs.hide : &p->fs.protect;

		for (size_t i = 0; i < l->count; i++)
			if (l->items[i].written[0] != '$' && strchr(l->items[i].path, '@'))
				*why = "path";
	}
	return !*why;
}

static void value(const char *var, const struct sbx_when_value *v)
{
	fprintf(out, "\t\t\t%s.count = %zu;\n", var, v->count);
	if (!v->count)
		return;
	fprintf(out, "\t\t\tif (!(%s.atoms = A(%zu * sizeof(struct sbx_when_atom)))) return -1;\n",
		var, v->count);
	/* A named atom's value is 0 (resolved per arch by name). */
	for (size_t i = 0; i < v->count; i++) {
		fprintf(out, "\t\t\t%s.atoms[%zu].name = ", var, i);
		str(v->atoms[i].name);
		fprintf(out, "; %s.atoms[%zu].value = UINT64_C(0x%" PRIx64 ");\n", var, i,
			v->atoms[i].name ? 0 : v->atoms[i].value);
	}
}

static void rule(size_t li, size_t ri, const struct sbx_policy_rule *r)
{
	fprintf(out, "\t{\n\t\tstruct sbx_policy_rule *r = &p->seccomp.layers[%zu].rules[%zu];\n",
		li, ri);
	fprintf(out, "\t\tr->nnames = %zu;\n", r->nnames);
	if (r->nnames) {
		fprintf(out, "\t\tif (!(r->names = A(%zu * sizeof(char *)))) return -1;\n",
			r->nnames);
		for (size_t i = 0; i < r->nnames; i++) {
			fprintf(out, "\t\tr->names[%zu] = ", i);
			str(r->names[i]);
			fputs(";\n", out);
		}
	}
	fprintf(out, "\t\tr->action.kind = (enum sbx_action_kind)%d; r->action.data = %u;\n",
		(int)r->action.kind, (unsigned)r->action.data);
	fputs("\t\tr->when = ", out);
	str(r->when);
	fprintf(out, ";\n\t\tr->arch_mask = %uu;\n\t\tr->pointer = ", r->arch_mask);
	str(r->pointer);
	fprintf(out, ";\n\t\tr->nconds = %zu;\n", r->nconds);
	if (r->nconds)
		fprintf(out, "\t\tif (!(r->conds = A(%zu * sizeof(struct sbx_when_cond)))) return -1;\n",
			r->nconds);
	for (size_t c = 0; c < r->nconds; c++) {
		const struct sbx_when_cond *k = &r->conds[c];
		char var[64];

		fprintf(out, "\t\t{\n\t\t\tstruct sbx_when_cond *k = &r->conds[%zu];\n", c);
		fprintf(out, "\t\t\tk->arg = %u; k->op = (enum sbx_cmp_op)%d; k->nset = %zu;\n",
			(unsigned)k->arg, (int)k->op, k->nset);
		value("k->value", &k->value);
		value("k->mask", &k->mask);
		if (k->nset)
			fprintf(out, "\t\t\tif (!(k->set = A(%zu * sizeof(struct sbx_when_value)))) return -1;\n",
				k->nset);
		for (size_t s = 0; s < k->nset; s++) {
			snprintf(var, sizeof(var), "k->set[%zu]", s);
			value(var, &k->set[s]);
		}
		fputs("\t\t}\n", out);
	}
	fputs("\t}\n", out);
}

static void ports(const char *var, const struct sbx_ports *l)
{
	fprintf(out, "\tp->%s.set = %d; p->%s.count = p->%s.cap = %zu;\n", var, l->set, var,
		var, l->count);
	if (!l->count)
		return;
	fprintf(out, "\tif (!(p->%s.items = A(%zu * sizeof(uint16_t)))) return -1;\n", var,
		l->count);
	for (size_t i = 0; i < l->count; i++)
		fprintf(out, "\tp->%s.items[%zu] = %u;\n", var, i, (unsigned)l->items[i]);
}

static void build(int idx, const struct sbx_policy *p)
{
	/* No preset lists unix sockets; one that did would need them written
	 * here (and compared in sbx_policy_compiled_fast). */
	if (p->net.unix_paths.set) {
		fprintf(stderr, "gen-presets: preset %d sets net.unixPaths, which this "
			"generator does not write\n", idx);
		exit(1);
	}
	fprintf(out, "static int build_%d(struct sbx_fast_builder *b)\n{\n"
		"\tstruct sbx_policy *p = b->p;\n\n", idx);
	fprintf(out, "\tp->version = %d; p->compat = %d;\n", p->version, p->compat);
	fprintf(out, "\tp->fs.present = %d; p->fs.compat = %d;\n", p->fs.present, p->fs.compat);
	for (int r = 0; r < SBX_FS_NRIGHTS; r++) {
		const struct sbx_ppaths *l = &p->fs.rights[r];

		if (l->set)
			fprintf(out, "\tp->fs.rights[%d].set = true;\n", r);
		for (size_t i = 0; i < l->count; i++) {
			fprintf(out, "\tP(%d, ", r);
			str(l->items[i].written);
			fputs(", ", out);
			str(l->items[i].written[0] == '$' ? NULL : l->items[i].path);
			fprintf(out, ", %d, ", l->items[i].optional);
			str(l->items[i].pointer);
			fputs(");\n", out);
		}
	}
	for (int k = 0; k < 2; k++) {
		const struct sbx_ppaths *l = k ? &p->fs.hide : &p->fs.protect;

		for (size_t i = 0; i < l->count; i++) {
			fprintf(out, "\tL(%d, ", k);
			str(l->items[i].written);
			fputs(", ", out);
			str(l->items[i].written[0] == '$' ? NULL : l->items[i].path);
			fprintf(out, ", %d, ", l->items[i].optional);
			str(l->items[i].pointer);
			fputs(");\n", out);
		}
	}
	/* The plain keys (policy_keys.def); STRING ones are refused above. */
	for (size_t k = 0; k < SBX_PK_COUNT; k++)
		if (sbx_policy_keys[k].kind == SBX_PK_BOOL || sbx_policy_keys[k].kind == SBX_PK_CHOICE)
			fprintf(out, "\tp->%s = %d;\n", sbx_policy_keys[k].field,
				sbx_policy_key_raw(p, &sbx_policy_keys[k]));
	fprintf(out, "\tp->net.present = %d; p->net.compat = %d; p->net.inet = %d;\n"
		"\tp->net.netlink = %d; p->net.other = %d; p->net.unix_mode = %d;\n",
		p->net.present, p->net.compat, p->net.inet, p->net.netlink, p->net.other,
		p->net.unix_mode);
	ports("net.connect", &p->net.connect);
	ports("net.bind", &p->net.bind);
	fprintf(out, "\tp->scope.present = %d; p->scope.compat = %d;\n"
		"\tp->scope.abstract_unix = %d; p->scope.signals = %d;\n",
		p->scope.present, p->scope.compat, p->scope.abstract_unix, p->scope.signals);
	fprintf(out, "\tp->seccomp.present = %d; p->seccomp.compat = %d;\n",
		p->seccomp.present, p->seccomp.compat);
	fprintf(out, "\tp->seccomp.nlayers = p->seccomp.cap = %zu;\n", p->seccomp.nlayers);
	if (p->seccomp.nlayers)
		fprintf(out, "\tif (!(p->seccomp.layers = A(%zu * sizeof(struct sbx_seccomp_layer)))) return -1;\n",
			p->seccomp.nlayers);
	for (size_t i = 0; i < p->seccomp.nlayers; i++) {
		const struct sbx_seccomp_layer *l = &p->seccomp.layers[i];

		fprintf(out, "\t{\n\t\tstruct sbx_seccomp_layer *l = &p->seccomp.layers[%zu];\n", i);
		fputs("\t\tl->origin = ", out);
		str(l->origin);
		fprintf(out, ";\n\t\tl->has_default = %d; l->default_action.kind = (enum sbx_action_kind)%d;"
			" l->default_action.data = %u;\n\t\tl->default_pointer = ", l->has_default,
			(int)l->default_action.kind, (unsigned)l->default_action.data);
		str(l->default_pointer);
		fprintf(out, ";\n\t\tl->has_foreign = %d; l->foreign_action.kind = (enum sbx_action_kind)%d;"
			" l->foreign_action.data = %u;\n\t\tl->import_pointer = ", l->has_foreign,
			(int)l->foreign_action.kind, (unsigned)l->foreign_action.data);
		str(l->import_pointer);
		fprintf(out, ";\n\t\tl->nrules = l->cap = %zu;\n", l->nrules);
		if (l->nrules)
			fprintf(out, "\t\tif (!(l->rules = A(%zu * sizeof(struct sbx_policy_rule)))) return -1;\n",
				l->nrules);
		fputs("\t}\n", out);
		for (size_t r = 0; r < l->nrules; r++)
			rule(i, r, &l->rules[r]);
	}
	fprintf(out, "\tp->has_caps = %d; p->caps_keep = UINT64_C(0x%" PRIx64 ");\n", p->has_caps,
		p->caps_keep);
	fprintf(out, "\tp->rlimits.present = %d; p->rlimits.compat = %d;\n", p->rlimits.present,
		p->rlimits.compat);
	for (int r = 0; r < SBX_RL_COUNT; r++)
		if (p->rlimits.set[r])
			fprintf(out, "\tp->rlimits.set[%d] = true; p->rlimits.value[%d] = UINT64_C(0x%" PRIx64 ");\n",
				r, r, p->rlimits.value[r]);
	fprintf(out, "\tp->namespaces.present = %d; p->namespaces.compat = %d;\n",
		p->namespaces.present, p->namespaces.compat);
	for (int n = 0; n < SBX_NS_COUNT; n++)
		if (p->namespaces.ns[n] != SBX_UNSET)
			fprintf(out, "\tp->namespaces.ns[%d] = %d;\n", n, p->namespaces.ns[n]);
	fprintf(out, "\tp->namespaces.uid = %" PRId64 "; p->namespaces.gid = %" PRId64 ";\n",
		p->namespaces.uid, p->namespaces.gid);
	{
		const struct sbx_policy_limits *l = &p->limits;

		fprintf(out, "\tp->limits.present = %d; p->limits.compat = %d;\n", l->present,
			l->compat);
		fprintf(out, "\tp->limits.has_memory = %d; p->limits.memory = UINT64_C(%" PRIu64 "); "
			"p->limits.memory_pct = %u;\n", l->has_memory, l->memory, (unsigned)l->memory_pct);
		fprintf(out, "\tp->limits.has_pids = %d; p->limits.pids = UINT64_C(%" PRIu64 ");\n",
			l->has_pids, l->pids);
		fprintf(out, "\tp->limits.has_cpu = %d; p->limits.cpu_milli = UINT64_C(%" PRIu64 ");\n",
			l->has_cpu, l->cpu_milli);
		fprintf(out, "\tp->limits.has_wall = %d; p->limits.wall_ms = UINT64_C(%" PRIu64 ");\n",
			l->has_wall, l->wall_ms);
		fprintf(out, "\tp->limits.has_cputime = %d; p->limits.cputime_ms = UINT64_C(%" PRIu64 ");\n",
			l->has_cputime, l->cputime_ms);
		for (int k = 0; k < 5; k++)
			fprintf(out, "\tp->limits.kcompat[%d] = %d;\n", k, l->kcompat[k]);
	}
	fprintf(out, "\tp->norigins = p->origins_cap = %zu;\n", p->norigins);
	if (p->norigins)
		fprintf(out, "\tif (!(p->origins = A(%zu * sizeof(char *)))) return -1;\n",
			p->norigins);
	for (size_t i = 0; i < p->norigins; i++) {
		fprintf(out, "\tp->origins[%zu] = ", i);
		str(p->origins[i]);
		fputs(";\n", out);
	}
	fputs("\treturn b->failed ? -1 : 0;\n}\n\n", out);
}

/* `kind`: "" for the preset's program, "rings_" for it with io_uring_enter
 * kept (sbx_compile_policy_keep_rings). */
static void program(const char *kind, int idx, const struct sbx_compiled *c)
{
	fprintf(out, "static const unsigned char bpf_%s%d[%zu] = {", kind, idx,
		c->bpf_size ? c->bpf_size : 1);
	for (size_t i = 0; i < c->bpf_size; i++)
		fprintf(out, "%s0x%02x,", i % 16 ? " " : "\n\t", c->bpf[i]);
	if (!c->bpf_size)
		fputs("0", out);
	fputs("\n};\n\n", out);
	fprintf(out, "static int compiled_%s%d(struct sbx_compiled **out)\n{\n"
		"\tint r = sbx_fb_compiled(bpf_%s%d, %zu, out);\n\n", kind, idx, kind, idx,
		c->bpf_size);
	for (size_t i = 0; i < c->nnotes; i++) {
		fputs("\tif (!r)\n\t\tr = sbx_fb_compiled_note(*out, ", out);
		str(c->notes[i]);
		fputs(");\n", out);
	}
	fputs("\tif (r) {\n\t\tsbx_compiled_free(*out);\n\t\t*out = NULL;\n\t}\n"
	      "\treturn r;\n}\n\n", out);
}

/* The longest document the normal path parses for this preset. */
static size_t chain_text(const struct sbx_policy *p)
{
	size_t m = 0;

	for (size_t i = 0; i < p->norigins; i++) {
		const char *o = p->origins[i];
		const char *t = !strncmp(o, "preset ", 7) ? sbx_preset_text(o + 7) : NULL;

		if (!t)
			return SIZE_MAX;
		if (strlen(t) > m)
			m = strlen(t);
	}
	return m;
}

int main(int argc, char **argv)
{
	const char *const *names = sbx_preset_names();
	struct sbx_policy_load_opts opts = { .cwd = "/@CWD@", .home = "/@HOME@",
					     .tmpdir = "/@TMPDIR@",
					     .flags = SBX_POLICY_NO_PATH_CHECK };
	bool have[64] = { false }, rings[64] = { false };
	int enter = sbx_syscall_lookup(sbx_arch_native(), "io_uring_enter");
	size_t maxlen[64] = { 0 };
	int n = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: %s OUT.c\n", argv[0]);
		return 2;
	}
	out = fopen(argv[1], "w");
	if (!out) {
		perror(argv[1]);
		return 1;
	}
	fputs("/* Generated at build time by src-native/gen/gen-presets.c from src-native/presets.c:\n"
	      " * do not edit. What and why: src-native/preset_fast.h. */\n"
	      "#include \"preset_fast.h\"\n\n#include <stdint.h>\n#include <string.h>\n\n"
	      "#define A(size) sbx_fb_alloc(b, (size))\n"
	      "#define P(right, written, path, optional, pointer) \\\n"
	      "\tsbx_fb_path(b, (right), (written), (path), (optional), (pointer))\n"
	      "#define L(which, written, path, optional, pointer) \\\n"
	      "\tsbx_fb_listed(b, (which), (written), (path), (optional), (pointer))\n\n", out);
	for (; names[n]; n++) {
		struct sbx_policy *p = NULL;
		struct sbx_compiled *c = NULL;
		struct sbx_error err;
		const char *why;

		if (n >= 64) {
			fprintf(stderr, "gen-presets: more than 64 presets\n");
			return 1;
		}
		if (sbx_policy_load(names[n], &opts, &p, &err)) {
			fprintf(stderr, "gen-presets: preset %s: %s (%s)\n", names[n], err.message,
				err.pointer);
			return 1;
		}
		if (!supported(p, &why)) {
			fprintf(out, "/* %s: no fast path (%s) */\n\n", names[n], why);
		} else if (sbx_compile_policy_flags(p, -1, SBX_COMPILE_NO_DISASSEMBLY, &c, &err)) {
			fprintf(out, "/* %s: no fast path (its program does not compile: %s) */\n\n",
				names[n], err.message);
		} else {
			struct sbx_compiled *cr = NULL;

			build(n, p);
			program("", n, c);
			have[n] = true;
			maxlen[n] = chain_text(p);
			/* The self door's program for a process holding rings,
			 * when the preset's own refuses io_uring_enter. */
			if (enter >= 0 && c->insn_count &&
			    !sbx_bpf_const_allows((const struct sock_filter *)c->bpf, c->insn_count,
						  sbx_arch_info(sbx_arch_native())->audit_arch,
						  (uint32_t)enter)) {
				if (sbx_compile_policy_keep_rings(p, &p->net, &cr, &err)) {
					fprintf(stderr, "gen-presets: preset %s with io_uring_enter: %s\n",
						names[n], err.message);
					return 1;
				}
				if (cr) {
					program("rings_", n, cr);
					rings[n] = true;
				}
			}
			sbx_compiled_free(cr);
		}
		sbx_compiled_free(c);
		sbx_policy_free(p);
	}
	fputs("int sbx_preset_fast_index(const char *name, size_t *max_text)\n{\n", out);
	for (int i = 0; i < n; i++) {
		if (!have[i] || maxlen[i] == SIZE_MAX)
			continue;
		fputs("\tif (!strcmp(name, ", out);
		str(names[i]);
		fprintf(out, ")) {\n\t\t*max_text = %zu;\n\t\treturn %d;\n\t}\n", maxlen[i], i);
	}
	fputs("\t*max_text = 0;\n\treturn -1;\n}\n\n", out);
	fputs("int sbx_preset_fast_build(int index, struct sbx_fast_builder *b)\n{\n"
	      "\tswitch (index) {\n", out);
	for (int i = 0; i < n; i++)
		if (have[i])
			fprintf(out, "\tcase %d: return build_%d(b);\n", i, i);
	fputs("\tdefault: return -1;\n\t}\n}\n\n", out);
	fputs("int sbx_preset_fast_compiled(int index, struct sbx_compiled **out)\n{\n"
	      "\t*out = NULL;\n\tswitch (index) {\n", out);
	for (int i = 0; i < n; i++)
		if (have[i])
			fprintf(out, "\tcase %d: return compiled_%d(out);\n", i, i);
	fputs("\tdefault: return -1;\n\t}\n}\n\n", out);
	fputs("int sbx_preset_fast_compiled_rings(int index, struct sbx_compiled **out)\n{\n"
	      "\t*out = NULL;\n\tswitch (index) {\n", out);
	for (int i = 0; i < n; i++)
		if (rings[i])
			fprintf(out, "\tcase %d: return compiled_rings_%d(out);\n", i, i);
	fputs("\tdefault: return -1;\n\t}\n}\n", out);
	if (fclose(out)) {
		perror(argv[1]);
		return 1;
	}
	return 0;
}
