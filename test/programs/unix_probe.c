/*
 * unix_probe — the servers and the attacks of test/unix-sockets.test.ts
 * (net.unixPaths, `sbx run --unix`). libc only; knows nothing about sbx.
 *
 * Server (outside the sandbox):
 *   unix_probe serve TAG SPEC...   SPEC: stream:PATH | dgram:PATH | seqpacket:PATH | abstract:NAME
 *     binds every socket (pathname ones mode 0666), prints "READY", then: a
 *     stream/seqpacket connection gets "TAG:<spec>\n" and is closed; each
 *     datagram is printed as "GOT TAG:<spec> <payload>". Runs until killed.
 *
 * Client (inside the sandbox): one line on stdout, then exit
 *   OK <what>                 0   the operation reached its target
 *   DENIED <call> <ERRNO>     3   the operation failed (the errno's name)
 *   ERROR <why>               2   the probe itself could not run
 *   RACE ...                  0   the counts of a race (the test judges them)
 *
 *   stream PATH               connect(SOCK_STREAM) and read the server's tag
 *   seqpacket PATH            the same with SOCK_SEQPACKET
 *   abstract NAME             connect to an abstract socket, read the tag
 *   dgram-connect PATH MSG    SOCK_DGRAM: connect(), then send()
 *   dgram-sendto PATH MSG     SOCK_DGRAM, no connect: sendto() with the address
 *   dgram-sendmsg PATH MSG    the same through sendmsg() (msg_name)
 *   dgram-sendmmsg PATH MSG   the same through sendmmsg()
 *   dgram-pair-sendto PATH MSG a socketpair(SOCK_DGRAM) end, sendto() with the address
 *   symlink PATH              a symlink ./probe-link -> PATH, connect through it
 *   magic PATH                open(PATH, O_PATH), connect to /proc/self/fd/N
 *   procroot PATH             connect to /proc/self/root/PATH
 *   relative PATH             chdir(dirname), connect to the basename
 *   own DIR                   a server of our own in DIR (stream and dgram), a
 *                             child connects and sends; socketpair() too
 *   race-link ALLOWED DENIED MS  a thread flips ./race-link between two
 *                             symlinks (rename over it) while we connect
 *                             through it and read the tag
 *   race-mem ALLOWED DENIED MS   a thread flips the sockaddr's sun_path in
 *                             memory between the two while we connect with it
 *   race-fd DENIED PORT MS    a thread dup2()s a unix socket and a TCP socket
 *                             in turn onto one fd number while we connect it
 *                             with an address flipping between DENIED and
 *                             127.0.0.1:PORT
 *   inet PORT                 TCP connect to 127.0.0.1:PORT (a neighbour: the
 *                             supervisor performs non-unix connects too)
 *   udp PORT MSG              sendto()/sendmsg() of UDP datagrams to 127.0.0.1:PORT
 *   stream-intr PATH GATE MS  a blocking connect() to PATH (whose backlog is full)
 *                             interrupted by SIGALRM after MS; then GATE (a datagram
 *                             socket) is told to let the backlog drain, and the
 *                             socket must still be unconnected: no connect may
 *                             complete after the program was told it failed
 *
 * Server for stream-intr:
 *   unix_probe serve-full PATH GATE   a listener whose backlog is full; a
 *                             datagram on GATE accepts everything pending
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *ename(int e)
{
	const char *n = strerrorname_np(e);
	static char buf[24];
	if (n)
		return n;
	snprintf(buf, sizeof buf, "errno%d", e);
	return buf;
}

static void line(int rc, const char *fmt, ...) __attribute__((noreturn, format(printf, 2, 3)));
static void line(int rc, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n > sizeof buf - 2)
		n = (int)sizeof buf - 2;
	buf[n++] = '\n';
	fflush(stdout);
	(void)!write(1, buf, (size_t)n);
	_exit(rc);
}
#define OK(...) line(0, "OK " __VA_ARGS__)
#define DENIED(call, e) line(3, "DENIED %s %s", call, ename(e))
#define ERROR(...) line(2, "ERROR " __VA_ARGS__)

static socklen_t mkaddr(struct sockaddr_un *sa, const char *path)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path))
		ERROR("path too long: %s", path);
	strcpy(sa->sun_path, path);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1);
}

static socklen_t mkabstract(struct sockaddr_un *sa, const char *name)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(name) + 1 >= sizeof(sa->sun_path))
		ERROR("name too long");
	memcpy(sa->sun_path + 1, name, strlen(name));
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(name));
}

/* Read the server's tag line from a connected socket (2 s at most). */
static int read_tag(int s, char *out, size_t cap)
{
	struct pollfd p = { .fd = s, .events = POLLIN };
	size_t n = 0;
	while (n + 1 < cap) {
		if (poll(&p, 1, 2000) <= 0)
			break;
		ssize_t r = read(s, out + n, cap - 1 - n);
		if (r <= 0)
			break;
		n += (size_t)r;
		if (memchr(out, '\n', n))
			break;
	}
	out[n] = 0;
	char *nl = strchr(out, '\n');
	if (nl)
		*nl = 0;
	return n ? 0 : -1;
}

/* ---- server ------------------------------------------------------------------ */

struct srv {
	int fd, type;
	char spec[300];
};

static int serve(int argc, char **argv)
{
	const char *tag = argv[2];
	struct srv s[16];
	int n = 0;
	signal(SIGPIPE, SIG_IGN);
	for (int i = 3; i < argc && n < 16; i++, n++) {
		char *colon = strchr(argv[i], ':');
		struct sockaddr_un sa;
		socklen_t len;
		if (!colon)
			ERROR("bad spec %s", argv[i]);
		*colon = 0;
		const char *kind = argv[i], *where = colon + 1;
		snprintf(s[n].spec, sizeof s[n].spec, "%s:%s", kind, where);
		s[n].type = !strcmp(kind, "dgram") ? SOCK_DGRAM
			    : !strcmp(kind, "seqpacket") ? SOCK_SEQPACKET : SOCK_STREAM;
		if (!strcmp(kind, "abstract")) {
			len = mkabstract(&sa, where);
		} else {
			unlink(where);
			len = mkaddr(&sa, where);
		}
		s[n].fd = socket(AF_UNIX, s[n].type | SOCK_CLOEXEC, 0);
		if (s[n].fd < 0 || bind(s[n].fd, (struct sockaddr *)&sa, len))
			ERROR("bind %s: %s", s[n].spec, ename(errno));
		if (strcmp(kind, "abstract"))
			chmod(where, 0666);
		if (s[n].type != SOCK_DGRAM && listen(s[n].fd, 64))
			ERROR("listen %s: %s", s[n].spec, ename(errno));
	}
	printf("READY\n");
	fflush(stdout);
	for (;;) {
		struct pollfd p[16];
		for (int i = 0; i < n; i++)
			p[i] = (struct pollfd){ .fd = s[i].fd, .events = POLLIN };
		if (poll(p, (nfds_t)n, -1) < 0)
			continue;
		for (int i = 0; i < n; i++) {
			if (!(p[i].revents & POLLIN))
				continue;
			if (s[i].type == SOCK_DGRAM) {
				char buf[512];
				ssize_t r = recv(s[i].fd, buf, sizeof buf - 1, MSG_DONTWAIT);
				if (r < 0)
					continue;
				buf[r] = 0;
				printf("GOT %s:%s %s\n", tag, s[i].spec, buf);
				fflush(stdout);
				continue;
			}
			int c = accept4(s[i].fd, NULL, NULL, SOCK_CLOEXEC);
			if (c < 0)
				continue;
			char msg[400];
			int m = snprintf(msg, sizeof msg, "%s:%s\n", tag, s[i].spec);
			(void)!write(c, msg, (size_t)m);
			close(c);
		}
	}
}

static int serve_full(const char *path, const char *gate)
{
	struct sockaddr_un sa, ga;
	socklen_t sl = mkaddr(&sa, path), gl = mkaddr(&ga, gate);
	unlink(path);
	unlink(gate);
	int l = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int g = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (l < 0 || g < 0 || bind(l, (struct sockaddr *)&sa, sl) || listen(l, 0) ||
	    bind(g, (struct sockaddr *)&ga, gl))
		ERROR("serve-full: %s", ename(errno));
	chmod(path, 0666);
	chmod(gate, 0666);
	/* One pending connection fills a backlog of 0. */
	int f = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (f < 0 || connect(f, (struct sockaddr *)&sa, sl))
		ERROR("serve-full: filling: %s", ename(errno));
	printf("READY\n");
	fflush(stdout);
	for (;;) {
		char b[16];
		if (recv(g, b, sizeof b, 0) < 0)
			continue;
		int c;
		while ((c = accept4(l, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0)
			close(c);
		printf("GATE opened\n");
		fflush(stdout);
		/* full again for the next client (a connect that was still
		 * waiting may have taken the place already) */
		close(f);
		f = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (f >= 0 && connect(f, (struct sockaddr *)&sa, sl) && errno != EAGAIN)
			ERROR("serve-full: refilling: %s", ename(errno));
	}
}

static void on_alarm(int sig)
{
	(void)sig;
}

static int stream_intr(const char *path, const char *gate, long ms)
{
	struct sockaddr_un sa, ga;
	socklen_t sl = mkaddr(&sa, path), gl = mkaddr(&ga, gate);
	struct sigaction act = { .sa_handler = on_alarm };   /* no SA_RESTART */
	struct itimerval it = { .it_value = { ms / 1000, (ms % 1000) * 1000 } };
	sigaction(SIGALRM, &act, NULL);
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int g = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0 || g < 0)
		DENIED("socket", errno);
	setitimer(ITIMER_REAL, &it, NULL);
	int r = connect(s, (struct sockaddr *)&sa, sl);
	int e = errno;
	if (r == 0)
		ERROR("connect() returned 0 on a full backlog");
	if (e != EINTR)
		DENIED("connect", e);
	usleep(400 * 1000);
	if (sendto(g, "go", 2, 0, (struct sockaddr *)&ga, gl) != 2)
		DENIED("sendto(gate)", errno);
	usleep(400 * 1000);
	struct sockaddr_un peer;
	socklen_t pl = sizeof peer;
	if (getpeername(s, (struct sockaddr *)&peer, &pl) == 0)
		line(1, "ESCAPED connected after connect() said EINTR");
	OK("connect interrupted: EINTR, and not connected after the backlog drained");
}

/* ---- clients ------------------------------------------------------------------- */

static void stream_to(int type, struct sockaddr_un *sa, socklen_t len, const char *what)
{
	char tag[400];
	int s = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
	if (s < 0)
		DENIED("socket", errno);
	if (connect(s, (struct sockaddr *)sa, len))
		DENIED("connect", errno);
	if (read_tag(s, tag, sizeof tag))
		ERROR("connected to %s but no tag came", what);
	OK("connect %s -> %s", what, tag);
}

static int dgram_send(int how, const char *path, const char *msg)
{
	struct sockaddr_un sa;
	socklen_t len = mkaddr(&sa, path);
	int s, sv[2];
	if (how == 4) {
		if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv))
			DENIED("socketpair", errno);
		s = sv[0];
		how = 1;
	} else {
		s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (s < 0)
			DENIED("socket", errno);
	}
	ssize_t r;
	const char *call;
	if (how == 0) {
		call = "connect";
		if (connect(s, (struct sockaddr *)&sa, len))
			DENIED(call, errno);
		call = "send";
		r = send(s, msg, strlen(msg), 0);
	} else if (how == 1) {
		call = "sendto";
		r = sendto(s, msg, strlen(msg), 0, (struct sockaddr *)&sa, len);
	} else if (how == 2) {
		struct iovec iov[2] = { { (void *)msg, 1 }, { (void *)(msg + 1), strlen(msg) - 1 } };
		struct msghdr mh = { .msg_name = &sa, .msg_namelen = len, .msg_iov = iov, .msg_iovlen = 2 };
		call = "sendmsg";
		r = sendmsg(s, &mh, 0);
	} else {
		struct iovec iov = { (void *)msg, strlen(msg) };
		struct mmsghdr mm[2];
		memset(mm, 0, sizeof mm);
		for (int i = 0; i < 2; i++) {
			mm[i].msg_hdr.msg_name = &sa;
			mm[i].msg_hdr.msg_namelen = len;
			mm[i].msg_hdr.msg_iov = &iov;
			mm[i].msg_hdr.msg_iovlen = 1;
		}
		call = "sendmmsg";
		int k = sendmmsg(s, mm, 2, 0);
		if (k < 0)
			DENIED(call, errno);
		if (k != 2 || mm[0].msg_len != strlen(msg) || mm[1].msg_len != strlen(msg))
			ERROR("sendmmsg sent %d, msg_len %u %u", k, mm[0].msg_len, mm[1].msg_len);
		OK("sendmmsg %s: 2 datagrams of %u bytes", path, mm[0].msg_len);
	}
	if (r < 0)
		DENIED(call, errno);
	if ((size_t)r != strlen(msg))
		ERROR("%s sent %zd of %zu bytes", call, r, strlen(msg));
	OK("%s %s: %zd bytes", call, path, r);
}

static int own(const char *dir)
{
	char sp[300], dp[300];
	struct sockaddr_un sa, da;
	snprintf(sp, sizeof sp, "%s/own-%d.stream", dir, getpid());
	snprintf(dp, sizeof dp, "%s/own-%d.dgram", dir, getpid());
	socklen_t sl = mkaddr(&sa, sp), dl = mkaddr(&da, dp);
	int l = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l < 0)
		DENIED("socket", errno);
	if (bind(l, (struct sockaddr *)&sa, sl) || listen(l, 4))
		DENIED("bind", errno);
	int d = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (d < 0)
		DENIED("socket(SOCK_DGRAM)", errno);
	if (bind(d, (struct sockaddr *)&da, dl))
		DENIED("bind(dgram)", errno);
	/* an abstract one of our own too (Landlock's scope: the same domain) */
	struct sockaddr_un aa;
	char an[64];
	snprintf(an, sizeof an, "sbx-own-%d", getpid());
	socklen_t al = mkabstract(&aa, an);
	int ab = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (ab < 0 || bind(ab, (struct sockaddr *)&aa, al) || listen(ab, 4))
		DENIED("bind(abstract)", errno);
	pid_t c = fork();
	if (c == 0) {
		int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (s < 0 || connect(s, (struct sockaddr *)&sa, sl))
			_exit(10);
		if (write(s, "own\n", 4) != 4)
			_exit(11);
		int u = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (u < 0 || sendto(u, "dg", 2, 0, (struct sockaddr *)&da, dl) != 2)
			_exit(12);
		int x = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (x < 0 || connect(x, (struct sockaddr *)&aa, al))
			_exit(13);
		_exit(0);
	}
	int st;
	waitpid(c, &st, 0);
	unlink(sp);
	unlink(dp);
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		line(3, "DENIED own-child exit %d (10 connect, 11 write, 12 sendto, 13 abstract)",
		     WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	int a = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	char buf[16] = { 0 };
	if (a < 0 || read(a, buf, sizeof buf - 1) != 4 || recv(d, buf + 8, 4, MSG_DONTWAIT) != 2)
		ERROR("own server: nothing arrived");
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		DENIED("socketpair", errno);
	if (write(sv[0], "x", 1) != 1 || read(sv[1], buf, 1) != 1)
		ERROR("socketpair: no byte");
	OK("own stream, dgram and abstract servers in %s reached; socketpair works", dir);
}

/* ---- races --------------------------------------------------------------------- */

static atomic_int stop;
static const char *race_a, *race_d;

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void *flip_link(void *arg)
{
	(void)arg;
	for (int i = 0; !atomic_load(&stop); i++) {
		unlink("race-tmp");
		if (symlink(i & 1 ? race_d : race_a, "race-tmp") == 0)
			rename("race-tmp", "race-link");
	}
	return NULL;
}

static struct sockaddr_un race_sa;
static void *flip_mem(void *arg)
{
	(void)arg;
	size_t la = strlen(race_a) + 1, ld = strlen(race_d) + 1;
	for (int i = 0; !atomic_load(&stop); i++) {
		if (i & 1)
			memcpy((char *)race_sa.sun_path, race_d, ld);
		else
			memcpy((char *)race_sa.sun_path, race_a, la);
	}
	return NULL;
}

struct counts {
	long allowed, denied, refused, other, tries;
	int first_refused;
};

static void count_tag(struct counts *c, int s)
{
	char tag[400];
	if (read_tag(s, tag, sizeof tag)) {
		c->other++;
		return;
	}
	if (strstr(tag, race_d))
		c->denied++;
	else if (strstr(tag, race_a))
		c->allowed++;
	else
		c->other++;
}

static int race(int mem, const char *a, const char *d, long ms)
{
	pthread_t t;
	struct counts c = { 0 };
	race_a = a;
	race_d = d;
	if (!mem) {
		unlink("race-link");
		if (symlink(a, "race-link"))
			ERROR("symlink: %s", ename(errno));
	} else {
		if (strlen(a) >= sizeof race_sa.sun_path || strlen(d) >= sizeof race_sa.sun_path)
			ERROR("paths too long");
		race_sa.sun_family = AF_UNIX;
		strcpy(race_sa.sun_path, a);
	}
	if (pthread_create(&t, NULL, mem ? flip_mem : flip_link, NULL))
		ERROR("pthread_create");
	long end = now_ms() + ms;
	while (now_ms() < end) {
		int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (s < 0)
			DENIED("socket", errno);
		c.tries++;
		int r;
		if (mem) {
			r = connect(s, (struct sockaddr *)&race_sa, sizeof race_sa);
		} else {
			struct sockaddr_un sa;
			r = connect(s, (struct sockaddr *)&sa, mkaddr(&sa, "race-link"));
		}
		if (r == 0)
			count_tag(&c, s);
		else if (errno == EACCES || errno == EPERM || errno == ECONNREFUSED)
			c.refused++, c.first_refused = c.first_refused ? c.first_refused : errno;
		else
			c.other++;
		close(s);
	}
	atomic_store(&stop, 1);
	pthread_join(t, NULL);
	if (!mem) {
		unlink("race-link");
		unlink("race-tmp");
	}
	line(0, "RACE tries=%ld allowed=%ld denied=%ld refused=%ld other=%ld refusedErrno=%s",
	     c.tries, c.allowed, c.denied, c.refused, c.other,
	     c.first_refused ? ename(c.first_refused) : "-");
}

static int race_fd_num = 100;
static atomic_int race_fd_unix = -1, race_fd_inet = -1;
static struct sockaddr_storage race_addr;
static struct sockaddr_un race_fd_un;
static struct sockaddr_in race_fd_in;

/* Runs for the whole race: fd 100 and the address flip together between
 * (unix socket, DENIED) and (TCP socket, 127.0.0.1:PORT). */
static void *flip_fd(void *arg)
{
	(void)arg;
	for (int i = 0; !atomic_load(&stop); i++) {
		int fd = i & 1 ? atomic_load(&race_fd_unix) : atomic_load(&race_fd_inet);
		if (fd >= 0)
			dup2(fd, race_fd_num);
		memcpy(&race_addr, i & 1 ? (void *)&race_fd_un : (void *)&race_fd_in,
		       i & 1 ? sizeof race_fd_un : sizeof race_fd_in);
	}
	return NULL;
}

static int race_fd(const char *d, int port, long ms)
{
	pthread_t t;
	long tries = 0, unix_reached = 0, inet_ok = 0, refused = 0, other = 0;
	race_d = d;
	mkaddr(&race_fd_un, d);
	race_fd_in.sin_family = AF_INET;
	race_fd_in.sin_port = htons((uint16_t)port);
	race_fd_in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	memcpy(&race_addr, &race_fd_in, sizeof race_fd_in);
	if (pthread_create(&t, NULL, flip_fd, NULL))
		ERROR("pthread_create");
	long end = now_ms() + ms;
	while (now_ms() < end) {
		int u = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		int i = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (u < 0 || i < 0)
			DENIED("socket", errno);
		atomic_store(&race_fd_unix, u);
		atomic_store(&race_fd_inet, i);
		tries++;
		int r = connect(race_fd_num, (struct sockaddr *)&race_addr, sizeof(struct sockaddr_un));
		int e = errno;
		atomic_store(&race_fd_unix, -1);
		atomic_store(&race_fd_inet, -1);
		struct sockaddr_un peer;
		socklen_t pl = sizeof peer;
		char tag[400];
		/* Which of the two got connected? */
		if (getpeername(u, (struct sockaddr *)&peer, &pl) == 0 && read_tag(u, tag, sizeof tag) == 0)
			unix_reached++;
		else if (r == 0 || e == EINPROGRESS || e == EISCONN)
			inet_ok++;
		else if (e == EACCES || e == EPERM)
			refused++;
		else
			other++;
		close(u);
		close(i);
	}
	atomic_store(&stop, 1);
	pthread_join(t, NULL);
	line(0, "RACE tries=%ld denied=%ld inet=%ld refused=%ld other=%ld", tries, unix_reached,
	     inet_ok, refused, other);
}

static int inet(int port)
{
	struct sockaddr_in in = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		DENIED("socket(AF_INET)", errno);
	if (connect(s, (struct sockaddr *)&in, sizeof in))
		DENIED("connect", errno);
	char buf[64];
	if (read_tag(s, buf, sizeof buf))
		ERROR("tcp: connected, nothing read");
	OK("tcp 127.0.0.1:%d -> %s", port, buf);
}

static int udp(int port, const char *msg)
{
	struct sockaddr_in in = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		DENIED("socket(AF_INET, SOCK_DGRAM)", errno);
	if (sendto(s, msg, strlen(msg), 0, (struct sockaddr *)&in, sizeof in) != (ssize_t)strlen(msg))
		DENIED("sendto", errno);
	struct iovec iov = { (void *)msg, strlen(msg) };
	struct msghdr mh = { .msg_name = &in, .msg_namelen = sizeof in, .msg_iov = &iov, .msg_iovlen = 1 };
	if (sendmsg(s, &mh, 0) != (ssize_t)strlen(msg))
		DENIED("sendmsg", errno);
	OK("udp 127.0.0.1:%d: 2 datagrams", port);
}

int main(int argc, char **argv)
{
	struct sockaddr_un sa;
	char p[300];
	if (argc < 2)
		ERROR("usage: unix_probe CMD ...");
	const char *cmd = argv[1], *a = argc > 2 ? argv[2] : "";
	if (!strcmp(cmd, "serve") && argc > 3)
		return serve(argc, argv);
	if (!strcmp(cmd, "serve-full") && argc > 3)
		return serve_full(a, argv[3]);
	if (!strcmp(cmd, "stream-intr") && argc > 4)
		return stream_intr(a, argv[3], atol(argv[4]));
	if (!strcmp(cmd, "stream") && argc > 2)
		stream_to(SOCK_STREAM, &sa, mkaddr(&sa, a), a);
	if (!strcmp(cmd, "seqpacket") && argc > 2)
		stream_to(SOCK_SEQPACKET, &sa, mkaddr(&sa, a), a);
	if (!strcmp(cmd, "abstract") && argc > 2)
		stream_to(SOCK_STREAM, &sa, mkabstract(&sa, a), a);
	if (!strcmp(cmd, "dgram-connect") && argc > 3)
		return dgram_send(0, a, argv[3]);
	if (!strcmp(cmd, "dgram-sendto") && argc > 3)
		return dgram_send(1, a, argv[3]);
	if (!strcmp(cmd, "dgram-sendmsg") && argc > 3)
		return dgram_send(2, a, argv[3]);
	if (!strcmp(cmd, "dgram-sendmmsg") && argc > 3)
		return dgram_send(3, a, argv[3]);
	if (!strcmp(cmd, "dgram-pair-sendto") && argc > 3)
		return dgram_send(4, a, argv[3]);
	if (!strcmp(cmd, "symlink") && argc > 2) {
		unlink("probe-link");
		if (symlink(a, "probe-link"))
			ERROR("symlink: %s", ename(errno));
		stream_to(SOCK_STREAM, &sa, mkaddr(&sa, "probe-link"), "probe-link");
	}
	if (!strcmp(cmd, "magic") && argc > 2) {
		int fd = open(a, O_PATH | O_CLOEXEC);
		if (fd < 0)
			DENIED("open(O_PATH)", errno);
		snprintf(p, sizeof p, "/proc/self/fd/%d", fd);
		stream_to(SOCK_STREAM, &sa, mkaddr(&sa, p), p);
	}
	if (!strcmp(cmd, "procroot") && argc > 2) {
		snprintf(p, sizeof p, "/proc/self/root%s", a);
		stream_to(SOCK_STREAM, &sa, mkaddr(&sa, p), p);
	}
	if (!strcmp(cmd, "relative") && argc > 2) {
		snprintf(p, sizeof p, "%s", a);
		char *slash = strrchr(p, '/');
		if (!slash)
			ERROR("not a path with a directory");
		*slash = 0;
		if (chdir(p[0] ? p : "/"))
			ERROR("chdir %s: %s", p, ename(errno));
		stream_to(SOCK_STREAM, &sa, mkaddr(&sa, slash + 1), slash + 1);
	}
	if (!strcmp(cmd, "own") && argc > 2)
		return own(a);
	if ((!strcmp(cmd, "race-link") || !strcmp(cmd, "race-mem")) && argc > 4)
		return race(cmd[5] == 'm', a, argv[3], atol(argv[4]));
	if (!strcmp(cmd, "race-fd") && argc > 4)
		return race_fd(a, atoi(argv[3]), atol(argv[4]));
	if (!strcmp(cmd, "inet") && argc > 2)
		return inet(atoi(a));
	if (!strcmp(cmd, "udp") && argc > 3)
		return udp(atoi(a), argv[3]);
	ERROR("unknown command or missing arguments: %s", cmd);
}
