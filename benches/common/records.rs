//! The records `{id, name, score, tags}` of the benchmarks, in one place for the benchmarks and
//! the instruction-count harnesses (`benches/records_instr.rs`, `examples/encode_count.rs`), so
//! that a harness counts exactly what its benchmark times. Included with `#[path]`; each
//! includer uses part of it.
#![allow(dead_code)]

/// How many records the benchmarks write and read.
pub const RECORDS: usize = 100_000;

/// The records as they are written.
pub mod write {
    use serde::Serialize;

    /// A record with tags from a few literals, as a Python program's are.
    #[derive(Serialize)]
    pub struct Record {
        pub id: u64,
        pub name: String,
        pub score: f64,
        pub tags: Vec<&'static str>,
    }

    /// The records written: the data `python_fixtures/bench_inputs.py` pickles for reading.
    pub fn records() -> Vec<Record> {
        (0..super::RECORDS as u64)
            .map(|i| Record {
                id: i,
                name: format!("user{i}"),
                score: i as f64 * 0.5,
                tags: if i % 3 != 0 {
                    vec!["red", "green"]
                } else {
                    vec!["blue"]
                },
            })
            .collect()
    }
}

/// The records as they are read.
pub mod read {
    use serde::Deserialize;

    /// A record owning its strings.
    #[derive(Clone, Deserialize)]
    pub struct Record {
        pub id: u64,
        pub name: String,
        pub score: f64,
        pub tags: Vec<String>,
    }

    /// A record borrowing its strings from the input.
    #[derive(Deserialize)]
    pub struct RecordRef<'a> {
        pub id: u64,
        #[serde(borrow)]
        pub name: &'a str,
        pub score: f64,
        #[serde(borrow)]
        pub tags: Vec<&'a str>,
    }
}
