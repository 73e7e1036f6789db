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
        let label = format!("{file} [{encoding}]");
        let from_slice = pypickle::from_slice_with::<Value>(&bytes, &opts);
        let from_reader = pypickle::from_reader_with::<_, Value>(&bytes[..], &opts);
        compare(&label, repr, from_slice, from_reader, &mut failures);
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

/// What CPython 3.14 writes (`python_fixtures/py314/pickles.tsv`, by `python314.py` under
/// CPython 3.14.2; CI has no 3.14): plain data and the standard library's types at every
/// protocol read, with the default options, as the `repr()` 3.14 printed for them (in 3.11's
/// form for an `OrderedDict`, which `Display` follows), through `from_slice` and `from_reader`.
#[test]
fn pickles_cpython_3_14_writes_read_as_it_reads_them() {
    let tsv = include_str!("../python_fixtures/py314/pickles.tsv");
    let mut lines = tsv.lines();
    let header = lines.next().unwrap();
    assert!(header.starts_with("# 3.14."), "written by {header}");
    let mut checked = 0;
    let mut failures = Vec::new();
    for line in lines {
        let cols: Vec<&str> = line.split('\t').collect();
        let [name, proto, hex, repr] = cols[..] else {
            panic!("bad fixture line {line:?}")
        };
        let bytes: Vec<u8> = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
            .collect();
        let from_slice = pypickle::from_slice::<Value>(&bytes);
        let from_reader = pypickle::from_reader::<_, Value>(&bytes[..]);
        let label = format!("{name} at protocol {proto}");
        compare(&label, repr, from_slice, from_reader, &mut failures);
        checked += 1;
    }
    assert!(checked >= 130, "only {checked} cases");
    assert!(
        failures.is_empty(),
        "{} of {checked} cases differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// A failure for each of `from_slice` and `from_reader` whose `Value` does not print as
/// `repr`.
fn compare(
    label: &str,
    repr: &str,
    from_slice: pypickle::Result<Value>,
    from_reader: pypickle::Result<Value>,
    failures: &mut Vec<String>,
) {
    for (how, got) in [("from_slice", from_slice), ("from_reader", from_reader)] {
        match got.map(|v| v.to_string()) {
            Ok(got) if got == repr => {}
            Ok(got) => failures.push(format!(
                "{label}, {how}: got {}, CPython {}",
                short(&got),
                short(repr)
            )),
            Err(e) => failures.push(format!("{label}, {how}: error {e}")),
        }
    }
}
