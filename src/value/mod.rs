//! [`Value`]: any pickled plain data, owned and lossless, whose `Display` is Python's `repr()`.

pub(crate) mod bigint;
mod de;
pub(crate) mod display;
pub(crate) mod eq;
mod from;
mod index;
pub(crate) mod magic;
mod printable;
mod ser;

pub use bigint::{BigInt, ParseBigIntError};
pub(crate) use de::{
    f32_range_error, hand_over, int128_range_error, wider_than_128_bits, ValueThen,
};
pub use de::{from_value, from_value_with};
pub use ser::to_value;
/// What in a value Python cannot hash (for `pypickle::json`'s keys and set elements).
#[cfg(feature = "json")]
pub(crate) use ser::unhashable;
pub(crate) use ser::{
    object_unhashable, to_value_of_text_pid, to_value_within, UNHASHABLE_CLASSES,
};

/// Any Python value a pickle can hold, owned, keeping every distinction Python makes.
///
/// Tuples stay tuples, sets stay sets, `bytearray` is not `bytes`, integers of any size are
/// exact, and dicts keep their insertion order and any hashable keys. `Display` prints Python's
/// `repr()` of the same object, so a `Value` can be compared with what CPython prints: CPython
/// 3.11's, whose `str.isprintable()` knows Unicode 14.0 (later Pythons print characters added
/// to Unicode since as they are, where this escapes them) and which prints an `OrderedDict` as
/// `OrderedDict([('a', 1)])`. A set prints its elements in the order the pickle lists them,
/// which is the order of the Python that wrote it; another Python may print them in another
/// order (its hashes of str and bytes change from process to process).
///
/// ```
/// // pickle.dumps((1, 'a'), protocol=4)
/// let v: pypickle::Value = pypickle::from_slice(b"\x80\x04\x95\x09\x00\x00\x00\x00\x00\x00\x00K\x01\x8c\x01a\x94\x86\x94.").unwrap();
/// assert_eq!(v.to_string(), "(1, 'a')");
/// assert_eq!(v[1], "a");
/// ```
///
/// Equality follows Python where Python defines it: `1 == 1.0 == True`, `b'a' ==
/// bytearray(b'a')`, `{1} == frozenset({1})`, dicts and sets compare without regard to order.
/// Unlike Python, NaN equals NaN, so that `Value` can be `Eq` and a map key. Instances
/// (`Object`) are equal when their class and every part are: Python's own comparisons of
/// `Decimal('1.0') == 1`, `Fraction(1, 2) == 0.5`, an `OrderedDict` with a dict or datetimes
/// across timezones are not reproduced, and two exceptions made alike are equal here, where
/// Python compares them by identity. A `Set` built by hand keeps every element it is given
/// (`{1, True}`); one read from a pickle holds each once.
///
/// A pickle whose dict sets the same key twice (something Python never writes) keeps both
/// entries; CPython would keep the last value in the first position.
#[derive(Clone, Debug)]
pub enum Value {
    /// `None`
    None,
    /// `bool`
    Bool(bool),
    /// `int` that fits in `i64`.
    Int(i64),
    /// `int` that does not fit in `i64` (never one that does).
    BigInt(BigInt),
    /// `float`
    Float(f64),
    /// `complex`
    Complex(Complex),
    /// `str`
    Str(String),
    /// `bytes`
    Bytes(Vec<u8>),
    /// `bytearray`
    ByteArray(Vec<u8>),
    /// `list`
    List(Vec<Value>),
    /// `tuple`
    Tuple(Vec<Value>),
    /// `dict`, in insertion order.
    Dict(Vec<(Value, Value)>),
    /// `set`, in the order the pickle lists it; read from a pickle, each element once (by
    /// Python's equality, the first of equal ones).
    Set(Vec<Value>),
    /// `frozenset`, as `Set`.
    FrozenSet(Vec<Value>),
    /// A reference to a class or function (`module.name`), which is never imported.
    Global(Box<Global>),
    /// An instance of a class, kept inert: what the pickle said to build, never built.
    Object(Box<Object>),
}

/// A complex number.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Complex {
    /// The real part.
    pub re: f64,
    /// The imaginary part.
    pub im: f64,
}

/// A global name, `module.name`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Global {
    /// The module, such as `collections`.
    pub module: String,
    /// The qualified name in the module, such as `OrderedDict`.
    pub name: String,
}

/// How the pickle asked for an [`Object`] to be made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Made {
    /// `cls(*args)` (REDUCE; INST and OBJ given arguments).
    Call,
    /// `cls.__new__(cls, *args)` (NEWOBJ, `copyreg.__newobj__`; INST and OBJ given no arguments,
    /// as CPython makes a class then unless it defines `__getinitargs__`).
    New,
    /// `cls.__new__(cls, *args, **kwargs)` (NEWOBJ_EX).
    NewEx,
    /// `copyreg._reconstructor(cls, base, state)` (protocols 0 and 1); `args` holds
    /// `(base, state)`.
    Reconstructor,
}

/// An instance of a class, as the pickle describes it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Object {
    /// The class.
    pub class: Global,
    /// How it was made.
    pub made: Made,
    /// The constructor arguments: a [`Value::Tuple`] (the writer refuses anything else).
    pub args: Value,
    /// Keyword arguments, for [`Made::NewEx`]: a [`Value::Dict`].
    pub kwargs: Option<Value>,
    /// The states passed to `__setstate__` (or merged into `__dict__`) by BUILD, in order.
    pub state: Vec<Value>,
    /// Items appended to it (a `list` subclass).
    pub list_items: Vec<Value>,
    /// Items set on it (a `dict` subclass).
    pub dict_items: Vec<(Value, Value)>,
}

/// What indexing an [`Object`] reaches.
enum Items<'a> {
    /// A `list` subclass's items.
    Seq(&'a [Value]),
    /// A `dict` subclass's entries.
    Map(&'a [(Value, Value)]),
    /// The `[key, value]` pairs Python 2's `OrderedDict` is made from.
    Pairs(&'a [Value]),
}

/// [`Items`], to change in place.
enum ItemsMut<'a> {
    Seq(&'a mut [Value]),
    Map(&'a mut [(Value, Value)]),
    Pairs(&'a mut [Value]),
}

/// Where an [`Object`]'s items lie (see [`Object::items`]).
#[derive(Clone, Copy)]
enum ItemsAt {
    /// Its `dict_items`.
    DictItems,
    /// Its `list_items`.
    ListItems,
    /// Its argument at this index: a dict.
    ArgMap(usize),
    /// Its argument at this index: a list.
    ArgSeq(usize),
    /// Its argument at this index: a list of `[key, value]` pairs.
    ArgPairs(usize),
}

impl ItemsAt {
    /// The index of the argument the items are, if they are one.
    fn arg(self) -> Option<usize> {
        match self {
            ItemsAt::DictItems | ItemsAt::ListItems => None,
            ItemsAt::ArgMap(i) | ItemsAt::ArgSeq(i) | ItemsAt::ArgPairs(i) => Some(i),
        }
    }
}

impl Object {
    /// The items of a `dict` or `list` subclass, as indexing finds them: those set or appended
    /// on it, the dict or list `copyreg._reconstructor` copies (protocols 0-1), or the dict a
    /// `Counter` is made from.
    fn items(&self) -> Option<Items<'_>> {
        let at = self.items_at()?;
        let arg = |i: usize| match &self.args {
            Value::Tuple(args) => args.get(i),
            _ => None,
        };
        Some(match (at, at.arg().and_then(arg)) {
            (ItemsAt::DictItems, _) => Items::Map(&self.dict_items),
            (ItemsAt::ListItems, _) => Items::Seq(&self.list_items),
            (ItemsAt::ArgMap(_), Some(Value::Dict(entries))) => Items::Map(entries),
            (ItemsAt::ArgSeq(_), Some(Value::List(items))) => Items::Seq(items),
            (ItemsAt::ArgPairs(_), Some(Value::List(pairs))) => Items::Pairs(pairs),
            _ => return None,
        })
    }

    /// [`Object::items`], to change in place.
    fn items_mut(&mut self) -> Option<ItemsMut<'_>> {
        let at = self.items_at()?;
        let arg = match (at.arg(), &mut self.args) {
            (Some(i), Value::Tuple(args)) => args.get_mut(i),
            _ => None,
        };
        Some(match (at, arg) {
            (ItemsAt::DictItems, _) => ItemsMut::Map(&mut self.dict_items),
            (ItemsAt::ListItems, _) => ItemsMut::Seq(&mut self.list_items),
            (ItemsAt::ArgMap(_), Some(Value::Dict(entries))) => ItemsMut::Map(entries),
            (ItemsAt::ArgSeq(_), Some(Value::List(items))) => ItemsMut::Seq(items),
            (ItemsAt::ArgPairs(_), Some(Value::List(pairs))) => ItemsMut::Pairs(pairs),
            _ => return None,
        })
    }

    /// Where [`Object::items`] finds the items.
    fn items_at(&self) -> Option<ItemsAt> {
        if !self.dict_items.is_empty() {
            return Some(ItemsAt::DictItems);
        }
        if !self.list_items.is_empty() {
            return Some(ItemsAt::ListItems);
        }
        let Value::Tuple(args) = &self.args else {
            return None;
        };
        match (self.made, args.as_slice()) {
            (Made::Reconstructor, [Value::Global(base), items]) if base.module == "builtins" => {
                match (base.name.as_str(), items) {
                    ("dict", Value::Dict(_)) => Some(ItemsAt::ArgMap(1)),
                    ("list", Value::List(_)) => Some(ItemsAt::ArgSeq(1)),
                    _ => None,
                }
            }
            (_, [Value::Dict(_)]) if self.class.module == "collections" => {
                match self.class.name.as_str() {
                    "Counter" => Some(ItemsAt::ArgMap(0)),
                    _ => None,
                }
            }
            // Python 2's `deque([...], maxlen)` and `OrderedDict([[k, v], ...])`.
            (Made::Call, [Value::List(_), ..]) if self.class.module == "collections" => {
                match self.class.name.as_str() {
                    "deque" => Some(ItemsAt::ArgSeq(0)),
                    "OrderedDict" => Some(ItemsAt::ArgPairs(0)),
                    _ => None,
                }
            }
            _ => None,
        }
    }

    /// The attribute `name`, as the pickle's BUILD states set it: a state dict's entry, or a
    /// `(dict, slots)` state's (slots after the dict), the last state that sets it winning,
    /// as Python applies them in order (CPython writes one state; of a class with both a
    /// `__dict__` and a slot of one name, set by several, Python's `getattr` finds the slot).
    /// `None` if no state sets it (Python might still find one on the class, or in a
    /// `__setstate__` of its own, which this crate never runs).
    pub fn attr(&self, name: &str) -> Option<&Value> {
        fn in_dict<'v>(d: &'v Value, name: &str) -> Option<&'v Value> {
            match d {
                Value::Dict(entries) => entries
                    .iter()
                    .rev()
                    .find(|(k, _)| k.as_str() == Some(name))
                    .map(|(_, v)| v),
                _ => None,
            }
        }
        self.state.iter().rev().find_map(|state| match state {
            Value::Tuple(parts) if parts.len() == 2 => {
                in_dict(&parts[1], name).or_else(|| in_dict(&parts[0], name))
            }
            state => in_dict(state, name),
        })
    }
}

impl Value {
    /// The Python type name (`'int'`, `'tuple'`, ...), or the class name for objects.
    pub fn type_name(&self) -> &str {
        match self {
            Value::None => "NoneType",
            Value::Bool(_) => "bool",
            Value::Int(_) | Value::BigInt(_) => "int",
            Value::Float(_) => "float",
            Value::Complex(_) => "complex",
            Value::Str(_) => "str",
            Value::Bytes(_) => "bytes",
            Value::ByteArray(_) => "bytearray",
            Value::List(_) => "list",
            Value::Tuple(_) => "tuple",
            Value::Dict(_) => "dict",
            Value::Set(_) => "set",
            Value::FrozenSet(_) => "frozenset",
            Value::Global(_) => "global",
            Value::Object(o) => &o.class.name,
        }
    }

    /// True for `None`.
    pub fn is_none(&self) -> bool {
        matches!(self, Value::None)
    }

    /// The bool, if this is one.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The integer as `i64`, if this is an int (or bool) that fits.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            Value::Bool(b) => Some(i64::from(*b)),
            _ => None,
        }
    }

    /// The integer as `u64`, if this is a non-negative int (or bool) that fits: past
    /// `i64::MAX` it is a [`Value::BigInt`].
    ///
    /// ```
    /// use pypickle::Value;
    /// let big: Value = pypickle::from_slice(b"\x80\x02\x8a\x09\xff\xff\xff\xff\xff\xff\xff\xff\x00.")?;
    /// assert_eq!(big.as_u64(), Some(u64::MAX));
    /// assert_eq!(big.as_i64(), None);
    /// assert_eq!(Value::from(-1).as_u64(), None);
    /// # Ok::<(), pypickle::Error>(())
    /// ```
    pub fn as_u64(&self) -> Option<u64> {
        self.as_i128().and_then(|i| u64::try_from(i).ok())
    }

    /// The integer as `i128`, if this is an int that fits.
    pub fn as_i128(&self) -> Option<i128> {
        match self {
            Value::BigInt(b) => b.to_i128(),
            other => other.as_i64().map(i128::from),
        }
    }

    /// The number as `f64`, as Python's `float(x)`: a float, or an int (or bool) rounded to
    /// the nearest float; `None` for an int beyond the float range (Python's `OverflowError`)
    /// and for anything else.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Float(f) => Some(*f),
            Value::Int(i) => Some(*i as f64),
            Value::Bool(b) => Some(f64::from(u8::from(*b))),
            Value::BigInt(b) => Some(b.to_f64()).filter(|f| f.is_finite()),
            _ => None,
        }
    }

    /// The string, if this is a `str`.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The bytes, if this is `bytes` or `bytearray`.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Value::Bytes(b) | Value::ByteArray(b) => Some(b),
            _ => None,
        }
    }

    /// The items, if this is a list, tuple, set or frozenset.
    pub fn as_slice(&self) -> Option<&[Value]> {
        match self {
            Value::List(v) | Value::Tuple(v) | Value::Set(v) | Value::FrozenSet(v) => Some(v),
            _ => None,
        }
    }

    /// The entries, if this is a dict.
    pub fn as_dict(&self) -> Option<&[(Value, Value)]> {
        match self {
            Value::Dict(d) => Some(d),
            _ => None,
        }
    }

    /// The value stored under `key`, if this is a dict that has it (the last entry wins, as in
    /// Python), or the item at position `key` (a non-negative int) of a list or tuple: what
    /// indexing (`v[key]`) finds, as an `Option`. An [`Object`] of a `dict` or `list` subclass
    /// (an `OrderedDict`, a `defaultdict`, a `deque`) is indexed by the items set or appended
    /// on it; an instance's attributes are [`Value::attr`]'s.
    ///
    /// ```
    /// use pypickle::Value;
    /// let list = Value::List(vec![10.into(), 20.into()]);
    /// assert_eq!(list.get(1), Some(&Value::from(20)));
    /// assert_eq!(list.get(2), None);
    /// assert_eq!(list.get(true), Some(&Value::from(20)));
    /// let dict = Value::Dict(vec![("a".into(), 1.into())]);
    /// assert_eq!(dict.get("a"), Some(&Value::from(1)));
    /// ```
    ///
    /// A dict keeps its entries in order, as a `Vec`, so each lookup scans them: for many
    /// lookups in a large dict, index it once.
    ///
    /// ```
    /// use std::collections::HashMap;
    /// use pypickle::Value;
    /// let dict = Value::Dict((0..1000).map(|i| (format!("k{i}").into(), i.into())).collect());
    /// // Later entries of a repeated key win, as in Python.
    /// let index: HashMap<&Value, &Value> = dict.as_dict().unwrap().iter().map(|(k, v)| (k, v)).collect();
    /// assert_eq!(index[&Value::from("k999")], &Value::from(999));
    /// ```
    pub fn get<K: Into<Value>>(&self, key: K) -> Option<&Value> {
        self.get_ref(&key.into())
    }

    /// [`Value::get`] for changing the value in place: the value under `key` of a dict (the
    /// last entry of it), or the item at position `key` of a list or tuple, or of an object
    /// that is a `dict` or `list` subclass (a `Counter`, an `OrderedDict`, ...) as `get`
    /// finds it. (An [`Object`]'s other parts are its public fields.)
    ///
    /// ```
    /// use pypickle::Value;
    /// let mut dict = Value::Dict(vec![("n".into(), 1.into())]);
    /// if let Some(n) = dict.get_mut("n") {
    ///     *n = Value::from(2);
    /// }
    /// assert_eq!(dict.to_string(), "{'n': 2}");
    /// ```
    pub fn get_mut<K: Into<Value>>(&mut self, key: K) -> Option<&mut Value> {
        let at = self.position(&key.into())?;
        match self {
            Value::List(items) | Value::Tuple(items) => items.get_mut(at),
            Value::Dict(entries) => entries.get_mut(at).map(|(_, v)| v),
            Value::Object(o) => match o.items_mut()? {
                ItemsMut::Seq(items) => items.get_mut(at),
                ItemsMut::Map(entries) => entries.get_mut(at).map(|(_, v)| v),
                ItemsMut::Pairs(pairs) => match pairs.get_mut(at)? {
                    Value::List(kv) | Value::Tuple(kv) => kv.get_mut(1),
                    _ => None,
                },
            },
            _ => None,
        }
    }

    /// [`Value::get`] of a borrowed key.
    pub(crate) fn get_ref(&self, key: &Value) -> Option<&Value> {
        let at = self.position(key)?;
        match self {
            Value::List(items) | Value::Tuple(items) => items.get(at),
            Value::Dict(entries) => entries.get(at).map(|(_, v)| v),
            Value::Object(o) => match o.items()? {
                Items::Seq(items) => items.get(at),
                Items::Map(entries) => entries.get(at).map(|(_, v)| v),
                Items::Pairs(pairs) => match pairs.get(at)? {
                    Value::List(kv) | Value::Tuple(kv) => kv.get(1),
                    _ => None,
                },
            },
            _ => None,
        }
    }

    /// Where [`Value::get`] finds `key`, for it and [`Value::get_mut`] alike: the position of
    /// the item (of a list or tuple, or of an object's list items), of the last dict entry
    /// under `key` (a Python dict keeps the last), or of the last `[key, value]` pair.
    fn position(&self, key: &Value) -> Option<usize> {
        let last_under = |entries: &[(Value, Value)]| entries.iter().rposition(|(k, _)| k == key);
        let items = match self {
            Value::List(items) | Value::Tuple(items) => items,
            Value::Dict(entries) => return last_under(entries),
            Value::Object(o) => match o.items()? {
                Items::Seq(items) => items,
                Items::Map(entries) => return last_under(entries),
                Items::Pairs(pairs) => {
                    return pairs.iter().rposition(|pair| {
                        matches!(pair, Value::List(kv) | Value::Tuple(kv)
                            if kv.len() == 2 && kv[0] == *key)
                    })
                }
            },
            _ => return None,
        };
        let at = match key {
            Value::Int(i) => usize::try_from(*i).ok()?,
            // An int too: `[10, 20][True]` is 20.
            Value::Bool(b) => usize::from(*b),
            _ => return None,
        };
        (at < items.len()).then_some(at)
    }

    /// The attribute `name` of an instance, as `getattr(obj, name)` finds it in the
    /// attributes its pickle sets (see [`Object::attr`]); `None` for anything else.
    ///
    /// ```
    /// use pypickle::{DeOptions, Value};
    /// // pickle.dumps(Point(1, 2), 4) of a plain class `shapes.Point` with x and y
    /// let data = b"\x80\x04\x95(\x00\x00\x00\x00\x00\x00\x00\x8c\x06shapes\x94\x8c\x05Point\x94\x93\x94)\x81\x94}\x94(\x8c\x01x\x94K\x01\x8c\x01y\x94K\x02ub.";
    /// let v: Value = pypickle::from_slice_with(data, &DeOptions::new().record_unknown_globals(true))?;
    /// assert_eq!(v.attr("y"), Some(&Value::from(2)));
    /// assert_eq!(v.attr("z"), None);
    /// assert_eq!(v["y"], Value::None); // indexing is for items, as `obj['y']` is in Python
    /// # Ok::<(), pypickle::Error>(())
    /// ```
    pub fn attr(&self, name: &str) -> Option<&Value> {
        match self {
            Value::Object(o) => o.attr(name),
            _ => None,
        }
    }

    /// The global, if this is one.
    pub fn as_global(&self) -> Option<&Global> {
        match self {
            Value::Global(g) => Some(g),
            _ => None,
        }
    }

    /// The object, if this is one.
    pub fn as_object(&self) -> Option<&Object> {
        match self {
            Value::Object(o) => Some(o),
            _ => None,
        }
    }

    /// An `int` from any integer, as `Value::Int` when it fits in `i64`.
    pub(crate) fn from_big(b: BigInt) -> Value {
        match b.to_i64() {
            Some(i) => Value::Int(i),
            None => Value::BigInt(b),
        }
    }
}

/// Build a [`Value`] with Python-like syntax.
///
/// Lists are `[..]`, tuples `(..)` (parentheses always make a tuple, so `(1)` is a one-item
/// tuple), dicts `{key: value, ..}` with keys that are one token or one bracketed group,
/// `None` is `None`, and anything else is an expression converted with `Value::from`. Sets need
/// `Value::Set(vec![..])`.
///
/// ```
/// use pypickle::{pickle_value, Value};
/// let v = pickle_value!({"id": 7, "tags": ["a", "b"], "pos": (1.5, -2.0), "none": None});
/// assert_eq!(v.to_string(), "{'id': 7, 'tags': ['a', 'b'], 'pos': (1.5, -2.0), 'none': None}");
/// assert_eq!(pickle_value!((1,)).to_string(), "(1,)");
/// assert_eq!(pickle_value!([]), Value::List(vec![]));
/// ```
#[macro_export]
macro_rules! pickle_value {
    (@seq [$($out:expr,)*]) => { vec![$($out,)*] };
    (@seq [$($out:expr,)*] None $(, $($rest:tt)*)?) => {
        $crate::pickle_value!(@seq [$($out,)* $crate::Value::None,] $($($rest)*)?)
    };
    (@seq [$($out:expr,)*] [$($inner:tt)*] $(, $($rest:tt)*)?) => {
        $crate::pickle_value!(@seq [$($out,)* $crate::pickle_value!([$($inner)*]),] $($($rest)*)?)
    };
    (@seq [$($out:expr,)*] {$($inner:tt)*} $(, $($rest:tt)*)?) => {
        $crate::pickle_value!(@seq [$($out,)* $crate::pickle_value!({$($inner)*}),] $($($rest)*)?)
    };
    (@seq [$($out:expr,)*] ($($inner:tt)*) $(, $($rest:tt)*)?) => {
        $crate::pickle_value!(@seq [$($out,)* $crate::pickle_value!(($($inner)*)),] $($($rest)*)?)
    };
    (@seq [$($out:expr,)*] $next:expr $(, $($rest:tt)*)?) => {
        $crate::pickle_value!(@seq [$($out,)* $crate::Value::from($next),] $($($rest)*)?)
    };
    (@map [$($out:expr,)*]) => { vec![$($out,)*] };
    (@map [$($out:expr,)*] $key:tt : None $(, $($rest:tt)*)?) => {
        $crate::pickle_value!(@map [$($out,)* ($crate::pickle_value!($key), $crate::Value::None),] $($($rest)*)?)
    };
    (@map [$($out:expr,)*] $key:tt : [$($v:tt)*] $(, $($rest:tt)*)?) => {
        $crate::pickle_value!(@map [$($out,)* ($crate::pickle_value!($key), $crate::pickle_value!([$($v)*])),] $($($rest)*)?)
    };
    (@map [$($out:expr,)*] $key:tt : {$($v:tt)*} $(, $($rest:tt)*)?) => {
        $crate::pickle_value!(@map [$($out,)* ($crate::pickle_value!($key), $crate::pickle_value!({$($v)*})),] $($($rest)*)?)
    };
    (@map [$($out:expr,)*] $key:tt : ($($v:tt)*) $(, $($rest:tt)*)?) => {
        $crate::pickle_value!(@map [$($out,)* ($crate::pickle_value!($key), $crate::pickle_value!(($($v)*))),] $($($rest)*)?)
    };
    (@map [$($out:expr,)*] $key:tt : $v:expr $(, $($rest:tt)*)?) => {
        $crate::pickle_value!(@map [$($out,)* ($crate::pickle_value!($key), $crate::Value::from($v)),] $($($rest)*)?)
    };
    (None) => { $crate::Value::None };
    ([$($inner:tt)*]) => { $crate::Value::List($crate::pickle_value!(@seq [] $($inner)*)) };
    (($($inner:tt)*)) => { $crate::Value::Tuple($crate::pickle_value!(@seq [] $($inner)*)) };
    ({$($inner:tt)*}) => { $crate::Value::Dict($crate::pickle_value!(@map [] $($inner)*)) };
    ($other:expr) => { $crate::Value::from($other) };
}

#[cfg(test)]
mod tests {
    use super::{from_value, BigInt, Value};

    #[test]
    fn value_is_four_words() {
        assert_eq!(std::mem::size_of::<super::Value>(), 32);
    }

    /// `as_f64` is Python's `float(x)`: bools are numbers, and an int past the float range has
    /// no float (it used to give infinity, where `from_value::<f64>` errs).
    #[test]
    fn as_f64_is_pythons_float() {
        assert_eq!(Value::Bool(true).as_f64(), Some(1.0));
        assert_eq!(
            Value::BigInt(BigInt::from(1u128 << 100)).as_f64(),
            Some(2f64.powi(100))
        );
        let huge: BigInt = "1".repeat(400).parse().unwrap();
        assert_eq!(Value::BigInt(huge).as_f64(), None);
        assert_eq!(Value::Str("1".into()).as_f64(), None);
    }

    /// An int wider than 128 bits asked for as another type says it is the wrong type.
    #[test]
    fn ints_wider_than_128_bits_are_the_wrong_type() {
        let huge = Value::BigInt("9".repeat(60).parse().unwrap());
        let e = from_value::<String>(huge.clone()).unwrap_err();
        assert!(
            e.to_string().starts_with("invalid type: integer `999")
                && e.to_string().ends_with("expected a string"),
            "{e}"
        );
        let e = from_value::<u128>(huge).unwrap_err();
        assert!(
            e.to_string().starts_with("invalid value: integer `999")
                && e.to_string().ends_with("expected u128"),
            "{e}"
        );
    }
}
