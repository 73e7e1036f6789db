"""Write the decode benchmark's inputs with CPython's pickler (protocol 4).

    python3 python_fixtures/bench_inputs.py OUTDIR

Writes OUTDIR/records.pkl, OUTDIR/int_float.pkl and OUTDIR/bytes64m.pkl. benches/decode.rs
runs this into target/bench-inputs/ when a file is missing; the files are big and not committed.
"""

import os
import pickle
import sys

PROTOCOL = 4


def inputs():
    yield "records.pkl", lambda: [
        {
            "id": i,
            "name": f"user{i}",
            "score": i * 0.5,
            "tags": ["red", "green"] if i % 3 else ["blue"],
        }
        for i in range(100_000)
    ]
    yield "int_float.pkl", lambda: {i: i * 0.25 for i in range(1_000_000)}
    # 64 MiB, every byte value, deterministic.
    yield "bytes64m.pkl", lambda: bytes(range(256)) * (64 * 1024 * 4)


def main(argv):
    if len(argv) != 2:
        sys.exit(f"usage: {argv[0]} OUTDIR")
    outdir = argv[1]
    os.makedirs(outdir, exist_ok=True)
    for name, make in inputs():
        data = pickle.dumps(make(), protocol=PROTOCOL)
        path = os.path.join(outdir, name)
        tmp = path + ".tmp"
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, path)  # never leave a half-written input behind
        print(f"wrote {path} ({len(data)} bytes)")


if __name__ == "__main__":
    main(sys.argv)
