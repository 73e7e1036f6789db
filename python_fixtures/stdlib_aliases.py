#!/usr/bin/env python3
"""Every module-level name of the standard library that is another module's callable or class.

    python3 stdlib_aliases.py >> stdlib_aliases.tsv   # once per Python version, then sort -u

Each line is `alias_module<TAB>alias_name<TAB>module<TAB>qualname`: `alias_module.alias_name`
is the object Python knows as `module.qualname` (`pathlib.attrgetter` is
`operator.attrgetter`), or, with the qualname `*`, the module `module` under another name
(`concurrent.futures.process.mp` is `multiprocessing`). A pickle may name any of them by the alias, so the reader's policy must
refuse an alias whenever it refuses the object's own name (tests/policy_aliases.rs).

Modules are imported in a child process each, so that one that hangs, exits or prints on
import costs nothing; a few that open windows or browsers are skipped.
"""

import os
import subprocess
import sys

# Importing these opens windows or browsers, or runs a test suite.
SKIP = {"antigravity", "this", "idlelib", "__main__", "test", "tkinter.__main__", "turtledemo.__main__"}

CHILD = r"""
import importlib, sys, warnings
warnings.simplefilter("ignore")
name = sys.argv[1]
try:
    mod = importlib.import_module(name)
except BaseException:
    sys.exit(0)
for attr in sorted(vars(mod)):
    if attr.startswith("__") and attr.endswith("__"):
        continue
    try:
        obj = getattr(mod, attr)
    except BaseException:
        continue
    if isinstance(obj, type(sys)):
        # A module under another name (`mp` for multiprocessing): `*` for all of it.
        real = getattr(obj, "__name__", None)
        if isinstance(real, str) and attr != real.rsplit(".", 1)[-1]:
            print(f"ALIAS\t{name}\t{attr}\t{real}\t*")
        continue
    if not callable(obj):
        continue
    m = getattr(obj, "__module__", None)
    q = getattr(obj, "__qualname__", None)
    if not isinstance(m, str) or not isinstance(q, str) or "<" in q:
        continue
    if (m, q) != (name, attr):
        print(f"ALIAS\t{name}\t{attr}\t{m}\t{q}")
"""


def module_names():
    names = set(getattr(sys, "stdlib_module_names", ()))
    if not names:  # before 3.10: the top-level modules in the standard library's directory
        import pkgutil
        import sysconfig
        stdlib = sysconfig.get_paths()["stdlib"]
        names = {m.name for m in pkgutil.iter_modules([stdlib, os.path.join(stdlib, "lib-dynload")])}
        names |= set(sys.builtin_module_names)
    out = set()
    for name in names:
        if name in SKIP:
            continue
        out.add(name)
        # Submodules of packages, one level down (xml.dom, email.utils, ...).
        try:
            import importlib.util
            spec = importlib.util.find_spec(name)
        except BaseException:
            continue
        if spec and spec.submodule_search_locations:
            # Every level of the package (concurrent.futures.process, xml.etree.ElementTree),
            # found without importing it.
            import pkgutil
            for sub in pkgutil.walk_packages(spec.submodule_search_locations, name + ".",
                                             onerror=lambda _: None):
                parts = sub.name.split(".")
                if not any(p in SKIP or p.startswith("test") for p in parts[1:]) \
                        and sub.name not in SKIP:
                    out.add(sub.name)
    return sorted(out)


def main():
    for name in module_names():
        try:
            r = subprocess.run(
                [sys.executable, "-c", CHILD, name],
                capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired:
            continue
        # Only the child's own lines: a module may print when imported.
        for line in r.stdout.splitlines():
            fields = line.split("\t")
            if len(fields) == 5 and fields[0] == "ALIAS" and fields[1] == name:
                print("\t".join(fields[1:]))


if __name__ == "__main__":
    main()
