/*
 * One architecture's reading of a minijail policy: statements into each
 * syscall's ordered list of filters, following the grammar and the checks of
 * minijail's tools/parser.py (the grammar is quoted above each function).
 * Constants are evaluated here, per architecture, with sbx's tables.
 */
#include "minijail_int.h"

#include "errno_names.h"
#include "suggest.h"
#include "syscalls.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct parser {
	struct mj_loader *L;
	enum sbx_arch arch;
	bool denylist;
	struct sbx_action kill;        /* what `kill` means */
	struct sbx_action def;         /* @default so far */
	struct mj_parsed *out;
	struct sbx_error *err;
	const struct mj_file *stack[MJ_MAX_DEPTH + 1];
	int depth;
};

struct cur {
	struct parser *P;
	const struct mj_file *f;
	const struct mj_stmt *st;
	size_t i;
};

static const struct mj_token *peek(const struct cur *c)
{
	return c->i < c->st->ntoks ? &c->st->toks[c->i] : NULL;
}

static const struct mj_token *take(struct cur *c)
{
	return c->i < c->st->ntoks ? &c->st->toks[c->i++] : NULL;
}

static bool peek_is(const struct cur *c, enum mj_tok t)
{
	const struct mj_token *k = peek(c);

	return k && k->type == t;
}

static bool tok_is(const struct mj_token *t, const char *text)
{
	return t->len == strlen(text) && memcmp(t->text, text, t->len) == 0;
}

#define TOK(t) (int)(t)->len, (t)->text

static int at_tok(struct cur *c, const struct mj_token *t, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int at_end(struct cur *c, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int at_tok(struct cur *c, const struct mj_token *t, int code, const char *fmt, ...)
{
	char msg[360];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return mj_error_at(c->P->err, code, c->P->L->pointer, c->f, t->line, t->col, "%s", msg);
}

/* Errors with no token point past the end of the statement's last line. */
static int at_end(struct cur *c, int code, const char *fmt, ...)
{
	char msg[360];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return mj_error_at(c->P->err, code, c->P->L->pointer, c->f, c->st->end_line,
			   c->st->end_col, "%s", msg);
}

static int oom(struct parser *P)
{
	return sbx_error_set(P->err, SBX_ENOMEM, ENOMEM, P->L->pointer, "out of memory");
}

static const char *arch_name(enum sbx_arch a)
{
	return sbx_arch_info(a)->name;
}

/* minijail's name for the arch in `[arch=...]` metadata. */
static const char *mj_arch_name(enum sbx_arch a)
{
	return a == SBX_ARCH_AARCH64 ? "arm64" : "x86_64";
}

static void remember(struct mj_where *w, const struct cur *c, const struct mj_token *t)
{
	if (!w->set)
		*w = (struct mj_where){ c->f, t->line, t->col, true };
}

/* ---- constants ------------------------------------------------------------------- */

/* C's strtol rules by minijail's regexes: -?0x hex, -?0 octal, else decimal;
 * 64-bit two's complement, nothing outside [-2^63, 2^64). */
static int number(struct cur *c, const struct mj_token *t, uint64_t *out)
{
	const char *s = t->text, *e = t->text + t->len;
	bool neg = false, over = false;
	unsigned base = 10;
	uint64_t v = 0;

	if (s < e && *s == '-')
		neg = true, s++;
	if (e - s > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		base = 16, s += 2;
	else if (e - s > 1 && s[0] == '0' && s[1] >= '0' && s[1] <= '7')
		base = 8, s += 1;
	for (; s < e; s++) {
		unsigned d = *s <= '9' ? (unsigned)(*s - '0') : (unsigned)((*s | 0x20) - 'a' + 10);

		if (v > (UINT64_MAX - d) / base)
			over = true;
		v = v * base + d;
	}
	if (!neg && over)
		return at_tok(c, t, SBX_EVALUE, "\"%.*s\" does not fit in 64 bits (unsigned overflow)",
			      TOK(t));
	if (neg && (over || v > (1ull << 63)))
		return at_tok(c, t, SBX_EVALUE, "\"%.*s\" is below -2^63 (signed underflow)", TOK(t));
	*out = neg ? (uint64_t)0 - v : v;
	return 0;
}

static bool const_lookup(enum sbx_arch arch, const char *name, uint64_t *v)
{
	int e;

	if (sbx_const_lookup(arch, name, v) == 0)
		return true;
	e = sbx_errno_from_name(name);
	if (e > 0) {
		*v = (uint64_t)e;
		return true;
	}
	return false;
}

/* single-constant = identifier | numeric-constant ; */
static int single_constant(struct cur *c, const struct mj_token *t, uint64_t *out)
{
	char name[128];
	uint64_t v;

	if (t->type == MJ_NUMBER)
		return number(c, t, out);
	if (t->type != MJ_IDENT || t->len >= sizeof(name))
		return at_tok(c, t, SBX_ESYNTAX,
			      "expected a constant (a number or a name), found \"%.*s\"", TOK(t));
	memcpy(name, t->text, t->len);
	name[t->len] = '\0';
	if (const_lookup(c->P->arch, name, out))
		return 0;
	for (int a = 0; a < SBX_ARCH_COUNT; a++)
		if (a != (int)c->P->arch && const_lookup((enum sbx_arch)a, name, &v))
			return at_tok(c, t, SBX_EVALUE, "constant \"%s\" does not exist on %s", name,
				      arch_name(c->P->arch));
	const char *near = sbx_const_suggest(name);

	if (!near)
		near = sbx_errno_suggest(name);
	if (near)
		return at_tok(c, t, SBX_EVALUE, "unknown constant \"%s\" (did you mean \"%s\"?)",
			      name, near);
	return at_tok(c, t, SBX_EVALUE, "unknown constant \"%s\"", name);
}

static int value(struct cur *c, uint64_t *out);

/* constant = [ '~' ] , '(' , value , ')' | [ '~' ] , single-constant ; */
static int constant(struct cur *c, uint64_t *out)
{
	const struct mj_token *t;
	bool negate = false;
	int rc;

	if (peek_is(c, MJ_COMPLEMENT)) {
		take(c);
		negate = true;
		if (!peek(c))
			return at_end(c, SBX_ESYNTAX, "empty complement: \"~\" needs a value");
		if (peek_is(c, MJ_COMPLEMENT))
			return at_tok(c, peek(c), SBX_ESYNTAX, "invalid double complement \"~~\"");
	}
	t = peek(c);
	if (t->type == MJ_LPAREN) {
		take(c);
		rc = value(c, out);
		if (rc)
			return rc;
		if (!peek_is(c, MJ_RPAREN))
			return at_tok(c, t, SBX_ESYNTAX, "unclosed parenthesis");
	} else {
		rc = single_constant(c, t, out);
		if (rc)
			return rc;
	}
	take(c);
	if (negate)
		*out = ~*out;
	return 0;
}

/* value = constant , [ { '|' , constant } ] ; */
static int value(struct cur *c, uint64_t *out)
{
	*out = 0;
	for (;;) {
		uint64_t v;
		int rc;

		if (!peek(c))
			return at_end(c, SBX_ESYNTAX, "empty constant: a value is missing");
		rc = constant(c, &v);
		if (rc)
			return rc;
		*out |= v;
		if (!peek_is(c, MJ_BITOR))
			return 0;
		take(c);
	}
}

/* ---- argument expressions -------------------------------------------------------------- */

struct expr {
	struct mj_atom *atoms;
	size_t natoms, acap;
	size_t *clause_len;
	size_t nclauses, ccap;
};

/* atom = argument , op , value ; */
static int atom(struct cur *c, struct expr *x)
{
	static const struct { const char *text; enum sbx_cmp_op op; } ops[] = {
		{ "==", SBX_CMP_EQ }, { "!=", SBX_CMP_NE }, { "<", SBX_CMP_LT },
		{ "<=", SBX_CMP_LE }, { ">", SBX_CMP_GT }, { ">=", SBX_CMP_GE },
		{ "&", SBX_CMP_MASKED_NE }, { "in", SBX_CMP_MASKED_EQ },
	};
	const struct mj_token *arg, *op;
	struct mj_atom a = { 0 };
	unsigned long idx = 0;
	int rc;

	if (!peek(c))
		return at_end(c, SBX_ESYNTAX, "missing argument (arg0 .. arg5)");
	arg = take(c);
	if (arg->type != MJ_ARGUMENT)
		return at_tok(c, arg, SBX_ESYNTAX, "expected an argument (arg0 .. arg5), found \"%.*s\"",
			      TOK(arg));
	if (!peek(c))
		return at_end(c, SBX_ESYNTAX, "missing operator after \"%.*s\"", TOK(arg));
	op = take(c);
	if (op->type != MJ_OP)
		return at_tok(c, op, SBX_ESYNTAX,
			      "invalid operator \"%.*s\" (expected ==, !=, <, <=, >, >=, & or in)",
			      TOK(op));
	rc = value(c, &a.value);
	if (rc)
		return rc;
	/* minijail checks the index after the value; so does sbx, for the same
	 * first error. It lets arg6 through, which no kernel passes. */
	for (uint32_t i = 3; i < arg->len && idx < 100; i++)
		idx = idx * 10 + (unsigned long)(arg->text[i] - '0');
	if (idx > 5)
		return at_tok(c, arg, SBX_EVALUE,
			      "argument index out of range: \"%.*s\" (system calls have arg0 .. arg5)",
			      TOK(arg));
	a.arg = (uint8_t)idx;
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (tok_is(op, ops[i].text))
			a.op = ops[i].op;
	if (sbx_arena_grow(c->P->L->arena, (void **)&x->atoms, x->natoms, &x->acap, sizeof(a)))
		return oom(c->P);
	x->atoms[x->natoms++] = a;
	return 0;
}

/* clause = atom , [ { '&&' , atom } ] ; */
static int clause(struct cur *c, struct expr *x)
{
	size_t before = x->natoms;

	for (;;) {
		int rc;

		if (!peek(c))
			return at_end(c, SBX_ESYNTAX, "empty clause after \"&&\"");
		rc = atom(c, x);
		if (rc)
			return rc;
		if (!peek_is(c, MJ_AND))
			break;
		take(c);
	}
	if (sbx_arena_grow(c->P->L->arena, (void **)&x->clause_len, x->nclauses, &x->ccap,
			   sizeof(size_t)))
		return oom(c->P);
	x->clause_len[x->nclauses++] = x->natoms - before;
	return 0;
}

/* argument-expression = clause , [ { '||' , clause } ] ; */
static int argument_expression(struct cur *c, struct expr *x)
{
	for (;;) {
		int rc;

		if (!peek(c))
			return at_end(c, SBX_ESYNTAX, "empty argument expression after \"||\"");
		rc = clause(c, x);
		if (rc)
			return rc;
		if (!peek_is(c, MJ_OR))
			return 0;
		take(c);
	}
}

/* ---- actions ------------------------------------------------------------------------------ */

static struct sbx_action act(enum sbx_action_kind k, uint16_t data)
{
	return (struct sbx_action){ k, data };
}

/* action = 'allow' | '1' | 'kill-process' | 'kill-thread' | 'kill' | 'trap'
 *        | 'trace' | 'log' | 'user-notify' | 'return' , single-constant ; */
static int action(struct cur *c, struct sbx_action *out)
{
	const struct mj_token *t;
	uint64_t v;
	int rc;

	if (!peek(c))
		return at_end(c, SBX_ESYNTAX, "missing action");
	t = take(c);
	/* A denylist policy must return an errno on every line. */
	if (c->P->denylist && t->type != MJ_RETURN)
		return at_tok(c, t, SBX_ESYNTAX,
			      "a @denylist policy takes only \"return ERRNO\" actions, found \"%.*s\"",
			      TOK(t));
	if (t->type == MJ_ACTION) {
		if (tok_is(t, "allow"))
			*out = act(SBX_ACT_ALLOW, 0);
		else if (tok_is(t, "kill"))
			*out = c->P->kill;
		else if (tok_is(t, "kill-process"))
			*out = act(SBX_ACT_KILL_PROCESS, 0);
		else if (tok_is(t, "kill-thread"))
			*out = act(SBX_ACT_KILL_THREAD, 0);
		else if (tok_is(t, "trap"))
			*out = act(SBX_ACT_TRAP, 0);
		else if (tok_is(t, "trace"))
			*out = act(SBX_ACT_TRACE, 0), remember(&c->P->out->trace, c, t);
		else if (tok_is(t, "user-notify"))
			*out = act(SBX_ACT_NOTIFY, 0), remember(&c->P->out->notify, c, t);
		else
			*out = act(SBX_ACT_LOG, 0);
		return 0;
	}
	if (t->type == MJ_NUMBER) {
		rc = single_constant(c, t, &v);
		if (rc)
			return rc;
		if (v == 1) {
			*out = act(SBX_ACT_ALLOW, 0);
			return 0;
		}
	} else if (t->type == MJ_RETURN) {
		if (!peek(c))
			return at_end(c, SBX_ESYNTAX, "missing return value: \"return\" needs an errno");
		rc = single_constant(c, take(c), &v);
		if (rc)
			return rc;
		/* SECCOMP_RET_ERRNO | (value & SECCOMP_RET_DATA), as minijail. */
		*out = act(SBX_ACT_ERRNO, (uint16_t)(v & 0xffff));
		return 0;
	}
	return at_tok(c, t, SBX_ESYNTAX,
		      "invalid action \"%.*s\" (expected allow, 1, kill, kill-process, kill-thread, "
		      "trap, trace, log, user-notify or return ERRNO)", TOK(t));
}

/* single-filter = action | argument-expression , [ ';' , action ] ; */
static int single_filter(struct cur *c, struct mj_filter *f)
{
	struct expr x = { 0 };
	int rc;

	if (!peek(c))
		return at_end(c, SBX_ESYNTAX, "missing filter");
	if (!peek_is(c, MJ_ARGUMENT))
		return action(c, &f->action);
	rc = argument_expression(c, &x);
	if (rc)
		return rc;
	f->atoms = x.atoms;
	f->clause_len = x.clause_len;
	f->nclauses = x.nclauses;
	f->action = act(SBX_ACT_ALLOW, 0);
	if (peek_is(c, MJ_SEMICOLON)) {
		const struct mj_token *semi = take(c);

		rc = action(c, &f->action);
		if (!rc && f->action.kind == SBX_ACT_ERRNO && !c->P->denylist)
			remember(&c->P->out->expr_return, c, semi);
		return rc;
	}
	return 0;
}

struct filters {
	struct mj_filter *v;
	size_t n, cap;
};

/* filter = '{' , single-filter , [ { ',' , single-filter } ] , '}' | single-filter ; */
static int filter(struct cur *c, const struct mj_token *colon, struct filters *fs)
{
	const struct mj_token *open = NULL;

	if (!peek(c))
		return at_end(c, SBX_ESYNTAX, "missing filter");
	if (peek_is(c, MJ_LBRACE))
		open = take(c);
	while (peek(c)) {
		struct mj_filter f = { .file = c->f, .line = colon->line, .col = colon->col };
		int rc = single_filter(c, &f);

		if (rc)
			return rc;
		if (sbx_arena_grow(c->P->L->arena, (void **)&fs->v, fs->n, &fs->cap, sizeof(f)))
			return oom(c->P);
		fs->v[fs->n++] = f;
		if (!open || !peek_is(c, MJ_COMMA))
			break;
		take(c);
	}
	if (open) {
		if (!peek_is(c, MJ_RBRACE))
			return at_tok(c, open, SBX_ESYNTAX, "unclosed brace");
		take(c);
	}
	return 0;
}

/* ---- syscall descriptors ---------------------------------------------------------------- */

struct nrs {
	int *v;
	size_t n, cap;
};

/* key-value-pair = identifier , '=' , identifier , [ { ',' , identifier } ] ;
 * Only `arch` means something to minijail: whether it names this arch. */
static int key_value(struct cur *c, bool *is_arch, bool *names_us)
{
	const struct mj_token *key, *v;

	if (!peek(c))
		return at_end(c, SBX_ESYNTAX, "missing metadata key");
	key = take(c);
	if (key->type != MJ_IDENT)
		return at_tok(c, key, SBX_ESYNTAX, "invalid metadata key \"%.*s\"", TOK(key));
	if (!peek(c))
		return at_end(c, SBX_ESYNTAX, "missing \"=\" after \"%.*s\"", TOK(key));
	if (!peek_is(c, MJ_EQUAL))
		return at_tok(c, peek(c), SBX_ESYNTAX, "expected \"=\" after \"%.*s\", found \"%.*s\"",
			      TOK(key), TOK(peek(c)));
	take(c);
	*is_arch = tok_is(key, "arch");
	*names_us = false;
	for (;;) {
		if (!peek(c))
			return at_end(c, SBX_ESYNTAX, "empty metadata value");
		v = take(c);
		if (v->type != MJ_IDENT)
			return at_tok(c, v, SBX_ESYNTAX, "invalid metadata value \"%.*s\"", TOK(v));
		if (tok_is(v, mj_arch_name(c->P->arch)))
			*names_us = true;
		if (!peek_is(c, MJ_COMMA))
			return 0;
		take(c);
	}
}

/* metadata = '[' , key-value-pair , [ { ';' , key-value-pair } ] , ']' ;
 * *skip: an `arch` key that does not name this arch. */
static int metadata(struct cur *c, bool *skip)
{
	const struct mj_token *open = take(c), *keys[16];
	size_t nkeys = 0;

	*skip = false;
	while (peek(c)) {
		const struct mj_token *first = peek(c);
		bool is_arch = false, names_us = false;
		int rc = key_value(c, &is_arch, &names_us);

		if (rc)
			return rc;
		for (size_t i = 0; i < nkeys; i++)
			if (keys[i]->len == first->len && !memcmp(keys[i]->text, first->text, first->len))
				return at_tok(c, first, SBX_ESYNTAX, "duplicate metadata key \"%.*s\"",
					      TOK(first));
		if (nkeys < 16)
			keys[nkeys++] = first;
		if (is_arch && !names_us)
			*skip = true;
		if (!peek_is(c, MJ_SEMICOLON))
			break;
		take(c);
	}
	if (!peek_is(c, MJ_RBRACKET))
		return at_tok(c, open, SBX_ESYNTAX, "unclosed bracket");
	take(c);
	return 0;
}

static int unknown_syscall(struct cur *c, const struct mj_token *t, const char *name)
{
	size_t n = sbx_syscall_all_count(), k = 0;
	const char **names = malloc(n * sizeof(*names));
	const char *near = NULL;
	int rc;

	if (names) {
		for (size_t i = 0; i < n; i++)
			if (sbx_syscall_lookup(c->P->arch, sbx_syscall_all_name(i)) >= 0)
				names[k++] = sbx_syscall_all_name(i);
		near = sbx_suggest(name, names, k);
	}
	if (near)
		rc = at_tok(c, t, SBX_ESYSCALL, "unknown syscall \"%s\" (did you mean \"%s\"?)", name,
			    near);
	else
		rc = at_tok(c, t, SBX_ESYSCALL, "unknown syscall \"%s\"", name);
	free(names);
	return rc;
}

/* syscall-descriptor = syscall-name , [ metadata ] | syscall-group-name , [ metadata ] ; */
static int descriptor(struct cur *c, struct nrs *out)
{
	const struct mj_token *t;
	char name[96];
	bool skip = false;
	int nr, rc;

	if (!peek(c))
		return at_end(c, SBX_ESYNTAX, "missing syscall name");
	t = take(c);
	/* `kill` is an action token, and a syscall. */
	if (t->type != MJ_IDENT && !(t->type == MJ_ACTION && tok_is(t, "kill")))
		return at_tok(c, t, SBX_ESYNTAX, "expected a syscall name, found \"%.*s\"", TOK(t));
	if (peek_is(c, MJ_LBRACKET)) {
		rc = metadata(c, &skip);
		if (rc)
			return rc;
		if (skip)
			return 0;
	}
	if (memchr(t->text, '@', t->len)) {
		const char *at = memchr(t->text, '@', t->len);

		if (memchr(at + 1, '@', t->len - (size_t)(at + 1 - t->text)))
			return at_tok(c, t, SBX_ESYNTAX, "invalid syscall group name \"%.*s\"", TOK(t));
		return at_tok(c, t, SBX_ESYSCALL,
			      "syscall group namespace \"%.*s\" does not exist (minijail's "
			      "tables define none)", (int)(t->len - (uint32_t)(at + 1 - t->text)),
			      at + 1);
	}
	if (t->len >= sizeof(name))
		return at_tok(c, t, SBX_ESYSCALL, "unknown syscall \"%.40s...\"", t->text);
	memcpy(name, t->text, t->len);
	name[t->len] = '\0';
	nr = sbx_syscall_lookup(c->P->arch, name);
	if (nr == -ENOSYS)
		return at_tok(c, t, SBX_ESYSCALL, "syscall \"%s\" does not exist on %s", name,
			      arch_name(c->P->arch));
	if (nr < 0)
		return unknown_syscall(c, t, name);
	if (sbx_arena_grow(c->P->L->arena, (void **)&out->v, out->n, &out->cap, sizeof(int)))
		return oom(c->P);
	out->v[out->n++] = nr;
	return 0;
}

/* ---- statements ------------------------------------------------------------------------- */

static int add_filters(struct parser *P, int nr, const struct filters *fs)
{
	struct mj_syscall *s = &P->out->sys[nr];

	if (!s->listed) {
		s->listed = true;
		P->out->order[P->out->norder++] = nr;
	}
	for (size_t i = 0; i < fs->n; i++) {
		if (sbx_arena_grow(P->L->arena, (void **)&s->filters, s->nfilters, &s->cap,
				   sizeof(s->filters[0])))
			return oom(P);
		s->filters[s->nfilters++] = fs->v[i];
	}
	return 0;
}

/* filter-statement = '{' , syscall-descriptor , [ { ',' , syscall-descriptor } ] , '}' ,
 *                    ':' , filter
 *                  | syscall-descriptor , ':' , filter ; */
static int filter_statement(struct cur *c)
{
	struct nrs nrs = { 0 };
	struct filters fs = { 0 };
	const struct mj_token *colon;
	int rc;

	if (peek_is(c, MJ_LBRACE)) {
		const struct mj_token *open = take(c);

		while (peek(c)) {
			rc = descriptor(c, &nrs);
			if (rc)
				return rc;
			if (!peek_is(c, MJ_COMMA))
				break;
			take(c);
		}
		if (!peek_is(c, MJ_RBRACE))
			return at_tok(c, open, SBX_ESYNTAX, "unclosed brace");
		take(c);
	} else {
		rc = descriptor(c, &nrs);
		if (rc)
			return rc;
	}
	if (!peek(c))
		return at_end(c, SBX_ESYNTAX, "missing \":\" after the syscall name");
	if (!peek_is(c, MJ_COLON))
		return at_tok(c, peek(c), SBX_ESYNTAX, "expected \":\", found \"%.*s\"",
			      TOK(peek(c)));
	colon = take(c);
	rc = filter(c, colon, &fs);
	if (rc)
		return rc;
	/* Every syscall of the statement for another arch: nothing to add. */
	for (size_t i = 0; !rc && i < nrs.n; i++)
		rc = add_filters(c->P, nrs.v[i], &fs);
	return rc;
}

static int parse_file(struct parser *P, const struct mj_file *f);

static bool is_file(const char *path, const struct mj_file **same, struct parser *P)
{
	struct stat st;

	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return false;
	*same = NULL;
	for (int i = 0; i < P->depth; i++)
		if (P->stack[i]->dev == st.st_dev && P->stack[i]->ino == st.st_ino)
			*same = P->stack[i];
	return true;
}

/* What a failed load said, as "cannot read PATH: reason" at the path token. */
static int load_at(struct cur *c, const struct mj_token *t, const char *path, struct mj_file **f)
{
	struct sbx_error e;
	int rc = mj_load(c->P->L, path, f, &e);

	if (rc)
		return at_tok(c, t, e.code, "cannot read %s: %s", path, e.message);
	return 0;
}

/* include-statement = '@include' , posix-path ; */
static int include_statement(struct cur *c)
{
	const struct mj_token *p;
	const struct mj_file *same = NULL;
	struct mj_file *f;
	char *path;
	int rc;

	take(c);
	if (!peek(c))
		return at_end(c, SBX_ESYNTAX, "empty @include path");
	p = take(c);
	if (p->type != MJ_PATH)
		return at_tok(c, p, SBX_ESYNTAX,
			      "invalid @include path \"%.*s\" (write /absolute or ./relative)", TOK(p));
	if (c->P->depth > MJ_MAX_DEPTH)
		return at_end(c, SBX_ETOOBIG, "@include nested too deep (more than %d levels, "
			      "minijail's limit)", MJ_MAX_DEPTH);
	path = mj_resolve_path(c->P->L->arena, c->f->path, p->text, p->len);
	if (!path)
		return oom(c->P);
	if (!is_file(path, &same, c->P))
		return at_tok(c, p, SBX_EIO, "cannot @include %s: not found or not a regular file",
			      path);
	if (same)
		return at_tok(c, p, SBX_ECYCLE, "@include cycle: %s is already being read", path);
	rc = load_at(c, p, path, &f);
	return rc ? rc : parse_file(c->P, f);
}

/* A frequency file: `syscall-descriptor : number` per line. The weights
 * order minijail's binary search; sbx reads and checks them, and its own
 * compiler chooses the layout. */
static int frequency_file(struct parser *P, const struct mj_file *f)
{
	for (size_t i = 0; i < f->nstmts; i++) {
		struct cur c = { P, f, &f->stmts[i], 0 };
		struct nrs nrs = { 0 };
		const struct mj_token *n;
		uint64_t v;
		int rc = descriptor(&c, &nrs);

		if (rc)
			return rc;
		if (!peek(&c))
			return at_end(&c, SBX_ESYNTAX, "missing \":\" after the syscall name");
		if (!peek_is(&c, MJ_COLON))
			return at_tok(&c, peek(&c), SBX_ESYNTAX, "expected \":\", found \"%.*s\"",
				      TOK(peek(&c)));
		take(&c);
		if (!peek(&c))
			return at_end(&c, SBX_ESYNTAX, "missing number");
		n = take(&c);
		if (n->type != MJ_NUMBER || n->text[0] == '-')
			return at_tok(&c, n, SBX_ESYNTAX, "invalid number \"%.*s\"", TOK(n));
		rc = number(&c, n, &v);
		if (rc)
			return rc;
	}
	if (f->bad_token) {
		struct cur c = { P, f, NULL, 0 };

		return at_tok(&c, &f->bad, SBX_ESYNTAX, "invalid token \"%.*s\"", TOK(&f->bad));
	}
	return 0;
}

/* frequency-statement = '@frequency' , posix-path ; */
static int frequency_statement(struct cur *c)
{
	const struct mj_token *p;
	const struct mj_file *same;
	struct mj_file *f;
	char *path;
	int rc;

	take(c);
	if (!peek(c))
		return at_end(c, SBX_ESYNTAX, "empty @frequency path");
	p = take(c);
	if (p->type != MJ_PATH)
		return at_tok(c, p, SBX_ESYNTAX,
			      "invalid @frequency path \"%.*s\" (write /absolute or ./relative)",
			      TOK(p));
	path = mj_resolve_path(c->P->L->arena, c->f->path, p->text, p->len);
	if (!path)
		return oom(c->P);
	if (!is_file(path, &same, c->P))
		return at_tok(c, p, SBX_EIO, "cannot open frequency file %s: not found or not a "
			      "regular file", path);
	rc = load_at(c, p, path, &f);
	if (rc)
		return rc;
	remember(&c->P->out->frequency, c, p);
	return frequency_file(c->P, f);
}

/* default-statement = '@default' , default-action ;
 * default-action = 'kill-process' | 'kill-thread' | 'kill' | 'trap' | 'user-notify' ; */
static int default_statement(struct cur *c)
{
	const struct mj_token *t;

	take(c);
	if (!peek(c))
		return at_end(c, SBX_ESYNTAX, "empty action after @default");
	t = take(c);
	if (t->type != MJ_ACTION)
		return at_tok(c, t, SBX_ESYNTAX,
			      "invalid default action \"%.*s\" (expected kill, kill-process, "
			      "kill-thread, trap or user-notify)", TOK(t));
	if (tok_is(t, "kill-process"))
		c->P->def = act(SBX_ACT_KILL_PROCESS, 0);
	else if (tok_is(t, "kill-thread"))
		c->P->def = act(SBX_ACT_KILL_THREAD, 0);
	else if (tok_is(t, "kill"))
		c->P->def = c->P->kill;
	else if (tok_is(t, "trap"))
		c->P->def = act(SBX_ACT_TRAP, 0);
	else if (tok_is(t, "user-notify"))
		c->P->def = act(SBX_ACT_NOTIFY, 0), remember(&c->P->out->notify, c, t);
	else
		return at_tok(c, t, SBX_ESYNTAX,
			      "permissive default action \"%.*s\" is not allowed (expected kill, "
			      "kill-process, kill-thread, trap or user-notify)", TOK(t));
	return 0;
}

static int parse_file(struct parser *P, const struct mj_file *f)
{
	bool denylist_header = false;
	int rc = 0;

	P->stack[P->depth++] = f;
	for (size_t i = 0; !rc && i < f->nstmts; i++) {
		struct cur c = { P, f, &f->stmts[i], 0 };
		const struct mj_token *first = peek(&c);

		if (!first)
			continue;      /* the lexer makes no empty statement */
		switch (first->type) {
		case MJ_INCLUDE: rc = include_statement(&c); break;
		case MJ_FREQUENCY: rc = frequency_statement(&c); break;
		case MJ_DEFAULT: rc = default_statement(&c); break;
		case MJ_DENYLIST:
			take(&c);
			if (!P->denylist)
				rc = at_end(&c, SBX_ESYNTAX,
					    "@denylist in a file included by a policy that is not a "
					    "denylist (its top file has no @denylist)");
			denylist_header = true;
			break;
		default: rc = filter_statement(&c); break;
		}
		if (!rc && peek(&c))
			rc = at_tok(&c, peek(&c), SBX_ESYNTAX, "extra tokens starting at \"%.*s\"",
				    TOK(peek(&c)));
	}
	if (!rc && f->bad_token) {
		struct cur c = { P, f, NULL, 0 };

		rc = at_tok(&c, &f->bad, SBX_ESYNTAX, "invalid token \"%.*s\"", TOK(&f->bad));
	}
	if (!rc && P->denylist && !denylist_header)
		rc = mj_error_at(P->err, SBX_ESYNTAX, P->L->pointer, f, f->last_line, f->last_col,
				 "a file included by a @denylist policy must say @denylist too");
	P->depth--;
	return rc;
}

/* Per syscall, what minijail's parser checks once every file is read:
 * nothing may follow an unconditional filter; without one, the default
 * action ends the list. */
static int close_lists(struct parser *P)
{
	for (size_t k = 0; k < P->out->norder; k++) {
		int nr = P->out->order[k];
		struct mj_syscall *s = &P->out->sys[nr];
		size_t u = 0;

		while (u < s->nfilters && s->filters[u].nclauses)
			u++;
		if (u + 1 < s->nfilters) {
			const struct mj_filter *first = &s->filters[u], *next = &s->filters[u + 1];

			return mj_error_at(P->err, SBX_EVALUE, P->L->pointer, next->file, next->line,
					   next->col,
					   "syscall \"%s\" already has an unconditional action (at "
					   "%s:%u:%u): minijail refuses anything after it",
					   sbx_syscall_name(P->arch, nr), first->file->path,
					   first->line, first->col);
		}
		if (u == s->nfilters) {
			struct mj_filter end = { .action = P->def };

			if (sbx_arena_grow(P->L->arena, (void **)&s->filters, s->nfilters, &s->cap,
					   sizeof(end)))
				return oom(P);
			s->filters[s->nfilters++] = end;
		}
	}
	return 0;
}

int mj_parse(struct mj_loader *L, struct mj_file *top, enum sbx_arch arch,
	     struct mj_parsed *out, struct sbx_error *err)
{
	struct parser P = { .L = L, .arch = arch, .out = out, .err = err };
	int max = sbx_arch_info(arch)->max_nr;
	int rc;

	memset(out, 0, sizeof(*out));
	out->arch = arch;
	/* The top file says whether the policy is a denylist (minijail needs
	 * --denylist for it); every statement is read knowing it. */
	for (size_t i = 0; i < top->nstmts; i++)
		if (top->stmts[i].toks[0].type == MJ_DENYLIST)
			P.denylist = true;
	out->denylist = P.denylist;
	if (P.denylist) {
		P.kill = act(SBX_ACT_ERRNO, EPERM);
		P.def = act(SBX_ACT_ALLOW, 0);
	} else {
		P.kill = act(SBX_ACT_KILL_PROCESS, 0);
		P.def = P.kill;
	}
	out->sys = sbx_arena_alloc(L->arena, (size_t)(max + 1) * sizeof(*out->sys));
	out->order = sbx_arena_alloc(L->arena, (size_t)(max + 1) * sizeof(*out->order));
	if (!out->sys || !out->order)
		return sbx_error_set(err, SBX_ENOMEM, ENOMEM, L->pointer, "out of memory");
	rc = parse_file(&P, top);
	if (!rc)
		rc = close_lists(&P);
	out->default_action = P.def;
	out->unlisted_action = P.denylist ? act(SBX_ACT_ALLOW, 0) : P.def;
	return rc;
}
