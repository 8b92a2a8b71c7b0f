/*
 * sbx — public C API of the seccomp compiler: a seccomp spec in, the BPF
 * program out, with its disassembly and the notes of what was skipped, for
 * `sbx compile` and `sbx.compile()`.
 *
 * Nothing is applied here; the program can be handed to seccomp(2) by the
 * apply stage, written to a file, or inspected.
 */
#ifndef SBX_COMPILE_H
#define SBX_COMPILE_H

#include "sbx.h"

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Built by the policy parser or the Docker importer (src-native/seccomp.h). */
struct sbx_seccomp_spec;

struct sbx_compiled {
	int arch;                  /* enum sbx_arch the program is for        */
	unsigned char *bpf;        /* struct sock_filter[insn_count], as bytes */
	size_t bpf_size;           /* 8 * insn_count                          */
	size_t insn_count;
	char *disassembly;         /* one instruction per line, NUL-terminated */
	char **notes;              /* what was skipped and why                */
	size_t nnotes;
};

/*
 * Resolve and compile `spec` for `arch` (enum sbx_arch; -1 = the arch sbx was
 * built for). On success *out owns the result (sbx_compiled_free). Errors:
 * SBX_ESYSCALL (unknown name, with pointer and suggestion), SBX_EVALUE,
 * SBX_EPROGRAM (over 4096 instructions), SBX_ENOMEM, SBX_EINVAL.
 */
SBX_API int sbx_compile_seccomp_spec(const struct sbx_seccomp_spec *spec, int arch,
				     struct sbx_compiled **out, struct sbx_error *err);

/* Loaded by sbx_policy_load() (sbx_policy.h). */
struct sbx_policy;

/*
 * The seccomp program of a loaded policy for `arch` (-1: native): its
 * seccomp section (presets, `extends`, imported profile) and the socket
 * rules of its `net` section. A policy that asks for no filter gives a
 * result with insn_count 0, bpf NULL and a note saying so.
 */
SBX_API int sbx_compile_policy(const struct sbx_policy *policy, int arch,
			       struct sbx_compiled **out, struct sbx_error *err);

/* Flags for the *_flags variants. */
enum {
	/* Leave `disassembly` NULL: the apply paths (preload, self, spawn) need
	 * only the program, and formatting the listing costs more than
	 * compiling it. */
	SBX_COMPILE_NO_DISASSEMBLY = 1u << 0,
};

SBX_API int sbx_compile_seccomp_spec_flags(const struct sbx_seccomp_spec *spec, int arch,
					   unsigned flags, struct sbx_compiled **out,
					   struct sbx_error *err);
SBX_API int sbx_compile_policy_flags(const struct sbx_policy *policy, int arch,
				     unsigned flags, struct sbx_compiled **out,
				     struct sbx_error *err);

SBX_API void sbx_compiled_free(struct sbx_compiled *c);

/* Architecture by name ("x86_64"/"amd64", "aarch64"/"arm64"; NULL = the arch
 * sbx was built for), or -1; and the canonical name of an arch, or NULL. */
SBX_API int sbx_arch_by_name(const char *name);
SBX_API const char *sbx_arch_name(int arch);

#ifdef __cplusplus
}
#endif

#endif /* SBX_COMPILE_H */
