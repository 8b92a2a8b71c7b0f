/*
 * Policy document v1: parse, validate, presets, extends, sources, seccomp
 * spec. The bad-input table gives, for each malformed or hostile policy, the
 * exact error code and JSON pointer and a piece of the message. Positive
 * tests check the merged result and, for the presets, the meaning of the
 * seccomp spec through the reference model (sbx_filter_model_eval).
 */
#include "policy.h"
#include "seccomp.h"
#include "syscalls.h"
#include "t.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/seccomp.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char tmpdir[64];

static const char *workdir(void)
{
	if (!tmpdir[0]) {
		snprintf(tmpdir, sizeof(tmpdir), "/tmp/sbx-test-policy-XXXXXX");
		if (!mkdtemp(tmpdir))
			abort();
	}
	return tmpdir;
}

static struct sbx_policy_load_opts opts(void)
{
	struct sbx_policy_load_opts o = { .cwd = workdir(), .home = "/root", .tmpdir = "/tmp" };
	return o;
}

static void write_file(const char *name, const char *text)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", workdir(), name);
	f = fopen(path, "w");
	if (!f)
		abort();
	fputs(text, f);
	fclose(f);
}

static char *path_in(const char *name)
{
	static char buf[4][PATH_MAX];
	static int n;
	char *b = buf[n++ % 4];

	snprintf(b, PATH_MAX, "%s/%s", workdir(), name);
	return b;
}

/* ---- the bad-input table ---------------------------------------------------------- */

struct bad {
	const char *text;
	int code;
	const char *pointer;
	const char *msg;
};

static const struct bad bad_cases[] = {
	/* syntax */
	{ "{\"version\": 1,}", SBX_ESYNTAX, NULL, "line 1, column 15" },
	{ "{\n  \"fs\": {\"read\": [\"/usr]}\n}", SBX_ESYNTAX, NULL, "line 2" },
	{ "", SBX_ESYNTAX, NULL, "line 1, column 1" },
	{ "{\"fs\": {}, \"fs\": {}}", SBX_ESYNTAX, NULL, "duplicate" },
	{ "{\"fs\": {\"read\": [\"/usr\\u0000/x\"]}}", SBX_ESYNTAX, NULL, "line 1" },
	/* types */
	{ "[]", SBX_ETYPE, "", "expected a policy object" },
	{ "{\"version\": \"1\"}", SBX_ETYPE, "/version", "found a string" },
	{ "{\"fs\": {\"read\": \"/usr\"}}", SBX_ETYPE, "/fs/read",
	  "expected an array of paths, found a string" },
	{ "{\"fs\": {\"read\": [42]}}", SBX_ETYPE, "/fs/read/0", "found a number (42)" },
	{ "{\"fs\": []}", SBX_ETYPE, "/fs", "expected an object, found an array" },
	{ "{\"namespaces\": {\"user\": \"yes\"}}", SBX_ETYPE, "/namespaces/user",
	  "expected true or false" },
	{ "{\"extends\": [\"strict\", 3]}", SBX_ETYPE, "/extends/1", "found a number" },
	{ "{\"seccomp\": {\"rules\": [{\"syscall\": 5, \"action\": \"allow\"}]}}", SBX_ETYPE,
	  "/seccomp/rules/0/syscall", "a syscall name or an array of names" },
	{ "{\"seccomp\": {\"allow\": \"read\"}}", SBX_ETYPE, "/seccomp/allow",
	  "expected an array of syscall names" },
	/* unknown keys, with suggestions */
	{ "{\"fs\": {\"raed\": []}}", SBX_EUNKNOWNKEY, "/fs/raed",
	  "unknown key /fs/raed, did you mean \"read\"?" },
	{ "{\"fss\": {}}", SBX_EUNKNOWNKEY, "/fss", "did you mean \"fs\"?" },
	{ "{\"fs\": {\"read\": [{\"path\": \"/usr\", \"optinal\": true}]}}", SBX_EUNKNOWNKEY,
	  "/fs/read/0/optinal", "did you mean \"optional\"?" },
	{ "{\"seccomp\": {\"rules\": [{\"syscal\": \"read\", \"action\": \"allow\"}]}}",
	  SBX_EUNKNOWNKEY, "/seccomp/rules/0/syscal", "did you mean \"syscall\"?" },
	{ "{\"rlimits\": {\"nofiles\": 1}}", SBX_EUNKNOWNKEY, "/rlimits/nofiles",
	  "did you mean \"nofile\"?" },
	{ "{\"zzzzzzzz\": 1}", SBX_EUNKNOWNKEY, "/zzzzzzzz", "unknown key /zzzzzzzz" },
	/* unknown syscalls and groups */
	{ "{\"seccomp\": {\"allow\": [\"opne\"]}}", SBX_ESYSCALL, "/seccomp/allow/0",
	  "unknown syscall \"opne\", did you mean \"open\"?" },
	{ "{\"seccomp\": {\"deny\": [\"@fiel-system\"]}}", SBX_ESYSCALL, "/seccomp/deny/0",
	  "unknown syscall group \"@fiel-system\", did you mean \"@file-system\"?" },
	{ "{\"seccomp\": {\"rules\": [{\"syscall\": [\"read\", \"wirte\"], \"action\": \"allow\"}]}}",
	  SBX_ESYSCALL, "/seccomp/rules/0/syscall/1", "did you mean \"write\"?" },
	/* actions and errno */
	{ "{\"seccomp\": {\"default\": \"alow\"}}", SBX_EVALUE, "/seccomp/default",
	  "unknown action \"alow\"" },
	{ "{\"seccomp\": {\"default\": \"errno:5000\"}}", SBX_EVALUE, "/seccomp/default",
	  "out of range" },
	{ "{\"seccomp\": {\"default\": \"errno:EPREM\"}}", SBX_EVALUE, "/seccomp/default",
	  "unknown errno name \"EPREM\"" },
	{ "{\"seccomp\": {\"rules\": [{\"syscall\": \"read\", \"action\": \"kil\"}]}}", SBX_EVALUE,
	  "/seccomp/rules/0/action", "unknown action" },
	{ "{\"seccomp\": {\"rules\": [{\"syscall\": \"read\"}]}}", SBX_EVALUE,
	  "/seccomp/rules/0", "missing \"action\"" },
	/* `when` */
	{ "{\"seccomp\": {\"rules\": [{\"syscall\": \"socket\", \"when\": \"arg0 == AF_UNX\", \"action\": \"allow\"}]}}",
	  SBX_EVALUE, "/seccomp/rules/0/when", "unknown constant AF_UNX in `when` (column 9), did you mean AF_UNIX?" },
	{ "{\"seccomp\": {\"rules\": [{\"syscall\": \"read\", \"when\": \"arg7 == 1\", \"action\": \"allow\"}]}}",
	  SBX_EVALUE, "/seccomp/rules/0/when", "column 1: expected arg0 .. arg5" },
	{ "{\"seccomp\": {\"rules\": [{\"syscall\": \"read\", \"when\": \"arg0 = 1\", \"action\": \"allow\"}]}}",
	  SBX_EVALUE, "/seccomp/rules/0/when", "column 6: expected one of == != < <= > >= & in" },
	{ "{\"seccomp\": {\"rules\": [{\"syscall\": \"read\", \"when\": \"arg0 == 1 || arg0 == 2\", \"action\": \"allow\"}]}}",
	  SBX_EVALUE, "/seccomp/rules/0/when", "there is no \"||\"" },
	{ "{\"seccomp\": {\"rules\": [{\"syscall\": \"read\", \"when\": \"arg0 & 0xff != 0\", \"action\": \"allow\"}]}}",
	  SBX_EVALUE, "/seccomp/rules/0/when", "after a mask" },
	{ "{\"seccomp\": {\"rules\": [{\"syscall\": \"read\", \"when\": \"arg0 in [1, 2\", \"action\": \"allow\"}]}}",
	  SBX_EVALUE, "/seccomp/rules/0/when", "expected \",\" or \"]\", found end of expression" },
	{ "{\"seccomp\": {\"rules\": [{\"syscall\": \"read\", \"when\": \"arg0 == 99999999999999999999\", \"action\": \"allow\"}]}}",
	  SBX_EVALUE, "/seccomp/rules/0/when", "does not fit in 64 bits" },
	{ "{\"seccomp\": {\"rules\": [{\"syscall\": \"read\", \"when\": \"arg0 == 1 &&\", \"action\": \"allow\"}]}}",
	  SBX_EVALUE, "/seccomp/rules/0/when", "expected arg0 .. arg5, found end of expression" },
	/* ranges, sizes, durations */
	{ "{\"version\": 2}", SBX_EVALUE, "/version", "unsupported policy version 2" },
	{ "{\"rlimits\": {\"nofile\": -1}}", SBX_EVALUE, "/rlimits/nofile",
	  "-1 is out of range: expected an integer from 0 to 2147483584" },
	{ "{\"rlimits\": {\"nofile\": 99999999999}}", SBX_EVALUE, "/rlimits/nofile",
	  "out of range" },
	{ "{\"rlimits\": {\"nice\": 41}}", SBX_EVALUE, "/rlimits/nice", "from 0 to 40" },
	{ "{\"rlimits\": {\"as\": \"2X\"}}", SBX_EVALUE, "/rlimits/as", "bad size \"2X\"" },
	{ "{\"rlimits\": {\"as\": \"99999999999T\"}}", SBX_EVALUE, "/rlimits/as", "out of range" },
	{ "{\"rlimits\": {\"cpu\": \"10 s\"}}", SBX_EVALUE, "/rlimits/cpu", "bad duration" },
	{ "{\"limits\": {\"wallTime\": \"30sec\"}}", SBX_EVALUE, "/limits/wallTime",
	  "bad duration \"30sec\"" },
	{ "{\"limits\": {\"wallTime\": \"0s\"}}", SBX_EVALUE, "/limits/wallTime", "out of range" },
	{ "{\"limits\": {\"memory\": \"12Q\"}}", SBX_EVALUE, "/limits/memory", "bad size" },
	{ "{\"limits\": {\"pids\": 0}}", SBX_EVALUE, "/limits/pids", "from 1 to 4194304" },
	{ "{\"limits\": {\"cpu\": 0}}", SBX_EVALUE, "/limits/cpu", "from 0.01 to 4096" },
	{ "{\"net\": {\"connect\": [443, 70000]}}", SBX_EVALUE, "/net/connect/1", "from 0 to 65535" },
	{ "{\"namespaces\": {\"uid\": 4294967295}}", SBX_EVALUE, "/namespaces/uid", "out of range" },
	/* choices */
	{ "{\"net\": {\"unix\": \"some\"}}", SBX_EVALUE, "/net/unix",
	  "expected one of \"none\", \"socketpair\", \"all\", found \"some\"" },
	{ "{\"compat\": \"besteffort\"}", SBX_EVALUE, "/compat", "did you mean \"best-effort\"?" },
	{ "{\"session\": \"old\"}", SBX_EVALUE, "/session", "expected one of \"inherit\", \"new\"" },
	{ "{\"capabilities\": {\"keep\": [\"CAP_NET_BIND_SERVISE\"]}}", SBX_EVALUE,
	  "/capabilities/keep/0", "did you mean \"CAP_NET_BIND_SERVICE\"?" },
	{ "{\"hostname\": \"bad host\"}", SBX_EVALUE, "/hostname", "bad hostname" },
	{ "{\"env\": {\"set\": {\"A=B\": \"x\"}}}", SBX_EVALUE, "/env/set/A=B", "without '='" },
	{ "{\"seccomp\": {\"rules\": [{\"syscall\": \"read\", \"arch\": [\"sparc\"], \"action\": \"allow\"}]}}",
	  SBX_EVALUE, "/seccomp/rules/0/arch/0", "unknown architecture" },
	/* mounts */
	{ "{\"mounts\": [{\"type\": \"tmpfs\", \"target\": \"/tmp\", \"source\": \"/usr\"}]}",
	  SBX_EVALUE, "/mounts/0", "a tmpfs mount takes no \"source\"" },
	{ "{\"mounts\": [{\"type\": \"bind\", \"target\": \"/x\"}]}", SBX_EVALUE, "/mounts/0",
	  "a bind mount needs \"source\"" },
	{ "{\"mounts\": [{\"type\": \"nfs\", \"target\": \"/x\"}]}", SBX_EVALUE, "/mounts/0/type",
	  "expected one of \"bind\"" },
	{ "{\"mounts\": [{\"type\": \"proc\", \"target\": \"/proc\", \"size\": \"1M\"}]}",
	  SBX_EVALUE, "/mounts/0/size", "tmpfs mounts only" },
	/* paths */
	{ "{\"fs\": {\"read\": [\"relative/dir\"]}}", SBX_EVALUE, "/fs/read/0", "is relative" },
	{ "{\"fs\": {\"read\": [\"$NOPE/x\"]}}", SBX_EVALUE, "/fs/read/0",
	  "unknown variable in path \"$NOPE/x\"" },
	{ "{\"fs\": {\"read\": [\"$CWDX\"]}}", SBX_EVALUE, "/fs/read/0", "did you mean $CWD?" },
	{ "{\"fs\": {\"write\": [\"/nonexistent-sbx-test/x\"]}}", SBX_EPATH, "/fs/write/0",
	  "/nonexistent-sbx-test/x: No such file or directory" },
	{ "{\"fs\": {\"read\": [{\"path\": \"/nonexistent-sbx-test\"}]}}", SBX_EPATH,
	  "/fs/read/0/path", "No such file" },
	{ "{\"root\": \"/etc/passwd\"}", SBX_EPATH, "/root", "not a directory" },
	{ "{\"fs\": {\"protect\": [\".git/../x\"]}}", SBX_EVALUE, "/fs/protect/0",
	  "has a \"..\" component" },
	{ "{\"fs\": {\"hide\": [\"./\"]}}", SBX_EVALUE, "/fs/hide/0", "names the writable root itself" },
	{ "{\"fs\": {\"protect\": [\"$NOPE/x\"]}}", SBX_EVALUE, "/fs/protect/0", "unknown variable" },
	{ "{\"fs\": {\"protect\": \".git\"}}", SBX_ETYPE, "/fs/protect", "expected an array of paths" },
	{ "{\"fs\": {\"protcet\": []}}", SBX_EUNKNOWNKEY, "/fs/protcet", "did you mean \"protect\"?" },
	{ "{\"allowBroadCwd\": 1}", SBX_ETYPE, "/allowBroadCwd", "expected true or false" },
	{ "{\"followSymlink\": true}", SBX_EUNKNOWNKEY, "/followSymlink", "did you mean \"followSymlinks\"?" },
	/* extends and imports */
	{ "{\"extends\": \"strcit\"}", SBX_EPRESET, "/extends",
	  "unknown preset \"strcit\", did you mean \"strict\"?" },
	{ "{\"extends\": [\"strict\", \"./missing-base.json\"]}", SBX_EIO, "/extends/1",
	  "No such file or directory" },
	{ "{\"seccomp\": {\"import\": \"/nonexistent-sbx-profile.json\"}}", SBX_EIO,
	  "/seccomp/import", "cannot read seccomp profile" },
};

TEST(bad_policies_table)
{
	size_t n = sizeof(bad_cases) / sizeof(bad_cases[0]);
	struct sbx_policy_load_opts o = opts();

	CHECK(n >= 40);
	for (size_t i = 0; i < n; i++) {
		const struct bad *b = &bad_cases[i];
		struct sbx_policy *p = (struct sbx_policy *)1;
		struct sbx_error err;
		int rc = sbx_policy_load_text(b->text, strlen(b->text), &o, &p, &err);

		if (rc >= 0 || p != NULL || err.code != b->code ||
		    (b->pointer && strcmp(err.pointer, b->pointer)) || !strstr(err.message, b->msg)) {
			T_FAIL("case %zu %s\n#     got rc=%d %s pointer=\"%s\" message=\"%s\"\n"
			       "#     want %s pointer=\"%s\" message~\"%s\"",
			       i, b->text, rc, sbx_code_name(err.code), err.pointer, err.message,
			       sbx_code_name(b->code), b->pointer ? b->pointer : "(any)", b->msg);
		}
		if (rc == 0)
			sbx_policy_free(p);
	}
}

static void expect_error(const char *source, const struct sbx_policy_load_opts *o, int code,
			 const char *pointer, const char *msg)
{
	struct sbx_policy *p = NULL;
	struct sbx_error err;
	int rc = sbx_policy_load(source, o, &p, &err);

	CHECK(rc < 0);
	CHECK(p == NULL);
	if (err.code != code || (pointer && strcmp(err.pointer, pointer)) ||
	    !strstr(err.message, msg))
		T_FAIL("source %.80s: got %s \"%s\" \"%s\", want %s \"%s\" ~\"%s\"", source,
		       sbx_code_name(err.code), err.pointer, err.message, sbx_code_name(code),
		       pointer ? pointer : "", msg);
	if (!rc)
		sbx_policy_free(p);
}

TEST(hundred_megabytes_fail_fast)
{
	size_t len = 100u << 20;
	char *big = malloc(len + 1);
	struct timespec a, b;
	struct sbx_policy_load_opts o = opts();

	CHECK(big != NULL);
	if (!big)
		return;
	memset(big, ' ', len);
	big[0] = '{';
	big[len - 1] = '}';
	big[len] = '\0';
	clock_gettime(CLOCK_MONOTONIC, &a);
	expect_error(big, &o, SBX_ETOOBIG, "", "more than the limit");
	clock_gettime(CLOCK_MONOTONIC, &b);
	/* strnlen stops at the limit: nothing like 100 MB is scanned. */
	CHECK((b.tv_sec - a.tv_sec) * 1000000000L + (b.tv_nsec - a.tv_nsec) < 50000000L);
	{
		struct sbx_policy *p = NULL;
		struct sbx_error err;

		CHECK(sbx_policy_load_text(big, len, &o, &p, &err) < 0);
		CHECK_EQ_INT(err.code, SBX_ETOOBIG);
	}
	free(big);
}

TEST(depth_ten_thousand)
{
	size_t depth = 10000;
	char *s = malloc(depth * 2 + 32);
	size_t n = 0;
	struct sbx_policy_load_opts o = opts();

	n += (size_t)sprintf(s, "{\"fs\": ");
	for (size_t i = 0; i < depth; i++)
		s[n++] = '[';
	for (size_t i = 0; i < depth; i++)
		s[n++] = ']';
	s[n++] = '}';
	s[n] = '\0';
	expect_error(s, &o, SBX_ETOOBIG, NULL, "depth");
	free(s);
}

TEST(extends_cycles_and_depth)
{
	struct sbx_policy_load_opts o = opts();
	char src[PATH_MAX + 64];

	write_file("a.json", "{\"extends\": \"./b.json\"}");
	write_file("b.json", "{\"extends\": [\"strict\", \"a.json\"]}");
	write_file("self.json", "{\"version\": 1, \"extends\": \"self.json\"}");
	/* a cycle through the top document */
	snprintf(src, sizeof(src), "%s", path_in("a.json"));
	expect_error(src, &o, SBX_ECYCLE, "/extends/1", "extends cycle: ");
	{
		struct sbx_policy *p = NULL;
		struct sbx_error err;
		char chain[PATH_MAX * 3];

		sbx_policy_load(src, &o, &p, &err);
		snprintf(chain, sizeof(chain), "extends cycle: %s -> %s -> %s", path_in("a.json"),
			 path_in("b.json"), path_in("a.json"));
		if (!strstr(err.message, chain))
			T_FAIL("chain not named: %s", err.message);
	}
	/* the same, entered from inline text */
	expect_error("{\"extends\": \"./a.json\"}", &o, SBX_ECYCLE, "/extends/1",
		     "extends cycle: ");
	snprintf(src, sizeof(src), "%s", path_in("self.json"));
	expect_error(src, &o, SBX_ECYCLE, "/extends", "self.json -> ");

	/* a chain longer than the limit (no cycle) */
	for (int i = 0; i < 12; i++) {
		char name[32], text[64];

		snprintf(name, sizeof(name), "chain%d.json", i);
		if (i == 11)
			snprintf(text, sizeof(text), "{\"version\": 1}");
		else
			snprintf(text, sizeof(text), "{\"extends\": \"chain%d.json\"}", i + 1);
		write_file(name, text);
	}
	expect_error("{\"extends\": \"chain0.json\"}", &o, SBX_ETOOBIG, "/extends",
		     "nested deeper than 8");
}

TEST(error_in_extended_file_names_the_file)
{
	struct sbx_policy_load_opts o = opts();
	char want[PATH_MAX + 32];

	write_file("typo.json", "{\"fs\": {\"raed\": []}}");
	snprintf(want, sizeof(want), "in %s: unknown key /fs/raed", path_in("typo.json"));
	expect_error("{\"extends\": \"./typo.json\"}", &o, SBX_EUNKNOWNKEY, "/fs/raed", want);
}

TEST(sources_errors)
{
	struct sbx_policy_load_opts o = opts();

	expect_error("strcit", &o, SBX_EPRESET, "", "did you mean \"strict\"?");
	expect_error("./no-such-policy.json", &o, SBX_EIO, "", "No such file or directory");
	expect_error("   ", &o, SBX_EPRESET, "", "unknown preset");
	expect_error("", &o, SBX_EINVAL, "", "empty policy");
	o.flags = SBX_POLICY_INLINE_ONLY;
	expect_error("strict", &o, SBX_ESYNTAX, NULL, "line 1, column 1");
}

/* ---- positive tests --------------------------------------------------------------- */

static struct sbx_policy *load_ok(const char *source, const struct sbx_policy_load_opts *o)
{
	struct sbx_policy *p = NULL;
	struct sbx_error err;

	if (sbx_policy_load(source, o, &p, &err) != 0) {
		T_FAIL("load %.80s: %s %s %s", source, sbx_code_name(err.code), err.pointer,
		       err.message);
		return NULL;
	}
	return p;
}

static struct sbx_filter_model *model_of(const struct sbx_policy *p, enum sbx_arch arch)
{
	struct sbx_seccomp_spec *spec = NULL;
	struct sbx_filter_model *m = NULL;
	struct sbx_notes notes = { 0 };
	struct sbx_error err;

	if (sbx_policy_seccomp_spec(p, arch, &spec, &notes, &err) != 0) {
		T_FAIL("spec: %s %s", err.pointer, err.message);
		return NULL;
	}
	if (!spec) {
		T_FAIL("no spec");
		return NULL;
	}
	if (sbx_seccomp_resolve(spec, arch, &m, &notes, &err) != 0)
		T_FAIL("resolve: %s %s", err.pointer, err.message);
	sbx_policy_seccomp_spec_free(spec);
	sbx_notes_free(&notes);
	return m;
}

static uint32_t eval(const struct sbx_filter_model *m, const char *name, uint64_t a0, uint64_t a1)
{
	uint64_t args[6] = { a0, a1, 0, 0, 0, 0 };
	int nr = sbx_syscall_lookup(m->arch, name);

	if (nr < 0) {
		T_FAIL("no syscall %s", name);
		return 0;
	}
	return sbx_filter_model_eval(m, sbx_arch_info(m->arch)->audit_arch, (uint32_t)nr, args);
}

static uint64_t cst(enum sbx_arch arch, const char *name)
{
	uint64_t v = 0;

	if (sbx_const_lookup(arch, name, &v))
		T_FAIL("no constant %s", name);
	return v;
}

#define RET_ALLOW SECCOMP_RET_ALLOW
#define RET_ERRNO(e) (SECCOMP_RET_ERRNO | (uint32_t)(e))

TEST(every_preset_loads_round_trips_and_explains)
{
	struct sbx_policy_load_opts o = opts();
	const char *const *names = sbx_preset_names();
	size_t n = 0;

	for (; names[n]; n++) {
		struct sbx_policy *p = load_ok(names[n], &o), *q;
		char *json = NULL, *json2 = NULL, *text = NULL;
		struct sbx_error err;

		if (!p)
			continue;
		CHECK_EQ_INT(sbx_policy_to_json(p, &json, &err), 0);
		CHECK(json && !strstr(json, "\"extends\""));
		/* canonical JSON loads again to the same canonical JSON */
		q = json ? load_ok(json, &o) : NULL;
		if (q) {
			CHECK_EQ_INT(sbx_policy_to_json(q, &json2, &err), 0);
			if (json2 && strcmp(json, json2))
				T_FAIL("%s: to_json is not stable:\n# %s\n# %s", names[n], json, json2);
			sbx_policy_free(q);
		}
		CHECK_EQ_INT(sbx_policy_explain(p, &text, &err), 0);
		CHECK(text && strstr(text, "Network:") && strstr(text, "System calls:"));
		for (int a = 0; a < SBX_ARCH_COUNT; a++) {
			struct sbx_filter_model *m = model_of(p, (enum sbx_arch)a);

			if (m) {
				/* every preset keeps ordinary I/O working */
				CHECK_EQ_INT(eval(m, "read", 0, 0), RET_ALLOW);
				CHECK_EQ_INT(eval(m, "socket", cst(m->arch, "AF_INET"), 1),
					     strcmp(names[n], "node-service") ? RET_ERRNO(EPERM)
									      : RET_ALLOW);
				sbx_filter_model_free(m);
			}
		}
		free(json);
		free(json2);
		free(text);
		sbx_policy_free(p);
	}
	CHECK(n >= 4);
}

TEST(strict_seccomp_meaning)
{
	struct sbx_policy_load_opts o = opts();
	struct sbx_policy *p = load_ok("strict", &o);

	if (!p)
		return;
	for (int a = 0; a < SBX_ARCH_COUNT; a++) {
		enum sbx_arch arch = (enum sbx_arch)a;
		struct sbx_filter_model *m = model_of(p, arch);

		if (!m)
			continue;
		/* allowed neighbours */
		CHECK_EQ_INT(eval(m, "openat", 0, 0), RET_ALLOW);
		CHECK_EQ_INT(eval(m, "execve", 0, 0), RET_ALLOW);
		CHECK_EQ_INT(eval(m, "socketpair", cst(arch, "AF_UNIX"), 1), RET_ALLOW);
		CHECK_EQ_INT(eval(m, "clone", cst(arch, "CLONE_VM") | cst(arch, "CLONE_THREAD") |
						      cst(arch, "CLONE_SIGHAND"), 0), RET_ALLOW);
		CHECK_EQ_INT(eval(m, "ioctl", 0, cst(arch, "TCGETS")), RET_ALLOW);
		CHECK_EQ_INT(eval(m, "personality", 0xffffffffu, 0), RET_ALLOW);
		/* denied */
		CHECK_EQ_INT(eval(m, "socket", cst(arch, "AF_UNIX"), 1), RET_ERRNO(EPERM));
		CHECK_EQ_INT(eval(m, "socket", cst(arch, "AF_INET6"), 1), RET_ERRNO(EPERM));
		CHECK_EQ_INT(eval(m, "socket", cst(arch, "AF_NETLINK"), 3), RET_ERRNO(EPERM));
		CHECK_EQ_INT(eval(m, "socket", cst(arch, "AF_VSOCK"), 1), RET_ERRNO(EPERM));
		CHECK_EQ_INT(eval(m, "clone", cst(arch, "CLONE_NEWUSER"), 0), RET_ERRNO(EPERM));
		CHECK_EQ_INT(eval(m, "clone", cst(arch, "CLONE_NEWNET") | 17, 0), RET_ERRNO(EPERM));
		CHECK_EQ_INT(eval(m, "clone3", 0, 0), RET_ERRNO(ENOSYS));
		CHECK_EQ_INT(eval(m, "unshare", 0, 0), RET_ERRNO(EPERM));
		CHECK_EQ_INT(eval(m, "setns", 0, 0), RET_ERRNO(EPERM));
		CHECK_EQ_INT(eval(m, "ptrace", 0, 0), RET_ERRNO(EPERM));
		CHECK_EQ_INT(eval(m, "process_vm_readv", 0, 0), RET_ERRNO(EPERM));
		CHECK_EQ_INT(eval(m, "mount", 0, 0), RET_ERRNO(EPERM));
		CHECK_EQ_INT(eval(m, "fsopen", 0, 0), RET_ERRNO(EPERM));
		CHECK_EQ_INT(eval(m, "bpf", 0, 0), RET_ERRNO(EPERM));
		CHECK_EQ_INT(eval(m, "perf_event_open", 0, 0), RET_ERRNO(EPERM));
		CHECK_EQ_INT(eval(m, "userfaultfd", 0, 0), RET_ERRNO(EPERM));
		CHECK_EQ_INT(eval(m, "io_uring_setup", 0, 0), RET_ERRNO(EPERM));
		CHECK_EQ_INT(eval(m, "keyctl", 0, 0), RET_ERRNO(EPERM));
		CHECK_EQ_INT(eval(m, "add_key", 0, 0), RET_ERRNO(EPERM));
		CHECK_EQ_INT(eval(m, "kexec_load", 0, 0), RET_ERRNO(EPERM));
		CHECK_EQ_INT(eval(m, "init_module", 0, 0), RET_ERRNO(EPERM));
		CHECK_EQ_INT(eval(m, "reboot", 0, 0), RET_ERRNO(EPERM));
		CHECK_EQ_INT(eval(m, "swapon", 0, 0), RET_ERRNO(EPERM));
		CHECK_EQ_INT(eval(m, "clock_settime", 0, 0), RET_ERRNO(EPERM));
		CHECK_EQ_INT(eval(m, "personality", 0, 0), RET_ERRNO(EPERM));
		CHECK_EQ_INT(eval(m, "personality", 0x0040000, 0), RET_ERRNO(EPERM));
		CHECK_EQ_INT(eval(m, "open_by_handle_at", 0, 0), RET_ERRNO(EPERM));
		CHECK_EQ_INT(eval(m, "ioctl", 0, cst(arch, "TIOCSTI")), RET_ERRNO(EPERM));
		CHECK_EQ_INT(eval(m, "ioctl", 0, cst(arch, "TIOCLINUX")), RET_ERRNO(EPERM));
		/* high bits cannot smuggle TIOCSTI past the rule (low-word compare) */
		CHECK_EQ_INT(eval(m, "ioctl", 0, cst(arch, "TIOCSTI") | (UINT64_C(1) << 32)),
			     RET_ERRNO(EPERM));
		sbx_filter_model_free(m);
	}
	sbx_policy_free(p);
}

TEST(extends_merges_as_documented)
{
	struct sbx_policy_load_opts o = opts();
	struct sbx_policy *p;
	char text[4096];

	mkdir(path_in("sub"), 0755);
	write_file("base.json",
		   "{\"version\": 1, \"fs\": {\"read\": [\"/usr\", \"$CWD\"], \"write\": [\"/tmp\"]},"
		   " \"net\": {\"connect\": [443]},"
		   " \"seccomp\": {\"default\": \"errno:EACCES\", \"allow\": [\"@default\", \"ptrace\"]},"
		   " \"rlimits\": {\"nofile\": 100, \"core\": 0},"
		   " \"env\": {\"keep\": [\"PATH\"], \"set\": {\"A\": \"1\", \"B\": \"1\"}},"
		   " \"mounts\": [{\"type\": \"tmpfs\", \"target\": \"/tmp\", \"size\": \"64M\"}]}");
	snprintf(text, sizeof(text),
		 "{\"extends\": [\"base.json\", \"no-network\"],"
		 " \"fs\": {\"read\": [\"/etc\", \"/usr\"], \"write\": [\"$CWD/sub\"]},"
		 " \"net\": {\"connect\": [80, 443], \"inet\": true},"
		 " \"seccomp\": {\"deny\": [\"ptrace\"]},"
		 " \"rlimits\": {\"nofile\": 200, \"as\": \"2G\", \"cpu\": \"2m\"},"
		 " \"env\": {\"keep\": [\"HOME\", \"PATH\"], \"set\": {\"B\": \"2\"}},"
		 " \"mounts\": [{\"type\": \"tmpfs\", \"target\": \"/tmp\", \"size\": \"1G\"}]}");
	p = load_ok(text, &o);
	if (!p)
		return;
	/* lists: unions, in layer order, without duplicates */
	CHECK_EQ_INT(p->fs.rights[SBX_FS_READ].count, 3);
	CHECK_STR(p->fs.rights[SBX_FS_READ].items[0].path, "/usr");
	CHECK_STR(p->fs.rights[SBX_FS_READ].items[1].path, workdir());
	CHECK_STR(p->fs.rights[SBX_FS_READ].items[2].path, "/etc");
	CHECK_EQ_INT(p->fs.rights[SBX_FS_WRITE].count, 2);
	CHECK_STR(p->fs.rights[SBX_FS_WRITE].items[1].path, path_in("sub"));
	CHECK_EQ_INT(p->net.connect.count, 2);
	CHECK_EQ_INT(p->net.connect.items[0], 443);
	CHECK_EQ_INT(p->net.connect.items[1], 80);
	/* scalars replace: no-network said inet false, the document says true */
	CHECK_EQ_INT(p->net.inet, 1);
	CHECK_EQ_INT(p->net.netlink, 0);
	CHECK_EQ_INT(p->net.unix_mode, SBX_UNIX_SOCKETPAIR);
	CHECK_EQ_INT(p->rlimits.value[SBX_RL_NOFILE], 200);
	CHECK_EQ_INT(p->rlimits.value[SBX_RL_CORE], 0);
	CHECK(p->rlimits.set[SBX_RL_CORE]);
	CHECK_EQ_INT(p->rlimits.value[SBX_RL_AS], 2ull << 30);
	CHECK_EQ_INT(p->rlimits.value[SBX_RL_CPU], 120);
	CHECK(!p->rlimits.set[SBX_RL_NPROC]);
	CHECK_EQ_INT(p->env.nkeep, 2);
	CHECK_EQ_INT(p->env.nset, 2);
	CHECK_STR(p->env.set[1].name, "B");
	CHECK_STR(p->env.set[1].value, "2");
	/* a mount replaces an earlier one with the same target */
	CHECK_EQ_INT(p->nmounts, 1);
	CHECK_EQ_INT(p->mounts[0].size, 1ull << 30);
	CHECK_EQ_INT(p->seccomp.nlayers, 2);
	CHECK_EQ_INT(p->norigins, 3);
	/* seccomp: later layers override earlier ones */
	for (int a = 0; a < SBX_ARCH_COUNT; a++) {
		struct sbx_filter_model *m = model_of(p, (enum sbx_arch)a);

		if (!m)
			continue;
		CHECK_EQ_INT(eval(m, "ptrace", 0, 0), RET_ERRNO(EPERM));
		CHECK_EQ_INT(eval(m, "brk", 0, 0), RET_ALLOW);
		CHECK_EQ_INT(eval(m, "openat", 0, 0), RET_ERRNO(EACCES));
		/* net section decides socket(): inet on, netlink and unix off */
		CHECK_EQ_INT(eval(m, "socket", cst(m->arch, "AF_INET"), 1), RET_ALLOW);
		CHECK_EQ_INT(eval(m, "socket", cst(m->arch, "AF_UNIX"), 1), RET_ERRNO(EPERM));
		CHECK_EQ_INT(eval(m, "socket", cst(m->arch, "AF_NETLINK"), 1), RET_ERRNO(EPERM));
		CHECK_EQ_INT(eval(m, "socketpair", cst(m->arch, "AF_UNIX"), 1), RET_ALLOW);
		sbx_filter_model_free(m);
	}
	sbx_policy_free(p);
}

TEST(extends_strict_allow_ptrace)
{
	struct sbx_policy_load_opts o = opts();
	struct sbx_policy *p = load_ok(
		"{\"extends\": \"strict\", \"seccomp\": {\"allow\": [\"ptrace\"],"
		" \"rules\": [{\"syscall\": \"socket\", \"when\": \"arg0 in [AF_UNIX, AF_LOCAL]\","
		" \"action\": \"allow\"}]}}",
		&o);

	if (!p)
		return;
	for (int a = 0; a < SBX_ARCH_COUNT; a++) {
		struct sbx_filter_model *m = model_of(p, (enum sbx_arch)a);

		if (!m)
			continue;
		CHECK_EQ_INT(eval(m, "ptrace", 0, 0), RET_ALLOW);
		/* the net section still decides socket(), after every layer */
		CHECK_EQ_INT(eval(m, "socket", cst(m->arch, "AF_UNIX"), 1), RET_ERRNO(EPERM));
		CHECK_EQ_INT(eval(m, "mount", 0, 0), RET_ERRNO(EPERM));
		sbx_filter_model_free(m);
	}
	sbx_policy_free(p);
}

TEST(workspace_adds_exec_of_cwd)
{
	struct sbx_policy_load_opts o = opts();
	struct sbx_policy *s = load_ok("strict", &o), *w = load_ok("workspace", &o);
	bool found = false;

	if (!s || !w)
		goto out;
	for (size_t i = 0; i < w->fs.rights[SBX_FS_EXEC].count; i++)
		found |= !strcmp(w->fs.rights[SBX_FS_EXEC].items[i].path, workdir());
	CHECK(found);
	CHECK_EQ_INT(w->fs.rights[SBX_FS_EXEC].count, s->fs.rights[SBX_FS_EXEC].count + 1);
	for (size_t i = 0; i < s->fs.rights[SBX_FS_EXEC].count; i++)
		CHECK(strcmp(s->fs.rights[SBX_FS_EXEC].items[i].path, workdir()));
	CHECK_EQ_INT(w->caps_keep, 0);
	CHECK(w->has_caps);
out:
	sbx_policy_free(s);
	sbx_policy_free(w);
}

TEST(paths_expand_and_optional_missing_is_accepted)
{
	struct sbx_policy_load_opts o = opts();
	struct sbx_policy *p = load_ok(
		"{\"fs\": {\"read\": [\"$CWD\", \"$CWD/./sub/\", \"$TMPDIR\", \"//usr//lib/\","
		" {\"path\": \"/nonexistent-sbx-test\", \"optional\": true},"
		" {\"path\": \"$HOME/.cache/none\", \"optional\": true}]}}",
		&o);

	if (!p)
		return;
	CHECK_EQ_INT(p->fs.rights[SBX_FS_READ].count, 6);
	CHECK_STR(p->fs.rights[SBX_FS_READ].items[0].path, workdir());
	CHECK_STR(p->fs.rights[SBX_FS_READ].items[1].path, path_in("sub"));
	CHECK_STR(p->fs.rights[SBX_FS_READ].items[2].path, "/tmp");
	CHECK_STR(p->fs.rights[SBX_FS_READ].items[3].path, "/usr/lib");
	CHECK(p->fs.rights[SBX_FS_READ].items[4].optional);
	CHECK_STR(p->fs.rights[SBX_FS_READ].items[5].path, "/root/.cache/none");
	CHECK_STR(p->fs.rights[SBX_FS_READ].items[0].written, "$CWD");
	sbx_policy_free(p);

	/* without HOME, $HOME is an error, not "" */
	o.home = NULL;
	{
		char *save = getenv("HOME") ? strdup(getenv("HOME")) : NULL;

		unsetenv("HOME");
		expect_error("{\"fs\": {\"read\": [\"$HOME\"]}}", &o, SBX_EVALUE, "/fs/read/0",
			     "$HOME is used");
		if (save) {
			setenv("HOME", save, 1);
			free(save);
		}
	}
	/* the path check can be turned off (compiling for another machine) */
	o = opts();
	o.flags = SBX_POLICY_NO_PATH_CHECK;
	p = load_ok("{\"fs\": {\"read\": [\"/nonexistent-sbx-test\"]}}", &o);
	sbx_policy_free(p);
}

/* fs.protect / fs.hide: relative entries stay relative (normalised), others
 * expand; nothing needs to exist; they alone make no Landlock section; they
 * only add up through extends; canonical JSON keeps them. */
TEST(protect_and_hide_parse_merge_round_trip)
{
	struct sbx_policy_load_opts o = opts();
	struct sbx_policy *p = load_ok(
		"{\"fs\": {\"protect\": [\"./.git//hooks/\", \"$HOME/.bashrc\", \"/nonexistent-sbx/x\","
		" {\"path\": \".vscode\", \"optional\": true}], \"hide\": [\".env\"]},"
		" \"allowBroadCwd\": true, \"followSymlinks\": false}", &o);
	struct sbx_policy *q = NULL;
	char *json = NULL, *json2 = NULL;
	struct sbx_error err;

	if (!p)
		return;
	CHECK(!p->fs.present);
	CHECK_EQ_INT(p->fs.protect.count, 4);
	CHECK_STR(p->fs.protect.items[0].path, ".git/hooks");
	CHECK_STR(p->fs.protect.items[0].written, "./.git//hooks/");
	CHECK_STR(p->fs.protect.items[1].path, "/root/.bashrc");
	CHECK_STR(p->fs.protect.items[2].path, "/nonexistent-sbx/x");
	CHECK(p->fs.protect.items[3].optional);
	CHECK_STR(p->fs.protect.items[3].pointer, "/fs/protect/3/path");
	CHECK_EQ_INT(p->fs.hide.count, 1);
	CHECK_EQ_INT(p->allow_broad_cwd, 1);
	CHECK_EQ_INT(p->follow_symlinks, 0);
	CHECK_EQ_INT(sbx_policy_to_json(p, &json, &err), 0);
	CHECK(json && strstr(json, "\"protect\":[\".git/hooks\",\"/root/.bashrc\"") &&
	      strstr(json, "\"allowBroadCwd\":true") && strstr(json, "\"followSymlinks\":false"));
	q = json ? load_ok(json, &o) : NULL;
	if (q) {
		CHECK(!q->fs.present);
		CHECK_EQ_INT(sbx_policy_to_json(q, &json2, &err), 0);
		CHECK_STR(json, json2);
		sbx_policy_free(q);
	}
	free(json);
	free(json2);
	sbx_policy_free(p);

	/* "fs": {} still denies everything; beside protect it stays a Landlock section. */
	write_file("empty-fs.json", "{\"fs\": {}}");
	p = load_ok("{\"extends\": \"./empty-fs.json\", \"fs\": {\"protect\": [\"x\"]}}", &o);
	if (p) {
		json = NULL;
		CHECK(p->fs.present);
		CHECK_EQ_INT(sbx_policy_to_json(p, &json, &err), 0);
		q = json ? load_ok(json, &o) : NULL;
		CHECK(q && q->fs.present && q->fs.protect.count == 1);
		sbx_policy_free(q);
		free(json);
		sbx_policy_free(p);
	}

	/* Extending unions the lists: workspace's entries stay, ours are added. */
	p = load_ok("{\"extends\": \"workspace\", \"fs\": {\"protect\": [\"secrets\", \".git/hooks\"]}}", &o);
	q = load_ok("workspace", &o);
	if (p && q) {
		bool found = false;

		CHECK_EQ_INT(p->fs.protect.count, q->fs.protect.count + 1);
		for (size_t i = 0; i < p->fs.protect.count; i++)
			found |= !strcmp(p->fs.protect.items[i].path, "secrets");
		CHECK(found);
		CHECK(q->fs.protect.count > 10);
		CHECK_STR(q->fs.protect.items[0].path, ".git/hooks");
		CHECK(!q->fs.protect.items[0].optional);
	}
	sbx_policy_free(p);
	sbx_policy_free(q);

	/* Without a home, optional $HOME entries are dropped (nothing there is
	 * writable), a required one is still an error. */
	o.home = NULL;
	{
		char *save = getenv("HOME") ? strdup(getenv("HOME")) : NULL;
		struct sbx_policy *w, *h;

		unsetenv("HOME");
		w = load_ok("workspace", &o);
		h = load_ok("{\"fs\": {\"protect\": [{\"path\": \"$HOME/.bashrc\", \"optional\": true}, \".git\"]}}", &o);
		if (w)
			for (size_t i = 0; i < w->fs.protect.count; i++)
				CHECK(w->fs.protect.items[i].path[0] != '/');
		CHECK(h && h->fs.protect.count == 1 && !strcmp(h->fs.protect.items[0].path, ".git"));
		sbx_policy_free(w);
		sbx_policy_free(h);
		expect_error("{\"fs\": {\"protect\": [\"$HOME/.bashrc\"]}}", &o, SBX_EVALUE,
			     "/fs/protect/0", "$HOME is used");
		if (save) {
			setenv("HOME", save, 1);
			free(save);
		}
	}
}

TEST(file_source_and_relative_extends)
{
	struct sbx_policy_load_opts o = opts();
	struct sbx_policy *p;
	char src[PATH_MAX];

	mkdir(path_in("conf"), 0755);
	write_file("conf/base.json", "{\"rlimits\": {\"nproc\": 64}}");
	write_file("conf/top.json", "{\"extends\": [\"./base.json\", \"strict\"], \"report\": true}");
	snprintf(src, sizeof(src), "%s", path_in("conf/top.json"));
	p = load_ok(src, &o);
	if (p) {
		CHECK_EQ_INT(p->rlimits.value[SBX_RL_NPROC], 64);
		CHECK_EQ_INT(p->report, 1);
		CHECK(p->seccomp.present);
		CHECK_EQ_INT(p->norigins, 3);
		sbx_policy_free(p);
	}
	/* "name.json" without a slash is a file, relative to the cwd */
	if (chdir(workdir()) == 0) {
		write_file("plain.json", "{\"hostname\": \"box\"}");
		p = load_ok("plain.json", &o);
		if (p) {
			CHECK_STR(p->hostname, "box");
			sbx_policy_free(p);
		}
	}
	/* inline text after whitespace */
	p = load_ok("  \n {\"session\": \"new\", \"dieWithParent\": true}", &o);
	if (p) {
		CHECK_EQ_INT(p->session_new, 1);
		CHECK_EQ_INT(p->die_with_parent, 1);
		sbx_policy_free(p);
	}
}

TEST(when_grammar_accepts_documented_forms)
{
	struct sbx_policy_load_opts o = opts();
	struct sbx_policy *p = load_ok(
		"{\"seccomp\": {\"default\": \"allow\", \"rules\": ["
		" {\"syscall\": \"socket\", \"when\": \"arg0 == AF_UNIX\", \"action\": \"errno:EACCES\"},"
		" {\"syscall\": \"unshare\", \"when\": \"arg0 & CLONE_NEWUSER == 0\", \"action\": \"allow\"},"
		" {\"syscall\": \"unshare\", \"action\": \"errno:EPERM\"},"
		" {\"syscall\": \"mmap\", \"when\": \"arg2 & (PROT_WRITE|PROT_EXEC) == PROT_WRITE|PROT_EXEC\", \"action\": \"kill\"},"
		" {\"syscall\": \"kill\", \"when\": \"arg0 >= 1 && arg1 in [SIGTERM, 9]\", \"action\": \"errno:1\"},"
		" {\"syscall\": \"lseek\", \"when\": \"arg1 == -1\", \"action\": \"errno:EINVAL\"}"
		"]}}",
		&o);

	if (!p)
		return;
	for (int a = 0; a < SBX_ARCH_COUNT; a++) {
		enum sbx_arch arch = (enum sbx_arch)a;
		struct sbx_filter_model *m = model_of(p, arch);
		uint64_t args[6] = { 0 };
		uint32_t audit = sbx_arch_info(arch)->audit_arch;

		if (!m)
			continue;
		CHECK_EQ_INT(eval(m, "socket", cst(arch, "AF_UNIX"), 1), RET_ERRNO(EACCES));
		CHECK_EQ_INT(eval(m, "socket", cst(arch, "AF_INET"), 1), RET_ALLOW);
		/* the unconditional unshare entry came later: it drops the rule */
		CHECK_EQ_INT(eval(m, "unshare", 0, 0), RET_ERRNO(EPERM));
		args[0] = 5;
		args[1] = 9;
		CHECK_EQ_INT(sbx_filter_model_eval(m, audit, (uint32_t)sbx_syscall_lookup(arch, "kill"),
						   args), RET_ERRNO(1));
		args[1] = 10;
		CHECK_EQ_INT(sbx_filter_model_eval(m, audit, (uint32_t)sbx_syscall_lookup(arch, "kill"),
						   args), RET_ALLOW);
		args[0] = 0;
		args[1] = UINT64_MAX;
		CHECK_EQ_INT(sbx_filter_model_eval(m, audit, (uint32_t)sbx_syscall_lookup(arch, "lseek"),
						   args), RET_ERRNO(EINVAL));
		args[0] = 0;
		args[1] = 0;
		args[2] = cst(arch, "PROT_WRITE") | cst(arch, "PROT_EXEC") | cst(arch, "PROT_READ");
		CHECK_EQ_INT(sbx_filter_model_eval(m, audit, (uint32_t)sbx_syscall_lookup(arch, "mmap"),
						   args), SECCOMP_RET_KILL_PROCESS);
		args[2] = cst(arch, "PROT_READ") | cst(arch, "PROT_EXEC");
		CHECK_EQ_INT(sbx_filter_model_eval(m, audit, (uint32_t)sbx_syscall_lookup(arch, "mmap"),
						   args), RET_ALLOW);
		sbx_filter_model_free(m);
	}
	sbx_policy_free(p);
}

TEST(masked_value_outside_mask_fails_at_spec_time)
{
	struct sbx_policy_load_opts o = opts();
	struct sbx_policy *p = load_ok(
		"{\"seccomp\": {\"rules\": [{\"syscall\": \"read\", \"when\": \"arg0 & 0xf0 == 0x1\","
		" \"action\": \"allow\"}]}}",
		&o);
	struct sbx_seccomp_spec *spec = NULL;
	struct sbx_error err;

	if (!p)
		return;
	CHECK(sbx_policy_seccomp_spec(p, SBX_ARCH_X86_64, &spec, NULL, &err) < 0);
	CHECK(spec == NULL);
	CHECK_EQ_INT(err.code, SBX_EVALUE);
	CHECK_STR(err.pointer, "/seccomp/rules/0/when");
	CHECK(strstr(err.message, "bits outside the mask") != NULL);
	sbx_policy_free(p);
}

/* Each section's compat is resolved once, at load: its own, else the top
 * level's, else enforce; a limit keeps the compat of the layer that set it
 * (the workspace preset's best-effort limits beneath a user's enforce). */
TEST(compat_resolved_at_load)
{
	struct sbx_policy_load_opts o = opts();
	struct sbx_policy *p = load_ok("{\"compat\": \"best-effort\", \"fs\": {\"compat\": "
				       "\"enforce\", \"read\": [\"/usr\"]}, \"net\": {\"inet\": false}}", &o);

	if (p) {
		CHECK_EQ_INT(p->resolved.top, SBX_COMPAT_BEST_EFFORT);
		CHECK_EQ_INT(p->resolved.fs, SBX_COMPAT_ENFORCE);
		CHECK_EQ_INT(p->resolved.net, SBX_COMPAT_BEST_EFFORT);
		CHECK_EQ_INT(p->resolved.seccomp, SBX_COMPAT_BEST_EFFORT);
		sbx_policy_free(p);
	}
	p = load_ok("{\"net\": {\"inet\": false}}", &o);
	if (p) {
		CHECK_EQ_INT(p->resolved.top, SBX_COMPAT_ENFORCE);
		CHECK_EQ_INT(p->resolved.net, SBX_COMPAT_ENFORCE);
		sbx_policy_free(p);
	}
	/* workspace through the fast path, and a layer over it (the normal path) */
	p = load_ok("workspace", &o);
	if (p) {
		CHECK_EQ_INT(p->resolved.limit[SBX_LIMIT_PIDS], SBX_COMPAT_BEST_EFFORT);
		CHECK_EQ_INT(p->resolved.fs, SBX_COMPAT_ENFORCE);
		sbx_policy_free(p);
	}
	p = load_ok("{\"extends\": \"workspace\", \"limits\": {\"wallTime\": \"30s\"}}", &o);
	if (p) {
		CHECK_EQ_INT(p->resolved.limit[SBX_LIMIT_PIDS], SBX_COMPAT_BEST_EFFORT);
		CHECK_EQ_INT(p->resolved.limit[SBX_LIMIT_WALL], SBX_COMPAT_ENFORCE);
		sbx_policy_free(p);
	}
}

TEST(no_seccomp_section_no_filter)
{
	struct sbx_policy_load_opts o = opts();
	struct sbx_policy *p = load_ok("{\"fs\": {\"read\": [\"/usr\"]}}", &o);
	struct sbx_seccomp_spec *spec = (struct sbx_seccomp_spec *)1;
	struct sbx_error err;

	if (!p)
		return;
	CHECK_EQ_INT(sbx_policy_seccomp_spec(p, SBX_ARCH_X86_64, &spec, NULL, &err), 0);
	CHECK(spec == NULL);
	sbx_policy_free(p);
	/* no-network alone filters sockets and allows the rest */
	p = load_ok("no-network", &o);
	if (p) {
		struct sbx_filter_model *m = model_of(p, SBX_ARCH_X86_64);

		if (m) {
			CHECK_EQ_INT(eval(m, "ptrace", 0, 0), RET_ALLOW);
			CHECK_EQ_INT(eval(m, "socket", cst(m->arch, "AF_INET"), 1), RET_ERRNO(EPERM));
			CHECK_EQ_INT(eval(m, "socketpair", cst(m->arch, "AF_UNIX"), 1), RET_ALLOW);
			sbx_filter_model_free(m);
		}
		sbx_policy_free(p);
	}
}

TEST(full_document_round_trips)
{
	struct sbx_policy_load_opts o = opts();
	const char *doc =
		"{\"version\": 1, \"compat\": \"best-effort\","
		" \"fs\": {\"compat\": \"enforce\", \"read\": [\"/usr\"], \"makeDir\": [\"/tmp\"],"
		"   \"ioctlDev\": [], \"refer\": [\"/tmp\"]},"
		" \"net\": {\"inet\": true, \"unix\": \"all\", \"connect\": [443], \"bind\": []},"
		" \"scope\": {\"signals\": true},"
		" \"seccomp\": {\"default\": \"kill\", \"foreignArch\": \"errno:EPERM\","
		"   \"allow\": [\"@system-service\"], \"rules\": [{\"syscall\": [\"read\", \"write\"],"
		"   \"arch\": [\"aarch64\"], \"when\": \"arg0 < 3\", \"action\": \"log\"}]},"
		" \"capabilities\": {\"keep\": [\"net_bind_service\"]},"
		" \"rlimits\": {\"stack\": \"8M\", \"nofile\": \"unlimited\"},"
		" \"namespaces\": {\"user\": true, \"pid\": true, \"net\": false, \"uid\": 0, \"gid\": 0},"
		" \"root\": \"host-readonly\","
		" \"mounts\": [{\"type\": \"bind\", \"source\": \"$CWD\", \"target\": \"/work\", \"writable\": true},"
		"   {\"type\": \"overlay\", \"source\": \"/usr\", \"target\": \"/usr\"}],"
		" \"env\": {\"clear\": true, \"keep\": [\"LC_*\"], \"set\": {\"HOME\": \"/tmp\"}},"
		" \"limits\": {\"memory\": \"512M\", \"pids\": 128, \"cpu\": 0.5, \"wallTime\": \"30s\","
		"   \"cpuTime\": 10},"
		" \"session\": \"new\", \"dieWithParent\": true, \"report\": true,"
		" \"hostname\": \"sbx\", \"cwd\": \"$CWD\", \"preload\": {\"keepEnv\": true}}";
	struct sbx_policy *p = load_ok(doc, &o), *q;
	char *j1 = NULL, *j2 = NULL, *text = NULL;
	struct sbx_error err;

	if (!p)
		return;
	CHECK_EQ_INT(p->limits.cpu_milli, 500);
	CHECK_EQ_INT(p->limits.cputime_ms, 10000);
	CHECK_EQ_INT(p->caps_keep, 1ull << 10);
	CHECK_EQ_INT(p->rlimits.value[SBX_RL_NOFILE], SBX_RLIM_UNLIMITED);
	CHECK_EQ_INT(p->resolved.fs, SBX_COMPAT_ENFORCE);
	CHECK_EQ_INT(p->resolved.net, SBX_COMPAT_BEST_EFFORT);
	CHECK_EQ_INT(sbx_policy_to_json(p, &j1, &err), 0);
	q = j1 ? load_ok(j1, &o) : NULL;
	if (q) {
		CHECK_EQ_INT(sbx_policy_to_json(q, &j2, &err), 0);
		if (j2 && strcmp(j1, j2))
			T_FAIL("not stable:\n# %s\n# %s", j1, j2);
		sbx_policy_free(q);
	}
	CHECK(j1 && strstr(j1, "\"arch\":[\"aarch64\"]"));
	CHECK_EQ_INT(sbx_policy_explain(p, &text, &err), 0);
	CHECK(text && strstr(text, "CAP_NET_BIND_SERVICE") && strstr(text, "Namespaces"));
	free(j1);
	free(j2);
	free(text);
	sbx_policy_free(p);
}

int main(void)
{
	int rc = t_run();
	char cmd[PATH_MAX + 16];

	if (tmpdir[0] && !strncmp(tmpdir, "/tmp/sbx-test-policy-", 21)) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		if (system(cmd) != 0)
			rc = rc ? rc : 0;
	}
	return rc;
}
