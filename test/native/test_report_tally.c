/* sbx_report_tally_add: which denials are reported one by one, which only
 * counted (notify.h), as both doors' supervisors use it. */
#include "notify.h"
#include "t.h"

#define X86_64 0xc000003eU
#define I386 0x40000003U

TEST(tally_shows_the_first_per_call_then_counts)
{
	struct sbx_report_tally t = { .ncalls = 0 };
	const struct sbx_report_call *c = NULL;
	for (int i = 1; i < SBX_REPORT_PER_CALL; i++)
		CHECK_EQ_INT(sbx_report_tally_add(&t, X86_64, 42, &c), SBX_REPORT_SHOW);
	CHECK_EQ_INT(sbx_report_tally_add(&t, X86_64, 42, &c), SBX_REPORT_SHOW_LAST);
	for (int i = 0; i < 900; i++)
		CHECK_EQ_INT(sbx_report_tally_add(&t, X86_64, 42, &c), SBX_REPORT_COUNT);
	CHECK(c && c->nr == 42 && !c->shared);
	CHECK_EQ_INT(c->denials, SBX_REPORT_PER_CALL + 900);
	CHECK_EQ_INT(sbx_report_unshown(c), 900);
	/* Another call is not held back by the first one's count. */
	CHECK_EQ_INT(sbx_report_tally_add(&t, X86_64, 49, &c), SBX_REPORT_SHOW);
	CHECK_EQ_INT(sbx_report_unshown(c), 0);
	CHECK_EQ_INT(t.ncalls, 2);
}

TEST(tally_tells_architectures_apart)
{
	struct sbx_report_tally t = { .ncalls = 0 };
	const struct sbx_report_call *c = NULL;
	for (int i = 0; i < SBX_REPORT_PER_CALL; i++)
		sbx_report_tally_add(&t, X86_64, 102, &c);
	/* i386 102 (socketcall) is a different call from x86_64 102 (getuid). */
	CHECK_EQ_INT(sbx_report_tally_add(&t, I386, 102, &c), SBX_REPORT_SHOW);
	CHECK(c && c->arch == I386 && c->denials == 1);
}

TEST(tally_beyond_its_calls_shares_one_bucket)
{
	struct sbx_report_tally t = { .ncalls = 0 };
	const struct sbx_report_call *c = NULL;
	for (int nr = 0; nr < SBX_REPORT_CALLS; nr++)
		CHECK_EQ_INT(sbx_report_tally_add(&t, X86_64, nr, &c), SBX_REPORT_SHOW);
	CHECK_EQ_INT(t.ncalls, SBX_REPORT_CALLS);
	/* Every further call lands in one bucket, whose limit is shared. */
	int shown = 0, counted = 0;
	for (int i = 0; i < 3 * SBX_REPORT_PER_CALL; i++) {
		enum sbx_report_show s = sbx_report_tally_add(&t, X86_64, 1000 + i, &c);
		CHECK(c && c->shared);
		if (s == SBX_REPORT_COUNT)
			counted++;
		else
			shown++;
	}
	CHECK_EQ_INT(shown, SBX_REPORT_PER_CALL);
	CHECK_EQ_INT(counted, 2 * SBX_REPORT_PER_CALL);
	CHECK_EQ_INT(t.ncalls, SBX_REPORT_CALLS + 1);
	/* The named calls keep their own counts. */
	CHECK_EQ_INT(sbx_report_tally_add(&t, X86_64, 5, &c), SBX_REPORT_SHOW);
	CHECK(c && !c->shared && c->nr == 5 && c->denials == 2);
}

int main(void)
{
	return t_run();
}
