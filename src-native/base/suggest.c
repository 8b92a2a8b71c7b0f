/* Nearest-word suggestions for error messages (see suggest.h). */
#include "suggest.h"

#include <ctype.h>
#include <string.h>

/* Levenshtein distance, ASCII case-insensitive; both lengths are at most
 * SBX_SUGGEST_MAX_LEN (the caller checks). */
static size_t distance(const char *a, size_t la, const char *b, size_t lb)
{
	size_t row[SBX_SUGGEST_MAX_LEN + 1];

	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t best = diag + (tolower((unsigned char)a[i - 1]) !=
					      tolower((unsigned char)b[j - 1]));
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

const char *sbx_suggest(const char *word, const char *const *choices, size_t n)
{
	const char *best = NULL;
	size_t best_d = SBX_SUGGEST_MAX_DIST + 1;
	size_t lw;

	if (!word || (lw = strlen(word)) > SBX_SUGGEST_MAX_LEN)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		size_t lc = strlen(choices[i]);
		if (lc > SBX_SUGGEST_MAX_LEN)
			continue;
		size_t d = distance(word, lw, choices[i], lc);
		if (d < best_d) {
			best_d = d;
			best = choices[i];
		}
	}
	return best;
}
