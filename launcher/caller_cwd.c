/*
 * The working directory as the caller named it, for the launcher's entry
 * (main.c) and the `sbx` command's (cli_main.c) alike.
 */
#include "launcher.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The working directory as the caller named it (--cwd, which must be where
 * we are: sbx.spawn passes what it chdir'ed to, links and all), else the
 * kernel's, or $PWD when that is the same directory (the shell's name for
 * it: `cd sub` through a link). paths.c walks it. */
void ln_caller_cwd(struct ln_ctx *c, const char *named_cwd, char cwd[])
{
	struct sbx_error err;
	struct stat here, named;
	const char *pwd = getenv("PWD");
	if (!getcwd(cwd, PATH_MAX) || stat(".", &here)) {
		sbx_error_sys(&err, errno, "getcwd", NULL, "%s", strerror(errno));
		ln_fail(c, "cwd", &err);
	}
	if (!named_cwd && pwd && pwd[0] == '/' && strcmp(pwd, cwd))
		named_cwd = pwd;
	if (named_cwd && (named_cwd[0] != '/' || strlen(named_cwd) >= PATH_MAX ||
			  stat(named_cwd, &named) || named.st_dev != here.st_dev ||
			  named.st_ino != here.st_ino)) {
		if (named_cwd != pwd) {
			sbx_error_set(&err, SBX_EPATH, ENOENT, "/cwd",
				      "--cwd %s is not the launcher's working directory", named_cwd);
			ln_fail(c, "cwd", &err);
		}
		named_cwd = NULL;
	}
	if (named_cwd)
		strcpy(cwd, named_cwd);
}
