/* net.unixPaths in a prepared sandbox (src-native/prepare_unix.c): the door
 * rules, and the spawn door's filter, run in the BPF interpreter against the
 * policy's own verdicts (each "notified" next to what stays as it was). */
#include "prepared.h"
#include "policy.h"
#include "sbx_policy.h"
#include "seccomp_defs.h"
#include "bpf_interp.h"
#include "t.h"

#include <errno.h>
#include <linux/seccomp.h>

static struct sbx_policy *load(const char *src)
{
	struct sbx_policy_load_opts o = { .cwd = "/", .tmpdir = "/tmp", .home = "/nonexistent",
					  .flags = SBX_POLICY_NO_PATH_CHECK };
	struct sbx_policy *p = NULL;
	struct sbx_error err;

	if (sbx_policy_load(src, &o, &p, &err)) {
		T_FAIL("load %s: %s (%s)", src, err.message, err.pointer);
		return NULL;
	}
	return p;
}

static struct sbx_prepared *prep(const char *src, int door, unsigned flags,
				 struct sbx_error *err)
{
	struct sbx_policy *p = load(src);
	struct sbx_prepared *pp = NULL;

	if (!p)
		return NULL;
	if (sbx_prepare_at_abi(p, door, flags, sbx_landlock_abi(), &pp, err))
		pp = NULL;
	sbx_policy_free(p);
	return pp;
}

/* What the prepared filter answers for `name` with these arguments. */
static uint32_t run(const struct sbx_prepared *pp, const char *name, uint64_t a0, uint64_t a2,
		    uint64_t a4)
{
	const struct sbx_arch_info *ai = sbx_arch_info(sbx_arch_native());
	struct seccomp_data d = { .arch = ai->audit_arch };

	d.nr = sbx_syscall_lookup(sbx_arch_native(), name);
	d.args[0] = a0;
	d.args[2] = a2;
	d.args[4] = a4;
	return sbx_bpf_run(pp->plan.seccomp.prog, pp->plan.seccomp.len, &d, NULL);
}

#define NOTIF SECCOMP_RET_USER_NOTIF
#define ALLOW SECCOMP_RET_ALLOW
#define EPERM_RET (SECCOMP_RET_ERRNO | EPERM)

TEST(spawn_filter_notifies_what_the_policy_allows)
{
	struct sbx_error err;
	struct sbx_prepared *pp = prep("{\"extends\": \"default\", \"net\": {\"inet\": true, "
				       "\"unixPaths\": []}}", SBX_DOOR_SPAWN,
				       SBX_PREPARE_LISTENER, &err);

	CHECK(pp != NULL);
	if (!pp)
		return;
	CHECK(pp->unix_supervise);
	CHECK(pp->plan.seccomp.flags & SECCOMP_FILTER_FLAG_NEW_LISTENER);
	CHECK_EQ_INT(run(pp, "connect", 3, 0, 0), NOTIF);
	CHECK_EQ_INT(run(pp, "sendmsg", 3, 0, 0), NOTIF);
	CHECK_EQ_INT(run(pp, "sendmmsg", 3, 0, 0), NOTIF);
	/* sendto: with an address, notified; send() on a connected socket not */
	CHECK_EQ_INT(run(pp, "sendto", 3, 0, 0x7fff0000), NOTIF);
	CHECK_EQ_INT(run(pp, "sendto", 3, 0, 0), ALLOW);
	/* neighbours the filter leaves alone */
	CHECK_EQ_INT(run(pp, "write", 1, 0, 0), ALLOW);
	CHECK_EQ_INT(run(pp, "recvmsg", 3, 0, 0), ALLOW);
	/* AF_UNIX sockets may be made (the list turns them on) */
	CHECK_EQ_INT(run(pp, "socket", 1 /* AF_UNIX */, 0, 0), ALLOW);
	CHECK_EQ_INT(run(pp, "socket", 16 /* AF_NETLINK */, 0, 0), EPERM_RET);
	/* rings connect beside seccomp: refused */
	CHECK_EQ_INT(run(pp, "io_uring_setup", 8, 0, 0), EPERM_RET);
	sbx_prepared_free(pp);
}

TEST(spawn_filter_keeps_the_policys_denials)
{
	struct sbx_error err;
	/* sendmsg denied outright, sendto denied when arg2 > 100, connect
	 * killed: the kernel answers those, the supervisor never sees them. */
	struct sbx_prepared *pp = prep(
		"{\"extends\": \"default\", \"net\": {\"unixPaths\": []}, \"seccomp\": {"
		"\"deny\": [\"sendmsg\"], \"rules\": ["
		"{\"syscall\": \"sendto\", \"when\": \"arg2 > 100\", \"action\": \"errno:EMSGSIZE\"},"
		"{\"syscall\": \"sendto\", \"when\": \"arg0 == 7\", \"action\": \"allow\"},"
		"{\"syscall\": \"connect\", \"when\": \"arg0 == 9\", \"action\": \"kill\"},"
		"{\"syscall\": \"io_uring_setup\", \"action\": \"allow\"}]}}",
		SBX_DOOR_SPAWN, SBX_PREPARE_LISTENER, &err);

	CHECK(pp != NULL);
	if (!pp) {
		T_FAIL("%s (%s)", err.message, err.pointer);
		return;
	}
	CHECK_EQ_INT(run(pp, "sendmsg", 3, 0, 0), EPERM_RET);
	CHECK_EQ_INT(run(pp, "sendto", 3, 200, 0x1000), SECCOMP_RET_ERRNO | EMSGSIZE);
	CHECK_EQ_INT(run(pp, "sendto", 3, 200, 0), SECCOMP_RET_ERRNO | EMSGSIZE);
	/* the allowing rule, split on the address */
	CHECK_EQ_INT(run(pp, "sendto", 7, 5, 0x1000), NOTIF);
	CHECK_EQ_INT(run(pp, "sendto", 7, 5, 0), ALLOW);
	/* the base (allowed by default's groups) */
	CHECK_EQ_INT(run(pp, "sendto", 3, 5, 0x1000), NOTIF);
	CHECK_EQ_INT(run(pp, "sendto", 3, 5, 0), ALLOW);
	CHECK_EQ_INT(run(pp, "connect", 9, 0, 0), SECCOMP_RET_KILL_PROCESS);
	CHECK_EQ_INT(run(pp, "connect", 3, 0, 0), NOTIF);
	/* the policy's allow does not survive */
	CHECK_EQ_INT(run(pp, "io_uring_setup", 8, 0, 0), EPERM_RET);
	sbx_prepared_free(pp);
}

TEST(spawn_filter_with_report_notifies_denials_too)
{
	struct sbx_error err;
	struct sbx_prepared *pp = prep("{\"extends\": \"default\", \"report\": true, "
				       "\"net\": {\"unixPaths\": []}}", SBX_DOOR_SPAWN,
				       SBX_PREPARE_LISTENER, &err);
	uint64_t args[6] = { 3, 0, 0, 0, 0, 0 };
	uint32_t ret = 0;
	const struct sbx_arch_info *ai = sbx_arch_info(sbx_arch_native());

	CHECK(pp != NULL);
	if (!pp)
		return;
	CHECK(pp->notify_denials);
	CHECK_EQ_INT(run(pp, "connect", 3, 0, 0), NOTIF);
	CHECK_EQ_INT(run(pp, "socket", 2 /* AF_INET */, 0, 0), NOTIF);
	CHECK_EQ_INT(run(pp, "io_uring_setup", 8, 0, 0), NOTIF);
	/* and the model tells the supervisor which is which */
	CHECK_EQ_INT(sbx_prepared_denial_ret(pp, ai->audit_arch,
					     (uint32_t)sbx_syscall_lookup(sbx_arch_native(), "connect"),
					     args, &ret), 0);
	CHECK_EQ_INT(ret, ALLOW);
	args[0] = 2;
	CHECK_EQ_INT(sbx_prepared_denial_ret(pp, ai->audit_arch,
					     (uint32_t)sbx_syscall_lookup(sbx_arch_native(), "socket"),
					     args, &ret), 0);
	CHECK_EQ_INT(ret, EPERM_RET);
	args[0] = 8;
	CHECK_EQ_INT(sbx_prepared_denial_ret(pp, ai->audit_arch,
					     (uint32_t)sbx_syscall_lookup(sbx_arch_native(), "io_uring_setup"),
					     args, &ret), 0);
	CHECK_EQ_INT(ret, EPERM_RET);
	sbx_prepared_free(pp);
}

TEST(no_filter_policy_gets_one_for_the_supervisor)
{
	struct sbx_error err;
	struct sbx_prepared *pp = prep("{\"net\": {\"unixPaths\": []}}", SBX_DOOR_SPAWN,
				       SBX_PREPARE_LISTENER, &err);

	CHECK(pp != NULL);
	if (!pp)
		return;
	CHECK(pp->plan.seccomp.prog != NULL);
	CHECK_EQ_INT(run(pp, "connect", 3, 0, 0), NOTIF);
	CHECK_EQ_INT(run(pp, "ptrace", 0, 0, 0), ALLOW);
	sbx_prepared_free(pp);
}

TEST(without_unixpaths_nothing_changes)
{
	struct sbx_error err;
	struct sbx_prepared *pp = prep("{\"extends\": \"default\", \"net\": {\"inet\": true}}",
				       SBX_DOOR_SPAWN, 0, &err);

	CHECK(pp != NULL);
	if (!pp)
		return;
	CHECK(!pp->unix_supervise);
	CHECK_EQ_INT(run(pp, "connect", 3, 0, 0), ALLOW);
	CHECK_EQ_INT(run(pp, "socket", 1, 0, 0), EPERM_RET);   /* default: socketpair only */
	sbx_prepared_free(pp);
}

TEST(spawn_without_listener_is_refused)
{
	struct sbx_error err;
	struct sbx_prepared *pp = prep("{\"net\": {\"unixPaths\": []}}", SBX_DOOR_SPAWN, 0, &err);

	CHECK(pp == NULL);
	CHECK_EQ_INT(err.code, SBX_EUNSUPPORTED);
	CHECK_STR(err.pointer, "/net/unixPaths");
}

TEST(preload_and_self_refuse_in_enforce_skip_in_best_effort)
{
	int doors[2] = { SBX_DOOR_PRELOAD, SBX_DOOR_SELF };

	for (int i = 0; i < 2; i++) {
		struct sbx_error err;
		struct sbx_prepared *pp = prep("{\"net\": {\"unixPaths\": []}}", doors[i],
					       doors[i] == SBX_DOOR_SELF ? SBX_PREPARE_TSYNC : 0, &err);

		CHECK(pp == NULL);
		CHECK_EQ_INT(err.code, SBX_EUNSUPPORTED);
		CHECK_STR(err.pointer, "/net/unixPaths");
		CHECK(strstr(err.message, doors[i] == SBX_DOOR_SELF ? "io_uring" : "sbx run") != NULL);
		pp = prep("{\"net\": {\"compat\": \"best-effort\", \"unixPaths\": []}}", doors[i],
			  doors[i] == SBX_DOOR_SELF ? SBX_PREPARE_TSYNC : 0, &err);
		CHECK(pp != NULL);
		if (!pp)
			continue;
		CHECK(!pp->unix_supervise);
		CHECK_EQ_INT(pp->skipped.count, 1);
		CHECK(pp->skipped.count && strstr(pp->skipped.text[0], "/net/unixPaths") != NULL);
		sbx_prepared_free(pp);
	}
}

TEST(policy_key_errors_and_merge)
{
	struct sbx_policy_load_opts o = { .cwd = "/", .tmpdir = "/tmp", .home = "/nonexistent" };
	struct sbx_policy *p = NULL;
	struct sbx_error err;
	char *json = NULL;

	CHECK(sbx_policy_load("{\"net\": {\"unixPaths\": \"/run\"}}", &o, &p, &err) < 0);
	CHECK_EQ_INT(err.code, SBX_ETYPE);
	CHECK_STR(err.pointer, "/net/unixPaths");
	CHECK(sbx_policy_load("{\"net\": {\"unixPaths\": [\"/no/such/socket\"]}}", &o, &p, &err) < 0);
	CHECK_EQ_INT(err.code, SBX_EPATH);
	CHECK_STR(err.pointer, "/net/unixPaths/0");
	CHECK(sbx_policy_load("{\"net\": {\"unixPaths\": [\"relative\"]}}", &o, &p, &err) < 0);
	CHECK_STR(err.pointer, "/net/unixPaths/0");
	CHECK(sbx_policy_load("{\"net\": {\"unixPaths\": [{\"path\": \"/x\", \"opt\": 1}]}}", &o,
			      &p, &err) < 0);
	CHECK_EQ_INT(err.code, SBX_EUNKNOWNKEY);
	CHECK(sbx_policy_load("{\"net\": {\"unixPath\": []}}", &o, &p, &err) < 0);
	CHECK_EQ_INT(err.code, SBX_EUNKNOWNKEY);
	CHECK(strstr(err.message, "unixPaths") != NULL);
	CHECK(sbx_policy_load("{\"net\": {\"unix\": \"none\", \"unixPaths\": []}}", &o, &p, &err) < 0);
	CHECK_EQ_INT(err.code, SBX_EVALUE);
	CHECK_STR(err.pointer, "/net/unixPaths");
	/* lists union across extends; $TMPDIR expanded; optional kept */
	CHECK_EQ_INT(sbx_policy_load("{\"extends\": \"default\", \"net\": {\"unixPaths\": [\"/\", "
				     "{\"path\": \"$TMPDIR/agent\", \"optional\": true}]}}",
				     &o, &p, &err), 0);
	if (!p)
		return;
	CHECK_EQ_INT(p->net.unix_paths.count, 2);
	CHECK_EQ_INT(sbx_policy_to_json(p, &json, &err), 0);
	CHECK(json && strstr(json, "\"unixPaths\":[\"/\",{\"path\":\"/tmp/agent\",\"optional\":true}]"));
	free(json);
	sbx_policy_free(p);
}

/* seccomp(op, flags) as the prepared filter answers it. */
static uint32_t run_seccomp(const struct sbx_prepared *pp, uint64_t op, uint64_t flags)
{
	const struct sbx_arch_info *ai = sbx_arch_info(sbx_arch_native());
	struct seccomp_data d = { .arch = ai->audit_arch };

	d.nr = sbx_syscall_lookup(sbx_arch_native(), "seccomp");
	d.args[0] = op;
	d.args[1] = flags;
	return sbx_bpf_run(pp->plan.seccomp.prog, pp->plan.seccomp.len, &d, NULL);
}

/* prepare_listener.c: once sbx's listener is gone a listener of the
 * program's own would get what sbx's filter notifies (the newest filter
 * wins) and could let it run: refused with EBUSY, while a filter without a
 * listener still installs. */
TEST(a_filter_with_a_listener_refuses_the_programs_own)
{
	static const struct {
		const char *policy;
		int door;
	} cases[] = {
		{ "{\"extends\": \"default\", \"net\": {\"unixPaths\": []}}", SBX_DOOR_SPAWN },
		{ "{\"extends\": \"default\", \"report\": true}", SBX_DOOR_SPAWN },
		{ "{\"extends\": \"workspace\", \"report\": true}", SBX_DOOR_PRELOAD },
		{ "{\"net\": {\"unixPaths\": []}}", SBX_DOOR_SPAWN },    /* no filter of its own */
	};
	const uint32_t ebusy = SECCOMP_RET_ERRNO | EBUSY;
	struct sbx_error err;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sbx_prepared *pp = prep(cases[i].policy, cases[i].door, SBX_PREPARE_LISTENER, &err);

		CHECK(pp != NULL);
		if (!pp)
			continue;
		CHECK(pp->plan.seccomp.flags & SECCOMP_FILTER_FLAG_NEW_LISTENER);
		CHECK_EQ_INT(run_seccomp(pp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER), ebusy);
		CHECK_EQ_INT(run_seccomp(pp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER |
							     SECCOMP_FILTER_FLAG_TSYNC), ebusy);
		/* flags is an unsigned int: high bits do not hide the flag */
		CHECK_EQ_INT(run_seccomp(pp, SECCOMP_SET_MODE_FILTER | (1ULL << 32),
					 SECCOMP_FILTER_FLAG_NEW_LISTENER | (1ULL << 40)), ebusy);
		/* the neighbours: filters without a listener */
		CHECK_EQ_INT(run_seccomp(pp, SECCOMP_SET_MODE_FILTER, 0), ALLOW);
		CHECK_EQ_INT(run_seccomp(pp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC), ALLOW);
		sbx_prepared_free(pp);
	}
	/* Without a listener nothing changes; a policy that denies seccomp()
	 * keeps its own errno. */
	struct sbx_prepared *pp = prep("{\"extends\": \"default\"}", SBX_DOOR_SPAWN, 0, &err);
	CHECK(pp != NULL);
	if (pp) {
		CHECK_EQ_INT(run_seccomp(pp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER), ALLOW);
		sbx_prepared_free(pp);
	}
	pp = prep("{\"extends\": \"default\", \"net\": {\"unixPaths\": []}, \"seccomp\": "
		  "{\"deny\": [\"seccomp\"]}}", SBX_DOOR_SPAWN, SBX_PREPARE_LISTENER, &err);
	CHECK(pp != NULL);
	if (pp) {
		CHECK_EQ_INT(run_seccomp(pp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER), EPERM_RET);
		CHECK_EQ_INT(run_seccomp(pp, SECCOMP_SET_MODE_FILTER, 0), EPERM_RET);
		sbx_prepared_free(pp);
	}
}

int main(void)
{
	return t_run();
}
