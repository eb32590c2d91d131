"""A CONNECT proxy for cprof load's tests: writes its port to proxy.port,
logs each request line to proxy.log, tunnels CONNECT host:port, and
answers 403 Forbidden for port 9 and anything but CONNECT."""
import select
import socket
import threading


def serve(c):
    head = b""
    while b"\r\n\r\n" not in head:
        d = c.recv(4096)
        if not d:
            return
        head += d
    line = head.split(b"\r\n")[0].decode()
    with open("proxy.log", "a") as f:
        f.write(line + "\n")
    host, port = line.split()[1].rsplit(":", 1)
    if line.split()[0] != "CONNECT" or port == "9":
        c.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
        c.close()
        return
    u = socket.create_connection((host, int(port)))
    c.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
    while True:
        r, _, _ = select.select([c, u], [], [])
        for a in r:
            d = a.recv(65536)
            if not d:
                c.close()
                u.close()
                return
            (u if a is c else c).sendall(d)


s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0))
s.listen(64)
with open("proxy.port", "w") as f:
    f.write(str(s.getsockname()[1]))
while True:
    threading.Thread(target=serve, args=(s.accept()[0],), daemon=True).start()
