/* Capability name table (see caps.h). */
#include "caps.h"
#include "suggest.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

/* Characters, not pointers: no relocations in libsbx.so (preloaded into
 * every sandboxed process). CAP_CHECKPOINT_RESTORE takes 22 + 1. */
static const char cap_names[SBX_CAP_LAST + 1][24] = {
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER",
	"CAP_FSETID", "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP",
	"CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
	"CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER",
	"CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE",
	"CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
	"CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD",
	"CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP",
	"CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
	"CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
	"CAP_CHECKPOINT_RESTORE",
};

#define PREFIX_LEN 4 /* "CAP_" */

static const char *strip_prefix(const char *name)
{
	return strncasecmp(name, "CAP_", PREFIX_LEN) == 0 ? name + PREFIX_LEN : name;
}

int sbx_cap_from_name(const char *name)
{
	if (!name)
		return -ENOENT;
	name = strip_prefix(name);
	for (int i = 0; i <= SBX_CAP_LAST; i++)
		if (strcasecmp(name, cap_names[i] + PREFIX_LEN) == 0)
			return i;
	return -ENOENT;
}

const char *sbx_cap_name(int cap)
{
	return cap >= 0 && cap <= SBX_CAP_LAST ? cap_names[cap] : NULL;
}

const char *sbx_cap_suggest(const char *name)
{
	const char *bare[SBX_CAP_LAST + 1];
	const char *best;

	if (!name)
		return NULL;
	for (int i = 0; i <= SBX_CAP_LAST; i++)
		bare[i] = cap_names[i] + PREFIX_LEN;
	best = sbx_suggest(strip_prefix(name), bare, SBX_CAP_LAST + 1);
	return best ? best - PREFIX_LEN : NULL;
}
