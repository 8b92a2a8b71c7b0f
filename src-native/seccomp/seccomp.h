/*
 * Seccomp, from what the user wrote to the BPF the kernel runs, in three forms:
 *
 *   spec   (struct sbx_seccomp_spec)  an ordered list of entries, as written:
 *          produced by the policy parser (the "seccomp" section, presets and
 *          `extends` layers appended in order) and by the Docker-profile
 *          importer. Names may be groups; nothing is resolved yet.
 *   model  (struct sbx_filter_model)  per architecture: for every syscall
 *          number, its base action and its ordered conditional rules; the
 *          meaning of the filter, with no BPF in it. Tests evaluate it
 *          directly (sbx_filter_model_eval) as the reference semantics.
 *   BPF    the compiled program (sbx_seccomp_compile), which must give the
 *          same verdict as the model for every input.
 *
 * Entry semantics (documented for users in docs/policy.md):
 *   - entries apply in order; later ones override earlier ones;
 *   - an entry WITHOUT conditions sets the syscall's base action and drops any
 *     conditional rule collected for it so far ("this syscall: X, period");
 *   - an entry WITH conditions appends a rule; at run time a syscall's rules are
 *     tried in order, the first whose conditions all hold (AND) decides;
 *     if none holds, the base action decides, else the spec's default;
 *   - a group name expands to its members, each treated as above;
 *   - a name that exists in Linux but not on this arch is skipped with a note.
 * Independent of entries, every model also has:
 *   - a foreign-architecture action (kill process);
 *   - on x86_64, x32 numbers (bit 30) are killed unless allowed explicitly;
 *   - numbers above the table's highest, and holes in the table, give
 *     ERRNO(ENOSYS) whatever the default, so libc falls back to older calls.
 */
#ifndef SBX_SECCOMP_H
#define SBX_SECCOMP_H

#include "sbx.h"
#include "syscalls.h"

#include <linux/filter.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum sbx_action_kind {
	SBX_ACT_ALLOW,
	SBX_ACT_ERRNO,         /* data = errno (0..4095)               */
	SBX_ACT_KILL_PROCESS,
	SBX_ACT_KILL_THREAD,
	SBX_ACT_TRAP,          /* data = SIGSYS si_errno payload        */
	SBX_ACT_LOG,
	SBX_ACT_NOTIFY,        /* SECCOMP_RET_USER_NOTIF                */
	SBX_ACT_TRACE,         /* data = tracer message (Docker import) */
};

struct sbx_action {
	enum sbx_action_kind kind;
	uint16_t data;
};

/* The SECCOMP_RET_* value of an action. */
uint32_t sbx_action_ret(struct sbx_action a);

/* Parse "allow", "errno:EPERM", "errno:13", "kill", "kill-process",
 * "kill-thread", "trap", "log", "notify". 0 or -EINVAL (err names choices). */
int sbx_action_parse(const char *text, struct sbx_action *out,
		     const char *pointer, struct sbx_error *err);

/* Canonical text of an action ("errno:EPERM"). */
void sbx_action_format(struct sbx_action a, char *buf, size_t cap);

enum sbx_cmp_op {
	SBX_CMP_EQ,
	SBX_CMP_NE,
	SBX_CMP_LT,
	SBX_CMP_LE,
	SBX_CMP_GT,
	SBX_CMP_GE,
	SBX_CMP_MASKED_EQ,     /* (arg & mask) == value                  */
	SBX_CMP_IN,            /* arg is one of set[0..nset)              */
	SBX_CMP_MASKED_NE,     /* (arg & mask) != value: minijail's `&`   */
};

struct sbx_arg_cond {
	uint8_t arg;           /* 0..5 */
	enum sbx_cmp_op op;
	uint64_t value;
	uint64_t mask;         /* MASKED_EQ and MASKED_NE only */
	const uint64_t *set;   /* IN only */
	size_t nset;
	/* When true the comparison uses only the low 32 bits of the argument
	 * (and of value/mask/set). The resolver sets it for arguments that
	 * sbx_syscall_arg32_mask() marks as 32-bit; the user cannot turn it off. */
	bool low32;
};

#define SBX_ARCH_MASK_ALL 0xffu
#define SBX_ARCH_BIT(a) (1u << (a))

struct sbx_seccomp_entry {
	const char *name;              /* syscall name or "@group"            */
	struct sbx_action action;
	const struct sbx_arg_cond *conds; /* AND of all; NULL when nconds==0  */
	size_t nconds;
	unsigned arch_mask;            /* SBX_ARCH_BIT(...) set; ALL usually   */
	const char *pointer;           /* JSON pointer of where it was written */
};

struct sbx_seccomp_spec {
	bool has_default;
	struct sbx_action default_action;  /* when !has_default: errno:EPERM  */
	const char *default_pointer;
	const struct sbx_seccomp_entry *entries;
	size_t nentries;
	/* Action for the x86_64 i386 and x32 ABIs and for foreign arches:
	 * kill process unless set (Docker import may map it elsewhere). */
	bool has_bad_arch;
	struct sbx_action bad_arch_action;
};

/* Human-readable notes gathered while resolving/importing ("skipped `open`:
 * not a syscall on aarch64"). Owned growable list of malloc'd strings. */
struct sbx_notes {
	char **items;
	size_t count, cap;
};
void sbx_notes_add(struct sbx_notes *n, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void sbx_notes_free(struct sbx_notes *n);

/* ---- model --------------------------------------------------------------- */

struct sbx_model_rule {
	struct sbx_arg_cond *conds;    /* owned by the model */
	size_t nconds;
	struct sbx_action action;
};

struct sbx_model_syscall {
	bool has_base;                 /* else: the default action applies */
	struct sbx_action base;
	struct sbx_model_rule *rules;  /* tried in order, first match wins */
	size_t nrules;
};

struct sbx_filter_model {
	enum sbx_arch arch;
	struct sbx_action default_action;
	struct sbx_action bad_arch_action;
	int max_nr;                     /* sbx_arch_info(arch)->max_nr */
	struct sbx_model_syscall *sys;  /* [max_nr + 1] */
};

int sbx_seccomp_resolve(const struct sbx_seccomp_spec *spec, enum sbx_arch arch,
			struct sbx_filter_model **out, struct sbx_notes *notes,
			struct sbx_error *err);
void sbx_filter_model_free(struct sbx_filter_model *m);

/* Reference semantics: the SECCOMP_RET_* value the model gives for this
 * input (arch, nr, args as the kernel passes them). */
uint32_t sbx_filter_model_eval(const struct sbx_filter_model *m, uint32_t arch,
			       uint32_t nr, const uint64_t args[6]);

/* ---- compiler ------------------------------------------------------------ */

int sbx_seccomp_compile(const struct sbx_filter_model *m,
			struct sock_filter **out, size_t *len,
			struct sbx_error *err);

/* sbx_seccomp_compile_flags: every leaf keeps its own `ret` (no
 * sbx_bpf_share_rets); the same decisions in a longer program, which the
 * tests compare the shared layout with. */
#define SBX_SECCOMP_RET_PER_LEAF 1u

int sbx_seccomp_compile_flags(const struct sbx_filter_model *m, unsigned flags,
			      struct sock_filter **out, size_t *len,
			      struct sbx_error *err);

#endif
