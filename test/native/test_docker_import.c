/*
 * Tests of the Docker / OCI seccomp profile importer (src-native/docker_import*.c).
 *
 * The real profile (test/fixtures/seccomp/docker-default.json) is checked
 * against an independent oracle: a short Python program (below) that reads
 * the same file and decides it the way moby + runc + libseccomp do, for a
 * list of probes (syscall name + arguments). The importer's spec is
 * evaluated with the entry semantics of seccomp.h (spec_verdict below) and
 * must give the same verdict for every probe, and so must the model
 * sbx_seccomp_resolve() makes of the spec (what the compiler compiles).
 */
#include "t.h"
#include "caps.h"
#include "docker_import.h"
#include "syscalls.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#define PROFILE SBX_SOURCE_DIR "/test/fixtures/seccomp/docker-default.json"
/* containers/common's default (podman, buildah, cri-o): defaultErrno, errno */
#define CONTAINERS_PROFILE SBX_SOURCE_DIR "/test/fixtures/seccomp/containers-default.json"
#define PREFIX "/seccomp/import"
#define X86 SBX_ARCH_BIT(SBX_ARCH_X86_64)
#define ARM SBX_ARCH_BIT(SBX_ARCH_AARCH64)

/* ---- helpers ------------------------------------------------------------------ */

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

static bool cond_holds(const struct sbx_arg_cond *c, const uint64_t a[6])
{
	uint64_t v = a[c->arg];

	switch (c->op) {
	case SBX_CMP_EQ: return v == c->value;
	case SBX_CMP_NE: return v != c->value;
	case SBX_CMP_LT: return v < c->value;
	case SBX_CMP_LE: return v <= c->value;
	case SBX_CMP_GT: return v > c->value;
	case SBX_CMP_GE: return v >= c->value;
	case SBX_CMP_MASKED_EQ: return (v & c->mask) == c->value;
	case SBX_CMP_MASKED_NE: return (v & c->mask) != c->value;
	case SBX_CMP_IN:
		for (size_t i = 0; i < c->nset; i++)
			if (v == c->set[i])
				return true;
		return false;
	}
	return false;
}

/* seccomp.h's entry semantics, for one syscall name on one arch. */
static struct sbx_action spec_verdict(const struct sbx_seccomp_spec *s, enum sbx_arch arch,
				      const char *name, const uint64_t a[6])
{
	const struct sbx_seccomp_entry *rules[256];
	size_t nrules = 0;
	bool has_base = false;
	struct sbx_action base = { SBX_ACT_ALLOW, 0 };

	for (size_t i = 0; i < s->nentries; i++) {
		const struct sbx_seccomp_entry *e = &s->entries[i];
		if (!(e->arch_mask & SBX_ARCH_BIT(arch)) || strcmp(e->name, name) != 0)
			continue;
		if (e->nconds == 0) {
			has_base = true;
			base = e->action;
			nrules = 0;
		} else if (nrules < 256) {
			rules[nrules++] = e;
		}
	}
	for (size_t r = 0; r < nrules; r++) {
		bool all = true;
		for (size_t k = 0; k < rules[r]->nconds && all; k++)
			all = cond_holds(&rules[r]->conds[k], a);
		if (all)
			return rules[r]->action;
	}
	return has_base ? base : s->default_action;
}

static void action_text(struct sbx_action a, char *buf, size_t cap)
{
	static const char *const k[] = { "allow", "errno", "kill_process", "kill_thread",
					 "trap", "log", "notify", "trace" };
	if (a.kind == SBX_ACT_ERRNO || a.kind == SBX_ACT_TRACE)
		snprintf(buf, cap, "%s:%u", k[a.kind], a.data);
	else
		snprintf(buf, cap, "%s", k[a.kind]);
}

static struct sbx_docker_profile *import_ok(const char *json, uint64_t caps,
					    struct sbx_notes *notes)
{
	struct sbx_docker_profile *p = NULL;
	struct sbx_error err;
	int rc = sbx_docker_import(json, strlen(json), caps, PREFIX, &p, notes, &err);

	if (rc != 0)
		T_FAIL("import failed: %s %s: %s", sbx_code_name(err.code), err.pointer,
		       err.message);
	return p;
}

static const char *verdict(const struct sbx_docker_profile *p, enum sbx_arch arch,
			   const char *name, uint64_t a0, uint64_t a1)
{
	static char buf[64];
	uint64_t a[6] = { a0, a1, 0, 0, 0, 0 };

	action_text(spec_verdict(sbx_docker_profile_spec(p), arch, name, a), buf, sizeof(buf));
	return buf;
}

static bool notes_have(const struct sbx_notes *n, const char *needle)
{
	for (size_t i = 0; i < n->count; i++)
		if (strstr(n->items[i], needle))
			return true;
	return false;
}

/* ---- the oracle ------------------------------------------------------------------ */

static const char oracle_py[] =
	"import errno, json, os, re, sys\n"
	"prof = json.load(open(sys.argv[1]))\n"
	"caps = set(c for c in sys.argv[2].split(',') if c)\n"
	"arch = sys.argv[3]\n"
	"m = re.match(r'(\\d+)\\.(\\d+)(?:\\.(\\d+))?', os.uname().release)\n"
	"kernel = tuple(int(x or 0) for x in m.groups())\n"
	"def kv(s):\n"
	"    p = [int(x) for x in s.split('.')] + [0]\n"
	"    return tuple(p[:3])\n"
	"def act(name, ret):\n"
	"    k = {'SCMP_ACT_KILL': 'kill_thread', 'SCMP_ACT_KILL_THREAD': 'kill_thread',\n"
	"         'SCMP_ACT_KILL_PROCESS': 'kill_process', 'SCMP_ACT_TRAP': 'trap',\n"
	"         'SCMP_ACT_ALLOW': 'allow', 'SCMP_ACT_LOG': 'log', 'SCMP_ACT_NOTIFY': 'notify',\n"
	"         'SCMP_ACT_ERRNO': 'errno', 'SCMP_ACT_TRACE': 'trace'}[name]\n"
	"    if k in ('errno', 'trace'):\n"
	"        return '%s:%d' % (k, 1 if ret is None else ret)\n"
	"    return k\n"
	"def ret(e, num_key, name_key):\n"
	"    # containers/common's getErrno(): a non-empty name (or decimal) wins\n"
	"    n = e.get(name_key) or ''\n"
	"    if not n: return e.get(num_key)\n"
	"    return int(n) if n.isdigit() else getattr(errno, n)\n"
	"default = act(prof['defaultAction'], ret(prof, 'defaultErrnoRet', 'defaultErrno'))\n"
	"rules = {}\n"
	"for e in prof.get('syscalls') or []:\n"
	"    inc = e.get('includes') or {}\n"
	"    exc = e.get('excludes') or {}\n"
	"    if arch in (exc.get('arches') or []): continue\n"
	"    if any(c in caps for c in exc.get('caps') or []): continue\n"
	"    if exc.get('minKernel') and kernel >= kv(exc['minKernel']): continue\n"
	"    if inc.get('arches') and arch not in inc['arches']: continue\n"
	"    if not all(c in caps for c in inc.get('caps') or []): continue\n"
	"    if inc.get('minKernel') and kernel < kv(inc['minKernel']): continue\n"
	"    a = act(e['action'], ret(e, 'errnoRet', 'errno'))\n"
	"    if a == default: continue\n"
	"    args = e.get('args') or []\n"
	"    idx = [x['index'] for x in args]\n"
	"    sets = [[x] for x in args] if len(set(idx)) != len(idx) else [args]\n"
	"    for n in e.get('names') or [e['name']]:\n"
	"        for s in sets:\n"
	"            rules.setdefault(n, []).append((a, s))\n"
	"def holds(c, argv):\n"
	"    v, x, y = argv[c['index']], c['value'], c.get('valueTwo', 0)\n"
	"    return {'SCMP_CMP_EQ': v == x, 'SCMP_CMP_NE': v != x, 'SCMP_CMP_LT': v < x,\n"
	"            'SCMP_CMP_LE': v <= x, 'SCMP_CMP_GT': v > x, 'SCMP_CMP_GE': v >= x,\n"
	"            'SCMP_CMP_MASKED_EQ': (v & x) == (y & x)}[c['op']]\n"
	"def verdict(name, argv):\n"
	"    rs = rules.get(name, [])\n"
	"    unc = [a for a, s in rs if not s]\n"
	"    if unc: return unc[0]\n"
	"    for a, s in rs:\n"
	"        if all(holds(c, argv) for c in s): return a\n"
	"    return default\n"
	"for line in sys.stdin:\n"
	"    f = line.split()\n"
	"    print(f[0], verdict(f[0], [int(x) for x in f[1:]] + [0] * 6))\n";

struct probe {
	const char *name;
	uint64_t a0;
};

/* Argument probes around the profile's argument rules. */
static const struct probe arg_probes[] = {
	{ "personality", 0 }, { "personality", 8 }, { "personality", 0x20000 },
	{ "personality", 0x20008 }, { "personality", 0xffffffff }, { "personality", 1 },
	{ "personality", 0x20001 }, { "personality", 0x400000 /* ADDR_NO_RANDOMIZE */ },
	{ "personality", 0xfffffffe }, { "personality", 0x1ffffffff },
	{ "clone", 0 }, { "clone", 0x11 /* SIGCHLD */ }, { "clone", 0x3d0f00 /* pthread */ },
	{ "clone", 0x20000 /* NEWNS */ }, { "clone", 0x10000000 /* NEWUSER */ },
	{ "clone", 0x40000000 /* NEWNET */ }, { "clone", 0x7e020000 },
	{ "clone", 0x80000000 /* IO, outside the mask */ }, { "clone", 0x02000000 /* NEWCGROUP */ },
	{ "clone3", 0 }, { "socket", 37 }, { "socket", 38 }, { "socket", 39 }, { "socket", 40 },
	{ "socket", 41 }, { "socket", 0 }, { "socket", 1 }, { "socket", 2 }, { "socket", 10 },
	{ "socket", 16 }, { "socket", 44 }, { "socket", 0x100000028 },
};

/*
 * Run the oracle on every syscall sbx knows on `arch` (arguments 0) and the
 * argument probes; compare each with the importer's spec. Returns the number
 * of probes compared (0 if python3 is missing: then the test fails).
 */
static size_t compare_profile_with_oracle(const char *profile, const char *caps_csv,
					  uint64_t caps, enum sbx_arch arch)
{
	char script[] = "/tmp/sbx-docker-oracle-XXXXXX", in[] = "/tmp/sbx-docker-probes-XXXXXX";
	char cmd[1024], line[256];
	size_t len = 0, nnames = sbx_syscall_all_count(), compared = 0;
	char *text = slurp(profile, &len);
	struct sbx_docker_profile *p = NULL;
	struct sbx_notes notes = { 0 };
	struct sbx_error err;
	int fd;
	FILE *f, *out;

	CHECK(text != NULL);
	if (!text)
		return 0;
	CHECK_EQ_INT(sbx_docker_import(text, len, caps, PREFIX, &p, &notes, &err), 0);
	free(text);
	if (!p)
		return 0;

	fd = mkstemp(script);
	f = fd >= 0 ? fdopen(fd, "w") : NULL;
	CHECK(f != NULL);
	if (f) {
		fputs(oracle_py, f);
		fclose(f);
	}
	fd = mkstemp(in);
	f = fd >= 0 ? fdopen(fd, "w") : NULL;
	CHECK(f != NULL);
	if (f) {
		for (size_t i = 0; i < nnames; i++)
			if (sbx_syscall_lookup(arch, sbx_syscall_all_name(i)) >= 0)
				fprintf(f, "%s 0\n", sbx_syscall_all_name(i));
		for (size_t i = 0; i < sizeof(arg_probes) / sizeof(arg_probes[0]); i++)
			fprintf(f, "%s %llu\n", arg_probes[i].name,
				(unsigned long long)arg_probes[i].a0);
		fclose(f);
	}
	snprintf(cmd, sizeof(cmd), "python3 %s %s '%s' %s < %s", script, profile, caps_csv,
		 arch == SBX_ARCH_X86_64 ? "amd64" : "arm64", in);
	out = popen(cmd, "r");
	CHECK(out != NULL);
	size_t probe = 0, nprobe_names = 0;
	for (size_t i = 0; i < nnames; i++)
		nprobe_names += sbx_syscall_lookup(arch, sbx_syscall_all_name(i)) >= 0;
	struct sbx_filter_model *model = NULL;
	struct sbx_notes rnotes = { 0 };
	CHECK_EQ_INT(sbx_seccomp_resolve(sbx_docker_profile_spec(p), arch, &model, &rnotes, &err),
		     0);
	while (out && fgets(line, sizeof(line), out)) {
		char name[64], want[64];
		uint64_t a0 = 0;
		if (sscanf(line, "%63s %63s", name, want) != 2) {
			T_FAIL("oracle said: %s", line);
			break;
		}
		if (probe >= nprobe_names)
			a0 = arg_probes[probe - nprobe_names].a0;
		const char *got = verdict(p, arch, name, a0, 0);
		if (strcmp(got, want) != 0)
			T_FAIL("%s(%#llx) on %s with caps '%s': sbx %s, Docker %s", name,
			       (unsigned long long)a0, sbx_arch_info(arch)->name, caps_csv, got,
			       want);
		/* The resolved model (what gets compiled) must agree too; it
		 * compares 32-bit arguments on their low word, as the kernel
		 * reads them, so the expectation is taken on that word. */
		int nr = sbx_syscall_lookup(arch, name);
		if (model && nr >= 0) {
			uint64_t args[6] = { a0, 0, 0, 0, 0, 0 };
			if (sbx_syscall_arg32_mask(arch, nr) & 1)
				args[0] &= 0xffffffffu;
			uint32_t exp = sbx_action_ret(spec_verdict(sbx_docker_profile_spec(p), arch,
								   name, args));
			uint32_t ret = sbx_filter_model_eval(model, sbx_arch_info(arch)->audit_arch,
							     (uint32_t)nr, (uint64_t[6]){ a0 });
			if (ret != exp)
				T_FAIL("%s(%#llx) on %s: model %#x, spec %#x", name,
				       (unsigned long long)a0, sbx_arch_info(arch)->name, ret, exp);
		} else {
			T_FAIL("%s: nr %d, model %p", name, nr, (void *)model);
		}
		probe++;
		compared++;
	}
	sbx_filter_model_free(model);
	sbx_notes_free(&rnotes);
	if (out)
		CHECK_EQ_INT(pclose(out), 0);
	CHECK_EQ_INT(compared, nprobe_names + sizeof(arg_probes) / sizeof(arg_probes[0]));
	unlink(script);
	unlink(in);
	sbx_docker_profile_free(p);
	sbx_notes_free(&notes);
	return compared;
}

static size_t compare_with_oracle(const char *caps_csv, uint64_t caps, enum sbx_arch arch)
{
	return compare_profile_with_oracle(PROFILE, caps_csv, caps, arch);
}

/* ---- the real profile -------------------------------------------------------------- */

TEST(real_profile_matches_docker_x86_64_no_caps)
{
	CHECK(compare_with_oracle("", 0, SBX_ARCH_X86_64) > 300);
}

TEST(real_profile_matches_docker_aarch64_no_caps)
{
	CHECK(compare_with_oracle("", 0, SBX_ARCH_AARCH64) > 250);
}

TEST(real_profile_matches_docker_with_sys_admin)
{
	CHECK(compare_with_oracle("CAP_SYS_ADMIN", SBX_CAP_BIT(21), SBX_ARCH_X86_64) > 300);
	CHECK(compare_with_oracle("CAP_SYS_ADMIN", SBX_CAP_BIT(21), SBX_ARCH_AARCH64) > 250);
}

TEST(real_profile_matches_docker_with_all_caps)
{
	char csv[1024] = "";
	for (int i = 0; i <= SBX_CAP_LAST; i++) {
		strcat(csv, i ? "," : "");
		strcat(csv, sbx_cap_name(i));
	}
	CHECK(compare_with_oracle(csv, (SBX_CAP_BIT(SBX_CAP_LAST) << 1) - 1,
				  SBX_ARCH_X86_64) > 300);
}

/* containers/common's default profile (podman, buildah, cri-o): the same
 * format with defaultErrno and per-rule errno names, decided by the same
 * oracle (which reads the names with Python's errno module). */
TEST(containers_profile_matches_its_stack_x86_64_and_aarch64)
{
	CHECK(compare_profile_with_oracle(CONTAINERS_PROFILE, "", 0, SBX_ARCH_X86_64) > 300);
	CHECK(compare_profile_with_oracle(CONTAINERS_PROFILE, "", 0, SBX_ARCH_AARCH64) > 250);
}

TEST(containers_profile_matches_its_stack_with_caps)
{
	CHECK(compare_profile_with_oracle(CONTAINERS_PROFILE, "CAP_SYS_ADMIN,CAP_AUDIT_WRITE",
					  SBX_CAP_BIT(21) | SBX_CAP_BIT(29), SBX_ARCH_X86_64) > 300);
	CHECK(compare_profile_with_oracle(CONTAINERS_PROFILE, "CAP_SYS_CHROOT", SBX_CAP_BIT(18),
					  SBX_ARCH_AARCH64) > 250);
}

TEST(containers_profile_decisions)
{
	size_t len = 0;
	char *text = slurp(CONTAINERS_PROFILE, &len);
	struct sbx_docker_profile *p = NULL;
	struct sbx_notes notes = { 0 };
	struct sbx_error err;
	char got[64];

	CHECK(text != NULL);
	if (!text)
		return;
	if (sbx_docker_import(text, len, 0, PREFIX, &p, &notes, &err)) {
		T_FAIL("import: %s", err.message);
		free(text);
		return;
	}
	const struct sbx_seccomp_spec *spec = sbx_docker_profile_spec(p);
	/* "defaultErrno": "ENOSYS" beside "defaultErrnoRet": 38 */
	CHECK_STR(verdict(p, SBX_ARCH_X86_64, "add_key", 0, 0), "errno:38");
	/* "errno": "EPERM" beside "errnoRet": 1 */
	CHECK_STR(verdict(p, SBX_ARCH_X86_64, "kexec_load", 0, 0), "errno:1");
	CHECK_STR(verdict(p, SBX_ARCH_X86_64, "chroot", 0, 0), "errno:1");
	CHECK_STR(verdict(p, SBX_ARCH_X86_64, "getpid", 0, 0), "allow");
	/* socket(AF_NETLINK, *, NETLINK_AUDIT) is EINVAL ("errno": "EINVAL"), its
	 * neighbours run */
	action_text(spec_verdict(spec, SBX_ARCH_X86_64, "socket",
				 (uint64_t[6]){ 16, 3, 9, 0, 0, 0 }), got, sizeof(got));
	CHECK_STR(got, "errno:22");
	action_text(spec_verdict(spec, SBX_ARCH_X86_64, "socket",
				 (uint64_t[6]){ 16, 3, 0, 0, 0, 0 }), got, sizeof(got));
	CHECK_STR(got, "allow");
	action_text(spec_verdict(spec, SBX_ARCH_X86_64, "socket",
				 (uint64_t[6]){ 2, 1, 9, 0, 0, 0 }), got, sizeof(got));
	CHECK_STR(got, "allow");
	/* the names agree with the numbers in this profile: no note about it */
	CHECK(!notes_have(&notes, "replaces"));
	sbx_docker_profile_free(p);
	sbx_notes_free(&notes);
	free(text);
}

TEST(containers_errno_names)
{
	struct sbx_notes notes = { 0 };
	struct sbx_docker_profile *p = import_ok(
		"{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrno\":\"EACCES\",\"syscalls\":["
		"{\"names\":[\"getpid\"],\"action\":\"SCMP_ACT_ERRNO\",\"errno\":\"ENOSYS\"},"
		"{\"names\":[\"getppid\"],\"action\":\"SCMP_ACT_ERRNO\",\"errno\":\"EINVAL\",\"errnoRet\":1},"
		"{\"names\":[\"gettid\"],\"action\":\"SCMP_ACT_ERRNO\",\"errno\":\"\",\"errnoRet\":5},"
		"{\"names\":[\"getuid\"],\"action\":\"SCMP_ACT_ERRNO\",\"errno\":\"0042\"},"
		"{\"names\":[\"getgid\"],\"action\":\"SCMP_ACT_TRACE\",\"errno\":\"EPERM\"},"
		"{\"names\":[\"geteuid\"],\"action\":\"SCMP_ACT_ERRNO\",\"errno\":null},"
		"{\"names\":[\"getegid\"],\"action\":\"SCMP_ACT_ERRNO\",\"errno\":\"EWOULDBLOCK\"},"
		"{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ALLOW\"}]}", 0, &notes);
	if (!p)
		return;
	CHECK_STR(verdict(p, SBX_ARCH_X86_64, "close", 0, 0), "errno:13");   /* EACCES */
	CHECK_STR(verdict(p, SBX_ARCH_X86_64, "getpid", 0, 0), "errno:38");  /* ENOSYS */
	CHECK_STR(verdict(p, SBX_ARCH_X86_64, "getppid", 0, 0), "errno:22"); /* the name wins */
	CHECK_STR(verdict(p, SBX_ARCH_X86_64, "gettid", 0, 0), "errno:5");   /* "" is absent */
	CHECK_STR(verdict(p, SBX_ARCH_X86_64, "getuid", 0, 0), "errno:42");  /* decimal */
	CHECK_STR(verdict(p, SBX_ARCH_X86_64, "getgid", 0, 0), "trace:1");
	CHECK_STR(verdict(p, SBX_ARCH_X86_64, "geteuid", 0, 0), "errno:1");  /* null: EPERM */
	CHECK_STR(verdict(p, SBX_ARCH_X86_64, "getegid", 0, 0), "errno:11"); /* = EAGAIN */
	CHECK_STR(verdict(p, SBX_ARCH_X86_64, "read", 0, 0), "allow");
	CHECK(notes_have(&notes, "/syscalls/1/errno: \"EINVAL\" (22) replaces errnoRet 1, as in "
				 "containers/common"));
	sbx_docker_profile_free(p);
	sbx_notes_free(&notes);
}

/* Decisions spelled out, so a reader sees what the oracle agreed on. */
TEST(real_profile_decisions)
{
	size_t len = 0;
	char *text = slurp(PROFILE, &len);
	struct sbx_docker_profile *p = NULL, *admin = NULL;
	struct sbx_notes notes = { 0 }, notes2 = { 0 };
	struct sbx_error err;

	CHECK(text != NULL);
	if (!text)
		return;
	CHECK_EQ_INT(sbx_docker_import(text, len, 0, PREFIX, &p, &notes, &err), 0);
	CHECK_EQ_INT(sbx_docker_import(text, len, SBX_CAP_BIT(21), PREFIX, &admin, &notes2, &err),
		     0);
	free(text);
	if (!p || !admin)
		return;
	const struct sbx_seccomp_spec *s = sbx_docker_profile_spec(p);
	CHECK(s->has_default);
	CHECK_EQ_INT(s->default_action.kind, SBX_ACT_ERRNO);
	CHECK_EQ_INT(s->default_action.data, 1);
	CHECK_STR(s->default_pointer, PREFIX);
	CHECK(!s->has_bad_arch);

	CHECK_STR(verdict(p, SBX_ARCH_X86_64, "read", 0, 0), "allow");
	CHECK_STR(verdict(p, SBX_ARCH_AARCH64, "openat", 0, 0), "allow");
	CHECK_STR(verdict(p, SBX_ARCH_X86_64, "mount", 0, 0), "errno:1");
	CHECK_STR(verdict(p, SBX_ARCH_X86_64, "bpf", 0, 0), "errno:1");
	CHECK_STR(verdict(admin, SBX_ARCH_X86_64, "bpf", 0, 0), "allow");
	CHECK_STR(verdict(admin, SBX_ARCH_X86_64, "mount", 0, 0), "allow");
	/* personality: the query and the listed personas only */
	CHECK_STR(verdict(p, SBX_ARCH_X86_64, "personality", 0xffffffff, 0), "allow");
	CHECK_STR(verdict(p, SBX_ARCH_X86_64, "personality", 0x20008, 0), "allow");
	CHECK_STR(verdict(p, SBX_ARCH_X86_64, "personality", 0x400000, 0), "errno:1");
	/* clone: no namespace flags without CAP_SYS_ADMIN; clone3 ENOSYS */
	CHECK_STR(verdict(p, SBX_ARCH_X86_64, "clone", 0x3d0f00, 0), "allow");
	CHECK_STR(verdict(p, SBX_ARCH_X86_64, "clone", 0x10000000, 0), "errno:1");
	CHECK_STR(verdict(p, SBX_ARCH_AARCH64, "clone", 0x20000, 0), "errno:1");
	CHECK_STR(verdict(p, SBX_ARCH_X86_64, "clone3", 0, 0), "errno:38");
	CHECK_STR(verdict(admin, SBX_ARCH_X86_64, "clone", 0x10000000, 0), "allow");
	CHECK_STR(verdict(admin, SBX_ARCH_X86_64, "clone3", 0, 0), "allow");
	/* socket: everything but AF_VSOCK (40) */
	CHECK_STR(verdict(p, SBX_ARCH_X86_64, "socket", 40, 0), "errno:1");
	CHECK_STR(verdict(p, SBX_ARCH_X86_64, "socket", 39, 0), "allow");
	CHECK_STR(verdict(p, SBX_ARCH_X86_64, "socket", 41, 0), "allow");
	/* arches includes: arch_prctl and modify_ldt are amd64-only entries */
	CHECK_STR(verdict(p, SBX_ARCH_X86_64, "arch_prctl", 0, 0), "allow");
	/* the clone rule is the only entry for clone: one masked condition */
	size_t nclone = 0;
	for (size_t i = 0; i < s->nentries; i++) {
		const struct sbx_seccomp_entry *e = &s->entries[i];
		if (strcmp(e->name, "clone") != 0)
			continue;
		nclone++;
		CHECK_EQ_INT(e->nconds, 1);
		CHECK_EQ_INT(e->conds[0].op, SBX_CMP_MASKED_EQ);
		CHECK_EQ_INT(e->conds[0].mask, 0x7e020000);
		CHECK_EQ_INT(e->conds[0].value, 0);
		CHECK_EQ_INT(e->arch_mask, X86 | ARM);  /* s390 has its own entry */
		CHECK_STR(e->pointer, PREFIX);
	}
	CHECK_EQ_INT(nclone, 1);
	/* every emitted name is one sbx knows on each arch of its mask */
	for (size_t i = 0; i < s->nentries; i++)
		for (int a = 0; a < SBX_ARCH_COUNT; a++)
			if (s->entries[i].arch_mask & SBX_ARCH_BIT(a))
				CHECK(sbx_syscall_lookup(a, s->entries[i].name) >= 0);
	/* notes: caps decisions, arch map, unknown names */
	CHECK(notes_have(&notes, "/syscalls/17 (bpf, clone, clone3 and 23 more) not applied: "
				 "needs CAP_SYS_ADMIN, not kept by the policy"));
	CHECK(!notes_have(&notes2, "needs CAP_SYS_ADMIN"));
	CHECK(notes_have(&notes2, "/syscalls/18 (clone) not applied: excluded when "
				  "CAP_SYS_ADMIN is kept"));
	CHECK(notes_have(&notes, "SCMP_ARCH_X86, SCMP_ARCH_X32, SCMP_ARCH_ARM: not supported"));
	CHECK(notes_have(&notes, "SCMP_ARCH_S390X"));
	CHECK(notes_have(&notes, "syscall names unknown to sbx skipped"));
	CHECK(notes_have(&notes, " chown32,"));
	sbx_docker_profile_free(p);
	sbx_docker_profile_free(admin);
	sbx_notes_free(&notes);
	sbx_notes_free(&notes2);
}

/* ---- synthetic profiles: one rule at a time ----------------------------------------- */

#define HEAD "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":["

static unsigned mask_of(const struct sbx_docker_profile *p, const char *name)
{
	const struct sbx_seccomp_spec *s = sbx_docker_profile_spec(p);
	unsigned m = 0;

	for (size_t i = 0; i < s->nentries; i++)
		if (strcmp(s->entries[i].name, name) == 0)
			m |= s->entries[i].arch_mask;
	return m;
}

TEST(arches_includes_and_excludes)
{
	struct sbx_docker_profile *p = import_ok(
		HEAD "{\"names\":[\"getpid\"],\"action\":\"SCMP_ACT_ALLOW\",\"includes\":{\"arches\":[\"amd64\"]}},"
		"{\"names\":[\"getppid\"],\"action\":\"SCMP_ACT_ALLOW\",\"includes\":{\"arches\":[\"arm64\",\"arm\"]}},"
		"{\"names\":[\"gettid\"],\"action\":\"SCMP_ACT_ALLOW\",\"excludes\":{\"arches\":[\"amd64\"]}},"
		"{\"names\":[\"getuid\"],\"action\":\"SCMP_ACT_ALLOW\",\"includes\":{\"arches\":[\"s390x\"]}},"
		"{\"names\":[\"getgid\"],\"action\":\"SCMP_ACT_ALLOW\",\"includes\":{\"arches\":[]}},"
		"{\"names\":[\"open\"],\"action\":\"SCMP_ACT_ALLOW\"}]}", 0, NULL);
	if (!p)
		return;
	CHECK_EQ_INT(mask_of(p, "getpid"), X86);
	CHECK_EQ_INT(mask_of(p, "getppid"), ARM);
	CHECK_EQ_INT(mask_of(p, "gettid"), ARM);
	CHECK_EQ_INT(mask_of(p, "getuid"), 0);
	CHECK_EQ_INT(mask_of(p, "getgid"), X86 | ARM);  /* empty list: no condition */
	CHECK_EQ_INT(mask_of(p, "open"), X86);          /* no open on aarch64 */
	CHECK_STR(verdict(p, SBX_ARCH_AARCH64, "getpid", 0, 0), "errno:1");
	CHECK_STR(verdict(p, SBX_ARCH_X86_64, "getpid", 0, 0), "allow");
	sbx_docker_profile_free(p);
}

TEST(caps_includes_need_all_excludes_any)
{
	const char *json =
		HEAD "{\"names\":[\"getpid\"],\"action\":\"SCMP_ACT_ALLOW\",\"includes\":{\"caps\":[\"CAP_SYS_ADMIN\",\"CAP_NET_ADMIN\"]}},"
		"{\"names\":[\"getppid\"],\"action\":\"SCMP_ACT_ALLOW\",\"excludes\":{\"caps\":[\"CAP_SYS_ADMIN\",\"CAP_NET_ADMIN\"]}}]}";
	uint64_t sys_admin = SBX_CAP_BIT(sbx_cap_from_name("CAP_SYS_ADMIN"));
	uint64_t net_admin = SBX_CAP_BIT(sbx_cap_from_name("NET_ADMIN"));
	struct {
		uint64_t caps;
		bool getpid, getppid;
	} cases[] = {
		{ 0, false, true },
		{ sys_admin, false, false },
		{ net_admin, false, false },
		{ sys_admin | net_admin, true, false },
	};
	for (size_t i = 0; i < 4; i++) {
		struct sbx_docker_profile *p = import_ok(json, cases[i].caps, NULL);
		if (!p)
			continue;
		CHECK_STR(verdict(p, SBX_ARCH_X86_64, "getpid", 0, 0),
			  cases[i].getpid ? "allow" : "errno:1");
		CHECK_STR(verdict(p, SBX_ARCH_X86_64, "getppid", 0, 0),
			  cases[i].getppid ? "allow" : "errno:1");
		sbx_docker_profile_free(p);
	}
}

TEST(min_kernel_against_uname)
{
	struct utsname u;
	unsigned maj = 0, min = 0;
	char json[1024];

	CHECK_EQ_INT(uname(&u), 0);
	CHECK_EQ_INT(sscanf(u.release, "%u.%u", &maj, &min), 2);
	/* the running kernel exactly, one minor above, far below */
	snprintf(json, sizeof(json),
		 HEAD "{\"names\":[\"getpid\"],\"action\":\"SCMP_ACT_ALLOW\",\"includes\":{\"minKernel\":\"%u.%u\"}},"
		 "{\"names\":[\"getppid\"],\"action\":\"SCMP_ACT_ALLOW\",\"includes\":{\"minKernel\":\"%u.%u\"}},"
		 "{\"names\":[\"gettid\"],\"action\":\"SCMP_ACT_ALLOW\",\"excludes\":{\"minKernel\":\"2.6.32\"}},"
		 "{\"names\":[\"getuid\"],\"action\":\"SCMP_ACT_ALLOW\",\"excludes\":{\"minKernel\":\"%u.0\"}}]}",
		 maj, min, maj, min + 1, maj + 1);
	struct sbx_notes notes = { 0 };
	struct sbx_docker_profile *p = import_ok(json, 0, &notes);
	if (!p)
		return;
	CHECK_STR(verdict(p, SBX_ARCH_X86_64, "getpid", 0, 0), "allow");
	CHECK_STR(verdict(p, SBX_ARCH_X86_64, "getppid", 0, 0), "errno:1");
	CHECK_STR(verdict(p, SBX_ARCH_X86_64, "gettid", 0, 0), "errno:1");
	CHECK_STR(verdict(p, SBX_ARCH_X86_64, "getuid", 0, 0), "allow");
	CHECK(notes_have(&notes, "/syscalls/1 (getppid) not applied: needs kernel >= "));
	CHECK(notes_have(&notes, "/syscalls/2 (gettid) not applied: excluded on kernels >= 2.6.32"));
	sbx_docker_profile_free(p);
	sbx_notes_free(&notes);
}

TEST(args_distinct_indexes_are_and_same_index_or)
{
	struct sbx_notes notes = { 0 };
	struct sbx_docker_profile *p = import_ok(
		HEAD "{\"names\":[\"kill\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":["
		"{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_EQ\"},{\"index\":1,\"value\":15,\"op\":\"SCMP_CMP_EQ\"}]},"
		"{\"names\":[\"tkill\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":["
		"{\"index\":1,\"value\":9,\"op\":\"SCMP_CMP_EQ\"},{\"index\":1,\"value\":15,\"op\":\"SCMP_CMP_EQ\"}]}]}",
		0, &notes);
	if (!p)
		return;
	CHECK_STR(verdict(p, SBX_ARCH_X86_64, "kill", 1, 15), "allow");
	CHECK_STR(verdict(p, SBX_ARCH_X86_64, "kill", 1, 9), "errno:1");
	CHECK_STR(verdict(p, SBX_ARCH_X86_64, "kill", 2, 15), "errno:1");
	CHECK_STR(verdict(p, SBX_ARCH_X86_64, "tkill", 0, 9), "allow");
	CHECK_STR(verdict(p, SBX_ARCH_X86_64, "tkill", 0, 15), "allow");
	CHECK_STR(verdict(p, SBX_ARCH_X86_64, "tkill", 0, 2), "errno:1");
	CHECK(notes_have(&notes, "/syscalls/1/args: conditions on the same argument are alternatives"));
	sbx_docker_profile_free(p);
	sbx_notes_free(&notes);
}

TEST(masked_eq_value_is_mask_value_two_is_datum)
{
	struct sbx_docker_profile *p = import_ok(
		HEAD "{\"names\":[\"mmap\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":["
		"{\"index\":2,\"value\":4,\"valueTwo\":0,\"op\":\"SCMP_CMP_MASKED_EQ\"}]},"
		"{\"names\":[\"mprotect\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":["
		"{\"index\":2,\"value\":6,\"valueTwo\":12,\"op\":\"SCMP_CMP_MASKED_EQ\"}]}]}",
		0, NULL);
	if (!p)
		return;
	const struct sbx_seccomp_spec *s = sbx_docker_profile_spec(p);
	CHECK_EQ_INT(s->nentries, 2);
	CHECK_EQ_INT(s->entries[0].conds[0].arg, 2);
	CHECK_EQ_INT(s->entries[0].conds[0].mask, 4);
	CHECK_EQ_INT(s->entries[0].conds[0].value, 0);
	/* libseccomp masks the datum too: 12 & 6 = 4 */
	CHECK_EQ_INT(s->entries[1].conds[0].mask, 6);
	CHECK_EQ_INT(s->entries[1].conds[0].value, 4);
	sbx_docker_profile_free(p);
}

TEST(first_unconditional_wins_like_libseccomp)
{
	struct sbx_notes notes = { 0 };
	struct sbx_docker_profile *p = import_ok(
		"{\"defaultAction\":\"SCMP_ACT_KILL_PROCESS\",\"syscalls\":["
		"{\"names\":[\"getpid\"],\"action\":\"SCMP_ACT_ALLOW\"},"
		"{\"names\":[\"getpid\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":5},"
		"{\"names\":[\"clone\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":0,\"value\":0,\"op\":\"SCMP_CMP_EQ\"}]},"
		"{\"names\":[\"clone\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":3},"
		"{\"names\":[\"clone\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_EQ\"}]}"
		"]}", 0, &notes);
	if (!p)
		return;
	CHECK_STR(verdict(p, SBX_ARCH_X86_64, "getpid", 0, 0), "allow");
	CHECK_STR(verdict(p, SBX_ARCH_X86_64, "clone", 0, 0), "errno:3");
	CHECK_STR(verdict(p, SBX_ARCH_X86_64, "clone", 1, 0), "errno:3");
	CHECK_STR(verdict(p, SBX_ARCH_AARCH64, "clone", 1, 0), "errno:3");
	CHECK(notes_have(&notes, "/syscalls/1: getpid SCMP_ACT_ERRNO(5) ignored on x86_64, aarch64"));
	CHECK(notes_have(&notes, "/syscalls/2: clone SCMP_ACT_ALLOW ignored"));
	CHECK_EQ_INT(mask_of(p, "getpid"), X86 | ARM);
	sbx_docker_profile_free(p);
	sbx_notes_free(&notes);
}

TEST(rules_with_the_default_action_are_dropped_like_runc)
{
	/* Applied, the second entry would make ptrace "allow, period"; runc
	 * drops it, so ptrace keeps its conditional errno rule. */
	struct sbx_docker_profile *p = import_ok(
		"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
		"{\"names\":[\"ptrace\"],\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":0,\"value\":16,\"op\":\"SCMP_CMP_EQ\"}]},"
		"{\"names\":[\"ptrace\"],\"action\":\"SCMP_ACT_ALLOW\"}]}", 0, NULL);
	if (!p)
		return;
	CHECK_STR(verdict(p, SBX_ARCH_X86_64, "ptrace", 16, 0), "errno:1");
	CHECK_STR(verdict(p, SBX_ARCH_X86_64, "ptrace", 0, 0), "allow");
	CHECK_EQ_INT(sbx_docker_profile_spec(p)->nentries, 1);
	sbx_docker_profile_free(p);
}

TEST(actions_and_return_values)
{
	struct sbx_docker_profile *p = import_ok(
		"{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":13,\"syscalls\":["
		"{\"names\":[\"getpid\"],\"action\":\"SCMP_ACT_KILL\"},"
		"{\"names\":[\"getppid\"],\"action\":\"SCMP_ACT_KILL_PROCESS\"},"
		"{\"names\":[\"gettid\"],\"action\":\"SCMP_ACT_TRACE\",\"errnoRet\":77},"
		"{\"names\":[\"getuid\"],\"action\":\"SCMP_ACT_ERRNO\"},"
		"{\"names\":[\"getgid\"],\"action\":\"SCMP_ACT_TRAP\"},"
		"{\"names\":[\"geteuid\"],\"action\":\"SCMP_ACT_LOG\"},"
		"{\"names\":[\"getegid\"],\"action\":\"SCMP_ACT_NOTIFY\"},"
		"{\"names\":[\"read\"],\"action\":\"SCMP_ACT_KILL_THREAD\"},"
		"{\"names\":[\"write\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":0}]}", 0, NULL);
	if (!p)
		return;
	CHECK_STR(verdict(p, SBX_ARCH_X86_64, "close", 0, 0), "errno:13");
	CHECK_STR(verdict(p, SBX_ARCH_X86_64, "getpid", 0, 0), "kill_thread");
	CHECK_STR(verdict(p, SBX_ARCH_X86_64, "getppid", 0, 0), "kill_process");
	CHECK_STR(verdict(p, SBX_ARCH_X86_64, "gettid", 0, 0), "trace:77");
	CHECK_STR(verdict(p, SBX_ARCH_X86_64, "getuid", 0, 0), "errno:1");
	CHECK_STR(verdict(p, SBX_ARCH_X86_64, "getgid", 0, 0), "trap");
	CHECK_STR(verdict(p, SBX_ARCH_X86_64, "geteuid", 0, 0), "log");
	CHECK_STR(verdict(p, SBX_ARCH_X86_64, "getegid", 0, 0), "notify");
	CHECK_STR(verdict(p, SBX_ARCH_X86_64, "read", 0, 0), "kill_thread");
	CHECK_STR(verdict(p, SBX_ARCH_X86_64, "write", 0, 0), "errno:0");
	sbx_docker_profile_free(p);
}

TEST(unknown_names_skipped_only_when_not_stricter)
{
	struct sbx_notes notes = { 0 };
	struct sbx_error err;
	struct sbx_docker_profile *p = import_ok(
		HEAD "{\"names\":[\"chown32\",\"getpid\",\"@mount\"],\"action\":\"SCMP_ACT_ALLOW\"},"
		"{\"names\":[\"waitpid\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":38}]}", 0, &notes);
	if (p) {
		CHECK_EQ_INT(sbx_docker_profile_spec(p)->nentries, 1);
		CHECK_STR(sbx_docker_profile_spec(p)->entries[0].name, "getpid");
		CHECK(notes_have(&notes, "3 syscall names unknown to sbx skipped"));
		CHECK(notes_have(&notes, ": @mount, chown32, waitpid"));
		sbx_docker_profile_free(p);
	}
	sbx_notes_free(&notes);

	/* default allow: an unknown name in a deny entry is an error */
	const char *deny = "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
			   "{\"names\":[\"getpid\",\"getpidd\"],\"action\":\"SCMP_ACT_ERRNO\"}]}";
	p = (void *)1;
	CHECK_EQ_INT(sbx_docker_import(deny, strlen(deny), 0, PREFIX, &p, NULL, &err), -EINVAL);
	CHECK(p == NULL);
	CHECK_STR(sbx_code_name(err.code), "SBX_ESYSCALL");
	CHECK_STR(err.pointer, PREFIX);
	char want[300];
	snprintf(want, sizeof(want),
		 "/syscalls/0/names/1 (line 1, column %d): \"getpidd\" is not a system call sbx "
		 "knows (did you mean \"getpid\"?); an entry stricter than the default action "
		 "cannot skip it", (int)(strstr(deny, "\"getpidd") - deny) + 1);
	CHECK_STR(err.message, want);
}

TEST(harmless_docker_keys_accepted_with_notes)
{
	struct sbx_notes notes = { 0 };
	struct sbx_docker_profile *p = import_ok(
		"{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"architectures\":[\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_X86\",\"SCMP_ARCH_PPC64LE\"],"
		"\"flags\":[\"SECCOMP_FILTER_FLAG_SPEC_ALLOW\",\"SECCOMP_FILTER_FLAG_LOG\"],"
		"\"listenerPath\":\"/run/agent.sock\",\"listenerMetadata\":\"x\","
		"\"syscalls\":[{\"name\":\"getpid\",\"action\":\"SCMP_ACT_ALLOW\",\"args\":null,"
		"\"comment\":\"hi\",\"includes\":null,\"excludes\":{}}]}", 0, &notes);
	if (!p)
		return;
	CHECK_STR(verdict(p, SBX_ARCH_X86_64, "getpid", 0, 0), "allow");
	CHECK(notes_have(&notes, "SECCOMP_FILTER_FLAG_SPEC_ALLOW ignored"));
	CHECK(notes_have(&notes, "SECCOMP_FILTER_FLAG_LOG ignored"));
	CHECK(notes_have(&notes, "profile listenerPath ignored"));
	CHECK(notes_have(&notes, "SCMP_ARCH_X86: not supported by sbx's compiler; their system "
				 "calls are killed"));
	CHECK(notes_have(&notes, "SCMP_ARCH_PPC64LE: ignored"));
	sbx_docker_profile_free(p);
	sbx_notes_free(&notes);
}

TEST(empty_profile_and_null_pointer_prefix)
{
	struct sbx_docker_profile *p = NULL;
	struct sbx_error err;
	const char *j = "{\"defaultAction\":\"SCMP_ACT_ALLOW\"}";

	CHECK_EQ_INT(sbx_docker_import(j, strlen(j), 0, NULL, &p, NULL, &err), 0);
	if (p) {
		CHECK_EQ_INT(sbx_docker_profile_spec(p)->nentries, 0);
		CHECK_STR(sbx_docker_profile_spec(p)->default_pointer, "");
		CHECK_STR(verdict(p, SBX_ARCH_X86_64, "mount", 0, 0), "allow");
		sbx_docker_profile_free(p);
	}
	CHECK_EQ_INT(sbx_docker_import("[]", 2, 0, NULL, &p, NULL, &err), -EINVAL);
	CHECK_STR(err.pointer, "");
	sbx_docker_profile_free(NULL);
	CHECK(sbx_docker_profile_spec(NULL) == NULL);
}

/* ---- malformed profiles: each with its exact error ------------------------------------ */

struct bad {
	const char *json;
	int code;
	const char *ptr;    /* in the profile */
	const char *at;     /* first occurrence of this text is the error's column */
	const char *text;   /* after "(line 1, column N): " */
};

#define E "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ALLOW\","
#define ARG(x) E "\"args\":[" x "]}]}"

static const struct bad bads[] = {
	{ ARG("{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_EQQ\"}"), SBX_EVALUE,
	  "/syscalls/0/args/0/op", "\"SCMP_CMP_EQQ",
	  "unknown op \"SCMP_CMP_EQQ\" (did you mean \"SCMP_CMP_EQ\"?)" },
	{ ARG("{\"index\":0,\"value\":1,\"op\":\"between\"}"), SBX_EVALUE,
	  "/syscalls/0/args/0/op", "\"between", "unknown op \"between\"" },
	{ ARG("{\"index\":6,\"value\":1,\"op\":\"SCMP_CMP_EQ\"}"), SBX_EVALUE,
	  "/syscalls/0/args/0/index", "6,", "6 is out of range (0..5)" },
	{ ARG("{\"index\":0,\"value\":\"1\",\"op\":\"SCMP_CMP_EQ\"}"), SBX_ETYPE,
	  "/syscalls/0/args/0/value", "\"1\"", "expected a number, found string" },
	{ ARG("{\"index\":0,\"value\":-1,\"op\":\"SCMP_CMP_EQ\"}"), SBX_EVALUE,
	  "/syscalls/0/args/0/value", "-1", "expected a non-negative integer, found -1" },
	{ ARG("{\"index\":0,\"value\":1.5,\"op\":\"SCMP_CMP_EQ\"}"), SBX_EVALUE,
	  "/syscalls/0/args/0/value", "1.5", "expected a non-negative integer, found 1.5" },
	{ ARG("{\"index\":0,\"value\":18446744073709551616,\"op\":\"SCMP_CMP_EQ\"}"), SBX_EVALUE,
	  "/syscalls/0/args/0/value", "184",
	  "expected a non-negative integer, found 18446744073709551616" },
	{ ARG("{\"index\":0,\"value\":1,\"valueTwo\":true,\"op\":\"SCMP_CMP_EQ\"}"), SBX_ETYPE,
	  "/syscalls/0/args/0/valueTwo", "true", "expected a number, found boolean" },
	{ ARG("{\"index\":0,\"value\":1}"), SBX_EVALUE, "/syscalls/0/args/0", "{\"index\"",
	  "\"op\" is required" },
	{ ARG("{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_EQ\",\"valueThree\":2}"), SBX_EUNKNOWNKEY,
	  "/syscalls/0/args/0/valueThree", "2}", "unknown key \"valueThree\"" },
	{ ARG("7"), SBX_ETYPE, "/syscalls/0/args/0", "7]", "expected an object, found number" },
	{ E "\"args\":{}}]}", SBX_ETYPE, "/syscalls/0/args", "{}", "expected an array, found object" },
	{ "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":[1],\"action\":\"SCMP_ACT_ALLOW\"}]}",
	  SBX_ETYPE, "/syscalls/0/names/0", "1]", "expected a string, found number" },
	{ "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":\"read\",\"action\":\"SCMP_ACT_ALLOW\"}]}",
	  SBX_ETYPE, "/syscalls/0/names", "\"read\"", "expected an array, found string" },
	{ "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":[\"\"],\"action\":\"SCMP_ACT_ALLOW\"}]}",
	  SBX_EVALUE, "/syscalls/0/names/0", "\"\"]", "empty syscall name" },
	{ "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"action\":\"SCMP_ACT_ALLOW\"}]}",
	  SBX_EVALUE, "/syscalls/0", "{\"action", "\"names\" (or \"name\") is required" },
	{ "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"name\":\"read\",\"names\":[\"write\"],\"action\":\"SCMP_ACT_ALLOW\"}]}",
	  SBX_EVALUE, "/syscalls/0", "{\"name\"", "\"name\" and \"names\" are both given; use one" },
	{ "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ALOW\"}]}",
	  SBX_EVALUE, "/syscalls/0/action", "\"SCMP_ACT_ALOW",
	  "unknown action \"SCMP_ACT_ALOW\" (did you mean \"SCMP_ACT_ALLOW\"?)" },
	{ "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":[\"read\"]}]}",
	  SBX_EVALUE, "/syscalls/0", "{\"names", "\"action\" is required" },
	{ "{\"defaultAction\":\"allow\"}", SBX_EVALUE, "/defaultAction", "\"allow",
	  "unknown action \"allow\"" },
	{ "{\"syscalls\":[]}", SBX_EVALUE, "", "{", "\"defaultAction\" is required" },
	{ "[]", SBX_ETYPE, "", "[", "expected an object, found array" },
	{ "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"listenerPaths\":\"x\"}", SBX_EUNKNOWNKEY,
	  "/listenerPaths", "\"x\"", "unknown key \"listenerPaths\" (did you mean \"listenerPath\"?)" },
	{ "{\"defaultAction\":\"SCMP_ACT_KILL\",\"defaultErrnoRet\":1}", SBX_EVALUE,
	  "/defaultErrnoRet", "1}",
	  "defaultErrnoRet applies only to SCMP_ACT_ERRNO and SCMP_ACT_TRACE, not SCMP_ACT_KILL" },
	{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":4096}]}", SBX_EVALUE, "/syscalls/0/errnoRet", "4096",
	  "4096 is out of range (0..4095)" },
	{ E "\"errnoRet\":1}]}", SBX_EVALUE, "/syscalls/0/errnoRet", "1}",
	  "errnoRet applies only to SCMP_ACT_ERRNO and SCMP_ACT_TRACE, not SCMP_ACT_ALLOW" },
	{ E "\"includes\":{\"caps\":[\"CAP_SYS_ADMN\"]}}]}", SBX_EVALUE,
	  "/syscalls/0/includes/caps/0", "\"CAP_SYS_ADMN",
	  "unknown capability \"CAP_SYS_ADMN\" (did you mean \"CAP_SYS_ADMIN\"?)" },
	{ E "\"excludes\":{\"caps\":[\"sys_admin\"]}}]}", SBX_EVALUE,
	  "/syscalls/0/excludes/caps/0", "\"sys_admin",
	  "capability \"sys_admin\" must be written \"CAP_SYS_ADMIN\"" },
	{ E "\"includes\":{\"arches\":[\"amd46\"]}}]}", SBX_EVALUE,
	  "/syscalls/0/includes/arches/0", "\"amd46",
	  "unknown architecture \"amd46\" (did you mean \"amd64\"?)" },
	{ E "\"includes\":{\"minKernel\":\"4.x\"}}]}", SBX_EVALUE,
	  "/syscalls/0/includes/minKernel", "\"4.x",
	  "expected a kernel version like \"5.8\", found \"4.x\"" },
	{ E "\"includes\":{\"minKernel\":4.8}}]}", SBX_ETYPE,
	  "/syscalls/0/includes/minKernel", "4.8", "expected a string, found number" },
	{ E "\"includes\":{\"kernel\":\"4.8\"}}]}", SBX_EUNKNOWNKEY,
	  "/syscalls/0/includes/kernel", "\"4.8", "unknown key \"kernel\" (did you mean \"minKernel\"?)" },
	{ E "\"comment\":7}]}", SBX_ETYPE, "/syscalls/0/comment", "7}",
	  "expected a string, found number" },
	{ "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"architectures\":[\"SCMP_ARCH_X86_64\"],\"archMap\":[]}",
	  SBX_EVALUE, "", "{", "" /* filled below: pointer is the archMap value */ },
	{ "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"archMap\":[{\"architecture\":\"SCMP_ARCH_X86_46\"}]}",
	  SBX_EVALUE, "/archMap/0/architecture", "\"SCMP_ARCH_X86_46",
	  "unknown architecture \"SCMP_ARCH_X86_46\" (did you mean \"SCMP_ARCH_X86_64\"?)" },
	{ "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"archMap\":[{\"architecture\":\"SCMP_ARCH_X86_64\",\"subArchitectures\":[\"SCMP_ARCH_X86\",3]}]}",
	  SBX_ETYPE, "/archMap/0/subArchitectures/1", "3]", "expected a string, found number" },
	{ "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"flags\":[\"SECCOMP_FILTER_FLAG_TSYNCH\"]}",
	  SBX_EVALUE, "/flags/0", "\"SECCOMP_FILTER_FLAG_TSYNCH",
	  "unknown flag \"SECCOMP_FILTER_FLAG_TSYNCH\" (did you mean \"SECCOMP_FILTER_FLAG_TSYNC\"?)" },
	{ "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":{}}", SBX_ETYPE, "/syscalls", "{}",
	  "expected an array, found object" },
	/* containers/common's keys: names checked, typos refused */
	{ "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrno\":\"ENOSYSS\"}", SBX_EVALUE,
	  "/defaultErrno", "\"ENOSYSS", "unknown errno \"ENOSYSS\" (did you mean \"ENOSYS\"?)" },
	{ "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErno\":\"ENOSYS\"}", SBX_EUNKNOWNKEY,
	  "/defaultErno", "\"ENOSYS", "unknown key \"defaultErno\" (did you mean \"defaultErrno\"?)" },
	{ "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrno\":38}", SBX_ETYPE,
	  "/defaultErrno", "38}", "expected a string, found number" },
	{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"defaultErrno\":\"EPERM\"}", SBX_EVALUE,
	  "/defaultErrno", "\"EPERM",
	  "defaultErrno applies only to SCMP_ACT_ERRNO and SCMP_ACT_TRACE, not SCMP_ACT_ALLOW" },
	{ E "\"errno\":\"EPERM\"}]}", SBX_EVALUE, "/syscalls/0/errno", "\"EPERM",
	  "errno applies only to SCMP_ACT_ERRNO and SCMP_ACT_TRACE, not SCMP_ACT_ALLOW" },
	{ E "\"ernno\":\"EPERM\"}]}", SBX_EUNKNOWNKEY, "/syscalls/0/ernno", "\"EPERM",
	  "unknown key \"ernno\" (did you mean \"errno\"?)" },
	{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ERRNO\",\"errno\":\"eperm\"}]}",
	  SBX_EVALUE, "/syscalls/0/errno", "\"eperm", "unknown errno \"eperm\" (did you mean \"EPERM\"?)" },
	{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ERRNO\",\"errno\":\"4096\"}]}",
	  SBX_EVALUE, "/syscalls/0/errno", "\"4096", "4096 is out of range (0..4095)" },
	{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ERRNO\",\"errno\":\"-1\"}]}",
	  SBX_EVALUE, "/syscalls/0/errno", "\"-1", "unknown errno \"-1\"" },
};

TEST(malformed_profiles_give_exact_errors)
{
	for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		const struct bad *b = &bads[i];
		struct sbx_docker_profile *p = (void *)1;
		struct sbx_notes notes = { 0 };
		struct sbx_error err;
		char want[600];
		const char *at = strstr(b->json, b->at);
		int rc = sbx_docker_import(b->json, strlen(b->json), 0, PREFIX, &p, &notes, &err);

		CHECK(at != NULL);
		if (!at)
			continue;
		if (!b->text[0]) {
			/* architectures + archMap: points at archMap's value */
			at = strstr(b->json, "\"archMap\":") + strlen("\"archMap\":");
			snprintf(want, sizeof(want), "/archMap (line 1, column %d): \"architectures\" "
				 "and \"archMap\" are both given; use one (as moby)",
				 (int)(at - b->json) + 1);
		} else {
			snprintf(want, sizeof(want), "%s (line 1, column %d): %s",
				 b->ptr[0] ? b->ptr : "profile", (int)(at - b->json) + 1, b->text);
		}
		if (rc >= 0 || p != NULL || err.code != b->code || strcmp(err.pointer, PREFIX) ||
		    strcmp(err.message, want))
			T_FAIL("case %zu: rc %d %s \"%s\" \"%s\", want %s \"%s\"", i, rc,
			       sbx_code_name(err.code), err.pointer, err.message,
			       sbx_code_name(b->code), want);
		sbx_notes_free(&notes);
	}
	CHECK(sizeof(bads) / sizeof(bads[0]) >= 15);
}

TEST(syntax_errors_keep_the_reader_position)
{
	struct sbx_docker_profile *p = (void *)1;
	struct sbx_error err;
	const char *j = "{\"defaultAction\":\n  \"SCMP_ACT_ERRNO\",}";

	CHECK_EQ_INT(sbx_docker_import(j, strlen(j), 0, PREFIX, &p, NULL, &err), -EINVAL);
	CHECK(p == NULL);
	CHECK_STR(sbx_code_name(err.code), "SBX_ESYNTAX");
	CHECK_STR(err.pointer, PREFIX);
	CHECK(strncmp(err.message, "profile: line 2, column 20: ", 28) == 0);

	/* a truncated copy of the real profile */
	size_t len = 0;
	char *text = slurp(PROFILE, &len);
	if (text) {
		CHECK(sbx_docker_import(text, len / 2, 0, PREFIX, &p, NULL, &err) < 0);
		CHECK_STR(sbx_code_name(err.code), "SBX_ESYNTAX");
		free(text);
	}
}

int main(void)
{
	return t_run();
}
