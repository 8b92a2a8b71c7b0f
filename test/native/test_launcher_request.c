/* The spawn server's request decoder (launcher/request.c): a well-formed
 * request round-trips; every truncation, every appended byte, bad counts,
 * NULs where the launcher needs C strings and random corruption are
 * refused without reading past the buffer (run under ASan too). */
#include "../../launcher/request.h"
#include "t.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>

struct wr {
	unsigned char b[4096];
	size_t n;
};

static void u32(struct wr *w, uint32_t v)
{
	memcpy(w->b + w->n, &v, 4);
	w->n += 4;
}

static void str(struct wr *w, const char *s, size_t len)
{
	u32(w, (uint32_t)len);
	memcpy(w->b + w->n, s, len);
	w->n += len;
}

#define S(w, s) str(w, s, strlen(s))

static void good(struct wr *w)
{
	w->n = 0;
	u32(w, LN_REQ_MAGIC);
	u32(w, LN_REQ_SPAWN);
	u32(w, 7);
	u32(w, LN_REQ_WARM | LN_REQ_ARGV0);
	u32(w, 3);
	S(w, "/work");
	S(w, "{\"extends\":\"strict\"}");
	S(w, "myname");
	u32(w, 3);
	S(w, "/bin/sh");
	S(w, "-c");
	S(w, "");
	u32(w, 2);
	S(w, "A=1");
	S(w, "PATH=/bin");
}

TEST(a_spawn_request_round_trips)
{
	struct wr w;
	good(&w);
	struct ln_request r;
	CHECK_EQ_INT(ln_request_parse(w.b, w.n, &r), 0);
	CHECK_EQ_INT(r.type, LN_REQ_SPAWN);
	CHECK_EQ_INT(r.id, 7);
	CHECK_EQ_INT(r.nfds, 3);
	CHECK_STR(r.cwd, "/work");
	CHECK_STR(r.policy, "{\"extends\":\"strict\"}");
	CHECK_EQ_INT(r.policy_len, strlen(r.policy));
	CHECK_STR(r.argv0, "myname");
	CHECK_STR(r.argv[0], "/bin/sh");
	CHECK_STR(r.argv[1], "-c");
	CHECK_STR(r.argv[2], "");
	CHECK(r.argv[3] == NULL);
	CHECK_STR(r.envp[0], "A=1");
	CHECK_STR(r.envp[1], "PATH=/bin");
	CHECK(r.envp[2] == NULL);
	ln_request_free(&r);
}

TEST(argv0_only_with_its_flag)
{
	struct wr w;
	good(&w);
	uint32_t flags = LN_REQ_WARM;
	memcpy(w.b + 12, &flags, 4);
	struct ln_request r;
	CHECK_EQ_INT(ln_request_parse(w.b, w.n, &r), 0);
	CHECK(r.argv0 == NULL);
	ln_request_free(&r);
}

TEST(a_kill_request)
{
	struct wr w = { .n = 0 };
	u32(&w, LN_REQ_MAGIC);
	u32(&w, LN_REQ_KILL);
	u32(&w, 9);
	u32(&w, 15);
	struct ln_request r;
	CHECK_EQ_INT(ln_request_parse(w.b, w.n, &r), 0);
	CHECK_EQ_INT(r.id, 9);
	CHECK_EQ_INT(r.sig, 15);
	/* a byte more or less */
	CHECK_EQ_INT(ln_request_parse(w.b, w.n - 1, &r), -EINVAL);
	w.b[w.n] = 0;
	CHECK_EQ_INT(ln_request_parse(w.b, w.n + 1, &r), -EINVAL);
}

TEST(every_truncation_and_an_extra_byte_are_refused)
{
	struct wr w;
	good(&w);
	struct ln_request r;
	for (size_t n = 0; n < w.n; n++) {
		/* a fresh heap copy of exactly n bytes: ASan sees any overread */
		unsigned char *cut = malloc(n ? n : 1);
		memcpy(cut, w.b, n);
		int rc = ln_request_parse(cut, n, &r);
		if (rc != -EINVAL)
			T_FAIL("truncated to %zu bytes: rc %d", n, rc);
		free(cut);
	}
	w.b[w.n] = 'x';
	CHECK_EQ_INT(ln_request_parse(w.b, w.n + 1, &r), -EINVAL);
}

TEST(bad_magic_type_counts_and_nuls_are_refused)
{
	struct wr w;
	struct ln_request r;
	good(&w);
	w.b[0] ^= 1;
	CHECK_EQ_INT(ln_request_parse(w.b, w.n, &r), -EINVAL);
	good(&w);
	uint32_t v = 3;
	memcpy(w.b + 4, &v, 4);         /* unknown type */
	CHECK_EQ_INT(ln_request_parse(w.b, w.n, &r), -EINVAL);
	good(&w);
	v = LN_REQ_MAX_FDS + 1;
	memcpy(w.b + 16, &v, 4);        /* too many fds */
	CHECK_EQ_INT(ln_request_parse(w.b, w.n, &r), -EINVAL);

	/* NUL inside cwd, argv, env: refused; inside the policy: kept (the
	 * channel loader reports it as a syntax error with its position) */
	const char *where[] = { "cwd", "arg", "env", "policy" };
	for (int k = 0; k < 4; k++) {
		w.n = 0;
		u32(&w, LN_REQ_MAGIC);
		u32(&w, LN_REQ_SPAWN);
		u32(&w, 1);
		u32(&w, 0);
		u32(&w, 3);
		if (k == 0) str(&w, "/a\0b", 4); else S(&w, "/a");
		if (k == 3) str(&w, "{}\0{", 4); else S(&w, "{}");
		S(&w, "");
		u32(&w, 1);
		if (k == 1) str(&w, "sh\0x", 4); else S(&w, "sh");
		u32(&w, 1);
		if (k == 2) str(&w, "A=\0", 3); else S(&w, "A=1");
		int rc = ln_request_parse(w.b, w.n, &r);
		if (k == 3) {
			CHECK_EQ_INT(rc, 0);
			CHECK_EQ_INT(r.policy_len, 4);
			ln_request_free(&r);
		} else if (rc != -EINVAL) {
			T_FAIL("NUL in %s accepted", where[k]);
		}
	}

	/* no argv; a relative cwd; counts larger than what follows */
	w.n = 0;
	u32(&w, LN_REQ_MAGIC); u32(&w, LN_REQ_SPAWN); u32(&w, 1); u32(&w, 0); u32(&w, 3);
	S(&w, "/a"); S(&w, "{}"); S(&w, ""); u32(&w, 0); u32(&w, 0);
	CHECK_EQ_INT(ln_request_parse(w.b, w.n, &r), -EINVAL);
	w.n = 0;
	u32(&w, LN_REQ_MAGIC); u32(&w, LN_REQ_SPAWN); u32(&w, 1); u32(&w, 0); u32(&w, 3);
	S(&w, "rel"); S(&w, "{}"); S(&w, ""); u32(&w, 1); S(&w, "sh"); u32(&w, 0);
	CHECK_EQ_INT(ln_request_parse(w.b, w.n, &r), -EINVAL);
	w.n = 0;
	u32(&w, LN_REQ_MAGIC); u32(&w, LN_REQ_SPAWN); u32(&w, 1); u32(&w, 0); u32(&w, 3);
	S(&w, "/a"); S(&w, "{}"); S(&w, ""); u32(&w, 0xffffffffu); S(&w, "sh"); u32(&w, 0);
	CHECK_EQ_INT(ln_request_parse(w.b, w.n, &r), -EINVAL);
	w.n = 0;
	u32(&w, LN_REQ_MAGIC); u32(&w, LN_REQ_SPAWN); u32(&w, 1); u32(&w, 0); u32(&w, 3);
	S(&w, "/a"); u32(&w, 0x7fffffffu);
	CHECK_EQ_INT(ln_request_parse(w.b, w.n, &r), -EINVAL);
}

TEST(random_corruption_never_crashes)
{
	struct wr w;
	struct ln_request r;
	unsigned seed = 12345;
	int accepted = 0;
	for (int i = 0; i < 20000; i++) {
		good(&w);
		for (int k = 0; k < 3; k++) {
			seed = seed * 1103515245u + 12345u;
			w.b[(seed >> 8) % w.n] = (unsigned char)(seed >> 20);
		}
		unsigned char *copy = malloc(w.n);
		memcpy(copy, w.b, w.n);
		if (ln_request_parse(copy, w.n, &r) == 0) {
			accepted++;
			/* whatever was accepted is self-consistent */
			CHECK(r.argv && r.argv[0] && r.envp && r.cwd[0] == '/');
			ln_request_free(&r);
		}
		free(copy);
	}
	/* corrupting string bytes keeps some requests valid: the loop did run both ways */
	CHECK(accepted > 0 && accepted < 20000);
}

TEST(send_and_recv_carry_the_datagram_and_its_fds)
{
	int sp[2];
	CHECK_EQ_INT(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp), 0);
	struct wr w;
	good(&w);
	int p[2];
	CHECK_EQ_INT(pipe(p), 0);
	int sent[3] = { p[0], p[1], p[0] };
	CHECK_EQ_INT(ln_request_send(sp[0], w.b, w.n, sent, 3, 0), 0);
	unsigned char buf[8192];
	int fds[LN_REQ_MAX_FDS + 1], nfds = -1, trunc = -1;
	CHECK_EQ_INT(ln_request_recv(sp[1], buf, sizeof(buf), fds, &nfds, &trunc), (long)w.n);
	CHECK_EQ_INT(nfds, 3);
	CHECK_EQ_INT(trunc, 0);
	CHECK(memcmp(buf, w.b, w.n) == 0);
	/* the fds are live and CLOEXEC: write through the received write end */
	CHECK(fcntl(fds[1], F_GETFD) & FD_CLOEXEC);
	CHECK_EQ_INT(write(fds[1], "x", 1), 1);
	char ch = 0;
	CHECK_EQ_INT(read(p[0], &ch, 1), 1);
	CHECK_EQ_INT(ch, 'x');
	for (int i = 0; i < nfds; i++)
		close(fds[i]);
	/* a datagram larger than the buffer is reported truncated */
	CHECK_EQ_INT(ln_request_send(sp[0], w.b, w.n, NULL, 0, 0), 0);
	CHECK_EQ_INT(ln_request_recv(sp[1], buf, 10, fds, &nfds, &trunc), 10);
	CHECK_EQ_INT(trunc, 1);
	/* more fds than a request may carry: refused by send */
	int many[LN_REQ_MAX_FDS + 2];
	for (int i = 0; i < LN_REQ_MAX_FDS + 2; i++)
		many[i] = p[0];
	CHECK_EQ_INT(ln_request_send(sp[0], w.b, w.n, many, LN_REQ_MAX_FDS + 2, 0), -EINVAL);
	/* end of file */
	close(sp[0]);
	CHECK_EQ_INT(ln_request_recv(sp[1], buf, sizeof(buf), fds, &nfds, &trunc), 0);
	close(sp[1]);
	close(p[0]);
	close(p[1]);
}

int main(void)
{
	return t_run();
}
