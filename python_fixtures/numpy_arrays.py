#!/usr/bin/env python3
"""Write the numpy fixtures: arrays, scalars and dtypes pickled by numpy itself.

    python3 python_fixtures/numpy_arrays.py        # needs numpy (1.x or 2.x)

Rewrites python_fixtures/numpy/np<major>/: ``<name>.p<proto>.pkl`` for every case and
protocol 0-5, and ``manifest.tsv`` with, per file: the dtype's ``str`` (``|O`` for object
arrays), the shape, ``F`` or ``C``, and the data (hex of the bytes in that order, or the
``repr`` of the element list for object arrays), of the array pickled. tests/numpy.rs reads them. Run it with
numpy 2 and with numpy 1.26 to refresh both folders.
"""

import os
import pickle
import shutil
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def cases():
    ar = np.arange(6)
    yield "f8_2x3", ar.astype("<f8").reshape(2, 3)
    yield "f4", np.array([1.5, -2.25, 3.0], dtype="<f4")
    yield "f2", np.array([1.0, -0.5, 65504.0], dtype="<f2")
    yield "i8_be", np.array([1, -2, 3], dtype=">i8")
    yield "i4", np.array([7, -8], dtype="<i4")
    yield "i2", np.array([300, -300], dtype="<i2")
    yield "i1", np.array([-1, 2], dtype="i1")
    yield "u8", np.array([2**64 - 1, 0], dtype="<u8")
    yield "u4_be", np.array([1, 2], dtype=">u4")
    yield "u2", np.array([65535], dtype="<u2")
    yield "u1", np.array([0, 255], dtype="u1")
    yield "bool", np.array([True, False, True])
    yield "c8", np.array([1 + 2j], dtype="<c8")
    yield "c16", np.array([1.5 - 2j, 0j], dtype="<c16")
    yield "bytes_s", np.array([b"ab", b"c"], dtype="S3")
    yield "unicode_u", np.array(["hé", "x"], dtype="<U2")
    yield "datetime_ns", np.array(["2026-11-23T12:00"], dtype="<M8[ns]")
    yield "timedelta_10ms", np.array([5, -5], dtype="<m8[10ms]")
    yield "structured", np.array([(1, 2.5), (3, -1.0)], dtype=[("x", "<i4"), ("y", ">f8")])
    yield "subarray_fields", np.array(
        [((1.0, 2.0), (1, 2, 3)), ((3.0, 4.0), (4, 5, 6))],
        dtype=[("p", [("x", "<f4"), ("y", "<f4")]), ("n", "<i2", (3,))],
    )
    yield "aligned_struct", np.array(
        [(1, [(1.5,), (2.5,)], "ab"), (-2, [(3.5,), (-4.0,)], "c")],
        dtype=np.dtype([("a", "<i2"), ("p", [("x", "<f8")], (2,)), ("u", "<U2")], align=True),
    )
    yield "object", np.array(["a", None, 3, (1, 2)], dtype=object)
    yield "structured_object", np.array([(1, "x"), (2, None)], dtype=[("a", "<i4"), ("o", "O")])
    yield "zero_d", np.array(3.5)
    yield "empty", np.zeros((0, 3))
    yield "fortran", np.asfortranarray(ar.astype("<i8").reshape(2, 3))
    yield "strided", ar.astype("<i8").reshape(2, 3)[:, ::2]
    # Transpositions that are neither C- nor F-contiguous: numpy 2 pickles them at protocol 5 as
    # _frombuffer(buffer, dtype, shape, 'K', axis_order).
    yield "transposed_102", np.arange(24, dtype="<f8").reshape(2, 3, 4).transpose(1, 0, 2)
    yield "transposed_201_be", np.arange(24, dtype=">i4").reshape(2, 3, 4).transpose(2, 0, 1)
    yield "transposed_4d", np.arange(120, dtype="<i2").reshape(2, 3, 4, 5).transpose(3, 1, 0, 2)
    yield "transposed_empty", np.zeros((2, 0, 3), dtype="<u1").transpose(1, 0, 2)
    yield "scalar_f8", np.float64(1.25)
    yield "scalar_i4", np.int32(-7)
    yield "scalar_bool", np.bool_(True)


def describe(a):
    a = np.asarray(a)
    order = "F" if (a.flags.f_contiguous and not a.flags.c_contiguous) else "C"
    if a.dtype.hasobject:
        data = repr(a.ravel(order="A").tolist())
    else:
        data = np.ascontiguousarray(a).tobytes(order="C") if order == "C" else a.tobytes(order="F")
        data = data.hex()
    return "\t".join([a.dtype.str, repr(list(a.shape)), order, data])


def main():
    major = np.__version__.split(".")[0]
    out = os.path.join(HERE, "numpy", f"np{major}")
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    lines = []
    for name, obj in cases():
        for proto in range(0, 6):
            fname = f"{name}.p{proto}.pkl"
            data = pickle.dumps(obj, protocol=proto)
            # The manifest describes the array pickled, in its own byte order (numpy may load a
            # big-endian array back as little-endian, with equal values).
            back = pickle.loads(data)
            if not obj.dtype.hasobject:
                assert np.array_equal(np.asarray(back), np.asarray(obj)), name
            with open(os.path.join(out, fname), "wb") as f:
                f.write(data)
            lines.append(f"{fname}\t{describe(obj)}\n")
    with open(os.path.join(out, "manifest.tsv"), "w") as f:
        f.writelines(lines)
    print(f"numpy {np.__version__}: {len(lines)} files in {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
