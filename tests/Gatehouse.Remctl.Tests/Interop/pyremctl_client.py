"""Drive Debian's python3-pyremctl (run with /usr/bin/python3) for Gatehouse interop tests.

Usage: pyremctl_client.py PORT MODE [ARGS...]; prints one JSON document on stdout.
  command ARGS...  run one command
  repeat N         run `echo I` N times on one connection
  noop             NOOP, a command, NOOP again on one connection
"""
import json
import sys

import remctl


def run(conn, command):
    conn.command([c.encode() for c in command])
    result = {"stdout": "", "stderr": "", "status": None, "error": None}
    while True:
        kind, data, stream, status, error = conn.output()
        if kind == "output":
            result["stdout" if stream == 1 else "stderr"] += data.decode()
        elif kind == "status":
            result["status"] = status
            return result
        elif kind == "error":
            result["error"] = [error, data.decode()]
            return result
        else:
            return result


def main():
    port, mode, args = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
    conn = remctl.Remctl()
    conn.open("localhost", port)
    if mode == "command":
        result = run(conn, args)
    elif mode == "repeat":
        result = [run(conn, ["echo", str(i)]) for i in range(int(args[0]))]
    elif mode == "noop":
        conn.noop()
        result = run(conn, ["echo", "after-noop"])
        conn.noop()
        result["noop"] = True
    else:
        raise SystemExit("unknown mode " + mode)
    conn.close()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
