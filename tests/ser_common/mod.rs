//! Shared by the serializer tests: a python3 process that loads our pickles and answers with
//! `repr()` and a re-dump (python_fixtures/ser_echo.py).

#![allow(dead_code)]

use std::io::{BufReader, Read, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

/// What CPython made of a pickle.
pub struct Echo {
    /// `repr()` of the loaded object.
    pub repr: String,
    /// `pickle.dumps(obj, protocol)` of it.
    pub redump: Vec<u8>,
}

/// One python3 process serving many requests.
pub struct Python {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
}

impl Python {
    pub fn start() -> Python {
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("python_fixtures/ser_echo.py");
        let mut child = Command::new("python3")
            .arg(script)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("these tests need python3 on PATH");
        let stdin = child.stdin.take();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        Python {
            child,
            stdin,
            stdout,
        }
    }

    /// Load `pickle` in CPython; re-dump at `proto`. `Err` holds CPython's exception.
    pub fn echo(&mut self, proto: u8, pickle: &[u8]) -> Result<Echo, String> {
        let stdin = self.stdin.as_mut().unwrap();
        stdin.write_all(&[proto]).unwrap();
        stdin
            .write_all(&(pickle.len() as u32).to_le_bytes())
            .unwrap();
        stdin.write_all(pickle).unwrap();
        stdin.flush().unwrap();
        let mut status = [0u8; 1];
        self.stdout.read_exact(&mut status).unwrap();
        let text = String::from_utf8(self.read_block()).unwrap();
        let redump = self.read_block();
        if status[0] == 0 {
            Ok(Echo { repr: text, redump })
        } else {
            Err(text)
        }
    }

    fn read_block(&mut self) -> Vec<u8> {
        let mut n = [0u8; 4];
        self.stdout.read_exact(&mut n).unwrap();
        let mut v = vec![0u8; u32::from_le_bytes(n) as usize];
        self.stdout.read_exact(&mut v).unwrap();
        v
    }
}

impl Drop for Python {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let _ = self.child.wait();
    }
}

/// Run a python3 snippet and return its stdout bytes.
pub fn python_output(code: &str) -> Vec<u8> {
    let out = Command::new("python3")
        .arg("-c")
        .arg(code)
        .output()
        .expect("these tests need python3 on PATH");
    assert!(
        out.status.success(),
        "python3 failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Where two byte strings first differ, for short failure messages.
pub fn first_difference(got: &[u8], want: &[u8]) -> String {
    let at = got.iter().zip(want).take_while(|(a, b)| a == b).count();
    let lo = at.saturating_sub(16);
    let show = |b: &[u8]| {
        format!(
            "{:?}",
            String::from_utf8_lossy(&b[lo..(at + 16).min(b.len())])
        )
    };
    format!(
        "lengths {} vs {}, first difference at byte {at}: {} vs {}",
        got.len(),
        want.len(),
        show(got),
        show(want)
    )
}

/// Records of `u16 name length, name, u8 protocol, u32 pickle length, pickle` (all little-endian),
/// as the fixture scripts write them: `(name, protocol, pickle)`.
pub fn named_pickles(mut rest: &[u8]) -> Vec<(String, u8, Vec<u8>)> {
    let mut out = Vec::new();
    while !rest.is_empty() {
        let n = u16::from_le_bytes([rest[0], rest[1]]) as usize;
        let name = String::from_utf8(rest[2..2 + n].to_vec()).unwrap();
        rest = &rest[2 + n..];
        let proto = rest[0];
        let len = u32::from_le_bytes(rest[1..5].try_into().unwrap()) as usize;
        out.push((name, proto, rest[5..5 + len].to_vec()));
        rest = &rest[5 + len..];
    }
    out
}
