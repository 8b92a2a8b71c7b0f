/*
 * bench/preload: the kernel floor of the preload door. A preload library
 * whose constructor makes the system calls that libsbx.so makes for a policy
 * (Landlock ruleset, rlimit, capabilities, no_new_privs, restrict, seccomp
 * load) and nothing else: no policy to read, no checks, no report. The bench
 * passes it what libsbx.so would enforce (taken from sbx itself, see
 * preload.bench.js), so the difference between the two rows is what sbx's
 * own work costs and the rest is the kernel's (and this machine's).
 *
 *   SBX_FLOOR_FS      handled filesystem rights (hex)
 *   SBX_FLOOR_SCOPED  Landlock scopes (hex)
 *   SBX_FLOOR_RULES   "hexrights=path" lines, one rule each
 *   SBX_FLOOR_BPF     the seccomp program, hex of struct sock_filter bytes
 *   SBX_FLOOR_CAPS    when set: drop the bounding set, clear every set
 *
 * Not a sandbox: it stops at the first failure with exit 125 and says
 * nothing, which is all a benchmark needs.
 */
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#define SYS_landlock_add_rule 445
#define SYS_landlock_restrict_self 446
#endif

/* Rights a rule on a file (not a directory) may carry: execute, write_file,
 * read_file, truncate, ioctl_dev. */
#define FILE_RIGHTS 0xc007ULL

struct ruleset_attr {
	uint64_t fs, net, scoped;
};

struct path_beneath {
	uint64_t allowed;
	int32_t fd;
} __attribute__((packed));

static void fail(void)
{
	_exit(125);
}

static uint64_t hexenv(const char *name)
{
	const char *v = getenv(name);

	return v ? strtoull(v, NULL, 16) : 0;
}

static int hexval(char c)
{
	return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

static void add_rules(int rfd, const char *s)
{
	char path[4096];

	while (s && *s) {
		char *end;
		uint64_t rights = strtoull(s, &end, 16);
		const char *nl = strchr(end, '\n');
		size_t n = nl ? (size_t)(nl - end - 1) : strlen(end + 1);
		struct path_beneath pb;
		int fd;

		if (*end != '=' || n >= sizeof(path))
			fail();
		memcpy(path, end + 1, n);
		path[n] = 0;
		s = nl ? nl + 1 : NULL;
		if ((fd = open(path, O_PATH | O_CLOEXEC)) < 0)
			continue;
		pb.allowed = rights;
		pb.fd = fd;
		if (syscall(SYS_landlock_add_rule, rfd, 1, &pb, 0)) {
			pb.allowed &= FILE_RIGHTS;   /* a file: only its rights */
			if (syscall(SYS_landlock_add_rule, rfd, 1, &pb, 0))
				fail();
		}
		close(fd);
	}
}

static void drop_caps(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	for (int c = 0; prctl(PR_CAPBSET_DROP, c, 0, 0, 0) == 0; c++)
		;
	prctl(PR_SET_SECUREBITS, 0xef, 0, 0, 0);
	memset(d, 0, sizeof(d));
	if (syscall(SYS_capset, &h, d))
		fail();
}

__attribute__((constructor)) static void floor_init(void)
{
	static struct sock_filter prog[4096];
	struct ruleset_attr at = { hexenv("SBX_FLOOR_FS"), 0, hexenv("SBX_FLOOR_SCOPED") };
	const char *bpf = getenv("SBX_FLOOR_BPF");
	struct rlimit core = { 0, 0 };
	struct sock_fprog fp;
	size_t len = bpf ? strlen(bpf) / 2 : 0;
	int rfd;

	if (!len || len % 8 || len > sizeof(prog))
		fail();
	for (size_t i = 0; i < len; i++)
		((unsigned char *)prog)[i] = (unsigned char)(hexval(bpf[2 * i]) << 4 | hexval(bpf[2 * i + 1]));
	if ((rfd = (int)syscall(SYS_landlock_create_ruleset, &at, sizeof(at), 0)) < 0)
		fail();
	add_rules(rfd, getenv("SBX_FLOOR_RULES"));
	if (setrlimit(RLIMIT_CORE, &core))
		fail();
	if (getenv("SBX_FLOOR_CAPS"))
		drop_caps();
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    syscall(SYS_landlock_restrict_self, rfd, 0))
		fail();
	close(rfd);
	fp.len = (unsigned short)(len / 8);
	fp.filter = prog;
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fp))
		fail();
}
