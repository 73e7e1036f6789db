//! Running python3 from the tests: a script's output, and the hex its lines carry. Included
//! with `mod py_common;` by the test files that use it.
#![allow(dead_code)]

/// What `python3 -c script` printed; a failed run fails the test with Python's stderr.
pub fn python(script: &str) -> String {
    let out = std::process::Command::new("python3")
        .args(["-c", script])
        .env("PYTHONINTMAXSTRDIGITS", "0")
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "python3 failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("python3 printed UTF-8")
}

/// The bytes of a hex string as `bytes.hex()` writes it.
pub fn unhex(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex"))
        .collect()
}

/// The hex of `bytes`, for `bytes.fromhex` in a script.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// For each line `hex len` of `text` (a pickled set and how many items CPython's set kept):
/// the pickle read as a `Value`, as `Vec<Value>`, as `Vec<IgnoredAny>` and through
/// `from_value` holds `len` items each time.
pub fn assert_set_lengths(text: &str) {
    use pypickle::Value;
    for line in text.lines() {
        let (hexed, len) = line.split_once(' ').unwrap();
        let b = unhex(hexed);
        let len: usize = len.parse().unwrap();
        let v: Value = pypickle::from_slice(&b).unwrap();
        match &v {
            Value::Set(items) | Value::FrozenSet(items) => assert_eq!(items.len(), len, "{v}"),
            other => panic!("{other}"),
        }
        assert_eq!(
            pypickle::from_slice::<Vec<Value>>(&b).unwrap().len(),
            len,
            "{v}"
        );
        assert_eq!(
            pypickle::from_slice::<Vec<serde::de::IgnoredAny>>(&b)
                .unwrap()
                .len(),
            len,
            "{v}"
        );
        assert_eq!(pypickle::from_value::<Vec<Value>>(v).unwrap().len(), len);
    }
}

/// The Pythons with numpy that `PYPICKLE_NUMPY_PYTHONS` lists (`:`-separated). Unset, the
/// live numpy tests do not run, but under CI, which must run them, the test fails.
pub fn numpy_pythons() -> Vec<String> {
    match std::env::var("PYPICKLE_NUMPY_PYTHONS") {
        Ok(s) if !s.is_empty() => s.split(':').map(str::to_string).collect(),
        _ => {
            assert!(
                std::env::var_os("CI").is_none(),
                "PYPICKLE_NUMPY_PYTHONS must name Pythons with numpy under CI (.ci/run sets it)"
            );
            eprintln!("numpy interop not run: set PYPICKLE_NUMPY_PYTHONS (see .ci/run)");
            Vec::new()
        }
    }
}

/// Run `python` with `args`, `input` (text or bytes) on its standard input; its standard
/// output. A failed run fails the test.
pub fn run_python(python: &str, args: &[&str], input: impl Into<Vec<u8>>) -> String {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new(python)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{python}: {e}"));
    let mut stdin = child.stdin.take().unwrap();
    let input = input.into();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(out.status.success(), "{python} {args:?}: {:?}", out.status);
    String::from_utf8(out.stdout).unwrap()
}
