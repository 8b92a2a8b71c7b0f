/*
 * The launcher's two wire formats with Node, from the C side, for
 * test/launcher-wire.test.ts (not a TAP test: it is driven by that file).
 *
 *   launcher_wire events HEX   one line of every event (launcher/event_lines.c),
 *                              every string field the bytes HEX stands for
 *   launcher_wire request      the spawn server's request on stdin, decoded by
 *                              launcher/request.c, printed as one JSON object
 *                              ({"error":-errno} when it is refused)
 *   launcher_wire constants    request.h's numbers, as JSON
 *   launcher_wire kind HEX     what the policy source HEX stands for is
 *                              (src-native/policy/policy_kind.c): empty, inline,
 *                              file or preset, and the name after the blanks
 */
#include "../../launcher/event_lines.h"
#include "../../launcher/request.h"
#include "jsonw.h"
#include "policy.h"
#include "sbx.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void out(const char *name, const struct ln_line *l)
{
	if (l->len)
		fwrite(l->buf, 1, l->len, stdout);
	else
		printf("FAILED %s\n", name);
}

static char *unhex(const char *h)
{
	size_t n = strlen(h) / 2;
	char *s = calloc(n + 1, 1);
	for (size_t i = 0; s && i < n; i++) {
		unsigned v;
		if (sscanf(h + 2 * i, "%2x", &v) != 1) {
			free(s);
			return NULL;
		}
		s[i] = (char)v;
	}
	return s;
}

static int events(const char *hex)
{
	static struct ln_line l;
	char *s = unhex(hex);
	if (!s)
		return 2;
	struct sbx_error err = { .code = SBX_EVALUE, .err = 13 };
	snprintf(err.pointer, sizeof(err.pointer), "%s", s);
	snprintf(err.message, sizeof(err.message), "%s", s);
	const uint64_t args[6] = { 0, 1, (1ULL << 53) - 1, 1ULL << 53, UINT64_MAX, 0xdeadbeefULL };
	const uint64_t cpu = 1234;

	ln_line_started(&l);
	out("started", &l);
	ln_line_skipped(&l, s, s);
	out("skipped", &l);
	ln_line_notice(&l, s);
	out("notice", &l);
	ln_line_limit(&l, "wallTime", "timer");
	out("limit", &l);
	ln_line_error(&l, "error", s, &err, 125);
	out("error", &l);
	ln_line_error(&l, "exec-error", "exec", &err, 127);
	out("exec-error", &l);
	ln_line_end(&l, 42, &cpu, "cpu-time");
	out("end", &l);
	ln_line_end(&l, 7, NULL, NULL);
	out("end-bare", &l);
	ln_line_violation(&l, s, 41, 0xc000003eu, args, 3, 13, true);
	out("violation", &l);
	ln_line_violation(&l, NULL, -1, 0x40000003u, args, 1, 1, false);
	out("violation-unnamed", &l);
	ln_line_net_violation(&l, s, 443, s, s);
	out("net-violation", &l);
	ln_line_net_violation(&l, s, 80, NULL, s);
	out("net-violation-no-ip", &l);
	ln_line_fs_violation(&l, "openat", s, "read", "landlock", s, "fs.read", "--ro", 2);
	out("fs-violation", &l);
	ln_line_unshown(&l, s, 42, 0xc000003eu, false, UINT64_C(9007199254740991));
	out("unshown", &l);
	ln_line_unshown(&l, NULL, 7, 0xc000003eu, true, 900);
	out("unshown-shared", &l);
	ln_line_cow_change(&l, "created", "file", s, -1, NULL, NULL);
	out("change", &l);
	char leftover[64];      /* as struct ln_cow_done holds it */
	snprintf(leftover, sizeof(leftover), "%s", s);
	ln_line_cow_change(&l, "modified", "symlink", s, 0, s, leftover);
	out("change-applied", &l);
	ln_line_cow_abort(&l, s, s);
	out("abort", &l);
	free(s);
	return 0;
}

static void strings(struct sbx_jsonw *w, const char *key, char **v)
{
	sbx_jsonw_key(w, key);
	sbx_jsonw_array_begin(w);
	for (size_t i = 0; v && v[i]; i++)
		sbx_jsonw_string(w, v[i]);
	sbx_jsonw_array_end(w);
}

/* Strings as hex too: the JSON writer replaces bytes that are not UTF-8,
 * the test compares bytes. */
static void hexstr(struct sbx_jsonw *w, const char *key, const char *s, size_t n)
{
	char *h = malloc(2 * n + 1);
	for (size_t i = 0; h && i < n; i++)
		snprintf(h + 2 * i, 3, "%02x", (unsigned char)s[i]);
	sbx_jsonw_key(w, key);
	if (h)
		sbx_jsonw_string_n(w, h, 2 * n);
	else
		sbx_jsonw_null(w);
	free(h);
}

static int request(void)
{
	static unsigned char buf[LN_REQ_MAX_BYTES + 16];
	size_t len = 0;
	ssize_t n;
	while (len < sizeof(buf) && (n = read(0, buf + len, sizeof(buf) - len)) > 0)
		len += (size_t)n;
	struct ln_request r;
	struct sbx_jsonw w;
	char *doc;
	int rc = ln_request_parse(buf, len, &r);

	sbx_jsonw_init(&w);
	sbx_jsonw_object_begin(&w);
	if (rc) {
		sbx_jsonw_kv_int(&w, "error", rc);
	} else {
		sbx_jsonw_kv_int(&w, "type", r.type);
		sbx_jsonw_kv_int(&w, "id", r.id);
		if (r.type == LN_REQ_KILL) {
			sbx_jsonw_kv_int(&w, "sig", r.sig);
		} else {
			sbx_jsonw_kv_int(&w, "flags", r.flags);
			sbx_jsonw_kv_int(&w, "nfds", r.nfds);
			hexstr(&w, "cwd", r.cwd, strlen(r.cwd));
			hexstr(&w, "policy", r.policy, r.policy_len);
			if (r.argv0)
				hexstr(&w, "argv0", r.argv0, strlen(r.argv0));
			strings(&w, "argv", r.argv);
			strings(&w, "envp", r.envp);
		}
		ln_request_free(&r);
	}
	sbx_jsonw_object_end(&w);
	if (sbx_jsonw_finish(&w, &doc))
		return 1;
	puts(doc);
	free(doc);
	return 0;
}

static int constants(void)
{
	printf("{\"magic\":%u,\"spawn\":%u,\"kill\":%u,\"verbose\":%u,\"warm\":%u,"
	       "\"argv0\":%u,\"earlyExit\":%u,\"notice\":%u,\"maxFds\":%u,\"maxBytes\":%u}\n",
	       LN_REQ_MAGIC, LN_REQ_SPAWN, LN_REQ_KILL, LN_REQ_VERBOSE, LN_REQ_WARM, LN_REQ_ARGV0,
	       LN_REQ_EARLY_EXIT, LN_REQ_NOTICE, (unsigned)LN_REQ_MAX_FDS, LN_REQ_MAX_BYTES);
	return 0;
}

static int kind(const char *hex)
{
	static const char *const names[] = { "empty", "inline", "file", "preset" };
	size_t len = strlen(hex) / 2;
	char *s = unhex(hex);
	const char *start;
	if (!s)
		return 2;
	enum sbx_source_kind k = sbx_policy_source_kind(s, len, &start);
	printf("%s %s\n", names[k], start);
	free(s);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "kind"))
		return kind(argv[2]);
	if (argc == 2 && !strcmp(argv[1], "constants"))
		return constants();
	if (argc == 3 && !strcmp(argv[1], "events"))
		return events(argv[2]);
	if (argc == 2 && !strcmp(argv[1], "request"))
		return request();
	fprintf(stderr, "usage: launcher_wire events HEX | request | constants | kind HEX\n");
	return 2;
}
