/* Landlock: prepare / build / restrict, enforced in forked children, each
 * denial checked next to an allowed neighbour, as root and as 65534. */
#include "landlock.h"
#include "t.h"
#include "child.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#define FS_READ (LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR)
#define FS_WRITE (LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_MAKE_REG | \
		  LANDLOCK_ACCESS_FS_REMOVE_FILE)
#define FS_EXEC LANDLOCK_ACCESS_FS_EXECUTE

static int g_abi;
static char g_dir[64];          /* fixture root: allowed/, denied/ */

static void path_of(char *buf, size_t cap, const char *rel)
{
	snprintf(buf, cap, "%s/%s", g_dir, rel);
}

static int copy_file(const char *from, const char *to)
{
	char buf[65536];
	int in = open(from, O_RDONLY | O_CLOEXEC), out;
	ssize_t n;

	if (in < 0)
		return -1;
	out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	if (out < 0) {
		close(in);
		return -1;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			n = -1;
	close(in);
	close(out);
	return n < 0 ? -1 : 0;
}

static void put_file(const char *rel, mode_t mode)
{
	char p[256];
	int fd;

	path_of(p, sizeof(p), rel);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, mode);
	if (fd >= 0) {
		if (write(fd, "hello\n", 6) != 6)
			perror("write");
		fchmod(fd, mode);
		close(fd);
	}
}

/* Directories are world-writable so that, as 65534, only Landlock (never
 * the file mode) can be what denies a write. */
__attribute__((constructor(200))) static void fixture(void)
{
	char p[256];

	g_abi = sbx_landlock_abi();
	snprintf(g_dir, sizeof(g_dir), "/tmp/sbx-ll-XXXXXX");
	if (!mkdtemp(g_dir))
		abort();
	chmod(g_dir, 0755);
	path_of(p, sizeof(p), "allowed");
	mkdir(p, 0777);
	chmod(p, 0777);
	path_of(p, sizeof(p), "denied");
	mkdir(p, 0777);
	chmod(p, 0777);
	put_file("allowed/a.txt", 0666);
	put_file("allowed/c.txt", 0666);
	put_file("denied/b.txt", 0666);
	path_of(p, sizeof(p), "allowed/true");
	copy_file("/bin/true", p);
	path_of(p, sizeof(p), "denied/true");
	copy_file("/bin/true", p);
}

__attribute__((destructor)) static void fixture_done(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", g_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "# could not remove %s\n", g_dir);
}

struct job {
	struct sbx_landlock_plan plan;
	struct sbx_landlock_path_rule rules[8];
	struct sbx_landlock_net_rule ports[4];
	int abi;                  /* 0: the real one */
	int ports_arg[4];         /* test-specific: ports to probe */
};

static void job_init(struct job *j, uint64_t handled_fs)
{
	memset(j, 0, sizeof(*j));
	j->plan.present = true;
	j->plan.handled_fs = handled_fs;
	j->plan.paths = j->rules;
	j->plan.ports = j->ports;
	j->plan.fs_pointer = "/fs";
	j->plan.net_pointer = "/net";
	j->plan.scope_pointer = "/net/unix";
}

static void job_path(struct job *j, const char *path, uint64_t access,
		     bool optional, const char *pointer)
{
	struct sbx_landlock_path_rule *r = &j->rules[j->plan.npaths++];

	r->path = path;
	r->access = access;
	r->optional = optional;
	r->pointer = pointer;
}

/* Child side: no_new_privs + the Landlock part; records 0 or the error
 * code; stops the body (exit 3) when the restriction failed. */
static void child_confine(struct job *j, struct child_out *o)
{
	struct sbx_error err;
	int r;

	sbx_error_clear(&err);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		_exit(2);
	r = sbx_landlock_apply(&j->plan, j->abi ? j->abi : g_abi, NULL, &err);
	if (r) {
		snprintf(o->msg, sizeof(o->msg), "%s: %s",
			 sbx_code_name(err.code), err.message);
		_exit(3);
	}
}

static int try_open(const char *rel, int flags)
{
	char p[256];
	int fd;

	path_of(p, sizeof(p), rel);
	fd = open(p, flags | O_CLOEXEC, 0666);
	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

static int try_exec(const char *rel)
{
	char p[256];
	pid_t pid;
	int st;

	path_of(p, sizeof(p), rel);
	pid = fork();
	if (pid == 0) {
		char *argv[] = { p, NULL }, *envp[] = { NULL };
		execve(p, argv, envp);
		_exit(100 + errno);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st) >= 100 ? WEXITSTATUS(st) - 100
				      : WEXITSTATUS(st);
}

#define SKIP_WITHOUT_ABI(n)                                                  \
	do {                                                                 \
		if (g_abi < (n)) {                                           \
			printf("# skip: Landlock ABI %d < %d\n", g_abi, (n)); \
			return;                                              \
		}                                                            \
	} while (0)

static void report(const struct child_out *o)
{
	if (!child_ok(o))
		printf("#   child status 0x%x: %s\n", o ? o->status : -1,
		       o ? o->msg : "");
}

/* ---- filesystem ------------------------------------------------------- */

static void body_read(void *arg, struct child_out *o)
{
	struct job *j = arg;
	char dir[256];

	child_confine(j, o);
	child_put(o, try_open("allowed/a.txt", O_RDONLY));
	child_put(o, try_open("allowed", O_RDONLY | O_DIRECTORY));
	child_put(o, try_open("denied/b.txt", O_RDONLY));
	child_put(o, try_open("denied", O_RDONLY | O_DIRECTORY));
	path_of(dir, sizeof(dir), "");
	child_put(o, CHILD_ERRNO(open("/etc/hostname", O_RDONLY)));
}

static void check_read(bool nobody)
{
	struct job j;
	char allowed[256];
	struct child_out *o;

	SKIP_WITHOUT_ABI(1);
	path_of(allowed, sizeof(allowed), "allowed");
	job_init(&j, FS_READ);
	job_path(&j, allowed, FS_READ, false, "/fs/read/0");
	o = child_run(body_read, &j, nobody);
	report(o);
	CHECK(child_ok(o));
	CHECK_EQ_INT(o->n, 5);
	CHECK_EQ_INT(o->v[0], 0);          /* the allowed neighbour */
	CHECK_EQ_INT(o->v[1], 0);
	CHECK_EQ_INT(o->v[2], EACCES);     /* outside the allowed dir */
	CHECK_EQ_INT(o->v[3], EACCES);
	CHECK_EQ_INT(o->v[4], EACCES);
	child_free(o);
}

TEST(landlock_read_allowed_under_dir_denied_outside) { check_read(false); }
TEST(landlock_read_allowed_under_dir_denied_outside_unprivileged) { check_read(true); }

static void body_write(void *arg, struct child_out *o)
{
	child_confine(arg, o);
	child_put(o, try_open("allowed/a.txt", O_WRONLY));
	child_put(o, try_open("allowed/new.txt", O_WRONLY | O_CREAT));
	child_put(o, try_open("denied/b.txt", O_WRONLY));
	child_put(o, try_open("denied/new.txt", O_WRONLY | O_CREAT));
	child_put(o, try_open("denied/b.txt", O_RDONLY)); /* read: unhandled */
}

static void check_write(bool nobody)
{
	struct job j;
	char allowed[256], p[256];
	struct child_out *o;

	SKIP_WITHOUT_ABI(1);
	path_of(allowed, sizeof(allowed), "allowed");
	job_init(&j, FS_WRITE);
	job_path(&j, allowed, FS_WRITE, false, "/fs/write/0");
	o = child_run(body_write, &j, nobody);
	report(o);
	CHECK(child_ok(o));
	CHECK_EQ_INT(o->n, 5);
	CHECK_EQ_INT(o->v[0], 0);
	CHECK_EQ_INT(o->v[1], 0);
	CHECK_EQ_INT(o->v[2], EACCES);
	CHECK_EQ_INT(o->v[3], EACCES);
	CHECK_EQ_INT(o->v[4], 0);
	child_free(o);
	path_of(p, sizeof(p), "allowed/new.txt");
	unlink(p);
	path_of(p, sizeof(p), "denied/new.txt");
	CHECK(access(p, F_OK) != 0);
}

TEST(landlock_write_allowed_and_denied) { check_write(false); }
TEST(landlock_write_allowed_and_denied_unprivileged) { check_write(true); }

static void body_exec(void *arg, struct child_out *o)
{
	child_confine(arg, o);
	child_put(o, try_exec("allowed/true"));
	child_put(o, try_exec("denied/true"));
}

static void check_exec(bool nobody)
{
	static const char *const sys[] = { "/usr", "/lib", "/lib64", "/bin",
					   "/etc" };
	struct job j;
	char allowed[256];
	struct child_out *o;
	size_t i;

	SKIP_WITHOUT_ABI(1);
	path_of(allowed, sizeof(allowed), "allowed");
	job_init(&j, FS_EXEC | FS_READ);
	/* the dynamic loader and libc must stay readable and mappable */
	for (i = 0; i < sizeof(sys) / sizeof(sys[0]); i++)
		job_path(&j, sys[i], FS_EXEC | FS_READ, true, "/fs/exec/0");
	job_path(&j, allowed, FS_EXEC | FS_READ, false, "/fs/exec/1");
	o = child_run(body_exec, &j, nobody);
	report(o);
	CHECK(child_ok(o));
	CHECK_EQ_INT(o->n, 2);
	CHECK_EQ_INT(o->v[0], 0);          /* /bin/true copy ran and exited 0 */
	CHECK_EQ_INT(o->v[1], EACCES);
	child_free(o);
}

TEST(landlock_exec_allowed_dir_and_denied_copy) { check_exec(false); }
TEST(landlock_exec_allowed_dir_and_denied_copy_unprivileged) { check_exec(true); }

static void body_single_file(void *arg, struct child_out *o)
{
	child_confine(arg, o);
	child_put(o, try_open("allowed/a.txt", O_RDONLY));
	child_put(o, try_open("allowed/c.txt", O_RDONLY));
	child_put(o, try_open("allowed", O_RDONLY | O_DIRECTORY));
}

TEST(landlock_single_file_rule_trims_directory_rights)
{
	struct job j;
	char file[256];
	struct child_out *o;

	SKIP_WITHOUT_ABI(1);
	path_of(file, sizeof(file), "allowed/a.txt");
	job_init(&j, FS_READ);
	/* read_dir on a file would be EINVAL from the kernel: must be trimmed */
	job_path(&j, file, FS_READ, false, "/fs/read/0");
	o = child_run(body_single_file, &j, true);
	report(o);
	CHECK(child_ok(o));
	CHECK_EQ_INT(o->v[0], 0);
	CHECK_EQ_INT(o->v[1], EACCES);
	CHECK_EQ_INT(o->v[2], EACCES);
	child_free(o);
}

TEST(landlock_rule_with_only_dir_rights_on_file_is_skipped_with_note)
{
	struct job j;
	struct sbx_landlock_prepared p;
	struct sbx_notebuf notes;
	struct sbx_error err;
	char file[256];
	int fd = -1;

	SKIP_WITHOUT_ABI(1);
	path_of(file, sizeof(file), "allowed/a.txt");
	job_init(&j, FS_READ);
	job_path(&j, file, LANDLOCK_ACCESS_FS_READ_DIR, false, "/fs/x/0");
	memset(&notes, 0, sizeof(notes));
	CHECK_EQ_INT(sbx_landlock_prepare(&j.plan, g_abi, &p, &notes, &err), 0);
	CHECK_EQ_INT(sbx_landlock_build(&p, &fd, &notes, &err), 0);
	CHECK(fd >= 0);
	CHECK_EQ_INT(notes.count, 1);
	CHECK(strstr(notes.text[0], "not a directory") != NULL);
	CHECK(strstr(notes.text[0], "/fs/x/0") != NULL);
	if (fd >= 0)
		close(fd);
}

/* ---- paths: missing, optional, relative -------------------------------- */

TEST(landlock_missing_path_is_an_error_naming_the_pointer)
{
	struct job j;
	struct sbx_landlock_prepared p;
	struct sbx_error err;
	char missing[256];

	SKIP_WITHOUT_ABI(1);
	path_of(missing, sizeof(missing), "nope/deeper");
	job_init(&j, FS_READ);
	job_path(&j, missing, FS_READ, false, "/fs/read/3");
	CHECK_EQ_INT(sbx_landlock_prepare(&j.plan, g_abi, &p, NULL, &err),
		     -ENOENT);
	CHECK_STR(sbx_code_name(err.code), "SBX_EPATH");
	CHECK_STR(err.pointer, "/fs/read/3");
	CHECK(strstr(err.message, missing) != NULL);
	CHECK(strstr(err.message, "optional") != NULL);
}

static void body_optional(void *arg, struct child_out *o)
{
	struct job *j = arg;
	struct sbx_notebuf notes;
	struct sbx_error err;

	memset(&notes, 0, sizeof(notes));
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		_exit(2);
	child_put(o, sbx_landlock_apply(&j->plan, g_abi, &notes, &err));
	child_put(o, (int)notes.count);
	snprintf(o->msg, sizeof(o->msg), "%s", notes.count ? notes.text[0] : "");
	child_put(o, try_open("allowed/a.txt", O_RDONLY));
	child_put(o, try_open("denied/b.txt", O_RDONLY));
}

TEST(landlock_optional_missing_path_is_a_note_and_rest_enforced)
{
	struct job j;
	char allowed[256], missing[256];
	struct child_out *o;

	SKIP_WITHOUT_ABI(1);
	path_of(allowed, sizeof(allowed), "allowed");
	path_of(missing, sizeof(missing), "nope");
	job_init(&j, FS_READ);
	job_path(&j, missing, FS_READ, true, "/fs/read/0");
	job_path(&j, allowed, FS_READ, false, "/fs/read/1");
	o = child_run(body_optional, &j, false);
	CHECK(child_ok(o));
	CHECK_EQ_INT(o->v[0], 0);
	CHECK_EQ_INT(o->v[1], 1);
	CHECK(strstr(o->msg, "optional") && strstr(o->msg, "/fs/read/0"));
	CHECK_EQ_INT(o->v[2], 0);
	CHECK_EQ_INT(o->v[3], EACCES);
	child_free(o);
}

TEST(landlock_relative_path_is_an_error)
{
	struct job j;
	struct sbx_landlock_prepared p;
	struct sbx_error err;

	job_init(&j, FS_READ);
	job_path(&j, "usr/lib", FS_READ, true, "/fs/read/0");
	CHECK(sbx_landlock_prepare(&j.plan, 7, &p, NULL, &err) < 0);
	CHECK_STR(sbx_code_name(err.code), "SBX_EPATH");
	CHECK_STR(err.pointer, "/fs/read/0");
}

static int count_fds(void)
{
	char p[64];
	int n = 0, fd;

	for (fd = 0; fd < 1024; fd++) {
		snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
		if (access(p, F_OK) == 0)
			n++;
	}
	return n;
}

/* Build changes no process state, so this one runs in the test process. */
TEST(landlock_build_error_closes_every_fd)
{
	struct job j;
	struct sbx_landlock_prepared p;
	struct sbx_error err;
	char allowed[256], gone[256];
	int fd = 123, before;

	SKIP_WITHOUT_ABI(1);
	path_of(allowed, sizeof(allowed), "allowed");
	path_of(gone, sizeof(gone), "gone");
	mkdir(gone, 0755);
	job_init(&j, FS_READ);
	job_path(&j, allowed, FS_READ, false, "/fs/read/0");
	job_path(&j, gone, FS_READ, false, "/fs/read/1");
	CHECK_EQ_INT(sbx_landlock_prepare(&j.plan, g_abi, &p, NULL, &err), 0);
	rmdir(gone);   /* vanishes between compile and apply */
	before = count_fds();
	CHECK_EQ_INT(sbx_landlock_build(&p, &fd, NULL, &err), -ENOENT);
	CHECK_EQ_INT(fd, -1);
	CHECK_STR(err.pointer, "/fs/read/1");
	CHECK_EQ_INT(count_fds(), before);
}

TEST(landlock_restrict_without_no_new_privs_fails_unprivileged)
{
	struct job j;
	struct sbx_landlock_prepared p;
	struct sbx_error err;
	struct child_out *o;
	char allowed[256];
	int fd;

	SKIP_WITHOUT_ABI(1);
	if (!child_is_root()) {
		printf("# skip: needs root to become 65534\n");
		return;
	}
	path_of(allowed, sizeof(allowed), "allowed");
	job_init(&j, FS_READ);
	job_path(&j, allowed, FS_READ, false, "/fs/read/0");
	CHECK_EQ_INT(sbx_landlock_prepare(&j.plan, g_abi, &p, NULL, &err), 0);
	CHECK_EQ_INT(sbx_landlock_build(&p, &fd, NULL, &err), 0);
	/* the child inherits the built fd: the self door's pattern */
	o = mmap(NULL, sizeof(*o), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (o == MAP_FAILED)
		return;
	memset(o, 0, sizeof(*o));
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		gid_t g = CHILD_NOBODY;
		if (setgroups(1, &g) || setresgid(g, g, g) ||
		    setresuid(g, g, g))
			_exit(90);
		o->v[0] = sbx_landlock_restrict(&p, fd, 0, &err);
		snprintf(o->msg, sizeof(o->msg), "%s", err.message);
		o->v[1] = try_open("denied/b.txt", O_RDONLY);
		_exit(0);
	}
	waitpid(pid, &o->status, 0);
	close(fd);
	CHECK(child_ok(o));
	CHECK_EQ_INT(o->v[0], -EPERM);
	CHECK(strstr(o->msg, "no_new_privs") != NULL);
	CHECK_EQ_INT(o->v[1], 0);      /* nothing was enforced */
	child_free(o);
}

/* ---- network ------------------------------------------------------------ */

static int tcp_listener(uint16_t *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) ||
	    listen(s, 8) || getsockname(s, (struct sockaddr *)&a, &len))
		return -1;
	*port = ntohs(a.sin_port);
	return s;
}

static uint16_t free_port(void)
{
	uint16_t p = 0;
	int s = tcp_listener(&p);

	if (s >= 0)
		close(s);
	return p;
}

static int try_tcp(uint16_t port, bool do_bind)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), r;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons(port);
	if (s < 0)
		return errno;
	if (do_bind)
		r = CHILD_ERRNO(bind(s, (struct sockaddr *)&a, sizeof(a)));
	else
		r = CHILD_ERRNO(connect(s, (struct sockaddr *)&a, sizeof(a)));
	close(s);
	return r;
}

static void body_tcp(void *arg, struct child_out *o)
{
	struct job *j = arg;

	child_confine(j, o);
	child_put(o, try_tcp((uint16_t)j->ports_arg[0], false));
	child_put(o, try_tcp((uint16_t)j->ports_arg[1], false));
	child_put(o, try_tcp((uint16_t)j->ports_arg[2], true));
	child_put(o, try_tcp((uint16_t)j->ports_arg[3], true));
}

static void check_tcp(bool nobody)
{
	struct job j;
	struct child_out *o;
	uint16_t p1, p2;
	int l1, l2;

	SKIP_WITHOUT_ABI(4);
	l1 = tcp_listener(&p1);
	l2 = tcp_listener(&p2);
	CHECK(l1 >= 0 && l2 >= 0);
	job_init(&j, 0);
	j.ports[0] = (struct sbx_landlock_net_rule){ p1,
		LANDLOCK_ACCESS_NET_CONNECT_TCP, "/net/connect/0" };
	j.ports_arg[0] = p1;
	j.ports_arg[1] = p2;
	j.ports_arg[2] = free_port();
	do
		j.ports_arg[3] = free_port();
	while (j.ports_arg[3] == j.ports_arg[2]);
	j.ports[1] = (struct sbx_landlock_net_rule){ (uint16_t)j.ports_arg[2],
		LANDLOCK_ACCESS_NET_BIND_TCP, "/net/bind/0" };
	j.plan.nports = 2;
	o = child_run(body_tcp, &j, nobody);
	report(o);
	CHECK(child_ok(o));
	CHECK_EQ_INT(o->v[0], 0);
	CHECK_EQ_INT(o->v[1], EACCES);
	CHECK_EQ_INT(o->v[2], 0);
	CHECK_EQ_INT(o->v[3], EACCES);
	child_free(o);
	close(l1);
	close(l2);
}

TEST(landlock_tcp_connect_and_bind_ports) { check_tcp(false); }
TEST(landlock_tcp_connect_and_bind_ports_unprivileged) { check_tcp(true); }

/* ---- scopes -------------------------------------------------------------- */

static int abstract_addr(struct sockaddr_un *a, const char *name)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	memcpy(a->sun_path + 1, name, strlen(name));
	return (int)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(name));
}

static int unix_listen(const char *name)
{
	struct sockaddr_un a;
	int len = abstract_addr(&a, name);
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (s < 0 || bind(s, (struct sockaddr *)&a, (socklen_t)len) ||
	    listen(s, 4))
		return -1;
	return s;
}

static int unix_try(const char *name)
{
	struct sockaddr_un a;
	int len = abstract_addr(&a, name);
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), r;

	if (s < 0)
		return errno;
	r = CHILD_ERRNO(connect(s, (struct sockaddr *)&a, (socklen_t)len));
	close(s);
	return r;
}

static char g_unix_name[64];

static void body_unix(void *arg, struct child_out *o)
{
	char own[80];

	child_put(o, unix_try(g_unix_name));      /* before: reachable */
	child_confine(arg, o);
	child_put(o, unix_try(g_unix_name));      /* after: outside domain */
	snprintf(own, sizeof(own), "%s-own", g_unix_name);
	if (unix_listen(own) < 0)
		_exit(4);
	child_put(o, unix_try(own));              /* own domain: allowed */
}

static void check_unix(bool nobody)
{
	struct job j;
	struct child_out *o;
	int l;

	SKIP_WITHOUT_ABI(6);
	snprintf(g_unix_name, sizeof(g_unix_name), "sbx-test-%d-%d",
		 (int)getpid(), nobody);
	l = unix_listen(g_unix_name);
	CHECK(l >= 0);
	job_init(&j, 0);
	j.plan.scoped = LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET;
	o = child_run(body_unix, &j, nobody);
	report(o);
	CHECK(child_ok(o));
	CHECK_EQ_INT(o->v[0], 0);
	CHECK_EQ_INT(o->v[1], EPERM);
	CHECK_EQ_INT(o->v[2], 0);
	child_free(o);
	close(l);
}

TEST(landlock_scope_abstract_unix_socket) { check_unix(false); }
TEST(landlock_scope_abstract_unix_socket_unprivileged) { check_unix(true); }

/* A process that waits until its pipe closes: a signal target with the
 * same uid, that needs no signal to go away. */
static pid_t sleeper(int *wfd)
{
	int p[2];
	pid_t pid;
	char c;

	if (pipe2(p, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid == 0) {
		close(p[1]);
		while (read(p[0], &c, 1) > 0)
			;
		_exit(0);
	}
	close(p[0]);
	*wfd = p[1];
	return pid;
}

static void body_signal(void *arg, struct child_out *o)
{
	int w1 = -1, w2 = -1;
	pid_t outside = sleeper(&w1), inside;

	child_confine(arg, o);
	inside = sleeper(&w2);
	child_put(o, CHILD_ERRNO(kill(outside, 0)));
	child_put(o, CHILD_ERRNO(kill(inside, 0)));
	child_put(o, CHILD_ERRNO(kill(getpid(), 0)));
	child_put(o, CHILD_ERRNO(kill(getppid(), 0)));
	close(w1);
	close(w2);
	waitpid(outside, NULL, 0);
	waitpid(inside, NULL, 0);
}

static void check_signal(bool nobody)
{
	struct job j;
	struct child_out *o;

	SKIP_WITHOUT_ABI(6);
	job_init(&j, 0);
	j.plan.scoped = LANDLOCK_SCOPE_SIGNAL;
	o = child_run(body_signal, &j, nobody);
	report(o);
	CHECK(child_ok(o));
	CHECK_EQ_INT(o->v[0], EPERM);  /* same uid, created before: outside */
	CHECK_EQ_INT(o->v[1], 0);      /* created after: inside the domain */
	CHECK_EQ_INT(o->v[2], 0);      /* itself */
	CHECK_EQ_INT(o->v[3], EPERM);  /* the parent */
	child_free(o);
}

TEST(landlock_scope_signal) { check_signal(false); }
TEST(landlock_scope_signal_unprivileged) { check_signal(true); }

/* ---- ABI: enforce vs best-effort ------------------------------------------ */

static void net_job(struct job *j, char *allowed, uint16_t port)
{
	job_init(j, FS_READ);
	job_path(j, allowed, FS_READ, false, "/fs/read/0");
	j->ports[0] = (struct sbx_landlock_net_rule){ port,
		LANDLOCK_ACCESS_NET_CONNECT_TCP, "/net/connect/0" };
	j->plan.nports = 1;
}

TEST(landlock_enforce_rejects_net_rules_above_abi)
{
	struct job j;
	struct sbx_landlock_prepared p;
	struct sbx_error err;
	char allowed[256];

	path_of(allowed, sizeof(allowed), "allowed");
	net_job(&j, allowed, 443);
	CHECK_EQ_INT(sbx_landlock_prepare(&j.plan, 3, &p, NULL, &err),
		     -EOPNOTSUPP);
	CHECK_STR(sbx_code_name(err.code), "SBX_EUNSUPPORTED");
	CHECK_STR(err.pointer, "/net/connect/0");
	CHECK(strstr(err.message, "connect_tcp") != NULL);
	CHECK(strstr(err.message, "Landlock ABI 4") != NULL);
	CHECK(strstr(err.message, "best-effort") != NULL);
	/* the same plan on an ABI that has it is fine */
	CHECK_EQ_INT(sbx_landlock_prepare(&j.plan, 4, &p, NULL, &err), 0);
	CHECK(p.active && p.attr.handled_access_net ==
	      LANDLOCK_ACCESS_NET_CONNECT_TCP);
}

TEST(landlock_enforce_rejects_scope_and_truncate_above_abi)
{
	struct job j;
	struct sbx_landlock_prepared p;
	struct sbx_error err;

	job_init(&j, 0);
	j.plan.scoped = LANDLOCK_SCOPE_SIGNAL;
	CHECK(sbx_landlock_prepare(&j.plan, 5, &p, NULL, &err) < 0);
	CHECK_STR(err.pointer, "/net/unix");
	CHECK(strstr(err.message, "\"signal\"") != NULL);
	job_init(&j, LANDLOCK_ACCESS_FS_TRUNCATE);
	CHECK(sbx_landlock_prepare(&j.plan, 2, &p, NULL, &err) < 0);
	CHECK_STR(err.pointer, "/fs");
	CHECK(strstr(err.message, "Landlock ABI 3") != NULL);
	job_init(&j, 0);
	j.plan.restrict_flags = LANDLOCK_RESTRICT_SELF_LOG_NEW_EXEC_ON;
	j.plan.scoped = LANDLOCK_SCOPE_SIGNAL;
	CHECK(sbx_landlock_prepare(&j.plan, 6, &p, NULL, &err) < 0);
	CHECK(strstr(err.message, "log_new_exec_on") != NULL);
}

TEST(landlock_enforce_without_landlock_is_unsupported)
{
	struct job j;
	struct sbx_landlock_prepared p;
	struct sbx_notebuf notes;
	struct sbx_error err;

	job_init(&j, FS_READ);
	CHECK_EQ_INT(sbx_landlock_prepare(&j.plan, -ENOSYS, &p, NULL, &err),
		     -EOPNOTSUPP);
	CHECK_STR(sbx_code_name(err.code), "SBX_EUNSUPPORTED");
	j.plan.compat = SBX_COMPAT_BEST_EFFORT;
	memset(&notes, 0, sizeof(notes));
	CHECK_EQ_INT(sbx_landlock_prepare(&j.plan, -EOPNOTSUPP, &p, &notes,
					  &err), 0);
	CHECK(!p.active);
	CHECK_EQ_INT(p.dropped_fs, FS_READ);
	CHECK_EQ_INT(notes.count, 1);
}

static void body_best_effort(void *arg, struct child_out *o)
{
	struct job *j = arg;

	child_confine(j, o);
	child_put(o, try_open("allowed/a.txt", O_RDONLY));
	child_put(o, try_open("denied/b.txt", O_RDONLY));
	child_put(o, try_tcp((uint16_t)j->ports_arg[0], false));
}

TEST(landlock_best_effort_drops_net_with_note_and_enforces_the_rest)
{
	struct job j;
	struct sbx_landlock_prepared p;
	struct sbx_notebuf notes;
	struct sbx_error err;
	struct child_out *o;
	char allowed[256];
	uint16_t other;
	int l;

	SKIP_WITHOUT_ABI(3);
	l = tcp_listener(&other);
	path_of(allowed, sizeof(allowed), "allowed");
	net_job(&j, allowed, 443);
	j.plan.compat = SBX_COMPAT_BEST_EFFORT;
	memset(&notes, 0, sizeof(notes));
	CHECK_EQ_INT(sbx_landlock_prepare(&j.plan, 3, &p, &notes, &err), 0);
	CHECK(p.active);
	CHECK_EQ_INT(p.dropped_net, LANDLOCK_ACCESS_NET_CONNECT_TCP);
	CHECK_EQ_INT(p.attr.handled_access_net, 0);
	CHECK_EQ_INT(p.attr_size, sizeof(uint64_t));
	CHECK_EQ_INT(notes.count, 1);
	CHECK(strstr(notes.text[0], "connect_tcp") != NULL);
	CHECK(strstr(notes.text[0], "/net/connect/0") != NULL);

	j.abi = 3;
	j.ports_arg[0] = other;   /* not 443: would be denied at ABI 4+ */
	o = child_run(body_best_effort, &j, true);
	report(o);
	CHECK(child_ok(o));
	CHECK_EQ_INT(o->v[0], 0);
	CHECK_EQ_INT(o->v[1], EACCES);  /* fs still enforced */
	CHECK_EQ_INT(o->v[2], 0);       /* net dropped, as noted */
	child_free(o);
	close(l);
}

TEST(landlock_unknown_bits_are_rejected)
{
	struct job j;
	struct sbx_landlock_prepared p;
	struct sbx_error err;

	job_init(&j, 1ULL << 40);
	CHECK(sbx_landlock_prepare(&j.plan, 7, &p, NULL, &err) < 0);
	CHECK_STR(sbx_code_name(err.code), "SBX_EVALUE");
}

TEST(landlock_nothing_asked_is_not_active)
{
	struct job j;
	struct sbx_landlock_prepared p;
	struct sbx_error err;
	int fd = 5;

	job_init(&j, 0);
	CHECK_EQ_INT(sbx_landlock_prepare(&j.plan, -ENOSYS, &p, NULL, &err), 0);
	CHECK(!p.active);
	CHECK_EQ_INT(sbx_landlock_build(&p, &fd, NULL, &err), 0);
	CHECK_EQ_INT(fd, -1);
}

int main(void)
{
	return t_run();
}
