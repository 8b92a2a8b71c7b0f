/*
 * Apply step: capabilities of the calling thread.
 *
 * Order inside the step, and why:
 *   1. raise CAP_SETPCAP into the effective set if it is permitted: the
 *      bounding set and the securebits need it in effect;
 *   2. drop everything not kept from the bounding set (limits what any later
 *      execve can grant);
 *   3. inheritable := kept (only what is already inheritable, or permitted
 *      when the kept set must survive exec); clear the ambient set, then
 *      raise the kept ones into it when asked (needs them inheritable);
 *   4. securebits set and locked while CAP_SETPCAP is still in effect;
 *   5. permitted = effective := kept, which gives up CAP_SETPCAP itself
 *      unless it is kept.
 * Without CAP_SETPCAP (an unprivileged process) steps 2 and 4 are impossible;
 * they are then noted instead of failing when no_new_privs follows, because
 * under no_new_privs execve never grants capabilities (the kernel caps the new
 * permitted set at the old one), which is all the bounding set and NOROOT
 * protect against. See docs/security-model.md, "Apply engine".
 */
#include "apply.h"
#include "kernel_defs.h"

#include <errno.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SECBIT_NO_CAP_AMBIENT_RAISE
#define SECBIT_NO_CAP_AMBIENT_RAISE (1u << 6)
#define SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED (1u << 7)
#endif

#define CAPBIT(n) (UINT64_C(1) << (n))

/* What we set and lock: uid 0 gets no capabilities from execve, uid changes
 * do not touch capabilities, KEEP_CAPS is off for good, no ambient raises. */
#define SBX_SECUREBITS                                                      \
	(SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP |     \
	 SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_KEEP_CAPS_LOCKED |           \
	 SECBIT_NO_CAP_AMBIENT_RAISE | SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED)

struct capsets {
	uint64_t eff, perm, inh;
};

static int caps_get(struct capsets *c)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	memset(d, 0, sizeof(d));
	if (syscall(SYS_capget, &h, d))
		return -errno;
	c->eff = d[0].effective | (uint64_t)d[1].effective << 32;
	c->perm = d[0].permitted | (uint64_t)d[1].permitted << 32;
	c->inh = d[0].inheritable | (uint64_t)d[1].inheritable << 32;
	return 0;
}

static int caps_set(const struct capsets *c)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	d[0].effective = (uint32_t)c->eff;
	d[1].effective = (uint32_t)(c->eff >> 32);
	d[0].permitted = (uint32_t)c->perm;
	d[1].permitted = (uint32_t)(c->perm >> 32);
	d[0].inheritable = (uint32_t)c->inh;
	d[1].inheritable = (uint32_t)(c->inh >> 32);
	if (syscall(SYS_capset, &h, d))
		return -errno;
	return 0;
}

/* The bounding set, read bit by bit up to the kernel's last capability
 * (PR_CAPBSET_READ fails with EINVAL past it), so capabilities newer than
 * our tables are seen and dropped too. */
static uint64_t bounding_get(void)
{
	uint64_t b = 0;
	int cap;

	for (cap = 0; cap < 64; cap++) {
		int r = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
		if (r < 0)
			break;
		if (r == 1)
			b |= CAPBIT(cap);
	}
	return b;
}

/*
 * With CAP_SETPCAP in effect: drop every capability not kept, up to the
 * kernel's last one, without reading the bounding set first (dropping one
 * that is already gone succeeds and changes nothing; reading first would be
 * ~41 more system calls on every start). EINVAL marks the end, as it does
 * for PR_CAPBSET_READ; it is checked with one read, so a failure on a valid
 * capability is never mistaken for the end. The kept ones are read (the
 * caller needs them for the inheritable set). Returns the bounding set left.
 */
static int drop_bounding_all(uint64_t keep, uint64_t *left, const char *ptr,
			     struct sbx_error *err)
{
	uint64_t b = 0;
	int cap;

	for (cap = 0; cap < 64; cap++) {
		int e;

		if (keep & CAPBIT(cap)) {
			int r = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
			if (r < 0)
				break;
			if (r == 1)
				b |= CAPBIT(cap);
			continue;
		}
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == 0)
			continue;
		e = errno;
		if (e == EINVAL && prctl(PR_CAPBSET_READ, cap, 0, 0, 0) < 0)
			break;    /* past the kernel's last capability */
		return sbx_error_sys(err, e, "prctl(PR_CAPBSET_DROP)", ptr,
				     "capabilities: cannot drop capability "
				     "%d from the bounding set: %s", cap,
				     strerror(e));
	}
	*left = b;
	return 0;
}

unsigned sbx_apply_securebits_want(unsigned cur)
{
	return (cur | SBX_SECUREBITS) & ~(unsigned)SECBIT_KEEP_CAPS;
}

static int set_securebits(bool have_setpcap, bool tolerate,
			  const char *ptr, struct sbx_apply_result *res,
			  struct sbx_error *err)
{
	int cur = prctl(PR_GET_SECUREBITS, 0, 0, 0, 0);
	unsigned want;

	if (cur < 0)
		return sbx_error_sys(err, errno, "prctl(PR_GET_SECUREBITS)", ptr,
				     "capabilities: cannot read the securebits");
	want = sbx_apply_securebits_want((unsigned)cur);
	if ((unsigned)cur == want)
		return 0;
	if (!have_setpcap && tolerate) {
		if (res)
			sbx_notebuf_add(&res->notes,
				"capabilities: securebits left at 0x%x (setting "
				"them needs CAP_SETPCAP); harmless here because "
				"no_new_privs keeps execve from granting "
				"capabilities", cur);
		return 0;
	}
	if (prctl(PR_SET_SECUREBITS, want, 0, 0, 0) < 0) {
		int e = errno;
		return sbx_error_sys(err, e, "prctl(PR_SET_SECUREBITS)", ptr,
				     "capabilities: cannot set and lock the "
				     "securebits (0x%x -> 0x%x): %s%s", cur, want,
				     strerror(e), have_setpcap ? "" :
				     " (needs CAP_SETPCAP)");
	}
	return 0;
}

int sbx_apply_caps(const struct sbx_plan_caps *caps, bool nnp_follows,
		   struct sbx_apply_result *res, struct sbx_error *err)
{
	const char *ptr = caps->pointer;
	bool tolerate = nnp_follows || caps->compat == SBX_COMPAT_BEST_EFFORT;
	struct capsets cur = { 0, 0, 0 }, next;
	uint64_t keep = caps->keep, bnd = 0, extra;
	bool have_setpcap;
	int r, cap;

	if (!caps->present)
		return 0;
	if ((r = caps_get(&cur)))
		return sbx_error_sys(err, -r, "capget", ptr,
				     "capabilities: cannot read them");

	/* 1 */
	if ((cur.perm & CAPBIT(CAP_SETPCAP)) && !(cur.eff & CAPBIT(CAP_SETPCAP))) {
		cur.eff |= CAPBIT(CAP_SETPCAP);
		if ((r = caps_set(&cur)))
			return sbx_error_sys(err, -r, "capset", ptr,
					     "capabilities: cannot raise "
					     "CAP_SETPCAP from permitted");
	}
	have_setpcap = cur.eff & CAPBIT(CAP_SETPCAP);

	/* 2 */
	if (have_setpcap) {
		if ((r = drop_bounding_all(keep, &bnd, ptr, err)))
			return r;
		extra = 0;
	} else {
		bnd = bounding_get();
		extra = bnd & ~keep;
	}
	if (extra && tolerate) {
		if (res)
			sbx_notebuf_add(&res->notes,
				"capabilities: bounding set left at 0x%llx "
				"(dropping needs CAP_SETPCAP); harmless here "
				"because no_new_privs keeps execve from granting "
				"capabilities", (unsigned long long)bnd);
	} else if (extra) {
		return sbx_error_sys(err, EPERM, "prctl(PR_CAPBSET_DROP)", ptr,
				     "capabilities: cannot drop 0x%llx from the "
				     "bounding set without CAP_SETPCAP",
				     (unsigned long long)extra);
	}

	/* 3 */
	next = cur;
	next.inh = keep & cur.inh;
	if (caps->keep_across_exec)
		next.inh = keep & (cur.inh | cur.perm) & (cur.inh | bnd);
	if (next.inh != cur.inh && (r = caps_set(&next)))
		return sbx_error_sys(err, -r, "capset", ptr,
				     "capabilities: cannot set the inheritable "
				     "set to 0x%llx", (unsigned long long)next.inh);
	/* EINVAL: a kernel before 4.3 has no ambient set to clear. Not needed
	 * when nothing kept is both permitted and inheritable after step 5:
	 * the ambient set is always within permitted & inheritable, so step
	 * 5's capset() empties it (cap_capset() in security/commoncap.c masks
	 * it), or, when step 5 has nothing to change, it is empty already.
	 * Each clear is a credential commit (~2-4 us) on every start. */
	if ((caps->keep_across_exec || (cur.perm & keep & next.inh)) &&
	    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 &&
	    errno != EINVAL)
		return sbx_error_sys(err, errno, "prctl(PR_CAP_AMBIENT)", ptr,
				     "capabilities: cannot clear the ambient set");
	if (caps->keep_across_exec) {
		uint64_t amb = keep & next.perm & next.inh;

		for (cap = 0; cap < 64; cap++) {
			if (!(amb & CAPBIT(cap)))
				continue;
			if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0,
				  0) < 0)
				return sbx_error_sys(err, errno,
					"prctl(PR_CAP_AMBIENT_RAISE)", ptr,
					"capabilities: cannot keep capability "
					"%d across execve (ambient raise)", cap);
		}
	}

	/* 4 */
	if (!caps->skip_securebits &&
	    (r = set_securebits(have_setpcap, tolerate, ptr, res, err)))
		return r;
	if (caps->skip_securebits)   /* the ids step may have turned it on */
		(void)prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);

	/* 5. The thread now holds `next`. Nothing to reduce (e.g. an
	 * unprivileged process without capabilities): no capset, which would
	 * commit identical credentials; the read-back below still checks. */
	if (next.perm != (cur.perm & keep) || next.eff != (cur.perm & keep)) {
		next.perm = cur.perm & keep;
		next.eff = next.perm;
		if ((r = caps_set(&next)))
			return sbx_error_sys(err, -r, "capset", ptr,
					     "capabilities: cannot reduce permitted "
					     "and effective to 0x%llx",
					     (unsigned long long)next.perm);
	}

	/* Trust, but verify: a silent partial drop would be the worst case. */
	if ((r = caps_get(&cur)))
		return sbx_error_sys(err, -r, "capget", ptr,
				     "capabilities: cannot read them back");
	if ((cur.perm | cur.eff | cur.inh) & ~keep)
		return sbx_error_set(err, SBX_EINTERNAL, EPERM, ptr,
				     "capabilities: still hold 0x%llx after "
				     "dropping", (unsigned long long)
				     ((cur.perm | cur.eff | cur.inh) & ~keep));
	if (res) {
		int sb = prctl(PR_GET_SECUREBITS, 0, 0, 0, 0);

		res->caps_permitted = cur.perm;
		/* Step 2 left exactly bnd: every capability not kept was
		 * dropped (or, without CAP_SETPCAP, read); a second read would
		 * be ~41 system calls on every start. */
		res->caps_bounding = bnd;
		res->securebits = sb < 0 ? 0 : (unsigned)sb;
	}
	return 0;
}
