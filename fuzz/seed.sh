#!/bin/sh
# Seed fuzz/corpus/<target>/ from python_fixtures/: every fixture pickle, one file each (the
# concatenated golden files are split at each pickle's STOP). Safe to rerun: files are named by
# content hash, as libFuzzer names its own, so nothing is copied twice. Pickles over 64 KiB
# (a few bench-sized fixtures) are left out: they slow every mutation and add no opcode the small
# ones lack. Needs python3.
set -eu
cd "$(dirname "$0")"
python3 - "$@" <<'PY'
import hashlib, io, os, pickletools, sys

fixtures = "../python_fixtures"
targets = sys.argv[1:] or ["decode_value", "decode_typed", "scan", "roundtrip", "class_bridge", "dis", "joblib", "keep_memo"]

def pickles(path):
    """The pickles in a file: one, or several written back to back."""
    data = open(path, "rb").read()
    pos = 0
    while pos < len(data):
        end = None
        try:
            for op, _, at in pickletools.genops(io.BytesIO(data[pos:])):
                if op.name == "STOP":
                    end = pos + at + 1
                    break
        except Exception:
            pass
        if end is None:  # not a well-formed pickle (hostile fixtures): take the rest whole
            yield data[pos:]
            return
        yield data[pos:end]
        pos = end

sources = []
for sub in ["data", "cpython_vectors", "typed", "classes/data", "ser_golden", "stdlib", "hostile",
            "numpy/np1", "numpy/np2"]:
    d = os.path.join(fixtures, sub)
    if os.path.isdir(d):
        sources += [os.path.join(d, f) for f in sorted(os.listdir(d))
                    if f.endswith((".pkl", ".bin"))]

MAX = 64 * 1024
seeds = {hashlib.sha1(p).hexdigest(): p for s in sources for p in pickles(s) if 0 < len(p) <= MAX}
# joblib files are not plain pickles (array bytes follow the opcodes): whole files, for the
# joblib target only.
joblib_files = []
for d in ["joblib", "sklearn", "sklearn/sklearn1.3-numpy1"]:
    d = os.path.join(fixtures, d)
    if os.path.isdir(d):
        joblib_files += [os.path.join(d, f) for f in sorted(os.listdir(d)) if f.endswith(".joblib")]
joblib_seeds = {}
for path in joblib_files:
    data = open(path, "rb").read()
    if len(data) <= MAX:
        joblib_seeds[hashlib.sha1(data).hexdigest()] = data
for t in targets:
    out = os.path.join("corpus", t)
    os.makedirs(out, exist_ok=True)
    for name, p in (joblib_seeds if t == "joblib" else seeds).items():
        path = os.path.join(out, name)
        if not os.path.exists(path):
            with open(path, "wb") as f:
                f.write(p)
print(f"{len(seeds)} seeds from {len(sources)} files into corpus/{{{','.join(targets)}}}"
      f" ({len(joblib_seeds)} joblib files into corpus/joblib)")
PY
