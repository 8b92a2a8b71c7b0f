/*
 * sbx_prepare(): the preparation every door shares (prepare.c), with what a
 * door adds in its own files, in order. The self door confines a process
 * that is already running: the io_uring rings it holds are checked before
 * the filter is built, which depends on them (self_rings.c), and its
 * threads are listed last (self.c).
 */
#include "policy.h"
#include "prepared.h"
#include "self.h"

#include <errno.h>

int sbx_prepare_with(const struct sbx_policy *p, int door, const struct sbx_prepare_inputs *in,
		     int landlock_abi, struct sbx_prepared **out, struct sbx_error *err)
{
	struct sbx_prepared *pp = NULL;
	int r;

	if (!out)
		return sbx_error_set(err, SBX_EINVAL, EINVAL, NULL, "sbx_prepare: NULL argument");
	*out = NULL;
	if ((r = sbx_prepare_begin(p, door, in, landlock_abi, &pp, err)))
		return r;
	if (door == SBX_DOOR_SELF && ((r = sbx_self_rings_check(pp, err)) ||
				      (r = sbx_self_rings_policy(pp, p, err))))
		goto fail;
	if ((r = sbx_prepare_confine(pp, p, landlock_abi, err)))
		goto fail;
	if (door == SBX_DOOR_SELF)
		sbx_self_prepare_threads(pp);
	sbx_prepare_end(pp);
	*out = pp;
	return 0;
fail:
	sbx_prepared_free(pp);
	return r;
}

int sbx_prepare_at_abi(const struct sbx_policy *p, int door, unsigned flags,
		       int landlock_abi, struct sbx_prepared **out,
		       struct sbx_error *err)
{
	struct sbx_prepare_inputs in = { .flags = flags };

	return sbx_prepare_with(p, door, &in, landlock_abi, out, err);
}

int sbx_prepare(const struct sbx_policy *p, int door, unsigned flags,
		struct sbx_prepared **out, struct sbx_error *err)
{
	return sbx_prepare_at_abi(p, door, flags, sbx_landlock_abi(), out, err);
}
