//! Golden tests: for plain values, pypickle writes byte for byte what CPython's `pickle.dumps`
//! writes, at every protocol 0-5 (frames, memo PUTs and batches included).
//!
//! `python_fixtures/ser_golden.py` wrote the pickles with CPython's C pickler. Each is read into
//! a `pypickle::Value` and written back with `pypickle::to_vec_with`; the bytes must be the same.

use std::path::PathBuf;

use pypickle::{SerOptions, Value};

struct Golden {
    name: String,
    proto: u8,
    pickle: Vec<u8>,
}

fn goldens() -> Vec<Golden> {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("python_fixtures/ser_golden/golden.bin");
    let data = std::fs::read(&path).expect("golden.bin: run python3 python_fixtures/ser_golden.py");
    let mut rest = &data[..];
    let mut out = Vec::new();
    while !rest.is_empty() {
        let n = u16::from_le_bytes([rest[0], rest[1]]) as usize;
        let name = String::from_utf8(rest[2..2 + n].to_vec()).unwrap();
        rest = &rest[2 + n..];
        let proto = rest[0];
        let len = u32::from_le_bytes(rest[1..5].try_into().unwrap()) as usize;
        let pickle = rest[5..5 + len].to_vec();
        rest = &rest[5 + len..];
        out.push(Golden {
            name,
            proto,
            pickle,
        });
    }
    out
}

/// Where two byte strings first differ, with some context on each side.
fn first_difference(got: &[u8], want: &[u8]) -> String {
    let at = got.iter().zip(want).take_while(|(a, b)| a == b).count();
    let lo = at.saturating_sub(12);
    let show = |b: &[u8]| {
        format!(
            "{:?}",
            String::from_utf8_lossy(&b[lo..(at + 12).min(b.len())])
        )
    };
    format!(
        "lengths {} vs {}, first difference at byte {at}: got {} want {}",
        got.len(),
        want.len(),
        show(got),
        show(want)
    )
}

#[test]
fn values_are_written_byte_for_byte_like_cpython() {
    let goldens = goldens();
    assert!(goldens.len() > 800, "{} goldens", goldens.len());
    let mut failures = Vec::new();
    for g in &goldens {
        let value: Value = match pypickle::from_slice(&g.pickle) {
            Ok(v) => v,
            Err(e) => {
                failures.push(format!(
                    "{} (protocol {}): cannot read: {e}",
                    g.name, g.proto
                ));
                continue;
            }
        };
        let opts = SerOptions::new().protocol(g.proto);
        match pypickle::to_vec_with(&value, &opts) {
            Ok(bytes) if bytes == g.pickle => {}
            Ok(bytes) => failures.push(format!(
                "{} (protocol {}): {}",
                g.name,
                g.proto,
                first_difference(&bytes, &g.pickle)
            )),
            Err(e) => failures.push(format!("{} (protocol {}): {e}", g.name, g.proto)),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} differ:\n{}",
        failures.len(),
        goldens.len(),
        failures.join("\n")
    );
}
