/*
 * The `when` expressions of seccomp rules (grammar in docs/policy.md):
 *
 *   when  := cond ( "&&" cond )*
 *   cond  := ARG CMP value | ARG "&" value "==" value
 *          | ARG "in" "[" value ( "," value )* "]"
 *   ARG   := "arg0" .. "arg5"
 *   CMP   := "==" | "!=" | "<" | "<=" | ">" | ">="
 *   value := "(" value ")" | atom ( "|" atom )*
 *   atom  := decimal | "-" decimal | "0x" hex | CONSTANT
 *
 * Deliberately small: no "||" (write two rules), no arithmetic, no
 * precedence puzzles. Constants stay names here and are resolved per
 * architecture when the spec is built, because their values differ
 * (O_DIRECTORY on aarch64); each must exist on at least one.
 */
#include "policy.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#define WHEN_MAX_LEN 1024
#define WHEN_MAX_CONDS 6
#define WHEN_MAX_ATOMS 16
#define WHEN_MAX_SET 64

struct wp {
	struct sbx_arena *a;
	const char *text, *p;
	const char *pointer;
	struct sbx_error *err;
};

static void skip_ws(struct wp *w)
{
	while (*w->p == ' ' || *w->p == '\t')
		w->p++;
}

static const char *found(const struct wp *w, char *buf, size_t cap)
{
	size_t n = 0;

	if (!*w->p)
		return "end of expression";
	while (w->p[n] && w->p[n] != ' ' && n < 12)
		n++;
	snprintf(buf, cap, "\"%.*s\"", (int)n, w->p);
	return buf;
}

static int fail(struct wp *w, const char *expected)
{
	char buf[32];

	return sbx_error_set(w->err, SBX_EVALUE, EINVAL, w->pointer,
			     "bad `when` at column %zu: expected %s, found %s",
			     (size_t)(w->p - w->text) + 1, expected, found(w, buf, sizeof(buf)));
}

static bool accept(struct wp *w, const char *tok)
{
	size_t n = strlen(tok);

	skip_ws(w);
	if (strncmp(w->p, tok, n) != 0)
		return false;
	w->p += n;
	return true;
}

static bool const_known(const char *name)
{
	uint64_t v;

	for (int a = 0; a < SBX_ARCH_COUNT; a++)
		if (sbx_const_lookup((enum sbx_arch)a, name, &v) == 0)
			return true;
	return false;
}

static int parse_atom(struct wp *w, struct sbx_when_atom *out)
{
	const char *s;
	bool neg = false;

	skip_ws(w);
	s = w->p;
	if (*w->p == '-' && isdigit((unsigned char)w->p[1])) {
		neg = true;
		w->p++;
	}
	if (isdigit((unsigned char)*w->p)) {
		uint64_t v = 0;
		int base = 10;

		if (w->p[0] == '0' && (w->p[1] == 'x' || w->p[1] == 'X') && !neg) {
			base = 16;
			w->p += 2;
			if (!isxdigit((unsigned char)*w->p))
				return fail(w, "hex digits after 0x");
		}
		for (;;) {
			int c = (unsigned char)*w->p, d;

			if (isdigit(c))
				d = c - '0';
			else if (base == 16 && isxdigit(c))
				d = (tolower(c) - 'a') + 10;
			else
				break;
			if (v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base) {
				w->p = s;
				return sbx_error_set(w->err, SBX_EVALUE, ERANGE, w->pointer,
						     "bad `when` at column %zu: number does not fit in 64 bits",
						     (size_t)(s - w->text) + 1);
			}
			v = v * (uint64_t)base + (uint64_t)d;
			w->p++;
		}
		if (isalnum((unsigned char)*w->p) || *w->p == '_')
			return fail(w, "a number");
		if (neg && v > (1ull << 63))
			return sbx_error_set(w->err, SBX_EVALUE, ERANGE, w->pointer,
					     "bad `when` at column %zu: number does not fit in 64 bits",
					     (size_t)(s - w->text) + 1);
		out->name = NULL;
		out->value = neg ? (uint64_t)0 - v : v;
		return 0;
	}
	if (isalpha((unsigned char)*w->p) || *w->p == '_') {
		const char *e = w->p;
		char name[64];
		size_t n;

		while (isalnum((unsigned char)*e) || *e == '_')
			e++;
		n = (size_t)(e - w->p);
		if (n >= sizeof(name))
			return fail(w, "a constant name of at most 63 characters");
		memcpy(name, w->p, n);
		name[n] = '\0';
		if (!const_known(name)) {
			const char *sug = sbx_const_suggest(name);

			return sbx_error_set(w->err, SBX_EVALUE, EINVAL, w->pointer,
					     "unknown constant %s in `when` (column %zu)%s%s%s",
					     name, (size_t)(w->p - w->text) + 1,
					     sug ? ", did you mean " : "", sug ? sug : "",
					     sug ? "?" : "");
		}
		/* resolved per arch when compiled (sbx_const_lookup) */
		out->value = 0;
		out->name = sbx_arena_strdup(w->a, name);
		if (!out->name)
			return sbx_error_set(w->err, SBX_ENOMEM, ENOMEM, w->pointer, "out of memory");
		w->p = e;
		return 0;
	}
	return fail(w, "a number or a constant name");
}

static int parse_value(struct wp *w, struct sbx_when_value *out)
{
	struct sbx_when_atom atoms[WHEN_MAX_ATOMS];
	size_t n = 0;
	bool paren = accept(w, "(");
	int rc;

	do {
		if (n == WHEN_MAX_ATOMS)
			return fail(w, "at most 16 values joined by |");
		rc = parse_atom(w, &atoms[n++]);
		if (rc)
			return rc;
		skip_ws(w);
		/* "|" but not "||", which this grammar does not have */
		if (w->p[0] == '|' && w->p[1] == '|')
			return fail(w, "\"&&\" or the end (there is no \"||\": write two rules)");
	} while (accept(w, "|"));
	if (paren && !accept(w, ")"))
		return fail(w, "\")\"");
	out->atoms = sbx_arena_alloc(w->a, n * sizeof(atoms[0]));
	if (!out->atoms)
		return sbx_error_set(w->err, SBX_ENOMEM, ENOMEM, w->pointer, "out of memory");
	memcpy(out->atoms, atoms, n * sizeof(atoms[0]));
	out->count = n;
	return 0;
}

static int parse_cond(struct wp *w, struct sbx_when_cond *c)
{
	static const struct { const char *tok; enum sbx_cmp_op op; } ops[] = {
		{ "==", SBX_CMP_EQ }, { "!=", SBX_CMP_NE }, { "<=", SBX_CMP_LE },
		{ ">=", SBX_CMP_GE }, { "<", SBX_CMP_LT }, { ">", SBX_CMP_GT },
	};
	int rc;

	skip_ws(w);
	if (strncmp(w->p, "arg", 3) != 0 || w->p[3] < '0' || w->p[3] > '5' ||
	    isalnum((unsigned char)w->p[4]) || w->p[4] == '_')
		return fail(w, "arg0 .. arg5");
	c->arg = (uint8_t)(w->p[3] - '0');
	w->p += 4;
	skip_ws(w);
	if (w->p[0] == '&' && w->p[1] != '&') {
		w->p++;
		rc = parse_value(w, &c->mask);
		if (rc)
			return rc;
		skip_ws(w);
		if (!accept(w, "=="))
			return fail(w, "\"==\" after a mask (a masked comparison tests equality: "
				       "\"arg0 & MASK == 0\")");
		c->op = SBX_CMP_MASKED_EQ;
		return parse_value(w, &c->value);
	}
	if (strncmp(w->p, "in", 2) == 0 && !isalnum((unsigned char)w->p[2]) && w->p[2] != '_') {
		struct sbx_when_value set[WHEN_MAX_SET];
		size_t n = 0;

		w->p += 2;
		if (!accept(w, "["))
			return fail(w, "\"[\"");
		do {
			if (n == WHEN_MAX_SET)
				return fail(w, "at most 64 values in a set");
			rc = parse_value(w, &set[n++]);
			if (rc)
				return rc;
		} while (accept(w, ","));
		if (!accept(w, "]"))
			return fail(w, "\",\" or \"]\"");
		c->op = SBX_CMP_IN;
		c->set = sbx_arena_alloc(w->a, n * sizeof(set[0]));
		if (!c->set)
			return sbx_error_set(w->err, SBX_ENOMEM, ENOMEM, w->pointer, "out of memory");
		memcpy(c->set, set, n * sizeof(set[0]));
		c->nset = n;
		return 0;
	}
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		if (accept(w, ops[i].tok)) {
			c->op = ops[i].op;
			return parse_value(w, &c->value);
		}
	}
	return fail(w, "one of == != < <= > >= & in");
}

int sbx_when_parse(struct sbx_arena *a, const char *text, const char *pointer,
		   struct sbx_when_cond **conds, size_t *nconds, struct sbx_error *err)
{
	struct sbx_when_cond tmp[WHEN_MAX_CONDS];
	struct wp w = { a, text, text, pointer, err };
	size_t n = 0;
	int rc;

	if (strlen(text) > WHEN_MAX_LEN)
		return sbx_error_set(err, SBX_EVALUE, E2BIG, pointer,
				     "`when` is longer than %d characters", WHEN_MAX_LEN);
	memset(tmp, 0, sizeof(tmp));
	do {
		if (n == WHEN_MAX_CONDS)
			return fail(&w, "at most 6 conditions joined by &&");
		rc = parse_cond(&w, &tmp[n++]);
		if (rc)
			return rc;
	} while (accept(&w, "&&"));
	skip_ws(&w);
	if (*w.p)
		return fail(&w, "\"&&\" or the end");
	*conds = sbx_arena_alloc(a, n * sizeof(tmp[0]));
	if (!*conds)
		return sbx_error_set(err, SBX_ENOMEM, ENOMEM, pointer, "out of memory");
	memcpy(*conds, tmp, n * sizeof(tmp[0]));
	*nconds = n;
	return 0;
}

int sbx_when_value_eval(const struct sbx_when_value *v, enum sbx_arch arch,
			uint64_t *out, const char *pointer, struct sbx_error *err)
{
	uint64_t acc = 0;

	for (size_t i = 0; i < v->count; i++) {
		uint64_t x = v->atoms[i].value;

		if (v->atoms[i].name &&
		    sbx_const_lookup(arch, v->atoms[i].name, &x) != 0)
			return sbx_error_set(err, SBX_EUNSUPPORTED, ENOENT, pointer,
					     "constant %s does not exist on %s",
					     v->atoms[i].name, sbx_arch_info(arch)->name);
		acc |= x;
	}
	*out = acc;
	return 0;
}
