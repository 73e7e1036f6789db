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
//! 5) and reported as the median. Only the decode is timed: dropping the result happens outside the clock, as
//! CPython's `del obj` does in `bench_cpython.py`, which this run calls last. Each timed run
//! follows an untimed run of the same case, as each of CPython's `loads` follows the one
//! before: the allocator is then in the state that case leaves it, not in the one the other
//! cases left.
//!
//! `PYPICKLE_BENCH_DIAG=1` adds diagnostic rows (decoding into `IgnoredAny`: the opcode
//! machine and a walk that builds nothing). `PYPICKLE_BENCH_ONLY=TEXT` runs only the cases whose
//! "file decoder type" contains TEXT (CPython only if TEXT is in "cpython"), e.g. to profile one
//! case under `perf record`.
//!
//! A plain timing main (no criterion), to keep the build light.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::hint::black_box;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde::Deserialize;

#[path = "common/records.rs"]
mod records;
use records::read::{Record, RecordRef};
use records::RECORDS;

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

    let t = b.run(runs);
    // Free the inputs before CPython loads its own copies.
    drop((
        records,
        int_float,
        bytes,
        records_stream,
        int_float_stream,
        pairs,
    ));

    // --- CPython, same files, same run ----------------------------------------------------
    let cpython = if only
        .as_ref()
        .map_or(true, |o| "cpython".contains(o.as_str()))
    {
        eprintln!("running python_fixtures/bench_cpython.py ...");
        run_cpython(root, &dir, runs)
    } else {
        Err("not run (PYPICKLE_BENCH_ONLY)".into())
    };

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
        let timed: Option<Timed<'a>> = warm.is_ok().then(|| {
            Box::new(move || {
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
            }) as Timed<'a>
        });
        self.cases.push(Case {
            file,
            decoder,
            target,
            timed,
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
                        let mut times = c.times;
                        times.sort();
                        Ok(Stats {
                            median: median(&times),
                            min: times[0],
                            runs: times.len(),
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
    fn get(&self, file: &str, decoder: &str, target: &str) -> Option<Duration> {
        self.rows
            .iter()
            .find(|r| r.file == file && r.decoder == decoder && r.target == target)
            .and_then(|r| r.result.as_ref().ok())
            .map(|s| s.median)
    }

    fn report(&self, cpython: &Result<Vec<CpythonRow>, String>, offset: usize) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "{}\n", machine_line());
        let _ = writeln!(
            out,
            "| input | decoder | into | median | min | runs | pypickle speed-up vs serde-pickle | pypickle speed-up vs CPython `loads` (gc off / gc on) |"
        );
        let _ = writeln!(out, "|---|---|---|---:|---:|---:|---:|---:|");
        let cp = |file: &str| -> Option<&CpythonRow> {
            cpython.as_ref().ok()?.iter().find(|c| c.file == file)
        };
        let files = ["records.pkl", "int_float.pkl", "bytes64m.pkl"];
        for file in files {
            for r in self.rows.iter().filter(|r| r.file == file) {
                let _ = writeln!(out, "{}", self.row(r, cp(file)));
            }
            if let Some(c) = cp(file) {
                for (how, t) in [("gc off", c.loads), ("gc on", c.loads_gc)] {
                    let _ = writeln!(
                        out,
                        "| {file} | CPython `pickle.loads` | Python objects, {how} | {} | | {} | | |",
                        ms(t),
                        c.runs
                    );
                }
            }
        }
        if let Err(e) = cpython {
            let _ = writeln!(
                out,
                "| all | CPython `pickle.loads` | | {} | | | | |",
                e.replace('|', "\\|")
            );
        }
        out.push('\n');
        out.push_str(&self.targets(cpython, offset));
        out
    }

    /// One table row, with its speed-ups if it is pypickle's.
    fn row(&self, r: &Row, cpython: Option<&CpythonRow>) -> String {
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
                    "Value" | "Value (reused Deserializer)" => "serde_pickle::Value",
                    "Vec<Record> (reused Deserializer)" | "Vec<RecordRef<'_>> (borrowed)" => {
                        "Vec<Record>"
                    }
                    "serde_bytes::ByteBuf (owned)" => "serde_bytes::ByteBuf",
                    t => t,
                };
                vs_serde = match self.get(r.file, "serde-pickle", serde_target) {
                    Some(d) => ratio(d, s.median),
                    None => "n/a".into(),
                };
                if let Some(c) = cpython {
                    vs_cpython = format!(
                        "{} / {}",
                        ratio(c.loads, s.median),
                        ratio(c.loads_gc, s.median)
                    );
                }
            }
            _ => {}
        }
        format!(
            "| {} | {} | `{}` | {} | {} | {} | {} | {} |",
            r.file, r.decoder, r.target, median, min, runs, vs_serde, vs_cpython
        )
    }

    fn targets(&self, cpython: &Result<Vec<CpythonRow>, String>, offset: usize) -> String {
        let mut out = String::from("Targets:\n\n");
        let cp = |file: &str| {
            cpython
                .as_ref()
                .ok()
                .and_then(|rows| rows.iter().find(|c| c.file == file))
                .map(|c| c.loads)
        };
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
        out += &line(
            "typed records >= 4x CPython pickle.loads (gc off)",
            speedup(cp(rec), typed),
            4.0,
            true,
            "x",
        );
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
        "Decode benchmark: {cpu}, {cores} cores, {python}; medians of timed runs after a warm-up, decode only (dropping the result is not timed)."
    )
}

// ----------------------------------------------------------------------------------------------
// CPython

struct CpythonRow {
    file: String,
    loads: Duration,
    loads_gc: Duration,
    runs: usize,
}

fn run_cpython(root: &Path, dir: &Path, runs: usize) -> Result<Vec<CpythonRow>, String> {
    cpython_rows(root, dir, runs).map_err(|e| format!("**failed**: {e}"))
}

fn cpython_rows(root: &Path, dir: &Path, runs: usize) -> Result<Vec<CpythonRow>, String> {
    let out = Command::new("python3")
        .arg(root.join("python_fixtures").join("bench_cpython.py"))
        .arg(dir)
        .arg(runs.to_string())
        .output()
        .map_err(|e| format!("python3: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "bench_cpython.py: {}: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .last()
                .unwrap_or("")
                .trim()
        ));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let mut rows = Vec::new();
    for l in text.lines() {
        let mut words = l.split_whitespace();
        if words.next() != Some("cpython") {
            continue;
        }
        let file = words.next().ok_or("no file name")?.to_string();
        let field = |k: &str| -> Option<String> {
            l.split_whitespace()
                .find_map(|w| w.strip_prefix(k)?.strip_prefix('=').map(str::to_string))
        };
        let msecs = |v: Option<String>| -> Result<Duration, String> {
            let v: f64 = v
                .ok_or("missing field")?
                .parse()
                .map_err(|e| format!("{e}"))?;
            Ok(Duration::from_secs_f64(v / 1e3))
        };
        rows.push(CpythonRow {
            loads: msecs(field("loads_ms"))?,
            loads_gc: msecs(field("loads_gc_ms"))?,
            runs: field("runs").and_then(|r| r.parse().ok()).unwrap_or(0),
            file,
        });
    }
    if rows.is_empty() {
        return Err(format!("no results in: {text}"));
    }
    Ok(rows)
}
