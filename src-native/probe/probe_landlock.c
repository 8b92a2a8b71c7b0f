/* probe "landlock": the ABI version, and which rights, scopes and
 * restrict_self flags the kernel really accepts. */
#include "landlock_defs.h"
#include "probe.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

struct named_bit {
	uint64_t bit;
	const char *name;
};

static const struct named_bit fs_rights[] = {
	{ LANDLOCK_ACCESS_FS_EXECUTE, "execute" },
	{ LANDLOCK_ACCESS_FS_WRITE_FILE, "write_file" },
	{ LANDLOCK_ACCESS_FS_READ_FILE, "read_file" },
	{ LANDLOCK_ACCESS_FS_READ_DIR, "read_dir" },
	{ LANDLOCK_ACCESS_FS_REMOVE_DIR, "remove_dir" },
	{ LANDLOCK_ACCESS_FS_REMOVE_FILE, "remove_file" },
	{ LANDLOCK_ACCESS_FS_MAKE_CHAR, "make_char" },
	{ LANDLOCK_ACCESS_FS_MAKE_DIR, "make_dir" },
	{ LANDLOCK_ACCESS_FS_MAKE_REG, "make_reg" },
	{ LANDLOCK_ACCESS_FS_MAKE_SOCK, "make_sock" },
	{ LANDLOCK_ACCESS_FS_MAKE_FIFO, "make_fifo" },
	{ LANDLOCK_ACCESS_FS_MAKE_BLOCK, "make_block" },
	{ LANDLOCK_ACCESS_FS_MAKE_SYM, "make_sym" },
	{ LANDLOCK_ACCESS_FS_REFER, "refer" },
	{ LANDLOCK_ACCESS_FS_TRUNCATE, "truncate" },
	{ LANDLOCK_ACCESS_FS_IOCTL_DEV, "ioctl_dev" },
};

static const struct named_bit net_rights[] = {
	{ LANDLOCK_ACCESS_NET_BIND_TCP, "bind_tcp" },
	{ LANDLOCK_ACCESS_NET_CONNECT_TCP, "connect_tcp" },
};

static const struct named_bit scopes[] = {
	{ LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET, "abstract_unix_socket" },
	{ LANDLOCK_SCOPE_SIGNAL, "signal" },
};

static const struct named_bit restrict_flags[] = {
	{ LANDLOCK_RESTRICT_SELF_LOG_SAME_EXEC_OFF, "log_same_exec_off" },
	{ LANDLOCK_RESTRICT_SELF_LOG_NEW_EXEC_ON, "log_new_exec_on" },
	{ LANDLOCK_RESTRICT_SELF_LOG_SUBDOMAINS_OFF, "log_subdomains_off" },
	{ LANDLOCK_RESTRICT_SELF_TSYNC, "tsync" },
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

enum { WHAT_FS, WHAT_NET, WHAT_SCOPE };

int sbx_probe_landlock_abi(void)
{
	int r = sbx_landlock_create_ruleset(NULL, 0,
					    LANDLOCK_CREATE_RULESET_VERSION);
	return r < 0 ? -errno : r;
}

/* 1 if the kernel creates a ruleset handling exactly this bit, 0 if it
 * rejects the bit as unknown (EINVAL; E2BIG when the struct member itself
 * is newer than the kernel), -errno for anything else. */
static int try_bit(int what, uint64_t bit)
{
	struct sbx_landlock_ruleset_attr attr = { 0, 0, 0 };
	size_t size;

	switch (what) {
	case WHAT_FS:
		attr.handled_access_fs = bit;
		size = sizeof(attr.handled_access_fs);
		break;
	case WHAT_NET:
		attr.handled_access_net = bit;
		size = 2 * sizeof(uint64_t);
		break;
	default:
		attr.scoped = bit;
		size = sizeof(attr);
		break;
	}
	int fd = sbx_landlock_create_ruleset(&attr, size, 0);
	if (fd >= 0) {
		close(fd);
		return 1;
	}
	if (errno == EINVAL || errno == E2BIG)
		return 0;
	return -errno;
}

static void write_bits(struct sbx_jsonw *w, const char *key, int what,
		       const struct named_bit *bits, size_t n)
{
	char reason[128];
	uint64_t ok = 0;

	for (size_t i = 0; i < n; i++) {
		int r = try_bit(what, bits[i].bit);
		if (r < 0) {
			sbx_probe_reason_errno(reason, sizeof(reason),
					       "landlock_create_ruleset", -r);
			sbx_jsonw_kv_null_reason(w, key, reason);
			return;
		}
		if (r)
			ok |= 1ULL << i;
	}
	sbx_jsonw_key(w, key);
	sbx_jsonw_array_begin(w);
	for (size_t i = 0; i < n; i++)
		if (ok & (1ULL << i))
			sbx_jsonw_string(w, bits[i].name);
	sbx_jsonw_array_end(w);
}

/* Per flag, two bits of the child's exit status. */
enum { FLAG_OK = 0, FLAG_EINVAL = 1, FLAG_OTHER = 2 };
#define CHILD_SETUP_FAILED 255

static __attribute__((noreturn)) void restrict_flags_child(void)
{
	struct sbx_landlock_ruleset_attr attr = {
		/* a right nobody misses in a child that only exits */
		.handled_access_fs = LANDLOCK_ACCESS_FS_MAKE_BLOCK,
	};
	int code = 0;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		_exit(CHILD_SETUP_FAILED);
	int fd = sbx_landlock_create_ruleset(&attr,
					     sizeof(attr.handled_access_fs), 0);
	if (fd < 0)
		_exit(CHILD_SETUP_FAILED);
	for (size_t i = 0; i < N(restrict_flags); i++) {
		int r = sbx_landlock_restrict_self(fd,
						   (uint32_t)restrict_flags[i].bit);
		int v = r == 0 ? FLAG_OK :
			errno == EINVAL ? FLAG_EINVAL : FLAG_OTHER;
		code |= v << (2 * i);
	}
	_exit(code);
}

static void write_restrict_flags(struct sbx_jsonw *w)
{
	const char *key = "restrictSelfFlags";
	char reason[160];
	int status;

	pid_t pid = sbx_probe_fork();
	if (pid < 0) {
		sbx_probe_reason_errno(reason, sizeof(reason), "fork", errno);
		sbx_jsonw_kv_null_reason(w, key, reason);
		return;
	}
	if (pid == 0)
		restrict_flags_child();
	int r = sbx_probe_wait(pid, &status);
	if (r < 0) {
		sbx_probe_reason_errno(reason, sizeof(reason), "waitpid", -r);
		sbx_jsonw_kv_null_reason(w, key, reason);
		return;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) == CHILD_SETUP_FAILED) {
		sbx_probe_reason_status(reason, sizeof(reason),
					"landlock_restrict_self", status);
		sbx_jsonw_kv_null_reason(w, key, reason);
		return;
	}
	int code = WEXITSTATUS(status);
	sbx_jsonw_key(w, key);
	sbx_jsonw_array_begin(w);
	for (size_t i = 0; i < N(restrict_flags); i++)
		if (((code >> (2 * i)) & 3) == FLAG_OK)
			sbx_jsonw_string(w, restrict_flags[i].name);
	sbx_jsonw_array_end(w);
}

static void write_empty(struct sbx_jsonw *w, const char *key)
{
	sbx_jsonw_key(w, key);
	sbx_jsonw_array_begin(w);
	sbx_jsonw_array_end(w);
}

void sbx_probe_landlock(struct sbx_jsonw *w)
{
	char reason[128];
	int abi = sbx_probe_landlock_abi();

	sbx_jsonw_key(w, "landlock");
	sbx_jsonw_object_begin(w);
	if (abi < 0) {
		if (abi == -ENOSYS)
			sbx_jsonw_kv_null_reason(w, "abi",
				"kernel built without Landlock (ENOSYS)");
		else if (abi == -EOPNOTSUPP)
			sbx_jsonw_kv_null_reason(w, "abi",
				"Landlock disabled at boot (lsm=) (EOPNOTSUPP)");
		else {
			sbx_probe_reason_errno(reason, sizeof(reason),
				"landlock_create_ruleset(VERSION)", -abi);
			sbx_jsonw_kv_null_reason(w, "abi", reason);
		}
		write_empty(w, "fs");
		write_empty(w, "net");
		write_empty(w, "scopes");
		write_empty(w, "restrictSelfFlags");
		sbx_jsonw_kv_bool(w, "enabled", false);
		sbx_jsonw_kv_null_reason(w, "errata", "Landlock is not available");
		sbx_jsonw_object_end(w);
		return;
	}
	sbx_jsonw_kv_int(w, "abi", abi);
	write_bits(w, "fs", WHAT_FS, fs_rights, N(fs_rights));
	write_bits(w, "net", WHAT_NET, net_rights, N(net_rights));
	write_bits(w, "scopes", WHAT_SCOPE, scopes, N(scopes));
	write_restrict_flags(w);
	sbx_jsonw_kv_bool(w, "enabled", true);
	int errata = sbx_landlock_create_ruleset(NULL, 0,
						 LANDLOCK_CREATE_RULESET_ERRATA);
	if (errata >= 0)
		sbx_jsonw_kv_int(w, "errata", errata);
	else {
		sbx_probe_reason_errno(reason, sizeof(reason),
			"landlock_create_ruleset(ERRATA)", errno);
		sbx_jsonw_kv_null_reason(w, "errata", reason);
	}
	sbx_jsonw_object_end(w);
}
