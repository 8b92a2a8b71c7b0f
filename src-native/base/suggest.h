/*
 * "Did you mean ...?" for closed sets of words (JSON keys, action and
 * operator names, capability names): the nearest choice by edit distance.
 */
#ifndef SBX_SUGGEST_H
#define SBX_SUGGEST_H

#include <stddef.h>

/* Longest word compared; longer inputs get no suggestion. */
#define SBX_SUGGEST_MAX_LEN 48
/* Farthest suggestion offered. */
#define SBX_SUGGEST_MAX_DIST 3

/* Nearest of choices[0..n) to word (ASCII case ignored, ties: first), or NULL
 * when none is within SBX_SUGGEST_MAX_DIST or word is too long. */
const char *sbx_suggest(const char *word, const char *const *choices, size_t n);

#endif
