#!/bin/bash
# The network of bench/egress.bench.js: runs a command in a network and mount
# namespace of its own, joined by a veth pair to a second namespace that holds
# 10.78.0.2 with bench/egress_server.py on port 8080. Nothing of the machine's
# network changes and nothing leaves it. Needs root.
#   egress_world.sh OUTDIR -- CMD [ARGS...]
set -eu
out=$1; shift 2
here=$(cd "$(dirname "$0")" && pwd)
exec unshare --net --mount --propagation private -- /bin/bash -c '
  set -eu
  here=$1 out=$2; shift 2
  ip link set lo up
  unshare --net -- sleep 100000 &
  world=$!
  trap "kill $world 2>/dev/null || true" EXIT
  for i in $(seq 50); do [ "$(readlink /proc/$world/ns/net)" != "$(readlink /proc/self/ns/net)" ] && break; sleep 0.02; done
  ip link add eb0 type veth peer name eb1
  ip link set eb1 netns "$world"
  ip addr add 10.78.0.1/24 dev eb0
  ip link set eb0 up
  nsenter -t "$world" -n sh -c "ip link set lo up; ip addr add 10.78.0.2/24 dev eb1; ip link set eb1 up"
  nsenter -t "$world" -n /usr/bin/python3 "$here/egress_server.py" 10.78.0.2 8080 > "$out/server.out" 2>&1 &
  server=$!
  trap "kill $world $server 2>/dev/null || true" EXIT
  for i in $(seq 250); do grep -q ready "$out/server.out" 2>/dev/null && break; sleep 0.02; done
  "$@"
' world "$here" "$out" "$@"
