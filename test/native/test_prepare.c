/* sbx_prepare / sbx_prepared_apply: policies applied for real, each in a
 * forked child (child.h), as root and as 65534 when the tests run as root. */
#include "prepared.h"
#include "sbx_policy.h"
#include "json.h"
#include "seccomp_defs.h"
#include "t.h"
#include "child.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <pthread.h>
#include <sys/ioctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>

static char g_cwd[64], g_tmp[64], g_out[64];

static void pathf(char *buf, size_t cap, const char *dir, const char *rel)
{
	snprintf(buf, cap, "%s/%s", dir, rel);
}

static void touch(const char *dir, const char *rel)
{
	char p[256];
	int fd;

	pathf(p, sizeof(p), dir, rel);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, "x\n", 2) != 2)
		abort();
	close(fd);
	chmod(p, 0644);
}

static void copy_file(const char *from, const char *to)
{
	char buf[65536];
	ssize_t n;
	int in = open(from, O_RDONLY), out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0755);

	if (in < 0 || out < 0)
		abort();
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			abort();
	close(in);
	close(out);
	chmod(to, 0755);
}

__attribute__((constructor(200))) static void fixture(void)
{
	char p[256];

	snprintf(g_cwd, sizeof(g_cwd), "/tmp/sbx-pc-XXXXXX");
	snprintf(g_tmp, sizeof(g_tmp), "/tmp/sbx-pt-XXXXXX");
	snprintf(g_out, sizeof(g_out), "/tmp/sbx-po-XXXXXX");
	if (!mkdtemp(g_cwd) || !mkdtemp(g_tmp) || !mkdtemp(g_out))
		abort();
	/* 65534 must read and write them: Landlock, not DAC, has to be what
	 * denies. */
	chmod(g_cwd, 0777);
	chmod(g_tmp, 0777);
	chmod(g_out, 0777);
	touch(g_cwd, "in.txt");
	touch(g_out, "secret.txt");
	pathf(p, sizeof(p), g_cwd, "true");
	copy_file("/bin/true", p);
}

__attribute__((destructor)) static void fixture_done(void)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s' '%s'", g_cwd, g_tmp, g_out);
	if (system(cmd) != 0)
		fprintf(stderr, "# could not remove the temp dirs\n");
}

static struct sbx_policy *load(const char *src, struct sbx_error *err)
{
	struct sbx_policy_load_opts o = { .cwd = g_cwd, .tmpdir = g_tmp,
					  .home = "/nonexistent" };
	struct sbx_policy *p = NULL;

	if (sbx_policy_load(src, &o, &p, err))
		return NULL;
	return p;
}

/* 0 when open(2) works, else errno. */
static int try_open(const char *dir, const char *rel, int flags)
{
	char p[256];
	int fd;

	if (rel)
		pathf(p, sizeof(p), dir, rel);
	else
		snprintf(p, sizeof(p), "%s", dir);
	fd = open(p, flags | O_CLOEXEC, 0644);
	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

/* 0 when the program ran and exited 0, else the errno of execve (or 200+
 * for anything else). */
static int try_exec(const char *path)
{
	int st;
	pid_t pid = fork();

	if (pid == 0) {
		char *argv[] = { (char *)path, NULL };

		execv(path, argv);
		_exit(errno);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return 201;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 202;
}

/* Load, prepare and apply in the child: exit 10 with the message when any
 * of that fails. */
static struct sbx_prepared *confine(const char *src, int door, unsigned flags,
				    int abi, struct child_out *o)
{
	struct sbx_error err;
	struct sbx_policy *p = load(src, &err);
	struct sbx_prepared *pp = NULL;

	if (!p || sbx_prepare_at_abi(p, door, flags, abi, &pp, &err) ||
	    sbx_prepared_apply(pp, &err)) {
		snprintf(o->msg, sizeof(o->msg), "%s (%s)", err.message, err.pointer);
		_exit(10);
	}
	sbx_policy_free(p);
	return pp;
}

/* Order of the values body_preset() records. */
enum { V_READ_CWD, V_READ_USR, V_READ_OUT, V_WRITE_CWD, V_WRITE_USR,
       V_WRITE_OUT, V_EXEC_TRUE, V_EXEC_CWD, V_INET, V_SOCKETPAIR, V_PTRACE,
       V_GETPID, V_SECCOMP, V_NNP, V_CAPEFF, V_COUNT };

static void body_preset(void *arg, struct child_out *o)
{
	int sv[2], r;
	char p[256];

	confine(arg, SBX_DOOR_PRELOAD, 0, sbx_landlock_abi(), o);
	child_put(o, try_open(g_cwd, "in.txt", O_RDONLY));
	child_put(o, try_open("/usr", NULL, O_RDONLY | O_DIRECTORY));
	child_put(o, try_open(g_out, "secret.txt", O_RDONLY));
	/* Per uid: a file root created earlier is not 65534's to write. */
	snprintf(p, sizeof(p), "new-%d.txt", (int)geteuid());
	child_put(o, try_open(g_cwd, p, O_WRONLY | O_CREAT));
	child_put(o, try_open("/usr", "sbx-prepare-test", O_WRONLY | O_CREAT));
	child_put(o, try_open(g_out, "new.txt", O_WRONLY | O_CREAT));
	child_put(o, try_exec("/bin/true"));
	pathf(p, sizeof(p), g_cwd, "true");
	child_put(o, try_exec(p));
	r = socket(AF_INET, SOCK_STREAM, 0);
	child_put(o, r < 0 ? errno : 0);
	child_put(o, CHILD_ERRNO(socketpair(AF_UNIX, SOCK_STREAM, 0, sv)));
	child_put(o, CHILD_ERRNO(ptrace(PTRACE_ATTACH, getppid(), 0, 0)));
	child_put(o, getpid() > 0 ? 0 : 1);
	child_put(o, (int)child_status_field("/proc/self/status", "Seccomp", 10));
	child_put(o, (int)child_status_field("/proc/self/status", "NoNewPrivs", 10));
	child_put(o, (int)child_status_field("/proc/self/status", "CapEff", 16));
}

static void check_preset(const char *preset, bool as_nobody, int exec_cwd)
{
	struct child_out *o = child_run(body_preset, (void *)preset, as_nobody);

	CHECK(child_ok(o));
	if (!child_ok(o)) {
		T_FAIL("child: status 0x%x: %s", o ? o->status : -1, o ? o->msg : "");
		child_free(o);
		return;
	}
	CHECK_EQ_INT(o->n, V_COUNT);
	CHECK_EQ_INT(o->v[V_READ_CWD], 0);
	CHECK_EQ_INT(o->v[V_READ_USR], 0);
	CHECK_EQ_INT(o->v[V_READ_OUT], EACCES);
	CHECK_EQ_INT(o->v[V_WRITE_CWD], 0);
	CHECK_EQ_INT(o->v[V_WRITE_USR], EACCES);
	CHECK_EQ_INT(o->v[V_WRITE_OUT], EACCES);
	CHECK_EQ_INT(o->v[V_EXEC_TRUE], 0);
	CHECK_EQ_INT(o->v[V_EXEC_CWD], exec_cwd);
	CHECK_EQ_INT(o->v[V_INET], EPERM);
	CHECK_EQ_INT(o->v[V_SOCKETPAIR], 0);
	CHECK_EQ_INT(o->v[V_PTRACE], EPERM);
	CHECK_EQ_INT(o->v[V_GETPID], 0);
	CHECK_EQ_INT(o->v[V_SECCOMP], 2);
	CHECK_EQ_INT(o->v[V_NNP], 1);
	CHECK_EQ_INT(o->v[V_CAPEFF], 0);
	child_free(o);
}

TEST(strict_confines_as_current_user)
{
	check_preset("strict", false, EACCES);
}

TEST(strict_confines_as_nobody)
{
	check_preset("strict", true, EACCES);
}

TEST(workspace_allows_exec_from_cwd)
{
	check_preset("workspace", false, 0);
	check_preset("workspace", true, 0);
}

/* Root keeps its capabilities without the policy asking: the control for
 * CapEff 0 above. */
static void body_nocaps(void *arg, struct child_out *o)
{
	(void)arg;
	confine("{\"fs\": {\"read\": [\"/\"]}}", SBX_DOOR_PRELOAD, 0,
		sbx_landlock_abi(), o);
	child_put(o, child_status_field("/proc/self/status", "CapEff", 16) != 0);
	child_put(o, (int)child_status_field("/proc/self/status", "NoNewPrivs", 10));
	child_put(o, (int)child_status_field("/proc/self/status", "Seccomp", 10));
	/* `fs` present: what no list grants is denied, even with no rule
	 * naming the right (exec), and a write under the read-only root. */
	child_put(o, try_exec("/bin/true"));
	child_put(o, try_open("/usr", NULL, O_RDONLY | O_DIRECTORY));
	child_put(o, try_open(g_cwd, "nocaps.txt", O_WRONLY | O_CREAT));
}

TEST(absent_capabilities_section_leaves_them)
{
	struct child_out *o = child_run(body_nocaps, NULL, false);

	CHECK(child_ok(o));
	if (child_is_root())
		CHECK_EQ_INT(o->v[0], 1);
	CHECK_EQ_INT(o->v[1], 1);
	CHECK_EQ_INT(o->v[2], 0);   /* no seccomp section, no net: no filter */
	CHECK_EQ_INT(o->v[3], EACCES);
	CHECK_EQ_INT(o->v[4], 0);
	CHECK_EQ_INT(o->v[5], EACCES);
	child_free(o);
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n - 1;   /* the DIR's own fd */
}

TEST(missing_path_fails_in_prepare_and_leaks_nothing)
{
	struct sbx_error err;
	struct sbx_prepared *pp = (struct sbx_prepared *)1;
	struct sbx_policy *p;
	char dir[256], src[512];
	int before = count_fds();

	pathf(dir, sizeof(dir), g_tmp, "vanishing");
	CHECK_EQ_INT(mkdir(dir, 0755), 0);
	snprintf(src, sizeof(src), "{\"fs\": {\"read\": [\"/usr\", \"%s\"]}}", dir);
	p = load(src, &err);
	CHECK(p != NULL);
	rmdir(dir);   /* gone between load and prepare */
	CHECK(sbx_prepare(p, SBX_DOOR_PRELOAD, 0, &pp, &err) < 0);
	CHECK(pp == NULL);
	CHECK_EQ_INT(err.code, SBX_EPATH);
	CHECK_STR(err.pointer, "/fs/read/1");
	CHECK_EQ_INT(count_fds(), before);
	/* The same path marked optional: skipped with a note. */
	snprintf(src, sizeof(src), "{\"fs\": {\"read\": [\"/usr\", {\"path\": \"%s\", "
		 "\"optional\": true}]}}", dir);
	sbx_policy_free(p);
	p = load(src, &err);
	CHECK(p != NULL);
	CHECK_EQ_INT(sbx_prepare(p, SBX_DOOR_PRELOAD, 0, &pp, &err), 0);
	CHECK(pp && pp->skipped.count >= 1 &&
	      strstr(pp->skipped.text[0], "vanishing") != NULL);
	CHECK_EQ_INT(pp ? pp->npaths : 0, 1);
	sbx_prepared_free(pp);
	sbx_policy_free(p);
}

TEST(prepared_free_closes_every_fd)
{
	struct sbx_error err;
	struct sbx_prepared *pp = NULL;
	struct sbx_policy *p = load("strict", &err);
	int before = count_fds();

	CHECK(p != NULL);
	CHECK_EQ_INT(sbx_prepare(p, SBX_DOOR_SELF, SBX_PREPARE_TSYNC, &pp, &err), 0);
	CHECK(pp && pp->landlock_fd >= 0 && pp->self_task_fd >= 0);
	/* the ruleset and the self door's /proc/self/task, nothing else */
	CHECK_EQ_INT(count_fds(), before + 2);
	sbx_prepared_free(pp);
	CHECK_EQ_INT(count_fds(), before);
	sbx_policy_free(p);
}

/* A right above the (pretended) ABI: enforce fails naming the rule,
 * best-effort drops it with a note and still enforces the rest. */
TEST(right_above_abi_enforce_vs_best_effort)
{
	struct sbx_error err;
	struct sbx_prepared *pp = NULL;
	struct sbx_policy *p;

	p = load("{\"fs\": {\"read\": [\"/usr\"], \"ioctlDev\": [\"/dev/null\"]}}", &err);
	CHECK(p != NULL);
	CHECK(sbx_prepare_at_abi(p, SBX_DOOR_PRELOAD, 0, 4, &pp, &err) < 0);
	CHECK_EQ_INT(err.code, SBX_EUNSUPPORTED);
	CHECK_STR(err.pointer, "/fs/ioctlDev/0");
	CHECK(strstr(err.message, "ioctl_dev") != NULL);
	/* The real kernel (ABI 5+) has it. */
	if (sbx_landlock_abi() >= 5) {
		CHECK_EQ_INT(sbx_prepare_at_abi(p, SBX_DOOR_PRELOAD, 0,
						sbx_landlock_abi(), &pp, &err), 0);
		sbx_prepared_free(pp);
	}
	sbx_policy_free(p);

	p = load("{\"fs\": {\"compat\": \"best-effort\", \"read\": [\"/usr\"], "
		 "\"ioctlDev\": [\"/dev/null\"]}}", &err);
	CHECK(p != NULL);
	CHECK_EQ_INT(sbx_prepare_at_abi(p, SBX_DOOR_PRELOAD, 0, 4, &pp, &err), 0);
	if (pp) {
		CHECK(pp->skipped.count >= 1 &&
		      strstr(pp->skipped.text[0], "ioctl_dev") != NULL);
		CHECK(!(pp->landlock.attr.handled_access_fs & LANDLOCK_ACCESS_FS_IOCTL_DEV));
		CHECK(pp->landlock.attr.handled_access_fs & LANDLOCK_ACCESS_FS_READ_FILE);
	}
	sbx_prepared_free(pp);
	sbx_policy_free(p);

	/* TCP ports on ABI 3: the net section's own compat decides. */
	p = load("{\"net\": {\"connect\": [443]}}", &err);
	CHECK(p != NULL);
	CHECK(sbx_prepare_at_abi(p, SBX_DOOR_PRELOAD, 0, 3, &pp, &err) < 0);
	CHECK_EQ_INT(err.code, SBX_EUNSUPPORTED);
	CHECK_STR(err.pointer, "/net/connect/0");
	sbx_policy_free(p);
	p = load("{\"fs\": {\"read\": [\"/usr\"]}, \"net\": {\"compat\": \"best-effort\", "
		 "\"connect\": [443]}}", &err);
	CHECK(p != NULL);
	CHECK_EQ_INT(sbx_prepare_at_abi(p, SBX_DOOR_PRELOAD, 0, 3, &pp, &err), 0);
	if (pp) {
		CHECK(pp->skipped.count == 1 &&
		      strstr(pp->skipped.text[0], "connect_tcp") != NULL);
		CHECK_EQ_INT(pp->landlock.attr.handled_access_net, 0);
		CHECK(pp->landlock.active);
	}
	sbx_prepared_free(pp);
	sbx_policy_free(p);

	/* No Landlock at all. */
	p = load("{\"fs\": {\"read\": [\"/usr\"]}}", &err);
	CHECK(p != NULL);
	CHECK(sbx_prepare_at_abi(p, SBX_DOOR_PRELOAD, 0, -ENOSYS, &pp, &err) < 0);
	CHECK_EQ_INT(err.code, SBX_EUNSUPPORTED);
	CHECK_STR(err.pointer, "/fs");
	sbx_policy_free(p);
}

/* Prepared for ABI 4 and best-effort, applied on this kernel: the rest is
 * enforced (read outside denied, read inside works). */
static void body_abi4(void *arg, struct child_out *o)
{
	char src[512];

	(void)arg;
	snprintf(src, sizeof(src), "{\"fs\": {\"compat\": \"best-effort\", "
		 "\"read\": [\"%s\"], \"ioctlDev\": [\"/dev/null\"]}}", g_cwd);
	confine(src, SBX_DOOR_PRELOAD, 0, 4, o);
	child_put(o, try_open(g_cwd, "in.txt", O_RDONLY));
	child_put(o, try_open(g_out, "secret.txt", O_RDONLY));
}

TEST(best_effort_lower_abi_still_enforces_the_rest)
{
	struct child_out *o = child_run(body_abi4, NULL, false);

	CHECK(child_ok(o));
	CHECK_EQ_INT(o->v[0], 0);
	CHECK_EQ_INT(o->v[1], EACCES);
	child_free(o);
}

TEST(self_door_refuses_spawn_only_sections)
{
	static const struct { const char *src, *pointer; } cases[] = {
		{ "{\"namespaces\": {\"user\": true}}", "/namespaces/user" },
		{ "{\"namespaces\": {\"net\": true, \"compat\": \"best-effort\"}}",
		  "/namespaces/net" },
		{ "{\"root\": \"empty\"}", "/root" },
		{ "{\"mounts\": [{\"type\": \"tmpfs\", \"target\": \"/tmp\"}]}", "/mounts/0" },
		{ "{\"hostname\": \"box\"}", "/hostname" },
		{ "{\"limits\": {\"memory\": \"64M\"}}", "/limits" },
	};
	struct sbx_error err;
	struct sbx_prepared *pp = NULL;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sbx_policy *p = load(cases[i].src, &err);

		CHECK(p != NULL);
		if (!p) {
			T_FAIL("%s: %s", cases[i].src, err.message);
			continue;
		}
		CHECK(sbx_prepare(p, SBX_DOOR_SELF, 0, &pp, &err) < 0);
		CHECK(pp == NULL);
		CHECK_EQ_INT(err.code, SBX_EUNSUPPORTED);
		CHECK_STR(err.pointer, cases[i].pointer);
		CHECK(strstr(err.message, "sbx.spawn()") != NULL);
		/* The spawn door takes them. */
		CHECK_EQ_INT(sbx_prepare(p, SBX_DOOR_SPAWN, 0, &pp, &err), 0);
		sbx_prepared_free(pp);
		pp = NULL;
		sbx_policy_free(p);
	}
	/* namespaces: false is not a request. */
	{
		struct sbx_policy *p = load("{\"namespaces\": {\"user\": false}, "
					    "\"env\": {\"clear\": true}}", &err);

		CHECK(p != NULL);
		CHECK_EQ_INT(sbx_prepare(p, SBX_DOOR_SELF, 0, &pp, &err), 0);
		CHECK(pp && pp->skipped.count == 1 &&
		      strstr(pp->skipped.text[0], "/env") != NULL);
		sbx_prepared_free(pp);
		sbx_policy_free(p);
	}
}

TEST(preload_door_refuses_in_enforce_and_skips_in_best_effort)
{
	struct sbx_error err;
	struct sbx_prepared *pp = NULL;
	struct sbx_policy *p = load("{\"namespaces\": {\"pid\": true}, "
				    "\"session\": \"new\"}", &err);

	CHECK(p != NULL);
	CHECK(sbx_prepare(p, SBX_DOOR_PRELOAD, 0, &pp, &err) < 0);
	CHECK_EQ_INT(err.code, SBX_EUNSUPPORTED);
	CHECK_STR(err.pointer, "/namespaces/pid");
	CHECK(strstr(err.message, "sbx run") != NULL);
	sbx_policy_free(p);

	p = load("{\"namespaces\": {\"pid\": true, \"compat\": \"best-effort\"}, "
		 "\"session\": \"new\", \"hostname\": \"box\"}", &err);
	CHECK(p != NULL);
	CHECK_EQ_INT(sbx_prepare(p, SBX_DOOR_PRELOAD, 0, &pp, &err), 0);
	CHECK(pp && pp->skipped.count == 3);
	if (pp) {
		CHECK(strstr(pp->skipped.text[0], "/namespaces/pid") != NULL);
		CHECK(strstr(pp->skipped.text[1], "/hostname") != NULL);
		CHECK(strstr(pp->skipped.text[2], "/session") != NULL);
	}
	sbx_prepared_free(pp);
	sbx_policy_free(p);
}

static const struct sbx_json *get(const struct sbx_json *o, const char *k, int type)
{
	const struct sbx_json *v = o ? sbx_json_get(o, k) : NULL;

	return v && (int)v->type == type ? v : NULL;
}

/* Whether report.enforced.landlock.fs has an entry for `path` granting
 * `right`. */
static bool report_grants(const struct sbx_json *fs, const char *path, const char *right)
{
	for (size_t i = 0; fs && i < fs->u.array.count; i++) {
		const struct sbx_json *e = fs->u.array.items[i];
		const struct sbx_json *pth = get(e, "path", SBX_JSON_STRING);
		const struct sbx_json *acc = get(e, "access", SBX_JSON_ARRAY);

		if (!pth || strcmp(pth->u.string.str, path) || !acc)
			continue;
		for (size_t j = 0; j < acc->u.array.count; j++)
			if (!strcmp(acc->u.array.items[j]->u.string.str, right))
				return true;
	}
	return false;
}

TEST(report_json_lists_what_is_enforced)
{
	struct sbx_error err;
	struct sbx_prepared *pp = NULL;
	struct sbx_policy *p = load("strict", &err);
	struct sbx_json_doc *doc = NULL;
	const struct sbx_json *root, *enf, *ll, *sc, *caps;
	char *json = NULL;

	CHECK(p != NULL);
	CHECK_EQ_INT(sbx_prepare(p, SBX_DOOR_PRELOAD, 0, &pp, &err), 0);
	sbx_policy_free(p);   /* the prepared sandbox owns what it needs */
	if (!pp) {
		T_FAIL("%s", err.message);
		return;
	}
	CHECK_EQ_INT(sbx_prepared_report_json(pp, &json, &err), 0);
	if (!json) {
		T_FAIL("%s", err.message);
		sbx_prepared_free(pp);
		return;
	}
	CHECK_EQ_INT(sbx_json_parse(json, strlen(json), NULL, &doc, &err), 0);
	root = doc ? sbx_json_doc_root(doc) : NULL;
	CHECK_STR(get(root, "door", SBX_JSON_STRING) ?
		  get(root, "door", SBX_JSON_STRING)->u.string.str : NULL, "preload");
	CHECK_STR(get(root, "state", SBX_JSON_STRING) ?
		  get(root, "state", SBX_JSON_STRING)->u.string.str : NULL, "prepared");
	enf = get(root, "enforced", SBX_JSON_OBJECT);
	CHECK(enf != NULL);
	CHECK(get(enf, "noNewPrivs", SBX_JSON_BOOL) &&
	      get(enf, "noNewPrivs", SBX_JSON_BOOL)->u.boolean);
	CHECK(get(get(enf, "rlimits", SBX_JSON_OBJECT), "core", SBX_JSON_NUMBER) != NULL);
	caps = get(enf, "capabilities", SBX_JSON_OBJECT);
	CHECK(caps && get(caps, "keep", SBX_JSON_ARRAY) &&
	      get(caps, "keep", SBX_JSON_ARRAY)->u.array.count == 0);
	ll = get(enf, "landlock", SBX_JSON_OBJECT);
	CHECK(ll != NULL);
	CHECK(get(ll, "abi", SBX_JSON_NUMBER) &&
	      (int)get(ll, "abi", SBX_JSON_NUMBER)->u.number.u64 == sbx_landlock_abi());
	CHECK(report_grants(get(ll, "fs", SBX_JSON_ARRAY), g_cwd, "write_file"));
	CHECK(report_grants(get(ll, "fs", SBX_JSON_ARRAY), "/usr", "execute"));
	CHECK(!report_grants(get(ll, "fs", SBX_JSON_ARRAY), "/usr", "write_file"));
	CHECK(get(ll, "scopes", SBX_JSON_ARRAY) &&
	      get(ll, "scopes", SBX_JSON_ARRAY)->u.array.count ==
	      (sbx_landlock_abi() >= 6 ? 2 : 0));
	sc = get(enf, "seccomp", SBX_JSON_OBJECT);
	CHECK(sc && get(sc, "instructions", SBX_JSON_NUMBER) &&
	      get(sc, "instructions", SBX_JSON_NUMBER)->u.number.u64 ==
	      pp->compiled->insn_count);
	CHECK(get(root, "skipped", SBX_JSON_ARRAY) != NULL);
	CHECK(get(root, "notes", SBX_JSON_ARRAY) != NULL);
	sbx_json_doc_free(doc);
	free(json);
	sbx_prepared_free(pp);
}

/* After apply, in the child: state "applied". */
static void body_report(void *arg, struct child_out *o)
{
	struct sbx_prepared *pp = confine("strict", SBX_DOOR_PRELOAD, 0,
					  sbx_landlock_abi(), o);
	struct sbx_error err;
	char *json = NULL;

	(void)arg;
	if (sbx_prepared_report_json(pp, &json, &err))
		_exit(11);
	snprintf(o->msg, sizeof(o->msg), "%s", json);
	child_put(o, (int)pp->result.enforced);
	free(json);
}

TEST(report_after_apply_says_applied)
{
	struct child_out *o = child_run(body_report, NULL, false);

	CHECK(child_ok(o));
	CHECK(strstr(o->msg, "\"state\":\"applied\"") ||
	      strstr(o->msg, "\"state\": \"applied\""));
	CHECK(o->v[0] & SBX_STEP_BIT(SBX_STEP_SECCOMP));
	CHECK(o->v[0] & SBX_STEP_BIT(SBX_STEP_LANDLOCK));
	child_free(o);
}

/* A thread started before apply: with TSYNC it gets the filter too. */
struct waiter {
	int fd;          /* read end: the thread blocks until told to go */
	pid_t tid;
};

static void *wait_thread(void *arg)
{
	struct waiter *w = arg;
	char c;

	w->tid = (pid_t)syscall(SYS_gettid);
	if (read(w->fd, &c, 1) < 0)
		return NULL;
	return NULL;
}

static void body_tsync(void *arg, struct child_out *o)
{
	unsigned flags = *(unsigned *)arg;
	struct waiter w = { -1, 0 };
	int pfd[2];
	pthread_t th;
	char path[64];

	if (pipe(pfd) || (w.fd = pfd[0], pthread_create(&th, NULL, wait_thread, &w)))
		_exit(12);
	while (!__atomic_load_n(&w.tid, __ATOMIC_SEQ_CST))
		usleep(1000);
	confine("strict", SBX_DOOR_SELF, flags, sbx_landlock_abi(), o);
	snprintf(path, sizeof(path), "/proc/self/task/%d/status", (int)w.tid);
	child_put(o, (int)child_status_field(path, "Seccomp", 10));
	child_put(o, (int)child_status_field(path, "NoNewPrivs", 10));
	child_put(o, (int)child_status_field("/proc/self/status", "Seccomp", 10));
	if (write(pfd[1], "x", 1) != 1)
		_exit(13);
	pthread_join(th, NULL);
}

TEST(tsync_reaches_another_thread)
{
	unsigned tsync = SBX_PREPARE_TSYNC, none = 0;
	struct child_out *o = child_run(body_tsync, &tsync, false);

	CHECK(child_ok(o));
	CHECK_EQ_INT(o->v[0], 2);
	CHECK_EQ_INT(o->v[1], 1);
	CHECK_EQ_INT(o->v[2], 2);
	child_free(o);
	/* Control: without the flag the other thread is not filtered. */
	o = child_run(body_tsync, &none, false);
	CHECK(child_ok(o));
	CHECK_EQ_INT(o->v[0], 0);
	CHECK_EQ_INT(o->v[2], 2);
	child_free(o);
}

/* report: true + listener: a denied socket() reaches the supervisor, which
 * answers with the policy's errno from the model; allowed calls never
 * reach it. */
static void body_listener(void *arg, struct child_out *o)
{
	struct sbx_prepared *pp;
	int lfd, st, socket_seen = 0, other = 0;
	pid_t pid;

	(void)arg;
	pp = confine("{\"extends\": \"strict\", \"report\": true}",
		     SBX_DOOR_PRELOAD, SBX_PREPARE_LISTENER, sbx_landlock_abi(), o);
	lfd = sbx_prepared_listener_fd(pp);
	child_put(o, lfd >= 0);
	child_put(o, pp->notify_denials);
	pid = fork();
	if (pid == 0) {
		int fd = socket(AF_INET, SOCK_STREAM, 0), sv[2];

		if (fd >= 0)
			_exit(0);
		if (errno != EPERM)
			_exit(errno);
		_exit(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) ? 99 : 42);
	}
	for (int i = 0; i < 200; i++) {
		struct pollfd pf = { lfd, POLLIN, 0 };
		struct seccomp_notif req;
		struct seccomp_notif_resp resp;
		uint32_t ret = 0;

		if (waitpid(pid, &st, WNOHANG) == pid)
			goto done;
		if (poll(&pf, 1, 50) <= 0 || !(pf.revents & POLLIN))
			continue;
		memset(&req, 0, sizeof(req));
		if (ioctl(lfd, SECCOMP_IOCTL_NOTIF_RECV, &req))
			continue;
		memset(&resp, 0, sizeof(resp));
		resp.id = req.id;
		if (sbx_prepared_denial_ret(pp, req.data.arch, (uint32_t)req.data.nr,
					    (const uint64_t *)req.data.args, &ret))
			_exit(14);
		if ((ret & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_ERRNO)
			resp.error = -(int)(ret & SECCOMP_RET_DATA);
		else
			resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
		if (req.data.nr == __NR_socket && req.data.args[0] == AF_INET)
			socket_seen++;
		else
			other++;
		ioctl(lfd, SECCOMP_IOCTL_NOTIF_SEND, &resp);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
done:
	child_put(o, WIFEXITED(st) ? WEXITSTATUS(st) : 300);
	child_put(o, socket_seen);
	(void)other;
}

TEST(report_with_listener_notifies_denials)
{
	struct child_out *o = child_run(body_listener, NULL, false);

	CHECK(child_ok(o));
	if (!child_ok(o))
		T_FAIL("child: 0x%x %s", o->status, o->msg);
	CHECK_EQ_INT(o->v[0], 1);
	CHECK_EQ_INT(o->v[1], 1);
	CHECK_EQ_INT(o->v[2], 42);   /* socket -> EPERM (answered), socketpair ok */
	CHECK_EQ_INT(o->v[3], 1);
	child_free(o);
}

/* A door's inputs (the spawn door's egress ports and home/git grants) join
 * the plan, never the policy, which stays as loaded. */
static size_t rules_for(const struct sbx_prepared *pp, const char *path, const char *pointer)
{
	size_t n = 0;

	for (size_t i = 0; i < pp->npaths; i++)
		n += !strcmp(pp->paths[i].path, path) && pp->paths[i].pointer &&
		     !strcmp(pp->paths[i].pointer, pointer);
	return n;
}

TEST(door_inputs_join_the_plan_not_the_policy)
{
	static const uint16_t ports[] = { 1111, 2222 };
	static const struct sbx_prepare_grant grants[] = {
		{ .path = "/tmp", .pointer = "/home", .read = true, .write = true },
		{ .path = "/usr", .pointer = "/git", .read = true, .exec = true },
		{ .path = "/tmp", .pointer = "/git", .read = true },
	};
	struct sbx_prepare_inputs in = { .connect = ports, .nconnect = 2, .grants = grants,
					  .ngrants = 3 };
	struct sbx_error err;
	struct sbx_policy *p = load("{\"fs\": {\"read\": [\"/usr\"]}, \"net\": {\"connect\": [443]}}",
				    &err);
	struct sbx_prepared *pp = NULL;

	CHECK(p != NULL);
	if (!p)
		return;
	CHECK_EQ_INT(sbx_prepare_with(p, SBX_DOOR_SPAWN, &in, 4, &pp, &err), 0);
	if (pp) {
		CHECK_EQ_INT(pp->nports, 3);
		if (pp->nports == 3) {
			CHECK_EQ_INT(pp->ports[0].port, 443);
			CHECK_EQ_INT(pp->ports[1].port, 1111);
			CHECK_STR(pp->ports[2].pointer, "/net/connect/2");
		}
		/* /usr read from the policy, /tmp read and write (the first
		 * grant), /usr exec; the read of /usr and the second grant of
		 * /tmp are there already. */
		CHECK_EQ_INT(pp->npaths, 4);
		CHECK_EQ_INT(rules_for(pp, "/tmp", "/home"), 2);
		CHECK_EQ_INT(rules_for(pp, "/usr", "/git"), 1);
		CHECK_EQ_INT(rules_for(pp, "/tmp", "/git"), 0);
		CHECK(pp->in == NULL && pp->net == NULL);
	}
	sbx_prepared_free(pp);
	pp = NULL;
	CHECK_EQ_INT(p->net.connect.count, 1);
	CHECK_EQ_INT(p->fs.rights[SBX_FS_READ].count, 1);
	CHECK_EQ_INT(p->fs.rights[SBX_FS_WRITE].count, 0);
	sbx_policy_free(p);

	/* No connect list: every port is allowed, the door's add nothing;
	 * no fs section: no Landlock domain, the grants add none. */
	p = load("{\"net\": {\"bind\": [8080]}}", &err);
	CHECK(p != NULL);
	if (p && !sbx_prepare_with(p, SBX_DOOR_SPAWN, &in, 4, &pp, &err)) {
		CHECK_EQ_INT(pp->nports, 1);
		CHECK_EQ_INT(pp->npaths, 0);
		CHECK(!(pp->plan.landlock.handled_net & LANDLOCK_ACCESS_NET_CONNECT_TCP));
	}
	sbx_prepared_free(pp);
	sbx_policy_free(p);
}

TEST(apply_twice_is_refused)
{
	struct sbx_error err;
	struct sbx_prepared pp;

	memset(&pp, 0, sizeof(pp));
	pp.applied = true;
	CHECK(sbx_prepared_apply(&pp, &err) < 0);
	CHECK_EQ_INT(err.code, SBX_EINVAL);
	CHECK_EQ_INT(sbx_prepared_listener_fd(NULL), -1);
}

int main(void)
{
	return t_run();
}
