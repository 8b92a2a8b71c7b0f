/*
 * `sbx-launcher --explain -- CMD`: the spawn plan the launcher would carry out
 * for this policy, here (cwd, $HOME, $TMPDIR), as one JSON object on stdout;
 * nothing is set up. `sbx run --explain` prints it next to the policy's
 * Landlock/seccomp summary (sbx.explain).
 */
#include "launcher.h"
#include "kernel_defs.h"

#include <sched.h>
#include <stdio.h>
#include <unistd.h>

static void str(const char *s)
{
	if (!s) {
		fputs("null", stdout);
		return;
	}
	fputc('"', stdout);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			printf("\\%c", ch);
		else if (ch < 0x20)
			printf("\\u%04x", ch);
		else
			fputc(ch, stdout);
	}
	fputc('"', stdout);
}

static const char *root_name(int root)
{
	switch (root) {
	case SBX_SPAWN_ROOT_HOST: return "host";
	case SBX_SPAWN_ROOT_EMPTY: return "empty";
	case SBX_SPAWN_ROOT_DIR: return "dir";
	default: return "host-readonly";
	}
}

void ln_explain(const struct sbx_spawn_plan *plan, bool report)
{
	static const struct {
		unsigned long flag;
		const char *name;
	} ns[] = {
		{ CLONE_NEWUSER, "user" }, { CLONE_NEWPID, "pid" }, { CLONE_NEWNET, "net" },
		{ CLONE_NEWNS, "mount" }, { CLONE_NEWIPC, "ipc" }, { CLONE_NEWUTS, "uts" },
		{ CLONE_NEWCGROUP, "cgroup" }, { CLONE_NEWTIME, "time" },
	};
	bool first = true;

	fputs("{\"namespaces\":[", stdout);
	for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
		if (!(plan->ns_flags & ns[i].flag))
			continue;
		printf("%s\"%s\"", first ? "" : ",", ns[i].name);
		first = false;
	}
	printf("],\"namespacesCompat\":\"%s\",\"uid\":%lld,\"gid\":%lld,\"root\":\"%s\",\"rootDir\":",
	       plan->ns_best_effort ? "best-effort" : "enforce", (long long)plan->uid,
	       (long long)plan->gid, root_name(plan->root));
	str(plan->root_dir);
	fputs(",\"mounts\":[", stdout);
	for (size_t i = 0; i < plan->nmounts; i++) {
		const struct sbx_spawn_mount *m = &plan->mounts[i];
		printf("%s{\"type\":\"%s\",\"target\":", i ? "," : "", sbx_spawn_mount_type_name(m->type));
		str(m->target);
		fputs(",\"source\":", stdout);
		str(m->source);
		printf(",\"writable\":%s,\"optional\":%s,\"default\":%s,\"size\":%llu,\"upper\":",
		       m->writable ? "true" : "false", m->optional ? "true" : "false",
		       m->is_default ? "true" : "false", (unsigned long long)m->size);
		str(m->upper);
		fputs(",\"pointer\":", stdout);
		str(m->pointer);
		fputc('}', stdout);
	}
	fputs("],\"protect\":[", stdout);
	for (size_t i = 0; i < plan->nprotect; i++) {
		const struct sbx_spawn_protect *e = &plan->protect[i];
		printf("%s{\"path\":", i ? "," : "");
		str(e->path);
		fputs(",\"host\":", stdout);
		str(e->host);
		printf(",\"hide\":%s,\"optional\":%s,\"implicit\":%s,\"pointer\":",
		       e->hide ? "true" : "false", e->optional ? "true" : "false",
		       e->implicit ? "true" : "false");
		str(e->pointer);
		fputc('}', stdout);
	}
	printf("],\"allowBroadCwd\":%s,\"followSymlinks\":%s",
	       plan->allow_broad_cwd ? "true" : "false", plan->follow_symlinks ? "true" : "false");
	printf(",\"env\":{\"clear\":%s,\"keep\":[", plan->env_clear ? "true" : "false");
	for (size_t i = 0; i < plan->nkeep; i++) {
		if (i)
			fputc(',', stdout);
		str(plan->env_keep[i]);
	}
	fputs("],\"set\":{", stdout);
	for (size_t i = 0; i < plan->nset; i++) {
		if (i)
			fputc(',', stdout);
		str(plan->env_set[i].name);
		fputc(':', stdout);
		str(plan->env_set[i].value);
	}
	fputs("}},\"hostname\":", stdout);
	str(plan->hostname);
	fputs(",\"cwd\":", stdout);
	str(plan->cwd);
	printf(",\"newSession\":%s,\"dieWithParent\":%s,\"limitsAsked\":%s,\"report\":%s}\n",
	       plan->new_session ? "true" : "false", plan->die_with_parent ? "true" : "false",
	       plan->limits_asked ? "true" : "false", report ? "true" : "false");
	fflush(stdout);
	_exit(0);
}
