#!/usr/bin/env python3
"""numpy as the oracle for tests/numpy.rs: each stdin line is ``<fixture path>\\t<hex pickle>``;
the reply line is ``same`` if numpy loads the hex pickle to the same array as it loads from the
fixture (same dtype up to byte order, shape, memory order and elements), else what differs, or
``ERR ...``. A fixture this numpy cannot load (numpy 2's protocol 5 names under numpy 1) is
replaced by its twin written by the other numpy.
"""

import os
import pickle
import sys

import numpy as np


def semantic(a):
    a = np.asarray(a)
    order = "F" if (a.flags.f_contiguous and not a.flags.c_contiguous) else "C"
    return (a.dtype.str[1:], list(a.shape), order, repr(a.tolist()))


def load_fixture(path):
    try:
        with open(path, "rb") as f:
            return pickle.loads(f.read())
    except ModuleNotFoundError:
        folder, name = os.path.split(path)
        other = "np1" if os.path.basename(folder) == "np2" else "np2"
        with open(os.path.join(os.path.dirname(folder), other, name), "rb") as f:
            return pickle.loads(f.read())


def main():
    for line in sys.stdin:
        line = line.rstrip("\n")
        if not line:
            continue
        path, hexed = line.split("\t")
        try:
            want = semantic(load_fixture(path))
            got = semantic(pickle.loads(bytes.fromhex(hexed)))
            out = "same" if got == want else f"got {got!r} want {want!r}"
        except Exception as e:
            out = f"ERR {type(e).__name__}: {e}".replace("\n", " ")
        print(out, flush=True)


if __name__ == "__main__":
    main()
