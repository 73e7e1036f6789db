#!/usr/bin/env python3
"""Write the joblib fixtures: values holding numpy arrays, saved by ``joblib.dump`` in each of
its layouts, and the same values as plain pickles to compare with.

    DIR/bin/python python_fixtures/joblib_files.py [OUT]  # needs numpy and joblib

Writes into OUT (default python_fixtures/joblib/), for each case NAME:

- ``NAME.joblib``: ``joblib.dump(value, path)``, uncompressed (arrays aligned to 16 bytes);
- ``NAME.zlib.joblib``: ``compress=3`` (zlib);
- ``NAME.gzip.joblib``: ``compress=('gzip', 3)``;
- ``NAME.unaligned.joblib``: dumped to a file object without ``tell()``, which joblib writes
  without alignment padding (as joblib before 1.2 always did);
- ``NAME.p2.joblib``: ``protocol=2`` (no frames);
- ``NAME.p5.pkl``: ``pickle.dumps(value, protocol=5)``, what numpy itself writes: reading a
  joblib file must give the same value as reading this.

And for the scanner, never loaded: ``hostile_after_array`` (an ``os.system`` call after an
array), ``spelled_in_data`` (an array whose bytes spell a call of ``os.system``: data to
``joblib.load``, but opcodes that ``pickle.load`` runs in the unaligned layout),
``computed_in_data`` (the same, the call's module and name computed as it runs) and
``hostile_in_object_field`` (the call in an object field's nested pickle), uncompressed, zlib
and unaligned; and ``hostile_hidden_in_object_field.joblib`` (see its function). Also
``memmap_subclass.joblib`` (see its function).

tests/joblib.rs reads them without Python. A first line of ``versions.txt`` records the
versions that wrote them.
"""

import io
import os
import pickle
import pickletools
import platform
import sys

import joblib
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "joblib")


def cases():
    yield "float64_vector", np.array([1.5, 2.5])
    yield "int32_matrix", np.arange(12, dtype="<i4").reshape(3, 4)
    yield "fortran_float64", np.asfortranarray(np.arange(6.0).reshape(2, 3))
    yield "big_endian_int64", np.arange(5, dtype=">i8")
    yield "empty", np.zeros((0, 3))
    yield "zero_d", np.array(3.25)
    yield "bool", np.array([True, False, True])
    yield "uint8", np.arange(250, 256, dtype=np.uint8)
    yield "float32", np.array([0.5, -1.25, np.inf], dtype=np.float32)
    yield "complex128", np.array([1 + 2j, -3.5j])
    yield "unicode", np.array(["a", "bcd", "\u00e9t\u00e9"])
    yield "bytes", np.array([b"ab", b"c"])
    yield "datetime64", np.array(["2024-01-02T03:04:05.006"], dtype="datetime64[ms]")
    yield "structured", np.array([(1, 2.5), (3, -4.0)], dtype=[("x", "<i4"), ("y", "<f8")])
    yield "objects", np.array([1, "two", None, 4.5], dtype=object)
    # Objects in a field: joblib pickles the array (numpy's hasobject), as for an object array.
    yield "structured_objects", np.array([(1, "x"), (2, None)], dtype=[("a", "<i4"), ("b", "O")])
    # A field holding a small array (a sub-array dtype) beside a nested structure.
    yield "subarray_fields", np.array(
        [((1.0, 2.0), (1, 2, 3)), ((3.0, 4.0), (4, 5, 6))],
        dtype=[("p", [("x", "<f4"), ("y", "<f4")]), ("n", "<i2", (3,))],
    )
    shared = np.arange(4, dtype=np.int16)
    yield "mixed", {
        "weights": np.linspace(0.0, 1.0, 7).reshape(7, 1),
        "bias": 0.5,
        "names": ["a", "b"],
        "twice": [shared, shared],
        "labels": np.array(["x", "y"], dtype=object),
    }


def same(a, b):
    """Equal values; arrays by shape, kind and elements (joblib loads a big-endian array in
    native byte order)."""
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, np.ndarray):
        if a.dtype.names and not a.dtype.hasobject:
            # tolist() of sub-array fields holds arrays, which do not compare as one bool.
            return a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()
        return a.shape == b.shape and a.dtype.kind == b.dtype.kind and a.tolist() == b.tolist()
    return a == b


class NoTell(io.RawIOBase):
    """A writable file object without tell(): joblib then writes no alignment padding."""

    def __init__(self):
        self.buf = bytearray()

    def writable(self):
        return True

    def write(self, b):
        self.buf += bytes(b)
        return len(b)

    def tell(self):
        raise io.UnsupportedOperation("tell")

    def seekable(self):
        return False


class Evil:
    """Pickles as a call of os.system (only dumped here, never loaded)."""

    def __reduce__(self):
        return (os.system, ("echo pwned",))


def hostile():
    """Files for the scanner: a dangerous global after an array, and an array whose bytes
    spell one (which is data, not opcodes). Never loaded."""
    yield "hostile_after_array", {"x": np.arange(3), "evil": Evil()}
    spelled = np.frombuffer(b"cos\nsystem\n(S'echo pwned'\ntR.", dtype=np.uint8).copy()
    yield "spelled_in_data", {"x": spelled}
    # The same call with its module and name computed when the pickle runs (`str('os')`),
    # which a scanner cannot name.
    computed = b"\x8c\x08builtins\x8c\x03str\x93\x8c\x02os\x85R\x8c\x06system\x93\x8c\necho pwned\x85R."
    yield "computed_in_data", {"x": np.frombuffer(computed, dtype=np.uint8).copy()}
    # An os.system call inside the pickle joblib writes for an array with an object field.
    yield "hostile_in_object_field", {"s": np.array([(1, Evil())], dtype=[("a", "<i4"), ("b", "O")])}


def hidden_in_object_field(path):
    """hostile_hidden_in_object_field.joblib: a file joblib.load runs os.system from (the nested
    pickle of an array with an object field), shaped so that a reader taking that pickle for
    padding and raw elements (1 length byte, 128 of padding, 12 bytes an element) ends exactly
    where it does and finds nothing after. Never loaded."""
    a = np.array([(1, "x"), (2, None)], dtype=[("a", "<i4"), ("b", "O")])
    buf = io.BytesIO()
    joblib.dump({"s": a, "after": "tail"}, buf)
    b = buf.getvalue()
    start = b.index(b"\x80\x05", 2)  # the nested pickle, after the outer one's wrapper
    end = start + 1 + max(pos for _, _, pos in pickletools.genops(b[start:]))
    assert isinstance(pickle.loads(b[start:end]), np.ndarray)
    body = b"cos\nsystem\n(S'echo pwned'\ntR0" + b[start + 2 : end]
    # Pad with pushed-and-popped values (2 and 3 bytes) to a whole number of elements.
    pads = (b"N0" * twos + b"K\x000" * threes for twos in range(6) for threes in range(4))
    payload = next(p for p in (b"\x80\x05" + pad + body for pad in pads) if (len(p) - 129) % 12 == 0)
    head = b[:start]
    shape = head.rindex(b"K\x02\x85")
    count = (len(payload) - 129) // 12
    head = head[:shape] + b"K" + bytes([count]) + b"\x85" + head[shape + 3 :]
    with open(path, "wb") as f:
        f.write(head + payload + b[end:])


def memmapped(path):
    """memmap_subclass.joblib: an array joblib loaded with ``mmap_mode='r'`` and dumped again,
    whose wrapper names ``numpy.memmap`` as its ``subclass`` (joblib loads a plain array)."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "src.joblib")
        joblib.dump(np.arange(5.0), src)
        mm = joblib.load(src, mmap_mode="r")
        assert isinstance(mm, np.memmap)
        joblib.dump({"X": mm, "n": 5}, path)
        del mm
    got = joblib.load(path)
    assert type(got["X"]) is np.ndarray and got["X"].tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]


def main():
    os.makedirs(OUT, exist_ok=True)
    memmapped(os.path.join(OUT, "memmap_subclass.joblib"))
    for name, value in hostile():
        joblib.dump(value, os.path.join(OUT, name + ".joblib"))
        joblib.dump(value, os.path.join(OUT, name + ".zlib.joblib"), compress=3)
        raw = NoTell()
        joblib.dump(value, raw)
        with open(os.path.join(OUT, name + ".unaligned.joblib"), "wb") as f:
            f.write(raw.buf)
    hidden_in_object_field(os.path.join(OUT, "hostile_hidden_in_object_field.joblib"))
    for name, value in cases():
        base = os.path.join(OUT, name)
        joblib.dump(value, base + ".joblib")
        joblib.dump(value, base + ".zlib.joblib", compress=3)
        joblib.dump(value, base + ".gzip.joblib", compress=("gzip", 3))
        joblib.dump(value, base + ".p2.joblib", protocol=2)
        raw = NoTell()
        joblib.dump(value, raw)
        with open(base + ".unaligned.joblib", "wb") as f:
            f.write(raw.buf)
        with open(base + ".p5.pkl", "wb") as f:
            f.write(pickle.dumps(value, protocol=5))
        # Each file loads back in joblib to the same value (a check of this script).
        for suffix in (".joblib", ".zlib.joblib", ".gzip.joblib", ".p2.joblib", ".unaligned.joblib"):
            got = joblib.load(base + suffix)
            assert same(got, value), (name, suffix, got)
    with open(os.path.join(OUT, "versions.txt"), "w") as f:
        f.write(
            f"python {platform.python_version()} numpy {np.__version__} joblib {joblib.__version__}\n"
        )


if __name__ == "__main__":
    main()
