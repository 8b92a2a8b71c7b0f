/*
 * libFuzzer target for the spawn door's policy channel: the bytes the
 * launcher reads on its policy fd, through the launcher's own code
 * (launcher/channel.c: ln_channel_read from an fd, ln_channel_load with the
 * launcher's size limit), then sbx_spawn_plan_build with a fixed context, as
 * launcher/main.c does before any namespace or mount system call.
 *
 * Invariants: a failure carries a code and a one-line message with a
 * well-formed pointer and no plan; text with a NUL byte never loads (nothing
 * may be cut short); a plan's mounts all have an absolute target (and a bind
 * or overlay an absolute source), no two share a target, and they are sorted
 * parents first (by depth of the target); environment names are non-empty
 * and hold no '='; the working directory is absolute.
 *
 * Differences from the launcher, so that the fuzzer never opens host files
 * (e.g. /proc/kmsg, which blocks): SBX_POLICY_NO_FILES is added to the
 * launcher's flags (no `extends`/`import` of files; presets still load),
 * and a channel text naming a file (a source with '/' or ending in ".json")
 * is read but not loaded. Path existence checks stay on, as in the launcher.
 */
#include "channel.h"
#include "sbx_spawn.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz_require.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);

static const struct sbx_spawn_ctx CTX = { .cwd = "/tmp", .home = "/root", .tmpdir = "/tmp" };

static void check_error(int rc, const struct sbx_error *err)
{
	REQUIRE(rc < 0);
	REQUIRE(err->code > SBX_OK && err->code < SBX_ECODE_COUNT);
	REQUIRE(memchr(err->message, '\0', sizeof(err->message)) != NULL);
	REQUIRE(err->message[0] != '\0');
	REQUIRE(!strchr(err->message, '\n'));
	REQUIRE(memchr(err->pointer, '\0', sizeof(err->pointer)) != NULL);
	REQUIRE(err->pointer[0] == '\0' || err->pointer[0] == '/');
}

/* An fd holding exactly these bytes, read to end-of-file as the channel is. */
static int fd_with(const void *data, size_t size)
{
	int fd = memfd_create("sbx-fuzz-channel", MFD_CLOEXEC);
	REQUIRE(fd >= 0);
	for (size_t off = 0; off < size;) {
		ssize_t w = write(fd, (const char *)data + off, size - off);
		REQUIRE(w > 0);
		off += (size_t)w;
	}
	REQUIRE(lseek(fd, 0, SEEK_SET) == 0);
	return fd;
}

static size_t depth(const char *path)
{
	size_t n = 0;
	for (const char *s = path; *s; s++)
		if (*s == '/' && s[1])
			n++;
	return n;
}

static void check_plan(const struct sbx_spawn_plan *pl)
{
	REQUIRE(pl->nmounts == 0 || pl->mounts != NULL);
	for (size_t i = 0; i < pl->nmounts; i++) {
		const struct sbx_spawn_mount *m = &pl->mounts[i];
		REQUIRE(m->type >= SBX_SPAWN_BIND && m->type <= SBX_SPAWN_OVERLAY);
		REQUIRE(m->target && m->target[0] == '/');
		if (m->type == SBX_SPAWN_BIND || m->type == SBX_SPAWN_OVERLAY)
			REQUIRE(m->source && m->source[0] == '/');
		if (m->upper)
			REQUIRE(m->upper[0] == '/');
		REQUIRE(!m->pointer || m->pointer[0] == '/');
		if (i > 0)
			REQUIRE(depth(pl->mounts[i - 1].target) <= depth(m->target));
		for (size_t j = 0; j < i; j++)
			REQUIRE(strcmp(pl->mounts[j].target, m->target) != 0);
	}
	REQUIRE(pl->nkeep == 0 || pl->env_keep != NULL);
	for (size_t i = 0; i < pl->nkeep; i++)
		REQUIRE(pl->env_keep[i] != NULL);
	REQUIRE(pl->nset == 0 || pl->env_set != NULL);
	for (size_t i = 0; i < pl->nset; i++) {
		const struct sbx_spawn_env_set *e = &pl->env_set[i];
		REQUIRE(e->name && e->value);
		REQUIRE(e->name[0] != '\0' && !strchr(e->name, '='));
	}
	REQUIRE(pl->hostname != NULL);
	REQUIRE(pl->cwd && pl->cwd[0] == '/');
	REQUIRE(pl->root != SBX_SPAWN_ROOT_DIR || (pl->root_dir && pl->root_dir[0] == '/'));
}

/* The 4 MiB limit of the channel, once: exactly the limit reads, one byte
 * more is SBX_ETOOBIG (inputs that large are beyond libFuzzer's lengths). */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	char *big = malloc(LN_POLICY_MAX + 1);
	REQUIRE(big);
	memset(big, ' ', LN_POLICY_MAX + 1);
	struct sbx_error err;
	char *text = NULL;
	size_t len = 0;
	int fd = fd_with(big, LN_POLICY_MAX);
	REQUIRE(ln_channel_read(fd, &text, &len, &err) == 0 && len == LN_POLICY_MAX);
	REQUIRE(text[len] == '\0');
	free(text);
	close(fd);
	fd = fd_with(big, LN_POLICY_MAX + 1);
	int rc = ln_channel_read(fd, &text, &len, &err);
	check_error(rc, &err);
	REQUIRE(err.code == SBX_ETOOBIG && text == NULL);
	close(fd);
	free(big);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sbx_error err;
	char *text = NULL;
	size_t len = 0;
	int fd = fd_with(data, size);
	int rc = ln_channel_read(fd, &text, &len, &err);
	close(fd);
	REQUIRE(rc == 0);       /* the input is far below the limit */
	REQUIRE(len == size && text[len] == '\0' && (!size || !memcmp(text, data, size)));

	const char *s;
	if (ln_channel_kind(text, len, &s) == LN_CHANNEL_SOURCE && !memchr(text, '\0', len)) {
		size_t n = strlen(s);
		if (strchr(s, '/') || (n >= 5 && !strcmp(s + n - 5, ".json"))) {
			free(text);     /* a file path: not opened here (see above) */
			return 0;
		}
	}

	struct sbx_policy_load_opts opts = {
		.cwd = CTX.cwd, .home = CTX.home, .tmpdir = CTX.tmpdir,
		.flags = SBX_POLICY_NO_FILES, .max_bytes = LN_POLICY_MAX,
	};
	struct sbx_policy *p = NULL;
	rc = ln_channel_load(text, len, &opts, &p, &err);
	bool has_nul = memchr(text, '\0', len) != NULL;
	free(text);
	if (rc) {
		REQUIRE(p == NULL);
		check_error(rc, &err);
		return 0;
	}
	REQUIRE(p != NULL);
	REQUIRE(!has_nul);      /* nothing cut short at a NUL ever loads */

	struct sbx_spawn_plan *plan = NULL;
	rc = sbx_spawn_plan_build(p, &CTX, &plan, &err);
	if (rc) {
		REQUIRE(plan == NULL);
		check_error(rc, &err);
	} else {
		REQUIRE(plan != NULL);
		check_plan(plan);
		sbx_spawn_plan_free(plan);
	}
	sbx_policy_free(p);
	return 0;
}
