//! A tour: write a Rust struct as a pickle and read it back, read pickles CPython wrote into
//! Rust structs and into `Value`, stream several pickles from one reader, and see what refusing
//! a hostile pickle looks like.
//!
//! Run with `cargo run --example quickstart`.

use serde::{Deserialize, Serialize};

/// A config a Python program also reads with `pickle.load`.
#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Config {
    name: String,
    retries: u8,
    ratio: f64,
    hosts: Vec<String>,
    limits: (u32, Option<u32>),
}

/// One record as a Python service writes it:
/// `{'id': i, 'name': f'user{i}', 'score': i * 0.5, 'tags': ['a', 'b'] if i % 2 else []}`.
#[derive(Deserialize, Debug)]
struct Record<'a> {
    id: u32,
    name: &'a str, // borrowed straight from the pickle bytes: no copy
    score: f64,
    tags: Vec<String>,
}

fn main() -> Result<(), pypickle::Error> {
    // 0. Write a struct as a pickle (protocol 4, CPython's default) and read it back.
    let config = Config {
        name: "ingest".into(),
        retries: 3,
        ratio: 0.75,
        hosts: vec!["a.example".into(), "b.example".into()],
        limits: (100, None),
    };
    let bytes = pypickle::to_vec(&config)?;
    let back: Config = pypickle::from_slice(&bytes)?;
    assert_eq!(back, config);
    let as_python: pypickle::Value = pypickle::from_slice(&bytes)?;
    println!("wrote {} bytes; Python sees {as_python}", bytes.len());

    // 1. A list of 200 records, written by CPython with pickle.dumps(records, protocol=4).
    let data = include_bytes!("../python_fixtures/data/records_200.p4.pkl");
    let records: Vec<Record<'_>> = pypickle::from_slice(data)?;
    let last = records.last().unwrap();
    println!(
        "read {} records; the last is #{} {:?}: {last:?}",
        records.len(),
        last.id,
        last.name
    );
    let total: f64 = records.iter().map(|r| r.score).sum();
    println!(
        "total score {total}, tagged {}",
        records.iter().filter(|r| !r.tags.is_empty()).count()
    );

    // 2. The same bytes as a lossless Value, printed as Python's repr().
    let value: pypickle::Value = pypickle::from_slice(data)?;
    println!("value[0] = {}", value[0]);
    println!("value[1]['name'] = {}", value[1]["name"]);

    // 3. Python 2 era data: protocol 0 text, a Python 2 str and a set via __builtin__.set.
    let py2 = b"(dp0\nS'name'\np1\nS'caf\\xe9'\np2\nsS'ids'\np3\nc__builtin__\nset\np4\n((lp5\nI1\naI2\natp6\nRp7\ns.";
    let opts = pypickle::DeOptions::new().py2_strings(pypickle::Py2Strings::Latin1);
    let old: pypickle::Value = pypickle::from_slice_with(py2, &opts)?;
    println!("python 2 pickle: {old}");

    // 4. Several pickles written one after another to one stream (repeated pickle.dump).
    let stream: &[u8] =
        b"\x80\x04K\x01.\x80\x04\x8c\x03two\x94.\x80\x04G@\x08\x00\x00\x00\x00\x00\x00.";
    for item in pypickle::Deserializer::from_reader(stream).into_iter::<pypickle::Value>() {
        println!("stream item: {}", item?);
    }

    // 5. A hostile pickle: it asks for os.system('echo hi'). Nothing is ever executed, and the
    //    global is refused by name, with the opcode and offset.
    let evil = b"cos\nsystem\n(S'echo hi'\ntR.";
    match pypickle::from_slice::<pypickle::Value>(evil) {
        Ok(v) => println!("unexpectedly read {v}"),
        Err(e) => println!("refused: {e}"),
    }

    // 6. Truncated input is an error that says what is missing, never a panic.
    let e = pypickle::from_slice::<pypickle::Value>(&data[..100]).unwrap_err();
    println!("truncated: {e}");
    Ok(())
}
