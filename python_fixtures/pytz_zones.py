#!/usr/bin/env python3
"""Generate the pytz fixtures for pypickle (tests/stdlib.rs, `pytz_*` tests).

    python3 -m venv /tmp/pytz-venv && /tmp/pytz-venv/bin/pip install pytz
    /tmp/pytz-venv/bin/python python_fixtures/pytz_zones.py

Rewrites python_fixtures/stdlib/pytz.tsv (next to this file): one line per value and
protocol 0..5, ``<name>\\t<protocol>\\t<pickle hex>\\t<repr>\\t<plain>``, where ``plain`` is
what pypickle's plain serde form of the value should be: ``isoformat()`` for a datetime or
time whose zone carries its offset (``[zone]`` in place of the offset for a zone pickled by
name alone, whose offset needs the tz database), and the zone's name for a zone alone
(``UTC`` for ``pytz.utc``, the offset for a ``FixedOffset``). The tests read the file; they
need no pytz.
"""

import datetime as dt
import os
import pickle
import sys

import pytz

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "stdlib", "pytz.tsv")

NY = pytz.timezone("America/New_York")
KOLKATA = pytz.timezone("Asia/Kolkata")
GMT5 = pytz.timezone("Etc/GMT+5")  # a StaticTzInfo
NAIVE = dt.datetime(2024, 3, 1, 12, 30)

VALUES = [
    ("utc", pytz.utc),
    ("fixed_minus_330", pytz.FixedOffset(-330)),
    ("fixed_90", pytz.FixedOffset(90)),
    ("static_etc_gmt5", GMT5),
    ("ny_localized_std", NY.localize(NAIVE).tzinfo),
    ("dt_utc", pytz.utc.localize(NAIVE)),
    ("dt_ny_std", NY.localize(NAIVE)),
    ("dt_ny_dst", NY.localize(dt.datetime(2024, 7, 4, 9, 0, 0, 250))),
    ("dt_kolkata", KOLKATA.localize(NAIVE)),
    ("dt_fixed", NAIVE.replace(tzinfo=pytz.FixedOffset(-330))),
    ("dt_static", NAIVE.replace(tzinfo=GMT5)),
    ("dt_ny_unlocalized", NAIVE.replace(tzinfo=NY)),  # the zone's first offset (LMT)
    ("time_ny", dt.time(8, 15, tzinfo=NY.localize(NAIVE).tzinfo)),
]


def plain(v):
    if isinstance(v, (dt.datetime, dt.time)):
        tz = v.tzinfo
        if isinstance(tz, pytz.tzinfo.StaticTzInfo):
            return v.replace(tzinfo=None).isoformat() + "[" + tz.zone + "]"
        if isinstance(v, dt.time) and isinstance(tz, pytz.tzinfo.DstTzInfo):
            # A time's offset in such a zone depends on the date: pytz answers utcoffset(None)
            # with None, and pypickle names the zone, as for a zoneinfo zone.
            return v.isoformat() + "[" + tz.zone + "]"
        return v.isoformat()
    if v is pytz.utc:
        return "UTC"
    if isinstance(v, pytz._FixedOffset):
        return dt.datetime(2000, 1, 1, tzinfo=v).isoformat()[19:]
    return v.zone


def main():
    lines = []
    for name, value in VALUES:
        for proto in range(6):
            data = pickle.dumps(value, proto)
            assert repr(pickle.loads(data)) == repr(value), name
            lines.append(f"{name}\t{proto}\t{data.hex()}\t{value!r}\t{plain(value)}")
    with open(OUT, "w", encoding="utf-8") as f:
        f.write(f"# python_fixtures/pytz_zones.py, CPython {sys.version.split()[0]}, pytz {pytz.__version__}\n")
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
