/*
 * Class: tiocsti_highbits — TIOCSTI with bit 32 set in the ioctl number.
 * Source: CVE-2019-10063 (flatpak): the kernel truncates the ioctl command to
 * 32 bits, so `TIOCSTI | (1UL << 32)` is TIOCSTI to the kernel but not to a
 * seccomp filter that compares the full 64-bit argument.
 * Usage and verdicts: as tiocsti.
 */
#define ESCAPE_CLASS "tiocsti_highbits"
#include <sys/ioctl.h>
#define TIOCSTI_CMD ((unsigned long)TIOCSTI | (1UL << 32))
#define TIOCSTI_CMD_NAME "TIOCSTI|1<<32"
#include "tiocsti.c"
