#!/usr/bin/env python3
"""What CPython 3.14's pickletools prints for pypickle's fixtures (tests/dis.rs).

    python3.14 python_fixtures/dis314.py > python_fixtures/py314/dis.tsv

For every ``.pkl`` file under python_fixtures/ and for a few crafted pickles that meet what
3.14 changed (UTF-8 global names, Latin-1 Python 2 strings printed with ``ascii()``, a memo
key stored twice, a missing MARK), one line: ``<name>\\t<hex or ->\\t<verdict>\\t<hash>\\t<len>``.
``<name>`` is the file's path under python_fixtures/ (``-`` for the bytes: the test reads the
file) or ``crafted:N`` with the pickle's hex; ``<verdict>`` is ``ok`` or ``error:`` and the
exception's class and message; ``<hash>`` is the 64-bit FNV-1a of the UTF-8 text
``pickletools.dis`` printed (up to the exception), and ``<len>`` its length in bytes. A hash
keeps the committed file small; run this script under 3.14 to see a text.

CI has no 3.14: the committed file comes from CPython 3.14.2 as pyodide 314.0.7 builds it,
run under node with python_fixtures/ mounted at its own path.
"""

import io
import os
import pickletools
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

CRAFTED = [
    b"S'\\xe9t\\xc3\\xa9'\n.",          # STRING: Latin-1 in 3.14, ASCII (an error) before
    b"S'plain'\np0\n.",
    b"U\x01\xe9.",                       # SHORT_BINSTRING
    b"T\x04\x00\x00\x00\x80\xa0\xff\x41.",  # BINSTRING: escaped by repr() and by ascii()
    b"c\xc3\xa9\nn\xc3\xa9\n.",          # GLOBAL with UTF-8 names
    b"c\xe9\nx\n.",                      # not UTF-8
    b"c\xed\xa0\x80\nx\n.",              # a surrogate: not strict UTF-8
    b"c\\x41\nb\\n\n.",                  # escapes in a GLOBAL line
    b"(i\xc3\xa9\nC\n.",                 # INST
    b"P\xc3\xa9\n.",                     # PERSID
    b"K\x01p0\np0\n.",                   # PUT twice
    b"K\x01q\x00q\x00.",                 # BINPUT twice
    b"]K\x01e.",                         # APPENDS without a MARK
    b"K\x01\x94K\x02q\x00\x94.",         # MEMOIZE onto a key a PUT took
    b"S'abc\n.",                         # a quote at one end: "string quote", not "strinq"
    b"c\xed\xa0\x80\xff\nx\n.",           # a surrogate, then a byte no UTF-8 starts with
    b"c\xc3\xed\xa0\x80\nx\n.",           # a sequence cut short by a surrogate's first byte
]


def fnv1a64(data):
    h = 0xCBF29CE484222325
    for b in data:
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return "%016x" % h


def disassemble(data):
    out = io.StringIO()
    try:
        pickletools.dis(io.BytesIO(data), out, None, 4, 0)
        verdict = "ok"
    except Exception as e:  # noqa: BLE001 - any exception is the verdict
        verdict = "error:%s: %s" % (type(e).__name__, e)
    text = out.getvalue().encode("utf-8", "surrogatepass")
    return verdict.replace("\t", " ").replace("\n", " "), fnv1a64(text), len(text)


def main():
    cases = []
    for dirpath, dirnames, filenames in os.walk(HERE):
        dirnames.sort()
        for name in sorted(filenames):
            if name.endswith(".pkl"):
                path = os.path.join(dirpath, name)
                with open(path, "rb") as f:
                    cases.append((os.path.relpath(path, HERE), "-", f.read()))
    for i, data in enumerate(CRAFTED):
        cases.append(("crafted:%d" % i, data.hex(), data))
    lines = ["# %s" % sys.version.replace("\n", " ")]
    for name, shown, data in cases:
        verdict, digest, length = disassemble(data)
        lines.append("\t".join([name, shown, verdict, digest, str(length)]))
    sys.stdout.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
