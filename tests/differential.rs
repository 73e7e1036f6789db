//! Live differential test against the real python3: it generates seeded random nested plain
//! data at every protocol, pickles it and prints `repr()` of what it loads back; our `Value`'s
//! `Display` must be the same text.

use std::path::PathBuf;
use std::process::Command;

use pypickle::Value;

fn python_records(seed: u64, count: usize) -> Vec<(Vec<u8>, String)> {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("python_fixtures/random_values.py");
    let out = Command::new("python3")
        .arg(&script)
        .args(["--seed", &seed.to_string(), "--count", &count.to_string()])
        .output()
        .expect("this test needs python3 on PATH");
    assert!(
        out.status.success(),
        "random_values.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut data = &out.stdout[..];
    let take = |data: &mut &[u8]| {
        let n = u32::from_le_bytes(data[..4].try_into().unwrap()) as usize;
        let v = data[4..4 + n].to_vec();
        *data = &data[4 + n..];
        v
    };
    let mut records = Vec::new();
    while !data.is_empty() {
        let pickle = take(&mut data);
        let repr = String::from_utf8(take(&mut data)).unwrap();
        records.push((pickle, repr));
    }
    assert_eq!(records.len(), count);
    records
}

#[test]
fn random_values_repr_like_cpython() {
    let mut failures = Vec::new();
    for seed in [1, 2] {
        for (i, (pickle, repr)) in python_records(seed, 2000).into_iter().enumerate() {
            match pypickle::from_slice::<Value>(&pickle) {
                Ok(v) => {
                    let got = v.to_string();
                    if got != repr {
                        failures.push(format!(
                            "seed {seed} #{i}: {}",
                            first_difference(&got, &repr)
                        ));
                    }
                }
                Err(e) => failures.push(format!("seed {seed} #{i}: {e}")),
            }
            // The reader path must agree with the slice path.
            let via_reader: Value = pypickle::from_reader(&pickle[..]).unwrap();
            let got = via_reader.to_string();
            if got != repr {
                failures.push(format!(
                    "seed {seed} #{i} via from_reader: {}",
                    first_difference(&got, &repr)
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} differences:\n{}",
        failures.len(),
        failures[..failures.len().min(5)].join("\n")
    );
}

/// Where two texts first differ, with a little context, so a failure report stays short.
fn first_difference(got: &str, want: &str) -> String {
    let at = got
        .chars()
        .zip(want.chars())
        .take_while(|(a, b)| a == b)
        .count();
    let ctx = |s: &str| {
        s.chars()
            .skip(at.saturating_sub(40))
            .take(80)
            .collect::<String>()
    };
    format!(
        "char {at}: got ...{}... CPython ...{}...",
        ctx(got),
        ctx(want)
    )
}
