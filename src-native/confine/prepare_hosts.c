/*
 * net.hosts in a prepared sandbox (docs/network.md, "Egress by name").
 *
 *   spawn door   the sandbox keeps its own network namespace; its traffic
 *                leaves only through the launcher's egress process
 *                (launcher/egress_*.c). connect() goes to the socket
 *                supervisor (launcher/unixsup.c) as for net.unixPaths, which
 *                hands TCP connections to outside addresses to the egress
 *                path: so this sets unix_supervise, and the filter is the
 *                one prepare_unix.c builds.
 *   preload,     refused, in enforce and best-effort mode alike: these doors
 *   self door    run in the host's network, where nothing but the kernel
 *                stands between a socket and the world, and skipping the key
 *                would leave the internet sockets it allows open to every host.
 */
#include "policy.h"
#include "prepared.h"

#include <errno.h>

int sbx_prepare_hosts_check(struct sbx_prepared *pp, const struct sbx_policy *p,
			    struct sbx_error *err)
{
	if (!p->net.hosts.set)
		return 0;
	if (pp->door == SBX_DOOR_SPAWN) {
		if (!(pp->flags & SBX_PREPARE_LISTENER))
			return sbx_error_set(err, SBX_EUNSUPPORTED, EOPNOTSUPP, "/net/hosts",
					     "net.hosts needs the spawn door's supervisor: prepare "
					     "with SBX_PREPARE_LISTENER (sbx-launcher does)");
		pp->unix_supervise = true;
		return 0;
	}
	return sbx_error_set(err, SBX_EUNSUPPORTED, EOPNOTSUPP, "/net/hosts",
			     "the %s door cannot limit which hosts a program reaches: it runs in "
			     "the host's network, and a check of each connect() beside the kernel "
			     "cannot see the name a TLS or HTTP connection asks for (nor, in the self "
			     "door, the connects of the io_uring rings Node's libuv holds). net.hosts "
			     "is enforced by the spawn door only: use `sbx run --allow-host` or "
			     "sbx.spawn() for this policy (refused in best-effort mode too: skipping "
			     "it would open every host)",
			     pp->door == SBX_DOOR_SELF ? "self" : "preload");
}
