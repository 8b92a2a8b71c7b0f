/*
 * Linux errno names (EPERM .. EHWPOISON) and their numbers on x86_64 and
 * aarch64 (both use the asm-generic values).
 */
#ifndef SBX_ERRNO_NAMES_H
#define SBX_ERRNO_NAMES_H

/* Highest errno with a name (EHWPOISON). */
#define SBX_ERRNO_MAX 133

/* "EPERM" for 1; NULL for 0, unnamed or out-of-range values. */
const char *sbx_errno_name(int value);

/* 1 for "EPERM" (exact spelling; aliases EWOULDBLOCK, EDEADLOCK, ENOTSUP
 * accepted); -1 when unknown. */
int sbx_errno_from_name(const char *name);

/* Nearest errno name to `name` for "did you mean", or NULL. */
const char *sbx_errno_suggest(const char *name);

#endif
