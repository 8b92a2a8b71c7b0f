/*
 * fs.protect and fs.hide in the preload and self doors (docs/policy.md,
 * "fs.protect and fs.hide"; docs/security-model.md, "Planted code and
 * redirected paths").
 *
 * Landlock only adds rights: a right granted on a directory holds for all
 * of it, and nothing can take one path back out. The spawn door mounts over
 * protected and hidden paths in its own view; these doors have no view of
 * their own. So each entry is checked against the ruleset they are about to
 * enforce: a protected path that a write right covers (the path itself or a
 * directory above it, which could rename it away), or, when it is missing
 * and required, whose parent a write right covers (it could be made); a
 * hidden path that a read right covers. Such an entry is a restriction the
 * door cannot provide: SBX_EUNSUPPORTED in enforce mode (fs.compat, else the
 * top level), a `skipped` note in best-effort. Entries that no right reaches
 * are what Landlock already enforces, and pass.
 *
 * Relative entries are taken beneath each directory a write right is
 * granted on (and beneath its parents where that lands inside it), as the
 * spawn door takes them beneath its writable binds. Paths are compared by
 * identity (device and inode) along the path as written and as resolved,
 * as Landlock compares them.
 */
#include "landlock_defs.h"
#include "policy.h"
#include "prepared.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define WRITE_RIGHTS SBX_LANDLOCK_WRITE_RIGHTS
#define READ_RIGHTS                                                            \
	(LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR |          \
	 LANDLOCK_ACCESS_FS_EXECUTE)

#define MAX_IDS 128

struct ids {
	dev_t dev[MAX_IDS];
	ino_t ino[MAX_IDS];
	size_t n;
};

static void add_id(struct ids *ids, const char *path)
{
	struct stat st;

	if (ids->n >= MAX_IDS || stat(path, &st))
		return;
	for (size_t i = 0; i < ids->n; i++)
		if (ids->dev[i] == st.st_dev && ids->ino[i] == st.st_ino)
			return;
	ids->dev[ids->n] = st.st_dev;
	ids->ino[ids->n] = st.st_ino;
	ids->n++;
}

/* `abs` and every directory above it. */
static void add_chain(struct ids *ids, const char *abs)
{
	char buf[PATH_MAX];
	size_t len = strlen(abs);

	if (len >= sizeof(buf) || abs[0] != '/')
		return;
	memcpy(buf, abs, len + 1);
	add_id(ids, buf);
	for (size_t i = len; i-- > 1;) {
		if (buf[i] != '/')
			continue;
		buf[i] = '\0';
		add_id(ids, buf);
	}
	add_id(ids, "/");
}

const struct sbx_landlock_path_rule *sbx_prepared_covering_rule(const struct sbx_prepared *pp,
								const char *path, uint64_t rights)
{
	struct ids ids = { .n = 0 };
	char real[PATH_MAX];

	add_chain(&ids, path);
	if (realpath(path, real) && strcmp(real, path))
		add_chain(&ids, real);
	for (size_t r = 0; r < pp->npaths; r++) {
		const struct sbx_landlock_path_rule *rule = &pp->paths[r];
		struct stat st;

		if (!(rule->access & rights) || stat(rule->path, &st))
			continue;
		for (size_t i = 0; i < ids.n; i++)
			if (ids.dev[i] == st.st_dev && ids.ino[i] == st.st_ino)
				return rule;
	}
	return NULL;
}

static int refuse(struct sbx_prepared *pp, const struct sbx_policy *p, const struct sbx_ppath *e,
		  const char *what, const char *path, const struct sbx_landlock_path_rule *rule,
		  struct sbx_error *err)
{
	const char *door = pp->door == SBX_DOOR_SELF ? "self" : "preload";

	if (p->resolved.fs == SBX_COMPAT_BEST_EFFORT) {
		sbx_notebuf_add(&pp->skipped, "%s: %s %s is not enforced by the %s door: it lies "
				"where this policy lets the program %s (%s, %s)", e->pointer, what,
				path, door, rule ? (strcmp(what, "hidden path") ? "write" : "read")
						 : "reach (no Landlock)",
				rule ? rule->path : "-", rule ? rule->pointer : "-");
		return 0;
	}
	return sbx_error_set(err, SBX_EUNSUPPORTED, EOPNOTSUPP, e->pointer,
		"%s %s lies where this policy lets the program %s (%s, %s): the %s door cannot "
		"keep a path %s inside a directory it grants (Landlock only adds rights, on "
		"whole trees). Use %s, which mounts over it, or set \"compat\": \"best-effort\" "
		"in \"fs\" to run without it, or write a policy without this entry (e.g. "
		"{\"extends\": \"strict\", \"fs\": {\"exec\": [\"$CWD\"]}} in place of \"workspace\")",
		what, path, rule ? (strcmp(what, "hidden path") ? "write" : "read") : "reach",
		rule ? rule->path : "no Landlock section", rule ? rule->pointer : "/fs",
		door, strcmp(what, "hidden path") ? "read-only" : "hidden",
		pp->door == SBX_DOOR_SELF ? "sbx.spawn()" : "`sbx run` (the spawn door)");
}

/* One candidate path of an entry. */
static int check_one(struct sbx_prepared *pp, const struct sbx_policy *p,
		     const struct sbx_ppath *e, bool hide, const char *cand, struct sbx_error *err)
{
	const struct sbx_landlock_path_rule *rule;
	char path[PATH_MAX], parent[PATH_MAX];
	struct stat st;

	if (snprintf(path, sizeof(path), "%s", cand) >= (int)sizeof(path))
		return 0;
	if (stat(path, &st)) {
		/* A file where a directory was expected on the way (a worktree's
		 * `.git` file): that file decides where the path leads. */
		if (errno == ENOTDIR && !hide) {
			while (strrchr(path, '/') > path) {
				*strrchr(path, '/') = '\0';
				if (!stat(path, &st) && !S_ISDIR(st.st_mode))
					break;
			}
			if (stat(path, &st) || S_ISDIR(st.st_mode))
				return 0;
		} else {
			if (hide || e->optional || errno != ENOENT)
				return 0;
			/* Missing and required: may the program make it? */
			snprintf(parent, sizeof(parent), "%s", path);
			if (strrchr(parent, '/') == parent)
				parent[1] = '\0';
			else
				*strrchr(parent, '/') = '\0';
			if (stat(parent, &st) || !S_ISDIR(st.st_mode))
				return 0;
			rule = sbx_prepared_covering_rule(pp, parent, WRITE_RIGHTS);
			return rule ? refuse(pp, p, e, "protected path (missing, could be made)", path,
					     rule, err) : 0;
		}
	}
	rule = sbx_prepared_covering_rule(pp, path, hide ? READ_RIGHTS : WRITE_RIGHTS);
	if (!rule)
		return 0;
	return refuse(pp, p, e, hide ? "hidden path" : "protected path", path, rule, err);
}

/* A relative entry beneath the directory of each rule that may write, and
 * beneath its parents where that lands inside it. */
static int check_relative(struct sbx_prepared *pp, const struct sbx_policy *p,
			  const struct sbx_ppath *e, bool hide, struct sbx_error *err)
{
	size_t rlen = strlen(e->path);
	char cand[PATH_MAX];
	int rc = 0;

	for (size_t r = 0; !rc && r < pp->npaths; r++) {
		const char *w = pp->paths[r].path;
		struct stat st;

		if (!(pp->paths[r].access & WRITE_RIGHTS) || stat(w, &st) || !S_ISDIR(st.st_mode))
			continue;
		if (snprintf(cand, sizeof(cand), "%s%s%s", w, strcmp(w, "/") ? "/" : "", e->path) <
		    (int)sizeof(cand))
			rc = check_one(pp, p, e, hide, cand, err);
		for (size_t i = strlen(w); !rc && i-- > 0;) {
			const char *below = w + i + 1;
			size_t blen = strlen(below);

			if (w[i] != '/' || !blen || blen > rlen || strncmp(e->path, below, blen) ||
			    (e->path[blen] != '\0' && e->path[blen] != '/'))
				continue;
			if (snprintf(cand, sizeof(cand), "%s%s%s", w, e->path[blen] ? "/" : "",
				     e->path + blen + (e->path[blen] ? 1 : 0)) < (int)sizeof(cand))
				rc = check_one(pp, p, e, hide, cand, err);
		}
	}
	return rc;
}

int sbx_prepare_protect(struct sbx_prepared *pp, const struct sbx_policy *p,
			struct sbx_error *err)
{
	int rc = 0;

	if (pp->door == SBX_DOOR_SPAWN)
		return 0;       /* the launcher mounts over them (launcher/paths.c) */
	for (int k = 0; !rc && k < 2; k++) {
		const struct sbx_ppaths *l = k ? &p->fs.hide : &p->fs.protect;

		/* Writes (reads) that Landlock does not handle are not confined
		 * anywhere: no entry can hold. */
		uint64_t need = k ? LANDLOCK_ACCESS_FS_READ_FILE : LANDLOCK_ACCESS_FS_WRITE_FILE;
		bool confined = pp->landlock.active && (pp->landlock.attr.handled_access_fs & need);

		if (!confined && l->count) {
			rc = refuse(pp, p, &l->items[0], k ? "hidden path" : "protected path",
				    l->items[0].path, NULL, err);
			continue;
		}
		for (size_t i = 0; !rc && i < l->count; i++) {
			const struct sbx_ppath *e = &l->items[i];

			if (e->path[0] == '/')
				rc = check_one(pp, p, e, k == 1, e->path, err);
			else
				rc = check_relative(pp, p, e, k == 1, err);
		}
	}
	return rc;
}
