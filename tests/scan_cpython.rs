//! `pypickle::scan` against the live python3: the scan reads a pickle's text numbers and memo
//! keys exactly as far as CPython's `pickle.loads` does.

use std::io::Write;

use pypickle::scan;

/// Text numbers and memo keys: the scan reads on exactly where CPython's `pickle.loads` (the C
/// unpickler) does, which is more than the reader accepts (a NUL ends the line, `strtol` takes
/// `0x10` and `010`, `int()` takes `1_0`). A scan that stopped early would miss any global
/// after the line; one that read on past CPython's refusal would report globals that never run.
#[test]
fn text_numbers_stop_the_scan_exactly_where_cpython_stops() {
    let pieces: &[&[u8]] = &[
        b"",
        b" ",
        b"\t",
        b"0",
        b"1",
        b"00",
        b"010",
        b"0x10",
        b"0X1f",
        b"0x",
        b"0b11",
        b"0o7",
        b"1_0",
        b"1__0",
        b"_1",
        b"1_",
        b"-",
        b"+",
        b"-0",
        b"+7",
        b"1e5",
        b"1.5",
        b".5",
        b"5.",
        b"e5",
        b"1e",
        b"inf",
        b"-Inf",
        b"nan",
        b"infinity",
        b"1e400",
        b"1e-400",
        b"L",
        b"9223372036854775807",
        b"9223372036854775808",
        b"-9223372036854775809",
        b"99999999999999999999",
        b"0777777777777777777777777",
        b"\x00",
        b"\x00junk",
        b"junk",
        b"0x_1f",
        b"7 ",
        b"\xff",
    ];
    let mut lines: Vec<Vec<u8>> = Vec::new();
    for a in pieces {
        for b in [&b""[..], b" ", b"\x00j", b"L", b"_0", b"x"] {
            lines.push([*a, b].concat());
        }
    }
    // Each case: an opcode line, then a GLOBAL the scan must find if it reads on.
    let mut cases: Vec<Vec<u8>> = Vec::new();
    for line in &lines {
        for op in [&b"I"[..], b"L", b"F"] {
            cases.push([op, line, b"\n0"].concat());
        }
        cases.push([&b"Np"[..], line, b"\n0"].concat());
        cases.push([&b"Np"[..], line, b"\ng", line, b"\n00"].concat());
    }
    // CPython says which of them it reads, with a harmless global after each.
    let script = "import pickle, sys\n\
        for h in sys.stdin.read().split():\n\
        \x20   p = bytes.fromhex(h) + b'c__builtin__\\nrepr\\n.'\n\
        \x20   try:\n\
        \x20       pickle.loads(p); print(1)\n\
        \x20   except MemoryError:\n\
        \x20       print(2)\n\
        \x20   except Exception:\n\
        \x20       print(0)\n";
    let input: String = cases
        .iter()
        .map(|c| c.iter().map(|b| format!("{b:02x}")).collect::<String>() + "\n")
        .collect();
    let mut child = std::process::Command::new("python3")
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("this test needs python3 on PATH");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    // 1: read; 0: refused; 2: out of memory (a memo key so large that CPython's memo, an
    // array, cannot grow to it: the scan keeps no such array, and reads on).
    let cpython: Vec<u8> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| l.parse().unwrap())
        .collect();
    assert_eq!(cpython.len(), cases.len());
    let (mut read, mut mismatches) = (0, Vec::new());
    for (case, &answer) in cases.iter().zip(&cpython) {
        let p = [&case[..], b"cos\nsystem\n."].concat();
        let report = scan(&p);
        let found = report.is_dangerous();
        let loads = answer != 0;
        read += usize::from(answer == 1);
        if found != loads || report.error.is_some() == loads {
            mismatches.push(format!(
                "{:?}: CPython reads: {loads}; scan: {report}",
                String::from_utf8_lossy(case)
            ));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    assert!(
        read > 150 && read < cases.len() - 150,
        "{read} of {}",
        cases.len()
    );
}
