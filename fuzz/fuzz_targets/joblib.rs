//! `pypickle::joblib` on any bytes: uncompressed (raw array bytes after each wrapper's BUILD,
//! nested pickles of object arrays) and, through the `joblib` feature, zlib and gzip streams.
//!
//! Asserts: any result is `Ok` or an `Err` whose offset lies in the input; `from_slice` and
//! `from_reader` agree on uncompressed input; `decompress` then `from_slice` agrees with
//! `from_reader` on compressed input; the arrays of an `Ok` value read the same as
//! `NdArrayView` (borrowed from the input) and `NdArray`; an `Ok` value re-encodes at every
//! protocol and reads back the same (an ordinary pickle).
#![no_main]

use libfuzzer_sys::fuzz_target;
use pypickle::joblib::{self, Compression};
use pypickle::numpy::{NdArray, NdArrayView};
use pypickle::{DeOptions, SerOptions, Value};
use pypickle_fuzz::{check_error, record, same};

fuzz_target!(|data: &[u8]| {
    // Small caps keep inflated inputs quick: a few KiB of zlib can claim gigabytes.
    let opts = record().max_decompressed(1 << 20);
    let from_reader = joblib::from_reader_with::<_, Value>(data, &opts);
    let v = if Compression::detect(data) == Compression::None {
        let from_slice = joblib::from_slice_with::<Value>(data, &opts);
        match (&from_slice, &from_reader) {
            (Ok(a), Ok(b)) => assert!(same(a, b), "from_slice {a:?}, from_reader {b:?}"),
            (Err(e), Err(_)) => check_error(e, data.len()),
            _ => panic!("from_slice {from_slice:?}, from_reader {from_reader:?}"),
        }
        let (Ok(v), Ok(a), Ok(b)) = (
            from_slice,
            joblib::from_slice_with::<NdArray>(data, &opts),
            joblib::from_slice_with::<NdArrayView>(data, &opts),
        ) else {
            return;
        };
        assert_eq!(b.into_owned(), a, "NdArrayView and NdArray differ");
        assert_eq!(
            NdArray::try_from(&v).ok(),
            Some(a.clone()),
            "Value and NdArray differ"
        );
        v
    } else {
        let plain = joblib::decompress(data, &DeOptions::new().max_decompressed(1 << 20));
        let from_plain = plain
            .as_ref()
            .map_err(|e| e.to_string())
            .and_then(|p| joblib::from_slice_with::<Value>(p, &opts).map_err(|e| e.to_string()));
        match (&from_plain, &from_reader) {
            (Ok(a), Ok(b)) => assert!(same(a, b), "decompressed {a:?}, from_reader {b:?}"),
            (Err(_), Err(e)) => check_error(e, usize::MAX),
            // A stream whose end is corrupt can fail to decompress whole and still hold a
            // complete pickle that from_reader reads before reaching the corruption.
            (Err(_), Ok(_)) => return,
            _ => panic!("decompressed {from_plain:?}, from_reader {from_reader:?}"),
        }
        match from_reader {
            Ok(v) => v,
            Err(_) => return,
        }
    };
    let _ = v.to_string();
    for proto in 0..=5 {
        if let Ok(bytes) =
            pypickle::to_vec_with(&v, &SerOptions::new().protocol(proto).fix_imports(false))
        {
            let w: Value = pypickle::from_slice_with(&bytes, &record().fix_imports(false))
                .unwrap_or_else(|e| panic!("protocol {proto} wrote {v:?}, which fails: {e}"));
            assert!(same(&v, &w), "protocol {proto}: {v:?} came back as {w:?}");
        }
    }
});
