/*
 * Import of minijail seccomp policies (the `.policy` language of minijail's
 * compile_seccomp_policy.py and minijail0 -S) as an sbx seccomp spec, for
 * `"seccomp": {"import": "x.policy"}` and `sbx compile --from-minijail FILE`.
 *
 * The policy is read for each sbx architecture the way minijail's compiler
 * reads it for that architecture (names, constants and `[arch=...]` metadata
 * differ), then written as spec entries whose sbx semantics (seccomp.h) give
 * minijail's verdicts:
 *   - every syscall's filters, gathered over all statements and @includes in
 *     file order, are tried in order; the first whose argument expression
 *     holds decides; a syscall with no unconditional filter falls back to
 *     the default action (kill, or @default);
 *   - in an allowlist, a syscall whose last action is `allow` is allowed
 *     whatever its conditional filters say (minijail's compiler does so);
 *   - `&` is "some bit set", `in` "no bit outside", all over 64 bits, except
 *     the arguments the kernel reads as 32-bit (syscalls.h), compared on
 *     their low word like every sbx rule;
 *   - `kill` and the default kill are kill-process (minijail's
 *     --use-kill-process); a policy that says @denylist is compiled as
 *     minijail compiles it with --denylist (unlisted syscalls allowed).
 * docs/minijail-import.md has the whole story and the differences.
 */
#ifndef SBX_MINIJAIL_IMPORT_H
#define SBX_MINIJAIL_IMPORT_H

#include "sbx.h"
#include "seccomp.h"

#include <stdbool.h>
#include <stddef.h>

struct sbx_minijail_policy; /* owns everything below */

/* Does text[0..len) look like a minijail policy rather than JSON? A comment,
 * an @statement, `name:`, `name[`, or `{name,` / `{name}` first; anything
 * else (including empty text) is left to the JSON reader, so broken JSON
 * keeps the JSON reader's error. */
bool sbx_minijail_sniff(const char *text, size_t len);

/*
 * Read the policy in text[0..len), whose file is `path` (absolute; relative
 * @include and @frequency paths are resolved from its directory, as
 * minijail does), for every sbx architecture. pointer: the JSON pointer, in
 * the sbx policy, of the value that named the file ("/seccomp/import"); errors
 * carry it in err->pointer and start with "FILE:LINE:COLUMN: ".
 * Fails when the policy compiles for no architecture (the native
 * architecture's error is given); when it compiles for some only, the others'
 * errors wait for sbx_minijail_policy_check(). Notes (what sbx cannot honour
 * as written) are appended to `notes` (may be NULL).
 * Returns 0 and *out, or -errno with *out NULL.
 */
int sbx_minijail_import(const char *text, size_t len, const char *path, const char *pointer,
			struct sbx_minijail_policy **out, struct sbx_notes *notes,
			struct sbx_error *err);

/* The spec, entries of every architecture it compiles for (arch_mask says
 * which); valid until sbx_minijail_policy_free(). */
const struct sbx_seccomp_spec *sbx_minijail_policy_spec(const struct sbx_minijail_policy *p);

/* 0 when the policy compiles for `arch`; else its error there (-errno). */
int sbx_minijail_policy_check(const struct sbx_minijail_policy *p, enum sbx_arch arch,
			      struct sbx_error *err);

void sbx_minijail_policy_free(struct sbx_minijail_policy *p);

#endif
