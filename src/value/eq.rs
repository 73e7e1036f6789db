//! Python's equality and hashing for [`Value`]: numbers compare by value across bool, int and
//! float, bytes equals bytearray, set equals frozenset, dicts and sets ignore order.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};

use super::bigint::{float_to_i128, BigInt};
use super::{Complex, Value};

/// A number in a canonical form for comparing and hashing.
#[derive(PartialEq)]
enum Num {
    Int(i128),
    Big(BigInt),
    /// Not integral (or NaN / infinite).
    Float(f64),
    Complex(f64, f64),
}

fn canonical_float(f: f64) -> Num {
    if let Some(i) = float_to_i128(f) {
        return Num::Int(i);
    }
    match BigInt::from_integral_f64(f) {
        Some(b) => Num::Big(b),
        None => Num::Float(f),
    }
}

fn num(v: &Value) -> Option<Num> {
    Some(match v {
        Value::Bool(b) => Num::Int(i128::from(*b)),
        Value::Int(i) => Num::Int(i128::from(*i)),
        Value::BigInt(b) => match b.to_i128() {
            Some(i) => Num::Int(i),
            None => Num::Big(b.clone()),
        },
        Value::Float(f) => canonical_float(*f),
        Value::Complex(Complex { re, im }) if *im == 0.0 => canonical_float(*re),
        Value::Complex(Complex { re, im }) => Num::Complex(*re, *im),
        _ => return None,
    })
}

fn float_eq(a: f64, b: f64) -> bool {
    a == b || (a.is_nan() && b.is_nan())
}

fn num_eq(a: &Num, b: &Num) -> bool {
    match (a, b) {
        (Num::Float(x), Num::Float(y)) => float_eq(*x, *y),
        (Num::Complex(a, b), Num::Complex(c, d)) => float_eq(*a, *c) && float_eq(*b, *d),
        (x, y) => x == y,
    }
}

thread_local! {
    /// Whether a comparison on this thread is under a set or dict whose items did not match
    /// in order: matched by hash from there down.
    static BY_HASH: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    /// While [`BY_HASH`] is set: the hashes of the sets and dicts hashed so far whose hash
    /// cost [`KEEP_COST`] values or more, by address. Matching by hash hashes each level's
    /// items, and a set's hash is its items' hashes: without these, every level of nested
    /// sets hashed everything below it again. (Reached with `try_with`: it has a destructor,
    /// and a value may be compared in another thread-local's.)
    static HASHES: std::cell::RefCell<Option<HashMap<usize, u64>>> =
        const { std::cell::RefCell::new(None) };
    /// How many values this thread has hashed: what a set's or dict's hash cost.
    static HASHED: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// A set's or dict's hash is kept while matching by hash if it hashed at least this many
/// values: cheap ones are worked out again, which costs less than keeping them.
const KEEP_COST: u64 = 32;

/// How many values this thread has hashed.
fn hashed() -> u64 {
    HASHED.try_with(std::cell::Cell::get).unwrap_or(0)
}

/// Ends matching by hash on this thread however the comparison ends.
struct ByHashEnds;

impl Drop for ByHashEnds {
    fn drop(&mut self) {
        let _ = HASHES.try_with(|h| h.borrow_mut().take());
        BY_HASH.with(|h| h.set(false));
    }
}

/// Whether `a` and `b` hold the same items as many times each, in any order.
///
/// Items are compared in order first, which is all that equal values in the same order
/// cost. At the first pair that differs, the rest are matched by hash, and so is everything
/// under them: an in-order attempt that failed deep down is not repeated at every level,
/// which made equal nested sets in other orders exponential in their depth (a hunt's
/// 799-byte pickle took 11 s).
fn multiset_eq<T: Hash + PartialEq>(a: &[T], b: &[T]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    if BY_HASH.with(std::cell::Cell::get) {
        return hash_matched(a, b);
    }
    let Some(first) = a.iter().zip(b).position(|(x, y)| x != y) else {
        return true;
    };
    // Pairs equal in order are a valid part of a matching (equality is an equivalence).
    // (Only an outermost comparison gets here: the values compared are borrowed for all of
    // it, so the addresses the hashes are kept by stay theirs.)
    BY_HASH.with(|h| h.set(true));
    let _ = HASHES.try_with(|h| *h.borrow_mut() = Some(HashMap::new()));
    let _ends = ByHashEnds;
    hash_matched(&a[first..], &b[first..])
}

/// The order-free hash of the set or dict `v` whose items' hashes `items` gives: kept while
/// matching by hash (see [`HASHES`]), so that each is worked out once.
fn container_hash(v: &Value, items: impl FnOnce() -> u64) -> u64 {
    let key = v as *const Value as usize;
    let known = HASHES.try_with(|h| h.borrow().as_ref().map(|m| m.get(&key).copied()));
    match known {
        Ok(Some(Some(hash))) => hash,
        Ok(Some(None)) => {
            let before = hashed();
            let hash = items();
            if hashed().wrapping_sub(before) >= KEEP_COST {
                let _ = HASHES.try_with(|h| {
                    if let Some(m) = h.borrow_mut().as_mut() {
                        m.insert(key, hash);
                    }
                });
            }
            hash
        }
        // Not matching by hash (or the thread's locals are going).
        _ => items(),
    }
}

/// [`multiset_eq`] by hash: each item of `b` against the unmatched items of `a` of its hash,
/// its own position first; each bucket is scanned from its first unmatched item, so equal
/// items cost one comparison each, however many share a hash.
fn hash_matched<T: Hash + PartialEq>(a: &[T], b: &[T]) -> bool {
    let hashes: Vec<u64> = a.iter().map(hash_one).collect();
    let mut matched = vec![false; a.len()];
    let mut buckets: HashMap<u64, (Vec<usize>, usize)> = HashMap::with_capacity(a.len());
    for (i, &h) in hashes.iter().enumerate() {
        buckets.entry(h).or_default().0.push(i);
    }
    for (j, y) in b.iter().enumerate() {
        let h = hash_one(y);
        if hashes[j] == h && !matched[j] && a[j] == *y {
            matched[j] = true;
            continue;
        }
        let Some((items, start)) = buckets.get_mut(&h) else {
            return false;
        };
        while *start < items.len() && matched[items[*start]] {
            *start += 1;
            #[cfg(test)]
            tests::SCANNED.with(|c| c.set(c.get() + 1));
        }
        let found = items[*start..].iter().copied().find(|&i| {
            #[cfg(test)]
            tests::SCANNED.with(|c| c.set(c.get() + 1));
            !matched[i] && a[i] == *y
        });
        match found {
            Some(i) => matched[i] = true,
            None => return false,
        }
    }
    true
}

/// Equal as multisets, ignoring order.
fn unordered_eq(a: &[Value], b: &[Value]) -> bool {
    multiset_eq(a, b)
}

/// Equal as multisets of entries, ignoring order: the same as Python's dict equality when keys
/// are distinct, and symmetric (and consistent with the hash) when a pickle set a key twice.
fn dict_eq(a: &[(Value, Value)], b: &[(Value, Value)]) -> bool {
    multiset_eq(a, b)
}

impl PartialEq for Value {
    fn eq(&self, other: &Value) -> bool {
        use Value::*;
        #[cfg(test)]
        tests::COMPARED.with(|c| c.set(c.get() + 1));
        match (self, other) {
            (None, None) => true,
            (Str(a), Str(b)) => a == b,
            (Bytes(a) | ByteArray(a), Bytes(b) | ByteArray(b)) => a == b,
            (List(a), List(b)) | (Tuple(a), Tuple(b)) => a == b,
            (Set(a) | FrozenSet(a), Set(b) | FrozenSet(b)) => unordered_eq(a, b),
            (Dict(a), Dict(b)) => dict_eq(a, b),
            (Global(a), Global(b)) => a == b,
            (Object(a), Object(b)) => a == b,
            (a, b) => match (num(a), num(b)) {
                (Some(x), Some(y)) => num_eq(&x, &y),
                _ => false,
            },
        }
    }
}

impl Eq for Value {}

/// Hashes equal floats alike: every NaN as one, and `-0.0` as `0.0` (a complex number's parts
/// reach here unchanged, and `complex(-0.0, 1) == 1j`).
fn hash_float<H: Hasher>(f: f64, state: &mut H) {
    if f.is_nan() {
        state.write_u64(0x7ff8_0000_0000_0000);
    } else if f == 0.0 {
        state.write_u64(0);
    } else {
        state.write_u64(f.to_bits());
    }
}

/// A hash that does not depend on order (for sets and dicts).
fn unordered_hash<I: Iterator<Item = u64>>(it: I) -> u64 {
    it.fold(0u64, |acc, h| {
        acc.wrapping_add(h.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ (h >> 29))
    })
}

/// An item's hash for a set's or dict's own (order-free) hash and for matching items when
/// comparing them: keyed at random once per process, so that no pickle can be made whose
/// items collide (a fixed key let one be made ahead of time).
fn hash_one<T: Hash + ?Sized>(v: &T) -> u64 {
    use std::hash::BuildHasher;
    static KEYS: std::sync::OnceLock<std::collections::hash_map::RandomState> =
        std::sync::OnceLock::new();
    KEYS.get_or_init(Default::default).hash_one(v)
}

impl Hash for Value {
    fn hash<H: Hasher>(&self, state: &mut H) {
        use Value::*;
        let _ = HASHED.try_with(|c| c.set(c.get().wrapping_add(1)));
        // Each kind of number, and each kind of value, is tagged, and what varies in length
        // says its length, so that no two values write the same bytes to the hasher (an int
        // and a None once wrote what two floats did, colliding under every key).
        if let Some(n) = num(self) {
            state.write_u8(0);
            match n {
                Num::Int(i) => {
                    state.write_u8(0);
                    state.write_i128(i);
                }
                Num::Big(b) => {
                    state.write_u8(1);
                    b.hash(state);
                }
                Num::Float(f) => {
                    state.write_u8(2);
                    hash_float(f, state);
                }
                Num::Complex(re, im) => {
                    state.write_u8(3);
                    hash_float(re, state);
                    hash_float(im, state);
                }
            }
            return;
        }
        match self {
            None => state.write_u8(1),
            Str(s) => {
                state.write_u8(2);
                s.hash(state);
            }
            Bytes(b) | ByteArray(b) => {
                state.write_u8(3);
                b.hash(state);
            }
            List(v) => {
                state.write_u8(4);
                v.hash(state);
            }
            Tuple(v) => {
                state.write_u8(5);
                v.hash(state);
            }
            Set(v) | FrozenSet(v) => {
                state.write_u8(6);
                state.write_u64(container_hash(self, || {
                    unordered_hash(v.iter().map(hash_one))
                }));
            }
            Dict(d) => {
                state.write_u8(7);
                state.write_u64(container_hash(self, || {
                    unordered_hash(d.iter().map(|(k, v)| hash_one(&(k, v))))
                }));
            }
            Global(g) => {
                state.write_u8(8);
                g.hash(state);
            }
            Object(o) => {
                state.write_u8(9);
                o.hash(state);
            }
            Bool(_) | Int(_) | BigInt(_) | Float(_) | Complex(_) => {
                unreachable!("numbers hashed above")
            }
        }
    }
}

/// The indices of the items a Python set keeps when built from `items` in order (the first of
/// equal ones: `set([1, True, 1.0])` is `{1}`), or `None` if they are all distinct. An item
/// holding a NaN is never equal to another: unpickled floats are distinct objects, and Python
/// finds a NaN equal only to itself. Nor is one holding an object: Python compares those by
/// their class's `__eq__`, which nothing here runs (by identity for most, exceptions among
/// them; `Decimal('NaN')` is not even equal to itself), so two of them are kept apart, but
/// for the same object twice: `ids` gives each item that holds an object its identity, if
/// known (the pickle's), and Python's set sees that an object is itself.
pub(crate) fn set_survivors<V: std::borrow::Borrow<Value>>(
    items: &[V],
    ids: &[Option<Identity>],
) -> Option<Vec<usize>> {
    if items.len() < 2 {
        return None;
    }
    let mut seen: HashMap<&Value, ()> = HashMap::with_capacity(items.len());
    let mut objects = std::collections::HashSet::new();
    let mut keep = Vec::with_capacity(items.len());
    for (i, v) in items.iter().map(|v| v.borrow()).enumerate() {
        let new = match ids.get(i).and_then(Option::as_ref) {
            Some(id) => objects.insert(id),
            None => never_equal(v) || seen.insert(v, ()).is_none(),
        };
        if new {
            keep.push(i);
        }
    }
    (keep.len() < items.len()).then_some(keep)
}

/// Whether Python finds `v` equal to nothing else as a set item: it holds a NaN (unpickled
/// floats are distinct objects, and a NaN is equal only to itself) or an object (compared by
/// its class's `__eq__`, which nothing here runs).
pub(crate) fn never_equal(v: &Value) -> bool {
    match v {
        Value::Float(f) => f.is_nan(),
        Value::Complex(c) => c.re.is_nan() || c.im.is_nan(),
        Value::Object(_) => true,
        Value::Tuple(items) | Value::FrozenSet(items) => items.iter().any(never_equal),
        _ => false,
    }
}

/// What a set item that holds an object is, for Python's set: the objects by identity (an
/// object is equal to itself), the rest by value. Two items with the same identity are one.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Identity {
    /// The pickle's object of this id.
    Object(u32),
    /// A tuple of these.
    Tuple(Vec<Identity>),
    /// A frozenset of these: each once, in an order of their hashes (equal sets whose items
    /// share a hash may still differ here, and are kept apart).
    FrozenSet(Vec<Identity>),
    /// A value that holds no object.
    Plain(Value),
    /// The pickle's tuple (false) or frozenset (true) at this range: one no value stands for.
    Node(bool, u32, u32),
    /// Nothing else is equal to it (too deep to follow).
    Alone(usize),
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    thread_local! {
        /// How many times `Value::eq` ran on this thread.
        pub(super) static COMPARED: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
        /// How many bucket entries `hash_matched` looked at on this thread.
        pub(super) static SCANNED: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
    }

    /// Nested sets whose top items come in other orders, around a wide tuple, hash each value
    /// a few times, not once for each level above it: every level hashed everything below it
    /// again (a hunt's two 3.5 KB pickles of depth 100 took 5.7 s to compare).
    #[test]
    fn nested_sets_matched_by_hash_hash_each_value_a_few_times() {
        let n = 5_000;
        let depth = 60;
        let wide = Value::Tuple((0..n).map(Value::Int).collect());
        let mut x = wide;
        for _ in 0..depth {
            x = Value::FrozenSet(vec![x, Value::Int(7)]);
        }
        let Value::FrozenSet(top) = &x else {
            unreachable!()
        };
        let y = Value::FrozenSet(top.iter().rev().cloned().collect());
        let before = hashed();
        assert_eq!(x, y);
        let hashed = hashed() - before;
        // Without the kept hashes: about depth * n (300,000 here).
        assert!(
            hashed <= 4 * (n as u64 + 4 * depth),
            "{hashed} values hashed"
        );
        // Nothing is kept after the comparison.
        assert!(HASHES.with(|h| h.borrow().is_none()));
    }

    /// Equal nested sets whose items come in other orders are compared in time linear in
    /// their size (times the depth): `X = {(X', 0), (X', 1)}` against `Y = {(Y', 1), (Y', 0)}`
    /// compared `X'` with `Y'` three times at each level, 3^depth (a 799-byte pickle of depth
    /// 16 took 11 s; found by a hunt).
    #[test]
    fn nested_sets_in_other_orders_compare_in_linear_time() {
        let pair = |v: &Value, i: i64| Value::Tuple(vec![v.clone(), Value::Int(i)]);
        let (mut x, mut y) = (Value::Int(5), Value::Int(5));
        let depth = 14;
        for _ in 0..depth {
            x = Value::FrozenSet(vec![pair(&x, 0), pair(&x, 1)]);
            y = Value::FrozenSet(vec![pair(&y, 1), pair(&y, 0)]);
        }
        COMPARED.with(|c| c.set(0));
        assert_eq!(x, y);
        let compared = COMPARED.with(|c| c.get());
        // Each of the 2^depth leaves and the sets and tuples above them: a few times 2^depth
        // (3^depth before, 21.5 million here).
        assert!(compared <= 32 << depth, "{compared} comparisons");
        // And a set of the two is one item, as in Python.
        let both = [x.clone(), y.clone()];
        assert_eq!(set_survivors(&both, &[None, None]), Some(vec![0]));
    }

    /// Many items of one hash (equal ones: NaNs, repeated entries) cost one comparison each,
    /// in order or not; matching them scanned each hash's whole bucket (found by a review).
    #[test]
    fn items_sharing_a_hash_compare_in_linear_time() {
        let n = 20_000;
        let nans = Value::Set(vec![Value::Float(f64::NAN); n]);
        let ones_twos = |first: i64, second: i64| {
            let mut items = vec![Value::Int(first); n];
            items.extend(vec![Value::Int(second); n]);
            Value::FrozenSet(items)
        };
        let dict = |rev: bool| {
            let mut entries: Vec<(Value, Value)> = (0..n as i64)
                .map(|i| (Value::Int(i % 2), Value::Int(1)))
                .collect();
            if rev {
                entries.reverse();
            }
            Value::Dict(entries)
        };
        let pairs = [
            (nans.clone(), nans),
            (ones_twos(1, 2), ones_twos(2, 1)),
            (dict(false), dict(true)),
        ];
        for (a, b) in pairs {
            COMPARED.with(|c| c.set(0));
            SCANNED.with(|c| c.set(0));
            assert_eq!(a, b);
            let compared = COMPARED.with(|c| c.get());
            let scanned = SCANNED.with(|c| c.get());
            assert!(compared <= 8 * n as u64, "{compared} comparisons");
            assert!(scanned <= 8 * n as u64, "{scanned} entries scanned");
        }
    }

    /// No two different values write the same bytes to a hasher: `(0.5, float)` and
    /// `(int, None)` did, so any number of them collided under every key (found by a hunt).
    #[test]
    fn different_values_hash_apart() {
        let float_pair = Value::Tuple(vec![
            Value::Float(0.5),
            Value::Float(f64::from_bits(0x0100_0000_1234_5601)),
        ]);
        let int_none = Value::Tuple(vec![
            Value::BigInt(BigInt::from(1442304118114924040055322312704u128)),
            Value::None,
        ]);
        assert_ne!(float_pair, int_none);
        assert_ne!(hash_one(&float_pair), hash_one(&int_none));
    }

    #[test]
    fn python_equalities_hold_and_hash_alike() {
        let pairs = [
            (Value::Int(1), Value::Float(1.0)),
            (Value::Bool(true), Value::Int(1)),
            (Value::Float(-0.0), Value::Int(0)),
            (Value::Bytes(b"a".to_vec()), Value::ByteArray(b"a".to_vec())),
            (
                Value::Set(vec![Value::Int(1), Value::Int(2)]),
                Value::FrozenSet(vec![Value::Int(2), Value::Int(1)]),
            ),
            (
                Value::Dict(vec![
                    (Value::Int(1), Value::None),
                    (Value::Int(2), Value::None),
                ]),
                Value::Dict(vec![
                    (Value::Int(2), Value::None),
                    (Value::Int(1), Value::None),
                ]),
            ),
            (Value::Float(f64::NAN), Value::Float(f64::NAN)),
            (
                Value::BigInt(BigInt::from(1u128 << 100)),
                Value::Float(2f64.powi(100)),
            ),
            (Value::Complex(Complex { re: 2.0, im: 0.0 }), Value::Int(2)),
            // `complex(-0.0, 1) == 1j`: a signed zero in a part hashes as zero.
            (
                Value::Complex(Complex { re: -0.0, im: 1.0 }),
                Value::Complex(Complex { re: 0.0, im: 1.0 }),
            ),
            (
                Value::Complex(Complex { re: 1.0, im: -0.0 }),
                Value::Complex(Complex { re: 1.0, im: 0.0 }),
            ),
        ];
        for (a, b) in pairs {
            assert_eq!(a, b);
            assert_eq!(hash_one(&a), hash_one(&b), "{a} vs {b}");
        }
        assert_ne!(Value::Tuple(vec![]), Value::List(vec![]));
        assert_ne!(Value::Str("a".into()), Value::Bytes(b"a".to_vec()));
        assert_ne!(Value::Float(0.5), Value::Int(0));
        let set: HashSet<Value> = [Value::Int(1), Value::Float(1.0), Value::Bool(true)]
            .into_iter()
            .collect();
        assert_eq!(set.len(), 1);
        // `set([1j, complex(-0.0, 1), 5])` is `{1j, 5}` in Python.
        let j = |re: f64| Value::Complex(Complex { re, im: 1.0 });
        assert_eq!(
            set_survivors(&[j(0.0), j(-0.0), Value::Int(5)], &[]),
            Some(vec![0, 2])
        );
    }

    /// A dict with a key set twice (kept as the pickle wrote it) is compared entry for entry:
    /// equality stays symmetric and agrees with the hash.
    #[test]
    fn dicts_with_a_repeated_key_compare_as_multisets() {
        let one = |k: i64, v: i64| (Value::Int(k), Value::Int(v));
        let twice = Value::Dict(vec![one(1, 1), one(1, 1)]);
        let two = Value::Dict(vec![one(1, 1), one(2, 2)]);
        assert_ne!(twice, two);
        assert_ne!(two, twice);
        let swapped = Value::Dict(vec![one(2, 2), one(1, 1)]);
        assert_eq!(two, swapped);
        assert_eq!(hash_one(&two), hash_one(&swapped));
        assert_eq!(twice, Value::Dict(vec![one(1, 1), one(1, 1)]));
    }
}
