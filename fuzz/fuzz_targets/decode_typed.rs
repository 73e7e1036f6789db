//! `from_slice` and `from_reader` into derive types covering serde's data model: structs, enums
//! with unit, newtype, tuple and struct variants, `Option`, tuples, arrays, maps, `Vec`, bytes
//! through `serde_bytes`, `&str` borrowed from the input, every integer width, `f32`, `f64`,
//! `char`, `bool`, unit, a unit struct, newtype and tuple structs, `Value` and `IgnoredAny`
//! (`deserialize_any`), each with the default options and in record mode.
//!
//! Every type exists twice, with `S`/`B` the borrowed `&str`/`&Bytes` or the owned
//! `String`/`ByteBuf` (`from_reader` needs owned types). Asserts: `from_slice` and
//! `from_reader` into the owned type agree (both `Ok` with the same value, or both `Err`); the
//! borrowed type gives the same value as the owned one when it succeeds, and fails whenever the
//! owned one fails (borrowing can only be stricter: a str that is not in the input as UTF-8,
//! such as a protocol 0 escaped one, cannot be borrowed). Values are compared by their `Debug`
//! text, which is NaN-aware (`NaN` prints as `NaN` on both sides) and tells -0.0 from 0.0.
#![no_main]
// The fields are only read through `Debug`, which dead-code analysis ignores.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fmt::Debug;

use libfuzzer_sys::fuzz_target;
use pypickle::{DeOptions, Value};
use pypickle_fuzz::{check_error, record};
use serde::de::{DeserializeOwned, IgnoredAny};
use serde::Deserialize;
use serde_bytes::{ByteBuf, Bytes};

#[derive(Deserialize, Debug)]
struct Unit;

#[derive(Deserialize, Debug)]
struct Newtype(i64);

#[derive(Deserialize, Debug)]
struct Pair(u8, f32);

#[derive(Deserialize, Debug)]
enum Kind<S, B> {
    Unit,
    Newtype(i8),
    Tuple(u16, char),
    Struct { a: u32, b: Option<S> },
    Bytes(B),
    Nested(Box<Kind<S, B>>),
}

#[derive(Deserialize, Debug)]
struct Record<S: Ord, B> {
    #[serde(default)]
    i8: Option<i8>,
    #[serde(default)]
    i16: Option<i16>,
    #[serde(default)]
    i32: Option<i32>,
    #[serde(default)]
    i64: Option<i64>,
    #[serde(default)]
    i128: Option<i128>,
    #[serde(default)]
    u8: Option<u8>,
    #[serde(default)]
    u16: Option<u16>,
    #[serde(default)]
    u32: Option<u32>,
    #[serde(default)]
    u64: Option<u64>,
    #[serde(default)]
    u128: Option<u128>,
    #[serde(default)]
    f32: Option<f32>,
    #[serde(default)]
    f64: Option<f64>,
    #[serde(default)]
    bool: Option<bool>,
    #[serde(default)]
    char: Option<char>,
    #[serde(default)]
    str: Option<S>,
    #[serde(default)]
    bytes: Option<B>,
    #[serde(default)]
    opt: Option<Option<i32>>,
    #[serde(default)]
    tuple: Option<(i32, S, bool)>,
    #[serde(default)]
    array: Option<[u8; 3]>,
    #[serde(default)]
    map: Option<BTreeMap<S, i64>>,
    #[serde(default)]
    vec: Option<Vec<Kind<S, B>>>,
    #[serde(default)]
    unit: Option<()>,
    #[serde(default)]
    unit_struct: Option<Unit>,
    #[serde(default)]
    newtype: Option<Newtype>,
    #[serde(default)]
    pair: Option<Pair>,
    #[serde(default)]
    kind: Option<Kind<S, B>>,
    #[serde(default)]
    nested: Option<Box<Record<S, B>>>,
    #[serde(default)]
    any: Option<Value>,
    #[serde(default)]
    ignored: Option<IgnoredAny>,
}

/// One pickle into the borrowed type `Bor` and the owned type `Own` through both paths.
fn check<'a, Bor, Own>(data: &'a [u8], opts: &DeOptions)
where
    Bor: Deserialize<'a> + Debug,
    Own: DeserializeOwned + Debug,
{
    let slice = pypickle::from_slice_with::<Own>(data, opts);
    let reader = pypickle::from_reader_with::<_, Own>(data, opts);
    let borrowed = pypickle::from_slice_with::<Bor>(data, opts);
    for e in [
        slice.as_ref().err(),
        reader.as_ref().err(),
        borrowed.as_ref().err(),
    ]
    .into_iter()
    .flatten()
    {
        check_error(e, data.len());
    }
    match (&slice, &reader) {
        (Ok(a), Ok(b)) => assert_eq!(
            format!("{a:?}"),
            format!("{b:?}"),
            "from_slice vs from_reader"
        ),
        (Err(_), Err(_)) => {}
        _ => panic!("from_slice gave {slice:?}, from_reader {reader:?}"),
    }
    match (&slice, &borrowed) {
        (Ok(a), Ok(b)) => assert_eq!(format!("{a:?}"), format!("{b:?}"), "owned vs borrowed"),
        (Err(_), Ok(b)) => panic!("owned type failed ({slice:?}) but borrowed gave {b:?}"),
        _ => {}
    }
}

/// Inputs larger than this are checked against `Record` and `Value` only. Every check parses
/// the whole pickle before reading the type, so twenty checks of a 40 KiB seed under
/// AddressSanitizer took over libFuzzer's 5 s on this machine (a release decode of it takes under
/// a millisecond); the large inputs are the seeds, and the small ones reach the same typed paths.
const LARGE: usize = 16 << 10;

fn all(data: &[u8], opts: &DeOptions) {
    check::<Record<&str, &Bytes>, Record<String, ByteBuf>>(data, opts);
    check::<Value, Value>(data, opts);
    if data.len() > LARGE {
        return;
    }
    check::<Kind<&str, &Bytes>, Kind<String, ByteBuf>>(data, opts);
    check::<Vec<Kind<&str, &Bytes>>, Vec<Kind<String, ByteBuf>>>(data, opts);
    check::<(i64, &str, f64, &Bytes), (i64, String, f64, ByteBuf)>(data, opts);
    check::<BTreeMap<&str, Vec<Option<&str>>>, BTreeMap<String, Vec<Option<String>>>>(data, opts);
    check::<Unit, Unit>(data, opts);
    check::<Newtype, Newtype>(data, opts);
    check::<Pair, Pair>(data, opts);
    check::<IgnoredAny, IgnoredAny>(data, opts);
}

/// `from_value_with` of what the pickle reads into a `Value`: no panic, and where the pickle
/// reads into the type, so does its `Value` (which it writes and reads back); its errors
/// carry no offset (the pickle it read is its own).
fn via_value(data: &[u8], opts: &DeOptions) {
    type Own = Record<String, ByteBuf>;
    let Ok(v) = pypickle::from_slice_with::<Value>(data, opts) else {
        return;
    };
    let direct = pypickle::from_slice_with::<Own>(data, opts);
    if let Err(e) = pypickle::from_value_with::<Own>(v, opts) {
        assert_eq!(e.offset(), None, "{e}");
        assert!(
            direct.is_err(),
            "from_value_with failed ({e}) but the pickle read as {direct:?}"
        );
    }
}

fuzz_target!(|data: &[u8]| {
    all(data, &DeOptions::new());
    via_value(data, &DeOptions::new());
    // Record mode differs from the default options only where the default refuses a global
    // (the parse is otherwise the same, as `decode_value` asserts): skip it elsewhere.
    let refused = pypickle::from_slice::<IgnoredAny>(data)
        .is_err_and(|e| e.category() == pypickle::Category::Refused);
    if refused {
        all(data, &record());
    }
});
