/*
 * The preset table of the generator itself (gen-presets.c): empty, so that
 * every lookup misses and the generator always takes the normal path. The
 * core links the generated table (build/gen/presets_fast.c) instead.
 */
#include "preset_fast.h"

int sbx_preset_fast_index(const char *name, size_t *max_text)
{
	(void)name;
	*max_text = 0;
	return -1;
}

int sbx_preset_fast_build(int index, struct sbx_fast_builder *b)
{
	(void)index;
	(void)b;
	return -1;
}

int sbx_preset_fast_compiled(int index, struct sbx_compiled **out)
{
	(void)index;
	*out = NULL;
	return -1;
}

int sbx_preset_fast_compiled_rings(int index, struct sbx_compiled **out)
{
	(void)index;
	*out = NULL;
	return -1;
}
