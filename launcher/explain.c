/*
 * `sbx-launcher --explain -- CMD`: the spawn plan the launcher would carry out
 * for this policy, here (cwd, $HOME, $TMPDIR), as one JSON object on stdout;
 * nothing is set up. `sbx run --explain` prints it next to the policy's
 * Landlock/seccomp summary (sbx.explain).
 */
#include "launcher.h"
#include "kernel_defs.h"
#include "report_calls.h"

#include <sched.h>
#include <inttypes.h>
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
	fputs("],\"grants\":[", stdout);
	for (size_t i = 0; i < plan->ngrants; i++) {
		const struct sbx_spawn_grant *g = &plan->grants[i];
		printf("%s{\"path\":", i ? "," : "");
		str(g->path);
		printf(",\"read\":%s,\"write\":%s,\"exec\":%s,\"why\":", g->read ? "true" : "false",
		       g->write ? "true" : "false", g->exec ? "true" : "false");
		str(g->why);
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
	printf(",\"newSession\":%s,\"dieWithParent\":%s,\"limitsAsked\":%s,\"limits\":{",
	       plan->new_session ? "true" : "false", plan->die_with_parent ? "true" : "false",
	       plan->limits_asked ? "true" : "false");
	/* As the launcher will ask for them: a memory share already in bytes;
	 * the mechanism is chosen at launch (limits.c). */
	const struct sbx_spawn_limits *L = &plan->limits;
	const bool set[5] = { L->has_memory, L->has_pids, L->has_cpu, L->has_wall, L->has_cputime };
	static const char *const key[5] = { "memory", "pids", "cpuMilli", "wallMs", "cpuTimeMs" };
	const uint64_t val[5] = { L->memory, L->pids, L->cpu_milli, L->wall_ms, L->cputime_ms };
	bool lfirst = true;
	for (int k = 0; plan->limits_asked && k < 5; k++) {
		if (!set[k])
			continue;
		printf("%s\"%s\":{\"value\":%" PRIu64 ",\"bestEffort\":%s%s}", lfirst ? "" : ",", key[k],
		       val[k], plan->limits_best_effort[k] ? "true" : "false",
		       k == 0 && L->memory_cgroup_only ? ",\"cgroupOnly\":true" : "");
		lfirst = false;
	}
	printf("},\"report\":%s", report ? "true" : "false");
	if (report) {
		/* The calls the supervisor judges for file denials, and what it cannot see. */
		printf(",\"reportFs\":{\"calls\":[");
		for (size_t i = 0; i < sbx_report_fs_ncalls; i++) {
			fputs(i ? "," : "", stdout);
			str(sbx_report_fs_calls[i]);
		}
		printf("],\"unseen\":");
		str(sbx_report_fs_unseen);
		fputc('}', stdout);
	}
	printf("}\n");
	fflush(stdout);
	_exit(0);
}
