/* Process tree with a pid namespace: the launcher relays to the init, the
 * init reaps and relays to the program. Signals are blocked and taken with
 * sigwaitinfo (no handlers, no races with SIGCHLD). The init's exit code
 * cannot carry "killed by signal N" (pid 1 cannot kill itself with it), so
 * it writes the program's raw wait status on a socket to the launcher. */
#include "launcher.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const int forwarded[] = {
	SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGWINCH, SIGCONT, SIGALRM, SIGPIPE,
	SIGTSTP, SIGTTIN, SIGTTOU, SIGVTALRM, SIGPROF, SIGXCPU, SIGXFSZ, SIGPWR, SIGURG, SIGIO,
};

void ln_forward_sigset(sigset_t *set)
{
	sigemptyset(set);
	for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
		sigaddset(set, forwarded[i]);
	sigaddset(set, SIGCHLD);
}

void (*ln_exit_hook)(void);

void ln_exit_like(int status)
{
	if (ln_exit_hook)
		ln_exit_hook();
	if (WIFEXITED(status))
		_exit(WEXITSTATUS(status));
	if (WIFSIGNALED(status)) {
		int sig = WTERMSIG(status);
		/* The same signal, so that the caller's ChildProcess sees it; no
		 * core dump of the launcher in its place. */
		struct rlimit no_core = { 0, 0 };
		setrlimit(RLIMIT_CORE, &no_core);
		signal(sig, SIG_DFL);
		sigset_t s;
		sigemptyset(&s);
		sigaddset(&s, sig);
		sigprocmask(SIG_UNBLOCK, &s, NULL);
		kill(getpid(), sig);
		_exit(128 + sig);
	}
	_exit(LN_EXIT_SETUP);
}

void ln_relay(pid_t init, int status_fd, int report_fd)
{
	sigset_t set;
	ln_forward_sigset(&set);
	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(&set, &si);
		if (sig < 0)
			continue;
		if (sig != SIGCHLD) {
			kill(init, sig);
			continue;
		}
		int st;
		pid_t r = waitpid(init, &st, WNOHANG);
		if (r != init)
			continue;
		int prog = 0;
		ssize_t n = read(status_fd, &prog, sizeof(prog));
		/* No status: the init died before the program ended (killed
		 * from outside): end like the init did. */
		int end = n == (ssize_t)sizeof(prog) ? prog : st;
		/* The pid namespace is empty now: the server can tell Node while
		 * this process still tears the namespaces down on its way out. */
		if (report_fd >= 0)
			(void)!send(report_fd, &end, sizeof(end), MSG_NOSIGNAL);
		ln_exit_like(end);
	}
}

/* The supervisor's counts of unshown denials, before the namespace (and it)
 * goes: bounded, since the init must not outlive the program for long. */
#define LN_SUPERVISOR_END_MS 2000

static void supervisor_end(const struct ln_supervisor *sup, const sigset_t *set)
{
	if (!sup || sup->pid <= 0)
		return;
	close(sup->end_fd);
	for (int waited = 0; waited < LN_SUPERVISOR_END_MS; waited += 50) {
		if (waitpid(sup->pid, NULL, WNOHANG) != 0)
			return;
		struct timespec ts = { 0, 50 * 1000 * 1000 };
		siginfo_t si;
		sigtimedwait(set, &si, &ts);
	}
}

/* Nothing but this init is left in its pid namespace: every process of a
 * pid namespace descends from its init (orphans are reparented to it), so
 * no child means no one else. Reaps what has exited. */
static bool init_alone(void)
{
	pid_t r;
	int st;
	while ((r = waitpid(-1, &st, WNOHANG)) > 0)
		;
	return r < 0 && errno == ECHILD;
}

void ln_init_loop(pid_t program, int status_fd, const struct ln_supervisor *sup, int report_fd)
{
	sigset_t set;
	ln_forward_sigset(&set);
	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(&set, &si);
		if (sig < 0)
			continue;
		if (sig != SIGCHLD) {
			kill(program, sig);
			continue;
		}
		int st;
		pid_t r;
		while ((r = waitpid(-1, &st, WNOHANG)) > 0) {
			if (r != program)
				continue;
			/* When pid 1 exits, the kernel kills the rest of the
			 * namespace: nothing the program left behind survives. */
			ssize_t w = write(status_fd, &st, sizeof(st));
			(void)w;
			supervisor_end(sup, &set);
			/* The program left nothing behind: the server may tell
			 * Node now, not after this init's exit and the relay's
			 * wake-up (the relay's own report then finds the socket
			 * read and closed). With leftovers, the relay reports
			 * once the kernel has killed them. */
			if (report_fd >= 0 && init_alone())
				(void)!send(report_fd, &st, sizeof(st), MSG_NOSIGNAL);
			_exit(0);
		}
	}
}
