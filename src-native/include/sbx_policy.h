/*
 * sbx — public C API for policies: load (preset, inline JSON or file, with
 * `extends`), inspect (canonical JSON, plain-words explanation), free.
 *
 * The document format is described in docs/policy.md. The struct is opaque
 * here; the core's compile and apply stages read it through
 * src-native/policy.h.
 */
#ifndef SBX_POLICY_H
#define SBX_POLICY_H

#include "sbx.h"

#ifdef __cplusplus
extern "C" {
#endif

struct sbx_policy;

/* Flags for sbx_policy_load_opts.flags. */
enum {
	/* Do not check that non-optional paths exist (e.g. `sbx compile` for
	 * another machine). Expansion and syntax checks still run. */
	SBX_POLICY_NO_PATH_CHECK = 1u << 0,
	/* Treat `source` only as inline JSON text, never as a preset name or a
	 * file path (the fuzzer, and callers that already read the text). */
	SBX_POLICY_INLINE_ONLY = 1u << 1,
	/* Refuse `extends` and `import` of files (presets still work): for
	 * text from a party that must not make sbx open files. */
	SBX_POLICY_NO_FILES = 1u << 2,
};

struct sbx_policy_load_opts {
	/* Values for $CWD, $HOME and $TMPDIR. NULL: getcwd(), getenv("HOME"),
	 * getenv("TMPDIR") or "/tmp". A policy that uses $HOME when it is
	 * unknown is an error. $CWD also resolves relative `extends`/`import`
	 * paths of an inline document. */
	const char *cwd;
	const char *home;
	const char *tmpdir;
	unsigned flags;
	/* Largest document accepted (inline text or file), 0 = 4 MiB. */
	size_t max_bytes;
};

/*
 * Load a policy. `source` is, after leading whitespace:
 *   - inline JSON text when it starts with '{';
 *   - a file path when it contains '/' or ends in ".json";
 *   - otherwise a preset name (sbx_preset_names()).
 * `extends` layers are loaded and merged; paths are expanded and (unless
 * SBX_POLICY_NO_PATH_CHECK) checked. opts may be NULL.
 * On success *out owns the merged policy (sbx_policy_free). On failure *out
 * is NULL and err has the code, the JSON pointer into the document that
 * holds the mistake, and a message that names that document when it is not
 * the top one ("in preset strict: ...", "in /x/base.json: ...").
 */
SBX_API int sbx_policy_load(const char *source, const struct sbx_policy_load_opts *opts,
			    struct sbx_policy **out, struct sbx_error *err);

/* Same, with an explicit length (text need not be NUL-terminated); always
 * inline JSON. */
SBX_API int sbx_policy_load_text(const char *text, size_t len,
				 const struct sbx_policy_load_opts *opts,
				 struct sbx_policy **out, struct sbx_error *err);

SBX_API void sbx_policy_free(struct sbx_policy *p);

/* The fully merged policy as canonical JSON (no `extends`, paths expanded,
 * seccomp flattened into ordered `rules`), loadable again with the same
 * meaning. *json is malloc'd, owned by the caller. */
SBX_API int sbx_policy_to_json(const struct sbx_policy *p, char **json,
			       struct sbx_error *err);

/* What the policy allows and denies, in plain words: one paragraph per
 * section, for `sbx explain`. *text is malloc'd, owned by the caller. */
SBX_API int sbx_policy_explain(const struct sbx_policy *p, char **text,
			       struct sbx_error *err);

/* NULL-terminated, static: the names of the built-in presets. */
SBX_API const char *const *sbx_preset_names(void);

/* The JSON text of a built-in preset (static), or NULL. */
SBX_API const char *sbx_preset_text(const char *name);

#ifdef __cplusplus
}
#endif

#endif /* SBX_POLICY_H */
