#!/usr/bin/env python3
"""Generate the hostile pickles of pypickle's hostile suite (tests/hostile.rs, tests/scan.rs).

    python3 python_fixtures/hostile.py

Each pickle is what CPython's own ``pickle.dumps`` writes for an object whose ``__reduce__``
asks the unpickler to call something dangerous (``os.system``, ``eval``, ``subprocess.Popen``,
...), at every protocol. They are only ever written here, never loaded: loading one in Python
would run its command. pypickle must refuse every one of them by default, and ``pypickle::scan``
must report the dangerous global.

Writes python_fixtures/hostile/<case>.p<proto>.pkl and index.tsv, one line per file:

    <file> \t <opcode> \t <offset> \t <module> \t <name>

where <opcode> and <offset> are those of the first opcode that names the dangerous global (found
with pickletools.genops, which only parses), and <module>.<name> is the global under its Python 3
name (the name the reader refuses); for EXT opcodes <module> is ``ext`` and <name> the code.
"""

import collections
import copyreg
import os
import pickle
import pickletools
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "hostile")


class Reduce:
    """An object that pickles as ``func(*args)``."""

    def __init__(self, func, args):
        self.func, self.args = func, args

    def __reduce__(self):
        return (self.func, self.args)


def system():
    return Reduce(os.system, ("echo pwned",))


CASES = {
    # os.system is posix.system on Linux: CPython writes the module it lives in.
    "system": (system, ("posix", "system")),
    "eval": (lambda: Reduce(eval, ("__import__('os').system('echo pwned')",)), ("builtins", "eval")),
    "exec": (lambda: Reduce(exec, ("import os; os.system('echo pwned')",)), ("builtins", "exec")),
    "import": (lambda: Reduce(__import__, ("os",)), ("builtins", "__import__")),
    # Written as commands.Popen at protocols 0-2 (Python 2's name), subprocess.Popen above.
    "popen": (lambda: Reduce(subprocess.Popen, (["echo", "pwned"],)), ("subprocess", "Popen")),
    # A model-like dict with the call deep inside a list of dicts.
    "model": (
        lambda: {
            "model": "mlp",
            "epochs": 3,
            "layers": [
                {"units": 64, "weights": [0.5, -0.25], "bias": None},
                {"units": 10, "weights": [1.0], "init": {"seed": 7, "hook": system()}},
            ],
            "tags": ["a", "b"],
        },
        ("posix", "system"),
    ),
    # getattr(OrderedDict, '__init__'): the reader sees the global OrderedDict.__init__.
    "getattr": (
        lambda: Reduce(getattr, (collections.OrderedDict, "__init__")),
        ("collections", "OrderedDict.__init__"),
    ),
}

EXT_CODES = {"ext1": 0xF0, "ext2": 0x1234, "ext4": 0x12345678}


def first(data, names):
    """(opcode name, offset) of the first opcode among names."""
    for op, _arg, pos in pickletools.genops(data):
        if op.name in names:
            return op.name, pos
    raise AssertionError(names)


def main():
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        os.remove(os.path.join(OUT, f))
    index = []
    for case, (make, (module, name)) in CASES.items():
        for proto in range(6):
            data = pickle.dumps(make(), protocol=proto)
            ops = {"REDUCE"} if case == "getattr" else {"GLOBAL", "STACK_GLOBAL"}
            op, pos = first(data, ops)
            fname = f"{case}.p{proto}.pkl"
            with open(os.path.join(OUT, fname), "wb") as f:
                f.write(data)
            index.append((fname, op, pos, module, name))
    for case, code in EXT_CODES.items():
        copyreg.add_extension("posix", "system", code)
        try:
            for proto in range(2, 6):
                data = pickle.dumps(system(), protocol=proto)
                op, pos = first(data, {"EXT1", "EXT2", "EXT4"})
                fname = f"{case}.p{proto}.pkl"
                with open(os.path.join(OUT, fname), "wb") as f:
                    f.write(data)
                index.append((fname, op, pos, "ext", str(code)))
        finally:
            copyreg.remove_extension("posix", "system", code)
    with open(os.path.join(OUT, "index.tsv"), "w") as f:
        for row in index:
            f.write("\t".join(map(str, row)) + "\n")


if __name__ == "__main__":
    main()
