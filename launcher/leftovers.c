/*
 * The cgroups of a launcher that died without removing them (the spawn
 * server's side, server.c). A launcher with limits makes sbx-<pid>-* cgroups
 * beside its own (limits.c) and removes them when its sandbox ends; killed
 * with SIGKILL mid-setup or mid-run, it cannot, and sbx_cgroup_sweep() only
 * takes them once they are empty and old. The server is the launcher's
 * parent: when it reaps one that died of a signal, it names that launcher's
 * cgroups at once (the random suffix makes them its own, even after the pid
 * is reused), kills what is still in them and removes them as soon as the
 * kernel lets it, for a few seconds at most.
 */
#include "launcher.h"
#include "sbx_cgroup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LEFT_MAX 64
#define LEFT_GIVE_UP_MS 5000
#define LEFT_RETRY_MS 20

/* v2, then the v1 hierarchies limits.c uses */
static const char *const ctrls[] = { NULL, "memory", "pids", "cpu", "cpuacct" };
#define NDIRS (sizeof(ctrls) / sizeof(ctrls[0]))

struct left {
	int dir;                /* index in dirs[] */
	char name[48];
	uint64_t until;
};

static char dirs[NDIRS][PATH_MAX];
static int ndirs = -1;
static struct left pending[LEFT_MAX];
static int npending;

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void find_dirs(void)
{
	ndirs = 0;
	for (size_t i = 0; i < NDIRS; i++) {
		struct sbx_error err;
		char d[PATH_MAX];
		if (sbx_cgroup_own_dir(ctrls[i], d, sizeof(d), &err))
			continue;
		bool seen = false;      /* cpu and cpuacct are often one hierarchy */
		for (int k = 0; k < ndirs; k++)
			seen = seen || !strcmp(dirs[k], d);
		if (!seen)
			memcpy(dirs[ndirs++], d, sizeof(d));
	}
}

/* SIGKILL to whatever the cgroup still holds; then rmdir. 0 once gone. */
static int take(const struct left *l)
{
	char path[PATH_MAX + 64];
	snprintf(path, sizeof(path), "%s/%s/cgroup.procs", dirs[l->dir], l->name);
	FILE *f = fopen(path, "re");
	if (f) {
		long pid;
		while (fscanf(f, "%ld", &pid) == 1)
			if (pid > 0)
				kill((pid_t)pid, SIGKILL);
		fclose(f);
	}
	snprintf(path, sizeof(path), "%s/%s", dirs[l->dir], l->name);
	return rmdir(path) == 0 || errno == ENOENT ? 0 : -1;
}

void ln_leftovers_add(pid_t launcher)
{
	if (ndirs < 0)
		find_dirs();
	char prefix[32];
	int plen = snprintf(prefix, sizeof(prefix), "sbx-%ld-", (long)launcher);
	for (int i = 0; i < ndirs; i++) {
		DIR *d = opendir(dirs[i]);
		if (!d)
			continue;
		struct dirent *de;
		while ((de = readdir(d))) {
			if (strncmp(de->d_name, prefix, (size_t)plen) || strlen(de->d_name) >= sizeof(pending[0].name))
				continue;
			struct left l = { .dir = i, .until = now_ms() + LEFT_GIVE_UP_MS };
			strcpy(l.name, de->d_name);
			if (take(&l) && npending < LEFT_MAX)
				pending[npending++] = l;
		}
		closedir(d);
	}
}

int ln_leftovers_sweep(void)
{
	uint64_t t = now_ms();
	for (int i = 0; i < npending; i++)
		if (!take(&pending[i]) || t >= pending[i].until)
			pending[i--] = pending[--npending];
	return npending ? LEFT_RETRY_MS : -1;
}
