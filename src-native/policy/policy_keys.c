/*
 * The table of policy keys (policy_keys.def) and what is done the same way
 * for each plain key: init, merge, JSON output. The parser reads the table
 * for the known keys and the plain values (policy_parse.c), the preset
 * generator for the fields it writes (gen/gen-presets.c).
 */
#include "policy_keys.h"

#include <string.h>

static const char *const sbx_pk_sessions[] = { "inherit", "new", NULL };
static const char *const sbx_pk_homes[] = { "hidden", "private", "toolchains", NULL };

/* The field's type follows from the kind: the compiler checks each line. */
#define FIELD_IS(field, type)                                                        \
	_Static_assert(__builtin_types_compatible_p(__typeof__(((struct sbx_policy *)0)->field), \
						    type), #field " has the wrong type");
#define KIND_TYPE_BOOL int
#define KIND_TYPE_CHOICE int
#define KIND_TYPE_STRING const char *
#define SBX_POLICY_SCALAR(name, section, pointer, kind, field, unset, choices, example) \
	FIELD_IS(field, KIND_TYPE_##kind)
#define SBX_POLICY_BESPOKE(name, output, example)
#include "policy_keys.def"
#undef SBX_POLICY_SCALAR
#undef SBX_POLICY_BESPOKE

const struct sbx_policy_key sbx_policy_keys[SBX_PK_COUNT] = {
#define SBX_POLICY_SCALAR(name, section, pointer, kind, field, unset, choices, example)          \
	[SBX_PK_##name] = { #name, section, pointer, SBX_PK_##kind, #field, \
			    offsetof(struct sbx_policy, field), unset, choices, true, example },
#define SBX_POLICY_BESPOKE(name, output, example) \
	[SBX_PK_##name] = { #name, NULL, "/" #name, SBX_PK_BESPOKE, NULL, 0, 0, NULL, output, \
			    example },
#include "policy_keys.def"
#undef SBX_POLICY_SCALAR
#undef SBX_POLICY_BESPOKE
};

static bool same_section(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

const struct sbx_policy_key *sbx_policy_key_find(const char *section, const char *name)
{
	for (size_t i = 0; i < SBX_PK_COUNT; i++)
		if (same_section(sbx_policy_keys[i].section, section) &&
		    !strcmp(sbx_policy_keys[i].name, name))
			return &sbx_policy_keys[i];
	return NULL;
}

bool sbx_policy_key_is_section(const char *name)
{
	for (size_t i = 0; i < SBX_PK_COUNT; i++)
		if (sbx_policy_keys[i].section && !strcmp(sbx_policy_keys[i].section, name))
			return true;
	return false;
}

size_t sbx_policy_key_names(const char *section, const char **out, size_t cap)
{
	size_t n = 0;

	for (size_t i = 0; i < SBX_PK_COUNT; i++) {
		const struct sbx_policy_key *k = &sbx_policy_keys[i];
		const char *name = NULL;
		bool seen = false;

		if (same_section(k->section, section))
			name = k->name;
		else if (!section && k->section)
			name = k->section;      /* a section of scalars, named once */
		for (size_t j = 0; name && j < n; j++)
			seen |= !strcmp(out[j], name);
		if (name && !seen && n < cap)
			out[n++] = name;
	}
	return n;
}

int *sbx_policy_key_intp(struct sbx_policy *p, const struct sbx_policy_key *k)
{
	return (int *)((char *)p + k->offset);
}

int sbx_policy_key_raw(const struct sbx_policy *p, const struct sbx_policy_key *k)
{
	return *(const int *)((const char *)p + k->offset);
}

const char *sbx_policy_key_string(const struct sbx_policy *p, const struct sbx_policy_key *k)
{
	return *(const char *const *)((const char *)p + k->offset);
}

int sbx_policy_key_int(const struct sbx_policy *p, enum sbx_policy_key_id id)
{
	const struct sbx_policy_key *k = &sbx_policy_keys[id];
	int v = sbx_policy_key_raw(p, k);

	return v == SBX_UNSET ? k->unset : v;
}

static bool is_int(const struct sbx_policy_key *k)
{
	return k->kind == SBX_PK_BOOL || k->kind == SBX_PK_CHOICE;
}

void sbx_policy_keys_init(struct sbx_policy *p)
{
	for (size_t i = 0; i < SBX_PK_COUNT; i++)
		if (is_int(&sbx_policy_keys[i]))
			*sbx_policy_key_intp(p, &sbx_policy_keys[i]) = SBX_UNSET;
}

void sbx_policy_keys_merge(struct sbx_policy *acc, const struct sbx_policy *l)
{
	for (size_t i = 0; i < SBX_PK_COUNT; i++) {
		const struct sbx_policy_key *k = &sbx_policy_keys[i];

		if (is_int(k) && sbx_policy_key_raw(l, k) != SBX_UNSET)
			*sbx_policy_key_intp(acc, k) = sbx_policy_key_raw(l, k);
		else if (k->kind == SBX_PK_STRING && sbx_policy_key_string(l, k))
			*(const char **)((char *)acc + k->offset) = sbx_policy_key_string(l, k);
	}
}

static bool key_set(const struct sbx_policy *p, const struct sbx_policy_key *k)
{
	if (is_int(k))
		return sbx_policy_key_raw(p, k) != SBX_UNSET;
	return k->kind == SBX_PK_STRING && sbx_policy_key_string(p, k);
}

static void key_json(struct sbx_jsonw *w, const struct sbx_policy *p, const struct sbx_policy_key *k)
{
	if (k->kind == SBX_PK_BOOL)
		sbx_jsonw_kv_bool(w, k->name, sbx_policy_key_raw(p, k));
	else if (k->kind == SBX_PK_CHOICE)
		sbx_jsonw_kv_string(w, k->name, k->choices[sbx_policy_key_raw(p, k)]);
	else
		sbx_jsonw_kv_string(w, k->name, sbx_policy_key_string(p, k));
}

void sbx_policy_keys_json(struct sbx_jsonw *w, const struct sbx_policy *p)
{
	for (size_t i = 0; i < SBX_PK_COUNT; i++) {
		const struct sbx_policy_key *k = &sbx_policy_keys[i];
		size_t j;

		if (k->kind == SBX_PK_BESPOKE || !key_set(p, k))
			continue;
		if (!k->section) {
			key_json(w, p, k);
			continue;
		}
		/* The first key set of a section: the section's object, with
		 * every key of it that is set (those after this one). */
		for (j = 0; j < i && !(same_section(sbx_policy_keys[j].section, k->section) &&
				      key_set(p, &sbx_policy_keys[j])); j++)
			;
		if (j < i)
			continue;
		sbx_jsonw_key(w, k->section);
		sbx_jsonw_object_begin(w);
		for (j = i; j < SBX_PK_COUNT; j++)
			if (same_section(sbx_policy_keys[j].section, k->section) &&
			    key_set(p, &sbx_policy_keys[j]))
				key_json(w, p, &sbx_policy_keys[j]);
		sbx_jsonw_object_end(w);
	}
}
