/*
 * Docker / OCI seccomp profile -> sbx seccomp spec (see docker_import.h and
 * docs/docker-import.md). This file reads and validates the document and
 * decides includes/excludes; docker_import_merge.c applies libseccomp's
 * precedence between the resulting rules.
 *
 * Everything is validated before anything is decided, so a profile gives
 * the same errors whatever the capabilities kept or the kernel.
 */
#include "docker_import.h"
#include "docker_import_int.h"
#include "caps.h"
#include "errno_names.h"
#include "json.h"
#include "suggest.h"
#include "syscalls.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#define SBX_ARCHES (SBX_ARCH_BIT(SBX_ARCH_X86_64) | SBX_ARCH_BIT(SBX_ARCH_AARCH64))
#define MAX_ERRNO_RET 4095u   /* the kernel clamps SECCOMP_RET_ERRNO data */
#define MAX_TRACE_RET 65535u  /* SECCOMP_RET_DATA */
#define DEFAULT_RET 1u        /* EPERM: runc's errno/trace data when unset */
#define ARG_COUNT 6

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

struct sbx_docker_profile {
	struct sbx_seccomp_spec spec;
	struct sbx_json_doc *doc;        /* entry names point into it */
	char *pointer;                   /* entry/default pointers point here */
	struct sbx_seccomp_entry *entries;
	struct sbx_arg_cond **conds;     /* owned condition arrays */
	size_t nconds, conds_cap;
};

struct ctx {
	struct sbx_docker_profile *p;
	const char *prefix;
	char ptr[256];                   /* where we are inside the profile */
	uint64_t caps_kept;
	struct sbx_notes *notes;
	struct sbx_error *err;
	struct sbx_action def;
	bool have_kernel;
	unsigned kernel[3];
	struct sbx_docker_item *items;
	size_t nitems, items_cap;
	const char **unknown;            /* allowed names sbx does not know */
	size_t nunknown, unknown_cap;
};

/* ---- errors ----------------------------------------------------------------- */

/*
 * Copy src into dst (size cap) on one line: control characters escaped
 * ("\\n", "\\u001b"), since keys and names come from the profile and a
 * message or note must stay one line. Truncates at a character boundary.
 */
static void one_line(char *dst, size_t cap, const char *src)
{
	size_t o = 0;

	for (; *src; src++) {
		unsigned char ch = (unsigned char)*src;
		char esc[8];
		size_t n;

		if (ch < 0x20 || ch == 0x7f) {
			if (ch == '\n')
				memcpy(esc, "\\n", 3);
			else if (ch == '\t')
				memcpy(esc, "\\t", 3);
			else
				snprintf(esc, sizeof(esc), "\\u%04x", ch);
			n = strlen(esc);
		} else {
			esc[0] = (char)ch;
			esc[1] = '\0';
			n = 1;
		}
		if (o + n >= cap) {
			/* do not leave half a UTF-8 sequence behind */
			while (o > 0 && ((unsigned char)dst[o - 1] & 0xC0) == 0x80)
				o--;
			if (o > 0 && (unsigned char)dst[o - 1] >= 0xC0)
				o--;
			break;
		}
		memcpy(dst + o, esc, n);
		o += n;
	}
	dst[o] = '\0';
}

__attribute__((format(printf, 5, 6)))
static int fail(struct ctx *c, const struct sbx_json *at, int code, int errnum,
		const char *fmt, ...)
{
	char msg[sizeof(c->err->message)], line[sizeof(c->err->message)];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	rc = sbx_error_set(c->err, code, errnum, c->prefix, "%s (line %u, column %u): %s",
			   c->ptr[0] ? c->ptr : "profile", at->line, at->column, msg);
	one_line(line, sizeof(line), c->err->message);
	memcpy(c->err->message, line, sizeof(line));
	return rc;
}

static int nomem(struct ctx *c)
{
	return sbx_error_set(c->err, SBX_ENOMEM, ENOMEM, c->prefix, "out of memory");
}

static int grow(void **v, size_t *cap, size_t need, size_t elem)
{
	void *n;
	size_t cap2;

	if (need <= *cap)
		return 0;
	cap2 = *cap ? *cap * 2 : 16;
	while (cap2 < need)
		cap2 *= 2;
	n = realloc(*v, cap2 * elem);
	if (!n)
		return -ENOMEM;
	*v = n;
	*cap = cap2;
	return 0;
}

static const char *quoted_suggestion(const char *s, char *buf, size_t cap)
{
	if (!s)
		return "";
	snprintf(buf, cap, " (did you mean \"%s\"?)", s);
	return buf;
}

/* ---- typed access ------------------------------------------------------------ */

static int want(struct ctx *c, const struct sbx_json *v, enum sbx_json_type t)
{
	if (v->type == t)
		return 0;
	return fail(c, v, SBX_ETYPE, EINVAL, "expected %s, found %s",
		    t == SBX_JSON_OBJECT ? "an object" :
		    t == SBX_JSON_ARRAY ? "an array" :
		    t == SBX_JSON_STRING ? "a string" : "a number",
		    sbx_json_type_name(v->type));
}

/* Go's encoding/json leaves a slice or pointer empty for null; profiles
 * written by tools say "subArchitectures": null, so null means absent. */
static bool absent(const struct sbx_json *v)
{
	return !v || v->type == SBX_JSON_NULL;
}

static int check_keys(struct ctx *c, const struct sbx_json *obj,
		      const char *const *known, size_t n)
{
	for (size_t i = 0; i < obj->u.object.count; i++) {
		const struct sbx_json_member *m = &obj->u.object.members[i];
		bool ok = false;
		char sug[96];

		for (size_t k = 0; k < n && !ok; k++)
			ok = strcmp(m->key, known[k]) == 0;
		if (ok)
			continue;
		sbx_json_ptr_push(c->ptr, sizeof(c->ptr), m->key);
		return fail(c, m->value, SBX_EUNKNOWNKEY, EINVAL, "unknown key \"%s\"%s",
			    m->key, quoted_suggestion(sbx_suggest(m->key, known, n),
						      sug, sizeof(sug)));
	}
	return 0;
}

static int get_uint(struct ctx *c, const struct sbx_json *v, uint64_t max, uint64_t *out)
{
	int rc = want(c, v, SBX_JSON_NUMBER);

	if (rc)
		return rc;
	if (!v->u.number.is_integer || v->u.number.is_negative)
		return fail(c, v, SBX_EVALUE, EINVAL,
			    "expected a non-negative integer, found %s", v->u.number.text);
	if (v->u.number.u64 > max)
		return fail(c, v, SBX_EVALUE, ERANGE, "%s is out of range (0..%llu)",
			    v->u.number.text, (unsigned long long)max);
	*out = v->u.number.u64;
	return 0;
}

/* Walk a string array (or null/absent): fn(c, item, index, arg) per item,
 * with c->ptr naming the item. */
typedef int (*str_fn)(struct ctx *c, const struct sbx_json *s, size_t i, void *arg);

static int each_string(struct ctx *c, const struct sbx_json *arr, const char *key,
		       str_fn fn, void *arg)
{
	size_t base, at;
	int rc = 0;

	if (absent(arr))
		return 0;
	base = sbx_json_ptr_push(c->ptr, sizeof(c->ptr), key);
	rc = want(c, arr, SBX_JSON_ARRAY);
	for (size_t i = 0; !rc && i < arr->u.array.count; i++) {
		const struct sbx_json *s = arr->u.array.items[i];
		at = sbx_json_ptr_push_index(c->ptr, sizeof(c->ptr), i);
		rc = want(c, s, SBX_JSON_STRING);
		if (!rc)
			rc = fn(c, s, i, arg);
		if (!rc)
			sbx_json_ptr_pop(c->ptr, at);
	}
	if (!rc)
		sbx_json_ptr_pop(c->ptr, base);
	return rc;
}

/* ---- actions ------------------------------------------------------------------ */

/* How far an action is from letting the call run: an unknown name may only
 * be skipped (left to the default, or to ENOSYS) when its entry is not
 * stricter than the default. */
static int strictness(enum sbx_action_kind k)
{
	switch (k) {
	case SBX_ACT_ALLOW: return 0;
	case SBX_ACT_LOG: return 1;
	case SBX_ACT_TRACE:
	case SBX_ACT_NOTIFY: return 2;
	case SBX_ACT_ERRNO: return 3;
	case SBX_ACT_TRAP: return 4;
	case SBX_ACT_KILL_THREAD: return 5;
	case SBX_ACT_KILL_PROCESS: return 6;
	}
	return 6;
}

/*
 * containers/common's errno (a name such as "EPERM", or a decimal string)
 * beside the numeric errnoRet: when given and not empty it wins, as in that
 * family's getErrno(). 0 with *given false when absent or "".
 */
static int get_errno_name(struct ctx *c, const struct sbx_json *obj, const char *key,
			  bool *given, uint64_t *out)
{
	const struct sbx_json *v = sbx_json_get(obj, key);
	const char *s;
	char sug[96];
	int rc, n;

	*given = false;
	if (absent(v))
		return 0;
	if ((rc = want(c, v, SBX_JSON_STRING)))
		return rc;
	s = v->u.string.str;
	if (!s[0])
		return 0;
	*given = true;
	if (strspn(s, "0123456789") == strlen(s)) {
		/* Go's ParseUint(s, 10, 32): digits only; sbx's range is checked by the caller */
		errno = 0;
		unsigned long long u = strtoull(s, NULL, 10);
		*out = errno || u > UINT32_MAX ? UINT64_MAX : u;
		return 0;
	}
	n = sbx_errno_from_name(s);
	if (n < 0)
		return fail(c, v, SBX_EVALUE, EINVAL, "unknown errno \"%s\"%s", s,
			    quoted_suggestion(s[0] >= 'A' ? sbx_errno_suggest(s) : NULL, sug,
					      sizeof(sug)));
	*out = (uint64_t)n;
	return 0;
}

/* action (string) and its data in obj: errnoRet (number), or the errno name
 * of the containers family (name_key), both optional. */
static int get_action(struct ctx *c, const struct sbx_json *obj, const char *key,
		      const char *ret_key, const char *name_key, struct sbx_action *out)
{
	const struct sbx_json *v = sbx_json_get(obj, key);
	const struct sbx_json *ret = sbx_json_get(obj, ret_key);
	const char *names[SBX_DOCKER_NACTIONS];
	size_t at;
	char sug[96];
	bool named;
	uint64_t n = 0, by_name = 0;
	int rc;

	if (!v)
		return fail(c, obj, SBX_EVALUE, EINVAL, "\"%s\" is required", key);
	at = sbx_json_ptr_push(c->ptr, sizeof(c->ptr), key);
	if ((rc = want(c, v, SBX_JSON_STRING)))
		return rc;
	for (size_t i = 0; i < SBX_DOCKER_NACTIONS; i++) {
		names[i] = sbx_docker_actions[i].name;
		if (strcmp(v->u.string.str, names[i]) == 0) {
			out->kind = sbx_docker_actions[i].kind;
			out->data = 0;
			break;
		}
		if (i + 1 == SBX_DOCKER_NACTIONS)
			return fail(c, v, SBX_EVALUE, EINVAL,
				    "unknown action \"%s\"%s", v->u.string.str,
				    quoted_suggestion(sbx_suggest(v->u.string.str, names,
								  COUNT(names)),
						      sug, sizeof(sug)));
	}
	sbx_json_ptr_pop(c->ptr, at);

	bool has_data = out->kind == SBX_ACT_ERRNO || out->kind == SBX_ACT_TRACE;
	uint64_t max = out->kind == SBX_ACT_ERRNO ? MAX_ERRNO_RET : MAX_TRACE_RET;
	if (has_data)
		out->data = DEFAULT_RET;
	if (!absent(ret)) {
		at = sbx_json_ptr_push(c->ptr, sizeof(c->ptr), ret_key);
		if (!has_data)
			return fail(c, ret, SBX_EVALUE, EINVAL,
				    "%s applies only to SCMP_ACT_ERRNO and SCMP_ACT_TRACE, not %s",
				    ret_key, v->u.string.str);
		if ((rc = get_uint(c, ret, max, &n)))
			return rc;
		out->data = (uint16_t)n;
		sbx_json_ptr_pop(c->ptr, at);
	}

	at = sbx_json_ptr_push(c->ptr, sizeof(c->ptr), name_key);
	if ((rc = get_errno_name(c, obj, name_key, &named, &by_name)))
		return rc;
	if (named) {
		const struct sbx_json *nv = sbx_json_get(obj, name_key);
		if (!has_data)
			return fail(c, nv, SBX_EVALUE, EINVAL,
				    "%s applies only to SCMP_ACT_ERRNO and SCMP_ACT_TRACE, not %s",
				    name_key, v->u.string.str);
		if (by_name > max)
			return fail(c, nv, SBX_EVALUE, ERANGE, "%s is out of range (0..%llu)",
				    nv->u.string.str, (unsigned long long)max);
		if (!absent(ret) && by_name != n && c->notes)
			sbx_notes_add(c->notes, "%s: \"%s\" (%llu) replaces %s %llu, as in "
				      "containers/common", c->ptr, nv->u.string.str,
				      (unsigned long long)by_name, ret_key, (unsigned long long)n);
		out->data = (uint16_t)by_name;
	}
	sbx_json_ptr_pop(c->ptr, at);
	return 0;
}

/* ---- architectures ------------------------------------------------------------ */

/* libseccomp's SCMP_ARCH_* names, as "architectures" and archMap use them.
 * This table and native_arches hold characters, not pointers: no
 * relocations for the loader of libsbx.so at every sandboxed start. */
static const char scmp_arches[][24] = {
	"SCMP_ARCH_X86_64", "SCMP_ARCH_AARCH64",                  /* sbx's   */
	"SCMP_ARCH_X86", "SCMP_ARCH_X32", "SCMP_ARCH_ARM",        /* killed  */
	"SCMP_ARCH_NATIVE", "SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64", "SCMP_ARCH_MIPS64N32",
	"SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",
	"SCMP_ARCH_PPC64", "SCMP_ARCH_PPC64LE", "SCMP_ARCH_S390", "SCMP_ARCH_S390X",
	"SCMP_ARCH_PARISC", "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64",
	"SCMP_ARCH_LOONGARCH64", "SCMP_ARCH_M68K", "SCMP_ARCH_SH", "SCMP_ARCH_SHEB",
};
#define SCMP_ARCH_OURS 2
#define SCMP_ARCH_SUB_END 5

struct arch_seen {
	bool seen[COUNT(scmp_arches)];
};

static int scmp_arch(struct ctx *c, const struct sbx_json *s, size_t i, void *arg)
{
	struct arch_seen *seen = arg;
	const char *names[COUNT(scmp_arches)];
	char sug[96];

	(void)i;
	for (size_t k = 0; k < COUNT(scmp_arches); k++) {
		if (strcmp(s->u.string.str, scmp_arches[k]) == 0) {
			seen->seen[k] = true;
			return 0;
		}
	}
	for (size_t k = 0; k < COUNT(scmp_arches); k++)
		names[k] = scmp_arches[k];
	return fail(c, s, SBX_EVALUE, EINVAL, "unknown architecture \"%s\"%s", s->u.string.str,
		    quoted_suggestion(sbx_suggest(s->u.string.str, names, COUNT(names)),
				      sug, sizeof(sug)));
}

static int arch_map(struct ctx *c, const struct sbx_json *map, struct arch_seen *seen)
{
	static const char *const keys[] = { "architecture", "subArchitectures" };
	size_t base = sbx_json_ptr_push(c->ptr, sizeof(c->ptr), "archMap");
	int rc = want(c, map, SBX_JSON_ARRAY);

	for (size_t i = 0; !rc && i < map->u.array.count; i++) {
		const struct sbx_json *e = map->u.array.items[i], *a;
		size_t at = sbx_json_ptr_push_index(c->ptr, sizeof(c->ptr), i), at2;

		if ((rc = want(c, e, SBX_JSON_OBJECT)) || (rc = check_keys(c, e, keys, 2)))
			break;
		a = sbx_json_get(e, "architecture");
		if (!a)
			return fail(c, e, SBX_EVALUE, EINVAL, "\"architecture\" is required");
		at2 = sbx_json_ptr_push(c->ptr, sizeof(c->ptr), "architecture");
		if ((rc = want(c, a, SBX_JSON_STRING)) || (rc = scmp_arch(c, a, 0, seen)))
			break;
		sbx_json_ptr_pop(c->ptr, at2);
		rc = each_string(c, sbx_json_get(e, "subArchitectures"), "subArchitectures",
				 scmp_arch, seen);
		if (!rc)
			sbx_json_ptr_pop(c->ptr, at);
	}
	if (!rc)
		sbx_json_ptr_pop(c->ptr, base);
	return rc;
}

static void note_arches(struct ctx *c, const struct arch_seen *seen)
{
	char killed[128] = "", ignored[512] = "";
	size_t lk = 0, li = 0;

	for (size_t k = SCMP_ARCH_OURS; k < COUNT(scmp_arches); k++) {
		char *buf = k < SCMP_ARCH_SUB_END ? killed : ignored;
		size_t *len = k < SCMP_ARCH_SUB_END ? &lk : &li;
		size_t cap = k < SCMP_ARCH_SUB_END ? sizeof(killed) : sizeof(ignored);
		int n;

		if (!seen->seen[k] || *len >= cap)
			continue;
		n = snprintf(buf + *len, cap - *len, "%s%s", *len ? ", " : "", scmp_arches[k]);
		if (n > 0)
			*len += (size_t)n;
	}
	if (!c->notes)
		return;
	if (lk)
		sbx_notes_add(c->notes,
			      "profile architectures %s: not supported by sbx's compiler; "
			      "their system calls are killed", killed);
	if (li)
		sbx_notes_add(c->notes,
			      "profile architectures %s: ignored (sbx compiles for x86_64 and "
			      "aarch64; other architectures are killed)", ignored);
}

/* moby's names for the arch it runs on (runtime.GOARCH mapped to
 * libseccomp's strings), as "includes"/"excludes" "arches" use them. */
static const char native_arches[][16] = {
	"amd64", "arm64",
	"x86", "x32", "arm", "mips", "mipsle", "mips64", "mips64n32", "mipsel64",
	"mipsel64n32", "mips3l64n32", "ppc", "ppc64", "ppc64le", "s390", "s390x",
	"riscv64", "loong64", "parisc", "parisc64", "m68k", "sh", "sheb",
};

static int native_arch(struct ctx *c, const struct sbx_json *s, size_t i, void *arg)
{
	unsigned *mask = arg;
	const char *names[COUNT(native_arches)];
	char sug[96];

	(void)i;
	for (size_t k = 0; k < COUNT(native_arches); k++) {
		if (strcmp(s->u.string.str, native_arches[k]) == 0) {
			if (k == 0)
				*mask |= SBX_ARCH_BIT(SBX_ARCH_X86_64);
			else if (k == 1)
				*mask |= SBX_ARCH_BIT(SBX_ARCH_AARCH64);
			return 0;
		}
	}
	for (size_t k = 0; k < COUNT(native_arches); k++)
		names[k] = native_arches[k];
	return fail(c, s, SBX_EVALUE, EINVAL, "unknown architecture \"%s\"%s", s->u.string.str,
		    quoted_suggestion(sbx_suggest(s->u.string.str, names, COUNT(names)),
				      sug, sizeof(sug)));
}

/* ---- includes / excludes ---------------------------------------------------------- */

struct filter {
	bool has_arches, has_caps, has_kernel;
	unsigned arches;                 /* sbx arch bits listed */
	uint64_t caps;                   /* capability bits listed */
	unsigned kernel[3];
	const char *kernel_text;
};

static int cap_item(struct ctx *c, const struct sbx_json *s, size_t i, void *arg)
{
	struct filter *f = arg;
	int cap = sbx_cap_from_name(s->u.string.str);
	const char *canon = cap >= 0 ? sbx_cap_name(cap) : NULL;
	char sug[96];

	(void)i;
	if (canon && strcmp(canon, s->u.string.str) == 0) {
		f->caps |= SBX_CAP_BIT(cap);
		return 0;
	}
	/* moby compares names with the bounding set's exactly: "sys_admin"
	 * would never match there, so it is not silently accepted here. */
	if (canon)
		return fail(c, s, SBX_EVALUE, EINVAL,
			    "capability \"%s\" must be written \"%s\"", s->u.string.str, canon);
	return fail(c, s, SBX_EVALUE, EINVAL, "unknown capability \"%s\"%s", s->u.string.str,
		    quoted_suggestion(sbx_cap_suggest(s->u.string.str), sug, sizeof(sug)));
}

/* "4.8" or "5.10.1" -> {4, 8, 0} / {5, 10, 1}; false if not that shape.
 * With `prefix_ok`, anything may follow ("6.18.0-1-amd64": uname's). */
static bool parse_version(const char *s, unsigned v[3], bool prefix_ok)
{
	size_t k = 0;

	v[0] = v[1] = v[2] = 0;
	for (;;) {
		unsigned long n = 0;
		const char *start = s;
		while (*s >= '0' && *s <= '9' && n < 1000000)
			n = n * 10 + (unsigned long)(*s++ - '0');
		if (s == start || (*s >= '0' && *s <= '9'))
			return false;
		v[k++] = (unsigned)n;
		if (k < 3 && *s == '.' && s[1] >= '0' && s[1] <= '9') {
			s++;
			continue;
		}
		return k >= 2 && (prefix_ok || *s == '\0');
	}
}

static int get_filter(struct ctx *c, const struct sbx_json *obj, const char *key,
		      struct filter *f)
{
	static const char *const keys[] = { "caps", "arches", "minKernel" };
	const struct sbx_json *v = sbx_json_get(obj, key), *k;
	size_t at;
	int rc;

	memset(f, 0, sizeof(*f));
	if (absent(v))
		return 0;
	at = sbx_json_ptr_push(c->ptr, sizeof(c->ptr), key);
	if ((rc = want(c, v, SBX_JSON_OBJECT)) || (rc = check_keys(c, v, keys, COUNT(keys))))
		return rc;
	if ((rc = each_string(c, sbx_json_get(v, "caps"), "caps", cap_item, f)) ||
	    (rc = each_string(c, sbx_json_get(v, "arches"), "arches", native_arch, &f->arches)))
		return rc;
	k = sbx_json_get(v, "caps");
	f->has_caps = !absent(k) && k->u.array.count > 0;
	k = sbx_json_get(v, "arches");
	f->has_arches = !absent(k) && k->u.array.count > 0;
	k = sbx_json_get(v, "minKernel");
	if (!absent(k)) {
		size_t at2 = sbx_json_ptr_push(c->ptr, sizeof(c->ptr), "minKernel");
		if ((rc = want(c, k, SBX_JSON_STRING)))
			return rc;
		if (!parse_version(k->u.string.str, f->kernel, false))
			return fail(c, k, SBX_EVALUE, EINVAL,
				    "expected a kernel version like \"5.8\", found \"%s\"",
				    k->u.string.str);
		f->has_kernel = true;
		f->kernel_text = k->u.string.str;
		sbx_json_ptr_pop(c->ptr, at2);
	}
	sbx_json_ptr_pop(c->ptr, at);
	return 0;
}

/* Is the running kernel at least v? (moby: kernel.CompareKernelVersion) */
static int kernel_at_least(struct ctx *c, const struct sbx_json *at, const unsigned v[3],
			   bool *out)
{
	if (!c->have_kernel) {
		struct utsname u;
		if (uname(&u) != 0)
			return sbx_error_sys(c->err, errno, "uname", c->prefix,
					     "minKernel: cannot read the kernel release");
		if (!parse_version(u.release, c->kernel, true))
			return fail(c, at, SBX_EUNSUPPORTED, ENOTSUP,
				    "minKernel: cannot parse the kernel release \"%s\"",
				    u.release);
		c->have_kernel = true;
	}
	for (int i = 0; i < 3; i++) {
		if (c->kernel[i] != v[i]) {
			*out = c->kernel[i] > v[i];
			return 0;
		}
	}
	*out = true;
	return 0;
}

/* ---- syscall entries --------------------------------------------------------------- */

static const char *const op_names[] = {
	"SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ",
	"SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ",
};
static const enum sbx_cmp_op op_values[] = {
	SBX_CMP_NE, SBX_CMP_LT, SBX_CMP_LE, SBX_CMP_EQ,
	SBX_CMP_GE, SBX_CMP_GT, SBX_CMP_MASKED_EQ,
};

static int get_arg(struct ctx *c, const struct sbx_json *a, struct sbx_arg_cond *out)
{
	static const char *const keys[] = { "index", "value", "valueTwo", "op" };
	const struct sbx_json *v;
	uint64_t index, value, two = 0;
	size_t at;
	char sug[96];
	int rc;

	if ((rc = want(c, a, SBX_JSON_OBJECT)) || (rc = check_keys(c, a, keys, COUNT(keys))))
		return rc;
	for (size_t k = 0; k < COUNT(keys); k++)
		if (k != 2 && !sbx_json_get(a, keys[k]))
			return fail(c, a, SBX_EVALUE, EINVAL, "\"%s\" is required", keys[k]);

	at = sbx_json_ptr_push(c->ptr, sizeof(c->ptr), "index");
	if ((rc = get_uint(c, sbx_json_get(a, "index"), ARG_COUNT - 1, &index)))
		return rc;
	sbx_json_ptr_pop(c->ptr, at);
	at = sbx_json_ptr_push(c->ptr, sizeof(c->ptr), "value");
	if ((rc = get_uint(c, sbx_json_get(a, "value"), UINT64_MAX, &value)))
		return rc;
	sbx_json_ptr_pop(c->ptr, at);
	v = sbx_json_get(a, "valueTwo");
	if (!absent(v)) {
		at = sbx_json_ptr_push(c->ptr, sizeof(c->ptr), "valueTwo");
		if ((rc = get_uint(c, v, UINT64_MAX, &two)))
			return rc;
		sbx_json_ptr_pop(c->ptr, at);
	}

	v = sbx_json_get(a, "op");
	at = sbx_json_ptr_push(c->ptr, sizeof(c->ptr), "op");
	if ((rc = want(c, v, SBX_JSON_STRING)))
		return rc;
	memset(out, 0, sizeof(*out));
	out->arg = (uint8_t)index;
	for (size_t k = 0; k < COUNT(op_names); k++) {
		if (strcmp(v->u.string.str, op_names[k]) != 0)
			continue;
		out->op = op_values[k];
		if (out->op == SBX_CMP_MASKED_EQ) {
			/* libseccomp: value is the mask, valueTwo the datum, and
			 * the datum is masked too ((arg & m) == (d & m)). */
			out->mask = value;
			out->value = two & value;
		} else {
			/* libseccomp ignores datum_b for the other operators. */
			out->value = value;
		}
		sbx_json_ptr_pop(c->ptr, at);
		return 0;
	}
	return fail(c, v, SBX_EVALUE, EINVAL, "unknown op \"%s\"%s", v->u.string.str,
		    quoted_suggestion(sbx_suggest(v->u.string.str, op_names, COUNT(op_names)),
				      sug, sizeof(sug)));
}

static int own_conds(struct ctx *c, struct sbx_arg_cond *conds)
{
	struct sbx_docker_profile *p = c->p;

	if (grow((void **)&p->conds, &p->conds_cap, p->nconds + 1, sizeof(*p->conds))) {
		free(conds);
		return nomem(c);
	}
	p->conds[p->nconds++] = conds;
	return 0;
}

/* Validated content of one syscalls[] entry. */
struct entry {
	const struct sbx_json *names;    /* array, or a single string ("name") */
	struct sbx_action action;
	struct sbx_arg_cond *conds;
	size_t nconds;
	bool same_arg;                   /* two conditions on one argument */
	struct filter inc, exc;
};

static int name_item(struct ctx *c, const struct sbx_json *s, size_t i, void *arg)
{
	(void)i;
	(void)arg;
	if (s->u.string.len == 0)
		return fail(c, s, SBX_EVALUE, EINVAL, "empty syscall name");
	return 0;
}

static int read_entry(struct ctx *c, const struct sbx_json *e, struct entry *out)
{
	static const char *const keys[] = { "name", "names", "action", "errnoRet", "errno",
					    "args", "comment", "includes", "excludes" };
	const struct sbx_json *name = sbx_json_get(e, "name"), *names = sbx_json_get(e, "names");
	const struct sbx_json *args, *v;
	size_t at;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = want(c, e, SBX_JSON_OBJECT)) || (rc = check_keys(c, e, keys, COUNT(keys))))
		return rc;

	if (!absent(name) && !absent(names))
		return fail(c, e, SBX_EVALUE, EINVAL,
			    "\"name\" and \"names\" are both given; use one");
	if (absent(name) && absent(names))
		return fail(c, e, SBX_EVALUE, EINVAL, "\"names\" (or \"name\") is required");
	if (!absent(name)) {
		at = sbx_json_ptr_push(c->ptr, sizeof(c->ptr), "name");
		if ((rc = want(c, name, SBX_JSON_STRING)) || (rc = name_item(c, name, 0, NULL)))
			return rc;
		sbx_json_ptr_pop(c->ptr, at);
		out->names = name;
	} else {
		if ((rc = each_string(c, names, "names", name_item, NULL)))
			return rc;
		out->names = names;
	}

	if ((rc = get_action(c, e, "action", "errnoRet", "errno", &out->action)))
		return rc;

	v = sbx_json_get(e, "comment");
	if (!absent(v)) {
		at = sbx_json_ptr_push(c->ptr, sizeof(c->ptr), "comment");
		if ((rc = want(c, v, SBX_JSON_STRING)))
			return rc;
		sbx_json_ptr_pop(c->ptr, at);
	}

	args = sbx_json_get(e, "args");
	if (!absent(args)) {
		unsigned seen = 0;
		at = sbx_json_ptr_push(c->ptr, sizeof(c->ptr), "args");
		if ((rc = want(c, args, SBX_JSON_ARRAY)))
			return rc;
		if (args->u.array.count) {
			out->conds = calloc(args->u.array.count, sizeof(*out->conds));
			if (!out->conds || (rc = own_conds(c, out->conds)))
				return out->conds ? rc : nomem(c);
		}
		for (size_t i = 0; i < args->u.array.count; i++) {
			size_t at2 = sbx_json_ptr_push_index(c->ptr, sizeof(c->ptr), i);
			if ((rc = get_arg(c, args->u.array.items[i], &out->conds[i])))
				return rc;
			sbx_json_ptr_pop(c->ptr, at2);
			if (seen & (1u << out->conds[i].arg))
				out->same_arg = true;
			seen |= 1u << out->conds[i].arg;
		}
		out->nconds = args->u.array.count;
		sbx_json_ptr_pop(c->ptr, at);
	}

	if ((rc = get_filter(c, e, "includes", &out->inc)) ||
	    (rc = get_filter(c, e, "excludes", &out->exc)))
		return rc;
	return 0;
}

/* "bpf, clone, clone3 and 23 more" */
static void names_summary(const struct sbx_json *names, char *buf, size_t cap)
{
	size_t n = names->type == SBX_JSON_STRING ? 1 : names->u.array.count, len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && i < 3; i++) {
		const char *s = names->type == SBX_JSON_STRING ? names->u.string.str
							       : names->u.array.items[i]->u.string.str;
		char shown[40];
		one_line(shown, sizeof(shown), s);
		int k = snprintf(buf + len, cap - len, "%s%s", i ? ", " : "", shown);
		if (k < 0 || (size_t)k >= cap - len)
			return;
		len += (size_t)k;
	}
	if (n > 3)
		snprintf(buf + len, cap - len, " and %zu more", n - 3);
}

static void caps_list(uint64_t caps, char *buf, size_t cap)
{
	size_t len = 0;

	buf[0] = '\0';
	for (int i = 0; i <= SBX_CAP_LAST; i++) {
		if (!(caps & SBX_CAP_BIT(i)))
			continue;
		int k = snprintf(buf + len, cap - len, "%s%s", len ? ", " : "", sbx_cap_name(i));
		if (k < 0 || (size_t)k >= cap - len)
			return;
		len += (size_t)k;
	}
}

/* Does the entry apply here, and on which of sbx's arches? (moby's order:
 * excludes, then includes; every condition must pass.) */
static int decide(struct ctx *c, size_t idx, const struct sbx_json *e,
		  const struct entry *en, unsigned *mask)
{
	char what[160], caps[400], names[128];
	bool ok;
	int rc;

	*mask = SBX_ARCHES;
	if (en->exc.has_arches)
		*mask &= ~en->exc.arches;
	if (en->inc.has_arches)
		*mask &= en->inc.arches;
	if (!*mask)
		return 0;  /* for other architectures only: nothing to say */

	what[0] = '\0';
	if (en->exc.has_caps && (en->exc.caps & c->caps_kept)) {
		caps_list(en->exc.caps & c->caps_kept, caps, sizeof(caps));
		snprintf(what, sizeof(what), "excluded when %.120s is kept", caps);
	} else if (en->inc.has_caps && (en->inc.caps & ~c->caps_kept)) {
		caps_list(en->inc.caps & ~c->caps_kept, caps, sizeof(caps));
		snprintf(what, sizeof(what), "needs %.120s, not kept by the policy", caps);
	}
	if (!what[0] && en->exc.has_kernel) {
		if ((rc = kernel_at_least(c, e, en->exc.kernel, &ok)))
			return rc;
		if (ok)
			snprintf(what, sizeof(what), "excluded on kernels >= %.32s, running %u.%u.%u",
				 en->exc.kernel_text, c->kernel[0], c->kernel[1], c->kernel[2]);
	}
	if (!what[0] && en->inc.has_kernel) {
		if ((rc = kernel_at_least(c, e, en->inc.kernel, &ok)))
			return rc;
		if (!ok)
			snprintf(what, sizeof(what), "needs kernel >= %.32s, running %u.%u.%u",
				 en->inc.kernel_text, c->kernel[0], c->kernel[1], c->kernel[2]);
	}
	if (what[0]) {
		*mask = 0;
		if (c->notes) {
			names_summary(en->names, names, sizeof(names));
			sbx_notes_add(c->notes, "/syscalls/%zu (%s) not applied: %s", idx, names,
				      what);
		}
	}
	return 0;
}

static int add_item(struct ctx *c, const struct sbx_docker_item *it)
{
	if (grow((void **)&c->items, &c->items_cap, c->nitems + 1, sizeof(*c->items)))
		return nomem(c);
	c->items[c->nitems++] = *it;
	return 0;
}

static int add_name(struct ctx *c, size_t idx, const struct sbx_json *s,
		    const struct entry *en, unsigned mask)
{
	const char *name = s->u.string.str;
	unsigned here = 0;
	int rc;

	for (int a = 0; a < SBX_ARCH_COUNT; a++) {
		int nr = sbx_syscall_lookup(a, name);
		if (nr >= 0)
			here |= SBX_ARCH_BIT(a);
		else if (nr == -ENOENT) {
			char sug[96];
			if (strictness(en->action.kind) <= strictness(c->def.kind)) {
				/* Not stricter than the default: without a number
				 * in sbx's tables the call stays denied (default or
				 * ENOSYS), so skipping it cannot open anything. */
				if (grow((void **)&c->unknown, &c->unknown_cap, c->nunknown + 1,
					 sizeof(*c->unknown)))
					return nomem(c);
				c->unknown[c->nunknown++] = name;
				return 0;
			}
			/* Stricter: the name might be another spelling of a
			 * call sbx knows, which would then escape the entry. */
			return fail(c, s, SBX_ESYSCALL, EINVAL,
				    "\"%s\" is not a system call sbx knows%s; an entry stricter "
				    "than the default action cannot skip it",
				    name, quoted_suggestion(sbx_syscall_suggest(name), sug,
							    sizeof(sug)));
		}
	}
	mask &= here;
	if (!mask)
		return 0;  /* only on other architectures: absent here, ENOSYS */

	if (!en->same_arg || en->nconds < 2)
		return add_item(c, &(struct sbx_docker_item){
			name, en->action, en->nconds ? en->conds : NULL, en->nconds, mask, idx });
	/* runc adds each condition as its own rule when two share an
	 * argument (libseccomp refuses that in one rule): alternatives. */
	for (size_t k = 0; k < en->nconds; k++)
		if ((rc = add_item(c, &(struct sbx_docker_item){
			     name, en->action, &en->conds[k], 1, mask, idx })))
			return rc;
	return 0;
}

static int add_names(struct ctx *c, size_t idx, const struct entry *en, unsigned mask)
{
	size_t at;
	int rc = 0;

	if (en->names->type == SBX_JSON_STRING) {
		at = sbx_json_ptr_push(c->ptr, sizeof(c->ptr), "name");
		rc = add_name(c, idx, en->names, en, mask);
	} else {
		at = sbx_json_ptr_push(c->ptr, sizeof(c->ptr), "names");
		for (size_t k = 0; !rc && k < en->names->u.array.count; k++) {
			size_t at2 = sbx_json_ptr_push_index(c->ptr, sizeof(c->ptr), k);
			rc = add_name(c, idx, en->names->u.array.items[k], en, mask);
			if (!rc)
				sbx_json_ptr_pop(c->ptr, at2);
		}
	}
	if (!rc)
		sbx_json_ptr_pop(c->ptr, at);
	return rc;
}

static int syscalls(struct ctx *c, const struct sbx_json *arr)
{
	size_t base = sbx_json_ptr_push(c->ptr, sizeof(c->ptr), "syscalls");
	int rc = want(c, arr, SBX_JSON_ARRAY);

	for (size_t i = 0; !rc && i < arr->u.array.count; i++) {
		const struct sbx_json *e = arr->u.array.items[i];
		size_t at = sbx_json_ptr_push_index(c->ptr, sizeof(c->ptr), i);
		struct entry en;
		unsigned mask;

		if ((rc = read_entry(c, e, &en)) || (rc = decide(c, i, e, &en, &mask)))
			return rc;
		if (en.same_arg && en.nconds > 1 && mask && c->notes)
			sbx_notes_add(c->notes,
				      "/syscalls/%zu/args: conditions on the same argument are "
				      "alternatives (each its own rule, as runc adds them)", i);
		/* runc drops rules whose action is the default's
		 * (libseccomp would refuse them); dropping differs from
		 * applying when the same syscall has other rules. */
		if (mask && !sbx_docker_action_eq(en.action, c->def))
			rc = add_names(c, i, &en, mask);
		if (!rc)
			sbx_json_ptr_pop(c->ptr, at);
	}
	if (!rc)
		sbx_json_ptr_pop(c->ptr, base);
	return rc;
}

/* ---- top level ------------------------------------------------------------------- */

static const char *const flag_notes[][2] = {
	{ "SECCOMP_FILTER_FLAG_TSYNC", "sbx synchronises threads itself where a door needs it" },
	{ "SECCOMP_FILTER_FLAG_LOG", "sbx does not set the audit-log flag" },
	{ "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
	  "sbx keeps the speculative store bypass mitigation on" },
	{ "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", "sbx does not set it" },
};

static int flag_item(struct ctx *c, const struct sbx_json *s, size_t i, void *arg)
{
	const char *names[COUNT(flag_notes)];
	char sug[96];

	(void)i;
	(void)arg;
	for (size_t k = 0; k < COUNT(flag_notes); k++) {
		names[k] = flag_notes[k][0];
		if (strcmp(s->u.string.str, names[k]) == 0) {
			if (c->notes)
				sbx_notes_add(c->notes, "profile flag %s ignored: %s", names[k],
					      flag_notes[k][1]);
			return 0;
		}
	}
	return fail(c, s, SBX_EVALUE, EINVAL, "unknown flag \"%s\"%s", s->u.string.str,
		    quoted_suggestion(sbx_suggest(s->u.string.str, names, COUNT(names)), sug,
				      sizeof(sug)));
}

static int read_profile(struct ctx *c, const struct sbx_json *root)
{
	static const char *const keys[] = { "defaultAction", "defaultErrnoRet", "defaultErrno",
					    "architectures", "archMap", "syscalls", "flags",
					    "listenerPath", "listenerMetadata" };
	const struct sbx_json *v;
	struct arch_seen seen;
	int rc;

	if ((rc = want(c, root, SBX_JSON_OBJECT)) ||
	    (rc = check_keys(c, root, keys, COUNT(keys))))
		return rc;
	/* Without a defaultAction moby disables seccomp altogether: never here. */
	if ((rc = get_action(c, root, "defaultAction", "defaultErrnoRet", "defaultErrno", &c->def)))
		return rc;

	memset(&seen, 0, sizeof(seen));
	if (!absent(sbx_json_get(root, "architectures")) && !absent(sbx_json_get(root, "archMap"))) {
		sbx_json_ptr_push(c->ptr, sizeof(c->ptr), "archMap");
		return fail(c, sbx_json_get(root, "archMap"), SBX_EVALUE, EINVAL,
			    "\"architectures\" and \"archMap\" are both given; use one (as moby)");
	}
	if ((rc = each_string(c, sbx_json_get(root, "architectures"), "architectures",
			      scmp_arch, &seen)))
		return rc;
	v = sbx_json_get(root, "archMap");
	if (!absent(v) && (rc = arch_map(c, v, &seen)))
		return rc;

	if ((rc = each_string(c, sbx_json_get(root, "flags"), "flags", flag_item, NULL)))
		return rc;
	for (size_t k = 0; k < 2; k++) {
		const char *key = k ? "listenerMetadata" : "listenerPath";
		v = sbx_json_get(root, key);
		if (absent(v))
			continue;
		size_t at = sbx_json_ptr_push(c->ptr, sizeof(c->ptr), key);
		if ((rc = want(c, v, SBX_JSON_STRING)))
			return rc;
		sbx_json_ptr_pop(c->ptr, at);
		/* Harmless to drop: with no listener attached, the kernel
		 * fails SCMP_ACT_NOTIFY calls (ENOSYS) instead of running them. */
		if (c->notes)
			sbx_notes_add(c->notes,
				      "profile %s ignored: sbx does not hand the notification "
				      "fd to a Docker seccomp agent", key);
	}

	v = sbx_json_get(root, "syscalls");
	if (!absent(v) && (rc = syscalls(c, v)))
		return rc;
	note_arches(c, &seen);
	return 0;
}

#define SHOWN_NAME 72 /* longest real syscall name is ~28 */

static int str_ptr_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void note_unknown(struct ctx *c)
{
	size_t len = 0, cap = 0, n = 0;
	char *list = NULL;

	if (!c->nunknown || !c->notes)
		return;
	qsort(c->unknown, c->nunknown, sizeof(*c->unknown), str_ptr_cmp);
	for (size_t i = 0; i < c->nunknown; i++)
		if (!i || strcmp(c->unknown[i], c->unknown[i - 1]) != 0)
			cap += SHOWN_NAME + 2;
	list = malloc(cap + 1);
	if (!list)
		return;  /* a note lost to OOM loses no security */
	for (size_t i = 0; i < c->nunknown; i++) {
		char shown[SHOWN_NAME];
		if (i && strcmp(c->unknown[i], c->unknown[i - 1]) == 0)
			continue;
		one_line(shown, sizeof(shown), c->unknown[i]);
		len += (size_t)sprintf(list + len, "%s%s", n++ ? ", " : "", shown);
	}
	sbx_notes_add(c->notes,
		      "%zu syscall names unknown to sbx skipped (not on x86_64 or aarch64; "
		      "with no number in sbx's tables they stay denied): %s", n, list);
	free(list);
}

static int build_spec(struct ctx *c)
{
	struct sbx_docker_profile *p = c->p;
	struct sbx_seccomp_entry *ents;
	size_t n = 0;
	int rc;

	if ((rc = sbx_docker_merge(c->items, c->nitems, c->notes, c->err))) {
		snprintf(c->err->pointer, sizeof(c->err->pointer), "%s", c->prefix);
		return rc;
	}
	ents = calloc(c->nitems ? c->nitems : 1, sizeof(*ents));
	if (!ents)
		return nomem(c);
	for (size_t i = 0; i < c->nitems; i++) {
		const struct sbx_docker_item *it = &c->items[i];
		if (!it->arch_mask)
			continue;
		ents[n++] = (struct sbx_seccomp_entry){
			.name = it->name, .action = it->action, .conds = it->conds,
			.nconds = it->nconds, .arch_mask = it->arch_mask, .pointer = p->pointer,
		};
	}
	p->entries = ents;
	p->spec = (struct sbx_seccomp_spec){
		.has_default = true, .default_action = c->def, .default_pointer = p->pointer,
		.entries = ents, .nentries = n,
		/* bad_arch_action left unset: kill process, as seccomp.h says. */
	};
	return 0;
}

int sbx_docker_import(const char *text, size_t len, uint64_t caps_kept, const char *pointer,
		      struct sbx_docker_profile **out, struct sbx_notes *notes,
		      struct sbx_error *err)
{
	struct ctx c;
	struct sbx_error local;
	int rc;

	if (!err)
		err = &local;
	if (!out || (!text && len))
		return sbx_error_set(err, SBX_EINVAL, EINVAL, pointer, "bad arguments");
	*out = NULL;
	memset(&c, 0, sizeof(c));
	c.prefix = pointer ? pointer : "";
	c.caps_kept = caps_kept;
	c.notes = notes;
	c.err = err;
	c.p = calloc(1, sizeof(*c.p));
	if (!c.p)
		return nomem(&c);
	c.p->pointer = strdup(c.prefix);
	if (!c.p->pointer) {
		rc = nomem(&c);
		goto out;
	}

	rc = sbx_json_parse(text ? text : "", len, NULL, &c.p->doc, err);
	if (rc) {
		/* Keep the reader's code and "line L, column C: ..." text; the
		 * pointer must name the policy's value, so the profile's own
		 * pointer moves into the message. */
		char msg[sizeof(err->message)], inner[sizeof(err->pointer)];
		snprintf(msg, sizeof(msg), "%s", err->message);
		snprintf(inner, sizeof(inner), "%s", err->pointer);
		snprintf(err->pointer, sizeof(err->pointer), "%s", c.prefix);
		snprintf(err->message, sizeof(err->message), "profile%s%.200s: %.280s",
			 inner[0] ? " at " : "", inner, msg);
		one_line(msg, sizeof(msg), err->message);
		memcpy(err->message, msg, sizeof(msg));
		goto out;
	}
	rc = read_profile(&c, sbx_json_doc_root(c.p->doc));
	if (!rc)
		rc = build_spec(&c);
	if (!rc)
		note_unknown(&c);
out:
	free(c.items);
	free(c.unknown);
	if (rc) {
		sbx_docker_profile_free(c.p);
		return rc;
	}
	sbx_error_clear(err == &local ? NULL : err);
	*out = c.p;
	return 0;
}

const struct sbx_seccomp_spec *sbx_docker_profile_spec(const struct sbx_docker_profile *p)
{
	return p ? &p->spec : NULL;
}

void sbx_docker_profile_free(struct sbx_docker_profile *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nconds; i++)
		free(p->conds[i]);
	free(p->conds);
	free(p->entries);
	free(p->pointer);
	sbx_json_doc_free(p->doc);
	free(p);
}
