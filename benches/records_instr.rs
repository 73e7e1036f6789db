//! Instruction-count harness for the typed records decode (run under callgrind):
//!
//!     cargo bench --bench records_instr --no-run
//!     valgrind --tool=callgrind --toggle-collect='*decode_*' target/release/deps/records_instr-* pypickle 3
#[path = "common/records.rs"]
mod records;
use records::read::Record;

#[inline(never)]
fn decode_pypickle(b: &[u8]) -> Vec<Record> {
    pypickle::from_slice(b).unwrap()
}

#[inline(never)]
fn decode_serde_pickle(b: &[u8]) -> Vec<Record> {
    serde_pickle::from_slice(b, serde_pickle::DeOptions::new()).unwrap()
}

#[inline(never)]
fn decode_value(b: &[u8]) -> pypickle::Value {
    pypickle::from_slice(b).unwrap()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--bench") {
        return; // `cargo bench` runs every bench: nothing to do here
    }
    let which = args.get(1).map(String::as_str).unwrap_or("pypickle");
    let n: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(1);
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/target/bench-inputs/records.pkl"
    );
    let b = std::fs::read(path).expect("run cargo bench --bench decode first");
    for _ in 0..n {
        match which {
            "pypickle" => drop(std::hint::black_box(decode_pypickle(&b))),
            "serde-pickle" => drop(std::hint::black_box(decode_serde_pickle(&b))),
            "value" => drop(std::hint::black_box(decode_value(&b))),
            _ => panic!("pypickle | serde-pickle | value"),
        }
    }
}
