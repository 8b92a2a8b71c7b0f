/* The policy channel: read (bounded) and load. No exit, no output: the
 * caller (main.c) reports the error. */
#include "channel.h"
#include "policy.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int ln_channel_read(int fd, char **text, size_t *len, struct sbx_error *err)
{
	*text = NULL;
	*len = 0;
	size_t cap = 64 * 1024, n = 0;
	char *buf = malloc(cap + 1);
	if (!buf)
		return sbx_error_set(err, SBX_ENOMEM, ENOMEM, NULL, "out of memory");
	for (;;) {
		if (n == cap) {
			/* One byte past the limit is enough to know it is too long. */
			if (cap > LN_POLICY_MAX) {
				free(buf);
				return sbx_error_set(err, SBX_ETOOBIG, EFBIG, NULL,
						     "the policy is larger than 4 MiB");
			}
			cap = cap * 2 > LN_POLICY_MAX ? LN_POLICY_MAX + 1 : cap * 2;
			char *nb = realloc(buf, cap + 1);
			if (!nb) {
				free(buf);
				return sbx_error_set(err, SBX_ENOMEM, ENOMEM, NULL, "out of memory");
			}
			buf = nb;
			continue;
		}
		ssize_t r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			free(buf);
			return sbx_error_sys(err, e, "read", NULL, "reading the policy from fd %d: %s",
					     fd, strerror(e));
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (n > LN_POLICY_MAX) {
		free(buf);
		return sbx_error_set(err, SBX_ETOOBIG, EFBIG, NULL, "the policy is larger than 4 MiB");
	}
	buf[n] = '\0';
	*text = buf;
	*len = n;
	return 0;
}

enum ln_channel_kind ln_channel_kind(const char *text, size_t len, const char **start)
{
	switch (sbx_policy_source_kind(text, len, start)) {
	case SBX_SOURCE_EMPTY:
		return LN_CHANNEL_DEFAULT;
	case SBX_SOURCE_INLINE:
		return LN_CHANNEL_INLINE;
	default:
		return LN_CHANNEL_SOURCE;
	}
}

int ln_channel_load(const char *text, size_t len, const struct sbx_policy_load_opts *opts,
		    struct sbx_policy **out, struct sbx_error *err)
{
	/* JSON has no raw NUL anywhere and a name or path cannot hold one: a
	 * NUL would only cut the text short, so what loads is not what was
	 * sent. */
	const char *nul = memchr(text, '\0', len);
	if (nul)
		return sbx_error_set(err, SBX_ESYNTAX, EINVAL, "",
				     "the policy text holds a NUL byte (at byte %zu)",
				     (size_t)(nul - text));
	const char *s;
	switch (ln_channel_kind(text, len, &s)) {
	case LN_CHANNEL_DEFAULT:
		return sbx_policy_load("default", opts, out, err);
	case LN_CHANNEL_INLINE:
		return sbx_policy_load_text(text, len, opts, out, err);
	default:
		return sbx_policy_load(s, opts, out, err);
	}
}
