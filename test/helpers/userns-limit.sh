#!/bin/sh
# userns-limit.sh UID CMD...: run CMD as UID (0: root of the namespace, with
# its capabilities; else that uid, without any) inside a new user namespace
# whose user.max_user_namespaces is 0: a host where user namespaces are
# disabled, as seen from CMD. Run as root: ids 0-65535 are mapped to the
# host's own (util-linux's unshare cannot map a range without newuidmap).
uid=$1; shift
f=$(mktemp -u); mkfifo "$f" || exit 98
# The inner sh is executed once the maps are written: as uid 0 of the
# namespace it then has the namespace's capabilities and may write its sysctl.
unshare --user sh -c 'read x < "$0"; exec sh -c '\''echo 0 > /proc/sys/user/max_user_namespaces || exit 99; uid=$1; shift; if [ "$uid" = 0 ]; then exec "$@"; fi; exec setpriv --reuid "$uid" --regid "$uid" --clear-groups "$@"'\'' sh "$@"' "$f" "$uid" "$@" &
pid=$!
while [ "$(readlink /proc/$pid/ns/user)" = "$(readlink /proc/self/ns/user)" ]; do sleep 0.01; done
echo "0 0 65536" > /proc/$pid/uid_map && echo "0 0 65536" > /proc/$pid/gid_map || { kill $pid; exit 97; }
echo go > "$f"; rm -f "$f"
wait $pid
