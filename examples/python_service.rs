//! A Rust client and a Python service exchanging dicts and lists as pickles over a local TCP
//! socket: requests, replies, and an error reply turned into a Rust error.
//!
//! Framing, both ways: each message is a 4-byte big-endian length N followed by N bytes holding
//! one pickle (any protocol; both sides write 4). Every request gets exactly one reply,
//! `{'ok': True, 'result': ...}` or `{'ok': False, 'error': '...'}`.
//!
//! The example starts `examples/python_service.py` as a child process, reads the ephemeral port
//! it prints, talks to it, closes the connection and waits for it to exit (killing it if the
//! example fails half-way). Run with `cargo run --example python_service` (needs python3 >= 3.8
//! on `PATH`).

use std::collections::BTreeMap;
use std::error::Error;
use std::fmt;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

type Result<T> = std::result::Result<T, Box<dyn Error>>;

/// A request: a dict whose `op` key names the operation, as the service expects
/// (`{'op': 'stats', 'values': [...]}`).
#[derive(Serialize)]
#[serde(tag = "op", rename_all = "snake_case")]
enum Request<'a> {
    Stats { values: Vec<f64> },
    Group { items: Vec<Member<'a>> },
}

#[derive(Serialize)]
struct Member<'a> {
    team: &'a str,
    name: &'a str,
}

#[derive(Deserialize, Debug, PartialEq)]
struct Stats {
    count: usize,
    mean: f64,
    min: f64,
    max: f64,
}

/// The reply envelope: `result` on success, `error` otherwise (a key that is absent reads as
/// `None`).
#[derive(Deserialize)]
struct Reply<T> {
    ok: bool,
    result: Option<T>,
    error: Option<String>,
}

/// The service understood the request and refused it.
#[derive(Debug)]
struct ServiceError(String);

impl fmt::Display for ServiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the service replied with an error: {}", self.0)
    }
}

impl Error for ServiceError {}

/// A message may be at most this long (a corrupt length prefix must not allocate 4 GiB).
const MAX_MESSAGE: usize = 16 << 20;

fn main() -> Result<()> {
    let mut service = Service::start()?;
    println!("rust: service listening on port {}", service.port);
    let mut conn = TcpStream::connect(("127.0.0.1", service.port))?;
    conn.set_read_timeout(Some(Duration::from_secs(10)))?;

    // A list in, a dict out.
    let request = Request::Stats {
        values: vec![3.0, 1.0, 4.0, 1.0, 5.0],
    };
    let stats: Stats = call(&mut conn, &request)?;
    println!("rust: stats -> {stats:?}");
    assert_eq!(
        stats,
        Stats {
            count: 5,
            mean: 2.8,
            min: 1.0,
            max: 5.0
        }
    );

    // A list of dicts in, a dict of lists out.
    let items = [("red", "ada"), ("blue", "bob"), ("red", "cy")]
        .map(|(team, name)| Member { team, name })
        .into();
    let groups: BTreeMap<String, Vec<String>> = call(&mut conn, &Request::Group { items })?;
    println!("rust: group -> {groups:?}");
    assert_eq!(groups["red"], ["ada", "cy"]);
    assert_eq!(groups["blue"], ["bob"]);

    // Bad requests: the service replies with an error dict, which `call` turns into a
    // ServiceError. A request the Rust types cannot express goes as a Value.
    let unknown = pypickle::pickle_value!({"op": "median", "values": [1, 2]});
    let err = call::<_, pypickle::Value>(&mut conn, &unknown).unwrap_err();
    println!("rust: median -> error: {err}");
    assert!(err.is::<ServiceError>());
    assert!(err.to_string().contains("ValueError: unknown op 'median'"));

    let empty = Request::Stats { values: vec![] };
    let err = call::<_, Stats>(&mut conn, &empty).unwrap_err();
    println!("rust: stats of nothing -> error: {err}");
    assert!(err.to_string().contains("StatisticsError"));

    // The connection still works after an error reply.
    let stats: Stats = call(&mut conn, &Request::Stats { values: vec![2.0] })?;
    assert_eq!(stats.count, 1);

    // Closing the connection ends the service.
    drop(conn);
    service.wait(Duration::from_secs(10))?;
    println!("ok: requests, replies and error replies exchanged; the service exited");
    Ok(())
}

/// Sends one request and reads its reply: `result` as a `T`, or the `error` as a
/// [`ServiceError`].
fn call<Req: Serialize, T: DeserializeOwned>(conn: &mut TcpStream, request: &Req) -> Result<T> {
    send(conn, request)?;
    let reply: Reply<T> = receive(conn)?;
    match (reply.ok, reply.result, reply.error) {
        (true, Some(result), _) => Ok(result),
        (false, _, Some(error)) => Err(ServiceError(error).into()),
        _ => Err("malformed reply: neither a result nor an error".into()),
    }
}

/// Writes one message: the pickle's length as 4 bytes big-endian, then the pickle.
fn send<T: Serialize>(conn: &mut impl Write, message: &T) -> Result<()> {
    let pickle = pypickle::to_vec(message)?;
    let len = u32::try_from(pickle.len())?;
    conn.write_all(&len.to_be_bytes())?;
    conn.write_all(&pickle)?;
    Ok(())
}

/// Reads one message written by [`send`] (or by the service's `send_message`).
fn receive<T: DeserializeOwned>(conn: &mut impl Read) -> Result<T> {
    let mut len = [0; 4];
    conn.read_exact(&mut len)?;
    let len = u32::from_be_bytes(len) as usize;
    if len > MAX_MESSAGE {
        return Err(
            format!("a message of {len} bytes is over the {MAX_MESSAGE}-byte limit").into(),
        );
    }
    let mut pickle = vec![0; len];
    conn.read_exact(&mut pickle)?;
    // The service is trusted less than it looks: the default options refuse any global a
    // pickle names outside the pure-data allowlist, and nothing is ever executed.
    Ok(pypickle::from_slice(&pickle)?)
}

/// The Python service as a child process; killed if dropped before it exits on its own.
struct Service {
    child: Child,
    port: u16,
}

impl Service {
    fn start() -> Result<Service> {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/python_service.py");
        let child = Command::new("python3")
            .arg(&script)
            .stdout(Stdio::piped()) // its first line is the port; its log goes to stderr
            .spawn()
            .map_err(|e| format!("cannot run python3 (is Python 3.8+ installed?): {e}"))?;
        // From here on, `service` kills the child if anything fails.
        let mut service = Service { child, port: 0 };
        let stdout = service.child.stdout.take().expect("stdout is piped");
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line)?;
        service.port = line
            .strip_prefix("PORT ")
            .and_then(|port| port.trim().parse().ok())
            .ok_or_else(|| format!("{} did not print its port: {line:?}", script.display()))?;
        Ok(service)
    }

    /// Waits for the service to exit by itself, and fails if it does not within `timeout` or
    /// exits with an error.
    fn wait(&mut self, timeout: Duration) -> Result<()> {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait()? {
                return if status.success() {
                    Ok(())
                } else {
                    Err(format!("the service exited with {status}").into())
                };
            }
            if start.elapsed() > timeout {
                return Err(format!("the service still runs after {timeout:?}").into());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        // Kill and reap it unless it has exited (killing an exited child is a harmless error).
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
