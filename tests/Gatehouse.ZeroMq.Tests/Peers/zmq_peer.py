#!/usr/bin/python3
"""Seed-004 test daemon for Gatehouse.ZeroMq, on a real libzmq socket (Debian's python3-zmq).

Usage: zmq_peer.py --mode rep|router --bind ENDPOINT
Prints the bound endpoint (LAST_ENDPOINT) on one line once it listens, then serves until
stdin closes or it is killed. The first argument of a request (the remctl subcommand) picks
the behaviour:

  echo                 OUTPUT|1|<part> for every request part received, then RETURNCODE|0
  seed                 the example reply of seed 004 (streams 1,2,2,1 then RETURNCODE|23)
  short                O|1|out|O|2|err|R|7
  error N              ERRORCODE|N            short-error N   E|N
  identity             OUTPUT|1|<hex routing id of the REQ socket> (router mode), RETURNCODE|0
  sleep MS TOKEN       after MS milliseconds: OUTPUT|1|TOKEN|RETURNCODE|0 (router mode: concurrent)
  hang                 never answers (router mode only)
  raw P1 P2 ...        replies with exactly the parts P1 P2 ... (malformed replies on the wire)
  big N                OUTPUT|1|<N bytes>|RETURNCODE|0
  chunks K N           K chunks of N bytes on stream 1, RETURNCODE|0
"""
import argparse
import heapq
import sys
import time

import zmq


def parse_request(parts):
    if len(parts) < 4 or parts[0] not in (b"ARGUMENT", b"A"):
        raise ValueError("no ARGUMENT tag")
    n = int(parts[1])
    args = parts[2:2 + n]
    rest = parts[2 + n:]
    if len(args) != n or len(rest) < 2 or rest[0] not in (b"ENVIRONMENT", b"E"):
        raise ValueError("no ENVIRONMENT tag")
    m = int(rest[1])
    env = rest[2:]
    if len(env) != 2 * m:
        raise ValueError("environment count mismatch")
    return args, env


def handle(parts, routing_id):
    """Returns (delay_seconds, reply_parts) or None for no reply."""
    try:
        args, _env = parse_request(parts)
    except ValueError as e:
        return 0, [b"OUTPUT", b"2", str(e).encode(), b"ERRORCODE", b"4"]
    cmd = args[0] if args else b""
    rest = args[1:]
    if cmd == b"echo":
        reply = []
        for p in parts:
            reply += [b"OUTPUT", b"1", p]
        return 0, reply + [b"RETURNCODE", b"0"]
    if cmd == b"seed":
        return 0, [b"OUTPUT", b"1", b"Here is some sample output\n",
                   b"OUTPUT", b"2", b"Error output\n",
                   b"OUTPUT", b"2", b"More err\n",
                   b"OUTPUT", b"1", b"Another line\n",
                   b"RETURNCODE", b"23"]
    if cmd == b"short":
        return 0, [b"O", b"1", b"out", b"O", b"2", b"err", b"R", b"7"]
    if cmd == b"error":
        return 0, [b"ERRORCODE", rest[0]]
    if cmd == b"short-error":
        return 0, [b"E", rest[0]]
    if cmd == b"identity":
        return 0, [b"OUTPUT", b"1", (routing_id or b"").hex().encode(), b"RETURNCODE", b"0"]
    if cmd == b"sleep":
        return int(rest[0]) / 1000.0, [b"OUTPUT", b"1", rest[1], b"RETURNCODE", b"0"]
    if cmd == b"hang":
        return None
    if cmd == b"raw":
        return 0, list(rest)
    if cmd == b"big":
        return 0, [b"OUTPUT", b"1", b"x" * int(rest[0]), b"RETURNCODE", b"0"]
    if cmd == b"chunks":
        reply = []
        for _ in range(int(rest[0])):
            reply += [b"OUTPUT", b"1", b"y" * int(rest[1])]
        return 0, reply + [b"RETURNCODE", b"0"]
    return 0, [b"ERRORCODE", b"5"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", choices=["rep", "router"], required=True)
    ap.add_argument("--bind", required=True)
    opts = ap.parse_args()

    ctx = zmq.Context()
    sock = ctx.socket(zmq.REP if opts.mode == "rep" else zmq.ROUTER)
    sock.setsockopt(zmq.LINGER, 0)
    sock.bind(opts.bind)
    print(sock.getsockopt(zmq.LAST_ENDPOINT).decode(), flush=True)

    poller = zmq.Poller()
    poller.register(sock, zmq.POLLIN)
    poller.register(sys.stdin.fileno(), zmq.POLLIN)  # stdin closing means the test host went away
    pending = []  # heap of (due, seq, frames), router mode
    seq = 0
    while True:
        timeout = None
        if pending:
            timeout = max(0, int((pending[0][0] - time.monotonic()) * 1000))
        events = dict(poller.poll(timeout))
        if sys.stdin.fileno() in events:
            if not sys.stdin.buffer.read1(4096):
                break
        now = time.monotonic()
        while pending and pending[0][0] <= now:
            _, _, frames = heapq.heappop(pending)
            sock.send_multipart(frames)
        if sock in events:
            frames = sock.recv_multipart()
            if opts.mode == "router":
                split = frames.index(b"")
                envelope, parts = frames[:split + 1], frames[split + 1:]
                result = handle(parts, frames[0])
                if result is not None:
                    delay, reply = result
                    seq += 1
                    heapq.heappush(pending, (now + delay, seq, envelope + reply))
            else:
                result = handle(frames, None)
                if result is None:
                    continue  # a REP socket cannot skip a reply; tests use router mode for hang
                delay, reply = result
                if delay:
                    time.sleep(delay)
                sock.send_multipart(reply)
        # flush anything that became due during handling
        now = time.monotonic()
        while pending and pending[0][0] <= now:
            _, _, frames = heapq.heappop(pending)
            sock.send_multipart(frames)
    sock.close(0)
    ctx.term()


if __name__ == "__main__":
    main()
