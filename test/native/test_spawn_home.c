/*
 * The spawn plan for `home` and `git` (src-native/spawn_home.c, docs/spawn.md
 * "The home and the repository"), on a real tree in a temporary directory:
 * which $PATH entries are bound and how far, what is never bound, which
 * credentials are hidden, the grants, and the cases where nothing may be
 * widened (a repository at $HOME or above it, a home the policy replaced).
 */
#include "policy.h"
#include "sbx_spawn.h"
#include "t.h"

#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <unistd.h>

static char base[64];

static void mk(const char *rel, bool dir)
{
	char p[PATH_MAX], cmd[PATH_MAX + 16];

	snprintf(p, sizeof(p), "%s/%s", base, rel);
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", p);
	if (!dir)
		*strrchr(cmd, '/') = '\0', strcat(cmd, "'");
	(void)!system(cmd);
	if (!dir) {
		int fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
		if (fd >= 0)
			close(fd);
	}
}

static const char *at(const char *rel)
{
	static char bufs[8][PATH_MAX];
	static int n;
	char *b = bufs[n++ % 8];

	snprintf(b, PATH_MAX, "%s%s%s", base, rel[0] ? "/" : "", rel);
	return b;
}

static void setup(void)
{
	snprintf(base, sizeof(base), "/tmp/sbx-test-home-XXXXXX");
	if (!mkdtemp(base))
		abort();
	mk("home/.pyenv/shims", true);
	mk("home/.pyenv/libexec", true);
	mk("home/.cargo/bin", true);
	mk("home/.cargo/env", false);
	mk("home/.cargo/registry/cache", true);
	mk("home/.cargo/credentials.toml", false);
	mk("home/.rustup/toolchains", true);
	mk("home/.nvm/versions/node/v1/bin", true);
	mk("home/.ssh/bin", true);
	mk("home/tools/bin", true);
	mk("home/.aws", true);
	(void)!symlink(".aws", at("home/linked"));   /* a $PATH entry that is a credential */
	mk("home/.gitconfig", false);
	mk("home/proj/sub", true);
	mk("home/.git", true);                 /* a dotfiles repository at $HOME */
	mk("srv/repo/.git/hooks", true);
	mk("srv/repo/a/b", true);
}

static struct sbx_spawn_plan *plan(const char *text, const char *cwd, const char *path,
				   struct sbx_policy **pout)
{
	struct sbx_policy_load_opts o = { .cwd = cwd, .home = at("home"), .tmpdir = "/tmp",
					  .flags = SBX_POLICY_NO_PATH_CHECK };
	struct sbx_spawn_ctx ctx = { .cwd = cwd, .home = at("home"), .tmpdir = "/var/tmp-none",
				     .path = path };
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

static const struct sbx_spawn_mount *mount_at(const struct sbx_spawn_plan *pl, const char *target)
{
	for (size_t i = 0; pl && i < pl->nmounts; i++)
		if (!strcmp(pl->mounts[i].target, target))
			return &pl->mounts[i];
	return NULL;
}

static const struct sbx_spawn_grant *grant_at(const struct sbx_spawn_plan *pl, const char *path)
{
	for (size_t i = 0; pl && i < pl->ngrants; i++)
		if (!strcmp(pl->grants[i].path, path))
			return &pl->grants[i];
	return NULL;
}

static bool hidden(const struct sbx_spawn_plan *pl, const char *path)
{
	for (size_t i = 0; pl && i < pl->nprotect; i++)
		if (pl->protect[i].hide && !strcmp(pl->protect[i].path, path))
			return true;
	return false;
}

static void done(struct sbx_spawn_plan *pl, struct sbx_policy *p)
{
	sbx_spawn_plan_free(pl);
	sbx_policy_free(p);
}

TEST(path_entries_under_home_are_bound_read_only_widened_to_their_toolchain)
{
	char path[4 * PATH_MAX];
	struct sbx_policy *p;

	snprintf(path, sizeof(path), "%s:%s:%s:%s:%s:%s:/usr/bin", at("home/.pyenv/shims"),
		 at("home/.cargo/bin"), at("home/.nvm/versions/node/v1/bin"), at("home/tools/bin"),
		 at("home/.ssh/bin"), at("home/linked"));
	struct sbx_spawn_plan *pl = plan("default", at("home/proj"), path, &p);
	const struct sbx_spawn_mount *m;

	CHECK((m = mount_at(pl, at("home/.pyenv"))) && !m->writable && m->is_default);
	CHECK(!mount_at(pl, at("home/.pyenv/shims")));      /* shown by ~/.pyenv */
	CHECK((m = mount_at(pl, at("home/.cargo/bin"))) && !m->writable);
	CHECK(mount_at(pl, at("home/.cargo/env")));
	CHECK(mount_at(pl, at("home/.rustup")));           /* the cargo proxies' */
	CHECK(!mount_at(pl, at("home/.cargo")));            /* its cache stays private */
	CHECK(!mount_at(pl, at("home/.cargo/registry")));
	CHECK(mount_at(pl, at("home/.nvm")));
	CHECK(mount_at(pl, at("home/tools/bin")));
	CHECK(!mount_at(pl, at("home/tools")));             /* an unknown entry: itself */
	CHECK(!mount_at(pl, at("home/.ssh/bin")));          /* never in a credential dir */
	CHECK(!mount_at(pl, at("home/linked")));            /* nor through a link to one */
	CHECK(mount_at(pl, at("home/.gitconfig")));
	/* The home stays the door's tmpfs, made even where the view lacks it. */
	CHECK((m = mount_at(pl, at("home"))) && m->type == SBX_SPAWN_TMPFS && !m->optional);
	const struct sbx_spawn_grant *g = grant_at(pl, at("home"));
	CHECK(g && g->read && g->write && g->exec);
	/* A node's global npmrc, shown by the ~/.nvm bind, is hidden; a
	 * credential no bind shows needs no mount. */
	CHECK(hidden(pl, at("home/.nvm/versions/node/v1/etc/npmrc")));
	CHECK(!hidden(pl, at("home/.ssh")));
	done(pl, p);
}

TEST(credentials_in_a_bound_toolchain_are_hidden_unless_asked_for_by_name)
{
	char text[2 * PATH_MAX];
	struct sbx_policy *p;
	struct sbx_spawn_plan *pl;

	snprintf(text, sizeof(text), "{\"extends\": \"default\", \"mounts\": [{\"type\": \"bind\", "
		 "\"source\": \"%s\", \"target\": \"%s\"}]}", at("home/.cargo"), at("home/.cargo"));
	pl = plan(text, at("home/proj"), "/usr/bin", &p);
	CHECK(hidden(pl, at("home/.cargo/credentials.toml")));
	CHECK(hidden(pl, at("home/.cargo/credentials")));
	done(pl, p);
	snprintf(text, sizeof(text), "{\"extends\": \"default\", \"mounts\": [{\"type\": \"bind\", "
		 "\"source\": \"%s\", \"target\": \"%s\"}]}", at("home/.ssh"), at("home/.ssh"));
	pl = plan(text, at("home/proj"), "/usr/bin", &p);
	CHECK(!hidden(pl, at("home/.ssh")));
	done(pl, p);
}

TEST(private_home_without_toolchains_and_hidden_home)
{
	char path[PATH_MAX];
	struct sbx_policy *p;
	struct sbx_spawn_plan *pl;

	snprintf(path, sizeof(path), "%s:/usr/bin", at("home/.cargo/bin"));
	pl = plan("{\"extends\": \"workspace\", \"home\": \"private\"}", at("home/proj"), path, &p);
	CHECK(grant_at(pl, at("home")) && !mount_at(pl, at("home/.cargo/bin")));
	done(pl, p);
	pl = plan("workspace", at("home/proj"), path, &p);
	CHECK(pl && pl->ngrants == 0 && !mount_at(pl, at("home/.cargo/bin")));
	done(pl, p);
}

TEST(a_home_the_policy_replaced_gets_nothing)
{
	char text[2 * PATH_MAX], path[PATH_MAX];
	struct sbx_policy *p;

	snprintf(path, sizeof(path), "%s:/usr/bin", at("home/.cargo/bin"));
	snprintf(text, sizeof(text), "{\"extends\": \"default\", \"mounts\": [{\"type\": \"bind\", "
		 "\"source\": \"%s\", \"target\": \"%s\"}]}", at("home"), at("home"));
	struct sbx_spawn_plan *pl = plan(text, at("srv/repo"), path, &p);
	CHECK(pl && !grant_at(pl, at("home")) && !mount_at(pl, at("home/.cargo/bin")));
	done(pl, p);
}

TEST(git_from_a_subdirectory_top_level_readable_git_dir_writable_and_protected)
{
	struct sbx_policy *p;
	struct sbx_spawn_plan *pl = plan("default", at("srv/repo/a/b"), "/usr/bin", &p);
	const struct sbx_spawn_grant *g;
	const struct sbx_spawn_mount *m;

	CHECK((g = grant_at(pl, at("srv/repo"))) && g->read && !g->write && !g->exec);
	CHECK((g = grant_at(pl, at("srv/repo/.git"))) && g->read && g->write && !g->exec);
	CHECK((g = grant_at(pl, at("srv/repo/.git/hooks"))) && g->exec && !g->write);
	CHECK((m = mount_at(pl, at("srv/repo/.git"))) && m->writable);
	/* Under /tmp, which the view hides: the top level is bound read-only. */
	CHECK((m = mount_at(pl, at("srv/repo"))) && !m->writable);
	bool hooks = false, config = false;
	for (size_t i = 0; pl && i < pl->nprotect; i++) {
		hooks |= !pl->protect[i].hide && !strcmp(pl->protect[i].path, at("srv/repo/.git/hooks"));
		config |= !pl->protect[i].hide && !strcmp(pl->protect[i].path, at("srv/repo/.git/config"));
	}
	CHECK(hooks && config);
	done(pl, p);
	/* At the top level: nothing beyond the working directory's own bind. */
	pl = plan("default", at("srv/repo"), "/usr/bin", &p);
	CHECK(pl && !grant_at(pl, at("srv/repo/.git")) && !mount_at(pl, at("srv/repo/.git")));
	done(pl, p);
	/* Without the key (workspace), nothing at all. */
	pl = plan("workspace", at("srv/repo/a/b"), "/usr/bin", &p);
	CHECK(pl && !grant_at(pl, at("srv/repo")) && !mount_at(pl, at("srv/repo/.git")));
	done(pl, p);
}

TEST(a_repository_at_home_is_never_widened_to)
{
	struct sbx_policy *p;
	struct sbx_spawn_plan *pl = plan("default", at("home/proj/sub"), "/usr/bin", &p);

	CHECK(pl && !grant_at(pl, at("home/.git")) && !mount_at(pl, at("home/.git")));
	for (size_t i = 0; pl && i < pl->ngrants; i++)
		CHECK(strcmp(pl->grants[i].why, "git"));
	done(pl, p);
}

TEST(keys_parse_merge_and_refuse_bad_values)
{
	struct sbx_policy *p = NULL;
	struct sbx_error err;
	char *json = NULL;

	CHECK(sbx_policy_load("{\"home\": \"toolchain\"}", NULL, &p, &err) != 0);
	CHECK_STR(err.pointer, "/home");
	CHECK(strstr(err.message, "did you mean \"toolchains\"") != NULL);
	CHECK(sbx_policy_load("{\"git\": \"yes\"}", NULL, &p, &err) != 0);
	CHECK_STR(err.pointer, "/git");
	CHECK(sbx_policy_load("{\"extends\": \"default\", \"home\": \"hidden\", \"git\": false}",
			      NULL, &p, &err) == 0);
	if (p) {
		CHECK(p->home == SBX_HOME_HIDDEN && p->git == 0);
		CHECK(sbx_policy_to_json(p, &json, &err) == 0);
		CHECK(json && strstr(json, "\"home\":\"hidden\"") && strstr(json, "\"git\":false"));
		free(json);
		sbx_policy_free(p);
	}
}

/* sbx learn's question: is this path a credential, or (whole) does it hold one? */
TEST(secret_paths_for_learn)
{
	CHECK_STR(sbx_spawn_secret("/h/.ssh", "/h", false), ".ssh");
	CHECK_STR(sbx_spawn_secret("/h/.ssh/id_rsa", "/h", false), ".ssh");
	CHECK_STR(sbx_spawn_secret("/h/.config/gh/hosts.yml", "/h", false), ".config/gh");
	CHECK(sbx_spawn_secret("/h/notes.txt", "/h", false) == NULL);
	CHECK(sbx_spawn_secret("/h/.sshx", "/h", false) == NULL);   /* a name that only starts alike */
	CHECK(sbx_spawn_secret("/h/.config", "/h", false) == NULL);  /* names only */
	CHECK(sbx_spawn_secret("/h/.config", "/h", true) != NULL);   /* holds gh, gcloud... */
	CHECK(sbx_spawn_secret("/h", "/h", true) != NULL);
	CHECK(sbx_spawn_secret("/", "/h", true) != NULL);
	CHECK(sbx_spawn_secret("/h/src", "/h", true) == NULL);
	CHECK(sbx_spawn_secret("/srv/.ssh", "/h", true) == NULL);    /* not under $HOME */
	CHECK(sbx_spawn_secret("relative", "/h", true) == NULL);
	CHECK(sbx_spawn_secret("/h/.ssh", NULL, false) == NULL);
	/* $HOME through a link: compared resolved too */
	mk("real/.aws/credentials", false);
	{
		char link[PATH_MAX];
		snprintf(link, sizeof(link), "%s/linkhome", base);
		(void)!symlink(at("real"), link);
		char cred[PATH_MAX];
		snprintf(cred, sizeof(cred), "%s/.aws/credentials", at("real"));
		CHECK_STR(sbx_spawn_secret(cred, link, false), ".aws");
	}
}

int main(void)
{
	char cmd[128];
	int rc;

	setup();
	rc = t_run();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", base);
	(void)!system(cmd);
	return rc;
}
