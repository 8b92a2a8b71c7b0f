/*
 * libsbx.so — the preload door.
 *
 * The dynamic loader runs this constructor before the program's main(). In
 * this version the library only loads harmlessly; the policy is applied by
 * the preload-door issue's apply engine.
 */
#include "sbx.h"

__attribute__((constructor)) static void sbx_preload_init(void)
{
	/* Intentionally empty for now: loading must have no side effect. */
}
