/*
 * Strict JSON reader (RFC 8259) for policies and imported profiles.
 *
 * Why our own: libsbx.so is injected into arbitrary programs and may link
 * nothing but libc (design.md, "No dependencies in injected code").
 *
 * The reader builds a small read-only tree in one arena (one free() for the
 * whole document). Every node remembers where it started (line, column,
 * byte offset) so that later stages can point at it. Object members keep
 * document order; duplicate keys are a syntax error (a policy that says
 * "allow" twice is ambiguous, and attackers use duplicates to confuse
 * reviewers). Strings are validated UTF-8; "\u0000" is rejected because a
 * NUL inside a path or a syscall name would silently truncate it in C.
 */
#ifndef SBX_JSON_H
#define SBX_JSON_H

#include "sbx.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum sbx_json_type {
	SBX_JSON_NULL,
	SBX_JSON_BOOL,
	SBX_JSON_NUMBER,
	SBX_JSON_STRING,
	SBX_JSON_ARRAY,
	SBX_JSON_OBJECT,
};

struct sbx_json_member;

struct sbx_json {
	enum sbx_json_type type;
	uint32_t line;             /* 1-based */
	uint32_t column;           /* 1-based, in bytes */
	size_t offset;             /* byte offset of the value's first char */
	union {
		bool boolean;
		struct {
			const char *text;  /* the number as written, NUL-terminated */
			bool is_integer;   /* no fraction, no exponent, fits int64 or uint64 */
			bool is_negative;
			int64_t i64;       /* valid when is_integer && is_negative */
			uint64_t u64;      /* valid when is_integer && !is_negative */
			double f64;        /* always set (may be inexact) */
		} number;
		struct {
			const char *str;   /* decoded UTF-8, NUL-terminated, no inner NUL */
			size_t len;
		} string;
		struct {
			struct sbx_json **items;
			size_t count;
		} array;
		struct {
			struct sbx_json_member *members;
			size_t count;
		} object;
	} u;
};

struct sbx_json_member {
	const char *key;           /* decoded, NUL-terminated */
	size_t key_len;
	struct sbx_json *value;
};

struct sbx_json_limits {
	size_t max_bytes;          /* default 4 MiB  */
	uint32_t max_depth;        /* default 64     */
	size_t max_nodes;          /* default 1<<20  */
};

#define SBX_JSON_DEFAULT_MAX_BYTES (4u << 20)
#define SBX_JSON_DEFAULT_MAX_DEPTH 64u
#define SBX_JSON_DEFAULT_MAX_NODES (1u << 20)

struct sbx_json_doc; /* opaque: arena + root */

/*
 * Parse `len` bytes of `text` (need not be NUL-terminated). limits may be
 * NULL for the defaults. On success *out owns everything; free it with
 * sbx_json_doc_free(). On failure *out is NULL and err has:
 *   SBX_ESYNTAX  "line L, column C: expected ..., found ..."
 *   SBX_ETOOBIG  size/depth/node limit, with the limit in the message
 *   SBX_ENOMEM
 * and err->pointer is the JSON pointer of the innermost value being parsed
 * when the error was found (best effort; "" at top level).
 */
int sbx_json_parse(const char *text, size_t len,
		   const struct sbx_json_limits *limits,
		   struct sbx_json_doc **out, struct sbx_error *err);

const struct sbx_json *sbx_json_doc_root(const struct sbx_json_doc *doc);
void sbx_json_doc_free(struct sbx_json_doc *doc);

/* Object member lookup by key, or NULL. Linear; objects are small. */
const struct sbx_json *sbx_json_get(const struct sbx_json *obj, const char *key);

/* "object", "array", ... for messages. */
const char *sbx_json_type_name(enum sbx_json_type t);

/*
 * JSON pointers (RFC 6901) for error messages: append "/" + escaped token
 * ("~" -> "~0", "/" -> "~1") to buf (size cap, always NUL-terminated,
 * truncated with "..." if it does not fit). Returns the previous length so
 * the caller can restore it: `size_t n = sbx_json_ptr_push(p, cap, "fs");
 * ...; sbx_json_ptr_pop(p, n);`
 */
size_t sbx_json_ptr_push(char *buf, size_t cap, const char *token);
size_t sbx_json_ptr_push_index(char *buf, size_t cap, size_t index);
void sbx_json_ptr_pop(char *buf, size_t prev_len);

#endif
