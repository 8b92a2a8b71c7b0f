/*
 * What a policy source is: the one place that decides (the load,
 * policy_source.c; the launcher's channel and the spawn server's cache,
 * launcher/channel.c and server.c). lib/policy.ts sourceKind() is the same
 * rule for Node, tested against this one in test/launcher-wire.test.ts.
 */
#include "policy.h"

#include <string.h>

bool sbx_policy_names_file(const char *name)
{
	size_t n = strlen(name);

	return strchr(name, '/') || (n > 5 && !strcmp(name + n - 5, ".json"));
}

enum sbx_source_kind sbx_policy_source_kind(const char *text, size_t len, const char **start)
{
	size_t i = 0;

	while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r'))
		i++;
	if (start)
		*start = text + i;
	/* A NUL ends a name as it ends a C string: blank up to it is blank. */
	if (i == len || text[i] == '\0')
		return SBX_SOURCE_EMPTY;
	if (text[i] == '{')
		return SBX_SOURCE_INLINE;
	/* A name or path is a C string: up to the first NUL, if any. */
	const char *nul = memchr(text + i, '\0', len - i);
	size_t n = nul ? (size_t)(nul - (text + i)) : len - i;
	if (memchr(text + i, '/', n) || (n > 5 && !memcmp(text + i + n - 5, ".json", 5)))
		return SBX_SOURCE_FILE;
	return SBX_SOURCE_PRESET;
}
