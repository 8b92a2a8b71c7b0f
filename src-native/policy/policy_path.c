/*
 * A path as a policy writes it, made absolute and normalised: $CWD, $HOME
 * and $TMPDIR at its start, or the document's directory for a relative one
 * where that is allowed. Used by the parser and the presets' fast path.
 */
#include "policy.h"
#include "suggest.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

static const char *expand_var(const struct sbx_parse_ctx *ctx, const char *in, size_t *skip,
			      const char *pointer, struct sbx_error *err)
{
	static const char *const vars[] = { "CWD", "HOME", "TMPDIR" };
	const char *val[] = { ctx->cwd, ctx->home, ctx->tmpdir };
	size_t n = 1;

	while (in[n] == '_' || (in[n] >= 'A' && in[n] <= 'Z') || (in[n] >= 'a' && in[n] <= 'z') ||
	       (in[n] >= '0' && in[n] <= '9'))
		n++;
	for (int i = 0; i < 3; i++) {
		if (strlen(vars[i]) != n - 1 || strncmp(in + 1, vars[i], n - 1))
			continue;
		if (in[n] != '\0' && in[n] != '/')
			break;
		if (!val[i]) {
			sbx_error_set(err, SBX_EVALUE, EINVAL, pointer,
				      "$%s is used in \"%.60s\" but is not known here (not set in the environment)",
				      vars[i], in);
			return NULL;
		}
		*skip = n;
		return val[i];
	}
	{
		const char *sug;
		char name[32];

		snprintf(name, sizeof(name), "%.*s", (int)(n - 1 < 30 ? n - 1 : 30), in + 1);
		sug = sbx_suggest(name, vars, 3);
		sbx_error_set(err, SBX_EVALUE, EINVAL, pointer,
			      "unknown variable in path \"%.60s\": expected $CWD, $HOME or $TMPDIR%s%s%s",
			      in, sug ? " (did you mean $" : "", sug ? sug : "", sug ? "?)" : "");
	}
	return NULL;
}

const char *sbx_policy_expand_path(const struct sbx_parse_ctx *ctx, const char *in,
				   const char *pointer, bool allow_relative,
				   struct sbx_error *err)
{
	size_t len, plen, sep, rlen, skip = 0;
	const char *prefix = "", *rest;
	char *out, *w;

	if (!in[0]) {
		sbx_error_set(err, SBX_EVALUE, EINVAL, pointer, "expected a path, found \"\"");
		return NULL;
	}
	if (in[0] == '$') {
		prefix = expand_var(ctx, in, &skip, pointer, err);
		if (!prefix)
			return NULL;
	} else if (in[0] != '/') {
		if (!allow_relative || !ctx->base_dir) {
			sbx_error_set(err, SBX_EVALUE, EINVAL, pointer,
				      "path \"%.60s\" is relative: write an absolute path or start it with $CWD (\"$CWD/%.40s\")",
				      in, in);
			return NULL;
		}
		prefix = ctx->base_dir;
	}
	/* prefix [+ "/"] + the rest, assembled in place in the result and
	 * collapsed there: no PATH_MAX buffer and no printf on the stack of a
	 * process start (each new stack page is a page fault). */
	rest = in + skip;
	plen = strlen(prefix);
	sep = (in[0] != '/' && in[0] != '$') ? 1 : 0;
	rlen = strlen(rest);
	len = plen + sep + rlen;
	if (len >= PATH_MAX) {
		sbx_error_set(err, SBX_EVALUE, ENAMETOOLONG, pointer,
			      "path \"%.60s...\" is longer than %d bytes", in, PATH_MAX - 1);
		return NULL;
	}
	if ((plen ? prefix[0] : sep ? '/' : rest[0]) != '/') {
		sbx_error_set(err, SBX_EVALUE, EINVAL, pointer,
			      "path \"%.60s\" does not expand to an absolute path", in);
		return NULL;
	}
	/* Collapse "//" and "/./" and drop a trailing "/"; ".." stays for the
	 * kernel to resolve, since a lexical ".." is wrong across symlinks. */
	out = sbx_arena_alloc(ctx->arena, len + 1);
	if (!out) {
		sbx_error_set(err, SBX_ENOMEM, ENOMEM, pointer, "out of memory");
		return NULL;
	}
	memcpy(out, prefix, plen);
	if (sep)
		out[plen] = '/';
	memcpy(out + plen + sep, rest, rlen + 1);
	/* In place: the writer never passes the reader. */
	w = out;
	for (const char *r = out; *r;) {
		if (r[0] == '/' && (r[1] == '/' || (r[1] == '.' && (r[2] == '/' || !r[2])))) {
			r += r[1] == '/' ? 1 : 2;
			continue;
		}
		*w++ = *r++;
	}
	if (w == out)
		*w++ = '/';
	while (w > out + 1 && w[-1] == '/')
		w--;
	*w = '\0';
	return out;
}
