"""A raw remctl protocol version 1 client on python3-gssapi (run with /usr/bin/python3), for Gatehouse tests.

Written from the protocol description (draft-allbery-remctl, legacy version 1): it speaks every byte itself,
so the tests see exactly what a server sends.

Usage: remctl_v1_client.py PORT [--no-mic] (command ARG... | raw HEX)
  command ARG...  send argc, then each argument with its length
  raw HEX         send HEX (hex-encoded) as the command payload, for malformed commands
  --no-mic        send the command as TOKEN_DATA alone (no TOKEN_SEND_MIC): no MIC is expected

Prints one JSON document: context_flags (flags of the server's context tokens), mic ("verified" or null),
reply_flags, status, output (base64), closed_after (the server closed after its reply), or error (and
where) when the server closed or answered something else.
"""
import base64
import json
import socket
import struct
import sys

import gssapi

TOKEN_NOOP, TOKEN_CONTEXT, TOKEN_DATA, TOKEN_MIC = 0x01, 0x02, 0x04, 0x08
TOKEN_CONTEXT_NEXT, TOKEN_SEND_MIC = 0x10, 0x20


class Closed(Exception):
    pass


def send_token(sock, flags, payload):
    sock.sendall(struct.pack(">BI", flags, len(payload)) + payload)


def read_exactly(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise Closed()
        data += chunk
    return data


def read_token(sock):
    flags, length = struct.unpack(">BI", read_exactly(sock, 5))
    if length > 1024 * 1024:
        raise ValueError("token length %d over 1 MiB" % length)
    return flags, read_exactly(sock, length)


def encode_command(args):
    body = struct.pack(">I", len(args))
    for a in args:
        body += struct.pack(">I", len(a)) + a
    return body


def authenticate(sock, result):
    flags = [gssapi.RequirementFlag.mutual_authentication, gssapi.RequirementFlag.confidentiality,
             gssapi.RequirementFlag.integrity, gssapi.RequirementFlag.replay_detection,
             gssapi.RequirementFlag.out_of_sequence_detection]
    name = gssapi.Name("host@localhost", gssapi.NameType.hostbased_service)
    ctx = gssapi.SecurityContext(name=name, usage="initiate", mech=gssapi.MechType.kerberos, flags=flags)
    send_token(sock, TOKEN_NOOP | TOKEN_CONTEXT_NEXT, b"")
    out = ctx.step()
    while True:
        if out:
            send_token(sock, TOKEN_CONTEXT, out)
        if ctx.complete:
            break
        token_flags, token = read_token(sock)
        result["context_flags"].append(token_flags)
        out = ctx.step(token)
    if gssapi.RequirementFlag.mutual_authentication not in ctx.actual_flags:
        raise ValueError("no mutual authentication")
    return ctx


def main():
    argv = sys.argv[1:]
    port = int(argv.pop(0))
    send_mic = True
    if argv and argv[0] == "--no-mic":
        send_mic = False
        argv.pop(0)
    mode, rest = argv[0], argv[1:]
    if mode == "command":
        payload = encode_command([a.encode() for a in rest])
    elif mode == "raw":
        payload = bytes.fromhex(rest[0])
    else:
        raise SystemExit("unknown mode " + mode)

    result = {"context_flags": [], "mic": None}
    sock = socket.create_connection(("127.0.0.1", port), timeout=60)
    stage = "handshake"
    try:
        ctx = authenticate(sock, result)
        stage = "command"
        send_token(sock, TOKEN_DATA | (TOKEN_SEND_MIC if send_mic else 0), ctx.wrap(payload, True).message)
        if send_mic:
            stage = "mic"
            token_flags, mic = read_token(sock)
            if token_flags != TOKEN_MIC:
                raise ValueError("expected TOKEN_MIC, got flags 0x%02x" % token_flags)
            ctx.verify_signature(payload, mic)
            result["mic"] = "verified"
        stage = "reply"
        token_flags, token = read_token(sock)
        result["reply_flags"] = token_flags
        reply = ctx.unwrap(token).message
        status, length = struct.unpack(">iI", reply[:8])
        if length != len(reply) - 8:
            raise ValueError("reply length %d does not match %d bytes" % (length, len(reply) - 8))
        result["status"] = status
        result["output"] = base64.b64encode(reply[8:]).decode()
        stage = "close"
        sock.settimeout(10)
        try:
            result["closed_after"] = sock.recv(1) == b""
        except socket.timeout:
            result["closed_after"] = False
    except Closed:
        result["error"] = "closed during " + stage
    except ConnectionResetError:
        result["error"] = "reset during " + stage
    finally:
        sock.close()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
