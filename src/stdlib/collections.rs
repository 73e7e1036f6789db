//! `collections.OrderedDict`, `defaultdict`, `Counter` and `deque`.
//!
//! CPython pickles `OrderedDict()` and `defaultdict(factory)` followed by SETITEMS,
//! `Counter(dict)`, and `deque((), maxlen)` followed by APPENDS. Python 2 passed the items as
//! constructor arguments instead (`OrderedDict([[k, v], ...])`, `deque(list, maxlen)`); both
//! shapes are read.

use std::cmp::Ordering;
use std::fmt::{self, Display, Formatter, Write};

use super::{call_object, invalid, via_value};
use crate::error::Error;
use crate::value::display::{write_dict, write_list};
use crate::value::{BigInt, Made, Object, Value};

const ORDERED_DICT: &str = "collections.OrderedDict";
const DEFAULT_DICT: &str = "collections.defaultdict";
const COUNTER: &str = "collections.Counter";
const DEQUE: &str = "collections.deque";

/// The constructor arguments of a collection, which may have items added after it is made but
/// no BUILD state (instance attributes are not kept by these types), unless `attrs` (for its
/// `repr()`, which leaves them out; they hold none of the items).
fn collection_args<'a>(obj: &'a Object, what: &str, attrs: bool) -> Result<&'a [Value], Error> {
    if !matches!(obj.made, Made::Call | Made::New) || obj.kwargs.is_some() {
        return Err(invalid(what, "not made by a plain constructor call"));
    }
    if !attrs && !obj.state.is_empty() {
        return Err(invalid(what, "has instance attributes (BUILD state)"));
    }
    match &obj.args {
        Value::Tuple(items) => Ok(items),
        _ => Err(invalid(what, "constructor arguments are not a tuple")),
    }
}

/// The entries of a dict-like collection as its object holds them, lent: those given to its
/// constructor (a dict, or a list of pairs), then those set after it was made.
///
/// The collections are read through these, and copied only into the public owned types:
/// printing or converting nested collections with a copy at each level would cost the size of
/// everything below it, again at every level.
#[derive(Clone, Copy)]
pub(crate) struct EntriesRef<'a> {
    given: &'a [(Value, Value)],
    /// 2-item lists or tuples (checked).
    given_pairs: &'a [Value],
    added: &'a [(Value, Value)],
}

impl<'a> EntriesRef<'a> {
    pub(crate) fn iter(self) -> impl Iterator<Item = (&'a Value, &'a Value)> {
        let pair = |p: &'a Value| match p.as_slice() {
            Some([k, v]) => Some((k, v)),
            _ => None,
        };
        self.given
            .iter()
            .map(|(k, v)| (k, v))
            .chain(self.given_pairs.iter().filter_map(pair))
            .chain(self.added.iter().map(|(k, v)| (k, v)))
    }

    pub(crate) fn len(self) -> usize {
        self.given.len() + self.given_pairs.len() + self.added.len()
    }

    fn to_vec(self) -> Vec<(Value, Value)> {
        self.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
    }
}

/// The entries of `obj` after `given`, a dict or a list of `(key, value)` pairs (2-item lists
/// or tuples), if any.
fn entries<'a>(
    given: Option<&'a Value>,
    obj: &'a Object,
    what: &str,
) -> Result<EntriesRef<'a>, Error> {
    let mut e = EntriesRef {
        given: &[],
        given_pairs: &[],
        added: &obj.dict_items,
    };
    match given {
        None => {}
        Some(Value::Dict(d)) => e.given = d,
        Some(Value::List(items) | Value::Tuple(items)) => {
            let is_pair = |p: &Value| {
                matches!(p, Value::List(_) | Value::Tuple(_))
                    && p.as_slice().is_some_and(|kv| kv.len() == 2)
            };
            if !items.iter().all(is_pair) {
                return Err(invalid(what, "items are not (key, value) pairs"));
            }
            e.given_pairs = items;
        }
        Some(_) => return Err(invalid(what, "items are not a dict or a list of pairs")),
    }
    Ok(e)
}

/// The items of a `deque` as its object holds them, lent: those given to its constructor,
/// then those appended, of which it keeps the last `maxlen`.
#[derive(Clone, Copy)]
pub(crate) struct DequeRef<'a> {
    given: &'a [Value],
    added: &'a [Value],
    maxlen: Option<usize>,
}

impl<'a> DequeRef<'a> {
    /// The items the deque keeps.
    pub(crate) fn iter(self) -> impl Iterator<Item = &'a Value> {
        self.given.iter().chain(self.added).skip(self.dropped())
    }

    pub(crate) fn len(self) -> usize {
        self.given.len() + self.added.len() - self.dropped()
    }

    /// How many items from the left `maxlen` drops.
    fn dropped(self) -> usize {
        let all = self.given.len() + self.added.len();
        self.maxlen.map_or(0, |n| all.saturating_sub(n))
    }
}

fn no_list_items(obj: &Object, what: &str) -> Result<(), Error> {
    if obj.list_items.is_empty() {
        Ok(())
    } else {
        Err(invalid(what, "unexpected appended items"))
    }
}

/// Whether `obj` is a collection whose constructor was given items, which the class bridge's
/// rules, looking for items set or appended after the call, would miss: Python 2's
/// `OrderedDict([[k, v], ...])` and `deque([...], maxlen)`, `defaultdict(factory, {...})`.
pub(crate) fn has_constructor_items(obj: &Object) -> bool {
    if obj.class.module != "collections" {
        return false;
    }
    let Value::Tuple(args) = &obj.args else {
        return false;
    };
    match (obj.class.name.as_str(), args.as_slice()) {
        ("OrderedDict", [_, ..]) | ("defaultdict", [_, _, ..]) => true,
        ("deque", [items, ..]) => !matches!(items.as_slice(), Some([])),
        _ => false,
    }
}

/// The items of a collection of [`has_constructor_items`], moved out of it: a dict (a list
/// for a deque) of every item, those given and those added after (its attributes are left
/// out), or the error that the collection is malformed.
pub(crate) fn into_constructor_items(obj: Object) -> Result<Value, Error> {
    match obj.class.name.as_str() {
        "deque" => {
            let dropped = deque_ref(&obj, true)?.dropped();
            let Object {
                args, list_items, ..
            } = obj;
            let given = match args {
                Value::Tuple(args) => args.into_iter().next(),
                _ => None,
            };
            let mut items = match given {
                Some(Value::List(items) | Value::Tuple(items)) => items,
                _ => Vec::new(),
            };
            items.extend(list_items);
            items.drain(..dropped.min(items.len()));
            Ok(Value::List(items))
        }
        name => {
            match name {
                "OrderedDict" => drop(ordered_dict_ref(&obj, true)?),
                _ => drop(default_dict_ref(&obj, true)?),
            }
            let Object {
                args, dict_items, ..
            } = obj;
            // The items are the last argument (checked above).
            let given = match args {
                Value::Tuple(mut args) => args.pop(),
                _ => None,
            };
            let mut entries = match given {
                Some(Value::Dict(d)) => d,
                Some(Value::List(pairs) | Value::Tuple(pairs)) => pairs
                    .into_iter()
                    .filter_map(|p| match p {
                        Value::List(kv) | Value::Tuple(kv) => <[Value; 2]>::try_from(kv).ok(),
                        _ => None,
                    })
                    .map(|[k, v]| (k, v))
                    .collect(),
                _ => Vec::new(),
            };
            entries.extend(dict_items);
            Ok(Value::Dict(entries))
        }
    }
}

/// An `OrderedDict`'s entries; its attributes (BUILD state) are an error unless `attrs`.
pub(crate) fn ordered_dict_ref(obj: &Object, attrs: bool) -> Result<EntriesRef<'_>, Error> {
    no_list_items(obj, ORDERED_DICT)?;
    match collection_args(obj, ORDERED_DICT, attrs)? {
        [] => entries(None, obj, ORDERED_DICT),
        [items] => entries(Some(items), obj, ORDERED_DICT),
        _ => Err(invalid(ORDERED_DICT, "too many arguments")),
    }
}

/// A `defaultdict`'s factory and entries; its attributes are an error unless `attrs`.
pub(crate) fn default_dict_ref(
    obj: &Object,
    attrs: bool,
) -> Result<(&Value, EntriesRef<'_>), Error> {
    static NONE: Value = Value::None;
    no_list_items(obj, DEFAULT_DICT)?;
    let (factory, entries) = match collection_args(obj, DEFAULT_DICT, attrs)? {
        [] => (&NONE, entries(None, obj, DEFAULT_DICT)?),
        [factory] => (factory, entries(None, obj, DEFAULT_DICT)?),
        [factory, items] => (factory, entries(Some(items), obj, DEFAULT_DICT)?),
        _ => return Err(invalid(DEFAULT_DICT, "too many arguments")),
    };
    if !callable_factory(factory) {
        return Err(invalid(
            DEFAULT_DICT,
            format_args!("default_factory {factory} is not callable"),
        ));
    }
    Ok((factory, entries))
}

/// A `Counter`'s entries; its attributes are an error unless `attrs`.
pub(crate) fn counter_ref(obj: &Object, attrs: bool) -> Result<EntriesRef<'_>, Error> {
    no_list_items(obj, COUNTER)?;
    match collection_args(obj, COUNTER, attrs)? {
        [] => entries(None, obj, COUNTER),
        [d @ Value::Dict(_)] => entries(Some(d), obj, COUNTER),
        _ => Err(invalid(COUNTER, "expected Counter(dict)")),
    }
}

/// A `deque`'s items and bound; its attributes are an error unless `attrs`.
pub(crate) fn deque_ref(obj: &Object, attrs: bool) -> Result<DequeRef<'_>, Error> {
    if !obj.dict_items.is_empty() {
        return Err(invalid(DEQUE, "unexpected set items"));
    }
    let (initial, maxlen) = match collection_args(obj, DEQUE, attrs)? {
        [] => (None, &Value::None),
        [initial] => (Some(initial), &Value::None),
        [initial, maxlen] => (Some(initial), maxlen),
        _ => return Err(invalid(DEQUE, "too many arguments")),
    };
    let maxlen = match maxlen {
        Value::None => None,
        Value::Int(n) => Some(
            usize::try_from(*n)
                .map_err(|_| invalid(DEQUE, format_args!("maxlen {n} is negative or too large")))?,
        ),
        Value::BigInt(n) => {
            return Err(invalid(
                DEQUE,
                format_args!("maxlen {n} is negative or too large"),
            ))
        }
        other => return Err(invalid(DEQUE, format_args!("maxlen {other} is not an int"))),
    };
    let given = match initial {
        None => &[][..],
        Some(Value::List(items) | Value::Tuple(items)) => items,
        Some(_) => return Err(invalid(DEQUE, "initial items are not a list or tuple")),
    };
    Ok(DequeRef {
        given,
        added: &obj.list_items,
        maxlen,
    })
}

/// `OrderedDict([('a', 1)])`, `OrderedDict()`: CPython 3.11's repr.
pub(crate) fn write_ordered_dict<'a>(
    f: &mut Formatter<'_>,
    entries: impl Iterator<Item = (&'a Value, &'a Value)>,
) -> fmt::Result {
    let mut entries = entries.peekable();
    if entries.peek().is_none() {
        return f.write_str("OrderedDict()");
    }
    f.write_str("OrderedDict([")?;
    for (i, (k, v)) in entries.enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "({k}, {v})")?;
    }
    f.write_str("])")
}

/// `defaultdict(<class 'list'>, {'a': []})`. A factory that is a global prints as a class
/// (`<class 'module.name'>`); CPython prints a function differently, with its address.
pub(crate) fn write_default_dict<'a>(
    f: &mut Formatter<'_>,
    factory: &Value,
    entries: impl Iterator<Item = (&'a Value, &'a Value)>,
) -> fmt::Result {
    f.write_str("defaultdict(")?;
    match factory {
        Value::Global(g) if g.module == "builtins" => write!(f, "<class '{}'>", g.name)?,
        Value::Global(g) => write!(f, "<class '{}.{}'>", g.module, g.name)?,
        other => write!(f, "{other}")?,
    }
    f.write_str(", ")?;
    write_dict(f, entries)?;
    f.write_char(')')
}

/// `Counter({'b': 3, 'a': 1})`: see [`Counter`]'s `Display`.
pub(crate) fn write_counter<'a>(
    f: &mut Formatter<'_>,
    entries: impl Iterator<Item = (&'a Value, &'a Value)>,
) -> fmt::Result {
    let mut items: Vec<(&Value, &Value)> = entries.collect();
    if items.is_empty() {
        return f.write_str("Counter()");
    }
    if items.iter().all(|(_, v)| match v {
        Value::Float(x) => !x.is_nan(),
        Value::Int(_) | Value::BigInt(_) | Value::Bool(_) => true,
        _ => false,
    }) {
        items.sort_by(|a, b| count_cmp(b.1, a.1).unwrap_or(Ordering::Equal));
    } else if items.iter().all(|(_, v)| matches!(v, Value::Str(_))) {
        // strs compare by code point, as UTF-8 bytes do.
        items.sort_by(|a, b| b.1.as_str().cmp(&a.1.as_str()));
    }
    f.write_str("Counter(")?;
    write_dict(f, items)?;
    f.write_char(')')
}

/// `deque([1, 2])`, `deque([], maxlen=3)`: the items kept.
pub(crate) fn write_deque(f: &mut Formatter<'_>, d: DequeRef<'_>) -> fmt::Result {
    f.write_str("deque(")?;
    write_list(f, d.iter())?;
    if let Some(n) = d.maxlen {
        write!(f, ", maxlen={n}")?;
    }
    f.write_char(')')
}

/// A `collections.OrderedDict`.
///
/// ```
/// use pypickle::stdlib::OrderedDict;
/// let d = OrderedDict { items: vec![("a".into(), 1.into())] };
/// assert_eq!(d.to_string(), "OrderedDict([('a', 1)])");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct OrderedDict {
    /// The entries in order.
    pub items: Vec<(Value, Value)>,
}

impl OrderedDict {
    pub(crate) fn from_object(obj: &Object) -> Result<OrderedDict, Error> {
        let items = ordered_dict_ref(obj, false)?.to_vec();
        Ok(OrderedDict { items })
    }
}

impl From<OrderedDict> for Value {
    /// `collections.OrderedDict()` and its items set one by one, as CPython writes it.
    fn from(d: OrderedDict) -> Value {
        let mut obj = call_object("collections", "OrderedDict", Vec::new());
        obj.dict_items = d.items;
        Value::Object(Box::new(obj))
    }
}

impl Display for OrderedDict {
    /// CPython 3.11's repr: `OrderedDict([('a', 1)])`, `OrderedDict()`.
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write_ordered_dict(f, self.items.iter().map(|(k, v)| (k, v)))
    }
}

via_value!(OrderedDict, "collections", "OrderedDict");

/// A `collections.defaultdict` with its `default_factory` (a class such as `builtins.list`,
/// as a [`Value::Global`], or `None`).
///
/// ```
/// use pypickle::{stdlib::DefaultDict, Global, Value};
/// let d = DefaultDict {
///     factory: Value::Global(Box::new(Global { module: "builtins".into(), name: "list".into() })),
///     items: vec![("a".into(), Value::List(vec![]))],
/// };
/// assert_eq!(d.to_string(), "defaultdict(<class 'list'>, {'a': []})");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DefaultDict {
    /// `default_factory`: usually a [`Value::Global`], or `None`.
    pub factory: Value,
    /// The entries in order.
    pub items: Vec<(Value, Value)>,
}

impl DefaultDict {
    pub(crate) fn from_object(obj: &Object) -> Result<DefaultDict, Error> {
        let (factory, entries) = default_dict_ref(obj, false)?;
        Ok(DefaultDict {
            factory: factory.clone(),
            items: entries.to_vec(),
        })
    }
}

impl DefaultDict {
    /// An error for a factory Python cannot call (the fields are public), as when reading.
    fn writable(&self) -> Result<(), Error> {
        if !callable_factory(&self.factory) {
            return Err(invalid(
                DEFAULT_DICT,
                format_args!(
                    "default_factory {} cannot be written: Python's defaultdict takes a callable or None",
                    self.factory
                ),
            ));
        }
        Ok(())
    }
}

/// Whether Python's `defaultdict` could take `factory`: `None`, a global (a class or a
/// function), or an object of a class this crate does not know (a `functools.partial`, say);
/// the standard-library and numpy classes it knows make no callable instances.
fn callable_factory(factory: &Value) -> bool {
    match factory {
        Value::None | Value::Global(_) => true,
        Value::Object(o) => {
            let (module, name) = (o.class.module.as_str(), o.class.name.as_str());
            !super::is_allowed(module, name) && !crate::numpy::is_allowed(module, name)
        }
        _ => false,
    }
}

impl From<DefaultDict> for Value {
    /// `collections.defaultdict(factory)` (no argument for `None`) and its items set one by
    /// one, as CPython writes it.
    fn from(d: DefaultDict) -> Value {
        let args = match d.factory {
            Value::None => Vec::new(),
            f => vec![f],
        };
        let mut obj = call_object("collections", "defaultdict", args);
        obj.dict_items = d.items;
        Value::Object(Box::new(obj))
    }
}

impl Display for DefaultDict {
    /// `defaultdict(<class 'list'>, {'a': []})`. A factory that is a global prints as a class
    /// (`<class 'module.name'>`); CPython prints a function differently, with its address.
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write_default_dict(f, &self.factory, self.items.iter().map(|(k, v)| (k, v)))
    }
}

via_value!(DefaultDict, "collections", "defaultdict", check: DefaultDict::writable);

/// A `collections.Counter`: elements and their counts, in insertion order.
///
/// ```
/// use pypickle::stdlib::Counter;
/// let c = Counter { items: vec![("a".into(), 1.into()), ("b".into(), 3.into())] };
/// assert_eq!(c.to_string(), "Counter({'b': 3, 'a': 1})"); // most common first
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct Counter {
    /// The elements and their counts, in insertion order.
    pub items: Vec<(Value, Value)>,
}

impl Counter {
    pub(crate) fn from_object(obj: &Object) -> Result<Counter, Error> {
        let items = counter_ref(obj, false)?.to_vec();
        Ok(Counter { items })
    }
}

impl From<Counter> for Value {
    /// `collections.Counter(dict)`, as CPython writes it.
    fn from(c: Counter) -> Value {
        Value::Object(Box::new(call_object(
            "collections",
            "Counter",
            vec![Value::Dict(c.items)],
        )))
    }
}

impl Display for Counter {
    /// `Counter({'b': 3, 'a': 1})`: most common first, ties in insertion order, as
    /// `most_common()` orders them (counts that are all numbers, or all strs); insertion order
    /// otherwise, and if a count is NaN (which no order places: Python's follows its sort's
    /// steps). Counts of other types (`Decimal`, `Fraction`, tuples) are left in insertion
    /// order, where Python would sort them.
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write_counter(f, self.items.iter().map(|(k, v)| (k, v)))
    }
}

via_value!(Counter, "collections", "Counter");

/// Python's order of two counts (bools, ints of any size, floats), exact between ints and
/// floats as Python compares them; `None` for a NaN or a count that is not a number.
fn count_cmp(a: &Value, b: &Value) -> Option<Ordering> {
    fn int(v: &Value) -> Option<BigInt> {
        match v {
            Value::Bool(b) => Some(BigInt::from(i64::from(*b))),
            Value::Int(i) => Some(BigInt::from(*i)),
            Value::BigInt(b) => Some(b.clone()),
            _ => None,
        }
    }
    /// An int against a float: against its integral part, then its fraction.
    fn int_float(n: &BigInt, f: f64) -> Option<Ordering> {
        if f.is_infinite() {
            return Some(if f > 0.0 {
                Ordering::Less
            } else {
                Ordering::Greater
            });
        }
        let whole = BigInt::from_integral_f64(f.trunc())?;
        match n.cmp(&whole) {
            Ordering::Equal => 0.0.partial_cmp(&(f - f.trunc())),
            unequal => Some(unequal),
        }
    }
    match (a, b) {
        (Value::Float(x), Value::Float(y)) => x.partial_cmp(y),
        (Value::Float(x), n) => int_float(&int(n)?, *x).map(Ordering::reverse),
        (n, Value::Float(y)) => int_float(&int(n)?, *y),
        _ => Some(int(a)?.cmp(&int(b)?)),
    }
}

/// A `collections.deque` with its `maxlen`.
///
/// ```
/// use pypickle::stdlib::Deque;
/// let d = Deque { items: vec![1.into(), 2.into()], maxlen: Some(3) };
/// assert_eq!(d.to_string(), "deque([1, 2], maxlen=3)");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct Deque {
    /// The items, left to right.
    pub items: Vec<Value>,
    /// The bound, if any: appending past it drops items from the left.
    pub maxlen: Option<usize>,
}

impl Deque {
    pub(crate) fn from_object(obj: &Object) -> Result<Deque, Error> {
        let d = deque_ref(obj, false)?;
        Ok(Deque {
            items: d.iter().cloned().collect(),
            maxlen: d.maxlen,
        })
    }
}

impl Deque {
    /// An error for a bound Python cannot hold (the fields are public): past `isize::MAX`,
    /// its `Py_ssize_t`.
    fn writable(&self) -> Result<(), Error> {
        match self.maxlen {
            Some(n) if n > isize::MAX as usize => Err(invalid(
                DEQUE,
                format_args!(
                    "maxlen {n} cannot be written: Python's deque takes at most {}",
                    isize::MAX
                ),
            )),
            _ => Ok(()),
        }
    }
}

impl From<Deque> for Value {
    /// `collections.deque()` or `deque((), maxlen)`, then its items appended, as CPython
    /// writes it.
    fn from(d: Deque) -> Value {
        let args = match d.maxlen {
            None => Vec::new(),
            Some(n) => vec![Value::Tuple(Vec::new()), Value::from(n)],
        };
        let mut obj = call_object("collections", "deque", args);
        obj.list_items = d.items;
        Value::Object(Box::new(obj))
    }
}

impl Display for Deque {
    /// `deque([1, 2])`, `deque([], maxlen=3)`
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        // Python keeps the last `maxlen` items (`DequeRef::iter`).
        let d = DequeRef {
            given: &self.items,
            added: &[],
            maxlen: self.maxlen,
        };
        write_deque(f, d)
    }
}

via_value!(Deque, "collections", "deque", check: Deque::writable);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counter_orders_counts_exactly_as_python() {
        // Python 3.11: repr(Counter({'a': 2**53, 'b': 2**53+1, 'c': 2.5, 'd': 2, 'e': True,
        // 'f': 2**70, 'g': -2**70, 'h': 3.0, 'i': 3}))
        let big = |s: &str| Value::BigInt(s.parse().unwrap());
        let c = Counter {
            items: vec![
                ("a".into(), Value::Int(1 << 53)),
                ("b".into(), Value::Int((1 << 53) + 1)),
                ("c".into(), Value::Float(2.5)),
                ("d".into(), Value::Int(2)),
                ("e".into(), Value::Bool(true)),
                ("f".into(), big("1180591620717411303424")),
                ("g".into(), big("-1180591620717411303424")),
                ("h".into(), Value::Float(3.0)),
                ("i".into(), Value::Int(3)),
            ],
        };
        assert_eq!(
            c.to_string(),
            "Counter({'f': 1180591620717411303424, 'b': 9007199254740993, \
             'a': 9007199254740992, 'h': 3.0, 'i': 3, 'c': 2.5, 'd': 2, 'e': True, \
             'g': -1180591620717411303424})"
        );
    }

    #[test]
    fn deque_shows_what_python_keeps_under_maxlen() {
        let d = |n: i64, maxlen| Deque {
            items: (1..=n).map(Value::Int).collect(),
            maxlen,
        };
        assert_eq!(d(3, Some(2)).to_string(), "deque([2, 3], maxlen=2)");
        assert_eq!(d(1, Some(0)).to_string(), "deque([], maxlen=0)");
        assert_eq!(d(2, None).to_string(), "deque([1, 2])");
    }
}
