//! Encode benchmark: pypickle against serde-pickle 1.x and CPython's `pickle.dumps`, in one run,
//! on the same data: 100k records `{id, name, score, tags}` and 64 MiB of bytes.
//!
//!     cargo bench --bench encode
//!
//! Cases are timed in rounds (one run of each case per round, so load changes hit all alike)
//! and reported as medians; CPython is timed last by `python_fixtures/bench_cpython_dumps.py`.
//! Each timed run follows an untimed run of the same case, so that every case meets the heap
//! it leaves itself, as CPython's runs of one case after another do.
//! A plain timing main (no criterion), to keep the build light.

use std::hint::black_box;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

#[path = "common/records.rs"]
mod records;
use records::write::records;

struct Case<'a> {
    name: &'static str,
    run: Box<dyn FnMut() -> usize + 'a>,
    times: Vec<Duration>,
    size: usize,
}

fn median(t: &mut [Duration]) -> Duration {
    t.sort();
    t[t.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn main() {
    let runs: usize = std::env::var("PYPICKLE_BENCH_RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(9);
    let recs = records();
    let payload: Vec<u8> = (0..=255u8).cycle().take(64 << 20).collect();
    let p4 = pypickle::SerOptions::new().protocol(4);
    let p3 = pypickle::SerOptions::new().protocol(3);

    let mut cases = [
        Case {
            name: "records: pypickle to_vec (protocol 4)",
            run: Box::new(|| pypickle::to_vec_with(black_box(&recs), &p4).unwrap().len()),
            times: vec![],
            size: 0,
        },
        Case {
            name: "records: pypickle to_vec (protocol 3, serde-pickle's)",
            run: Box::new(|| pypickle::to_vec_with(black_box(&recs), &p3).unwrap().len()),
            times: vec![],
            size: 0,
        },
        Case {
            name: "records: serde-pickle to_vec (protocol 3)",
            run: Box::new(|| {
                serde_pickle::to_vec(black_box(&recs), serde_pickle::SerOptions::new())
                    .unwrap()
                    .len()
            }),
            times: vec![],
            size: 0,
        },
        Case {
            name: "bytes64m: pypickle to_vec (protocol 4)",
            run: Box::new(|| {
                pypickle::to_vec_with(&serde_bytes::Bytes::new(black_box(&payload)), &p4)
                    .unwrap()
                    .len()
            }),
            times: vec![],
            size: 0,
        },
        Case {
            name: "bytes64m: serde-pickle to_vec",
            run: Box::new(|| {
                serde_pickle::to_vec(
                    &serde_bytes::Bytes::new(black_box(&payload)),
                    serde_pickle::SerOptions::new(),
                )
                .unwrap()
                .len()
            }),
            times: vec![],
            size: 0,
        },
        Case {
            name: "bytes64m: plain copy to_vec (yardstick)",
            run: Box::new(|| black_box(black_box(&payload).to_vec()).len()),
            times: vec![],
            size: 0,
        },
    ];
    for c in cases.iter_mut() {
        c.size = (c.run)(); // warm-up
    }
    for _ in 0..runs {
        for c in cases.iter_mut() {
            // Untimed, just before: the heap as this very case leaves it (as in CPython's loop
            // of one `dumps` after another), not as the case before it did (64 MiB freed).
            black_box((c.run)());
            let t = Instant::now();
            black_box((c.run)());
            c.times.push(t.elapsed());
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new("python3")
        .arg(root.join("python_fixtures/bench_cpython_dumps.py"))
        .arg(runs.to_string())
        .output()
        .expect("python3 runs the CPython side");
    let text = String::from_utf8_lossy(&out.stdout);
    let cpython = |name: &str, key: &str| -> f64 {
        text.lines()
            .find(|l| l.starts_with(&format!("cpython {name} ")))
            .and_then(|l| {
                l.split_whitespace()
                    .find_map(|w| w.strip_prefix(&format!("{key}=")))
            })
            .and_then(|v| v.parse().ok())
            .unwrap_or(f64::NAN)
    };

    let med: Vec<f64> = cases.iter_mut().map(|c| ms(median(&mut c.times))).collect();
    println!("Encode benchmark: medians of {runs} runs in rounds after a warm-up.\n");
    println!("| case | median | output bytes |");
    println!("|---|---:|---:|");
    for (c, m) in cases.iter().zip(&med) {
        println!("| {} | {m:.1} ms | {} |", c.name, c.size);
    }
    let (cpy_rec, cpy_rec_size) = (cpython("records", "dumps_ms"), cpython("records", "bytes"));
    let cpy_bytes = cpython("bytes64m", "dumps_ms");
    println!(
        "| records: CPython pickle.dumps (protocol 4, gc off) | {cpy_rec:.1} ms | {cpy_rec_size} |"
    );
    println!("| bytes64m: CPython pickle.dumps (protocol 4) | {cpy_bytes:.1} ms | |");
    println!();
    // Look cases up by name, so adding a case cannot shift a ratio onto the wrong rows.
    let m = |name: &str| -> f64 {
        let i = cases
            .iter()
            .position(|c| c.name.starts_with(name))
            .expect("case exists");
        med[i]
    };
    let (ours, ours3, theirs) = (
        m("records: pypickle to_vec (protocol 4"),
        m("records: pypickle to_vec (protocol 3"),
        m("records: serde-pickle"),
    );
    println!(
        "- records vs serde-pickle: {:.2}x faster (target >= 1x)",
        theirs / ours
    );
    println!(
        "- records at protocol 3, as serde-pickle writes: {:.2}x faster",
        theirs / ours3
    );
    println!(
        "- records vs CPython pickle.dumps: {:.2}x faster (target >= 10x)",
        cpy_rec / ours
    );
    println!(
        "- records size vs CPython protocol 4: {} vs {cpy_rec_size} bytes (target: no larger)",
        cases[0].size
    );
    let (bytes, bytes_theirs, copy) = (
        m("bytes64m: pypickle"),
        m("bytes64m: serde-pickle"),
        m("bytes64m: plain copy"),
    );
    println!(
        "- bytes vs serde-pickle: {:.2}x faster (target >= 1x)",
        bytes_theirs / bytes
    );
    println!(
        "- bytes vs a plain copy: {:.2}x the copy's time (target <= 1.25)",
        bytes / copy
    );
}
