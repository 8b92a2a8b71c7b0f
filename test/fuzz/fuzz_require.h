/* What every libFuzzer target here shares: the entry point's declaration and
 * REQUIRE, an invariant that aborts (libFuzzer then keeps the input). */
#ifndef SBX_FUZZ_REQUIRE_H
#define SBX_FUZZ_REQUIRE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REQUIRE(c)                                                          \
	do {                                                                \
		if (!(c)) {                                                 \
			fprintf(stderr, "invariant failed: %s (%s:%d)\n", #c, \
				__FILE__, __LINE__);                        \
			abort();                                            \
		}                                                           \
	} while (0)

#endif
