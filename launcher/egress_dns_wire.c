/*
 * DNS messages for the sandbox's resolver (egress.h; docs/network.md,
 * "DNS"): a query read, a reply written. Pure functions over bytes the
 * sandbox sent: every length is checked against the message, a question
 * that does not parse is FORMERR, and test/native/test_egress_proto.c feeds
 * them every truncation.
 *
 * Only what a stub resolver asks is understood: a standard query with one
 * question, its name written without compression (RFC 1035 4.1.4 allows
 * pointers in a question, no stub resolver uses them: FORMERR). Sections
 * after the question (an EDNS OPT record) are ignored; the reply carries no
 * OPT record, which tells the client this server speaks plain DNS, so it
 * stays within 512 bytes.
 */
#include "egress.h"

#include "net_hosts.h"

#include <string.h>

static uint16_t get16(const unsigned char *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(unsigned char *p, unsigned v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
}

/* The question's name at msg[*at]: its text (labels joined by dots) into
 * q->name, q->name_ok when it is a host name. 0, or -1 when it does not
 * parse within len. */
static int read_name(const unsigned char *msg, size_t len, size_t *at, struct ln_dns_query *q)
{
	char text[256];
	size_t t = 0, i = *at, wire = 0;
	bool plain = true;

	for (;;) {
		if (i >= len)
			return -1;
		unsigned l = msg[i++];
		wire += 1 + l;
		if (wire > 255)                 /* RFC 1035 2.3.4 */
			return -1;
		if (l == 0)
			break;
		if (l > 63)                     /* a pointer (0xc0) or reserved */
			return -1;
		if (l > len - i)
			return -1;
		if (t && t < sizeof(text) - 1)
			text[t++] = '.';
		for (unsigned k = 0; k < l; k++) {
			unsigned char ch = msg[i + k];
			/* a dot or a byte no host name has inside a label:
			 * read, never matched (sbx_host_name_normalize
			 * would split it into labels the query does not have) */
			if (ch == '.' || ch <= ' ' || ch >= 0x7f)
				plain = false;
			if (t < sizeof(text) - 1)
				text[t++] = (char)ch;
		}
		i += l;
	}
	text[t] = 0;
	*at = i;
	q->name[0] = 0;
	q->name_ok = false;
	if (t == 0)
		return 0;                       /* the root */
	if (plain && sbx_host_name_normalize(text, t, q->name))
		q->name_ok = true;
	else
		q->name[0] = 0;
	return 0;
}

int ln_dns_parse(const unsigned char *msg, size_t len, struct ln_dns_query *q)
{
	size_t at = 12;

	memset(q, 0, sizeof(*q));
	if (len < 12)
		return -1;
	q->id = get16(msg);
	q->flags = get16(msg + 2);
	if (q->flags & 0x8000)                  /* QR: a response, never answered */
		return -1;
	if ((q->flags >> 11 & 0xf) != 0)        /* opcode: QUERY only */
		return LN_DNS_NOTIMP;
	if (get16(msg + 4) != 1)                /* QDCOUNT */
		return LN_DNS_FORMERR;
	if (read_name(msg, len, &at, q) || len - at < 4)
		return LN_DNS_FORMERR;
	q->qtype = get16(msg + at);
	q->qclass = get16(msg + at + 2);
	q->qend = at + 4;
	q->has_question = true;
	return LN_DNS_NOERROR;
}

size_t ln_dns_reply(const unsigned char *msg, const struct ln_dns_query *q, int rcode,
		    const struct ln_dns_addr *addrs, size_t naddrs, uint32_t ttl,
		    unsigned char *out, size_t outlen)
{
	size_t n = 12, qlen = q->has_question ? q->qend - 12 : 0, an = 0;
	int want = q->qtype == LN_DNS_A ? 4 : q->qtype == LN_DNS_AAAA ? 6 : 0;

	if (outlen > LN_DNS_UDP_MAX)
		outlen = LN_DNS_UDP_MAX;
	if (outlen < 12)
		return 0;
	if (n + qlen > outlen)                  /* cannot happen: a question fits 512 */
		qlen = 0;
	memset(out, 0, 12);
	put16(out, q->id);
	/* QR, the opcode asked, RD as asked, RA; the rcode */
	put16(out + 2, 0x8000u | (q->flags & 0x7800u) | (q->flags & 0x0100u) | 0x0080u |
			       ((unsigned)rcode & 0xf));
	put16(out + 4, qlen ? 1 : 0);
	if (qlen) {
		memcpy(out + n, msg + 12, qlen);
		n += qlen;
	}
	if (rcode == LN_DNS_NOERROR && want && qlen && q->qclass == LN_DNS_CLASS_IN) {
		size_t rdlen = want == 4 ? 4 : 16;
		for (size_t i = 0; i < naddrs; i++) {
			if (addrs[i].family != want)
				continue;
			if (n + 12 + rdlen > outlen)
				break;                  /* as many as fit; no TC: enough to connect */
			put16(out + n, 0xc00c);         /* the question's name */
			put16(out + n + 2, q->qtype);
			put16(out + n + 4, LN_DNS_CLASS_IN);
			put16(out + n + 6, ttl >> 16);
			put16(out + n + 8, ttl & 0xffff);
			put16(out + n + 10, (unsigned)rdlen);
			memcpy(out + n + 12, addrs[i].addr, rdlen);
			n += 12 + rdlen;
			an++;
		}
	}
	put16(out + 6, (unsigned)an);
	return n;
}
