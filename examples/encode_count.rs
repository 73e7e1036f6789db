//! Instruction-count harness for the records encode of `benches/encode.rs`: encodes the same
//! 100k records `iters` times with one writer, for `callgrind` (deterministic on a loaded
//! machine). Instructions per record = (count at iters=3 - count at iters=1) / 200_000.
//!
//!     cargo build --release --example encode_count
//!     valgrind --tool=callgrind target/release/examples/encode_count pypickle 3
//!
//! Writers: `pypickle` (protocol 4), `pypickle3` (protocol 3), `serde-pickle`.

use std::hint::black_box;

#[path = "../benches/common/records.rs"]
mod records;

/// Strings from a pool that collide in the short-str cache, maps, nested lists and tuples of
/// the lengths where batches turn, numbers of every width.
#[allow(clippy::type_complexity)]
fn mixed() -> Vec<(
    String,
    Vec<String>,
    std::collections::BTreeMap<String, i64>,
    (u8, f32),
    Option<Vec<Vec<u16>>>,
)> {
    let mut x = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let pool: Vec<String> = (0..3000)
        .map(|i| {
            let n = (i * 7) % 31;
            (0..n)
                .map(|j| char::from(b'a' + ((i + j * 3) % 26) as u8))
                .collect()
        })
        .collect();
    let sizes = [0usize, 1, 2, 3, 999, 1000, 1001, 1999, 2000, 2001];
    (0..4000)
        .map(|i| {
            let r = next();
            let s = pool[(r % 3000) as usize].clone();
            let n = if i % 500 == 0 {
                sizes[(r >> 20) as usize % sizes.len()]
            } else {
                (r >> 8) as usize % 4
            };
            let v = (0..n)
                .map(|k| pool[((r >> 12) as usize + k * 37) % 3000].clone())
                .collect();
            let m = (0..(r >> 30) % 5)
                .map(|k| {
                    (
                        pool[((r >> 33) + k * 11) as usize % 3000].clone(),
                        (r as i64) >> (k * 9),
                    )
                })
                .collect();
            let nested = (r % 7 == 0).then(|| vec![(0..n as u16).collect(); n % 3]);
            (s, v, m, ((r >> 40) as u8, (r >> 3) as f32), nested)
        })
        .collect()
}

fn main() {
    let mut args = std::env::args().skip(1);
    let which = args.next().unwrap_or_else(|| "pypickle".into());
    let iters: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(1);
    let recs = records::write::records();
    let p4 = pypickle::SerOptions::new().protocol(4);
    let p3 = pypickle::SerOptions::new().protocol(3);
    if which == "digest" {
        // A digest of the records' pickles at every protocol, with and without the memo
        // options, to check that a change to the writer keeps its output byte for byte.
        for proto in 0..=5 {
            for (keys, strs) in [(true, true), (false, true), (true, false)] {
                let opts = pypickle::SerOptions::new()
                    .protocol(proto)
                    .memoize_keys(keys)
                    .memoize_strings(strs);
                let bytes = pypickle::to_vec_with(&recs, &opts).unwrap();
                let h = bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
                    (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
                });
                println!(
                    "protocol {proto} keys {keys} strs {strs}: {} bytes, {h:016x}",
                    bytes.len()
                );
                let bytes = pypickle::to_vec_with(&mixed(), &opts).unwrap();
                let h = bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
                    (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
                });
                println!("  mixed: {} bytes, {h:016x}", bytes.len());
            }
        }
        return;
    }
    let mut total = 0;
    for _ in 0..iters {
        total += match which.as_str() {
            "pypickle" => pypickle::to_vec_with(black_box(&recs), &p4).unwrap().len(),
            "pypickle3" => pypickle::to_vec_with(black_box(&recs), &p3).unwrap().len(),
            "serde-pickle" => {
                serde_pickle::to_vec(black_box(&recs), serde_pickle::SerOptions::new())
                    .unwrap()
                    .len()
            }
            other => panic!("unknown writer {other}"),
        };
    }
    println!("{which}: {total} bytes");
}
