/*
 * The spawn plan's protected and hidden paths (src-native/spawn_plan.c,
 * docs/spawn.md "Protected and hidden paths"): relative entries beneath each
 * writable bind and beneath its parents where that lands inside it, host
 * paths mapped through the binds that show them, none outside a writable
 * bind, hidden host paths everywhere, and the door's own files (sbx's
 * artifacts with the package around them, the policy files read).
 */
#include "policy.h"
#include "sbx_spawn.h"
#include "t.h"

#include <limits.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[64];

static const char *work(void)
{
	if (!dir[0]) {
		snprintf(dir, sizeof(dir), "/tmp/sbx-test-protect-XXXXXX");
		if (!mkdtemp(dir))
			abort();
	}
	return dir;
}

static struct sbx_spawn_plan *plan_of(const char *text, const char *cwd, const char *self_dir,
				      struct sbx_policy **pout)
{
	struct sbx_policy_load_opts o = { .cwd = cwd, .home = "/home/u", .tmpdir = "/tmp",
					  .flags = SBX_POLICY_NO_PATH_CHECK };
	struct sbx_spawn_ctx ctx = { .cwd = cwd, .home = "/home/u", .tmpdir = "/tmp",
				     .self_dir = self_dir };
	struct sbx_spawn_plan *pl = NULL;
	struct sbx_error err;

	*pout = NULL;
	if (sbx_policy_load(text, &o, pout, &err)) {
		T_FAIL("load %s: %s", text, err.message);
		return NULL;
	}
	if (sbx_spawn_plan_build(*pout, &ctx, &pl, &err)) {
		T_FAIL("plan: %s", err.message);
		return NULL;
	}
	return pl;
}

static const struct sbx_spawn_protect *find(const struct sbx_spawn_plan *pl, const char *path,
					    bool hide)
{
	for (size_t i = 0; pl && i < pl->nprotect; i++)
		if (!strcmp(pl->protect[i].path, path) && pl->protect[i].hide == hide)
			return &pl->protect[i];
	return NULL;
}

static void done(struct sbx_spawn_plan *pl, struct sbx_policy *p)
{
	sbx_spawn_plan_free(pl);
	sbx_policy_free(p);
}

TEST(relative_entries_beneath_the_working_directory)
{
	struct sbx_policy *p;
	struct sbx_spawn_plan *pl = plan_of("workspace", "/srv/proj", NULL, &p);
	const struct sbx_spawn_protect *e;

	e = find(pl, "/srv/proj/.git/hooks", false);
	CHECK(e != NULL);
	if (e) {
		CHECK(!e->optional);
		CHECK_STR(e->root, "/srv/proj");
		CHECK_STR(e->host, "/srv/proj/.git/hooks");
		CHECK_STR(e->pointer, "/fs/protect/0");
	}
	e = find(pl, "/srv/proj/.vscode", false);
	CHECK(e && e->optional);
	/* $HOME entries: home is no writable bind here, so none. */
	CHECK(find(pl, "/home/u/.bashrc", false) == NULL);
	/* No entry outside the writable binds (/tmp is a private tmpfs). */
	for (size_t i = 0; pl && i < pl->nprotect; i++)
		CHECK(!strncmp(pl->protect[i].path, "/srv/proj/", 10));
	done(pl, p);
}

TEST(a_root_inside_git_gets_its_part)
{
	struct sbx_policy *p;
	struct sbx_spawn_plan *pl = plan_of("workspace", "/srv/proj/.git", NULL, &p);
	const struct sbx_spawn_protect *e = find(pl, "/srv/proj/.git/hooks", false);

	CHECK(e != NULL);
	if (e)
		CHECK_STR(e->root, "/srv/proj/.git");
	CHECK(find(pl, "/srv/proj/.git/config", false) != NULL);
	/* ... and the entries beneath it too (a repository inside .git). */
	CHECK(find(pl, "/srv/proj/.git/.git/hooks", false) != NULL);
	done(pl, p);

	/* A root that is itself a protected path: all of it. */
	pl = plan_of("workspace", "/srv/proj/.git/hooks", NULL, &p);
	e = find(pl, "/srv/proj/.git/hooks", false);
	CHECK(e && !strcmp(e->root, "/srv/proj/.git/hooks"));
	done(pl, p);

	/* A look-alike name is not a parent's entry. */
	pl = plan_of("workspace", "/srv/proj/.gitx", NULL, &p);
	CHECK(find(pl, "/srv/proj/.gitx/hooks", false) == NULL);
	CHECK(find(pl, "/srv/proj/.gitx/.git/hooks", false) != NULL);
	done(pl, p);
}

TEST(host_paths_map_through_writable_binds)
{
	struct sbx_policy *p;
	struct sbx_spawn_plan *pl = plan_of(
		"{\"extends\": \"workspace\", \"mounts\": ["
		" {\"type\": \"bind\", \"source\": \"/data/home\", \"target\": \"/home/u\", \"writable\": true},"
		" {\"type\": \"bind\", \"source\": \"/data/ro\", \"target\": \"/ro\"}],"
		" \"fs\": {\"protect\": [\"/data/home/notes\", \"/data/ro/x\", \"/elsewhere/y\"],"
		"          \"hide\": [\"/etc/secret\", \"/data/home/.env\"]}}",
		"/srv/proj", NULL, &p);
	const struct sbx_spawn_protect *e;

	/* $HOME entries of the preset are host paths: the host's /home/u is
	 * not what this bind shows (its source is /data/home). */
	CHECK(find(pl, "/home/u/.bashrc", false) == NULL);
	/* A host path shown by a writable bind: where the bind shows it. */
	e = find(pl, "/home/u/notes", false);
	CHECK(e && !strcmp(e->host, "/data/home/notes"));
	/* Not under a writable bind: nothing to do, the view is read-only there. */
	CHECK(find(pl, "/data/ro/x", false) == NULL);
	CHECK(find(pl, "/ro/x", false) == NULL);
	CHECK(find(pl, "/elsewhere/y", false) == NULL);
	/* Hidden: in the host's tree, and where a bind shows it. */
	e = find(pl, "/etc/secret", true);
	CHECK(e && e->root == NULL);
	CHECK(find(pl, "/home/u/.env", true) != NULL);
	done(pl, p);

	/* Home bound writable as itself (sbx run --rw ~): its start-up files. */
	pl = plan_of("{\"extends\": \"workspace\", \"mounts\": [{\"type\": \"bind\", "
		     "\"source\": \"/home/u\", \"target\": \"/home/u\", \"writable\": true}]}",
		     "/srv/proj", NULL, &p);
	e = find(pl, "/home/u/.bashrc", false);
	CHECK(e && e->optional && !strcmp(e->root, "/home/u"));
	CHECK(find(pl, "/home/u/.ssh", false) != NULL);
	done(pl, p);
}

TEST(sbx_files_and_policy_files_are_protected_inside_writable_roots)
{
	char file[PATH_MAX], text[PATH_MAX + 32], self[PATH_MAX], pkg_dist[PATH_MAX];
	struct sbx_policy *p;
	struct sbx_spawn_plan *pl;
	const struct sbx_spawn_protect *e;
	FILE *f;

	snprintf(file, sizeof(file), "%s/sbx-policy.json", work());
	f = fopen(file, "w");
	if (!f)
		abort();
	fputs("{\"extends\": \"default\"}", f);
	fclose(f);
	snprintf(self, sizeof(self), "%s/node_modules/sbx/build/Release", work());
	snprintf(pkg_dist, sizeof(pkg_dist), "%s/node_modules/sbx/dist", work());
	snprintf(text, sizeof(text), "%s", file);
	pl = plan_of(text, work(), self, &p);
	e = find(pl, file, false);
	CHECK(e && e->implicit && e->optional);
	e = find(pl, self, false);
	CHECK(e && e->implicit);
	CHECK(find(pl, pkg_dist, false) != NULL);
	done(pl, p);

	/* prebuilds/<platform>: the package is two levels up. */
	snprintf(self, sizeof(self), "%s/node_modules/sbx/prebuilds/linux-x64", work());
	pl = plan_of("default", work(), self, &p);
	CHECK(find(pl, pkg_dist, false) != NULL);
	done(pl, p);

	/* Outside the writable roots: nothing (the view is read-only there). */
	pl = plan_of("default", work(), "/opt/sbx/build/Release", &p);
	CHECK(find(pl, "/opt/sbx/build/Release", false) == NULL);
	CHECK(find(pl, "/opt/sbx/dist", false) == NULL);
	done(pl, p);

	/* The working directory inside the package: all of it is the package's. */
	snprintf(self, sizeof(self), "%s/node_modules/sbx/build/Release", work());
	pl = plan_of("default", pkg_dist, self, &p);
	e = find(pl, pkg_dist, false);
	CHECK(e && e->implicit && !strcmp(e->root, pkg_dist));
	done(pl, p);
}

TEST(switches_reach_the_plan)
{
	struct sbx_policy *p;
	struct sbx_spawn_plan *pl = plan_of("default", "/srv/proj", NULL, &p);

	CHECK(pl && !pl->allow_broad_cwd && !pl->follow_symlinks);
	if (pl) {
		CHECK_STR(pl->caller_cwd, "/srv/proj");
		CHECK_STR(pl->home, "/home/u");
	}
	done(pl, p);
	pl = plan_of("{\"extends\": \"default\", \"allowBroadCwd\": true, \"followSymlinks\": true}",
		     "/srv/proj", NULL, &p);
	CHECK(pl && pl->allow_broad_cwd && pl->follow_symlinks);
	done(pl, p);
}

int main(void)
{
	int rc = t_run();
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", work());
	(void)!system(cmd);
	return rc;
}
