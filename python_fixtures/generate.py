#!/usr/bin/env python3
"""Generate the pickle test fixtures for the pypickle crate.

Run from anywhere:

    python3 python_fixtures/generate.py

The script rewrites python_fixtures/data/ (next to this file):

* ``<name>.p<proto>.pkl`` -- ``pickle.dumps(value, protocol=proto)`` for every
  plain-data value below and every protocol 0..5.
* ``py2_*.p<proto>.pkl`` -- hand-assembled pickles in the shape Python 2
  wrote them (STRING / BINSTRING / SHORT_BINSTRING, ``__builtin__`` globals,
  ``I01``/``I00`` booleans, ``L...L`` longs, ...).
* ``op_*.pkl`` -- hand-assembled pickles using opcodes that CPython's pickler
  never emits for plain data but that an unpickler has to accept.
* ``manifest.tsv`` -- ``<file>\\t<encoding>\\t<repr>`` for every (file,
  encoding) pair that CPython loads successfully.  ``<repr>`` is the repr of
  the object CPython got back when loading the file with
  ``pickle.loads(data, encoding=<encoding>)``.
* ``errors.tsv`` -- ``<file>\\t<encoding>\\t<exception class name>`` for every
  (file, encoding) pair that CPython refuses.

Output is deterministic: the script re-executes itself with
PYTHONHASHSEED=0 so that the iteration order of str/bytes sets is stable.
Works with any CPython 3.8+ (stdlib only).
"""

import io
import os
import pickle
import pickletools
import struct
import sys

if os.environ.get("PYTHONHASHSEED") != "0":
    env = dict(os.environ)
    env["PYTHONHASHSEED"] = "0"
    os.execve(sys.executable,
              [sys.executable, os.path.abspath(__file__)] + sys.argv[1:], env)

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "data")
PROTOCOLS = range(0, 6)
PY2_ENCODINGS = ("ASCII", "latin1", "bytes", "utf-8")


# ---------------------------------------------------------------------------
# Plain-data values, pickled by CPython at every protocol.
# ---------------------------------------------------------------------------

def nested_list(depth):
    v = []
    for _ in range(depth - 1):
        v = [v]
    return v


def nested_tuple(depth):
    v = ()
    for _ in range(depth - 1):
        v = (v,)
    return v


def nested_dict(depth):
    v = {}
    for i in range(depth - 1):
        v = {"k%d" % (depth - 1 - i): v}
    return v


def plain_values():
    """Return a list of (name, value) pairs; names are unique."""
    vals = []

    def add(name, value):
        vals.append((name, value))

    # -- singletons ---------------------------------------------------------
    add("none", None)
    add("true", True)
    add("false", False)
    add("ellipsis", ...)

    # -- ints ---------------------------------------------------------------
    ints = [
        ("0", 0), ("1", 1), ("neg1", -1), ("255", 255), ("256", 256),
        ("65535", 65535), ("65536", 65536),
        ("2pow31m1", 2**31 - 1), ("neg2pow31", -2**31), ("2pow31", 2**31),
        ("neg2pow31m1", -2**31 - 1),
        ("2pow63m1", 2**63 - 1), ("neg2pow63", -2**63), ("2pow63", 2**63),
        ("2pow64m1", 2**64 - 1), ("2pow64", 2**64), ("neg2pow64", -(2**64)),
        ("10pow30", 10**30), ("neg10pow100", -(10**100)),
        ("2pow1000", 2**1000), ("neg2pow1000p7", -(2**1000) + 7),
        # extras: boundaries of the 1-byte / 2-byte / sign-extension forms
        ("neg128", -128), ("neg129", -129), ("127", 127), ("128", 128),
        ("neg256", -256), ("2pow2039", 2**2039), ("2pow2040", 2**2040),
    ]
    for suffix, v in ints:
        add("int_" + suffix, v)

    # -- floats -------------------------------------------------------------
    floats = [
        ("0", 0.0), ("neg0", -0.0), ("1", 1.0), ("1_5", 1.5),
        ("neg2_5", -2.5), ("0_1", 0.1), ("third", 1 / 3),
        ("1e16", 1e16), ("1e15", 1e15),
        ("123456789012345678", 123456789012345678.0),
        ("0_0001", 0.0001), ("1em05", 1e-05),
        ("min_subnormal", 5e-324), ("min_normal", 2.2250738585072014e-308),
        ("max", 1.7976931348623157e308), ("1e22", 1e22), ("1em7", 1e-7),
        ("inf", float("inf")), ("neginf", float("-inf")),
        ("nan", float("nan")),
    ]
    for suffix, v in floats:
        add("float_" + suffix, v)

    # -- complex ------------------------------------------------------------
    add("complex_1_2", complex(1, 2))
    add("complex_0_1", complex(0, 1))
    add("complex_0_neg0", complex(0, -0.0))
    add("complex_neg0_0", complex(-0.0, 0))
    add("complex_1_5_neg2_25", complex(1.5, -2.25))
    add("complex_inf_nan", complex(float("inf"), float("nan")))
    add("complex_neg1e300_1em300", complex(-1e300, 1e-300))

    # -- str ----------------------------------------------------------------
    strs = [
        ("empty", ""), ("a", "a"), ("apos", "it's"),
        ("dquote", 'say "hi"'), ("both_quotes", "both ' and \""),
        ("tab_nl_cr_bs", "tab\tnl\ncr\rbs\\"),
        ("e_acute", "\u00e9"), ("latin1_high", "\u00ff\x80\xa0"),
        ("cjk", "\u65e5\u672c\u8a9e"), ("emoji", "\U0001f600 emoji"),
        ("c0_del", "\x00\x01\x1f\x7f"),
        ("unicode_seps", "\u2028\u200b\ufeff"),
        ("max_codepoint", "\U0010ffff"),
        ("x255", "x" * 255), ("x256", "x" * 256), ("y70000", "y" * 70000),
        ("backslash_u1234", "\\u1234"),
        ("double_backslash_u0041", "\\\\u0041"),
        # extras: every C0 control (incl. \x1a which protocol 0 escapes)
        ("all_c0", "".join(chr(i) for i in range(32)) + "\x7f"),
        ("backslash_U_astral", "\\U0001f600 and \\x41 and \\n"),
    ]
    for suffix, v in strs:
        add("str_" + suffix, v)

    # -- bytes / bytearray --------------------------------------------------
    add("bytes_empty", b"")
    add("bytes_a", b"a")
    add("bytes_apos", b"it's")
    add("bytes_00ff", b"\x00\xff")
    add("bytes_all256", bytes(range(256)))
    add("bytes_z255", b"z" * 255)
    add("bytes_z256", b"z" * 256)
    add("bytes_q70000", b"q" * 70000)
    add("bytes_quotes_bs", b"both ' and \" and \\")

    add("bytearray_empty", bytearray())
    add("bytearray_abc", bytearray(b"abc"))
    add("bytearray_all256", bytearray(range(256)))

    # -- lists / tuples -----------------------------------------------------
    add("list_empty", [])
    add("list_1", [1])
    add("list_1_two_3f", [1, "two", 3.0])
    add("tuple_empty", ())
    add("tuple_1", (1,))
    add("tuple_2", (1, 2))
    add("tuple_3", (1, 2, 3))
    add("tuple_4", (1, 2, 3, 4))
    add("list_nested3", [[[]]])
    add("tuple_nested_empty", ((),))
    add("list_range2500", list(range(2500)))
    add("list_range1001", list(range(1001)))  # full batch + lone APPEND
    add("tuple_range1500", tuple(range(1500)))
    all_scalars = [
        None, True, False, 0, -1, 255, 65536, -2**31 - 1, 2**64, -(10**100),
        0.0, -0.0, 1.5, 1e-7, float("inf"), float("nan"), complex(1, -2),
        "", "str", "\u00e9\U0001f600", b"", b"\x00bytes\xff",
        bytearray(b"ba"), ...,
    ]
    add("list_all_scalars", all_scalars)

    # -- dicts --------------------------------------------------------------
    add("dict_empty", {})
    add("dict_a1", {"a": 1})
    add("dict_int_keys", {1: "a", 2: "b"})
    add("dict_mixed_keys", {
        (1, 2): "tuple key", None: 0, True: "t", 1.5: "f",
        b"k": "bytes key", frozenset({1}): "fs key",
    })
    add("dict_2500", {str(i): i for i in range(2500)})
    add("dict_nested", {
        "inner": {"x": 1, "y": [1, 2, {"z": None}]},
        "list": [{"a": []}, {"b": ()}, [{}]],
        "empty": {},
    })

    # -- sets ---------------------------------------------------------------
    add("set_empty", set())
    add("set_123", {1, 2, 3})
    add("set_a", {"a"})
    add("set_tuple", {(1, 2)})
    add("frozenset_empty", frozenset())
    add("frozenset_123", frozenset({1, 2, 3}))
    add("set_1500", set(range(1500)))

    # -- shared references --------------------------------------------------
    x = [1, 2]
    add("shared_list_twice", [x, x])
    x = [1]
    y = [x, x]
    add("shared_two_level", [y, y])
    shared = ["s", 1]
    add("shared_dict_values", {"first": shared, "second": shared})
    s = "".join(["shared ", "string"])  # built at run time: one object
    add("shared_str_in_tuple", (s, s))
    t = (1, "t")
    add("shared_tuple_twice", [t, t, [t]])
    b = bytes([1, 2, 3])
    add("shared_bytes_twice", [b, b])

    # -- deep nesting -------------------------------------------------------
    add("list_deep100", nested_list(100))
    add("tuple_deep100", nested_tuple(100))
    add("dict_deep100", nested_dict(100))

    # -- records ------------------------------------------------------------
    add("records_200", [
        {"id": i, "name": f"user{i}", "score": i * 0.5,
         "tags": ["a", "b"] if i % 2 else []}
        for i in range(200)
    ])

    # -- mixed --------------------------------------------------------------
    servers = [
        {"host": "a.example.com", "port": 8080, "weight": 1.0,
         "tags": ["primary"], "backup": None},
        {"host": "b.example.com", "port": 8081, "weight": 0.25,
         "tags": [], "backup": ("c.example.com", 9090)},
    ]
    add("mixed_config", {
        "name": "service-\u00e9\u65e5\U0001f680",
        "version": (1, 2, 3),
        "enabled": True,
        "debug": False,
        "owner": None,
        "limits": {"max_conn": 1000, "timeout_s": 2.5, "ratio": 1 / 3,
                   "big": 2**100, "neg": -12345678901234567890,
                   "bad": float("nan"), "ceiling": float("inf")},
        "point": complex(1.5, -0.5),
        "secret": b"\x00\x01key\xff",
        "buffer": bytearray(b"buf\x00"),
        "roles": {"read", "write", "admin"},  # order survives reload
        "ports": frozenset({80, 443}),
        "servers": servers,
        "primary": servers[0],
        "matrix": [[1, 2], [3, 4], []],
        "empty": {"list": [], "tuple": (), "dict": {}, "set": set(),
                  "str": "", "bytes": b""},
        "placeholder": ...,
    })
    return vals


# ---------------------------------------------------------------------------
# Hand-assembled pickles.
# ---------------------------------------------------------------------------

def u8(n):
    return struct.pack("<B", n)


def u16(n):
    return struct.pack("<H", n)


def i32(n):
    return struct.pack("<i", n)


def u32(n):
    return struct.pack("<I", n)


def u64(n):
    return struct.pack("<Q", n)


def f64(x):
    return struct.pack(">d", x)  # BINFLOAT is big-endian


def short_binstring(b):         # U: py2 str, 1-byte length
    return b"U" + u8(len(b)) + b


def binstring(b):               # T: py2 str, 4-byte length
    return b"T" + i32(len(b)) + b


def binunicode(s):              # X: utf-8, 4-byte length
    e = s.encode("utf-8")
    return b"X" + u32(len(e)) + e


def short_binunicode(s):        # \x8c: utf-8, 1-byte length
    e = s.encode("utf-8")
    return b"\x8c" + u8(len(e)) + e


def frame(body):                # \x95: FRAME with 8-byte length
    return b"\x95" + u64(len(body)) + body


def py2_pickles():
    """(file name, bytes) pairs shaped like Python 2 pickle output."""
    p = []

    # STRING (protocol 0): Python 2 wrote repr(str), quoted and escaped.
    p.append(("py2_str_abc.p0.pkl", b"S'abc'\np0\n."))
    # single-quoted, escaped quote, \n \x00 \t \\ \r escapes
    p.append(("py2_str_escapes.p0.pkl",
              b"S'a\\nb\\x00\\'c\\td\\\\e\\rf'\np0\n."))
    # what Python 2's repr really produces for a str containing ' only
    p.append(("py2_str_dquote.p0.pkl", b"S\"it's\"\np0\n."))
    # non-ASCII byte, escaped as Python 2's repr does
    p.append(("py2_str_e9.p0.pkl", b"S'caf\\xe9'\np0\n."))
    # a list of py2 strs, protocol 0 shape
    p.append(("py2_str_list.p0.pkl",
              b"(lp0\nS'one'\np1\naS''\np2\nag1\na."))

    # SHORT_BINSTRING / BINSTRING (protocols 1 and 2)
    p.append(("py2_short_binstring.p1.pkl",
              short_binstring(b"abc") + b"q\x00."))
    p.append(("py2_short_binstring_e9.p2.pkl",
              b"\x80\x02" + short_binstring(b"caf\xe9") + b"q\x00."))
    p.append(("py2_short_binstring_utf8.p1.pkl",
              short_binstring("caf\u00e9".encode("utf-8")) + b"q\x00."))
    p.append(("py2_binstring.p1.pkl",
              binstring(b"ab" * 150) + b"q\x00."))
    p.append(("py2_binstring_all256.p2.pkl",
              b"\x80\x02" + binstring(bytes(range(256))) + b"q\x00."))

    # UNICODE (protocol 0): raw-unicode-escape; Python 2.7 also replaced
    # backslash and newline with \u005c and \u000a.  Latin-1 range chars are
    # written as raw bytes.
    p.append(("py2_unicode.p0.pkl",
              b"Vcaf\xe9 \\u65e5\\u672c back\\u005cslash nl\\u000a end\np0\n."))

    # set([1, 2, 3]) at protocol 2: __builtin__.set REDUCE of a list
    p.append(("py2_set_reduce.p2.pkl",
              b"\x80\x02c__builtin__\nset\nq\x00]q\x01(K\x01K\x02K\x03e"
              b"\x85q\x02Rq\x03."))
    # (True, False) at protocol 0
    p.append(("py2_bool_pair.p0.pkl", b"(I01\nI00\ntp0\n."))
    # long at protocol 0
    p.append(("py2_long.p0.pkl", b"L123L\n."))
    p.append(("py2_long_tuple.p0.pkl",
              b"(L0L\nL-123456789012345678901234567890L\n"
              b"L18446744073709551616L\ntp0\n."))
    # misc protocol 0 scalars: INT, FLOAT (old 17-digit repr), NONE
    p.append(("py2_scalars.p0.pkl",
              b"(I42\nI-7\nF0.10000000000000001\nF1.5\nNtp0\n."))
    # protocol 0 dict with str keys
    p.append(("py2_dict.p0.pkl",
              b"(dp0\nS'a'\np1\nI1\nsS'b'\np2\n(lp3\nI2\naF2.5\nas"
              b"S'c'\np4\nNs."))
    # protocol 2 dict with py2 str keys (and a py2 str value, BINFLOAT)
    p.append(("py2_dict_str_keys.p2.pkl",
              b"\x80\x02}q\x00(" +
              short_binstring(b"name") + b"q\x01" +
              short_binstring(b"bob") + b"q\x02" +
              short_binstring(b"age") + b"q\x03" + b"K*" +
              short_binstring(b"score") + b"q\x04" + b"G" + f64(3.5) +
              b"u."))
    # protocol 2 dict whose py2 str key has a non-ASCII byte
    p.append(("py2_dict_e9_key.p2.pkl",
              b"\x80\x02}q\x00" + short_binstring(b"caf\xe9") +
              b"q\x01K\x01s."))
    return p


def op_pickles():
    """(file name, bytes) pairs using rarely emitted opcodes."""
    p = []
    # DUP ('2'): the list is pushed, duplicated, filled, then both go in a
    # tuple -> ([1], [1]) sharing one list.
    p.append(("op_dup.pkl", b"\x80\x02]2K\x01a\x86."))
    # POP ('0')
    p.append(("op_pop.pkl", b"\x80\x02K\x01K\x020."))
    # POP_MARK ('1'): discards everything back to the mark
    p.append(("op_pop_mark.pkl", b"\x80\x02K\x07(K\x01K\x02K\x031."))
    # text PUT / GET
    p.append(("op_put_get.pkl", b"(lp0\nVab\np1\nag1\na(tp2\nag2\na."))
    # LONG_BINPUT / LONG_BINGET with an index that needs more than 2 bytes
    p.append(("op_long_binput_get.pkl",
              b"\x80\x02" + binunicode("hi") + b"r" + u32(70000) +
              b"j" + u32(70000) + b"\x86."))
    # LIST ('l') with items, then APPEND
    p.append(("op_list_append.pkl", b"(I1\nI2\nlI3\na(laI4\na."))
    # DICT ('d') with items, then SETITEM
    p.append(("op_dict_setitem.pkl",
              b"(Va\nI1\ndVb\nI2\nsVc\n(dp0\nsVd\ng0\ns."))
    # MARK ... TUPLE, including an empty one
    p.append(("op_tuple_mark.pkl",
              b"((t(I1\nI2\nI3\nI4\nI5\ntt."))
    # BININT / BININT1 / BININT2 in all their ranges
    p.append(("op_binint_forms.pkl",
              b"\x80\x02(" +
              b"J" + i32(-1) + b"J" + i32(-2**31) + b"J" + i32(2**31 - 1) +
              b"J" + i32(0) + b"J" + i32(65536) +
              b"K\x00K\xff" + b"M" + u16(0) + b"M" + u16(256) +
              b"M" + u16(65535) + b"t."))
    # LONG4 (and a zero-length LONG1)
    p.append(("op_long4.pkl",
              b"\x80\x02(" +
              b"\x8b" + u32(9) + (2**64).to_bytes(9, "little", signed=True) +
              b"\x8b" + u32(0) +
              b"\x8b" + u32(1) + b"\xff" +
              b"\x8b" + u32(3) + (-(2**23)).to_bytes(3, "little", signed=True) +
              b"\x8a\x00" + b"t."))
    # BINUNICODE8
    s = "h\u00e9llo \U0001f600 \u65e5"
    p.append(("op_binunicode8.pkl",
              b"\x80\x04\x8d" + u64(len(s.encode("utf-8"))) +
              s.encode("utf-8") + b"."))
    # BINBYTES8
    bb = b"\x00\x01binary'\"\\\xff"
    p.append(("op_binbytes8.pkl", b"\x80\x04\x8e" + u64(len(bb)) + bb + b"."))
    # BYTEARRAY8
    ba = b"bytearray8\x00\xff"
    p.append(("op_bytearray8.pkl", b"\x80\x05\x96" + u64(len(ba)) + ba + b"."))
    # FROZENSET opcode, non-empty and empty
    p.append(("op_frozenset_opcode.pkl",
              b"\x80\x04(K\x01K\x02K\x03\x91(\x91\x86."))
    # FLOAT text forms
    p.append(("op_float_text.pkl",
              b"(F1.5\nF-0.0\nF1e+300\nF0.10000000000000001\nF3\n"
              b"Fnan\nFinf\nF-inf\nF1e-310\nt."))
    # UNICODE with raw-unicode-escape \u and \U escapes
    p.append(("op_unicode_text.pkl",
              b"Vcaf\\u00e9 \\U0001f600 \\u65e5 end\n."))
    # explicit FRAMEs: three frames, opcodes never straddle a frame
    p.append(("op_frame_p4.pkl",
              b"\x80\x04" +
              frame(b"]\x94(K\x01K\x02e") +
              frame(b"h\x00" + short_binunicode("x") + b"\x94\x87\x94") +
              frame(b".")))
    # EMPTY_SET then several ADDITEMS (one of them empty)
    p.append(("op_empty_set_additems.pkl",
              b"\x80\x04\x8f(K\x01K\x02\x90(\x90(K\x03\x90."))
    # STACK_GLOBAL builtins.set, REDUCE with ([1, 2, 3],)
    p.append(("op_stack_global.pkl",
              b"\x80\x04" + short_binunicode("builtins") +
              short_binunicode("set") + b"\x93](K\x01K\x02K\x03e\x85R."))
    # _codecs.encode('\xe9', 'latin1') -> b'\xe9'
    p.append(("op_codecs_encode.pkl",
              b"\x80\x02c_codecs\nencode\n" + binunicode("\u00e9") +
              binunicode("latin1") + b"\x86R."))
    # builtins.bytes() -> b''
    p.append(("op_bytes_empty_reduce.pkl", b"\x80\x02cbuiltins\nbytes\n)R."))
    # the protocol 2 bytearray form: bytearray(_codecs.encode(s, 'latin1'))
    p.append(("op_bytearray_reduce.pkl",
              b"\x80\x02c__builtin__\nbytearray\nc_codecs\nencode\n" +
              binunicode("a\u00e9\u00ff") + binunicode("latin1") +
              b"\x86R\x85R."))
    # builtins.complex(1.0, 2.0)
    p.append(("op_complex_reduce.pkl",
              b"\x80\x02cbuiltins\ncomplex\nG" + f64(1.0) + b"G" + f64(2.0) +
              b"\x86R."))
    return p


# ---------------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------------

def check_set_order(orig, loaded, where):
    """Walk the original and the loaded value in parallel and complain when a
    set's iteration order changed across the round trip (the Rust side
    relies on the pickle's element order being the repr order)."""
    problems = []
    stack = [(orig, loaded, where)]
    seen = set()
    while stack:
        a, b, path = stack.pop()
        if id(a) in seen:
            continue
        seen.add(id(a))
        if isinstance(a, (set, frozenset)):
            if [repr(e) for e in a] != [repr(e) for e in b]:
                problems.append(path)
            for i, (ea, eb) in enumerate(zip(list(a), list(b))):
                stack.append((ea, eb, "%s{%d}" % (path, i)))
        elif isinstance(a, (list, tuple)):
            for i, (ea, eb) in enumerate(zip(a, b)):
                stack.append((ea, eb, "%s[%d]" % (path, i)))
        elif isinstance(a, dict):
            for i, ((ka, va), (kb, vb)) in enumerate(zip(a.items(),
                                                          b.items())):
                stack.append((ka, kb, "%s<key %d>" % (path, i)))
                stack.append((va, vb, "%s[%r]" % (path, ka)))
    return problems


def _stringnl_latin1(f):
    """Stand-in for pickletools' STRING argument reader, which insists on
    ASCII after unescaping and so cannot show py2 strs like 'caf\\xe9'."""
    line = f.readline()
    if not line.endswith(b"\n"):
        raise ValueError("no newline found when trying to read stringnl")
    body = line[:-1]
    if len(body) < 2 or body[:1] not in (b"'", b'"') or body[-1:] != body[:1]:
        raise ValueError("STRING argument is not properly quoted: %r" % body)
    import codecs
    return codecs.escape_decode(body[1:-1])[0].decode("latin-1")


def disassemble(data, name):
    out = io.StringIO()
    try:
        pickletools.dis(data, out=out)
        return
    except UnicodeDecodeError:
        if not name.startswith("py2_"):
            raise
    # retry with a STRING reader that tolerates non-ASCII bytes
    arg = pickletools.stringnl
    saved = arg.reader
    arg.reader = _stringnl_latin1
    try:
        pickletools.dis(data, out=io.StringIO())
    finally:
        arg.reader = saved


def load(data, encoding):
    if encoding == "ASCII":
        return pickle.loads(data)
    return pickle.loads(data, encoding=encoding)


def clean_repr(r, name):
    assert "\n" not in r and "\r" not in r, name
    assert "\t" not in r, name
    return r


# ---------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------

def main():
    os.makedirs(DATA, exist_ok=True)
    files = {}          # file name -> bytes
    manifest = []       # (file, encoding, repr)
    errors = []         # (file, encoding, exception class)
    set_problems = []

    names = set()
    for name, value in plain_values():
        assert name not in names, name
        names.add(name)
        for proto in PROTOCOLS:
            fname = "%s.p%d.pkl" % (name, proto)
            files[fname] = pickle.dumps(value, protocol=proto)

    # hand-written pickles: (file name, bytes, encodings to try)
    hand = [(f, b, PY2_ENCODINGS) for f, b in py2_pickles()]
    hand += [(f, b, ("ASCII",)) for f, b in op_pickles()]
    hand_encodings = {}
    for fname, data, encs in hand:
        assert fname not in files, fname
        files[fname] = data
        hand_encodings[fname] = encs

    # The protocol 2 bytearray form used in op_bytearray_reduce must match
    # what CPython itself writes (modulo memo PUTs).
    ref = pickletools.optimize(pickle.dumps(bytearray(b"a\xe9\xff"), 2))
    assert ref == files["op_bytearray_reduce.pkl"], ref

    # remove stale outputs, then write
    for old in os.listdir(DATA):
        if old.endswith(".pkl") or old.endswith(".tsv"):
            if old not in files:
                os.remove(os.path.join(DATA, old))
    for fname in sorted(files):
        with open(os.path.join(DATA, fname), "wb") as fh:
            fh.write(files[fname])

    # load back what was written
    originals = dict(plain_values())
    for fname in sorted(files):
        with open(os.path.join(DATA, fname), "rb") as fh:
            data = fh.read()
        disassemble(data, fname)
        encs = hand_encodings.get(fname, ("ASCII",))
        for enc in encs:
            try:
                obj = load(data, enc)
            except Exception as e:
                if fname not in hand_encodings:
                    raise
                errors.append((fname, enc, type(e).__name__))
                continue
            manifest.append((fname, enc, clean_repr(repr(obj), fname)))
            if fname not in hand_encodings:
                base = fname.rsplit(".", 2)[0]
                set_problems += check_set_order(originals[base], obj, fname)
        if fname in hand_encodings:
            assert any(m[0] == fname for m in manifest), \
                "%s loads under no encoding" % fname

    if set_problems:
        raise SystemExit("set order not preserved: %s" % set_problems)

    manifest.sort()
    errors.sort()
    with open(os.path.join(DATA, "manifest.tsv"), "w", encoding="utf-8",
              newline="\n") as fh:
        for row in manifest:
            fh.write("\t".join(row) + "\n")
    with open(os.path.join(DATA, "errors.tsv"), "w", encoding="utf-8",
              newline="\n") as fh:
        for row in errors:
            fh.write("\t".join(row) + "\n")

    total = sum(len(b) for b in files.values())
    print("wrote %d pickles (%d bytes), %d manifest lines, %d error lines"
          % (len(files), total, len(manifest), len(errors)), file=sys.stderr)


if __name__ == "__main__":
    main()
