#!/usr/bin/env python3
"""Generate the fixture of pickles CPython 3.14 writes, for pypickle (tests/fixtures.rs).

    python3.14 python_fixtures/python314.py > python_fixtures/py314/pickles.tsv

Prints one line a case, ``<name>\\t<protocol>\\t<pickle as hex>\\t<repr>``: plain data and the
standard library's common types, ``pickle.dumps(value, protocol)`` at every protocol 0-5
with the C pickler, and ``repr()`` of what ``pickle.loads`` gives back. The repr of an
``OrderedDict`` is written in the form CPython 3.11 prints (``OrderedDict([(k, v)])``), which
pypickle's ``Display`` follows; 3.12 changed it. Strings use characters of Unicode 14.0 or
earlier, which 3.11 and 3.14 print alike.

Runs under any CPython 3.8+, but the committed file comes from CPython 3.14.2 (the C
``_pickle`` of pyodide 314.0.7, run under node: CI has no 3.14), so that CI reads what 3.14
writes. Deterministic: set and frozenset elements are ints, whose order does not depend on
the hash seed.
"""

import collections
import datetime
import decimal
import fractions
import pathlib
import pickle
import sys
import uuid


def values():
    shared = [1, 2]
    yield "ints", [0, 1, -1, 255, 256, 65535, 65536, 2**31 - 1, -2**31, 2**31, 2**63 - 1,
                   -2**63, 2**64, -2**64 - 1, 2**1000, -(3**500)]
    yield "floats", [0.0, -0.0, 1.0, 0.1, 1e308, 5e-324, -1.5e-300, float("inf"),
                     float("-inf"), float("nan"), 1 / 3]
    yield "complex", [1j, complex(1.5, -2), complex(float("inf"), float("nan"))]
    yield "str", ["", "a", "é", "€", "\U0001f600", "line\nbreak", "tab\t'\"\\", "\x00\x7f",
                  "x" * 300]
    yield "bytes", [b"", b"\x00\xff", bytes(range(256)), b"\x80" * 300]
    yield "bytearray", [bytearray(), bytearray(b"abc"), bytearray(range(256))]
    yield "singletons", [None, True, False, ..., NotImplemented]
    yield "tuples", [(), (1,), (1, 2), (1, 2, 3), (1, 2, 3, 4), ((),), ((1,), [2])]
    yield "containers", {"list": [1, [2, [3]]], "dict": {1: "a", (1, 2): "b", "c": None},
                         "set": {1, 2, 3}, "frozenset": frozenset({4, 5}), "empty_set": set(),
                         "empty_frozenset": frozenset()}
    yield "shared", [shared, shared, (shared,), {"k": shared}]
    # Past the 1000 items of a batch of APPENDS, SETITEMS or ADDITEMS.
    yield "big_list", list(range(1100))
    yield "big_dict", {i: -i for i in range(1100)}
    yield "big_set", set(range(1100))
    yield "nested", [[[[[[[[[[["deep"]]]]]]]]]]]
    yield "datetimes", [
        datetime.date(2026, 11, 28),
        datetime.time(12, 30, 15, 123456),
        datetime.time(1, 30, fold=1, tzinfo=datetime.timezone.utc),
        datetime.datetime(2026, 11, 28, 10, 50, 29, 1),
        datetime.datetime(1, 1, 1, tzinfo=datetime.timezone(datetime.timedelta(hours=-5), "EST")),
        datetime.datetime(9999, 12, 31, 23, 59, 59, 999999, fold=1,
                          tzinfo=datetime.timezone(datetime.timedelta(minutes=330))),
        datetime.timedelta(days=-1, seconds=5, microseconds=7),
        datetime.timedelta.max,
        datetime.timezone.utc,
    ]
    yield "decimals", [decimal.Decimal("1.10"), decimal.Decimal("-0"), decimal.Decimal("NaN123"),
                       decimal.Decimal("-sNaN"), decimal.Decimal("-Infinity"),
                       decimal.Decimal("1E+999999")]
    yield "uuids", [uuid.UUID("12345678-1234-5678-1234-567812345678"),
                    uuid.UUID(int=0, is_safe=uuid.SafeUUID.safe)]
    yield "fractions", [fractions.Fraction(1, 3), fractions.Fraction(-2**70, 7)]
    yield "collections", [collections.defaultdict(list, {"a": [1]}),
                          collections.Counter({"x": 2}),
                          collections.deque([1, 2], maxlen=5), collections.deque()]
    yield "ordered_dict", collections.OrderedDict([("b", 1), ("a", 2)])
    yield "ranges", [range(5), range(-3, 10, 4), slice(1, None, 2)]
    yield "paths", [pathlib.PurePosixPath("/srv/a"), pathlib.PureWindowsPath("C:/x/y"),
                    pathlib.PurePosixPath()]
    yield "exceptions", [ValueError("bad", 1), KeyError("k")]


def py311_repr(name, value):
    """repr() as CPython 3.11 prints it, where later versions changed it."""
    if name == "ordered_dict":
        return "OrderedDict(%r)" % (list(value.items()),)
    return repr(value)


def main():
    lines = []
    for name, value in values():
        for proto in range(6):
            data = pickle.dumps(value, protocol=proto)
            loaded = pickle.loads(data)
            lines.append("\t".join([name, str(proto), data.hex(), py311_repr(name, loaded)]))
    sys.stdout.write("# %s\n" % sys.version.replace("\n", " "))
    sys.stdout.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
