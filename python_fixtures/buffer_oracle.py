#!/usr/bin/env python3
"""CPython (and numpy, if importable) as the oracle for protocol 5 out-of-band buffers
(tests/buffers.rs). One request per stdin line, one reply line each:

    loads <pickle hex> <buffer hex>,...    -> repr of pickle.loads(data, buffers=...), each
                                              buffer passed as a bytearray (writable), its
                                              line breaks written as \\n
    dumps <expr>                           -> <pickle hex> <buffer count> <buffer hex>,...
                                              from pickle.dumps(eval(expr), 5,
                                              buffer_callback=...)

In expressions, ``PB`` is pickle.PickleBuffer and ``np`` is numpy when it is installed.
"""

import pickle
import sys

try:
    import numpy as np
except ImportError:  # the numpy requests then fail, which the test reports
    np = None


def main():
    for line in sys.stdin:
        parts = line.rstrip("\n").split(" ", 1)
        if len(parts) < 2:
            continue
        mode, rest = parts
        try:
            if mode == "loads":
                data, bufs = (rest.split(" ") + [""])[:2]
                buffers = [bytearray.fromhex(b) for b in bufs.split(",") if b]
                # One line: numpy's repr of a 2-d array has several.
                out = repr(pickle.loads(bytes.fromhex(data), buffers=buffers))
                out = out.replace("\n", "\\n")
            else:
                got = []
                data = pickle.dumps(
                    eval(rest, {"PB": pickle.PickleBuffer, "np": np}),
                    protocol=5,
                    buffer_callback=got.append,
                )
                hexes = ",".join(bytes(b.raw()).hex() for b in got)
                out = f"{data.hex()} {len(got)} {hexes}"
        except Exception as e:
            out = f"ERR {type(e).__name__}: {e}".replace("\n", " ")
        print(out, flush=True)


if __name__ == "__main__":
    main()
