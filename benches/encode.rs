//! Encode benchmark: pypickle against serde-pickle 1.x and CPython's `pickle.dumps`, in one run,
//! on the same data: 100k records `{id, name, score, tags}` and 64 MiB of bytes.
//!
//!     cargo bench --bench encode
//!
//! Cases are timed in rounds (one run of each case per round, so load changes hit all alike;
//! `PYPICKLE_BENCH_RUNS` rounds, default 9) after a warm-up, and reported as medians. Each timed
//! run follows an untimed run of the same case, so that every case meets the heap it leaves
//! itself; only the serialization is timed, the output is freed after the clock stops.
//!
//! CPython's `pickle.dumps` (protocol 4, gc off) are cases of the same rounds:
//! `python_fixtures/bench_cpython_dumps.py --serve`, started once, builds the same data and
//! warms up, then times one `dumps` per request (after an untimed one of the same case, as
//! above) and answers with the time it measured around the call and the pickle's size. The
//! machine this runs on has phases minutes long in which everything runs about 1.8x slower;
//! timed one after the other, the two sides met different phases. Timed in the same rounds,
//! both see the same phases. For records against serde-pickle and against CPython the report
//! also gives the median of the per-round ratios (the other's time in round i over pypickle's
//! in round i), which cancels a phase change between rounds; the target lines are judged on the
//! ratio of medians, and say so.
//! Without python3 (or if its server fails) the Rust rows are still reported, CPython's as
//! failed.
//!
//! A plain timing main (no criterion), to keep the build light.

use std::cell::RefCell;
use std::ffi::OsStr;
use std::hint::black_box;
use std::path::Path;
use std::rc::Rc;
use std::time::{Duration, Instant};

#[path = "common/records.rs"]
mod records;
use records::write::records;

#[path = "common/cpython.rs"]
mod cpython;
#[path = "common/rounds.rs"]
mod rounds;

/// One timed run: its time and the output's size.
type Timed<'a> = Box<dyn FnMut() -> Result<(Duration, usize), String> + 'a>;

struct Case<'a> {
    name: &'static str,
    /// `None` once the case has failed.
    timed: Option<Timed<'a>>,
    /// In round order: `times[i]` is from round i, for every case that has not failed.
    times: Vec<Duration>,
    size: usize,
    error: Option<String>,
}

impl<'a> Case<'a> {
    /// A Rust case: `run` serializes and returns the output, which is freed outside the clock.
    fn rust(name: &'static str, mut run: impl FnMut() -> Vec<u8> + 'a) -> Self {
        Self::new(
            name,
            Box::new(move || {
                // Untimed, just before: the heap as this very case leaves it (as in CPython's
                // loop of one `dumps` after another), not as the case before it did (64 MiB
                // freed).
                drop(black_box(run()));
                let t = Instant::now();
                let out = black_box(run());
                let took = t.elapsed();
                Ok((took, out.len()))
            }),
        )
    }

    /// A case timed by the CPython server: `command` names its data.
    fn cpython(
        name: &'static str,
        server: &Rc<RefCell<cpython::Server>>,
        command: &'static str,
    ) -> Self {
        let server = Rc::clone(server);
        Self::new(
            name,
            Box::new(move || {
                let r = server.borrow_mut().time(command)?;
                Ok((r.took, r.bytes))
            }),
        )
    }

    /// Warms the case up (a failure is kept and reported) and records its output's size.
    fn new(name: &'static str, mut timed: Timed<'a>) -> Self {
        let warm = timed();
        Case {
            name,
            size: warm.as_ref().map_or(0, |w| w.1),
            timed: warm.is_ok().then_some(timed),
            times: vec![],
            error: warm.err(),
        }
    }

    /// The median, if the case ran.
    fn median(&self) -> Option<Duration> {
        if self.error.is_some() || self.times.is_empty() {
            return None;
        }
        let mut t = self.times.clone();
        Some(median(&mut t))
    }
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
        .unwrap_or(9)
        .max(1);
    let recs = records();
    let payload: Vec<u8> = (0..=255u8).cycle().take(64 << 20).collect();
    let p4 = pypickle::SerOptions::new().protocol(4);
    let p3 = pypickle::SerOptions::new().protocol(3);

    // CPython, timed in the same rounds by a server started once; `Err` says why it is not.
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    eprintln!("starting python_fixtures/bench_cpython_dumps.py --serve ...");
    let server = cpython::Server::start(
        &root.join("python_fixtures/bench_cpython_dumps.py"),
        &[OsStr::new("--serve")],
    )
    .map(|s| Rc::new(RefCell::new(s)));

    let mut cases = vec![
        Case::rust("records: pypickle to_vec (protocol 4)", || {
            pypickle::to_vec_with(black_box(&recs), &p4).unwrap()
        }),
        Case::rust(
            "records: pypickle to_vec (protocol 3, serde-pickle's)",
            || pypickle::to_vec_with(black_box(&recs), &p3).unwrap(),
        ),
        Case::rust("records: serde-pickle to_vec (protocol 3)", || {
            serde_pickle::to_vec(black_box(&recs), serde_pickle::SerOptions::new()).unwrap()
        }),
        Case::rust("bytes64m: pypickle to_vec (protocol 4)", || {
            pypickle::to_vec_with(&serde_bytes::Bytes::new(black_box(&payload)), &p4).unwrap()
        }),
        Case::rust("bytes64m: serde-pickle to_vec", || {
            serde_pickle::to_vec(
                &serde_bytes::Bytes::new(black_box(&payload)),
                serde_pickle::SerOptions::new(),
            )
            .unwrap()
        }),
        Case::rust("bytes64m: plain copy to_vec (yardstick)", || {
            black_box(&payload).to_vec()
        }),
    ];
    let (cpy_rec, cpy_bytes) = (
        "records: CPython pickle.dumps (protocol 4, gc off)",
        "bytes64m: CPython pickle.dumps (protocol 4)",
    );
    if let Ok(server) = &server {
        cases.push(Case::cpython(cpy_rec, server, "records"));
        cases.push(Case::cpython(cpy_bytes, server, "bytes64m"));
    }
    for _ in 0..runs {
        for c in cases.iter_mut() {
            let Some(timed) = c.timed.as_mut() else {
                continue;
            };
            match timed() {
                Ok((t, _)) => c.times.push(t),
                Err(e) => {
                    c.error = Some(e);
                    c.timed = None;
                }
            }
        }
    }
    // Ends the server (its stdin closes) once the last case holding it lets go.
    for c in &mut cases {
        c.timed = None;
    }
    let server = server.map(drop);

    println!(
        "Encode benchmark: medians of {runs} runs in rounds after a warm-up, serialization only \
         (freeing the output is not timed); CPython timed in the same interleaved rounds \
         (`bench_cpython_dumps.py --serve`).\n"
    );
    println!("| case | median | output bytes |");
    println!("|---|---:|---:|");
    for c in &cases {
        match (&c.error, c.median()) {
            (None, Some(m)) => println!("| {} | {:.1} ms | {} |", c.name, ms(m), c.size),
            (e, _) => println!(
                "| {} | **failed**: {} | |",
                c.name,
                e.as_deref().unwrap_or("no runs").replace('|', "\\|")
            ),
        }
    }
    if let Err(e) = &server {
        println!(
            "| CPython pickle.dumps | **failed**: {} | |",
            e.replace('|', "\\|")
        );
    }
    println!();
    // Look cases up by name, so adding a case cannot shift a ratio onto the wrong rows.
    let case = |name: &str| cases.iter().find(|c| c.name.starts_with(name));
    let m = |name: &str| case(name).and_then(Case::median).map(ms);
    let x = |r: Option<f64>, what: &str| {
        r.map_or("n/a (a case failed)".into(), |r| format!("{r:.2}x {what}"))
    };
    let div = |a: Option<f64>, b: Option<f64>| Some(a? / b?);
    let (ours, ours3, theirs) = (
        m("records: pypickle to_vec (protocol 4"),
        m("records: pypickle to_vec (protocol 3"),
        m("records: serde-pickle"),
    );
    // The median of the per-round ratios `slow`'s time / `fast`'s (same round), which cancels
    // a shared machine's slow phases that last a round or more; "n/a" if either case failed.
    let paired = |slow: &str, fast: &str| {
        match (case(slow), case(fast)) {
            (Some(s), Some(f)) if s.error.is_none() && f.error.is_none() => {
                rounds::paired_ratio(&s.times, &f.times)
                    .map(|(r, n)| format!("{r:.2}x over {n} rounds"))
            }
            _ => None,
        }
        .unwrap_or_else(|| "n/a".into())
    };
    let p4 = "records: pypickle to_vec (protocol 4";
    // Judged on the ratio of medians, as every target; the paired ratio beside it.
    println!(
        "- records vs serde-pickle: {} (target >= 1x, judged on this ratio of medians); \
         the median of the per-round ratios (serde-pickle's time / pypickle's, same round): {}",
        x(div(theirs, ours), "faster"),
        paired("records: serde-pickle", p4)
    );
    println!(
        "- records at protocol 3, as serde-pickle writes: {}",
        x(div(theirs, ours3), "faster")
    );
    println!(
        "- records vs CPython pickle.dumps: {} (target >= 10x, judged on this ratio of medians); \
         the median of the per-round ratios (CPython's time / pypickle's, same round): {}",
        x(div(m(cpy_rec), ours), "faster"),
        paired(cpy_rec, p4)
    );
    let ours_size = case("records: pypickle to_vec (protocol 4").map_or(0, |c| c.size);
    match case(cpy_rec).filter(|c| c.error.is_none()) {
        Some(c) => println!(
            "- records size vs CPython protocol 4: {ours_size} vs {} bytes (target: no larger)",
            c.size
        ),
        None => println!("- records size vs CPython protocol 4: n/a (CPython failed)"),
    }
    let (bytes, bytes_theirs, copy) = (
        m("bytes64m: pypickle"),
        m("bytes64m: serde-pickle"),
        m("bytes64m: plain copy"),
    );
    println!(
        "- bytes vs serde-pickle: {} (target >= 1x)",
        x(div(bytes_theirs, bytes), "faster")
    );
    println!(
        "- bytes vs a plain copy: {} (target <= 1.25)",
        x(div(bytes, copy), "the copy's time")
    );
}
