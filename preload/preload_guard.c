/*
 * The preload door's own files must stay out of the program's reach: a
 * program allowed to write where libsbx.so or its policy file lies could
 * replace them, and the next program started with the same LD_PRELOAD and
 * SBX_POLICY would load the program's code, or a weaker policy, instead.
 * So the constructor refuses (exit 126) when a Landlock rule with a write
 * right covers the library or a policy file: the file itself, or any
 * directory above it (a write right there can rename the path away and put
 * another file in its place). "Above" is taken both along the path as the
 * loader and the user gave it (a symlink in it lives in a directory the
 * next start will read again) and along its resolved form. Paths are
 * compared by identity (device and inode), as Landlock compares them.
 *
 * A policy that does not confine writes with Landlock gives the program
 * every place its user may write: there is nothing to compare, and
 * docs/security-model.md says so.
 */
#include "landlock_defs.h"
#include "policy.h"
#include "preload.h"
#include "prepared.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define GUARD_WRITE_RIGHTS                                                     \
	(LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_REMOVE_DIR |       \
	 LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_MAKE_CHAR |       \
	 LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG |           \
	 LANDLOCK_ACCESS_FS_MAKE_SOCK | LANDLOCK_ACCESS_FS_MAKE_FIFO |         \
	 LANDLOCK_ACCESS_FS_MAKE_BLOCK | LANDLOCK_ACCESS_FS_MAKE_SYM |         \
	 LANDLOCK_ACCESS_FS_REFER | LANDLOCK_ACCESS_FS_TRUNCATE)

#define GUARD_MAX_IDS 128

struct guard_ids {
	dev_t dev[GUARD_MAX_IDS];
	ino_t ino[GUARD_MAX_IDS];
	size_t n;
};

static void add_id(struct guard_ids *ids, const char *path)
{
	struct stat st;

	if (ids->n >= GUARD_MAX_IDS || stat(path, &st))
		return;
	for (size_t i = 0; i < ids->n; i++)
		if (ids->dev[i] == st.st_dev && ids->ino[i] == st.st_ino)
			return;
	ids->dev[ids->n] = st.st_dev;
	ids->ino[ids->n] = st.st_ino;
	ids->n++;
}

/* The file and every directory above it along `abs` (absolute). */
static void add_chain(struct guard_ids *ids, const char *abs)
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

/* `path` as given (made absolute) and resolved. 0, or -1 when it cannot
 * be placed at all (then the caller refuses: fail closed). */
static int collect(struct guard_ids *ids, const char *path)
{
	char abs[PATH_MAX], real[PATH_MAX];

	if (path[0] == '/') {
		if (strlen(path) >= sizeof(abs))
			return -1;
		strcpy(abs, path);
	} else {
		size_t n;

		if (!getcwd(abs, sizeof(abs)))
			return -1;
		n = strlen(abs);
		if (n + 1 + strlen(path) >= sizeof(abs))
			return -1;
		abs[n] = '/';
		strcpy(abs + n + 1, path);
	}
	add_chain(ids, abs);
	if (!realpath(abs, real))
		return -1;
	if (strcmp(real, abs))
		add_chain(ids, real);
	return ids->n ? 0 : -1;
}

/* The first rule with a write right on one of `ids`, or NULL. */
static const struct sbx_landlock_path_rule *
covering_rule(const struct sbx_prepared *pp, const struct guard_ids *ids)
{
	for (size_t r = 0; r < pp->npaths; r++) {
		const struct sbx_landlock_path_rule *rule = &pp->paths[r];
		struct stat st;

		if (!(rule->access & GUARD_WRITE_RIGHTS) || stat(rule->path, &st))
			continue;
		for (size_t i = 0; i < ids->n; i++)
			if (ids->dev[i] == st.st_dev && ids->ino[i] == st.st_ino)
				return rule;
	}
	return NULL;
}

static void check_file(const struct sbx_prepared *pp, const char *what,
		       const char *path, const char *fix)
{
	struct guard_ids ids = { .n = 0 };
	const struct sbx_landlock_path_rule *rule;
	char why[900];

	if (collect(&ids, path)) {
		snprintf(why, sizeof(why), "cannot tell where %s (%.300s) lies, so "
			 "cannot check that the program may not replace it", what,
			 path);
		sbx_preload_die("refusing to run", why, "SBX_POLICY");
	}
	rule = covering_rule(pp, &ids);
	if (!rule)
		return;
	snprintf(why, sizeof(why), "%s (%.300s) lies where this policy lets the "
		 "program write (%.200s): the program could replace it for the next "
		 "confined program. %s", what, path, rule->path, fix);
	sbx_preload_die("refusing to run", why, rule->pointer);
}

void sbx_preload_check_own_files(const struct sbx_prepared *pp,
				 const struct sbx_policy *p)
{
	Dl_info info;

	/* Writes are not confined (no Landlock, or a policy that handles no
	 * write right): nothing to compare with. */
	if (!pp->landlock.active ||
	    !(pp->landlock.attr.handled_access_fs & LANDLOCK_ACCESS_FS_WRITE_FILE))
		return;
	if (!dladdr((void *)sbx_preload_check_own_files, &info) || !info.dli_fname ||
	    !info.dli_fname[0])
		sbx_preload_die("refusing to run", "cannot find the path of libsbx.so "
				"itself, so cannot check that the program may not "
				"replace it", "LD_PRELOAD");
	check_file(pp, "libsbx.so", info.dli_fname, "Install libsbx.so outside the "
		   "policy's writable paths (fs.write), e.g. where npm installed it");
	/* Policy documents read from files are recorded by their path. */
	for (size_t i = 0; i < p->norigins; i++)
		if (p->origins[i] && p->origins[i][0] == '/')
			check_file(pp, "the policy file", p->origins[i],
				   "Keep policy files outside the policy's writable "
				   "paths (fs.write)");
}
