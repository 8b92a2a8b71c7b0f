/* Namespaces: the user namespace first (this process maps itself, so no
 * other process has to synchronise with it), then every other kind at once,
 * one by one only when the host refuses the set. */
#include "launcher.h"
#include "kernel_defs.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

static const struct {
	unsigned long flag;
	const char *layer;
} kinds[] = {
	{ CLONE_NEWPID, "namespaces.pid" },   { CLONE_NEWNET, "namespaces.net" },
	{ CLONE_NEWNS, "namespaces.mount" },  { CLONE_NEWIPC, "namespaces.ipc" },
	{ CLONE_NEWUTS, "namespaces.uts" },   { CLONE_NEWCGROUP, "namespaces.cgroup" },
	{ CLONE_NEWTIME, "namespaces.time" },
};

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	size_t n = strlen(text);
	ssize_t w = write(fd, text, n);
	int e = w == (ssize_t)n ? 0 : w < 0 ? errno : EIO;
	close(fd);
	return e;
}

static int map_self(const struct sbx_spawn_plan *plan, uid_t uid, gid_t gid,
		    struct sbx_error *err)
{
	char line[64];
	long long in_uid = plan->uid >= 0 ? plan->uid : (long long)uid;
	long long in_gid = plan->gid >= 0 ? plan->gid : (long long)gid;
	/* "deny" first: an unprivileged process may write gid_map only then. */
	int e = write_file("/proc/self/setgroups", "deny");
	if (e && e != ENOENT)
		return sbx_error_sys(err, e, "write", "/namespaces",
				     "/proc/self/setgroups: %s", strerror(e));
	snprintf(line, sizeof(line), "%lld %u 1\n", in_uid, (unsigned)uid);
	e = write_file("/proc/self/uid_map", line);
	if (e)
		return sbx_error_sys(err, e, "write", "/namespaces/uid",
				     "uid_map \"%.40s\": %s", line, strerror(e));
	snprintf(line, sizeof(line), "%lld %u 1\n", in_gid, (unsigned)gid);
	e = write_file("/proc/self/gid_map", line);
	if (e)
		return sbx_error_sys(err, e, "write", "/namespaces/gid",
				     "gid_map \"%.40s\": %s", line, strerror(e));
	return 0;
}

static int refused(struct ln_ctx *c, const char *layer, int e, struct sbx_error *err)
{
	if (!c->plan->ns_best_effort)
		return sbx_error_set(err, SBX_EUNSUPPORTED, e, "/namespaces",
				     "%s: the host refuses it (%s); the policy requires it "
				     "(set \"namespaces\": {\"compat\": \"best-effort\"} to run without it)",
				     layer, strerror(e));
	char why[128];
	snprintf(why, sizeof(why), "unshare: %s", strerror(e));
	ln_event_skipped(c, layer, why);
	return 0;
}

int ln_ns_enter(struct ln_ctx *c, const char **step, struct sbx_error *err)
{
	const struct sbx_spawn_plan *plan = c->plan;
	unsigned long want = plan->ns_flags, done = 0;
	uid_t uid = getuid();
	gid_t gid = getgid();
	int rc;

	*step = "namespaces";
	c->caller_root = uid == 0;
	if (want & CLONE_NEWUSER) {
		if (unshare(CLONE_NEWUSER) == 0) {
			done |= CLONE_NEWUSER;
			*step = "uid map";
			rc = map_self(plan, uid, gid, err);
			if (rc)
				return rc;
			*step = "namespaces";
		} else if ((rc = refused(c, "namespaces.user", errno, err))) {
			return rc;
		}
	}
	unsigned long rest = want & ~(unsigned long)CLONE_NEWUSER;
	if (rest && unshare((int)rest) == 0) {
		done |= rest;
	} else if (rest) {
		for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
			if (!(rest & kinds[i].flag))
				continue;
			if (unshare((int)kinds[i].flag) == 0)
				done |= kinds[i].flag;
			else if ((rc = refused(c, kinds[i].layer, errno, err)))
				return rc;
		}
	}
	c->ns_done = done;
	if (done & CLONE_NEWNET) {
		*step = "network";
		rc = ln_net_loopback_up(err);
		if (rc)
			return rc;
	}
	return 0;
}

int ln_net_loopback_up(struct sbx_error *err)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return sbx_error_sys(err, errno, "socket", "/namespaces/net",
				     "socket(AF_INET): %s", strerror(errno));
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	int rc = ioctl(fd, SIOCGIFFLAGS, &ifr);
	if (rc == 0) {
		ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
		rc = ioctl(fd, SIOCSIFFLAGS, &ifr);
	}
	int e = errno;
	close(fd);
	if (rc)
		return sbx_error_sys(err, e, "ioctl", "/namespaces/net",
				     "bringing up lo: %s", strerror(e));
	return 0;
}
