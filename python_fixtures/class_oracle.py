#!/usr/bin/env python3
"""CPython as the oracle for pypickle's class-registry tests.

    python3 class_oracle.py loads   < lines of hex pickles   -> one repr per line
    python3 class_oracle.py dumps   < lines "PROTO<TAB>EXPR" -> one hex pickle per line
    python3 class_oracle.py loads-hooks / dumps-hooks: the same, with the hooks below
    python3 class_oracle.py loads-ext / dumps-ext: plain loads / dumps, with the extensions

The hooks: persistent ids (a Point is written as the persistent id ('point', x, y), or the
text 'point:x:y' at protocol 0; loading, an id becomes ('P', id)), and the extension codes of
EXTENSIONS, registered with copyreg.add_extension.

EXPR is evaluated with the classes of classes/pypickle_classes.py in scope (as ``C``).
An error is printed as ``ERR <exception class>: <message>`` on its line.
"""

import copyreg
import io
import os
import pickle
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "classes"))
import pypickle_classes as C  # noqa: E402


EXTENSIONS = [
    ("pypickle_classes", "Point", 240),
    ("pypickle_classes", "Frozen", 0x1234),
    ("pypickle_classes", "Pair", 0x123456),
]


class HookedPickler(pickle.Pickler):
    def persistent_id(self, obj):
        if type(obj) is C.Point:
            if self.proto == 0:
                return f"point:{obj.x}:{obj.y}"
            return ("point", obj.x, obj.y)
        return None


class HookedUnpickler(pickle.Unpickler):
    def persistent_load(self, pid):
        return ("P", pid)


def hooked_dumps(obj, protocol):
    f = io.BytesIO()
    p = HookedPickler(f, protocol=protocol)
    p.proto = protocol
    p.dump(obj)
    return f.getvalue()


def main():
    mode = sys.argv[1]
    if mode.endswith("-hooks") or mode.endswith("-ext"):
        for module, name, code in EXTENSIONS:
            copyreg.add_extension(module, name, code)
    for line in sys.stdin:
        line = line.rstrip("\n")
        if not line:
            continue
        try:
            if mode in ("loads", "loads-ext"):
                out = repr(pickle.loads(bytes.fromhex(line)))
            elif mode == "loads-hooks":
                out = repr(HookedUnpickler(io.BytesIO(bytes.fromhex(line))).load())
            elif mode in ("dumps", "dumps-ext"):
                proto, expr = line.split("\t", 1)
                out = pickle.dumps(eval(expr, {"C": C}), protocol=int(proto)).hex()
            else:
                proto, expr = line.split("\t", 1)
                out = hooked_dumps(eval(expr, {"C": C}), int(proto)).hex()
        except Exception as e:  # report, do not stop: one line per input
            out = f"ERR {type(e).__name__}: {e}".replace("\n", " ")
        print(out, flush=True)


if __name__ == "__main__":
    main()
