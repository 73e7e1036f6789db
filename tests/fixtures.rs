//! Every pickle CPython wrote in `python_fixtures/data/` decodes to a `Value` whose `Display` is
//! the `repr()` CPython printed for it, through both `from_slice` and `from_reader`.

use std::fs;
use std::path::PathBuf;

use pypickle::{DeOptions, Py2Strings, Value};

fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("python_fixtures/data")
}

fn options(encoding: &str) -> DeOptions {
    let how = match encoding {
        "ASCII" => Py2Strings::Ascii,
        "latin1" => Py2Strings::Latin1,
        "bytes" => Py2Strings::Bytes,
        "utf-8" => Py2Strings::Utf8,
        other => panic!("unknown encoding {other} in the manifest"),
    };
    DeOptions::new().py2_strings(how)
}

#[test]
fn every_fixture_reprs_like_cpython() {
    let manifest = fs::read_to_string(data_dir().join("manifest.tsv"))
        .expect("run python_fixtures/generate.py");
    let mut checked = 0;
    let mut failures = Vec::new();
    for line in manifest.lines() {
        let mut cols = line.splitn(3, '\t');
        let (file, encoding, repr) = (
            cols.next().unwrap(),
            cols.next().unwrap(),
            cols.next().unwrap(),
        );
        let bytes = fs::read(data_dir().join(file)).unwrap();
        let opts = options(encoding);
        match pypickle::from_slice_with::<Value>(&bytes, &opts).map(|v| v.to_string()) {
            Ok(got) if got == repr => {}
            Ok(got) => failures.push(format!(
                "{file} [{encoding}]: got {}, CPython {}",
                short(&got),
                short(repr)
            )),
            Err(e) => failures.push(format!("{file} [{encoding}]: error {e}")),
        }
        match pypickle::from_reader_with::<_, Value>(&bytes[..], &opts).map(|v| v.to_string()) {
            Ok(got) if got == repr => {}
            Ok(_) => failures.push(format!("{file} [{encoding}]: from_reader differs")),
            Err(e) => failures.push(format!("{file} [{encoding}]: from_reader error {e}")),
        }
        checked += 1;
    }
    assert!(checked > 800, "only {checked} fixtures");
    assert!(
        failures.is_empty(),
        "{} of {checked} fixtures differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn fixtures_cpython_refuses_are_refused() {
    let errors = fs::read_to_string(data_dir().join("errors.tsv")).unwrap();
    let mut n = 0;
    for line in errors.lines() {
        let mut cols = line.split('\t');
        let (file, encoding) = (cols.next().unwrap(), cols.next().unwrap());
        let bytes = fs::read(data_dir().join(file)).unwrap();
        let r = pypickle::from_slice_with::<Value>(&bytes, &options(encoding));
        assert!(
            r.is_err(),
            "{file} [{encoding}] decoded to {} but CPython refuses it",
            r.unwrap()
        );
        n += 1;
    }
    assert!(n > 0);
}

fn short(s: &str) -> String {
    if s.len() > 300 {
        format!(
            "{}... ({} chars)",
            &s[..s.char_indices().nth(300).map_or(s.len(), |(i, _)| i)],
            s.len()
        )
    } else {
        s.to_string()
    }
}
