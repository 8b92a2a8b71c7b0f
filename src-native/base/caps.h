/*
 * Linux capability names and numbers (CAP_CHOWN = 0 .. CAP_CHECKPOINT_RESTORE
 * = 40), for the policy's capabilities section and the Docker importer's
 * includes/excludes "caps". The numbers are kernel ABI and never change; the
 * table is ours because the system headers (Linux 6.1) may lag behind.
 */
#ifndef SBX_CAPS_H
#define SBX_CAPS_H

#include <stdint.h>

#define SBX_CAP_LAST 40 /* CAP_CHECKPOINT_RESTORE, Linux 5.9 */

/* Bit for a capability in a uint64_t set (bit n = capability n). */
#define SBX_CAP_BIT(n) (UINT64_C(1) << (n))

/*
 * Name -> number. Accepts "CAP_SYS_ADMIN", "SYS_ADMIN", in any letter case.
 * Returns 0..SBX_CAP_LAST, or -ENOENT.
 */
int sbx_cap_from_name(const char *name);

/* Number -> canonical name ("CAP_SYS_ADMIN"), or NULL when out of range. */
const char *sbx_cap_name(int cap);

/* Nearest canonical name to an unknown one (edit distance <= 3, "CAP_"
 * prefix and case ignored), or NULL. */
const char *sbx_cap_suggest(const char *name);

#endif
