"""The Python half of examples/file_roundtrip.rs: pickle.dump and pickle.load on files.

    python3 examples/file_roundtrip.py check FILE    # pickle.load what Rust wrote, check it
    python3 examples/file_roundtrip.py write FILE    # pickle.dump an experiment for Rust
    python3 examples/file_roundtrip.py append FILE   # load every pickle in FILE, append two

Any failed check raises, so the script exits non-zero and the Rust side fails.
"""

import pickle
import sys

# What examples/file_roundtrip.rs writes (its `experiment()`), as Python sees it.
FROM_RUST = {
    "name": "baseline",
    "samples": [0.5, 1.25, 2.0],
    "params": {"batch": 32, "epochs": 10},
    "shape": (28, 28),
    "notes": None,
    "checksum": b"\x00\x01\xfe\xff",
    "runs": [
        {"seed": 1, "score": 0.91, "tags": ["fast", "gpu"]},
        {"seed": 2, "score": None, "tags": []},
    ],
}

# What this script writes for Rust to read (the Rust side checks it field by field).
FROM_PYTHON = {
    "name": "tuned",
    "samples": [1.0, -0.5],
    "params": {"lr_milli": 3},
    "shape": (3, 4),
    "notes": "written by pickle.dump",
    "checksum": bytes(range(4)),
    "runs": [{"seed": 7, "score": 0.5, "tags": ["python"]}],
}


def check(path):
    with open(path, "rb") as f:
        data = pickle.load(f)
    print(f"python: pickle.load -> {data!r}")
    assert data == FROM_RUST, f"{data!r} != {FROM_RUST!r}"
    # Equality alone would accept a list for the tuple and a bytearray for the bytes.
    assert type(data["shape"]) is tuple, type(data["shape"])
    assert type(data["checksum"]) is bytes, type(data["checksum"])


def write(path):
    with open(path, "wb") as f:
        pickle.dump(FROM_PYTHON, f)  # the default protocol: 4 (Python 3.8-3.13) or 5
    print(f"python: pickle.dump at protocol {pickle.DEFAULT_PROTOCOL} -> {path}")


def append(path):
    # Repeated pickle.load(f) reads the pickles written one after another, until EOFError.
    events = []
    with open(path, "rb") as f:
        while True:
            try:
                events.append(pickle.load(f))
            except EOFError:
                break
    print(f"python: read {len(events)} pickles: {events!r}")
    assert [e["seq"] for e in events] == [1, 2, 3], events
    with open(path, "ab") as f:
        pickle.dump({"seq": 4, "level": "info", "message": "appended by python"}, f)
        # Pickles in one file need not share a protocol.
        pickle.dump({"seq": 5, "level": "warn", "message": "protocol 2"}, f, protocol=2)
    print("python: appended 2 pickles")


if __name__ == "__main__":
    mode, path = sys.argv[1:]
    {"check": check, "write": write, "append": append}[mode](path)
