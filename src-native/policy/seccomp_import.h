/*
 * `"seccomp": {"import": FILE}`: a Docker / OCI seccomp profile (JSON,
 * docker_import.h) or a minijail policy (minijail_import.h), told apart by
 * content (sbx_minijail_sniff: anything that does not look like a minijail
 * policy goes to the JSON reader, whose errors it keeps).
 */
#ifndef SBX_SECCOMP_IMPORT_H
#define SBX_SECCOMP_IMPORT_H

#include "sbx.h"
#include "seccomp.h"

#include <stddef.h>
#include <stdint.h>

struct sbx_seccomp_import;

/* text[0..len) read from `path` (absolute); caps_kept and pointer as for
 * sbx_docker_import(). 0 and *out, or -errno (err). */
int sbx_seccomp_import(const char *text, size_t len, const char *path, uint64_t caps_kept,
		       const char *pointer, struct sbx_seccomp_import **out,
		       struct sbx_notes *notes, struct sbx_error *err);

/* The spec; valid until sbx_seccomp_import_free(). */
const struct sbx_seccomp_spec *sbx_seccomp_import_spec(const struct sbx_seccomp_import *im);

/* 0 when the import can be used on `arch`; else why not (a minijail policy
 * that names a syscall or constant the architecture does not have). */
int sbx_seccomp_import_check(const struct sbx_seccomp_import *im, enum sbx_arch arch,
			     struct sbx_error *err);

/* "minijail policy" or "Docker profile", for messages. */
const char *sbx_seccomp_import_kind(const struct sbx_seccomp_import *im);

void sbx_seccomp_import_free(struct sbx_seccomp_import *im);

#endif
