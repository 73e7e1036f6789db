//! The benchmarks' side of the CPython timing servers (`python_fixtures/bench_cpython.py
//! --serve DIR`, `python_fixtures/bench_cpython_dumps.py --serve`), in one place for
//! `benches/decode.rs` and `benches/encode.rs`. Included with `#[path]`.
//!
//! A server is started once and then asked, one line at a time, to time one `pickle.loads` or
//! `pickle.dumps`; the benchmark sends these requests from its rounds, between its Rust cases,
//! so that CPython is timed in the same phases of a shared machine as they are. The time is the
//! one Python measured around the call itself (`time.perf_counter`), not the round trip.
//!
//! A server that stops answering (a hung interpreter, a swapping machine) is killed after
//! [`START_TIMEOUT`] or [`ANSWER_TIMEOUT`], and its rows report why, rather than the benchmark
//! hanging.
#![allow(dead_code)]

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::Duration;

/// How long a server may take to read its inputs, warm up and say `ready`.
pub const START_TIMEOUT: Duration = Duration::from_secs(600);

/// How long a server may take to answer one request (one timed call and its reply).
pub const ANSWER_TIMEOUT: Duration = Duration::from_secs(120);

/// One answer of a server: how long the timed call took, and the size of its input (`loads`)
/// or output (`dumps`), for a check.
pub struct Reply {
    pub took: Duration,
    pub bytes: usize,
}

pub struct Server {
    /// The script's file name, for messages.
    name: String,
    child: Child,
    stdin: Option<ChildStdin>,
    /// The server's stdout, line by line, from a reader thread: a channel can be waited on
    /// with a timeout, a pipe cannot.
    lines: Receiver<std::io::Result<String>>,
    /// Collects the server's stderr (a traceback if it dies), so that a chatty server cannot
    /// block on a full pipe.
    stderr: Option<JoinHandle<String>>,
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
        let mut child = Command::new("python3")
            .arg(script)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("python3: {e}"))?;
        let stdin = child.stdin.take();
        let mut stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
        let (send, lines) = mpsc::channel();
        // Ends when the server closes its stdout (it exited or was killed) or the receiver is
        // gone.
        std::thread::spawn(move || loop {
            let mut l = String::new();
            let line = match stdout.read_line(&mut l) {
                Ok(0) => break,
                Ok(_) => Ok(l),
                Err(e) => Err(e),
            };
            let failed = line.is_err();
            if send.send(line).is_err() || failed {
                break;
            }
        });
        let mut err = child.stderr.take().expect("piped stderr");
        let stderr = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = err.read_to_string(&mut s);
            s
        });
        let mut server = Server {
            name,
            child,
            stdin,
            lines,
            stderr: Some(stderr),
            dead: None,
        };
        match server.line(START_TIMEOUT)?.as_str() {
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
        let line = self.line(ANSWER_TIMEOUT)?;
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

    /// The next line the server writes within `timeout`, or why there is none. A server that
    /// does not answer in time is killed, and so gone for good.
    fn line(&mut self, timeout: Duration) -> Result<String, String> {
        match self.lines.recv_timeout(timeout) {
            Ok(Ok(l)) => Ok(l.trim_end().to_string()),
            Ok(Err(e)) => Err(format!("{}: reading its answer: {e}", self.name)),
            Err(RecvTimeoutError::Disconnected) => Err(self.died()),
            Err(RecvTimeoutError::Timeout) => {
                let _ = self.child.kill();
                let why = format!("{}: no answer within {timeout:?}; killed", self.name);
                self.died();
                self.dead = Some(why.clone());
                Err(why)
            }
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
        let stderr = self
            .stderr
            .take()
            .and_then(|h| h.join().ok())
            .unwrap_or_default();
        let last = stderr.lines().last().unwrap_or("").trim();
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
        if let Some(h) = self.stderr.take() {
            let _ = h.join();
        }
    }
}
