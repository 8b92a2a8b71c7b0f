/*
 * The plan: everything decided, nothing applied.
 *
 * A policy compiles into a struct sbx_plan (the compiler fills it; strings and
 * arrays are borrowed from whatever owns the compiled policy and must outlive
 * every use of the plan). The apply engine (apply.h) reads a plan and changes
 * the calling process; it never allocates or interprets policy text.
 *
 * Every field is chosen so that a zero-initialised part means "this part is
 * not asked for", and a part that is asked for with zero options gets the
 * strict default (e.g. caps.present with keep = 0 drops every capability and
 * locks the securebits). Pointers are RFC 6901 JSON pointers into the policy,
 * copied into errors; NULL is fine.
 */
#ifndef SBX_PLAN_H
#define SBX_PLAN_H

#include "compat.h"

#include <linux/filter.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>


/* ---- notes -------------------------------------------------------------------
 * What was skipped or adjusted, and why. Fixed capacity, no allocation: the
 * engine runs inside arbitrary programs (preload door) and must not leave heap
 * behind; a note that does not fit is counted in `lost`. */
#define SBX_NOTEBUF_MAX 32
#define SBX_NOTE_LEN 200
struct sbx_notebuf {
	unsigned count;
	unsigned lost;
	char text[SBX_NOTEBUF_MAX][SBX_NOTE_LEN];
};

/* Append a note (printf-style); nb may be NULL. notebuf.c */
void sbx_notebuf_add(struct sbx_notebuf *nb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* ---- rlimits (design step 3) ---------------------------------------------- */
struct sbx_plan_rlimit {
	int resource;            /* RLIMIT_NOFILE, ...                          */
	uint64_t soft, hard;     /* UINT64_MAX = unlimited (RLIM_INFINITY)       */
	const char *name;        /* "nofile", for messages; NULL: from resource */
	const char *pointer;     /* "/rlimits/nofile"                           */
};

/* ---- capabilities (design step 5) --------------------------------------------- */
struct sbx_plan_caps {
	bool present;
	uint64_t keep;           /* bit n = capability n; all others dropped    */
	/* Raise the kept capabilities into the ambient set so that they survive
	 * execve() of a program without file capabilities (spawn door). */
	bool keep_across_exec;
	/* Leave the securebits alone (default: set and lock NOROOT,
	 * NO_SETUID_FIXUP, NO_CAP_AMBIENT_RAISE, KEEP_CAPS off). */
	bool skip_securebits;
	int compat;              /* enum sbx_compat                              */
	const char *pointer;     /* "/capabilities"                              */
};

/* ---- Landlock (design step 7) -------------------------------------------------- */
struct sbx_landlock_path_rule {
	const char *path;        /* absolute, already expanded                  */
	uint64_t access;         /* LANDLOCK_ACCESS_FS_*                         */
	bool optional;           /* missing path: a note instead of an error    */
	const char *pointer;     /* "/fs/read/2"                                 */
};

struct sbx_landlock_net_rule {
	uint16_t port;
	uint64_t access;         /* LANDLOCK_ACCESS_NET_BIND_TCP / _CONNECT_TCP  */
	const char *pointer;     /* "/net/connect/0"                             */
};

struct sbx_landlock_plan {
	bool present;
	int compat;              /* enum sbx_compat                              */
	/* Rights the ruleset handles: a handled right is denied everywhere a
	 * rule does not grant it. Whatever a rule grants is added to these. */
	uint64_t handled_fs;
	uint64_t handled_net;
	uint64_t scoped;         /* LANDLOCK_SCOPE_*                              */
	uint32_t restrict_flags; /* LANDLOCK_RESTRICT_SELF_LOG_* (ABI 7)          */
	const struct sbx_landlock_path_rule *paths;
	size_t npaths;
	const struct sbx_landlock_net_rule *ports;
	size_t nports;
	/* Where the policy asked for what a rule does not name (a handled right
	 * no rule grants, a scope, a log flag). */
	const char *fs_pointer, *net_pointer, *scope_pointer, *flags_pointer;
};

/* ---- seccomp (design step 8) ----------------------------------------------------- */
struct sbx_plan_seccomp {
	const struct sock_filter *prog;  /* NULL: no filter                      */
	size_t len;
	unsigned flags;          /* SECCOMP_FILTER_FLAG_*                          */
	const char *pointer;     /* "/seccomp"                                     */
};

/* ---- the whole plan -------------------------------------------------------------- */
struct sbx_plan {
	const struct sbx_plan_rlimit *rlimits;
	size_t nrlimits;
	struct sbx_plan_caps caps;
	/* PR_SET_NO_NEW_PRIVS is always set: Landlock and seccomp need it (or
	 * CAP_SYS_ADMIN), and it makes setuid/file-capability exec harmless. */
	struct sbx_landlock_plan landlock;
	struct sbx_plan_seccomp seccomp;
};

#endif /* SBX_PLAN_H */
