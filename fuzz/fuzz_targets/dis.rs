//! `pypickle::dis` and `pypickle::optimize` on any bytes.
//!
//! Asserts: neither panics; errors point inside the input; the disassembly of every pickle in
//! the stream works whenever the first one's does not fail on its own bytes; and whenever the
//! reader decodes the input (record mode), `optimize` succeeds and its output decodes to the
//! same value (compared structurally, NaN-aware).
#![no_main]

use libfuzzer_sys::fuzz_target;
use pypickle::{DisOptions, Value};
use pypickle_fuzz::{check_error, record, same};

fuzz_target!(|data: &[u8]| {
    match pypickle::dis(data) {
        Ok(text) => assert!(text.ends_with('\n') || text.is_empty()),
        Err(e) => check_error(&e, data.len()),
    }
    let mut out = String::new();
    if let Err(e) = pypickle::dis_to(&mut out, data, &DisOptions::new().all_pickles(true)) {
        check_error(&e, data.len());
    }
    let optimized = pypickle::optimize(data);
    if let Err(e) = &optimized {
        check_error(e, data.len());
    }
    let Ok(v) = pypickle::from_slice_with::<Value>(data, &record()) else {
        return;
    };
    let optimized =
        optimized.unwrap_or_else(|e| panic!("decodes as {v:?} but optimize fails: {e}"));
    let w = pypickle::from_slice_with::<Value>(&optimized, &record())
        .unwrap_or_else(|e| panic!("optimized pickle does not decode: {e}"));
    assert!(same(&v, &w), "optimize changed the value: {v:?} -> {w:?}");
});
