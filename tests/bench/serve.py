#!/usr/bin/python3
"""Tiny static file server for the benchmark, on 127.0.0.1 only.

Usage:  python3 tests/bench/serve.py --root DIR --port-file FILE [--lifetime S]

Serves the regular files directly under DIR (no subdirectories, no listing)
over HTTP/1.1 with Content-Length and `Connection: close`, the body sent with
sendfile(2) so the server costs the client as little as possible.  `.html`
files go out as `text/html` WITHOUT a charset parameter: the page's own
<meta charset> decides, as it does for xmllint, lxml and the others reading
the file.  A name may be percent-encoded.  Binds a random free port and
writes it to FILE (through FILE.tmp and a rename); stops on SIGTERM/SIGINT or
after --lifetime seconds (default 1800) so a crashed run leaves nothing.
"""

import argparse
import os
import signal
import socket
import sys
import threading
import urllib.parse


def handle(conn, root):
    try:
        conn.settimeout(30 * float(os.environ.get("TIME_SCALE") or 1))   # tests' time limits scale
        req = b""
        while b"\r\n\r\n" not in req and len(req) < 65536:
            chunk = conn.recv(4096)
            if not chunk:
                return
            req += chunk
        line = req.split(b"\r\n", 1)[0].decode("latin-1")
        parts = line.split()
        if len(parts) != 3 or parts[0] not in ("GET", "HEAD"):
            conn.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            return
        name = urllib.parse.unquote(parts[1].split("?", 1)[0].lstrip("/"))
        path = os.path.join(root, name)
        if not name or "/" in name or name.startswith(".") or not os.path.isfile(path):
            body = b"<!DOCTYPE html><title>404</title><p>not found</p>\n"
            conn.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Type: text/html\r\nContent-Length: %d\r\n"
                         b"Connection: close\r\n\r\n%s" % (len(body), body))
            return
        ctype = b"text/html" if name.endswith((".html", ".htm")) else b"application/octet-stream"
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: %s\r\nContent-Length: %d\r\n"
                         b"Connection: close\r\n\r\n" % (ctype, size))
            if parts[0] == "GET":
                conn.sendfile(f)
    except OSError:
        pass
    finally:
        try:
            conn.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        conn.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--lifetime", type=float, default=1800)
    a = ap.parse_args()
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(64)
    tmp = a.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.getsockname()[1])
    os.rename(tmp, a.port_file)
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    signal.signal(signal.SIGINT, lambda *_: os._exit(0))
    threading.Timer(a.lifetime, lambda: os._exit(0)).start()
    root = os.path.abspath(a.root)
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=handle, args=(conn, root), daemon=True).start()


if __name__ == "__main__":
    sys.exit(main())
