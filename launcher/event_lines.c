/* The launcher's lines for Node (event_lines.h). */
#include "event_lines.h"

#include <errno.h>
#include <string.h>

/* Names of the copy-on-write walk, hex-encoded (4096 bytes: LN_COW_REL_MAX). */
#define HEX_NAME_MAX 4096

static void begin(struct ln_line *l, const char *event)
{
	l->len = 0;
	sbx_jsonw_init_fixed(&l->w, l->buf, sizeof(l->buf) - 1);   /* room for '\n' */
	sbx_jsonw_object_begin(&l->w);
	sbx_jsonw_kv_string(&l->w, "event", event);
}

static size_t end(struct ln_line *l)
{
	sbx_jsonw_object_end(&l->w);
	if (sbx_jsonw_check(&l->w) != 0)
		return l->len = 0;
	l->buf[l->w.len] = '\n';
	l->buf[l->w.len + 1] = '\0';
	return l->len = l->w.len + 1;
}

/* "key": s, cut at `max` bytes (null for NULL). */
static void strn(struct ln_line *l, const char *key, const char *s, size_t max)
{
	sbx_jsonw_key(&l->w, key);
	if (!s) {
		sbx_jsonw_null(&l->w);
		return;
	}
	sbx_jsonw_string_n(&l->w, s, strnlen(s, max < LN_LINE_FIELD_MAX ? max : LN_LINE_FIELD_MAX));
}

static void str(struct ln_line *l, const char *key, const char *s)
{
	strn(l, key, s, LN_LINE_FIELD_MAX);
}

static void hex(struct ln_line *l, const char *key, const char *s)
{
	static const char digits[] = "0123456789abcdef";
	char out[2 * HEX_NAME_MAX];
	size_t n = strlen(s);

	if (n > HEX_NAME_MAX) {
		if (!l->w.err)
			l->w.err = ENAMETOOLONG;
		return;
	}
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[(unsigned char)s[i] >> 4];
		out[2 * i + 1] = digits[(unsigned char)s[i] & 15];
	}
	sbx_jsonw_key(&l->w, key);
	sbx_jsonw_string_n(&l->w, out, 2 * n);
}

size_t ln_line_started(struct ln_line *l)
{
	begin(l, "started");
	return end(l);
}

size_t ln_line_skipped(struct ln_line *l, const char *layer, const char *reason)
{
	begin(l, "skipped");
	str(l, "layer", layer ? layer : "");
	str(l, "reason", reason ? reason : "");
	return end(l);
}

size_t ln_line_notice(struct ln_line *l, const char *message)
{
	begin(l, "notice");
	str(l, "message", message ? message : "");
	return end(l);
}

size_t ln_line_limit(struct ln_line *l, const char *limit, const char *mechanism)
{
	begin(l, "limit");
	str(l, "limit", limit);
	str(l, "mechanism", mechanism);
	return end(l);
}

size_t ln_line_error(struct ln_line *l, const char *event, const char *step,
		     const struct sbx_error *err, int exit_code)
{
	begin(l, event);
	sbx_jsonw_kv_int(&l->w, "exitCode", exit_code);
	str(l, "step", step ? step : "");
	str(l, "code", sbx_code_name(err->code));
	sbx_jsonw_kv_int(&l->w, "errno", err->err);
	strn(l, "pointer", err->pointer, sizeof(err->pointer));
	strn(l, "message", err->message, sizeof(err->message));
	return end(l);
}

size_t ln_line_end(struct ln_line *l, uint64_t wall_ms, const uint64_t *cpu_ms, const char *reason)
{
	begin(l, "end");
	sbx_jsonw_key(&l->w, "wallMs");
	sbx_jsonw_uint(&l->w, wall_ms);
	if (cpu_ms) {
		sbx_jsonw_key(&l->w, "cpuMs");
		sbx_jsonw_uint(&l->w, *cpu_ms);
	}
	if (reason)
		str(l, "reason", reason);
	return end(l);
}

size_t ln_line_violation(struct ln_line *l, const char *syscall, int nr, uint32_t arch,
			 const uint64_t args[6], int pid, int err, bool last)
{
	begin(l, "violation");
	str(l, "kind", "syscall");
	str(l, "syscall", syscall);
	sbx_jsonw_kv_int(&l->w, "nr", nr);
	sbx_jsonw_kv_int(&l->w, "arch", arch);
	sbx_jsonw_key(&l->w, "args");
	sbx_jsonw_array_begin(&l->w);
	for (int i = 0; i < 6; i++) {
		if (args[i] < (1ULL << 53)) {
			sbx_jsonw_uint(&l->w, args[i]);
		} else {
			char h[24];
			static const char digits[] = "0123456789abcdef";
			int n = 0;
			char rev[16];
			for (uint64_t v = args[i]; v; v >>= 4)
				rev[n++] = digits[v & 15];
			h[0] = '0';
			h[1] = 'x';
			for (int k = 0; k < n; k++)
				h[2 + k] = rev[n - 1 - k];
			sbx_jsonw_string_n(&l->w, h, (size_t)n + 2);
		}
	}
	sbx_jsonw_array_end(&l->w);
	sbx_jsonw_kv_int(&l->w, "pid", pid);
	sbx_jsonw_kv_int(&l->w, "errno", err);
	/* further denials of this call are counted, not sent */
	if (last)
		sbx_jsonw_kv_bool(&l->w, "last", true);
	return end(l);
}

size_t ln_line_net_violation(struct ln_line *l, const char *host, unsigned port,
			     const char *ip, const char *reason)
{
	begin(l, "violation");
	str(l, "kind", "net");
	str(l, "host", host ? host : "");
	sbx_jsonw_kv_int(&l->w, "port", port);
	if (ip && *ip)
		str(l, "ip", ip);
	str(l, "reason", reason ? reason : "");
	return end(l);
}

size_t ln_line_fs_violation(struct ln_line *l, const char *syscall, const char *path,
			    const char *access, const char *reason, const char *allow,
			    const char *key, const char *flag, int pid)
{
	begin(l, "violation");
	str(l, "kind", "fs");
	str(l, "syscall", syscall);
	str(l, "path", path);
	str(l, "access", access);
	str(l, "reason", reason);
	str(l, "allow", allow);
	str(l, "key", key);
	str(l, "flag", flag);
	sbx_jsonw_kv_int(&l->w, "pid", pid);
	return end(l);
}

size_t ln_line_unshown(struct ln_line *l, const char *syscall, int nr, uint32_t arch,
		       bool shared, uint64_t count)
{
	begin(l, "violations-unshown");
	str(l, "syscall", syscall);
	sbx_jsonw_kv_int(&l->w, "nr", nr);
	sbx_jsonw_kv_int(&l->w, "arch", arch);
	sbx_jsonw_kv_bool(&l->w, "shared", shared);
	sbx_jsonw_key(&l->w, "count");
	sbx_jsonw_uint(&l->w, count);
	return end(l);
}

size_t ln_line_cow_change(struct ln_line *l, const char *kind, const char *type, const char *rel,
			  int applied, const char *reason, const char *leftover)
{
	begin(l, "change");
	str(l, "kind", kind);
	str(l, "type", type);
	hex(l, "hex", rel);
	if (applied >= 0) {
		sbx_jsonw_kv_bool(&l->w, "applied", applied);
		if (!applied && reason)
			str(l, "reason", reason);
		if (leftover && *leftover)
			hex(l, "leftover", leftover);
	}
	return end(l);
}

size_t ln_line_cow_abort(struct ln_line *l, const char *rel, const char *reason)
{
	begin(l, "abort");
	hex(l, "hex", rel);
	str(l, "reason", reason ? reason : "");
	return end(l);
}
