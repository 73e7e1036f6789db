//! A config and a cache of computed results, kept in pickle files that a Python program
//! (`examples/config_cache.py`) also reads and writes.
//!
//! Both files carry a `version` field. Loading reads the pickle as a [`pypickle::Value`] first
//! and checks the version before the layout: a cache written by another version of the
//! programs is refused with an error that says so, instead of a confusing type error (or,
//! worse, a wrong reading). Files are written to a temporary name and renamed, so that a
//! reader never sees half of one.
//!
//! The example writes a config and a partial cache, lets Python compute the missing results
//! and update the cache, reads Python's update, and then shows an old (version 1) cache being
//! refused. Run with `cargo run --example config_cache` (needs python3 >= 3.8 on `PATH`).

use std::collections::BTreeMap;
use std::error::Error;
use std::fmt;
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

type Result<T> = std::result::Result<T, Box<dyn Error>>;

/// The layout version these programs read and write: bump it when `Config` or `Cache` change
/// (`VERSION` in config_cache.py too).
const VERSION: u32 = 2;

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Config {
    version: u32,
    name: String,
    /// The `(n, k)` whose binomial coefficient is wanted (a list of tuples in Python).
    inputs: Vec<(u32, u32)>,
    note: Option<String>,
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Cache {
    version: u32,
    updated_by: String,
    /// `comb(n, k)` by `(n, k)`: a dict with tuple keys in Python.
    results: BTreeMap<(u32, u32), u64>,
}

/// A file of another layout version than this program's.
#[derive(Debug)]
struct VersionError {
    path: PathBuf,
    found: pypickle::Value,
}

impl fmt::Display for VersionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} has version {}, this program reads version {VERSION}: it was written by \
             another version of the program; delete it to start afresh",
            self.path.display(),
            self.found
        )
    }
}

impl Error for VersionError {}

fn main() -> Result<()> {
    let dir = TempDir::new("pypickle-config-cache")?;
    let config_path = dir.0.join("config.pickle");
    let cache_path = dir.0.join("cache.pickle");

    // 1. Rust saves the config, and a cache holding the results it has computed so far.
    let config = Config {
        version: VERSION,
        name: "binomials".into(),
        inputs: vec![(10, 3), (20, 10), (52, 5), (60, 30)],
        note: None,
    };
    save(&config_path, &config)?;
    let cache = Cache {
        version: VERSION,
        updated_by: "rust".into(),
        results: config.inputs[..2]
            .iter()
            .map(|&(n, k)| ((n, k), comb(n, k)))
            .collect(),
    };
    save(&cache_path, &cache)?;
    println!("rust: saved {config:?}");
    println!("rust: saved {cache:?}");

    // 2. The Python program reads both, computes the missing results and saves the cache.
    python("update", &dir.0)?;

    // 3. Rust reads Python's update.
    let config_back: Config = load(&config_path)?;
    assert_eq!(config_back, config);
    let updated: Cache = load(&cache_path)?;
    println!("rust: loaded {updated:?}");
    assert_eq!(updated.updated_by, "python");
    assert_eq!(updated.results.len(), config.inputs.len());
    for &(n, k) in &config.inputs {
        assert_eq!(updated.results[&(n, k)], comb(n, k), "comb({n}, {k})");
    }

    // 4. A cache left by version 1 of the programs (its results were a list of rows) is
    //    refused by its version, and the program starts with an empty cache instead.
    let old_path = dir.0.join("old-cache.pickle");
    python("write-v1", &old_path)?;
    let cache = match load::<Cache>(&old_path) {
        Ok(cache) => cache,
        Err(e) if e.is::<VersionError>() => {
            println!("rust: refused: {e}");
            assert!(e
                .to_string()
                .contains("has version 1, this program reads version 2"));
            Cache {
                version: VERSION,
                updated_by: "rust".into(),
                results: BTreeMap::new(),
            }
        }
        Err(e) => return Err(e),
    };
    assert!(cache.results.is_empty());
    println!("ok: config and cache shared with Python; the old cache was refused");
    Ok(())
}

/// Reads a file written by [`save`] (or by config_cache.py), refusing another version with a
/// [`VersionError`] before its layout is looked at.
fn load<T: DeserializeOwned>(path: &Path) -> Result<T> {
    let value: pypickle::Value = pypickle::from_reader(BufReader::new(File::open(path)?))?;
    let found = &value["version"]; // `None` if there is no such key
    if found.as_i64() != Some(VERSION.into()) {
        let found = found.clone();
        return Err(VersionError {
            path: path.into(),
            found,
        }
        .into());
    }
    Ok(pypickle::from_value(value)?)
}

/// Writes `value` to `path.tmp`, then renames it to `path`.
fn save<T: Serialize>(path: &Path, value: &T) -> Result<()> {
    let tmp = path.with_extension("tmp");
    pypickle::to_writer(File::create(&tmp)?, value)?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}

/// The binomial coefficient, exactly (it fits in a u64 for every input used here).
fn comb(n: u32, k: u32) -> u64 {
    let mut c: u128 = 1;
    for i in 0..u128::from(k) {
        c = c * (u128::from(n) - i) / (i + 1);
    }
    c as u64
}

/// Runs `python3 examples/config_cache.py MODE PATH`; its output goes to ours.
fn python(mode: &str, path: &Path) -> Result<()> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/config_cache.py");
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
