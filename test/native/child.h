/*
 * Confinement tests never confine the test process: each runs its body in a
 * forked child, which writes what it saw into a shared page that the parent
 * reads after the child exits. The child may first become an unprivileged
 * user (65534) when the test process is root.
 */
#ifndef SBX_TEST_CHILD_H
#define SBX_TEST_CHILD_H

#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHILD_NOBODY 65534
#define CHILD_MAXV 64

struct child_out {
	int n;                   /* values written                           */
	int v[CHILD_MAXV];       /* 0 / errno / whatever the body reports     */
	char msg[1024];          /* e.g. an sbx_error message                 */
	int status;              /* wait status, filled by the parent         */
};

/* The body records one value: v[n++] = x. */
static inline void child_put(struct child_out *o, int x)
{
	if (o->n < CHILD_MAXV)
		o->v[o->n++] = x;
}

/* 0 when the call succeeded, else errno: what the denied/allowed checks
 * compare. */
#define CHILD_ERRNO(expr) ((expr) < 0 ? errno : 0)

static inline bool child_is_root(void)
{
	return geteuid() == 0;
}

/* Run body(arg, out) in a child; as_nobody: become 65534 first (only
 * meaningful as root). Returns the shared result (munmap with child_free). */
static inline struct child_out *child_run(void (*body)(void *, struct child_out *),
					  void *arg, bool as_nobody)
{
	struct child_out *o = mmap(NULL, sizeof(*o), PROT_READ | PROT_WRITE,
				   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pid_t pid;

	if (o == MAP_FAILED)
		return NULL;
	memset(o, 0, sizeof(*o));
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		if (as_nobody && child_is_root()) {
			gid_t g = CHILD_NOBODY;
			if (setgroups(1, &g) || setresgid(g, g, g) ||
			    setresuid(CHILD_NOBODY, CHILD_NOBODY, CHILD_NOBODY))
				_exit(90);
		}
		body(arg, o);
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &o->status, 0) != pid)
		o->status = -1;
	return o;
}

static inline void child_free(struct child_out *o)
{
	if (o)
		munmap(o, sizeof(*o));
}

static inline bool child_ok(const struct child_out *o)
{
	return o && WIFEXITED(o->status) && WEXITSTATUS(o->status) == 0;
}

/* A "Name:\tvalue" field of /proc/self/status (or a task's), as hex or
 * decimal per `base`; -1 when missing. */
static inline long long child_status_field(const char *file, const char *name,
					   int base)
{
	char line[256];
	size_t n = strlen(name);
	long long v = -1;
	FILE *f = fopen(file, "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, name, n) == 0 && line[n] == ':') {
			v = strtoll(line + n + 1, NULL, base);
			break;
		}
	fclose(f);
	return v;
}

#endif
