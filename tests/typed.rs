//! Typed deserialization of a CPython-written dict that covers serde's whole data model, at
//! every protocol 0-5, including zero-copy `&str` / `&[u8]` / `Cow` borrowed from the input.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::path::PathBuf;

use serde::Deserialize;

mod py_common;
use py_common::{python, unhex};

#[derive(Deserialize, Debug, PartialEq)]
struct UnitStruct;

#[derive(Deserialize, Debug, PartialEq)]
struct Newtype(u8);

#[derive(Deserialize, Debug, PartialEq)]
struct Pair(i32, i32);

#[derive(Deserialize, Debug, PartialEq)]
struct Inner {
    x: i32,
}

#[derive(Deserialize, Debug, PartialEq)]
enum E {
    A,
    B(i32),
    C(i32, String),
    D { x: i32, y: String },
}

#[derive(Deserialize, Debug)]
struct Record<'a> {
    b: bool,
    i8: i8,
    i16: i16,
    i32: i32,
    i64: i64,
    i128: i128,
    u8: u8,
    u16: u16,
    u32: u32,
    u64: u64,
    u128: u128,
    f32: f32,
    f64: f64,
    f64_from_int: f64,
    ch: char,
    s: String,
    borrowed: &'a str,
    #[serde(borrow)]
    cow: Cow<'a, str>,
    #[serde(with = "serde_bytes")]
    by: Vec<u8>,
    #[serde(with = "serde_bytes")]
    ba: Vec<u8>,
    vec_u8_from_bytes: Vec<u8>,
    opt_none: Option<i32>,
    opt_some: Option<i32>,
    unit: (),
    unit_struct: UnitStruct,
    newtype: Newtype,
    tuple: (i32, String, f64),
    tuple_struct: Pair,
    array: [u8; 3],
    array_from_tuple: [u8; 3],
    seq: Vec<u16>,
    seq_from_set: Vec<u16>,
    seq_from_frozenset: Vec<u16>,
    seq_from_tuple: Vec<u16>,
    map: BTreeMap<String, i32>,
    int_keys: HashMap<i32, String>,
    #[serde(with = "pairs")]
    tuple_keys: Vec<((i32, i32), String)>,
    nested: HashMap<String, Vec<Inner>>,
    unit_variant: E,
    newtype_variant: E,
    tuple_variant: E,
    struct_variant: E,
}

/// `Vec<(K, V)>` from a dict, for keys that are not strings (tuples here).
mod pairs {
    use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
    use std::marker::PhantomData;

    pub fn deserialize<'de, D, K, V>(d: D) -> Result<Vec<(K, V)>, D::Error>
    where
        D: Deserializer<'de>,
        K: Deserialize<'de>,
        V: Deserialize<'de>,
    {
        struct V2<K, V>(PhantomData<(K, V)>);
        impl<'de, K: Deserialize<'de>, V: Deserialize<'de>> Visitor<'de> for V2<K, V> {
            type Value = Vec<(K, V)>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a dict")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some(e) = m.next_entry()? {
                    out.push(e);
                }
                Ok(out)
            }
        }
        d.deserialize_map(V2(PhantomData))
    }
}

fn fixture(proto: u8) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join(format!("python_fixtures/typed/record.p{proto}.pkl"));
    fs::read(path).expect("run python_fixtures/typed.py")
}

fn is_inside(inner: &[u8], outer: &[u8]) -> bool {
    let range = outer.as_ptr_range();
    range.contains(&inner.as_ptr())
}

#[test]
fn every_serde_type_reads_at_every_protocol() {
    for proto in 0..=5 {
        let data = fixture(proto);
        let r: Record<'_> =
            pypickle::from_slice(&data).unwrap_or_else(|e| panic!("protocol {proto}: {e}"));
        assert!(r.b);
        assert_eq!(
            (r.i8, r.i16, r.i32, r.i64, r.i128),
            (i8::MIN, i16::MIN, i32::MIN, i64::MIN, i128::MIN)
        );
        assert_eq!(
            (r.u8, r.u16, r.u32, r.u64, r.u128),
            (u8::MAX, u16::MAX, u32::MAX, u64::MAX, u128::MAX)
        );
        assert_eq!((r.f32, r.f64, r.f64_from_int), (1.5, -0.1, 3.0));
        assert_eq!(
            (r.ch, r.s.as_str(), r.borrowed, &*r.cow),
            ('é', "text", "zero-copy", "cow")
        );
        assert!(
            is_inside(r.borrowed.as_bytes(), &data),
            "protocol {proto}: &str was copied"
        );
        assert!(
            matches!(r.cow, Cow::Borrowed(_)),
            "protocol {proto}: Cow was copied"
        );
        assert_eq!(
            (&r.by[..], &r.ba[..], &r.vec_u8_from_bytes[..]),
            (&[0u8, 255][..], &b"xy"[..], &[1u8, 2][..])
        );
        assert_eq!((r.opt_none, r.opt_some), (None, Some(5)));
        assert_eq!(
            (r.unit, r.unit_struct, r.newtype),
            ((), UnitStruct, Newtype(7))
        );
        assert_eq!(r.tuple, (1, "a".to_string(), 2.5));
        assert_eq!(r.tuple_struct, Pair(1, 2));
        assert_eq!((r.array, r.array_from_tuple), ([1, 2, 3], [4, 5, 6]));
        assert_eq!(
            (
                r.seq,
                r.seq_from_set,
                r.seq_from_frozenset,
                r.seq_from_tuple
            ),
            (vec![1, 2, 3], vec![1], vec![2], vec![3])
        );
        assert_eq!(
            r.map,
            BTreeMap::from([("a".to_string(), 1), ("b".to_string(), 2)])
        );
        assert_eq!(
            r.int_keys,
            HashMap::from([(1, "x".to_string()), (2, "y".to_string())])
        );
        assert_eq!(r.nested["inner"], vec![Inner { x: 1 }, Inner { x: 2 }]);
        assert_eq!(r.unit_variant, E::A);
        assert_eq!(r.newtype_variant, E::B(5));
        assert_eq!(r.tuple_variant, E::C(1, "x".into()));
        assert_eq!(
            r.struct_variant,
            E::D {
                x: 1,
                y: "z".into()
            }
        );
        assert_eq!(r.tuple_keys, vec![((1, 2), "p".to_string())]);
    }
}

#[test]
fn borrowed_bytes_are_zero_copy_from_protocol_3() {
    #[derive(Deserialize)]
    struct B<'a> {
        #[serde(borrow, with = "serde_bytes")]
        by: &'a [u8],
    }
    for proto in 3..=5 {
        let data = fixture(proto);
        let b: B<'_> = pypickle::from_slice(&data).unwrap();
        assert_eq!(b.by, &[0, 255]);
        assert!(is_inside(b.by, &data));
    }
}

/// A str is lent only where the pickle holds its UTF-8 as it is (protocol 0 escapes it), and
/// bytes only where the pickle holds them as they are (protocols 0-2 write them as a latin-1
/// str): elsewhere a `&str` or `&[u8]` is an error, while a `Cow` takes them owned.
#[test]
fn borrowed_fields_refuse_what_the_pickle_escaped_and_cows_take_it() {
    #[derive(Deserialize, Debug)]
    struct Lent<'a> {
        name: &'a str,
        #[serde(with = "serde_bytes")]
        data: &'a [u8],
    }
    #[derive(Deserialize, Debug)]
    struct Either<'a> {
        #[serde(borrow)]
        name: Cow<'a, str>,
        #[serde(borrow, with = "serde_bytes")]
        data: Cow<'a, [u8]>,
    }
    let out = python(
        "import pickle\n\
         for text, data in (('abc', b'xyz'), ('\\u00e9\\\\\\n', b'\\x00\\xff')):\n\
         \x20   for p in range(6):\n\
         \x20       print(p, pickle.dumps({'name': text, 'data': data}, p).hex())\n",
    );
    for (i, line) in out.lines().enumerate() {
        let (proto, hex) = line.split_once(' ').unwrap();
        let proto: u8 = proto.parse().unwrap();
        let data = unhex(hex);
        let plain = i < 6;
        let e: Either = pypickle::from_slice(&data).unwrap();
        let want: (&str, &[u8]) = if plain {
            ("abc", b"xyz")
        } else {
            ("\u{e9}\\\n", b"\x00\xff")
        };
        assert_eq!((&*e.name, &*e.data), want, "protocol {proto}");
        let name_lent = plain || proto >= 1;
        let data_lent = plain || proto >= 3;
        assert_eq!(
            matches!(e.name, Cow::Borrowed(_)),
            name_lent,
            "protocol {proto}"
        );
        assert_eq!(
            matches!(e.data, Cow::Borrowed(_)),
            data_lent,
            "protocol {proto}"
        );
        match pypickle::from_slice::<Lent>(&data) {
            Ok(l) => {
                assert!(name_lent && data_lent, "protocol {proto}: {l:?}");
                assert_eq!((l.name, l.data), want);
                assert!(is_inside(l.name.as_bytes(), &data) && is_inside(l.data, &data));
            }
            Err(err) => {
                assert!(!(name_lent && data_lent), "protocol {proto}: {err}");
                let text = err.to_string();
                assert!(text.contains("expected a borrowed"), "{text}");
                assert!(
                    text.contains("a pickle lends only what it holds as it is"),
                    "{text}"
                );
            }
        }
    }
    // A value of another type gets the plain type error.
    let number = b"\x80\x04}\x94(\x8c\x04name\x94K\x05\x8c\x04data\x94C\x00u.";
    let text = pypickle::from_slice::<Lent>(number)
        .unwrap_err()
        .to_string();
    assert!(text.starts_with("name: invalid type: integer `5`, expected a borrowed string"));
    assert!(!text.contains("lends"), "{text}");
}

/// A struct's dict keys are strs: unknown str keys are skipped, as serde skips unknown
/// fields, but another key is an error, never taken for a field's index (`{0: 9}` is not
/// `x: 9`).
#[test]
fn struct_keys_that_are_not_strs_are_errors() {
    #[derive(Deserialize, Debug)]
    #[allow(dead_code)]
    struct S {
        x: i32,
    }
    let out = python(
        "import pickle\n\
         for d in ({'x': 1, 'other': 2}, {'x': 1, 7: 2}, {0: 9}, {'x': 1, None: 2}):\n\
         \x20   print(pickle.dumps(d, 4).hex())\n",
    );
    let cases: Vec<Vec<u8>> = out.lines().map(unhex).collect();
    assert_eq!(pypickle::from_slice::<S>(&cases[0]).unwrap().x, 1);
    for (data, key) in cases[1..]
        .iter()
        .zip(["integer `7`", "integer `0`", "unit value"])
    {
        let e = pypickle::from_slice::<S>(data).unwrap_err();
        let text = e.to_string();
        assert!(
            text.contains(key) && text.contains("expected field identifier"),
            "{text}"
        );
        assert!(e.offset().is_some() && e.opcode_name().is_some(), "{text}");
    }
}

#[test]
fn reader_input_gives_owned_data_and_refuses_borrowing() {
    let data = fixture(4);
    let v: pypickle::Value = pypickle::from_reader(&data[..]).unwrap();
    assert_eq!(v["borrowed"], "zero-copy");
    #[derive(Deserialize, Debug)]
    #[allow(dead_code)]
    struct Owned {
        s: String,
        nested: HashMap<String, Vec<Inner>>,
    }
    let o: Owned = pypickle::from_reader(&data[..]).unwrap();
    assert_eq!(o.s, "text");
}

#[test]
fn range_errors_name_the_rust_type() {
    let data = fixture(4);
    #[derive(Deserialize, Debug)]
    #[allow(dead_code)]
    struct Narrow {
        u16: u8,
    }
    let e = pypickle::from_slice::<Narrow>(&data).unwrap_err();
    assert!(e.to_string().contains("u8"), "{e}");
    assert!(e.offset().is_some());
}

/// A visitor that reads only the first entry of a map.
struct FirstEntry;

impl<'de> serde::de::Visitor<'de> for FirstEntry {
    type Value = (String, i64);
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a map")
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        map.next_entry()?
            .ok_or_else(|| serde::de::Error::custom("empty map"))
    }
}

#[derive(Debug)]
struct First((String, i64));

impl<'de> Deserialize<'de> for First {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(FirstEntry).map(First)
    }
}

#[test]
fn items_a_type_leaves_unread_are_an_error_not_dropped() {
    // What a visitor does not read of a sequence or map is an error, from a pickle and from a
    // Value alike, with serde's wording; a type that reads it all still reads. CPython:
    // pickle.dumps((1, 2, 3), 4), pickle.dumps(b'abc', 3), pickle.dumps(1+2j, 2),
    // pickle.dumps({'a': 1, 'b': 2}, 4).
    let triple = b"\x80\x04\x95\t\x00\x00\x00\x00\x00\x00\x00K\x01K\x02K\x03\x87\x94.";
    let bytes = b"\x80\x03C\x03abcq\x00.";
    let complex = b"\x80\x02c__builtin__\ncomplex\nq\x00G?\xf0\x00\x00\x00\x00\x00\x00G@\x00\x00\x00\x00\x00\x00\x00\x86q\x01Rq\x02.";
    let dict = pypickle::to_vec(&BTreeMap::from([("a", 1), ("b", 2)])).unwrap();
    #[derive(Deserialize, Debug)]
    #[allow(dead_code)]
    struct P {
        x: i64,
        y: i64,
    }
    fn both<T: for<'de> Deserialize<'de> + std::fmt::Debug>(data: &[u8], want: &str) {
        let e = pypickle::from_slice::<T>(data).unwrap_err();
        assert_eq!(e.category(), pypickle::Category::Type);
        assert!(e.to_string().starts_with(want), "{e}");
        assert!(e.offset().is_some(), "{e}");
        let v: pypickle::Value = pypickle::from_slice(data).unwrap();
        let e = pypickle::from_value::<T>(v).unwrap_err();
        assert!(e.to_string().starts_with(want), "{e}");
    }
    let three = "invalid length 3, expected 2 elements in sequence";
    both::<(i64, i64)>(triple, three);
    both::<[i64; 2]>(triple, three);
    both::<Pair>(triple, three);
    both::<P>(triple, three);
    both::<[i64; 0]>(triple, "invalid length 3, expected 0 elements in sequence");
    both::<(i64,)>(triple, "invalid length 3, expected 1 element in sequence");
    both::<(u8, u8)>(bytes, three);
    both::<(f64,)>(complex, "invalid length 2, expected 1 element in sequence");
    both::<First>(&dict, "invalid length 2, expected 1 element in map");
    // Reading everything is fine.
    assert_eq!(pypickle::from_slice::<[i64; 3]>(triple).unwrap(), [1, 2, 3]);
    assert_eq!(
        pypickle::from_slice::<(u8, u8, u8)>(bytes).unwrap(),
        (97, 98, 99)
    );
    assert_eq!(
        pypickle::from_slice::<(f64, f64)>(complex).unwrap(),
        (1.0, 2.0)
    );
    let one = pypickle::to_vec(&BTreeMap::from([("a", 1)])).unwrap();
    assert_eq!(
        pypickle::from_slice::<First>(&one).unwrap().0,
        ("a".into(), 1)
    );
}

#[test]
fn big_ints_into_small_types_are_range_errors_and_read_as_floats() {
    // pickle.dumps(n, protocol=4) for n past i64: LONG1.
    fn long1(n: &str) -> Vec<u8> {
        let out = std::process::Command::new("python3")
            .args([
                "-c",
                &format!("import pickle,sys; sys.stdout.buffer.write(pickle.dumps({n}, 4))"),
            ])
            .output()
            .expect("python3");
        out.stdout
    }
    let two_64 = long1("2**64");
    for e in [
        pypickle::from_slice::<u64>(&two_64).unwrap_err(),
        pypickle::from_slice::<u8>(&two_64).unwrap_err(),
        pypickle::from_slice::<i64>(&long1("-2**63-1")).unwrap_err(),
    ] {
        assert!(e.to_string().contains("invalid value: integer `"), "{e}");
        assert!(e.to_string().contains("LONG1 at offset"), "{e}");
    }
    assert_eq!(
        pypickle::from_slice::<u64>(&long1("2**64-1")).unwrap(),
        u64::MAX
    );
    // As Python's float(n), correctly rounded; past the float range an error.
    assert_eq!(
        pypickle::from_slice::<f64>(&two_64).unwrap(),
        18446744073709551616.0
    );
    assert_eq!(
        pypickle::from_slice::<f64>(&long1("-(2**100 + 1)")).unwrap(),
        -1267650600228229401496703205376.0
    );
    let e = pypickle::from_slice::<f64>(&long1("2**1024")).unwrap_err();
    assert!(
        e.to_string().contains("too large to convert to a float"),
        "{e}"
    );
    // i128 and u128 still take them whole.
    assert_eq!(pypickle::from_slice::<u128>(&two_64).unwrap(), 1u128 << 64);

    // `from_value` reads a `Value` the same way.
    let value = |n: &str| pypickle::from_slice::<pypickle::Value>(&long1(n)).unwrap();
    for e in [
        pypickle::from_value::<u64>(value("2**64")).unwrap_err(),
        pypickle::from_value::<u8>(value("2**64")).unwrap_err(),
        pypickle::from_value::<i64>(value("-2**63-1")).unwrap_err(),
        pypickle::from_value::<u64>(value("2**200")).unwrap_err(),
    ] {
        assert!(e.to_string().contains("invalid value: integer `"), "{e}");
        assert!(!e.to_string().contains("i128"), "{e}");
    }
    assert_eq!(
        pypickle::from_value::<u64>(value("2**64-1")).unwrap(),
        u64::MAX
    );
    let e = pypickle::from_value::<u32>(value("2**64-1")).unwrap_err();
    assert!(e.to_string().contains("expected u32"), "{e}");
    assert_eq!(
        pypickle::from_value::<f64>(value("-(2**100 + 1)")).unwrap(),
        -1267650600228229401496703205376.0
    );
    assert_eq!(
        pypickle::from_value::<f32>(value("2**64")).unwrap(),
        18446744073709551616.0
    );
    let e = pypickle::from_value::<f64>(value("2**1024")).unwrap_err();
    assert!(
        e.to_string().contains("too large to convert to a float"),
        "{e}"
    );
    assert_eq!(
        pypickle::from_value::<i128>(value("-2**64")).unwrap(),
        -(1i128 << 64)
    );
}

/// Ints past Python's 4300 digits are never converted to decimal text, which costs the square
/// of their length (a 1 MB int would take hours): errors name their size in bits, `Display`
/// gives Python's `hex()` (Python's `repr()` refuses them), JSON carries the hex literal.
#[test]
fn huge_ints_are_never_converted_to_decimal() {
    let n = 1usize << 20;
    let mut b = vec![0x80, 2, 0x8b];
    b.extend((n as u32).to_le_bytes());
    b.extend(std::iter::repeat(0x5a).take(n));
    b.push(b'.');
    let bits = format!("integer of {} bits", (n - 1) * 8 + 7);
    for e in [
        pypickle::from_slice::<i64>(&b).unwrap_err(),
        pypickle::from_slice::<u8>(&b).unwrap_err(),
        pypickle::from_slice::<f64>(&b).unwrap_err(),
        pypickle::from_slice::<String>(&b).unwrap_err(),
        pypickle::from_slice::<u128>(&b).unwrap_err(),
    ] {
        assert!(e.to_string().contains(&bits), "{e}");
    }
    let v: pypickle::Value = pypickle::from_slice(&b).unwrap();
    for e in [
        pypickle::from_value::<u64>(v.clone()).unwrap_err(),
        pypickle::from_value::<f32>(v.clone()).unwrap_err(),
    ] {
        assert!(e.to_string().contains(&bits), "{e}");
    }
    let shown = v.to_string();
    assert_eq!(shown.len(), 2 + 2 * n);
    assert!(shown.starts_with("0x5a5a") && shown.ends_with("5a"));
    let back: pypickle::BigInt = shown.parse().unwrap();
    assert_eq!(pypickle::Value::from(back), v);
    #[cfg(feature = "json")]
    {
        let j = pypickle::json::to_json(&v).unwrap();
        assert_eq!(pypickle::json::from_json(&j).unwrap(), v);
    }

    // At Python's limit, against python3: 4300 digits print as repr(), 4301 as hex(); both
    // ways of signs.
    let text = python(
        "import pickle,sys\n\
             for n in (10**4300 - 1, 10**4300, -(10**4300 - 1), -(10**4300), 7 << 20000):\n\
             \x20   t = repr(n) if len(str(abs(n))) <= 4300 else hex(n)\n\
             \x20   sys.stdout.write(pickle.dumps(n, 2).hex() + ' ' + t + '\\n')",
    );
    assert_eq!(text.lines().count(), 5);
    for line in text.lines() {
        let (hex, want) = line.split_once(' ').unwrap();
        let bytes = unhex(hex);
        let v: pypickle::Value = pypickle::from_slice(&bytes).unwrap();
        assert_eq!(v.to_string(), want);
        assert_eq!(
            want.parse::<pypickle::BigInt>()
                .ok()
                .map(pypickle::Value::from),
            Some(v)
        );
    }
    // Decimal text past the limit is refused, as Python's int() refuses it.
    assert!("9".repeat(4301).parse::<pypickle::BigInt>().is_err());
}

/// A set holds each element once, by Python's equality (`set([1, 1, True, 2])` is `{1, 2}`,
/// the first of equal ones kept), however the pickle builds it: `set()` / `frozenset()` of a
/// list with repeats, ADDITEMS, FROZENSET. Distinct NaNs stay distinct, as unpickled floats
/// are distinct objects. Checked against python3's repr.
#[test]
fn sets_keep_each_element_once_as_python_does() {
    let cases: [(&[u8], &str); 5] = [
        (
            b"\x80\x02]q\x00(c__builtin__\nset\nq\x01]q\x02(K\x01K\x01\x88K\x02e\x85q\x03Rq\x04c__builtin__\nfrozenset\nq\x05K\x03G@\x08\x00\x00\x00\x00\x00\x00\x86q\x06\x85q\x07Rq\x08e.",
            "[{1, 2}, frozenset({3})]",
        ),
        (b"\x80\x04\x8f(K\x01K\x01\x90.", "{1}"),
        (b"\x80\x04(K\x01G?\xf0\x00\x00\x00\x00\x00\x00\x91.", "frozenset({1})"),
        (
            b"\x80\x04\x8f(G\x7f\xf8\x00\x00\x00\x00\x00\x00G\x7f\xf8\x00\x00\x00\x00\x00\x00\x90.",
            "{nan, nan}",
        ),
        (b"\x80\x04\x8f(K\x01K\x01\x85K\x01\x85\x90.", "{1, (1,)}"),
    ];
    for (data, repr) in cases {
        let v: pypickle::Value = pypickle::from_slice(data).unwrap();
        assert_eq!(v.to_string(), repr);
        // Typed reads see the same elements.
        let n = pypickle::from_slice::<serde::de::IgnoredAny>(data).map(|_| ());
        assert!(n.is_ok());
    }
    let typed: Vec<Vec<f64>> = pypickle::from_slice(cases[0].0).unwrap();
    assert_eq!(typed, [vec![1.0, 2.0], vec![3.0]]);
    let typed: Vec<i64> = pypickle::from_slice(cases[1].0).unwrap();
    assert_eq!(typed, [1]);
    let typed: Vec<f64> = pypickle::from_slice(cases[3].0).unwrap();
    assert_eq!(typed.len(), 2);
    let out = std::process::Command::new("python3")
        .args([
            "-c",
            "import pickle,sys\n\
             for h in sys.argv[1:]: print(repr(pickle.loads(bytes.fromhex(h))))",
        ])
        .args(
            cases
                .iter()
                .map(|(d, _)| d.iter().map(|b| format!("{b:02x}")).collect::<String>()),
        )
        .output()
        .expect("python3");
    let text = String::from_utf8(out.stdout).unwrap();
    let want: Vec<&str> = cases.iter().map(|(_, r)| *r).collect();
    assert_eq!(text.lines().collect::<Vec<_>>(), want);
}

/// A float beyond `f32`'s range read as `f32` is an error, from the pickle and from a `Value`:
/// serde's own `f32` visitor would cast it to infinity.
#[test]
fn floats_beyond_f32s_range_are_errors_not_infinity() {
    let float = |f: f64| [&b"\x80\x02G"[..], &f.to_be_bytes(), b"."].concat();
    // 2**128, a LONG1 of 17 bytes.
    let big = [&b"\x80\x02\x8a\x11"[..], &[0; 16], &[1], b"."].concat();
    for p in [float(3.5e38), float(-1e300), big] {
        let e = pypickle::from_slice::<f32>(&p).unwrap_err();
        assert!(e.to_string().contains("expected an f32"), "{e}");
        let v: pypickle::Value = pypickle::from_slice(&p).unwrap();
        let e = pypickle::from_value::<f32>(v).unwrap_err();
        assert!(e.to_string().contains("expected an f32"), "{e}");
        assert!(pypickle::from_slice::<f64>(&p).unwrap().is_finite());
    }
    assert_eq!(
        pypickle::from_slice::<f32>(&float(f64::from(f32::MAX))).unwrap(),
        f32::MAX
    );
    assert_eq!(pypickle::from_slice::<f32>(&float(0.1)).unwrap(), 0.1f32);
    assert!(pypickle::from_slice::<f32>(&float(f64::INFINITY))
        .unwrap()
        .is_infinite());
    assert!(pypickle::from_slice::<f32>(&float(f64::NAN))
        .unwrap()
        .is_nan());
}

/// An int wider than 128 bits read as a str (or anything but `Value`) is the wrong type, and
/// the error says what was expected.
#[test]
fn ints_wider_than_128_bits_are_type_errors() {
    // 2**200, a LONG1 of 26 bytes.
    let p = [&b"\x80\x02\x8a\x1a"[..], &[0; 25], &[1], b"."].concat();
    let e = pypickle::from_slice::<String>(&p).unwrap_err();
    assert!(
        e.to_string().contains("wider than 128 bits")
            && e.to_string().contains("expected a string"),
        "{e}"
    );
    assert_eq!(e.category(), pypickle::Category::Type);
}

/// A big int out of `i128`'s or `u128`'s range names the number and the type, as the 64-bit
/// types' errors do (serde's visitors said only "invalid value: u128, expected i128").
#[test]
fn ints_out_of_128_bit_range_name_the_number() {
    // 2**127 and -2**64, LONG1.
    let two_127 = [&b"\x80\x02\x8a\x11"[..], &[0; 15], &[0x80, 0], b"."].concat();
    let minus_two_64 = [&b"\x80\x02\x8a\x09"[..], &[0; 8], &[0xff], b"."].concat();
    for (p, ty, text) in [
        (&two_127, "i128", "170141183460469231731687303715884105728"),
        (&minus_two_64, "u128", "-18446744073709551616"),
    ] {
        let want = format!("invalid value: integer `{text}`, expected {ty}");
        let e = if ty == "i128" {
            pypickle::from_slice::<i128>(p).unwrap_err()
        } else {
            pypickle::from_slice::<u128>(p).unwrap_err()
        };
        assert!(e.to_string().starts_with(&want), "{e}");
        let v: pypickle::Value = pypickle::from_slice(p).unwrap();
        let e = if ty == "i128" {
            pypickle::from_value::<i128>(v).unwrap_err()
        } else {
            pypickle::from_value::<u128>(v).unwrap_err()
        };
        assert!(e.to_string().starts_with(&want), "{e}");
    }
    assert_eq!(
        pypickle::from_slice::<u128>(&two_127).unwrap(),
        1u128 << 127
    );
    assert_eq!(
        pypickle::from_slice::<i128>(&minus_two_64).unwrap(),
        -(1i128 << 64)
    );
}

/// A `Value` read through serde's buffering (a flattened map, an untagged enum) meets tuples as
/// lists; a dict keyed by one would be a `Value` with a list for a key, which Python cannot
/// hash and this crate cannot write back. That is an error now, not such a `Value`.
#[test]
fn a_value_with_a_tuple_key_through_flatten_is_an_error() {
    #[derive(Deserialize, Debug)]
    struct Cat {
        #[allow(dead_code)]
        id: u32,
        #[serde(flatten)]
        #[allow(dead_code)]
        rest: BTreeMap<String, pypickle::Value>,
    }
    // pickle.dumps({'id': 1, 'k': {(1, 2): 3}}, 4)
    let p = b"\x80\x04\x95\x1b\x00\x00\x00\x00\x00\x00\x00}\x94(\x8c\x02id\x94K\x01\x8c\x01k\x94}\x94K\x01K\x02\x86\x94K\x03su.";
    let e = pypickle::from_slice::<Cat>(p).unwrap_err();
    assert!(e.to_string().contains("cannot be a dict key"), "{e}");
    // Read directly, the same dict keeps its tuple key.
    let v: pypickle::Value = pypickle::from_slice(p).unwrap();
    assert_eq!(v.to_string(), "{'id': 1, 'k': {(1, 2): 3}}");
}

#[test]
fn a_unit_variant_reads_from_its_name_as_bytes_as_a_payload_variant_does() {
    // Python 2: pickle.dumps({'kind': 'A', 'name': 'x'}, 2), read with Py2Strings::Bytes,
    // where {'kind': {'B': 1}} already read (found by a review).
    #[derive(serde::Deserialize, Debug, PartialEq)]
    enum Kind {
        A,
        B(i32),
    }
    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct Rec {
        kind: Kind,
        name: String,
    }
    let unit = b"\x80\x02}q\x00(U\x04kindq\x01U\x01Aq\x02U\x04nameq\x03U\x01xq\x04u.";
    let opts = pypickle::DeOptions::new().py2_strings(pypickle::Py2Strings::Bytes);
    let want = Rec {
        kind: Kind::A,
        name: "x".into(),
    };
    assert_eq!(pypickle::from_slice_with::<Rec>(unit, &opts).unwrap(), want);
    let v: pypickle::Value = pypickle::from_slice_with(unit, &opts).unwrap();
    assert_eq!(pypickle::from_value::<Rec>(v).unwrap(), want);
    // Python 3: pickle.dumps(b'A', 4) and pickle.dumps({b'B': 1}, 4).
    let a = b"\x80\x04\x95\x05\x00\x00\x00\x00\x00\x00\x00C\x01A\x94.";
    assert_eq!(pypickle::from_slice::<Kind>(a).unwrap(), Kind::A);
    let b = b"\x80\x04\x95\x0a\x00\x00\x00\x00\x00\x00\x00}\x94C\x01B\x94K\x01s.";
    assert_eq!(pypickle::from_slice::<Kind>(b).unwrap(), Kind::B(1));
    // Bytes that are not a variant's name are the visitor's error, as a str's would be.
    let c = b"\x80\x04\x95\x05\x00\x00\x00\x00\x00\x00\x00C\x01C\x94.";
    let e = pypickle::from_slice::<Kind>(c).unwrap_err().to_string();
    assert!(e.contains("unknown variant"), "{e}");
}

/// A `char` takes a Python 2 str kept as bytes, as a `String` does (found by a hunt).
#[test]
fn a_char_reads_a_python_2_str_kept_as_bytes() {
    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct S {
        name: String,
        c: char,
    }
    // Python 2: pickle.dumps({'name': 'ab', 'c': 'x'}, 2); then 'c' as '\xc3\xa9' (UTF-8 é).
    let p = b"\x80\x02}q\x00(U\x04nameq\x01U\x02abq\x02U\x01cq\x03U\x01xq\x04u.";
    let e9 = b"\x80\x02}q\x00(U\x04nameq\x01U\x02abq\x02U\x01cq\x03U\x02\xc3\xa9q\x04u.";
    let two = b"\x80\x02}q\x00(U\x04nameq\x01U\x02abq\x02U\x01cq\x03U\x02xyq\x04u.";
    let opts = pypickle::DeOptions::new().py2_strings(pypickle::Py2Strings::Bytes);
    for (pickle, c) in [(&p[..], 'x'), (&e9[..], 'é')] {
        let want = S {
            name: "ab".into(),
            c,
        };
        assert_eq!(pypickle::from_slice_with::<S>(pickle, &opts).unwrap(), want);
        let v: pypickle::Value = pypickle::from_slice_with(pickle, &opts).unwrap();
        assert_eq!(pypickle::from_value::<S>(v).unwrap(), want);
    }
    let e = pypickle::from_slice_with::<S>(two, &opts).unwrap_err();
    assert!(e.to_string().contains("expected a character"), "{e}");
    let v: pypickle::Value = pypickle::from_slice_with(two, &opts).unwrap();
    assert!(pypickle::from_value::<S>(v).is_err());
}

/// A `Deserialize` impl that breaks `MapAccess`'s key-then-value order gets the same answer
/// from the pickle reader as from `from_value`: a value asked for after the last entry or
/// before any key is an error (the first was a panic, found by a hunt; the second handed the
/// key over as the value; serde's own `MapDeserializer` panics), and a key asked for twice in
/// a row passes the first key's value over, as serde's does (it handed the value over as a
/// key, and underflowed a count: a panic in a debug build; found by a trial).
#[test]
fn a_map_access_used_out_of_order_is_an_error_or_skips_as_serde_does() {
    use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};
    /// What `M` asks for: 0 a key then two values, 1 a value first, 2 two keys then a value,
    /// 3 a key, another (there is none) and a value, 4 a key alone.
    #[derive(Debug, PartialEq)]
    struct Misuse<const M: u8>(Vec<String>);
    impl<'de, const M: u8> Deserialize<'de> for Misuse<M> {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V<const M: u8>;
            impl<'de, const M: u8> Visitor<'de> for V<M> {
                type Value = Misuse<M>;
                fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                    f.write_str("a map")
                }
                fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Misuse<M>, A::Error> {
                    let mut seen = Vec::new();
                    match M {
                        0 => {
                            let _: Option<IgnoredAny> = m.next_key()?;
                            let _: IgnoredAny = m.next_value()?;
                            let _: IgnoredAny = m.next_value()?;
                        }
                        1 => seen.push(m.next_value::<String>()?),
                        3 => {
                            seen.extend(m.next_key::<String>()?);
                            seen.extend(m.next_key::<String>()?);
                            seen.push(m.next_value::<String>()?);
                        }
                        4 => seen.extend(m.next_key::<String>()?),
                        _ => {
                            while let Some(k) = m.next_key::<String>()? {
                                seen.push(k);
                                if let Some(k) = m.next_key::<String>()? {
                                    seen.push(k);
                                    seen.push(m.next_value::<String>()?);
                                }
                            }
                        }
                    }
                    Ok(Misuse(seen))
                }
            }
            d.deserialize_map(V::<M>)
        }
    }
    fn both<T: for<'de> Deserialize<'de>>(b: &[u8]) -> [Result<T, String>; 2] {
        let v: pypickle::Value = pypickle::from_slice(b).unwrap();
        [
            pypickle::from_slice::<T>(b).map_err(|e| e.to_string()),
            pypickle::from_value::<T>(v).map_err(|e| e.to_string()),
        ]
    }
    let one = pypickle::to_vec(&BTreeMap::from([(1, 2)])).unwrap();
    for r in both::<Misuse<0>>(&one) {
        assert!(r.unwrap_err().contains("no key before it"));
    }
    let kv = pypickle::to_vec(&BTreeMap::from([("key", "value")])).unwrap();
    for r in both::<Misuse<1>>(&kv) {
        assert!(r.unwrap_err().contains("no key before it"));
    }
    let four: Vec<(String, String)> = (1..=4)
        .map(|i| (format!("k{i}"), format!("v{i}")))
        .collect();
    let four = pypickle::to_vec(&four.into_iter().collect::<BTreeMap<_, _>>()).unwrap();
    let want = Misuse::<2>(
        ["k1", "k2", "v2", "k3", "k4", "v4"]
            .map(String::from)
            .to_vec(),
    );
    for r in both::<Misuse<2>>(&four) {
        assert_eq!(r.unwrap(), want);
    }
    // The value passed over by a second key that found none is still the one handed over,
    // and a value left unread after its key is not an entry left unread (as serde's own).
    let want = Misuse::<3>(["key", "value"].map(String::from).to_vec());
    for r in both::<Misuse<3>>(&kv) {
        assert_eq!(r.unwrap(), want);
    }
    for r in both::<Misuse<4>>(&kv) {
        assert_eq!(r.unwrap(), Misuse::<4>(vec!["key".into()]));
    }
}

/// With serde_json's `arbitrary_precision` on (the `cli` feature turns it on for the whole
/// build), serde_json hands a number over as a one-entry map, and serde's buffer (an untagged
/// or internally tagged enum, a flattened field) replays it so: a `Value` there is the number,
/// as serde_json's own `Value` makes it. (A review found a rule meant to keep a pickle's dict
/// of that one key a dict through the buffer made these dicts instead.)
#[cfg(feature = "cli")]
#[test]
fn buffered_json_numbers_read_as_numbers() {
    use pypickle::Value;
    #[derive(serde::Deserialize, Debug)]
    #[serde(untagged)]
    enum U {
        V(Value),
    }
    #[derive(serde::Deserialize, Debug)]
    struct F {
        #[serde(flatten)]
        rest: BTreeMap<String, Value>,
    }
    #[derive(serde::Deserialize, Debug)]
    #[serde(tag = "t")]
    enum T {
        A { x: Value },
    }
    let U::V(v) = serde_json::from_str::<U>("2.5").unwrap();
    assert_eq!(v, Value::Float(2.5));
    let U::V(v) = serde_json::from_str::<U>("123456789012345678901234567890").unwrap();
    assert_eq!(v.to_string(), "123456789012345678901234567890");
    let f: F = serde_json::from_str(r#"{"x": 2.5, "y": 12}"#).unwrap();
    assert_eq!(
        (&f.rest["x"], &f.rest["y"]),
        (&Value::Float(2.5), &Value::Int(12))
    );
    let T::A { x } = serde_json::from_str::<T>(r#"{"t": "A", "x": 1e300}"#).unwrap();
    assert_eq!(x, Value::Float(1e300));
}

/// `from_value` reads a `Value::BigInt` within `i64` (which only a hand-built value holds) as
/// the integer types, negative ones too (found by a hunt).
#[test]
fn a_small_big_int_reads_as_every_integer_type() {
    use pypickle::{BigInt, Value};
    let minus = || Value::BigInt(BigInt::from(-5i64));
    assert_eq!(pypickle::from_value::<i64>(minus()).unwrap(), -5);
    assert_eq!(pypickle::from_value::<i8>(minus()).unwrap(), -5);
    assert_eq!(pypickle::from_value::<i128>(minus()).unwrap(), -5);
    assert!(pypickle::from_value::<u32>(minus()).is_err());
    assert_eq!(
        pypickle::from_value::<u8>(Value::BigInt(BigInt::from(5i64))).unwrap(),
        5
    );
}

/// A Python 2 `str` decoded as Latin-1 (`Py2Strings::Latin1`, as CPython's
/// `encoding='latin1'`) read as bytes gives the pickle's bytes, as `s.encode('latin1')`
/// does, and a memo reference of it too; it gave the text's UTF-8 (a hunt).
#[test]
fn a_latin1_python_2_str_read_as_bytes_is_its_own_bytes() {
    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct Rec {
        #[serde(with = "serde_bytes")]
        blob: Vec<u8>,
        #[serde(with = "serde_bytes")]
        again: Vec<u8>,
        text: String,
    }
    // Python 2: {'blob': s, 'again': s, 'text': s} with s = '\xe9\xff\x00', at protocols 0 and 2.
    let pickles: [&[u8]; 2] = [
        b"(dp0\nS'blob'\np1\nS'\\xe9\\xff\\x00'\np2\nsS'again'\np3\ng2\nsS'text'\np4\ng2\ns.",
        b"\x80\x02}q\x00(U\x04blobq\x01U\x03\xe9\xff\x00q\x02U\x05againq\x03h\x02U\x04textq\x04h\x02u.",
    ];
    for p in pickles {
        // What CPython gives: the str, whose Latin-1 encoding is the pickle's bytes.
        let script = format!(
            "import pickle\nd = pickle.loads(bytes.fromhex('{}'), encoding='latin1')\n\
             print(d['blob'].encode('latin1').hex(), d['again'] is d['blob'])",
            py_common::hex(p)
        );
        assert_eq!(py_common::python(&script).trim(), "e9ff00 True");
        let opts = pypickle::DeOptions::new().py2_strings(pypickle::Py2Strings::Latin1);
        let r: Rec = pypickle::from_slice_with(p, &opts).unwrap();
        assert_eq!(
            (&r.blob[..], &r.again[..], &r.text[..]),
            (&[0xe9, 0xff, 0][..], &[0xe9, 0xff, 0][..], "\u{e9}\u{ff}\0")
        );
        // ASCII is the same bytes, lent from the input as before (a review: it was copied,
        // and a borrowed `&[u8]` refused).
        let ascii = b"\x80\x02}q\x00U\x04blobq\x01U\x03abcq\x02s.";
        #[derive(serde::Deserialize)]
        struct Lent<'a> {
            #[serde(borrow, with = "serde_bytes")]
            blob: &'a [u8],
        }
        let lent: Lent = pypickle::from_slice_with(ascii, &opts).unwrap();
        assert_eq!(lent.blob, b"abc");
        // The text from a `Value` is the str CPython gives.
        let v: pypickle::Value = pypickle::from_slice_with(p, &opts).unwrap();
        assert_eq!(v["blob"], "\u{e9}\u{ff}\0");
    }
}

/// In an untagged enum (serde's buffering), a str and bytes can both reach either of a
/// `String` and a `ByteBuf` variant, whichever is listed first: `String`'s visitor takes UTF-8
/// bytes and `ByteBuf`'s takes a str. The README said listing the bytes variant first kept
/// them apart; it turned every str into bytes. A `Value` there keeps them apart.
#[test]
fn an_untagged_enum_cannot_tell_str_from_bytes_but_value_can() {
    use pypickle::Value;
    use serde_bytes::ByteBuf;
    #[derive(Deserialize, Debug, PartialEq)]
    #[serde(untagged)]
    enum StrFirst {
        S(String),
        B(ByteBuf),
    }
    #[derive(Deserialize, Debug, PartialEq)]
    #[serde(untagged)]
    enum BytesFirst {
        B(ByteBuf),
        S(String),
    }
    #[derive(Deserialize, Debug, PartialEq)]
    #[serde(untagged)]
    enum Either {
        V(Value),
    }
    let s = pypickle::to_vec(&"hi").unwrap();
    let b = pypickle::to_vec(&serde_bytes::Bytes::new(b"hi")).unwrap();
    let read = |p: &[u8]| pypickle::from_slice::<StrFirst>(p).unwrap();
    assert_eq!(
        (read(&s), read(&b)),
        (StrFirst::S("hi".into()), StrFirst::S("hi".into()))
    );
    let read = |p: &[u8]| pypickle::from_slice::<BytesFirst>(p).unwrap();
    let bytes = || BytesFirst::B(ByteBuf::from(b"hi".to_vec()));
    assert_eq!((read(&s), read(&b)), (bytes(), bytes()));
    let read = |p: &[u8]| pypickle::from_slice::<Either>(p).unwrap();
    assert_eq!(read(&s), Either::V(Value::Str("hi".into())));
    assert_eq!(read(&b), Either::V(Value::Bytes(b"hi".to_vec())));
}
