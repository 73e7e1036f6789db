"""Interop helper for the serializer tests: load pickles written by pypickle, answer with what
CPython made of them.

Protocol on stdin/stdout, all integers u32 little-endian:
  request:  protocol (1 byte), then length + pickle bytes
  response: status (1 byte: 0 ok, 1 error), length + text, length + bytes
    ok:    text = repr(loaded object), bytes = pickle.dumps(obj, protocol)
    error: text = the exception, bytes = empty
Ends at end of input.
"""
import pickle
import struct
import sys

inp = sys.stdin.buffer
out = sys.stdout.buffer


def read_exact(n):
    b = inp.read(n)
    if len(b) != n:
        raise EOFError
    return b


def send(status, text, data):
    t = text.encode("utf-8", "surrogatepass")
    out.write(bytes([status]) + struct.pack("<I", len(t)) + t + struct.pack("<I", len(data)) + data)
    out.flush()


def main():
    while True:
        try:
            proto = read_exact(1)[0]
        except EOFError:
            return
        (n,) = struct.unpack("<I", read_exact(4))
        data = read_exact(n)
        try:
            obj = pickle.loads(data)
            send(0, repr(obj), pickle.dumps(obj, protocol=proto))
        except Exception as e:  # report, keep serving
            send(1, f"{type(e).__name__}: {e}", b"")


if __name__ == "__main__":
    main()
