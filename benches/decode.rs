//! Decode benchmark: pypickle against serde-pickle 1.x and CPython's `pickle.loads`, in one run,
//! on the same CPython-written inputs.
//!
//!     cargo bench --bench decode
//!
//! The inputs are written by `python_fixtures/bench_inputs.py` into `target/bench-inputs/` when
//! missing (or older than that script); set `PYPICKLE_BENCH_INPUTS=DIR` to use another folder.
//! Every case is warmed up once (its result checked); then all cases are timed in rounds, one
//! run of each case a round, so that a shared machine's changing load hits them alike; each is
//! run `RUNS` times (env `PYPICKLE_BENCH_RUNS`, default 9; fewer when a case is slow, never under
//! 5) and reported as the median. Only the decode is timed: dropping the result happens outside
//! the clock. Each timed run follows an untimed run of the same case, so that the allocator is
//! in the state that case leaves it, not in the one the other cases left.
//!
//! CPython's `pickle.loads` (gc off and gc on, for each input) are cases of the same rounds:
//! `python_fixtures/bench_cpython.py --serve`, started once, reads the inputs and warms up, then
//! times one `loads` per request (after an untimed one of the same input, as above) and answers
//! with the time it measured around the call. The machine this runs on has phases minutes long
//! in which everything runs about 1.8x slower; timed one after the other, the two sides met
//! different phases and "pypickle vs CPython" moved between 3.2x and 5.5x from run to run.
//! Timed in the same rounds, both sides see the same phases. For the headline ratio (typed
//! records against CPython with gc off) the report also gives the median of the per-round
//! ratios, CPython's time in round i over pypickle's in round i, which cancels a phase change
//! between rounds; the target line is judged on the ratio of medians, and says so.
//!
//! `PYPICKLE_BENCH_DIAG=1` adds diagnostic rows (decoding into `IgnoredAny`: the opcode
//! machine and a walk that builds nothing). `PYPICKLE_BENCH_ONLY=TEXT` runs only the cases whose
//! "file decoder type" contains TEXT (CPython only if TEXT is in "cpython"), e.g. to profile one
//! case under `perf record`.
//!
//! A plain timing main (no criterion), to keep the build light.

use std::cell::RefCell;
use std::collections::HashMap;
use std::ffi::OsStr;
use std::fmt::Write as _;
use std::hint::black_box;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::rc::Rc;
use std::time::{Duration, Instant};

use serde::Deserialize;

#[path = "common/records.rs"]
mod records;
use records::read::{Record, RecordRef};
use records::RECORDS;

#[path = "common/cpython.rs"]
mod cpython;
#[path = "common/rounds.rs"]
mod rounds;

/// The decoder column of CPython's rows, and its two targets.
const CPYTHON: &str = "CPython `pickle.loads`";
const GC_OFF: &str = "Python objects, gc off";
const GC_ON: &str = "Python objects, gc on";

/// The target column of the other serde formats' rows (context, not targets).
const SAME_RECORDS_JSON: &str = "Vec<Record> from the same records as JSON (context)";
const SAME_RECORDS_POSTCARD: &str = "Vec<Record> from the same records as postcard (context)";

const DICT_LEN: usize = 1_000_000;
const BYTES_LEN: usize = 64 << 20;

/// Spend about this long on one case's timed runs, at most.
const CASE_BUDGET: Duration = Duration::from_secs(4);
const MIN_RUNS: usize = 5;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = std::env::var_os("PYPICKLE_BENCH_INPUTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target").join("bench-inputs"));
    let runs: usize = std::env::var("PYPICKLE_BENCH_RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(9)
        .max(1);
    ensure_inputs(root, &dir);

    let only = std::env::var("PYPICKLE_BENCH_ONLY").ok();
    let records = read(&dir, "records.pkl");
    let int_float = read(&dir, "int_float.pkl");
    let bytes = read(&dir, "bytes64m.pkl");
    // The payload is the input less PROTO, BINBYTES + length before it and MEMOIZE, STOP after.
    let offset = bytes.len() - 2 - BYTES_LEN;
    let payload = &bytes[offset..offset + BYTES_LEN];
    check_bytes(payload).expect("bytes64m.pkl's payload");
    // Each input repeated, for the cases that reuse one `Deserializer` from pickle to pickle.
    let records_stream = records.repeat(2 * runs + 1);
    let int_float_stream = int_float.repeat(2 * runs + 1);
    // The floor for any decoder into a HashMap: inserting the same pairs, already decoded.
    let pairs: Vec<(i64, f64)> = (0..DICT_LEN as i64).map(|i| (i, i as f64 * 0.25)).collect();
    let diag = std::env::var_os("PYPICKLE_BENCH_DIAG").is_some();

    // CPython, timed in the same rounds by a server started once; `Err` says why it is not.
    let cpython = if only
        .as_ref()
        .map_or(true, |o| "cpython".contains(o.as_str()))
    {
        eprintln!("starting python_fixtures/bench_cpython.py --serve ...");
        let script = root.join("python_fixtures").join("bench_cpython.py");
        cpython::Server::start(&script, &[OsStr::new("--serve"), dir.as_os_str()])
            .map(|s| Rc::new(RefCell::new(s)))
            .map_err(|e| format!("**failed**: {e}"))
    } else {
        Err("not run (PYPICKLE_BENCH_ONLY)".into())
    };

    // Declared after everything its cases borrow.
    let mut b = Bench {
        cases: Vec::new(),
        only: only.clone(),
    };

    // --- 100k records ---------------------------------------------------------------------
    let f = "records.pkl";
    b.case(
        f,
        "pypickle",
        "Vec<Record>",
        || pypickle::from_slice::<Vec<Record>>(&records).map_err(|e| e.to_string()),
        |v| check_records(v),
    );
    // What building the same `Vec<Record>` costs with no decoding at all: a clone makes the
    // same allocations (every `String`, every tags `Vec`, the outer `Vec`) and copies the
    // same bytes. The typed decode can be no faster than this.
    let decoded: Vec<Record> = pypickle::from_slice(&records).expect("records.pkl decodes");
    b.case(
        f,
        "plain clone",
        "Vec<Record> clone of the decoded records (yardstick)",
        move || Ok::<_, String>(black_box(&decoded).clone()),
        |v| check_records(v),
    );
    // Context for the typed decode, not targets: the same records, decoded into the same
    // `Vec<Record>` from two other serde formats. serde_json reads them as text; postcard reads
    // a compact binary form with every length up front and no field names, about the least a
    // serde format can do to build these records.
    let written = records::write::records();
    let json = serde_json::to_vec(&written).expect("records to JSON");
    let postcard_bytes = postcard::to_allocvec(&written).expect("records to postcard");
    drop(written);
    b.case(
        f,
        "serde_json",
        SAME_RECORDS_JSON,
        move || serde_json::from_slice::<Vec<Record>>(&json).map_err(|e| e.to_string()),
        |v| check_records(v),
    );
    b.case(
        f,
        "postcard",
        SAME_RECORDS_POSTCARD,
        move || postcard::from_bytes::<Vec<Record>>(&postcard_bytes).map_err(|e| e.to_string()),
        |v| check_records(v),
    );
    b.case(
        f,
        "pypickle",
        "Vec<RecordRef<'_>> (borrowed)",
        || pypickle::from_slice::<Vec<RecordRef<'_>>>(&records).map_err(|e| e.to_string()),
        |v| {
            expect(v.len() == RECORDS, "100k records")?;
            let r = &v[4];
            expect(r.id == 4 && r.name == "user4" && r.score == 2.0, "record 4")?;
            expect(r.tags == ["red", "green"] && v[3].tags == ["blue"], "tags")?;
            expect(
                in_buffer(r.name.as_bytes(), &records),
                "name borrows from the input",
            )
        },
    );
    b.case(
        f,
        "pypickle",
        "Value",
        || pypickle::from_slice::<pypickle::Value>(&records).map_err(|e| e.to_string()),
        |v| {
            let list = v.as_slice().ok_or("not a list")?;
            expect(list.len() == RECORDS, "100k records")?;
            let r = &list[4];
            expect(
                r.get("name").and_then(|n| n.as_str()) == Some("user4"),
                "record 4 name",
            )?;
            expect(
                r.get("score").and_then(|n| n.as_f64()) == Some(2.0),
                "record 4 score",
            )
        },
    );
    // The same decodes through one `Deserializer` over the pickle repeated, which keeps its
    // arena, stack and memo from pickle to pickle: what `from_slice` spends on fresh buffers
    // is the difference.
    let mut de = pypickle::Deserializer::from_slice(&records_stream);
    b.case(
        f,
        "pypickle",
        "Vec<Record> (reused Deserializer)",
        move || next::<Vec<Record>>(&mut de),
        |v| check_records(v),
    );
    let mut de = pypickle::Deserializer::from_slice(&records_stream);
    b.case(
        f,
        "pypickle",
        "Value (reused Deserializer)",
        move || next::<pypickle::Value>(&mut de),
        |v| {
            expect(
                v.as_slice().map(|l| l.len()) == Some(RECORDS),
                "100k records",
            )
        },
    );
    // `pickle.load(f)`'s way: through `io::Read` (here over the bytes in memory, so no I/O is
    // timed), which copies each frame into the arena's scratch and lends nothing.
    b.case(
        f,
        "pypickle",
        "Vec<Record> (from_reader)",
        || pypickle::from_reader::<_, Vec<Record>>(&records[..]).map_err(|e| e.to_string()),
        |v| check_records(v),
    );
    b.case(
        f,
        "pypickle",
        "Value (from_reader)",
        || pypickle::from_reader::<_, pypickle::Value>(&records[..]).map_err(|e| e.to_string()),
        |v| {
            expect(
                v.as_slice().map(|l| l.len()) == Some(RECORDS),
                "100k records",
            )
        },
    );
    b.case(
        f,
        "serde-pickle",
        "Vec<Record>",
        || {
            serde_pickle::from_slice::<Vec<Record>>(&records, serde_pickle::DeOptions::new())
                .map_err(|e| e.to_string())
        },
        |v| check_records(v),
    );
    b.case(
        f,
        "serde-pickle",
        "serde_pickle::Value",
        || {
            serde_pickle::value_from_slice(&records, serde_pickle::DeOptions::new())
                .map_err(|e| e.to_string())
        },
        |v| match v {
            serde_pickle::Value::List(l) => expect(l.len() == RECORDS, "100k records"),
            _ => Err("not a list".into()),
        },
    );
    cpython_cases(&mut b, &cpython, f, records.len());

    // --- dict of 1M int -> float -----------------------------------------------------------
    let f = "int_float.pkl";
    b.case(
        f,
        "pypickle",
        "HashMap<i64, f64>",
        || pypickle::from_slice::<HashMap<i64, f64>>(&int_float).map_err(|e| e.to_string()),
        check_dict,
    );
    b.case(
        f,
        "pypickle",
        "Value",
        || pypickle::from_slice::<pypickle::Value>(&int_float).map_err(|e| e.to_string()),
        |v| {
            let d = v.as_dict().ok_or("not a dict")?;
            expect(d.len() == DICT_LEN, "1M entries")?;
            expect(d[999_999].0.as_i64() == Some(999_999), "last key")?;
            expect(
                d[999_999].1.as_f64() == Some(999_999.0 * 0.25),
                "last value",
            )
        },
    );
    b.case(
        f,
        "plain insert",
        "HashMap<i64, f64> from 1M pairs (yardstick)",
        || {
            Ok::<_, String>(
                black_box(&pairs)
                    .iter()
                    .copied()
                    .collect::<HashMap<i64, f64>>(),
            )
        },
        check_dict,
    );
    let mut de = pypickle::Deserializer::from_slice(&int_float_stream);
    b.case(
        f,
        "pypickle",
        "Value (reused Deserializer)",
        move || next::<pypickle::Value>(&mut de),
        |v| expect(v.as_dict().map(|d| d.len()) == Some(DICT_LEN), "1M entries"),
    );
    b.case(
        f,
        "serde-pickle",
        "HashMap<i64, f64>",
        || {
            serde_pickle::from_slice::<HashMap<i64, f64>>(
                &int_float,
                serde_pickle::DeOptions::new(),
            )
            .map_err(|e| e.to_string())
        },
        check_dict,
    );
    b.case(
        f,
        "serde-pickle",
        "serde_pickle::Value",
        || {
            serde_pickle::value_from_slice(&int_float, serde_pickle::DeOptions::new())
                .map_err(|e| e.to_string())
        },
        |v| match v {
            serde_pickle::Value::Dict(d) => expect(d.len() == DICT_LEN, "1M entries"),
            _ => Err("not a dict".into()),
        },
    );
    cpython_cases(&mut b, &cpython, f, int_float.len());

    // --- diagnostics (PYPICKLE_BENCH_DIAG=1): the opcode machine with a walk that builds nothing
    if diag {
        eprintln!(
            "size_of: pypickle::Value {} B, serde_pickle::Value {} B, Record {} B",
            std::mem::size_of::<pypickle::Value>(),
            std::mem::size_of::<serde_pickle::Value>(),
            std::mem::size_of::<Record>()
        );
        for (f, input, stream) in [
            ("records.pkl", &records, &records_stream),
            ("int_float.pkl", &int_float, &int_float_stream),
        ] {
            b.case(
                f,
                "pypickle",
                "IgnoredAny (diagnostic)",
                move || {
                    pypickle::from_slice::<serde::de::IgnoredAny>(input).map_err(|e| e.to_string())
                },
                |_| Ok(()),
            );
            let mut de = pypickle::Deserializer::from_slice(stream);
            b.case(
                f,
                "pypickle",
                "IgnoredAny (reused Deserializer, diagnostic)",
                move || next::<serde::de::IgnoredAny>(&mut de),
                |_| Ok(()),
            );
        }
    }

    // --- 64 MiB of bytes -------------------------------------------------------------------
    let f = "bytes64m.pkl";
    b.case(
        f,
        "plain copy",
        "payload.to_vec() (yardstick)",
        || Ok::<_, String>(black_box(payload).to_vec()),
        |v| expect(v.len() == BYTES_LEN, "64 MiB"),
    );
    b.case(
        f,
        "pypickle",
        "serde_bytes::ByteBuf (owned)",
        || pypickle::from_slice::<serde_bytes::ByteBuf>(&bytes).map_err(|e| e.to_string()),
        |v| check_bytes(v),
    );
    b.case(
        f,
        "pypickle",
        "&[u8] (borrowed)",
        || pypickle::from_slice::<&[u8]>(&bytes).map_err(|e| e.to_string()),
        |v| {
            check_bytes(v)?;
            expect(
                v.as_ptr() == payload.as_ptr(),
                "borrowed bytes point at the input's payload",
            )
        },
    );
    b.case(
        f,
        "pypickle",
        "&serde_bytes::Bytes (borrowed)",
        || pypickle::from_slice::<&serde_bytes::Bytes>(&bytes).map_err(|e| e.to_string()),
        |v| {
            check_bytes(v)?;
            expect(
                v.as_ptr() == payload.as_ptr(),
                "borrowed bytes point at the input's payload",
            )
        },
    );
    b.case(
        f,
        "serde-pickle",
        "serde_bytes::ByteBuf",
        || {
            serde_pickle::from_slice::<serde_bytes::ByteBuf>(&bytes, serde_pickle::DeOptions::new())
                .map_err(|e| e.to_string())
        },
        |v| check_bytes(v),
    );
    cpython_cases(&mut b, &cpython, f, bytes.len());

    let t = b.run(runs);
    // Ends the server (its stdin closes); a failure to start is reported in the table.
    let cpython = cpython.map(drop);

    let report = t.report(&cpython, offset);
    println!("{report}");
    let out = dir.join("results.md");
    // A filtered run's table is partial: keep the last full one.
    if only.is_none() && std::fs::write(&out, &report).is_ok() {
        eprintln!("(also written to {})", out.display());
    }
}

// ----------------------------------------------------------------------------------------------
// Inputs and checks

fn ensure_inputs(root: &Path, dir: &Path) {
    let script = root.join("python_fixtures").join("bench_inputs.py");
    let script_time = std::fs::metadata(&script).and_then(|m| m.modified()).ok();
    let fresh = ["records.pkl", "int_float.pkl", "bytes64m.pkl"]
        .iter()
        .all(|f| {
            let Ok(m) = std::fs::metadata(dir.join(f)) else {
                return false;
            };
            match (m.modified().ok(), script_time) {
                (Some(file), Some(script)) => file >= script,
                _ => true,
            }
        });
    if fresh {
        return;
    }
    eprintln!("writing benchmark inputs into {} ...", dir.display());
    let status = Command::new("python3")
        .arg(&script)
        .arg(dir)
        .status()
        .expect("python3 is needed to write the benchmark inputs");
    assert!(status.success(), "bench_inputs.py failed: {status}");
}

fn read(dir: &Path, name: &str) -> Vec<u8> {
    let path = dir.join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The next pickle of a stream.
fn next<'de, T: Deserialize<'de>>(
    de: &mut pypickle::Deserializer<pypickle::read::SliceRead<'de>>,
) -> Result<T, String> {
    de.next_value::<T>()
        .map_err(|e| e.to_string())?
        .ok_or_else(|| "the stream ended".to_string())
}

fn expect(ok: bool, what: &str) -> Result<(), String> {
    if ok {
        Ok(())
    } else {
        Err(format!("wrong result: {what}"))
    }
}

fn in_buffer(part: &[u8], buf: &[u8]) -> bool {
    let (p, b) = (part.as_ptr() as usize, buf.as_ptr() as usize);
    p >= b && p + part.len() <= b + buf.len()
}

fn check_records(v: &[Record]) -> Result<(), String> {
    expect(v.len() == RECORDS, "100k records")?;
    let r = &v[99_998];
    expect(
        r.id == 99_998 && r.name == "user99998" && r.score == 49_999.0,
        "record 99998",
    )?;
    expect(
        r.tags == ["red", "green"] && v[99_999].tags == ["blue"],
        "tags",
    )
}

fn check_dict(m: &HashMap<i64, f64>) -> Result<(), String> {
    expect(m.len() == DICT_LEN, "1M entries")?;
    expect(m.get(&123_457) == Some(&(123_457.0 * 0.25)), "entry 123457")
}

fn check_bytes(v: &[u8]) -> Result<(), String> {
    expect(v.len() == BYTES_LEN, "64 MiB")?;
    expect(
        v.iter().take(1024).enumerate().all(|(i, &b)| b == i as u8),
        "first KiB",
    )?;
    expect(v[BYTES_LEN - 1] == 255, "last byte")
}

// ----------------------------------------------------------------------------------------------
// Timing

struct Stats {
    median: Duration,
    min: Duration,
    runs: usize,
    /// The times in the order they were taken: `rounds[i]` is from round i, as every case runs
    /// once a round until it stops for good (`Bench::run`), so the same index is the same round
    /// for every case.
    rounds: Vec<Duration>,
}

/// One timed decode: the clock runs around the call only, the result is dropped after.
type Timed<'a> = Box<dyn FnMut() -> Result<Duration, String> + 'a>;

struct Case<'a> {
    file: &'static str,
    decoder: &'static str,
    target: &'static str,
    /// `None` once the case has failed.
    timed: Option<Timed<'a>>,
    times: Vec<Duration>,
    error: Option<String>,
}

/// The cases of one run. Each is warmed up and checked when added, then all are timed in
/// rounds, each case once a round, so that a change in a shared machine's load hits every case
/// alike rather than whichever happened to run then.
struct Bench<'a> {
    cases: Vec<Case<'a>>,
    only: Option<String>,
}

impl<'a> Bench<'a> {
    fn case<R>(
        &mut self,
        file: &'static str,
        decoder: &'static str,
        target: &'static str,
        mut decode: impl FnMut() -> Result<R, String> + 'a,
        check: impl FnOnce(&R) -> Result<(), String>,
    ) {
        if let Some(only) = &self.only {
            if !format!("{file} {decoder} {target}").contains(only.as_str()) {
                return;
            }
        }
        eprintln!("warm-up: {file} {decoder} {target}");
        // A decoder that panics is reported like one that errs, and the run goes on.
        let warm = catch_unwind(AssertUnwindSafe(|| check(&decode()?)))
            .unwrap_or_else(|p| Err(format!("panicked: {}", panic_message(&p))));
        let timed = Box::new(move || {
            // Untimed, just before: the heap as this very case leaves it, as in CPython's
            // timing loop of one `loads` after another (`bench_cpython.py`). Otherwise the
            // cases run in between (64 MiB of bytes, 1M-entry dicts) leave the allocator
            // cold: returned pages to fault in again, fragmented bins.
            drop(black_box(decode()?));
            let start = Instant::now();
            let out = black_box(decode());
            let took = start.elapsed();
            drop(black_box(out?)); // outside the clock
            Ok(took)
        });
        self.push(file, decoder, target, warm, timed);
    }

    /// A case timed by another process (CPython's, by its server): `timed` asks for one run
    /// (which runs an untimed one first, as `case` does) and returns the time measured there.
    /// Its first call is the warm-up. Not filtered by `only`: the caller decides.
    fn external(
        &mut self,
        file: &'static str,
        decoder: &'static str,
        target: &'static str,
        mut timed: impl FnMut() -> Result<Duration, String> + 'a,
    ) {
        eprintln!("warm-up: {file} {decoder} {target}");
        let warm = timed().map(drop);
        self.push(file, decoder, target, warm, Box::new(timed));
    }

    fn push(
        &mut self,
        file: &'static str,
        decoder: &'static str,
        target: &'static str,
        warm: Result<(), String>,
        timed: Timed<'a>,
    ) {
        self.cases.push(Case {
            file,
            decoder,
            target,
            timed: warm.is_ok().then_some(timed),
            times: Vec::new(),
            error: warm.err(),
        });
    }

    /// Time every case in rounds: up to `max_runs` runs each, fewer (never under `MIN_RUNS`)
    /// once a case has spent `CASE_BUDGET`.
    fn run(mut self, max_runs: usize) -> Table {
        let mut round = 0;
        loop {
            let mut ran = false;
            for c in &mut self.cases {
                let Some(timed) = c.timed.as_mut() else {
                    continue;
                };
                let spent: Duration = c.times.iter().sum();
                if c.times.len() >= max_runs || (c.times.len() >= MIN_RUNS && spent >= CASE_BUDGET)
                {
                    continue;
                }
                ran = true;
                match catch_unwind(AssertUnwindSafe(timed))
                    .unwrap_or_else(|p| Err(format!("panicked: {}", panic_message(&p))))
                {
                    Ok(t) => c.times.push(t),
                    Err(e) => {
                        c.error = Some(e);
                        c.timed = None;
                    }
                }
            }
            if !ran {
                break;
            }
            round += 1;
            eprint!("\rround {round} done");
        }
        eprintln!();
        let rows = self
            .cases
            .into_iter()
            .map(|c| {
                let result = match c.error {
                    Some(e) => Err(e),
                    None => {
                        let mut times = c.times.clone();
                        times.sort();
                        Ok(Stats {
                            median: median(&times),
                            min: times[0],
                            runs: times.len(),
                            rounds: c.times,
                        })
                    }
                };
                let (file, decoder, target) = (c.file, c.decoder, c.target);
                eprint!("{file:<14} {decoder:<13} {target:<45} ");
                match &result {
                    Ok(s) => eprintln!("{} (min {}, {} runs)", ms(s.median), ms(s.min), s.runs),
                    Err(e) => eprintln!("FAILED: {e}"),
                }
                Row {
                    file,
                    decoder,
                    target,
                    result,
                }
            })
            .collect();
        Table { rows }
    }
}

fn median(sorted: &[Duration]) -> Duration {
    let n = sorted.len();
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2
    }
}

struct Row {
    file: &'static str,
    decoder: &'static str,
    target: &'static str,
    result: Result<Stats, String>,
}

struct Table {
    rows: Vec<Row>,
}

impl Table {
    fn stats(&self, file: &str, decoder: &str, target: &str) -> Option<&Stats> {
        self.rows
            .iter()
            .find(|r| r.file == file && r.decoder == decoder && r.target == target)
            .and_then(|r| r.result.as_ref().ok())
    }

    fn get(&self, file: &str, decoder: &str, target: &str) -> Option<Duration> {
        self.stats(file, decoder, target).map(|s| s.median)
    }

    /// [`rounds::paired_ratio`] of two cases of `file`: `slow`'s time over `fast`'s, round by
    /// round.
    fn paired(&self, file: &str, slow: (&str, &str), fast: (&str, &str)) -> Option<(f64, usize)> {
        rounds::paired_ratio(
            &self.stats(file, slow.0, slow.1)?.rounds,
            &self.stats(file, fast.0, fast.1)?.rounds,
        )
    }

    fn report(&self, cpython: &Result<(), String>, offset: usize) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "{}\n", machine_line());
        let _ = writeln!(
            out,
            "| input | decoder | into | median | min | runs | pypickle speed-up vs serde-pickle | pypickle speed-up vs CPython `loads` (gc off / gc on) |"
        );
        let _ = writeln!(out, "|---|---|---|---:|---:|---:|---:|---:|");
        let files = ["records.pkl", "int_float.pkl", "bytes64m.pkl"];
        for file in files {
            // CPython's rows (when it ran) come last for each input, as its cases do in a round.
            for r in self.rows.iter().filter(|r| r.file == file) {
                let _ = writeln!(out, "{}", self.row(r));
            }
        }
        if let Err(e) = cpython {
            let _ = writeln!(
                out,
                "| all | {CPYTHON} | | {} | | | | |",
                e.replace('|', "\\|")
            );
        }
        out.push('\n');
        out.push_str(&self.targets(offset));
        out
    }

    /// One table row, with its speed-ups if it is pypickle's.
    fn row(&self, r: &Row) -> String {
        let (median, min, runs) = match &r.result {
            Ok(s) => (ms(s.median), ms(s.min), s.runs.to_string()),
            Err(e) => (
                format!("**failed**: {}", e.replace('|', "\\|")),
                "-".into(),
                "-".into(),
            ),
        };
        let (mut vs_serde, mut vs_cpython) = (String::new(), String::new());
        match &r.result {
            Ok(_) if r.target.contains("(borrowed)") && r.file == "bytes64m.pkl" => {
                vs_serde = "zero-copy".into();
                vs_cpython = "zero-copy".into();
            }
            Ok(s) if r.decoder == "pypickle" => {
                let serde_target = match r.target {
                    "Value" | "Value (reused Deserializer)" | "Value (from_reader)" => {
                        "serde_pickle::Value"
                    }
                    "Vec<Record> (reused Deserializer)"
                    | "Vec<RecordRef<'_>> (borrowed)"
                    | "Vec<Record> (from_reader)" => "Vec<Record>",
                    "serde_bytes::ByteBuf (owned)" => "serde_bytes::ByteBuf",
                    t => t,
                };
                vs_serde = match self.get(r.file, "serde-pickle", serde_target) {
                    Some(d) => ratio(d, s.median),
                    None => "n/a".into(),
                };
                let (off, on) = (
                    self.get(r.file, CPYTHON, GC_OFF),
                    self.get(r.file, CPYTHON, GC_ON),
                );
                if off.is_some() || on.is_some() {
                    let vs = |c: Option<Duration>| c.map_or("n/a".into(), |c| ratio(c, s.median));
                    vs_cpython = format!("{} / {}", vs(off), vs(on));
                }
            }
            _ => {}
        }
        // CPython's targets are Python objects, not Rust types.
        let target = if r.decoder == CPYTHON {
            r.target.to_string()
        } else {
            format!("`{}`", r.target)
        };
        format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            r.file, r.decoder, target, median, min, runs, vs_serde, vs_cpython
        )
    }

    fn targets(&self, offset: usize) -> String {
        let mut out = String::from("Targets:\n\n");
        let line = |what: &str, got: Option<f64>, need: f64, higher_is_better: bool, unit: &str| {
            let verdict = match got {
                None => "UNKNOWN (a case failed or was skipped)".to_string(),
                Some(g) if (higher_is_better && g >= need) || (!higher_is_better && g <= need) => {
                    format!("met ({g:.2}{unit})")
                }
                Some(g) => format!("**MISSED** ({g:.2}{unit})"),
            };
            format!("- {what}: {verdict}\n")
        };
        let speedup = |slow: Option<Duration>, fast: Option<Duration>| {
            Some(slow?.as_secs_f64() / fast?.as_secs_f64())
        };
        let rec = "records.pkl";
        let typed = self.get(rec, "pypickle", "Vec<Record>");
        out += &line(
            "typed records >= 10x serde-pickle",
            speedup(self.get(rec, "serde-pickle", "Vec<Record>"), typed),
            10.0,
            true,
            "x",
        );
        // Judged on the ratio of medians, as every target; the paired ratio beside it.
        let paired = match self.paired(rec, (CPYTHON, GC_OFF), ("pypickle", "Vec<Record>")) {
            Some((r, n)) => format!("{r:.2}x over {n} rounds"),
            None => "n/a".into(),
        };
        let judged = line(
            "typed records >= 4x CPython pickle.loads (gc off), judged on the ratio of medians",
            speedup(self.get(rec, CPYTHON, GC_OFF), typed),
            4.0,
            true,
            "x",
        );
        let _ = writeln!(
            out,
            "{}; the median of the per-round ratios (CPython's time / pypickle's, same round): {paired}",
            judged.trim_end()
        );
        if let (Some(t), Some(c)) = (
            typed,
            self.get(
                rec,
                "plain clone",
                "Vec<Record> clone of the decoded records (yardstick)",
            ),
        ) {
            let _ = writeln!(
                out,
                "  (of the typed decode's {}, {} is the clone yardstick's: the allocations and copies of the records themselves, {:.0}%)",
                ms(t),
                ms(c),
                100.0 * c.as_secs_f64() / t.as_secs_f64()
            );
        }
        if let (Some(c), Some(j), Some(p)) = (
            self.get(rec, CPYTHON, GC_OFF),
            self.get(rec, "serde_json", SAME_RECORDS_JSON),
            self.get(rec, "postcard", SAME_RECORDS_POSTCARD),
        ) {
            let need = c.as_secs_f64() / 4.0;
            let _ = writeln!(
                out,
                "  (4x CPython needs {:.1} ms. The same records into the same `Vec<Record>`: serde_json from JSON {}, postcard {}, so 4x needs {:.2}x postcard's time)",
                need * 1e3,
                ms(j),
                ms(p),
                need / p.as_secs_f64()
            );
        }
        for file in [rec, "int_float.pkl"] {
            out += &line(
                &format!("Value >= 5x serde-pickle Value ({file})"),
                speedup(
                    self.get(file, "serde-pickle", "serde_pickle::Value"),
                    self.get(file, "pypickle", "Value"),
                ),
                5.0,
                true,
                "x",
            );
        }
        let b = "bytes64m.pkl";
        let borrowed: Vec<&Row> = self
            .rows
            .iter()
            .filter(|r| r.file == b && r.target.contains("(borrowed)"))
            .collect();
        let borrowed_verdict = if borrowed.is_empty() {
            "UNKNOWN (not run)"
        } else if borrowed.iter().all(|r| r.result.is_ok()) {
            "met"
        } else {
            "**MISSED**"
        };
        let _ = writeln!(
            out,
            "- borrowed bytes zero-copy: {} (the `&[u8]` points at the payload inside the input buffer, offset {offset}; median {})",
            borrowed_verdict,
            self.get(b, "pypickle", "&[u8] (borrowed)").map(ms).unwrap_or_default(),
        );
        out += &line(
            "owned bytes within 25% of a plain copy into a fresh Vec (time / copy time <= 1.25)",
            speedup(
                self.get(b, "pypickle", "serde_bytes::ByteBuf (owned)"),
                self.get(b, "plain copy", "payload.to_vec() (yardstick)"),
            ),
            1.25,
            false,
            "x the copy's time",
        );
        out
    }
}

fn ratio(slow: Duration, fast: Duration) -> String {
    let r = slow.as_secs_f64() / fast.as_secs_f64();
    if r >= 100.0 {
        format!("{r:.0}x")
    } else {
        format!("{r:.1}x")
    }
}

fn ms(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1e3;
    if ms >= 100.0 {
        format!("{ms:.0} ms")
    } else if ms >= 1.0 {
        format!("{ms:.1} ms")
    } else if ms >= 0.001 {
        format!("{:.1} µs", ms * 1e3)
    } else {
        format!("{:.0} ns", ms * 1e6)
    }
}

fn panic_message(p: &Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "?".into())
}

fn machine_line() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let python = Command::new("python3")
        .arg("--version")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "no python3".into());
    format!(
        "Decode benchmark: {cpu}, {cores} cores, {python}; medians of timed runs after a warm-up, decode only (dropping the result is not timed); CPython timed in the same interleaved rounds (`bench_cpython.py --serve`)."
    )
}

// ----------------------------------------------------------------------------------------------
// CPython

/// CPython's `loads` of `file`, with the collector off and on, as two cases of the rounds (if
/// its server runs). `len` is the file's size, which the server's answer must match.
fn cpython_cases<'a>(
    b: &mut Bench<'a>,
    server: &Result<Rc<RefCell<cpython::Server>>, String>,
    file: &'static str,
    len: usize,
) {
    let Ok(server) = server else {
        return;
    };
    for (target, mode) in [(GC_OFF, "off"), (GC_ON, "on")] {
        let server = Rc::clone(server);
        let command = format!("{file} {mode}");
        b.external(file, CPYTHON, target, move || {
            let r = server.borrow_mut().time(&command)?;
            expect(r.bytes == len, "CPython read the same input")?;
            Ok(r.took)
        });
    }
}
