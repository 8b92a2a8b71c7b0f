/* Decoding the spawn server's requests (request.h): bounds-checked, one
 * allocation, strings NUL-terminated for the launcher's use. */
#include "request.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct rd {
	const unsigned char *p;
	size_t left;
	char *out;      /* next free byte of the string area */
};

static bool rd_u32(struct rd *r, uint32_t *v)
{
	if (r->left < 4)
		return false;
	memcpy(v, r->p, 4);
	r->p += 4;
	r->left -= 4;
	return true;
}

/* One string: copied with a terminator. `nul_ok`: the policy text, whose
 * NULs the channel loader reports itself. */
static bool rd_str(struct rd *r, const char **s, size_t *n, bool nul_ok)
{
	uint32_t len;
	if (!rd_u32(r, &len) || len > r->left)
		return false;
	if (!nul_ok && memchr(r->p, '\0', len))
		return false;
	memcpy(r->out, r->p, len);
	r->out[len] = '\0';
	*s = r->out;
	if (n)
		*n = len;
	r->out += len + 1;
	r->p += len;
	r->left -= len;
	return true;
}

static bool rd_list(struct rd *r, char **list, uint32_t count)
{
	for (uint32_t i = 0; i < count; i++)
		if (!rd_str(r, (const char **)&list[i], NULL, false))
			return false;
	list[count] = NULL;
	return true;
}

static int parse(const void *buf, size_t len, struct ln_request *out)
{
	struct rd r = { .p = buf, .left = len };
	uint32_t magic;
	if (!rd_u32(&r, &magic) || magic != LN_REQ_MAGIC || !rd_u32(&r, &out->type) ||
	    !rd_u32(&r, &out->id))
		return -EINVAL;
	if (out->type == LN_REQ_KILL)
		return rd_u32(&r, &out->sig) && r.left == 0 ? 0 : -EINVAL;
	if (out->type != LN_REQ_SPAWN || !rd_u32(&r, &out->flags) || !rd_u32(&r, &out->nfds) ||
	    out->nfds > LN_REQ_MAX_FDS)
		return -EINVAL;
	/* Every string is at least its 4-byte length, so the counts are bounded
	 * by what is left; strings need at most len + one terminator each. */
	size_t max_items = r.left / 4 + 2;
	size_t ptrs = (max_items + 2) * sizeof(char *);
	char *mem = malloc(ptrs + len + max_items);
	if (!mem)
		return -ENOMEM;
	char **lists = (char **)(void *)mem;
	r.out = mem + ptrs;
	out->mem = mem;
	const char *argv0 = NULL;
	uint32_t argc, envc;
	if (!rd_str(&r, &out->cwd, NULL, false) || !rd_str(&r, &out->policy, &out->policy_len, true) ||
	    !rd_str(&r, &argv0, NULL, false) || !rd_u32(&r, &argc) || argc == 0 ||
	    argc > r.left / 4 || !rd_list(&r, lists, argc))
		return -EINVAL;
	out->argv = lists;
	if (!rd_u32(&r, &envc) || envc > r.left / 4 || argc + 1 + envc + 1 > max_items + 2 ||
	    !rd_list(&r, lists + argc + 1, envc) || r.left != 0)
		return -EINVAL;
	out->envp = lists + argc + 1;
	out->argv0 = (out->flags & LN_REQ_ARGV0) ? argv0 : NULL;
	return out->cwd[0] == '/' ? 0 : -EINVAL;
}

int ln_request_parse(const void *buf, size_t len, struct ln_request *out)
{
	memset(out, 0, sizeof(*out));
	int rc = parse(buf, len, out);
	if (rc) {
		/* Nothing half-decoded is left to be used by mistake (a kill's
		 * type and id read before its signal was found missing). */
		free(out->mem);
		memset(out, 0, sizeof(*out));
	}
	return rc;
}

void ln_request_free(struct ln_request *r)
{
	free(r->mem);
	r->mem = NULL;
}

long ln_request_recv(int sock, void *buf, size_t cap, int *fds, int *nfds, int *trunc)
{
	union {
		char b[CMSG_SPACE(sizeof(int) * (LN_REQ_MAX_FDS + 1))];
		struct cmsghdr align;
	} cbuf;
	struct iovec iov = { .iov_base = buf, .iov_len = cap };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf.b,
			     .msg_controllen = sizeof(cbuf.b) };
	ssize_t n;
	do
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	*nfds = 0;
	*trunc = 0;
	if (n < 0)
		return -errno;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		size_t k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k; i++) {
			int fd;
			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
			if (*nfds < LN_REQ_MAX_FDS + 1) {
				fds[(*nfds)++] = fd;
			} else {
				close(fd);
				*trunc = 1;
			}
		}
	}
	if (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC))
		*trunc = 1;
	return (long)n;
}

int ln_request_send(int sock, const void *buf, size_t len, const int *fds, int nfds, int flags)
{
	union {
		char b[CMSG_SPACE(sizeof(int) * (LN_REQ_MAX_FDS + 1))];
		struct cmsghdr align;
	} cbuf;
	if (nfds < 0 || nfds > LN_REQ_MAX_FDS + 1)
		return -EINVAL;
	memset(cbuf.b, 0, sizeof(cbuf.b));
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	if (nfds) {
		mh.msg_control = cbuf.b;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
		struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
		if (!cm)
			return -EINVAL;
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
		memcpy(CMSG_DATA(cm), fds, sizeof(int) * (size_t)nfds);
	}
	ssize_t w;
	do
		w = sendmsg(sock, &mh, flags | MSG_NOSIGNAL);
	while (w < 0 && errno == EINTR);
	if (w < 0)
		return -errno;
	return (size_t)w == len ? 0 : -EMSGSIZE;
}
