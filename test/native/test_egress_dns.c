/* The sandbox's resolver reads queries the sandbox wrote and writes replies
 * (launcher/egress_dns_wire.c). A well-formed query gives its name and type;
 * every truncation of it is FORMERR or dropped, never a read past the buffer
 * (run under ASan too); names sbx could not match (a dot or a control byte
 * inside a label, compression) are never name_ok; a reply echoes the question
 * as asked and carries only addresses of the type asked, within 512 bytes. */
#include "../../launcher/egress.h"
#include "t.h"

#include <stdint.h>

/* A query for `name` (dots between labels; NULL label bytes: raw) of `qtype`. */
static size_t query(unsigned char *b, const char *name, unsigned qtype, unsigned flags)
{
	size_t n = 12;
	memset(b, 0, 12);
	b[0] = 0xab; b[1] = 0xcd;
	b[2] = (unsigned char)(flags >> 8); b[3] = (unsigned char)flags;
	b[5] = 1;                                          /* QDCOUNT 1 */
	while (*name) {
		const char *dot = strchr(name, '.');
		size_t l = dot ? (size_t)(dot - name) : strlen(name);
		b[n++] = (unsigned char)l;
		memcpy(b + n, name, l);
		n += l;
		name += l + (dot ? 1 : 0);
	}
	b[n++] = 0;
	b[n++] = (unsigned char)(qtype >> 8); b[n++] = (unsigned char)qtype;
	b[n++] = 0; b[n++] = 1;                            /* IN */
	return n;
}

TEST(query_read_and_every_truncation)
{
	unsigned char b[600];
	struct ln_dns_query q;
	size_t n = query(b, "Registry.NPMJS.org", LN_DNS_AAAA, 0x0100);

	CHECK_EQ_INT(ln_dns_parse(b, n, &q), LN_DNS_NOERROR);
	CHECK(q.name_ok);
	CHECK_STR(q.name, "registry.npmjs.org");
	CHECK_EQ_INT(q.qtype, LN_DNS_AAAA);
	CHECK_EQ_INT(q.qclass, LN_DNS_CLASS_IN);
	CHECK_EQ_INT(q.id, 0xabcd);
	CHECK_EQ_INT(q.qend, n);
	for (size_t cut = 0; cut < n; cut++) {
		int rc = ln_dns_parse(b, cut, &q);
		CHECK(cut < 12 ? rc == -1 : rc == LN_DNS_FORMERR);
		CHECK(!q.has_question);
	}
	/* an EDNS OPT record after the question is ignored */
	unsigned char opt[] = { 0, 0, 41, 0x10, 0, 0, 0, 0, 0, 0, 0 };
	memcpy(b + n, opt, sizeof(opt));
	b[11] = 1;
	CHECK_EQ_INT(ln_dns_parse(b, n + sizeof(opt), &q), LN_DNS_NOERROR);
	CHECK_STR(q.name, "registry.npmjs.org");
}

TEST(queries_not_answered_as_asked)
{
	unsigned char b[600];
	struct ln_dns_query q;
	size_t n = query(b, "a.test", LN_DNS_A, 0x8000);          /* a response */
	CHECK_EQ_INT(ln_dns_parse(b, n, &q), -1);
	n = query(b, "a.test", LN_DNS_A, 0x2800);                 /* opcode 5, UPDATE */
	CHECK_EQ_INT(ln_dns_parse(b, n, &q), LN_DNS_NOTIMP);
	n = query(b, "a.test", LN_DNS_A, 0x0100);
	b[5] = 2;                                                 /* two questions */
	CHECK_EQ_INT(ln_dns_parse(b, n, &q), LN_DNS_FORMERR);
	b[5] = 0;
	CHECK_EQ_INT(ln_dns_parse(b, n, &q), LN_DNS_FORMERR);
	/* a compression pointer in the question */
	n = query(b, "a.test", LN_DNS_A, 0x0100);
	b[12] = 0xc0; b[13] = 12;
	CHECK_EQ_INT(ln_dns_parse(b, n, &q), LN_DNS_FORMERR);
	/* a name longer than 255 bytes on the wire */
	char longname[400] = "";
	for (int i = 0; i < 5; i++)
		strcat(longname, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.");
	strcat(longname, "test");
	n = query(b, longname, LN_DNS_A, 0x0100);
	CHECK_EQ_INT(ln_dns_parse(b, n, &q), LN_DNS_FORMERR);
}

TEST(names_sbx_cannot_match_are_not_name_ok)
{
	unsigned char b[600];
	struct ln_dns_query q;
	size_t n = query(b, "allowed.test", LN_DNS_A, 0x0100);

	/* "allowed.test" as ONE label with a dot inside: not the name allowed.test */
	memmove(b + 13, b + 12, n - 12);
	b[12] = 12;
	memcpy(b + 13, "allowed.test", 12);
	b[25] = 0;
	b[26] = 0; b[27] = 1; b[28] = 0; b[29] = 1;
	CHECK_EQ_INT(ln_dns_parse(b, 30, &q), LN_DNS_NOERROR);
	CHECK(!q.name_ok);
	CHECK_STR(q.name, "");
	n = query(b, "a\001b.test", LN_DNS_A, 0x0100);
	CHECK_EQ_INT(ln_dns_parse(b, n, &q), LN_DNS_NOERROR);
	CHECK(!q.name_ok);
	n = query(b, "", LN_DNS_A, 0x0100);                       /* the root */
	CHECK_EQ_INT(ln_dns_parse(b, n, &q), LN_DNS_NOERROR);
	CHECK(!q.name_ok);
}

TEST(reply_echoes_question_and_only_the_type_asked)
{
	unsigned char b[600], out[LN_DNS_UDP_MAX];
	struct ln_dns_query q;
	struct ln_dns_addr a[3] = { { 4, { 10, 77, 0, 2 } }, { 6, { 0x20, 1, 0xd, 0xb8 } },
				     { 4, { 10, 77, 0, 3 } } };
	size_t n = query(b, "DNS-Allowed.test", LN_DNS_A, 0x0100);

	CHECK_EQ_INT(ln_dns_parse(b, n, &q), LN_DNS_NOERROR);
	size_t r = ln_dns_reply(b, &q, LN_DNS_NOERROR, a, 3, 60, out, sizeof(out));
	CHECK_EQ_INT(r, n + 2 * 16);
	CHECK_EQ_INT(out[0], 0xab);
	CHECK_EQ_INT(out[2], 0x81);                 /* QR, RD */
	CHECK_EQ_INT(out[3], 0x80);                 /* RA, NOERROR */
	CHECK_EQ_INT(out[7], 2);                    /* ANCOUNT: the two A records */
	CHECK(!memcmp(out + 12, b + 12, n - 12));   /* the question, case kept */
	CHECK(!memcmp(out + n + 12, a[0].addr, 4));
	CHECK(!memcmp(out + n + 16 + 12, a[2].addr, 4));
	/* NXDOMAIN: no answers whatever is passed */
	r = ln_dns_reply(b, &q, LN_DNS_NXDOMAIN, a, 3, 60, out, sizeof(out));
	CHECK_EQ_INT(r, n);
	CHECK_EQ_INT(out[3] & 0xf, LN_DNS_NXDOMAIN);
	CHECK_EQ_INT(out[7], 0);
	/* a TXT question for the same name: no records */
	n = query(b, "dns-allowed.test", 16, 0x0100);
	CHECK_EQ_INT(ln_dns_parse(b, n, &q), LN_DNS_NOERROR);
	r = ln_dns_reply(b, &q, LN_DNS_NOERROR, a, 3, 60, out, sizeof(out));
	CHECK_EQ_INT(out[7], 0);
	/* many addresses: as many as fit in 512 bytes */
	struct ln_dns_addr many[64];
	for (int i = 0; i < 64; i++)
		many[i] = (struct ln_dns_addr){ 6, { 0x20, 1, 0xd, 0xb8, [15] = (uint8_t)i } };
	n = query(b, "dns-allowed.test", LN_DNS_AAAA, 0x0100);
	CHECK_EQ_INT(ln_dns_parse(b, n, &q), LN_DNS_NOERROR);
	r = ln_dns_reply(b, &q, LN_DNS_NOERROR, many, 64, 60, out, sizeof(out));
	CHECK(r <= LN_DNS_UDP_MAX);
	CHECK_EQ_INT(out[7], (LN_DNS_UDP_MAX - n) / 28);
	/* a FORMERR reply has no question */
	CHECK_EQ_INT(ln_dns_parse(b, 20, &q), LN_DNS_FORMERR);
	r = ln_dns_reply(b, &q, LN_DNS_FORMERR, NULL, 0, 60, out, sizeof(out));
	CHECK_EQ_INT(r, 12);
	CHECK_EQ_INT(out[5], 0);
}

int main(void) { return t_run(); }
