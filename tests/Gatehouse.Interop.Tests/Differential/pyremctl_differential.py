"""Run one remctl command with Debian's python3-pyremctl and summarize the reply (differential tests).

Usage: pyremctl_differential.py PORT SPEC.json

SPEC is a JSON list of commands, sent one after the other on one connection. A command is a list
of arguments (command first). Each argument is a string (UTF-8), or {"hex": "..."} for raw bytes,
or {"fill": "ab", "count": N} for N bytes repeating "ab". {"repeat": ARG, "times": N} stands for
N copies of ARG.

Prints one JSON list, one reply per command: for stdout and stderr, the length, SHA-256 and first
200 bytes (as latin-1 text); the exit status; the remctl error as [code, message]. A reply is
everything read up to a status or an error, so a server that answers one command twice shows up
in the reply to the next command.
"""
import hashlib
import json
import sys

import remctl


def expand(arg):
    if isinstance(arg, str):
        return [arg.encode()]
    if "hex" in arg:
        return [bytes.fromhex(arg["hex"])]
    if "fill" in arg:
        pattern = arg["fill"].encode()
        count = arg["count"]
        return [(pattern * (count // max(len(pattern), 1) + 1))[:count]]
    if "repeat" in arg:
        return expand(arg["repeat"]) * arg["times"]
    raise SystemExit("bad argument spec %r" % (arg,))


def summary(data):
    return {"length": len(data), "sha256": hashlib.sha256(data).hexdigest(), "head": data[:200].decode("latin-1")}


def main():
    port = int(sys.argv[1])
    with open(sys.argv[2]) as f:
        spec = json.load(f)
    conn = remctl.Remctl()
    conn.open("localhost", port)
    replies = [run(conn, [b for a in command for b in expand(a)]) for command in spec]
    conn.close()
    print(json.dumps(replies, sort_keys=True))


def run(conn, command):
    conn.command(command)
    out, err = bytearray(), bytearray()
    result = {"status": None, "error": None}
    while True:
        kind, data, stream, status, error = conn.output()
        if kind == "output":
            (out if stream == 1 else err).extend(data)
        elif kind == "status":
            result["status"] = status
            break
        elif kind == "error":
            result["error"] = [error, data.decode("latin-1")]
            break
        else:
            result["done"] = kind
            break
    result["stdout"] = summary(bytes(out))
    result["stderr"] = summary(bytes(err))
    return result


if __name__ == "__main__":
    main()
