#!/usr/bin/env python3
"""Hostile clients for tests/faults.bats, all at once against one aud-serve:
slowloris (a head trickled a byte at a time), a client that sends requests
and never reads, 1,000 idle connections, a 1 MiB request line, invalid
percent-encoding, and garbage pipelined after a good request. Runs for
SECONDS, then prints one line per attack with what the server answered.

Usage: faults.py PORT SECONDS
"""
import re
import socket
import sys
import threading
import time

port, seconds = int(sys.argv[1]), float(sys.argv[2])
results = {}


def connect():
    s = socket.create_connection(("127.0.0.1", port))
    s.settimeout(15)
    return s


def first_line(s):
    data = b""
    try:
        while b"\r\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    except OSError as e:
        return "error: %s" % e
    return data.split(b"\r\n")[0].decode(errors="replace")


def slowloris():
    s = connect()
    head = b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 1000
    t = time.time()
    try:
        for b in head:
            s.send(bytes([b]))
            time.sleep(0.01)
            if time.time() - t > seconds:
                break
    except OSError:
        pass  # the server gave up on us: that is the point
    results["slowloris"] = first_line(s)


def never_reads():
    s = connect()
    req = b"GET /recommend/10?n=3 HTTP/1.1\r\n\r\n" * 2000
    sent = 0
    s.setblocking(False)
    end = time.time() + seconds
    while time.time() < end:
        try:
            sent += s.send(req)
        except BlockingIOError:
            time.sleep(0.05)
        except OSError:
            break
    results["never_reads"] = "sent %d KiB, then blocked" % (sent // 1024)


def idle():
    conns = []
    for _ in range(1000):
        try:
            conns.append(socket.create_connection(("127.0.0.1", port)))
        except OSError as e:
            results["idle"] = "connect failed after %d: %s" % (len(conns), e)
            return
    time.sleep(seconds)
    results["idle"] = "%d idle connections held" % len(conns)
    for c in conns:
        c.close()


def huge_line():
    s = connect()
    try:
        s.sendall(b"GET /" + b"a" * (1 << 20) + b" HTTP/1.1\r\n\r\n")
    except OSError:
        pass  # closed on us once the bound was passed
    results["huge_line"] = first_line(s)


def bad_percent():
    s = connect()
    s.sendall(b"GET /recommend/%zz HTTP/1.1\r\n\r\n")
    results["bad_percent"] = first_line(s)


def garbage_after():
    s = connect()
    s.sendall(b"GET /health HTTP/1.1\r\n\r\n\x00\xff garbage \r\n\r\n")
    data = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    except OSError:
        pass
    statuses = [m.decode() for m in re.findall(rb"HTTP/1\.1 [0-9]{3} [^\r]*", data)]
    results["garbage_after"] = ", then ".join(statuses)


attacks = [slowloris, never_reads, idle, huge_line, bad_percent, garbage_after]
threads = [threading.Thread(target=a) for a in attacks]
for t in threads:
    t.start()
for t in threads:
    t.join()
for a in attacks:
    print("%s: %s" % (a.__name__, results.get(a.__name__, "no result")))
