/* probe "process": the credentials and confinement the calling process
 * already has (ids, no_new_privs, seccomp mode, capability sets, threads). */
#include "caps.h"
#include "probe.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

/* The value after "<name>:\t" in a status file, or NULL. */
static const char *status_field(const char *status, const char *name,
				char *buf, size_t size)
{
	size_t n = strlen(name);
	for (const char *line = status; line && *line;) {
		const char *nl = strchr(line, '\n');
		if (strncmp(line, name, n) == 0 && line[n] == ':') {
			const char *v = line + n + 1;
			while (*v == ' ' || *v == '\t')
				v++;
			size_t len = nl ? (size_t)(nl - v) : strlen(v);
			if (len >= size)
				return NULL;
			memcpy(buf, v, len);
			buf[len] = '\0';
			return buf;
		}
		line = nl ? nl + 1 : NULL;
	}
	return NULL;
}

static void write_cap_set(struct sbx_jsonw *w, const char *status,
			  const char *key, const char *field)
{
	char buf[64], reason[96];
	if (!status) {
		sbx_jsonw_kv_null_reason(w, key, "process status unreadable");
		return;
	}
	if (!status_field(status, field, buf, sizeof(buf))) {
		snprintf(reason, sizeof(reason), "no %s line in status", field);
		sbx_jsonw_kv_null_reason(w, key, reason);
		return;
	}
	sbx_jsonw_kv_string(w, key, buf);
}

static void write_effective_names(struct sbx_jsonw *w, const char *status)
{
	char buf[64], *end;
	const char *key = "effectiveNames";

	if (!status || !status_field(status, "CapEff", buf, sizeof(buf))) {
		sbx_jsonw_kv_null_reason(w, key, "no CapEff line in status");
		return;
	}
	errno = 0;
	uint64_t eff = strtoull(buf, &end, 16);
	if (errno || *end) {
		sbx_jsonw_kv_null_reason(w, key, "CapEff is not hexadecimal");
		return;
	}
	sbx_jsonw_key(w, key);
	sbx_jsonw_array_begin(w);
	for (unsigned i = 0; i < 64; i++) {
		if (!(eff & (1ULL << i)))
			continue;
		if (sbx_cap_name((int)i))
			sbx_jsonw_string(w, sbx_cap_name((int)i));
		else {
			char name[16];
			snprintf(name, sizeof(name), "CAP_%u", i);
			sbx_jsonw_string(w, name);
		}
	}
	sbx_jsonw_array_end(w);
}

static void write_threads(struct sbx_jsonw *w)
{
	char reason[96];
	DIR *d = opendir("/proc/self/task");
	if (!d) {
		sbx_probe_reason_errno(reason, sizeof(reason), "/proc/self/task",
				       errno);
		sbx_jsonw_kv_null_reason(w, "threads", reason);
		return;
	}
	int64_t n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	sbx_jsonw_kv_int(w, "threads", n);
}

void sbx_probe_process(struct sbx_jsonw *w)
{
	char *status = NULL, buf[64], reason[128];

	/* Seccomp mode, capabilities and no_new_privs belong to a thread: read
	 * the calling thread's view (the same as /proc/self in a process with
	 * one thread). */
	int r = sbx_probe_read_file("/proc/thread-self/status", &status, NULL);
	if (r < 0)
		r = sbx_probe_read_file("/proc/self/status", &status, NULL);

	sbx_jsonw_key(w, "process");
	sbx_jsonw_object_begin(w);
	sbx_jsonw_kv_int(w, "uid", getuid());
	sbx_jsonw_kv_int(w, "euid", geteuid());
	sbx_jsonw_kv_int(w, "gid", getgid());

	int nnp = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
	if (nnp >= 0)
		sbx_jsonw_kv_bool(w, "noNewPrivs", nnp == 1);
	else {
		sbx_probe_reason_errno(reason, sizeof(reason),
				       "prctl(PR_GET_NO_NEW_PRIVS)", errno);
		sbx_jsonw_kv_null_reason(w, "noNewPrivs", reason);
	}

	if (!status) {
		sbx_probe_reason_errno(reason, sizeof(reason),
				       "/proc/self/status", -r);
		sbx_jsonw_kv_null_reason(w, "seccompMode", reason);
	} else if (status_field(status, "Seccomp", buf, sizeof(buf)))
		sbx_jsonw_kv_int(w, "seccompMode", strtol(buf, NULL, 10));
	else
		sbx_jsonw_kv_null_reason(w, "seccompMode",
			"no Seccomp line in status (kernel without seccomp)");

	sbx_jsonw_key(w, "capabilities");
	sbx_jsonw_object_begin(w);
	write_cap_set(w, status, "effective", "CapEff");
	write_cap_set(w, status, "permitted", "CapPrm");
	write_cap_set(w, status, "bounding", "CapBnd");
	write_cap_set(w, status, "ambient", "CapAmb");
	write_cap_set(w, status, "inheritable", "CapInh");
	write_effective_names(w, status);
	sbx_jsonw_object_end(w);

	write_threads(w);
	sbx_jsonw_object_end(w);
	free(status);
}
