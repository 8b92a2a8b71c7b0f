/*
 * sbx-launcher — the spawn door's first process inside the child.
 *
 * It is started by the Node side with child_process.spawn and receives its
 * policy on an inherited fd. Until the spawn door lands it only answers
 * --version and refuses to run anything (exit 125), so that nothing can run
 * unconfined through it by mistake.
 */
#include "sbx.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "--version") == 0) {
		printf("sbx-launcher %s\n", sbx_version());
		return 0;
	}
	dprintf(2, "sbx-launcher: the spawn door is not available in this build\n");
	return 125;
}
