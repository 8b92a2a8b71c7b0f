/*
 * Class: notify_toctou — a sibling thread rewrites the memory behind a system
 * call's pointer argument while the call waits for a seccomp user-notification
 * supervisor, flipping it between an allowed and a denied value.
 * Source: issue 8 ("sibling-thread changes to a user-notification argument");
 * seccomp_unotify(2), "Design goals; use of SECCOMP_USER_NOTIF_FLAG_CONTINUE":
 * a supervisor that reads the target's memory, decides on it and lets the call
 * continue is racing the target's threads (TOCTOU). Only meaningful when the
 * denials are reported (`"report": true`: errno denials become USER_NOTIF);
 * sbx's supervisors decide on the register values alone, the same inputs the
 * filter saw, and answer with the policy's errno: they never allow because of
 * what memory says.
 * Usage: notify_toctou SECRET PORT [MS=300]   (SECRET: a readable file outside
 * the allowed paths; PORT: a listener on 127.0.0.1 outside the sandbox)
 * How: two races of MS ms each. openat(AT_FDCWD, buf) and read, while a thread
 * flips buf between ./notify-allowed (made here) and SECRET; then connect(s,
 * sa) on a TCP socket while a thread flips sa's port between 1 (nothing
 * listens) and PORT.
 * BLOCKED: no byte of SECRET was read and no connection to PORT was made.
 * ESCAPED: either target was reached.
 * SAFE: reads SECRET, connects to PORT; writes only ./notify-allowed (removed).
 */
#define ESCAPE_CLASS "notify_toctou"
#include "escape.h"
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <time.h>

#define ALLOWED_FILE "notify-allowed"
static const char allowed_text[] = "sbx notify_toctou allowed\n";

static atomic_int stop;
static char pathbuf[4096];
static const char *secret;
static volatile struct sockaddr_in sa;
static uint16_t port_denied;

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Plain byte stores, no locking: the point is to change the memory while the
 * kernel or a supervisor may be looking at it. */
static void *flip_path(void *arg)
{
	(void)arg;
	size_t la = sizeof ALLOWED_FILE, ls = strlen(secret) + 1;
	for (int i = 0; !atomic_load(&stop); i++) {
		if (i & 1)
			memcpy(pathbuf, secret, ls);
		else
			memcpy(pathbuf, ALLOWED_FILE, la);
	}
	return NULL;
}

static void *flip_port(void *arg)
{
	(void)arg;
	for (int i = 0; !atomic_load(&stop); i++) sa.sin_port = htons(i & 1 ? port_denied : 1);
	return NULL;
}

static int first_errno(int *slot, int e)
{
	if (!*slot) *slot = e;
	return e;
}

int main(int argc, char **argv)
{
	if (argc < 3) escape_error("usage: notify_toctou SECRET PORT [MS]");
	secret = argv[1];
	if (strlen(secret) >= sizeof pathbuf) escape_error("SECRET too long");
	port_denied = (uint16_t)escape_arg_long(argv[2], "PORT");
	long ms = argc > 3 ? escape_arg_long(argv[3], "MS") : 300;

	int fd = open(ALLOWED_FILE, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, allowed_text, sizeof allowed_text - 1) != (ssize_t)(sizeof allowed_text - 1))
		escape_error("cannot write ./%s: %s", ALLOWED_FILE, escape_errname(errno));
	close(fd);

	/* Race 1: the path behind openat's pointer. */
	memcpy(pathbuf, ALLOWED_FILE, sizeof ALLOWED_FILE);
	pthread_t t;
	if (pthread_create(&t, NULL, flip_path, NULL)) escape_error("pthread_create failed");
	long opens = 0, allowed_ok = 0, refused = 0;
	int open_err = 0;
	ssize_t secret_n = 0;
	char got[256];
	for (long end = now_ms() + ms; now_ms() < end && !secret_n;) {
		for (int i = 0; i < 32 && !secret_n; i++) {
			opens++;
			int f = openat(AT_FDCWD, pathbuf, O_RDONLY | O_CLOEXEC);
			if (f < 0) {
				refused++;
				first_errno(&open_err, errno);
				continue;
			}
			ssize_t n = read(f, got, sizeof got);
			close(f);
			if (n == (ssize_t)(sizeof allowed_text - 1) && !memcmp(got, allowed_text, (size_t)n))
				allowed_ok++;
			else if (n > 0)
				secret_n = n;
		}
	}
	atomic_store(&stop, 1);
	pthread_join(t, NULL);
	unlink(ALLOWED_FILE);
	if (secret_n)
		escape_escaped("openat() read %zd byte(s) of %s while its path was flipped (%ld opens)", secret_n, secret,
			       opens);

	/* Race 2: the sockaddr behind connect's pointer. */
	char net[256];
	long connects = 0, connected_denied = 0;
	int conn_err = 0;
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0) {
		snprintf(net, sizeof net, "socket(AF_INET) = -1 %s", escape_errname(errno));
	} else {
		close(s);
		sa.sin_family = AF_INET;
		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sa.sin_port = htons(1);
		atomic_store(&stop, 0);
		if (pthread_create(&t, NULL, flip_port, NULL)) escape_error("pthread_create failed");
		for (long end = now_ms() + ms; now_ms() < end && !connected_denied;) {
			s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
			if (s < 0) {
				first_errno(&conn_err, errno);
				break;
			}
			connects++;
			if (connect(s, (const struct sockaddr *)&sa, sizeof sa) == 0) {
				struct sockaddr_in peer;
				socklen_t pl = sizeof peer;
				if (!getpeername(s, (struct sockaddr *)&peer, &pl) && ntohs(peer.sin_port) == port_denied)
					connected_denied++;
			} else {
				/* ECONNREFUSED is port 1 (allowed value, nothing there). */
				if (errno != ECONNREFUSED) first_errno(&conn_err, errno);
			}
			close(s);
		}
		atomic_store(&stop, 1);
		pthread_join(t, NULL);
		if (connected_denied)
			escape_escaped("connect() reached 127.0.0.1:%u while its sockaddr was flipped (%ld connects)",
				       port_denied, connects);
		snprintf(net, sizeof net, "%ld connects, none to :%u (first refusal: %s)", connects, port_denied,
			 conn_err ? escape_errname(conn_err) : "ECONNREFUSED only");
	}
	if (allowed_ok + refused == 0) escape_error("no openat() completed in %ld ms", ms);
	escape_blocked("openat: %ld calls, %ld read the allowed file, %ld refused (first: %s), none read %s; connect: %s",
		       opens, allowed_ok, refused, open_err ? escape_errname(open_err) : "-", secret, net);
}
