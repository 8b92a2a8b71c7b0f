/*
 * The policy's keys as one table (policy_keys.def): what init, parse, merge,
 * JSON output and the preset generator do for a plain key comes from here,
 * so that a new one is a line in policy_keys.def, its field in struct
 * sbx_policy (policy.h) and its tests.
 */
#ifndef SBX_POLICY_KEYS_H
#define SBX_POLICY_KEYS_H

#include "policy.h"
#include "jsonw.h"

#include <stdbool.h>
#include <stddef.h>

enum sbx_policy_key_kind {
	SBX_PK_BOOL,
	SBX_PK_CHOICE,
	SBX_PK_STRING,
	SBX_PK_BESPOKE,
};

/* One per line of policy_keys.def, in its order: SBX_PK_<name>. */
enum sbx_policy_key_id {
#define SBX_POLICY_SCALAR(name, section, pointer, kind, field, unset, choices, example) SBX_PK_##name,
#define SBX_POLICY_BESPOKE(name, output, example) SBX_PK_##name,
#include "policy_keys.def"
#undef SBX_POLICY_SCALAR
#undef SBX_POLICY_BESPOKE
	SBX_PK_COUNT
};

struct sbx_policy_key {
	const char *name;              /* "dieWithParent"                      */
	const char *section;           /* NULL, or "preload"                   */
	const char *pointer;           /* "/dieWithParent", "/preload/keepEnv" */
	enum sbx_policy_key_kind kind;
	const char *field;             /* "die_with_parent" (the generator)    */
	size_t offset;                 /* of the field in struct sbx_policy    */
	int unset;                     /* BOOL, CHOICE: the value when unset   */
	const char *const *choices;    /* CHOICE: NULL-terminated              */
	bool output;                   /* in sbx_policy_to_json()'s output     */
	const char *example;           /* a JSON value, for the tests          */
};

extern const struct sbx_policy_key sbx_policy_keys[SBX_PK_COUNT];

/* The key `name` in `section` (NULL: the top level), or NULL. */
const struct sbx_policy_key *sbx_policy_key_find(const char *section, const char *name);
/* A top-level key that is an object of plain keys ("preload"). */
bool sbx_policy_key_is_section(const char *name);
/* The names of the keys of `section` (NULL: the top level, sections of
 * scalars included once, where their first key is), in table order. */
size_t sbx_policy_key_names(const char *section, const char **out, size_t cap);

/* A BOOL or CHOICE key's value, its `unset` value when no layer wrote it. */
int sbx_policy_key_int(const struct sbx_policy *p, enum sbx_policy_key_id id);
/* The int field of a BOOL or CHOICE key (SBX_UNSET when not written), and
 * the const char * field of a STRING key. */
int *sbx_policy_key_intp(struct sbx_policy *p, const struct sbx_policy_key *k);
int sbx_policy_key_raw(const struct sbx_policy *p, const struct sbx_policy_key *k);
const char *sbx_policy_key_string(const struct sbx_policy *p, const struct sbx_policy_key *k);

/* Every BOOL and CHOICE key SBX_UNSET (STRING keys: NULL, as zeroed). */
void sbx_policy_keys_init(struct sbx_policy *p);
/* BOOL, CHOICE, STRING keys of layer `l` over `acc`: the last written wins. */
void sbx_policy_keys_merge(struct sbx_policy *acc, const struct sbx_policy *l);
/* The BOOL, CHOICE and STRING keys that are set, in table order (sections
 * of scalars as objects). */
void sbx_policy_keys_json(struct sbx_jsonw *w, const struct sbx_policy *p);

#endif /* SBX_POLICY_KEYS_H */
