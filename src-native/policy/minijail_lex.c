/*
 * minijail policy files into statements of tokens.
 *
 * The tokens are those of minijail's tools/parser.py, tried in its order at
 * each position (the first kind that matches wins, not the longest): a
 * policy is cut where minijail cuts it, so `kill-process` is one action,
 * `0779` is `077` then `9`, and a `\` ending a line (even inside a comment)
 * continues the statement on the next one. Lines end at \n, \r\n or \r
 * (Python reads text files with universal newlines). Columns count
 * characters, not bytes.
 */
#include "minijail_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A policy file's size limit: crosvm's largest is 6 KiB. */
#define MJ_MAX_FILE_BYTES (1u << 20)

int mj_error_at(struct sbx_error *err, int code, const char *pointer, const struct mj_file *f,
		uint32_t line, uint32_t col, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return sbx_error_set(err, code, code == SBX_EIO ? EIO : EINVAL, pointer, "%s:%u:%u: %s",
			     f ? f->path : "?", line, col, msg);
}

/* ---- characters, as Python's re sees them ------------------------------------ */

static bool is_space(unsigned char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f);
}

/* \w: ASCII letters, digits, '_', and (approximately) any non-ASCII letter. */
static bool is_word(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c >= 0x80;
}

static bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
static bool is_odigit(unsigned char c) { return c >= '0' && c <= '7'; }

static bool is_xdigit(unsigned char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

struct line {
	const unsigned char *s;
	size_t len;
};

static bool boundary(const struct line *l, size_t pos)
{
	bool before = pos > 0 && is_word(l->s[pos - 1]);
	bool after = pos < l->len && is_word(l->s[pos]);

	return before != after;
}

/* `\bword\b` at pos. */
static size_t word_at(const struct line *l, size_t pos, const char *word)
{
	size_t n = strlen(word);

	if (pos + n > l->len || memcmp(l->s + pos, word, n) != 0)
		return 0;
	if (!boundary(l, pos) || !boundary(l, pos + n))
		return 0;
	return n;
}

/* `@word\b` at pos (the '@' is not a word character). */
static size_t at_word(const struct line *l, size_t pos, const char *word)
{
	size_t n = strlen(word);

	if (pos + n > l->len || memcmp(l->s + pos, word, n) != 0)
		return 0;
	return boundary(l, pos + n) ? n : 0;
}

static size_t number_at(const struct line *l, size_t pos)
{
	size_t p = pos, q;

	if (p < l->len && l->s[p] == '-')
		p++;
	if (p + 2 < l->len && l->s[p] == '0' && (l->s[p + 1] == 'x' || l->s[p + 1] == 'X') &&
	    is_xdigit(l->s[p + 2])) {
		for (q = p + 2; q < l->len && is_xdigit(l->s[q]); q++)
			;
		return q - pos;
	}
	if (p + 1 < l->len && l->s[p] == '0' && is_odigit(l->s[p + 1])) {
		for (q = p + 1; q < l->len && is_odigit(l->s[q]); q++)
			;
		return q - pos;
	}
	if (p < l->len && is_digit(l->s[p])) {
		for (q = p; q < l->len && is_digit(l->s[q]); q++)
			;
		return q - pos;
	}
	return 0;
}

enum { SKIP = -1, NONE = -2 };

/* The kind of token at pos (or SKIP for whitespace, comments and the
 * continuation mark, NONE when nothing matches) and its length. */
static int match_at(const struct line *l, size_t pos, size_t *len)
{
	static const char *const actions[] = { "allow", "kill-process", "kill-thread", "kill",
					       "trap", "trace", "log", "user-notify" };
	static const struct { char c; enum mj_tok t; } single[] = {
		{ ':', MJ_COLON }, { ';', MJ_SEMICOLON }, { ',', MJ_COMMA }, { '~', MJ_COMPLEMENT },
		{ '(', MJ_LPAREN }, { ')', MJ_RPAREN }, { '{', MJ_LBRACE }, { '}', MJ_RBRACE },
		{ ']', MJ_RBRACKET }, { '[', MJ_LBRACKET },
	};
	const unsigned char *s = l->s + pos;
	size_t rest = l->len - pos, n;

	if (s[0] == '#') {
		*len = rest;
		return SKIP;
	}
	if (is_space(s[0])) {
		for (n = 1; n < rest && is_space(s[n]); n++)
			;
		*len = n;
		return SKIP;
	}
	if (s[0] == '\\' && rest == 1) {
		*len = 1;
		return SKIP;
	}
	if ((n = at_word(l, pos, "@default"))) {
		*len = n;
		return MJ_DEFAULT;
	}
	if ((n = at_word(l, pos, "@include"))) {
		*len = n;
		return MJ_INCLUDE;
	}
	if ((n = at_word(l, pos, "@frequency"))) {
		*len = n;
		return MJ_FREQUENCY;
	}
	if (rest == 9 && memcmp(s, "@denylist", 9) == 0) {
		*len = 9;
		return MJ_DENYLIST;
	}
	n = s[0] == '.' ? 1 : 0;
	if (n < rest && s[n] == '/' && n + 1 < rest && !is_space(s[n + 1])) {
		for (n += 1; n < rest && !is_space(s[n]); n++)
			;
		*len = n;
		return MJ_PATH;
	}
	if ((n = number_at(l, pos))) {
		*len = n;
		return MJ_NUMBER;
	}
	for (size_t i = 0; i < sizeof(single) / sizeof(single[0]); i++)
		if (s[0] == single[i].c) {
			*len = 1;
			return single[i].t;
		}
	if (rest >= 2 && s[0] == '|' && s[1] == '|') {
		*len = 2;
		return MJ_OR;
	}
	if (rest >= 2 && s[0] == '&' && s[1] == '&') {
		*len = 2;
		return MJ_AND;
	}
	if (s[0] == '|') {
		*len = 1;
		return MJ_BITOR;
	}
	if (s[0] == '&') {
		*len = 1;
		return MJ_OP;
	}
	if ((n = word_at(l, pos, "in"))) {
		*len = n;
		return MJ_OP;
	}
	if (rest >= 2 && (s[0] == '=' || s[0] == '!' || s[0] == '<' || s[0] == '>') &&
	    s[1] == '=') {
		*len = 2;
		return MJ_OP;
	}
	if (s[0] == '<' || s[0] == '>') {
		*len = 1;
		return MJ_OP;
	}
	if (s[0] == '=') {
		*len = 1;
		return MJ_EQUAL;
	}
	if (rest > 3 && memcmp(s, "arg", 3) == 0 && is_digit(s[3]) && boundary(l, pos)) {
		for (n = 3; n < rest && is_digit(s[n]); n++)
			;
		if (boundary(l, pos + n)) {
			*len = n;
			return MJ_ARGUMENT;
		}
	}
	if ((n = word_at(l, pos, "return"))) {
		*len = n;
		return MJ_RETURN;
	}
	for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
		if ((n = word_at(l, pos, actions[i]))) {
			*len = n;
			return MJ_ACTION;
		}
	if ((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') || s[0] == '_') {
		for (n = 1; n < rest && ((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= 'A' && s[n] <= 'Z') ||
					 is_digit(s[n]) || s[n] == '_' || s[n] == '-' || s[n] == '@');
		     n++)
			;
		*len = n;
		return MJ_IDENT;
	}
	return NONE;
}

/* Characters (not UTF-8 continuation bytes) in s[0..n). */
static uint32_t chars(const unsigned char *s, size_t n)
{
	uint32_t c = 0;

	for (size_t i = 0; i < n; i++)
		c += (s[i] & 0xc0) != 0x80;
	return c;
}

/* ---- statements ----------------------------------------------------------------- */

struct cutter {
	struct sbx_arena *a;
	struct mj_file *f;
	struct mj_token *toks;
	size_t ntoks, tcap;
	size_t scap;
};

static int push_token(struct cutter *c, const struct mj_token *t)
{
	if (sbx_arena_grow(c->a, (void **)&c->toks, c->ntoks, &c->tcap, sizeof(*c->toks)))
		return -ENOMEM;
	c->toks[c->ntoks++] = *t;
	return 0;
}

static int end_statement(struct cutter *c, uint32_t line, uint32_t col)
{
	struct mj_file *f = c->f;

	if (!c->ntoks)
		return 0;
	if (sbx_arena_grow(c->a, (void **)&f->stmts, f->nstmts, &c->scap, sizeof(*f->stmts)))
		return -ENOMEM;
	f->stmts[f->nstmts++] = (struct mj_stmt){ c->toks, c->ntoks, line, col };
	/* The next statement gets an array of its own. */
	c->toks = NULL;
	c->ntoks = c->tcap = 0;
	return 0;
}

static int cut(struct sbx_arena *a, struct mj_file *f)
{
	struct cutter c = { .a = a, .f = f };
	const unsigned char *s = (const unsigned char *)f->text, *end = s + f->len;
	uint32_t lineno = 0;

	f->last_col = 1;

	while (s < end) {
		const unsigned char *eol = s;
		struct line l;
		size_t pos = 0;

		while (eol < end && *eol != '\n' && *eol != '\r')
			eol++;
		l = (struct line){ s, (size_t)(eol - s) };
		lineno++;
		f->last_line = lineno;
		f->last_col = chars(l.s, l.len) + 1;
		while (pos < l.len) {
			size_t len = 0;
			int kind = match_at(&l, pos, &len);

			if (kind == NONE) {
				size_t start = pos;

				while (pos < l.len && match_at(&l, pos, &len) == NONE)
					pos++;
				f->bad_token = true;
				f->bad = (struct mj_token){ MJ_IDENT, (const char *)l.s + start,
							    (uint32_t)(pos - start), lineno,
							    chars(l.s, start) + 1 };
				return 0;
			}
			if (kind != SKIP) {
				struct mj_token t = { (enum mj_tok)kind, (const char *)l.s + pos,
						      (uint32_t)len, lineno, chars(l.s, pos) + 1 };

				if (push_token(&c, &t))
					return -ENOMEM;
			}
			pos += len;
		}
		if (!(l.len && l.s[l.len - 1] == '\\') && end_statement(&c, lineno, f->last_col))
			return -ENOMEM;
		s = eol;
		if (s < end && *s++ == '\r' && s < end && *s == '\n')
			s++;
	}
	/* A statement still open here ended in a continuation at the end of the
	 * file: minijail drops it, and so does sbx. */
	return 0;
}

/* ---- files ------------------------------------------------------------------------ */

int mj_load_text(struct mj_loader *L, const char *path, const char *text, size_t len,
		 struct mj_file **out, struct sbx_error *err)
{
	struct mj_file *f;

	if (L->nfiles == MJ_MAX_FILES)
		return sbx_error_set(err, SBX_ETOOBIG, E2BIG, L->pointer,
				     "%s: more than %d files included", path, MJ_MAX_FILES);
	f = sbx_arena_alloc(L->arena, sizeof(*f));
	if (!f || !(f->path = sbx_arena_strdup(L->arena, path)) ||
	    !(f->text = sbx_arena_alloc(L->arena, len + 1)))
		return sbx_error_set(err, SBX_ENOMEM, ENOMEM, L->pointer, "out of memory");
	memcpy(f->text, text, len);
	f->len = len;
	if (cut(L->arena, f))
		return sbx_error_set(err, SBX_ENOMEM, ENOMEM, L->pointer, "out of memory");
	L->files[L->nfiles++] = f;
	*out = f;
	return 0;
}

int mj_load(struct mj_loader *L, const char *path, struct mj_file **out, struct sbx_error *err)
{
	struct stat st;
	char *buf;
	ssize_t n;
	size_t len = 0;
	int fd, rc;

	for (size_t i = 0; i < L->nfiles; i++)
		if (strcmp(L->files[i]->path, path) == 0) {
			*out = L->files[i];
			return 0;
		}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return sbx_error_set(err, SBX_EIO, errno, L->pointer, "%s", strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return sbx_error_set(err, SBX_EIO, EINVAL, L->pointer, "not a regular file");
	}
	if (st.st_size > (off_t)MJ_MAX_FILE_BYTES) {
		close(fd);
		return sbx_error_set(err, SBX_ETOOBIG, E2BIG, L->pointer,
				     "larger than %u bytes", MJ_MAX_FILE_BYTES);
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		close(fd);
		return sbx_error_set(err, SBX_ENOMEM, ENOMEM, L->pointer, "out of memory");
	}
	while (len < (size_t)st.st_size && (n = read(fd, buf + len, (size_t)st.st_size - len)) > 0)
		len += (size_t)n;
	close(fd);
	rc = mj_load_text(L, path, buf, len, out, err);
	free(buf);
	if (!rc) {
		(*out)->dev = st.st_dev;
		(*out)->ino = st.st_ino;
	}
	return rc;
}

char *mj_resolve_path(struct sbx_arena *a, const char *base, const char *rel, size_t rel_len)
{
	const char *slash = strrchr(base, '/');
	size_t dlen = slash ? (size_t)(slash - base) : 0;
	char *joined, *out;
	size_t o = 0;

	if (rel_len && rel[0] == '/')
		joined = sbx_arena_strndup(a, rel, rel_len);
	else
		joined = sbx_arena_printf(a, "%.*s/%.*s", (int)dlen, base, (int)rel_len, rel);
	if (!joined)
		return NULL;
	out = sbx_arena_alloc(a, strlen(joined) + 2);
	if (!out)
		return NULL;
	/* Lexical: "." dropped, ".." removes the previous component (none above /). */
	for (const char *p = joined; *p;) {
		const char *q;
		size_t n;

		while (*p == '/')
			p++;
		for (q = p; *q && *q != '/'; q++)
			;
		n = (size_t)(q - p);
		if (n == 0 || (n == 1 && p[0] == '.')) {
			/* nothing */
		} else if (n == 2 && p[0] == '.' && p[1] == '.') {
			while (o > 0 && out[o - 1] != '/')
				o--;
			if (o > 0)
				o--;
		} else {
			out[o++] = '/';
			memcpy(out + o, p, n);
			o += n;
		}
		p = q;
	}
	if (o == 0)
		out[o++] = '/';
	out[o] = '\0';
	return out;
}
