/*
 * `sbx` without Node: the native front end of `sbx run` (issue 22). The
 * package's `sbx` command is this binary (dist/sbx, a link to the launcher
 * that scripts/link-bin.js makes), or `sbx-launcher --cli ARGS` from the
 * shell fallback. `sbx run` is parsed here with exactly the flags,
 * messages and exit codes of lib/commands/run.ts (test/cli-native.test.ts
 * runs both front ends over a table of argument vectors) and launched in
 * this process (launch.c); every other subcommand, and the `run` flags whose
 * work lives in TypeScript (--cow, --report, --explain), go to Node
 * (dist/cli.js) unchanged.
 *
 *   cli_main.c    dispatch, --help, the hand-over to Node, the launch
 *   cli_args.c    the flags: lib/commands/args.ts's parser, run.ts's table
 *   cli_policy.c  runPolicy() of lib/commands/run.ts: the flags as policy text
 *   cli_json.c    a small editable JSON value written as JSON.stringify does
 */
#ifndef SBX_LAUNCHER_CLI_H
#define SBX_LAUNCHER_CLI_H

#include <stdbool.h>
#include <stddef.h>

/* main.c: is this invocation the `sbx` command? (argv[0] named `sbx`, or
 * `sbx-launcher --cli ...`). */
bool ln_cli_wanted(int argc, char **argv);
/* The `sbx` command: returns only on error (the exit code). */
int ln_cli_main(int argc, char **argv);

/* ---- cli_args.c ---- */
#define LN_CLI_USAGE_EXIT 2
/* One usage error, in run.ts's words (UsageError: "sbx: <msg>", exit 2). */
__attribute__((noreturn, format(printf, 1, 2))) void ln_cli_usage(const char *fmt, ...);

struct ln_cli_list {
	const char **v;
	size_t n;
};
/* `sbx run`'s flags as parsed (NULL / n == 0: not given). */
struct ln_cli_run {
	const char *policy, *net, *memory, *pids, *timeout;
	struct ln_cli_list ro, rw, exec, env, unix_paths, allow_host;
	bool verbose, quiet, report, explain;
	char **cmd;             /* the command and its arguments (NULL-terminated) */
	size_t ncmd;
};
/* Parse `args` (after `run`) as lib/commands/args.ts does with run.ts's
 * table; usage errors exit 2. --cow is not handled here (Node's). */
void ln_cli_parse_run(int argc, char **argv, struct ln_cli_run *out);
/* `sbx run --help`, byte for byte run.ts's. */
extern const char ln_cli_run_help[];

/* ---- cli_policy.c ---- */
/* runPolicy(): the policy text for these flags (malloc'd); usage errors
 * exit 2. Returns NULL when only Node can say what run.ts would do (an
 * inline --policy that JSON.parse reads differently, or whose keys the
 * flags extend are of another type): the caller hands the run to Node. */
char *ln_cli_run_policy(const struct ln_cli_run *f);

/* ---- cli_json.c ---- */
struct ln_cj;
struct sbx_json;
struct ln_cj *ln_cj_from(const struct sbx_json *j);
struct ln_cj *ln_cj_object(void);
struct ln_cj *ln_cj_array(void);
struct ln_cj *ln_cj_string(const char *s);
struct ln_cj *ln_cj_bool(bool b);
/* A number from its decimal text (JSON number syntax, or digits only). */
struct ln_cj *ln_cj_number(const char *text);
enum ln_cj_kind { LN_CJ_NULL, LN_CJ_BOOL, LN_CJ_NUMBER, LN_CJ_STRING, LN_CJ_ARRAY, LN_CJ_OBJECT };
enum ln_cj_kind ln_cj_kind(const struct ln_cj *v);
/* Object member or NULL. */
struct ln_cj *ln_cj_get(const struct ln_cj *obj, const char *key);
/* Set a member: in its place when the key is there, else appended (the
 * order of a JavaScript object with string keys). */
void ln_cj_set(struct ln_cj *obj, const char *key, struct ln_cj *v);
void ln_cj_push(struct ln_cj *arr, struct ln_cj *v);
/* A shallow copy of an object or array (`{ ...o }`, `[...a]`). */
struct ln_cj *ln_cj_copy(const struct ln_cj *v);
/* JSON.stringify(v) (malloc'd). */
char *ln_cj_stringify(const struct ln_cj *v);
/* JSON.stringify(s) for one string (malloc'd). */
char *ln_cj_quote(const char *s);

#endif /* SBX_LAUNCHER_CLI_H */
