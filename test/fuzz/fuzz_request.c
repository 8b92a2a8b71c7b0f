/*
 * libFuzzer target for the spawn server's request decoder (launcher/request.c,
 * ln_request_parse): the bytes of one datagram from Node, as
 * launcher/server.c reads them (handle_request). test/spawn-protocol.test.ts
 * sends such datagrams to a live server; this one runs the decoder alone, at
 * libFuzzer's pace.
 *
 * Invariants: the answer is 0, -EINVAL or -ENOMEM; a failure leaves the
 * request zeroed (nothing to free, no half-filled pointer). A success is a
 * kill of exactly 16 bytes, or a spawn whose fields are all in bounds: nfds
 * at most LN_REQ_MAX_FDS, an absolute cwd, argv with at least one entry and
 * NULL-terminated lists, no NUL inside cwd, argv or env (each string's
 * length is its strlen), argv0 only with LN_REQ_ARGV0. And it is exact:
 * encoding the decoded request again gives the input byte for byte (nothing
 * skipped, nothing read twice, no trailing bytes accepted). The same bytes
 * also go through ln_request_send and ln_request_recv on a seqpacket pair
 * and come back unchanged.
 */
#include "request.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz_require.h"

struct enc {
	unsigned char *p;
	size_t n, cap;
};

static void put(struct enc *e, const void *b, size_t n)
{
	REQUIRE(e->n + n <= e->cap);
	memcpy(e->p + e->n, b, n);
	e->n += n;
}

static void put_u32(struct enc *e, uint32_t v)
{
	put(e, &v, 4);
}

static void put_str(struct enc *e, const char *s, size_t n)
{
	put_u32(e, (uint32_t)n);
	put(e, s, n);
}

/* A C string the decoder made from a wire string: terminated, no NUL inside. */
static size_t c_string(const char *s)
{
	REQUIRE(s != NULL);
	return strlen(s);
}

static size_t list_len(char **list)
{
	REQUIRE(list != NULL);
	size_t n = 0;
	while (list[n])
		n++;
	return n;
}

static void check_spawn(const uint8_t *data, size_t size, const struct ln_request *r)
{
	REQUIRE(r->type == LN_REQ_SPAWN);
	REQUIRE(r->nfds <= LN_REQ_MAX_FDS);
	REQUIRE(r->mem != NULL);
	REQUIRE(r->cwd && r->cwd[0] == '/');
	REQUIRE(r->policy != NULL && r->policy[r->policy_len] == '\0');
	size_t argc = list_len(r->argv), envc = list_len(r->envp);
	REQUIRE(argc >= 1);
	REQUIRE(!r->argv0 || (r->flags & LN_REQ_ARGV0));

	/* Encoded again, it is the input. The argv0 string travels even
	 * without LN_REQ_ARGV0 (Node sends ''); its bytes are taken from where
	 * the decoder must have found them, right after the policy. */
	struct enc e = { .p = malloc(size + 1), .cap = size };
	REQUIRE(e.p);
	put_u32(&e, LN_REQ_MAGIC);
	put_u32(&e, r->type);
	put_u32(&e, r->id);
	put_u32(&e, r->flags);
	put_u32(&e, r->nfds);
	put_str(&e, r->cwd, c_string(r->cwd));
	put_str(&e, r->policy, r->policy_len);
	uint32_t a0;
	REQUIRE(e.n + 4 <= size);
	memcpy(&a0, data + e.n, 4);
	REQUIRE(e.n + 4 + (size_t)a0 <= size);
	REQUIRE(!memchr(data + e.n + 4, '\0', a0));
	if (r->argv0)
		REQUIRE(c_string(r->argv0) == a0 && !memcmp(r->argv0, data + e.n + 4, a0));
	put(&e, data + e.n, 4 + (size_t)a0);
	put_u32(&e, (uint32_t)argc);
	for (size_t i = 0; i < argc; i++)
		put_str(&e, r->argv[i], c_string(r->argv[i]));
	put_u32(&e, (uint32_t)envc);
	for (size_t i = 0; i < envc; i++)
		put_str(&e, r->envp[i], c_string(r->envp[i]));
	REQUIRE(e.n == size);
	REQUIRE(!memcmp(e.p, data, size));
	free(e.p);
}

/* Through a seqpacket pair as the server receives it: the same bytes, no fds, no truncation. */
static void check_transport(const uint8_t *data, size_t size)
{
	static int sp[2] = { -1, -1 };
	static unsigned char *buf;
	if (sp[0] < 0) {
		REQUIRE(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) == 0);
		int sz = 1 << 20;
		setsockopt(sp[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
		setsockopt(sp[1], SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
		buf = malloc(LN_REQ_MAX_BYTES);
		REQUIRE(buf);
	}
	if (size == 0 || size > LN_REQ_MAX_BYTES)
		return;         /* an empty datagram reads as end-of-file; larger ones are truncated */
	REQUIRE(ln_request_send(sp[0], data, size, NULL, 0, 0) == 0);
	int fds[LN_REQ_MAX_FDS + 1], nfds = -1, trunc = -1;
	long n = ln_request_recv(sp[1], buf, LN_REQ_MAX_BYTES, fds, &nfds, &trunc);
	REQUIRE(n == (long)size && nfds == 0 && trunc == 0);
	REQUIRE(!memcmp(buf, data, size));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ln_request r;
	memset(&r, 0xa5, sizeof(r));
	int rc = ln_request_parse(data, size, &r);
	REQUIRE(rc == 0 || rc == -EINVAL || rc == -ENOMEM);
	if (rc) {
		struct ln_request zero;
		memset(&zero, 0, sizeof(zero));
		REQUIRE(!memcmp(&r, &zero, sizeof(r)));
	} else if (r.type == LN_REQ_KILL) {
		REQUIRE(size == 16 && r.mem == NULL);
		uint32_t sig;
		memcpy(&sig, data + 12, 4);
		REQUIRE(r.sig == sig);
	} else {
		check_spawn(data, size, &r);
	}
	ln_request_free(&r);
	REQUIRE(r.mem == NULL);
	check_transport(data, size);
	return 0;
}
