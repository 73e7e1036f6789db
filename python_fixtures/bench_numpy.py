"""Write the numpy benchmark's inputs and time numpy's own pickle.loads on them.

    PYTHON_WITH_NUMPY python_fixtures/bench_numpy.py DIR [RUNS]

Writes DIR/array100m.p4.pkl and DIR/array100m.p5.pkl (``numpy.arange(12_500_000,
dtype='<f8')``, 100 MB, pickled with ``pickle.dumps`` at protocols 4 and 5, the protocol 5
data in-band as a plain ``pickle.dumps`` writes it) unless they exist, then for each: one
warm-up and the median of RUNS (default 7) timed ``pickle.loads(data)`` calls, the file read
into memory beforehand; then the same of ``pickle.dumps`` of the array at protocol 4, and at
protocol 5 with its data handed out of band (``buffer_callback``, which keeps numpy's
``PickleBuffer``: no copy). Prints one line per case, which benches/numpy.rs parses:

    numpy array100m.p4.pkl loads_ms=41.5 runs=7 bytes=100000163
    numpy dumps.p4 dumps_ms=40.1 runs=7 bytes=100000163
"""

import os
import pickle
import statistics
import sys
import time

import numpy as np

FILES = {4: "array100m.p4.pkl", 5: "array100m.p5.pkl"}


def main():
    out = sys.argv[1]
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 7
    os.makedirs(out, exist_ok=True)
    array = None
    for proto, name in FILES.items():
        path = os.path.join(out, name)
        if not os.path.exists(path):
            if array is None:
                array = np.arange(12_500_000, dtype="<f8")
            with open(path + ".tmp", "wb") as f:
                f.write(pickle.dumps(array, protocol=proto))
            os.replace(path + ".tmp", path)
    del array
    for name in FILES.values():
        with open(os.path.join(out, name), "rb") as f:
            data = f.read()
        pickle.loads(data)  # warm-up
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            obj = pickle.loads(data)
            t1 = time.perf_counter()
            del obj
            times.append((t1 - t0) * 1e3)
        print(
            f"numpy {name} loads_ms={statistics.median(times):.3f} runs={runs} bytes={len(data)}",
            flush=True,
        )
    array = np.arange(12_500_000, dtype="<f8")
    for name, dump in [
        ("dumps.p4", lambda: pickle.dumps(array, protocol=4)),
        ("dumps.p5-out-of-band", lambda: pickle.dumps(array, 5, buffer_callback=[].append)),
    ]:
        dump()  # warm-up
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            data = dump()
            t1 = time.perf_counter()
            times.append((t1 - t0) * 1e3)
        print(
            f"numpy {name} dumps_ms={statistics.median(times):.3f} runs={runs} bytes={len(data)}",
            flush=True,
        )


if __name__ == "__main__":
    main()
