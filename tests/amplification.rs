//! Pickles whose reading used to cost out of proportion to their size: each now reads in about
//! the time its size takes (or stops at a limit), and reads as CPython reads it. Sizes here are
//! small enough for a debug build; the slow inputs they stand for took seconds to minutes in
//! release before.

mod py_common;

use py_common::{hex, python};
use pypickle::{DeOptions, Limit, Value};
use serde::de::IgnoredAny;
use std::collections::HashMap;

/// SHORT_BINUNICODE `s`.
fn su(s: &str) -> Vec<u8> {
    [&[0x8c, s.len() as u8][..], s.as_bytes()].concat()
}

/// CPython's protocol 4 pickle of the `x` that `setup` makes, and the `repr()` of what it
/// loads from it.
fn dumped(setup: &str) -> (Vec<u8>, String) {
    let out = python(&format!(
        "import pickle\n{setup}\np = pickle.dumps(x, 4)\nprint(p.hex())\nprint(repr(pickle.loads(p)))"
    ));
    let (hexed, repr) = out.split_once('\n').unwrap();
    (py_common::unhex(hexed), repr.trim_end().to_string())
}

/// A map's pairs in the order the reader gives them.
struct Pairs(Vec<(String, i64)>);

impl<'de> serde::Deserialize<'de> for Pairs {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Pairs;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a map")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut m: A) -> Result<Pairs, A::Error> {
                let mut out = Vec::new();
                while let Some(kv) = m.next_entry()? {
                    out.push(kv);
                }
                Ok(Pairs(out))
            }
        }
        d.deserialize_map(V)
    }
}

/// An object BUILT again and again, each time with the same one-attribute dict, after a first
/// state of many attributes: merging the states went over every attribute for each BUILD
/// (quadratic: 4 s in release for 20k of each).
#[test]
fn many_builds_of_one_object_merge_in_one_pass() {
    let n = 30_000;
    let mut p = b"\x80\x04ccollections\nOrderedDict\n)R}(".to_vec();
    for i in 0..n {
        p.extend(su(&format!("k{i}")));
        p.push(b'N');
    }
    p.extend(b"ub}");
    p.extend(su("zz"));
    p.extend(b"Ns\x94b");
    for _ in 1..n {
        p.extend(b"h\x00b");
    }
    p.push(b'.');
    let attrs: HashMap<String, IgnoredAny> = pypickle::from_slice(&p).unwrap();
    assert_eq!(attrs.len(), n + 1);
    #[derive(serde::Deserialize)]
    struct Last {
        zz: Option<i32>,
    }
    assert_eq!(pypickle::from_slice::<Last>(&p).unwrap().zz, None);
    // The same through a Value.
    let v: Value = pypickle::from_slice(&p).unwrap();
    let attrs: HashMap<String, IgnoredAny> = pypickle::from_value(v).unwrap();
    assert_eq!(attrs.len(), n + 1);
}

/// An attribute set again by a later BUILD keeps its first place and takes the later value,
/// as `vars()` shows in CPython.
#[test]
fn an_attribute_set_again_keeps_its_place() {
    // Set again by later BUILDs; and twice in one state dict (a crafted pickle).
    let later = &b"\x80\x02ctypes\nSimpleNamespace\nq\x00)Rq\x01}q\x02(X\x01\x00\x00\x00aq\x03K\x01X\x01\x00\x00\x00bq\x04K\x02ub}(X\x01\x00\x00\x00cK\x03X\x01\x00\x00\x00aK\x04ub}(h\x03K\x05ub."[..];
    let twice = &b"\x80\x02ctypes\nSimpleNamespace\n)R}(X\x01\x00\x00\x00aK\x01X\x01\x00\x00\x00bK\x02X\x01\x00\x00\x00aK\x03ub."[..];
    let opts = DeOptions::new().allow_global("types", "SimpleNamespace");
    for p in [later, twice] {
        let cpython = python(&format!(
            "import pickle; print(list(vars(pickle.loads(bytes.fromhex('{}'))).items()))",
            hex(p)
        ));
        let ours = pypickle::from_slice_with::<Pairs>(p, &opts).unwrap().0;
        let v: Value = pypickle::from_slice_with(p, &opts).unwrap();
        let through_value = pypickle::from_value::<Pairs>(v).unwrap().0;
        for pairs in [ours, through_value] {
            let shown: Vec<String> = pairs.iter().map(|(k, v)| format!("('{k}', {v})")).collect();
            assert_eq!(format!("[{}]", shown.join(", ")), cpython.trim());
        }
        // A struct takes the last value.
        #[derive(serde::Deserialize)]
        struct A {
            a: i64,
        }
        let a = pypickle::from_slice_with::<A>(p, &opts).unwrap().a;
        assert!(cpython.contains(&format!("('a', {a})")), "{a} in {cpython}");
    }
}

/// `frozenset({x, k})` nested 30 deep around a 50k-int tuple, as CPython pickles it: finding
/// the items a set would not keep built each level's items again, so a visit cost the depth
/// times the size and went over the expansion limit.
#[test]
fn nested_frozensets_read_whole() {
    let (p, repr) = dumped(
        "x = tuple(range(50000))
for k in range(30):
    x = frozenset({x, k})",
    );
    // Through serde, as a visitor of anything sees it.
    let json: serde_json::Value = pypickle::from_slice(&p).unwrap();
    let mut level = &json;
    for _ in 0..30 {
        let items = level.as_array().unwrap();
        assert_eq!(items.len(), 2);
        level = items.iter().find(|i| i.is_array()).unwrap();
    }
    assert_eq!(level.as_array().unwrap().len(), 50_000);
    // As a Value, printed as CPython prints it.
    let v: Value = pypickle::from_slice(&p).unwrap();
    let ours = v.to_string();
    assert!(ours == repr, "the reprs differ");
}

/// Nested frozensets around a tuple of 100 references to a tuple of 100 huge floats: hashing
/// each level's items hashed everything below it again (7.8 s in release for a 15 KB pickle
/// of this shape), 120 levels, past the depth to which items' hashes are followed.
#[test]
fn deep_frozensets_of_huge_floats_hash_once() {
    let float = [&b"G"[..], &1e300f64.to_be_bytes()].concat();
    let mut p = b"(".to_vec();
    p.extend(float.repeat(100));
    p.extend(b"tr\0\0\0\x000(");
    p.extend(b"j\0\0\0\0".repeat(100));
    p.push(b't');
    for k in 0..120i32 {
        p = [&b"("[..], &p, b"J", &k.to_le_bytes(), b"\x91"].concat();
    }
    let p = [&b"\x80\x04"[..], &p, b"."].concat();
    let v: Value = pypickle::from_slice(&p).unwrap();
    let json: serde_json::Value = pypickle::from_slice(&p).unwrap();
    // Each level a frozenset of the one below and an int, as CPython reads it.
    let mut level = &json;
    for k in (0..120).rev() {
        let items = level.as_array().unwrap();
        assert_eq!(items.len(), 2);
        assert!(items.contains(&serde_json::json!(k)));
        level = items.iter().find(|i| i.is_array()).unwrap();
    }
    let refs = level.as_array().unwrap();
    assert_eq!(refs.len(), 100);
    assert!(refs.iter().all(|r| r.as_array().unwrap().len() == 100));
    let cpython = python(&format!(
        "import pickle; x = pickle.loads(bytes.fromhex('{}'))
for k in reversed(range(120)):
    assert len(x) == 2 and k in x
    x = next(i for i in x if i != k)
print(len(x), len(x[0]), x[0][0])",
        hex(&p)
    ));
    assert_eq!(cpython.trim(), "100 100 1e+300");
    assert!(v.to_string().starts_with("frozenset({frozenset({"));
}

/// A global's name is copied into every value that names it: charged to the expansion budget
/// as a str's bytes are. A 1000-byte module name in 1000 references to a tuple of 1000
/// references to it took 1.1 GB.
#[test]
fn global_names_count_against_the_expansion_budget() {
    let global = [&b"c"[..], &b"m".repeat(1000), b"\nx\nq\x00"].concat();
    // A tuple of n references to the global, and a tuple of n references to that.
    let nested = |n: usize| {
        let refs = |id: u8| [&b"0("[..], &[b'h', id].repeat(n), b"t"].concat();
        [
            &b"\x80\x02"[..],
            &global,
            &refs(0),
            b"q\x01",
            &refs(1),
            b".",
        ]
        .concat()
    };
    let opts = DeOptions::new().record_unknown_globals(true);
    let e = pypickle::from_slice_with::<Value>(&nested(1000), &opts).unwrap_err();
    assert_eq!(e.limit(), Some(Limit::Expansion), "{e}");
    // A few references read.
    let v = pypickle::from_slice_with::<Value>(&nested(10), &opts).unwrap();
    assert!(v
        .to_string()
        .starts_with(&format!("(({}.x, ", "m".repeat(1000))));
    // Many objects of one class read, in the proportions of a million namedtuples of a class
    // of 46 bytes of name in 10 MB (which charging every byte of every copy refused, found by
    // a review): here 5000 objects of two fields, with a budget of 5000 values.
    // A list of 5000 objects of `class` (a GLOBAL memoized as 0), two arguments each.
    let objects_of = |class: &[u8]| {
        [
            &b"\x80\x02"[..],
            class,
            b"](",
            &b"h\x00K\x01K\x02\x86R".repeat(5000),
            b"e.",
        ]
        .concat()
    };
    let objects = objects_of(b"cmyproject.data.records.schema\nTransactionRecord\nq\x00");
    let small = opts.clone().max_expansion(5000);
    let v = pypickle::from_slice_with::<Value>(&objects, &small).unwrap();
    assert!(matches!(v, Value::List(l) if l.len() == 5000));
    // The same with a class of 72 bytes of name, whose bytes past 64 are charged (600k such
    // objects in 9.5 MB were refused when every byte of a long name was; found by a review).
    let objects = objects_of(
        b"cmyproject.models.feature_engineering.transformers\nNormalizedFeatureVector\nq\x00",
    );
    let v = pypickle::from_slice_with::<Value>(&objects, &small).unwrap();
    assert!(matches!(v, Value::List(l) if l.len() == 5000));
    // One Enum member of 53 bytes of name, referenced 5000 times: the shape of a list of a
    // million references to it (2 MB), which charging names past 8 bytes refused.
    let member = [
        &b"\x80\x02ccompany_ml_platform.feature_store.serialization\nStatus\nK\x01\x85R\x94]("[..],
        &b"h\x00".repeat(5000),
        b"e.",
    ]
    .concat();
    let v = pypickle::from_slice_with::<Value>(&member, &small).unwrap();
    assert!(matches!(v, Value::List(l) if l.len() == 5000));
}

/// Sets CPython pickles from `S(kind, items)` for each `kind, items` in the Python expression
/// `cases` (at the protocols of `protos`), which adds the items one by one, read as a `Value`,
/// as `Vec<Value>`, through `from_value` and as `Vec<IgnoredAny>`: each time as many items as
/// CPython's set has. `pickles`: how many there are.
fn sets_hold_what_cpython_keeps(setup: &str, cases: &str, protos: &str, pickles: usize) {
    let text = python(&format!(
        "import pickle\n\
         class S:\n\
         \x20   def __init__(self, kind, items): self.kind, self.items = kind, items\n\
         \x20   def __reduce__(self): return (self.kind, (self.items,))\n\
         {setup}\n\
         for p in {protos}:\n\
         \x20   for kind, items in {cases}:\n\
         \x20       b = pickle.dumps(S(kind, items), p)\n\
         \x20       print(b.hex(), len(pickle.loads(b)))"
    ));
    assert_eq!(text.lines().count(), pickles);
    py_common::assert_set_lengths(&text);
}

/// Sets are told apart by hashes of their items now: items Python finds equal across types
/// still meet and are kept once, as CPython keeps them.
#[test]
fn hashed_set_items_merge_as_python_merges_them() {
    sets_hold_what_cpython_keeps(
        "big = 2**200\n\
         items = [1, 1.0, True, complex(1, 0), 0, -0.0, False, 2**64, float(2**64), big,\n\
         \x20        float(big), complex(float(big), 0), (1,), (1.0,), (True,), ((1, 2.0),),\n\
         \x20        ((1.0, 2),), frozenset({1, 2}), frozenset({2.0, True}), frozenset({1, True}),\n\
         \x20        frozenset({1}), frozenset({frozenset({1})}), frozenset({frozenset({1.0})}),\n\
         \x20        'a' * 40, 'a' * 40, b'a' * 40, b'a' * 40, 'a', b'a', None, None, (), (),\n\
         \x20        frozenset(), ((), frozenset()), ((), frozenset()), 0.5, 0.5]",
        "[(kind, i) for kind in (set, frozenset) for i in (items, items[::-1], items[::2])]",
        "range(6)",
        36,
    );
}

/// A tuple nested 70 deep beside the big one, in frozensets nested 30 deep: items are hashed
/// to the bottom however deep (a first version stopped at 64 levels and compared everything
/// from there, found by a review), and a set holding a 100k-deep tuple twice is hashed
/// without recursing (it is then deeper than `max_depth` to read).
#[test]
fn deep_items_are_hashed_to_the_bottom() {
    let (p, repr) = dumped(
        "deep = 0
for _ in range(70):
    deep = (deep,)
x = frozenset({tuple(range(50000)), deep})
for k in range(30):
    x = frozenset({x, k})",
    );
    let json: serde_json::Value = pypickle::from_slice(&p).unwrap();
    assert!(json.is_array());
    let v: Value = pypickle::from_slice(&p).unwrap();
    let ours = v.to_string();
    assert!(ours == repr, "the reprs differ");

    let chain = |n: usize| [&b"K\x01"[..], &b"\x85".repeat(n)].concat();
    let p = [
        &b"\x80\x04\x8f("[..],
        &chain(100_000),
        &chain(100_000),
        b"\x90.",
    ]
    .concat();
    let e = pypickle::from_slice::<Vec<IgnoredAny>>(&p).unwrap_err();
    assert_eq!(e.limit(), Some(Limit::Depth), "{e}");
    let e = pypickle::from_slice::<Value>(&p).unwrap_err();
    assert_eq!(e.limit(), Some(Limit::Depth), "{e}");
}

/// The same object added to a set again and again (a memo GET of one tuple or str, as
/// `set([t] * 1000)` pickles) is one item, found without building it each time: it went over
/// the expansion limit before (found by a review).
#[test]
fn a_set_of_one_object_many_times_is_built_once() {
    sets_hold_what_cpython_keeps(
        "t, s = tuple(range(10000)), 'x' * 100000",
        "[(set, [t] * 1000), (frozenset, [s] * 1000), (set, [t, (t,), t] * 300)]",
        "(4,)",
        3,
    );
}

/// Two equal nested frozensets whose items come in other orders,
/// `X = frozenset([(X', 0), (X', 1)])` and `Y = frozenset([(Y', 1), (Y', 0)])`, in one
/// frozenset: CPython keeps one, and so does the reader. Comparing them cost 3^depth (a
/// 799-byte pickle of depth 16 took 11 s; found by a hunt); `value::eq`'s unit test counts the
/// comparisons, this one reads the hunt's pickle at a depth a debug build reads quickly either
/// way, and checks the result against CPython.
#[test]
fn equal_nested_sets_in_other_orders_read_as_cpython_reads_them() {
    let put = |i: u32| [&b"r"[..], &i.to_le_bytes()].concat();
    let get = |i: u32| [&b"j"[..], &i.to_le_bytes()].concat();
    let depth = 10;
    let mut p = b"\x80\x04K\x05".to_vec();
    p.extend(put(0));
    p.extend(b"0K\x05");
    p.extend(put(1));
    p.push(b'0');
    for i in 1..=depth {
        let (x, y) = (2 * (i - 1), 2 * (i - 1) + 1);
        for (from, first, second, to) in [(x, 0u8, 1u8, 2 * i), (y, 1, 0, 2 * i + 1)] {
            p.push(b'(');
            p.extend(get(from));
            p.extend([b'K', first, 0x86]);
            p.extend(get(from));
            p.extend([b'K', second, 0x86, 0x91]);
            p.extend(put(to));
            p.push(b'0');
        }
    }
    p.push(b'(');
    p.extend(get(2 * depth));
    p.extend(get(2 * depth + 1));
    p.extend(b"\x91.");
    let v: Value = pypickle::from_slice(&p).unwrap();
    let Value::FrozenSet(items) = &v else {
        panic!("{v:?}")
    };
    assert_eq!(items.len(), 1);
    let theirs = python(&format!(
        "import pickle; print(len(pickle.loads(bytes.fromhex('{}'))))",
        hex(&p)
    ));
    assert_eq!(theirs.trim(), "1");
}
