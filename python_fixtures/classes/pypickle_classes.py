"""Classes for pypickle's class-registry tests: each is a shape CPython pickles differently.

Imported by python_fixtures/class_oracle.py (which puts this folder on sys.path); never by
anything that loads untrusted data.
"""

import collections
import dataclasses
import enum
import sys


class Point:
    """A plain class: NEWOBJ (protocol 2+) or copyreg._reconstructor, then a state dict."""

    def __init__(self, x, y):
        self.x = x
        self.y = y

    def __repr__(self):
        return f"Point(x={self.x!r}, y={self.y!r})"

    def __eq__(self, other):
        return type(other) is Point and (self.x, self.y) == (other.x, other.y)


@dataclasses.dataclass
class Person:
    name: str
    age: int
    tags: list
    home: object = None


@dataclasses.dataclass
class Empty:
    """No attributes: CPython pickles the instance with no state (no BUILD)."""


@dataclasses.dataclass(frozen=True)
class Frozen:
    key: str
    value: float


if sys.version_info >= (3, 10):

    @dataclasses.dataclass(frozen=True, slots=True)
    class FrozenSlots:
        """Its state is the list of its field values: the dataclass's own __getstate__."""

        label: str
        size: int

    @dataclasses.dataclass(frozen=True, slots=True)
    class FrozenNothing:
        """No fields: at protocols 0-1 CPython writes no state for the empty list."""

else:

    class FrozenSlots:
        """What dataclass(frozen=True, slots=True) makes (Python 3.10+), written out: the
        same state, so the same pickles."""

        __slots__ = ("label", "size")

        def __init__(self, label, size):
            object.__setattr__(self, "label", label)
            object.__setattr__(self, "size", size)

        def __getstate__(self):
            return [self.label, self.size]

        def __setstate__(self, state):
            for name, value in zip(self.__slots__, state):
                object.__setattr__(self, name, value)

        def __setattr__(self, name, value):
            raise AttributeError(f"cannot assign to field {name!r}")

        def __eq__(self, other):
            return type(other) is FrozenSlots and (self.label, self.size) == (
                other.label,
                other.size,
            )

        def __hash__(self):
            return hash((self.label, self.size))

        def __repr__(self):
            return f"FrozenSlots(label={self.label!r}, size={self.size!r})"

    class FrozenNothing:
        __slots__ = ()

        def __getstate__(self):
            return []

        def __setstate__(self, state):
            pass

        def __repr__(self):
            return "FrozenNothing()"


class Slotted:
    """No __dict__: the state is (None, {slot: value})."""

    __slots__ = ("a", "b")

    def __init__(self, a, b):
        self.a = a
        self.b = b

    def __repr__(self):
        return f"Slotted(a={self.a!r}, b={self.b!r})"


class Versioned:
    """__getstate__/__setstate__ with a non-dict state: a tuple."""

    def __init__(self, version, payload):
        self.version = version
        self.payload = payload

    def __getstate__(self):
        return (self.version, self.payload)

    def __setstate__(self, state):
        self.version, self.payload = state

    def __repr__(self):
        return f"Versioned(version={self.version!r}, payload={self.payload!r})"


class Reduced:
    """__reduce__ with constructor arguments: REDUCE(cls, args)."""

    def __init__(self, a, b):
        self.a = a
        self.b = b

    def __reduce__(self):
        return (Reduced, (self.a, self.b))

    def __repr__(self):
        return f"Reduced(a={self.a!r}, b={self.b!r})"


Pair = collections.namedtuple("Pair", "left right")
One = collections.namedtuple("One", "items")
Single = collections.namedtuple("Single", "x")


class Color(enum.Enum):
    RED = 1
    GREEN = 2


class Mood(enum.Enum):
    HAPPY = "happy"
    SAD = "sad"


if sys.version_info >= (3, 10):

    @dataclasses.dataclass(slots=True)
    class SlotsPoint:
        """A dataclass with slots, not frozen: no __getstate__ of its own, the state of a
        class with __slots__."""

        x: int
        y: int

else:

    class SlotsPoint:
        """What dataclass(slots=True) makes (Python 3.10+), written out."""

        __slots__ = ("x", "y")

        def __init__(self, x, y):
            self.x = x
            self.y = y

        def __repr__(self):
            return f"SlotsPoint(x={self.x!r}, y={self.y!r})"


class Perm(enum.IntFlag):
    """Flags: a combination such as Perm.R | Perm.W is a member too, pickled Perm(6)."""

    R = 4
    W = 2
    X = 1


class Listed(enum.Enum):
    """A member whose value is unhashable: the member itself hashes (by name)."""

    A = [1, 2]


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 2


def _reduce_by_name(member, proto):
    """What enum.pickle_by_enum_name (Python 3.11+) does: getattr(Class, 'Name')."""
    return getattr, (member.__class__, member._name_)


class Shade(enum.Enum):
    """An Enum whose members pickle by name, getattr(Shade, 'Dark'), not Shade(2)."""

    Light = 1
    Dark = 2
    __reduce_ex__ = _reduce_by_name


@dataclasses.dataclass
class Circle:
    r: float


@dataclasses.dataclass
class Square:
    side: float


class Outer:
    class Inner:
        def __init__(self, v):
            self.v = v

        def __repr__(self):
            return f"Outer.Inner(v={self.v!r})"


@dataclasses.dataclass
class Drawing:
    title: str
    shapes: list
    origin: Point


class MyInt(int):
    """An int subclass: NEWOBJ(cls, (5,)), or copyreg._reconstructor(cls, int, 5)."""

    def __repr__(self):
        return f"MyInt({int(self)!r})"


class MyStr(str):
    def __repr__(self):
        return f"MyStr({str(self)!r})"


class MyFloat(float):
    def __repr__(self):
        return f"MyFloat({float(self)!r})"


class MyTuple(tuple):
    """A tuple subclass: NEWOBJ(cls, ((1, 2),)), or copyreg._reconstructor(cls, tuple, (1, 2))."""

    def __repr__(self):
        return f"MyTuple({tuple(self)!r})"


class Bag(dict):
    """A dict subclass with an attribute: NEWOBJ, SETITEMS, then BUILD."""

    def __repr__(self):
        return f"Bag({dict.__repr__(self)}, label={self.__dict__.get('label')!r})"


class Stack(list):
    """A list subclass with an attribute: NEWOBJ, APPENDS, then BUILD."""

    def __repr__(self):
        return f"Stack({list.__repr__(self)}, label={self.__dict__.get('label')!r})"


def bag(label, **items):
    b = Bag(items)
    b.label = label
    return b


def stack(label, *items):
    s = Stack(items)
    s.label = label
    return s


class KwOnly:
    """Keyword-only constructor arguments: NEWOBJ_EX (protocol 4+)."""

    def __new__(cls, a, *, b):
        self = super().__new__(cls)
        self.a = a
        self.b = b
        return self

    def __getnewargs_ex__(self):
        return (self.a,), {"b": self.b}

    def __repr__(self):
        return f"KwOnly(a={self.a!r}, b={self.b!r})"
