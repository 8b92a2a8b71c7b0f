/*
 * An editable JSON value for the `sbx run` front end (cli_policy.c): the
 * core's reader (base/json.h) gives a read-only tree; runPolicy() edits the
 * inline --policy object and writes it back. Written as JSON.stringify
 * writes it, numbers included (shortest round-trip form), so that the text
 * the launcher loads is the one the TypeScript front end would send. The
 * process execs or exits soon after: nothing here is freed.
 */
#include "cli.h"
#include "json.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "analyzer.h"

/* base/analyzer.h: this process execs or exits soon (ANALYZER_UNTIL_EXEC). */
ANALYZER_UNTIL_EXEC_BEGIN

struct ln_cj {
	enum ln_cj_kind kind;
	bool b;
	double num;
	char *str;
	size_t n, cap;
	char **keys;            /* objects */
	struct ln_cj **items;
};

static void *xalloc(size_t n)
{
	void *p = calloc(1, n ? n : 1);
	if (!p) {
		dprintf(2, "sbx: out of memory\n");
		_exit(1);
	}
	return p;
}

static char *xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	return memcpy(xalloc(n), s, n);
}

static struct ln_cj *make(enum ln_cj_kind k)
{
	struct ln_cj *v = xalloc(sizeof(*v));
	v->kind = k;
	return v;
}

struct ln_cj *ln_cj_object(void) { return make(LN_CJ_OBJECT); }
struct ln_cj *ln_cj_array(void) { return make(LN_CJ_ARRAY); }
enum ln_cj_kind ln_cj_kind(const struct ln_cj *v) { return v->kind; }

struct ln_cj *ln_cj_string(const char *s)
{
	struct ln_cj *v = make(LN_CJ_STRING);
	v->str = xstrdup(s);
	return v;
}

struct ln_cj *ln_cj_bool(bool b)
{
	struct ln_cj *v = make(LN_CJ_BOOL);
	v->b = b;
	return v;
}

struct ln_cj *ln_cj_number(const char *text)
{
	struct ln_cj *v = make(LN_CJ_NUMBER);
	v->num = strtod(text, NULL);  /* what Number() and JSON.parse make of it */
	return v;
}

static void grow(struct ln_cj *v)
{
	if (v->n < v->cap)
		return;
	v->cap = v->cap ? v->cap * 2 : 4;
	struct ln_cj **items = xalloc(v->cap * sizeof(*items));
	char **keys = xalloc(v->cap * sizeof(*keys));
	if (v->n) {
		memcpy(items, v->items, v->n * sizeof(*items));
		if (v->keys)
			memcpy(keys, v->keys, v->n * sizeof(*keys));
	}
	v->items = items;
	v->keys = keys;
}

void ln_cj_push(struct ln_cj *arr, struct ln_cj *v)
{
	grow(arr);
	arr->items[arr->n++] = v;
}

struct ln_cj *ln_cj_get(const struct ln_cj *obj, const char *key)
{
	for (size_t i = 0; obj->kind == LN_CJ_OBJECT && i < obj->n; i++)
		if (!strcmp(obj->keys[i], key))
			return obj->items[i];
	return NULL;
}

void ln_cj_set(struct ln_cj *obj, const char *key, struct ln_cj *v)
{
	for (size_t i = 0; i < obj->n; i++) {
		if (!strcmp(obj->keys[i], key)) {
			obj->items[i] = v;
			return;
		}
	}
	grow(obj);
	obj->keys[obj->n] = xstrdup(key);
	obj->items[obj->n++] = v;
}

struct ln_cj *ln_cj_copy(const struct ln_cj *v)
{
	struct ln_cj *c = make(v->kind);
	*c = *v;
	c->n = c->cap = 0;
	c->items = NULL;
	c->keys = NULL;
	for (size_t i = 0; i < v->n; i++) {
		if (v->kind == LN_CJ_OBJECT)
			ln_cj_set(c, v->keys[i], v->items[i]);
		else
			ln_cj_push(c, v->items[i]);
	}
	return c;
}

struct ln_cj *ln_cj_from(const struct sbx_json *j)
{
	struct ln_cj *v;
	switch (j->type) {
	case SBX_JSON_BOOL:
		return ln_cj_bool(j->u.boolean);
	case SBX_JSON_NUMBER:
		return ln_cj_number(j->u.number.text);
	case SBX_JSON_STRING:
		return ln_cj_string(j->u.string.str);
	case SBX_JSON_ARRAY:
		v = ln_cj_array();
		for (size_t i = 0; i < j->u.array.count; i++)
			ln_cj_push(v, ln_cj_from(j->u.array.items[i]));
		return v;
	case SBX_JSON_OBJECT:
		v = ln_cj_object();
		for (size_t i = 0; i < j->u.object.count; i++)
			ln_cj_set(v, j->u.object.members[i].key, ln_cj_from(j->u.object.members[i].value));
		return v;
	default:
		return make(LN_CJ_NULL);
	}
}

/* ---- writing ---- */

struct buf {
	char *s;
	size_t n, cap;
};

static void put(struct buf *b, const char *s, size_t n)
{
	if (!b->s || b->n + n + 1 > b->cap) {
		size_t cap = (b->cap ? b->cap : 256);
		while (cap < b->n + n + 1)
			cap *= 2;
		char *ns = realloc(b->s, cap);
		if (!ns) {
			dprintf(2, "sbx: out of memory\n");
			_exit(1);
		}
		b->s = ns;
		b->cap = cap;
	}
	if (n)
		memcpy(b->s + b->n, s, n);
	b->n += n;
	b->s[b->n] = '\0';
}

static void puts_(struct buf *b, const char *s) { put(b, s, strlen(s)); }

/* JSON.stringify of a string: ", \ and the control characters escaped
 * (\b \f \n \r \t by name, others \u00xx), everything else as it is. */
static void quote(struct buf *b, const char *s)
{
	put(b, "\"", 1);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		char esc[8];
		const char *e = NULL;
		switch (c) {
		case '"': e = "\\\""; break;
		case '\\': e = "\\\\"; break;
		case '\b': e = "\\b"; break;
		case '\f': e = "\\f"; break;
		case '\n': e = "\\n"; break;
		case '\r': e = "\\r"; break;
		case '\t': e = "\\t"; break;
		default:
			if (c < 0x20) {
				snprintf(esc, sizeof(esc), "\\u%04x", c);
				e = esc;
			}
		}
		if (e)
			puts_(b, e);
		else
			put(b, (const char *)&c, 1);
	}
	put(b, "\"", 1);
}

/* Number.prototype.toString(): the shortest digits that read back as the
 * same double, placed as ECMA-262's Number::toString places them. */
static void number(struct buf *b, double v)
{
	char digits[32], tmp[40];
	if (!isfinite(v)) {
		puts_(b, "null");
		return;
	}
	if (v == 0) {
		puts_(b, "0");
		return;
	}
	if (v < 0) {
		put(b, "-", 1);
		v = -v;
	}
	int p = 1;
	for (; p < 17; p++) {
		snprintf(tmp, sizeof(tmp), "%.*e", p - 1, v);
		if (strtod(tmp, NULL) == v)
			break;
	}
	snprintf(tmp, sizeof(tmp), "%.*e", p - 1, v);
	/* tmp: d[.ddd]e[+-]XX */
	int k = 0;
	char *e = strchr(tmp, 'e');
	for (char *q = tmp; q < e; q++)
		if (*q != '.')
			digits[k++] = *q;
	while (k > 1 && digits[k - 1] == '0')
		k--;
	digits[k] = '\0';
	int n = atoi(e + 1) + 1;        /* where the decimal point goes */
	if (k <= n && n <= 21) {
		puts_(b, digits);
		for (int i = k; i < n; i++)
			put(b, "0", 1);
	} else if (0 < n && n <= 21) {
		put(b, digits, (size_t)n);
		put(b, ".", 1);
		puts_(b, digits + n);
	} else if (-6 < n && n <= 0) {
		puts_(b, "0.");
		for (int i = 0; i < -n; i++)
			put(b, "0", 1);
		puts_(b, digits);
	} else {
		put(b, digits, 1);
		if (k > 1) {
			put(b, ".", 1);
			puts_(b, digits + 1);
		}
		snprintf(tmp, sizeof(tmp), "e%c%d", n - 1 < 0 ? '-' : '+', abs(n - 1));
		puts_(b, tmp);
	}
}

/* "0", "7", "4294967294": an array index (no sign, no leading zero, below 2^32 - 1). */
static bool index_key(const char *k, uint64_t *ix)
{
	size_t n = strlen(k);
	if (!n || n > 10 || (n > 1 && k[0] == '0'))
		return false;
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++) {
		if (k[i] < '0' || k[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(k[i] - '0');
	}
	*ix = v;
	return v < 4294967295u;
}

static uint64_t index_of(const char *k)
{
	uint64_t ix = 0;
	(void)index_key(k, &ix);
	return ix;
}

static void write_value(struct buf *b, const struct ln_cj *v);

static void member(struct buf *b, const char *key, const struct ln_cj *v)
{
	quote(b, key);
	put(b, ":", 1);
	write_value(b, v);
}

static void write_value(struct buf *b, const struct ln_cj *v)
{
	switch (v->kind) {
	case LN_CJ_NULL:
		puts_(b, "null");
		break;
	case LN_CJ_BOOL:
		puts_(b, v->b ? "true" : "false");
		break;
	case LN_CJ_NUMBER:
		number(b, v->num);
		break;
	case LN_CJ_STRING:
		quote(b, v->str);
		break;
	case LN_CJ_ARRAY:
		put(b, "[", 1);
		for (size_t i = 0; i < v->n; i++) {
			if (i)
				put(b, ",", 1);
			write_value(b, v->items[i]);
		}
		put(b, "]", 1);
		break;
	case LN_CJ_OBJECT: {
		/* A JavaScript object lists its array-index keys first, in
		 * ascending order, then the others in insertion order. */
		bool first = true;
		uint64_t last = 0;
		for (;;) {
			size_t best = v->n;
			for (size_t i = 0; i < v->n; i++) {
				uint64_t ix;
				if (index_key(v->keys[i], &ix) && (first || ix > last) &&
				    (best == v->n || ix < index_of(v->keys[best])))
					best = i;
			}
			if (best == v->n)
				break;
			put(b, first ? "{" : ",", 1);
			first = false;
			last = index_of(v->keys[best]);
			member(b, v->keys[best], v->items[best]);
		}
		for (size_t i = 0; i < v->n; i++) {
			uint64_t ix;
			if (index_key(v->keys[i], &ix))
				continue;
			put(b, first ? "{" : ",", 1);
			first = false;
			member(b, v->keys[i], v->items[i]);
		}
		put(b, first ? "{}" : "}", first ? 2 : 1);
		break;
	}
	}
}

char *ln_cj_stringify(const struct ln_cj *v)
{
	struct buf b = { 0 };
	write_value(&b, v);
	return b.s;
}

char *ln_cj_quote(const char *s)
{
	struct buf b = { 0 };
	quote(&b, s);
	return b.s;
}

ANALYZER_UNTIL_EXEC_END
