/* Apply step: resource limits (per process, inherited across fork/exec). */
#include "apply.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

static const char *resource_name(int resource)
{
	switch (resource) {
	case RLIMIT_AS: return "as";
	case RLIMIT_CORE: return "core";
	case RLIMIT_CPU: return "cpu";
	case RLIMIT_DATA: return "data";
	case RLIMIT_FSIZE: return "fsize";
	case RLIMIT_LOCKS: return "locks";
	case RLIMIT_MEMLOCK: return "memlock";
	case RLIMIT_MSGQUEUE: return "msgqueue";
	case RLIMIT_NICE: return "nice";
	case RLIMIT_NOFILE: return "nofile";
	case RLIMIT_NPROC: return "nproc";
	case RLIMIT_RSS: return "rss";
	case RLIMIT_RTPRIO: return "rtprio";
	case RLIMIT_RTTIME: return "rttime";
	case RLIMIT_SIGPENDING: return "sigpending";
	case RLIMIT_STACK: return "stack";
	default: return "?";
	}
}

static void fmt_limit(char *buf, size_t cap, rlim_t v)
{
	if (v == RLIM_INFINITY)
		snprintf(buf, cap, "unlimited");
	else
		snprintf(buf, cap, "%llu", (unsigned long long)v);
}

int sbx_apply_rlimits(const struct sbx_plan_rlimit *rl, size_t n,
		      struct sbx_error *err)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const struct sbx_plan_rlimit *l = &rl[i];
		const char *name = l->name ? l->name : resource_name(l->resource);
		struct rlimit want, cur;
		char a[24], b[24];
		int e;

		want.rlim_cur = l->soft == UINT64_MAX ? RLIM_INFINITY
						      : (rlim_t)l->soft;
		want.rlim_max = l->hard == UINT64_MAX ? RLIM_INFINITY
						      : (rlim_t)l->hard;
		if (want.rlim_cur > want.rlim_max)
			return sbx_error_set(err, SBX_EVALUE, EINVAL, l->pointer,
				"rlimits: %s: soft limit above the hard limit",
				name);
		if (setrlimit(l->resource, &want) == 0)
			continue;
		e = errno;
		if (e == EPERM && getrlimit(l->resource, &cur) == 0) {
			fmt_limit(a, sizeof(a), cur.rlim_max);
			fmt_limit(b, sizeof(b), want.rlim_max);
			return sbx_error_sys(err, e, "setrlimit", l->pointer,
				"rlimits: cannot raise the hard limit of %s from "
				"%s to %s: only a process with CAP_SYS_RESOURCE "
				"may raise it; ask for at most %s", name, a, b, a);
		}
		return sbx_error_sys(err, e, "setrlimit", l->pointer,
				     "rlimits: cannot set %s: %s", name,
				     strerror(e));
	}
	return 0;
}
