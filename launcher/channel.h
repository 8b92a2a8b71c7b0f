/*
 * The launcher's policy channel, the part without side effects on the
 * process: read the text from the fd (to end-of-file, bounded) and load it.
 * Separate from main.c so that test/fuzz/fuzz_launcher_policy.c runs the
 * very code the launcher runs on what arrives there.
 */
#ifndef SBX_LAUNCHER_CHANNEL_H
#define SBX_LAUNCHER_CHANNEL_H

#include "sbx.h"
#include "sbx_policy.h"

#include <stddef.h>

/* Largest policy text accepted on the channel (docs/spawn.md). */
#define LN_POLICY_MAX (4u << 20)

enum ln_channel_kind {
	LN_CHANNEL_DEFAULT,     /* blank: the `default` preset            */
	LN_CHANNEL_INLINE,      /* starts with '{': inline JSON            */
	LN_CHANNEL_SOURCE,      /* a preset name or a file path            */
};

/* Read `fd` to end-of-file: *text is malloc'd and NUL-terminated (it may
 * hold NULs before that), *len its length. More than LN_POLICY_MAX bytes
 * is SBX_ETOOBIG. Retries EINTR. */
int ln_channel_read(int fd, char **text, size_t *len, struct sbx_error *err);

/* What the text is, deciding by its first byte after blanks (*start). */
enum ln_channel_kind ln_channel_kind(const char *text, size_t len, const char **start);

/* Load the text as the launcher does: blank -> "default", inline JSON,
 * else a preset name or file path. A NUL byte anywhere is SBX_ESYNTAX (it
 * would cut the text short). text[len] must be '\0' (as ln_channel_read
 * leaves it); opts->max_bytes should be LN_POLICY_MAX. */
int ln_channel_load(const char *text, size_t len, const struct sbx_policy_load_opts *opts,
		    struct sbx_policy **out, struct sbx_error *err);

#endif /* SBX_LAUNCHER_CHANNEL_H */
