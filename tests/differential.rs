//! Live differential test against the real python3: it generates seeded random nested plain
//! data at every protocol, pickles it and prints `repr()` of what it loads back; our `Value`'s
//! `Display` must be the same text.

use std::path::PathBuf;
use std::process::Command;

use pypickle::Value;

/// What `python3 -c script` prints; a failure of the script fails the test.
fn python_stdout(script: &str) -> String {
    let out = Command::new("python3")
        .args(["-c", script])
        .output()
        .expect("this test needs python3 on PATH");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// What `python_fixtures/random_values.py ARGS` writes; a failure of the script fails the test.
fn random_values(args: &[&str]) -> Vec<u8> {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("python_fixtures/random_values.py");
    let out = Command::new("python3")
        .arg(&script)
        .args(args)
        .output()
        .expect("this test needs python3 on PATH");
    assert!(
        out.status.success(),
        "random_values.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// The next `u32` little-endian word of `data`.
fn word(data: &mut &[u8]) -> usize {
    let n = u32::from_le_bytes(data[..4].try_into().unwrap()) as usize;
    *data = &data[4..];
    n
}

/// The next length-prefixed record of `data`.
fn take(data: &mut &[u8]) -> Vec<u8> {
    let n = word(data);
    let v = data[..n].to_vec();
    *data = &data[n..];
    v
}

fn python_records(seed: u64, count: usize) -> Vec<(Vec<u8>, String)> {
    let out = random_values(&["--seed", &seed.to_string(), "--count", &count.to_string()]);
    let mut data = &out[..];
    let mut records = Vec::new();
    while !data.is_empty() {
        let pickle = take(&mut data);
        let repr = String::from_utf8(take(&mut data)).unwrap();
        records.push((pickle, repr));
    }
    assert_eq!(records.len(), count);
    records
}

#[test]
fn random_values_repr_like_cpython() {
    let mut failures = Vec::new();
    for seed in [1, 2] {
        for (i, (pickle, repr)) in python_records(seed, 2000).into_iter().enumerate() {
            match pypickle::from_slice::<Value>(&pickle) {
                Ok(v) => {
                    let got = v.to_string();
                    if got != repr {
                        failures.push(format!(
                            "seed {seed} #{i}: {}",
                            first_difference(&got, &repr)
                        ));
                    }
                }
                Err(e) => failures.push(format!("seed {seed} #{i}: {e}")),
            }
            // The reader path must agree with the slice path.
            let via_reader: Value = pypickle::from_reader(&pickle[..]).unwrap();
            let got = via_reader.to_string();
            if got != repr {
                failures.push(format!(
                    "seed {seed} #{i} via from_reader: {}",
                    first_difference(&got, &repr)
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} differences:\n{}",
        failures.len(),
        failures[..failures.len().min(5)].join("\n")
    );
}

/// Where two texts first differ, with a little context, so a failure report stays short.
fn first_difference(got: &str, want: &str) -> String {
    let at = got
        .chars()
        .zip(want.chars())
        .take_while(|(a, b)| a == b)
        .count();
    let ctx = |s: &str| {
        s.chars()
            .skip(at.saturating_sub(40))
            .take(80)
            .collect::<String>()
    };
    format!(
        "char {at}: got ...{}... CPython ...{}...",
        ctx(got),
        ctx(want)
    )
}

#[test]
fn float_and_complex_of_big_ints_round_like_cpython() {
    // float(n) and complex(n, 1) of ints beyond 64 bits, as REDUCE of the built-ins: the
    // nearest float, ties to even, and an error where CPython raises OverflowError. Python
    // gives each n and what it makes of it.
    let script = r#"
import random
r = random.Random(7)
ns = [2**1024 - 2**970, 2**1024 - 2**970 - 1, 2**1024, -(2**1024 - 2**971), 2**64, -2**63 - 1]
for k in range(60, 1100, 7):
    for d in (-1, 0, 1):
        ns += [2**k + d, -(2**k) + d]
for k in range(0, 1000, 13):
    ns += [(2**53 + 1) << k, (2**53 + 3) << k, ((2**53 + 1) << k) + 1]
for _ in range(300):
    ns.append(r.getrandbits(r.randrange(65, 1100)) * r.choice((1, -1)))
for n in ns:
    try:
        out = repr(float(n)) + ' ' + repr(complex(n, 1))
    except OverflowError:
        out = 'OverflowError'
    print(n, out)
"#;
    let text = python_stdout(script);
    let mut checked = 0;
    for line in text.lines() {
        let (n, want) = line.split_once(' ').unwrap();
        let n: pypickle::BigInt = n.parse().unwrap();
        let le = n.as_le_bytes();
        let mut arg = vec![0x8b]; // LONG4
        arg.extend_from_slice(&(le.len() as u32).to_le_bytes());
        arg.extend_from_slice(le);
        let call = |name: &str, args: &[u8], tuple: u8| {
            let mut p = b"\x80\x02".to_vec();
            p.extend_from_slice(format!("c__builtin__\n{name}\n").as_bytes());
            p.extend_from_slice(args);
            p.extend_from_slice(&[tuple, b'R', b'.']);
            pypickle::from_slice::<Value>(&p).map(|v| v.to_string())
        };
        let float = call("float", &arg, 0x85);
        let complex = call("complex", &[&arg[..], b"K\x01"].concat(), 0x86);
        match want {
            "OverflowError" => {
                for r in [float, complex] {
                    let e = r.unwrap_err();
                    assert!(
                        e.to_string().contains("int too large to convert to float"),
                        "{e}"
                    );
                }
            }
            _ => assert_eq!(
                format!("{} {}", float.unwrap(), complex.unwrap()),
                want,
                "n = {n}"
            ),
        }
        checked += 1;
    }
    assert!(checked > 700, "{checked}");
    // And int(f) of floats past i64, exactly.
    for f in [
        1e20,
        -1e300,
        9.3e18,
        -9.3e18,
        2f64.powi(63),
        -2f64.powi(63),
        123.9,
        -0.5,
    ] {
        let mut p = b"\x80\x02c__builtin__\nint\nG".to_vec();
        p.extend_from_slice(&f.to_be_bytes());
        p.extend_from_slice(b"\x85R.");
        let v: Value = pypickle::from_slice(&p).unwrap();
        let want = Command::new("python3")
            .args(["-c", &format!("print(int(float.fromhex('{}')))", hex(f))])
            .output()
            .unwrap();
        assert_eq!(
            v.to_string(),
            String::from_utf8(want.stdout).unwrap().trim(),
            "{f}"
        );
    }
}

/// A float as Python's `float.hex()` reads it back exactly.
fn hex(f: f64) -> String {
    let bits = f.to_bits();
    let sign = if f < 0.0 { "-" } else { "" };
    let exp = ((bits >> 52) & 0x7ff) as i64 - 1023;
    format!("{sign}0x1.{:013x}p{exp}", bits & ((1 << 52) - 1))
}

/// The text number lines of protocol 0 (INT, LONG, FLOAT, PUT and GET), seeded random ones
/// from a small alphabet: read as CPython reads them, the same value (`repr`) or both refusing,
/// but for the two documented refusals (README, "Differences from CPython"): a line with a NUL
/// (CPython's C unpickler reads a C string and stops there) and an INT or LONG with a leading
/// zero (its C unpickler reads octal through C's `strtol`, its Python one refuses).
#[test]
fn number_lines_read_as_cpython_reads_them() {
    let script = r#"
import pickle, random, sys
random.seed(2222)
alpha = b"0123456789xXoObB+-_ \t\x0b\x00Lf.e"
cases = [b"I" + c + b"\n." for c in [b"010", b"-010", b" 010", b"08", b"0x1f", b"\x0010",
    b"1\x00", b"-0", b" 1", b"+1", b"0777777777777777777777", b"-0x8000000000000001"]]
for _ in range(6000):
    body = bytes(random.choice(alpha) for _ in range(random.randint(1, 8)))
    cases.append(random.choice([b"I", b"I", b"L", b"F"]) + body + b"\n.")
    cases.append(b"(lp" + body + b"\n0g" + body + b"\n.")
for c in cases:
    try:
        r = repr(pickle.loads(c))
    except Exception:
        r = "ERR"
    print(c.hex(), r)
"#;
    let text = python_stdout(script);
    let (mut loaded, mut refused_on_purpose, mut failures) = (0, 0, Vec::new());
    for line in text.lines() {
        let (hex, want) = line.split_once(' ').unwrap();
        let pickle: Vec<u8> = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
            .collect();
        let got = match pypickle::from_slice::<Value>(&pickle) {
            Ok(v) => v.to_string(),
            Err(_) => "ERR".to_string(),
        };
        loaded += usize::from(want != "ERR");
        if got == want {
            continue;
        }
        let number = pickle.split(|&b| b == b'\n').next().unwrap();
        let number = number.strip_prefix(b"(lp").unwrap_or(&number[1..]);
        let start = number
            .iter()
            .position(|b| !b" \t\r\x0b\x0c+-".contains(b))
            .unwrap_or(number.len());
        let octal = matches!(pickle[0], b'I' | b'L')
            && matches!(number.get(start..start + 2), Some([b'0', d]) if d.is_ascii_digit());
        if got == "ERR" && (number.contains(&0) || octal) {
            refused_on_purpose += 1;
        } else {
            failures.push(format!(
                "{:?}: ours {got}, CPython {want}",
                String::from_utf8_lossy(&pickle)
            ));
        }
    }
    assert!(
        loaded > 1500 && refused_on_purpose > 100,
        "{loaded} {refused_on_purpose}"
    );
    assert!(
        failures.is_empty(),
        "{} differ:\n{}",
        failures.len(),
        failures[..failures.len().min(20)].join("\n")
    );
}

/// Streams written by one reused `pickle.Pickler`, whose later pickles refer to values of
/// earlier ones through its memo, read with `Deserializer::keep_memo(true)` from a slice and
/// from a reader: each value's repr is what one reused `pickle.Unpickler` loads. Without it,
/// a stream reads otherwise where a pickle first refers back (and that must happen in many of
/// them, or this test proves nothing).
#[test]
fn streams_sharing_one_picklers_memo_read_like_one_reused_unpickler() {
    let out = random_values(&["--seed", "7", "--count", "300", "--per-stream", "6"]);
    let mut data = &out[..];
    let (mut streams, mut refer_back) = (0, 0);
    while !data.is_empty() {
        let stream = take(&mut data);
        let reprs: Vec<String> = (0..word(&mut data))
            .map(|_| String::from_utf8(take(&mut data)).unwrap())
            .collect();
        streams += 1;
        let reprs_of = |values: &mut dyn Iterator<Item = pypickle::Result<Value>>| {
            values
                .map(|v| {
                    v.unwrap_or_else(|e| panic!("stream {streams}: {e}"))
                        .to_string()
                })
                .collect::<Vec<String>>()
        };
        let mut from_slice = pypickle::Deserializer::from_slice(&stream)
            .keep_memo(true)
            .into_iter::<Value>();
        assert_eq!(reprs_of(&mut from_slice), reprs, "stream {streams}");
        let mut from_reader = pypickle::Deserializer::from_reader(&stream[..])
            .keep_memo(true)
            .into_iter::<Value>();
        let got = reprs_of(&mut from_reader);
        assert_eq!(got, reprs, "stream {streams}, from a reader");
        // Each pickle on its own (as repeated `pickle.load` reads them): an error, or another
        // value, once one refers back (ids of its own may then name other entries).
        let alone: Vec<Option<String>> = pypickle::Deserializer::from_slice(&stream)
            .into_iter::<Value>()
            .map(|v| v.ok().map(|v| v.to_string()))
            .collect();
        if alone.iter().zip(&reprs).any(|(a, r)| a.as_ref() != Some(r)) {
            refer_back += 1;
        }
    }
    assert_eq!(streams, 300);
    assert!(refer_back > 50, "only {refer_back} streams refer back");
}
