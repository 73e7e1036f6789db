//! Output size: a list of 100k records written by pypickle at protocol 4 is no larger than
//! CPython's `pickle.dumps` of the same list of dicts (the benchmark's records, as
//! python_fixtures/bench_inputs.py makes them).

mod ser_common;

use pypickle::SerOptions;
use ser_common::{first_difference, python_output};
use serde::Serialize;

#[derive(Serialize)]
struct Record {
    id: u32,
    name: String,
    score: f64,
    tags: Vec<String>,
}

fn records() -> Vec<Record> {
    (0..100_000u32)
        .map(|i| Record {
            id: i,
            name: format!("user{i}"),
            score: f64::from(i) * 0.5,
            tags: if i % 3 != 0 {
                vec!["red".into(), "green".into()]
            } else {
                vec!["blue".into()]
            },
        })
        .collect()
}

fn cpython(protocol: u8) -> Vec<u8> {
    python_output(&format!(
        r#"
import pickle, sys
recs = [{{"id": i, "name": f"user{{i}}", "score": i * 0.5,
          "tags": ["red", "green"] if i % 3 else ["blue"]}} for i in range(100_000)]
sys.stdout.buffer.write(pickle.dumps(recs, protocol={protocol}))
"#
    ))
}

#[test]
fn records_are_no_larger_than_cpythons_pickle() {
    let recs = records();
    for protocol in [2, 4, 5] {
        let want = cpython(protocol);
        let ours = pypickle::to_vec_with(&recs, &SerOptions::new().protocol(protocol)).unwrap();
        eprintln!(
            "protocol {protocol}: pypickle {} bytes, CPython {} bytes",
            ours.len(),
            want.len()
        );
        assert!(
            ours.len() <= want.len(),
            "protocol {protocol}: {} > {}",
            ours.len(),
            want.len()
        );
        // The tags are interned literals in CPython and short repeated strings here: the
        // output is in fact the same, byte for byte.
        assert!(
            ours == want,
            "protocol {protocol}: {}",
            first_difference(&ours, &want)
        );
    }
    // Without the memo of keys and strings, every key and tag is written out in full.
    let plain = pypickle::to_vec_with(
        &recs,
        &SerOptions::new().memoize_keys(false).memoize_strings(false),
    )
    .unwrap();
    assert!(plain.len() > cpython(4).len());
}
