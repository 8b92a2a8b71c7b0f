/* The JSON writer: structure, escaping, UTF-8 repair, sticky errors. */
#include "t.h"

#include "jsonw.h"

#include <errno.h>
#include <stdint.h>

static char *finish(struct sbx_jsonw *w, int *r)
{
	char *out = NULL;
	*r = sbx_jsonw_finish(w, &out);
	return out;
}

TEST(jsonw_writes_nested_structure_with_commas)
{
	struct sbx_jsonw w;
	int r;
	sbx_jsonw_init(&w);
	sbx_jsonw_object_begin(&w);
	sbx_jsonw_kv_int(&w, "a", -5);
	sbx_jsonw_key(&w, "b");
	sbx_jsonw_array_begin(&w);
	sbx_jsonw_uint(&w, UINT64_MAX);
	sbx_jsonw_bool(&w, true);
	sbx_jsonw_null(&w);
	sbx_jsonw_object_begin(&w);
	sbx_jsonw_object_end(&w);
	sbx_jsonw_array_begin(&w);
	sbx_jsonw_array_end(&w);
	sbx_jsonw_array_end(&w);
	sbx_jsonw_kv_bool(&w, "c", false);
	sbx_jsonw_kv_null_reason(&w, "d", "not here");
	sbx_jsonw_object_end(&w);
	char *out = finish(&w, &r);
	CHECK_EQ_INT(r, 0);
	CHECK_STR(out, "{\"a\":-5,\"b\":[18446744073709551615,true,null,{},[]],"
		       "\"c\":false,\"d\":null,\"dReason\":\"not here\"}");
	free(out);
}

TEST(jsonw_escapes_quotes_backslashes_and_controls)
{
	struct sbx_jsonw w;
	int r;
	sbx_jsonw_init(&w);
	sbx_jsonw_array_begin(&w);
	sbx_jsonw_string(&w, "q\"b\\n\n t\t\x01\x1f/\x7f");
	sbx_jsonw_array_end(&w);
	char *out = finish(&w, &r);
	CHECK_EQ_INT(r, 0);
	CHECK_STR(out, "[\"q\\\"b\\\\n\\n t\\t\\u0001\\u001f/\x7f\"]");
	free(out);
}

TEST(jsonw_keeps_valid_utf8_and_replaces_invalid_bytes)
{
	struct sbx_jsonw w;
	int r;
	sbx_jsonw_init(&w);
	sbx_jsonw_array_begin(&w);
	sbx_jsonw_string(&w, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
	/* lone continuation, overlong, surrogate, truncated, > U+10FFFF */
	sbx_jsonw_string(&w, "\x80|\xc0\xaf|\xed\xa0\x80|\xe2\x82|\xf4\x90\x80\x80");
	/* embedded NUL via the explicit length */
	sbx_jsonw_string_n(&w, "a\0b", 3);
	sbx_jsonw_array_end(&w);
	char *out = finish(&w, &r);
	CHECK_EQ_INT(r, 0);
	CHECK_STR(out,
		  "[\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\","
		  "\"\\ufffd|\\ufffd\\ufffd|\\ufffd\\ufffd\\ufffd|\\ufffd\\ufffd|"
		  "\\ufffd\\ufffd\\ufffd\\ufffd\","
		  "\"a\\u0000b\"]");
	free(out);
}

TEST(jsonw_rejects_value_without_key_and_is_sticky)
{
	struct sbx_jsonw w;
	int r;
	sbx_jsonw_init(&w);
	sbx_jsonw_object_begin(&w);
	sbx_jsonw_int(&w, 1);             /* no key: error */
	sbx_jsonw_kv_int(&w, "a", 1);     /* ignored after the error */
	sbx_jsonw_object_end(&w);
	char *out = finish(&w, &r);
	CHECK_EQ_INT(r, -EINVAL);
	CHECK(out == NULL);
}

TEST(jsonw_rejects_mismatched_and_unfinished_documents)
{
	struct sbx_jsonw w;
	int r;
	char *out;

	sbx_jsonw_init(&w);
	sbx_jsonw_object_begin(&w);
	sbx_jsonw_array_end(&w);
	out = finish(&w, &r);
	CHECK_EQ_INT(r, -EINVAL);
	CHECK(out == NULL);

	sbx_jsonw_init(&w);
	sbx_jsonw_array_begin(&w);
	out = finish(&w, &r);
	CHECK_EQ_INT(r, -EINVAL);

	sbx_jsonw_init(&w);
	sbx_jsonw_object_begin(&w);
	sbx_jsonw_key(&w, "dangling");
	sbx_jsonw_object_end(&w);
	out = finish(&w, &r);
	CHECK_EQ_INT(r, -EINVAL);

	sbx_jsonw_init(&w);
	out = finish(&w, &r);
	CHECK_EQ_INT(r, -EINVAL);

	sbx_jsonw_init(&w);
	sbx_jsonw_int(&w, 1);
	sbx_jsonw_int(&w, 2);             /* two top-level values */
	out = finish(&w, &r);
	CHECK_EQ_INT(r, -EINVAL);
}

TEST(jsonw_limits_depth)
{
	struct sbx_jsonw w;
	int r;
	sbx_jsonw_init(&w);
	for (int i = 0; i < SBX_JSONW_MAX_DEPTH + 1; i++)
		sbx_jsonw_array_begin(&w);
	for (int i = 0; i < SBX_JSONW_MAX_DEPTH + 1; i++)
		sbx_jsonw_array_end(&w);
	char *out = finish(&w, &r);
	CHECK_EQ_INT(r, -E2BIG);
	CHECK(out == NULL);

	sbx_jsonw_init(&w);
	for (int i = 0; i < SBX_JSONW_MAX_DEPTH; i++)
		sbx_jsonw_array_begin(&w);
	for (int i = 0; i < SBX_JSONW_MAX_DEPTH; i++)
		sbx_jsonw_array_end(&w);
	out = finish(&w, &r);
	CHECK_EQ_INT(r, 0);
	CHECK(out && strlen(out) == 2 * SBX_JSONW_MAX_DEPTH);
	free(out);
}

TEST(jsonw_grows_past_its_first_buffer)
{
	struct sbx_jsonw w;
	int r;
	sbx_jsonw_init(&w);
	sbx_jsonw_array_begin(&w);
	for (int i = 0; i < 10000; i++)
		sbx_jsonw_string(&w, "0123456789");
	sbx_jsonw_array_end(&w);
	char *out = finish(&w, &r);
	CHECK_EQ_INT(r, 0);
	/* 10000 quoted strings, 9999 commas, two brackets */
	CHECK(out && strlen(out) == 10000 * 12 + 9999 + 2);
	CHECK(out && strcmp(out + strlen(out) - 14, ",\"0123456789\"]") == 0);
	free(out);
}

TEST(jsonw_fixed_buffer_fills_then_fails_without_allocating)
{
	char buf[16];
	struct sbx_jsonw w;
	sbx_jsonw_init_fixed(&w, buf, sizeof(buf));
	sbx_jsonw_object_begin(&w);
	sbx_jsonw_kv_string(&w, "a", "1234567");        /* 15 bytes and the NUL: full */
	sbx_jsonw_object_end(&w);
	CHECK_EQ_INT(sbx_jsonw_check(&w), 0);
	CHECK_STR(buf, "{\"a\":\"1234567\"}");
	CHECK(w.buf == buf && w.len == strlen(buf));

	/* one byte more than fits (with its NUL): ENOSPC, sticky, NUL-terminated */
	sbx_jsonw_init_fixed(&w, buf, sizeof(buf));
	sbx_jsonw_object_begin(&w);
	sbx_jsonw_kv_string(&w, "a", "12345678");
	sbx_jsonw_object_end(&w);
	CHECK_EQ_INT(sbx_jsonw_check(&w), -ENOSPC);
	CHECK(strlen(buf) < sizeof(buf));
	sbx_jsonw_free(&w);     /* the caller's buffer is not freed (ASan) */

	/* an unfinished document is not complete */
	sbx_jsonw_init_fixed(&w, buf, sizeof(buf));
	sbx_jsonw_object_begin(&w);
	CHECK_EQ_INT(sbx_jsonw_check(&w), -EINVAL);
}

int main(void)
{
	return t_run();
}
