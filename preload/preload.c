/*
 * libsbx.so — the preload door.
 *
 *   SBX_POLICY=strict LD_PRELOAD=/path/libsbx.so prog args...
 *
 * The dynamic loader runs the constructor below before the program's main()
 * and before the program can start a thread. It loads the policy named by
 * SBX_POLICY (preset name, file path or inline JSON), prepares it, applies it
 * (rlimits, capabilities, no_new_privs, Landlock, seccomp last) and returns
 * into the program, confined. Any failure is one line on stderr and exit 126:
 * the program never runs unconfined because of an error of ours or the
 * user's. What this door does not cover (a loader that skips the library,
 * static binaries, setuid programs) is in docs/security-model.md.
 */
#include "preload.h"
#include "policy.h"
#include "sbx_apply.h"
#include "sbx_policy.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

/* -DSBX_PRELOAD_TIMING: print the constructor's phase times on stderr
 * (profiling builds only; never in a release build). */
#ifdef SBX_PRELOAD_TIMING
#include <sys/resource.h>
#include <time.h>
static double tnow(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}
static long tfaults(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}
#define TMARK(i) (tf[i] = tfaults(), tm[i] = tnow())
#else
#define TMARK(i) ((void)0)
#endif

static bool env_flag(const char *name)
{
	const char *v = getenv(name);
	return v && *v && strcmp(v, "0") != 0;
}

__attribute__((constructor)) static void sbx_preload_init(void)
{
	struct sbx_error err;
	struct sbx_policy *p = NULL;
	struct sbx_prepared *pp = NULL;
	const char *source;
	bool keep_env, report;
	int rc, report_sock, listener;

#ifdef SBX_PRELOAD_TIMING
	double tm[8] = { 0 };
	long tf[8] = { 0 };
#endif
	TMARK(0);
	sbx_error_clear(&err);

	/* A setuid/setgid/file-capability program: its environment comes from
	 * a less privileged caller, and confining it on that caller's word is
	 * not a decision a preloaded library should take (the loader normally
	 * refuses such preloads anyway). */
	if (getauxval(AT_SECURE))
		sbx_preload_die("refusing to run", "secure-execution (setuid, setgid or "
				"file-capability) program; libsbx.so does not confine such "
				"programs, use `sbx run` (the spawn door)", "AT_SECURE");

	source = getenv("SBX_POLICY");
	if (!source || !*source)
		sbx_preload_die("SBX_POLICY is not set",
				"libsbx.so is in LD_PRELOAD but no policy was given: set "
				"SBX_POLICY to a preset name (e.g. strict), a policy file path "
				"or inline JSON, or remove libsbx.so from LD_PRELOAD", NULL);

	/* Credentials, no_new_privs and Landlock are per thread: a thread that
	 * another preloaded library's constructor started would stay
	 * unconfined. Before main() there is normally exactly one. */
	rc = sbx_preload_thread_count();
	if (rc < 0)
		sbx_preload_die("checking threads",
				"cannot read /proc/self/task to verify that the process is "
				"single-threaded (is /proc mounted?)", "SBX_POLICY");
	if (rc != 1) {
		char why[240];
		/* The loader runs the constructors of LD_PRELOAD entries from the
		 * last to the first: the last entry is the one that runs before
		 * any other library's constructor can start a thread. */
		snprintf(why, sizeof(why), "the process already has %d threads before main() "
			 "(another preloaded library started them): put libsbx.so last in "
			 "LD_PRELOAD, its constructor then runs first", rc);
		sbx_preload_die("checking threads", why, "LD_PRELOAD");
	}

	/* Paths are checked once, when sbx_prepare() opens them for Landlock
	 * (same error, same pointer): checking at load too would stat every
	 * path twice on every process start. */
	struct sbx_policy_load_opts opts = { .flags = SBX_POLICY_NO_PATH_CHECK };
	TMARK(1);
	rc = sbx_policy_load(source, &opts, &p, &err);
	TMARK(2);
	if (rc < 0)
		sbx_preload_die_err("loading policy", &err, "SBX_POLICY");

	/* SBX_REPORT=1 asks for what `"report": true` asks for: a door
	 * option, the loaded policy stays as loaded. No TSYNC: there is one
	 * thread (checked above), and TSYNC with a listener would need
	 * TSYNC_ESRCH for nothing. */
	report = p->report == 1 || env_flag("SBX_REPORT");
	rc = sbx_prepare(p, SBX_DOOR_PRELOAD,
			 report ? SBX_PREPARE_LISTENER | SBX_PREPARE_REPORT : 0, &pp, &err);
	if (rc < 0)
		sbx_preload_die_err("preparing policy", &err, "SBX_POLICY");
	sbx_preload_check_own_files(pp, p);
	TMARK(3);
	report_sock = sbx_preload_report_start(pp);

	/* Read before the policy is freed; scrub before applying, so nothing
	 * the program can see of the environment depends on the filter. */
	keep_env = p->keep_preload_env == 1;
	if (!keep_env)
		sbx_preload_scrub_env();

	TMARK(4);
	rc = sbx_prepared_apply(pp, &err);
	TMARK(5);
	if (rc < 0)
		sbx_preload_die_err("applying policy", &err, "SBX_POLICY");

	listener = sbx_prepared_listener_fd(pp);
	if (report_sock >= 0 && listener >= 0)
		sbx_preload_report_handoff(report_sock, listener);
	else if (report_sock >= 0 || listener >= 0)
		/* A listener without reporter (or the reverse) cannot happen
		 * with the flags above; never leave either fd in the program. */
		sbx_preload_die("report", "the seccomp listener and the reporter do not "
				"match", "/report");

	sbx_prepared_free(pp);
	sbx_policy_free(p);
#ifdef SBX_PRELOAD_TIMING
	TMARK(6);
	{
		char b[300];
		int n = snprintf(b, sizeof(b), "sbx-timing: pre %.0f load %.0f prepare %.0f env %.0f apply %.0f free %.0f total %.0f"
				 " | faults before %ld pre %ld load %ld prepare %ld env %ld apply %ld free %ld\n",
				 tm[1] - tm[0], tm[2] - tm[1], tm[3] - tm[2], tm[4] - tm[3], tm[5] - tm[4], tm[6] - tm[5], tm[6] - tm[0],
				 tf[0], tf[1] - tf[0], tf[2] - tf[1], tf[3] - tf[2], tf[4] - tf[3], tf[5] - tf[4], tf[6] - tf[5]);
		if (write(2, b, (size_t)n) < 0)
			return;
	}
#endif
}
