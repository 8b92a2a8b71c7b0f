#!/usr/bin/python3
# Run by bench/egress_net.js inside a sandbox: N new connections to the
# bench's server, one after the other from this one process, each timed from
# connect() to the first byte of the reply (perf_counter). Prints one time in
# ms a line (the first connection, a warm-up, is left out).
#   egress_client.py N direct|proxy
# proxy: through $HTTP_PROXY (an absolute-form request); else straight to
# 10.78.0.2:8080 (with net.hosts, the transparent path).
import os, socket, sys, time

n, kind = int(sys.argv[1]), sys.argv[2]
if kind == 'proxy':
    port = int(os.environ['HTTP_PROXY'].rsplit(':', 1)[1])
    addr, req = ('127.0.0.1', port), b'GET http://10.78.0.2:8080/small HTTP/1.1\r\nHost: 10.78.0.2:8080\r\n\r\n'
else:
    addr, req = ('10.78.0.2', 8080), b'GET /small HTTP/1.1\r\nHost: 10.78.0.2:8080\r\n\r\n'
out = []
for i in range(n + 1):
    t0 = time.perf_counter()
    s = socket.create_connection(addr)
    s.sendall(req)
    first = s.recv(1)
    t1 = time.perf_counter()
    s.close()
    if not first:
        sys.exit('no reply')
    if i:
        out.append('%.4f' % ((t1 - t0) * 1000))
print('\n'.join(out))
