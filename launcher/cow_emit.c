/*
 * The copy-on-write walk's output (cow.h): one JSON line per change, and the
 * abort line, on stdout. Below the walk (cow.c) and the apply (cow_apply.c).
 */
#include "cow.h"

#include <stdio.h>
#include <sys/stat.h>

static const char *type_name(mode_t m)
{
	if (S_ISREG(m))
		return "file";
	if (S_ISDIR(m))
		return "dir";
	if (S_ISLNK(m))
		return "symlink";
	return "other";
}

static void put_hex(FILE *f, const char *s)
{
	static const char digits[] = "0123456789abcdef";
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		fputc(digits[ch >> 4], f);
		fputc(digits[ch & 15], f);
	}
}

/* Reasons are our own ASCII text and strerror(); escaped all the same. */
static void put_json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20 || ch >= 0x7f)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

void ln_cow_emit(const char *kind, const char *rel, mode_t type, const struct ln_cow_done *d)
{
	printf("{\"kind\":\"%s\",\"type\":\"%s\",\"hex\":\"", kind, type_name(type));
	put_hex(stdout, rel);
	fputc('"', stdout);
	if (d) {
		fputs(d->applied ? ",\"applied\":true" : ",\"applied\":false", stdout);
		if (!d->applied && d->reason) {
			fputs(",\"reason\":", stdout);
			put_json_str(stdout, d->reason);
		}
		if (d->leftover[0]) {
			fputs(",\"leftover\":\"", stdout);
			put_hex(stdout, d->leftover);
			fputc('"', stdout);
		}
	}
	fputs("}\n", stdout);
}

void ln_cow_emit_abort(const char *rel, const char *reason)
{
	fputs("{\"event\":\"abort\",\"hex\":\"", stdout);
	put_hex(stdout, rel);
	fputs("\",\"reason\":", stdout);
	put_json_str(stdout, reason);
	fputs("}\n", stdout);
}
