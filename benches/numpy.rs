//! numpy benchmark (issue 6): a 100 MB float64 array that numpy pickled, read by pypickle
//! against one plain copy of its bytes and against numpy's own `pickle.loads`, in one run.
//!
//!     PYPICKLE_NUMPY_PYTHON=/path/to/python-with-numpy cargo bench --bench numpy
//!
//! (or `PYPICKLE_NUMPY_PYTHONS`, as `.ci/run` sets it: the first one is used; else `python3`
//! if it has numpy). `python_fixtures/bench_numpy.py` writes the pickles (protocols 4 and 5)
//! into `target/bench-inputs/` and times numpy. Cases are timed in rounds, one run of each
//! case per round, and reported as medians:
//!
//! - `copy`: `to_vec()` of the array's 100 MB: one plain copy, allocation included;
//! - `NdArrayView` at protocols 4 and 5: borrowed from the input, no copy;
//! - `NdArray` at protocols 4 and 5: one copy of the data, from the input;
//! - numpy's `pickle.loads` of the same bytes;
//! - writing: `to_vec` of the `NdArray` at protocol 4 (one copy of the data, into the
//!   pickle), `to_vec_with_buffers` at protocol 5 (one copy, into the out-of-band buffer),
//!   against numpy's `pickle.dumps` of the array at protocol 4 and at 5 with a
//!   `buffer_callback` (which copies nothing: it keeps numpy's `PickleBuffer`).
//!
//! Targets: the protocol 5 view borrows; `NdArray` at protocol 4 within 25% of `copy`.

use std::hint::black_box;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use pypickle::numpy::{NdArray, NdArrayView};

const ROUNDS: usize = 9;
const ELEMENTS: usize = 12_500_000;

fn python() -> String {
    if let Ok(p) = std::env::var("PYPICKLE_NUMPY_PYTHON") {
        return p;
    }
    if let Ok(list) = std::env::var("PYPICKLE_NUMPY_PYTHONS") {
        if let Some(first) = list.split(':').find(|p| !p.is_empty()) {
            return first.to_string();
        }
    }
    "python3".to_string()
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-inputs");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("python_fixtures/bench_numpy.py");
    let python = python();
    // Writes the inputs if needed; the timing lines are read after ours.
    let write = Command::new(&python)
        .arg(&script)
        .arg(&dir)
        .arg("1")
        .output()
        .unwrap_or_else(|e| panic!("{python}: {e}"));
    assert!(
        write.status.success(),
        "{python} could not write the inputs (does it have numpy? set PYPICKLE_NUMPY_PYTHON): {}",
        String::from_utf8_lossy(&write.stderr)
    );
    let p4 = std::fs::read(dir.join("array100m.p4.pkl")).unwrap();
    let p5 = std::fs::read(dir.join("array100m.p5.pkl")).unwrap();

    // Check before timing: what each case reads, and that the views borrow.
    let view4: NdArrayView = pypickle::from_slice(&p4).unwrap();
    let view5: NdArrayView = pypickle::from_slice(&p5).unwrap();
    assert!(view4.is_borrowed() && view5.is_borrowed());
    assert_eq!(view5.len(), ELEMENTS);
    assert_eq!(
        view5.iter::<f64>().unwrap().nth(ELEMENTS - 1),
        Some((ELEMENTS - 1) as f64)
    );
    let array: NdArray = pypickle::from_slice(&p4).unwrap();
    assert_eq!(array.view().unwrap(), view4);
    let payload = view4.as_bytes();
    let p4_options = pypickle::SerOptions::new().protocol(4);
    let p5_options = pypickle::SerOptions::new().protocol(5);
    let written = pypickle::to_vec_with(&array, &p4_options).unwrap();
    assert!(written.len() > payload.len());
    let (small, buffers) = pypickle::to_vec_with_buffers(&array, &p5_options).unwrap();
    assert!(small.len() < 200 && buffers[0] == payload);
    drop((written, small, buffers));

    type Case<'a> = (&'static str, Box<dyn Fn() + 'a>);
    let cases: Vec<Case> = vec![
        (
            "copy of the 100 MB (to_vec)",
            Box::new(|| drop(black_box(payload.to_vec()))),
        ),
        (
            "p4 NdArrayView",
            Box::new(|| drop(black_box(pypickle::from_slice::<NdArrayView>(&p4).unwrap()))),
        ),
        (
            "p5 NdArrayView",
            Box::new(|| drop(black_box(pypickle::from_slice::<NdArrayView>(&p5).unwrap()))),
        ),
        (
            "p4 NdArray",
            Box::new(|| drop(black_box(pypickle::from_slice::<NdArray>(&p4).unwrap()))),
        ),
        (
            "p5 NdArray",
            Box::new(|| drop(black_box(pypickle::from_slice::<NdArray>(&p5).unwrap()))),
        ),
        (
            "write p4 NdArray (to_vec)",
            Box::new(|| {
                drop(black_box(
                    pypickle::to_vec_with(&array, &p4_options).unwrap(),
                ))
            }),
        ),
        (
            "write p5 out of band",
            Box::new(|| {
                drop(black_box(
                    pypickle::to_vec_with_buffers(&array, &p5_options).unwrap(),
                ))
            }),
        ),
    ];
    let mut times: Vec<Vec<Duration>> = vec![Vec::new(); cases.len()];
    for (_, f) in &cases {
        f(); // warm-up
    }
    for _ in 0..ROUNDS {
        for (i, (_, f)) in cases.iter().enumerate() {
            let t = Instant::now();
            f();
            times[i].push(t.elapsed());
        }
    }
    let medians: Vec<Duration> = times.into_iter().map(median).collect();
    let copy = medians[0];

    let timed = Command::new(&python)
        .arg(&script)
        .arg(&dir)
        .arg(ROUNDS.to_string())
        .output()
        .unwrap();
    assert!(timed.status.success());
    let numpy: Vec<(String, f64)> = String::from_utf8_lossy(&timed.stdout)
        .lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            let (_, name) = (f.next()?, f.next()?);
            let ms = f.next()?;
            let ms = ms
                .strip_prefix("loads_ms=")
                .or(ms.strip_prefix("dumps_ms="));
            let ms = ms?.parse().ok()?;
            Some((name.to_string(), ms))
        })
        .collect();
    let numpy_ms = |name: &str| {
        numpy
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, m)| *m)
            .unwrap()
    };

    println!("numpy benchmark: {ELEMENTS} float64 (100 MB), medians of {ROUNDS} rounds");
    for ((name, _), t) in cases.iter().zip(&medians) {
        println!(
            "  {name:<30} {:>10.3} ms   {:>6.3}x copy",
            ms(*t),
            ms(*t) / ms(copy)
        );
    }
    for (proto, name) in [(4, "array100m.p4.pkl"), (5, "array100m.p5.pkl")] {
        let n = numpy_ms(name);
        let (view, array) = if proto == 4 {
            (medians[1], medians[3])
        } else {
            (medians[2], medians[4])
        };
        println!(
            "  numpy pickle.loads p{proto}         {n:>10.3} ms   {:>6.3}x copy;  \
             pypickle's time / numpy's: NdArray {:.2}, NdArrayView {:.5}",
            n / ms(copy),
            ms(array) / n,
            ms(view) / n
        );
    }
    for (case, name, what) in [
        (5, "dumps.p4", "p4"),
        (6, "dumps.p5-out-of-band", "p5 out of band"),
    ] {
        let n = numpy_ms(name);
        println!(
            "  numpy pickle.dumps {what:<15} {n:>10.3} ms   {:>6.3}x copy;  \
             pypickle's time / numpy's: {:.2}",
            n / ms(copy),
            ms(medians[case]) / n
        );
    }
    let ratio = ms(medians[3]) / ms(copy);
    println!(
        "  target: p4 NdArray within 25% of one copy: {ratio:.3}x ({})",
        if ratio <= 1.25 { "met" } else { "NOT met" }
    );
}
