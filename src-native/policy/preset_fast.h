/*
 * Built-in presets without parsing (the fast path of sbx_policy_load() and
 * sbx_prepare()).
 *
 * A bare preset name ("strict") is the common case of every door, and all of
 * its work that does not depend on $CWD, $HOME or $TMPDIR gives the same
 * result on every start: the JSON parse, the `extends` merge, the `when`
 * expressions and the seccomp program for the native arch. src-native/gen/
 * gen-presets.c runs the normal path over each preset at build time and
 * writes C (build/.../presets_fast.c) that rebuilds the merged policy in an
 * arena (paths are expanded at load, against the real environment), and
 * the compiled program as bytes. test/native/test_preset_fast.c checks,
 * for every preset and several environments, that both paths give the same
 * policy, program and errors.
 *
 * Any doubt goes the normal way: load options the table was not built for,
 * an expansion or path check that fails (the normal path then reports it,
 * with its pointer), a filter built from a `net` section a door derived
 * (sbx_prepare_inputs.inet_closed). A loaded policy is never changed (const
 * from the load on), so the table index is all the cache needs.
 */
#ifndef SBX_PRESET_FAST_H
#define SBX_PRESET_FAST_H

#include "policy.h"
#include "sbx_compile.h"

#include <stdbool.h>
#include <stddef.h>

/* What the generated builders fill, through the helpers below. */
struct sbx_fast_builder {
	struct sbx_policy *p;
	struct sbx_parse_ctx ctx;      /* arena, $CWD/$HOME/$TMPDIR        */
	bool check_paths;              /* no SBX_POLICY_NO_PATH_CHECK      */
	bool failed;                   /* ENOMEM or a path that fails      */
	struct sbx_error scratch;      /* errors of the fast path, dropped */
};

/* ---- generated (presets_fast.c) ----------------------------------------------- */

/* The table's index of a preset, or -1. *max_text: the longest document of
 * its `extends` chain (the normal path parses each within max_bytes). */
int sbx_preset_fast_index(const char *name, size_t *max_text);
/* Fill b->p (initialised, empty) with the merged preset. 0, or -1 (see
 * b->failed): the caller drops the policy and takes the normal path. */
int sbx_preset_fast_build(int index, struct sbx_fast_builder *b);
/* The preset's program for the native arch, as sbx_compile_policy_flags(p,
 * -1, SBX_COMPILE_NO_DISASSEMBLY) compiles it. 0 or -ENOMEM. */
int sbx_preset_fast_compiled(int index, struct sbx_compiled **out);
/* The same program with io_uring_enter allowed after the preset's own
 * entries, as sbx_compile_policy_keep_rings() compiles it (prepared.h). 0,
 * -ENOMEM, or -1: none (the preset's program allows io_uring_enter
 * already, or it has none). */
int sbx_preset_fast_compiled_rings(int index, struct sbx_compiled **out);

/* ---- helpers for the generated code (policy_fast.c) --------------------------- */

/* Zeroed arena memory; NULL (and b->failed) on ENOMEM. */
void *sbx_fb_alloc(struct sbx_fast_builder *b, size_t size);
/* One path of fs.<right>, in merge order: expanded when `written` starts
 * with '$' (else `path` is its normalised form), checked like the parser
 * checks it, then merged like policy_merge.c merges (same path once,
 * required anywhere = required). */
void sbx_fb_path(struct sbx_fast_builder *b, int right, const char *written,
		 const char *path, bool optional, const char *pointer);
/* One entry of fs.protect (which 0) or fs.hide (1), in merge order: expanded
 * when `written` starts with '$' (an optional $HOME entry without a home is
 * dropped, as the parser drops it), else `path` is its normalised form (it
 * may be relative); never checked for existence; merged like the parser's. */
void sbx_fb_listed(struct sbx_fast_builder *b, int which, const char *written,
		   const char *path, bool optional, const char *pointer);
/* A compiled program from its bytes. */
int sbx_fb_compiled(const unsigned char *bpf, size_t size, struct sbx_compiled **out);
int sbx_fb_compiled_note(struct sbx_compiled *c, const char *note);

/* ---- the fast paths ----------------------------------------------------------- */

/* sbx_policy_load() of a bare preset name: 0 with *out, or -1: take the
 * normal path (nothing is left behind, *err is untouched). */
int sbx_policy_load_fast(const char *source, const struct sbx_policy_load_opts *opts,
			 struct sbx_policy **out);
/* sbx_compile_policy_net(p, net, -1, SBX_COMPILE_NO_DISASSEMBLY) for a
 * policy that the fast path loaded, with its own `net` (net == &p->net): 1
 * with *out, 0: not applicable (compile normally). */
int sbx_policy_compiled_fast(const struct sbx_policy *p, const struct sbx_policy_net *net,
			     struct sbx_compiled **out);
/* sbx_compile_policy_keep_rings() for such a policy: 1 with *out, 0: not
 * applicable (compile normally). */
int sbx_policy_compiled_fast_rings(const struct sbx_policy *p, const struct sbx_policy_net *net,
				   struct sbx_compiled **out);

#endif /* SBX_PRESET_FAST_H */
