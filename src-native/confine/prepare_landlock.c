/*
 * The policy's `fs`, `net` (TCP ports) and `scope` sections -> a Landlock plan
 * for one ABI, then prepared and built (landlock.h).
 *
 * Decisions (docs/policy.md, docs/security-model.md "Landlock details"):
 *   - a present `fs` section handles every filesystem right the ABI knows, so
 *     whatever no list grants is denied;
 *   - `read`, `write` and `exec` are composites: they grant the rights of
 *     their meaning that this ABI knows (`write` gains truncate on ABI 3);
 *     they never fail for an old ABI;
 *   - `truncate`, `ioctlDev`, `refer` and TCP ports and scopes name one
 *     kernel feature: if the ABI lacks it, an enforce section fails
 *     (SBX_EUNSUPPORTED from landlock.c, pointing at the rule), a
 *     best-effort section drops it with a note;
 *   - `net.connect` / `net.bind` absent: not handled (any port); [] : none.
 * The compat mode is per section, so the best-effort sections are trimmed
 * here and the plan given to landlock.c is always in enforce mode.
 */
#include "policy.h"
#include "prepared.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer.h"

#define FS_WRITE_RIGHTS                                                      \
	(LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_REMOVE_DIR |     \
	 LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_MAKE_DIR |      \
	 LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_MAKE_SOCK |        \
	 LANDLOCK_ACCESS_FS_MAKE_FIFO | LANDLOCK_ACCESS_FS_MAKE_SYM |        \
	 LANDLOCK_ACCESS_FS_REFER | LANDLOCK_ACCESS_FS_TRUNCATE)

/* Indexed by enum sbx_fs_right. */
static const struct {
	uint64_t access;
	bool composite;
} fs_map[SBX_FS_NRIGHTS] = {
	[SBX_FS_READ] = { LANDLOCK_ACCESS_FS_READ_FILE |
			  LANDLOCK_ACCESS_FS_READ_DIR, true },
	[SBX_FS_WRITE] = { FS_WRITE_RIGHTS, true },
	[SBX_FS_EXEC] = { LANDLOCK_ACCESS_FS_EXECUTE, true },
	[SBX_FS_WRITE_FILE] = { LANDLOCK_ACCESS_FS_WRITE_FILE, false },
	[SBX_FS_CREATE] = { LANDLOCK_ACCESS_FS_MAKE_REG |
			    LANDLOCK_ACCESS_FS_MAKE_SYM |
			    LANDLOCK_ACCESS_FS_MAKE_FIFO |
			    LANDLOCK_ACCESS_FS_MAKE_SOCK, false },
	[SBX_FS_MAKE_DIR] = { LANDLOCK_ACCESS_FS_MAKE_DIR, false },
	[SBX_FS_REMOVE] = { LANDLOCK_ACCESS_FS_REMOVE_DIR |
			    LANDLOCK_ACCESS_FS_REMOVE_FILE, false },
	[SBX_FS_TRUNCATE] = { LANDLOCK_ACCESS_FS_TRUNCATE, false },
	[SBX_FS_IOCTL_DEV] = { LANDLOCK_ACCESS_FS_IOCTL_DEV, false },
	[SBX_FS_REFER] = { LANDLOCK_ACCESS_FS_REFER, false },
	[SBX_FS_LIST] = { LANDLOCK_ACCESS_FS_READ_DIR, true },
};

static uint64_t abi_fs(int abi)
{
	if (abi >= 5)
		return SBX_LANDLOCK_FS_ABI5;
	if (abi >= 3)
		return SBX_LANDLOCK_FS_ABI3;
	if (abi == 2)
		return SBX_LANDLOCK_FS_ABI2;
	return abi == 1 ? SBX_LANDLOCK_FS_ABI1 : 0;
}

static uint64_t abi_net(int abi)
{
	return abi >= 4 ? SBX_LANDLOCK_NET_ABI4 : 0;
}

static uint64_t abi_scope(int abi)
{
	return abi >= 6 ? SBX_LANDLOCK_SCOPE_ABI6 : 0;
}

static int oom(struct sbx_error *err)
{
	return sbx_error_set(err, SBX_ENOMEM, ENOMEM, NULL, "out of memory");
}

/* One note per right a best-effort section loses. */
static void note_dropped(struct sbx_prepared *pp, const char *(*name)(uint64_t),
			 const char *kind, uint64_t bits, int need, int abi,
			 const char *pointer)
{
	for (int b = 0; b < 64; b++)
		if (bits & (UINT64_C(1) << b))
			sbx_notebuf_add(&pp->skipped, "landlock: %s \"%s\" not "
					"enforced: needs Landlock ABI %d, kernel "
					"has ABI %d (%s)", kind,
					name(UINT64_C(1) << b), need, abi,
					pointer ? pointer : "");
}

static int first_abi_fs(uint64_t bit)
{
	if (bit & LANDLOCK_ACCESS_FS_IOCTL_DEV)
		return 5;
	if (bit & LANDLOCK_ACCESS_FS_TRUNCATE)
		return 3;
	return bit & LANDLOCK_ACCESS_FS_REFER ? 2 : 1;
}

/* The door's grant g gives right r (read, write, exec) to a path that
 * neither the policy's list nor an earlier grant gives it already. */
static bool grant_adds(const struct sbx_prepare_inputs *in, size_t g, int r,
		       const struct sbx_ppaths *list)
{
	const struct sbx_prepare_grant *gr = &in->grants[g];

	if (!(r == SBX_FS_READ ? gr->read : r == SBX_FS_WRITE ? gr->write :
	      r == SBX_FS_EXEC ? gr->exec : false))
		return false;
	for (size_t i = 0; i < list->count; i++)
		if (!strcmp(list->items[i].path, gr->path))
			return false;
	for (size_t e = 0; e < g; e++)
		if (!strcmp(in->grants[e].path, gr->path) && grant_adds(in, e, r, list))
			return false;
	return true;
}

static int add_fs(struct sbx_prepared *pp, const struct sbx_policy *p, int abi,
		  struct sbx_landlock_plan *pl, struct sbx_error *err)
{
	const struct sbx_prepare_inputs *in = pp->in;
	bool best = p->resolved.fs == SBX_COMPAT_BEST_EFFORT;
	uint64_t known = abi_fs(abi), noted = 0;
	size_t total = 3 * in->ngrants;

	for (int r = 0; r < SBX_FS_NRIGHTS; r++)
		total += p->fs.rights[r].count;
	if (total && !(pp->paths = calloc(total, sizeof(*pp->paths))))
		return oom(err);
	pl->handled_fs = known;
	pl->fs_pointer = "/fs";
	for (int r = 0; r < SBX_FS_NRIGHTS; r++) {
		const struct sbx_ppaths *list = &p->fs.rights[r];

		/* The policy's entries, then the door's grants (optional:
		 * what the view lacks is skipped). */
		for (size_t i = 0; i < list->count + in->ngrants; i++) {
			size_t g = i - list->count;
			const struct sbx_ppath grant = i < list->count ? (struct sbx_ppath){ 0 } :
				(struct sbx_ppath){ .path = in->grants[g].path, .optional = true,
						    .pointer = in->grants[g].pointer };
			const struct sbx_ppath *pa = i < list->count ? &list->items[i] : &grant;
			struct sbx_landlock_path_rule *rule;
			uint64_t access = fs_map[r].access;

			if (i >= list->count && !grant_adds(in, g, r, list))
				continue;

			if (fs_map[r].composite) {
				access &= known;
			} else if ((access & ~known) && best) {
				if (!(noted & access))
					note_dropped(pp, sbx_landlock_fs_name,
						     "filesystem right",
						     access & ~known,
						     first_abi_fs(access), abi,
						     pa->pointer);
				noted |= access;
				access &= known;
			}
			if (!access)
				continue;
			/* A missing optional path is found (and noted) when
			 * the ruleset is built, which opens the path anyway;
			 * drop_missing() then takes its rule out. */
			rule = &pp->paths[pp->npaths];
			ANALYZER_STORED_IN_ARRAY_BEGIN
			rule->path = strdup(pa->path);
			rule->pointer = pa->pointer ? strdup(pa->pointer) : NULL;
			if (!rule->path || (pa->pointer && !rule->pointer)) {
				free((char *)rule->path);
				free((char *)rule->pointer);
				return oom(err);
			}
			ANALYZER_STORED_IN_ARRAY_END
			rule->access = access;
			rule->optional = pa->optional;
			pp->npaths++;
		}
	}
	return 0;
}

/* items[0..count), the pointers numbered from `first` on. */
static int add_ports(struct sbx_prepared *pp, const uint16_t *items, size_t count, size_t first,
		     uint64_t access, const char *key, struct sbx_error *err)
{
	char ptr[48];

	for (size_t i = 0; i < count; i++) {
		struct sbx_landlock_net_rule *rule = &pp->ports[pp->nports];

		snprintf(ptr, sizeof(ptr), "/net/%s/%zu", key, first + i);
		ANALYZER_STORED_IN_ARRAY_BEGIN
		if (!(rule->pointer = strdup(ptr)))
			return oom(err);
		ANALYZER_STORED_IN_ARRAY_END
		rule->port = items[i];
		rule->access = access;
		pp->nports++;
	}
	return 0;
}

static int add_net(struct sbx_prepared *pp, const struct sbx_policy *p, int abi,
		   struct sbx_landlock_plan *pl, struct sbx_error *err)
{
	const struct sbx_policy_net *n = pp->net;
	const struct sbx_prepare_inputs *in = pp->in;
	bool best = p->resolved.net == SBX_COMPAT_BEST_EFFORT;
	uint64_t want = 0;
	/* The door's ports (the egress listeners) only beside a connect list:
	 * without one every port is allowed. */
	size_t extra = n->connect.set ? in->nconnect : 0;
	size_t total = n->connect.count + extra + n->bind.count;
	int r;

	if (n->connect.set)
		want |= LANDLOCK_ACCESS_NET_CONNECT_TCP;
	if (n->bind.set)
		want |= LANDLOCK_ACCESS_NET_BIND_TCP;
	/* Self door with io_uring rings held (self_rings.c): no internet
	 * socket means no TCP connect or bind, said to Landlock too, which
	 * sees the rings' operations where seccomp does not. */
	if (pp->door == SBX_DOOR_SELF && pp->self_nrings && n->inet == 0 &&
	    abi >= 4)
		want |= LANDLOCK_ACCESS_NET_CONNECT_TCP | LANDLOCK_ACCESS_NET_BIND_TCP;
	if (!want)
		return 0;
	pl->net_pointer = n->connect.set ? "/net/connect" : n->bind.set ? "/net/bind" : "/net/inet";
	if ((want & ~abi_net(abi)) && best) {
		note_dropped(pp, sbx_landlock_net_name, "network right",
			     want & ~abi_net(abi), 4, abi, pl->net_pointer);
		want &= abi_net(abi);
		if (!want)
			return 0;
	}
	pl->handled_net = want;
	if (total && !(pp->ports = calloc(total, sizeof(*pp->ports))))
		return oom(err);
	if (n->connect.set &&
	    ((r = add_ports(pp, n->connect.items, n->connect.count, 0,
			    LANDLOCK_ACCESS_NET_CONNECT_TCP, "connect", err)) ||
	     (r = add_ports(pp, in->connect, extra, n->connect.count,
			    LANDLOCK_ACCESS_NET_CONNECT_TCP, "connect", err))))
		return r;
	if (n->bind.set &&
	    (r = add_ports(pp, n->bind.items, n->bind.count, 0, LANDLOCK_ACCESS_NET_BIND_TCP,
			   "bind", err)))
		return r;
	return 0;
}

static void add_scope(struct sbx_prepared *pp, const struct sbx_policy *p,
		      int abi, struct sbx_landlock_plan *pl)
{
	uint64_t want = 0;

	if (p->scope.abstract_unix == 1)
		want |= LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET;
	if (p->scope.signals == 1)
		want |= LANDLOCK_SCOPE_SIGNAL;
	pl->scope_pointer = "/scope";
	if ((want & ~abi_scope(abi)) &&
	    p->resolved.scope == SBX_COMPAT_BEST_EFFORT) {
		note_dropped(pp, sbx_landlock_scope_name, "scope",
			     want & ~abi_scope(abi), 6, abi, "/scope");
		want &= abi_scope(abi);
	}
	pl->scoped = want;
}

/* Without Landlock at all: an enforce section that needs it fails, the
 * best-effort ones are noted. */
static int no_landlock(struct sbx_prepared *pp, const struct sbx_policy *p,
		       int abi, struct sbx_error *err)
{
	struct {
		bool asks;
		int compat;
		const char *pointer;
	} s[] = {
		{ p->fs.present, p->resolved.fs, "/fs" },
		{ p->net.present && (p->net.connect.set || p->net.bind.set),
		  p->resolved.net, p->net.connect.set ? "/net/connect" : "/net/bind" },
		{ p->scope.present && (p->scope.abstract_unix == 1 ||
				       p->scope.signals == 1),
		  p->resolved.scope, "/scope" },
	};
	const char *why = abi == -EOPNOTSUPP ? "disabled at boot" : "not available";

	for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++) {
		if (!s[i].asks)
			continue;
		if (s[i].compat != SBX_COMPAT_BEST_EFFORT)
			return sbx_error_set(err, SBX_EUNSUPPORTED, EOPNOTSUPP,
				s[i].pointer, "landlock: %s needs Landlock, which "
				"this kernel does not offer (%s). Enable it "
				"(CONFIG_SECURITY_LANDLOCK, lsm=landlock) or set "
				"\"compat\": \"best-effort\"", s[i].pointer, why);
		sbx_notebuf_add(&pp->skipped, "landlock: %s not enforced: the "
				"kernel has no Landlock (%s)", s[i].pointer, why);
	}
	return 0;
}

/* The rules of optional paths that do not exist (noted by the build) are not
 * part of what is enforced: out of the plan, as if never listed. */
static void drop_missing(struct sbx_prepared *pp, const bool *missing)
{
	size_t w = 0;

	for (size_t i = 0; i < pp->npaths; i++) {
		if (missing[i]) {
			free((char *)pp->paths[i].path);
			free((char *)pp->paths[i].pointer);
			continue;
		}
		pp->paths[w++] = pp->paths[i];
	}
	pp->npaths = w;
	pp->plan.landlock.npaths = w;
}

int sbx_prepare_landlock(struct sbx_prepared *pp, const struct sbx_policy *p,
			 int abi, struct sbx_error *err)
{
	struct sbx_landlock_plan *pl = &pp->plan.landlock;
	int r;

	pp->landlock_abi = abi;
	memset(pl, 0, sizeof(*pl));
	if (abi < 1)
		return no_landlock(pp, p, abi, err);
	pl->compat = SBX_COMPAT_ENFORCE;
	if (p->fs.present && (r = add_fs(pp, p, abi, pl, err)))
		return r;
	if (p->net.present && (r = add_net(pp, p, abi, pl, err)))
		return r;
	if (p->scope.present)
		add_scope(pp, p, abi, pl);
	pl->paths = pp->paths;
	pl->npaths = pp->npaths;
	pl->ports = pp->ports;
	pl->nports = pp->nports;
	pl->present = pl->handled_fs || pl->handled_net || pl->scoped;
	if (!pl->present)
		return 0;
	return sbx_prepare_landlock_build(pp, abi, err);
}

int sbx_prepare_landlock_build(struct sbx_prepared *pp, int abi, struct sbx_error *err)
{
	const struct sbx_landlock_plan *pl = &pp->plan.landlock;
	bool *missing;
	int r;

	if ((r = sbx_landlock_prepare_flags(pl, abi, &pp->landlock, &pp->skipped,
					    SBX_LANDLOCK_PATHS_AT_BUILD, err)))
		return r;
	/* Paths owned elsewhere (a plan built by hand) cannot be dropped. */
	if (!pp->npaths || pl->paths != pp->paths)
		return sbx_landlock_build(&pp->landlock, &pp->landlock_fd,
					  &pp->skipped, err);
	if (!(missing = calloc(pp->npaths, sizeof(*missing))))
		return oom(err);
	r = sbx_landlock_build_marked(&pp->landlock, &pp->landlock_fd,
				      &pp->skipped, missing, err);
	if (!r)
		drop_missing(pp, missing);
	free(missing);
	return r;
}
