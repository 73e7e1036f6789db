//! Golden tests: for plain values, pypickle writes byte for byte what CPython's `pickle.dumps`
//! writes, at every protocol 0-5 (frames, memo PUTs and batches included).
//!
//! `python_fixtures/ser_golden.py` wrote the pickles with CPython's C pickler. Each is read into
//! a `pypickle::Value` and written back with `pypickle::to_vec_with`; the bytes must be the same.

use std::path::PathBuf;

use pypickle::{SerOptions, Value};

mod ser_common;
use ser_common::{first_difference, named_pickles};

struct Golden {
    name: String,
    proto: u8,
    pickle: Vec<u8>,
}

fn goldens() -> Vec<Golden> {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("python_fixtures/ser_golden/golden.bin");
    let data = std::fs::read(&path).expect("golden.bin: run python3 python_fixtures/ser_golden.py");
    named_pickles(&data)
        .into_iter()
        .map(|(name, proto, pickle)| Golden {
            name,
            proto,
            pickle,
        })
        .collect()
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
