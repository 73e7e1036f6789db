#!/usr/bin/env python3
"""Generate the standard-library fixtures for pypickle (tests/stdlib.rs).

    python3 python_fixtures/stdlib.py

Rewrites python_fixtures/stdlib/ (next to this file):

* ``pickles.bin`` -- records of ``u16 name length, name, u8 protocol, u32 pickle length,
  pickle`` (little-endian): ``pickle.dumps(value, protocol)`` for every value below at every
  protocol 0..5.
* ``manifest.tsv`` -- ``<name>\\t<protocol>\\t<repr>\\t<natural>`` per pickle: CPython's
  ``repr()`` of the value loaded back from it (protocols 0-3 drop ``fold``), and the
  ``repr()`` of the plain form pypickle's
  ``stdlib::natural`` should give it (``-`` for none): ``isoformat()`` for dates and times
  (``[key]`` instead of an offset for zoneinfo zones), ``total_seconds()`` for timedeltas,
  ``str()`` for decimals, UUIDs, paths and ``ipaddress`` objects, ``"n/d"`` for fractions,
  ``(start, stop, step)`` for ranges and slices, ``tuple(t)`` for a ``time.struct_time``, the
  member's value for ``uuid.SafeUUID``, the items of an ``array.array`` (its text for ``u``).

Needs CPython 3.9+ (zoneinfo, with the system tz database). Reprs are those of the running
CPython; the committed files come from CPython 3.11.
"""

import array
import collections
import datetime as dt
import decimal
import fractions
import ipaddress
import os
import pathlib
import pickle
import struct
import sys
import time
import uuid
import zoneinfo

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "stdlib")

UTC = dt.timezone.utc
NY = zoneinfo.ZoneInfo("America/New_York")
PARIS = zoneinfo.ZoneInfo("Europe/Paris")
D = decimal.Decimal
F = fractions.Fraction
TD = dt.timedelta


class Reduce:
    """Pickles as ``func(*args)``: the shapes Python 2 and hand-written reducers produce."""

    def __init__(self, func, *args):
        self.func, self.args = func, args

    def __reduce__(self):
        return self.func, self.args


def offset(hours=0, minutes=0, seconds=0, microseconds=0, name=None):
    td = TD(hours=hours, minutes=minutes, seconds=seconds, microseconds=microseconds)
    return dt.timezone(td) if name is None else dt.timezone(td, name)


def with_note(e, **attrs):
    for k, v in attrs.items():
        setattr(e, k, v)
    return e


VALUES = [
    # datetime.datetime
    ("dt_naive", dt.datetime(2026, 11, 23, 12, 0)),
    ("dt_seconds", dt.datetime(2026, 11, 23, 12, 0, 5)),
    ("dt_micro", dt.datetime(2026, 11, 23, 12, 0, 0, 1)),
    ("dt_micro_full", dt.datetime(1999, 12, 31, 23, 59, 59, 999999)),
    ("dt_min", dt.datetime.min),
    ("dt_max", dt.datetime.max),
    ("dt_utc", dt.datetime(2026, 11, 23, 12, 0, tzinfo=UTC)),
    ("dt_plus0530", dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=offset(5, 30))),
    ("dt_minus8_named", dt.datetime(2026, 1, 2, 3, 4, tzinfo=offset(-8, name="PST"))),
    ("dt_offset_seconds", dt.datetime(2026, 1, 2, tzinfo=offset(1, 2, 3, 4))),
    ("dt_fold_naive", dt.datetime(2026, 11, 1, 1, 30, fold=1)),
    ("dt_zone", dt.datetime(2026, 7, 14, 9, 0, tzinfo=PARIS)),
    ("dt_zone_fold", dt.datetime(2026, 11, 1, 1, 30, fold=1, tzinfo=NY)),
    ("dt_leap_day", dt.datetime(2024, 2, 29, 0, 0, 0, 500000, tzinfo=UTC)),
    # datetime.date
    ("date", dt.date(2026, 11, 23)),
    ("date_min", dt.date.min),
    ("date_max", dt.date.max),
    ("date_leap", dt.date(2000, 2, 29)),
    # datetime.time
    ("time_naive", dt.time(12, 0)),
    ("time_seconds", dt.time(0, 0, 7)),
    ("time_micro", dt.time(23, 59, 59, 999999)),
    ("time_utc_fold", dt.time(0, 0, 0, 1, tzinfo=UTC, fold=1)),
    ("time_offset", dt.time(9, 30, tzinfo=offset(-3, -30))),
    ("time_zone", dt.time(9, 30, tzinfo=PARIS)),
    # datetime.timedelta
    ("td_zero", TD(0)),
    ("td_days", TD(days=3)),
    ("td_negative", TD(days=-1, seconds=5)),
    ("td_minus_micro", TD(microseconds=-1)),
    ("td_mixed", TD(days=1, seconds=1, microseconds=1)),
    ("td_max", TD.max),
    ("td_min", TD.min),
    ("td_resolution", TD.resolution),
    # datetime.timezone
    ("tz_utc", UTC),
    ("tz_named_utc", dt.timezone(TD(0), "UTC")),
    ("tz_plus1", offset(1)),
    ("tz_minus_named", offset(-5, name="EST")),
    ("tz_micro", offset(-1, microseconds=5)),
    ("tz_max", dt.timezone.max),
    ("tz_min", dt.timezone.min),
    ("tz_quote_name", offset(2, name="it's")),
    # decimal.Decimal
    ("dec_zero", D("0")),
    ("dec_neg_zero", D("-0")),
    ("dec_neg_zero_places", D("-0.00")),
    ("dec_places", D("1.50")),
    ("dec_exp", D("1E+3")),
    ("dec_small", D("1E-7")),
    ("dec_plain_small", D("0.000001")),
    ("dec_zero_exp", D("0E-8")),
    ("dec_long", D("-123456789012345678901234567890.123456789")),
    ("dec_huge_exp", D("1.5E+999999")),
    ("dec_nan", D("NaN")),
    ("dec_neg_nan", D("-NaN")),
    ("dec_nan_payload", D("NaN123")),
    ("dec_snan", D("sNaN")),
    ("dec_neg_snan_payload", D("-sNaN42")),
    ("dec_inf", D("Infinity")),
    ("dec_neg_inf", D("-Infinity")),
    # uuid.UUID
    ("uuid_zero", uuid.UUID(int=0)),
    ("uuid_v5", uuid.uuid5(uuid.NAMESPACE_DNS, "python.org")),
    ("uuid_max", uuid.UUID(int=2**128 - 1)),
    ("uuid_safe", uuid.UUID("12345678-1234-5678-1234-567812345678", is_safe=uuid.SafeUUID.safe)),
    ("uuid_unsafe", uuid.UUID(int=1 << 100, is_safe=uuid.SafeUUID.unsafe)),
    # uuid.SafeUUID members on their own
    ("safeuuid_safe", uuid.SafeUUID.safe),
    ("safeuuid_unsafe", uuid.SafeUUID.unsafe),
    ("safeuuid_unknown", uuid.SafeUUID.unknown),
    # fractions.Fraction
    ("frac", F(3, 4)),
    ("frac_neg", F(-1, 3)),
    ("frac_zero", F(0)),
    ("frac_whole", F(7)),
    ("frac_float", F(0.1)),
    ("frac_big", F(2**100, 3)),
    ("frac_huge", F(2**200 + 1, -3**50)),
    # range and slice
    ("range_stop", range(10)),
    ("range_step", range(1, 10, 2)),
    ("range_negative", range(10, 0, -3)),
    ("range_big", range(-2**40, 2**40, 7)),
    ("range_huge", range(-2**70, 2**80, 3)),
    ("range_huge_step1", range(2**64)),
    ("range_empty", range(0)),
    ("slice_stop", slice(5)),
    ("slice_step", slice(1, None, 2)),
    ("slice_any", slice("a", "b")),
    # collections
    ("od_empty", collections.OrderedDict()),
    ("od", collections.OrderedDict([("b", 1), ("a", [2, 3])])),
    ("dd_list", collections.defaultdict(list, {"a": [1], "b": []})),
    ("dd_none", collections.defaultdict(None, {1: 2})),
    ("dd_int_empty", collections.defaultdict(int)),
    ("counter_empty", collections.Counter()),
    ("counter", collections.Counter("abracadabra")),
    ("counter_ties", collections.Counter({"x": 1, "y": 2, "z": 1, "w": 2})),
    ("deque_empty", collections.deque()),
    ("deque", collections.deque([1, "two", (3,)])),
    ("deque_maxlen", collections.deque([1, 2], maxlen=3)),
    ("deque_full", collections.deque(range(5), maxlen=2)),
    ("deque_maxlen_zero", collections.deque(maxlen=0)),
    # pathlib
    ("path_abs", pathlib.PurePosixPath("/srv//data/./x.csv")),
    ("path_rel", pathlib.PosixPath("rel/x")),
    ("path_dot", pathlib.PurePosixPath(".")),
    ("path_double_slash", pathlib.PurePosixPath("//host/x")),
    ("path_win", pathlib.PureWindowsPath("C:/Users/ada")),
    ("path_win_unc", pathlib.PureWindowsPath("//srv/share/x")),
    ("path_win_drive_rel", pathlib.PureWindowsPath("c:x")),
    # ipaddress: IPv4Address(int), IPv6Address(str) (an int before 3.11), the rest str()
    ("ip_v4", ipaddress.IPv4Address("192.0.2.1")),
    ("ip_v4_zero", ipaddress.IPv4Address(0)),
    ("ip_v4_max", ipaddress.IPv4Address("255.255.255.255")),
    ("ip_v6", ipaddress.IPv6Address("2001:db8::8a2e:370:7334")),
    ("ip_v6_zero", ipaddress.IPv6Address("::")),
    ("ip_v6_first_run", ipaddress.IPv6Address("1:0:0:2:0:0:3:4")),
    ("ip_v6_mapped", ipaddress.IPv6Address("::ffff:192.0.2.1")),
    ("ip_v6_scope", ipaddress.IPv6Address("fe80::1%eth0")),
    ("ip_v6_scope_quote", ipaddress.IPv6Address("fe80::1%it's")),
    ("shape_ip_v6_int", Reduce(ipaddress.IPv6Address, 2**128 - 1)),
    ("shape_ip_v4_packed", Reduce(ipaddress.IPv4Address, b"\x7f\x00\x00\x01")),
    ("ip_v4_net", ipaddress.IPv4Network("10.0.0.0/8")),
    ("ip_v4_net_all", ipaddress.IPv4Network("0.0.0.0/0")),
    ("ip_v6_net", ipaddress.IPv6Network("2001:db8::/32")),
    ("ip_v6_net_scope", ipaddress.IPv6Network("fe80::%eth0/64")),
    ("ip_v4_iface", ipaddress.IPv4Interface("192.0.2.1/24")),
    ("ip_v6_iface", ipaddress.IPv6Interface("fe80::1%2/64")),
    ("ip_v6_iface_host", ipaddress.IPv6Interface("::1/128")),
    # time.struct_time: struct_time((9 fields), {'tm_zone': ..., 'tm_gmtoff': ...})
    ("struct_time_gmtime", time.gmtime(1795929382)),
    ("struct_time_zone", time.struct_time((2026, 11, 29, 6, 0, 0, 6, 333, 0, "CET", 3600))),
    ("struct_time_strptime", time.strptime("2026-02-28", "%Y-%m-%d")),
    ("shape_struct_time_py2", Reduce(time.struct_time, (1970, 1, 1, 0, 0, 0, 3, 1, 0), {})),
    ("shape_struct_time_list", Reduce(time.struct_time, [2026, 1, 2, 3, 4, 5, 6, 7, -1])),
    ("shape_struct_time_ten", Reduce(time.struct_time, (2026, 1, 2, 3, 4, 5, 6, 7, 1, "X"), {"tm_gmtoff": 60})),
    ("shape_struct_time_any", Reduce(time.struct_time, ("a", 2.5, None, [1], 5, 6, 7, 8, 9))),
    # array.array: `array(typecode, list)` below protocol 3, `_array_reconstructor` from 3.
    ("array_d", array.array("d", [0.5, -0.0, 1e300])),
    ("array_f", array.array("f", [0.1, -2.5])),
    ("array_b", array.array("b", [-128, 0, 127])),
    ("array_B", array.array("B", b"\x00\xff")),
    ("array_i", array.array("i", [-(2 ** 31), 2 ** 31 - 1])),
    ("array_L", array.array("L", [2 ** 64 - 1])),
    ("array_q", array.array("q", [-(2 ** 63), 7])),
    ("array_u", array.array("u", "h\xe9\u20ac\U0001F600")),
    ("array_empty", array.array("H")),
    # built-in exceptions, kept inert
    ("exc_value", ValueError("bad value")),
    ("exc_empty", KeyError()),
    ("exc_args", ValueError("x", 1)),
    ("exc_oserror", OSError(2, "No such file", "f.txt")),
    ("exc_oserror_no_filename", OSError(2, "No such file", None, None, "g.txt")),
    ("exc_oserror_unknown_errno", OSError(99999, "odd")),
    ("exc_blocking_written", BlockingIOError(11, "busy", 5)),
    ("exc_blocking_filename", OSError(11, "busy", "f", None, "g")),
    ("exc_group", ExceptionGroup("several", [ValueError(1), KeyError("k")])),
    ("exc_unicode", UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte")),
    ("exc_attrs", with_note(RuntimeError("boom"), code=7)),
    ("exc_stop", StopIteration(5)),
    # Shapes other picklers (Python 2, hand-written reducers) produce.
    ("shape_dt_str_state", Reduce(dt.datetime, "\x07\xea\x0b\x17\x0c\x00\x00\x00\x00\x00", UTC)),
    ("shape_dt_ints", Reduce(dt.datetime, 2026, 11, 23, 12, 30, 0, 5)),
    ("shape_date_ints", Reduce(dt.date, 2026, 2, 28)),
    ("shape_time_str_state", Reduce(dt.time, "\x0c\x1e\x00\x00\x00\x01")),
    ("shape_td_unnormalised", Reduce(dt.timedelta, 0, -1, 2000000)),
    ("shape_dec_text", Reduce(decimal.Decimal, "  1_000.50e-2 ")),
    ("shape_frac_str", Reduce(fractions.Fraction, "-6/4")),
    ("shape_frac_unreduced", Reduce(fractions.Fraction, 6, -4)),
    # As Python 2.7 and 3.6-3.10 write any fraction: its str(), here with terms past i128.
    ("shape_frac_huge_str", Reduce(fractions.Fraction, str(F(2**127)))),
    ("shape_frac_huge_str_den", Reduce(fractions.Fraction, str(F(-1, 2**127)))),
    ("shape_frac_huge_str_unreduced", Reduce(fractions.Fraction, f"-{2**130}/{2**129}")),
    ("shape_od_pairs", Reduce(collections.OrderedDict, [["a", 1], ["b", 2]])),
    ("shape_deque_list", Reduce(collections.deque, [1, 2, 3], 2)),
    ("shape_zone_no_cache", dt.datetime(2026, 1, 1, tzinfo=zoneinfo.ZoneInfo.no_cache("Asia/Tokyo"))),
    # Nested in containers.
    ("nested", {"when": [dt.date(2026, 1, 1), dt.datetime(2026, 1, 1, tzinfo=UTC)],
                "amount": D("9.99"), "id": uuid.UUID(int=7), "od": collections.OrderedDict(x=TD(1))}),
]


def iso_suffix(tz, value):
    if isinstance(tz, zoneinfo.ZoneInfo):
        return value.replace(tzinfo=None).isoformat() + "[" + tz.key + "]"
    return value.isoformat()


NO_NATURAL = object()  # the object has no plain form (written "-")


def natural(v):
    if isinstance(v, uuid.SafeUUID):
        return v.value
    if isinstance(v, dt.datetime) or isinstance(v, dt.time):
        return iso_suffix(v.tzinfo, v)
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, dt.timedelta):
        return v.total_seconds()
    if isinstance(v, dt.timezone):
        return dt.datetime(2000, 1, 1, tzinfo=v).isoformat()[19:]
    if isinstance(v, (decimal.Decimal, uuid.UUID, pathlib.PurePath)) or type(v).__module__ == "ipaddress":
        return str(v)
    if isinstance(v, fractions.Fraction):
        return f"{v.numerator}/{v.denominator}"
    if isinstance(v, time.struct_time):
        return tuple(v)
    if isinstance(v, (range, slice)):
        return (v.start, v.stop, v.step)
    if isinstance(v, array.array):
        return v.tounicode() if v.typecode == "u" else list(v)
    return NO_NATURAL


def main():
    os.makedirs(OUT, exist_ok=True)
    records = bytearray()
    manifest = []
    for name, value in VALUES:
        for proto in range(6):
            data = pickle.dumps(value, proto)
            loaded = pickle.loads(data)
            n = name.encode()
            records += struct.pack("<H", len(n)) + n + bytes([proto])
            records += struct.pack("<I", len(data)) + data
            nat = natural(loaded)
            text = repr(loaded)
            assert "\t" not in text and "\n" not in text, name
            manifest.append(f"{name}\t{proto}\t{text}\t{'-' if nat is NO_NATURAL else repr(nat)}\n")
    with open(os.path.join(OUT, "pickles.bin"), "wb") as f:
        f.write(records)
    with open(os.path.join(OUT, "manifest.tsv"), "w", encoding="utf-8") as f:
        f.write(f"# CPython {sys.version.split()[0]}: name, protocol, repr, repr of the plain form\n")
        f.writelines(manifest)
    print(f"{len(VALUES)} values x 6 protocols -> {OUT}")


if __name__ == "__main__":
    main()
