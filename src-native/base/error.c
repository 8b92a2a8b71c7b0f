/* Error values of the core: names, and helpers that fill struct sbx_error. */
#include "sbx.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const code_names[SBX_ECODE_COUNT] = {
	[SBX_OK] = "SBX_OK",
	[SBX_EINTERNAL] = "SBX_EINTERNAL",
	[SBX_ENOMEM] = "SBX_ENOMEM",
	[SBX_EINVAL] = "SBX_EINVAL",
	[SBX_ESYS] = "SBX_ESYS",
	[SBX_ESYNTAX] = "SBX_ESYNTAX",
	[SBX_ETOOBIG] = "SBX_ETOOBIG",
	[SBX_ETYPE] = "SBX_ETYPE",
	[SBX_EUNKNOWNKEY] = "SBX_EUNKNOWNKEY",
	[SBX_EVALUE] = "SBX_EVALUE",
	[SBX_ESYSCALL] = "SBX_ESYSCALL",
	[SBX_EPRESET] = "SBX_EPRESET",
	[SBX_ECYCLE] = "SBX_ECYCLE",
	[SBX_EPATH] = "SBX_EPATH",
	[SBX_EIO] = "SBX_EIO",
	[SBX_EUNSUPPORTED] = "SBX_EUNSUPPORTED",
	[SBX_EPROGRAM] = "SBX_EPROGRAM",
};

const char *sbx_code_name(int code)
{
	if (code < 0 || code >= SBX_ECODE_COUNT || !code_names[code])
		return "SBX_EUNKNOWN";
	return code_names[code];
}

const char *sbx_version(void)
{
	return SBX_VERSION_STRING;
}

void sbx_error_clear(struct sbx_error *e)
{
	if (e)
		memset(e, 0, sizeof(*e));
}

__attribute__((format(printf, 4, 0)))
static void fill(struct sbx_error *e, int code, const char *pointer,
		 const char *fmt, va_list ap)
{
	e->code = code;
	snprintf(e->pointer, sizeof(e->pointer), "%s", pointer ? pointer : "");
	vsnprintf(e->message, sizeof(e->message), fmt, ap);
}

int sbx_error_set(struct sbx_error *e, int code, int errnum_ret,
		  const char *pointer, const char *fmt, ...)
{
	if (e) {
		va_list ap;
		memset(e, 0, sizeof(*e));
		va_start(ap, fmt);
		fill(e, code, pointer, fmt, ap);
		va_end(ap);
	}
	return errnum_ret > 0 ? -errnum_ret : (errnum_ret ? errnum_ret : -EINVAL);
}

int sbx_error_sys(struct sbx_error *e, int errnum, const char *syscall,
		  const char *pointer, const char *fmt, ...)
{
	if (e) {
		va_list ap;
		memset(e, 0, sizeof(*e));
		va_start(ap, fmt);
		fill(e, SBX_ESYS, pointer, fmt, ap);
		va_end(ap);
		e->err = errnum;
		snprintf(e->syscall, sizeof(e->syscall), "%s", syscall ? syscall : "");
	}
	return errnum > 0 ? -errnum : -EIO;
}
