/* A seccomp import, Docker profile or minijail policy, by content. */
#include "seccomp_import.h"

#include "docker_import.h"
#include "minijail_import.h"

#include <errno.h>
#include <stdlib.h>

struct sbx_seccomp_import {
	struct sbx_docker_profile *docker;
	struct sbx_minijail_policy *minijail;
};

int sbx_seccomp_import(const char *text, size_t len, const char *path, uint64_t caps_kept,
		       const char *pointer, struct sbx_seccomp_import **out,
		       struct sbx_notes *notes, struct sbx_error *err)
{
	struct sbx_seccomp_import *im = calloc(1, sizeof(*im));
	int rc;

	*out = NULL;
	if (!im)
		return sbx_error_set(err, SBX_ENOMEM, ENOMEM, pointer, "out of memory");
	if (sbx_minijail_sniff(text, len))
		rc = sbx_minijail_import(text, len, path, pointer, &im->minijail, notes, err);
	else
		rc = sbx_docker_import(text, len, caps_kept, pointer, &im->docker, notes, err);
	if (rc) {
		free(im);
		return rc;
	}
	*out = im;
	return 0;
}

const struct sbx_seccomp_spec *sbx_seccomp_import_spec(const struct sbx_seccomp_import *im)
{
	return im->minijail ? sbx_minijail_policy_spec(im->minijail)
			    : sbx_docker_profile_spec(im->docker);
}

int sbx_seccomp_import_check(const struct sbx_seccomp_import *im, enum sbx_arch arch,
			     struct sbx_error *err)
{
	return im->minijail ? sbx_minijail_policy_check(im->minijail, arch, err) : 0;
}

const char *sbx_seccomp_import_kind(const struct sbx_seccomp_import *im)
{
	return im->minijail ? "minijail policy" : "Docker profile";
}

void sbx_seccomp_import_free(struct sbx_seccomp_import *im)
{
	if (!im)
		return;
	sbx_docker_profile_free(im->docker);
	sbx_minijail_policy_free(im->minijail);
	free(im);
}
