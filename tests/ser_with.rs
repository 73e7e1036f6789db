//! `pypickle::with::{set, frozenset, tuple, bytearray}`: the Python type CPython loads at every
//! protocol, the fields read back from CPython's re-dump, what `to_value` and `serde_json` make of
//! them, and the errors for what Python could not hold.

mod ser_common;

use std::collections::{BTreeMap, BTreeSet, HashSet, VecDeque};

use pypickle::{Category, SerOptions, Value};
use ser_common::Python;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
struct Doc {
    #[serde(with = "pypickle::with::set")]
    tags: BTreeSet<String>,
    #[serde(with = "pypickle::with::set")]
    ints: BTreeSet<i64>,
    #[serde(with = "pypickle::with::set")]
    empty: HashSet<i64>,
    #[serde(with = "pypickle::with::frozenset")]
    frozen: BTreeSet<(i32, String)>,
    #[serde(with = "pypickle::with::tuple")]
    shape: Vec<u64>,
    #[serde(with = "pypickle::with::tuple")]
    unit_tuple: Vec<u8>,
    #[serde(with = "pypickle::with::tuple")]
    long_tuple: VecDeque<u16>,
    #[serde(with = "pypickle::with::bytearray")]
    buf: Vec<u8>,
    #[serde(with = "pypickle::with::bytes")]
    raw: Vec<u8>,
    #[serde(with = "pypickle::with::set")]
    some_set: Option<BTreeSet<u8>>,
    #[serde(with = "pypickle::with::set")]
    no_set: Option<BTreeSet<u8>>,
    #[serde(with = "pypickle::with::bytearray")]
    no_buf: Option<Vec<u8>>,
    /// A frozenset and a tuple are hashable: keys of a dict.
    keyed: BTreeMap<Key, u8>,
    /// A set of sets: a frozenset element is hashable. (One element: CPython's repr lists a set
    /// in hash order, which for more than small ints is not the order written.)
    #[serde(with = "pypickle::with::set")]
    nested: BTreeSet<Frozen>,
}

#[derive(Serialize, Deserialize, Debug, PartialEq, Eq, PartialOrd, Ord, Clone)]
struct Key(#[serde(with = "pypickle::with::tuple")] Vec<i8>);

#[derive(Serialize, Deserialize, Debug, PartialEq, Eq, PartialOrd, Ord, Clone)]
struct Frozen(#[serde(with = "pypickle::with::frozenset")] BTreeSet<u8>);

fn doc() -> Doc {
    Doc {
        tags: ["a".to_string()].into(),
        ints: [3, 1, 2].into(),
        empty: HashSet::new(),
        frozen: [(1, "x".to_string())].into(),
        shape: vec![2, 3],
        unit_tuple: vec![9],
        long_tuple: (0..1500).collect(),
        buf: b"\x00ok".to_vec(),
        raw: vec![255, 0],
        some_set: Some([5].into()),
        no_set: None,
        no_buf: None,
        keyed: [(Key(vec![1, -1]), 1), (Key(vec![]), 2)].into(),
        nested: [Frozen([1, 2].into())].into(),
    }
}

const LONG: &str = "(0, 1, 2";

#[test]
fn fields_load_in_cpython_as_the_python_types_named() {
    let d = doc();
    let mut py = Python::start();
    for proto in 0..=5 {
        let ours = pypickle::to_vec_with(&d, &SerOptions::new().protocol(proto)).unwrap();
        let echo = py
            .echo(proto, &ours)
            .unwrap_or_else(|e| panic!("protocol {proto}: CPython: {e}"));
        let long = (0..1500).map(|i| i.to_string()).collect::<Vec<_>>();
        let want = format!(
            "{{'tags': {{'a'}}, 'ints': {{1, 2, 3}}, 'empty': set(), 'frozen': frozenset({{(1, 'x')}}), \
             'shape': (2, 3), 'unit_tuple': (9,), 'long_tuple': ({}), \
             'buf': bytearray(b'\\x00ok'), 'raw': b'\\xff\\x00', 'some_set': {{5}}, 'no_set': None, 'no_buf': None, \
             'keyed': {{(): 2, (1, -1): 1}}, 'nested': {{frozenset({{1, 2}})}}}}",
            long.join(", ")
        );
        assert!(want.contains(LONG));
        assert_eq!(echo.repr, want, "protocol {proto}");
        // Our own reading of what we wrote says the same as CPython's repr.
        let v: Value = pypickle::from_slice(&ours).unwrap();
        assert_eq!(v.to_string(), want, "protocol {proto}");
        // And the fields read back from CPython's own pickle of the loaded object.
        let back: Doc =
            pypickle::from_slice(&echo.redump).unwrap_or_else(|e| panic!("protocol {proto}: {e}"));
        assert_eq!(back, d, "protocol {proto}");
    }
}

#[test]
fn to_value_keeps_the_python_types_and_serde_json_sees_through() {
    let v = pypickle::to_value(&doc()).unwrap();
    let written: Value = pypickle::from_slice(&pypickle::to_vec(&doc()).unwrap()).unwrap();
    assert_eq!(v.to_string(), written.to_string());
    assert!(matches!(v.get("tags"), Some(Value::Set(_))));
    assert!(matches!(v.get("frozen"), Some(Value::FrozenSet(_))));
    assert!(matches!(v.get("shape"), Some(Value::Tuple(_))));
    assert!(matches!(v.get("buf"), Some(Value::ByteArray(_))));
    assert_eq!(v.get("no_set"), Some(&Value::None));

    #[derive(Serialize)]
    struct Small {
        #[serde(with = "pypickle::with::set")]
        s: BTreeSet<u8>,
        #[serde(with = "pypickle::with::tuple")]
        t: Vec<u8>,
        #[serde(with = "pypickle::with::bytearray")]
        b: Vec<u8>,
        #[serde(with = "pypickle::with::set")]
        o: Option<BTreeSet<u8>>,
    }
    let small = Small {
        s: [2, 1].into(),
        t: vec![3],
        b: vec![4],
        o: None,
    };
    assert_eq!(
        serde_json::to_string(&small).unwrap(),
        r#"{"s":[1,2],"t":[3],"b":[4],"o":null}"#
    );
}

#[test]
fn what_python_could_not_hold_is_an_error() {
    let unserializable = |r: pypickle::Result<Vec<u8>>| {
        let e = r.expect_err("must not serialize");
        assert_eq!(e.category(), Category::Unserializable, "{e}");
        e.to_string()
    };

    // A set element Python cannot hash.
    #[derive(Serialize)]
    struct ListInSet(#[serde(with = "pypickle::with::set")] Vec<Vec<u8>>);
    let msg = unserializable(pypickle::to_vec(&ListInSet(vec![vec![1]])));
    assert!(
        msg.contains("cannot hash") && msg.contains("with::tuple"),
        "{msg}"
    );

    // A set as a dict key (a frozenset is fine, above).
    #[derive(Serialize, PartialEq, Eq, PartialOrd, Ord)]
    struct SetKey(#[serde(with = "pypickle::with::set")] BTreeSet<u8>);
    let map = BTreeMap::from([(SetKey([1].into()), 1)]);
    let msg = unserializable(pypickle::to_vec(&map));
    assert!(msg.contains("a set") && msg.contains("hash"), "{msg}");

    // Not a sequence: a map, a struct, a scalar, a tuple. None of them may hand the set on to a
    // sequence inside it.
    #[derive(Serialize)]
    struct MapAsSet(#[serde(with = "pypickle::with::set")] BTreeMap<String, Vec<u8>>);
    #[derive(Serialize)]
    struct Inner {
        v: Vec<u8>,
    }
    #[derive(Serialize)]
    struct StructAsSet(#[serde(with = "pypickle::with::frozenset")] Inner);
    #[derive(Serialize)]
    struct IntAsSet(#[serde(with = "pypickle::with::set")] u8);
    #[derive(Serialize)]
    struct TupleAsSet(#[serde(with = "pypickle::with::set")] (Vec<u8>, u8));
    #[derive(Serialize)]
    struct ListAsBytearray(#[serde(with = "pypickle::with::bytearray")] Vec<u8>);
    let cases = [
        pypickle::to_vec(&MapAsSet([("a".into(), vec![1])].into())),
        pypickle::to_vec(&StructAsSet(Inner { v: vec![1] })),
        pypickle::to_vec(&IntAsSet(1)),
        pypickle::to_vec(&TupleAsSet((vec![1], 2))),
    ];
    for r in cases {
        let msg = unserializable(r);
        assert!(msg.contains("sequence"), "{msg}");
    }
    // serde_bytes writes a Vec<u8> as bytes: the bytearray takes them.
    let ok = pypickle::to_vec(&ListAsBytearray(vec![1])).unwrap();
    let v: Value = pypickle::from_slice(&ok).unwrap();
    assert_eq!(v.to_string(), "bytearray(b'\\x01')");
}

/// Even numbers below `.0`, from an iterator that cannot say its length up front.
struct Evens(u16);

impl Serialize for Evens {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq((0..self.0).filter(|x| x % 2 == 0))
    }
}

/// Says it has `.0` items and gives `.1`.
struct Lies(usize, u16);

impl Serialize for Lies {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut seq = s.serialize_seq(Some(self.0))?;
        for i in 0..self.1 {
            seq.serialize_element(&i)?;
        }
        seq.end()
    }
}

#[test]
fn a_tuple_of_a_length_not_known_up_front_is_still_a_tuple() {
    #[derive(Serialize)]
    struct T {
        #[serde(with = "pypickle::with::tuple")]
        evens: Evens,
        #[serde(with = "pypickle::with::tuple")]
        lies: Lies,
        #[serde(with = "pypickle::with::tuple")]
        none_said: Lies,
        after: u8,
    }
    let mut py = Python::start();
    for n in [0, 1, 3, 5, 7, 9, 2500] {
        let t = T {
            evens: Evens(n),
            lies: Lies(1, n.min(9)),
            // Protocol 0 writes the MARK of an empty tuple first: it must not get a second.
            none_said: Lies(0, n.min(2)),
            after: 7,
        };
        let evens: Vec<String> = (0..n)
            .filter(|x| x % 2 == 0)
            .map(|x| x.to_string())
            .collect();
        let upto = |k: u16| (0..k).map(|x| x.to_string()).collect::<Vec<_>>();
        let tuple = |items: &[String]| match items {
            [one] => format!("({one},)"),
            _ => format!("({})", items.join(", ")),
        };
        let want = format!(
            "{{'evens': {}, 'lies': {}, 'none_said': {}, 'after': 7}}",
            tuple(&evens),
            tuple(&upto(n.min(9))),
            tuple(&upto(n.min(2)))
        );
        for proto in 0..=5 {
            let ours = pypickle::to_vec_with(&t, &SerOptions::new().protocol(proto)).unwrap();
            let echo = py
                .echo(proto, &ours)
                .unwrap_or_else(|e| panic!("{n} at protocol {proto}: CPython: {e}"));
            assert_eq!(echo.repr, want, "{n} at protocol {proto}");
            let v: Value = pypickle::from_slice(&ours).unwrap();
            assert_eq!(v.to_string(), want, "{n} at protocol {proto}");
        }
    }

    // A hint too small, found out after the tuple's start was written out (a large str
    // goes straight to the output): an error that says so, not a broken pickle.
    struct BigFirst;
    impl Serialize for BigFirst {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            use serde::ser::SerializeSeq;
            let mut seq = s.serialize_seq(Some(1))?;
            seq.serialize_element(&"x".repeat(70_000))?;
            seq.serialize_element("y")?;
            seq.end()
        }
    }
    #[derive(Serialize)]
    struct B(#[serde(with = "pypickle::with::tuple")] BigFirst);
    for proto in [2, 4] {
        let e =
            pypickle::to_vec_with(&B(BigFirst), &SerOptions::new().protocol(proto)).unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains("said it has 1 element and gave more") && msg.contains("hint"),
            "{msg}"
        );
    }
}

/// `to_value` takes and refuses what the pickle writer does, with the same words.
#[test]
fn to_value_refuses_what_the_writer_refuses() {
    #[derive(Serialize)]
    struct Pair(u8, u8);
    #[derive(Serialize)]
    struct TupleOfStruct(#[serde(with = "pypickle::with::tuple")] Pair);
    #[derive(Serialize)]
    struct SetOfUnit(#[serde(with = "pypickle::with::set")] ());
    #[derive(Serialize)]
    struct FrozenOfSet(#[serde(with = "pypickle::with::frozenset")] Value);
    let set = Value::Set(vec![Value::Int(1)]);
    let cases = [
        (
            pypickle::to_vec(&TupleOfStruct(Pair(1, 2))),
            pypickle::to_value(&TupleOfStruct(Pair(1, 2))),
            "not from a struct",
        ),
        (
            pypickle::to_vec(&SetOfUnit(())),
            pypickle::to_value(&SetOfUnit(())),
            "not from an enum variant or ()",
        ),
        (
            pypickle::to_vec(&FrozenOfSet(set.clone())),
            pypickle::to_value(&FrozenOfSet(set)),
            "not from a set",
        ),
    ];
    for (written, valued, says) in cases {
        let (w, v) = (written.unwrap_err(), valued.unwrap_err());
        assert!(w.to_string().contains(says), "{w}");
        assert_eq!(w.to_string(), v.to_string());
        assert_eq!(v.category(), Category::Unserializable);
    }
    // A Rust tuple given to with::tuple is one already, both ways.
    #[derive(Serialize)]
    struct T(#[serde(with = "pypickle::with::tuple")] (u8, u8));
    let v = pypickle::to_value(&T((1, 2))).unwrap();
    assert_eq!(v.to_string(), "(1, 2)");
    let w: Value = pypickle::from_slice(&pypickle::to_vec(&T((1, 2))).unwrap()).unwrap();
    assert_eq!(w, v);
}
