#!/usr/bin/env python3
"""CPython as the oracle for pypickle's class-registry tests.

    python3 class_oracle.py loads   < lines of hex pickles   -> one repr per line
    python3 class_oracle.py dumps   < lines "PROTO<TAB>EXPR" -> one hex pickle per line

EXPR is evaluated with the classes of classes/pypickle_classes.py in scope (as ``C``).
An error is printed as ``ERR <exception class>: <message>`` on its line.
"""

import os
import pickle
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "classes"))
import pypickle_classes as C  # noqa: E402


def main():
    mode = sys.argv[1]
    for line in sys.stdin:
        line = line.rstrip("\n")
        if not line:
            continue
        try:
            if mode == "loads":
                out = repr(pickle.loads(bytes.fromhex(line)))
            else:
                proto, expr = line.split("\t", 1)
                out = pickle.dumps(eval(expr, {"C": C}), protocol=int(proto)).hex()
        except Exception as e:  # report, do not stop: one line per input
            out = f"ERR {type(e).__name__}: {e}".replace("\n", " ")
        print(out, flush=True)


if __name__ == "__main__":
    main()
