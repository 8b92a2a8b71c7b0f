/* Unit tests of the strict JSON reader (src-native/json.c). */
#include "t.h"
#include "json.h"

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- the table ---------------------------------------------------------------
 * `in` is a string literal so sizeof gives its exact length, embedded NULs
 * included. For errors, line/col are where the message must point, ptr (when
 * not NULL) the JSON pointer it must carry. Limits of 0 mean the defaults. */
struct jcase {
	const char *in;
	size_t len;
	int code;
	unsigned line, col;
	const char *ptr;
	size_t max_bytes, max_depth, max_nodes;
};

#define Y(s) { s, sizeof(s) - 1, SBX_OK, 0, 0, NULL, 0, 0, 0 }
#define N(s, l, c) { s, sizeof(s) - 1, SBX_ESYNTAX, l, c, NULL, 0, 0, 0 }
#define NP(s, l, c, p) { s, sizeof(s) - 1, SBX_ESYNTAX, l, c, p, 0, 0, 0 }
#define BIG(s, l, c, mb, md, mn) { s, sizeof(s) - 1, SBX_ETOOBIG, l, c, NULL, mb, md, mn }
#define YL(s, mb, md, mn) { s, sizeof(s) - 1, SBX_OK, 0, 0, NULL, mb, md, mn }

static const struct jcase cases[] = {
	/* valid */
	Y("{}"), Y("[]"), Y("0"), Y("-0"), Y("\"x\""), Y("\"\""), Y("true"), Y("false"),
	Y("null"), Y(" \t\r\n[ 1 , 2 ]\n "), Y("{\"a\":{\"b\":[1,2,{\"c\":null}]}}"),
	Y("1.5e10"), Y("1E-2"), Y("-1.0e+3"), Y("0.0"), Y("0e0"), Y("1e400"),
	Y("123456789012345678901234567890"), Y("-123456789012345678901234567890"),
	Y("\"\\u00e9\\ud83d\\ude00\""), Y("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\""),
	Y("\"\xc3\xa9\""), Y("\"\xe2\x82\xac\""), Y("\"\xf0\x9f\x98\x80\""),
	Y("\"\xf4\x8f\xbf\xbf\""), Y("\"\xed\x9f\xbf\""), Y("\"\xee\x80\x80\""),
	Y("\"\x7f\""), Y("\"\\u007f\""), Y("[[[]]]"), Y("{\"a\":1,\"A\":1}"),
	Y("{\"a\":{\"a\":1}}"), Y("[{\"a\":1},{\"a\":2}]"), Y("{\"\":0}"),
	Y("{\"a\\u0062\":1,\"ab\\u0063\":2}"), Y("[\"\\uDBFF\\uDFFF\"]"),
	YL("[[[]]]", 0, 3, 0), YL("[1,2]", 0, 0, 3), YL("[1,2]", 5, 0, 0),

	/* structure */
	N("", 1, 1), N("   ", 1, 4), N("[1,]", 1, 4), NP("{\"a\":1,}", 1, 8, ""),
	N("[1 2]", 1, 4), NP("{\"a\" 1}", 1, 6, "/a"), N("{a:1}", 1, 2),
	N("{\"a\":1 \"b\":2}", 1, 8), N("[1,,2]", 1, 4), N("{\"a\"}", 1, 5),
	NP("{\"a\":}", 1, 6, "/a"), N("{,}", 1, 2), N("{\"a\":1}}", 1, 8),
	N("[\"a\" \"b\"]", 1, 6), N("1 2", 1, 3), N("[1]x", 1, 4), N("[1] [2]", 1, 5),
	N("[", 1, 2), N("{", 1, 2), N("[1", 1, 3), N("{\"a\":1", 1, 7), N("]", 1, 1),
	N("'a'", 1, 1), N("/* c */ 1", 1, 1), N("// c\n1", 1, 1), N("[1,2] // x", 1, 7),
	N("[1,2,]", 1, 6), N("{\"a\":[}", 1, 7),
	/* numbers */
	N("01", 1, 2), N("-01", 1, 3), N("00", 1, 2), N("[01]", 1, 3), N("1.", 1, 3),
	N(".5", 1, 1), N("1.e5", 1, 3), N("1e", 1, 3), N("1e+", 1, 4), N("+1", 1, 1),
	N("-", 1, 2), N("[-]", 1, 3), N("NaN", 1, 1), N("Infinity", 1, 1),
	N("-Infinity", 1, 2), N("0x10", 1, 2), N("-1.2.3", 1, 5), N("1e5.0", 1, 4),
	N("1_000", 1, 2),
	/* literals */
	N("tru", 1, 4), N("True", 1, 1), N("nul", 1, 4), N("nulll", 1, 5),
	N("falsy", 1, 5), N("[t]", 1, 3),
	/* strings */
	N("\"abc", 1, 5), N("\"a\nb\"", 1, 3), N("\"\t\"", 1, 2), N("\"\\x\"", 1, 3),
	N("\"\\U0041\"", 1, 3), N("\"\\u12\"", 1, 6), N("\"\\u12G4\"", 1, 6),
	N("\"\\", 1, 3), N("\"\\u0000\"", 1, 2), NP("{\"a\\u0000\":1}", 1, 4, ""),
	N("\"\\ud800\"", 1, 8), N("\"\\udc00\"", 1, 2), N("\"\\ud800\\u0041\"", 1, 8),
	N("\"\\ud800\\ud800\"", 1, 8), N("\"\\ud800x\"", 1, 8), N("\"\x00\"", 1, 2),
	N("\"\x1f\"", 1, 2),
	/* UTF-8 */
	N("\"\xc0\x80\"", 1, 2), N("\"\xc1\xbf\"", 1, 2), N("\"\xe0\x80\x80\"", 1, 2),
	N("\"\xe0\x9f\xbf\"", 1, 2), N("\"\xf0\x80\x80\x80\"", 1, 2),
	N("\"\xf0\x8f\xbf\xbf\"", 1, 2), N("\"\xed\xa0\x80\"", 1, 2),
	N("\"\xed\xbf\xbf\"", 1, 2), N("\"\xf4\x90\x80\x80\"", 1, 2),
	N("\"\xf5\x80\x80\x80\"", 1, 2), N("\"\x80\"", 1, 2), N("\"\xbf\"", 1, 2),
	N("\"\xc3\"", 1, 2), N("\"ab\xe2\x82", 1, 4), N("\"\xe2\x28\xa1\"", 1, 2),
	N("\"\xff\"", 1, 2), N("\"\xfe\"", 1, 2), N("\xef\xbb\xbf{}", 1, 1),
	/* whitespace: only the four */
	N("[1,\f2]", 1, 4), N("\xc2\xa0[]", 1, 1), N("[\v]", 1, 2), N("\x00", 1, 1),
	N("[1]\x00", 1, 4), N("[\xe2\x80\xa8]", 1, 2),
	/* duplicates */
	NP("{\"a\":1,\"a\":2}", 1, 8, "/a"),
	NP("{\"a\":1,\"b\":{\"x\":1,\"x\":2}}", 1, 19, "/b/x"),
	NP("{\"a\":1,\"\\u0061\":2}", 1, 8, "/a"),
	/* positions across lines and pointers */
	NP("{\n  \"a\": 1,\n  \"b\": [1, 2,]\n}", 3, 14, "/b/2"),
	NP("[\r\n1,\r\n]", 3, 1, "/1"),
	NP("{\"seccomp\":{\"allow\":[\"a\",\"b\",\"c\",tru]}}", 1, 37, "/seccomp/allow/3"),
	NP("{\"a/b~c\":[0,{\"d\":x}]}", 1, 18, "/a~1b~0c/1/d"),
	NP("{\"fs\":{\"read\":[\"/usr\"] \"x\"}}", 1, 24, "/fs"),
	/* fuzz findings (regressions). The first object key of a document did
	 * pointer arithmetic on a NULL scratch vector: only clang's UBSan
	 * (-fsanitize=pointer-overflow) sees it, so also run this file under
	 * clang -fsanitize=address,undefined (see the report / scripts). */
	N("{\"a\" 1}", 1, 6), Y("{\"a\":1}"), Y("[{\"a\":{\"b\":{}}}]"),
	/* limits */
	BIG("[[[1]]]", 1, 3, 0, 2, 0), BIG("[[[[]]]]", 1, 4, 0, 3, 0),
	BIG("[1,2,3]", 1, 6, 0, 0, 3), BIG("{\"a\":[1,{}]}", 1, 9, 0, 0, 3),
	BIG("[1,2]", 0, 0, 4, 0, 0),
};

static struct sbx_json_doc *parse_lim(const char *s, size_t len, size_t mb,
				      size_t md, size_t mn, int *rc,
				      struct sbx_error *err)
{
	struct sbx_json_limits lim = { mb, (uint32_t)md, mn };
	struct sbx_json_doc *doc = (struct sbx_json_doc *)1;
	*rc = sbx_json_parse(s, len, &lim, &doc, err);
	return doc;
}

static struct sbx_json_doc *parse_ok(const char *s)
{
	struct sbx_error err;
	struct sbx_json_doc *doc = NULL;
	int rc = sbx_json_parse(s, strlen(s), NULL, &doc, &err);
	if (rc != 0 || !doc)
		T_FAIL("parse of %s failed: %s %s (%s)", s, sbx_code_name(err.code),
		       err.message, err.pointer);
	return doc;
}

TEST(table)
{
	size_t n = sizeof(cases) / sizeof(cases[0]);
	CHECK(n >= 60);
	for (size_t i = 0; i < n; i++) {
		const struct jcase *c = &cases[i];
		struct sbx_error err;
		int rc;
		struct sbx_json_doc *doc = parse_lim(c->in, c->len, c->max_bytes,
						     c->max_depth, c->max_nodes, &rc, &err);
		if (c->code == SBX_OK) {
			if (rc != 0 || !doc || err.code != SBX_OK)
				T_FAIL("case %zu (%.*s): want ok, got %s: %s", i, (int)c->len,
				       c->in, sbx_code_name(err.code), err.message);
			sbx_json_doc_free(doc);
			continue;
		}
		if (rc >= 0 || doc != NULL || err.code != c->code) {
			T_FAIL("case %zu (%.*s): want %s, got rc=%d %s: %s", i, (int)c->len,
			       c->in, sbx_code_name(c->code), rc, sbx_code_name(err.code),
			       err.message);
			sbx_json_doc_free(doc);
			continue;
		}
		CHECK_EQ_INT(rc, c->code == SBX_ETOOBIG ? -E2BIG : -EINVAL);
		if (c->line) {
			char want[64];
			snprintf(want, sizeof(want), "line %u, column %u: ", c->line, c->col);
			if (strncmp(err.message, want, strlen(want)) != 0)
				T_FAIL("case %zu (%.*s): message \"%s\", want prefix \"%s\"", i,
				       (int)c->len, c->in, err.message, want);
		}
		if (c->code == SBX_ESYNTAX &&
		    (!strstr(err.message, ": expected ") || !strstr(err.message, ", found ")))
			T_FAIL("case %zu: message not in expected/found form: %s", i, err.message);
		if (c->ptr && strcmp(err.pointer, c->ptr) != 0)
			T_FAIL("case %zu (%.*s): pointer \"%s\", want \"%s\"", i, (int)c->len,
			       c->in, err.pointer, c->ptr);
		if (strchr(err.message, '\n'))
			T_FAIL("case %zu: message has a newline", i);
	}
}

TEST(messages_name_what_was_found)
{
	struct sbx_error err;
	struct sbx_json_doc *doc = NULL;
	CHECK(sbx_json_parse("[1,", 3, NULL, &doc, &err) < 0);
	CHECK_STR(err.message, "line 1, column 4: expected value, found end of input");
	CHECK(sbx_json_parse("[1 x]", 5, NULL, &doc, &err) < 0);
	CHECK_STR(err.message, "line 1, column 4: expected ',' or ']', found 'x'");
	CHECK(sbx_json_parse("{\"k\" 1}", 7, NULL, &doc, &err) < 0);
	CHECK_STR(err.message, "line 1, column 6: expected ':', found '1'");
	CHECK(sbx_json_parse("\"a\x01\"", 4, NULL, &doc, &err) < 0);
	CHECK(strstr(err.message, "found control character U+0001") != NULL);
	CHECK(sbx_json_parse("\"\\u0000\"", 8, NULL, &doc, &err) < 0);
	CHECK(strstr(err.message, "NUL") && strstr(err.message, "truncate"));
	CHECK(sbx_json_parse("\"\xed\xa0\x80\"", 5, NULL, &doc, &err) < 0);
	CHECK(strstr(err.message, "byte 0xED") && strstr(err.message, "surrogate"));
	CHECK(sbx_json_parse("\"\xc0\xaf\"", 4, NULL, &doc, &err) < 0);
	CHECK(strstr(err.message, "overlong") != NULL);
	CHECK(sbx_json_parse("\"\xf4\x90\x80\x80\"", 6, NULL, &doc, &err) < 0);
	CHECK(strstr(err.message, "U+10FFFF") != NULL);
	CHECK(sbx_json_parse("\"\\udc01\"", 8, NULL, &doc, &err) < 0);
	CHECK(strstr(err.message, "lone low surrogate \\uDC01") != NULL);
	CHECK(doc == NULL);
}

TEST(duplicate_key_is_named)
{
	const char *s = "{\"seccomp\": {\"allow\": [\"read\"], \"allow\": []}}";
	struct sbx_error err;
	struct sbx_json_doc *doc = NULL;
	CHECK_EQ_INT(sbx_json_parse(s, strlen(s), NULL, &doc, &err), -EINVAL);
	CHECK_EQ_INT(err.code, SBX_ESYNTAX);
	CHECK_STR(err.message,
		  "line 1, column 33: expected unique key, found duplicate key \"allow\"");
	CHECK_STR(err.pointer, "/seccomp/allow");
	/* A key with quotes and a newline is shown escaped, on one line. */
	s = "{\"a\\\"\\n\":1,\"a\\\"\\n\":2}";
	CHECK(sbx_json_parse(s, strlen(s), NULL, &doc, &err) < 0);
	CHECK(strstr(err.message, "duplicate key \"a\\\"\\u000a\"") != NULL);
	CHECK(!strchr(err.message, '\n'));
}

TEST(many_keys_and_duplicate_at_the_end)
{
	/* Enough keys to grow the duplicate table several times. */
	size_t nkeys = 5000, cap = nkeys * 16 + 64, o = 0;
	char *s = malloc(cap);
	CHECK(s != NULL);
	if (!s)
		return;
	s[o++] = '{';
	for (size_t i = 0; i < nkeys; i++)
		o += (size_t)snprintf(s + o, cap - o, "%s\"k%zu\":%zu", i ? "," : "", i, i);
	size_t before_close = o;
	s[o++] = '}';
	struct sbx_error err;
	struct sbx_json_doc *doc = NULL;
	CHECK_EQ_INT(sbx_json_parse(s, o, NULL, &doc, &err), 0);
	const struct sbx_json *r = sbx_json_doc_root(doc);
	CHECK(r && r->u.object.count == nkeys);
	if (r && r->u.object.count == nkeys) {
		CHECK_STR(r->u.object.members[4321].key, "k4321");
		CHECK_EQ_INT(r->u.object.members[4321].value->u.number.u64, 4321);
		CHECK_EQ_INT(sbx_json_get(r, "k4999")->u.number.u64, 4999);
	}
	sbx_json_doc_free(doc);
	o = before_close;
	o += (size_t)snprintf(s + o, cap - o, ",\"k2500\":0}");
	CHECK_EQ_INT(sbx_json_parse(s, o, NULL, &doc, &err), -EINVAL);
	CHECK(strstr(err.message, "duplicate key \"k2500\"") != NULL);
	CHECK_STR(err.pointer, "/k2500");
	/* One of the first keys, which were scanned before the table existed. */
	o = before_close;
	o += (size_t)snprintf(s + o, cap - o, ",\"k3\":0}");
	CHECK_EQ_INT(sbx_json_parse(s, o, NULL, &doc, &err), -EINVAL);
	CHECK(strstr(err.message, "duplicate key \"k3\"") != NULL);
	free(s);
}

/* Duplicate detection must stay linear: a quadratic check would take
 * minutes on this 2.6 MB object (2*10^10 key comparisons). */
TEST(huge_object_is_linear)
{
	size_t nkeys = 200000, cap = nkeys * 14 + 16, o = 0;
	char *s = malloc(cap);
	s[o++] = '{';
	for (size_t i = 0; i < nkeys; i++)
		o += (size_t)snprintf(s + o, cap - o, "%s\"%zu\":0", i ? "," : "", i);
	s[o++] = '}';
	struct sbx_error err;
	struct sbx_json_doc *doc = NULL;
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	CHECK_EQ_INT(sbx_json_parse(s, o, NULL, &doc, &err), 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	double ms = (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
	printf("# %zu keys in %.1f ms\n", nkeys, ms);
	CHECK(ms < 3000.0);
	CHECK(sbx_json_doc_root(doc) && sbx_json_doc_root(doc)->u.object.count == nkeys);
	sbx_json_doc_free(doc);
	free(s);
}

/* Small objects are checked by a scan, large ones by a table: the n-th key
 * around the switch, and same keys in sibling and nested objects. */
TEST(duplicate_keys_around_the_scan_limit)
{
	for (size_t nkeys = 1; nkeys <= 40; nkeys++) {
		char s[1024];
		size_t o = 0;
		s[o++] = '{';
		for (size_t i = 0; i < nkeys; i++)
			o += (size_t)snprintf(s + o, sizeof(s) - o, "%s\"k%zu\":{\"k%zu\":[{\"k0\":1}]}",
					      i ? "," : "", i, i);
		size_t body = o;
		s[o++] = '}';
		struct sbx_error err;
		struct sbx_json_doc *doc = NULL;
		if (sbx_json_parse(s, o, NULL, &doc, &err) != 0)
			T_FAIL("%zu keys: %s", nkeys, err.message);
		sbx_json_doc_free(doc);
		for (size_t dup = 0; dup < nkeys; dup += (nkeys > 3 ? nkeys / 3 : 1)) {
			o = body;
			o += (size_t)snprintf(s + o, sizeof(s) - o, ",\"k%zu\":0}", dup);
			char want[32];
			snprintf(want, sizeof(want), "duplicate key \"k%zu\"", dup);
			doc = NULL;
			if (sbx_json_parse(s, o, NULL, &doc, &err) != -EINVAL ||
			    !strstr(err.message, want))
				T_FAIL("%zu keys, dup k%zu: %s", nkeys, dup, err.message);
			sbx_json_doc_free(doc);
		}
	}
}

TEST(deep_nesting_10000_is_too_big_not_a_crash)
{
	size_t n = 10000;
	char *s = malloc(n);
	memset(s, '[', n);
	struct sbx_error err;
	struct sbx_json_doc *doc = NULL;
	CHECK_EQ_INT(sbx_json_parse(s, n, NULL, &doc, &err), -E2BIG);
	CHECK_EQ_INT(err.code, SBX_ETOOBIG);
	CHECK_STR(err.message, "line 1, column 65: nesting deeper than 64 levels (max_depth)");
	CHECK(strncmp(err.pointer, "/0/0/0/0", 8) == 0);
	CHECK(doc == NULL);
	free(s);
}

TEST(deep_nesting_allowed_is_iterative)
{
	/* A million levels would overflow any recursive parser's stack (8 MiB
	 * default, ~100 bytes per frame): parsing it proves the loop is flat. */
	size_t depth = 1000000, n = 2 * depth;
	char *s = malloc(n);
	memset(s, '[', depth);
	memset(s + depth, ']', depth);
	struct sbx_error err;
	struct sbx_json_doc *doc = NULL;
	int rc;
	doc = parse_lim(s, n, 0, depth, depth, &rc, &err);
	CHECK_EQ_INT(rc, 0);
	size_t d = 0;
	const struct sbx_json *v = sbx_json_doc_root(doc);
	while (v && v->type == SBX_JSON_ARRAY) {
		d++;
		if (v->u.array.count == 0)
			break;
		v = v->u.array.items[0];
	}
	CHECK_EQ_INT(d, depth);
	sbx_json_doc_free(doc);
	/* One level more than allowed fails at the opening bracket. */
	doc = parse_lim(s, n, 0, depth - 1, depth, &rc, &err);
	CHECK_EQ_INT(rc, -E2BIG);
	CHECK(strstr(err.message, "column 1000000:") != NULL);
	/* And the node limit is counted across levels. */
	doc = parse_lim(s, n, 0, depth, depth - 1, &rc, &err);
	CHECK_EQ_INT(rc, -E2BIG);
	CHECK(strstr(err.message, "max_nodes") != NULL);
	free(s);
}

TEST(size_limit_is_checked_before_scanning)
{
	size_t n = 100u << 20;
	char *s = malloc(n);
	CHECK(s != NULL);
	if (!s)
		return;
	/* A syntax error at byte 0: if the reader looked at the bytes before the
	 * size, it would report SBX_ESYNTAX instead. */
	memset(s, ' ', n);
	s[0] = '}';
	s[1] = '{';
	struct sbx_error err;
	struct sbx_json_doc *doc = (struct sbx_json_doc *)1;
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	CHECK_EQ_INT(sbx_json_parse(s, n, NULL, &doc, &err), -E2BIG);
	clock_gettime(CLOCK_MONOTONIC, &b);
	CHECK(doc == NULL);
	CHECK_EQ_INT(err.code, SBX_ETOOBIG);
	CHECK_STR(err.message,
		  "document is 104857600 bytes, more than the limit of 4194304 bytes (max_bytes)");
	double ms = (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
	CHECK(ms < 5.0);
	/* With the limit raised, the same buffer is scanned and is a syntax error. */
	int rc;
	doc = parse_lim(s, n, n, 0, 0, &rc, &err);
	CHECK_EQ_INT(rc, -EINVAL);
	CHECK_EQ_INT(err.code, SBX_ESYNTAX);
	CHECK_STR(err.message, "line 1, column 1: expected value, found '}'");
	/* Exactly at the limit is allowed. */
	memset(s, ' ', 4u << 20);
	s[0] = '{';
	s[1] = '}';
	doc = parse_lim(s, 4u << 20, 0, 0, 0, &rc, &err);
	CHECK_EQ_INT(rc, 0);
	sbx_json_doc_free(doc);
	free(s);
}

static const struct sbx_json *num(struct sbx_json_doc **doc, const char *s)
{
	*doc = parse_ok(s);
	const struct sbx_json *v = sbx_json_doc_root(*doc);
	if (!v || v->type != SBX_JSON_NUMBER) {
		T_FAIL("%s is not a number", s);
		return NULL;
	}
	if (strcmp(v->u.number.text, s) != 0)
		T_FAIL("text \"%s\" != \"%s\"", v->u.number.text, s);
	return v;
}

TEST(integer_boundaries)
{
	struct sbx_json_doc *d;
	const struct sbx_json *v;

	v = num(&d, "9223372036854775807");
	CHECK(v && v->u.number.is_integer && !v->u.number.is_negative);
	CHECK(v && v->u.number.u64 == 9223372036854775807ull);
	CHECK(v && v->u.number.i64 == INT64_MAX);
	sbx_json_doc_free(d);

	v = num(&d, "9223372036854775808");
	CHECK(v && v->u.number.is_integer && v->u.number.u64 == 9223372036854775808ull);
	sbx_json_doc_free(d);

	v = num(&d, "18446744073709551615");
	CHECK(v && v->u.number.is_integer && v->u.number.u64 == UINT64_MAX);
	CHECK(v && v->u.number.f64 == 18446744073709551615.0);
	sbx_json_doc_free(d);

	v = num(&d, "18446744073709551616");
	CHECK(v && !v->u.number.is_integer && v->u.number.f64 == 18446744073709551616.0);
	sbx_json_doc_free(d);

	v = num(&d, "99999999999999999999");
	CHECK(v && !v->u.number.is_integer && v->u.number.f64 == 1e20);
	sbx_json_doc_free(d);

	v = num(&d, "-9223372036854775807");
	CHECK(v && v->u.number.is_integer && v->u.number.is_negative);
	CHECK(v && v->u.number.i64 == -INT64_MAX);
	sbx_json_doc_free(d);

	v = num(&d, "-9223372036854775808");
	CHECK(v && v->u.number.is_integer && v->u.number.i64 == INT64_MIN);
	CHECK(v && v->u.number.f64 == -9223372036854775808.0);
	sbx_json_doc_free(d);

	v = num(&d, "-9223372036854775809");
	CHECK(v && !v->u.number.is_integer && v->u.number.is_negative);
	CHECK(v && v->u.number.f64 == -9223372036854775809.0);
	sbx_json_doc_free(d);

	v = num(&d, "-18446744073709551616");
	CHECK(v && !v->u.number.is_integer);
	sbx_json_doc_free(d);

	v = num(&d, "0");
	CHECK(v && v->u.number.is_integer && v->u.number.u64 == 0 && !v->u.number.is_negative);
	sbx_json_doc_free(d);

	v = num(&d, "-0");
	CHECK(v && v->u.number.is_integer && v->u.number.is_negative && v->u.number.i64 == 0);
	CHECK(v && v->u.number.f64 == 0.0 && signbit(v->u.number.f64));
	sbx_json_doc_free(d);

	v = num(&d, "-1");
	CHECK(v && v->u.number.is_integer && v->u.number.i64 == -1 && v->u.number.f64 == -1.0);
	sbx_json_doc_free(d);

	v = num(&d, "1.0");
	CHECK(v && !v->u.number.is_integer && v->u.number.f64 == 1.0);
	sbx_json_doc_free(d);

	v = num(&d, "1e2");
	CHECK(v && !v->u.number.is_integer && v->u.number.f64 == 100.0);
	sbx_json_doc_free(d);
}

TEST(floats)
{
	static const struct { const char *s; double v; } f[] = {
		{ "1.5", 1.5 }, { "-0.25e2", -25.0 }, { "1e-2", 0.01 }, { "2.5E+3", 2500.0 },
		{ "0.1", 0.1 }, { "3.141592653589793", 3.141592653589793 },
		{ "1.7976931348623157e308", 1.7976931348623157e308 },
		{ "5e-324", 5e-324 }, { "-0.0", -0.0 }, { "123.456e-7", 123.456e-7 },
	};
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		struct sbx_json_doc *d;
		const struct sbx_json *v = num(&d, f[i].s);
		if (v && (v->u.number.f64 != f[i].v || v->u.number.is_integer))
			T_FAIL("%s -> %.17g", f[i].s, v->u.number.f64);
		sbx_json_doc_free(d);
	}
	struct sbx_json_doc *d;
	const struct sbx_json *v = num(&d, "1e400");
	CHECK(v && isinf(v->u.number.f64));
	sbx_json_doc_free(d);
}

/* A locale whose decimal point is ',' (built on the fly if none is
 * installed): strtod would then stop at the '.' of "1.5". */
static int comma_locale(char *dir, size_t cap)
{
	static const char *names[] = { "de_DE.UTF-8", "fr_FR.UTF-8", "de_DE.utf8" };
	for (size_t i = 0; i < 3; i++)
		if (setlocale(LC_NUMERIC, names[i]))
			return 1;
	if (access("/usr/bin/localedef", X_OK) != 0)
		return 0;
	snprintf(dir, cap, "/tmp/sbx-test-locale-XXXXXX");
	if (!mkdtemp(dir))
		return 0;
	char cmd[256];
	snprintf(cmd, sizeof(cmd),
		 "localedef -i de_DE -f UTF-8 %s/de_DE.UTF-8 >/dev/null 2>&1", dir);
	if (system(cmd) != 0)
		return 0;
	setenv("LOCPATH", dir, 1);
	return setlocale(LC_NUMERIC, "de_DE.UTF-8") != NULL;
}

TEST(floats_ignore_the_process_locale)
{
	char dir[64] = "";
	if (!comma_locale(dir, sizeof(dir))) {
		printf("# no comma-decimal locale available; checked in C locale only\n");
	} else {
		/* The locale is really active: plain strtod now stops at '.'. */
		CHECK(strtod("1.5", NULL) == 1.0);
	}
	struct sbx_json_doc *d;
	const struct sbx_json *v = num(&d, "1.5");
	CHECK(v && v->u.number.f64 == 1.5);
	sbx_json_doc_free(d);
	v = num(&d, "-2.25e1");
	CHECK(v && v->u.number.f64 == -22.5);
	sbx_json_doc_free(d);
	setlocale(LC_NUMERIC, "C");
	if (dir[0]) {
		char cmd[128];
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		CHECK(system(cmd) == 0);
		unsetenv("LOCPATH");
	}
}

static void check_string(const char *json, const char *want, size_t want_len)
{
	struct sbx_json_doc *d = parse_ok(json);
	const struct sbx_json *v = sbx_json_doc_root(d);
	if (!v || v->type != SBX_JSON_STRING) {
		T_FAIL("%s: not a string", json);
	} else if (v->u.string.len != want_len ||
		   memcmp(v->u.string.str, want, want_len) != 0 ||
		   v->u.string.str[want_len] != '\0') {
		T_FAIL("%s: decoded to %zu bytes \"%s\"", json, v->u.string.len, v->u.string.str);
	}
	sbx_json_doc_free(d);
}

TEST(unicode_escapes)
{
	check_string("\"\\u0041\"", "A", 1);
	check_string("\"\\u00e9\"", "\xc3\xa9", 2);
	check_string("\"\\u00E9\"", "\xc3\xa9", 2);
	check_string("\"\\u07ff\"", "\xdf\xbf", 2);
	check_string("\"\\u0800\"", "\xe0\xa0\x80", 3);
	check_string("\"\\u20AC\"", "\xe2\x82\xac", 3);
	check_string("\"\\uFFFF\"", "\xef\xbf\xbf", 3);
	check_string("\"\\ud83d\\ude00\"", "\xf0\x9f\x98\x80", 4);
	check_string("\"\\uD800\\uDC00\"", "\xf0\x90\x80\x80", 4);
	check_string("\"\\uDBFF\\uDFFF\"", "\xf4\x8f\xbf\xbf", 4);
	check_string("\"\\u0001\"", "\x01", 1);
	check_string("\"a\\u0062c\"", "abc", 3);
	check_string("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", "\"\\/\b\f\n\r\t", 8);
	check_string("\"\xf0\x9f\x98\x80 raw\"", "\xf0\x9f\x98\x80 raw", 8);
	check_string("\"\"", "", 0);
}

TEST(all_four_whitespace_chars)
{
	const char *ws = " \t\n\r";
	for (int i = 0; i < 4; i++) {
		char s[16];
		snprintf(s, sizeof(s), "%c[%c1%c,%c2%c]%c", ws[i], ws[i], ws[i], ws[i], ws[i], ws[i]);
		struct sbx_json_doc *d = parse_ok(s);
		const struct sbx_json *v = sbx_json_doc_root(d);
		CHECK(v && v->type == SBX_JSON_ARRAY && v->u.array.count == 2);
		sbx_json_doc_free(d);
	}
	/* Neighbours that other readers accept. */
	const char *bad[] = { "[\v1]", "[\f1]", "[\xc2\xa0""1]", "[\xe2\x80\x8b""1]" };
	for (int i = 0; i < 4; i++) {
		struct sbx_error err;
		struct sbx_json_doc *d = NULL;
		CHECK_EQ_INT(sbx_json_parse(bad[i], strlen(bad[i]), NULL, &d, &err), -EINVAL);
		CHECK(strncmp(err.message, "line 1, column 2: ", 18) == 0);
	}
}

TEST(tree_shape_positions_and_get)
{
	const char *s = "{\n \"fs\": {\"read\": [\"/usr\", \"/lib\"]},\n \"n\": -3, \"b\": true, \"z\": null\n}";
	struct sbx_json_doc *d = parse_ok(s);
	const struct sbx_json *r = sbx_json_doc_root(d);
	CHECK(r && r->type == SBX_JSON_OBJECT && r->u.object.count == 4);
	if (!r || r->u.object.count != 4) {
		sbx_json_doc_free(d);
		return;
	}
	CHECK_STR(r->u.object.members[0].key, "fs");
	CHECK_STR(r->u.object.members[3].key, "z");
	const struct sbx_json *rd = sbx_json_get(sbx_json_get(r, "fs"), "read");
	CHECK(rd && rd->type == SBX_JSON_ARRAY && rd->u.array.count == 2);
	if (rd && rd->u.array.count == 2) {
		CHECK_STR(rd->u.array.items[1]->u.string.str, "/lib");
		CHECK_EQ_INT(rd->u.array.items[1]->line, 2);
		CHECK_EQ_INT(rd->u.array.items[1]->column, 26);
		CHECK_EQ_INT(rd->u.array.items[1]->offset, 2 + 26 - 1);
		CHECK_EQ_INT(rd->line, 2);
		CHECK_EQ_INT(rd->column, 17);
	}
	const struct sbx_json *n = sbx_json_get(r, "n");
	CHECK(n && n->u.number.i64 == -3 && n->line == 3 && n->column == 7);
	CHECK(sbx_json_get(r, "b")->u.boolean == true);
	CHECK(sbx_json_get(r, "z")->type == SBX_JSON_NULL);
	CHECK(sbx_json_get(r, "nope") == NULL);
	CHECK(sbx_json_get(r, "f") == NULL);
	CHECK(sbx_json_get(rd, "read") == NULL);
	CHECK(sbx_json_get(NULL, "x") == NULL);
	CHECK(r->line == 1 && r->column == 1 && r->offset == 0);
	sbx_json_doc_free(d);
	sbx_json_doc_free(NULL);
	CHECK(sbx_json_doc_root(NULL) == NULL);
}

TEST(type_names)
{
	CHECK_STR(sbx_json_type_name(SBX_JSON_NULL), "null");
	CHECK_STR(sbx_json_type_name(SBX_JSON_BOOL), "boolean");
	CHECK_STR(sbx_json_type_name(SBX_JSON_NUMBER), "number");
	CHECK_STR(sbx_json_type_name(SBX_JSON_STRING), "string");
	CHECK_STR(sbx_json_type_name(SBX_JSON_ARRAY), "array");
	CHECK_STR(sbx_json_type_name(SBX_JSON_OBJECT), "object");
}

TEST(bad_arguments)
{
	struct sbx_error err;
	struct sbx_json_doc *d = (struct sbx_json_doc *)1;
	CHECK_EQ_INT(sbx_json_parse(NULL, 3, NULL, &d, &err), -EINVAL);
	CHECK_EQ_INT(err.code, SBX_EINVAL);
	CHECK(d == NULL);
	CHECK_EQ_INT(sbx_json_parse("1", 1, NULL, NULL, &err), -EINVAL);
	/* A NULL error is allowed: the result code still tells. */
	CHECK_EQ_INT(sbx_json_parse("[", 1, NULL, &d, NULL), -EINVAL);
	CHECK_EQ_INT(sbx_json_parse("1", 1, NULL, &d, NULL), 0);
	sbx_json_doc_free(d);
	/* Not NUL-terminated: only len bytes are read. */
	char buf[3] = { '1', '2', 'x' };
	CHECK_EQ_INT(sbx_json_parse(buf, 2, NULL, &d, &err), 0);
	CHECK_STR(sbx_json_doc_root(d)->u.number.text, "12");
	sbx_json_doc_free(d);
}

TEST(pointer_escaping)
{
	char p[64] = "";
	size_t a = sbx_json_ptr_push(p, sizeof(p), "a/b~c");
	CHECK_EQ_INT(a, 0);
	CHECK_STR(p, "/a~1b~0c");
	size_t b = sbx_json_ptr_push_index(p, sizeof(p), 12);
	CHECK_EQ_INT(b, 8);
	CHECK_STR(p, "/a~1b~0c/12");
	size_t c = sbx_json_ptr_push(p, sizeof(p), "");
	CHECK_STR(p, "/a~1b~0c/12/");
	sbx_json_ptr_pop(p, c);
	CHECK_STR(p, "/a~1b~0c/12");
	sbx_json_ptr_pop(p, b);
	CHECK_STR(p, "/a~1b~0c");
	sbx_json_ptr_pop(p, a);
	CHECK_STR(p, "");
	sbx_json_ptr_push(p, sizeof(p), "~01");
	CHECK_STR(p, "/~001");
}

TEST(pointer_truncation)
{
	char p[16] = "";
	size_t a = sbx_json_ptr_push(p, sizeof(p), "abc");
	size_t b = sbx_json_ptr_push(p, sizeof(p), "0123456789AB");
	CHECK_STR(p, "/abc/0123456...");
	CHECK(strlen(p) < sizeof(p));
	size_t c = sbx_json_ptr_push(p, sizeof(p), "x");
	CHECK_EQ_INT(c, 15);
	CHECK_STR(p, "/abc/0123456...");
	sbx_json_ptr_pop(p, c);
	sbx_json_ptr_pop(p, b);
	CHECK_STR(p, "/abc");
	sbx_json_ptr_pop(p, a);
	CHECK_STR(p, "");
	/* A cut never splits a UTF-8 sequence or a ~ escape. */
	sbx_json_ptr_push(p, sizeof(p), "abcdefgh\xc3\xa9\xc3\xa9xyz");
	CHECK_STR(p, "/abcdefgh\xc3\xa9...");
	sbx_json_ptr_pop(p, 0);
	sbx_json_ptr_push(p, sizeof(p), "abcdefgh\xc3\xa9\xc3\xa9");
	CHECK_STR(p, "/abcdefgh\xc3\xa9\xc3\xa9");
	sbx_json_ptr_pop(p, 0);
	sbx_json_ptr_push(p, sizeof(p), "abcdefghi\xc3\xa9xyzw");
	CHECK_STR(p, "/abcdefghi\xc3\xa9...");
	sbx_json_ptr_pop(p, 0);
	sbx_json_ptr_push(p, sizeof(p), "abcdefgh/ij/kl");
	CHECK_STR(p, "/abcdefgh~1i...");
	sbx_json_ptr_pop(p, 0);
	sbx_json_ptr_push(p, sizeof(p), "abcdefghij/klm");
	CHECK_STR(p, "/abcdefghij...");
	/* Parser pointers deeper than struct sbx_error's buffer stay bounded. */
	char key[300];
	memset(key, 'k', sizeof(key) - 1);
	key[sizeof(key) - 1] = '\0';
	char doc[400];
	snprintf(doc, sizeof(doc), "{\"%s\":[x]}", key);
	struct sbx_error err;
	struct sbx_json_doc *d = NULL;
	CHECK_EQ_INT(sbx_json_parse(doc, strlen(doc), NULL, &d, &err), -EINVAL);
	CHECK(strlen(err.pointer) == sizeof(err.pointer) - 1);
	CHECK(strcmp(err.pointer + strlen(err.pointer) - 3, "...") == 0);
}

TEST(fuzz_invariants_hold_on_corpus_like_docs)
{
	/* Every string in a parsed tree has len == strlen (no inner NUL), on
	 * documents full of escapes. */
	const char *s = "{\"k\\u00e9\\t\":[\"a\\u0001b\",\"\\ud83d\\ude00\",{\"\":\"\\/\"}]}";
	struct sbx_json_doc *d = parse_ok(s);
	const struct sbx_json *r = sbx_json_doc_root(d);
	CHECK(r && r->u.object.count == 1);
	if (r && r->u.object.count == 1) {
		CHECK_EQ_INT(r->u.object.members[0].key_len, strlen(r->u.object.members[0].key));
		CHECK_EQ_INT(r->u.object.members[0].key_len, 4);
		const struct sbx_json *a = r->u.object.members[0].value;
		CHECK_EQ_INT(a->u.array.count, 3);
		CHECK_EQ_INT(a->u.array.items[0]->u.string.len, 3);
		CHECK_STR(a->u.array.items[2]->u.object.members[0].value->u.string.str, "/");
	}
	sbx_json_doc_free(d);
}

int main(void)
{
	return t_run();
}
