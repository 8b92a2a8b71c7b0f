/* Seccomp actions: their SECCOMP_RET_* values and their text form. */
#include "seccomp.h"

#include "errno_names.h"
#include "seccomp_defs.h"
#include "suggest.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The kernel clamps an ERRNO action's data to MAX_ERRNO. */
#define ERRNO_LIMIT 4095

uint32_t sbx_action_ret(struct sbx_action a)
{
	switch (a.kind) {
	case SBX_ACT_ALLOW:
		return SECCOMP_RET_ALLOW;
	case SBX_ACT_ERRNO:
		return SECCOMP_RET_ERRNO | (a.data & SECCOMP_RET_DATA);
	case SBX_ACT_KILL_PROCESS:
		return SECCOMP_RET_KILL_PROCESS;
	case SBX_ACT_KILL_THREAD:
		return SECCOMP_RET_KILL_THREAD;
	case SBX_ACT_TRAP:
		return SECCOMP_RET_TRAP | (a.data & SECCOMP_RET_DATA);
	case SBX_ACT_LOG:
		return SECCOMP_RET_LOG;
	case SBX_ACT_NOTIFY:
		return SECCOMP_RET_USER_NOTIF;
	case SBX_ACT_TRACE:
		return SECCOMP_RET_TRACE | (a.data & SECCOMP_RET_DATA);
	}
	/* Not a valid kind: the most restrictive answer. */
	return SECCOMP_RET_KILL_PROCESS;
}

static const char *const choices[] = {
	"allow", "errno", "kill", "kill-process", "kill-thread", "trap", "log",
	"notify", "trace",
};
#define EXPECTED "allow, errno:NAME, errno:NUMBER, kill, kill-process, kill-thread, trap, log, notify or trace:NUMBER"

/* Decimal 0..limit, nothing else (no sign, no spaces, no hex). */
static int parse_uint(const char *s, unsigned limit, uint16_t *out)
{
	unsigned v = 0;

	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (unsigned)(*s - '0');
		if (v > limit)
			return -1;
	}
	*out = (uint16_t)v;
	return 0;
}

static int parse_errno(const char *arg, struct sbx_action *out,
		       const char *pointer, struct sbx_error *err)
{
	const char *hint;
	int e;

	if (arg[0] >= '0' && arg[0] <= '9') {
		if (parse_uint(arg, ERRNO_LIMIT, &out->data))
			return sbx_error_set(err, SBX_EVALUE, EINVAL, pointer,
					     "errno number \"%s\" is out of range (0..%d)",
					     arg, ERRNO_LIMIT);
		return 0;
	}
	e = sbx_errno_from_name(arg);
	if (e > 0) {
		out->data = (uint16_t)e;
		return 0;
	}
	hint = sbx_errno_suggest(arg);
	if (hint)
		return sbx_error_set(err, SBX_EVALUE, EINVAL, pointer,
				     "unknown errno name \"%s\" (did you mean \"%s\"?)",
				     arg, hint);
	return sbx_error_set(err, SBX_EVALUE, EINVAL, pointer,
			     "unknown errno name \"%s\" (expected a name such as EPERM, or a number 0..%d)",
			     arg, ERRNO_LIMIT);
}

int sbx_action_parse(const char *text, struct sbx_action *out,
		     const char *pointer, struct sbx_error *err)
{
	const char *colon, *arg;
	char word[16];
	size_t wlen;

	if (!text || !out)
		return sbx_error_set(err, SBX_EINVAL, EINVAL, pointer, "no action given");
	colon = strchr(text, ':');
	wlen = colon ? (size_t)(colon - text) : strlen(text);
	arg = colon ? colon + 1 : NULL;
	*out = (struct sbx_action){ SBX_ACT_ALLOW, 0 };
	if (wlen >= sizeof(word))
		goto unknown;
	memcpy(word, text, wlen);
	word[wlen] = '\0';

	if (!strcmp(word, "errno")) {
		out->kind = SBX_ACT_ERRNO;
		if (!arg || !*arg)
			return sbx_error_set(err, SBX_EVALUE, EINVAL, pointer,
					     "action \"%s\" needs an errno: errno:NAME (errno:EPERM) or errno:NUMBER",
					     text);
		return parse_errno(arg, out, pointer, err);
	}
	if (!strcmp(word, "trap") || !strcmp(word, "trace")) {
		out->kind = word[3] == 'p' ? SBX_ACT_TRAP : SBX_ACT_TRACE;
		if (!arg)
			return 0;
		if (parse_uint(arg, SECCOMP_RET_DATA, &out->data))
			return sbx_error_set(err, SBX_EVALUE, EINVAL, pointer,
					     "the data of action \"%s\" must be a number 0..65535",
					     text);
		return 0;
	}
	if (arg)
		return sbx_error_set(err, SBX_EVALUE, EINVAL, pointer,
				     "action \"%s\" takes no \":\" argument (expected " EXPECTED ")",
				     text);
	if (!strcmp(word, "allow"))
		out->kind = SBX_ACT_ALLOW;
	else if (!strcmp(word, "kill") || !strcmp(word, "kill-process"))
		out->kind = SBX_ACT_KILL_PROCESS;
	else if (!strcmp(word, "kill-thread"))
		out->kind = SBX_ACT_KILL_THREAD;
	else if (!strcmp(word, "log"))
		out->kind = SBX_ACT_LOG;
	else if (!strcmp(word, "notify"))
		out->kind = SBX_ACT_NOTIFY;
	else
		goto unknown;
	return 0;

unknown: {
	const char *hint = wlen < sizeof(word) ?
		sbx_suggest(word, choices, sizeof(choices) / sizeof(choices[0])) : NULL;

	if (hint)
		return sbx_error_set(err, SBX_EVALUE, EINVAL, pointer,
				     "unknown action \"%s\" (did you mean \"%s\"? expected " EXPECTED ")",
				     text, hint);
	return sbx_error_set(err, SBX_EVALUE, EINVAL, pointer,
			     "unknown action \"%s\" (expected " EXPECTED ")", text);
	}
}

void sbx_action_format(struct sbx_action a, char *buf, size_t cap)
{
	const char *name;

	if (!buf || !cap)
		return;
	switch (a.kind) {
	case SBX_ACT_ALLOW: snprintf(buf, cap, "allow"); return;
	case SBX_ACT_KILL_PROCESS: snprintf(buf, cap, "kill"); return;
	case SBX_ACT_KILL_THREAD: snprintf(buf, cap, "kill-thread"); return;
	case SBX_ACT_LOG: snprintf(buf, cap, "log"); return;
	case SBX_ACT_NOTIFY: snprintf(buf, cap, "notify"); return;
	case SBX_ACT_ERRNO:
		name = sbx_errno_name(a.data);
		if (name)
			snprintf(buf, cap, "errno:%s", name);
		else
			snprintf(buf, cap, "errno:%u", (unsigned)a.data);
		return;
	case SBX_ACT_TRAP:
	case SBX_ACT_TRACE:
		if (a.data)
			snprintf(buf, cap, "%s:%u", a.kind == SBX_ACT_TRAP ? "trap" : "trace",
				 (unsigned)a.data);
		else
			snprintf(buf, cap, "%s", a.kind == SBX_ACT_TRAP ? "trap" : "trace");
		return;
	}
	snprintf(buf, cap, "invalid");
}
