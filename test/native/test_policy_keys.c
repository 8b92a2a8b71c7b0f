/*
 * The table of policy keys (src-native/policy/policy_keys.def): every key
 * round-trips (parse -> JSON out -> parse gives the same policy and the
 * same JSON), every value of a plain key does, a later layer's value wins,
 * the table's pointers and defaults are what the parser and the doors use,
 * and docs/policy.md names every key (read, never rewritten).
 */
#include "policy.h"
#include "policy_keys.h"
#include "t.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[64];

static struct sbx_policy_load_opts opts(void)
{
	struct sbx_policy_load_opts o = { .cwd = dir, .home = "/root", .tmpdir = "/tmp" };
	return o;
}

/* {"key": value}, or {"section": {"key": value}} */
static void doc_of(char *buf, size_t cap, const struct sbx_policy_key *k, const char *value,
		   const char *extends)
{
	char ext[PATH_MAX + 32] = "";

	if (extends)
		snprintf(ext, sizeof(ext), "\"extends\": \"%s\", ", extends);
	if (k->section)
		snprintf(buf, cap, "{%s\"%s\": {\"%s\": %s}}", ext, k->section, k->name, value);
	else
		snprintf(buf, cap, "{%s\"%s\": %s}", ext, k->name, value);
}

static struct sbx_policy *load(const char *text)
{
	struct sbx_policy_load_opts o = opts();
	struct sbx_policy *p = NULL;
	struct sbx_error err;

	if (sbx_policy_load(text, &o, &p, &err)) {
		T_FAIL("load %.120s: %s %s %s", text, sbx_code_name(err.code), err.pointer,
		       err.message);
		return NULL;
	}
	return p;
}

static char *json_of(const struct sbx_policy *p)
{
	struct sbx_error err;
	char *j = NULL;

	if (sbx_policy_to_json(p, &j, &err))
		T_FAIL("to_json: %s", err.message);
	return j;
}

/* The plain key's field in p and q are equal, and written. */
static void same_field(const struct sbx_policy_key *k, const struct sbx_policy *p,
		       const struct sbx_policy *q, const char *doc)
{
	if (k->kind == SBX_PK_BOOL || k->kind == SBX_PK_CHOICE) {
		if (sbx_policy_key_raw(p, k) == SBX_UNSET ||
		    sbx_policy_key_raw(p, k) != sbx_policy_key_raw(q, k))
			T_FAIL("%s: %d, then %d after the round trip (%s)", k->name,
			       sbx_policy_key_raw(p, k), sbx_policy_key_raw(q, k), doc);
	} else if (k->kind == SBX_PK_STRING) {
		const char *a = sbx_policy_key_string(p, k), *b = sbx_policy_key_string(q, k);

		if (!a || !b || strcmp(a, b))
			T_FAIL("%s: \"%s\", then \"%s\" after the round trip", k->name,
			       a ? a : "(null)", b ? b : "(null)");
	}
}

/* parse -> JSON -> parse -> JSON: the same policy, the same JSON. */
static void round_trip(const struct sbx_policy_key *k, const char *value)
{
	char doc[1024], key[80];
	struct sbx_policy *p, *q = NULL;
	char *j1 = NULL, *j2 = NULL;

	doc_of(doc, sizeof(doc), k, value, NULL);
	if (!(p = load(doc)))
		return;
	j1 = json_of(p);
	if (j1 && (q = load(j1)))
		j2 = json_of(q);
	if (j1 && j2 && strcmp(j1, j2))
		T_FAIL("%s: JSON differs after the round trip:\n#   %s\n#   %s", k->name, j1, j2);
	snprintf(key, sizeof(key), "\"%s\":", k->section ? k->section : k->name);
	if (j1 && k->output && !strstr(j1, key))
		T_FAIL("%s: not in the JSON output %s", k->name, j1);
	if (j1 && !k->output && strstr(j1, key))
		T_FAIL("%s: in the JSON output, the table says it is not: %s", k->name, j1);
	if (q)
		same_field(k, p, q, doc);
	free(j1);
	free(j2);
	sbx_policy_free(q);
	sbx_policy_free(p);
}

TEST(every_key_round_trips)
{
	for (size_t i = 0; i < SBX_PK_COUNT; i++)
		round_trip(&sbx_policy_keys[i], sbx_policy_keys[i].example);
}

/* Every value of a bool or choice key, and its example is not what an
 * unwritten key means (else the round trip above would prove little). */
TEST(every_value_of_plain_keys_round_trips)
{
	for (size_t i = 0; i < SBX_PK_COUNT; i++) {
		const struct sbx_policy_key *k = &sbx_policy_keys[i];
		char value[64], doc[256];
		struct sbx_policy *p;

		if (k->kind == SBX_PK_BOOL) {
			round_trip(k, "true");
			round_trip(k, "false");
		}
		for (size_t c = 0; k->kind == SBX_PK_CHOICE && k->choices[c]; c++) {
			snprintf(value, sizeof(value), "\"%s\"", k->choices[c]);
			round_trip(k, value);
			doc_of(doc, sizeof(doc), k, value, NULL);
			if ((p = load(doc))) {
				CHECK_EQ_INT(sbx_policy_key_raw(p, k), (int)c);
				sbx_policy_free(p);
			}
		}
		if (k->kind != SBX_PK_BOOL && k->kind != SBX_PK_CHOICE)
			continue;
		doc_of(doc, sizeof(doc), k, k->example, NULL);
		if ((p = load(doc))) {
			if (sbx_policy_key_int(p, (enum sbx_policy_key_id)i) == k->unset)
				T_FAIL("%s: the example %s is what the unwritten key means", k->name,
				       k->example);
			sbx_policy_free(p);
		}
		/* Unwritten: SBX_UNSET, read as the table's value. */
		if ((p = load("{}"))) {
			CHECK_EQ_INT(sbx_policy_key_raw(p, k), SBX_UNSET);
			CHECK_EQ_INT(sbx_policy_key_int(p, (enum sbx_policy_key_id)i), k->unset);
			sbx_policy_free(p);
		}
	}
}

/* A layer that writes a plain key wins over the one it extends; one that
 * does not keeps the extended value. */
TEST(later_layer_wins)
{
	char base[PATH_MAX], doc[PATH_MAX + 256];

	snprintf(base, sizeof(base), "%s/base.json", dir);
	for (size_t i = 0; i < SBX_PK_COUNT; i++) {
		const struct sbx_policy_key *k = &sbx_policy_keys[i];
		char first[64] = "\"/usr\"";      /* STRING: cwd */
		struct sbx_policy *a, *b;
		FILE *f;

		if (k->kind == SBX_PK_BESPOKE)
			continue;
		/* a value other than the example */
		if (k->kind == SBX_PK_BOOL)
			snprintf(first, sizeof(first), "%s", strcmp(k->example, "true") ? "true" : "false");
		for (size_t c = 0; k->kind == SBX_PK_CHOICE && k->choices[c]; c++) {
			snprintf(first, sizeof(first), "\"%s\"", k->choices[c]);
			if (strcmp(first, k->example))
				break;
		}
		if (k->kind == SBX_PK_STRING && !strcmp(k->name, "hostname"))
			snprintf(first, sizeof(first), "\"base\"");
		CHECK(strcmp(first, k->example) != 0);
		doc_of(doc, sizeof(doc), k, first, NULL);
		if (!(f = fopen(base, "w")))
			abort();
		fputs(doc, f);
		fclose(f);
		doc_of(doc, sizeof(doc), k, k->example, base);
		a = load(doc);
		snprintf(doc, sizeof(doc), "{\"extends\": \"%s\"}", base);
		b = load(doc);
		if (a && b) {
			struct sbx_policy *only = NULL;

			doc_of(doc, sizeof(doc), k, k->example, NULL);
			only = load(doc);
			/* a: the example, as if alone; b: the base's value */
			if (only)
				same_field(k, a, only, "later layer");
			if ((k->kind == SBX_PK_STRING &&
			     !strcmp(sbx_policy_key_string(a, k), sbx_policy_key_string(b, k))) ||
			    (k->kind != SBX_PK_STRING &&
			     sbx_policy_key_raw(a, k) == sbx_policy_key_raw(b, k)))
				T_FAIL("%s: the later layer's value did not win", k->name);
			if (k->kind != SBX_PK_STRING)
				CHECK(sbx_policy_key_raw(b, k) != SBX_UNSET);
			sbx_policy_free(only);
		}
		sbx_policy_free(a);
		sbx_policy_free(b);
	}
	unlink(base);
}

/* The table's pointer is where the parser reports a bad value, and an
 * unknown key is refused with the table's name suggested. */
TEST(pointers_and_unknown_keys)
{
	struct sbx_policy_load_opts o = opts();

	for (size_t i = 0; i < SBX_PK_COUNT; i++) {
		const struct sbx_policy_key *k = &sbx_policy_keys[i];
		char want[96], doc[256];
		struct sbx_policy *p = NULL;
		struct sbx_error err;

		snprintf(want, sizeof(want), "/%s%s%s", k->section ? k->section : "",
			 k->section ? "/" : "", k->name);
		CHECK_STR(k->pointer, want);
		if (k->kind != SBX_PK_BOOL && k->kind != SBX_PK_CHOICE)
			continue;
		doc_of(doc, sizeof(doc), k, "17", NULL);
		CHECK(sbx_policy_load(doc, &o, &p, &err) < 0);
		CHECK(p == NULL);
		CHECK_STR(err.pointer, k->pointer);
		/* a misspelt key: refused, the right one suggested */
		snprintf(doc, sizeof(doc), k->section ? "{\"%s\": {\"%sx\": true}}" : "{%s\"%sx\": true}",
			 k->section ? k->section : "", k->name);
		CHECK(sbx_policy_load(doc, &o, &p, &err) < 0);
		CHECK_EQ_INT(err.code, SBX_EUNKNOWNKEY);
		snprintf(want, sizeof(want), "did you mean \"%s\"?", k->name);
		if (!strstr(err.message, want))
			T_FAIL("%s: %s", doc, err.message);
	}
}

/* docs/policy.md is the reference: it names every key of the table. */
TEST(docs_name_every_key)
{
	static char text[1 << 20];
	size_t len = t_read_file(SBX_SOURCE_DIR "/docs/policy.md", text, sizeof(text));

	if (!len)
		return;
	text[len] = '\0';
	for (size_t i = 0; i < SBX_PK_COUNT; i++) {
		const struct sbx_policy_key *k = &sbx_policy_keys[i];
		const char *names[2] = { k->name, k->section };

		for (int n = 0; n < 2 && names[n]; n++) {
			char a[80], b[80];

			snprintf(a, sizeof(a), "`%s`", names[n]);
			snprintf(b, sizeof(b), "\"%s\"", names[n]);
			if (!strstr(text, a) && !strstr(text, b))
				T_FAIL("docs/policy.md does not name the key %s", names[n]);
		}
	}
}

int main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/sbx-test-keys-XXXXXX");
	if (!mkdtemp(dir))
		abort();
	int r = t_run();
	rmdir(dir);
	return r;
}
