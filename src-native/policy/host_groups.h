/*
 * Named groups of net.hosts patterns: "@npm" (host_groups.c). Expanded when
 * the policy is parsed, from the tool's own configuration.
 */
#ifndef SBX_HOST_GROUPS_H
#define SBX_HOST_GROUPS_H

#include "net_hosts.h"

#include <stddef.h>

#define SBX_HOST_GROUP_TEXT (SBX_HOST_NAME_MAX + 16)  /* "host:port" */
#define SBX_HOST_GROUP_MAX 16

/* The patterns `name` (with its '@') stands for, as texts
 * sbx_host_pattern_parse takes, into out[max]. Their count, or -1 with a
 * one-line reason in why (an unknown group: the known ones listed). cwd and
 * home may be NULL. */
int sbx_host_group_expand(const char *name, const char *cwd, const char *home,
			  char (*out)[SBX_HOST_GROUP_TEXT], size_t max, char *why, size_t whylen);

#endif /* SBX_HOST_GROUPS_H */
