/*
 * The one place that reads the environment for a policy's paths: $HOME and
 * $TMPDIR, as the load expands them (policy_source.c, and the preset fast
 * path, policy_fast.c, which must give the same policy) and as the spawn
 * door's plan hides them (launcher/launch.c).
 */
#include "policy.h"

#include <stdlib.h>

void sbx_policy_env_dirs(const struct sbx_policy_load_opts *opts, struct sbx_env_dirs *out)
{
	const char *env;

	/* A relative $HOME names nothing: unknown, so a policy that uses
	 * $HOME is refused rather than resolved against the cwd. */
	out->home = opts && opts->home ? opts->home : getenv("HOME");
	if (out->home && out->home[0] != '/')
		out->home = NULL;
	env = getenv("TMPDIR");
	out->tmpdir = opts && opts->tmpdir ? opts->tmpdir : (env && env[0] == '/' ? env : "/tmp");
}
