"""Write python_fixtures/typed/record.p<0-5>.pkl: one dict covering serde's whole data model,
which tests/typed.rs reads into a #[derive(Deserialize)] struct at every protocol.
Run: python3 python_fixtures/typed.py
"""
import os
import pickle

RECORD = {
    "b": True,
    "i8": -128, "i16": -32768, "i32": -2**31, "i64": -2**63, "i128": -2**127,
    "u8": 255, "u16": 65535, "u32": 2**32 - 1, "u64": 2**64 - 1, "u128": 2**128 - 1,
    "f32": 1.5, "f64": -0.1, "f64_from_int": 3,
    "ch": "é", "s": "text", "borrowed": "zero-copy", "cow": "cow",
    "by": b"\x00\xff", "ba": bytearray(b"xy"), "vec_u8_from_bytes": b"\x01\x02",
    "opt_none": None, "opt_some": 5,
    "unit": None, "unit_struct": None, "newtype": 7,
    "tuple": (1, "a", 2.5), "tuple_struct": (1, 2), "array": [1, 2, 3], "array_from_tuple": (4, 5, 6),
    "seq": [1, 2, 3], "seq_from_set": {1}, "seq_from_frozenset": frozenset({2}), "seq_from_tuple": (3,),
    "map": {"a": 1, "b": 2}, "int_keys": {1: "x", 2: "y"}, "tuple_keys": {(1, 2): "p"},
    "nested": {"inner": [{"x": 1}, {"x": 2}]},
    "unit_variant": "A", "newtype_variant": {"B": 5}, "tuple_variant": {"C": (1, "x")},
    "struct_variant": {"D": {"x": 1, "y": "z"}},
    "ignored": {"anything": [1, 2, {3}]},
}

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "typed")
os.makedirs(out, exist_ok=True)
for proto in range(6):
    with open(os.path.join(out, "record.p%d.pkl" % proto), "wb") as f:
        pickle.dump(RECORD, f, protocol=proto)
print("wrote", out)
