#!/usr/bin/env python3
"""Drives an mfa-mock running under callgrind with a fixed number of requests
and prints the instructions the server executed per request.

Usage: drive.py PORT PID SCENARIO WARMUP COUNT CALLGRIND_OUT_FILE

One keep-alive connection sends the same bytes mfa-load sends (Host,
Authorization, Content-Type and Content-Length), one request at a time, so the
server does the same work on every run. After WARMUP iterations the server's
counters are zeroed; after COUNT more they are dumped and the total is divided
by the requests sent (a `flow` iteration is three requests).
"""

import base64
import glob
import hashlib
import hmac
import json
import os
import socket
import struct
import subprocess
import sys
import time

ENROLL_BODY = b'{"type":"totp","totp_issuer":"Foo Corp","totp_user":"alan.turing@example.com"}'


class Connection:
    def __init__(self, port, api_key):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.host = f"127.0.0.1:{port}"
        self.key = api_key
        self.buffer = b""

    def send(self, method, path, body=b""):
        head = f"{method} {path} HTTP/1.1\r\nhost: {self.host}\r\nauthorization: Bearer {self.key}\r\n"
        if method == "POST":
            head += f"content-type: application/json\r\ncontent-length: {len(body)}\r\n"
        self.sock.sendall(head.encode() + b"\r\n" + body)
        while b"\r\n\r\n" not in self.buffer:
            self.read()
        header, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        lines = header.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ")[1])
        length = 0
        for line in lines[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value.strip())
        while len(self.buffer) < length:
            self.read()
        answer, self.buffer = self.buffer[:length], self.buffer[length:]
        if not 200 <= status < 300:
            sys.exit(f"{method} {path} answered {status}: {answer[:300]!r}")
        return json.loads(answer) if answer else None

    def read(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            sys.exit("the server closed the connection")
        self.buffer += chunk


def totp_now(secret):
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    digest = hmac.new(key, struct.pack(">Q", int(time.time()) // 30), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


def flow(connection):
    enrolled = connection.send("POST", "/auth/factors/enroll", ENROLL_BODY)
    challenge = connection.send("POST", f"/auth/factors/{enrolled['id']}/challenge", b"{}")
    code = totp_now(enrolled["totp"]["secret"])
    verified = connection.send(
        "POST", f"/auth/challenges/{challenge['id']}/verify", json.dumps({"code": code}).encode()
    )
    if not verified["valid"]:
        sys.exit("verify: the code was refused")


def control(pid, flag):
    subprocess.run(["callgrind_control", flag, str(pid)], check=True, stdout=subprocess.DEVNULL)


def main():
    port, pid, scenario, warmup, count, outfile = sys.argv[1:7]
    port, pid, warmup, count = int(port), int(pid), int(warmup), int(count)
    connection = Connection(port, f"sk_test_callgrind_{scenario}")
    if scenario == "get":
        factor = connection.send("POST", "/auth/factors/enroll", ENROLL_BODY)
        path = f"/auth/factors/{factor['id']}"
        iterate, per_iteration = (lambda: connection.send("GET", path)), 1
    elif scenario == "flow":
        iterate, per_iteration = (lambda: flow(connection)), 3
    else:
        sys.exit(f"unknown scenario {scenario}")
    for _ in range(warmup):
        iterate()
    control(pid, "--zero")
    for _ in range(count):
        iterate()
    before = set(glob.glob(outfile + ".*"))
    control(pid, "--dump")
    # Each dump is written beside the final profile as OUTFILE.<n>; its
    # "summary:" line is the instructions every thread ran since the zeroing.
    dumps = sorted(set(glob.glob(outfile + ".*")) - before)
    if len(dumps) != 1:
        sys.exit(f"expected one new dump beside {outfile}, found {dumps}")
    total = None
    with open(dumps[0]) as text:
        for line in text:
            if line.startswith("summary:") or line.startswith("totals:"):
                total = int(line.split()[1])
    if total is None:
        sys.exit(f"no summary line in {dumps[0]}")
    print(f"{total / (count * per_iteration):.0f}")


if __name__ == "__main__":
    main()
