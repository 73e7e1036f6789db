//! CPython as the oracle for the class tests: `python_fixtures/class_oracle.py` with the
//! classes of `python_fixtures/classes/pypickle_classes.py`.
#![allow(dead_code)]

use std::io::Write;
use std::process::{Command, Stdio};

/// Run the oracle over `lines`, one output line per input line.
pub fn oracle(mode: &str, lines: &[String]) -> Vec<String> {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/python_fixtures/class_oracle.py"
    );
    let mut child = Command::new("python3")
        .arg(script)
        .arg(mode)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 must be installed: these tests compare with CPython");
    let mut input = child.stdin.take().unwrap();
    let text = lines.join("\n") + "\n";
    let writer = std::thread::spawn(move || input.write_all(text.as_bytes()));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(out.status.success(), "class_oracle.py {mode} failed");
    let out = String::from_utf8(out.stdout).unwrap();
    let got: Vec<String> = out.lines().map(str::to_string).collect();
    assert_eq!(got.len(), lines.len(), "one output line per input: {out}");
    got
}

pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

pub fn unhex(s: &str) -> Vec<u8> {
    assert!(!s.starts_with("ERR"), "CPython failed: {s}");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}
