#!/usr/bin/env python3
"""Emit a deterministic stream of random pickles and CPython's repr of them.

    python3 python_fixtures/random_values.py --seed S --count N > stream.bin
    python3 python_fixtures/random_values.py --seed S --count N --per-stream K > streams.bin

Each of the N records written to stdout is

    u32 little-endian length | pickle bytes |
    u32 little-endian length | UTF-8 of repr(pickle.loads(pickle bytes))

The pickled value is a random nested plain-data value (None, bool, int,
float, complex, str, bytes, bytearray, list, tuple, dict, set, frozenset,
shared references), dumped at a random protocol 0..5.  The output depends
only on S and N (the script re-executes itself with PYTHONHASHSEED=0, so set
iteration order is reproducible).

Every set/frozenset that ends up in a value keeps its iteration order across
a pickle round trip, so the repr order of a loaded set equals the order its
elements appear in the pickle.  Works with CPython 3.8+ (stdlib only).
"""

import argparse
import io
import os
import pickle
import random
import struct
import sys

if os.environ.get("PYTHONHASHSEED") != "0":
    env = dict(os.environ)
    env["PYTHONHASHSEED"] = "0"
    os.execve(sys.executable,
              [sys.executable, os.path.abspath(__file__)] + sys.argv[1:], env)

MAX_DEPTH = 6

SPECIAL_FLOATS = [
    0.0, -0.0, 1.0, -1.0, 0.5, 0.1, 1e16, 1e15, 1e22, 1e-7, 1e-5, 1e-4,
    5e-324, 2.2250738585072014e-308, 2.225073858507201e-308,
    1.7976931348623157e308, float("inf"), float("-inf"), float("nan"),
    123456789012345678.0, 9007199254740993.0, 1 / 3, 2.5, -2.5,
]

INT_EDGES = [
    0, 1, -1, 127, 128, 255, 256, -128, -129, -256, 65535, 65536,
    2**31 - 1, 2**31, -2**31, -2**31 - 1, 2**32 - 1, 2**32,
    2**63 - 1, 2**63, -2**63, -2**63 - 1, 2**64 - 1, 2**64, -(2**64),
]

# Printable-ish ASCII that stresses repr quoting and escaping.
TRICKY = "'\"\\\t\n\r\x00\x7f "


def height(v):
    """Nesting depth below v (0 for a scalar)."""
    if isinstance(v, dict):
        return 1 + max([max(height(k), height(x)) for k, x in v.items()],
                       default=0)
    if isinstance(v, (list, tuple, set, frozenset)):
        return 1 + max([height(x) for x in v], default=0)
    return 0


class Gen:
    def __init__(self, rng, protocol):
        self.r = rng
        self.protocol = protocol
        self.pool = []          # finished lists/dicts/tuples for sharing

    # -- scalars ------------------------------------------------------------
    def int_(self):
        r = self.r
        k = r.random()
        if k < 0.25:
            return r.randint(-5, 300)
        if k < 0.5:
            return r.choice(INT_EDGES) + r.choice((0, 0, 1, -1))
        bits = r.choice((8, 16, 31, 32, 63, 64, 65, 100, 200, 300))
        v = r.getrandbits(r.randint(1, bits))
        return -v if r.random() < 0.5 else v

    def float_(self, allow_nan=True):
        r = self.r
        k = r.random()
        if k < 0.3:
            v = r.choice(SPECIAL_FLOATS)
        elif k < 0.45:
            # subnormal: exponent field zero, random mantissa
            bits = r.getrandbits(52) | (r.getrandbits(1) << 63)
            v = struct.unpack("<d", struct.pack("<Q", bits))[0]
        elif k < 0.7:
            # any bit pattern (may be nan/inf with payload or sign)
            v = struct.unpack("<d", struct.pack("<Q", r.getrandbits(64)))[0]
        elif k < 0.85:
            v = r.uniform(-1, 1) * 10.0 ** r.randint(-30, 30)
        else:
            v = round(r.uniform(-1000, 1000), r.randint(0, 4))
        if not allow_nan and v != v:
            v = 0.25
        return v

    def complex_(self, allow_nan=True):
        return complex(self.float_(allow_nan), self.float_(allow_nan))

    def char(self):
        r = self.r
        k = r.random()
        if k < 0.45:
            return chr(r.randint(0x20, 0x7e))
        if k < 0.55:
            return r.choice(TRICKY)
        if k < 0.62:
            return chr(r.randint(0, 0x7f))
        if k < 0.75:
            return chr(r.randint(0x80, 0xff))
        if k < 0.9:
            while True:
                c = r.randint(0x100, 0xffff)
                if not 0xd800 <= c <= 0xdfff:
                    return chr(c)
        if k < 0.97:
            return chr(r.randint(0x1f300, 0x1faff))
        return chr(r.randint(0x10000, 0x10ffff))

    def size(self, cap=20):
        r = self.r
        return r.randint(0, r.choice((2, 4, 8, cap)))

    def str_(self):
        n = self.size()
        if self.r.random() < 0.03:
            n = self.r.randint(250, 300)
        return "".join(self.char() for _ in range(n))

    def bytes_(self):
        r = self.r
        n = self.size()
        if r.random() < 0.03:
            n = r.randint(250, 300)
        if r.random() < 0.5:
            return bytes(r.getrandbits(8) for _ in range(n))
        return bytes(ord(self.char()) & 0x7f for _ in range(n))

    def scalar(self):
        r = self.r
        k = r.randrange(12)
        if k == 0:
            return None
        if k == 1:
            return r.random() < 0.5
        if k in (2, 3):
            return self.int_()
        if k in (4, 5):
            return self.float_()
        if k == 6:
            return self.complex_()
        if k in (7, 8):
            return self.str_()
        if k in (9, 10):
            return self.bytes_()
        return bytearray(self.bytes_())

    # -- hashables ----------------------------------------------------------
    def hashable(self, depth, for_dict_key):
        """A hashable value.  for_dict_key=False is used for set elements:
        no nan and no None: their hashes are derived from the object
        address (None: in CPython < 3.12), so set order would vary from
        run to run."""
        r = self.r
        k = r.randrange(10)
        if k == 0:
            if for_dict_key:
                return r.choice((None, True, False))
            return r.choice((True, False))
        if k in (1, 2):
            return self.int_()
        if k == 3:
            return self.float_(for_dict_key)
        if k == 4:
            return self.complex_(for_dict_key)
        if k in (5, 6):
            return self.str_()
        if k == 7:
            return self.bytes_()
        if depth < MAX_DEPTH and k == 8:
            return tuple(self.hashable(depth + 1, for_dict_key)
                         for _ in range(self.size(5)))
        if depth < MAX_DEPTH and k == 9 and r.random() < 0.5:
            return self.set_(depth, frozenset)
        return self.str_()

    def set_(self, depth, kind, big=False):
        """A set/frozenset whose order survives a pickle round trip."""
        r = self.r
        for _ in range(20):
            if big:
                # small ints keep their order through a reload; arbitrary
                # big ints or strs in a 1000+ set almost never do
                n = r.randint(1001, 1100)
                lo = r.randint(-300, 0)
                items = r.sample(range(lo, lo + r.randint(n, 4000)), n)
            else:
                items = [self.hashable(depth + 1, False)
                         for _ in range(self.size())]
            s = kind(items)
            back = pickle.loads(pickle.dumps(s, protocol=self.protocol))
            if list(back) == list(s):
                return s
        return kind(range(3)) if big else kind()

    # -- containers ---------------------------------------------------------
    def value(self, depth=0):
        r = self.r
        if depth >= MAX_DEPTH or r.random() < 0.25 + 0.12 * depth:
            return self.scalar()
        if self.pool and r.random() < 0.08:
            # reuse an object already placed elsewhere in this value (shared
            # reference), provided it fits under the depth limit
            v, h = r.choice(self.pool)
            if depth + h <= MAX_DEPTH:
                return v
        big = r.random() < 0.004
        k = r.randrange(7)
        if k in (0, 1):
            n = r.randint(1001, 1100) if big else self.size()
            if big:
                v = [self.scalar() for _ in range(n)]
            else:
                v = [self.value(depth + 1) for _ in range(n)]
                if v and depth + 2 <= MAX_DEPTH and r.random() < 0.15:
                    # the same list object inserted twice
                    inner = [self.value(depth + 2) for _ in range(self.size(4))]
                    v.insert(r.randint(0, len(v)), inner)
                    v.insert(r.randint(0, len(v)), inner)
        elif k == 2:
            n = r.randint(1001, 1100) if big else self.size()
            if big:
                v = tuple(self.scalar() for _ in range(n))
            else:
                v = tuple(self.value(depth + 1) for _ in range(n))
        elif k in (3, 4):
            n = r.randint(1001, 1100) if big else self.size()
            v = {}
            for _ in range(n * 3):
                key = self.hashable(depth + 1, True)
                v[key] = self.scalar() if big else self.value(depth + 1)
                if len(v) >= n:   # equal keys collapse; top up big dicts
                    break
        elif k == 5:
            return self.set_(depth, set, big)
        else:
            return self.set_(depth, frozenset, big)
        self.pool.append((v, height(v)))
        return v


def shared_memo_streams(rng, count, per, out):
    """--per-stream K: COUNT streams, each of K values dumped by one reused Pickler, whose
    memo they share (a later value refers to objects of earlier ones through it), at a
    random protocol; each written as

        u32 length | stream bytes | u32 K | K x (u32 length | UTF-8 of repr(value))

    with the values as one reused Unpickler loads them from the stream."""
    for _ in range(count):
        protocol = rng.randint(0, 5)
        gen = Gen(rng, protocol)
        f = io.BytesIO()
        pickler = pickle.Pickler(f, protocol)
        for _ in range(per):
            pickler.dump(gen.value())
        data = f.getvalue()
        unpickler = pickle.Unpickler(io.BytesIO(data))
        reprs = [repr(unpickler.load()).encode("utf-8") for _ in range(per)]
        out.write(struct.pack("<I", len(data)))
        out.write(data)
        out.write(struct.pack("<I", per))
        for text in reprs:
            out.write(struct.pack("<I", len(text)))
            out.write(text)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--per-stream", type=int, default=0)
    args = ap.parse_args()

    rng = random.Random(args.seed)
    out = sys.stdout.buffer
    if args.per_stream:
        shared_memo_streams(rng, args.count, args.per_stream, out)
        out.flush()
        return
    for _ in range(args.count):
        protocol = rng.randint(0, 5)
        gen = Gen(rng, protocol)
        value = gen.value()
        data = pickle.dumps(value, protocol=protocol)
        text = repr(pickle.loads(data)).encode("utf-8")
        out.write(struct.pack("<I", len(data)))
        out.write(data)
        out.write(struct.pack("<I", len(text)))
        out.write(text)
    out.flush()


if __name__ == "__main__":
    main()
