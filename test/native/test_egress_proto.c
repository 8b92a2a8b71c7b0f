/* What the egress process reads from the sandbox (launcher/egress_proto.c):
 * the proxy request head, a TLS ClientHello's server name, an HTTP Host, the
 * supervisor's header. Each well-formed input gives what it says; every
 * truncation of it asks for more (never a verdict on half an input) and no
 * corruption reads past the buffer (run under ASan too). */
#include "../../launcher/egress.h"
#include "t.h"

#include <arpa/inet.h>
#include <stdint.h>

/* A ClientHello record with server name `sni` (NULL: no SNI extension). */
static size_t client_hello(unsigned char *b, const char *sni)
{
	unsigned char body[600];
	size_t n = 0, ext_at;
	body[n++] = 3; body[n++] = 3;                  /* version       */
	memset(body + n, 7, 32); n += 32;              /* random        */
	body[n++] = 0;                                 /* session id    */
	body[n++] = 0; body[n++] = 2; body[n++] = 0x13; body[n++] = 1;  /* suites */
	body[n++] = 1; body[n++] = 0;                  /* compression   */
	ext_at = n;
	n += 2;
	/* an unrelated extension first (supported_versions) */
	body[n++] = 0; body[n++] = 43; body[n++] = 0; body[n++] = 3;
	body[n++] = 2; body[n++] = 3; body[n++] = 4;
	if (sni) {
		size_t l = strlen(sni);
		body[n++] = 0; body[n++] = 0;                         /* type SNI  */
		body[n++] = 0; body[n++] = (unsigned char)(l + 5);    /* ext len   */
		body[n++] = 0; body[n++] = (unsigned char)(l + 3);    /* list len  */
		body[n++] = 0;                                        /* host_name */
		body[n++] = 0; body[n++] = (unsigned char)l;
		memcpy(body + n, sni, l); n += l;
	}
	body[ext_at] = (unsigned char)((n - ext_at - 2) >> 8);
	body[ext_at + 1] = (unsigned char)(n - ext_at - 2);
	b[0] = 0x16; b[1] = 3; b[2] = 1;
	b[3] = (unsigned char)((n + 4) >> 8); b[4] = (unsigned char)(n + 4);
	b[5] = 1; b[6] = 0; b[7] = (unsigned char)(n >> 8); b[8] = (unsigned char)n;
	memcpy(b + 9, body, n);
	return n + 9;
}

TEST(tls_server_name_and_every_truncation)
{
	unsigned char b[700];
	char name[256];
	size_t n = client_hello(b, "Allowed.Test");
	CHECK_EQ_INT(ln_peek_classify(b, n, name, sizeof(name)), LN_PEEK_TLS);
	CHECK_STR(name, "allowed.test");
	for (size_t i = 1; i < n; i++)
		if (ln_peek_classify(b, i, name, sizeof(name)) != LN_PEEK_MORE)
			T_FAIL("truncated at %zu of %zu: not MORE", i, n);
	n = client_hello(b, NULL);
	CHECK_EQ_INT(ln_peek_classify(b, n, name, sizeof(name)), LN_PEEK_TLS);
	CHECK_STR(name, "");
}

TEST(tls_split_across_records)
{
	unsigned char one[700], two[760];
	char name[256];
	size_t n = client_hello(one, "a.example.com"), hs = n - 5, cut = 20;
	/* the handshake in two records: 20 bytes, then the rest */
	memcpy(two, one, 5);
	two[3] = 0; two[4] = (unsigned char)cut;
	memcpy(two + 5, one + 5, cut);
	two[5 + cut] = 0x16; two[6 + cut] = 3; two[7 + cut] = 1;
	two[8 + cut] = (unsigned char)((hs - cut) >> 8); two[9 + cut] = (unsigned char)(hs - cut);
	memcpy(two + 10 + cut, one + 5 + cut, hs - cut);
	CHECK_EQ_INT(ln_peek_classify(two, n + 5, name, sizeof(name)), LN_PEEK_TLS);
	CHECK_STR(name, "a.example.com");
}

TEST(tls_corruption_is_refused_or_bounded)
{
	unsigned char b[700], c[700];
	char name[256];
	size_t n = client_hello(b, "allowed.test");
	/* a bad name is BAD, never a different name */
	memcpy(c, b, n);
	c[n - 3] = ' ';
	CHECK_EQ_INT(ln_peek_classify(c, n, name, sizeof(name)), LN_PEEK_BAD);
	/* not a ClientHello */
	memcpy(c, b, n);
	c[5] = 2;
	CHECK_EQ_INT(ln_peek_classify(c, n, name, sizeof(name)), LN_PEEK_BAD);
	/* every byte flipped in turn: any answer, but a name only if it is one */
	srand(19);
	for (size_t i = 0; i < n; i++)
		for (int k = 0; k < 8; k++) {
			memcpy(c, b, n);
			c[i] = (unsigned char)rand();
			enum ln_peek_kind r = ln_peek_classify(c, n, name, sizeof(name));
			if (r == LN_PEEK_TLS && name[0] && strcmp(name, "allowed.test") &&
			    strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789-_.") != strlen(name))
				T_FAIL("byte %zu: odd name \"%s\"", i, name);
		}
}

TEST(http_host_and_other_protocols)
{
	char name[256];
	const char *req = "GET / HTTP/1.1\r\nUser-Agent: x\r\nHost: Denied.Test:8080\r\n\r\n";
	CHECK_EQ_INT(ln_peek_classify((const unsigned char *)req, strlen(req), name, sizeof(name)),
		     LN_PEEK_HTTP);
	CHECK_STR(name, "denied.test");
	for (size_t i = 1; i < strlen(req); i++)
		CHECK_EQ_INT(ln_peek_classify((const unsigned char *)req, i, name, sizeof(name)),
			     LN_PEEK_MORE);
	const char *two = "GET / HTTP/1.1\r\nHost: a.test\r\nHost: b.test\r\n\r\n";
	CHECK_EQ_INT(ln_peek_classify((const unsigned char *)two, strlen(two), name, sizeof(name)),
		     LN_PEEK_BAD);
	const char *none = "GET / HTTP/1.0\r\n\r\n";
	CHECK_EQ_INT(ln_peek_classify((const unsigned char *)none, strlen(none), name, sizeof(name)),
		     LN_PEEK_HTTP);
	CHECK_STR(name, "");
	const char *ssh = "SSH-2.0-OpenSSH_9.2\r\n";
	CHECK_EQ_INT(ln_peek_classify((const unsigned char *)ssh, strlen(ssh), name, sizeof(name)),
		     LN_PEEK_OTHER);
	const char *v6 = "GET / HTTP/1.1\r\nHost: [2001:db8::1]:80\r\n\r\n";
	CHECK_EQ_INT(ln_peek_classify((const unsigned char *)v6, strlen(v6), name, sizeof(name)),
		     LN_PEEK_HTTP);
	CHECK_STR(name, "2001:db8::1");
}

TEST(proxy_heads)
{
	struct ln_proxy_req r;
	const char *c = "CONNECT Allowed.Test:443 HTTP/1.1\r\nHost: allowed.test:443\r\n\r\nXX";
	CHECK_EQ_INT(ln_proxy_parse(c, strlen(c), &r), LN_HEAD_OK);
	CHECK(r.connect);
	CHECK_STR(r.host, "allowed.test");
	CHECK_EQ_INT(r.port, 443);
	CHECK_EQ_INT(r.head_len, strlen(c) - 2);
	for (size_t i = 0; i < strlen(c) - 2; i++)
		CHECK_EQ_INT(ln_proxy_parse(c, i, &r), LN_HEAD_MORE);
	const char *g = "GET http://a.test:8080/x?y HTTP/1.1\r\nHost: evil.test\r\nProxy-Connection: "
			"keep-alive\r\nAccept: */*\r\n\r\n";
	CHECK_EQ_INT(ln_proxy_parse(g, strlen(g), &r), LN_HEAD_OK);
	CHECK(!r.connect);
	CHECK_STR(r.host, "a.test");
	CHECK_EQ_INT(r.port, 8080);
	CHECK_STR(r.rewritten, "GET /x?y HTTP/1.1\r\nHost: a.test:8080\r\nAccept: */*\r\n"
			       "Connection: close\r\n\r\n");
	free(r.rewritten);
	const char *bad[] = {
		"CONNECT a.test HTTP/1.1\r\n\r\n",             /* no port          */
		"CONNECT a.test:0 HTTP/1.1\r\n\r\n",
		"CONNECT a..test:443 HTTP/1.1\r\n\r\n",
		"GET /relative HTTP/1.1\r\nHost: a.test\r\n\r\n", /* not a proxy request */
		"GET https://a.test/ HTTP/1.1\r\n\r\n",
		"GET http://user@a.test/ HTTP/1.1\r\n\r\n",
		"GET http://a.test/ HTTP/1.1\r\n Host: evil.test\r\n\r\n",  /* folded */
		"get http://a.test/ HTTP/1.1\r\n\r\n",
		"GET http://a.test/ HTTP/2\r\n\r\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = ln_proxy_parse(bad[i], strlen(bad[i]), &r);
		if (rc != LN_HEAD_BAD)
			T_FAIL("%s: %d", bad[i], rc);
		if (rc == LN_HEAD_OK)
			free(r.rewritten);
	}
	/* a head that never ends is refused at the limit */
	static char big[LN_EGRESS_HEAD_MAX + 10];
	memset(big, 'A', sizeof(big));
	CHECK_EQ_INT(ln_proxy_parse(big, sizeof(big), &r), LN_HEAD_BAD);
}

TEST(supervisor_header)
{
	struct sockaddr_storage ss;
	size_t hl = 0;
	const char *h = "SBX-EGRESS 10.77.0.2 2222\nrest";
	CHECK_EQ_INT(ln_tcp_header_parse(h, strlen(h), &ss, &hl), 1);
	CHECK_EQ_INT(hl, strlen(h) - 4);
	CHECK_EQ_INT(ss.ss_family, AF_INET);
	CHECK_EQ_INT(ntohs(((struct sockaddr_in *)&ss)->sin_port), 2222);
	for (size_t i = 0; i < hl; i++)
		CHECK_EQ_INT(ln_tcp_header_parse(h, i, &ss, &hl), 0);
	const char *v6 = "SBX-EGRESS 2001:db8::1 443\n";
	CHECK_EQ_INT(ln_tcp_header_parse(v6, strlen(v6), &ss, &hl), 1);
	CHECK_EQ_INT(ss.ss_family, AF_INET6);
	const char *bad[] = { "SBX-EGRESS a.test 22\n", "SBX-EGRESS 10.0.0.1 0\n",
			      "SBX-EGRESS 10.0.0.1 65536\n", "SBX-EGRESS 10.0.0.1\n", "GET / HTTP/1.1\n",
			      "SBX-EGRESS 10.0.0.1 22x\n" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (ln_tcp_header_parse(bad[i], strlen(bad[i]), &ss, &hl) != -1)
			T_FAIL("%s accepted", bad[i]);
}

int main(void)
{
	return t_run();
}
