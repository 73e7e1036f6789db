//! Decode benchmark: pypickle against serde-pickle 1.x and CPython's `pickle.loads`, in one run,
//! on the same CPython-written inputs.
//!
//!     cargo bench --bench decode
//!
//! The inputs are written by `python_fixtures/bench_inputs.py` into `target/bench-inputs/` when
//! missing (or older than that script); set `PYPICKLE_BENCH_INPUTS=DIR` to use another folder.
//! Every case is warmed up once (its result checked), then timed `RUNS` times (env
//! `PYPICKLE_BENCH_RUNS`, default 9; fewer when a case is slow, never under 5) and reported as
//! the median. Only the decode is timed: dropping the result happens outside the clock, as
//! CPython's `del obj` does in `bench_cpython.py`, which this run calls last.
//!
//! `PYPICKLE_BENCH_DIAG=1` adds diagnostic rows (decoding into `IgnoredAny`: the opcode
//! machine and a walk that builds nothing). `PYPICKLE_BENCH_ONLY=TEXT` runs only the cases whose "file decoder type" line contains TEXT
//! (CPython only if TEXT is in "cpython"), e.g. for profiling one case under `perf record`.
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

#[derive(Deserialize)]
#[allow(dead_code)]
struct Record {
    id: u64,
    name: String,
    score: f64,
    tags: Vec<String>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct RecordRef<'a> {
    id: u64,
    #[serde(borrow)]
    name: &'a str,
    score: f64,
    #[serde(borrow)]
    tags: Vec<&'a str>,
}

const RECORDS: usize = 100_000;
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
    let mut t = Table {
        rows: Vec::new(),
        only: only.clone(),
    };
    let records = read(&dir, "records.pkl");
    let int_float = read(&dir, "int_float.pkl");
    let bytes = read(&dir, "bytes64m.pkl");

    // --- 100k records ---------------------------------------------------------------------
    let f = "records.pkl";
    t.case(
        f,
        "pypickle",
        "Vec<Record>",
        runs,
        || pypickle::from_slice::<Vec<Record>>(&records).map_err(|e| e.to_string()),
        |v| check_records(v),
    );
    t.case(
        f,
        "pypickle",
        "Vec<RecordRef<'_>> (borrowed)",
        runs,
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
    t.case(
        f,
        "pypickle",
        "Value",
        runs,
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
    let stream = records.repeat(runs + 1);
    let mut de = pypickle::Deserializer::from_slice(&stream);
    t.case(
        f,
        "pypickle",
        "Vec<Record> (reused Deserializer)",
        runs,
        || next::<Vec<Record>>(&mut de),
        |v| check_records(v),
    );
    let mut de = pypickle::Deserializer::from_slice(&stream);
    t.case(
        f,
        "pypickle",
        "Value (reused Deserializer)",
        runs,
        || next::<pypickle::Value>(&mut de),
        |v| {
            expect(
                v.as_slice().map(|l| l.len()) == Some(RECORDS),
                "100k records",
            )
        },
    );
    drop(stream);
    t.case(
        f,
        "serde-pickle",
        "Vec<Record>",
        runs,
        || {
            serde_pickle::from_slice::<Vec<Record>>(&records, serde_pickle::DeOptions::new())
                .map_err(|e| e.to_string())
        },
        |v| check_records(v),
    );
    t.case(
        f,
        "serde-pickle",
        "serde_pickle::Value",
        runs,
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
    t.case(
        f,
        "pypickle",
        "HashMap<i64, f64>",
        runs,
        || pypickle::from_slice::<HashMap<i64, f64>>(&int_float).map_err(|e| e.to_string()),
        check_dict,
    );
    t.case(
        f,
        "pypickle",
        "Value",
        runs,
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
    // The floor for any decoder into a HashMap: inserting the same pairs, already decoded.
    let pairs: Vec<(i64, f64)> = (0..DICT_LEN as i64).map(|i| (i, i as f64 * 0.25)).collect();
    t.case(
        f,
        "plain insert",
        "HashMap<i64, f64> from 1M pairs (yardstick)",
        runs,
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
    drop(pairs);
    let stream = int_float.repeat(runs + 1);
    let mut de = pypickle::Deserializer::from_slice(&stream);
    t.case(
        f,
        "pypickle",
        "Value (reused Deserializer)",
        runs,
        || next::<pypickle::Value>(&mut de),
        |v| expect(v.as_dict().map(|d| d.len()) == Some(DICT_LEN), "1M entries"),
    );
    drop(stream);
    t.case(
        f,
        "serde-pickle",
        "HashMap<i64, f64>",
        runs,
        || {
            serde_pickle::from_slice::<HashMap<i64, f64>>(
                &int_float,
                serde_pickle::DeOptions::new(),
            )
            .map_err(|e| e.to_string())
        },
        check_dict,
    );
    t.case(
        f,
        "serde-pickle",
        "serde_pickle::Value",
        runs,
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
    if std::env::var_os("PYPICKLE_BENCH_DIAG").is_some() {
        eprintln!(
            "size_of: pypickle::Value {} B, serde_pickle::Value {} B, Record {} B",
            std::mem::size_of::<pypickle::Value>(),
            std::mem::size_of::<serde_pickle::Value>(),
            std::mem::size_of::<Record>()
        );
        for (f, input) in [("records.pkl", &records), ("int_float.pkl", &int_float)] {
            t.case(
                f,
                "pypickle",
                "IgnoredAny (diagnostic)",
                runs,
                || pypickle::from_slice::<serde::de::IgnoredAny>(input).map_err(|e| e.to_string()),
                |_| Ok(()),
            );
            let stream = input.repeat(runs + 1);
            let mut de = pypickle::Deserializer::from_slice(&stream);
            t.case(
                f,
                "pypickle",
                "IgnoredAny (reused Deserializer, diagnostic)",
                runs,
                || next::<serde::de::IgnoredAny>(&mut de),
                |_| Ok(()),
            );
        }
    }

    // --- 64 MiB of bytes -------------------------------------------------------------------
    let f = "bytes64m.pkl";
    // The payload is the input less PROTO, BINBYTES + length before it and MEMOIZE, STOP after.
    let offset = bytes.len() - 2 - BYTES_LEN;
    let payload = &bytes[offset..offset + BYTES_LEN];
    check_bytes(payload).expect("bytes64m.pkl's payload");
    // Timed in alternation, so that a change in the machine's load hits both alike.
    t.pair(
        f,
        runs,
        ("plain copy", "payload.to_vec() (yardstick)"),
        || Ok::<_, String>(black_box(payload).to_vec()),
        |v| expect(v.len() == BYTES_LEN, "64 MiB"),
        ("pypickle", "serde_bytes::ByteBuf (owned)"),
        || pypickle::from_slice::<serde_bytes::ByteBuf>(&bytes).map_err(|e| e.to_string()),
        |v| check_bytes(v),
    );
    t.case(
        f,
        "pypickle",
        "&[u8] (borrowed)",
        runs,
        || pypickle::from_slice::<&[u8]>(&bytes).map_err(|e| e.to_string()),
        |v| {
            check_bytes(v)?;
            expect(
                v.as_ptr() == payload.as_ptr(),
                "borrowed bytes point at the input's payload",
            )
        },
    );
    t.case(
        f,
        "pypickle",
        "&serde_bytes::Bytes (borrowed)",
        runs,
        || pypickle::from_slice::<&serde_bytes::Bytes>(&bytes).map_err(|e| e.to_string()),
        |v| {
            check_bytes(v)?;
            expect(
                v.as_ptr() == payload.as_ptr(),
                "borrowed bytes point at the input's payload",
            )
        },
    );
    t.case(
        f,
        "serde-pickle",
        "serde_bytes::ByteBuf",
        runs,
        || {
            serde_pickle::from_slice::<serde_bytes::ByteBuf>(&bytes, serde_pickle::DeOptions::new())
                .map_err(|e| e.to_string())
        },
        |v| check_bytes(v),
    );

    // Free the inputs before CPython loads its own copies.
    drop((records, int_float, bytes));

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
    if std::fs::write(&out, &report).is_ok() {
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

fn time_case<R>(
    max_runs: usize,
    mut decode: impl FnMut() -> Result<R, String>,
    check: impl FnOnce(&R) -> Result<(), String>,
) -> Result<Stats, String> {
    // Warm-up, also the run whose result is checked.
    let start = Instant::now();
    let first = decode()?;
    let warm = start.elapsed();
    check(&first)?;
    drop(first);

    let fit = (CASE_BUDGET.as_secs_f64() / warm.as_secs_f64().max(1e-9)) as usize;
    let runs = max_runs.min(fit.max(MIN_RUNS));
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        let out = black_box(decode());
        let took = start.elapsed();
        let out = out?;
        drop(black_box(out)); // outside the clock
        times.push(took);
    }
    times.sort();
    Ok(Stats {
        median: median(&times),
        min: times[0],
        runs,
    })
}

/// Like [`time_case`] for two cases, timed in alternation.
fn time_pair<A, B>(
    max_runs: usize,
    mut a: impl FnMut() -> Result<A, String>,
    check_a: impl FnOnce(&A) -> Result<(), String>,
    mut b: impl FnMut() -> Result<B, String>,
    check_b: impl FnOnce(&B) -> Result<(), String>,
) -> (Result<Stats, String>, Result<Stats, String>) {
    fn once<R>(f: &mut impl FnMut() -> Result<R, String>) -> Result<Duration, String> {
        let start = Instant::now();
        let out = black_box(f());
        let took = start.elapsed();
        drop(black_box(out?)); // outside the clock
        Ok(took)
    }
    let warm = |f: &mut dyn FnMut() -> Result<Duration, String>| f();
    let mut check_a = Some(check_a);
    let mut check_b = Some(check_b);
    let warm_a = warm(&mut || {
        let start = Instant::now();
        let out = a()?;
        let took = start.elapsed();
        (check_a.take().unwrap())(&out)?;
        Ok(took)
    });
    let warm_b = warm(&mut || {
        let start = Instant::now();
        let out = b()?;
        let took = start.elapsed();
        (check_b.take().unwrap())(&out)?;
        Ok(took)
    });
    let slowest = match (&warm_a, &warm_b) {
        (Ok(x), Ok(y)) => *x.max(y),
        (Ok(x), Err(_)) | (Err(_), Ok(x)) => *x,
        (Err(_), Err(_)) => Duration::ZERO,
    };
    let fit = (CASE_BUDGET.as_secs_f64() / slowest.as_secs_f64().max(1e-9)) as usize;
    let runs = max_runs.min(fit.max(MIN_RUNS));
    let (mut ta, mut tb) = (Vec::new(), Vec::new());
    let (mut ea, mut eb) = (warm_a.err(), warm_b.err());
    for _ in 0..runs {
        if ea.is_none() {
            match once(&mut a) {
                Ok(t) => ta.push(t),
                Err(e) => ea = Some(e),
            }
        }
        if eb.is_none() {
            match once(&mut b) {
                Ok(t) => tb.push(t),
                Err(e) => eb = Some(e),
            }
        }
    }
    let stats = |mut times: Vec<Duration>, err: Option<String>| match err {
        Some(e) => Err(e),
        None => {
            times.sort();
            Ok(Stats {
                median: median(&times),
                min: times[0],
                runs,
            })
        }
    };
    (stats(ta, ea), stats(tb, eb))
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

#[derive(Default)]
struct Table {
    rows: Vec<Row>,
    only: Option<String>,
}

impl Table {
    fn case<R>(
        &mut self,
        file: &'static str,
        decoder: &'static str,
        target: &'static str,
        runs: usize,
        decode: impl FnMut() -> Result<R, String>,
        check: impl FnOnce(&R) -> Result<(), String>,
    ) {
        if let Some(only) = &self.only {
            if !format!("{file} {decoder} {target}").contains(only.as_str()) {
                return;
            }
        }
        eprint!("{file:<14} {decoder:<13} {target:<32} ");
        // A decoder that panics is reported like one that errs, and the run goes on.
        let result = catch_unwind(AssertUnwindSafe(|| time_case(runs, decode, check)))
            .unwrap_or_else(|p| Err(format!("panicked: {}", panic_message(&p))));
        match &result {
            Ok(s) => eprintln!("{} (min {}, {} runs)", ms(s.median), ms(s.min), s.runs),
            Err(e) => eprintln!("FAILED: {e}"),
        }
        self.rows.push(Row {
            file,
            decoder,
            target,
            result,
        });
    }

    #[allow(clippy::too_many_arguments)]
    fn pair<A, B>(
        &mut self,
        file: &'static str,
        runs: usize,
        (decoder_a, target_a): (&'static str, &'static str),
        a: impl FnMut() -> Result<A, String>,
        check_a: impl FnOnce(&A) -> Result<(), String>,
        (decoder_b, target_b): (&'static str, &'static str),
        b: impl FnMut() -> Result<B, String>,
        check_b: impl FnOnce(&B) -> Result<(), String>,
    ) {
        let wanted = |d: &str, t: &str| {
            self.only
                .as_ref()
                .map_or(true, |o| format!("{file} {d} {t}").contains(o.as_str()))
        };
        if !wanted(decoder_a, target_a) && !wanted(decoder_b, target_b) {
            return;
        }
        let (ra, rb) = catch_unwind(AssertUnwindSafe(|| time_pair(runs, a, check_a, b, check_b)))
            .unwrap_or_else(|p| {
                let e = format!("panicked: {}", panic_message(&p));
                (Err(e.clone()), Err(e))
            });
        for (decoder, target, result) in [(decoder_a, target_a, ra), (decoder_b, target_b, rb)] {
            eprint!("{file:<14} {decoder:<13} {target:<32} ");
            match &result {
                Ok(s) => eprintln!("{} (min {}, {} runs)", ms(s.median), ms(s.min), s.runs),
                Err(e) => eprintln!("FAILED: {e}"),
            }
            self.rows.push(Row {
                file,
                decoder,
                target,
                result,
            });
        }
    }

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
            String::from_utf8_lossy(&out.stderr).trim()
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
