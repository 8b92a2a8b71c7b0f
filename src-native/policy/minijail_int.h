/*
 * Internals of the minijail policy importer shared by its files:
 *   minijail_lex.c     reads files (@include / @frequency targets too) and
 *                      cuts them into statements of tokens, once for all
 *                      architectures;
 *   minijail_parse.c   reads the statements for one architecture into each
 *                      syscall's ordered filters, as minijail's parser does;
 *   minijail_import.c  writes those filters as spec entries, for every
 *                      architecture, and says what cannot be honoured.
 */
#ifndef SBX_MINIJAIL_INT_H
#define SBX_MINIJAIL_INT_H

#include "policy.h"
#include "seccomp.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* minijail's default --include-depth-limit is 10 parser states, two of which
 * are its own: a file at depth 8 may not @include. */
#define MJ_MAX_DEPTH 8
/* Files one policy may read (includes and frequency files together). */
#define MJ_MAX_FILES 256

enum mj_tok {
	MJ_DEFAULT, MJ_INCLUDE, MJ_FREQUENCY, MJ_DENYLIST, MJ_PATH, MJ_NUMBER,
	MJ_COLON, MJ_SEMICOLON, MJ_COMMA, MJ_COMPLEMENT, MJ_LPAREN, MJ_RPAREN,
	MJ_LBRACE, MJ_RBRACE, MJ_RBRACKET, MJ_LBRACKET, MJ_OR, MJ_AND, MJ_BITOR,
	MJ_OP, MJ_EQUAL, MJ_ARGUMENT, MJ_RETURN, MJ_ACTION, MJ_IDENT,
};

struct mj_token {
	enum mj_tok type;
	const char *text;      /* into the file's text, not NUL-terminated */
	uint32_t len;
	uint32_t line;         /* 1-based */
	uint32_t col;          /* 1-based, in characters */
};

/* One logical line (continuations joined). Errors that have no token point
 * just past the end of its last line, as minijail's do. */
struct mj_stmt {
	struct mj_token *toks;
	size_t ntoks;
	uint32_t end_line, end_col;
};

struct mj_file {
	const char *path;      /* normalised, as shown in messages */
	char *text;
	size_t len;
	dev_t dev;
	ino_t ino;
	struct mj_stmt *stmts; /* the statements before a lexical error */
	size_t nstmts;
	uint32_t last_line, last_col;  /* end of the file's last line */
	bool bad_token;        /* the line after stmts has an invalid token: */
	struct mj_token bad;   /* reported once those statements are read */
};

struct mj_loader {
	struct sbx_arena *arena;
	const char *pointer;   /* for err->pointer */
	struct mj_file *files[MJ_MAX_FILES];
	size_t nfiles;
};

/* The file at `path` (normalised: absolute, no "." or ".."), read and cut
 * into statements on first use. 0, or an error (code EIO) whose message
 * the caller prefixes with the place that named the file. */
int mj_load(struct mj_loader *L, const char *path, struct mj_file **out, struct sbx_error *err);

/* Add a file already in memory (the top policy, whose text the caller read). */
int mj_load_text(struct mj_loader *L, const char *path, const char *text, size_t len,
		 struct mj_file **out, struct sbx_error *err);

/* dirname(base) joined with rel and normalised lexically, like Python's
 * os.path.normpath(os.path.join(os.path.dirname(base), rel)); arena string. */
char *mj_resolve_path(struct sbx_arena *a, const char *base, const char *rel, size_t rel_len);

/* "FILE:LINE:COL: " + message, into err (code, pointer). */
int mj_error_at(struct sbx_error *err, int code, const char *pointer, const struct mj_file *f,
		uint32_t line, uint32_t col, const char *fmt, ...)
	__attribute__((format(printf, 7, 8)));

/* ---- one architecture's reading -------------------------------------------- */

struct mj_atom {
	uint8_t arg;
	enum sbx_cmp_op op;    /* EQ NE LT LE GT GE; MASKED_NE for `&`, MASKED_EQ for `in` */
	uint64_t value;        /* the value as written (for `in` and `&`: the set of bits) */
};

struct mj_filter {
	struct mj_atom *atoms; /* clauses one after another          */
	size_t *clause_len;    /* nclauses lengths; 0 clauses = unconditional */
	size_t nclauses;
	struct sbx_action action;
	const struct mj_file *file;  /* the statement's colon, for messages */
	uint32_t line, col;
};

struct mj_syscall {
	struct mj_filter *filters;
	size_t nfilters, cap;
	bool listed;
};

struct mj_where {
	const struct mj_file *file;
	uint32_t line, col;
	bool set;
};

struct mj_parsed {
	enum sbx_arch arch;
	bool denylist;
	struct sbx_action default_action;  /* what unconditional-less syscalls fall to */
	struct sbx_action unlisted_action; /* what syscalls the policy never names get */
	struct mj_syscall *sys;            /* [max_nr + 1] */
	int *order;                        /* numbers in first-named order */
	size_t norder;
	/* For notes: the first place each action with no sbx counterpart is used. */
	struct mj_where trace, notify, frequency;
	/* The first `EXPR; return ERRNO`: minijail's two compilers read it differently. */
	struct mj_where expr_return;
};

/* Read the policy whose top file is `top` for `arch`. 0 or -errno (err). */
int mj_parse(struct mj_loader *L, struct mj_file *top, enum sbx_arch arch,
	     struct mj_parsed *out, struct sbx_error *err);

#endif
