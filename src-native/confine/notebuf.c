/* Fixed-capacity notes (plan.h): no heap, so the apply engine can run inside
 * a host program and leave nothing behind. */
#include "plan.h"

#include <stdarg.h>
#include <stdio.h>

void sbx_notebuf_add(struct sbx_notebuf *nb, const char *fmt, ...)
{
	va_list ap;

	if (!nb)
		return;
	if (nb->count >= SBX_NOTEBUF_MAX) {
		nb->lost++;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(nb->text[nb->count], SBX_NOTE_LEN, fmt, ap);
	va_end(ap);
	nb->count++;
}
