/*
 * Minimal test harness for the C unit tests. Output is TAP: one line per
 * test ("ok 3 - name" / "not ok 3 - name"), diagnostics on "# " lines, and
 * "1..N" at the end. test/native.test.ts runs every test binary and turns
 * each TAP line into one vitest case, so C and TS tests share one count.
 *
 *   #include "t.h"
 *   TEST(parses_empty_object) { CHECK(x == 1); CHECK_EQ_INT(a, b); CHECK_STR(s, "x"); }
 *   int main(void) { return t_run(); }
 */
#ifndef SBX_T_H
#define SBX_T_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef void (*t_fn)(void);
struct t_case { const char *name; t_fn fn; };

#define T_MAX 1024
static struct t_case t_cases[T_MAX];
static int t_ncases;
static int t_failed_current;

static inline void t_register(const char *name, t_fn fn)
{
	if (t_ncases < T_MAX)
		t_cases[t_ncases++] = (struct t_case){ name, fn };
}

#define TEST(name)                                                          \
	static void t_##name(void);                                         \
	__attribute__((constructor)) static void t_reg_##name(void)          \
	{ t_register(#name, t_##name); }                                     \
	static void t_##name(void)

#define T_FAIL(...)                                                         \
	do {                                                                \
		t_failed_current = 1;                                       \
		printf("#   %s:%d: ", __FILE__, __LINE__);                     \
		printf(__VA_ARGS__);                                        \
		printf("\n");                                               \
	} while (0)

#define CHECK(cond)                                                         \
	do { if (!(cond)) T_FAIL("CHECK(%s) failed", #cond); } while (0)

#define CHECK_EQ_INT(a, b)                                                  \
	do {                                                                \
		long long t_a = (long long)(a), t_b = (long long)(b);       \
		if (t_a != t_b)                                             \
			T_FAIL("%s == %s: %lld != %lld", #a, #b, t_a, t_b);  \
	} while (0)

#define CHECK_STR(a, b)                                                     \
	do {                                                                \
		const char *t_a = (a), *t_b = (b);                          \
		if (!t_a || !t_b || strcmp(t_a, t_b) != 0)                  \
			T_FAIL("%s == %s: \"%s\" != \"%s\"", #a, #b,          \
			       t_a ? t_a : "(null)", t_b ? t_b : "(null)");   \
	} while (0)

/* A whole input file (e.g. Docker's profile in test/fixtures/seccomp/) into buf:
 * its length, or 0 (and a failed check) when it cannot be read or does not
 * fit. */
static inline size_t t_read_file(const char *path, char *buf, size_t cap)
{
	FILE *f = fopen(path, "rb");
	size_t len;

	if (!f) {
		T_FAIL("cannot open %s", path);
		return 0;
	}
	len = fread(buf, 1, cap, f);
	fclose(f);
	if (len == 0 || len >= cap) {
		T_FAIL("%s: read %zu bytes (buffer %zu)", path, len, cap);
		return 0;
	}
	return len;
}

/* Run every registered test; exit status is 1 if any failed. */
static inline int t_run(void)
{
	int failed = 0;
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int i = 0; i < t_ncases; i++) {
		t_failed_current = 0;
		t_cases[i].fn();
		printf("%s %d - %s\n", t_failed_current ? "not ok" : "ok", i + 1,
		       t_cases[i].name);
		failed += t_failed_current;
	}
	printf("1..%d\n", t_ncases);
	return failed ? 1 : 0;
}

#endif
