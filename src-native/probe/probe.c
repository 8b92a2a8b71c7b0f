/* sbx_probe_json(): what this kernel and this process can enforce, as one
 * JSON document (schema: docs/probe.md). The sections live in probe_*.c. */
#include "probe.h"
#include "sbx.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/utsname.h>

static void write_kernel(struct sbx_jsonw *w)
{
	struct utsname u;
	char reason[64];

	sbx_jsonw_key(w, "kernel");
	if (uname(&u) != 0) {
		sbx_probe_reason_errno(reason, sizeof(reason), "uname", errno);
		sbx_jsonw_object_begin(w);
		sbx_jsonw_kv_null_reason(w, "release", reason);
		sbx_jsonw_kv_null_reason(w, "machine", reason);
		sbx_jsonw_object_end(w);
		return;
	}
	sbx_jsonw_object_begin(w);
	sbx_jsonw_kv_string(w, "release", u.release);
	sbx_jsonw_kv_string(w, "machine", u.machine);
	sbx_jsonw_object_end(w);
}

/* The architecture sbx was built for: the one its syscall tables and BPF
 * programs speak, which is what matters (not what uname says, which differs
 * for a 32-bit process on a 64-bit kernel). */
static void write_arch(struct sbx_jsonw *w)
{
#if defined(__x86_64__) && !defined(__ILP32__)
	sbx_jsonw_kv_string(w, "arch", "x86_64");
#elif defined(__aarch64__)
	sbx_jsonw_kv_string(w, "arch", "aarch64");
#else
	sbx_jsonw_kv_null_reason(w, "arch", "architecture not supported by sbx");
#endif
}

int sbx_probe_json(char **out, struct sbx_error *err)
{
	struct sbx_jsonw w;

	if (!out)
		return sbx_error_set(err, SBX_EINVAL, EINVAL, NULL,
				     "sbx_probe_json: out is NULL");
	*out = NULL;
	sbx_jsonw_init(&w);
	sbx_jsonw_object_begin(&w);
	sbx_jsonw_kv_string(&w, "version", sbx_version());
	write_kernel(&w);
	write_arch(&w);
	sbx_probe_landlock(&w);
	sbx_probe_seccomp(&w);
	sbx_probe_userns(&w);
	sbx_probe_cgroup(&w);
	sbx_probe_container(&w);
	sbx_probe_process(&w);
	sbx_probe_spawn(&w);
	sbx_jsonw_object_end(&w);

	int r = sbx_jsonw_finish(&w, out);
	if (r == -ENOMEM)
		return sbx_error_set(err, SBX_ENOMEM, ENOMEM, NULL,
				     "out of memory while writing the probe report");
	if (r < 0)
		return sbx_error_set(err, SBX_EINTERNAL, -r, NULL,
				     "probe report is malformed (internal error)");
	sbx_error_clear(err);
	return 0;
}
