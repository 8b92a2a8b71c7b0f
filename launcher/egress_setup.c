/*
 * net.hosts, the launcher's side (egress.h; docs/network.md, "Egress by
 * name"): the egress process is forked before the namespaces, so that it
 * keeps the host's network; once the launcher is in the sandbox's new
 * network namespace it binds the listeners there, on the sandbox's own
 * loopback, and hands them over. Without a network namespace there is no
 * sandbox network to put them in, and nothing would keep a program from the
 * host's: the policy is refused then, in enforce and best-effort mode alike.
 */
#include "egress.h"
#include "launcher.h"

#include "policy.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

int ln_egress_begin(struct ln_ctx *c, const struct sbx_policy *p, struct sbx_error *err)
{
	struct ln_egress *e;
	int sv[2];
	pid_t me = getpid(), pid;

	c->egress = NULL;
	if (!p->net.hosts.set)
		return 0;
	if (!(c->plan->ns_flags & CLONE_NEWNET))
		return sbx_error_set(err, SBX_EVALUE, EINVAL, "/net/hosts",
				     "net.hosts needs the sandbox's own network namespace, and the "
				     "policy turns it off (namespaces.net: false, --net host): drop "
				     "one of the two");
	e = calloc(1, sizeof(*e));
	if (!e)
		return sbx_error_set(err, SBX_ENOMEM, ENOMEM, "/net/hosts", "out of memory");
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv)) {
		free(e);
		return sbx_error_sys(err, errno, "socketpair", "/net/hosts", "%s", strerror(errno));
	}
	pid = fork();
	if (pid < 0) {
		int x = errno;
		close(sv[0]);
		close(sv[1]);
		free(e);
		return sbx_error_sys(err, x, "fork", "/net/hosts", "forking the egress process: %s",
				     strerror(x));
	}
	if (pid == 0) {
		/* The egress process: it ends with the launcher, and keeps
		 * nothing of the caller's but the channel for its reports (the
		 * program's stdio must see its end when the program's go). */
		int chan = ln_notify_reports(p) ? c->chan_fd : -1;
		sigset_t none;
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != me)
			_exit(LN_EXIT_SETUP);
		prctl(PR_SET_DUMPABLE, 0);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		int keep_lo = sv[1] < chan || chan < 0 ? sv[1] : chan;
		int keep_hi = sv[1] < chan || chan < 0 ? chan : sv[1];
		int nul = open("/dev/null", O_RDWR | O_CLOEXEC);
		for (int fd = 0; fd < 3; fd++)
			if (fd != sv[1] && fd != chan && nul >= 0)
				dup2(nul, fd);
		unsigned from = 3;
		if (keep_lo >= 0) {
			if ((unsigned)keep_lo > from)
				syscall(SYS_close_range, from, (unsigned)keep_lo - 1, 0U);
			from = (unsigned)keep_lo + 1;
		}
		if (keep_hi >= 0) {
			if ((unsigned)keep_hi > from)
				syscall(SYS_close_range, from, (unsigned)keep_hi - 1, 0U);
			from = (unsigned)keep_hi + 1;
		}
		syscall(SYS_close_range, from, ~0U, 0U);
		ln_egress_daemon(p, sv[1], chan);
	}
	close(sv[1]);
	e->ctl = sv[0];
	e->pid = pid;
	c->egress = e;
	return 0;
}

/* A TCP listener on the sandbox's 127.0.0.1, port chosen by the kernel. */
static int listen_loopback(uint16_t *port, struct sbx_error *err)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	/* The egress process is woken when a connection's first bytes are
	 * there (the supervisor's header, a proxy request), not at the
	 * handshake and again for them: one hand-over less per connection.
	 * Both kinds of client speak first. */
	int defer = 1;
	if (s >= 0)
		setsockopt(s, IPPROTO_TCP, TCP_DEFER_ACCEPT, &defer, sizeof(defer));
	if (s < 0 || bind(s, (struct sockaddr *)&sa, sizeof(sa)) || listen(s, 512) ||
	    getsockname(s, (struct sockaddr *)&sa, &len)) {
		int x = errno;
		if (s >= 0)
			close(s);
		return sbx_error_sys(err, x, "socket", "/net/hosts",
				     "the egress listener on the sandbox's loopback: %s", strerror(x));
	}
	*port = ntohs(sa.sin_port);
	return s;
}

/* net.connect limits the program's TCP ports (Landlock): the egress ports
 * on its loopback must be among them (launch.c gives them to prepare). */
size_t ln_egress_ports(const struct ln_ctx *c, uint16_t out[2])
{
	if (!c->egress)
		return 0;
	out[0] = c->egress->proxy_port;
	out[1] = c->egress->tcp_port;
	return 2;
}

int ln_egress_listen(struct ln_ctx *c, struct sbx_error *err)
{
	struct ln_egress *e = c->egress;
	int proxy, tcp;

	if (!e)
		return 0;
	if (!(c->ns_done & CLONE_NEWNET))
		return sbx_error_set(err, SBX_EUNSUPPORTED, EPERM, "/net/hosts",
				     "net.hosts needs a network namespace for the sandbox, and this "
				     "host refuses one (no user namespaces here: see `sbx probe`); "
				     "without it the program would share the host's network, so the "
				     "policy is refused (in best-effort mode too). Run as a user that "
				     "may create user namespaces, or use --net host to give the "
				     "whole network");
	if ((proxy = listen_loopback(&e->proxy_port, err)) < 0)
		return -1;
	if ((tcp = listen_loopback(&e->tcp_port, err)) < 0) {
		close(proxy);
		return -1;
	}
	int rc = ln_egress_send_listener(e->ctl, 'P', proxy) ||
		 ln_egress_send_listener(e->ctl, 'T', tcp);
	int x = errno;
	close(proxy);
	close(tcp);
	if (rc)
		return sbx_error_sys(err, x, "sendmsg", "/net/hosts",
				     "handing the listeners to the egress process: %s", strerror(x));
	return ln_egress_dns_listen(e->ctl, err);      /* egress_resolv.c */
}

void ln_egress_forget(struct ln_ctx *c)
{
	if (c->egress && c->egress->ctl >= 0) {
		close(c->egress->ctl);
		c->egress->ctl = -1;
	}
}

char **ln_egress_env(const struct ln_ctx *c, char **envp)
{
	static const char *const names[] = { "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy",
					     "https_proxy", "all_proxy", "NO_PROXY", "no_proxy" };
	const size_t nn = sizeof(names) / sizeof(names[0]);
	size_t n = 0, w = 0;
	char **out;

	if (!c->egress || !envp)
		return envp;
	while (envp[n])
		n++;
	out = calloc(n + nn + 1, sizeof(*out));
	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		bool ours = false;
		for (size_t j = 0; j < nn && !ours; j++) {
			size_t k = strlen(names[j]);
			ours = !strncmp(envp[i], names[j], k) && envp[i][k] == '=';
		}
		if (!ours)
			out[w++] = envp[i];
	}
	for (size_t j = 0; j < nn; j++) {
		char *v = malloc(64);
		if (!v) {
			while (j-- > 0)
				free(out[--w]);
			free(out);
			return NULL;
		}
		if (j >= 6)
			snprintf(v, 64, "%s=localhost,127.0.0.1,::1", names[j]);
		else
			snprintf(v, 64, "%s=http://127.0.0.1:%u", names[j], c->egress->proxy_port);
		out[w++] = v;
	}
	out[w] = NULL;
	return out;
}
