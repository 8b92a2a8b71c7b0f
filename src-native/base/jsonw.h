/*
 * Append-only JSON writer: a growing string plus just enough state to put
 * commas and colons in the right places, so callers write a document as a
 * sequence of begin/key/value/end calls.
 *
 * Errors are sticky: after the first failure (out of memory, nesting deeper
 * than SBX_JSONW_MAX_DEPTH, a value where a key is due) every call is a
 * no-op, and sbx_jsonw_finish() reports it. Callers therefore check once, at
 * the end, instead of after every call.
 *
 * Strings are escaped per RFC 8259; bytes that are not valid UTF-8 are
 * replaced by U+FFFD, so the output is always valid JSON whatever the input
 * (paths and /proc contents are arbitrary bytes).
 */
#ifndef SBX_JSONW_H
#define SBX_JSONW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SBX_JSONW_MAX_DEPTH 32

struct sbx_jsonw {
	char *buf;
	size_t len;
	size_t cap;
	int err;                /* 0, or a positive errno (sticky)            */
	int depth;
	bool fixed;             /* buf is the caller's: never grown or freed  */
	bool after_key;         /* a key was written, its value is due        */
	/* per level: 'o' object, 'a' array; and whether it has members yet   */
	char kind[SBX_JSONW_MAX_DEPTH];
	bool nonempty[SBX_JSONW_MAX_DEPTH];
};

void sbx_jsonw_init(struct sbx_jsonw *w);
/* Write into the caller's buffer (cap bytes, with room for the NUL) and
 * never allocate: for lines written where malloc may not be had (a confined
 * child after a failed exec, a supervisor while the program waits). Running
 * out of room is the sticky error ENOSPC. */
void sbx_jsonw_init_fixed(struct sbx_jsonw *w, char *buf, size_t cap);
/* 0 when the document is complete and no call failed (then w->buf holds
 * w->len bytes and a NUL), else -errno. For the fixed mode; finish() is
 * the allocating mode's. */
int sbx_jsonw_check(const struct sbx_jsonw *w);
/* Free the buffer (safe after finish, safe twice; a fixed one is left). */
void sbx_jsonw_free(struct sbx_jsonw *w);

/* Returns 0 and hands the NUL-terminated document to *out (caller frees),
 * or -errno if any call failed or the document is incomplete. The writer is
 * left empty either way. */
int sbx_jsonw_finish(struct sbx_jsonw *w, char **out);

void sbx_jsonw_object_begin(struct sbx_jsonw *w);
void sbx_jsonw_object_end(struct sbx_jsonw *w);
void sbx_jsonw_array_begin(struct sbx_jsonw *w);
void sbx_jsonw_array_end(struct sbx_jsonw *w);

/* A member name; must be followed by exactly one value. */
void sbx_jsonw_key(struct sbx_jsonw *w, const char *key);

void sbx_jsonw_string(struct sbx_jsonw *w, const char *s);
void sbx_jsonw_string_n(struct sbx_jsonw *w, const char *s, size_t n);
void sbx_jsonw_int(struct sbx_jsonw *w, int64_t v);
void sbx_jsonw_uint(struct sbx_jsonw *w, uint64_t v);
void sbx_jsonw_bool(struct sbx_jsonw *w, bool v);
void sbx_jsonw_null(struct sbx_jsonw *w);

/* Shorthands for "key": value. */
void sbx_jsonw_kv_string(struct sbx_jsonw *w, const char *key, const char *s);
void sbx_jsonw_kv_int(struct sbx_jsonw *w, const char *key, int64_t v);
void sbx_jsonw_kv_bool(struct sbx_jsonw *w, const char *key, bool v);
/* "key": null, "keyReason": "why" — the probe's convention for a value
 * that could not be measured. */
void sbx_jsonw_kv_null_reason(struct sbx_jsonw *w, const char *key,
			      const char *reason);

#endif /* SBX_JSONW_H */
