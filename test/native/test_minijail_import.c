/*
 * Tests of the minijail policy importer (src-native/minijail_*.c).
 *
 * The verdicts are checked against an independent model: a short Python
 * program (model_py below) that reads the same policy text and decides every
 * syscall the way minijail's compile_seccomp_policy.py does, with minijail's
 * own name tables for each architecture (crosvm's constants.json, in
 * test/fixtures/minijail) instead of sbx's. The policy is compiled by sbx
 * (import, resolve, compile) and the BPF is run (test/support/bpf_interp.c)
 * on every syscall number and on boundary argument values of every rule, both
 * 32-bit halves (test/support/seccomp_probe.c); each verdict must equal the
 * model's. The model applies sbx's documented differences only: numbers
 * sbx's table does not have get ENOSYS, other architectures and x32 are
 * killed, and arguments the kernel reads as 32-bit compare on their low word.
 */
#include "t.h"
#include "bpf_interp.h"
#include "minijail_import.h"
#include "seccomp_import.h"
#include "seccomp_probe.h"
#include "syscalls.h"
#include "json.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/seccomp.h>

#define FIX SBX_SOURCE_DIR "/test/fixtures/minijail"
#define PTR "/seccomp/import"

static char dir[64];

static const char *tmpdir(void)
{
	if (!dir[0]) {
		strcpy(dir, "/tmp/sbx-minijail-XXXXXX");
		if (!mkdtemp(dir))
			T_FAIL("mkdtemp: %s", strerror(errno));
	}
	return dir;
}

static char *path_of(const char *name)
{
	static char buf[8][512];
	static int i;
	char *p = buf[i++ % 8];

	snprintf(p, 512, "%s/%s", tmpdir(), name);
	return p;
}

static void put(const char *name, const char *text)
{
	FILE *f = fopen(path_of(name), "w");

	if (!f) {
		T_FAIL("cannot write %s", name);
		return;
	}
	fputs(text, f);
	fclose(f);
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = malloc((size_t)n + 1)) && fread(buf, 1, (size_t)n, f) == (size_t)n) {
		buf[n] = '\0';
		*len = (size_t)n;
	} else {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

/* Import the file at `path`: 0, or the error. */
static int import_file(const char *path, struct sbx_minijail_policy **p, struct sbx_notes *notes,
		       struct sbx_error *err)
{
	size_t len = 0;
	char *text = slurp(path, &len);
	int rc;

	*p = NULL;
	if (!text) {
		T_FAIL("cannot read %s", path);
		return -1;
	}
	rc = sbx_minijail_import(text, len, path, PTR, p, notes, err);
	free(text);
	return rc;
}

/* The compiled program of the policy for arch, or NULL (a failed check). */
static struct sock_filter *compile(const struct sbx_minijail_policy *p, enum sbx_arch arch,
				   size_t *len, struct sbx_filter_model **model)
{
	struct sbx_notes notes = { 0 };
	struct sbx_error err;
	struct sock_filter *prog = NULL;

	*model = NULL;
	if (sbx_minijail_policy_check(p, arch, &err) != 0) {
		T_FAIL("%s: %s", sbx_arch_info(arch)->name, err.message);
		return NULL;
	}
	if (sbx_seccomp_resolve(sbx_minijail_policy_spec(p), arch, model, &notes, &err) != 0 ||
	    sbx_seccomp_compile(*model, &prog, len, &err) != 0) {
		T_FAIL("compile for %s: %s", sbx_arch_info(arch)->name, err.message);
		sbx_filter_model_free(*model);
		*model = NULL;
	}
	sbx_notes_free(&notes);
	return prog;
}

static uint32_t run(const struct sock_filter *prog, size_t len, enum sbx_arch arch, int nr,
		    uint64_t a0, uint64_t a1, uint64_t a2)
{
	struct seccomp_data d = { .nr = nr, .arch = sbx_arch_info(arch)->audit_arch,
				  .args = { a0, a1, a2 } };

	return sbx_bpf_run(prog, len, &d, NULL);
}

/* ---- the independent model ------------------------------------------------------ */

static const char model_py[] =
	"import json, os, re, sys\n"
	"M = (1 << 64) - 1\n"
	"ALLOW, KILLP, KILLT, TRAP, TRACE, LOG, NOTIFY = (0x7fff0000, 0x80000000, 0, 0x30000,\n"
	"    0x7ff00000, 0x7ffc0000, 0x7fc00000)\n"
	"TOK = re.compile(r'(#.*)|(\\s+)|(\\\\$)|(@default\\b|@include\\b|@frequency\\b|@denylist$)'\n"
	"    r'|(\\.?/\\S+)|(-?0[xX][0-9a-fA-F]+|-?0[0-7]+|-?[0-9]+)'\n"
	"    r'|(\\|\\||&&|==|!=|<=|>=|[:;,~(){}\\[\\]|&<>=])|([a-zA-Z_][a-zA-Z_0-9@-]*)')\n"
	"def statements(path):\n"
	"    out, cur = [], []\n"
	"    for line in open(path, encoding='utf-8'):\n"
	"        line = line.rstrip('\\r\\n')\n"
	"        for m in TOK.finditer(line):\n"
	"            if m.lastindex > 3: cur.append(m.group())\n"
	"        if line.endswith('\\\\'): continue\n"
	"        if cur: out.append(cur)\n"
	"        cur = []\n"
	"    return out\n"
	"class T:\n"
	"    def __init__(s, toks): s.t, s.i = toks, 0\n"
	"    def peek(s): return s.t[s.i] if s.i < len(s.t) else None\n"
	"    def next(s):\n"
	"        s.i += 1\n"
	"        return s.t[s.i - 1]\n"
	"class Policy:\n"
	"    def __init__(s, path, tables):\n"
	"        s.c, s.arch = tables['constants'], tables['arch_name']\n"
	"        s.names = {v: k for k, v in tables['syscalls'].items()}\n"
	"        top = statements(path)\n"
	"        s.deny = any(st[0] == '@denylist' for st in top)\n"
	"        s.kill = (0x50000 | s.c['EPERM']) if s.deny else KILLP\n"
	"        s.default = ALLOW if s.deny else s.kill\n"
	"        s.rules = {}\n"
	"        s.read(path, top)\n"
	"        for fl in s.rules.values():\n"
	"            if all(e is not None for e, a in fl): fl.append((None, s.default))\n"
	"    def single(s, w):\n"
	"        for pat, base in ((r'-?0[xX][0-9a-fA-F]+', 16), (r'-?0[0-7]+', 8), (r'-?[0-9]+', 10)):\n"
	"            if re.fullmatch(pat, w): return int(w, base) & M\n"
	"        return s.c[w] & M\n"
	"    def value(s, t):\n"
	"        v = 0\n"
	"        while True:\n"
	"            neg = t.peek() == '~'\n"
	"            if neg: t.next()\n"
	"            if t.peek() == '(':\n"
	"                t.next(); x = s.value(t); t.next()\n"
	"            else: x = s.single(t.next())\n"
	"            v |= (~x & M) if neg else x\n"
	"            if t.peek() != '|': return v\n"
	"            t.next()\n"
	"    def action(s, t):\n"
	"        w = t.next()\n"
	"        if w == 'return': return 0x50000 | (s.single(t.next()) & 0xffff)\n"
	"        if re.fullmatch(r'-?[0-9].*', w): return ALLOW\n"
	"        return {'allow': ALLOW, 'kill': s.kill, 'kill-process': KILLP, 'kill-thread': KILLT,\n"
	"                'trap': TRAP, 'trace': TRACE, 'log': LOG, 'user-notify': NOTIFY}[w]\n"
	"    def single_filter(s, t):\n"
	"        if not re.fullmatch(r'arg[0-9]+', t.peek()): return (None, s.action(t))\n"
	"        expr = [[]]\n"
	"        while True:\n"
	"            a = int(t.next()[3:]); op = t.next(); expr[-1].append((a, op, s.value(t)))\n"
	"            if t.peek() == '&&': t.next(); continue\n"
	"            if t.peek() == '||': t.next(); expr.append([]); continue\n"
	"            break\n"
	"        if t.peek() == ';':\n"
	"            t.next(); return (expr, s.action(t))\n"
	"        return (expr, ALLOW)\n"
	"    def descriptor(s, t):\n"
	"        n, keep = t.next(), True\n"
	"        if t.peek() == '[':\n"
	"            t.next()\n"
	"            while True:\n"
	"                k = t.next(); t.next(); vals = [t.next()]\n"
	"                while t.peek() == ',': t.next(); vals.append(t.next())\n"
	"                if k == 'arch' and s.arch not in vals: keep = False\n"
	"                if t.peek() != ';': break\n"
	"                t.next()\n"
	"            t.next()\n"
	"        return [n] if keep else []\n"
	"    def read(s, path, stmts):\n"
	"        for st in stmts:\n"
	"            t = T(st)\n"
	"            w = t.peek()\n"
	"            if w == '@include':\n"
	"                inc = os.path.normpath(os.path.join(os.path.dirname(path), st[1]))\n"
	"                s.read(inc, statements(inc))\n"
	"            elif w == '@default':\n"
	"                t.next(); s.default = s.action(t)\n"
	"            elif w in ('@frequency', '@denylist'):\n"
	"                pass\n"
	"            else:\n"
	"                names = []\n"
	"                if w == '{':\n"
	"                    t.next()\n"
	"                    while True:\n"
	"                        names += s.descriptor(t)\n"
	"                        if t.next() == '}': break\n"
	"                else: names = s.descriptor(t)\n"
	"                t.next()\n"
	"                if t.peek() == '{':\n"
	"                    t.next(); fl = [s.single_filter(t)]\n"
	"                    while t.next() == ',': fl.append(s.single_filter(t))\n"
	"                else: fl = [s.single_filter(t)]\n"
	"                for n in names: s.rules.setdefault(n, []).extend(fl)\n"
	"    def holds(s, atom, args, m32):\n"
	"        i, op, v = atom\n"
	"        a, w = args[i], (0xffffffff if (m32 >> i) & 1 else M)\n"
	"        a, v = a & w, v & w\n"
	"        return {'==': a == v, '!=': a != v, '<': a < v, '<=': a <= v, '>': a > v,\n"
	"                '>=': a >= v, '&': (a & v) != 0, 'in': (a & ~v & w) == 0}[op]\n"
	"    def verdict(s, nr, args, m32):\n"
	"        fl = s.rules.get(s.names.get(nr))\n"
	"        if fl is None: return ALLOW if s.deny else s.default\n"
	"        if not s.deny and fl[-1][1] == ALLOW: return ALLOW\n"
	"        for expr, act in fl[:-1]:\n"
	"            if any(all(s.holds(a, args, m32) for a in cl) for cl in expr): return act\n"
	"        return fl[-1][1]\n"
	"tables = {}\n"
	"pol = None\n"
	"for line in sys.stdin:\n"
	"    f = line.split()\n"
	"    if f[0] == 'P':\n"
	"        if f[1] not in tables: tables[f[1]] = json.load(open(f[2]))\n"
	"        pol = Policy(f[3], tables[f[1]])\n"
	"        continue\n"
	"    kind, nr, m32, args = f[0], int(f[1]), int(f[2]), [int(x) for x in f[3:9]]\n"
	"    if kind == 'B': print(KILLP)\n"
	"    elif kind == 'U': print(0x50000 | 38)\n"
	"    else: print(pol.verdict(nr, args, m32))\n";

struct probe {
	char kind;
	uint32_t nr;
	unsigned m32;
	uint64_t args[6];
	uint32_t want;          /* sbx's BPF */
};

struct batch {
	struct probe *v;
	size_t n, cap;
	enum sbx_arch arch;
	const struct sock_filter *prog;
	size_t len;
};

static int collect(void *ctx, const struct seccomp_data *d)
{
	struct batch *b = ctx;
	const struct sbx_arch_info *ai = sbx_arch_info(b->arch);
	struct probe p = { 0 };

	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 4096;
		b->v = realloc(b->v, b->cap * sizeof(*b->v));
		if (!b->v)
			return 1;
	}
	p.nr = (uint32_t)d->nr;
	memcpy(p.args, d->args, sizeof(p.args));
	if (d->arch != ai->audit_arch || (ai->x32_bit && p.nr >= ai->x32_bit && p.nr != 0xffffffffu))
		p.kind = 'B';
	else if (p.nr > (uint32_t)ai->max_nr || !sbx_syscall_name(b->arch, (int)p.nr))
		p.kind = 'U';
	else
		p.kind = 'K', p.m32 = sbx_syscall_arg32_mask(b->arch, (int)p.nr);
	p.want = sbx_bpf_run(b->prog, b->len, d, NULL);
	b->v[b->n++] = p;
	return 0;
}

struct case_ {
	const char *path;
	enum sbx_arch arch;
	struct batch b;
};

static const char *tables_of(enum sbx_arch arch)
{
	return arch == SBX_ARCH_X86_64 ? FIX "/crosvm/x86_64/constants.json"
				       : FIX "/crosvm/aarch64/constants.json";
}

/* Compile each policy for its arch, run the probes, and compare every
 * verdict with the model's. Returns the number of verdicts compared. */
static size_t differential(const char *const *paths, const enum sbx_arch *arches, size_t n)
{
	char script[] = "/tmp/sbx-mj-model-XXXXXX", in[] = "/tmp/sbx-mj-probes-XXXXXX";
	struct case_ *cases = calloc(n, sizeof(*cases));
	size_t compared = 0, bad = 0;
	char cmd[256], line[64];
	FILE *f, *out;
	int fd;

	if (!cases)
		return 0;
	fd = mkstemp(script);
	f = fd >= 0 ? fdopen(fd, "w") : NULL;
	CHECK(f != NULL);
	if (!f)
		return 0;
	fputs(model_py, f);
	fclose(f);
	fd = mkstemp(in);
	f = fd >= 0 ? fdopen(fd, "w") : NULL;
	CHECK(f != NULL);
	if (!f)
		return 0;
	for (size_t i = 0; i < n; i++) {
		struct sbx_minijail_policy *p = NULL;
		struct sbx_filter_model *m = NULL;
		struct sbx_error err;
		struct sock_filter *prog;
		size_t len = 0;

		cases[i].path = paths[i];
		cases[i].arch = arches[i];
		if (import_file(paths[i], &p, NULL, &err) != 0) {
			T_FAIL("%s: %s", paths[i], err.message);
			continue;
		}
		prog = compile(p, arches[i], &len, &m);
		if (prog) {
			struct batch *b = &cases[i].b;
			/* A few more: every syscall with its arguments' high words set. */
			b->arch = arches[i];
			b->prog = prog;
			b->len = len;
			seccomp_probe_walk(m, 0, collect, b);
			for (int nr = 0; nr <= sbx_arch_info(arches[i])->max_nr; nr++) {
				struct seccomp_data d = { .nr = nr,
							  .arch = sbx_arch_info(arches[i])->audit_arch };
				for (int k = 0; k < 6; k++)
					d.args[k] = 0xffffffff00000000ull | (uint64_t)k;
				collect(b, &d);
			}
			fprintf(f, "P %s %s %s\n", sbx_arch_info(arches[i])->name, tables_of(arches[i]),
				paths[i]);
			for (size_t k = 0; k < b->n; k++) {
				const struct probe *q = &b->v[k];
				fprintf(f, "%c %u %u", q->kind, q->nr, q->m32);
				for (int a = 0; a < 6; a++)
					fprintf(f, " %llu", (unsigned long long)q->args[a]);
				fputc('\n', f);
			}
		}
		free(prog);
		sbx_filter_model_free(m);
		sbx_minijail_policy_free(p);
	}
	fclose(f);
	snprintf(cmd, sizeof(cmd), "python3 %s < %s", script, in);
	out = popen(cmd, "r");
	CHECK(out != NULL);
	for (size_t i = 0; out && i < n; i++) {
		for (size_t k = 0; k < cases[i].b.n; k++) {
			const struct probe *q = &cases[i].b.v[k];
			unsigned long want;

			if (!fgets(line, sizeof(line), out) || sscanf(line, "%lu", &want) != 1) {
				T_FAIL("%s: the model stopped (%zu of %zu)", cases[i].path, k,
				       cases[i].b.n);
				goto done;
			}
			compared++;
			if (want != q->want && bad++ < 12)
				T_FAIL("%s on %s: nr %u (%s) args %#llx %#llx %#llx: sbx %#x, model %#lx",
				       cases[i].path, sbx_arch_info(cases[i].arch)->name, q->nr,
				       q->kind == 'K' ? sbx_syscall_name(cases[i].arch, (int)q->nr) : "-",
				       (unsigned long long)q->args[0], (unsigned long long)q->args[1],
				       (unsigned long long)q->args[2], q->want, want);
		}
	}
done:
	if (out)
		CHECK_EQ_INT(pclose(out), 0);
	if (bad)
		T_FAIL("%zu verdicts of %zu differ", bad, compared);
	for (size_t i = 0; i < n; i++)
		free(cases[i].b.v);
	free(cases);
	unlink(script);
	unlink(in);
	return compared;
}

/* ---- policies that use every construct ---------------------------------------------- */

static void write_construct_policies(void)
{
	mkdir(path_of("inc"), 0700);
	mkdir(path_of("inc/deeper"), 0700);
	put("every.policy",
	    "# every construct of the language\n"
	    "@include ./inc/common.policy\n"
	    "@frequency ./freq.frequency\n"
	    "@default trap\n"
	    "read: 1\n"
	    "write: allow\n"
	    "{close, dup}: arg0 == 3 || arg0 != 4 && arg1 < 5\n"
	    "fcntl: arg1 <= F_GETFL; return EBADF\n"
	    "lseek: { arg2 > SEEK_SET, arg2 >= 0x10; return 22, kill-thread }\n"
	    "mmap: arg2 in ~PROT_EXEC && arg3 & (MAP_SHARED|MAP_PRIVATE)\n"
	    "mprotect: arg2 in ~(PROT_EXEC | PROT_WRITE) || arg2 == 0\n"
	    "ioctl: arg1 == TCGETS || arg1 == FIONREAD; return ENOTTY\n"
	    "getpid: trace\n"
	    "gettid: log\n"
	    "getuid: user-notify\n"
	    "getgid: kill-process\n"
	    "getppid: return EPERM\n"
	    "prctl: arg0 == PR_SET_NAME; log\n"
	    "clone: arg0 & CLONE_THREAD\n"
	    "kill: arg1 == 0 || arg1 == SIGTERM\n"
	    "tgkill: arg2 == SIGABRT; kill\n"
	    "open[arch=x86_64]: return ENOENT\n"
	    "openat[arch=x86_64,arm64]: arg2 & O_CREAT; return EACCES\n"
	    "access[arch=x86_64; note=x]: 1\n"
	    "madvise: arg2 == MADV_DONTNEED || \\\n"
	    "         arg2 == MADV_GUARD_INSTALL # a comment \\\n"
	    "         || arg2 == 0777\n"
	    "futex: arg1 == 0x80 | 1; return -1\n"
	    "socket: arg0 == -1 || arg0 == AF_UNIX && arg1 == SOCK_STREAM|SOCK_CLOEXEC\n"
	    "pread64: arg3 > 0x100000000 || arg3 == 0xffffffffffffffff; return ENOMEM\n"
	    "pwrite64: arg3 < -1 && arg3 >= 0x8000000000000000 || arg2 <= 0xffffffff\n"
	    "exit_group: 01\n");
	put("inc/common.policy",
	    "@include ./deeper/more.policy\n"
	    "brk: 1\r\n"
	    "munmap: arg0 != 0\r\n"
	    "close: arg0 == 5; return EBADF\n");
	put("inc/deeper/more.policy",
	    "@include ./../../last.policy\n"
	    "rt_sigreturn: allow\n");
	put("last.policy", "exit: 1\n");
	put("freq.frequency", "read: 100\nwrite: 0x10\nclose: 3\n");
	put("deny.policy",
	    "@denylist\n"
	    "@include ./deny-inc.policy\n"
	    "ioctl: arg1 == TIOCSTI; return EPERM\n"
	    "ptrace: return EPERM\n"
	    "{mount, umount2}: return EACCES\n");
	put("deny-inc.policy",
	    "@denylist\n"
	    "kexec_load: return EPERM\n"
	    "personality: arg0 != 0xffffffff && arg0 != 0; return EINVAL\n");
	put("deny-default.policy",
	    "@denylist\n"
	    "@default kill-thread\n"
	    "socket: arg0 == AF_NETLINK; return EAFNOSUPPORT\n");
	put("shortcut.policy",
	    "@default kill-thread\n"
	    "read: arg0 == 0; return EBADF\n"
	    "read: 1\n"
	    "write: arg0 == 1; return EBADF\n"
	    "write: return EIO\n");
}

TEST(every_construct_decides_like_the_model)
{
	static const char *const names[] = { "every.policy", "deny.policy",
					     "deny-default.policy", "shortcut.policy" };
	const char *paths[8];
	enum sbx_arch arches[8];
	size_t n = 0;

	write_construct_policies();
	for (int a = 0; a < SBX_ARCH_COUNT; a++)
		for (size_t i = 0; i < 4; i++) {
			paths[n] = strdup(path_of(names[i]));
			arches[n++] = (enum sbx_arch)a;
		}
	CHECK(differential(paths, arches, n) > 8 * 400);
	for (size_t i = 0; i < n; i++)
		free((void *)paths[i]);
}

/* What the model agreed on, spelled out. */
TEST(every_construct_verdicts)
{
	struct sbx_minijail_policy *p = NULL;
	struct sbx_filter_model *m = NULL;
	struct sbx_notes notes = { 0 };
	struct sbx_error err;
	enum sbx_arch x = SBX_ARCH_X86_64;
	size_t len = 0;

	write_construct_policies();
	CHECK_EQ_INT(import_file(path_of("every.policy"), &p, &notes, &err), 0);
	if (!p)
		return;
	struct sock_filter *f = compile(p, x, &len, &m);
	if (!f)
		return;
#define NR(n) sbx_syscall_lookup(x, n)
	CHECK_EQ_INT(run(f, len, x, NR("read"), 0, 0, 0), SECCOMP_RET_ALLOW);
	CHECK_EQ_INT(run(f, len, x, NR("exit"), 0, 0, 0), SECCOMP_RET_ALLOW);   /* two includes down */
	CHECK_EQ_INT(run(f, len, x, NR("exit_group"), 0, 0, 0), SECCOMP_RET_ALLOW); /* 01 */
	CHECK_EQ_INT(run(f, len, x, NR("getpgid"), 0, 0, 0), SECCOMP_RET_TRAP);  /* @default */
	/* close: the include's filter first, then this file's, then @default */
	CHECK_EQ_INT(run(f, len, x, NR("close"), 5, 0, 0), SECCOMP_RET_ERRNO | EBADF);
	CHECK_EQ_INT(run(f, len, x, NR("close"), 3, 9, 0), SECCOMP_RET_ALLOW);
	CHECK_EQ_INT(run(f, len, x, NR("close"), 4, 0, 0), SECCOMP_RET_TRAP);
	CHECK_EQ_INT(run(f, len, x, NR("close"), 6, 4, 0), SECCOMP_RET_ALLOW);
	CHECK_EQ_INT(run(f, len, x, NR("close"), 6, 5, 0), SECCOMP_RET_TRAP);
	/* `in`: no bit outside; `&`: some bit inside */
	CHECK_EQ_INT(run(f, len, x, NR("mmap"), 0, 0, 3), SECCOMP_RET_TRAP);     /* arg3 no map type */
	{
		struct seccomp_data d = { .nr = NR("mmap"), .arch = sbx_arch_info(x)->audit_arch,
					  .args = { 0, 4096, 3, 2, 0, 0 } };
		CHECK_EQ_INT(sbx_bpf_run(f, len, &d, NULL), SECCOMP_RET_ALLOW);
		d.args[2] = 7;  /* PROT_EXEC */
		CHECK_EQ_INT(sbx_bpf_run(f, len, &d, NULL), SECCOMP_RET_TRAP);
		d.args[2] = 3 | (1ull << 40);  /* a high bit outside ~PROT_EXEC? no: inside */
		CHECK_EQ_INT(sbx_bpf_run(f, len, &d, NULL), SECCOMP_RET_ALLOW);
	}
	CHECK_EQ_INT(run(f, len, x, NR("lseek"), 0, 0, 1), SECCOMP_RET_ALLOW);
	CHECK_EQ_INT(run(f, len, x, NR("lseek"), 0, 0, 0), SECCOMP_RET_KILL_THREAD);
	CHECK_EQ_INT(run(f, len, x, NR("getpid"), 0, 0, 0), SECCOMP_RET_TRACE);
	CHECK_EQ_INT(run(f, len, x, NR("getuid"), 0, 0, 0), SECCOMP_RET_USER_NOTIF);
	CHECK_EQ_INT(run(f, len, x, NR("gettid"), 0, 0, 0), SECCOMP_RET_LOG);
	CHECK_EQ_INT(run(f, len, x, NR("getgid"), 0, 0, 0), SECCOMP_RET_KILL_PROCESS);
	CHECK_EQ_INT(run(f, len, x, NR("tgkill"), 0, 0, 6), SECCOMP_RET_KILL_PROCESS); /* kill */
	CHECK_EQ_INT(run(f, len, x, NR("kill"), 0, 15, 0), SECCOMP_RET_ALLOW);
	CHECK_EQ_INT(run(f, len, x, NR("futex"), 0, 0x81, 0), SECCOMP_RET_ERRNO | 0xffff);
	CHECK_EQ_INT(run(f, len, x, NR("open"), 0, 0, 0), SECCOMP_RET_ERRNO | ENOENT);
	CHECK_EQ_INT(run(f, len, x, NR("madvise"), 0, 0, 0777), SECCOMP_RET_ALLOW);
	CHECK_EQ_INT(run(f, len, x, NR("madvise"), 0, 0, 102), SECCOMP_RET_ALLOW);
	CHECK_EQ_INT(run(f, len, x, NR("madvise"), 0, 0, 5), SECCOMP_RET_TRAP);
	/* notes: trace and user-notify have no counterpart here */
	int trace = 0, notify = 0;
	for (size_t i = 0; i < notes.count; i++) {
		trace += strstr(notes.items[i], "every.policy:13:9: trace: sbx attaches no tracer") != NULL;
		notify += strstr(notes.items[i], "every.policy:15:9: user-notify:") != NULL;
	}
	CHECK_EQ_INT(trace, 1);
	CHECK_EQ_INT(notify, 1);
	/* aarch64: open[arch=x86_64] and access[...] are not there, the rest is */
	free(f);
	sbx_filter_model_free(m);
	f = compile(p, SBX_ARCH_AARCH64, &len, &m);
	if (f) {
		enum sbx_arch a = SBX_ARCH_AARCH64;
		CHECK_EQ_INT(run(f, len, a, sbx_syscall_lookup(a, "openat"), 0, 0, 0100),
			     SECCOMP_RET_ERRNO | EACCES);
		CHECK_EQ_INT(run(f, len, a, sbx_syscall_lookup(a, "read"), 0, 0, 0), SECCOMP_RET_ALLOW);
	}
	free(f);
	sbx_filter_model_free(m);
	sbx_minijail_policy_free(p);
	sbx_notes_free(&notes);
#undef NR
}

TEST(denylist_and_the_allow_shortcut)
{
	struct sbx_minijail_policy *p = NULL;
	struct sbx_filter_model *m = NULL;
	struct sbx_notes notes = { 0 };
	struct sbx_error err;
	enum sbx_arch x = SBX_ARCH_X86_64;
	size_t len = 0;
	struct sock_filter *f;

	write_construct_policies();
	CHECK_EQ_INT(import_file(path_of("deny.policy"), &p, &notes, &err), 0);
	if (!p || !(f = compile(p, x, &len, &m)))
		return;
	CHECK_EQ_INT(run(f, len, x, sbx_syscall_lookup(x, "ioctl"), 0, 0x5412, 0),
		     SECCOMP_RET_ERRNO | EPERM);
	CHECK_EQ_INT(run(f, len, x, sbx_syscall_lookup(x, "ioctl"), 0, 0x5413, 0), SECCOMP_RET_ALLOW);
	CHECK_EQ_INT(run(f, len, x, sbx_syscall_lookup(x, "mount"), 0, 0, 0),
		     SECCOMP_RET_ERRNO | EACCES);
	CHECK_EQ_INT(run(f, len, x, sbx_syscall_lookup(x, "getpid"), 0, 0, 0), SECCOMP_RET_ALLOW);
	CHECK_EQ_INT(run(f, len, x, sbx_syscall_lookup(x, "personality"), 8, 0, 0),
		     SECCOMP_RET_ERRNO | EINVAL);
	CHECK_EQ_INT(run(f, len, x, sbx_syscall_lookup(x, "personality"), 0xffffffff, 0, 0),
		     SECCOMP_RET_ALLOW);
	CHECK(notes.count == 1 && strstr(notes.items[0], "@denylist: calls of another architecture"));
	free(f);
	sbx_filter_model_free(m);
	sbx_minijail_policy_free(p);
	sbx_notes_free(&notes);

	/* In a denylist @default only ends a syscall's filters: unlisted
	 * syscalls stay allowed (minijail's compiler does so). */
	CHECK_EQ_INT(import_file(path_of("deny-default.policy"), &p, NULL, &err), 0);
	if (!p || !(f = compile(p, x, &len, &m)))
		return;
	CHECK_EQ_INT(run(f, len, x, sbx_syscall_lookup(x, "socket"), 16, 0, 0),
		     SECCOMP_RET_ERRNO | EAFNOSUPPORT);
	CHECK_EQ_INT(run(f, len, x, sbx_syscall_lookup(x, "socket"), 1, 0, 0),
		     SECCOMP_RET_KILL_THREAD);
	CHECK_EQ_INT(run(f, len, x, sbx_syscall_lookup(x, "getpid"), 0, 0, 0), SECCOMP_RET_ALLOW);
	free(f);
	sbx_filter_model_free(m);
	sbx_minijail_policy_free(p);

	/* A last `allow` makes minijail's compiler drop the conditional filters. */
	notes = (struct sbx_notes){ 0 };
	CHECK_EQ_INT(import_file(path_of("shortcut.policy"), &p, &notes, &err), 0);
	if (!p || !(f = compile(p, x, &len, &m)))
		return;
	CHECK_EQ_INT(run(f, len, x, sbx_syscall_lookup(x, "read"), 0, 0, 0), SECCOMP_RET_ALLOW);
	CHECK_EQ_INT(run(f, len, x, sbx_syscall_lookup(x, "write"), 1, 0, 0),
		     SECCOMP_RET_ERRNO | EBADF);
	CHECK_EQ_INT(run(f, len, x, sbx_syscall_lookup(x, "write"), 2, 0, 0),
		     SECCOMP_RET_ERRNO | EIO);
	CHECK_EQ_INT(run(f, len, x, sbx_syscall_lookup(x, "getpid"), 0, 0, 0),
		     SECCOMP_RET_KILL_THREAD);
	CHECK(notes.count == 2 && strstr(notes.items[0], "read: allowed whatever the arguments"));
	CHECK(notes.count == 2 && strstr(notes.items[1], "shortcut.policy:2:16: \"EXPR; return "
					 "ERRNO\" returns the errno when EXPR holds"));
	free(f);
	sbx_filter_model_free(m);
	sbx_minijail_policy_free(p);
	sbx_notes_free(&notes);
}

/* ---- real policies ------------------------------------------------------------------- */

/* Copy a fixture directory into the temp dir, with crosvm's include
 * prefix rewritten as crosvm's build.rs rewrites it. */
static size_t copy_fixtures(const char *from, const char *to, const char **paths, size_t cap)
{
	char cmd[1024], line[512];
	size_t n = 0;
	FILE *ls;

	mkdir(path_of(to), 0700);
	snprintf(cmd, sizeof(cmd), "ls %s", from);
	ls = popen(cmd, "r");
	while (ls && fgets(line, sizeof(line), ls)) {
		char src[1024], *text;
		size_t len = 0;

		line[strcspn(line, "\n")] = '\0';
		snprintf(src, sizeof(src), "%s/%s", from, line);
		text = slurp(src, &len);
		if (!text)
			continue;
		char dst[600];
		snprintf(dst, sizeof(dst), "%s/%s", to, line);
		FILE *f = fopen(path_of(dst), "w");
		for (char *p = text; f && *p;) {
			char *hit = strstr(p, "/usr/share/policy/crosvm");
			if (!hit) {
				fputs(p, f);
				break;
			}
			fwrite(p, 1, (size_t)(hit - p), f);
			fputc('.', f);
			p = hit + strlen("/usr/share/policy/crosvm");
		}
		if (f)
			fclose(f);
		free(text);
		if (strstr(line, ".policy") && n < cap)
			paths[n++] = strdup(path_of(dst));
	}
	if (ls)
		pclose(ls);
	return n;
}

TEST(real_policies_compile_and_decide_like_the_model)
{
	static const struct { const char *from, *to; enum sbx_arch arch; } sets[] = {
		{ FIX "/crosvm/x86_64", "crosvm-x86_64", SBX_ARCH_X86_64 },
		{ FIX "/crosvm/aarch64", "crosvm-aarch64", SBX_ARCH_AARCH64 },
		{ FIX "/platform2/x86_64", "p2-x86_64", SBX_ARCH_X86_64 },
		{ FIX "/platform2/aarch64", "p2-aarch64", SBX_ARCH_AARCH64 },
	};
	const char *paths[256];
	enum sbx_arch arches[256];
	size_t n = 0;

	for (size_t s = 0; s < 4; s++) {
		size_t k = copy_fixtures(sets[s].from, sets[s].to, paths + n, 256 - n);

		CHECK(k >= 9);
		for (size_t i = 0; i < k; i++)
			arches[n + i] = sets[s].arch;
		n += k;
	}
	/* minijail's own examples that stand alone */
	paths[n] = strdup(FIX "/minijail/examples/cat.policy");
	arches[n++] = sbx_arch_native();
	paths[n] = strdup(FIX "/minijail/test/seccomp.policy");
	arches[n++] = sbx_arch_native();
	CHECK(n > 100);
	CHECK(differential(paths, arches, n) > 100 * 500);
	for (size_t i = 0; i < n; i++)
		free((void *)paths[i]);
}

/* sbx's own tables against minijail's (crosvm's constants.json), per arch:
 * every syscall number, every constant both know. */
TEST(tables_agree_with_minijails)
{
	for (int a = 0; a < SBX_ARCH_COUNT; a++) {
		size_t len = 0, nsys = 0, nconst = 0;
		char *text = slurp(tables_of((enum sbx_arch)a), &len);
		struct sbx_json_doc *doc = NULL;
		struct sbx_error err;
		struct sbx_json_limits lim = { 1 << 22, 64, 1 << 20 };

		CHECK(text != NULL);
		if (!text || sbx_json_parse(text, len, &lim, &doc, &err) != 0) {
			T_FAIL("%s: %s", tables_of((enum sbx_arch)a), text ? err.message : "unreadable");
			free(text);
			continue;
		}
		const struct sbx_json *root = sbx_json_doc_root(doc);
		const struct sbx_json *sys = sbx_json_get(root, "syscalls");
		const struct sbx_json *cons = sbx_json_get(root, "constants");
		for (size_t i = 0; sys && i < sys->u.object.count; i++) {
			const char *name = sys->u.object.members[i].key;
			long long want = (long long)sys->u.object.members[i].value->u.number.u64;
			int nr = sbx_syscall_lookup((enum sbx_arch)a, name);

			/* removed from the 6.18 arm64 table (src-native/syscalls/README.md) */
			if (a == SBX_ARCH_AARCH64 && strcmp(name, "nfsservctl") == 0) {
				CHECK_EQ_INT(nr, -ENOSYS);
				continue;
			}
			/* minijail's table predates the newest calls; the others agree */
			if (nr != want)
				T_FAIL("%s on %s: sbx %d, minijail %lld", name,
				       sbx_arch_info((enum sbx_arch)a)->name, nr, want);
			nsys++;
		}
		for (size_t i = 0; cons && i < cons->u.object.count; i++) {
			const char *name = cons->u.object.members[i].key;
			const struct sbx_json *jv = cons->u.object.members[i].value;
			uint64_t v, want = jv->u.number.is_negative ? (uint64_t)jv->u.number.i64
								  : jv->u.number.u64;

			if (sbx_const_lookup((enum sbx_arch)a, name, &v) != 0)
				continue;
			if (v != want)
				T_FAIL("%s on %s: sbx %#llx, minijail %#llx", name,
				       sbx_arch_info((enum sbx_arch)a)->name, (unsigned long long)v,
				       (unsigned long long)want);
			nconst++;
		}
		CHECK(nsys > 300);
		CHECK(nconst > 600);
		sbx_json_doc_free(doc);
		free(text);
	}
}

/* ---- the grammar, refused ---------------------------------------------------------------- */

struct bad {
	const char *text;
	int code;
	const char *where;   /* "LINE:COL: message" after the file's path */
};

static const struct bad bad_policies[] = {
	{ "read: 1 $\n", SBX_ESYNTAX, "1:9: invalid token \"$\"" },
	{ "read: !(arg0 == 1)\n", SBX_ESYNTAX, "1:7: invalid token \"!\"" },
	{ "@denylist # not at the end of its line\n", SBX_ESYNTAX, "1:1: invalid token \"@\"" },
	{ "read: 1\nwrite: 1 \\ x\n", SBX_ESYNTAX, "2:10: invalid token \"\\\"" },
	{ "reed: 1\n", SBX_ESYSCALL, "1:1: unknown syscall \"reed\" (did you mean \"read\"?)" },
	{ "kill-process: 1\n", SBX_ESYNTAX,
	  "1:1: expected a syscall name, found \"kill-process\"" },
	{ "foo@bar: 1\n", SBX_ESYSCALL,
	  "1:1: syscall group namespace \"bar\" does not exist (minijail's tables define none)" },
	{ "a@b@c: 1\n", SBX_ESYNTAX, "1:1: invalid syscall group name \"a@b@c\"" },
	{ "read: arg0 == PROT_EXCE\n", SBX_EVALUE,
	  "1:15: unknown constant \"PROT_EXCE\" (did you mean \"PROT_EXEC\"?)" },
	{ "read: arg0 == NOT_A_THING_AT_ALL\n", SBX_EVALUE,
	  "1:15: unknown constant \"NOT_A_THING_AT_ALL\"" },
	{ "read: arg0 = 1\n", SBX_ESYNTAX,
	  "1:12: invalid operator \"=\" (expected ==, !=, <, <=, >, >=, & or in)" },
	{ "read: arg0\n", SBX_ESYNTAX, "1:11: missing operator after \"arg0\"" },
	{ "read: arg6 == 1\n", SBX_EVALUE,
	  "1:7: argument index out of range: \"arg6\" (system calls have arg0 .. arg5)" },
	{ "read: argx == 1\n", SBX_ESYNTAX,
	  "1:7: invalid action \"argx\" (expected allow, 1, kill, kill-process, kill-thread, trap, "
	  "trace, log, user-notify or return ERRNO)" },
	{ "read: arg0 == 1 && argx == 1\n", SBX_ESYNTAX,
	  "1:20: expected an argument (arg0 .. arg5), found \"argx\"" },
	{ "read: arg0 == 1; return\n", SBX_ESYNTAX,
	  "1:24: missing return value: \"return\" needs an errno" },
	{ "read: return ~1\n", SBX_ESYNTAX,
	  "1:14: expected a constant (a number or a name), found \"~\"" },
	{ "read: arg0 == ~~1\n", SBX_ESYNTAX, "1:16: invalid double complement \"~~\"" },
	{ "read: arg0 == ~\n", SBX_ESYNTAX, "1:16: empty complement: \"~\" needs a value" },
	{ "read: arg0 == (1 | 2\n", SBX_ESYNTAX, "1:15: unclosed parenthesis" },
	{ "read: arg0 == 1 |\n", SBX_ESYNTAX, "1:18: empty constant: a value is missing" },
	{ "read: arg0 in\n", SBX_ESYNTAX, "1:14: empty constant: a value is missing" },
	{ "read: arg0 == 1 &&\n", SBX_ESYNTAX, "1:19: empty clause after \"&&\"" },
	{ "read: arg0 == 1 ||\n", SBX_ESYNTAX, "1:19: empty argument expression after \"||\"" },
	{ "read: arg0 == )\n", SBX_ESYNTAX,
	  "1:15: expected a constant (a number or a name), found \")\"" },
	{ "read: arg0 == 0x10000000000000000\n", SBX_EVALUE,
	  "1:15: \"0x10000000000000000\" does not fit in 64 bits (unsigned overflow)" },
	{ "read: arg0 == -9223372036854775809\n", SBX_EVALUE,
	  "1:15: \"-9223372036854775809\" is below -2^63 (signed underflow)" },
	{ "read: allow kill\n", SBX_ESYNTAX, "1:13: extra tokens starting at \"kill\"" },
	{ "read 1\n", SBX_ESYNTAX, "1:6: expected \":\", found \"1\"" },
	{ "read\n", SBX_ESYNTAX, "1:5: missing \":\" after the syscall name" },
	{ "read:\n", SBX_ESYNTAX, "1:6: missing filter" },
	{ "read: 2\n", SBX_ESYNTAX,
	  "1:7: invalid action \"2\" (expected allow, 1, kill, kill-process, kill-thread, trap, "
	  "trace, log, user-notify or return ERRNO)" },
	{ "{read, write: 1\n", SBX_ESYNTAX, "1:1: unclosed brace" },
	{ "read: { allow, kill\n", SBX_ESYNTAX, "1:7: unclosed brace" },
	{ "read: arg0 == 1;\n", SBX_ESYNTAX, "1:17: missing action" },
	{ "read[arch=x86_64;arch=arm64]: 1\n", SBX_ESYNTAX,
	  "1:18: duplicate metadata key \"arch\"" },
	{ "read[arch x86_64]: 1\n", SBX_ESYNTAX,
	  "1:11: expected \"=\" after \"arch\", found \"x86_64\"" },
	{ "read[arch=x86_64: 1\n", SBX_ESYNTAX, "1:5: unclosed bracket" },
	{ "@default allow\n", SBX_ESYNTAX,
	  "1:10: permissive default action \"allow\" is not allowed (expected kill, kill-process, "
	  "kill-thread, trap or user-notify)" },
	{ "@default return 1\n", SBX_ESYNTAX,
	  "1:10: invalid default action \"return\" (expected kill, kill-process, kill-thread, "
	  "trap or user-notify)" },
	{ "@default\n", SBX_ESYNTAX, "1:9: empty action after @default" },
	{ "@include missing.policy\n", SBX_ESYNTAX, "1:17: invalid token \".\"" },
	{ "@include missing\n", SBX_ESYNTAX,
	  "1:10: invalid @include path \"missing\" (write /absolute or ./relative)" },
	{ "@include ../up.policy\n", SBX_ESYNTAX, "1:10: invalid token \".\"" },
	{ "@include\n", SBX_ESYNTAX, "1:9: empty @include path" },
	{ "@frequency\n", SBX_ESYNTAX, "1:11: empty @frequency path" },
	{ "read: 1\nread: arg0 == 0\n", SBX_EVALUE,
	  "2:5: syscall \"read\" already has an unconditional action (at %s:1:5): minijail "
	  "refuses anything after it" },
	{ "{read, read}: 1\n", SBX_EVALUE,
	  "1:13: syscall \"read\" already has an unconditional action (at %s:1:13): minijail "
	  "refuses anything after it" },
	{ "@denylist\nread: allow\n", SBX_ESYNTAX,
	  "2:7: a @denylist policy takes only \"return ERRNO\" actions, found \"allow\"" },
	{ "@denylist\nread: 1\n", SBX_ESYNTAX,
	  "2:7: a @denylist policy takes only \"return ERRNO\" actions, found \"1\"" },
};

TEST(grammar_refused_with_exact_errors)
{
	for (size_t i = 0; i < sizeof(bad_policies) / sizeof(bad_policies[0]); i++) {
		const struct bad *b = &bad_policies[i];
		struct sbx_minijail_policy *p = NULL;
		struct sbx_error err = { 0 };
		const char *path = path_of("bad.policy");
		char where[600], want[900];
		int rc;

		put("bad.policy", b->text);
		rc = import_file(path, &p, NULL, &err);
		snprintf(where, sizeof(where), b->where, path);
		snprintf(want, sizeof(want), "%s:%s", path, where);
		if (rc == 0) {
			T_FAIL("accepted: %s", b->text);
			sbx_minijail_policy_free(p);
			continue;
		}
		if (err.code != b->code || strcmp(err.message, want) != 0)
			T_FAIL("%s: %s %s, want %s %s", b->text, sbx_code_name(err.code), err.message,
			       sbx_code_name(b->code), want);
		CHECK_STR(err.pointer, PTR);
	}
}

static void expect_error(const char *top, int code, const char *want)
{
	struct sbx_minijail_policy *p = NULL;
	struct sbx_error err = { 0 };
	int rc = import_file(path_of(top), &p, NULL, &err);

	CHECK(rc != 0);
	sbx_minijail_policy_free(p);
	if (rc && (err.code != code || strcmp(err.message, want) != 0))
		T_FAIL("%s: %s %s, want %s %s", top, sbx_code_name(err.code), err.message,
		       sbx_code_name(code), want);
}

TEST(includes_refused_with_exact_errors)
{
	char want[1200], d[32];

	put("inc-missing.policy", "read: 1\n@include ./nope.policy\n");
	snprintf(want, sizeof(want), "%s:2:10: cannot @include %s: not found or not a regular file",
		 path_of("inc-missing.policy"), path_of("nope.policy"));
	expect_error("inc-missing.policy", SBX_EIO, want);

	put("cycle-a.policy", "@include ./cycle-b.policy\n");
	put("cycle-b.policy", "read: 1\n@include ./cycle-a.policy\n");
	snprintf(want, sizeof(want), "%s:2:10: @include cycle: %s is already being read",
		 path_of("cycle-b.policy"), path_of("cycle-a.policy"));
	expect_error("cycle-a.policy", SBX_ECYCLE, want);

	put("self.policy", "@include /.//./" "%s\n");
	{
		char text[600];
		snprintf(text, sizeof(text), "@include %s\n", path_of("self.policy"));
		put("self.policy", text);
		snprintf(want, sizeof(want), "%s:1:10: @include cycle: %s is already being read",
			 path_of("self.policy"), path_of("self.policy"));
		expect_error("self.policy", SBX_ECYCLE, want);
	}

	/* nine files deep is minijail's limit: the ninth may not include */
	for (int i = 0; i < 10; i++) {
		char name[32], text[64];
		snprintf(name, sizeof(name), "deep%d.policy", i);
		snprintf(text, sizeof(text), "@include ./deep%d.policy\n", i + 1);
		put(name, i < 9 ? text : "read: 1\n");
	}
	snprintf(want, sizeof(want),
		 "%s:1:24: @include nested too deep (more than 8 levels, minijail's limit)",
		 path_of("deep8.policy"));
	expect_error("deep0.policy", SBX_ETOOBIG, want);
	struct sbx_minijail_policy *p = NULL;
	struct sbx_error err;
	CHECK_EQ_INT(import_file(path_of("deep1.policy"), &p, NULL, &err), 0);
	sbx_minijail_policy_free(p);

	put("fq.policy", "@frequency ./nofreq.frequency\nread: 1\n");
	snprintf(want, sizeof(want),
		 "%s:1:12: cannot open frequency file %s: not found or not a regular file",
		 path_of("fq.policy"), path_of("nofreq.frequency"));
	expect_error("fq.policy", SBX_EIO, want);
	put("fq2.policy", "@frequency ./bad.frequency\nread: 1\n");
	put("bad.frequency", "read: 1\nreed: 2\n");
	snprintf(want, sizeof(want), "%s:2:1: unknown syscall \"reed\" (did you mean \"read\"?)",
		 path_of("bad.frequency"));
	expect_error("fq2.policy", SBX_ESYSCALL, want);
	put("bad.frequency", "read: -1\n");
	snprintf(want, sizeof(want), "%s:1:7: invalid number \"-1\"", path_of("bad.frequency"));
	expect_error("fq2.policy", SBX_ESYNTAX, want);

	/* @denylist must be said by the top file and by every file it includes */
	put("deny-top.policy", "read: 1\n@include ./deny-part.policy\n");
	put("deny-part.policy", "@denylist\nwrite: return EPERM\n");
	snprintf(want, sizeof(want), "%s:1:10: @denylist in a file included by a policy that is "
		 "not a denylist (its top file has no @denylist)", path_of("deny-part.policy"));
	expect_error("deny-top.policy", SBX_ESYNTAX, want);
	put("deny-top2.policy", "@denylist\n@include ./allow-part.policy\n");
	put("allow-part.policy", "write: return EPERM\n# the end\n");
	snprintf(want, sizeof(want),
		 "%s:2:10: a file included by a @denylist policy must say @denylist too",
		 path_of("allow-part.policy"));
	expect_error("deny-top2.policy", SBX_ESYNTAX, want);
	(void)d;
}

/* A policy for one arch: the other's error waits until that arch is asked for. */
TEST(arch_specific_names_fail_only_there)
{
	struct sbx_minijail_policy *p = NULL;
	struct sbx_error err = { 0 };
	char want[600];

	put("x86.policy", "read: 1\nopen: arg1 & O_CREAT; return EACCES\n");
	CHECK_EQ_INT(import_file(path_of("x86.policy"), &p, NULL, &err), 0);
	if (!p)
		return;
	CHECK_EQ_INT(sbx_minijail_policy_check(p, SBX_ARCH_X86_64, &err), 0);
	CHECK(sbx_minijail_policy_check(p, SBX_ARCH_AARCH64, &err) != 0);
	snprintf(want, sizeof(want), "%s:2:1: syscall \"open\" does not exist on aarch64",
		 path_of("x86.policy"));
	CHECK_STR(err.message, want);
	CHECK_EQ_INT(err.code, SBX_ESYSCALL);
	/* entries only for the arch that compiled */
	const struct sbx_seccomp_spec *s = sbx_minijail_policy_spec(p);
	for (size_t i = 0; i < s->nentries; i++)
		CHECK_EQ_INT(s->entries[i].arch_mask, SBX_ARCH_BIT(SBX_ARCH_X86_64));
	sbx_minijail_policy_free(p);

	put("arm.policy", "mmap: arg2 & PROT_BTI\n");
	CHECK_EQ_INT(import_file(path_of("arm.policy"), &p, NULL, &err), 0);
	if (p) {
		CHECK(sbx_minijail_policy_check(p, SBX_ARCH_X86_64, &err) != 0);
		snprintf(want, sizeof(want), "%s:1:14: constant \"PROT_BTI\" does not exist on x86_64",
			 path_of("arm.policy"));
		CHECK_STR(err.message, want);
		CHECK_EQ_INT(err.code, SBX_EVALUE);
		CHECK_EQ_INT(sbx_minijail_policy_check(p, SBX_ARCH_AARCH64, &err), 0);
	}
	sbx_minijail_policy_free(p);

	/* For no arch: the native arch's error. */
	put("none.policy", "read: arg0 == MAP_32BIT\nbogus: 1\n");
	snprintf(want, sizeof(want), "%s:2:1: unknown syscall \"bogus\"", path_of("none.policy"));
	expect_error("none.policy", SBX_ESYSCALL, want);
}

/* ---- the grammar, accepted ---------------------------------------------------------------- */

TEST(lexical_details_as_minijail)
{
	struct sbx_minijail_policy *p = NULL;
	struct sbx_filter_model *m = NULL;
	struct sbx_error err;
	enum sbx_arch x = SBX_ARCH_X86_64;
	struct sock_filter *f;
	size_t len = 0;

	/* CR, CRLF and LF line ends; a comment that ends in "\" continues the
	 * statement (minijail looks at the line's text); numbers: 0x, 0 octal,
	 * "08" is decimal, "-1" is 2^64-1; a statement whose last line ends in
	 * "\" at the end of the file is dropped. */
	put("lex.policy",
	    "read: arg0 == 010 || arg0 == 08\r"
	    "write: arg0 == 0x1F || # comment \\\n"
	    "  arg0 == -1\r\n"
	    "kill: 1\n"
	    "getpid: 1 \\");
	CHECK_EQ_INT(import_file(path_of("lex.policy"), &p, NULL, &err), 0);
	if (!p || !(f = compile(p, x, &len, &m)))
		return;
	CHECK_EQ_INT(run(f, len, x, 0, 8, 0, 0), SECCOMP_RET_ALLOW);
	CHECK_EQ_INT(run(f, len, x, 0, 9, 0, 0), SECCOMP_RET_KILL_PROCESS);
	CHECK_EQ_INT(run(f, len, x, 1, 31, 0, 0), SECCOMP_RET_ALLOW);
	CHECK_EQ_INT(run(f, len, x, 1, UINT64_MAX, 0, 0), SECCOMP_RET_ALLOW);
	CHECK_EQ_INT(run(f, len, x, 1, 30, 0, 0), SECCOMP_RET_KILL_PROCESS);
	CHECK_EQ_INT(run(f, len, x, sbx_syscall_lookup(x, "kill"), 0, 0, 0), SECCOMP_RET_ALLOW);
	CHECK_EQ_INT(run(f, len, x, sbx_syscall_lookup(x, "getpid"), 0, 0, 0),
		     SECCOMP_RET_KILL_PROCESS);
	free(f);
	sbx_filter_model_free(m);
	sbx_minijail_policy_free(p);

	/* An empty policy (or one of comments) kills everything. */
	put("empty.policy", "# nothing\n\n");
	CHECK_EQ_INT(import_file(path_of("empty.policy"), &p, NULL, &err), 0);
	if (!p || !(f = compile(p, x, &len, &m)))
		return;
	CHECK_EQ_INT(run(f, len, x, 0, 0, 0, 0), SECCOMP_RET_KILL_PROCESS);
	free(f);
	sbx_filter_model_free(m);
	sbx_minijail_policy_free(p);
}

TEST(told_apart_from_json_by_content)
{
	static const struct { const char *text; bool minijail; } cases[] = {
		{ "read: 1\n", true }, { "# a policy\n", true }, { "@include ./x\n", true },
		{ "\xef\xbb\xbf  read: 1", true }, { "{read, write}: 1", true },
		{ "{ read }: 1", true }, { "read[arch=x86_64]: 1", true }, { "kill-thread :1", true },
		{ "{\"defaultAction\": \"SCMP_ACT_ERRNO\"}", false }, { "{}", false },
		{ "  {\n \"syscalls\": [", false }, { "[1, 2]", false }, { "", false },
		{ "   \n", false }, { "true", false }, { "null", false }, { "\"read: 1\"", false },
		{ "{ defaultAction: 1 }", false }, { "1", false },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (sbx_minijail_sniff(cases[i].text, strlen(cases[i].text)) != cases[i].minijail)
			T_FAIL("\"%s\": want %s", cases[i].text, cases[i].minijail ? "minijail" : "JSON");
}

/* Through seccomp.import: broken JSON keeps the JSON reader's error, a
 * policy is imported, and the policy's own keys still apply after it. */
TEST(seccomp_import_takes_both)
{
	struct sbx_seccomp_import *im = NULL;
	struct sbx_error err;

	CHECK(sbx_seccomp_import("{\"defaultAction\": ", 18, "/x.json", 0, PTR, &im, NULL, &err) != 0);
	CHECK_EQ_INT(err.code, SBX_ESYNTAX);
	if (strcmp(err.message, "profile at /defaultAction: line 1, column 19: expected value, "
			       "found end of input") != 0)
		T_FAIL("%s", err.message);
	CHECK_EQ_INT(sbx_seccomp_import("read: 1\n", 8, "/x.policy", 0, PTR, &im, NULL, &err), 0);
	if (im) {
		const struct sbx_seccomp_spec *s = sbx_seccomp_import_spec(im);
		CHECK(s->has_default);
		CHECK_EQ_INT(s->default_action.kind, SBX_ACT_KILL_PROCESS);
		CHECK_EQ_INT(s->nentries, 2);  /* read on each arch */
		CHECK_EQ_INT(sbx_seccomp_import_check(im, SBX_ARCH_AARCH64, &err), 0);
	}
	sbx_seccomp_import_free(im);
}

int main(void)
{
	int rc = t_run();
	char cmd[128];

	if (dir[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", dir);
	}
	return rc;
}
