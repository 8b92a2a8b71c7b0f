/*
 * Strict JSON reader (RFC 8259). See json.h for the contract.
 *
 * The parser is iterative: containers live on an explicit heap stack whose
 * height is bounded by max_depth, so hostile nesting can exhaust a limit but
 * never the C stack (libsbx.so runs inside programs whose stack we do not
 * control). Children of open containers are collected in two scratch
 * vectors and copied into the arena when the container closes, so every
 * array/object in the tree is one exact-size block.
 */
#include "json.h"

#include <errno.h>
#include <locale.h>
#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- arena ---------------------------------------------------------------- */

struct chunk {
	struct chunk *next;
	size_t size;
	size_t used;
	max_align_t data[];
};

struct arena {
	struct chunk *head;
	size_t next_size;
};

#define ARENA_ALIGN alignof(max_align_t)
#define ARENA_MIN_CHUNK ((size_t)4096)
#define ARENA_MAX_CHUNK ((size_t)64 << 20)

static void *arena_alloc(struct arena *a, size_t n)
{
	size_t need = (n + ARENA_ALIGN - 1) & ~(ARENA_ALIGN - 1);
	struct chunk *c = a->head;

	if (need < n)
		return NULL;
	if (!c || c->size - c->used < need) {
		size_t size = a->next_size;
		if (size < need)
			size = need;
		if (size > SIZE_MAX - sizeof(*c))
			return NULL;
		c = malloc(sizeof(*c) + size);
		if (!c)
			return NULL;
		c->next = a->head;
		c->size = size;
		c->used = 0;
		a->head = c;
		/* Geometric growth keeps the number of mallocs logarithmic in the
		 * document size while wasting at most about half of the last chunk. */
		if (a->next_size < ARENA_MAX_CHUNK)
			a->next_size *= 2;
	}
	void *p = (char *)c->data + c->used;
	c->used += need;
	return p;
}

static void arena_free(struct chunk *c)
{
	while (c) {
		struct chunk *next = c->next;
		free(c);
		c = next;
	}
}

struct sbx_json_doc {
	struct chunk *chunks; /* the doc itself lives in one of them */
	struct sbx_json *root;
};

/* ---- parser state --------------------------------------------------------- */

struct frame {
	struct sbx_json *node;
	size_t scratch_start;  /* index into items[] or members[] */
	size_t ptr_len;        /* pointer length of the container itself */
	uint32_t obj_id;       /* objects: scope of the duplicate-key table */
	bool hashed;           /* objects: keys are in the duplicate-key table */
};

struct keyent {
	const char *key;       /* NULL: empty slot */
	size_t len;
	uint32_t obj_id;
};

struct parser {
	const char *s;
	size_t len;
	size_t pos;
	uint32_t line;
	size_t line_start;
	size_t max_depth;
	size_t max_nodes;
	size_t nodes;
	struct arena arena;

	struct frame *frames;
	size_t nframes, cap_frames;
	struct sbx_json **items;
	size_t nitems, cap_items;
	struct sbx_json_member *members;
	size_t nmembers, cap_members;
	char *sbuf;
	size_t slen, scap;
	struct keyent *keys;
	size_t nkeys, cap_keys; /* cap_keys: 0 or a power of two */
	uint32_t next_obj_id;

	locale_t c_locale;     /* created lazily: most policies have no floats */
	int rc;                /* what the first failure returned */
	struct sbx_error *err;
	char ptr[sizeof(((struct sbx_error *)0)->pointer)];
};

static int grow(void **v, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return 0;
	size_t n = *cap ? *cap : 16;
	while (n < need) {
		if (n > SIZE_MAX / 2)
			return -1;
		n *= 2;
	}
	if (n > SIZE_MAX / elem)
		return -1;
	void *p = realloc(*v, n * elem);
	if (!p)
		return -1;
	*v = p;
	*cap = n;
	return 0;
}

static int fail_nomem(struct parser *p)
{
	return p->rc = sbx_error_set(p->err, SBX_ENOMEM, ENOMEM, p->ptr,
			     "out of memory while parsing JSON");
}

static size_t col_of(const struct parser *p, size_t at)
{
	return at - p->line_start + 1;
}

/* What the reader saw at `at`, for "found ..." in messages. */
static const char *describe(const struct parser *p, size_t at, char *buf, size_t cap)
{
	if (at >= p->len)
		return "end of input";
	unsigned char c = (unsigned char)p->s[at];
	if (c == '\'')
		snprintf(buf, cap, "\"'\"");
	else if (c > 0x20 && c < 0x7f)
		snprintf(buf, cap, "'%c'", c);
	else if (c == ' ')
		snprintf(buf, cap, "' '");
	else if (c < 0x20)
		snprintf(buf, cap, "control character U+%04X", c);
	else
		snprintf(buf, cap, "byte 0x%02X", c);
	return buf;
}

static int fail_syntax(struct parser *p, size_t at, const char *expected)
{
	char buf[40];
	return p->rc = sbx_error_set(p->err, SBX_ESYNTAX, EINVAL, p->ptr,
			     "line %u, column %zu: expected %s, found %s",
			     p->line, col_of(p, at), expected,
			     describe(p, at, buf, sizeof(buf)));
}

static int fail_syntax_found(struct parser *p, size_t at, const char *expected,
			     const char *found)
{
	return p->rc = sbx_error_set(p->err, SBX_ESYNTAX, EINVAL, p->ptr,
			     "line %u, column %zu: expected %s, found %s",
			     p->line, col_of(p, at), expected, found);
}

static void skip_ws(struct parser *p)
{
	while (p->pos < p->len) {
		char c = p->s[p->pos];
		if (c == '\n') {
			if (p->line < UINT32_MAX)
				p->line++;
			p->line_start = p->pos + 1;
		} else if (c != ' ' && c != '\t' && c != '\r') {
			return;
		}
		p->pos++;
	}
}

static struct sbx_json *new_node(struct parser *p, enum sbx_json_type t, size_t at)
{
	if (p->nodes >= p->max_nodes) {
		p->rc = sbx_error_set(p->err, SBX_ETOOBIG, E2BIG, p->ptr,
			      "line %u, column %zu: more than %zu values (max_nodes)",
			      p->line, col_of(p, at), p->max_nodes);
		return NULL;
	}
	struct sbx_json *n = arena_alloc(&p->arena, sizeof(*n));
	if (!n) {
		fail_nomem(p);
		return NULL;
	}
	memset(n, 0, sizeof(*n));
	p->nodes++;
	n->type = t;
	n->line = p->line;
	size_t col = col_of(p, at);
	n->column = col > UINT32_MAX ? UINT32_MAX : (uint32_t)col;
	n->offset = at;
	return n;
}

/* ---- strings ---------------------------------------------------------------- */

static int sbuf_put(struct parser *p, const void *b, size_t n)
{
	if (p->slen + n < p->slen ||
	    grow((void **)&p->sbuf, &p->scap, p->slen + n + 1, 1))
		return fail_nomem(p);
	memcpy(p->sbuf + p->slen, b, n);
	p->slen += n;
	return 0;
}

static int hex4(struct parser *p, size_t at, unsigned *out)
{
	unsigned v = 0;
	for (size_t i = 0; i < 4; i++) {
		if (at + i >= p->len)
			return fail_syntax(p, at + i, "hex digit");
		char c = p->s[at + i];
		unsigned d;
		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else
			return fail_syntax(p, at + i, "hex digit");
		v = v << 4 | d;
	}
	*out = v;
	return 0;
}

static int put_utf8(struct parser *p, unsigned cp)
{
	unsigned char b[4];
	size_t n;
	if (cp < 0x80) {
		b[0] = (unsigned char)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (unsigned char)(0xC0 | cp >> 6);
		b[1] = (unsigned char)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (unsigned char)(0xE0 | cp >> 12);
		b[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
		b[2] = (unsigned char)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		b[0] = (unsigned char)(0xF0 | cp >> 18);
		b[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3F));
		b[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
		b[3] = (unsigned char)(0x80 | (cp & 0x3F));
		n = 4;
	}
	return sbuf_put(p, b, n);
}

/* p->pos is on a backslash. */
static int parse_escape(struct parser *p)
{
	size_t at = p->pos;
	if (at + 1 >= p->len)
		return fail_syntax(p, at + 1, "escape character");
	char c = p->s[at + 1], out;
	switch (c) {
	case '"': out = '"'; break;
	case '\\': out = '\\'; break;
	case '/': out = '/'; break;
	case 'b': out = '\b'; break;
	case 'f': out = '\f'; break;
	case 'n': out = '\n'; break;
	case 'r': out = '\r'; break;
	case 't': out = '\t'; break;
	case 'u': {
		unsigned cp = 0, lo = 0;
		char found[48];
		if (hex4(p, at + 2, &cp))
			return -EINVAL;
		if (cp == 0)
			return fail_syntax_found(p, at, "a character other than NUL",
				"\\u0000 (a NUL would silently truncate the string in C)");
		if (cp >= 0xDC00 && cp <= 0xDFFF) {
			snprintf(found, sizeof(found), "lone low surrogate \\u%04X", cp);
			return fail_syntax_found(p, at, "a high surrogate first", found);
		}
		p->pos = at + 6;
		if (cp >= 0xD800 && cp <= 0xDBFF) {
			size_t lo_at = p->pos;
			if (lo_at + 1 >= p->len || p->s[lo_at] != '\\' ||
			    p->s[lo_at + 1] != 'u') {
				snprintf(found, sizeof(found),
					 "\\u%04X followed by no \\u escape", cp);
				return fail_syntax_found(p, lo_at,
					"a low surrogate \\uDC00-\\uDFFF", found);
			}
			if (hex4(p, lo_at + 2, &lo))
				return -EINVAL;
			if (lo < 0xDC00 || lo > 0xDFFF) {
				snprintf(found, sizeof(found), "\\u%04X after \\u%04X",
					 lo, cp);
				return fail_syntax_found(p, lo_at,
					"a low surrogate \\uDC00-\\uDFFF", found);
			}
			cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
			p->pos = lo_at + 6;
		}
		return put_utf8(p, cp);
	}
	default:
		return fail_syntax(p, at + 1,
				   "escape character (one of \" \\ / b f n r t u)");
	}
	p->pos = at + 2;
	return sbuf_put(p, &out, 1);
}

/* Length of the valid UTF-8 sequence at p->pos (lead byte >= 0x80), or an
 * error naming what is wrong with it (Unicode 15, table 3-7). */
static int utf8_seq(struct parser *p, size_t *n_out)
{
	const unsigned char *s = (const unsigned char *)p->s + p->pos;
	size_t avail = p->len - p->pos;
	unsigned c = s[0];
	unsigned lo = 0x80, hi = 0xBF;
	size_t n = 0;
	char found[64];
	const char *why = NULL;

	if (c < 0xC2) {
		why = c < 0xC0 ? "unexpected continuation byte"
			       : "overlong encoding";
	} else if (c < 0xE0) {
		n = 2;
	} else if (c < 0xF0) {
		n = 3;
		if (c == 0xE0)
			lo = 0xA0;
		if (c == 0xED)
			hi = 0x9F;
	} else if (c < 0xF5) {
		n = 4;
		if (c == 0xF0)
			lo = 0x90;
		if (c == 0xF4)
			hi = 0x8F;
	} else {
		why = "code point beyond U+10FFFF";
	}
	if (!why) {
		for (size_t i = 1; i < n; i++) {
			if (i >= avail) {
				why = "truncated sequence";
				break;
			}
			unsigned lim_lo = i == 1 ? lo : 0x80;
			unsigned lim_hi = i == 1 ? hi : 0xBF;
			if (s[i] < lim_lo || s[i] > lim_hi) {
				if (i == 1 && c == 0xE0 && s[i] >= 0x80 && s[i] < 0xA0)
					why = "overlong encoding";
				else if (i == 1 && c == 0xF0 && s[i] >= 0x80 && s[i] < 0x90)
					why = "overlong encoding";
				else if (i == 1 && c == 0xED && s[i] >= 0xA0 && s[i] <= 0xBF)
					why = "surrogate encoded in UTF-8";
				else if (i == 1 && c == 0xF4 && s[i] >= 0x90 && s[i] <= 0xBF)
					why = "code point beyond U+10FFFF";
				else
					why = "truncated sequence";
				break;
			}
		}
	}
	if (why) {
		snprintf(found, sizeof(found), "byte 0x%02X (%s)", c, why);
		return fail_syntax_found(p, p->pos, "valid UTF-8", found);
	}
	*n_out = n;
	return 0;
}

/* p->pos is on the opening quote. Leaves the decoded text in p->sbuf. */
static int parse_string_raw(struct parser *p)
{
	p->slen = 0;
	p->pos++;
	for (;;) {
		size_t run = p->pos;
		while (run < p->len) {
			unsigned char c = (unsigned char)p->s[run];
			if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80)
				break;
			run++;
		}
		if (run > p->pos && sbuf_put(p, p->s + p->pos, run - p->pos))
			return -ENOMEM;
		p->pos = run;
		if (p->pos >= p->len)
			return fail_syntax(p, p->pos, "'\"' to close the string");
		unsigned char c = (unsigned char)p->s[p->pos];
		if (c == '"') {
			p->pos++;
			break;
		} else if (c == '\\') {
			int r = parse_escape(p);
			if (r)
				return r;
		} else if (c < 0x20) {
			return fail_syntax(p, p->pos,
					   "string character or '\"' (control characters must be escaped)");
		} else {
			size_t n = 0;
			int r = utf8_seq(p, &n);
			if (r)
				return r;
			if (sbuf_put(p, p->s + p->pos, n))
				return -ENOMEM;
			p->pos += n;
		}
	}
	return 0;
}

static const char *sbuf_commit(struct parser *p)
{
	char *s = arena_alloc(&p->arena, p->slen + 1);
	if (!s) {
		fail_nomem(p);
		return NULL;
	}
	if (p->slen)
		memcpy(s, p->sbuf, p->slen);
	s[p->slen] = '\0';
	return s;
}

/* ---- duplicate keys ---------------------------------------------------------- */

static size_t key_hash(const char *k, size_t n, uint32_t obj)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)k[i];
		h *= 1099511628211ull;
	}
	/* Object ids are consecutive and most keys repeat across objects: mix
	 * fully (murmur3's finaliser) or linear probing builds long clusters. */
	h ^= obj * 0x9E3779B97F4A7C15ull;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return (size_t)h;
}

/* Returns 1 if (obj, key) was already there, 0 if inserted, -ENOMEM. */
static int key_insert(struct parser *p, const char *k, size_t n, uint32_t obj)
{
	if ((p->nkeys + 1) * 2 > p->cap_keys) {
		size_t cap = p->cap_keys ? p->cap_keys * 2 : 64;
		if (cap > SIZE_MAX / sizeof(struct keyent))
			return -ENOMEM;
		struct keyent *t = calloc(cap, sizeof(*t));
		if (!t)
			return -ENOMEM;
		for (size_t i = 0; i < p->cap_keys; i++) {
			struct keyent *e = &p->keys[i];
			if (!e->key)
				continue;
			size_t j = key_hash(e->key, e->len, e->obj_id) & (cap - 1);
			while (t[j].key)
				j = (j + 1) & (cap - 1);
			t[j] = *e;
		}
		free(p->keys);
		p->keys = t;
		p->cap_keys = cap;
	}
	size_t j = key_hash(k, n, obj) & (p->cap_keys - 1);
	while (p->keys[j].key) {
		struct keyent *e = &p->keys[j];
		if (e->obj_id == obj && e->len == n && memcmp(e->key, k, n) == 0)
			return 1;
		j = (j + 1) & (p->cap_keys - 1);
	}
	p->keys[j] = (struct keyent){ k, n, obj };
	p->nkeys++;
	return 0;
}

/* End of the last complete UTF-8 character in [start, end). */
static char *utf8_cut(char *start, char *end)
{
	char *q = end;
	while (q > start && ((unsigned char)q[-1] & 0xC0) == 0x80)
		q--;
	if (q == start || (unsigned char)q[-1] < 0xC0)
		return end; /* ASCII last, or stray continuation bytes: nothing to fix */
	unsigned lead = (unsigned char)q[-1];
	size_t want = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
	return (size_t)(end - (q - 1)) < want ? q - 1 : end;
}

/*
 * Whether the top object already has key k (1), else records it (0), or
 * -ENOMEM. Most objects are small: their members sit contiguously in
 * p->members and a scan is cheaper than hashing. Only an object that grows
 * past SCAN_MAX keys moves to the table, so a hostile object with a million
 * keys costs O(n), not O(n^2).
 */
#define SCAN_MAX 16

static int key_seen(struct parser *p, struct frame *f, const char *k, size_t n)
{
	size_t count = p->nmembers - f->scratch_start;
	if (count == 0)
		return 0; /* and p->members may still be NULL: no pointer math */
	const struct sbx_json_member *m = p->members + f->scratch_start;
	if (!f->hashed && count < SCAN_MAX) {
		for (size_t i = 0; i < count; i++)
			if (m[i].key_len == n && memcmp(m[i].key, k, n) == 0)
				return 1;
		return 0;
	}
	if (!f->hashed) {
		for (size_t i = 0; i < count; i++)
			if (key_insert(p, m[i].key, m[i].key_len, f->obj_id) < 0)
				return -ENOMEM;
		f->hashed = true;
	}
	return key_insert(p, k, n, f->obj_id);
}

/* A key as it can be shown on one line of a message. */
static void quote_key(char *buf, size_t cap, const char *k, size_t n)
{
	size_t o = 0;
	if (cap < 8)
		return;
	buf[o++] = '"';
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)k[i];
		char tmp[8];
		size_t tl;
		if (c == '"' || c == '\\') {
			tmp[0] = '\\';
			tmp[1] = (char)c;
			tl = 2;
		} else if (c < 0x20 || c == 0x7f) {
			tl = (size_t)snprintf(tmp, sizeof(tmp), "\\u%04x", c);
		} else {
			tmp[0] = (char)c;
			tl = 1;
		}
		if (o + tl + 5 > cap) {
			/* Do not leave half a UTF-8 sequence before the dots. */
			o = (size_t)(utf8_cut(buf + 1, buf + o) - buf);
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		memcpy(buf + o, tmp, tl);
		o += tl;
	}
	buf[o++] = '"';
	buf[o] = '\0';
}

/* ---- numbers -------------------------------------------------------------- */

static bool is_digit(const struct parser *p, size_t at)
{
	return at < p->len && p->s[at] >= '0' && p->s[at] <= '9';
}

static struct sbx_json *parse_number(struct parser *p)
{
	size_t start = p->pos, i = start;
	bool neg = false, integral = true;

	if (p->s[i] == '-') {
		neg = true;
		i++;
	}
	if (!is_digit(p, i)) {
		fail_syntax(p, i, "digit after '-'");
		return NULL;
	}
	if (p->s[i] == '0') {
		i++;
		if (is_digit(p, i)) {
			fail_syntax(p, i, "'.', 'e' or end of number (no leading zeros)");
			return NULL;
		}
	} else {
		while (is_digit(p, i))
			i++;
	}
	if (i < p->len && p->s[i] == '.') {
		integral = false;
		i++;
		if (!is_digit(p, i)) {
			fail_syntax(p, i, "digit after '.'");
			return NULL;
		}
		while (is_digit(p, i))
			i++;
	}
	if (i < p->len && (p->s[i] == 'e' || p->s[i] == 'E')) {
		integral = false;
		i++;
		if (i < p->len && (p->s[i] == '+' || p->s[i] == '-'))
			i++;
		if (!is_digit(p, i)) {
			fail_syntax(p, i, "digit in exponent");
			return NULL;
		}
		while (is_digit(p, i))
			i++;
	}

	struct sbx_json *n = new_node(p, SBX_JSON_NUMBER, start);
	if (!n)
		return NULL;
	size_t tl = i - start;
	char *text = arena_alloc(&p->arena, tl + 1);
	if (!text) {
		fail_nomem(p);
		return NULL;
	}
	memcpy(text, p->s + start, tl);
	text[tl] = '\0';
	n->u.number.text = text;
	n->u.number.is_negative = neg;
	p->pos = i;

	if (integral) {
		uint64_t mag = 0;
		bool fits = true;
		for (size_t k = start + neg; k < i; k++) {
			unsigned d = (unsigned)(p->s[k] - '0');
			if (mag > (UINT64_MAX - d) / 10) {
				fits = false;
				break;
			}
			mag = mag * 10 + d;
		}
		if (fits && neg && mag > (uint64_t)INT64_MAX + 1)
			fits = false;
		if (fits) {
			n->u.number.is_integer = true;
			if (neg) {
				n->u.number.i64 = mag == (uint64_t)INT64_MAX + 1
						  ? INT64_MIN : -(int64_t)mag;
				n->u.number.f64 = -(double)mag;
			} else {
				n->u.number.u64 = mag;
				/* Also set for convenience when it is representable. */
				if (mag <= (uint64_t)INT64_MAX)
					n->u.number.i64 = (int64_t)mag;
				n->u.number.f64 = (double)mag;
			}
			return n;
		}
	}
	/* strtod follows LC_NUMERIC (a host program may have called setlocale
	 * with a comma decimal point), so convert in an explicit C locale. */
	if (!p->c_locale) {
		p->c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
		if (!p->c_locale) {
			fail_nomem(p);
			return NULL;
		}
	}
	n->u.number.f64 = strtod_l(text, NULL, p->c_locale);
	return n;
}

/* ---- values --------------------------------------------------------------- */

static struct sbx_json *parse_literal(struct parser *p, const char *word,
				      enum sbx_json_type t, bool b)
{
	size_t start = p->pos, wl = strlen(word);
	for (size_t i = 0; i < wl; i++) {
		if (start + i >= p->len || p->s[start + i] != word[i]) {
			char exp[16];
			snprintf(exp, sizeof(exp), "'%s'", word);
			fail_syntax(p, start + i, exp);
			return NULL;
		}
	}
	struct sbx_json *n = new_node(p, t, start);
	if (!n)
		return NULL;
	n->u.boolean = b;
	p->pos = start + wl;
	return n;
}

static int push_frame(struct parser *p, struct sbx_json *n)
{
	if (p->nframes >= p->max_depth)
		return p->rc = sbx_error_set(p->err, SBX_ETOOBIG, E2BIG, p->ptr,
				     "line %u, column %zu: nesting deeper than %zu levels (max_depth)",
				     p->line, col_of(p, n->offset), p->max_depth);
	if (grow((void **)&p->frames, &p->cap_frames, p->nframes + 1,
		 sizeof(*p->frames)))
		return fail_nomem(p);
	struct frame *f = &p->frames[p->nframes++];
	f->node = n;
	f->ptr_len = strlen(p->ptr);
	if (n->type == SBX_JSON_ARRAY) {
		f->scratch_start = p->nitems;
		f->obj_id = 0;
	} else {
		f->scratch_start = p->nmembers;
		f->obj_id = p->next_obj_id++;
	}
	f->hashed = false;
	return 0;
}

/* Close the top container: move its children from scratch into the arena. */
static struct sbx_json *close_frame(struct parser *p)
{
	struct frame *f = &p->frames[--p->nframes];
	struct sbx_json *n = f->node;
	sbx_json_ptr_pop(p->ptr, f->ptr_len);
	if (n->type == SBX_JSON_ARRAY) {
		size_t cnt = p->nitems - f->scratch_start;
		if (cnt) {
			struct sbx_json **v = arena_alloc(&p->arena, cnt * sizeof(*v));
			if (!v) {
				fail_nomem(p);
				return NULL;
			}
			memcpy(v, p->items + f->scratch_start, cnt * sizeof(*v));
			n->u.array.items = v;
		}
		n->u.array.count = cnt;
		p->nitems = f->scratch_start;
	} else {
		size_t cnt = p->nmembers - f->scratch_start;
		if (cnt) {
			struct sbx_json_member *v = arena_alloc(&p->arena, cnt * sizeof(*v));
			if (!v) {
				fail_nomem(p);
				return NULL;
			}
			memcpy(v, p->members + f->scratch_start, cnt * sizeof(*v));
			n->u.object.members = v;
		}
		n->u.object.count = cnt;
		p->nmembers = f->scratch_start;
	}
	return n;
}

/* p->pos is on the opening quote of a key of the top object. */
static int parse_key(struct parser *p)
{
	struct frame *f = &p->frames[p->nframes - 1];
	size_t at = p->pos;
	int r = parse_string_raw(p);
	if (r)
		return r;
	const char *k = sbuf_commit(p);
	if (!k)
		return -ENOMEM;
	size_t kl = p->slen;
	sbx_json_ptr_push(p->ptr, sizeof(p->ptr), k);
	r = key_seen(p, f, k, kl);
	if (r < 0)
		return fail_nomem(p);
	if (r > 0) {
		char q[96], found[128];
		quote_key(q, sizeof(q), k, kl);
		snprintf(found, sizeof(found), "duplicate key %s", q);
		return fail_syntax_found(p, at, "unique key", found);
	}
	if (grow((void **)&p->members, &p->cap_members, p->nmembers + 1,
		 sizeof(*p->members)))
		return fail_nomem(p);
	p->members[p->nmembers++] = (struct sbx_json_member){ k, kl, NULL };
	skip_ws(p);
	if (p->pos >= p->len || p->s[p->pos] != ':')
		return fail_syntax(p, p->pos, "':'");
	p->pos++;
	skip_ws(p);
	return 0;
}

/*
 * One loop over "parse a value" and "a value is complete". `want` is what a
 * value position accepts, for the message when something else is there.
 */
static int parse_document(struct parser *p, struct sbx_json **root)
{
	const char *want = "value";
	struct sbx_json *v;

	skip_ws(p);
	for (;;) {
		/* -- a value starts at p->pos -- */
		size_t at = p->pos;
		char c = at < p->len ? p->s[at] : '\0';
		if (at >= p->len) {
			return fail_syntax(p, at, want);
		} else if (c == '[' || c == '{') {
			v = new_node(p, c == '[' ? SBX_JSON_ARRAY : SBX_JSON_OBJECT, at);
			if (!v)
				return p->rc;
			int r = push_frame(p, v);
			if (r)
				return r;
			p->pos++;
			skip_ws(p);
			char close = c == '[' ? ']' : '}';
			if (p->pos < p->len && p->s[p->pos] == close) {
				p->pos++;
				v = close_frame(p);
				if (!v)
					return p->rc;
			} else if (c == '[') {
				sbx_json_ptr_push_index(p->ptr, sizeof(p->ptr), 0);
				want = "value or ']'";
				continue;
			} else {
				if (p->pos >= p->len || p->s[p->pos] != '"')
					return fail_syntax(p, p->pos, "string key or '}'");
				r = parse_key(p);
				if (r)
					return r;
				want = "value";
				continue;
			}
		} else if (c == '"') {
			int r = parse_string_raw(p);
			if (r)
				return r;
			v = new_node(p, SBX_JSON_STRING, at);
			if (!v)
				return p->rc;
			v->u.string.len = p->slen;
			v->u.string.str = sbuf_commit(p);
			if (!v->u.string.str)
				return p->rc;
		} else if (c == '-' || (c >= '0' && c <= '9')) {
			v = parse_number(p);
		} else if (c == 't') {
			v = parse_literal(p, "true", SBX_JSON_BOOL, true);
		} else if (c == 'f') {
			v = parse_literal(p, "false", SBX_JSON_BOOL, false);
		} else if (c == 'n') {
			v = parse_literal(p, "null", SBX_JSON_NULL, false);
		} else {
			return fail_syntax(p, at, want);
		}
		if (!v)
			return p->rc;

		/* -- v is complete: attach it and find what comes next -- */
		for (;;) {
			if (p->nframes == 0) {
				*root = v;
				skip_ws(p);
				if (p->pos < p->len)
					return fail_syntax(p, p->pos, "end of input");
				return 0;
			}
			struct frame *f = &p->frames[p->nframes - 1];
			bool arr = f->node->type == SBX_JSON_ARRAY;
			if (arr) {
				if (grow((void **)&p->items, &p->cap_items, p->nitems + 1,
					 sizeof(*p->items)))
					return fail_nomem(p);
				p->items[p->nitems++] = v;
			} else {
				p->members[p->nmembers - 1].value = v;
			}
			sbx_json_ptr_pop(p->ptr, f->ptr_len);
			skip_ws(p);
			char d = p->pos < p->len ? p->s[p->pos] : '\0';
			if (p->pos < p->len && d == ',') {
				p->pos++;
				skip_ws(p);
				if (arr) {
					sbx_json_ptr_push_index(p->ptr, sizeof(p->ptr),
								p->nitems - f->scratch_start);
				} else {
					if (p->pos >= p->len || p->s[p->pos] != '"')
						return fail_syntax(p, p->pos, "string key");
					int r = parse_key(p);
					if (r)
						return r;
				}
				want = "value";
				break;
			}
			if (p->pos < p->len && d == (arr ? ']' : '}')) {
				p->pos++;
				v = close_frame(p);
				if (!v)
					return p->rc;
				continue;
			}
			return fail_syntax(p, p->pos, arr ? "',' or ']'" : "',' or '}'");
		}
	}
}

int sbx_json_parse(const char *text, size_t len,
		   const struct sbx_json_limits *limits,
		   struct sbx_json_doc **out, struct sbx_error *err)
{
	if (out)
		*out = NULL;
	if (!out || (!text && len))
		return sbx_error_set(err, SBX_EINVAL, EINVAL, NULL,
				     "sbx_json_parse: NULL argument");

	/* Zero fields mean "the default" so callers can set just one limit. */
	size_t max_bytes = limits && limits->max_bytes ? limits->max_bytes
						       : SBX_JSON_DEFAULT_MAX_BYTES;
	/* Before looking at a single byte: a huge input must fail in O(1). */
	if (len > max_bytes)
		return sbx_error_set(err, SBX_ETOOBIG, E2BIG, "",
				     "document is %zu bytes, more than the limit of %zu bytes (max_bytes)",
				     len, max_bytes);

	struct parser *p = calloc(1, sizeof(*p));
	if (!p)
		return sbx_error_set(err, SBX_ENOMEM, ENOMEM, "", "out of memory");
	struct sbx_error scratch_err;
	p->err = err ? err : &scratch_err;
	p->s = text ? text : "";
	p->len = len;
	p->line = 1;
	p->max_depth = limits && limits->max_depth ? limits->max_depth
						   : SBX_JSON_DEFAULT_MAX_DEPTH;
	p->max_nodes = limits && limits->max_nodes ? limits->max_nodes
						   : SBX_JSON_DEFAULT_MAX_NODES;
	p->next_obj_id = 1;
	size_t first = len / 2 * 3;
	p->arena.next_size = first < ARENA_MIN_CHUNK ? ARENA_MIN_CHUNK
			   : first > ARENA_MAX_CHUNK ? ARENA_MAX_CHUNK : first;

	struct sbx_json *root = NULL;
	int r = parse_document(p, &root);
	struct sbx_json_doc *doc = NULL;
	if (r == 0) {
		doc = arena_alloc(&p->arena, sizeof(*doc));
		if (!doc)
			r = fail_nomem(p);
	}
	if (r == 0) {
		doc->root = root;
		doc->chunks = p->arena.head;
		*out = doc;
		sbx_error_clear(err);
	} else {
		arena_free(p->arena.head);
	}
	if (p->c_locale)
		freelocale(p->c_locale);
	free(p->frames);
	free(p->items);
	free(p->members);
	free(p->sbuf);
	free(p->keys);
	free(p);
	return r;
}

const struct sbx_json *sbx_json_doc_root(const struct sbx_json_doc *doc)
{
	return doc ? doc->root : NULL;
}

void sbx_json_doc_free(struct sbx_json_doc *doc)
{
	if (doc)
		arena_free(doc->chunks);
}

const struct sbx_json *sbx_json_get(const struct sbx_json *obj, const char *key)
{
	if (!obj || !key || obj->type != SBX_JSON_OBJECT)
		return NULL;
	size_t kl = strlen(key);
	for (size_t i = 0; i < obj->u.object.count; i++) {
		const struct sbx_json_member *m = &obj->u.object.members[i];
		if (m->key_len == kl && memcmp(m->key, key, kl) == 0)
			return m->value;
	}
	return NULL;
}

const char *sbx_json_type_name(enum sbx_json_type t)
{
	switch (t) {
	case SBX_JSON_NULL: return "null";
	case SBX_JSON_BOOL: return "boolean";
	case SBX_JSON_NUMBER: return "number";
	case SBX_JSON_STRING: return "string";
	case SBX_JSON_ARRAY: return "array";
	case SBX_JSON_OBJECT: return "object";
	}
	return "unknown";
}

/* ---- JSON pointers ---------------------------------------------------------- */

size_t sbx_json_ptr_push(char *buf, size_t cap, const char *token)
{
	if (!buf || cap == 0)
		return 0;
	size_t prev = strnlen(buf, cap - 1);
	buf[prev] = '\0';
	if (!token)
		token = "";

	size_t need = 1;
	for (const char *t = token; *t; t++)
		need += (*t == '~' || *t == '/') ? 2 : 1;
	if (prev + need < cap) {
		char *o = buf + prev;
		*o++ = '/';
		for (const char *t = token; *t; t++) {
			if (*t == '~' || *t == '/') {
				*o++ = '~';
				*o++ = *t == '~' ? '0' : '1';
			} else {
				*o++ = *t;
			}
		}
		*o = '\0';
		return prev;
	}
	/* Does not fit. Never overwrite what is there (the caller pops back to
	 * prev), and if there is no room for "/" plus "..." leave it as is:
	 * an earlier push has then already marked the truncation. */
	if (prev + 4 >= cap)
		return prev;
	size_t room = cap - 1 - prev - 1 - 3; /* '/' and "..." */
	char *o = buf + prev;
	char *end = o + 1 + room;
	*o++ = '/';
	for (const char *t = token; *t && o < end; t++) {
		if (*t == '~' || *t == '/') {
			if (o + 2 > end)
				break;
			*o++ = '~';
			*o++ = *t == '~' ? '0' : '1';
		} else {
			*o++ = *t;
		}
	}
	/* Cut at a character boundary so the message stays valid UTF-8. */
	o = utf8_cut(buf + prev + 1, o);
	memcpy(o, "...", 4);
	return prev;
}

size_t sbx_json_ptr_push_index(char *buf, size_t cap, size_t index)
{
	char tok[24];
	snprintf(tok, sizeof(tok), "%zu", index);
	return sbx_json_ptr_push(buf, cap, tok);
}

void sbx_json_ptr_pop(char *buf, size_t prev_len)
{
	if (buf)
		buf[prev_len] = '\0';
}
