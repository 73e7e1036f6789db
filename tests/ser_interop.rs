//! Live interop with python3 at every protocol: quickcheck-generated `Value`s are written by
//! pypickle and loaded by CPython, whose `repr()` must equal `Value`'s `Display`; CPython dumps
//! the object again at the same protocol, and that pickle must read back as an equal `Value` and
//! even be byte-identical to ours.
//!
//! Set order: CPython prints (and re-dumps) a set in hash-table order, which for most elements
//! depends on hash randomisation. The generated sets and frozensets therefore hold small
//! non-negative ints (0..8) in ascending order: an int hashes to itself, so such a set iterates
//! in ascending order at every table size and both sides agree on the order. Sets of strings and
//! tuples are covered separately by `sets_of_anything_load_in_cpython`, which compares by value.

mod ser_common;

use std::cell::RefCell;

use pypickle::{BigInt, Complex, SerOptions, Value};
use quickcheck::{Arbitrary, Gen, QuickCheck, TestResult};
use ser_common::{first_difference, Python};

#[derive(Clone, Debug)]
struct PyValue(Value);

/// A value's repr cut short for failure messages.
fn short(v: &impl std::fmt::Display) -> String {
    let s = v.to_string();
    match s.char_indices().nth(300) {
        Some((i, _)) => format!("{}... ({} chars)", &s[..i], s.chars().count()),
        None => s,
    }
}

fn gen_f64(g: &mut Gen) -> f64 {
    match u8::arbitrary(g) % 10 {
        0 => *g
            .choose(&[
                f64::NAN,
                f64::INFINITY,
                f64::NEG_INFINITY,
                -0.0,
                0.0,
                1e16,
                1e-5,
            ])
            .unwrap(),
        1..=3 => f64::from_bits(u64::arbitrary(g)),
        4..=6 => f64::from(i32::arbitrary(g)) / 8.0,
        _ => f64::arbitrary(g),
    }
}

fn gen_int(g: &mut Gen) -> Value {
    match u8::arbitrary(g) % 8 {
        0 => Value::Int(i64::from(u8::arbitrary(g))),
        1 => Value::Int(i64::from(u16::arbitrary(g))),
        2 => Value::Int(i64::from(i32::arbitrary(g))),
        3 => Value::Int(
            *g.choose(&[
                0,
                255,
                256,
                65535,
                65536,
                -1,
                i64::from(i32::MAX),
                i64::from(i32::MIN),
                i64::from(i32::MAX) + 1,
                i64::from(i32::MIN) - 1,
                i64::MAX,
                i64::MIN,
            ])
            .unwrap(),
        ),
        4 | 5 => Value::Int(i64::arbitrary(g)),
        _ => {
            let n = 9 + usize::from(u8::arbitrary(g) % 40);
            let bytes: Vec<u8> = (0..n).map(|_| u8::arbitrary(g)).collect();
            let b = BigInt::from_le_bytes(&bytes);
            match b.to_i64() {
                Some(i) => Value::Int(i),
                None => Value::BigInt(b),
            }
        }
    }
}

fn gen_str(g: &mut Gen) -> String {
    match u8::arbitrary(g) % 6 {
        0 => String::new(),
        1 => g
            .choose(&["a", "é", "\\", "\n", "\0", "\x1a", "\r"])
            .unwrap()
            .to_string(),
        2 => "x".repeat(usize::from(u16::arbitrary(g) % 400)),
        _ => String::arbitrary(g),
    }
}

fn gen_bytes(g: &mut Gen) -> Vec<u8> {
    match u8::arbitrary(g) % 5 {
        0 => Vec::new(),
        1 => vec![u8::arbitrary(g)],
        2 => vec![0x80; usize::from(u16::arbitrary(g) % 300)],
        _ => Vec::<u8>::arbitrary(g),
    }
}

/// Small ints in ascending order: a set CPython iterates in the same order (see the module doc).
fn gen_small_int_set(g: &mut Gen) -> Vec<Value> {
    let mask = u8::arbitrary(g);
    (0..8)
        .filter(|i| mask & (1 << i) != 0)
        .map(Value::Int)
        .collect()
}

fn gen_hashable(g: &mut Gen, depth: usize) -> Value {
    match u8::arbitrary(g) % if depth == 0 { 7 } else { 9 } {
        0 => Value::None,
        1 => Value::Bool(bool::arbitrary(g)),
        2 => gen_int(g),
        3 => Value::Float(gen_f64(g)),
        4 => Value::Str(gen_str(g)),
        5 => Value::Bytes(gen_bytes(g)),
        6 => Value::Complex(Complex {
            re: gen_f64(g),
            im: gen_f64(g),
        }),
        7 => Value::FrozenSet(gen_small_int_set(g)),
        _ => {
            let n = usize::from(u8::arbitrary(g) % 5);
            Value::Tuple((0..n).map(|_| gen_hashable(g, depth - 1)).collect())
        }
    }
}

fn gen_value(g: &mut Gen, depth: usize) -> Value {
    let kinds = if depth == 0 { 9 } else { 14 };
    match u8::arbitrary(g) % kinds {
        0 => Value::None,
        1 => Value::Bool(bool::arbitrary(g)),
        2 | 3 => gen_int(g),
        4 => Value::Float(gen_f64(g)),
        5 => Value::Str(gen_str(g)),
        6 => Value::Bytes(gen_bytes(g)),
        7 => Value::ByteArray(gen_bytes(g)),
        8 => Value::Complex(Complex {
            re: gen_f64(g),
            im: gen_f64(g),
        }),
        9 => Value::List(gen_items(g, depth)),
        10 => Value::Tuple(gen_items(g, depth)),
        11 => {
            let n = g.size().min(30);
            let n = usize::from(u8::arbitrary(g)) % (n + 1);
            let mut entries: Vec<(Value, Value)> = Vec::new();
            for _ in 0..n {
                let k = gen_hashable(g, depth - 1);
                // Python keeps one entry per equal key (1 == 1.0 == True); so do we.
                if !entries.iter().any(|(e, _)| *e == k) {
                    entries.push((k, gen_value(g, depth - 1)));
                }
            }
            Value::Dict(entries)
        }
        12 => Value::Set(gen_small_int_set(g)),
        _ => Value::FrozenSet(gen_small_int_set(g)),
    }
}

fn gen_items(g: &mut Gen, depth: usize) -> Vec<Value> {
    let n = match u8::arbitrary(g) % 10 {
        // Long enough for batches of 1000 and for frames, near the leaves only.
        0 if depth == 1 => usize::from(u16::arbitrary(g) % 2100),
        _ => usize::from(u8::arbitrary(g)) % (g.size().min(12) + 1),
    };
    (0..n).map(|_| gen_value(g, depth - 1)).collect()
}

impl Arbitrary for PyValue {
    fn arbitrary(g: &mut Gen) -> Self {
        let depth = usize::from(u8::arbitrary(g) % 4);
        PyValue(gen_value(g, depth))
    }
}

thread_local! {
    static PY: RefCell<Option<Python>> = const { RefCell::new(None) };
    static PROTO: RefCell<u8> = const { RefCell::new(0) };
}

fn check(v: PyValue) -> TestResult {
    let proto = PROTO.with(|p| *p.borrow());
    let ours = match pypickle::to_vec_with(&v.0, &SerOptions::new().protocol(proto)) {
        Ok(b) => b,
        Err(e) => return TestResult::error(format!("cannot write {}: {e}", short(&v.0))),
    };
    let echo = PY.with(|py| {
        py.borrow_mut()
            .get_or_insert_with(Python::start)
            .echo(proto, &ours)
    });
    let echo = match echo {
        Ok(e) => e,
        Err(e) => return TestResult::error(format!("CPython cannot load {}: {e}", short(&v.0))),
    };
    let display = v.0.to_string();
    if echo.repr != display {
        return TestResult::error(format!(
            "protocol {proto}: CPython's repr != Display at {}",
            first_difference(echo.repr.as_bytes(), display.as_bytes())
        ));
    }
    let back: Value = match pypickle::from_slice(&echo.redump) {
        Ok(b) => b,
        Err(e) => return TestResult::error(format!("cannot read CPython's re-dump: {e}")),
    };
    if back != v.0 {
        return TestResult::error(format!(
            "re-dump reads back as {}, not {}",
            short(&back),
            short(&v.0)
        ));
    }
    if echo.redump != ours {
        if let Ok(dir) = std::env::var("SER_INTEROP_DUMP") {
            std::fs::write(format!("{dir}/ours.p{proto}"), &ours).unwrap();
            std::fs::write(format!("{dir}/cpython.p{proto}"), &echo.redump).unwrap();
        }
        return TestResult::error(format!(
            "protocol {proto}: CPython re-dumps {} differently: {}",
            short(&v.0),
            first_difference(&ours, &echo.redump)
        ));
    }
    TestResult::passed()
}

fn run_protocol(proto: u8) {
    PROTO.with(|p| *p.borrow_mut() = proto);
    // SER_QC_TESTS=n runs more cases.
    let n = std::env::var("SER_QC_TESTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(400);
    QuickCheck::new()
        .tests(n)
        .max_tests(n)
        .rng(Gen::new(20))
        .quickcheck(check as fn(PyValue) -> TestResult);
}

#[test]
fn protocol_0() {
    run_protocol(0);
}
#[test]
fn protocol_1() {
    run_protocol(1);
}
#[test]
fn protocol_2() {
    run_protocol(2);
}
#[test]
fn protocol_3() {
    run_protocol(3);
}
#[test]
fn protocol_4() {
    run_protocol(4);
}
#[test]
fn protocol_5() {
    run_protocol(5);
}

/// Sets of strings, tuples and other hashables: CPython loads them as the same set (compared
/// by value, since CPython's order is its own).
#[test]
fn sets_of_anything_load_in_cpython() {
    let mut py = Python::start();
    let mut g = Gen::new(20);
    for proto in 0..=5u8 {
        for _ in 0..100 {
            let mut items: Vec<Value> = Vec::new();
            for _ in 0..usize::from(u8::arbitrary(&mut g) % 12) {
                let k = gen_hashable(&mut g, 2);
                if !items.contains(&k) {
                    items.push(k);
                }
            }
            for v in [Value::Set(items.clone()), Value::FrozenSet(items)] {
                let ours = pypickle::to_vec_with(&v, &SerOptions::new().protocol(proto)).unwrap();
                let echo = py.echo(proto, &ours).unwrap_or_else(|e| panic!("{v}: {e}"));
                let back: Value = pypickle::from_slice(&echo.redump).unwrap();
                assert_eq!(back, v, "protocol {proto}");
                assert_eq!(back.type_name(), v.type_name());
            }
        }
    }
}
