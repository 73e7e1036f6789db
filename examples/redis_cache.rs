//! Pickled values in a real Redis server, shared with Python: Rust stores a struct as a pickle
//! that Python's `redis` client reads with `pickle.loads`, and reads a value Python stored with
//! `pickle.dumps` (`examples/redis_cache.py` is the Python side).
//!
//! Needs a Redis server and a Python with the `redis` package:
//!
//! ```sh
//! apt-get install redis-server && redis-server --port 6379 --daemonize yes
//! python3 -m venv /tmp/redis-venv && /tmp/redis-venv/bin/pip install redis
//! PYPICKLE_REDIS_PYTHON=/tmp/redis-venv/bin/python cargo run --example redis_cache
//! ```
//!
//! `REDIS_URL` chooses the server (default `redis://127.0.0.1:6379`) and
//! `PYPICKLE_REDIS_PYTHON` the Python (default `python3`). Without a server or the Python
//! client the example fails with a message saying how to get them; under `cargo test` it is
//! skipped with that message instead, unless `CI=true`.

use std::error::Error;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use redis::Commands;
use serde::{Deserialize, Serialize};

type Result<T> = std::result::Result<T, Box<dyn Error>>;

/// A login session, cached by a Rust service for a Python one.
#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Session {
    user_id: u64,
    name: String,
    roles: Vec<String>,
    expires_at: f64,
    #[serde(with = "serde_bytes")]
    token: Vec<u8>,
    last_ip: Option<String>,
}

/// A query result a Python job cached: `{'query': ..., 'rows': [(1, 'ada', 9.5), ...], ...}`.
#[derive(Deserialize, Debug, PartialEq)]
struct QueryResult {
    query: String,
    rows: Vec<(u32, String, f64)>,
    computed_at: f64,
}

fn main() -> Result<()> {
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let python = std::env::var("PYPICKLE_REDIS_PYTHON").unwrap_or_else(|_| "python3".into());
    let mut conn = match connect(&url, &python) {
        Ok(conn) => conn,
        // `cargo test` runs this example too (Cargo.toml: `test = true`); there a missing
        // server is a skip, except in CI, which must run it.
        Err(e) if cfg!(test) && std::env::var("CI").as_deref() != Ok("true") => {
            println!("redis_cache skipped (set CI=true to make this a failure): {e}");
            return Ok(());
        }
        Err(e) => return Err(e),
    };
    // Keys of this run only, so that runs side by side do not meet.
    let prefix = format!("pypickle-example:{}", std::process::id());

    // 1. Rust stores a pickle; Python reads it with pickle.loads(r.get(key)).
    let session = Session {
        user_id: 42,
        name: "ada".into(),
        roles: vec!["admin".into(), "ops".into()],
        expires_at: 1767225600.0,
        token: vec![0x8f, 0x00, 0x13, 0xff],
        last_ip: None,
    };
    let key = format!("{prefix}:session:42");
    let bytes = pypickle::to_vec(&session)?;
    let () = conn.set_ex(&key, &bytes, 300)?; // expires in 5 minutes, as cache entries do
    println!(
        "rust: SET {key} ({} bytes, protocol 4), expires in 300 s",
        bytes.len()
    );
    python_script(&python, &["read", &url, &key])?;

    // 2. Python stores r.set(key, pickle.dumps(...)); Rust reads it.
    let key = format!("{prefix}:query:top-users");
    python_script(&python, &["write", &url, &key])?;
    let bytes: Option<Vec<u8>> = conn.get(&key)?;
    let bytes = bytes.ok_or_else(|| format!("no value under {key}"))?;
    let result: QueryResult = pypickle::from_slice(&bytes)?;
    println!("rust: GET {key} -> {result:?}");
    assert_eq!(
        result,
        QueryResult {
            query: "top users".into(),
            rows: vec![(1, "ada".into(), 9.5), (2, "bob".into(), 7.25)],
            computed_at: 1700000000.5,
        }
    );
    // The same bytes as a Value print as Python's repr().
    let value: pypickle::Value = pypickle::from_slice(&bytes)?;
    println!("rust: as a Value -> {value}");
    assert_eq!(value["rows"][1].to_string(), "(2, 'bob', 7.25)");

    let removed: usize = conn.del(&[format!("{prefix}:session:42"), key])?;
    assert_eq!(removed, 2);
    println!("ok: Rust and Python shared pickled values through Redis at {url}");
    Ok(())
}

/// A connection to the server at `url`, once it and the Python client both answer; the error
/// says how to get whichever is missing.
fn connect(url: &str, python: &str) -> Result<redis::Connection> {
    let how = "start one with `redis-server --port 6379 --daemonize yes` (Debian: `apt-get \
               install redis-server`), or point REDIS_URL at one";
    let client = redis::Client::open(url).map_err(|e| format!("bad REDIS_URL {url:?}: {e}"))?;
    let mut conn = client
        .get_connection_with_timeout(Duration::from_secs(2))
        .map_err(|e| format!("no Redis server answers at {url} ({e}): {how}"))?;
    redis::cmd("PING")
        .query::<String>(&mut conn)
        .map_err(|e| format!("{url} does not answer PING ({e}): {how}"))?;
    python_script(python, &["ping", url])?;
    Ok(conn)
}

/// Runs `PYTHON examples/redis_cache.py ARGS...`; its output goes to ours.
fn python_script(python: &str, args: &[&str]) -> Result<()> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/redis_cache.py");
    let status = Command::new(python)
        .arg(&script)
        .args(args)
        .status()
        .map_err(|e| format!("cannot run {python} (set PYPICKLE_REDIS_PYTHON): {e}"))?;
    match status.code() {
        Some(0) => Ok(()),
        // The script has said which package is missing.
        Some(3) => Err(format!("{python} has no `redis` package (see above)").into()),
        _ => Err(format!("{} {args:?} failed: {status}", script.display()).into()),
    }
}
