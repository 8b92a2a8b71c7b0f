/* The growable list of notes that resolving and importing leave behind. */
#include "seccomp.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

/* A note that cannot be stored (out of memory) is dropped: notes explain a
 * result, they never decide it, so losing one must not fail the compile. */
void sbx_notes_add(struct sbx_notes *n, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	int rc;

	if (!n)
		return;
	if (n->count == n->cap) {
		size_t ncap = n->cap ? n->cap * 2 : 8;
		char **items = realloc(n->items, ncap * sizeof(*items));

		if (!items)
			return;
		n->items = items;
		n->cap = ncap;
	}
	va_start(ap, fmt);
	rc = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (rc < 0)
		return;
	n->items[n->count++] = s;
}

void sbx_notes_free(struct sbx_notes *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->count; i++)
		free(n->items[i]);
	free(n->items);
	n->items = NULL;
	n->count = n->cap = 0;
}
