/*
 * `home` and `git` in the spawn door (spawn_home.h; docs/spawn.md, "The home
 * and the repository").
 *
 * Toolchains. A developer's tools live under $HOME (pyenv, nvm, volta,
 * rustup and cargo, go, bun, deno, ~/.local/bin) and $PATH points into them;
 * in a private home they are gone and `python3` silently becomes the
 * system's. So each $PATH entry under $HOME is bound read-only at its place
 * in the private home, widened to the toolchain it belongs to where a known
 * layout needs more than the entry (pyenv's shims run ~/.pyenv/libexec, the
 * cargo proxies are rustup and read ~/.rustup). Parts of a toolchain
 * directory that are also its cache (~/.cargo/registry, ~/go/pkg/mod,
 * ~/.bun/install/cache) are not bound: the tools make them in the private
 * home, so a sandbox never writes the host's cache. Nothing is bound that
 * lies in a credential directory, and the credentials a bound directory
 * holds are hidden (spawn_plan.c keeps the hides that a bind can show).
 *
 * Repository. A working directory below a repository's top level sees the
 * top level read-only and its git directory writable (git status, add,
 * commit), never when that would be /, $HOME or a directory above it; the
 * git directory becomes a writable root, so fs.protect keeps its hooks and
 * config read-only as for a working directory at the top.
 */
#include "spawn_home.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* What a toolchain needs besides its $PATH entry, relative to $HOME. */
struct toolchain {
	const char *root;                  /* a $PATH entry at or below it */
	const char *const *binds;
};

#define LIST(...) ((const char *const[]){ __VA_ARGS__, NULL })

static const struct toolchain known[] = {
	{ ".pyenv", LIST(".pyenv") },                 /* shims -> libexec, versions */
	{ ".rbenv", LIST(".rbenv") },
	{ ".nvm", LIST(".nvm") },                     /* bin/npm -> ../lib/node_modules */
	{ ".volta", LIST(".volta") },                 /* shims read tools/ */
	{ ".asdf", LIST(".asdf") },
	{ ".local/share/mise", LIST(".local/share/mise") },
	{ ".cargo", LIST(".cargo/bin", ".cargo/env", ".cargo/config.toml", ".cargo/config",
			 ".rustup") },                /* registry/, git/: a cache */
	{ ".rustup", LIST(".rustup") },
	{ "go", LIST("go/bin") },                     /* pkg/mod: a cache */
	{ ".bun", LIST(".bun/bin") },                 /* install/cache: a cache */
	{ ".deno", LIST(".deno/bin") },
	{ ".local/bin", LIST(".local/bin", ".local/lib", ".local/share/pipx", ".local/pipx",
			     ".local/share/uv/tools", ".local/share/uv/python") },
	{ ".elan", LIST(".elan") },
	{ ".ghcup", LIST(".ghcup") },
	{ ".sdkman", LIST(".sdkman/candidates") },
	{ ".dotnet", LIST(".dotnet") },
};

/* Keys and tokens under $HOME: never bound, and hidden wherever a bind
 * would show them (a toolchain directory that holds one, ~/.config/git). */
static const char *const credentials[] = {
	".ssh", ".gnupg", ".aws", ".azure", ".config/gcloud", ".kube", ".docker/config.json",
	".npmrc", ".yarnrc", ".yarnrc.yml", ".netrc", ".authinfo", ".authinfo.gpg",
	".git-credentials", ".config/git/credentials", ".config/gh", ".config/hub", ".pypirc",
	".cargo/credentials", ".cargo/credentials.toml", ".gem/credentials", ".m2/settings.xml",
	".m2/settings-security.xml", ".gradle/gradle.properties", ".terraform.d/credentials.tfrc.json",
	".vault-token", ".pgpass", ".my.cnf", ".password-store", ".local/share/keyrings",
	".config/op", ".config/rclone", ".nuget/NuGet/NuGet.Config", ".bunfig.toml",
	".config/configstore", ".config/composer/auth.json", ".composer/auth.json",
	".pulumi/credentials.json", ".databrickscfg", ".boto", ".s3cfg", ".config/doctl",
	".config/hcloud", ".fly", ".netlify", ".vercel", ".wrangler", ".supabase",
	".config/heroku", ".config/anthropic", ".config/openai",
};

/* Is `p` equal to or beneath `dir`? */
static bool beneath(const char *p, const char *dir)
{
	size_t n = dir ? strlen(dir) : 0;

	if (!p || !n)
		return false;
	if (n == 1 && dir[0] == '/')
		return p[0] == '/';
	return !strncmp(p, dir, n) && (p[n] == '\0' || p[n] == '/');
}

/* The part of `p` below `dir` (no leading '/'), or NULL when `p` is not
 * strictly beneath it. */
static const char *below(const char *p, const char *dir)
{
	size_t n = strlen(dir);

	if (!beneath(p, dir) || !p[n])
		return NULL;
	return p + n + 1;
}

static bool exists(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0;
}

/* A directory no sandbox may get as a whole: /, $HOME, or one above it. */
static bool broad(const char *p, const char *home)
{
	return !strcmp(p, "/") || (home && beneath(home, p));
}

static bool in_credentials(const char *rel)
{
	for (size_t i = 0; i < sizeof(credentials) / sizeof(credentials[0]); i++)
		if (beneath(rel, credentials[i]))
			return true;
	return false;
}

static const char *secret_under(const char *path, const char *home, bool whole)
{
	const char *rel = beneath(path, home) ? below(path, home) : NULL;
	size_t n = sizeof(credentials) / sizeof(credentials[0]);

	if (rel && in_credentials(rel)) {
		for (size_t i = 0; i < n; i++)
			if (beneath(rel, credentials[i]))
				return credentials[i];
	}
	if (!whole)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		char c[PATH_MAX];

		if (snprintf(c, sizeof(c), "%s/%s", home, credentials[i]) < (int)sizeof(c) && beneath(c, path))
			return credentials[i];
	}
	return NULL;
}

const char *sbx_spawn_secret(const char *path, const char *home, bool whole)
{
	char real[PATH_MAX];
	const char *s;

	if (!path || path[0] != '/' || !home || home[0] != '/')
		return NULL;
	s = secret_under(path, home, whole);
	if (!s && realpath(home, real) && strcmp(real, home))
		s = secret_under(path, real, whole);
	return s;
}

static int add_bind(struct sbx_home_out *o, struct sbx_arena *a, const char *path, bool writable)
{
	/* Beneath a bind made already (a toolchain bound whole, then its
	 * $PATH entries): shown by that one. */
	for (size_t i = 0; i < o->nbinds; i++)
		if (beneath(path, o->binds[i].path) && (writable == o->binds[i].writable))
			return 0;
	if (o->nbinds == SBX_HOME_MAX_BINDS || !exists(path))
		return 0;
	o->binds[o->nbinds].path = sbx_arena_strdup(a, path);
	o->binds[o->nbinds].writable = writable;
	return o->binds[o->nbinds++].path ? 0 : -ENOMEM;
}

/* home + "/" + rel, bound unless it lies in a credential directory, by
 * its name or, through a symbolic link, by what it resolves to. */
static int add_home_bind(struct sbx_home_out *o, struct sbx_arena *a, const char *home,
			 const char *rel)
{
	char path[PATH_MAX], real[PATH_MAX];
	const char *rrel;

	if (in_credentials(rel) || snprintf(path, sizeof(path), "%s/%s", home, rel) >= (int)sizeof(path))
		return 0;
	/* Shown already (add_bind would say so after resolving it): $PATH
	 * often names a toolchain's bin more than once. */
	for (size_t i = 0; i < o->nbinds; i++)
		if (beneath(path, o->binds[i].path) && !o->binds[i].writable)
			return 0;
	/* o->rhome: the home resolved (toolchains()). */
	if (realpath(path, real) && (rrel = below(real, o->rhome)) && in_credentials(rrel))
		return 0;
	return add_bind(o, a, path, false);
}

static int add_hide(struct sbx_home_out *o, struct sbx_arena *a, const char *path)
{
	for (size_t i = 0; i < o->nhides; i++)
		if (!strcmp(o->hides[i], path))
			return 0;
	if (o->nhides == SBX_HOME_MAX_HIDES)
		return 0;
	o->hides[o->nhides] = sbx_arena_strdup(a, path);
	return o->hides[o->nhides++] ? 0 : -ENOMEM;
}

static int add_grant(struct sbx_home_out *o, struct sbx_arena *a, const char *path, bool r, bool w,
		     bool x, const char *why)
{
	if (o->ngrants == SBX_HOME_MAX_GRANTS)
		return 0;
	o->grants[o->ngrants] = (struct sbx_spawn_grant){
		.path = sbx_arena_strdup(a, path), .read = r, .write = w, .exec = x, .why = why,
	};
	return o->grants[o->ngrants++].path ? 0 : -ENOMEM;
}

/* One $PATH entry, `rel` below $HOME. */
static int path_entry(struct sbx_home_out *o, struct sbx_arena *a, const char *home,
		      const char *rel)
{
	char npmrc[PATH_MAX];
	size_t n = strlen(rel);
	int rc = 0;

	if (in_credentials(rel))
		return 0;
	/* npm's global configuration (registry tokens) beside a node's bin
	 * (nvm and volta keep one per node). */
	if (n > 4 && !strcmp(rel + n - 4, "/bin") &&
	    snprintf(npmrc, sizeof(npmrc), "%s/%.*s/etc/npmrc", home, (int)(n - 4), rel) <
		    (int)sizeof(npmrc))
		rc = add_hide(o, a, npmrc);
	for (size_t i = 0; !rc && i < sizeof(known) / sizeof(known[0]); i++) {
		if (!beneath(rel, known[i].root))
			continue;
		for (const char *const *b = known[i].binds; !rc && *b; b++)
			rc = add_home_bind(o, a, home, *b);
		break;
	}
	/* The entry itself (already there when its toolchain is bound whole). */
	return rc ? rc : add_home_bind(o, a, home, rel);
}

static int toolchains(const struct sbx_spawn_ctx *ctx, struct sbx_arena *a, struct sbx_home_out *o)
{
	const char *home = ctx->home;
	char real[PATH_MAX], path[PATH_MAX];
	bool has_real = realpath(home, real) && strcmp(real, home);
	int rc = 0;

	o->rhome = sbx_arena_strdup(a, has_real ? real : home);
	if (!o->rhome)
		return -ENOMEM;

	for (const char *s = ctx->path ? ctx->path : ""; !rc && *s;) {
		const char *e = strchr(s, ':');
		size_t n = e ? (size_t)(e - s) : strlen(s);
		const char *rel;

		if (n && n < sizeof(path)) {
			memcpy(path, s, n);
			path[n] = '\0';
			while (n > 1 && path[n - 1] == '/')
				path[--n] = '\0';
			/* A $PATH that names the home by its resolved name. */
			rel = below(path, home);
			if (!rel && has_real)
				rel = below(path, real);
			if (rel && !strstr(rel, "/../") && strncmp(rel, "../", 3) && strcmp(rel, ".."))
				rc = path_entry(o, a, home, rel);
		}
		s += n + (e ? 1 : 0);
	}
	/* git's own configuration, read-only; its credential store hidden. */
	if (!rc)
		rc = add_home_bind(o, a, home, ".gitconfig");
	if (!rc)
		rc = add_home_bind(o, a, home, ".config/git");
	for (size_t i = 0; !rc && i < sizeof(credentials) / sizeof(credentials[0]); i++)
		if (snprintf(path, sizeof(path), "%s/%s", home, credentials[i]) < (int)sizeof(path))
			rc = add_hide(o, a, path);
	return rc;
}

/* The text of a small file, trimmed at the first newline, or NULL. */
static char *read_line(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	ssize_t n;

	if (fd < 0)
		return NULL;
	n = read(fd, buf, cap - 1);
	close(fd);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	return buf;
}

/* `rel` resolved against `dir` (when relative), then realpath'ed into out. */
static bool resolve_from(const char *dir, const char *rel, char *out)
{
	char tmp[2 * PATH_MAX];

	if (rel[0] == '/')
		snprintf(tmp, sizeof(tmp), "%s", rel);
	else if (snprintf(tmp, sizeof(tmp), "%s/%s", dir, rel) >= (int)sizeof(tmp))
		return false;
	return realpath(tmp, out) != NULL;
}

/* A git directory outside the working directory: writable, bound when a
 * hidden directory covers it; its hooks executable (read-only by protect). */
static int git_dir(const struct sbx_spawn_ctx *ctx, struct sbx_arena *a, struct sbx_home_out *o,
		   const char *gd)
{
	char hooks[PATH_MAX];
	int rc;

	if (beneath(gd, ctx->cwd) || broad(gd, ctx->home))
		return 0;
	rc = add_bind(o, a, gd, true);
	if (!rc)
		rc = add_grant(o, a, gd, true, true, false, "git");
	if (!rc && snprintf(hooks, sizeof(hooks), "%s/hooks", gd) < (int)sizeof(hooks))
		rc = add_grant(o, a, hooks, true, false, true, "git");
	return rc;
}

static int repository(const struct sbx_spawn_ctx *ctx, bool home_private, struct sbx_arena *a,
		      struct sbx_home_out *o)
{
	char top[PATH_MAX], dotgit[PATH_MAX + 8], line[PATH_MAX], gd[PATH_MAX], common[PATH_MAX];
	struct stat st;
	bool found = false;
	int rc = 0;

	if (strlen(ctx->cwd) >= sizeof(top))
		return 0;
	strcpy(top, ctx->cwd);
	for (;;) {
		snprintf(dotgit, sizeof(dotgit), "%s%s.git", top, strcmp(top, "/") ? "/" : "");
		if (lstat(dotgit, &st) == 0 && (S_ISDIR(st.st_mode) || S_ISREG(st.st_mode))) {
			found = true;
			break;
		}
		char *slash = strrchr(top, '/');
		if (!slash || slash == top)
			break;
		*slash = '\0';
	}
	if (!found || broad(top, ctx->home))
		return 0;
	if (strcmp(top, ctx->cwd)) {
		const char *hidden[] = { "/tmp", ctx->tmpdir, home_private ? ctx->home : NULL };
		bool covered = false;

		for (size_t i = 0; i < 3; i++)
			covered |= hidden[i] && beneath(top, hidden[i]) && strcmp(top, hidden[i]);
		if (covered)
			rc = add_bind(o, a, top, false);
		if (!rc)
			rc = add_grant(o, a, top, true, false, false, "git");
	}
	if (rc)
		return rc;
	if (S_ISDIR(st.st_mode))
		return git_dir(ctx, a, o, dotgit);
	/* A worktree: `.git` names its git directory, whose `commondir`
	 * names the repository's (objects, refs: written by a commit too). */
	if (!read_line(dotgit, line, sizeof(line)) || strncmp(line, "gitdir: ", 8) ||
	    !resolve_from(top, line + 8, gd))
		return 0;
	if (snprintf(dotgit, sizeof(dotgit), "%s/commondir", gd) < (int)sizeof(dotgit) &&
	    read_line(dotgit, line, sizeof(line)) && resolve_from(gd, line, common)) {
		rc = git_dir(ctx, a, o, common);
		if (!rc && !beneath(gd, common))
			rc = git_dir(ctx, a, o, gd);
	} else {
		rc = git_dir(ctx, a, o, gd);
	}
	/* The worktree's own config (extensions.worktreeConfig) is config. */
	if (!rc && o->nprotects < 4 && snprintf(line, sizeof(line), "%s/config.worktree", gd) <
						 (int)sizeof(line))
		rc = (o->protects[o->nprotects++] = sbx_arena_strdup(a, line)) ? 0 : -ENOMEM;
	return rc;
}

int sbx_spawn_home_plan(const struct sbx_policy *p, const struct sbx_spawn_ctx *ctx,
			bool home_private, struct sbx_arena *a, struct sbx_home_out *out)
{
	bool home = home_private && ctx->home && ctx->home[0] == '/' && ctx->home[1] &&
		    (p->home == SBX_HOME_PRIVATE || p->home == SBX_HOME_TOOLCHAINS);
	int rc = 0;

	if (home)
		rc = add_grant(out, a, ctx->home, true, true, true, "home");
	if (!rc && home && p->home == SBX_HOME_TOOLCHAINS)
		rc = toolchains(ctx, a, out);
	if (!rc && p->git == 1)
		rc = repository(ctx, home_private, a, out);
	return rc;
}
