"""The Python half of examples/redis_cache.rs: pickled values in Redis, through redis-py.

    python examples/redis_cache.py ping URL        # is redis-py installed, does the server answer
    python examples/redis_cache.py read URL KEY    # pickle.loads(r.get(KEY)), check it, print it
    python examples/redis_cache.py write URL KEY   # r.set(KEY, pickle.dumps(...), ex=300)

Needs the redis package from PyPI (python -m pip install redis). Exits with status 3 if it is
missing, and fails on any other error (a check that does not hold, a server that does not
answer).
"""

import pickle
import sys

try:
    import redis
except ImportError:
    sys.stderr.write(
        f"the Python redis client is not installed for {sys.executable}: "
        "python -m pip install redis (in a venv), or set PYPICKLE_REDIS_PYTHON to a Python that has it\n"
    )
    sys.exit(3)

# What examples/redis_cache.rs stores (its `Session`), as Python sees it.
FROM_RUST = {
    "user_id": 42,
    "name": "ada",
    "roles": ["admin", "ops"],
    "expires_at": 1767225600.0,
    "token": b"\x8f\x00\x13\xff",
    "last_ip": None,
}

# What this script stores for Rust to read: a query result with a list of row tuples.
FROM_PYTHON = {
    "query": "top users",
    "rows": [(1, "ada", 9.5), (2, "bob", 7.25)],
    "computed_at": 1700000000.5,
}


def main():
    mode, url, *rest = sys.argv[1:]
    r = redis.Redis.from_url(url)
    if mode == "ping":
        r.ping()
        print(f"python: redis-py {redis.__version__} reaches {url}")
    elif mode == "read":
        (key,) = rest
        raw = r.get(key)
        assert raw is not None, f"no value under {key!r}"
        value = pickle.loads(raw)  # only for data you trust: the server is ours
        print(f"python: pickle.loads(r.get({key!r})) -> {value!r}")
        assert value == FROM_RUST, f"{value!r} != {FROM_RUST!r}"
        assert type(value["token"]) is bytes, type(value["token"])
    elif mode == "write":
        (key,) = rest
        r.set(key, pickle.dumps(FROM_PYTHON), ex=300)
        print(f"python: r.set({key!r}, pickle.dumps({FROM_PYTHON!r}), ex=300)")
    else:
        sys.exit(f"unknown mode {mode!r}")


if __name__ == "__main__":
    main()
