"""Golden pickles for the serializer: `pickle.dumps(value, protocol=p)` for p in 0..=5, written
by CPython's C pickler, for plain values whose pickle depends on the value alone.

The Rust test (tests/ser_golden.rs) reads each pickle into a `pypickle::Value`, writes it back
with `pypickle::to_vec_with(.., protocol p)` and requires the same bytes.

Output: python_fixtures/ser_golden/golden.bin (records: u16 name length, name, u8 protocol,
u32 pickle length, pickle; little-endian) and manifest.tsv (name, protocol, length, sha256 prefix,
repr prefix). Run: python3 python_fixtures/ser_golden.py
"""
import hashlib
import os
import pickle
import struct
import sys

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "ser_golden")


def values():
    v = []
    add = lambda name, x: v.append((name, x))
    add("none", None)
    add("true", True)
    add("false", False)
    # Integers at every opcode boundary.
    for n in [0, 1, 255, 256, 65535, 65536, -1, -255, -256, 2**31 - 1, -2**31, 2**31, -2**31 - 1,
              2**32, 2**63 - 1, -2**63, 2**63, -2**63 - 1, 2**64 - 1, 2**64, 2**127 - 1, -2**127,
              2**128, -(2**128), 127, 128, -128, -129, 2**15, -2**15, -(2**15) - 1, 2**2039,
              -(2**2039), 2**2040, -(2**2040) - 1, 3**1000, -(7**900)]:
        add(f"int {n if abs(n) < 2**130 else hex(n)[:20]}", n)
    for f in [0.0, -0.0, 1.0, -1.5, 0.1, 1e16, 1e-5, 1e-4, 123456789.125, 1e300, -2.5e-310,
              float("inf"), float("-inf"), float("nan"), 5e-324, 1.7976931348623157e308,
              1234567890123456.0, 12345678901234567.0, 0.30000000000000004]:
        add(f"float {f!r}", f)
    for s in ["", "a", "hello", "a\\b", "new\nline", "cr\rlf", "nul\x00", "sub\x1a", "tab\t",
              "quote'\"", "é", "ÿ\x80", "€", "😀", "\u0100", "\uffff", "mixed é€😀 \\ \n",
              "x" * 255, "y" * 256, "w" * 65536, "é" * 200,
              "é" * 128]:
        add(f"str len {len(s)} {s[:12]!r}", s)
    for b in [b"", b"a", b"\x00\xff", bytes(range(256)), b"x" * 255, b"y" * 256, b"\x80" * 300,
              b"z" * 65536]:
        add(f"bytes len {len(b)} {b[:8]!r}", b)
    for b in [bytearray(), bytearray(b"ab"), bytearray(range(256)), bytearray(b"k" * 65536)]:
        add(f"bytearray len {len(b)}", b)
    add("complex", 1 + 2j)
    add("complex neg zero", complex(-0.0, -0.0))
    add("complex nan", complex(float("nan"), float("inf")))
    add("empty list", [])
    add("empty tuple", ())
    add("empty dict", {})
    add("list 1", [1])
    add("list 2", [1, 2])
    add("tuple 1", (1,))
    add("tuple 2", (1, 2))
    add("tuple 3", (1, 2, 3))
    add("tuple 4", (1, 2, 3, 4))
    add("dict 1", {1: 2})
    for n in [999, 1000, 1001, 2000, 2500]:
        add(f"list {n}", list(range(n)))
        add(f"dict {n}", {i: -i for i in range(n)})
        add(f"tuple {n}", tuple(range(n)))
    add("list of floats 9000", [i / 7 for i in range(9000)])
    add("nested", [1, (2.5, "a", None), {"k": [True, False, b"b"]}, [[[]]], ((),)])
    add("deep", [[[[[[[[[[1]]]]]]]]]])
    add("dict str keys", {"alpha": 1, "beta": [2, 3], "gamma": {"delta": (4,)}})
    add("records", [{"id": i, "name": f"n{i}", "score": i * 0.5, "tags": [f"t{i}"]}
                    for i in range(300)])
    add("dict tuple keys", {(1, 2): "a", (3, "x"): "b", None: 1, 2.5: 2, b"k": 3,
                            frozenset([1]): 4})
    add("set empty", set())
    add("set 1", {1})
    add("set ints", set(range(5)))
    add("set 1000", set(range(1000)))
    add("set 2500", set(range(2500)))
    add("frozenset empty", frozenset())
    add("frozenset ints", frozenset(range(5)))
    add("frozenset 1200", frozenset(range(1200)))
    add("sets in list", [set(), {1}, frozenset(), frozenset({2})])
    add("bytes in list", [b"a", b"b", b"", b""])
    add("bytearrays in list", [bytearray(b"a"), bytearray(b"b"), bytearray()])
    add("complex in list", [1j, 2j])
    add("big mixed", [list(range(2000)), "s" * 65536, {i: str(i) for i in range(200)},
                      b"b" * 65536, [1.5] * 3000])
    add("many strings", [f"string number {i}" for i in range(2000)])
    add("memo past 256", [[i] for i in range(600)])
    add("ellipsis", ...)
    add("globals", [int, set, frozenset, bytes, complex, str])
    return v


def main():
    os.makedirs(OUT, exist_ok=True)
    data = bytearray()
    manifest = ["# name\tprotocol\tlength\tsha256[:16]\trepr[:60]"]
    for name, value in values():
        for proto in range(6):
            p = pickle.dumps(value, protocol=proto)
            nb = name.encode()
            data += struct.pack("<H", len(nb)) + nb + struct.pack("<BI", proto, len(p)) + p
            manifest.append(f"{name}\t{proto}\t{len(p)}\t{hashlib.sha256(p).hexdigest()[:16]}\t"
                            f"{repr(value)[:60]}")
    with open(os.path.join(OUT, "golden.bin"), "wb") as f:
        f.write(data)
    with open(os.path.join(OUT, "manifest.tsv"), "w", encoding="utf-8") as f:
        f.write(f"# CPython {sys.version.split()[0]}\n")
        f.write("\n".join(manifest) + "\n")
    print(f"{len(manifest) - 1} pickles, {len(data)} bytes", file=sys.stderr)


if __name__ == "__main__":
    main()
