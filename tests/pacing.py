#!/usr/bin/env python3
"""Paced clients for the head and idle limits of aud-serve, all at once.
Each scenario is a list of steps (wait seconds, then send bytes); the line
printed is the first status line answered and when it came, in whole
seconds after the scenario's first byte, or "closed" / "nothing".

Usage: pacing.py inetd SCENARIO[,SCENARIO...] CMD...   (CMD serves one connection on 0/1)
       pacing.py PORT SCENARIO...         (a standalone server on 127.0.0.1)
"""
import socket
import subprocess
import sys
import threading
import time

HEAD = b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n"

SCENARIOS = {
    # one byte every 0.5 s: the head limit runs from the first byte
    "drip": [(0.5, HEAD[i:i + 1]) for i in range(len(HEAD))],
    # idle 7 s, then a head in two parts 1.5 s apart: within both limits
    "idle7-split": [(7, HEAD[:10]), (1.5, HEAD[10:])],
    # the head's second part 4.5 s after its first: just within 5 s
    "split4.5": [(0, HEAD[:10]), (4.5, HEAD[10:])],
    # a request 9.5 s after the connection opened: within the idle limit
    "idle9.5": [(9.5, HEAD)],
    # nothing at all: the connection is closed after the idle limit
    "silent": [(12.5, b"")],
}


def report(name, started, data, closed_at):
    if data:
        line = data.split(b"\r\n")[0].decode(errors="replace")
        return "%s: %s after %d s" % (name, line, int(closed_at - started))
    if closed_at is not None:
        return "%s: closed after %d s" % (name, int(closed_at - started))
    return "%s: nothing" % name


def run(name, opened, send, read_line):
    """Sends the scenario's steps while a reader waits for the answer.
    opened is taken before the connection exists, so that the server's idle
    clock never starts before ours and a busy machine cannot make a 10 s
    limit read as 9 s."""
    result = {}

    def reader():
        result["data"] = read_line()
        result["at"] = time.time()

    t = threading.Thread(target=reader)
    t.start()
    first = None
    for wait, chunk in SCENARIOS[name]:
        time.sleep(wait)
        if "at" in result:
            break
        if first is None and chunk:
            first = time.time()
        if chunk and not send(chunk):
            break
    t.join(15)
    data = result.get("data", b"")
    return report(name, first if data else opened, data, result.get("at"))


def over_socket(port, name, out):
    opened = time.time()
    s = socket.create_connection(("127.0.0.1", port))
    s.settimeout(15)

    def send(chunk):
        try:
            s.sendall(chunk)
            return True
        except OSError:
            return False

    def read_line():
        data = b""
        try:
            while b"\r\n" not in data:
                got = s.recv(4096)
                if not got:
                    break
                data += got
        except OSError:
            pass
        return data

    out[name] = run(name, opened, send, read_line)
    s.close()


def over_pipes(cmd, name, out):
    opened = time.time()
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    def send(chunk):
        try:
            p.stdin.write(chunk)
            p.stdin.flush()
            return True
        except OSError:
            return False

    out[name] = run(name, opened, send, p.stdout.readline)
    p.kill()
    p.wait()


out = {}
if sys.argv[1] == "inetd":
    names, cmd = sys.argv[2].split(","), sys.argv[3:]
    threads = [threading.Thread(target=over_pipes, args=(cmd, n, out)) for n in names]
else:
    names = sys.argv[2:]
    threads = [threading.Thread(target=over_socket, args=(int(sys.argv[1]), n, out))
               for n in names]
for t in threads:
    t.start()
for t in threads:
    t.join()
for n in names:
    print(out[n])
