/*
 * libFuzzer target for the Docker / OCI seccomp profile importer. The first
 * input byte picks the capabilities kept (none, CAP_SYS_ADMIN, all), the rest
 * is the profile. On success the spec must keep the importer's promises
 * (docker_import.h): every name known to sbx on each arch of its mask, masks
 * within sbx's arches, sane conditions, and per syscall and arch never an
 * unconditional entry together with another entry. On failure the error must
 * be well-formed and carry the caller's pointer. Any violation aborts.
 */
#include "caps.h"
#include "docker_import.h"
#include "syscalls.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_require.h"

#define ARCHES (SBX_ARCH_BIT(SBX_ARCH_X86_64) | SBX_ARCH_BIT(SBX_ARCH_AARCH64))

static void check_spec(const struct sbx_seccomp_spec *s)
{
	REQUIRE(s->has_default);
	REQUIRE(strcmp(s->default_pointer, "/seccomp/import") == 0);
	for (size_t i = 0; i < s->nentries; i++) {
		const struct sbx_seccomp_entry *e = &s->entries[i];
		REQUIRE(e->name && e->name[0] && e->name[0] != '@');
		REQUIRE(e->arch_mask && !(e->arch_mask & ~ARCHES));
		REQUIRE(strcmp(e->pointer, "/seccomp/import") == 0);
		REQUIRE(e->nconds <= 6 && (e->nconds == 0) == (e->conds == NULL));
		REQUIRE(!(e->action.kind == s->default_action.kind &&
			  e->action.data == s->default_action.data));
		if (e->action.kind == SBX_ACT_ERRNO)
			REQUIRE(e->action.data <= 4095);
		for (int a = 0; a < SBX_ARCH_COUNT; a++)
			if (e->arch_mask & SBX_ARCH_BIT(a))
				REQUIRE(sbx_syscall_lookup(a, e->name) >= 0);
		for (size_t k = 0; k < e->nconds; k++) {
			const struct sbx_arg_cond *c = &e->conds[k];
			REQUIRE(c->arg < 6 && c->op != SBX_CMP_IN && !c->low32);
			if (c->op == SBX_CMP_MASKED_EQ)
				REQUIRE((c->value & ~c->mask) == 0);
		}
		/* libseccomp precedence applied: an unconditional entry is
		 * alone for its syscall on its arches */
		for (size_t j = 0; j < s->nentries; j++) {
			const struct sbx_seccomp_entry *o = &s->entries[j];
			if (j == i || strcmp(o->name, e->name) != 0)
				continue;
			if (e->nconds == 0)
				REQUIRE(!(e->arch_mask & o->arch_mask));
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint64_t caps_choice[3] = {
		0, SBX_CAP_BIT(21), (SBX_CAP_BIT(SBX_CAP_LAST) << 1) - 1
	};
	struct sbx_docker_profile *p = NULL;
	struct sbx_notes notes = { 0 };
	struct sbx_error err;
	uint64_t caps = size ? caps_choice[data[0] % 3] : 0;
	char *buf;
	int rc;

	if (size)
		data++, size--;
	/* Copy so that ASan catches any read past len. */
	buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	if (size)
		memcpy(buf, data, size);
	rc = sbx_docker_import(buf, size, caps, "/seccomp/import", &p, &notes, &err);
	if (rc == 0) {
		REQUIRE(p != NULL && err.code == SBX_OK);
		check_spec(sbx_docker_profile_spec(p));
		sbx_docker_profile_free(p);
	} else {
		REQUIRE(rc < 0 && p == NULL);
		REQUIRE(err.code > SBX_OK && err.code < SBX_ECODE_COUNT);
		REQUIRE(err.code != SBX_EINTERNAL && err.code != SBX_EINVAL);
		REQUIRE(strcmp(err.pointer, "/seccomp/import") == 0);
		REQUIRE(memchr(err.message, '\0', sizeof(err.message)) != NULL);
		REQUIRE(!strchr(err.message, '\n'));
		REQUIRE(err.message[0] == '/' || strncmp(err.message, "profile", 7) == 0);
	}
	for (size_t i = 0; i < notes.count; i++)
		REQUIRE(notes.items[i] && !strchr(notes.items[i], '\n'));
	sbx_notes_free(&notes);
	free(buf);
	return 0;
}
