#!/usr/bin/python3
"""Load generator for stock remctld, run by Gatehouse.Bench as a separate process.

Usage: remctl_load.py PORT PRINCIPAL COMMAND PAYLOAD MAX_COUNT SECONDS RECORD
COMMAND: echo (test echo <payload>), true (test true), stdin (test stdin <payload> as stdin=last).
One kept-alive connection (Debian python3-pyremctl); commands run one after another. Prints one
line: READY {"ops", "bytes", "elapsed", "cpu", "lat_us"} (lat_us only when RECORD is 1).
"""
import json
import sys
import time

import remctl

port, principal, command, payload, max_count, seconds, record = sys.argv[1:8]
payload = b"x" * int(payload)
commands = {
    "echo": [b"test", b"echo", payload],
    "true": [b"test", b"true"],
    "stdin": [b"test", b"stdin", payload],
}
argv = commands[command]

r = remctl.Remctl()
r.open("localhost", int(port), principal)


def call():
    r.command(argv)
    got = 0
    while True:
        kind, data, _stream, status, _error = r.output()
        if kind == "output":
            got += len(data)
        elif kind == "status":
            if status != 0:
                raise SystemExit("remctl status %d" % status)
            return got
        elif kind == "error":
            raise SystemExit("remctl error: %r" % (data,))
        elif kind == "done":
            return got


lat = []
ops = 0
received = 0
limit = int(max_count)
cpu0 = time.process_time()
t0 = time.perf_counter()
stop_at = t0 + float(seconds)
now = t0
while ops < limit and now < stop_at:
    s = time.perf_counter()
    received += call()
    now = time.perf_counter()
    ops += 1
    if record == "1":
        lat.append((now - s) * 1e6)
elapsed = now - t0
cpu = time.process_time() - cpu0
r.close()
print("READY " + json.dumps({"ops": ops, "bytes": received, "elapsed": elapsed, "cpu": cpu, "lat_us": sorted(lat)}), flush=True)
