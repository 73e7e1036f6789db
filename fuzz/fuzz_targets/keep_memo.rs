//! `Deserializer::keep_memo(true)`: the input is a stream of pickles read as one reused
//! `pickle.Unpickler` reads it (memo and arena kept from pickle to pickle).
//!
//! The stream is read from a slice and from a reader, with small limits and with the
//! defaults, as `Value` throughout, and with a schedule that mixes typed targets (a type
//! mismatch fails the walk but not the stream) and out-of-band buffers.
//! Asserts: no panic; slice and reader agree step by step (both `Ok` with the same
//! `Display`/`Debug`, or both `Err` with the same limit); errors' offsets lie in the input;
//! the first pickle reads the same with and without keep_memo.
#![no_main]
#![allow(dead_code)]

use std::collections::BTreeMap;

use libfuzzer_sys::fuzz_target;
use pypickle::{DeOptions, Deserializer, Value};
use pypickle_fuzz::{check_error, record};
use serde::de::IgnoredAny;
use serde::Deserialize;

#[derive(Deserialize, Debug)]
struct Rec {
    #[serde(default)]
    a: Option<i64>,
    #[serde(default)]
    b: Option<String>,
    #[serde(default)]
    c: Vec<Value>,
    #[serde(default)]
    d: Option<BTreeMap<String, Value>>,
}

#[derive(Deserialize, Debug)]
enum Kind {
    A,
    B(i32),
    C { x: Vec<String> },
}

/// At most this many pickles per stream per pass (the default budget is per pickle: a run of
/// tiny pickles each handing over 2^20 values is the known cost of that budget, and it
/// would only time out here).
const MAX_STEPS_SMALL: usize = 128;
const MAX_STEPS_DEFAULT: usize = 6;

static BUFS: [&[u8]; 4] = [b"abc", b"", b"0123456789", b"\xff\x00x"];

#[derive(Debug, PartialEq)]
enum Step {
    Ok(String),
    Err(Option<pypickle::Limit>),
    End,
}

fn step<'de, R: pypickle::read::Read<'de>>(
    de: &mut Deserializer<R>,
    kind: u8,
    bufs: &mut &'de [&'de [u8]],
    len: usize,
) -> Step {
    fn fin<T: std::fmt::Debug>(r: pypickle::Result<Option<T>>, len: usize) -> Step {
        match r {
            Ok(Some(v)) => Step::Ok(format!("{v:?}")),
            Ok(None) => Step::End,
            Err(e) => {
                check_error(&e, len);
                Step::Err(e.limit())
            }
        }
    }
    match kind % 8 {
        0 | 1 => match de.next_value::<Value>() {
            Ok(Some(v)) => {
                let s = v.to_string();
                Step::Ok(format!("{s}|{v:?}"))
            }
            r => fin(r, len),
        },
        2 => fin(de.next_value::<Vec<String>>(), len),
        3 => fin(de.next_value::<Rec>(), len),
        4 => fin(de.next_value::<Kind>(), len),
        5 => fin(de.next_value::<IgnoredAny>().map(|o| o.map(|_| ())), len),
        6 => fin(de.next_value::<(Option<String>, Value)>(), len),
        _ => match de.next_value_with_buffers::<Value>(bufs) {
            Ok(Some(v)) => Step::Ok(format!("{v}|{v:?}|{}", bufs.len())),
            r => fin(r, len),
        },
    }
}

fn run<'de, R: pypickle::read::Read<'de>>(
    mut de: Deserializer<R>,
    schedule: &[u8],
    max: usize,
    len: usize,
) -> Vec<Step> {
    let mut out = Vec::new();
    let mut bufs: &'de [&'de [u8]] = &BUFS;
    let mut last_pos = u64::MAX;
    for i in 0..max {
        let kind = if schedule.is_empty() {
            0
        } else {
            schedule[i % schedule.len()]
        };
        let s = step(&mut de, kind, &mut bufs, len);
        let pos = de.position();
        let stop = matches!(s, Step::End) || (matches!(s, Step::Err(_)) && pos == last_pos);
        out.push(s);
        if stop {
            break;
        }
        last_pos = pos;
    }
    out
}

fn both(data: &[u8], opts: &DeOptions, schedule: &[u8], max: usize) {
    let a = run(
        Deserializer::from_slice(data)
            .with_options(opts.clone())
            .keep_memo(true),
        schedule,
        max,
        data.len(),
    );
    let b = run(
        Deserializer::from_reader(data)
            .with_options(opts.clone())
            .keep_memo(true),
        schedule,
        max,
        data.len(),
    );
    assert_eq!(a, b, "slice vs reader disagree (schedule {schedule:?})");
}

fuzz_target!(|data: &[u8]| {
    let small = DeOptions::new()
        .max_expansion(1 << 12)
        .max_nodes(1 << 16)
        .max_memo(1 << 12);
    // The schedule of targets: taken from the last bytes (a pickle ends at STOP, so trailing
    // bytes after the last STOP are both schedule and a broken last pickle).
    let tail = &data[data.len().saturating_sub(4)..];
    // Value only (the main oracle), then a mixed schedule.
    both(data, &small, &[], MAX_STEPS_SMALL);
    both(data, &small, tail, MAX_STEPS_SMALL);
    both(data, &record().max_expansion(1 << 12), tail, MAX_STEPS_SMALL);
    both(data, &DeOptions::new(), &[], MAX_STEPS_DEFAULT);

    // The first pickle reads the same with and without keep_memo.
    let mut x = Deserializer::from_slice(data).with_options(small.clone());
    let mut y = Deserializer::from_slice(data)
        .with_options(small.clone())
        .keep_memo(true);
    let vx = x.next_value::<Value>().map(|o| o.map(|v| format!("{v:?}")));
    let vy = y.next_value::<Value>().map(|o| o.map(|v| format!("{v:?}")));
    match (&vx, &vy) {
        (Ok(p), Ok(q)) => assert_eq!(p, q, "first pickle differs with keep_memo"),
        (Err(_), Err(_)) => {}
        _ => panic!("first pickle: without keep_memo {vx:?}, with {vy:?}"),
    }
});
