/*
 * The prepared sandbox (sbx_apply.h) from the inside, for the doors that
 * compose the apply steps themselves: the self door reaches the Landlock
 * ruleset fd, the capability plan and the compiled program here, to apply the
 * same confinement on every thread.
 *
 * Ownership: everything the plan points to (rules, paths, pointers, the BPF
 * program) is owned by the prepared sandbox, so the policy it came from may
 * be freed right after sbx_prepare().
 */
#ifndef SBX_PREPARED_H
#define SBX_PREPARED_H

#include "apply.h"
#include "landlock.h"
#include "plan.h"
#include "policy.h"
#include "sbx.h"
#include "sbx_apply.h"
#include "sbx_compile.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Every rlimit key of the policy (enum sbx_rlimit_key has 16). */
#define SBX_PREPARED_MAX_RLIMITS 16

struct sbx_filter_model;

/* A Landlock grant a door adds beside the policy's `fs` lists (the spawn
 * door's private home and repository: sbx_spawn_plan's grants). Optional:
 * what the view lacks is skipped. */
struct sbx_prepare_grant {
	const char *path;
	const char *pointer;     /* "/home", "/git" */
	bool read, write, exec;
};

/*
 * What a door gives sbx_prepare() beside the policy. The loaded policy is
 * never changed (it is const from the load on); what the door learns while
 * starting the program goes here, and prepare puts it in the plan (data
 * flows policy -> plan -> apply). The pointers are read during
 * sbx_prepare_with() only.
 */
struct sbx_prepare_inputs {
	unsigned flags;                          /* SBX_PREPARE_*            */
	/* Allowed beside net.connect when the policy sets it (the spawn door's
	 * egress listeners on the sandbox's loopback); ignored when absent. */
	const uint16_t *connect;
	size_t nconnect;
	/* Added to the `fs` lists when the policy has an `fs` section. */
	const struct sbx_prepare_grant *grants;
	size_t ngrants;
	/* Internet sockets refused, as `net.inet: false` would (the spawn door
	 * without the network namespace it asked for: they would reach the
	 * host's network). */
	bool inet_closed;
};

/* How many ring fds the self door's note names. */
#define SBX_SELF_RING_FDS 8

struct sbx_prepared {
	int door;                /* enum sbx_door                              */
	unsigned flags;          /* SBX_PREPARE_*                              */
	bool applied;            /* sbx_prepared_apply() ran (maybe failed)    */
	bool seccomp_done;       /* the seccomp phase ran (apply_phase)        */
	int apply_rc;            /* its result                                  */

	/* What sbx_prepared_apply() runs; points into the storage below. */
	struct sbx_plan plan;

	struct sbx_plan_rlimit rlimits[SBX_PREPARED_MAX_RLIMITS];
	char rlimit_pointers[SBX_PREPARED_MAX_RLIMITS][32];
	/* Landlock rules: path and pointer strings are malloc'd, owned. */
	struct sbx_landlock_path_rule *paths;
	size_t npaths;
	struct sbx_landlock_net_rule *ports;
	size_t nports;

	/* Landlock, decided and built at prepare time: the ABI it was prepared
	 * for (<= 0: no Landlock), what is handled, and the ruleset fd (-1
	 * when nothing is enforced). The fd stays open until
	 * sbx_prepared_free(), so every thread can be restricted with it. */
	int landlock_abi;
	struct sbx_landlock_prepared landlock;
	int landlock_fd;

	/* The filter for the native arch; NULL or insn_count 0: none. */
	struct sbx_compiled *compiled;
	/* `report: true` or SBX_PREPARE_REPORT, decided once by sbx_prepare. */
	bool report;
	/* report with SBX_PREPARE_LISTENER: the filter's errno denials
	 * became USER_NOTIF; this model of the original filter tells the
	 * supervisor which errno each one would have returned. */
	bool notify_denials;
	struct sbx_filter_model *denial_model;
	/* net.unixPaths in the spawn door (prepare_unix.c): connect, sendto
	 * with an address, sendmsg and sendmmsg are notified where the policy
	 * allows them, for the launcher's supervisor to perform. */
	bool unix_supervise;
	/* report: the calls that name a file are notified too, where the
	 * policy allows them (prepare_listener.c), and always continued. */
	bool observe_fs;

	/* Self door: the threads as listed at prepare time (self.c), so that
	 * apply signals them at once and only re-scans after; the listing
	 * belongs to the process `self_pid` (a forked child lists its own).
	 * self_task_fd is /proc/self/task of that process, or -1. */
	int self_task_fd;
	int self_pid;
	int *self_tids;
	size_t self_ntids;
	/* Self door: io_uring rings this process held at prepare (counted;
	 * the first fds kept for the note), each accounted for by
	 * self_rings.c. With any, the filter keeps io_uring_enter usable. */
	int self_nrings;
	int self_ring_fds[SBX_SELF_RING_FDS];

	/* During sbx_prepare only (NULL after): the door's inputs, and the
	 * `net` section the filter is built from (the policy's, or
	 * net_closed: the policy's with inputs->inet_closed applied). */
	const struct sbx_prepare_inputs *in;
	const struct sbx_policy_net *net;
	struct sbx_policy_net net_closed;

	/* notes.count and notes.lost when prepare finished: what apply adds
	 * comes after (sbx_prepared_apply_report_json). */
	unsigned notes_prepared, notes_lost_prepared;

	/* What apply did (valid once `applied`). The three note buffers come
	 * last (prepare.c zeroes everything but their text). */
	struct sbx_apply_result result;

	/* Asked for and not enforced (best-effort drops, spawn-only sections
	 * a door ignores, optional paths that are missing); and plain notes. */
	struct sbx_notebuf skipped;
	struct sbx_notebuf notes;
};

/*
 * sbx_prepare() with the Landlock ABI given instead of measured: tests use a
 * lower one to see what an older kernel would do (the ruleset is then built
 * with that ABI's rights only, which newer kernels accept). `landlock_abi`
 * <= 0 means "no Landlock".
 */
int sbx_prepare_at_abi(const struct sbx_policy *p, int door, unsigned flags,
		       int landlock_abi, struct sbx_prepared **out,
		       struct sbx_error *err);
/* sbx_prepare_at_abi() with the door's inputs (flags among them). */
int sbx_prepare_with(const struct sbx_policy *p, int door, const struct sbx_prepare_inputs *in,
		     int landlock_abi, struct sbx_prepared **out, struct sbx_error *err);

/* prepare.c, the steps every door shares (prepare_door.c orders them with
 * a door's own): the arguments and the door rules, the rlimit and
 * capability plans (*out, or the error and nothing left behind); */
int sbx_prepare_begin(const struct sbx_policy *p, int door,
		      const struct sbx_prepare_inputs *in, int landlock_abi,
		      struct sbx_prepared **out, struct sbx_error *err);
/* the filter, the Landlock ruleset and the protected paths (on failure the
 * caller frees pp); */
int sbx_prepare_confine(struct sbx_prepared *pp, const struct sbx_policy *p,
			int landlock_abi, struct sbx_error *err);
/* the notes so far belong to the preparation, not to an apply. */
void sbx_prepare_end(struct sbx_prepared *pp);

/*
 * A prepared sandbox from a plan built by hand instead of from a policy, for
 * the C tests of the apply engine (test/native/test_apply.c): the plan's
 * rlimits, capabilities and filter as given (the plan's storage must outlive
 * the sandbox), checked and built by the same steps as sbx_prepare() (the
 * filter check, sbx_prepare_landlock_build() at the measured ABI); ids are
 * not applied by any door and must be absent. Then sbx_prepared_apply().
 */
int sbx_prepare_plan(const struct sbx_plan *plan, int door, unsigned flags,
		     struct sbx_prepared **out, struct sbx_error *err);

/* prepare_landlock.c: the `fs`, `net` (ports) and `scope` sections into
 * pp->plan.landlock for `abi`, then prepared and built (pp->landlock,
 * pp->landlock_fd). Per-section compat: a best-effort section drops what
 * the ABI lacks (a note in pp->skipped), an enforce section fails. */
int sbx_prepare_landlock(struct sbx_prepared *pp, const struct sbx_policy *p,
			 int abi, struct sbx_error *err);
/* Its last step: pp->plan.landlock (present) prepared for `abi` and built
 * into pp->landlock and pp->landlock_fd, opening every path (a missing
 * optional one of pp->paths is dropped with a note). */
int sbx_prepare_landlock_build(struct sbx_prepared *pp, int abi, struct sbx_error *err);

/* prepare_protect.c: fs.protect / fs.hide in the preload and self doors,
 * which cannot carve a path out of a granted tree: an entry a right reaches
 * is SBX_EUNSUPPORTED (enforce) or a skipped note (best-effort). After
 * sbx_prepare_landlock (it reads the rules). The spawn door: nothing here. */
int sbx_prepare_protect(struct sbx_prepared *pp, const struct sbx_policy *p,
			struct sbx_error *err);

/* prepare_seccomp.c: the filter (pp->compiled, pp->plan.seccomp), with the
 * denial rewrite when the policy asks for reports and the door listens. */
int sbx_prepare_seccomp(struct sbx_prepared *pp, const struct sbx_policy *p,
			struct sbx_error *err);

/* prepare_seccomp.c: the policy's filter for the native arch with one more
 * entry after all of its own that allows io_uring_enter (the self door's
 * filter for a process holding io_uring rings); *out NULL when the policy
 * has no seccomp section. src-native/gen/gen-presets.c compiles it for every
 * preset at build time (preset_fast.h). */
int sbx_compile_policy_keep_rings(const struct sbx_policy *p, const struct sbx_policy_net *net,
				  struct sbx_compiled **out, struct sbx_error *err);

/* prepare_unix.c: net.unixPaths for the door (spawn: sets unix_supervise;
 * preload and self: refused in enforce mode, a skipped note in best-effort),
 * and the spawn door's filter with the unix-socket calls notified. */
int sbx_prepare_unix_check(struct sbx_prepared *pp, const struct sbx_policy *p, int abi,
			   struct sbx_error *err);
/* prepare_hosts.c: net.hosts for the door (spawn: the egress path, whose
 * supervisor is the unix-socket one, so it sets unix_supervise; preload and
 * self: refused, whatever the compat: skipping it would open the network). */
int sbx_prepare_hosts_check(struct sbx_prepared *pp, const struct sbx_policy *p,
			    struct sbx_error *err);
int sbx_prepare_unix_seccomp(struct sbx_prepared *pp, const struct sbx_policy *p,
			     struct sbx_error *err);

/* prepare_listener.c: a filter that has a listener refuses seccomp() with
 * SECCOMP_FILTER_FLAG_NEW_LISTENER (EBUSY) wherever the model would let
 * seccomp() run: a listener of the program's own would get, and could let
 * run, the calls sbx's filter notifies once sbx's listener is gone.
 * 0 or -ENOMEM. */
int sbx_model_refuse_listeners(struct sbx_filter_model *m);

/* Every allow of the call `name` (base, default, rules) becomes USER_NOTIF. */
void sbx_model_notify_allows(struct sbx_filter_model *m, const char *name);

/* report: the calls that name a file are notified where allowed, for the
 * supervisor to see file denials (fs_denial.h); sets pp->observe_fs. */
void sbx_model_observe_fs(struct sbx_prepared *pp, struct sbx_filter_model *m);

/*
 * For a supervisor answering USER_NOTIF requests of a filter prepared with
 * notify_denials: the SECCOMP_RET_* value the policy gives this call (an
 * ERRNO(n) to answer with -n, or ALLOW for a call that is notified for other
 * reasons). Returns 0, or -EINVAL when the prepared sandbox has no model.
 * Input is the struct seccomp_data of the notification.
 */
int sbx_prepared_denial_ret(const struct sbx_prepared *pp, uint32_t arch,
			    uint32_t nr, const uint64_t args[6], uint32_t *ret);

/* The start of every apply: marks the sandbox applied and resets its result
 * (what Landlock dropped at prepare copied in); returns &pp->result. */
struct sbx_apply_result *sbx_prepared_begin_apply(struct sbx_prepared *pp);

/* Every Landlock right that changes what a path holds or names. */
#define SBX_LANDLOCK_WRITE_RIGHTS                                              \
	(LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_REMOVE_DIR |       \
	 LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_MAKE_CHAR |       \
	 LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG |           \
	 LANDLOCK_ACCESS_FS_MAKE_SOCK | LANDLOCK_ACCESS_FS_MAKE_FIFO |         \
	 LANDLOCK_ACCESS_FS_MAKE_BLOCK | LANDLOCK_ACCESS_FS_MAKE_SYM |         \
	 LANDLOCK_ACCESS_FS_REFER | LANDLOCK_ACCESS_FS_TRUNCATE)

/* prepare_protect.c: the first prepared rule granting one of `rights` on
 * the absolute `path` or a directory above it, along the path as written and
 * as resolved, compared by device and inode as Landlock compares; or NULL.
 * A right on a directory above a path can rename the path away and put
 * another in its place. */
const struct sbx_landlock_path_rule *sbx_prepared_covering_rule(const struct sbx_prepared *pp,
								const char *path, uint64_t rights);

/* Restrict the calling thread with the prepared Landlock domain (self door,
 * other threads). Async-signal-safe; 0 when there is nothing to enforce,
 * else 0 or -errno. The thread needs no_new_privs first. */
int sbx_prepared_landlock_thread(const struct sbx_prepared *pp);

#endif /* SBX_PREPARED_H */
