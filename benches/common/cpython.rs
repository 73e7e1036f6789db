//! The benchmarks' side of the CPython timing servers (`python_fixtures/bench_cpython.py
//! --serve DIR`, `python_fixtures/bench_cpython_dumps.py --serve`), in one place for
//! `benches/decode.rs` and `benches/encode.rs`. Included with `#[path]`.
//!
//! A server is started once and then asked, one line at a time, to time one `pickle.loads` or
//! `pickle.dumps`; the benchmark sends these requests from its rounds, between its Rust cases,
//! so that CPython is timed in the same phases of a shared machine as they are. The time is the
//! one Python measured around the call itself (`time.perf_counter`), not the round trip.
//!
//! The benchmark process stays single-threaded, as CPython's is: one idle thread switches
//! glibc's malloc to its multi-threaded paths (an arena lock, atomic fastbins) for good, which
//! made every allocation of the Rust cases slower (the records' clone yardstick 4.2 -> 7.4 ms,
//! the typed records decode 10.6 -> 13.4 ms) while CPython's server kept its fast path. So the
//! server's answers are read with plain blocking reads, its stderr goes to a file, and the
//! timeouts are the server's own (`bench_serve.py`, an alarm, as a watchdog thread there would
//! slow CPython's malloc alike): a server that stops answering (a hung interpreter, a swapping
//! machine) is ended after [`START_TIMEOUT`] or [`ANSWER_TIMEOUT`], and its rows report why,
//! rather than the benchmark hanging.
#![allow(dead_code)]

use std::ffi::OsStr;
use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::Duration;

/// How long the server may take to read its inputs and warm up.
pub const START_TIMEOUT: Duration = Duration::from_secs(600);

/// How long one request may take.
pub const ANSWER_TIMEOUT: Duration = Duration::from_secs(120);

pub struct Reply {
    pub took: Duration,
    pub bytes: usize,
}

pub struct Server {
    /// The script's file name, for messages.
    name: String,
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
    /// Where the server's stderr goes (a traceback if it dies): a file, which no thread has
    /// to drain as it would a pipe.
    stderr: PathBuf,
    /// Set once the server is gone: every later request fails with it.
    dead: Option<String>,
}

impl Server {
    /// Starts `python3 SCRIPT ARGS...` and waits until it has read its data, warmed up and
    /// said `ready`.
    pub fn start(script: &Path, args: &[&OsStr]) -> Result<Server, String> {
        let name = script.file_name().map_or("the CPython server".into(), |n| {
            n.to_string_lossy().into_owned()
        });
        let stderr = std::env::temp_dir().join(format!(
            "pypickle-bench-{}-{name}.stderr",
            std::process::id()
        ));
        let err_file = File::create(&stderr).map_err(|e| format!("{}: {e}", stderr.display()))?;
        let mut child = Command::new("python3")
            .arg(script)
            .args(args)
            .env(
                "PYPICKLE_BENCH_TIMEOUTS",
                format!("{} {}", START_TIMEOUT.as_secs(), ANSWER_TIMEOUT.as_secs()),
            )
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(err_file)
            .spawn()
            .map_err(|e| {
                let _ = std::fs::remove_file(&stderr);
                format!("python3: {e}")
            })?;
        let stdin = child.stdin.take();
        let stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
        let mut server = Server {
            name,
            child,
            stdin,
            stdout,
            stderr,
            dead: None,
        };
        match server.line()?.as_str() {
            "ready" => Ok(server),
            other => Err(format!("{}: expected `ready`, got `{other}`", server.name)),
        }
    }

    /// Sends one command (e.g. `records.pkl off`) and returns the timing it answers with.
    pub fn time(&mut self, command: &str) -> Result<Reply, String> {
        if let Some(e) = &self.dead {
            return Err(e.clone());
        }
        let sent = self
            .stdin
            .as_mut()
            .ok_or_else(|| "stdin closed".to_string())
            .and_then(|w| {
                writeln!(w, "{command}")
                    .and_then(|_| w.flush())
                    .map_err(|e| e.to_string())
            });
        if sent.is_err() {
            // A closed pipe: the server exited; what it said on its way out is the reason.
            return Err(self.died());
        }
        let line = self.line()?;
        if let Some(e) = line.strip_prefix("error ") {
            return Err(format!("{}: `{command}`: {e}", self.name));
        }
        let field = |k: &str| {
            line.split_whitespace()
                .find_map(|w| w.strip_prefix(k)?.strip_prefix('='))
        };
        let parsed = (|| {
            if !line.starts_with("ok ") {
                return None;
            }
            let ms: f64 = field("ms")?.parse().ok()?;
            let bytes: usize = field("bytes")?.parse().ok()?;
            (ms.is_finite() && ms >= 0.0).then(|| Reply {
                took: Duration::from_secs_f64(ms / 1e3),
                bytes,
            })
        })();
        parsed.ok_or_else(|| format!("{}: `{command}`: unexpected answer `{line}`", self.name))
    }

    /// The next line the server writes, or why there is none: a server past its timeout has
    /// been ended by its alarm (SIGALRM), which ends its stdout.
    fn line(&mut self) -> Result<String, String> {
        if let Some(e) = &self.dead {
            return Err(e.clone());
        }
        let mut l = String::new();
        match self.stdout.read_line(&mut l) {
            Ok(0) => Err(self.died()),
            Ok(_) => Ok(l.trim_end().to_string()),
            Err(e) => Err(format!("{}: reading its answer: {e}", self.name)),
        }
    }

    /// The server has gone: its exit status and the last line of its stderr.
    fn died(&mut self) -> String {
        if let Some(e) = &self.dead {
            return e.clone();
        }
        drop(self.stdin.take());
        let status = self
            .child
            .wait()
            .map_or_else(|e| e.to_string(), |s| s.to_string());
        let stderr = std::fs::read_to_string(&self.stderr).unwrap_or_default();
        let last = stderr
            .lines()
            .rfind(|l| !l.trim().is_empty())
            .unwrap_or("")
            .trim();
        let e = format!("{} exited ({status}): {last}", self.name);
        self.dead = Some(e.clone());
        e
    }
}

impl Drop for Server {
    /// Closes its stdin, which ends the server, and waits for it.
    fn drop(&mut self) {
        drop(self.stdin.take());
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.stderr);
    }
}
