#!/usr/bin/env python3
"""Extract CPython's unpickling conformance vectors into data files.

The unpickling tests of ``test.pickletester.AbstractUnpickleTests`` (shipped
with the interpreter's standard library) are executed against a recording
harness.  Every byte string a test hands to ``loads`` or to
``check_unpickling_error`` is captured, loaded once more with the real
``pickle.loads`` to obtain CPython's verdict, and written out as

    python_fixtures/cpython_vectors/NNNN.pkl      raw pickle bytes
    python_fixtures/cpython_vectors/index.tsv     one line per vector
    python_fixtures/cpython_vectors/README.md     description

Usage:  python3 python_fixtures/cpython_vectors.py

Requires python3 >= 3.8 and its ``test`` package; uses the stdlib only.
Output is deterministic for a given interpreter (the script re-executes
itself with PYTHONHASHSEED=0 so set reprs are stable).
"""

import os
import sys

if os.environ.get("PYTHONHASHSEED") != "0":
    _env = dict(os.environ, PYTHONHASHSEED="0")
    os.execve(sys.executable,
              [sys.executable, os.path.abspath(__file__)] + sys.argv[1:],
              _env)

import collections
import io
import pickle
import pickletools
import re
import struct
import unittest
import warnings

if hasattr(sys, "set_int_max_str_digits"):
    sys.set_int_max_str_digits(0)

try:
    import test.pickletester as pickletester
except ImportError as exc:  # pragma: no cover - depends on the install
    sys.exit("cannot import test.pickletester (is the python3 'test' "
             "package installed?): %s" % exc)

HERE = os.path.dirname(os.path.abspath(__file__))
OUT_DIR = os.path.join(HERE, "cpython_vectors")
MAX_VECTOR_SIZE = 200 * 1024
DEFAULT_ENCODING = "ASCII"

# Tests that cannot be run meaningfully by the harness, with the reason.
SKIP = {
    "test_unpickle_module_race":
        "calls pickle.loads directly from threads (not self.loads) after "
        "writing temporary modules into the working directory; nothing to "
        "record",
}

# Tests skipped by CPython itself on this platform (e.g. @requires_32b) are
# left skipped: the sizes they declare (2**31 .. 2**32+4 bytes) make the
# 64-bit verdict depend on how much memory the machine will hand out
# (MemoryError vs "truncated"), which is no good for a fixture.

# Exact types treated as plain data when classifying a loaded object.
PLAIN_TYPES = frozenset([
    list, tuple, dict, set, frozenset, str, bytes, bytearray, int, float,
    complex, bool, type(None), type(Ellipsis),
])

STRING_PUSH_OPS = frozenset([
    "STRING", "BINSTRING", "SHORT_BINSTRING", "UNICODE", "SHORT_BINUNICODE",
    "BINUNICODE", "BINUNICODE8",
])
GET_OPS = frozenset(["GET", "BINGET", "LONG_BINGET"])
PUT_OPS = frozenset(["PUT", "BINPUT", "LONG_BINPUT"])

# ---------------------------------------------------------------------------
# Recording harness
# ---------------------------------------------------------------------------

# Each entry: (test name, sequence number within the test, data bytes,
#              kwargs tuple, how it was recorded: "loads" | "error-check")
RECORDS = []


class RecordingUnpickleTests(pickletester.AbstractUnpickleTests,
                             unittest.TestCase):
    # Same expectations as CPython's own in-memory (C unpickler) tests.
    bad_stack_errors = (pickle.UnpicklingError, IndexError)
    truncated_errors = (pickle.UnpicklingError, EOFError, AttributeError,
                        ValueError, struct.error, IndexError,
                        ImportError)

    _suppress = 0

    def _record(self, data, kwds, how):
        name = self._testMethodName
        seq = sum(1 for r in RECORDS if r[0] == name)
        RECORDS.append((name, seq, bytes(data), tuple(sorted(kwds.items())),
                        how))

    def loads(self, data, *args, **kwds):
        if args:
            raise TypeError("harness loads() got positional extras %r"
                            % (args,))
        if not self._suppress:
            self._record(data, kwds, "loads")
        return pickle.loads(data, **kwds)

    def check_unpickling_error(self, errors, data, *args, **kwds):
        self._record(data, {}, "error-check")
        self._suppress += 1
        try:
            return super().check_unpickling_error(errors, data, *args, **kwds)
        finally:
            self._suppress -= 1


def _make_skip(reason):
    @unittest.skip(reason)
    def skipped(self):
        pass
    return skipped


for _name, _reason in SKIP.items():
    if hasattr(pickletester.AbstractUnpickleTests, _name):
        setattr(RecordingUnpickleTests, _name, _make_skip(_reason))


class CollectingResult(unittest.TestResult):
    def __init__(self):
        super().__init__()
        self.outcome = collections.OrderedDict()

    def _note(self, test, status, detail=""):
        name = test._testMethodName
        prev = self.outcome.get(name)
        if prev is None or prev[0] == "pass":
            self.outcome[name] = (status, detail)

    def startTest(self, test):
        super().startTest(test)
        self._note(test, "pass")

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self._note(test, "skipped", reason)

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._note(test, "failed", _summarise(err))

    def addError(self, test, err):
        super().addError(test, err)
        self._note(test, "error", _summarise(err))

    def addSubTest(self, test, subtest, err):
        super().addSubTest(test, subtest, err)
        if err is not None:
            status = ("failed" if issubclass(err[0], test.failureException)
                      else "error")
            self._note(subtest.test_case, status, _summarise(err))


def _summarise(err):
    etype, value, _tb = err
    text = "%s: %s" % (etype.__name__, value)
    text = " ".join(text.split())
    return text[:200]


def run_harness():
    loader = unittest.TestLoader()
    names = sorted(loader.getTestCaseNames(RecordingUnpickleTests))
    suite = unittest.TestSuite(RecordingUnpickleTests(n) for n in names)
    result = CollectingResult()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        suite.run(result)
    return names, result.outcome


# ---------------------------------------------------------------------------
# Analysis of one vector
# ---------------------------------------------------------------------------

def contains_objects(root):
    """True if any reachable object is not an exact plain builtin type."""
    seen = set()
    stack = [root]
    while stack:
        obj = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        t = type(obj)
        if t not in PLAIN_TYPES:
            return True
        if t is dict:
            for k, v in obj.items():
                stack.append(k)
                stack.append(v)
        elif t in (list, tuple, set, frozenset):
            stack.extend(obj)
    return False


def referenced_globals(data):
    """Globals named by GLOBAL / INST / STACK_GLOBAL, best effort.

    genops stops at the first malformed opcode; whatever was decoded up to
    that point is still reported.
    """
    found = set()
    memo = {}
    recent = []          # last values pushed: a str or None (not a string)
    try:
        for op, arg, _pos in pickletools.genops(data):
            name = op.name
            if name in ("GLOBAL", "INST"):
                module, _, qual = arg.partition(" ")
                found.add("%s.%s" % (module, qual))
                recent.append(None)
            elif name == "STACK_GLOBAL":
                if (len(recent) >= 2 and isinstance(recent[-2], str)
                        and isinstance(recent[-1], str)):
                    found.add("%s.%s" % (recent[-2], recent[-1]))
                else:
                    found.add("?")
                recent.append(None)
            elif name in STRING_PUSH_OPS:
                recent.append(arg if isinstance(arg, str) else
                              arg.decode("latin-1"))
            elif name == "MEMOIZE":
                memo[len(memo)] = recent[-1] if recent else None
            elif name in PUT_OPS:
                memo[arg] = recent[-1] if recent else None
            elif name in GET_OPS:
                recent.append(memo.get(arg))
            elif name in ("FRAME", "PROTO"):
                pass
            else:
                recent.append(None)
    except Exception:
        pass
    return sorted(found)


def verdict(loads, data, kwds):
    try:
        obj = loads(data, **kwds)
    except Exception as exc:
        return ("error", type(exc).__name__, None)
    return ("ok", repr(obj), obj)


ADDR_RE = re.compile(r"0x[0-9a-f]+")


def analyse(data, kwds):
    status, text, obj = verdict(pickle.loads, data, kwds)
    py_status, py_text, _ = verdict(pickle._loads, data, kwds)
    kind = "-"
    if status == "ok":
        kind = "objects" if contains_objects(obj) else "plain"
        if kind == "objects":
            text = ADDR_RE.sub("0x?", text)
        if py_status == "ok" and kind == "objects":
            py_text = ADDR_RE.sub("0x?", py_text)
    assert "\n" not in text and "\r" not in text, text
    assert "\t" not in text, text
    return {
        "status": status,
        "kind": kind,
        "text": text,
        "globals": referenced_globals(data),
        "py": (py_status, py_text),
    }


# ---------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------

README = """\
# CPython unpickling conformance vectors

Generated data; do not edit by hand.  Regenerate with

    python3 python_fixtures/cpython_vectors.py

The generator runs every `test_*` method of
`test.pickletester.AbstractUnpickleTests` from the interpreter's own
standard library against a harness that records each byte string the tests
pass to `loads(...)` or to `check_unpickling_error(...)`.  Each distinct
input (same bytes and same keyword arguments count once) was then loaded
again with that interpreter's `pickle.loads` to obtain the verdict stored
here.  These files were produced with CPython {version}.

Files:

* `NNNN.pkl` - one pickle per file, raw bytes exactly as the test used them.
* `index.tsv` - one tab-separated line per `.pkl` file, no header, sorted by
  file number.  Numbers follow (test method name, order of first use).

Columns of `index.tsv`:

1. file name (`NNNN.pkl`)
2. name of the first `AbstractUnpickleTests` method that used the vector
3. the `encoding=` argument given to `loads`, or `ASCII` (the default) when
   none was given
4. CPython's verdict: `ok` (loaded) or `error` (raised)
5. for `ok`: `plain` if the loaded value consists only of list, tuple,
   dict, set, frozenset, str, bytes, bytearray, int, float, complex, bool,
   None and Ellipsis (exact types, walked recursively); `objects` if any
   other object (class instance, function, type, range, exception, ...) is
   reachable.  `-` for `error`.
6. comma-separated globals (`module.name`) named by GLOBAL, INST and
   STACK_GLOBAL opcodes, as decoded by `pickletools.genops`; names are
   given as written in the pickle (before Python 2 name mapping).
   STACK_GLOBAL operands that are not plain string pushes (or memo fetches
   of them) are shown as `?`.  For `error` rows this is best effort, up to
   the first opcode genops cannot decode.  `-` when there are none.
7. for `ok`: `repr()` of the loaded value (in `objects` rows every
   `0x...` address is replaced by `0x?`); for `error`: the class name of
   the exception raised (e.g. `UnpicklingError`, `EOFError`).

`repr()` text is Python's, so for `objects` rows it is only a description;
`plain` rows can be compared against a structural rendering of the value.
Error class names are those of CPython's C unpickler; another
implementation need only agree that the input is rejected.
"""


def main():
    names, outcome = run_harness()

    # Deduplicate by (bytes, kwargs); first use in (test name, order).
    RECORDS.sort(key=lambda r: (r[0], r[1]))
    vectors = collections.OrderedDict()
    uses = collections.defaultdict(set)
    dropped = []
    for test, _seq, data, kwds, how in RECORDS:
        for key, _value in kwds:
            if key != "encoding":
                raise SystemExit("unexpected loads() keyword %r in %s"
                                 % (key, test))
        key = (data, kwds)
        uses[key].add(how)
        if key in vectors:
            continue
        if len(data) > MAX_VECTOR_SIZE:
            dropped.append((test, len(data)))
            vectors[key] = None
            continue
        vectors[key] = test

    os.makedirs(OUT_DIR, exist_ok=True)
    for fname in os.listdir(OUT_DIR):
        if re.fullmatch(r"\d{4}\.pkl", fname) or fname == "index.tsv":
            os.remove(os.path.join(OUT_DIR, fname))

    rows = []
    mismatches = []
    number = 0
    for (data, kwds), test in vectors.items():
        if test is None:
            continue
        number += 1
        fname = "%04d.pkl" % number
        kw = dict(kwds)
        info = analyse(data, kw)
        encoding = kw.get("encoding", DEFAULT_ENCODING)
        assert "\t" not in encoding and "\n" not in encoding
        glob = ",".join(info["globals"]) or "-"
        assert "\t" not in glob and "\n" not in glob
        with open(os.path.join(OUT_DIR, fname), "wb") as f:
            f.write(data)
        rows.append((fname, test, encoding, info["status"], info["kind"],
                     glob, info["text"]))
        expected = uses[(data, kwds)]
        if ("error-check" in expected) != (info["status"] == "error"):
            mismatches.append((fname, test, sorted(expected), info["status"]))
        if info["py"][0] != info["status"] or (
                info["status"] == "ok" and info["py"][1] != info["text"]):
            info_py = info["py"]
            mismatches.append((fname, test, "pure-Python pickle says",
                               "%s %s" % info_py))

    with open(os.path.join(OUT_DIR, "index.tsv"), "w", encoding="utf-8",
              newline="\n") as f:
        for row in rows:
            f.write("\t".join(row) + "\n")
    with open(os.path.join(OUT_DIR, "README.md"), "w", encoding="utf-8",
              newline="\n") as f:
        f.write(README.format(version=sys.version.split()[0]))

    # ------------------------------------------------------------------
    # Summary on stdout
    # ------------------------------------------------------------------
    print("python %s, pickletester %s" % (sys.version.split()[0],
                                           pickletester.__file__))
    print("%d test methods, %d recorded calls, %d vectors written to %s"
          % (len(names), len(RECORDS), len(rows), OUT_DIR))
    by_status = collections.Counter((r[3], r[4]) for r in rows)
    for k in sorted(by_status):
        print("  %-6s %-8s %d" % (k[0], k[1], by_status[k]))
    print("tests not passing under the harness:")
    for name in names:
        status, detail = outcome.get(name, ("not run", ""))
        if status != "pass":
            print("  %s: %s: %s" % (name, status, detail))
    calls = collections.Counter(r[0] for r in RECORDS)
    print("tests that recorded no input:")
    for name in names:
        if not calls[name]:
            print("  %s (%s)" % (name, outcome.get(name, ("?",))[0]))
    if dropped:
        print("vectors dropped for size (> %d bytes):" % MAX_VECTOR_SIZE)
        for test, size in dropped:
            print("  %s: %d bytes" % (test, size))
    if mismatches:
        print("verdict notes (expectation or C/Python disagreement):")
        for m in mismatches:
            print("  " + " | ".join(str(x) for x in m))


if __name__ == "__main__":
    main()
