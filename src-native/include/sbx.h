/*
 * sbx — public C API of the core.
 *
 * Conventions (every function of the core follows them):
 *   - names are sbx_<noun>_<verb>();
 *   - a function returns 0 on success or a negative errno value on failure, and
 *     when it fails it fills the caller's struct sbx_error (never prints);
 *   - nothing here keeps global state or leaves fds/allocations behind unless
 *     the function's contract says it returns an owned object (freed with the
 *     matching sbx_<noun>_free()).
 *
 * Only this header is public; everything else in src-native/ is internal.
 */
#ifndef SBX_H
#define SBX_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Symbols meant for the addon and the other artifacts. The core is built with
 * -fvisibility=hidden; the artifacts that load it decide what they export. */
#define SBX_API __attribute__((visibility("default")))

#define SBX_VERSION_STRING "0.1.0"

/* Error codes. Each has a stable name (sbx_code_name) that users see as
 * SbxError.code in JavaScript and in the CLI's messages. */
enum sbx_code {
	SBX_OK = 0,
	SBX_EINTERNAL,      /* a bug or an impossible state in sbx itself        */
	SBX_ENOMEM,         /* out of memory                                     */
	SBX_EINVAL,         /* an argument to the API itself is wrong            */
	SBX_ESYS,           /* a system call failed (errno and syscall are set)  */
	SBX_ESYNTAX,        /* JSON syntax error (line/column in the message)    */
	SBX_ETOOBIG,        /* document exceeds a size/depth/count limit         */
	SBX_ETYPE,          /* a value has the wrong JSON type                   */
	SBX_EUNKNOWNKEY,    /* an object key the schema does not know            */
	SBX_EVALUE,         /* a value is out of range or not one of the choices */
	SBX_ESYSCALL,       /* an unknown syscall or @group name                 */
	SBX_EPRESET,        /* an unknown preset name                            */
	SBX_ECYCLE,         /* `extends` refers back to itself                   */
	SBX_EPATH,          /* a path that must exist does not, or is unusable   */
	SBX_EIO,            /* a file (policy, profile) could not be read        */
	SBX_EUNSUPPORTED,   /* the kernel or architecture cannot do what is asked */
	SBX_EPROGRAM,       /* a compiled program is too long or fails to verify */
	SBX_ECODE_COUNT
};

struct sbx_error {
	int code;            /* enum sbx_code                                    */
	int err;             /* errno, when code is SBX_ESYS (else 0)            */
	char syscall[32];    /* the failing system call, when there is one       */
	char pointer[256];   /* RFC 6901 JSON pointer into the policy, or ""     */
	char message[512];   /* one line, human readable, no trailing newline    */
};

/* The stable name of a code ("SBX_ESYNTAX"); "SBX_EUNKNOWN" for a bad value. */
SBX_API const char *sbx_code_name(int code);

/* Reset an error to SBX_OK with empty strings. */
SBX_API void sbx_error_clear(struct sbx_error *e);

/* Fill an error (printf-style message) and return -errnum_ret so callers can
 * write `return sbx_error_set(err, SBX_EVALUE, EINVAL, "/fs/read/0", "...")`.
 * `pointer` may be NULL. */
SBX_API int sbx_error_set(struct sbx_error *e, int code, int errnum_ret,
			  const char *pointer, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* Same, for a failed system call: code SBX_ESYS, err = errnum. */
SBX_API int sbx_error_sys(struct sbx_error *e, int errnum, const char *syscall,
			  const char *pointer, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* The version of the core ("0.1.0"). */
SBX_API const char *sbx_version(void);

/* ---- probe: what this kernel and this process can enforce ------------------
 *
 * sbx_probe_json() measures (it does not guess from version numbers: every
 * feature is tried) and returns a JSON document, schema in docs/probe.md.
 * *out is malloc'd and owned by the caller (free()). Every field is either a
 * measured value or null with a sibling "<field>Reason" string.
 * The probe forks short-lived children to try user namespaces; it leaves no
 * process, fd or mapping behind. */
SBX_API int sbx_probe_json(char **out, struct sbx_error *err);

#ifdef __cplusplus
}
#endif

#endif /* SBX_H */
