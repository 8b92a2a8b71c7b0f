/*
 * Docker's action names (SCMP_ACT_*), both ways: docker_import.c reads them,
 * notes (docker_import_merge.c) write them.
 */
#include "docker_import_int.h"

#include <stdio.h>

const struct sbx_docker_action sbx_docker_actions[SBX_DOCKER_NACTIONS] = {
	{ "SCMP_ACT_KILL", SBX_ACT_KILL_THREAD },   /* libseccomp: KILL == KILL_THREAD */
	{ "SCMP_ACT_KILL_THREAD", SBX_ACT_KILL_THREAD },
	{ "SCMP_ACT_KILL_PROCESS", SBX_ACT_KILL_PROCESS },
	{ "SCMP_ACT_TRAP", SBX_ACT_TRAP },
	{ "SCMP_ACT_ERRNO", SBX_ACT_ERRNO },
	{ "SCMP_ACT_TRACE", SBX_ACT_TRACE },
	{ "SCMP_ACT_ALLOW", SBX_ACT_ALLOW },
	{ "SCMP_ACT_LOG", SBX_ACT_LOG },
	{ "SCMP_ACT_NOTIFY", SBX_ACT_NOTIFY },
};

void sbx_docker_action_name(struct sbx_action a, char *buf, size_t cap)
{
	const char *name = "?";

	for (size_t i = 1; i < SBX_DOCKER_NACTIONS; i++)
		if (sbx_docker_actions[i].kind == a.kind)
			name = sbx_docker_actions[i].name;
	if (a.kind == SBX_ACT_ERRNO || a.kind == SBX_ACT_TRACE)
		snprintf(buf, cap, "%s(%u)", name, a.data);
	else
		snprintf(buf, cap, "%s", name);
}
