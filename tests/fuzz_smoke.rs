//! A deterministic, bounded fuzz smoke test that runs with `cargo test`: seeded mutations of
//! every fixture (bit flips, byte changes, truncations, splices, inflated length fields) must
//! decode to `Ok` or a clean `Err`, never panic, through both input paths and several targets.

use std::fs;
use std::path::PathBuf;

use quickcheck::{QuickCheck, TestResult};

use pypickle::{DeOptions, Value};

/// xorshift64*: small, seeded, good enough to pick mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn fixtures() -> Vec<Vec<u8>> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("python_fixtures");
    let mut out = Vec::new();
    for dir in ["data", "cpython_vectors", "typed"] {
        for entry in fs::read_dir(root.join(dir)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "pkl") {
                let bytes = fs::read(&path).unwrap();
                // Keep the smoke test quick: the large fixtures add time, not coverage.
                if bytes.len() <= 16 * 1024 {
                    out.push(bytes);
                }
            }
        }
    }
    out.sort();
    out
}

fn mutate(rng: &mut Rng, data: &[u8], other: &[u8]) -> Vec<u8> {
    let mut d = data.to_vec();
    if d.is_empty() {
        return other.to_vec();
    }
    match rng.below(6) {
        0 => {
            let i = rng.below(d.len());
            d[i] ^= 1 << rng.below(8);
        }
        1 => {
            let i = rng.below(d.len());
            d[i] = rng.next() as u8;
        }
        2 => d.truncate(rng.below(d.len())),
        3 => {
            // Splice: a prefix of this one, then a suffix of another fixture.
            let cut = rng.below(d.len());
            let from = rng.below(other.len().max(1));
            d.truncate(cut);
            d.extend_from_slice(&other[from.min(other.len())..]);
        }
        4 => {
            // Inflate a would-be length field: 4 or 8 bytes of 0xff / a huge value.
            let i = rng.below(d.len());
            let n = if rng.below(2) == 0 { 4 } else { 8 };
            for k in i..(i + n).min(d.len()) {
                d[k] = if rng.below(3) == 0 { 0x7f } else { 0xff };
            }
        }
        _ => {
            // Duplicate a run of bytes (repeats opcodes: DUP/GET storms, deep nesting).
            let i = rng.below(d.len());
            let len = rng.below(16).min(d.len() - i);
            let run = d[i..i + len].to_vec();
            for _ in 0..rng.below(64) {
                d.splice(i..i, run.iter().copied());
            }
        }
    }
    d
}

fn decode_all_ways(data: &[u8], opts: &DeOptions) {
    let _ = pypickle::from_slice_with::<Value>(data, opts);
    let _ = pypickle::from_reader_with::<_, Value>(data, opts);
    let _ = pypickle::from_slice_with::<Vec<Value>>(data, opts);
    let _ = pypickle::from_slice_with::<std::collections::HashMap<String, i64>>(data, opts);
    let _ = pypickle::from_slice_with::<(i32, String, Vec<u8>)>(data, opts);
    for item in pypickle::Deserializer::from_slice(data)
        .with_options(opts.clone())
        .into_iter::<Value>()
        .take(4)
    {
        let _ = item;
    }
}

#[test]
fn mutated_fixtures_never_panic() {
    let fixtures = fixtures();
    assert!(fixtures.len() > 500);
    // Small limits keep each decode cheap even when a mutation builds something big.
    let opts = DeOptions::new()
        .record_unknown_globals(true)
        .max_expansion(50_000)
        .max_nodes(1 << 20);
    let strict = DeOptions::new();
    let mut runs = 0;
    // PYPICKLE_FUZZ_ROUNDS raises the count for a longer local run (each round mutates every
    // fixture once); the default keeps `cargo test` to a few seconds.
    let rounds: usize = std::env::var("PYPICKLE_FUZZ_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(40);
    let mut rng = Rng(std::env::var("PYPICKLE_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x9e37_79b9_7f4a_7c15));
    for round in 0..rounds {
        for (i, data) in fixtures.iter().enumerate() {
            let other = &fixtures[rng.below(fixtures.len())];
            let mutated = mutate(&mut rng, data, other);
            decode_all_ways(&mutated, if (i + round) % 2 == 0 { &opts } else { &strict });
            runs += 1;
        }
    }
    assert!(runs > 20_000);
}

#[test]
fn arbitrary_bytes_never_panic() {
    fn prop(data: Vec<u8>) -> TestResult {
        decode_all_ways(
            &data,
            &DeOptions::new()
                .record_unknown_globals(true)
                .max_expansion(50_000),
        );
        // Prefixed with a protocol header, the same bytes reach deeper into the machine.
        let mut framed = vec![0x80, 4];
        framed.extend_from_slice(&data);
        decode_all_ways(&framed, &DeOptions::new());
        TestResult::passed()
    }
    QuickCheck::new()
        .tests(5000)
        .quickcheck(prop as fn(Vec<u8>) -> TestResult);
}

#[test]
fn strict_prefixes_of_valid_pickles_are_errors() {
    let opts = DeOptions::new()
        .record_unknown_globals(true)
        .py2_strings(pypickle::Py2Strings::Latin1);
    for data in fixtures() {
        // Where the first pickle in the file ends (some CPython vectors have bytes after it).
        let mut de = pypickle::Deserializer::from_slice(&data).with_options(opts.clone());
        let end = match de.next_value::<Value>() {
            Ok(Some(_)) => de.position() as usize,
            _ => continue,
        };
        let data = &data[..end];
        // Every strict prefix must fail (a pickle's only complete prefix is itself: STOP ends it).
        let step = (data.len() / 50).max(1);
        for cut in (0..data.len().saturating_sub(1)).step_by(step) {
            let prefix = &data[..cut];
            let r = pypickle::from_slice_with::<Value>(prefix, &opts);
            assert!(
                r.is_err(),
                "a {cut}-byte prefix of a {}-byte pickle decoded",
                data.len()
            );
        }
    }
}
