//! Derive types covering serde's data model: Rust -> pickle -> Rust at every protocol, and
//! Rust -> pickle -> CPython -> pickle -> Rust (CPython's re-dump is even byte-identical).
//! Typed golden tests: `#[derive(Serialize)]` data is written exactly as CPython writes the
//! equivalent dicts, lists and strings.

mod ser_common;

use std::collections::{BTreeMap, HashMap};

use pypickle::{SerOptions, Value};
use ser_common::{first_difference, python_output, Python};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
struct UnitStruct;

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
struct Newtype(u8);

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
struct Pair(i32, i32);

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
struct Inner {
    x: i32,
}

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
enum E {
    Alpha,
    Beta(i32),
    Gamma(i32, String),
    Delta { x: i32, y: String },
}

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
struct Record {
    b: bool,
    i8: i8,
    i16: i16,
    i32: i32,
    i64: i64,
    i128: i128,
    u8: u8,
    u16: u16,
    u32: u32,
    u64: u64,
    u128: u128,
    i128_max: i128,
    f32: f32,
    f64: f64,
    inf: f64,
    neg_zero: f64,
    ch: char,
    ch_wide: char,
    s: String,
    empty: String,
    long: String,
    #[serde(with = "serde_bytes")]
    by: Vec<u8>,
    #[serde(with = "serde_bytes")]
    by_empty: Vec<u8>,
    #[serde(with = "serde_bytes")]
    by_long: Vec<u8>,
    opt_none: Option<i32>,
    opt_some: Option<i32>,
    opt_nested: Option<Option<String>>,
    unit: (),
    unit_struct: UnitStruct,
    newtype: Newtype,
    boxed: Box<Inner>,
    tuple: (i32, String, f64),
    tuple1: (u8,),
    tuple5: (u8, u8, u8, u8, u8),
    tuple_struct: Pair,
    array: [u8; 3],
    seq: Vec<u16>,
    seq_one: Vec<u16>,
    seq_empty: Vec<u16>,
    seq_1001: Vec<u32>,
    map: BTreeMap<String, i32>,
    map_one: BTreeMap<String, i32>,
    map_1000: BTreeMap<u32, u32>,
    int_keys: HashMap<i32, String>,
    tuple_keys: BTreeMap<(i32, String), String>,
    nested: HashMap<String, Vec<Inner>>,
    variants: Vec<E>,
    variant_keys: BTreeMap<String, E>,
}

fn record() -> Record {
    Record {
        b: true,
        i8: i8::MIN,
        i16: i16::MIN,
        i32: i32::MIN,
        i64: i64::MIN,
        i128: i128::MIN,
        u8: u8::MAX,
        u16: u16::MAX,
        u32: u32::MAX,
        u64: u64::MAX,
        u128: u128::MAX,
        i128_max: i128::MAX,
        f32: 1.5,
        f64: -0.1,
        inf: f64::NEG_INFINITY,
        neg_zero: -0.0,
        ch: 'é',
        ch_wide: '😀',
        s: "text with \\ and \n and \u{20ac}".into(),
        empty: String::new(),
        long: "long ".repeat(100),
        by: vec![0, 255],
        by_empty: vec![],
        by_long: (0..=255).cycle().take(700).collect(),
        opt_none: None,
        opt_some: Some(5),
        opt_nested: Some(Some("in".into())),
        unit: (),
        unit_struct: UnitStruct,
        newtype: Newtype(7),
        boxed: Box::new(Inner { x: 9 }),
        tuple: (1, "a".into(), 2.5),
        tuple1: (1,),
        tuple5: (1, 2, 3, 4, 5),
        tuple_struct: Pair(1, 2),
        array: [1, 2, 3],
        seq: vec![1, 2, 3],
        seq_one: vec![4],
        seq_empty: vec![],
        seq_1001: (0..1001).collect(),
        map: BTreeMap::from([("a".into(), 1), ("b".into(), 2)]),
        map_one: BTreeMap::from([("only".into(), 1)]),
        map_1000: (0..1000).map(|i| (i, i * 2)).collect(),
        int_keys: HashMap::from([(1, "x".into()), (2, "y".into())]),
        tuple_keys: BTreeMap::from([((1, "k".into()), "p".into())]),
        nested: HashMap::from([("inner".into(), vec![Inner { x: 1 }, Inner { x: 2 }])]),
        variants: vec![
            E::Alpha,
            E::Beta(5),
            E::Gamma(1, "x".into()),
            E::Delta {
                x: 1,
                y: "z".into(),
            },
            E::Alpha,
            E::Beta(6),
        ],
        variant_keys: BTreeMap::from([("k".into(), E::Beta(1)), ("l".into(), E::Alpha)]),
    }
}

#[test]
fn derive_types_round_trip_at_every_protocol() {
    let r = record();
    for proto in 0..=5 {
        let opts = SerOptions::new().protocol(proto);
        let bytes = pypickle::to_vec_with(&r, &opts).unwrap();
        let back: Record =
            pypickle::from_slice(&bytes).unwrap_or_else(|e| panic!("protocol {proto}: {e}"));
        assert_eq!(back, r, "protocol {proto}");
        // Also through a writer, and with the key memo off.
        let mut w = Vec::new();
        pypickle::to_writer_with(&mut w, &r, &opts).unwrap();
        assert_eq!(w, bytes, "protocol {proto}: to_writer and to_vec differ");
        let plain = pypickle::to_vec_with(&r, &opts.clone().memoize_keys(false)).unwrap();
        assert!(
            plain.len() > bytes.len(),
            "protocol {proto}: the key memo saves nothing"
        );
        assert_eq!(pypickle::from_slice::<Record>(&plain).unwrap(), r);
    }
}

#[test]
fn derive_types_round_trip_through_cpython() {
    let r = record();
    let mut py = Python::start();
    for proto in 0..=5 {
        let ours = pypickle::to_vec_with(&r, &SerOptions::new().protocol(proto)).unwrap();
        let echo = py
            .echo(proto, &ours)
            .unwrap_or_else(|e| panic!("protocol {proto}: CPython: {e}"));
        let back: Record =
            pypickle::from_slice(&echo.redump).unwrap_or_else(|e| panic!("protocol {proto}: {e}"));
        assert_eq!(back, r, "protocol {proto}");
        assert!(
            echo.redump == ours,
            "protocol {proto}: CPython re-dumps it differently: {}",
            first_difference(&ours, &echo.redump)
        );
        // CPython saw the Python types the mapping promises.
        let v: Value = pypickle::from_slice(&ours).unwrap();
        assert_eq!(echo.repr, v.to_string(), "protocol {proto}");
    }
}

#[test]
fn repr_in_cpython_is_the_promised_mapping() {
    #[derive(Serialize)]
    struct S {
        unit: (),
        t: (u8, f32),
        v: Vec<u8>,
        #[serde(with = "serde_bytes")]
        b: Vec<u8>,
        e: Vec<E>,
        o: Option<char>,
    }
    let s = S {
        unit: (),
        t: (1, 0.5),
        v: vec![1],
        b: vec![1],
        e: vec![
            E::Alpha,
            E::Beta(2),
            E::Gamma(3, "g".into()),
            E::Delta {
                x: 4,
                y: "d".into(),
            },
        ],
        o: Some('c'),
    };
    let mut py = Python::start();
    for proto in 0..=5 {
        let bytes = pypickle::to_vec_with(&s, &SerOptions::new().protocol(proto)).unwrap();
        let echo = py.echo(proto, &bytes).unwrap();
        assert_eq!(
            echo.repr,
            "{'unit': None, 't': (1, 0.5), 'v': [1], 'b': b'\\x01', 'e': ['Alpha', {'Beta': 2}, \
             {'Gamma': (3, 'g')}, {'Delta': {'x': 4, 'y': 'd'}}], 'o': 'c'}",
            "protocol {proto}"
        );
    }
}

/// `#[derive(Serialize)]` records are written byte for byte as CPython writes the same list of
/// dicts (whose literal keys are interned, so CPython memoizes them as we do).
#[test]
fn typed_records_are_byte_identical_to_cpython() {
    #[derive(Serialize)]
    struct Rec {
        id: u32,
        name: String,
        score: f64,
        tags: Vec<String>,
        kind: E,
    }
    let recs: Vec<Rec> = (0..300)
        .map(|i| Rec {
            id: i,
            name: format!("n{i}"),
            score: f64::from(i) * 0.5,
            tags: vec![format!("t{i}")],
            kind: match i % 3 {
                0 => E::Alpha,
                1 => E::Beta(i as i32),
                _ => E::Delta {
                    x: -(i as i32),
                    y: format!("y{i}"),
                },
            },
        })
        .collect();
    let out = python_output(
        r#"
import pickle, struct, sys
recs = [{"id": i, "name": f"n{i}", "score": i * 0.5, "tags": [f"t{i}"],
         "kind": ["Alpha", {"Beta": i}, {"Delta": {"x": -i, "y": f"y{i}"}}][i % 3]}
        for i in range(300)]
for p in range(6):
    b = pickle.dumps(recs, protocol=p)
    sys.stdout.buffer.write(struct.pack("<I", len(b)) + b)
"#,
    );
    let mut rest = &out[..];
    for proto in 0..=5u8 {
        let n = u32::from_le_bytes(rest[..4].try_into().unwrap()) as usize;
        let want = &rest[4..4 + n];
        rest = &rest[4 + n..];
        let got = pypickle::to_vec_with(&recs, &SerOptions::new().protocol(proto)).unwrap();
        assert!(
            got == want,
            "protocol {proto}: {}",
            first_difference(&got, want)
        );
    }
}

/// Types that pick their form by `is_human_readable` (std's addresses here) read back what
/// was written, through pickle bytes and through `Value`; CPython sees their text forms.
#[test]
fn human_readable_forms_round_trip_and_are_strings_in_python() {
    use std::net::{IpAddr, Ipv6Addr, SocketAddr};
    #[derive(Serialize, Deserialize, PartialEq, Debug)]
    struct Peer {
        ip: IpAddr,
        v6: Ipv6Addr,
        at: SocketAddr,
    }
    let p = Peer {
        ip: "10.0.0.1".parse().unwrap(),
        v6: "::1".parse().unwrap(),
        at: "[fe80::1]:8080".parse().unwrap(),
    };
    let mut py = Python::start();
    for proto in 0..=5 {
        let bytes = pypickle::to_vec_with(&p, &SerOptions::new().protocol(proto)).unwrap();
        let back: Peer = pypickle::from_slice(&bytes).unwrap();
        assert_eq!(back, p, "protocol {proto}");
        let echo = py.echo(proto, &bytes).unwrap();
        assert_eq!(
            echo.repr, "{'ip': '10.0.0.1', 'v6': '::1', 'at': '[fe80::1]:8080'}",
            "protocol {proto}"
        );
    }
    let v = pypickle::to_value(&p).unwrap();
    assert_eq!(pypickle::from_value::<Peer>(v).unwrap(), p);
    // Big ints still travel as Python ints, through both writers.
    for big in [
        Value::from(pypickle::BigInt::from(1u128 << 100)),
        pypickle::from_slice::<Value>(b"\x80\x02\x8a\x11\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x01.")
            .unwrap(),
    ] {
        let again: Value = pypickle::from_slice(&pypickle::to_vec(&big).unwrap()).unwrap();
        assert_eq!(again, big);
        assert_eq!(pypickle::to_value(&big).unwrap(), big);
    }
}
