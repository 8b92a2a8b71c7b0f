/*
 * Where a policy comes from, and the load that follows `extends`:
 *   - a source is inline JSON ('{' first), a file (contains '/' or ends in
 *     ".json") or a preset name;
 *   - `extends` entries are presets or files; relative files resolve against
 *     the directory of the document that names them (the working directory
 *     for inline text), like `import`;
 *   - $CWD, $HOME, $TMPDIR expand at the start of paths (policy_path.c).
 * Cycles are found by identity (preset name, or device and inode of the
 * file, so "./a.json" and "../x/a.json" are the same document) and reported
 * with the chain; nesting is limited.
 */
#include "policy.h"
#include "seccomp_import.h"
#include "preset_fast.h"
#include "suggest.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_EXTENDS_DEPTH 8
#define DEFAULT_MAX_BYTES (4u << 20)

/* ---- files -------------------------------------------------------------------- */

static int read_file(const char *path, size_t max, char **text, size_t *len,
		     struct stat *st, const char *pointer, const char *what,
		     struct sbx_error *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	size_t got = 0;
	char *buf;

	if (fd < 0)
		return sbx_error_set(err, SBX_EIO, errno, pointer, "cannot read %s %s: %s", what,
				     path, strerror(errno));
	if (fstat(fd, st) != 0 || !S_ISREG(st->st_mode)) {
		close(fd);
		return sbx_error_set(err, SBX_EIO, EINVAL, pointer,
				     "cannot read %s %s: not a regular file", what, path);
	}
	if ((uint64_t)st->st_size > max) {
		close(fd);
		return sbx_error_set(err, SBX_ETOOBIG, E2BIG, pointer,
				     "%s %s is %lld bytes, more than the limit of %zu bytes", what,
				     path, (long long)st->st_size, max);
	}
	buf = malloc((size_t)st->st_size + 1);
	if (!buf) {
		close(fd);
		return sbx_error_set(err, SBX_ENOMEM, ENOMEM, pointer, "out of memory");
	}
	/* Read to EOF, not to st_size: the file may change under us, and the
	 * limit must hold for what we actually parse. */
	for (;;) {
		ssize_t n;

		if (got == (size_t)st->st_size + 1 || got > max) {
			free(buf);
			close(fd);
			return sbx_error_set(err, SBX_ETOOBIG, E2BIG, pointer,
					     "%s %s grew while being read", what, path);
		}
		n = read(fd, buf + got, (size_t)st->st_size + 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;

			free(buf);
			close(fd);
			return sbx_error_set(err, SBX_EIO, e, pointer, "cannot read %s %s: %s",
					     what, path, strerror(e));
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	*text = buf;
	*len = got;
	return 0;
}

/* ---- the load ----------------------------------------------------------------- */

struct loader {
	struct sbx_policy *acc;
	const struct sbx_policy_load_opts *opts;
	size_t max_bytes;
	const char *cwd, *home, *tmpdir;
	const char *ident[MAX_EXTENDS_DEPTH + 2];
	const char *display[MAX_EXTENDS_DEPTH + 2];
	size_t depth;
	struct sbx_error *err;
};

/* An error inside a document other than the top one says which. */
static void prefix_origin(struct sbx_error *err, const char *display)
{
	char msg[sizeof(err->message)];
	size_t n;

	if (!strncmp(err->message, "in ", 3))
		return;
	n = (size_t)snprintf(msg, sizeof(msg), "in %.200s: ", display);
	if (n >= sizeof(msg))
		return;
	memcpy(msg + n, err->message, sizeof(msg) - n - 1);
	msg[sizeof(msg) - 1] = '\0';
	memcpy(err->message, msg, sizeof(msg));
}

static int load_doc(struct loader *L, const char *ident, const char *display,
		    const char *text, size_t len, const char *base_dir);

static int load_extends(struct loader *L, const char *entry, const char *pointer,
			const char *base_dir)
{
	struct sbx_arena *a = &L->acc->arena;
	struct sbx_parse_ctx ctx = { .arena = a, .base_dir = base_dir, .cwd = L->cwd,
				     .home = L->home, .tmpdir = L->tmpdir };
	const char *ident, *display, *text;
	char *owned = NULL;
	size_t len = 0;
	int rc;

	if (sbx_policy_names_file(entry)) {
		const char *path = sbx_policy_expand_path(&ctx, entry, pointer, true, L->err);
		struct stat st = { 0 };

		if (!path)
			return -EINVAL;
		if (L->opts && (L->opts->flags & SBX_POLICY_NO_FILES) && L->depth > 0)
			return sbx_error_set(L->err, SBX_EIO, EPERM, pointer,
					     "cannot read policy file %s: file references are disabled",
					     path);
		rc = read_file(path, L->max_bytes, &owned, &len, &st, pointer, "policy file",
			       L->err);
		if (rc)
			return rc;
		ident = sbx_arena_printf(a, "file:%llu:%llu", (unsigned long long)st.st_dev,
					 (unsigned long long)st.st_ino);
		display = path;
		text = owned;
	} else {
		text = sbx_preset_text(entry);
		if (!text) {
			const char *const *names = sbx_preset_names();
			size_t n = 0;
			const char *sug;

			while (names[n])
				n++;
			sug = sbx_suggest(entry, names, n);
			return sbx_error_set(L->err, SBX_EPRESET, ENOENT, pointer,
					     "unknown preset \"%.60s\"%s%s%s (a file path needs a '/' or a .json name)",
					     entry, sug ? ", did you mean \"" : "", sug ? sug : "",
					     sug ? "\"?" : "");
		}
		len = strlen(text);
		ident = sbx_arena_printf(a, "preset:%s", entry);
		display = sbx_arena_printf(a, "preset %s", entry);
	}
	if (!ident || !display) {
		free(owned);
		return sbx_error_set(L->err, SBX_ENOMEM, ENOMEM, pointer, "out of memory");
	}
	for (size_t i = 0; i < L->depth; i++) {
		if (strcmp(L->ident[i], ident))
			continue;
		{
			char chain[400] = "";

			for (size_t j = i; j < L->depth; j++)
				snprintf(chain + strlen(chain), sizeof(chain) - strlen(chain),
					 "%s -> ", L->display[j]);
			snprintf(chain + strlen(chain), sizeof(chain) - strlen(chain), "%s",
				 display);
			free(owned);
			return sbx_error_set(L->err, SBX_ECYCLE, ELOOP, pointer,
					     "extends cycle: %s", chain);
		}
	}
	if (L->depth >= MAX_EXTENDS_DEPTH) {
		free(owned);
		return sbx_error_set(L->err, SBX_ETOOBIG, ELOOP, pointer,
				     "extends nested deeper than %d documents", MAX_EXTENDS_DEPTH);
	}
	{
		const char *dir = base_dir;

		if (owned) {
			char *slash;
			char *d = sbx_arena_strdup(a, display);

			if (!d) {
				free(owned);
				return sbx_error_set(L->err, SBX_ENOMEM, ENOMEM, pointer, "out of memory");
			}
			slash = strrchr(d, '/');
			if (slash == d)
				slash[1] = '\0';
			else
				*slash = '\0';
			dir = d;
		}
		rc = load_doc(L, ident, display, text, len, dir);
	}
	free(owned);
	return rc;
}

static int load_doc(struct loader *L, const char *ident, const char *display,
		    const char *text, size_t len, const char *base_dir)
{
	struct sbx_json_limits lim = { L->max_bytes, SBX_JSON_DEFAULT_MAX_DEPTH,
				       SBX_JSON_DEFAULT_MAX_NODES };
	struct sbx_parse_ctx ctx = { .arena = &L->acc->arena, .origin = display,
				     .base_dir = base_dir, .cwd = L->cwd, .home = L->home,
				     .tmpdir = L->tmpdir, .flags = L->opts ? L->opts->flags : 0 };
	struct sbx_json_doc *doc = NULL;
	struct sbx_policy layer;
	const char **ext, **ext_ptrs;
	size_t next = 0;
	bool nested = L->depth > 0;
	int rc;

	L->ident[L->depth] = ident;
	L->display[L->depth] = display;
	L->depth++;
	rc = sbx_json_parse(text, len, &lim, &doc, L->err);
	if (!rc) {
		memset(&layer, 0, sizeof(layer));
		sbx_policy_init(&layer);
		rc = sbx_policy_parse_layer(sbx_json_doc_root(doc), &ctx, &layer, &ext, &ext_ptrs,
					    &next, L->err);
	}
	for (size_t i = 0; !rc && i < next; i++)
		rc = load_extends(L, ext[i], ext_ptrs[i], base_dir);
	if (!rc)
		rc = sbx_policy_merge(L->acc, &layer, L->err);
	if (!rc) {
		struct sbx_policy *p = L->acc;

		if (sbx_arena_grow(&p->arena, (void **)&p->origins, p->norigins, &p->origins_cap,
				   sizeof(*p->origins)))
			rc = sbx_error_set(L->err, SBX_ENOMEM, ENOMEM, "", "out of memory");
		else
			p->origins[p->norigins++] = display;
	}
	if (rc && nested)
		prefix_origin(L->err, display);
	L->depth--;
	/* The layer points into the tree's strings: the tree lives as long as
	 * the policy. */
	if (doc) {
		if (!rc) {
			if (sbx_arena_grow(&L->acc->arena, (void **)&L->acc->docs, L->acc->ndocs,
					   &L->acc->docs_cap, sizeof(*L->acc->docs))) {
				sbx_json_doc_free(doc);
				return sbx_error_set(L->err, SBX_ENOMEM, ENOMEM, "", "out of memory");
			}
			L->acc->docs[L->acc->ndocs++] = doc;
		} else {
			sbx_json_doc_free(doc);
		}
	}
	return rc;
}

static int load_imports(struct loader *L)
{
	struct sbx_policy *p = L->acc;

	for (size_t i = 0; i < p->seccomp.nlayers; i++) {
		struct sbx_seccomp_layer *l = &p->seccomp.layers[i];
		char *text = NULL;
		size_t len;
		struct stat st;
		int rc;

		if (!l->import_path)
			continue;
		if (L->opts && (L->opts->flags & SBX_POLICY_NO_FILES))
			return sbx_error_set(L->err, SBX_EIO, EPERM, l->import_pointer,
					     "cannot read seccomp profile %s: file references are disabled",
					     l->import_path);
		rc = read_file(l->import_path, L->max_bytes, &text, &len, &st, l->import_pointer,
			       "seccomp profile", L->err);
		if (!rc)
			rc = sbx_seccomp_import(text, len, l->import_path, p->caps_keep, l->import_pointer,
					       &l->imported, &p->notes, L->err);
		free(text);
		if (rc)
			return rc;
	}
	return 0;
}

/* Messages quote what the user wrote (keys, names, paths), which may hold
 * control characters; a message must stay one printable line. */
static void one_line(struct sbx_error *err)
{
	for (char *c = err->message; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
}

/* What only the merged policy can tell: keys of different layers that
 * contradict each other. */
static int check_merged(const struct sbx_policy *p, struct sbx_error *err)
{
	const struct sbx_ppaths *up = &p->net.unix_paths;

	if (up->set && p->net.unix_mode == SBX_UNIX_NONE)
		return sbx_error_set(err, SBX_EVALUE, EINVAL,
				     up->count ? up->items[0].pointer : "/net/unixPaths",
				     "net.unixPaths names unix sockets to connect to, but "
				     "net.unix is \"none\" (no unix socket can be created): "
				     "drop one of the two");
	return 0;
}

static int load_top(const char *text, size_t len, bool inline_only,
		    const struct sbx_policy_load_opts *opts, struct sbx_policy **out,
		    struct sbx_error *err)
{
	struct loader L = { .opts = opts, .err = err };
	struct sbx_policy *p;
	char cwdbuf[PATH_MAX];
	struct sbx_env_dirs dirs;
	const char *start;
	size_t i;
	int rc;

	sbx_error_clear(err);
	*out = NULL;
	L.max_bytes = opts && opts->max_bytes ? opts->max_bytes : DEFAULT_MAX_BYTES;
	/* Refuse a huge input before looking at it: a 100 MB policy is an
	 * attack or a mistake, and either way it must fail fast. */
	if (len > L.max_bytes)
		return sbx_error_set(err, SBX_ETOOBIG, E2BIG, "",
				     "policy is %zu bytes or more, more than the limit of %zu bytes",
				     len, L.max_bytes);
	p = calloc(1, sizeof(*p));
	if (!p)
		return sbx_error_set(err, SBX_ENOMEM, ENOMEM, "", "out of memory");
	sbx_policy_init(p);
	L.acc = p;

	L.cwd = opts && opts->cwd ? opts->cwd : getcwd(cwdbuf, sizeof(cwdbuf));
	sbx_policy_env_dirs(opts, &dirs);
	L.home = dirs.home;
	L.tmpdir = dirs.tmpdir;
	L.cwd = sbx_arena_strdup(&p->arena, L.cwd);
	L.home = sbx_arena_strdup(&p->arena, L.home);
	L.tmpdir = sbx_arena_strdup(&p->arena, L.tmpdir);
	if (!L.tmpdir) {
		sbx_policy_free(p);
		return sbx_error_set(err, SBX_ENOMEM, ENOMEM, "", "out of memory");
	}

	enum sbx_source_kind kind = sbx_policy_source_kind(text, len, &start);
	i = (size_t)(start - text);
	if (inline_only || kind == SBX_SOURCE_INLINE) {
		rc = load_doc(&L, "inline", "inline policy", text, len, L.cwd);
	} else {
		/* A name or path: a NUL-terminated string (load() checked). */
		const char *name = text + i;
		char *copy = sbx_arena_strndup(&p->arena, name, len - i);

		if (!copy) {
			sbx_policy_free(p);
			return sbx_error_set(err, SBX_ENOMEM, ENOMEM, "", "out of memory");
		}
		/* The top document is loaded like an `extends` entry of an
		 * empty document, without the "in ...:" prefix. */
		rc = load_extends(&L, copy, "", L.cwd);
	}
	if (!rc)
		rc = load_imports(&L);
	if (!rc)
		rc = check_merged(p, err);
	if (rc) {
		one_line(err);
		sbx_policy_free(p);
		return rc;
	}
	if (p->version == SBX_UNSET)
		p->version = 1;
	sbx_policy_resolve_compat(p);
	*out = p;
	return 0;
}

int sbx_policy_load_text(const char *text, size_t len, const struct sbx_policy_load_opts *opts,
			 struct sbx_policy **out, struct sbx_error *err)
{
	if (!out || (!text && len))
		return sbx_error_set(err, SBX_EINVAL, EINVAL, "", "no policy text");
	return load_top(text ? text : "", len, true, opts, out, err);
}

int sbx_policy_load(const char *source, const struct sbx_policy_load_opts *opts,
		    struct sbx_policy **out, struct sbx_error *err)
{
	size_t max = opts && opts->max_bytes ? opts->max_bytes : DEFAULT_MAX_BYTES;
	size_t len;

	if (out)
		*out = NULL;
	if (!out || !source)
		return sbx_error_set(err, SBX_EINVAL, EINVAL, "", "no policy given");
	/* strnlen: never walk a 100 MB string just to learn it is too long. */
	len = strnlen(source, max + 1);
	if (len == 0)
		return sbx_error_set(err, SBX_EINVAL, EINVAL, "",
				     "empty policy: expected a preset name, a file path or JSON text");
	/* A bare preset name: built from the table generated at build time
	 * (preset_fast.h); anything else, or any doubt, the normal way. */
	if (!sbx_policy_load_fast(source, opts, out)) {
		sbx_error_clear(err);
		return 0;
	}
	return load_top(source, len, opts && (opts->flags & SBX_POLICY_INLINE_ONLY), opts, out,
			err);
}
