"""A small Python service for examples/python_service.rs: length-prefixed pickles over TCP.

Framing, both ways: each message is a 4-byte big-endian unsigned length N, then N bytes holding
exactly one pickle. A request is a dict with an "op" key; each gets one reply:

    {"op": "stats", "values": [numbers]}      -> {"ok": True, "result": {"count", "mean", "min", "max"}}
    {"op": "group", "items": [{"team", "name"}]} -> {"ok": True, "result": {team: [names]}}
    anything else, or a failing request        -> {"ok": False, "error": "ExceptionType: message"}

The service listens on 127.0.0.1 on a port the OS picks, prints "PORT <n>" as its first line of
standard output, serves one connection until the client closes it, and exits. It logs each
request to standard error.

    python3 examples/python_service.py
"""

import io
import pickle
import socket
import statistics
import struct
import sys

MAX_MESSAGE = 16 << 20  # refuse a length prefix over 16 MiB before allocating it


class PlainData(pickle.Unpickler):
    """pickle.loads on bytes from a socket would import and call whatever they name: this
    unpickler refuses every global, so only plain data (dicts, lists, str, numbers...) loads."""

    def find_class(self, module, name):
        raise pickle.UnpicklingError(f"global {module}.{name} refused: plain data only")


def recv_exact(conn, n):
    """n bytes, or None if the peer closed the connection before the first of them."""
    buf = bytearray()
    while len(buf) < n:
        chunk = conn.recv(n - len(buf))
        if not chunk:
            if buf:
                raise ConnectionError("connection closed in the middle of a message")
            return None
        buf += chunk
    return bytes(buf)


def recv_message(conn):
    """One message's pickle bytes, or None at the end of the connection."""
    header = recv_exact(conn, 4)
    if header is None:
        return None
    (length,) = struct.unpack(">I", header)
    if length > MAX_MESSAGE:
        raise ValueError(f"message of {length} bytes is over the limit")
    body = recv_exact(conn, length)
    if body is None:
        raise ConnectionError("connection closed in the middle of a message")
    return body


def send_message(conn, obj):
    body = pickle.dumps(obj, protocol=4)
    conn.sendall(struct.pack(">I", len(body)) + body)


def handle(request):
    if not isinstance(request, dict):
        raise TypeError(f"a request is a dict, not {type(request).__name__}")
    op = request.get("op")
    if op == "stats":
        values = request["values"]
        return {
            "count": len(values),
            "mean": statistics.fmean(values),
            "min": min(values),
            "max": max(values),
        }
    if op == "group":
        groups = {}
        for item in request["items"]:
            groups.setdefault(item["team"], []).append(item["name"])
        return groups
    raise ValueError(f"unknown op {op!r}")


def main():
    with socket.create_server(("127.0.0.1", 0)) as server:
        print(f"PORT {server.getsockname()[1]}", flush=True)
        conn, _ = server.accept()
        with conn:
            while (body := recv_message(conn)) is not None:
                request = None
                try:
                    request = PlainData(io.BytesIO(body)).load()
                    reply = {"ok": True, "result": handle(request)}
                except Exception as e:  # a bad request gets an error reply, not a dead service
                    reply = {"ok": False, "error": f"{type(e).__name__}: {e}"}
                print(f"service: {request!r} -> {reply!r}", file=sys.stderr, flush=True)
                send_message(conn, reply)


if __name__ == "__main__":
    main()
