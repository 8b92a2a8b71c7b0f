/*
 * The policy document v1 as the core sees it (reference: docs/policy.md).
 *
 * One struct serves both as a parsed layer (one document) and as the merged
 * result: every field can be "unset", so merging is "take what the later
 * layer sets". Everything (strings, arrays, the struct itself) lives in one
 * arena owned by the policy, so a load is freed with one call and merged
 * layers can share strings without copying.
 *
 * Conventions: tri-state ints use SBX_UNSET (-1) for "not written"; a
 * `set`/`present` flag tells an empty list written as [] from an absent one,
 * because they mean different things (net.connect: [] is "no TCP connect",
 * absent is "not restricted").
 */
#ifndef SBX_POLICY_INTERNAL_H
#define SBX_POLICY_INTERNAL_H

#include "compat.h"

#include "sbx.h"
#include "sbx_policy.h"
#include "json.h"
#include "net_hosts.h"
#include "host_groups.h"
#include "seccomp.h"
#include "syscalls.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SBX_UNSET (-1)

/* ---- arena ----------------------------------------------------------------- */

struct sbx_arena_block;
struct sbx_arena {
	struct sbx_arena_block *head;
};

/* Zeroed memory, or NULL on ENOMEM. Freed only with the whole arena. */
void *sbx_arena_alloc(struct sbx_arena *a, size_t size);
char *sbx_arena_strdup(struct sbx_arena *a, const char *s);
char *sbx_arena_strndup(struct sbx_arena *a, const char *s, size_t n);
char *sbx_arena_printf(struct sbx_arena *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Make room for one more element in a growable array (items, count, cap),
 * copying into a larger arena block when full. 0 or -ENOMEM. */
int sbx_arena_grow(struct sbx_arena *a, void **items, size_t count, size_t *cap,
		   size_t elem_size);
void sbx_arena_free(struct sbx_arena *a);

/* ---- value types ------------------------------------------------------------ */


struct sbx_ppath {
	const char *path;      /* expanded, absolute, normalised (no trailing /) */
	const char *written;   /* as written, before expansion                 */
	bool optional;
	const char *pointer;   /* where it was written (first layer that did)  */
};

struct sbx_ppaths {
	bool set;
	struct sbx_ppath *items;
	size_t count, cap;
};

/* Filesystem rights, in the order of the `fs` keys. */
enum sbx_fs_right {
	SBX_FS_READ,        /* read files, list directories                     */
	SBX_FS_WRITE,       /* everything that modifies: write, create, remove,
	                       rename (refer), truncate (not device ioctls)     */
	SBX_FS_EXEC,        /* execute files                                    */
	SBX_FS_WRITE_FILE,  /* write existing files only                        */
	SBX_FS_CREATE,      /* create regular files, symlinks, fifos, sockets   */
	SBX_FS_MAKE_DIR,    /* create directories                               */
	SBX_FS_REMOVE,      /* remove files and directories                     */
	SBX_FS_TRUNCATE,    /* truncate files                                   */
	SBX_FS_IOCTL_DEV,   /* ioctl on device files                            */
	SBX_FS_REFER,       /* link or rename files into another directory      */
	SBX_FS_LIST,        /* list directories only (no file contents)         */
	SBX_FS_NRIGHTS
};
/* "read", "write", "exec", "writeFile", ... indexed by enum sbx_fs_right. */
extern const char *const sbx_fs_right_keys[SBX_FS_NRIGHTS];

struct sbx_policy_fs {
	bool present;                            /* a Landlock key was written  */
	int compat;                              /* SBX_UNSET or enum sbx_compat */
	struct sbx_ppaths rights[SBX_FS_NRIGHTS];
	/* Not Landlock rights: paths kept read-only (`protect`) or empty
	 * (`hide`) even beneath a tree the lists grant (the spawn door mounts
	 * over them; docs/policy.md, "fs.protect and fs.hide"). A relative
	 * entry (path[0] != '/') is taken beneath every writable root. Neither
	 * sets `present`: they alone make no Landlock domain. */
	struct sbx_ppaths protect, hide;
};

struct sbx_ports {
	bool set;
	uint16_t *items;
	size_t count, cap;
};

struct sbx_host_entry {
	struct sbx_host_pattern pat;
	const char *written;   /* as written                                    */
	const char *pointer;   /* where it was written (first layer that did)   */
	const char *group;     /* "@npm" when a named group gave it, else NULL */
};

struct sbx_hosts {
	bool set;
	struct sbx_host_entry *items;
	size_t count, cap;
};

enum sbx_unix_mode {
	SBX_UNIX_NONE = 0,       /* no AF_UNIX sockets, no socketpair          */
	SBX_UNIX_SOCKETPAIR = 1, /* socketpair() only: no connecting out       */
	SBX_UNIX_ALL = 2,
};

struct sbx_policy_net {
	bool present;
	int compat;
	int inet;          /* SBX_UNSET, 0, 1: AF_INET and AF_INET6 sockets       */
	int netlink;       /* AF_NETLINK sockets                                  */
	int other;         /* every other family (packet, vsock, alg, ...)        */
	int unix_mode;     /* SBX_UNSET or enum sbx_unix_mode                     */
	struct sbx_ports connect, bind;          /* TCP ports (Landlock)        */
	/* unixPaths: when set (even []), AF_UNIX sockets may be created (unless
	 * unix is "none") and connect()/sendto()/sendmsg() reach only these
	 * sockets and the sandbox's own (docs/policy.md, "net.unixPaths"). */
	struct sbx_ppaths unix_paths;
	/* hosts: when set (even []), the spawn door's traffic leaves only
	 * through its egress path, to these hosts (docs/network.md). */
	struct sbx_hosts hosts;
};

/* AF_INET/AF_INET6 sockets may be created: net.inet, or net.hosts (whose
 * traffic the spawn door sends through its egress path). */
static inline bool sbx_net_inet_sockets(const struct sbx_policy_net *n)
{
	return n->inet != 0 || n->hosts.count > 0;
}

/* AF_UNIX sockets may be created (socket(2), not only socketpair). */
static inline bool sbx_net_unix_sockets(const struct sbx_policy_net *n)
{
	return n->unix_mode == SBX_UNSET || n->unix_mode == SBX_UNIX_ALL ||
	       (n->unix_paths.set && n->unix_mode != SBX_UNIX_NONE);
}

/* Landlock scopes: true = confined to the sandbox. */
struct sbx_policy_scope {
	bool present;
	int compat;
	int abstract_unix; /* connect to abstract unix sockets outside          */
	int signals;       /* send signals to processes outside                 */
};

/* ---- seccomp ---------------------------------------------------------------- */

/* A value in a `when` condition: atoms OR'ed together, each a number or a
 * named constant resolved per architecture (sbx_const_lookup). */
struct sbx_when_atom {
	const char *name;      /* NULL: use value */
	uint64_t value;
};
struct sbx_when_value {
	struct sbx_when_atom *atoms;
	size_t count;
};
struct sbx_when_cond {
	uint8_t arg;
	enum sbx_cmp_op op;
	struct sbx_when_value value;   /* not for IN                   */
	struct sbx_when_value mask;    /* MASKED_EQ only               */
	struct sbx_when_value *set;    /* IN only                      */
	size_t nset;
};

struct sbx_policy_rule {
	const char **names;            /* syscalls and @groups          */
	size_t nnames;
	struct sbx_action action;
	struct sbx_when_cond *conds;   /* AND; none = unconditional     */
	size_t nconds;
	const char *when;              /* as written, or NULL           */
	unsigned arch_mask;            /* SBX_ARCH_BIT()s; "arch" key   */
	const char *pointer;
};

struct sbx_seccomp_import;

/* One document's seccomp section. Its entries are, in this order: the
 * imported profile's, `allow`, `deny`, `rules`. */
struct sbx_seccomp_layer {
	const char *origin;            /* "preset strict", a file path, "inline" */
	bool has_default;
	struct sbx_action default_action;
	const char *default_pointer;
	bool has_foreign;
	struct sbx_action foreign_action;
	const char *import_path;       /* absolute, or NULL */
	const char *import_pointer;
	struct sbx_seccomp_import *imported;  /* loaded after the merge */
	struct sbx_policy_rule *rules; /* allow, deny, rules flattened */
	size_t nrules, cap;
};

struct sbx_policy_seccomp {
	bool present;
	int compat;
	struct sbx_seccomp_layer *layers;
	size_t nlayers, cap;
};

/* ---- the rest ----------------------------------------------------------------- */

enum sbx_rlimit_key {
	SBX_RL_AS, SBX_RL_CORE, SBX_RL_CPU, SBX_RL_DATA, SBX_RL_FSIZE,
	SBX_RL_LOCKS, SBX_RL_MEMLOCK, SBX_RL_MSGQUEUE, SBX_RL_NICE,
	SBX_RL_NOFILE, SBX_RL_NPROC, SBX_RL_RSS, SBX_RL_RTPRIO, SBX_RL_RTTIME,
	SBX_RL_SIGPENDING, SBX_RL_STACK,
	SBX_RL_COUNT
};
struct sbx_rlimit_info {
	const char *key;       /* "nofile"                                  */
	int resource;          /* RLIMIT_NOFILE                             */
	char unit;             /* 'b' bytes, 's' seconds, 'u' microseconds, 'n' count */
	uint64_t max;          /* largest finite value accepted             */
};
extern const struct sbx_rlimit_info sbx_rlimit_infos[SBX_RL_COUNT];
#define SBX_RLIM_UNLIMITED UINT64_MAX
/* limits.memory / limits.pids "unlimited": lifts a limit an extended policy set */
#define SBX_LIMIT_UNLIMITED UINT64_MAX

struct sbx_policy_rlimits {
	bool present;
	int compat;
	bool set[SBX_RL_COUNT];
	uint64_t value[SBX_RL_COUNT];  /* soft = hard; SBX_RLIM_UNLIMITED */
};

enum sbx_ns {
	SBX_NS_USER, SBX_NS_PID, SBX_NS_NET, SBX_NS_MOUNT, SBX_NS_IPC,
	SBX_NS_UTS, SBX_NS_CGROUP, SBX_NS_TIME, SBX_NS_COUNT
};
extern const char *const sbx_ns_keys[SBX_NS_COUNT];

struct sbx_policy_namespaces {
	bool present;
	int compat;
	int ns[SBX_NS_COUNT];          /* SBX_UNSET, 0, 1 */
	int64_t uid, gid;              /* inside the user namespace; -1 unset */
};

enum sbx_mount_type {
	SBX_MOUNT_BIND, SBX_MOUNT_TMPFS, SBX_MOUNT_PROC, SBX_MOUNT_DEV,
	SBX_MOUNT_OVERLAY, SBX_MOUNT_TYPE_COUNT
};
extern const char *const sbx_mount_type_names[SBX_MOUNT_TYPE_COUNT];

struct sbx_policy_mount {
	enum sbx_mount_type type;
	const char *source;            /* bind, overlay (lower); expanded */
	const char *target;            /* expanded, absolute              */
	const char *upper;             /* overlay: kept upper dir, or NULL */
	bool writable;
	bool optional;                 /* bind: skip when source is missing */
	uint64_t size;                 /* tmpfs bytes, 0 = kernel default  */
	const char *pointer;
};

struct sbx_env_var {
	const char *name;
	const char *value;
};

struct sbx_policy_env {
	bool present;
	int clear;                     /* SBX_UNSET, 0, 1 */
	const char **keep;
	size_t nkeep, keep_cap;
	struct sbx_env_var *set;
	size_t nset, set_cap;
};

struct sbx_policy_limits {
	bool present;
	int compat;
	bool has_memory, has_pids, has_cpu, has_wall, has_cputime;
	uint64_t memory;               /* bytes; SBX_LIMIT_UNLIMITED      */
	/* 1-100: a share of the host's memory (docs/policy.md), resolved by
	 * the spawn plan; 0: `memory` holds bytes. Only a cgroup enforces it
	 * (RLIMIT_AS counts address space, not memory). */
	uint32_t memory_pct;
	uint64_t pids;                 /* SBX_LIMIT_UNLIMITED: no limit     */
	uint64_t cpu_milli;            /* 1000 = one CPU */
	uint64_t wall_ms, cputime_ms;
	/* Each limit keeps the compat of the layer that set it (SBX_UNSET:
	 * the top level's), indexed as SBX_LIMIT_*: a preset's best-effort
	 * defaults stay best-effort, a limit the user adds on top does not. */
	int kcompat[5];
};
enum { SBX_LIMIT_MEMORY, SBX_LIMIT_PIDS, SBX_LIMIT_CPU, SBX_LIMIT_WALL, SBX_LIMIT_CPUTIME };

enum sbx_root_kind {
	SBX_ROOT_HOST_READONLY, SBX_ROOT_HOST, SBX_ROOT_EMPTY, SBX_ROOT_DIR
};

struct sbx_policy {
	struct sbx_arena arena;        /* owns everything below but notes */
	struct sbx_notes notes;        /* from loading (Docker import)    */
	int version;                   /* 1                               */
	int compat;                    /* top-level default               */
	struct sbx_policy_fs fs;
	struct sbx_policy_net net;
	struct sbx_policy_scope scope;
	struct sbx_policy_seccomp seccomp;
	bool has_caps;
	uint64_t caps_keep;            /* bit n = capability n            */
	struct sbx_policy_rlimits rlimits;
	struct sbx_policy_namespaces namespaces;
	int root_kind;                 /* SBX_UNSET or enum sbx_root_kind */
	const char *root_dir;
	bool has_mounts;
	struct sbx_policy_mount *mounts;
	size_t nmounts, mounts_cap;
	struct sbx_policy_env env;
	struct sbx_policy_limits limits;
	int session_new;               /* SBX_UNSET, 0 inherit, 1 new     */
	int die_with_parent;
	int report;
	int keep_preload_env;          /* preload door: keep SBX_POLICY / LD_PRELOAD */
	const char *hostname;
	const char *cwd;
	/* Spawn door: a working directory of /, $HOME or an ancestor of $HOME
	 * is refused unless allowBroadCwd; a symlink outside those directories
	 * on the way to the working directory or a bound path is refused
	 * unless followSymlinks (docs/spawn.md, "Paths"). SBX_UNSET, 0, 1. */
	int allow_broad_cwd;
	int follow_symlinks;
	/* Spawn door (docs/policy.md, "home and git"): what the private home
	 * holds (SBX_UNSET or enum sbx_home_mode), and whether the git
	 * repository around the working directory is shown (SBX_UNSET, 0, 1). */
	int home;
	int git;
	/* Each section's compat as it applies: its own, else the top level's,
	 * else enforce. Resolved once the policy is complete
	 * (sbx_policy_resolve_compat: the load and the fast path call it);
	 * prepare, apply, the spawn plan and explain read these, never the
	 * written values (which policy_json.c writes back as written). */
	struct {
		int top, fs, net, scope, seccomp, rlimits, namespaces, limits;
		int limit[5];          /* per limit, indexed as SBX_LIMIT_*  */
	} resolved;
	/* The parsed documents: the policy points into their strings. */
	struct sbx_json_doc **docs;
	size_t ndocs, docs_cap;
	/* Origins of the layers, first (deepest extends) to last (this doc). */
	const char **origins;
	size_t norigins, origins_cap;
	/* The built-in preset this policy is, as the fast path loaded it
	 * (preset_fast.h): its table index + 1, else 0. The policy is not
	 * changed after loading, so the preset's program compiled at build
	 * time is its program (what a door derives goes into its plan:
	 * sbx_prepare_inputs). */
	int fast_preset;
};

/* What a policy source is (policy_kind.c: the one place that decides),
 * after leading blanks (*start, may be NULL): blank (a NUL ends it),
 * inline JSON ('{'), a file path (a '/' or a name ending in ".json"), else
 * a preset name. */
enum sbx_source_kind {
	SBX_SOURCE_EMPTY,
	SBX_SOURCE_INLINE,
	SBX_SOURCE_FILE,
	SBX_SOURCE_PRESET,
};
enum sbx_source_kind sbx_policy_source_kind(const char *text, size_t len, const char **start);
/* A name (an `extends` entry, a source without blanks) that is a file path. */
bool sbx_policy_names_file(const char *name);

/* $HOME (absolute, else NULL) and $TMPDIR (absolute, else "/tmp"), the
 * values of `opts` first (policy_env.c: the one place that reads them). */
struct sbx_env_dirs {
	const char *home;
	const char *tmpdir;
};
void sbx_policy_env_dirs(const struct sbx_policy_load_opts *opts, struct sbx_env_dirs *out);

/* `home` (spawn door): "hidden" (nothing of the private tmpfs home is
 * granted), "private" (it is writable and executable: caches and
 * configuration a program writes stay in it), "toolchains" (private, plus
 * the host's toolchains under $HOME read-only and executable). */
enum sbx_home_mode {
	SBX_HOME_HIDDEN = 0,
	SBX_HOME_PRIVATE = 1,
	SBX_HOME_TOOLCHAINS = 2,
};

/* Fill p->resolved from the written compat values: the last step of every
 * load (policy_source.c, policy_fast.c), after which the policy is not
 * changed. */
void sbx_policy_resolve_compat(struct sbx_policy *p);

/* ---- stages (one file each) ------------------------------------------------- */

/* Context for parsing one document. */
struct sbx_parse_ctx {
	struct sbx_arena *arena;
	const char *origin;            /* for seccomp layers              */
	const char *base_dir;          /* relative extends/import paths   */
	const char *cwd, *home, *tmpdir;
	unsigned flags;
};

/* policy_parse.c: one JSON document -> one layer. `extends` entries are
 * returned (not followed) in *extends / *extends_ptrs. */
int sbx_policy_parse_layer(const struct sbx_json *root, const struct sbx_parse_ctx *ctx,
			   struct sbx_policy *layer, const char ***extends,
			   const char ***extends_ptrs, size_t *nextends,
			   struct sbx_error *err);

/* policy_when.c: parse a `when` expression into conditions; every
 * constant must exist on at least one architecture. */
int sbx_when_parse(struct sbx_arena *a, const char *text, const char *pointer,
		   struct sbx_when_cond **conds, size_t *nconds, struct sbx_error *err);
/* Resolve a value for an arch: OR of atoms. 0 or -ENOENT (err filled). */
int sbx_when_value_eval(const struct sbx_when_value *v, enum sbx_arch arch,
			uint64_t *out, const char *pointer, struct sbx_error *err);

/* policy_merge.c: apply `layer` over `acc` (later wins / lists union). */
int sbx_policy_merge(struct sbx_policy *acc, const struct sbx_policy *layer,
		     struct sbx_error *err);
void sbx_policy_init(struct sbx_policy *p);

/* policy_source.c: expand $CWD/$HOME/$TMPDIR and normalise an absolute
 * path. Returns the arena string or NULL with err filled. */
const char *sbx_policy_expand_path(const struct sbx_parse_ctx *ctx, const char *in,
				   const char *pointer, bool allow_relative,
				   struct sbx_error *err);

/* Capabilities come from caps.h (sbx_cap_from_name, sbx_cap_name), and
 * "did you mean" from suggest.h (sbx_suggest). */

/* policy_seccomp.c: the seccomp spec of the merged policy for one arch, with
 * the `net` section's socket rules appended. *out is NULL when the policy
 * asks for no filter at all. Free with sbx_policy_seccomp_spec_free(). */
int sbx_policy_seccomp_spec(const struct sbx_policy *p, enum sbx_arch arch,
			    struct sbx_seccomp_spec **out, struct sbx_notes *notes,
			    struct sbx_error *err);
void sbx_policy_seccomp_spec_free(struct sbx_seccomp_spec *spec);
/* The same with the `net` section given: the policy's, or the one a door
 * derived from it in its plan (sbx_prepare_inputs.inet_closed); the policy
 * itself is never changed after loading. */
int sbx_policy_seccomp_spec_net(const struct sbx_policy *p, const struct sbx_policy_net *net,
				enum sbx_arch arch, struct sbx_seccomp_spec **out,
				struct sbx_notes *notes, struct sbx_error *err);
struct sbx_compiled;
/* compile.c: sbx_compile_policy_flags() with the `net` section given, as
 * above. */
int sbx_compile_policy_net(const struct sbx_policy *p, const struct sbx_policy_net *net,
			   int arch, unsigned flags, struct sbx_compiled **out,
			   struct sbx_error *err);

/* presets.c: number of presets, for iteration. */
size_t sbx_preset_count(void);

/* Parsers of sizes ("64M"), durations ("30s") shared with the rest of the
 * core: 0 or -EINVAL. */
int sbx_parse_size(const char *s, uint64_t *out);
int sbx_parse_duration_ms(const char *s, uint64_t *out);

#endif /* SBX_POLICY_INTERNAL_H */
