/* The arena that owns a loaded policy: one free for the whole load, and
 * merged layers share strings without copies. */
#include "policy.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sbx_arena_block {
	struct sbx_arena_block *next;
	size_t size, used;
	max_align_t data[];
};

#define BLOCK_MIN 16384u

void *sbx_arena_alloc(struct sbx_arena *a, size_t size)
{
	struct sbx_arena_block *b = a->head;
	size_t need = (size + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
	void *p;

	if (size == 0)
		need = sizeof(max_align_t);
	if (need < size)
		return NULL;
	if (!b || b->size - b->used < need) {
		size_t bsize = need > BLOCK_MIN ? need : BLOCK_MIN;

		if (bsize > SIZE_MAX - sizeof(*b))
			return NULL;
		/* Not calloc: glibc clears a block carved from the top of the
		 * heap even when those pages were never used (it only knows
		 * pages are fresh when this very call grew the heap), and
		 * every page it writes is a page fault. Each allocation is
		 * zeroed instead, so a load touches only the pages it uses. */
		b = malloc(sizeof(*b) + bsize);
		if (!b)
			return NULL;
		b->size = bsize;
		b->used = 0;
		/* A big block goes behind the current one so that the current
		 * one's free space is not abandoned. */
		if (a->head && need > BLOCK_MIN) {
			b->next = a->head->next;
			a->head->next = b;
		} else {
			b->next = a->head;
			a->head = b;
		}
	}
	p = (char *)b->data + b->used;
	b->used += need;
	memset(p, 0, need);
	return p;
}

char *sbx_arena_strndup(struct sbx_arena *a, const char *s, size_t n)
{
	char *p;

	if (n == SIZE_MAX)
		return NULL;
	p = sbx_arena_alloc(a, n + 1);
	if (p)
		memcpy(p, s, n);
	return p;
}

char *sbx_arena_strdup(struct sbx_arena *a, const char *s)
{
	return s ? sbx_arena_strndup(a, s, strlen(s)) : NULL;
}

char *sbx_arena_printf(struct sbx_arena *a, const char *fmt, ...)
{
	va_list ap;
	int n;
	char *p;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	p = sbx_arena_alloc(a, (size_t)n + 1);
	if (!p)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

int sbx_arena_grow(struct sbx_arena *a, void **items, size_t count, size_t *cap,
		   size_t elem_size)
{
	size_t ncap;
	void *n;

	if (count < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 8;
	if (ncap < *cap || ncap > SIZE_MAX / elem_size)
		return -ENOMEM;
	n = sbx_arena_alloc(a, ncap * elem_size);
	if (!n)
		return -ENOMEM;
	if (count)
		memcpy(n, *items, count * elem_size);
	*items = n;
	*cap = ncap;
	return 0;
}

void sbx_arena_free(struct sbx_arena *a)
{
	struct sbx_arena_block *b = a->head;

	while (b) {
		struct sbx_arena_block *next = b->next;

		free(b);
		b = next;
	}
	a->head = NULL;
}
