//! `pickle.dump` and `pickle.load` with files, from Rust, and Python reading what Rust wrote:
//!
//! 1. Rust writes a struct (nested lists, dicts, a tuple, an `Option`, bytes) to a file with
//!    `pypickle::to_writer`, as `pickle.dump(data, f)` would; python3 loads it with
//!    `pickle.load` and checks it.
//! 2. Python writes a file with `pickle.dump`; Rust reads it with `pypickle::from_reader`.
//! 3. Several pickles appended to one file (Rust writes three, Python appends two more), read
//!    back one after another by a `pypickle::Deserializer`, as repeated `pickle.load(f)` does.
//!
//! The Python half is `examples/file_roundtrip.py`. Run with
//! `cargo run --example file_roundtrip` (needs python3 >= 3.8 on `PATH`).

use std::collections::BTreeMap;
use std::error::Error;
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::{Deserialize, Serialize};

type Result<T> = std::result::Result<T, Box<dyn Error>>;

/// An experiment record; Python sees it as a dict with these keys.
#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Experiment {
    name: String,
    samples: Vec<f64>,             // list of floats
    params: BTreeMap<String, i64>, // dict
    shape: (u32, u32),             // tuple
    notes: Option<String>,         // str or None
    #[serde(with = "serde_bytes")]
    checksum: Vec<u8>, // bytes (without serde_bytes, a Vec<u8> is a list of ints)
    runs: Vec<Run>,                // list of dicts
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Run {
    seed: u64,
    score: Option<f64>,
    tags: Vec<String>,
}

/// One entry of an append-only log file.
#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Event {
    seq: u32,
    level: String,
    message: String,
}

fn main() -> Result<()> {
    let dir = TempDir::new("pypickle-file-roundtrip")?;

    // 1. Rust writes, Python reads.
    //    with open("experiment.pickle", "wb") as f: pickle.dump(experiment, f)
    let path = dir.0.join("experiment.pickle");
    let experiment = Experiment {
        name: "baseline".into(),
        samples: vec![0.5, 1.25, 2.0],
        params: BTreeMap::from([("batch".into(), 32), ("epochs".into(), 10)]),
        shape: (28, 28),
        notes: None,
        checksum: vec![0x00, 0x01, 0xfe, 0xff],
        runs: vec![
            Run {
                seed: 1,
                score: Some(0.91),
                tags: vec!["fast".into(), "gpu".into()],
            },
            Run {
                seed: 2,
                score: None,
                tags: vec![],
            },
        ],
    };
    pypickle::to_writer(File::create(&path)?, &experiment)?;
    println!(
        "rust: to_writer -> {} ({} bytes)",
        path.display(),
        path.metadata()?.len()
    );
    // Reading it back in Rust gives the same struct...
    let back: Experiment = pypickle::from_reader(BufReader::new(File::open(&path)?))?;
    assert_eq!(back, experiment);
    // ...and Python's pickle.load gives the dict it expects (the script asserts it).
    python("check", &path)?;

    // 2. Python writes, Rust reads.
    //    with open("from_python.pickle", "rb") as f: data = pickle.load(f)
    let path = dir.0.join("from_python.pickle");
    python("write", &path)?;
    let theirs: Experiment = pypickle::from_reader(BufReader::new(File::open(&path)?))?;
    println!("rust: from_reader -> {theirs:?}");
    assert_eq!(
        theirs,
        Experiment {
            name: "tuned".into(),
            samples: vec![1.0, -0.5],
            params: BTreeMap::from([("lr_milli".into(), 3)]),
            shape: (3, 4),
            notes: Some("written by pickle.dump".into()),
            checksum: vec![0, 1, 2, 3],
            runs: vec![Run {
                seed: 7,
                score: Some(0.5),
                tags: vec!["python".into()],
            }],
        }
    );
    // Without a Rust type for it: a Value, printed as Python's repr().
    let value: pypickle::Value = pypickle::from_reader(BufReader::new(File::open(&path)?))?;
    println!("rust: as a Value -> {value}");
    assert_eq!(value["shape"].to_string(), "(3, 4)");

    // 3. Several pickles in one file: pickle.dump(event, f) again and again, then Python
    //    appends two more, then repeated pickle.load(f) until the end of the file.
    let path = dir.0.join("events.pickle");
    let mut ser = pypickle::Serializer::new(File::create(&path)?);
    for (seq, message) in [(1, "started"), (2, "loaded 3 files"), (3, "done")] {
        let level = "info".into();
        ser.dump(&Event {
            seq,
            level,
            message: message.into(),
        })?;
    }
    drop(ser); // closes the file; each dump handed its whole pickle to it
    println!("rust: dumped 3 events to {}", path.display());
    python("append", &path)?;
    // A BufReader matters here: the deserializer never reads past a pickle's STOP, so without
    // one it would read the file a few bytes at a time.
    let file = BufReader::new(File::open(&path)?);
    let events = pypickle::Deserializer::from_reader(file)
        .into_iter::<Event>()
        .collect::<pypickle::Result<Vec<_>>>()?;
    for event in &events {
        println!("rust: stream item {event:?}");
    }
    let seqs: Vec<u32> = events.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, [1, 2, 3, 4, 5]);
    assert_eq!(events[4].message, "protocol 2");
    println!("ok: Rust and Python read each other's pickle files");
    Ok(())
}

/// Runs `python3 examples/file_roundtrip.py MODE PATH`; its output goes to ours.
fn python(mode: &str, path: &Path) -> Result<()> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/file_roundtrip.py");
    let status = Command::new("python3")
        .arg(&script)
        .arg(mode)
        .arg(path)
        .status()
        .map_err(|e| format!("cannot run python3 (is Python 3.8+ installed?): {e}"))?;
    if !status.success() {
        let (script, path) = (script.display(), path.display());
        return Err(format!("python3 {script} {mode} {path} failed: {status}").into());
    }
    Ok(())
}

/// A directory under the system's temp dir, removed with everything in it when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(prefix: &str) -> Result<TempDir> {
        let path = std::env::temp_dir().join(format!("{prefix}-{}", std::process::id()));
        std::fs::create_dir_all(&path)?;
        Ok(TempDir(path))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
