/* sbx_cgroup.h: the file helpers on a scratch directory (they take any dir
 * fd), and own_dir against what /proc/self/cgroup says. */
#include "sbx_cgroup.h"
#include "t.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <stdbool.h>
#include <time.h>
#include <unistd.h>

static int scratch(char *dir, size_t size)
{
	snprintf(dir, size, "/tmp/sbx-test-cgroup-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	return open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

static void put(int dfd, const char *name, const char *text)
{
	int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	CHECK(fd >= 0);
	CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	close(fd);
}

TEST(read_u64_whole_file_and_keyed_line)
{
	char dir[64];
	int dfd = scratch(dir, sizeof(dir));
	uint64_t v = 0;
	CHECK(dfd >= 0);
	put(dfd, "memory.failcnt", "42\n");
	put(dfd, "memory.events", "low 0\nhigh 0\nmax 7\noom 3\noom_kill 2\n");
	CHECK_EQ_INT(sbx_cgroup_read_u64(dfd, "memory.failcnt", NULL, &v), 0);
	CHECK(v == 42);
	CHECK_EQ_INT(sbx_cgroup_read_u64(dfd, "memory.events", "oom_kill", &v), 0);
	CHECK(v == 2);
	/* "oom" must not match the "oom_kill" line, nor the reverse */
	CHECK_EQ_INT(sbx_cgroup_read_u64(dfd, "memory.events", "oom", &v), 0);
	CHECK(v == 3);
	CHECK_EQ_INT(sbx_cgroup_read_u64(dfd, "memory.events", "oom_k", &v), -ENOENT);
	CHECK_EQ_INT(sbx_cgroup_read_u64(dfd, "missing", NULL, &v), -ENOENT);
	put(dfd, "bad", "max\n");
	CHECK_EQ_INT(sbx_cgroup_read_u64(dfd, "bad", NULL, &v), -EINVAL);
	for (const char *f = "memory.failcnt\0memory.events\0bad\0"; *f; f += strlen(f) + 1)
		unlinkat(dfd, f, 0);
	close(dfd);
	rmdir(dir);
}

TEST(has_word_and_write)
{
	char dir[64];
	int dfd = scratch(dir, sizeof(dir));
	CHECK(dfd >= 0);
	put(dfd, "cgroup.controllers", "cpuset cpu io memory pids\n");
	CHECK_EQ_INT(sbx_cgroup_has_word(dfd, "cgroup.controllers", "memory"), 1);
	CHECK_EQ_INT(sbx_cgroup_has_word(dfd, "cgroup.controllers", "pids"), 1);
	CHECK_EQ_INT(sbx_cgroup_has_word(dfd, "cgroup.controllers", "cpus"), 0);
	CHECK_EQ_INT(sbx_cgroup_has_word(dfd, "cgroup.controllers", "mem"), 0);
	put(dfd, "cgroup.subtree_control", "");
	CHECK_EQ_INT(sbx_cgroup_write(dfd, "cgroup.subtree_control", "+memory"), 0);
	CHECK_EQ_INT(sbx_cgroup_has_word(dfd, "cgroup.subtree_control", "+memory"), 1);
	unlinkat(dfd, "cgroup.subtree_control", 0);
	CHECK_EQ_INT(sbx_cgroup_write(dfd, "no-such-file", "1"), -ENOENT);
	unlinkat(dfd, "cgroup.controllers", 0);
	close(dfd);
	rmdir(dir);
}

/* The v2 entry ("0::/path") of /proc/self/cgroup, if any. */
static int self_v2(char *path, size_t size)
{
	FILE *f = fopen("/proc/self/cgroup", "re");
	char line[4096];
	int rc = -1;
	while (f && fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "0::", 3)) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(path, size, "%s", line + 3);
			rc = 0;
		}
	}
	if (f)
		fclose(f);
	return rc;
}

TEST(own_dir_v2_ends_with_our_cgroup_and_exists)
{
	char self[4096], dir[4096];
	struct sbx_error err;
	struct stat st;
	int rc = sbx_cgroup_own_dir(NULL, dir, sizeof(dir), &err);
	if (self_v2(self, sizeof(self)) || rc == -ENOENT) {
		/* no v2 here: then it says why */
		CHECK(rc < 0);
		CHECK(err.message[0] != '\0');
		return;
	}
	CHECK_EQ_INT(rc, 0);
	CHECK(stat(dir, &st) == 0 && S_ISDIR(st.st_mode));
	/* a cgroup directory: it has cgroup.procs */
	char procs[4200];
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", dir);
	CHECK(access(procs, F_OK) == 0);
	if (strcmp(self, "/")) {
		size_t n = strlen(dir), m = strlen(self);
		CHECK(n >= m && !strcmp(dir + n - m, self));
	}
}

TEST(own_dir_unknown_controller_says_so)
{
	char dir[4096];
	struct sbx_error err;
	CHECK_EQ_INT(sbx_cgroup_own_dir("no-such-controller", dir, sizeof(dir), &err), -ENOENT);
	CHECK(strstr(err.message, "no-such-controller") != NULL);
}

/* One snapshot serves every look of a setup (limits.c): used over and over
 * (the parse must leave it as it was), it gives what a fresh read gives,
 * for every hierarchy, present or not. */
TEST(own_dir_in_matches_own_dir)
{
	static const char *const ctrls[] = { NULL, "memory", "pids", "cpu", "cpuacct", "no-such" };
	struct sbx_cgroup_files f;
	CHECK_EQ_INT(sbx_cgroup_files_read(&f), 0);
	for (size_t i = 0; i < 2 * sizeof(ctrls) / sizeof(ctrls[0]); i++) {
		char a[4096], b[4096];
		struct sbx_error ea, eb;
		a[0] = b[0] = '\0';
		const char *ctrl = ctrls[i % (sizeof(ctrls) / sizeof(ctrls[0]))];
		int ra = sbx_cgroup_own_dir(ctrl, a, sizeof(a), &ea);
		int rb = sbx_cgroup_own_dir_in(&f, ctrl, b, sizeof(b), &eb);
		CHECK_EQ_INT(rb, ra);
		CHECK(ra ? !strcmp(ea.message, eb.message) : !strcmp(a, b));
	}
	sbx_cgroup_files_free(&f);
	CHECK(f.mountinfo == NULL && f.cgroup == NULL);
}

/* A pid no process has now: a child's, reaped. */
static long dead_pid(void)
{
	pid_t p = fork();
	if (p == 0)
		_exit(0);
	while (p > 0 && waitpid(p, NULL, 0) < 0)
		;
	return p > 0 && kill(p, 0) && errno == ESRCH ? (long)p : -1;
}

static void old_dir(int dfd, const char *name, bool old)
{
	struct timespec ts[2] = { { time(NULL) - 60, 0 }, { time(NULL) - 60, 0 } };
	CHECK(mkdirat(dfd, name, 0755) == 0);
	if (old)
		CHECK(utimensat(dfd, name, ts, AT_SYMLINK_NOFOLLOW) == 0);
}

static bool there(int dfd, const char *name)
{
	struct stat st;
	return fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

/* The sweep removes only what a launcher now dead left, by name, and never
 * follows anything: whoever can make a directory beside the launcher's
 * cgroups (another user's delegated subtree, a sandbox) names what it likes. */
TEST(sweep_at_removes_only_old_empty_dirs_of_dead_launchers)
{
	char dir[64], victim[64], n[128];
	long dead = dead_pid();
	CHECK(dead > 0);
	int dfd = scratch(dir, sizeof(dir));
	int vfd = scratch(victim, sizeof(victim));
	CHECK(dfd >= 0 && vfd >= 0);
	old_dir(vfd, "sbx-1-deadbeef", true);   /* beyond a link: never reached */

	snprintf(n, sizeof(n), "sbx-%ld-deadbeef", dead);
	old_dir(dfd, n, true);                       /* removed */
	snprintf(n, sizeof(n), "sbx-%ld-0000000a", dead);
	old_dir(dfd, n, false);                      /* young: a launcher of another pid namespace */
	snprintf(n, sizeof(n), "sbx-%ld-deadbeef", (long)getpid());
	old_dir(dfd, n, true);                       /* alive */
	snprintf(n, sizeof(n), "sbx-%ld-cafef00d", dead);
	old_dir(dfd, n, true);                       /* not empty */
	CHECK(mkdirat(dfd, "x", 0755) == 0 || errno == EEXIST);
	snprintf(n, sizeof(n), "sbx-%ld-cafef00d/child", dead);
	CHECK(mkdirat(dfd, n, 0755) == 0);
	snprintf(n, sizeof(n), "sbx-%ld-deadbeefx", dead);
	old_dir(dfd, n, true);                       /* not sbx's name */
	snprintf(n, sizeof(n), "sbx-%ld-", dead);
	old_dir(dfd, n, true);
	old_dir(dfd, "sbx-0-deadbeef", true);
	old_dir(dfd, "sbx--5-deadbeef", true);
	snprintf(n, sizeof(n), "sbx-%ld-0badf00d", dead);
	CHECK(symlinkat(victim, dfd, n) == 0);       /* a link to a directory */
	snprintf(n, sizeof(n), "sbx-%ld-0badf11d", dead);
	put(dfd, n, "");                             /* a file */

	int pfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	CHECK(pfd >= 0);
	sbx_cgroup_sweep_at(pfd);
	close(pfd);

	snprintf(n, sizeof(n), "sbx-%ld-deadbeef", dead);
	CHECK(!there(dfd, n));
	static const char *const kept[] = { "sbx-%ld-0000000a", "sbx-%ld-cafef00d", "sbx-%ld-cafef00d/child",
					    "sbx-%ld-deadbeefx", "sbx-%ld-", "sbx-%ld-0badf00d", "sbx-%ld-0badf11d" };
	for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++) {
		snprintf(n, sizeof(n), kept[i], dead);
		if (!there(dfd, n))
			T_FAIL("%s was removed", n);
	}
	snprintf(n, sizeof(n), "sbx-%ld-deadbeef", (long)getpid());
	CHECK(there(dfd, n));
	CHECK(there(dfd, "sbx-0-deadbeef") && there(dfd, "sbx--5-deadbeef"));
	CHECK(there(vfd, "sbx-1-deadbeef"));
	close(dfd);
	close(vfd);
	char cmd[200];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s'", dir, victim);
	CHECK(system(cmd) == 0);
}

int main(void)
{
	return t_run();
}
