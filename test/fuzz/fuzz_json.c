/*
 * libFuzzer target for the strict JSON reader. Small limits so that the
 * fuzzer reaches the limit paths too; on success the whole tree is walked and
 * checked against the contract in json.h, on failure the error must be
 * well-formed. Any violation aborts (a finding).
 */
#include "json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_require.h"

static size_t walk(const struct sbx_json *v, size_t size, unsigned depth,
		   unsigned max_depth)
{
	size_t n = 1;
	REQUIRE(v != NULL);
	REQUIRE(v->offset < size);
	REQUIRE(v->line >= 1 && v->column >= 1);
	REQUIRE(v->column <= v->offset + 1);
	switch (v->type) {
	case SBX_JSON_NULL:
	case SBX_JSON_BOOL:
		break;
	case SBX_JSON_NUMBER:
		REQUIRE(v->u.number.text != NULL);
		REQUIRE(strlen(v->u.number.text) <= size - v->offset);
		REQUIRE(v->u.number.is_negative == (v->u.number.text[0] == '-'));
		if (v->u.number.is_integer) {
			REQUIRE(!strpbrk(v->u.number.text, ".eE"));
			char buf[32];
			if (v->u.number.is_negative) {
				snprintf(buf, sizeof(buf), "%lld", (long long)v->u.number.i64);
				/* "-0" parses to 0 */
				REQUIRE(strcmp(buf, v->u.number.text) == 0 ||
					(v->u.number.i64 == 0 && strcmp(v->u.number.text, "-0") == 0));
			} else {
				snprintf(buf, sizeof(buf), "%llu",
					 (unsigned long long)v->u.number.u64);
				REQUIRE(strcmp(buf, v->u.number.text) == 0);
			}
		}
		break;
	case SBX_JSON_STRING:
		REQUIRE(v->u.string.str != NULL);
		REQUIRE(strlen(v->u.string.str) == v->u.string.len);
		break;
	case SBX_JSON_ARRAY:
		REQUIRE(depth < max_depth);
		REQUIRE(v->u.array.count == 0 || v->u.array.items != NULL);
		for (size_t i = 0; i < v->u.array.count; i++) {
			REQUIRE(v->u.array.items[i]->offset > v->offset);
			n += walk(v->u.array.items[i], size, depth + 1, max_depth);
		}
		break;
	case SBX_JSON_OBJECT:
		REQUIRE(depth < max_depth);
		REQUIRE(v->u.object.count == 0 || v->u.object.members != NULL);
		for (size_t i = 0; i < v->u.object.count; i++) {
			const struct sbx_json_member *m = &v->u.object.members[i];
			REQUIRE(m->key != NULL && strlen(m->key) == m->key_len);
			REQUIRE(m->value->offset > v->offset);
			/* no duplicates, and lookup finds the first (only) one */
			REQUIRE(sbx_json_get(v, m->key) == m->value);
			n += walk(m->value, size, depth + 1, max_depth);
		}
		break;
	default:
		REQUIRE(!"bad type");
	}
	REQUIRE(strcmp(sbx_json_type_name(v->type), "unknown") != 0);
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sbx_json_limits lim = { 4096, 16, 256 };
	struct sbx_json_doc *doc = NULL;
	struct sbx_error err;
	/* Copy so that ASan catches any read past len (the fuzzer's buffer may
	 * be followed by readable memory). */
	char *buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	if (size)
		memcpy(buf, data, size);

	int rc = sbx_json_parse(buf, size, &lim, &doc, &err);
	if (rc == 0) {
		REQUIRE(doc != NULL && err.code == SBX_OK);
		size_t n = walk(sbx_json_doc_root(doc), size, 0, lim.max_depth);
		REQUIRE(n <= lim.max_nodes);
		sbx_json_doc_free(doc);
	} else {
		REQUIRE(doc == NULL);
		REQUIRE(rc < 0);
		REQUIRE(err.code == SBX_ESYNTAX || err.code == SBX_ETOOBIG ||
			err.code == SBX_ENOMEM);
		REQUIRE(memchr(err.message, '\0', sizeof(err.message)) != NULL);
		REQUIRE(memchr(err.pointer, '\0', sizeof(err.pointer)) != NULL);
		REQUIRE(!strchr(err.message, '\n'));
		REQUIRE(err.pointer[0] == '\0' || err.pointer[0] == '/');
		if (err.code == SBX_ESYNTAX)
			REQUIRE(strncmp(err.message, "line ", 5) == 0 &&
				strstr(err.message, ": expected ") &&
				strstr(err.message, ", found "));
	}
	free(buf);
	return 0;
}
