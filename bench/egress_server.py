#!/usr/bin/python3
# The local server of bench/egress.bench.js, run in a network namespace the
# bench makes (never on a real network). HTTP/1.0 on ADDR:PORT:
#   GET /small   a 2-byte body at once (time to first byte)
#   GET /big?N   N bytes (the download), from one 1 MiB buffer
# Writes "ready" on stdout when it listens.
import socket, sys, threading

addr, port = sys.argv[1], int(sys.argv[2])
CHUNK = b'x' * (1 << 20)

def handle(conn):
    try:
        data = b''
        while b'\r\n\r\n' not in data:
            d = conn.recv(4096)
            if not d:
                return
            data += d
        target = data.split(b' ', 2)[1].decode()
        if target.startswith('http://'):
            target = '/' + target.split('/', 3)[3]
        if target.startswith('/big?'):
            n = int(target[5:])
            conn.sendall(b'HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n' % n)
            while n > 0:
                k = min(n, len(CHUNK))
                conn.sendall(CHUNK[:k] if k < len(CHUNK) else CHUNK)
                n -= k
        else:
            conn.sendall(b'HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok')
    finally:
        conn.close()

s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((addr, port))
s.listen(128)
print('ready', flush=True)
while True:
    c, _ = s.accept()
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    threading.Thread(target=handle, args=(c,), daemon=True).start()
