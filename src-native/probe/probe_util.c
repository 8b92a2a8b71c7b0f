/* Helpers shared by the probe sections: errno names, whole-file reads,
 * child bookkeeping. */
#include "probe.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define PROBE_MAX_FILE (4u << 20)

const char *sbx_probe_errname(int errnum)
{
	/* Names instead of strerror(): stable across libcs and locales, and
	 * what people search for. Only errnos the probe can meet. */
	switch (errnum) {
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case ESRCH: return "ESRCH";
	case EINTR: return "EINTR";
	case EIO: return "EIO";
	case E2BIG: return "E2BIG";
	case EBADF: return "EBADF";
	case ECHILD: return "ECHILD";
	case EAGAIN: return "EAGAIN";
	case ENOMEM: return "ENOMEM";
	case EACCES: return "EACCES";
	case EFAULT: return "EFAULT";
	case EBUSY: return "EBUSY";
	case EEXIST: return "EEXIST";
	case ENODEV: return "ENODEV";
	case ENOTDIR: return "ENOTDIR";
	case EISDIR: return "EISDIR";
	case EINVAL: return "EINVAL";
	case ENFILE: return "ENFILE";
	case EMFILE: return "EMFILE";
	case EFBIG: return "EFBIG";
	case ENOSPC: return "ENOSPC";
	case EROFS: return "EROFS";
	case EPIPE: return "EPIPE";
	case ERANGE: return "ERANGE";
	case ENAMETOOLONG: return "ENAMETOOLONG";
	case ENOSYS: return "ENOSYS";
	case ENOTEMPTY: return "ENOTEMPTY";
	case ENOMSG: return "ENOMSG";
	case EUSERS: return "EUSERS";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case EBADFD: return "EBADFD";
	default: return NULL;
	}
}

void sbx_probe_reason_errno(char *buf, size_t size, const char *what,
			    int errnum)
{
	const char *name = sbx_probe_errname(errnum);
	if (name)
		snprintf(buf, size, "%s: %s", what, name);
	else
		snprintf(buf, size, "%s: errno %d", what, errnum);
}

void sbx_probe_reason_status(char *buf, size_t size, const char *what,
			     int status)
{
	if (WIFSIGNALED(status))
		snprintf(buf, size, "%s: probe child killed by signal %d", what,
			 WTERMSIG(status));
	else if (WIFEXITED(status))
		snprintf(buf, size, "%s: probe child exited with status %d",
			 what, WEXITSTATUS(status));
	else
		snprintf(buf, size, "%s: probe child ended abnormally", what);
}

int sbx_probe_read_file(const char *path, char **out, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *buf;
	int fd;

	*out = NULL;
	if (len)
		*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	buf = malloc(cap);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	for (;;) {
		if (cap - n < 2) {
			if (cap >= PROBE_MAX_FILE) {
				free(buf);
				close(fd);
				return -EFBIG;
			}
			char *p = realloc(buf, cap * 2);
			if (!p) {
				free(buf);
				close(fd);
				return -ENOMEM;
			}
			buf = p;
			cap *= 2;
		}
		ssize_t r = read(fd, buf + n, cap - n - 1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			free(buf);
			close(fd);
			return -e;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	buf[n] = '\0';
	*out = buf;
	if (len)
		*len = n;
	return 0;
}

int sbx_probe_read_small(const char *path, char *buf, size_t size)
{
	size_t n = 0;
	int fd;

	if (size == 0)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	while (n < size - 1) {
		ssize_t r = read(fd, buf + n, size - 1 - n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			close(fd);
			return -e;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	buf[n] = '\0';
	if (n && buf[n - 1] == '\n')
		buf[--n] = '\0';
	return (int)n;
}

int sbx_probe_read_long(const char *path, long long *value)
{
	char buf[64], *end;
	int r = sbx_probe_read_small(path, buf, sizeof(buf));
	if (r < 0)
		return r;
	errno = 0;
	long long v = strtoll(buf, &end, 10);
	if (end == buf || *end != '\0' || errno)
		return -EINVAL;
	*value = v;
	return 0;
}

pid_t sbx_probe_fork(void)
{
	sigset_t all, old;

	/* The child runs with every signal blocked: a signal for the process
	 * group (Ctrl-C) would otherwise run the caller's handler in the child
	 * too, and Node's handler would write into the event loop it shares
	 * with the parent. Blocking around fork() keeps the window closed. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pid_t pid = fork();
	if (pid != 0) {
		int e = errno;
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		errno = e;
	}
	return pid;
}

int sbx_probe_wait(pid_t pid, int *status)
{
	for (;;) {
		pid_t r = waitpid(pid, status, 0);
		if (r == pid)
			return 0;
		if (r < 0 && errno == EINTR)
			continue;
		return r < 0 ? -errno : -ECHILD;
	}
}

void sbx_probe_child_write(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len) {
		ssize_t r = write(fd, p, len);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		p += r;
		len -= (size_t)r;
	}
}

ssize_t sbx_probe_read_full(int fd, void *buf, size_t len)
{
	char *p = buf;
	size_t got = 0;
	while (got < len) {
		ssize_t r = read(fd, p + got, len - got);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

size_t sbx_probe_utoa(unsigned long v, char *buf)
{
	char tmp[24];
	size_t n = 0, i = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		buf[i++] = tmp[--n];
	return i;
}
