//! `from_slice::<Value>` with the default options and in record mode.
//!
//! Asserts: any result is `Ok` or an `Err` whose offset lies in the input; an `Ok` value prints
//! (`Display`, `Debug`), goes into another format (`serde_json`, directly and through
//! `from_value`) and re-encodes at every protocol without panicking; the default options
//! are never more permissive than record mode (an `Ok` there is the same value in record mode,
//! unless it has more values than record mode's smaller `max_expansion` allows);
//! a decoded value names no global the policy refuses (default: only safe ones; record mode:
//! none dangerous); `from_reader` gives the same result as `from_slice`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pypickle::{DeOptions, Limit, SerOptions, Value, Verdict};
use pypickle_fuzz::{check_error, globals, record, same, verdict_of};

fn decode(data: &[u8], opts: &DeOptions, worst: Verdict) -> Option<Value> {
    let v = match pypickle::from_slice_with::<Value>(data, opts) {
        Ok(v) => v,
        Err(e) => {
            check_error(&e, data.len());
            let r = pypickle::from_reader_with::<_, Value>(data, opts);
            assert!(
                r.is_err(),
                "from_slice failed ({e}) but from_reader gave {r:?}"
            );
            return None;
        }
    };
    let _ = v.to_string();
    let _ = format!("{v:?}");
    // Into another format, and through `from_value` into another format's value: the plain
    // forms of standard library objects.
    let _ = serde_json::to_string(&v);
    let _ = pypickle::from_value::<serde_json::Value>(v.clone());
    for proto in 0..=5 {
        let _ = pypickle::to_vec_with(&v, &SerOptions::new().protocol(proto));
    }
    for (module, name) in globals(&v) {
        let verdict = verdict_of(module, name);
        assert!(
            verdict <= worst,
            "decoded value names {module}.{name}, which the policy judges {verdict}"
        );
    }
    match pypickle::from_reader_with::<_, Value>(data, opts) {
        Ok(w) => assert!(same(&v, &w), "from_slice gave {v:?}, from_reader {w:?}"),
        Err(e) => panic!("from_slice gave {v:?}, from_reader failed: {e}"),
    }
    Some(v)
}

fuzz_target!(|data: &[u8]| {
    let strict = decode(data, &DeOptions::new(), Verdict::Safe);
    let recorded = decode(data, &record(), Verdict::Unknown);
    if let Some(v) = strict {
        match recorded {
            Some(w) => assert!(same(&v, &w), "default gave {v:?}, record mode {w:?}"),
            None => {
                // Record mode here has a smaller `max_expansion` than the default (to keep
                // runs short): a value between the two limits is the one failure allowed.
                let e = pypickle::from_slice_with::<Value>(data, &record())
                    .expect_err("record mode failed just before");
                assert_eq!(
                    e.limit(),
                    Some(Limit::Expansion),
                    "default options decoded a value but record mode failed: {e}"
                );
            }
        }
    }
});
