/*
 * Import of Docker / OCI seccomp profiles (the JSON that `docker run
 * --security-opt seccomp=FILE` and OCI's linux.seccomp take) as an sbx
 * seccomp spec, for `"seccomp": {"import": "path"}` and
 * `sbx compile --from-docker FILE`.
 *
 * The profile is decided the way moby + runc + libseccomp would decide it on
 * this machine, then written down as spec entries whose sbx semantics
 * (seccomp.h) give the same verdicts:
 *   - includes/excludes are decided here: "arches" per sbx architecture
 *     (entry arch_mask), "caps" against caps_kept (includes: ALL listed caps
 *     kept; excludes: ANY listed cap kept, as moby), "minKernel" against
 *     the running kernel's uname release;
 *   - entries whose action equals the default are dropped (runc does);
 *   - per syscall and arch, the FIRST unconditional entry wins and removes
 *     every conditional one (libseccomp's db), so emitted entries never mix;
 *   - conditions on distinct arguments are ANDed; two on the same argument
 *     become separate rules, i.e. alternatives (runc);
 *   - names sbx's tables do not know are skipped with a note when the entry
 *     is no more restrictive than the default, an error otherwise.
 * docs/docker-import.md has the whole story.
 */
#ifndef SBX_DOCKER_IMPORT_H
#define SBX_DOCKER_IMPORT_H

#include "sbx.h"
#include "seccomp.h"

#include <stddef.h>
#include <stdint.h>

struct sbx_docker_profile; /* owns everything below */

/*
 * Parse and decide the profile in text[0..len) (need not be NUL-terminated).
 * caps_kept: bit n (SBX_CAP_BIT(n)) set when the policy keeps capability n.
 * pointer: JSON pointer, in the policy, of the value that named the profile
 * (e.g. "/seccomp/import"; NULL means ""). Errors carry it in err->pointer;
 * their message starts with the position inside the profile:
 *   "/syscalls/12/args/0/op (line 40, column 12): unknown op ..."
 * Returns 0 and *out, or -errno with *out NULL. Notes say what was skipped or
 * decided and why; they are appended to `notes` (may be NULL).
 */
int sbx_docker_import(const char *text, size_t len, uint64_t caps_kept, const char *pointer,
		      struct sbx_docker_profile **out, struct sbx_notes *notes,
		      struct sbx_error *err);

/* The spec; valid until sbx_docker_profile_free(). */
const struct sbx_seccomp_spec *sbx_docker_profile_spec(const struct sbx_docker_profile *p);

void sbx_docker_profile_free(struct sbx_docker_profile *p);

#endif
