/* The program's process: parent-death signal, file descriptors, session,
 * environment, and the execve with a PATH search like the shell's (126 for
 * "found but cannot execute", 127 for "not found"). */
#include "launcher.h"
#include "kernel_defs.h"

#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

int ln_die_with_parent(pid_t parent, struct sbx_error *err)
{
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0))
		return sbx_error_sys(err, errno, "prctl", "/dieWithParent", "PR_SET_PDEATHSIG: %s",
				     strerror(errno));
	/* The parent may have died before the prctl: then nobody will send the
	 * signal. (getppid() is 0 when the parent is outside our pid
	 * namespace: callers pass parent = 0 to skip this check.) */
	if (parent > 0 && getppid() != parent)
		return sbx_error_set(err, SBX_ESYS, ESRCH, "/dieWithParent",
				     "the parent process is already gone");
	return 0;
}

static int close_span(unsigned lo, unsigned hi)
{
	if (lo > hi)
		return 0;
	if (syscall(__NR_close_range, lo, hi, 0) == 0)
		return 0;
	if (errno != ENOSYS)
		return errno;
	/* Before Linux 5.9: one by one up to the limit. */
	long max = sysconf(_SC_OPEN_MAX);
	for (long fd = lo; fd <= (long)hi && fd < (max > 0 ? max : 65536); fd++)
		close((int)fd);
	return 0;
}

int ln_close_fds(int keep_below, int also_keep, struct sbx_error *err)
{
	int e;
	if (also_keep >= keep_below) {
		e = close_span((unsigned)keep_below, (unsigned)also_keep - 1);
		if (!e)
			e = close_span((unsigned)also_keep + 1, ~0U);
	} else {
		e = close_span((unsigned)keep_below, ~0U);
	}
	if (e)
		return sbx_error_sys(err, e, "close_range", NULL, "closing inherited fds: %s",
				     strerror(e));
	return 0;
}

int ln_new_session(struct sbx_error *err)
{
	/* A new session has no controlling terminal: the program cannot push
	 * input into the caller's terminal with TIOCSTI. */
	if (setsid() < 0)
		return sbx_error_sys(err, errno, "setsid", "/session", "setsid: %s", strerror(errno));
	return 0;
}

static bool kept(const struct sbx_spawn_plan *plan, const char *entry)
{
	const char *eq = strchr(entry, '=');
	if (!eq)
		return false;
	size_t n = (size_t)(eq - entry);
	char name[256];
	if (n >= sizeof(name))
		return false;
	memcpy(name, entry, n);
	name[n] = '\0';
	for (size_t i = 0; i < plan->nkeep; i++)
		if (fnmatch(plan->env_keep[i], name, 0) == 0)
			return true;
	return false;
}

char **ln_build_env(const struct sbx_spawn_plan *plan, char **environ_in)
{
	size_t n = 0;
	while (environ_in && environ_in[n])
		n++;
	char **env = calloc(n + plan->nset + 1, sizeof(*env));
	if (!env)
		return NULL;
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		const char *eq = strchr(environ_in[i], '=');
		if (!eq || (plan->env_clear && !kept(plan, environ_in[i])))
			continue;
		bool overridden = false;
		for (size_t j = 0; j < plan->nset && !overridden; j++)
			overridden = strlen(plan->env_set[j].name) == (size_t)(eq - environ_in[i]) &&
				     !strncmp(plan->env_set[j].name, environ_in[i], (size_t)(eq - environ_in[i]));
		if (!overridden)
			env[k++] = environ_in[i];
	}
	/* env[0..first) borrow environ_in's strings; from here on they are ours. */
	size_t first = k;
	for (size_t j = 0; j < plan->nset; j++) {
		size_t len = strlen(plan->env_set[j].name) + strlen(plan->env_set[j].value) + 2;
		char *s = malloc(len);
		if (!s) {
			while (k > first)
				free(env[--k]);
			free(env);
			return NULL;
		}
		snprintf(s, len, "%s=%s", plan->env_set[j].name, plan->env_set[j].value);
		env[k++] = s;
	}
	env[k] = NULL;
	return env;
}

static const char *env_get(char **envp, const char *name)
{
	size_t n = strlen(name);
	for (size_t i = 0; envp[i]; i++)
		if (!strncmp(envp[i], name, n) && envp[i][n] == '=')
			return envp[i] + n + 1;
	return NULL;
}

static int exec_error(int e, const char *cmd, struct sbx_error *err)
{
	sbx_error_sys(err, e, "execve", NULL, "%s: %s", cmd, strerror(e));
	return e == ENOENT || e == ENOTDIR ? LN_EXIT_NOTFOUND : LN_EXIT_NOEXEC;
}

static int exec_search(const char *cmd, char *const args[], char **envp, struct sbx_error *err);

int ln_exec(char *const argv[], const char *argv0, char **envp, struct sbx_error *err)
{
	/* main.c refuses an empty command line; this keeps execve from ever
	 * getting a NULL path should another caller not. */
	if (!argv || !argv[0]) {
		sbx_error_set(err, SBX_EINVAL, EINVAL, NULL, "no command given");
		return LN_EXIT_NOTFOUND;
	}
	const char *cmd = argv[0];
	char *const *args = argv;
	char **with0 = NULL;
	if (argv0) {
		size_t n = 0;
		while (argv[n])
			n++;
		with0 = calloc(n + 1, sizeof(*with0));
		if (with0) {
			memcpy(with0, argv, n * sizeof(*with0));
			with0[0] = (char *)argv0;
			args = with0;
		}
	}
	/* Only failures return: the copy is ours to free (a successful execve
	 * replaces the whole image). */
	int code = exec_search(cmd, args, envp, err);
	free(with0);
	return code;
}

static int exec_search(const char *cmd, char *const args[], char **envp, struct sbx_error *err)
{
	if (strchr(cmd, '/')) {
		execve(cmd, args, envp);
		return exec_error(errno, cmd, err);
	}
	const char *path = env_get(envp, "PATH");
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	int seen = ENOENT;
	char full[PATH_MAX];
	for (const char *p = path;; p++) {
		const char *end = strchrnul(p, ':');
		size_t n = (size_t)(end - p);
		/* An empty entry is the working directory, as for the shell. */
		int w = n ? snprintf(full, sizeof(full), "%.*s/%s", (int)n, p, cmd)
			  : snprintf(full, sizeof(full), "%s", cmd);
		if (w > 0 && w < (int)sizeof(full)) {
			execve(full, args, envp);
			if (errno != ENOENT && errno != ENOTDIR)
				seen = errno;
			if (errno != ENOENT && errno != ENOTDIR && errno != EACCES)
				break;
		}
		p = end;
		if (!*p)
			break;
	}
	return exec_error(seen, cmd, err);
}
