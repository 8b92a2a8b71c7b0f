/* probe "spawn": what `sbx run` with the default namespaces would get on
 * this host, tried for real in a child before any sandbox is made
 * (host_check.h), and what it would skip, in the words of `skipped`. */
#include "host_check.h"
#include "kernel_defs.h"
#include "probe.h"

#include <sched.h>
#include <stdio.h>
#include <unistd.h>

/* The default policy's namespaces (docs/spawn.md, "Defaults"). */
#define DEFAULT_NS                                                                         \
	(CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS | \
	 CLONE_NEWCGROUP)

static bool lost(const struct sbx_host_skip *s, size_t n, const char *layer, const char **why)
{
	for (size_t i = 0; i < n; i++)
		if (s[i].layer == layer || !__builtin_strcmp(s[i].layer, layer)) {
			*why = s[i].reason;
			return true;
		}
	return false;
}

static void kv_layer(struct sbx_jsonw *w, const char *key, const struct sbx_host_skip *s, size_t n,
		     const char *layer)
{
	const char *why;
	char rkey[64];
	if (!lost(s, n, layer, &why)) {
		sbx_jsonw_kv_bool(w, key, true);
		return;
	}
	sbx_jsonw_kv_bool(w, key, false);
	snprintf(rkey, sizeof(rkey), "%sReason", key);
	sbx_jsonw_kv_string(w, rkey, why);
}

void sbx_probe_spawn(struct sbx_jsonw *w)
{
	struct sbx_host_check r;
	struct sbx_host_skip s[SBX_HOST_NKINDS + 3];
	char reason[96];

	sbx_jsonw_key(w, "spawn");
	sbx_jsonw_object_begin(w);
	int rc = sbx_host_check_run(&r);
	if (rc) {
		sbx_probe_reason_errno(reason, sizeof(reason), "host check", -rc);
		sbx_jsonw_kv_null_reason(w, "userNamespace", reason);
		sbx_jsonw_kv_null_reason(w, "skipped", reason);
		sbx_jsonw_object_end(w);
		return;
	}
	size_t n = sbx_host_skipped(&r, DEFAULT_NS, sbx_host_cap_sys_admin(), s, sizeof(s) / sizeof(s[0]));
	kv_layer(w, "userNamespace", s, n, "namespaces.user");
	sbx_jsonw_key(w, "namespaces");
	sbx_jsonw_object_begin(w);
	for (int i = 0; i < SBX_HOST_NKINDS; i++)
		if (DEFAULT_NS & sbx_host_kinds[i].flag)
			kv_layer(w, sbx_host_kinds[i].name, s, n, sbx_host_kinds[i].layer);
	sbx_jsonw_object_end(w);
	const char *why;
	if (lost(s, n, "namespaces.mount", &why)) {
		sbx_jsonw_kv_bool(w, "view", false);
		sbx_jsonw_kv_string(w, "viewReason", "no mount namespace");
	} else {
		kv_layer(w, "view", s, n, "root and mounts");
	}
	if (lost(s, n, "namespaces.net", &why)) {
		sbx_jsonw_kv_bool(w, "loopback", false);
		sbx_jsonw_kv_string(w, "loopbackReason", "no network namespace");
	} else {
		kv_layer(w, "loopback", s, n, "loopback");
	}
	sbx_jsonw_key(w, "skipped");
	sbx_jsonw_array_begin(w);
	for (size_t i = 0; i < n; i++) {
		sbx_jsonw_object_begin(w);
		sbx_jsonw_kv_string(w, "layer", s[i].layer);
		sbx_jsonw_kv_string(w, "reason", s[i].reason);
		sbx_jsonw_object_end(w);
	}
	sbx_jsonw_array_end(w);
	sbx_jsonw_object_end(w);
}
