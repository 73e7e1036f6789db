"""CPython as the oracle for tests/differential_mutations.rs.

The test sends (mutated) pickles on stdin, each as a little-endian u32 length and the bytes,
and reads one answer per pickle on stdout, in order:

    b'O' u32 flags u32 depth u32 n <n bytes: the canonical repr, UTF-8>   CPython loaded it
    b'E' u32 flags u32 0     u32 n <n bytes: "ExceptionType: message">    CPython refused it
    b'U' u32 flags u32 0     u32 n <n bytes: the module>   an allowed module is not installed

CPython decodes each pickle with an Unpickler whose find_class lets through only what
pypickle's default options let through (src/class/policy.rs `resolve`'s known built-ins and
src/stdlib/mod.rs `is_allowed`), mapping Python 2 names first as the default find_class does.
The process runs under a memory limit (RLIMIT_AS) and every pickle under a time limit.

The canonical repr is `repr()` with two changes that make it comparable with pypickle's
`Value` display: set and frozenset elements are sorted by their own canonical repr (CPython
prints them in hash order, pypickle in the order the pickle added them), and a global (a
class or function the pickle named and returned as a value) prints as `module.name`, as the
pickle named it. Memory addresses in reprs (`at 0x7f...`) are blanked.

Flags (bits): 1 the value is cyclic; 2 it holds something other than plain data (an
instance of a class, a global); 4 a str holds a lone surrogate; 8 the value was too large to
print (the repr is empty); 16 (errors only) the pickle loads when every class other than the
built-in data types is replaced by an inert stand-in that takes any arguments and state, as
pypickle's `Value::Object` does; 32 the C unpickler ran out of memory (its memo is an array
as long as the largest memo id) and the pure-Python unpickler, whose memo is a dict, answered.

Run by hand: `python3 python_fixtures/mutate_oracle.py < records`; `--selftest` checks a few
answers.
"""

import builtins
import copyreg
import io
import pickle
import re
import resource
import signal
import struct
import sys

MEMORY_LIMIT = 1 << 30  # bytes of address space for this process
TIME_LIMIT = 2.0  # seconds per pickle
VISIT_BUDGET = 4 << 20  # values visited while printing one result
TEXT_BUDGET = 16 << 20  # characters of one repr

# src/class/policy.rs `resolve`: the built-ins the reader knows.
KNOWN = {
    ("builtins", n)
    for n in (
        "set frozenset bytearray bytes complex int float str bool tuple list dict object "
        "getattr Ellipsis NotImplemented"
    ).split()
} | {
    ("_codecs", "encode"),
    ("copyreg", "_reconstructor"),
    ("copyreg", "__newobj__"),
    ("copyreg", "__newobj_ex__"),
}

# src/stdlib/exception.rs EXCEPTIONS.
EXCEPTIONS = set(
    """ArithmeticError AssertionError AttributeError BaseException BaseExceptionGroup
    BlockingIOError BrokenPipeError BufferError BytesWarning ChildProcessError
    ConnectionAbortedError ConnectionError ConnectionRefusedError ConnectionResetError
    DeprecationWarning EOFError EncodingWarning EnvironmentError Exception ExceptionGroup
    FileExistsError FileNotFoundError FloatingPointError FutureWarning GeneratorExit IOError
    ImportError ImportWarning IndentationError IndexError InterruptedError IsADirectoryError
    KeyError KeyboardInterrupt
    LookupError MemoryError ModuleNotFoundError NameError NotADirectoryError
    NotImplementedError OSError OverflowError PendingDeprecationWarning PermissionError
    ProcessLookupError PythonFinalizationError RecursionError ReferenceError ResourceWarning
    RuntimeError RuntimeWarning StopAsyncIteration StopIteration SyntaxError SyntaxWarning
    SystemError SystemExit TabError TimeoutError TypeError UnboundLocalError
    UnicodeDecodeError UnicodeEncodeError UnicodeError UnicodeTranslateError UnicodeWarning
    UserWarning ValueError Warning ZeroDivisionError""".split()
)


def stdlib_allowed(module, name):
    """src/stdlib/mod.rs `is_allowed`."""
    return {
        "datetime": lambda n: n in ("datetime", "date", "time", "timedelta", "timezone"),
        "decimal": lambda n: n == "Decimal",
        "uuid": lambda n: n in ("UUID", "SafeUUID"),
        "fractions": lambda n: n == "Fraction",
        "collections": lambda n: n in ("OrderedDict", "defaultdict", "Counter", "deque"),
        "pathlib": lambda n: n in ("PurePosixPath", "PosixPath", "PureWindowsPath", "WindowsPath"),
        "zoneinfo": lambda n: n in ("ZoneInfo", "ZoneInfo._unpickle"),
        "pytz": lambda n: n in ("_p", "_UTC", "FixedOffset"),
        "builtins": lambda n: n in ("range", "slice") or n in EXCEPTIONS,
        "types": lambda n: n == "SimpleNamespace",
        "time": lambda n: n == "struct_time",
        "re": lambda n: n == "_compile",
        "array": lambda n: n in ("array", "_array_reconstructor"),
        "ipaddress": lambda n: n in (
            "IPv4Address", "IPv6Address", "IPv4Network", "IPv6Network", "IPv4Interface", "IPv6Interface"
        ),
    }.get(module, lambda n: False)(name)


def numpy_allowed(module, name):
    """src/numpy/mod.rs `is_allowed`."""
    return (
        (module == "numpy" and name in ("ndarray", "dtype"))
        or (module in ("numpy.core.multiarray", "numpy._core.multiarray") and name in ("_reconstruct", "scalar"))
        or (module in ("numpy.core.numeric", "numpy._core.numeric") and name == "_frombuffer")
    )


def allowed(module, name):
    return (module, name) in KNOWN or stdlib_allowed(module, name) or numpy_allowed(module, name)


class Unavailable(Exception):
    """An allowed module this python3 does not have (numpy): nothing to compare."""


class Refused(Exception):
    pass


class Timeout(BaseException):
    pass


class Inert:
    """A stand-in for a class pypickle keeps as an inert `Value::Object`."""

    def __new__(cls, *args, **kwargs):
        return object.__new__(cls)

    def __init__(self, *args, **kwargs):
        pass

    def __setstate__(self, state):
        pass

    def append(self, item):
        pass

    def extend(self, items):
        for _ in items:
            pass

    def __setitem__(self, key, value):
        pass


def inert_reconstructor(cls, base, state):
    if not isinstance(cls, type):
        raise TypeError("copyreg._reconstructor needs a class")
    return Inert()


def inert_newobj(cls, *args):
    return cls.__new__(cls, *args)


def inert_newobj_ex(cls, args, kwargs):
    return cls.__new__(cls, *args, **kwargs)


class Oracle(pickle.Unpickler):
    base = pickle.Unpickler

    def __init__(self, data, inert):
        self.file = io.BytesIO(data)
        self.base.__init__(self, self.file)
        self.inert = inert
        self.names = {}  # id of a global -> "module.name" as the pickle named it
        self.protos = None

    def current_proto(self):
        """The C unpickler keeps its protocol to itself: the last PROTO opcode before the
        point it has read up to."""
        if self.protos is None:
            import pickletools

            self.protos = []
            try:
                for op, arg, pos in pickletools.genops(self.file.getvalue()):
                    if op.name == "PROTO":
                        self.protos.append((pos, arg))
            except Exception:
                pass
        at = self.file.tell()
        proto = 0
        for pos, arg in self.protos:
            if pos < at:
                proto = arg
        return proto

    def find_class(self, module, name):
        proto = self.proto if hasattr(self, "proto") else self.current_proto()
        if proto < 3:
            import _compat_pickle

            if (module, name) in _compat_pickle.NAME_MAPPING:
                module, name = _compat_pickle.NAME_MAPPING[(module, name)]
            elif module in _compat_pickle.IMPORT_MAPPING:
                module = _compat_pickle.IMPORT_MAPPING[module]
        if not allowed(module, name):
            raise Refused(f"{module}.{name}")
        if (module, name) == ("builtins", "getattr"):
            obj = self.nested_getattr
        elif self.inert and (module, name) not in KNOWN:
            obj = type(name, (Inert,), {})
        elif self.inert and (module, name) == ("copyreg", "_reconstructor"):
            obj = inert_reconstructor
        elif self.inert and (module, name) == ("copyreg", "__newobj__"):
            obj = inert_newobj
        elif self.inert and (module, name) == ("copyreg", "__newobj_ex__"):
            obj = inert_newobj_ex
        else:
            try:
                __import__(module)
            except ImportError:
                raise Unavailable(module)
            obj = sys.modules[module]
            for part in name.split("."):
                obj = getattr(obj, part)
        if obj is not Ellipsis and obj is not NotImplemented:
            self.names[id(obj)] = f"{module}.{name}"
        return obj

    def nested_getattr(self, *args):
        """pypickle reads getattr only as getattr(class, 'name'), checked as module.Outer.Inner."""
        if len(args) != 2 or id(args[0]) not in self.names or type(args[1]) is not str:
            raise Refused("builtins.getattr")
        module, _, outer = self.names[id(args[0])].partition(".")
        name = f"{outer}.{args[1]}"
        if not allowed(module, name):
            raise Refused(f"{module}.{name}")
        if self.inert and (module, name) not in KNOWN:
            obj = type(name, (Inert,), {})
        else:
            obj = getattr(args[0], args[1])
        self.names[id(obj)] = f"{module}.{name}"
        return obj

    def persistent_load(self, pid):
        raise pickle.UnpicklingError("persistent ids are refused without a hook")


class PyOracle(pickle._Unpickler):
    """The pure-Python unpickler with the same policy: its memo is a dict, where the C
    unpickler's is an array that a large memo id makes it allocate in full."""

    base = pickle._Unpickler
    __init__ = Oracle.__init__
    current_proto = Oracle.current_proto
    find_class = Oracle.find_class
    nested_getattr = Oracle.nested_getattr
    persistent_load = Oracle.persistent_load


PLAIN_SCALARS = (type(None), bool, int, float, complex, str, bytes, bytearray)
ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


class TooLarge(Exception):
    pass


class Printer:
    def __init__(self, names):
        self.names = names
        self.flags = 0
        self.depth = 0
        self.visits = 0
        self.chars = 0
        self.active = set()

    def repr(self, x, depth=1):
        self.visits += 1
        if self.visits > VISIT_BUDGET or self.chars > TEXT_BUDGET:
            raise TooLarge
        self.depth = max(self.depth, depth)
        t = type(x)
        if t in PLAIN_SCALARS:
            if t is str:
                try:
                    x.encode("utf-8")
                except UnicodeEncodeError:
                    self.flags |= 4
            s = repr(x)
        elif t in (list, tuple, dict, set, frozenset):
            if id(x) in self.active:
                self.flags |= 1
                return {list: "[...]", dict: "{...}"}.get(t, "...")
            self.active.add(id(x))
            try:
                s = self.compound(x, t, depth + 1)
            finally:
                self.active.discard(id(x))
        elif id(x) in self.names:
            self.flags |= 2
            s = self.names[id(x)]
        else:
            self.flags |= 2
            try:
                s = ADDRESS.sub(" at 0x", repr(x))
            except RecursionError:
                raise TooLarge
            except Exception as e:  # a half-built object (a corrupt state) may not print
                s = f"<unprintable {type(x).__name__}: {type(e).__name__}>"
        self.chars += len(s)
        return s

    def compound(self, x, t, depth):
        if t is list:
            return "[" + ", ".join(self.repr(v, depth) for v in x) + "]"
        if t is tuple:
            items = [self.repr(v, depth) for v in x]
            return "(" + items[0] + ",)" if len(items) == 1 else "(" + ", ".join(items) + ")"
        if t is dict:
            return "{" + ", ".join(f"{self.repr(k, depth)}: {self.repr(v, depth)}" for k, v in x.items()) + "}"
        items = sorted(self.repr(v, depth) for v in x)
        if t is set:
            return "{" + ", ".join(items) + "}" if items else "set()"
        return "frozenset({" + ", ".join(items) + "})" if items else "frozenset()"


def on_alarm(signum, frame):
    raise Timeout


def run(unpickler, data, inert):
    signal.setitimer(signal.ITIMER_REAL, TIME_LIMIT)
    try:
        u = unpickler(data, inert)
        value = u.load()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    if u.file.tell() != len(data):
        raise pickle.UnpicklingError("data after STOP")
    return u, value


def answer(data):
    flags = 0
    try:
        try:
            u, value = run(Oracle, data, False)
        except MemoryError:
            # The C unpickler's memo is an array: retry with the pure-Python unpickler's dict.
            flags |= 32
            u, value = run(PyOracle, data, False)
    except BaseException as e:  # noqa: B036 - everything the unpickler raises is an answer
        if isinstance(e, (KeyboardInterrupt, SystemExit)):
            raise
        if loads_inert(data):
            flags |= 16
        msg = f"{type(e).__name__}: {e}"
        return (b"U" if isinstance(e, Unavailable) else b"E"), flags, 0, msg
    p = Printer(u.names)
    p.flags = flags
    try:
        text = p.repr(value)
    except TooLarge:
        return b"O", p.flags | 8, p.depth, ""
    except RecursionError:
        return b"O", p.flags | 8, p.depth, ""
    return b"O", p.flags, p.depth, text


def loads_inert(data):
    try:
        try:
            run(Oracle, data, True)
        except MemoryError:
            run(PyOracle, data, True)
        return True
    except BaseException as e:  # noqa: B036
        if isinstance(e, (KeyboardInterrupt, SystemExit)):
            raise
        return False


def serve(inp, out):
    while True:
        head = inp.read(4)
        if not head:
            return
        (n,) = struct.unpack("<I", head)
        data = inp.read(n)
        status, flags, depth, text = answer(data)
        payload = text.encode("utf-8", "backslashreplace")
        out.write(status + struct.pack("<III", flags, depth, len(payload)) + payload)
        out.flush()


def main():
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    signal.signal(signal.SIGALRM, on_alarm)
    # After a MemoryError CPython may report objects it could not free: not an answer.
    sys.unraisablehook = lambda unraisable: None
    sys.set_int_max_str_digits(0)
    sys.setrecursionlimit(100_000)
    if sys.argv[1:] == ["--selftest"]:
        for data, want in [
            (pickle.dumps({"a": {3, 1, 2}}), "{'a': {1, 2, 3}}"),
            (pickle.dumps(set), "builtins.set"),
            (b"cos\nsystem\n.", "Refused: os.system"),
            (b"(lp0\ng0\na.", "[[...]]"),
            (b"(dp0\nI1\nI2\nsI1\nI3\ns.", "{1: 3}"),
            (b"\x80\x02]q\x00(K\x01h\x00e.", "[1, [...]]"),
        ]:
            status, flags, depth, text = answer(data)
            assert text == want, (data, status, flags, text)
        print("ok")
        return
    serve(sys.stdin.buffer, sys.stdout.buffer)


if __name__ == "__main__":
    main()
