/*
 * `sbx run`'s flags: lib/commands/args.ts's strict parser with run.ts's
 * table, and run.ts's --help. The two front ends are held to each other by
 * test/cli-native.test.ts (stdout, stderr and exit code of both over a
 * table of argument vectors, bad ones included): change a flag or a word
 * here and there together.
 */
#include "cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "analyzer.h"

/* base/analyzer.h: this process execs or exits soon (ANALYZER_UNTIL_EXEC). */
ANALYZER_UNTIL_EXEC_BEGIN

const char ln_cli_run_help[] =
	"usage: sbx run [options] -- CMD [ARGS...]\n"
	"\n"
	"Runs CMD in a new sandbox: namespaces the host allows, a read-only view of the host\n"
	"with the working directory writable, then Landlock and seccomp from the policy.\n"
	"\n"
	"  --policy P          preset name, policy file or inline JSON (default: default)\n"
	"  --ro PATH           bind PATH read-only into the sandbox and allow reading and\n"
	"                      executing it (a toolchain: --ro ~/tools; repeatable)\n"
	"  --rw PATH           bind PATH writable and allow reading and writing it (repeatable)\n"
	"  --exec PATH         allow executing files beneath PATH (what a build wrote in a\n"
	"                      --rw directory; fs.exec; repeatable)\n"
	"  --net none|host     none: own network namespace with loopback only (default);\n"
	"                      host: the host network (inet and netlink sockets); unix\n"
	"                      sockets reach only the sandbox's own and those of --unix\n"
	"  --unix PATH         the command may connect to this unix socket (docker.sock,\n"
	"                      an ssh-agent...; net.unixPaths; repeatable). Any other\n"
	"                      socket outside the sandbox is refused (EACCES)\n"
	"  --allow-host PATTERN  the command may reach this host through sbx's egress path\n"
	"                      (net.hosts; repeatable): a name, *.example.com, an IP or a\n"
	"                      CIDR range, with :PORT (default 80 and 443) or :* for any.\n"
	"                      Proxy-aware programs get HTTP_PROXY; others' TCP connects go\n"
	"                      through it too; DNS answers allowed names only\n"
	"  --env NAME=VALUE    set a variable in the sandbox (repeatable)\n"
	"  --memory SIZE       memory limit of the whole sandbox (limits.memory: 512M, 2G)\n"
	"  --pids N            at most N processes in the sandbox (limits.pids)\n"
	"  --timeout DURATION  kill the whole sandbox after DURATION (limits.wallTime: 30s,\n"
	"                      500ms, 2m; a bare number is seconds)\n"
	"  --verbose           say which layers the host could not provide, one line each\n"
	"  --quiet             no line on stderr when the host refuses a layer (a user or\n"
	"                      mount namespace...; by default one line says which, why and\n"
	"                      what still holds)\n"
	"  --cow[=MODE]        copy-on-write working directory: the command changes an overlay,\n"
	"                      the changes are listed on stderr afterwards; MODE: discard\n"
	"                      (default), apply (copy them onto the host), keep (leave them in\n"
	"                      a directory, printed)\n"
	"  --report            report denials on stderr, one line each with what would allow\n"
	"                      it: files (read, write, create, remove, execute), system\n"
	"                      calls and connections (sbx: denied ...; allow it with ...)\n"
	"  --explain           print the plan (namespaces, mounts, environment, Landlock,\n"
	"                      seccomp) and the merged policy; run nothing\n"
	"\n"
	"Exit status: the command's own; 125 the sandbox could not be set up; 126 the\n"
	"command cannot be executed; 127 not found; 124 the wall-clock limit (--timeout)\n"
	"killed it; 123 another limit killed it (memory, limits.cpuTime); killed by signal N:\n"
	"sbx dies of the same signal (a shell shows 128+N).\n";

void ln_cli_usage(const char *fmt, ...)
{
	char msg[8192];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	dprintf(2, "sbx: %s\n", msg);
	_exit(LN_CLI_USAGE_EXIT);
}

enum kind { VALUE, REPEATABLE, SWITCH };

struct flag {
	const char *name;
	enum kind kind;
	size_t off;             /* where it goes in struct ln_cli_run */
};

#define AT(field) offsetof(struct ln_cli_run, field)
/* run.ts: values, repeatable, switches (in that order, as parseArgs takes them). */
static const struct flag FLAGS[] = {
	{ "--policy", VALUE, AT(policy) },
	{ "--net", VALUE, AT(net) },
	{ "--memory", VALUE, AT(memory) },
	{ "--pids", VALUE, AT(pids) },
	{ "--timeout", VALUE, AT(timeout) },
	{ "--ro", REPEATABLE, AT(ro) },
	{ "--rw", REPEATABLE, AT(rw) },
	{ "--exec", REPEATABLE, AT(exec) },
	{ "--env", REPEATABLE, AT(env) },
	{ "--unix", REPEATABLE, AT(unix_paths) },
	{ "--allow-host", REPEATABLE, AT(allow_host) },
	{ "--verbose", SWITCH, AT(verbose) },
	{ "--quiet", SWITCH, AT(quiet) },
	{ "--report", SWITCH, AT(report) },
	{ "--explain", SWITCH, AT(explain) },
};

static const struct flag *find(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof(FLAGS) / sizeof(FLAGS[0]); i++)
		if (strlen(FLAGS[i].name) == len && !strncmp(FLAGS[i].name, name, len))
			return &FLAGS[i];
	return NULL;
}

static void list_add(struct ln_cli_list *l, const char *v, int cap)
{
	if (!l->v) {
		l->v = calloc((size_t)cap + 1, sizeof(*l->v));
		if (!l->v) {
			dprintf(2, "sbx: out of memory\n");
			_exit(1);
		}
	}
	l->v[l->n++] = v;
}

void ln_cli_parse_run(int argc, char **argv, struct ln_cli_run *out)
{
	memset(out, 0, sizeof(*out));
	/* Positionals: at most every argument. */
	char **pos = calloc((size_t)argc + 1, sizeof(*pos));
	size_t npos = 0;
	if (!pos) {
		dprintf(2, "sbx: out of memory\n");
		_exit(1);
	}
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--")) {
			for (i++; i < argc; i++)
				pos[npos++] = argv[i];
			break;
		}
		/* "-x", "-" and words are positionals, wherever they stand. */
		if (strncmp(a, "--", 2)) {
			pos[npos++] = argv[i];
			continue;
		}
		const char *eq = strchr(a, '=');
		size_t nlen = eq ? (size_t)(eq - a) : strlen(a);
		const struct flag *f = find(a, nlen);
		if (f && f->kind != SWITCH) {
			const char *v = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
			if (!v)
				ln_cli_usage("run: %.*s needs a value", (int)nlen, a);
			if (f->kind == VALUE) {
				const char **slot = (const char **)((char *)out + f->off);
				if (*slot)
					ln_cli_usage("run: %.*s given twice", (int)nlen, a);
				*slot = v;
			} else {
				list_add((struct ln_cli_list *)((char *)out + f->off), v, argc);
			}
		} else if (f && !eq) {
			*(bool *)((char *)out + f->off) = true;
		} else {
			ln_cli_usage("run: unknown option '%s' (see sbx run --help)", a);
		}
	}
	out->cmd = pos;
	out->ncmd = npos;
	if (!npos && !out->explain)
		ln_cli_usage("run: no command given (sbx run [options] -- CMD [ARGS...])");
}

ANALYZER_UNTIL_EXEC_END
