"""The oracle for tests/dis.rs: what pickletools says about many pickle files, in one run.

Reads lines `PICKLE_PATH<TAB>OURS_PATH` from stdin (OURS_PATH, pypickle's optimize() output for
that pickle, may be `-`). For each line it writes one record to stdout (UTF-8):

    \\0REC<TAB>path<TAB>dis<TAB>optimize<TAB>load<NEWLINE>
    ...the text `python -m pickletools PICKLE_PATH` prints (up to an exception, if any)...

`dis` is `ok` or `error:` and the exception; `optimize` is the hex of `pickletools.optimize`
of the file's bytes or `error:...`; `load` compares `pickle.load` of OURS_PATH with that of the
original: `equal`, `differ:...`, `ours-fails:...`, `orig-fails:...` or `-` (no OURS_PATH).
"""

import io
import os
import pickle
import pickletools
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "classes"))


def disassemble(path):
    """What `python -m pickletools path` prints, as its __main__ calls dis()."""
    out = io.StringIO()
    try:
        with open(path, "rb") as f:
            pickletools.dis(f, out, None, 4, 0)
        return "ok", out.getvalue()
    except Exception as e:  # noqa: BLE001 - any exception is the verdict
        return "error:" + type(e).__name__, out.getvalue()


def load(data):
    errors = []
    for enc in ("ASCII", "latin1", "bytes"):
        try:
            return enc, pickle.loads(data, encoding=enc)
        except Exception as e:  # noqa: BLE001
            errors.append(type(e).__name__)
    raise ValueError("/".join(errors))


def same(a, b):
    try:
        if bool(a == b):
            return True
    except Exception:  # noqa: BLE001 - numpy arrays and the like
        pass
    try:
        if repr(a) == repr(b):
            return True
    except Exception:  # noqa: BLE001
        pass
    try:
        return pickle.dumps(a, 4) == pickle.dumps(b, 4)
    except Exception:  # noqa: BLE001
        return False


def compare(orig, ours_path):
    if ours_path == "-":
        return "-"
    try:
        enc, a = load(orig)
    except Exception as e:  # noqa: BLE001
        return "orig-fails:" + str(e)
    with open(ours_path, "rb") as f:
        ours = f.read()
    try:
        b = pickle.loads(ours, encoding=enc)
    except Exception as e:  # noqa: BLE001
        return "ours-fails:" + type(e).__name__ + ": " + str(e)[:200]
    return "equal" if same(a, b) else "differ:" + repr(a)[:200] + " vs " + repr(b)[:200]


def main():
    w = sys.stdout.buffer
    for line in sys.stdin.read().splitlines():
        if not line:
            continue
        path, ours_path = line.split("\t")
        status, text = disassemble(path)
        with open(path, "rb") as f:
            data = f.read()
        try:
            opt = pickletools.optimize(data).hex()
        except Exception as e:  # noqa: BLE001
            opt = "error:" + type(e).__name__
        verdict = compare(data, ours_path).replace("\t", " ").replace("\n", " ")
        w.write(f"\0REC\t{path}\t{status}\t{opt}\t{verdict}\n".encode("utf-8"))
        w.write(text.encode("utf-8"))
    w.flush()


if __name__ == "__main__":
    main()
