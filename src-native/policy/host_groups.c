/*
 * Named groups of net.hosts patterns (host_groups.h; docs/network.md,
 * "Named groups"): "@npm" in net.hosts or --allow-host stands for the hosts
 * a common tool needs, read from that tool's own configuration when the
 * policy is loaded, so that the sandbox allows what the tool will ask for.
 *
 *   @npm   the registries npm uses: `registry` (what `npm config get
 *          registry` prints) and every scoped `@scope:registry`, as npm
 *          reads them: the npm_config_* environment, the project's .npmrc
 *          (the nearest directory above the working directory with a
 *          package.json or node_modules, else the working directory), the
 *          user's ($NPM_CONFIG_USERCONFIG or ~/.npmrc), the global one
 *          ($NPM_CONFIG_GLOBALCONFIG, or etc/npmrc under $NPM_CONFIG_PREFIX,
 *          /usr/local or /usr); first found wins for `registry`, default
 *          https://registry.npmjs.org/. Each becomes HOST:PORT (the URL's
 *          port, else 443 for https and 80 for http).
 */
#include "host_groups.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define NPM_DEFAULT "https://registry.npmjs.org/"
#define LINE_MAX_NPMRC 4096

struct acc {
	char (*out)[SBX_HOST_GROUP_TEXT];
	size_t max, n;
	char *why;
	size_t whylen;
};

/* ${NAME} replaced by the environment's value (npm does so in .npmrc). */
static void expand_env(const char *in, char *out, size_t outlen)
{
	size_t o = 0;

	while (*in && o + 1 < outlen) {
		const char *end;
		if (in[0] == '$' && in[1] == '{' && (end = strchr(in + 2, '}'))) {
			char name[128];
			size_t l = (size_t)(end - in - 2);
			if (l < sizeof(name)) {
				memcpy(name, in + 2, l);
				name[l] = 0;
				const char *v = getenv(name);
				for (; v && *v && o + 1 < outlen; v++)
					out[o++] = *v;
			}
			in = end + 1;
			continue;
		}
		out[o++] = *in++;
	}
	out[o] = 0;
}

/* A registry URL as a pattern: HOST:PORT. 0, or -1 with why. */
static int url_pattern(const char *url, const char *from, struct acc *a)
{
	const char *p = url, *end;
	unsigned port;
	char host[300];

	if (!strncasecmp(p, "https://", 8)) {
		port = 443;
		p += 8;
	} else if (!strncasecmp(p, "http://", 7)) {
		port = 80;
		p += 7;
	} else {
		snprintf(a->why, a->whylen, "the registry npm would use (\"%.200s\", from %.200s) is not "
			 "an http:// or https:// URL", url, from);
		return -1;
	}
	if ((end = strchr(p, '@')) && end < p + strcspn(p, "/"))
		p = end + 1;                     /* user:password@ */
	size_t hl = strcspn(p, "/?#");
	if (!hl || hl >= sizeof(host)) {
		snprintf(a->why, a->whylen, "the registry URL \"%.200s\" (from %.200s) has no host",
			 url, from);
		return -1;
	}
	memcpy(host, p, hl);
	host[hl] = 0;
	char *colon = host[0] == '[' ? strstr(host, "]:") : strrchr(host, ':');
	if (colon) {
		char *port_at = colon + (host[0] == '[' ? 2 : 1);
		char *e;
		unsigned long v = strtoul(port_at, &e, 10);
		if (*e || !*port_at || v == 0 || v > 65535) {
			snprintf(a->why, a->whylen, "the registry URL \"%.200s\" (from %.200s) has a bad "
				 "port", url, from);
			return -1;
		}
		port = (unsigned)v;
		*(host[0] == '[' ? colon + 1 : colon) = 0;
	}
	for (char *c = host; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	char text[SBX_HOST_GROUP_TEXT];
	if (snprintf(text, sizeof(text), "%s:%u", host, port) >= (int)sizeof(text)) {
		snprintf(a->why, a->whylen, "the registry URL \"%.200s\" is too long", url);
		return -1;
	}
	for (size_t i = 0; i < a->n; i++)
		if (!strcmp(a->out[i], text))
			return 0;
	if (a->n >= a->max) {
		snprintf(a->why, a->whylen, "more than %zu registries in npm's configuration", a->max);
		return -1;
	}
	memcpy(a->out[a->n++], text, sizeof(text));
	return 0;
}

/* The registries of one .npmrc: `registry` into main (when not set yet),
 * `@scope:registry` added. 0, or -1 with why. */
static int read_npmrc(const char *file, char *main, size_t mainlen, char *main_from,
		      struct acc *a)
{
	FILE *f = fopen(file, "re");
	char line[LINE_MAX_NPMRC];
	int rc = 0;

	if (!f)
		return 0;
	while (!rc && fgets(line, sizeof(line), f)) {
		char *k = line, *eq, *v, *e;
		while (isspace((unsigned char)*k))
			k++;
		if (*k == ';' || *k == '#' || !(eq = strchr(k, '=')))
			continue;
		for (e = eq; e > k && isspace((unsigned char)e[-1]); e--)
			;
		*e = 0;
		for (v = eq + 1; isspace((unsigned char)*v); v++)
			;
		for (e = v + strlen(v); e > v && isspace((unsigned char)e[-1]); e--)
			;
		*e = 0;
		if (e - v >= 2 && (*v == '"' || *v == '\'') && e[-1] == *v) {
			v++;
			e[-1] = 0;
		}
		char url[LINE_MAX_NPMRC];
		expand_env(v, url, sizeof(url));
		size_t kl = strlen(k);
		if (!strcmp(k, "registry")) {
			if (!main[0]) {
				snprintf(main, mainlen, "%s", url);
				snprintf(main_from, 256, "%.250s", file);
			}
		} else if (k[0] == '@' && kl > 9 && !strcmp(k + kl - 9, ":registry")) {
			rc = url_pattern(url, file, a);
		}
	}
	fclose(f);
	return rc;
}

static bool is_dir_with(const char *dir, const char *name)
{
	char p[4096];
	struct stat st;
	return snprintf(p, sizeof(p), "%s/%s", dir, name) < (int)sizeof(p) && stat(p, &st) == 0;
}

/* npm's localPrefix: the nearest directory from cwd up with a package.json
 * or node_modules; cwd when there is none. */
static void project_dir(const char *cwd, char *out, size_t len)
{
	char d[4096];

	snprintf(out, len, "%s", cwd);
	if (snprintf(d, sizeof(d), "%s", cwd) >= (int)sizeof(d))
		return;
	for (;;) {
		if (is_dir_with(d, "package.json") || is_dir_with(d, "node_modules")) {
			snprintf(out, len, "%s", d);
			return;
		}
		char *slash = strrchr(d, '/');
		if (!slash || slash == d)
			return;
		*slash = 0;
	}
}

static const char *env2(const char *lower, const char *upper)
{
	const char *v = getenv(lower);
	return v && *v ? v : (v = getenv(upper)) && *v ? v : NULL;
}

static int group_npm(const char *cwd, const char *home, struct acc *a)
{
	char main[LINE_MAX_NPMRC] = "", from[256] = "", file[4096], dir[4096];
	const char *v;
	int rc = 0;

	if ((v = env2("npm_config_registry", "NPM_CONFIG_REGISTRY"))) {
		snprintf(main, sizeof(main), "%s", v);
		snprintf(from, sizeof(from), "$npm_config_registry");
	}
	if (cwd) {
		project_dir(cwd, dir, sizeof(dir));
		if (snprintf(file, sizeof(file), "%s/.npmrc", dir) < (int)sizeof(file))
			rc = read_npmrc(file, main, sizeof(main), from, a);
	}
	if (!rc && (v = env2("npm_config_userconfig", "NPM_CONFIG_USERCONFIG")))
		rc = read_npmrc(v, main, sizeof(main), from, a);
	else if (!rc && home && snprintf(file, sizeof(file), "%s/.npmrc", home) < (int)sizeof(file))
		rc = read_npmrc(file, main, sizeof(main), from, a);
	if (!rc && (v = env2("npm_config_globalconfig", "NPM_CONFIG_GLOBALCONFIG"))) {
		rc = read_npmrc(v, main, sizeof(main), from, a);
	} else if (!rc) {
		const char *prefix = env2("npm_config_prefix", "NPM_CONFIG_PREFIX");
		const char *const prefixes[] = { prefix, "/usr/local", "/usr" };
		for (size_t i = 0; i < 3 && !rc; i++) {
			if (!prefixes[i] ||
			    snprintf(file, sizeof(file), "%s/etc/npmrc", prefixes[i]) >= (int)sizeof(file))
				continue;
			if (access(file, R_OK) == 0) {
				rc = read_npmrc(file, main, sizeof(main), from, a);
				break;
			}
		}
	}
	if (rc)
		return rc;
	if (!main[0]) {
		snprintf(main, sizeof(main), NPM_DEFAULT);
		snprintf(from, sizeof(from), "npm's default");
	}
	return url_pattern(main, from, a);
}

static const struct {
	const char *name;
	int (*expand)(const char *cwd, const char *home, struct acc *a);
} groups[] = {
	{ "@npm", group_npm },
};

int sbx_host_group_expand(const char *name, const char *cwd, const char *home,
			  char (*out)[SBX_HOST_GROUP_TEXT], size_t max, char *why, size_t whylen)
{
	struct acc a = { out, max, 0, why, whylen };

	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
		if (strcmp(groups[i].name, name))
			continue;
		if (groups[i].expand(cwd, home, &a))
			return -1;
		return (int)a.n;
	}
	size_t o = (size_t)snprintf(why, whylen, "unknown host group \"%.64s\" (known:", name);
	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]) && o < whylen; i++)
		o += (size_t)snprintf(why + o, whylen - o, " %s", groups[i].name);
	if (o < whylen)
		snprintf(why + o, whylen - o, ")");
	return -1;
}
