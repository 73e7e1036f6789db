#!/usr/bin/env python3
"""Write the class fixtures: instances of classes/pypickle_classes.py pickled by CPython.

    python3 python_fixtures/classes.py

Rewrites python_fixtures/classes/data/: ``<name>.p<proto>.pkl`` for every case below and every
protocol CPython can pickle it with, and ``manifest.tsv`` (``<file>\\t<repr>``, the repr of
the object CPython pickled). tests/class_fixtures.rs reads them.
"""

import os
import pickle
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "classes"))
import pypickle_classes as C  # noqa: E402

P = C.Point(1, -2)

# name, object, lowest protocol CPython can pickle it with
CASES = [
    ("point", C.Point(1, -2), 0),
    ("person", C.Person("Ann", 7, ["a", "b"], C.Point(1, -2)), 0),
    ("person_none", C.Person("Bo", 0, []), 0),
    ("frozen", C.Frozen("k", 0.5), 0),
    ("slotted", C.Slotted(3, "x"), 2),
    ("pair", C.Pair(4, "y"), 0),
    ("reduced", C.Reduced(5, "r"), 0),
    ("versioned", C.Versioned(2, "p"), 0),
    ("color", C.Color.GREEN, 0),
    ("mood", C.Mood.SAD, 0),
    ("circle", C.Circle(1.5), 0),
    ("inner", C.Outer.Inner(9), 0),
    ("drawing", C.Drawing("d", [C.Square(2.0), C.Circle(1.0)], C.Point(1, -2)), 0),
    ("bag", C.bag("L", x=1, y=2), 0),
    ("stack", C.stack("S", 1, 2, 3), 0),
    # Keyword-only constructor arguments: NEWOBJ_EX at protocols 4-5, and at protocols 2-3
    # functools.partial(cls.__new__, cls, *args, **kwargs) called with no arguments.
    ("kwonly", C.KwOnly(1, b=2), 0),
    ("shared", [P, P, {"again": P}], 0),
]


def main():
    out = os.path.join(HERE, "classes", "data")
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    lines = []
    for name, obj, lowest in CASES:
        for proto in range(lowest, pickle.HIGHEST_PROTOCOL + 1):
            fname = f"{name}.p{proto}.pkl"
            data = pickle.dumps(obj, protocol=proto)
            assert repr(pickle.loads(data)) == repr(obj)
            with open(os.path.join(out, fname), "wb") as f:
                f.write(data)
            lines.append(f"{fname}\t{obj!r}\n")
    with open(os.path.join(out, "manifest.tsv"), "w") as f:
        f.writelines(lines)


if __name__ == "__main__":
    main()
