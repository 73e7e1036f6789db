//! Property tests (quickcheck), pure Rust, a few seconds in all:
//! - any `Value` (globals and inert objects included) written at each protocol 0-5 reads back
//!   as the same `Value`, compared strictly: same variants, floats bit for bit (NaN as NaN),
//!   `True` not `1`, `-0.0` not `0.0`;
//! - a derive type covering serde's whole data model round-trips at each protocol;
//! - arbitrary mutations of valid pickles never panic, through `from_slice`, `from_reader`, a
//!   typed target and `Value` (arbitrary bytes: `tests/fuzz_smoke.rs`);
//! - a strict prefix of a valid pickle is an error, through `from_slice` and `from_reader`,
//!   unless the prefix is itself a complete pickle (by an opcode walk independent of the
//!   reader);
//! - every float's `Display` reads back as the same float;
//! - with the `json` feature, any `Value` goes through `pypickle::json` and JSON text and comes
//!   back the same.
//!
//! `PYPICKLE_QC_TESTS=n` runs n cases per property instead of the defaults.

use std::collections::{BTreeMap, HashMap};

use pypickle::{BigInt, Complex, DeOptions, Global, Made, Object, SerOptions, Value};
use quickcheck::{Arbitrary, Gen, QuickCheck, TestResult};
use serde::{Deserialize, Serialize};

fn tests(default: u64) -> u64 {
    std::env::var("PYPICKLE_QC_TESTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(default)
}

/// A quickcheck runner with small generated sizes (strings, vectors and maps of up to about 16
/// items), so that hundreds of cases at six protocols take a second or two.
fn qc(default_tests: u64) -> QuickCheck {
    QuickCheck::new()
        .rng(Gen::new(16))
        .tests(tests(default_tests))
        .max_tests(100_000)
}

/// Where two debug texts first differ, with a little context.
fn first_diff(a: &str, b: &str) -> String {
    let i = a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count();
    let window = |s: &str| {
        let mut lo = i.saturating_sub(60);
        while !s.is_char_boundary(lo) {
            lo -= 1;
        }
        let mut hi = (i + 60).min(s.len());
        while !s.is_char_boundary(hi) {
            hi += 1;
        }
        s[lo..hi].to_string()
    };
    format!("at byte {i}: {:?} != {:?}", window(a), window(b))
}

/// Reads inert objects of any (not dangerous) class back.
fn record() -> DeOptions {
    DeOptions::new().record_unknown_globals(true)
}

// ---------------------------------------------------------------------------------------------
// Values

fn gen_f64(g: &mut Gen) -> f64 {
    match u8::arbitrary(g) % 8 {
        0 => *g
            .choose(&[
                f64::NAN,
                -f64::NAN,
                f64::INFINITY,
                f64::NEG_INFINITY,
                -0.0,
                0.0,
                1e16,
                1e-5,
                f64::MIN_POSITIVE,
                5e-324,
                f64::MAX,
            ])
            .unwrap(),
        1..=3 => f64::from_bits(u64::arbitrary(g)),
        4 => f64::from(i32::arbitrary(g)) / 8.0,
        _ => f64::arbitrary(g),
    }
}

fn gen_int(g: &mut Gen) -> Value {
    match u8::arbitrary(g) % 6 {
        0 => Value::Int(i64::from(u8::arbitrary(g))),
        1 => Value::Int(i64::from(i32::arbitrary(g))),
        2 => Value::Int(
            *g.choose(&[0, 255, 256, 65535, 65536, -1, i64::MAX, i64::MIN])
                .unwrap(),
        ),
        3 => Value::Int(i64::arbitrary(g)),
        _ => {
            let n = 8 + usize::from(u8::arbitrary(g) % 40);
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
    match u8::arbitrary(g) % 5 {
        0 => String::new(),
        1 => g
            .choose(&["a", "é", "\\", "\n", "\0", "'\"", "\u{10ffff}", "\r\n"])
            .unwrap()
            .to_string(),
        _ => String::arbitrary(g),
    }
}

/// A class name no policy refuses in record mode and that the reader does not interpret.
fn gen_class(g: &mut Gen) -> Global {
    Global {
        module: g
            .choose(&["mymod", "pkg.sub", "__main__"])
            .unwrap()
            .to_string(),
        name: g
            .choose(&["C", "Point", "Outer.Inner", "Thing"])
            .unwrap()
            .to_string(),
    }
}

fn gen_scalar(g: &mut Gen) -> Value {
    match u8::arbitrary(g) % 9 {
        0 => Value::None,
        1 => Value::Bool(bool::arbitrary(g)),
        2 | 3 => gen_int(g),
        4 => Value::Float(gen_f64(g)),
        5 => Value::Str(gen_str(g)),
        6 => Value::Bytes(Vec::arbitrary(g)),
        7 => Value::Complex(Complex {
            re: gen_f64(g),
            im: gen_f64(g),
        }),
        _ => Value::Global(Box::new(match u8::arbitrary(g) % 3 {
            0 => gen_class(g),
            1 => Global {
                module: "builtins".into(),
                name: g
                    .choose(&["set", "Ellipsis", "NotImplemented"])
                    .unwrap()
                    .to_string(),
            },
            _ => Global {
                module: "collections".into(),
                name: "OrderedDict".into(),
            },
        })),
    }
}

/// A value Python can hash: a dict key or set element.
fn gen_hashable(g: &mut Gen, depth: usize) -> Value {
    match u8::arbitrary(g) % if depth == 0 { 1 } else { 4 } {
        0 | 1 => gen_scalar(g),
        2 => Value::Tuple(
            (0..u8::arbitrary(g) % 4)
                .map(|_| gen_hashable(g, depth - 1))
                .collect(),
        ),
        _ => Value::FrozenSet(gen_set(g, 4, depth - 1)),
    }
}

/// Up to `max - 1` distinct hashable elements: a set Python could hold (the reader keeps each
/// element once, as Python's set does).
fn gen_set(g: &mut Gen, max: u8, depth: usize) -> Vec<Value> {
    let mut items: Vec<Value> = Vec::new();
    for _ in 0..u8::arbitrary(g) % max {
        let v = gen_hashable(g, depth);
        if !items.contains(&v) {
            items.push(v);
        }
    }
    items
}

fn gen_items(g: &mut Gen, depth: usize) -> Vec<Value> {
    let n = match u8::arbitrary(g) % 16 {
        // Long enough for batches of 1000 and several frames, near the leaves only.
        0 if depth == 1 => usize::from(u16::arbitrary(g) % 2100),
        _ => usize::from(u8::arbitrary(g) % 8),
    };
    (0..n).map(|_| gen_value(g, depth - 1)).collect()
}

fn gen_pairs(g: &mut Gen, depth: usize) -> Vec<(Value, Value)> {
    // Keys may repeat: pypickle keeps both entries (a documented difference from CPython).
    (0..u8::arbitrary(g) % 6)
        .map(|_| (gen_hashable(g, depth - 1), gen_value(g, depth - 1)))
        .collect()
}

fn gen_object(g: &mut Gen, depth: usize) -> Object {
    let made = *g
        .choose(&[Made::Call, Made::New, Made::NewEx, Made::Reconstructor])
        .unwrap();
    let args = match made {
        Made::Reconstructor => Value::Tuple(vec![
            Value::Global(Box::new(Global {
                module: "builtins".into(),
                name: "object".into(),
            })),
            Value::None,
        ]),
        _ => Value::Tuple(gen_items(g, depth)),
    };
    let kwargs = (made == Made::NewEx).then(|| {
        Value::Dict(
            (0..u8::arbitrary(g) % 3)
                .map(|i| (Value::Str(format!("k{i}")), gen_value(g, depth - 1)))
                .collect(),
        )
    });
    Object {
        class: gen_class(g),
        made,
        args,
        kwargs,
        state: (0..u8::arbitrary(g) % 3)
            .map(|_| gen_value(g, depth - 1))
            .collect(),
        list_items: if bool::arbitrary(g) {
            gen_items(g, depth)
        } else {
            Vec::new()
        },
        dict_items: if bool::arbitrary(g) {
            gen_pairs(g, depth)
        } else {
            Vec::new()
        },
    }
}

fn gen_value(g: &mut Gen, depth: usize) -> Value {
    if depth == 0 {
        return gen_scalar(g);
    }
    match u8::arbitrary(g) % 10 {
        0 | 1 => gen_scalar(g),
        2 => Value::ByteArray(Vec::arbitrary(g)),
        3 => Value::List(gen_items(g, depth)),
        4 => Value::Tuple(gen_items(g, depth)),
        5 => Value::Dict(gen_pairs(g, depth)),
        6 => Value::Set(gen_set(g, 6, depth - 1)),
        7 => Value::FrozenSet(gen_set(g, 6, depth - 1)),
        _ => Value::Object(Box::new(gen_object(g, depth))),
    }
}

#[derive(Clone, Debug)]
struct AnyValue(Value);

impl Arbitrary for AnyValue {
    fn arbitrary(g: &mut Gen) -> Self {
        let depth = usize::from(u8::arbitrary(g) % 5);
        AnyValue(gen_value(g, depth))
    }
}

fn same_float(a: f64, b: f64) -> bool {
    (a.is_nan() && b.is_nan()) || a.to_bits() == b.to_bits()
}

/// Strict equality: `Value`'s own `==` is Python's (`1 == 1.0 == True`, `-0.0 == 0.0`, sets
/// unordered); a round trip must keep more than that.
fn same(a: &Value, b: &Value) -> bool {
    let all =
        |x: &[Value], y: &[Value]| x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q));
    let pairs = |x: &[(Value, Value)], y: &[(Value, Value)]| {
        x.len() == y.len()
            && x.iter()
                .zip(y)
                .all(|((k1, v1), (k2, v2))| same(k1, k2) && same(v1, v2))
    };
    match (a, b) {
        (Value::None, Value::None) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Int(x), Value::Int(y)) => x == y,
        (Value::BigInt(x), Value::BigInt(y)) => x == y,
        (Value::Float(x), Value::Float(y)) => same_float(*x, *y),
        (Value::Complex(x), Value::Complex(y)) => same_float(x.re, y.re) && same_float(x.im, y.im),
        (Value::Str(x), Value::Str(y)) => x == y,
        (Value::Bytes(x), Value::Bytes(y)) | (Value::ByteArray(x), Value::ByteArray(y)) => x == y,
        (Value::List(x), Value::List(y))
        | (Value::Tuple(x), Value::Tuple(y))
        | (Value::Set(x), Value::Set(y))
        | (Value::FrozenSet(x), Value::FrozenSet(y)) => all(x, y),
        (Value::Dict(x), Value::Dict(y)) => pairs(x, y),
        (Value::Global(x), Value::Global(y)) => x == y,
        (Value::Object(x), Value::Object(y)) => {
            x.class == y.class
                && x.made == y.made
                && same(&x.args, &y.args)
                && match (&x.kwargs, &y.kwargs) {
                    (None, None) => true,
                    (Some(p), Some(q)) => same(p, q),
                    _ => false,
                }
                && all(&x.state, &y.state)
                && all(&x.list_items, &y.list_items)
                && pairs(&x.dict_items, &y.dict_items)
        }
        _ => false,
    }
}

fn short(v: &Value) -> String {
    let s = format!("{v:?}");
    if s.len() > 600 {
        let mut end = 600;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        format!("{}...", &s[..end])
    } else {
        s
    }
}

#[test]
fn any_value_round_trips_at_every_protocol() {
    fn prop(v: AnyValue) -> TestResult {
        for proto in 0..=5 {
            let bytes = match pypickle::to_vec_with(&v.0, &SerOptions::new().protocol(proto)) {
                Ok(b) => b,
                Err(e) => {
                    return TestResult::error(format!(
                        "protocol {proto}: cannot write {}: {e}",
                        short(&v.0)
                    ))
                }
            };
            for (path, back) in [
                (
                    "from_slice",
                    pypickle::from_slice_with::<Value>(&bytes, &record()),
                ),
                (
                    "from_reader",
                    pypickle::from_reader_with::<_, Value>(&bytes[..], &record()),
                ),
            ] {
                match back {
                    Ok(back) if same(&back, &v.0) => {}
                    Ok(back) => {
                        return TestResult::error(format!(
                            "protocol {proto}, {path}: read back differently {}",
                            first_diff(&format!("{:?}", v.0), &format!("{back:?}"))
                        ))
                    }
                    Err(e) => {
                        return TestResult::error(format!(
                            "protocol {proto}, {path}: {} does not read back: {e}",
                            short(&v.0)
                        ))
                    }
                }
            }
        }
        TestResult::passed()
    }
    qc(300).quickcheck(prop as fn(AnyValue) -> TestResult);
}

/// True if `v` holds a global or an inert object anywhere.
#[cfg(feature = "json")]
fn holds_objects(v: &Value) -> bool {
    match v {
        Value::Global(_) | Value::Object(_) => true,
        Value::List(x) | Value::Tuple(x) | Value::Set(x) | Value::FrozenSet(x) => {
            x.iter().any(holds_objects)
        }
        Value::Dict(d) => d.iter().any(|(k, v)| holds_objects(k) || holds_objects(v)),
        _ => false,
    }
}

/// `pypickle::json`: any `Value` goes to JSON text and back unchanged, with objects mapped; with
/// the default options, exactly the values holding a global or an object are refused.
#[cfg(feature = "json")]
#[test]
fn any_value_round_trips_through_json_text() {
    use pypickle::json::{self, ErrorKind, JsonOptions};
    fn prop(v: AnyValue) -> TestResult {
        let opts = JsonOptions::new().objects(true);
        let text = match json::to_json_with(&v.0, &opts) {
            Ok(j) => j.to_string(),
            Err(e) => return TestResult::error(format!("{}: {e}", short(&v.0))),
        };
        let parsed: serde_json::Value = match serde_json::from_str(&text) {
            Ok(j) => j,
            Err(e) => return TestResult::error(format!("serde_json cannot read {text}: {e}")),
        };
        match json::from_json_with(&parsed, &opts) {
            Ok(back) if same(&back, &v.0) => {}
            Ok(back) => {
                return TestResult::error(format!(
                    "{text} read back differently {}",
                    first_diff(&format!("{:?}", v.0), &format!("{back:?}"))
                ))
            }
            Err(e) => return TestResult::error(format!("{text} does not read back: {e}")),
        }
        match (json::to_json(&v.0), holds_objects(&v.0)) {
            (Ok(_), false) => TestResult::passed(),
            (Err(e), true) if e.kind() == ErrorKind::Refused => TestResult::passed(),
            (r, holds) => TestResult::error(format!(
                "default options on {} (objects: {holds}): {:?}",
                short(&v.0),
                r.map(|j| j.to_string())
            )),
        }
    }
    qc(300).quickcheck(prop as fn(AnyValue) -> TestResult);
}

#[test]
fn every_float_displays_as_a_repr_that_reads_back() {
    fn prop(bits: u64) -> TestResult {
        let f = f64::from_bits(bits);
        let shown = Value::Float(f).to_string();
        let back: f64 = match shown.as_str() {
            "nan" => f64::NAN,
            "inf" => f64::INFINITY,
            "-inf" => f64::NEG_INFINITY,
            s => s.parse().unwrap(),
        };
        if same_float(back, f) || (f.is_nan() && back.is_nan()) {
            TestResult::passed()
        } else {
            TestResult::error(format!("{f:e} displays as {shown}"))
        }
    }
    qc(20_000).quickcheck(prop as fn(u64) -> TestResult);
}

// ---------------------------------------------------------------------------------------------
// Typed round trips: serde's whole data model.

/// A float compared by bits, NaN equal to NaN (protocol 0 writes `nan` for every NaN).
#[derive(Serialize, Deserialize, Debug, Clone, Copy)]
struct F64(f64);

impl PartialEq for F64 {
    fn eq(&self, other: &F64) -> bool {
        same_float(self.0, other.0)
    }
}

#[derive(Serialize, Deserialize, Debug, Clone, Copy)]
struct F32(f32);

impl PartialEq for F32 {
    fn eq(&self, other: &F32) -> bool {
        (self.0.is_nan() && other.0.is_nan()) || self.0.to_bits() == other.0.to_bits()
    }
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
struct Unit;

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
struct Newtype(i32);

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
struct TupleStruct(u8, String, F64);

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
enum Variant {
    Unit,
    Newtype(i64),
    Tuple(bool, Option<String>),
    Struct { a: u16, b: Vec<i8> },
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
struct Model {
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
    f32: F32,
    f64: F64,
    ch: char,
    s: String,
    #[serde(with = "serde_bytes")]
    bytes: Vec<u8>,
    none: Option<i32>,
    // (Not `Option<Option<_>>`: `Some(None)` and `None` are both Python's None, as in JSON.)
    some: Option<String>,
    unit: (),
    unit_struct: Unit,
    newtype: Newtype,
    tuple_struct: TupleStruct,
    tuple: (i32, String, bool),
    seq: Vec<Variant>,
    map: BTreeMap<String, Vec<u32>>,
    int_keys: HashMap<i64, Variant>,
    tuple_keys: BTreeMap<(i32, String), bool>,
    variants: [Variant; 4],
    nested: Option<Box<Model>>,
}

fn gen_variant(g: &mut Gen) -> Variant {
    match u8::arbitrary(g) % 4 {
        0 => Variant::Unit,
        1 => Variant::Newtype(i64::arbitrary(g)),
        2 => Variant::Tuple(bool::arbitrary(g), Option::arbitrary(g)),
        _ => Variant::Struct {
            a: u16::arbitrary(g),
            b: Vec::arbitrary(g),
        },
    }
}

fn gen_model(g: &mut Gen, depth: usize) -> Model {
    Model {
        b: bool::arbitrary(g),
        i8: i8::arbitrary(g),
        i16: i16::arbitrary(g),
        i32: i32::arbitrary(g),
        i64: i64::arbitrary(g),
        i128: i128::arbitrary(g),
        u8: u8::arbitrary(g),
        u16: u16::arbitrary(g),
        u32: u32::arbitrary(g),
        u64: u64::arbitrary(g),
        u128: u128::arbitrary(g),
        f32: F32(if bool::arbitrary(g) {
            f32::from_bits(u32::arbitrary(g))
        } else {
            gen_f64(g) as f32
        }),
        f64: F64(gen_f64(g)),
        ch: char::arbitrary(g),
        s: gen_str(g),
        bytes: Vec::arbitrary(g),
        none: None,
        some: Option::arbitrary(g),
        unit: (),
        unit_struct: Unit,
        newtype: Newtype(i32::arbitrary(g)),
        tuple_struct: TupleStruct(u8::arbitrary(g), gen_str(g), F64(gen_f64(g))),
        tuple: (i32::arbitrary(g), gen_str(g), bool::arbitrary(g)),
        seq: (0..u8::arbitrary(g) % 5).map(|_| gen_variant(g)).collect(),
        map: BTreeMap::arbitrary(g),
        int_keys: (0..u8::arbitrary(g) % 4)
            .map(|_| (i64::arbitrary(g), gen_variant(g)))
            .collect(),
        tuple_keys: BTreeMap::arbitrary(g),
        variants: [
            Variant::Unit,
            gen_variant(g),
            gen_variant(g),
            gen_variant(g),
        ],
        nested: (depth > 0 && bool::arbitrary(g)).then(|| Box::new(gen_model(g, depth - 1))),
    }
}

impl Arbitrary for Model {
    fn arbitrary(g: &mut Gen) -> Self {
        gen_model(g, 2)
    }
}

#[test]
fn derive_types_round_trip_at_every_protocol() {
    fn prop(m: Model) -> TestResult {
        for proto in 0..=5 {
            let bytes = match pypickle::to_vec_with(&m, &SerOptions::new().protocol(proto)) {
                Ok(b) => b,
                Err(e) => return TestResult::error(format!("protocol {proto}: {e}")),
            };
            let back: Model = match pypickle::from_slice(&bytes) {
                Ok(b) => b,
                Err(e) => return TestResult::error(format!("protocol {proto}: {e}")),
            };
            if back != m {
                return TestResult::error(format!(
                    "protocol {proto}: read back differently {}",
                    first_diff(&format!("{m:?}"), &format!("{back:?}"))
                ));
            }
            let owned: Model = match pypickle::from_reader(&bytes[..]) {
                Ok(b) => b,
                Err(e) => return TestResult::error(format!("protocol {proto}, reader: {e}")),
            };
            if owned != m {
                return TestResult::error(format!("protocol {proto}: from_reader differs"));
            }
            // The same pickle is plain data too.
            if let Err(e) = pypickle::from_slice::<Value>(&bytes) {
                return TestResult::error(format!("protocol {proto}: not a Value: {e}"));
            }
        }
        TestResult::passed()
    }
    qc(200).quickcheck(prop as fn(Model) -> TestResult);
}

// ---------------------------------------------------------------------------------------------
// Hostile input

/// Decode every way; the only requirement is not to panic (a panic fails the test).
fn decode_all_ways(data: &[u8]) {
    let _ = pypickle::from_slice::<Value>(data);
    let _ = pypickle::from_reader::<_, Value>(data);
    let _ = pypickle::from_slice_with::<Value>(data, &record());
    let _ = pypickle::from_slice::<Model>(data);
    let _ = pypickle::from_reader::<_, Model>(data);
    let _ = pypickle::from_slice::<Vec<Variant>>(data);
    let _ = pypickle::from_slice::<BTreeMap<String, Value>>(data);
    for item in pypickle::Deserializer::from_slice(data)
        .into_iter::<Value>()
        .take(3)
    {
        let _ = item;
    }
}

/// One edit of a pickle: where (a fraction of its length), what, and a byte.
#[derive(Clone, Debug)]
struct Edit(u16, u8, u8);

impl Arbitrary for Edit {
    fn arbitrary(g: &mut Gen) -> Self {
        Edit(u16::arbitrary(g), u8::arbitrary(g), u8::arbitrary(g))
    }
}

fn apply(data: &mut Vec<u8>, Edit(at, how, byte): &Edit) {
    if data.is_empty() {
        data.push(*byte);
        return;
    }
    let i = usize::from(*at) * data.len() / 65536;
    match how % 6 {
        0 => data[i] ^= 1 << (byte % 8),
        1 => data[i] = *byte,
        2 => data.insert(i, *byte),
        3 => {
            data.remove(i);
        }
        4 => data.truncate(i),
        _ => {
            // A length or memo field made huge.
            for b in data.iter_mut().skip(i + 1).take(usize::from(byte % 8) + 1) {
                *b = 0xff;
            }
        }
    }
}

#[test]
fn mutated_valid_pickles_never_panic() {
    fn prop(v: AnyValue, m: Model, proto: u8, edits: Vec<Edit>) -> TestResult {
        let opts = SerOptions::new().protocol(proto % 6);
        for mut data in [
            pypickle::to_vec_with(&v.0, &opts).unwrap(),
            pypickle::to_vec_with(&m, &opts).unwrap(),
        ] {
            for edit in edits.iter().take(4) {
                apply(&mut data, edit);
            }
            decode_all_ways(&data);
        }
        TestResult::passed()
    }
    qc(1000).quickcheck(prop as fn(AnyValue, Model, u8, Vec<Edit>) -> TestResult);
}

/// Where the first pickle in `data` ends (just after its STOP), by walking the opcodes and
/// their arguments as the format defines them, independently of the reader: `None` if the
/// bytes end first or hold an unknown opcode.
fn first_stop(data: &[u8]) -> Option<usize> {
    let mut i = 0;
    loop {
        let op = *data.get(i)?;
        i += 1;
        let le = |from: usize, n: usize| -> Option<u64> {
            let b = data.get(from..from + n)?;
            Some(
                b.iter()
                    .rev()
                    .fold(0u64, |acc, &x| (acc << 8) | u64::from(x)),
            )
        };
        let line = |from: usize| {
            data[from.min(data.len())..]
                .iter()
                .position(|&b| b == b'\n')
        };
        let skip = match op {
            b'.' => return Some(i),
            b'('
            | b')'
            | b']'
            | b'}'
            | b'0'
            | b'1'
            | b'2'
            | b'N'
            | b'Q'
            | b'R'
            | b'a'
            | b'b'
            | b'd'
            | b'e'
            | b'l'
            | b'o'
            | b's'
            | b't'
            | b'u'
            | 0x81
            | 0x85..=0x89
            | 0x8f
            | 0x90..=0x94
            | 0x97
            | 0x98 => 0,
            b'K' | b'q' | b'h' | 0x80 | 0x82 => 1,
            b'M' | 0x83 => 2,
            b'J' | b'r' | b'j' | 0x84 => 4,
            b'G' | 0x95 => 8,
            b'U' | b'C' | 0x8c | 0x8a => 1 + le(i, 1)? as usize,
            b'T' | b'X' | b'B' | 0x8b => 4 + le(i, 4)? as usize,
            0x8d | 0x8e | 0x96 => 8usize.checked_add(usize::try_from(le(i, 8)?).ok()?)?,
            b'I' | b'L' | b'F' | b'S' | b'V' | b'p' | b'g' | b'P' => line(i)? + 1,
            b'c' | b'i' => {
                let first = line(i)? + 1;
                first + line(i + first)? + 1
            }
            _ => return None,
        };
        i = i.checked_add(skip)?;
        if i > data.len() {
            return None;
        }
    }
}

#[test]
fn strict_prefixes_are_errors_unless_complete_pickles() {
    // Two pickles written one after another (what repeated `pickle.dump` makes) are valid
    // input for a `Deserializer`; the first one is then a prefix that is a complete pickle.
    fn prop(v: AnyValue, m: Model, proto: u8) -> TestResult {
        let opts = SerOptions::new().protocol(proto % 6);
        let first = pypickle::to_vec_with(&v.0, &opts).unwrap();
        let second = pypickle::to_vec_with(&m, &opts).unwrap();
        let stream = [first.clone(), second.clone()].concat();
        // (The stream's prefixes up to the end of the first pickle are the first's.)
        for data in [&second, &stream] {
            // The independent walk finds the pickle's end where the writer put it.
            assert_eq!(first_stop(data), Some(first_len(data, &first)));
            // Every prefix of a short pickle, about 24 of a long one, and the ends.
            let step = (data.len() / 24).max(1);
            let cuts =
                (0..data.len())
                    .step_by(step)
                    .chain([data.len() - 1, first.len() - 1, first.len()]);
            for cut in cuts.filter(|&c| c < data.len()) {
                let prefix = &data[..cut];
                let complete = first_stop(prefix) == Some(prefix.len());
                for (path, r) in [
                    (
                        "from_slice",
                        pypickle::from_slice_with::<Value>(prefix, &record()),
                    ),
                    (
                        "from_reader",
                        pypickle::from_reader_with::<_, Value>(prefix, &record()),
                    ),
                ] {
                    match r {
                        Ok(_) if !complete => {
                            return TestResult::error(format!(
                                "{path}: the {cut}-byte prefix of a {}-byte pickle at protocol \
                                 {} decoded",
                                data.len(),
                                proto % 6
                            ))
                        }
                        Ok(back) if !same(&back, &v.0) => {
                            return TestResult::error(format!(
                                "{path}: the complete prefix decoded as another value"
                            ))
                        }
                        _ => {}
                    }
                }
                if complete {
                    // Only the first pickle of the stream is a complete prefix, and it reads.
                    assert_eq!(prefix, &first[..]);
                    let back = pypickle::from_slice_with::<Value>(prefix, &record()).unwrap();
                    assert!(same(&back, &v.0));
                }
            }
        }
        TestResult::passed()
    }
    qc(100).quickcheck(prop as fn(AnyValue, Model, u8) -> TestResult);
}

/// The length of the first pickle in `data` (`first` when `data` starts with it).
fn first_len(data: &[u8], first: &[u8]) -> usize {
    if data.starts_with(first) {
        first.len()
    } else {
        data.len()
    }
}

#[test]
fn the_first_of_two_pickles_is_a_complete_prefix() {
    let stream = b"\x80\x02K\x05.\x80\x02K\x06.";
    assert_eq!(first_stop(stream), Some(5));
    assert_eq!(
        pypickle::from_slice::<Value>(&stream[..5]).unwrap(),
        Value::Int(5)
    );
    assert!(pypickle::from_slice::<Value>(&stream[..]).is_err());
    assert!(pypickle::from_reader::<_, Value>(&stream[..4]).is_err());
}
