/* Landlock: prepare (ABI decisions), build (ruleset fd), restrict (thread). */
#include "landlock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The name inline, not a pointer: no relocation for libsbx.so's loader at
 * every start of a sandboxed process. A table ends with bit 0. */
struct right {
	uint64_t bit;
	char name[24];
	int abi;                 /* first ABI that knows it */
};

static const struct right fs_rights[] = {
	{ LANDLOCK_ACCESS_FS_EXECUTE, "execute", 1 },
	{ LANDLOCK_ACCESS_FS_WRITE_FILE, "write_file", 1 },
	{ LANDLOCK_ACCESS_FS_READ_FILE, "read_file", 1 },
	{ LANDLOCK_ACCESS_FS_READ_DIR, "read_dir", 1 },
	{ LANDLOCK_ACCESS_FS_REMOVE_DIR, "remove_dir", 1 },
	{ LANDLOCK_ACCESS_FS_REMOVE_FILE, "remove_file", 1 },
	{ LANDLOCK_ACCESS_FS_MAKE_CHAR, "make_char", 1 },
	{ LANDLOCK_ACCESS_FS_MAKE_DIR, "make_dir", 1 },
	{ LANDLOCK_ACCESS_FS_MAKE_REG, "make_reg", 1 },
	{ LANDLOCK_ACCESS_FS_MAKE_SOCK, "make_sock", 1 },
	{ LANDLOCK_ACCESS_FS_MAKE_FIFO, "make_fifo", 1 },
	{ LANDLOCK_ACCESS_FS_MAKE_BLOCK, "make_block", 1 },
	{ LANDLOCK_ACCESS_FS_MAKE_SYM, "make_sym", 1 },
	{ LANDLOCK_ACCESS_FS_REFER, "refer", 2 },
	{ LANDLOCK_ACCESS_FS_TRUNCATE, "truncate", 3 },
	{ LANDLOCK_ACCESS_FS_IOCTL_DEV, "ioctl_dev", 5 },
	{ 0 },
};

static const struct right net_rights[] = {
	{ LANDLOCK_ACCESS_NET_BIND_TCP, "bind_tcp", 4 },
	{ LANDLOCK_ACCESS_NET_CONNECT_TCP, "connect_tcp", 4 },
	{ 0 },
};

static const struct right scopes[] = {
	{ LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET, "abstract_unix_socket", 6 },
	{ LANDLOCK_SCOPE_SIGNAL, "signal", 6 },
	{ 0 },
};

static const struct right restrict_flags[] = {
	{ LANDLOCK_RESTRICT_SELF_LOG_SAME_EXEC_OFF, "log_same_exec_off", 7 },
	{ LANDLOCK_RESTRICT_SELF_LOG_NEW_EXEC_ON, "log_new_exec_on", 7 },
	{ LANDLOCK_RESTRICT_SELF_LOG_SUBDOMAINS_OFF, "log_subdomains_off", 7 },
	{ LANDLOCK_RESTRICT_SELF_TSYNC, "tsync", 8 },
	{ 0 },
};

static const char *name_of(const struct right *t, uint64_t bit)
{
	for (; t->bit; t++)
		if (t->bit == bit)
			return t->name;
	return "?";
}

const char *sbx_landlock_fs_name(uint64_t bit)
{
	return name_of(fs_rights, bit);
}

const char *sbx_landlock_net_name(uint64_t bit)
{
	return name_of(net_rights, bit);
}

const char *sbx_landlock_scope_name(uint64_t bit)
{
	return name_of(scopes, bit);
}

int sbx_landlock_abi(void)
{
	int r = sbx_landlock_create_ruleset(NULL, 0,
					    LANDLOCK_CREATE_RULESET_VERSION);
	return r < 0 ? -errno : r;
}

enum kind { K_FS, K_NET, K_SCOPE, K_FLAG };

static const char *const kind_label[] = {
	[K_FS] = "filesystem right", [K_NET] = "network right",
	[K_SCOPE] = "scope", [K_FLAG] = "restrict_self flag",
};

/* The pointer that best names where the policy asked for `bit`: the first
 * rule granting it, else the section. */
static const char *pointer_for(const struct sbx_landlock_plan *pl, enum kind k,
			       uint64_t bit)
{
	size_t i;

	if (k == K_FS) {
		for (i = 0; i < pl->npaths; i++)
			if ((pl->paths[i].access & bit) && pl->paths[i].pointer)
				return pl->paths[i].pointer;
		return pl->fs_pointer;
	}
	if (k == K_NET) {
		for (i = 0; i < pl->nports; i++)
			if ((pl->ports[i].access & bit) && pl->ports[i].pointer)
				return pl->ports[i].pointer;
		return pl->net_pointer;
	}
	return k == K_SCOPE ? pl->scope_pointer : pl->flags_pointer;
}

/* Keep in *want only what `abi` knows. Enforce: the first unknown bit is an
 * error. Best effort: each dropped bit gets a note and lands in *dropped. */
static int fit_abi(const struct sbx_landlock_plan *pl, enum kind k,
		   const struct right *table, int abi, uint64_t *want,
		   uint64_t *dropped, struct sbx_notebuf *notes,
		   struct sbx_error *err)
{
	uint64_t known = 0, unknown = *want;
	const struct right *t;

	for (t = table; t->bit; t++)
		unknown &= ~t->bit;
	if (unknown)
		return sbx_error_set(err, SBX_EVALUE, EINVAL,
			pointer_for(pl, k, unknown),
			"landlock: 0x%llx is not a Landlock %s",
			(unsigned long long)unknown, kind_label[k]);
	for (t = table; t->bit; t++) {
		if (t->abi <= abi) {
			known |= t->bit;
			continue;
		}
		if (!(*want & t->bit))
			continue;
		if (pl->compat != SBX_COMPAT_BEST_EFFORT)
			return sbx_error_set(err, SBX_EUNSUPPORTED, EOPNOTSUPP,
				pointer_for(pl, k, t->bit),
				"landlock: the %s \"%s\" needs Landlock ABI %d; "
				"this kernel has Landlock ABI %d. Use a newer "
				"kernel, remove it from the policy, or set "
				"\"compat\": \"best-effort\"",
				kind_label[k], t->name, t->abi, abi);
		sbx_notebuf_add(notes,
			"landlock: %s \"%s\" not enforced: needs Landlock ABI "
			"%d, kernel has ABI %d (%s)", kind_label[k], t->name,
			t->abi, abi, pointer_for(pl, k, t->bit) ?
			pointer_for(pl, k, t->bit) : "");
	}
	*dropped = *want & ~known;
	*want &= known;
	return 0;
}

/* Absolute paths; unless the caller builds right away (which opens each
 * path and fails with the same error, pointer and note), also that every
 * non-optional path exists, so that a prepare alone (compile) reports it. */
static int check_paths(const struct sbx_landlock_plan *pl, bool exist,
		       struct sbx_error *err)
{
	struct stat st;
	size_t i;

	for (i = 0; i < pl->npaths; i++) {
		const struct sbx_landlock_path_rule *r = &pl->paths[i];

		if (!r->path || r->path[0] != '/')
			return sbx_error_set(err, SBX_EPATH, EINVAL, r->pointer,
				"landlock: path \"%s\" is not absolute",
				r->path ? r->path : "(null)");
		if (!exist || r->optional || stat(r->path, &st) == 0)
			continue;
		if (errno == ENOENT || errno == ENOTDIR)
			return sbx_error_set(err, SBX_EPATH, ENOENT, r->pointer,
				SBX_MISSING_PATH_FMT, r->path, strerror(errno));
		/* EACCES and friends: build will say exactly what failed. */
	}
	return 0;
}

int sbx_landlock_prepare(const struct sbx_landlock_plan *pl, int abi,
			 struct sbx_landlock_prepared *out,
			 struct sbx_notebuf *notes, struct sbx_error *err)
{
	return sbx_landlock_prepare_flags(pl, abi, out, notes, 0, err);
}

int sbx_landlock_prepare_flags(const struct sbx_landlock_plan *pl, int abi,
			       struct sbx_landlock_prepared *out,
			       struct sbx_notebuf *notes, unsigned how,
			       struct sbx_error *err)
{
	uint64_t fs, net, scoped, flags, dropped;
	size_t i;
	int r;

	memset(out, 0, sizeof(*out));
	out->plan = pl;
	out->abi = abi;
	if (!pl || !pl->present)
		return 0;

	r = check_paths(pl, !(how & SBX_LANDLOCK_PATHS_AT_BUILD), err);
	if (r)
		return r;

	fs = pl->handled_fs;
	for (i = 0; i < pl->npaths; i++)
		fs |= pl->paths[i].access;
	net = pl->handled_net;
	for (i = 0; i < pl->nports; i++)
		net |= pl->ports[i].access;
	scoped = pl->scoped;
	flags = pl->restrict_flags;
	if (!fs && !net && !scoped)
		return 0;     /* asks for nothing: nothing to enforce */

	if (abi < 1) {
		if (pl->compat != SBX_COMPAT_BEST_EFFORT)
			return sbx_error_set(err, SBX_EUNSUPPORTED, EOPNOTSUPP,
				pl->fs_pointer,
				"landlock: the policy restricts files or network "
				"with Landlock, which this kernel does not offer "
				"(%s). Enable Landlock (CONFIG_SECURITY_LANDLOCK, "
				"lsm=landlock) or set \"compat\": \"best-effort\"",
				abi == -EOPNOTSUPP ? "disabled at boot"
						   : "not built in");
		sbx_notebuf_add(notes, "landlock: not enforced at all: the "
				"kernel has no Landlock (%s)",
				abi == -EOPNOTSUPP ? "disabled at boot"
						   : "not built in");
		out->dropped_fs = fs;
		out->dropped_net = net;
		out->dropped_scoped = scoped;
		out->dropped_flags = (uint32_t)flags;
		return 0;
	}

	if ((r = fit_abi(pl, K_FS, fs_rights, abi, &fs, &dropped, notes, err)))
		return r;
	out->dropped_fs = dropped;
	if ((r = fit_abi(pl, K_NET, net_rights, abi, &net, &dropped, notes, err)))
		return r;
	out->dropped_net = dropped;
	if ((r = fit_abi(pl, K_SCOPE, scopes, abi, &scoped, &dropped, notes, err)))
		return r;
	out->dropped_scoped = dropped;
	if ((r = fit_abi(pl, K_FLAG, restrict_flags, abi, &flags, &dropped,
			 notes, err)))
		return r;
	out->dropped_flags = (uint32_t)dropped;

	out->attr.handled_access_fs = fs;
	out->attr.handled_access_net = net;
	out->attr.scoped = scoped;
	out->restrict_flags = (uint32_t)flags;
	/* Older kernels accept a shorter struct only; send what is in use. */
	if (scoped)
		out->attr_size = 3 * sizeof(uint64_t);
	else if (net)
		out->attr_size = 2 * sizeof(uint64_t);
	else
		out->attr_size = sizeof(uint64_t);
	out->active = fs || net || scoped;
	if (!out->active)
		sbx_notebuf_add(notes, "landlock: nothing left to enforce on "
				"Landlock ABI %d", abi);
	return 0;
}

/* The rule's own rights, as the ruleset handles them. */
static uint64_t rule_access(const struct sbx_landlock_prepared *p,
			    const struct sbx_landlock_path_rule *r)
{
	return r->access & p->attr.handled_access_fs;
}

/* FNV-1a: a cheap first test before strcmp when grouping rules by path. */
static uint32_t path_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/*
 * first[i] := the index of the first rule naming the same path as rule i.
 * Hashes first: with ~40 rules the pairwise strcmp of every path against
 * every earlier one was a visible part of a process start.
 */
static void group_paths(const struct sbx_landlock_plan *pl, uint32_t *hash,
			size_t *first)
{
	for (size_t i = 0; i < pl->npaths; i++)
		hash[i] = path_hash(pl->paths[i].path);
	for (size_t i = 0; i < pl->npaths; i++) {
		const char *pi = pl->paths[i].path;

		first[i] = i;
		for (size_t j = 0; j < i; j++) {
			const char *pj = pl->paths[j].path;

			if (first[j] == j && hash[j] == hash[i] &&
			    (pj == pi || !strcmp(pj, pi))) {
				first[i] = j;
				break;
			}
		}
	}
}

/*
 * Descriptors of added rules are closed in batches: close_range() over each
 * run of consecutive numbers (they usually are: lowest free first) instead of
 * one close() per path. Only numbers we opened are in a run.
 */
#define FD_BATCH 64

struct fd_batch {
	int fd[FD_BATCH];
	size_t n;
};

static void fd_batch_flush(struct fd_batch *b)
{
	size_t i, j;

	for (i = 1; i < b->n; i++) {     /* insertion sort: nearly sorted */
		int v = b->fd[i];

		for (j = i; j > 0 && b->fd[j - 1] > v; j--)
			b->fd[j] = b->fd[j - 1];
		b->fd[j] = v;
	}
	for (i = 0; i < b->n; i = j) {
		for (j = i + 1; j < b->n && b->fd[j] == b->fd[j - 1] + 1; j++)
			;
		if (j - i > 1 && syscall(SYS_close_range, (unsigned)b->fd[i],
					 (unsigned)b->fd[j - 1], 0u) == 0)
			continue;
		for (size_t k = i; k < j; k++)   /* one, or no close_range */
			close(b->fd[k]);
	}
	b->n = 0;
}

static void fd_batch_add(struct fd_batch *b, int fd)
{
	if (b->n == FD_BATCH)
		fd_batch_flush(b);
	b->fd[b->n++] = fd;
}

/*
 * Open `path` for a path_beneath rule: O_PATH, following symlinks. *is_dir
 * tells whether it is a directory, found by asking for one first (one
 * system call for a directory, two for a file, no fstat). 0 or -errno;
 * -ENOENT for a path that does not exist (ENOTDIR on the way included).
 */
static int open_rule_path(const char *path, bool *is_dir)
{
	int fd = open(path, O_PATH | O_CLOEXEC | O_DIRECTORY);

	if (fd >= 0) {
		*is_dir = true;
		return fd;
	}
	if (errno != ENOTDIR)
		return -errno;
	/* Not a directory, or a component on the way is not one. */
	fd = open(path, O_PATH | O_CLOEXEC);
	if (fd >= 0) {
		*is_dir = false;
		return fd;
	}
	return -errno;   /* ENOENT, or ENOTDIR: both mean missing */
}

/*
 * Add the rules of one path, rule `first` and every later rule that names the
 * same path (Landlock ORs the rights of rules on the same object, so one rule
 * with the union is the same ruleset; it saves an open, an fstat and an
 * add_rule per repeated path). Notes and errors stay per rule: a missing
 * path is an error at the first rule that is not optional, else one note per
 * rule; on a non-directory each rule granting only directory rights is noted
 * as skipped. missing[] (may be NULL) marks the rules of a missing optional
 * path.
 */
static int add_path_rules(const struct sbx_landlock_prepared *p, int rfd,
			  size_t first, const size_t *group, struct fd_batch *fds,
			  struct sbx_notebuf *notes, bool *missing,
			  struct sbx_error *err)
{
	const struct sbx_landlock_plan *pl = p->plan;
	const struct sbx_landlock_path_rule *r = &pl->paths[first];
	const struct sbx_landlock_path_rule *must = NULL;
	struct sbx_landlock_path_beneath_attr pb;
	uint64_t access = 0;
	bool is_dir = false;
	size_t i;
	int fd, e;

	for (i = first; i < pl->npaths; i++) {
		const struct sbx_landlock_path_rule *o = &pl->paths[i];

		if (group[i] != first)
			continue;
		if (!rule_access(p, o))
			continue;     /* everything it grants was dropped (noted) */
		access |= rule_access(p, o);
		if (!o->optional && !must)
			must = o;
	}
	if (!access)
		return 0;
	fd = open_rule_path(r->path, &is_dir);
	if (fd == -EMFILE && fds->n) {
		/* Our own batch may hold the last free descriptors. */
		fd_batch_flush(fds);
		fd = open_rule_path(r->path, &is_dir);
	}
	if (fd < 0) {
		e = -fd;
		if ((e == ENOENT || e == ENOTDIR) && !must) {
			for (i = first; i < pl->npaths; i++) {
				const struct sbx_landlock_path_rule *o = &pl->paths[i];

				if (group[i] != first ||
				    !rule_access(p, o))
					continue;
				sbx_notebuf_add(notes, "landlock: optional path "
						"\"%s\" does not exist, rule skipped "
						"(%s)", o->path,
						o->pointer ? o->pointer : "");
				if (missing)
					missing[i] = true;
			}
			return 0;
		}
		if (e == ENOENT || e == ENOTDIR)
			return sbx_error_set(err, SBX_EPATH, ENOENT, must->pointer,
				SBX_MISSING_PATH_FMT, r->path, strerror(e));
		return sbx_error_sys(err, e, "open", must ? must->pointer : r->pointer,
				     "landlock: cannot open \"%s\": %s", r->path,
				     strerror(e));
	}
	if (!is_dir) {
		for (i = first; i < pl->npaths; i++) {
			const struct sbx_landlock_path_rule *o = &pl->paths[i];
			uint64_t own = rule_access(p, o);

			if (group[i] != first || !own ||
			    (own & SBX_LANDLOCK_FS_FILE_RIGHTS))
				continue;
			sbx_notebuf_add(notes, "landlock: \"%s\" is not a "
					"directory and the rule grants only "
					"directory rights, rule skipped (%s)",
					o->path, o->pointer ? o->pointer : "");
		}
		access &= SBX_LANDLOCK_FS_FILE_RIGHTS;
		if (!access) {
			close(fd);
			return 0;
		}
	}
	memset(&pb, 0, sizeof(pb));
	pb.allowed_access = access;
	pb.parent_fd = fd;
	if (sbx_landlock_add_rule(rfd, SBX_LANDLOCK_RULE_PATH_BENEATH, &pb, 0)) {
		e = errno;
		close(fd);
		return sbx_error_sys(err, e, "landlock_add_rule",
				     must ? must->pointer : r->pointer,
				     "landlock: cannot add the rule for \"%s\": %s",
				     r->path, strerror(e));
	}
	fd_batch_add(fds, fd);
	return 0;
}

int sbx_landlock_build_marked(const struct sbx_landlock_prepared *p,
			      int *ruleset_fd, struct sbx_notebuf *notes,
			      bool *missing, struct sbx_error *err)
{
	const struct sbx_landlock_plan *pl = p->plan;
	size_t i;
	int rfd, r, e;

	*ruleset_fd = -1;
	if (!p->active)
		return 0;
	rfd = sbx_landlock_create_ruleset(&p->attr, p->attr_size, 0);
	if (rfd < 0) {
		e = errno;
		return sbx_error_sys(err, e, "landlock_create_ruleset",
				     pl->fs_pointer,
				     "landlock: cannot create the ruleset "
				     "(fs 0x%llx, net 0x%llx, scoped 0x%llx): %s",
				     (unsigned long long)p->attr.handled_access_fs,
				     (unsigned long long)p->attr.handled_access_net,
				     (unsigned long long)p->attr.scoped,
				     strerror(e));
	}
	if (pl->npaths) {
		size_t stack_group[64];
		uint32_t stack_hash[64];
		size_t *group = stack_group;
		uint32_t *hash = stack_hash;
		struct fd_batch fds;

		if (pl->npaths > 64) {
			group = malloc(pl->npaths * sizeof(*group));
			hash = malloc(pl->npaths * sizeof(*hash));
			if (!group || !hash) {
				free(group);
				free(hash);
				close(rfd);
				return sbx_error_set(err, SBX_ENOMEM, ENOMEM,
						     pl->fs_pointer, "out of memory");
			}
		}
		group_paths(pl, hash, group);
		fds.n = 0;
		r = 0;
		for (i = 0; i < pl->npaths && !r; i++)
			/* A path seen before was added with that earlier rule. */
			if (group[i] == i)
				r = add_path_rules(p, rfd, i, group, &fds, notes,
						   missing, err);
		fd_batch_flush(&fds);
		if (group != stack_group) {
			free(group);
			free(hash);
		}
		if (r) {
			close(rfd);
			return r;
		}
	}
	for (i = 0; i < pl->nports; i++) {
		const struct sbx_landlock_net_rule *nr = &pl->ports[i];
		struct sbx_landlock_net_port_attr np;

		np.allowed_access = nr->access & p->attr.handled_access_net;
		np.port = nr->port;
		if (!np.allowed_access)
			continue;
		if (sbx_landlock_add_rule(rfd, SBX_LANDLOCK_RULE_NET_PORT, &np,
					  0)) {
			e = errno;
			close(rfd);
			return sbx_error_sys(err, e, "landlock_add_rule",
					     nr->pointer,
					     "landlock: cannot add the rule for "
					     "TCP port %u: %s", nr->port,
					     strerror(e));
		}
	}
	*ruleset_fd = rfd;
	return 0;
}

int sbx_landlock_build(const struct sbx_landlock_prepared *p, int *ruleset_fd,
		       struct sbx_notebuf *notes, struct sbx_error *err)
{
	return sbx_landlock_build_marked(p, ruleset_fd, notes, NULL, err);
}

int sbx_landlock_restrict_thread(int ruleset_fd, uint32_t flags)
{
	int saved = errno, r = 0;

	if (sbx_landlock_restrict_self(ruleset_fd, flags) < 0)
		r = -errno;
	errno = saved;
	return r;
}

int sbx_landlock_restrict(const struct sbx_landlock_prepared *p, int ruleset_fd,
			  uint32_t extra_flags, struct sbx_error *err)
{
	uint32_t flags = p->restrict_flags | extra_flags;
	int r;

	if (!p->active)
		return 0;
	r = sbx_landlock_restrict_thread(ruleset_fd, flags);
	if (r == -EPERM)
		return sbx_error_sys(err, EPERM, "landlock_restrict_self",
				     p->plan->fs_pointer,
				     "landlock: the thread has neither "
				     "no_new_privs nor CAP_SYS_ADMIN");
	if (r)
		return sbx_error_sys(err, -r, "landlock_restrict_self",
				     p->plan->fs_pointer,
				     "landlock: cannot enforce the ruleset "
				     "(flags 0x%x): %s", flags, strerror(-r));
	return 0;
}

int sbx_landlock_apply(const struct sbx_landlock_plan *plan, int abi,
		       struct sbx_notebuf *notes, struct sbx_error *err)
{
	struct sbx_landlock_prepared p;
	int fd, r;

	r = sbx_landlock_prepare(plan, abi, &p, notes, err);
	if (r)
		return r;
	r = sbx_landlock_build(&p, &fd, notes, err);
	if (r)
		return r;
	r = sbx_landlock_restrict(&p, fd, 0, err);
	if (fd >= 0)
		close(fd);
	return r;
}
