//! Decode (record mode) -> `to_vec_with` at every protocol 0-5 -> decode again.
//!
//! Asserts, for every protocol:
//! - writing fails only where that is documented (`encode_may_fail`: an unhashable dict key or
//!   set element, a global the protocol cannot name); otherwise it succeeds;
//! - with `fix_imports` off on both sides, so no Python 2 name is mapped either way, the pickle
//!   written decodes to the same value, structurally: same variants in the same order, floats
//!   bit for bit with NaN equal to NaN (`pypickle_fuzz::same`). Values without a NaN are also
//!   checked with `Value`'s own `==`, Python's equality. (Below protocol 3 a value holding
//!   an `array._array_reconstructor` object is compared by its repr instead: the writer gives
//!   the array CPython's `array(typecode, list)` form there.)
//! - with the default options on both sides, the pickle written decodes, and at protocols 3-5
//!   (where no name is mapped) to the same value. At 0-2 the names are mapped to Python 2 and
//!   back, which, as in CPython, is not one to one (a `__builtin__` module read from a protocol
//!   4 pickle comes back as `builtins`), so only the success of the decode is checked there,
//!   and not even that when the value names a global the reader maps (`py2_mapped`).
//!
//! And for a pickle that reads as a numpy `NdArray`: the array writes at every protocol what
//! its `Value` writes (it writes from its data, the `Value` through the object), and at
//! protocol 5 with out-of-band buffers it reads back the same from the pickle and buffers.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pypickle::numpy::NdArray;
use pypickle::{DeOptions, SerOptions, Value};
use pypickle_fuzz::{count, encode_may_fail, globals, has_nan, py2_mapped, record, same};

/// Whether `v` holds an `array._array_reconstructor(...)` object.
fn has_array_reconstructor(v: &Value) -> bool {
    globals(v).contains(&("array", "_array_reconstructor"))
}

/// `a` written from its data, and as its `Value`: the same pickle; and out of band, the same
/// array back.
fn array_round_trip(a: &NdArray) {
    let v = Value::from(a);
    for proto in 0..=5u8 {
        let ser = SerOptions::new().protocol(proto);
        let got = pypickle::to_vec_with(a, &ser).map_err(|e| e.to_string());
        let want = pypickle::to_vec_with(&v, &ser).map_err(|e| e.to_string());
        assert_eq!(got, want, "protocol {proto}: {a:?}");
    }
    let ser = SerOptions::new().protocol(5);
    let (pickle, buffers) = pypickle::to_vec_with_buffers(a, &ser).expect("written out of band");
    let lent: Vec<&[u8]> = buffers.iter().map(Vec::as_slice).collect();
    let back: NdArray = pypickle::from_slice_with_buffers(&pickle, &lent, &DeOptions::new())
        .unwrap_or_else(|e| panic!("{a:?} written out of band does not read back: {e}"));
    assert_eq!(&back, a, "out of band");
}

/// Values decoded from a few KiB can hold tens of thousands of values through shared
/// references (a `Value` has no identity, so each protocol writes them all out); twelve writes
/// and reads of 2^16 of them took 4 s under the sanitizers, near libFuzzer's 5 s timeout
/// (`tests/fuzz_regressions.rs`, `a_tree_of_shared_tuples_round_trips_at_every_protocol`).
const MAX_VALUES: usize = 1 << 14;

fuzz_target!(|data: &[u8]| {
    if let Ok(a) = pypickle::from_slice_with::<NdArray>(data, &record()) {
        array_round_trip(&a);
    }
    let Ok(v) = pypickle::from_slice_with::<Value>(data, &record()) else {
        return;
    };
    if count(&v) > MAX_VALUES {
        return;
    }
    for proto in 0..=5u8 {
        for fix_imports in [false, true] {
            let ser = SerOptions::new().protocol(proto).fix_imports(fix_imports);
            let de = record().fix_imports(fix_imports);
            let bytes = match pypickle::to_vec_with(&v, &ser) {
                Ok(bytes) => bytes,
                Err(e) => {
                    assert!(
                        encode_may_fail(&v, proto),
                        "protocol {proto} (fix_imports {fix_imports}) cannot write {v:?}: {e}"
                    );
                    continue;
                }
            };
            let w = match pypickle::from_slice_with::<Value>(&bytes, &de) {
                Ok(w) => w,
                // A Python 2 name kept as is from a protocol 3+ pickle is mapped when read back
                // from protocols 0-2, as in CPython, and may then name a built-in whose
                // arguments do not fit (`__builtin__.bytearray` of an object).
                Err(_) if fix_imports && proto < 3 && globals(&v).iter().any(|(m, n)| py2_mapped(m, n)) => continue,
                Err(e) => panic!(
                    "protocol {proto} (fix_imports {fix_imports}) wrote {v:?} as {}, which does not decode: {e}",
                    bytes.escape_ascii()
                ),
            };
            if fix_imports && proto < 3 {
                continue;
            }
            // Below protocol 3 an `array.array` held in the reconstructor's form is written
            // as `array(typecode, list)`, as CPython writes the array there: the same array,
            // by its repr (Python's equality of arrays), in another form.
            if proto < 3 && has_array_reconstructor(&v) {
                assert_eq!(
                    v.to_string(),
                    w.to_string(),
                    "protocol {proto}: an array written in CPython's form below protocol 3 came back as another array, from {}",
                    bytes.escape_ascii()
                );
                continue;
            }
            assert!(
                same(&v, &w),
                "protocol {proto} (fix_imports {fix_imports}): {v:?} came back as {w:?} from {}",
                bytes.escape_ascii()
            );
            if !has_nan(&v) {
                assert!(v == w, "protocol {proto}: {v} != {w} in Python's equality");
            }
        }
    }
});
