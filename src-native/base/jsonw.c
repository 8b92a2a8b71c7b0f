/* Append-only JSON writer (see jsonw.h). */
#include "jsonw.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sbx_jsonw_init(struct sbx_jsonw *w)
{
	memset(w, 0, sizeof(*w));
}

void sbx_jsonw_init_fixed(struct sbx_jsonw *w, char *buf, size_t cap)
{
	sbx_jsonw_init(w);
	w->fixed = true;
	w->buf = buf;
	w->cap = cap;
	if (cap)
		buf[0] = '\0';
	else
		w->err = ENOSPC;
}

void sbx_jsonw_free(struct sbx_jsonw *w)
{
	if (!w->fixed)
		free(w->buf);
	sbx_jsonw_init(w);
}

static void fail(struct sbx_jsonw *w, int errnum)
{
	if (!w->err)
		w->err = errnum;
}

static bool reserve(struct sbx_jsonw *w, size_t extra)
{
	if (w->err)
		return false;
	if (extra > SIZE_MAX / 2 - w->len) {
		fail(w, ENOMEM);
		return false;
	}
	if (w->len + extra + 1 <= w->cap)
		return true;
	if (w->fixed) {
		fail(w, ENOSPC);
		return false;
	}
	size_t cap = w->cap ? w->cap : 1024;
	while (cap < w->len + extra + 1)
		cap *= 2;
	char *p = realloc(w->buf, cap);
	if (!p) {
		fail(w, ENOMEM);
		return false;
	}
	w->buf = p;
	w->cap = cap;
	return true;
}

static void put(struct sbx_jsonw *w, const char *s, size_t n)
{
	if (!reserve(w, n))
		return;
	memcpy(w->buf + w->len, s, n);
	w->len += n;
	w->buf[w->len] = '\0';
}

static void putc_(struct sbx_jsonw *w, char c)
{
	put(w, &c, 1);
}

/* Called before every value: a comma between array elements, nothing after
 * a key; a value inside an object without a key is a caller bug. */
static bool before_value(struct sbx_jsonw *w)
{
	if (w->err)
		return false;
	if (w->depth == 0) {
		if (w->len) {           /* a second top-level value */
			fail(w, EINVAL);
			return false;
		}
		return true;
	}
	int d = w->depth - 1;
	if (w->kind[d] == 'o') {
		if (!w->after_key) {
			fail(w, EINVAL);
			return false;
		}
		w->after_key = false;
		return true;
	}
	if (w->nonempty[d])
		putc_(w, ',');
	w->nonempty[d] = true;
	return !w->err;
}

/* Length of the valid UTF-8 sequence at s (n bytes available), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t len;
	unsigned char lo = 0x80, hi = 0xBF;

	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		len = 2;
	else if (c >= 0xE0 && c <= 0xEF) {
		len = 3;
		if (c == 0xE0)
			lo = 0xA0;
		else if (c == 0xED)
			hi = 0x9F;      /* no UTF-16 surrogates */
	} else if (c >= 0xF0 && c <= 0xF4) {
		len = 4;
		if (c == 0xF0)
			lo = 0x90;
		else if (c == 0xF4)
			hi = 0x8F;      /* nothing above U+10FFFF */
	} else
		return 0;
	if (n < len)
		return 0;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xBF)
			return 0;
	return len;
}

static void put_escaped(struct sbx_jsonw *w, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	putc_(w, '"');
	while (i < n && !w->err) {
		size_t run = i;
		/* copy the longest run that needs no escaping in one go */
		while (run < n && s[run] >= 0x20 && s[run] < 0x80 &&
		       s[run] != '"' && s[run] != '\\')
			run++;
		if (run > i) {
			put(w, (const char *)s + i, run - i);
			i = run;
			continue;
		}
		unsigned char c = s[i];
		char esc[8];
		switch (c) {
		case '"': put(w, "\\\"", 2); i++; continue;
		case '\\': put(w, "\\\\", 2); i++; continue;
		case '\n': put(w, "\\n", 2); i++; continue;
		case '\r': put(w, "\\r", 2); i++; continue;
		case '\t': put(w, "\\t", 2); i++; continue;
		case '\b': put(w, "\\b", 2); i++; continue;
		case '\f': put(w, "\\f", 2); i++; continue;
		default: break;
		}
		if (c < 0x20) {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			put(w, esc, 6);
			i++;
			continue;
		}
		size_t len = utf8_len(s + i, n - i);
		if (len) {
			put(w, (const char *)s + i, len);
			i += len;
		} else {
			put(w, "\\ufffd", 6);
			i++;
		}
	}
	putc_(w, '"');
}

static void open_(struct sbx_jsonw *w, char kind)
{
	if (!before_value(w))
		return;
	if (w->depth >= SBX_JSONW_MAX_DEPTH) {
		fail(w, E2BIG);
		return;
	}
	w->kind[w->depth] = kind;
	w->nonempty[w->depth] = false;
	w->depth++;
	putc_(w, kind == 'o' ? '{' : '[');
}

static void close_(struct sbx_jsonw *w, char kind)
{
	if (w->err)
		return;
	if (w->depth == 0 || w->kind[w->depth - 1] != kind || w->after_key) {
		fail(w, EINVAL);
		return;
	}
	w->depth--;
	putc_(w, kind == 'o' ? '}' : ']');
}

void sbx_jsonw_object_begin(struct sbx_jsonw *w) { open_(w, 'o'); }
void sbx_jsonw_object_end(struct sbx_jsonw *w) { close_(w, 'o'); }
void sbx_jsonw_array_begin(struct sbx_jsonw *w) { open_(w, 'a'); }
void sbx_jsonw_array_end(struct sbx_jsonw *w) { close_(w, 'a'); }

void sbx_jsonw_key(struct sbx_jsonw *w, const char *key)
{
	if (w->err)
		return;
	int d = w->depth - 1;
	if (d < 0 || w->kind[d] != 'o' || w->after_key || !key) {
		fail(w, EINVAL);
		return;
	}
	if (w->nonempty[d])
		putc_(w, ',');
	w->nonempty[d] = true;
	put_escaped(w, key, strlen(key));
	putc_(w, ':');
	w->after_key = true;
}

void sbx_jsonw_string_n(struct sbx_jsonw *w, const char *s, size_t n)
{
	if (!s) {
		sbx_jsonw_null(w);
		return;
	}
	if (before_value(w))
		put_escaped(w, s, n);
}

void sbx_jsonw_string(struct sbx_jsonw *w, const char *s)
{
	sbx_jsonw_string_n(w, s, s ? strlen(s) : 0);
}

void sbx_jsonw_int(struct sbx_jsonw *w, int64_t v)
{
	char num[32];
	if (!before_value(w))
		return;
	int n = snprintf(num, sizeof(num), "%" PRId64, v);
	put(w, num, (size_t)n);
}

void sbx_jsonw_uint(struct sbx_jsonw *w, uint64_t v)
{
	char num[32];
	if (!before_value(w))
		return;
	int n = snprintf(num, sizeof(num), "%" PRIu64, v);
	put(w, num, (size_t)n);
}

void sbx_jsonw_bool(struct sbx_jsonw *w, bool v)
{
	if (before_value(w))
		put(w, v ? "true" : "false", v ? 4 : 5);
}

void sbx_jsonw_null(struct sbx_jsonw *w)
{
	if (before_value(w))
		put(w, "null", 4);
}

void sbx_jsonw_kv_string(struct sbx_jsonw *w, const char *key, const char *s)
{
	sbx_jsonw_key(w, key);
	sbx_jsonw_string(w, s);
}

void sbx_jsonw_kv_int(struct sbx_jsonw *w, const char *key, int64_t v)
{
	sbx_jsonw_key(w, key);
	sbx_jsonw_int(w, v);
}

void sbx_jsonw_kv_bool(struct sbx_jsonw *w, const char *key, bool v)
{
	sbx_jsonw_key(w, key);
	sbx_jsonw_bool(w, v);
}

void sbx_jsonw_kv_null_reason(struct sbx_jsonw *w, const char *key,
			      const char *reason)
{
	char rkey[128];
	sbx_jsonw_key(w, key);
	sbx_jsonw_null(w);
	if (snprintf(rkey, sizeof(rkey), "%sReason", key) >= (int)sizeof(rkey)) {
		fail(w, ENAMETOOLONG);
		return;
	}
	sbx_jsonw_key(w, rkey);
	sbx_jsonw_string(w, reason ? reason : "unknown");
}

int sbx_jsonw_check(const struct sbx_jsonw *w)
{
	if (w->err)
		return -w->err;
	if (w->depth != 0 || w->len == 0 || w->after_key)
		return -EINVAL;
	return 0;
}

int sbx_jsonw_finish(struct sbx_jsonw *w, char **out)
{
	int err = -sbx_jsonw_check(w);
	if (w->fixed)
		err = EINVAL;           /* the buffer is the caller's already */
	if (err) {
		sbx_jsonw_free(w);
		*out = NULL;
		return -err;
	}
	*out = w->buf;
	w->buf = NULL;
	sbx_jsonw_free(w);
	return 0;
}
