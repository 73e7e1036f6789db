//! Proof that every one of the 68 opcodes is decoded by at least one test input: the inputs are
//! the CPython-written fixtures, CPython's own vectors and a few hand-made pickles for the
//! opcodes CPython writes only for objects (or that need a hook, which must be refused by name).

use std::collections::BTreeSet;
use std::fs;
use std::path::PathBuf;

use pypickle::opcode::{self, Arg, OPCODES};
use pypickle::{Category, DeOptions, Value};

/// The opcodes of a well-formed pickle, up to its STOP.
fn opcodes_of(data: &[u8]) -> Vec<u8> {
    let mut ops = Vec::new();
    let mut i = 0;
    while i < data.len() {
        let op = data[i];
        ops.push(op);
        i += 1;
        let info = opcode::info(op).expect("decoded pickles hold only opcodes");
        match info.arg {
            Arg::None => {}
            Arg::Fixed(n) => i += n as usize,
            Arg::Line => i += data[i..].iter().position(|&b| b == b'\n').unwrap() + 1,
            Arg::TwoLines => {
                for _ in 0..2 {
                    i += data[i..].iter().position(|&b| b == b'\n').unwrap() + 1;
                }
            }
            Arg::Counted(n) => {
                let mut len = [0u8; 8];
                len[..n as usize].copy_from_slice(&data[i..i + n as usize]);
                i += n as usize + u64::from_le_bytes(len) as usize;
            }
        }
        if op == opcode::STOP {
            break;
        }
    }
    ops
}

fn inputs() -> Vec<Vec<u8>> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("python_fixtures");
    let mut out = Vec::new();
    for dir in ["data", "cpython_vectors"] {
        for entry in fs::read_dir(root.join(dir)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "pkl") {
                out.push(fs::read(path).unwrap());
            }
        }
    }
    // Objects: INST, OBJ, NEWOBJ, NEWOBJ_EX and BUILD, as protocols 0-4 write them.
    out.push(b"(imymod\nC\nK\x01b.".to_vec());
    out.push(b"(cmymod\nC\nK\x01o}b.".to_vec());
    out.push(b"\x80\x02cmymod\nC\n)\x81}X\x01\x00\x00\x00aK\x01sb.".to_vec());
    out.push(b"\x80\x04\x8c\x05mymod\x8c\x01C\x93)}\x92.".to_vec());
    out
}

#[test]
fn every_opcode_is_decoded_by_some_input() {
    let opts = DeOptions::new()
        .record_unknown_globals(true)
        .py2_strings(pypickle::Py2Strings::Latin1);
    let mut seen = BTreeSet::new();
    for data in inputs() {
        if pypickle::Deserializer::from_slice(&data)
            .with_options(opts.clone())
            .next_value::<Value>()
            .is_ok()
        {
            seen.extend(opcodes_of(&data));
        }
    }
    // Opcodes that need a hook are decoded far enough to be refused by name and position.
    let hooks: [&[u8]; 6] = [
        b"Pid\n.",
        b"X\x02\x00\x00\x00idQ.",
        b"\x82\x01.",
        b"\x83\x01\x00.",
        b"\x84\x01\x00\x00\x00.",
        b"\x80\x05\x97.",
    ];
    for data in hooks {
        let e = pypickle::from_slice::<Value>(data).unwrap_err();
        assert_eq!(e.category(), Category::Unsupported, "{e}");
        seen.insert(e.opcode().unwrap());
    }
    // Out-of-band buffers, with the buffers passed: a read-only buffer reads as bytes.
    let data = b"\x80\x05\x97\x98.";
    let v: Value =
        pypickle::from_slice_with_buffers(data, &[&b"ab"[..]], &Default::default()).unwrap();
    assert_eq!(v.to_string(), "b'ab'");
    seen.extend(opcodes_of(data));
    let missing: Vec<&str> = OPCODES
        .iter()
        .filter(|o| !seen.contains(&o.code))
        .map(|o| o.name)
        .collect();
    assert!(
        missing.is_empty(),
        "opcodes no test input decodes: {missing:?}"
    );
}
