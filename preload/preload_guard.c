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
#include <unistd.h>

/* `path` made absolute (relative to the working directory, as the loader
 * took it). 0, or -1 when it cannot be placed at all (then the caller
 * refuses: fail closed). */
static int absolute(const char *path, char abs[PATH_MAX])
{
	char real[PATH_MAX];

	if (path[0] == '/') {
		if (strlen(path) >= PATH_MAX)
			return -1;
		strcpy(abs, path);
	} else {
		size_t n;

		if (!getcwd(abs, PATH_MAX))
			return -1;
		n = strlen(abs);
		if (n + 1 + strlen(path) >= PATH_MAX)
			return -1;
		abs[n] = '/';
		strcpy(abs + n + 1, path);
	}
	return realpath(abs, real) ? 0 : -1;
}

static void check_file(const struct sbx_prepared *pp, const char *what,
		       const char *path, const char *fix)
{
	const struct sbx_landlock_path_rule *rule;
	char abs[PATH_MAX], why[900];

	if (absolute(path, abs)) {
		snprintf(why, sizeof(why), "cannot tell where %s (%.300s) lies, so "
			 "cannot check that the program may not replace it", what,
			 path);
		sbx_preload_die("refusing to run", why, "SBX_POLICY");
	}
	rule = sbx_prepared_covering_rule(pp, abs, SBX_LANDLOCK_WRITE_RIGHTS);
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
