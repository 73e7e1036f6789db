//! Pickles whose reading used to cost out of proportion to their size: each now reads in about
//! the time its size takes (or stops at a limit), and reads as CPython reads it. Sizes here are
//! small enough for a debug build; the slow inputs they stand for took seconds to minutes in
//! release before.

mod py_common;

use py_common::{hex, python};
use pypickle::{DeOptions, Limit, Value};
use serde::de::IgnoredAny;
use std::collections::HashMap;

/// SHORT_BINUNICODE `s`.
fn su(s: &str) -> Vec<u8> {
    [&[0x8c, s.len() as u8][..], s.as_bytes()].concat()
}

/// A map's pairs in the order the reader gives them.
struct Pairs(Vec<(String, i64)>);

impl<'de> serde::Deserialize<'de> for Pairs {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Pairs;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a map")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut m: A) -> Result<Pairs, A::Error> {
                let mut out = Vec::new();
                while let Some(kv) = m.next_entry()? {
                    out.push(kv);
                }
                Ok(Pairs(out))
            }
        }
        d.deserialize_map(V)
    }
}

/// An object BUILT again and again, each time with the same one-attribute dict, after a first
/// state of many attributes: merging the states went over every attribute for each BUILD
/// (quadratic: 4 s in release for 20k of each).
#[test]
fn many_builds_of_one_object_merge_in_one_pass() {
    let n = 30_000;
    let mut p = b"\x80\x04ccollections\nOrderedDict\n)R}(".to_vec();
    for i in 0..n {
        p.extend(su(&format!("k{i}")));
        p.push(b'N');
    }
    p.extend(b"ub}");
    p.extend(su("zz"));
    p.extend(b"Ns\x94b");
    for _ in 1..n {
        p.extend(b"h\x00b");
    }
    p.push(b'.');
    let attrs: HashMap<String, IgnoredAny> = pypickle::from_slice(&p).unwrap();
    assert_eq!(attrs.len(), n + 1);
    #[derive(serde::Deserialize)]
    struct Last {
        zz: Option<i32>,
    }
    assert_eq!(pypickle::from_slice::<Last>(&p).unwrap().zz, None);
    // The same through a Value.
    let v: Value = pypickle::from_slice(&p).unwrap();
    let attrs: HashMap<String, IgnoredAny> = pypickle::from_value(v).unwrap();
    assert_eq!(attrs.len(), n + 1);
}

/// An attribute set again by a later BUILD keeps its first place and takes the later value,
/// as `vars()` shows in CPython.
#[test]
fn an_attribute_set_again_keeps_its_place() {
    let p = b"\x80\x02ctypes\nSimpleNamespace\nq\x00)Rq\x01}q\x02(X\x01\x00\x00\x00aq\x03K\x01X\x01\x00\x00\x00bq\x04K\x02ub}(X\x01\x00\x00\x00cK\x03X\x01\x00\x00\x00aK\x04ub}(h\x03K\x05ub.";
    let cpython = python(&format!(
        "import pickle; print(list(vars(pickle.loads(bytes.fromhex('{}'))).items()))",
        hex(p)
    ));
    let opts = DeOptions::new().allow_global("types", "SimpleNamespace");
    let ours = pypickle::from_slice_with::<Pairs>(p, &opts).unwrap().0;
    let v: Value = pypickle::from_slice_with(p, &opts).unwrap();
    let through_value = pypickle::from_value::<Pairs>(v).unwrap().0;
    for pairs in [ours, through_value] {
        let shown: Vec<String> = pairs.iter().map(|(k, v)| format!("('{k}', {v})")).collect();
        assert_eq!(format!("[{}]", shown.join(", ")), cpython.trim());
    }
}

/// A global's name is copied into every value that names it: charged to the expansion budget
/// as a str's bytes are. A 1000-byte module name in 1000 references to a tuple of 1000
/// references to it took 1.1 GB.
#[test]
fn global_names_count_against_the_expansion_budget() {
    let global = [&b"c"[..], &b"m".repeat(1000), b"\nx\nq\x00"].concat();
    let refs = |id: u8, n: usize| [&b"0("[..], &[b'h', id].repeat(n), b"t"].concat();
    let bomb = [
        &b"\x80\x02"[..],
        &global,
        &refs(0, 1000),
        b"q\x01",
        &refs(1, 1000),
        b".",
    ]
    .concat();
    let opts = DeOptions::new().record_unknown_globals(true);
    let e = pypickle::from_slice_with::<Value>(&bomb, &opts).unwrap_err();
    assert_eq!(e.limit(), Some(Limit::Expansion), "{e}");
    // A few references read.
    let few = [
        &b"\x80\x02"[..],
        &global,
        &refs(0, 10),
        b"q\x01",
        &refs(1, 10),
        b".",
    ]
    .concat();
    let v = pypickle::from_slice_with::<Value>(&few, &opts).unwrap();
    assert!(v
        .to_string()
        .starts_with(&format!("(({}.x, ", "m".repeat(1000))));
}
