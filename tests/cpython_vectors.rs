//! CPython's own unpickling conformance vectors (extracted from `test/pickletester.py` by
//! `python_fixtures/cpython_vectors.py`): what CPython loads as plain data we load with the same
//! `repr()`; what it loads as objects we load inertly (or refuse on purpose); what it refuses we
//! refuse.

use std::fs;
use std::path::PathBuf;

use pypickle::{Category, DeOptions, Py2Strings, Value};

struct Vector {
    file: String,
    test: String,
    encoding: String,
    ok: bool,
    plain: bool,
    expected: String,
}

fn vectors() -> (PathBuf, Vec<Vector>) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("python_fixtures/cpython_vectors");
    let index = fs::read_to_string(dir.join("index.tsv")).unwrap();
    let v = index
        .lines()
        .map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            Vector {
                file: c[0].into(),
                test: c[1].into(),
                encoding: c[2].into(),
                ok: c[3] == "ok",
                plain: c[4] == "plain",
                expected: c[6].into(),
            }
        })
        .collect();
    (dir, v)
}

fn options(encoding: &str) -> DeOptions {
    let how = match encoding {
        "bytes" => Py2Strings::Bytes,
        "latin1" => Py2Strings::Latin1,
        _ => Py2Strings::Ascii,
    };
    DeOptions::new().py2_strings(how)
}

#[test]
fn plain_vectors_load_with_cpythons_repr() {
    let (dir, vs) = vectors();
    let mut n = 0;
    for v in vs.iter().filter(|v| v.ok && v.plain) {
        let bytes = fs::read(dir.join(&v.file)).unwrap();
        // Like pickle.loads, read one pickle and ignore what follows it.
        let got = pypickle::Deserializer::from_slice(&bytes)
            .with_options(options(&v.encoding))
            .next_value::<Value>()
            .unwrap_or_else(|e| panic!("{} ({}): {e}", v.file, v.test))
            .unwrap();
        assert_eq!(got.to_string(), v.expected, "{} ({})", v.file, v.test);
        n += 1;
    }
    assert!(n >= 30, "{n}");
}

#[test]
fn object_vectors_load_inertly_or_are_refused_on_purpose() {
    let (dir, vs) = vectors();
    let opts = DeOptions::new()
        .record_unknown_globals(true)
        .py2_strings(Py2Strings::Latin1);
    let (mut loaded, mut refused, mut by_default) = (0, Vec::new(), 0);
    for v in vs.iter().filter(|v| v.ok && !v.plain) {
        let bytes = fs::read(dir.join(&v.file)).unwrap();
        match pypickle::from_slice_with::<Value>(&bytes, &opts) {
            Ok(_) => loaded += 1,
            Err(e) if e.category() == Category::Refused => refused.push(format!("{} {e}", v.file)),
            Err(e) => panic!("{} ({}): {e}", v.file, v.test),
        }
        // Loaded by default only when every class is on the standard library allowlist
        // (range, built-in exceptions, ...), and then with CPython's repr; the policy refuses
        // other classes.
        if let Ok(got) = pypickle::from_slice_with::<Value>(&bytes, &options(&v.encoding)) {
            assert_eq!(got.to_string(), v.expected, "{} loaded by default", v.file);
            by_default += 1;
        }
    }
    // Only globals on the dangerous list may be refused in record mode.
    for r in &refused {
        assert!(r.contains("can run code"), "{r}");
    }
    assert!(loaded >= 60, "{loaded} loaded, refused: {refused:?}");
    // 48 of 64: Python 2 exceptions and xrange; the __main__ classes stay refused.
    assert!(
        (40..loaded).contains(&by_default),
        "{by_default} of {loaded} loaded by default"
    );
}

#[test]
fn vectors_cpython_refuses_are_refused() {
    let (dir, vs) = vectors();
    let opts = DeOptions::new().record_unknown_globals(true);
    let mut n = 0;
    let mut bad = Vec::new();
    for v in vs.iter().filter(|v| !v.ok) {
        let bytes = fs::read(dir.join(&v.file)).unwrap();
        let r = pypickle::Deserializer::from_slice(&bytes)
            .with_options(opts.clone())
            .next_value::<Value>();
        match r {
            // pickle.loads(b'') raises EOFError; a stream reader reports the end of input.
            Ok(None) if bytes.is_empty() => {}
            Ok(got) => bad.push(format!(
                "{} ({}) loaded as {:?} but CPython raises {}",
                v.file,
                v.test,
                got.map(|g| g.to_string()),
                v.expected
            )),
            Err(e) if e.offset().is_none() => bad.push(format!("{}: no offset in {e}", v.file)),
            Err(_) => {}
        }
        n += 1;
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
    assert!(n > 150, "{n}");
}
