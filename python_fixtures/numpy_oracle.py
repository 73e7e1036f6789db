#!/usr/bin/env python3
"""numpy as the oracle for tests/numpy.rs: each stdin line is ``<fixture path>\\t<hex pickle>``;
the reply line is ``same`` if numpy loads the hex pickle to the same array as it loads from the
fixture (same dtype up to byte order, shape, memory order and elements), else what differs, or
``ERR ...``. A fixture this numpy cannot load (numpy 2's protocol 5 names under numpy 1) is
replaced by its twin written by the other numpy. A pickle of ours this numpy refuses counts as
``same`` only when it refuses numpy's own protocol 2 pickle of the array with the same error
(numpy 1 cannot load the flags numpy 2 writes for an aligned struct).
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


def refused_alike(path, refused):
    """Whether this numpy refuses the fixture's protocol 2 twin (numpy's own ``_reconstruct``
    pickle of the same array, from the same numpy) with the same error as ``refused``."""
    folder, name = os.path.split(path)
    twin = os.path.join(folder, name.rsplit(".", 2)[0] + ".p2.pkl")
    try:
        with open(twin, "rb") as f:
            pickle.loads(f.read())
    except ValueError as e:
        return str(e) == str(refused)
    return False


def main():
    for line in sys.stdin:
        line = line.rstrip("\n")
        if not line:
            continue
        path, hexed = line.split("\t")
        try:
            try:
                got = semantic(pickle.loads(bytes.fromhex(hexed)))
            except ValueError as refused:
                # Refused as numpy's own protocol 2 pickle of the array is (numpy 1 and the
                # flags of an aligned struct as numpy 2 writes them): as loadable as numpy's.
                if refused_alike(path, refused):
                    print("same", flush=True)
                    continue
                raise
            want = semantic(load_fixture(path))
            out = "same" if got == want else f"got {got!r} want {want!r}"
        except Exception as e:
            out = f"ERR {type(e).__name__}: {e}".replace("\n", " ")
        print(out, flush=True)


if __name__ == "__main__":
    main()
