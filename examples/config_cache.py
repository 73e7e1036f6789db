"""The Python half of examples/config_cache.rs: a Python program that reads the same config and
reads and writes the same cache of computed results.

    python3 examples/config_cache.py update DIR     # read DIR/config.pickle, fill DIR/cache.pickle
    python3 examples/config_cache.py write-v1 FILE  # a cache as version 1 of the programs wrote it

Both files are dicts with a "version" key; a file of another version is refused.
"""

import math
import os
import pickle
import sys

VERSION = 2  # the layout this program reads and writes; examples/config_cache.rs has the same


def load(path, what):
    with open(path, "rb") as f:
        data = pickle.load(f)
    if data.get("version") != VERSION:
        sys.exit(f"{path}: {what} version {data.get('version')!r}, this program reads {VERSION}")
    return data


def save(path, data):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        pickle.dump(data, f)
    os.replace(tmp, path)  # readers see the old file or the new one, never half of one


def update(directory):
    config = load(os.path.join(directory, "config.pickle"), "config")
    cache_path = os.path.join(directory, "cache.pickle")
    cache = load(cache_path, "cache")
    results = cache["results"]  # {(n, k): comb(n, k)}: a dict with tuple keys
    missing = [key for key in config["inputs"] if key not in results]
    for n, k in missing:
        results[(n, k)] = math.comb(n, k)
    cache["updated_by"] = "python"
    save(cache_path, cache)
    print(
        f"python: config {config['name']!r} asks for {len(config['inputs'])} results; "
        f"computed {missing}, {len(results)} cached now"
    )


def write_v1(path):
    # Version 1 kept the results as a list of [n, k, value] rows.
    save(path, {"version": 1, "results": [[10, 3, 120], [20, 10, 184756]]})
    print(f"python: wrote a version 1 cache to {path}")


if __name__ == "__main__":
    mode, path = sys.argv[1:]
    {"update": update, "write-v1": write_v1}[mode](path)
