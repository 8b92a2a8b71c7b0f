/*
 * libFuzzer target for the policy parser: inline text -> sbx_policy_load_text
 * (with `extends` of presets, `when` expressions, every section), then, when
 * it loads, the canonical JSON, the explanation and the seccomp spec for
 * both architectures. It must never crash or leak, a failure must carry a
 * code and a one-line message with a well-formed pointer, and the canonical
 * JSON must load again.
 *
 * File references are disabled (SBX_POLICY_NO_FILES): the fuzzer must not
 * make sbx read /proc/kmsg or the like. Path existence checks stay on.
 */
#include "policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_require.h"

static void check_error(int rc, const struct sbx_error *err)
{
	REQUIRE(rc < 0);
	REQUIRE(err->code > SBX_OK && err->code < SBX_ECODE_COUNT);
	REQUIRE(memchr(err->message, '\0', sizeof(err->message)) != NULL);
	REQUIRE(err->message[0] != '\0');
	REQUIRE(!strchr(err->message, '\n'));
	REQUIRE(memchr(err->pointer, '\0', sizeof(err->pointer)) != NULL);
	REQUIRE(err->pointer[0] == '\0' || err->pointer[0] == '/');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sbx_policy_load_opts o = {
		.cwd = "/tmp", .home = "/root", .tmpdir = "/tmp",
		.flags = SBX_POLICY_NO_FILES, .max_bytes = 1 << 16,
	};
	struct sbx_policy *p = NULL, *q = NULL;
	struct sbx_error err;
	char *buf = malloc(size ? size : 1), *json = NULL, *text = NULL;
	int rc;

	if (!buf)
		return 0;
	if (size)
		memcpy(buf, data, size);
	rc = sbx_policy_load_text(buf, size, &o, &p, &err);
	if (rc) {
		REQUIRE(p == NULL);
		check_error(rc, &err);
		free(buf);
		return 0;
	}
	REQUIRE(p != NULL);
	rc = sbx_policy_to_json(p, &json, &err);
	REQUIRE(rc == 0 && json);
	rc = sbx_policy_load_text(json, strlen(json), &o, &q, &err);
	/* the canonical form of a loadable policy loads again */
	REQUIRE(rc == 0);
	sbx_policy_free(q);
	rc = sbx_policy_explain(p, &text, &err);
	REQUIRE(rc == 0 && text);
	for (int a = 0; a < SBX_ARCH_COUNT; a++) {
		struct sbx_seccomp_spec *spec = NULL;

		rc = sbx_policy_seccomp_spec(p, (enum sbx_arch)a, &spec, NULL, &err);
		if (rc)
			check_error(rc, &err);
		sbx_policy_seccomp_spec_free(spec);
	}
	free(json);
	free(text);
	sbx_policy_free(p);
	free(buf);
	return 0;
}
