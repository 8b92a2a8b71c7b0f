/* net.hosts (src-native/net_hosts.c, policy_parse.c): patterns parse to what
 * they say, match exactly the names, addresses and ports they name and no
 * neighbour, and every malformed pattern is refused with the reason at its
 * JSON pointer. */
#include "net_hosts.h"
#include "policy.h"
#include "sbx_apply.h"
#include "t.h"

#include <arpa/inet.h>
#include <errno.h>

static struct sbx_host_pattern pat(const char *s)
{
	struct sbx_host_pattern p;
	char why[256];

	if (sbx_host_pattern_parse(s, &p, why, sizeof(why)))
		T_FAIL("%s: %s", s, why);
	return p;
}

static bool name_ok(const char *pattern, const char *name, unsigned port)
{
	struct sbx_host_pattern p = pat(pattern);
	char n[SBX_HOST_NAME_MAX + 1];

	if (!sbx_host_name_normalize(name, strlen(name), n))
		return false;
	return sbx_host_match_name(&p, n, port);
}

static bool addr_ok(const char *pattern, const char *addr, unsigned port)
{
	struct sbx_host_pattern p = pat(pattern);
	uint8_t a[16];

	if (inet_pton(AF_INET, addr, a) == 1)
		return sbx_host_match_addr(&p, 4, a, port);
	if (inet_pton(AF_INET6, addr, a) == 1)
		return sbx_host_match_addr(&p, 6, a, port);
	T_FAIL("bad address %s", addr);
	return false;
}

TEST(exact_names_and_default_ports)
{
	CHECK(name_ok("registry.npmjs.org", "registry.npmjs.org", 443));
	CHECK(name_ok("registry.npmjs.org", "Registry.NPMjs.org.", 80));
	CHECK(!name_ok("registry.npmjs.org", "registry.npmjs.org", 22));
	CHECK(!name_ok("registry.npmjs.org", "evil.registry.npmjs.org", 443));
	CHECK(!name_ok("registry.npmjs.org", "registry.npmjs.org.evil.test", 443));
	CHECK(!name_ok("registry.npmjs.org", "xregistry.npmjs.org", 443));
	CHECK(name_ok("github.com:22", "github.com", 22));
	CHECK(!name_ok("github.com:22", "github.com", 443));
	CHECK(name_ok("db.internal:*", "db.internal", 5432));
	CHECK(name_ok("db.internal:*", "db.internal", 1));
	CHECK(!name_ok("db.internal:*", "db2.internal", 5432));
}

TEST(wildcards_cover_subdomains_only)
{
	CHECK(name_ok("*.example.com", "a.example.com", 443));
	CHECK(name_ok("*.example.com", "a.b.example.com", 443));
	CHECK(!name_ok("*.example.com", "example.com", 443));
	CHECK(!name_ok("*.example.com", "aexample.com", 443));
	CHECK(!name_ok("*.example.com", "example.com.evil.test", 443));
	CHECK(!name_ok("*.example.com", "a.example.com", 8443));
	CHECK(name_ok("*.example.com:8443", "a.example.com", 8443));
	/* a wildcard never matches an address */
	struct sbx_host_pattern p = pat("*.example.com");
	uint8_t a[4] = { 10, 0, 0, 1 };
	CHECK(!sbx_host_match_addr(&p, 4, a, 443));
}

TEST(addresses_and_ranges)
{
	CHECK(addr_ok("192.0.2.7", "192.0.2.7", 443));
	CHECK(!addr_ok("192.0.2.7", "192.0.2.8", 443));
	CHECK(!addr_ok("192.0.2.7", "192.0.2.7", 22));
	CHECK(addr_ok("192.0.2.7:22", "192.0.2.7", 22));
	CHECK(addr_ok("192.0.2.7", "::ffff:192.0.2.7", 443));
	CHECK(addr_ok("10.0.0.0/8:*", "10.255.1.2", 9));
	CHECK(!addr_ok("10.0.0.0/8:*", "11.0.0.1", 9));
	CHECK(addr_ok("10.9.0.0/23", "10.9.1.255", 80));
	CHECK(!addr_ok("10.9.0.0/23", "10.9.2.0", 80));
	CHECK(addr_ok("0.0.0.0/0:5432", "203.0.113.9", 5432));
	CHECK(addr_ok("[2001:db8::7]:22", "2001:db8::7", 22));
	CHECK(!addr_ok("[2001:db8::7]:22", "2001:db8::8", 22));
	CHECK(addr_ok("2001:db8::/32", "2001:db8:ffff::1", 443));
	CHECK(!addr_ok("2001:db8::/32", "2001:db9::1", 443));
	CHECK(addr_ok("[2001:db8::/32]:*", "2001:db8::1", 7));
	CHECK(!addr_ok("2001:db8::/32", "192.0.2.7", 443));
	CHECK(!addr_ok("192.0.2.0/24", "2001:db8::1", 443));
	/* an address pattern never matches a name */
	CHECK(!name_ok("192.0.2.7", "192.0.2.7.nip.test", 443));
}

TEST(format_round_trips)
{
	const char *in[] = { "example.com", "*.example.com:8443", "192.0.2.7:22", "10.0.0.0/8:*",
			     "[2001:db8::7]:22", "[2001:db8::/32]" };
	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		struct sbx_host_pattern p = pat(in[i]);
		char out[320];
		sbx_host_pattern_format(&p, out, sizeof(out));
		CHECK_STR(out, in[i]);
	}
	struct sbx_host_pattern p = pat("2001:db8::/32");
	char out[320];
	sbx_host_pattern_format(&p, out, sizeof(out));
	CHECK_STR(out, "[2001:db8::/32]");
}

static const struct { const char *text, *msg; } bad[] = {
	{ "", "empty host pattern" },
	{ "*", "would allow every host" },
	{ "*:443", "would allow every host" },
	{ "*.com", "every name under a top-level domain" },
	{ "foo.*.com", "'*' only as the whole first label" },
	{ "*foo.com", "'*' only as the whole first label" },
	{ "exa mple.com", "a space" },
	{ "ex\x01" "ample.com", "a control character" },
	{ "b\xc3\xbc" "cher.de", "a non-ASCII byte" },
	{ "https://example.com", "not a URL" },
	{ "example.com:0", "out of range" },
	{ "example.com:65536", "out of range" },
	{ "example.com:http", "is not a number" },
	{ "example.com:", "empty port" },
	{ ":443", "no host before" },
	{ "example..com", "is not a host name" },
	{ ".example.com", "is not a host name" },
	{ "a-very-long-label-that-goes-on-and-on-and-on-for-more-than-sixty-three.com",
	  "is not a host name" },
	{ "999.1.1.1", "not an IP address" },
	{ "1.2.3", "not an IP address" },
	{ "example.123", "neither a host name" },
	{ "10.0.0.1/8", "did you mean 10.0.0.0/8?" },
	{ "10.0.0.0/33", "longer than 32 bits" },
	{ "10.0.0.0/", "bad CIDR prefix" },
	{ "10.0.0.0/x", "bad CIDR prefix" },
	{ "2001:db8::/129", "longer than 128 bits" },
	{ "[2001:db8::1", "'[' without ']'" },
	{ "[example.com]:443", "brackets are for IPv6" },
	{ "[2001:db8::1]443", "unexpected" },
	{ "::ffff:10.0.0.1", "IPv4-mapped" },
	{ "2001:db8::zz", "not an IP address" },
};

TEST(bad_patterns_say_why)
{
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct sbx_host_pattern p;
		char why[256] = "";
		int rc = sbx_host_pattern_parse(bad[i].text, &p, why, sizeof(why));
		if (rc != -EINVAL || !strstr(why, bad[i].msg))
			T_FAIL("\"%s\": rc %d, \"%s\", want \"%s\"", bad[i].text, rc, why, bad[i].msg);
	}
}

static struct sbx_policy_load_opts opts(void)
{
	struct sbx_policy_load_opts o = { .cwd = "/tmp", .home = "/root", .tmpdir = "/tmp" };
	return o;
}

TEST(policy_errors_point_at_the_pattern)
{
	struct sbx_policy_load_opts o = opts();
	struct {
		const char *text;
		int code;
		const char *pointer, *msg;
	} cases[] = {
		{ "{\"net\": {\"hosts\": [\"ok.test\", \"foo.*.test\"]}}", SBX_EVALUE,
		  "/net/hosts/1", "host pattern \"foo.*.test\": '*' only as" },
		{ "{\"net\": {\"hosts\": \"ok.test\"}}", SBX_ETYPE, "/net/hosts",
		  "an array of host patterns" },
		{ "{\"net\": {\"hosts\": [443]}}", SBX_ETYPE, "/net/hosts/0", "a host pattern string" },
		{ "{\"net\": {\"hostz\": []}}", SBX_EUNKNOWNKEY, "/net/hostz", "did you mean \"hosts\"?" },
		{ "{\"extends\": \"strict\", \"net\": {\"hosts\": [\"10.0.0.1/8:22\"]}}", SBX_EVALUE,
		  "/net/hosts/0", "did you mean 10.0.0.0/8?" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sbx_policy *p = NULL;
		struct sbx_error err;
		int rc = sbx_policy_load_text(cases[i].text, strlen(cases[i].text), &o, &p, &err);
		if (rc >= 0 || err.code != cases[i].code || strcmp(err.pointer, cases[i].pointer) ||
		    !strstr(err.message, cases[i].msg))
			T_FAIL("%s: rc %d %s \"%s\" \"%s\"", cases[i].text, rc,
			       sbx_code_name(err.code), err.pointer, err.message);
		if (!rc)
			sbx_policy_free(p);
	}
}

TEST(layers_add_up_and_allow_inet_sockets)
{
	struct sbx_policy_load_opts o = opts();
	struct sbx_policy *p = NULL;
	struct sbx_error err;
	const char *text = "{\"extends\": \"strict\", \"net\": {\"hosts\": [\"a.test\", \"*.b.test:22\"]}}";

	CHECK_EQ_INT(sbx_policy_load_text(text, strlen(text), &o, &p, &err), 0);
	if (!p)
		return;
	CHECK(p->net.hosts.set);
	CHECK_EQ_INT(p->net.hosts.count, 2);
	CHECK_STR(p->net.hosts.items[1].pointer, "/net/hosts/1");
	CHECK_EQ_INT(p->net.inet, 0);          /* strict says no inet ... */
	CHECK(sbx_net_inet_sockets(&p->net));  /* ... hosts need them      */
	sbx_policy_free(p);
	/* without hosts, strict keeps inet sockets denied */
	text = "{\"extends\": \"strict\", \"net\": {\"hosts\": []}}";
	CHECK_EQ_INT(sbx_policy_load_text(text, strlen(text), &o, &p, &err), 0);
	if (p) {
		CHECK(p->net.hosts.set);
		CHECK(!sbx_net_inet_sockets(&p->net));
		sbx_policy_free(p);
	}
}

/* The preload and self doors run in the host's network: refused in both
 * compat modes; the spawn door takes it (with a listener) and notifies. */
TEST(doors_without_an_egress_path_refuse)
{
	struct sbx_policy_load_opts o = opts();
	const char *texts[] = {
		"{\"net\": {\"inet\": true, \"hosts\": [\"a.test\"]}}",
		"{\"compat\": \"best-effort\", \"net\": {\"compat\": \"best-effort\", "
		"\"hosts\": [\"a.test\"]}}",
	};
	for (size_t t = 0; t < 2; t++) {
		struct sbx_policy *p = NULL;
		struct sbx_error err;
		CHECK_EQ_INT(sbx_policy_load_text(texts[t], strlen(texts[t]), &o, &p, &err), 0);
		if (!p)
			continue;
		enum sbx_door doors[] = { SBX_DOOR_PRELOAD, SBX_DOOR_SELF };
		for (int d = 0; d < 2; d++) {
			struct sbx_prepared *pp = NULL;
			int rc = sbx_prepare(p, doors[d], 0, &pp, &err);
			CHECK(rc < 0);
			CHECK_EQ_INT(err.code, SBX_EUNSUPPORTED);
			CHECK_STR(err.pointer, "/net/hosts");
			CHECK(strstr(err.message, "spawn door only") != NULL);
			if (!rc)
				sbx_prepared_free(pp);
		}
		struct sbx_prepared *pp = NULL;
		CHECK_EQ_INT(sbx_prepare(p, SBX_DOOR_SPAWN, SBX_PREPARE_LISTENER, &pp, &err), 0);
		if (pp)
			sbx_prepared_free(pp);
		/* without a listener the spawn door cannot supervise: refused */
		pp = NULL;
		CHECK(sbx_prepare(p, SBX_DOOR_SPAWN, 0, &pp, &err) < 0);
		CHECK_STR(err.pointer, "/net/hosts");
		sbx_policy_free(p);
	}
}

int main(void)
{
	return t_run();
}
