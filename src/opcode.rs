//! The 68 opcodes of pickle protocols 0 to 5, as one table.
//!
//! Each opcode has a byte, the name `pickletools` uses, the protocol that introduced it and the
//! shape of its inline argument. The unpickler dispatches on the byte constants; error messages
//! and the disassembler use the table.

/// The shape of an opcode's inline argument (what follows the opcode byte in the stream).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arg {
    /// No inline argument.
    None,
    /// A fixed number of bytes (unsigned or signed little-endian ints, a big-endian float).
    Fixed(u8),
    /// One text line ended by `\n`.
    Line,
    /// Two text lines (`module\nname\n`).
    TwoLines,
    /// A little-endian length of this many bytes, then that many bytes of data.
    Counted(u8),
}

/// One row of the opcode table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpInfo {
    /// The opcode byte.
    pub code: u8,
    /// The name used by CPython's `pickletools`.
    pub name: &'static str,
    /// The first protocol that has this opcode.
    pub proto: u8,
    /// The inline argument that follows the byte.
    pub arg: Arg,
}

macro_rules! opcodes {
    ($($name:ident = $code:expr, $proto:expr, $arg:expr;)*) => {
        $(
            #[doc = concat!("The `", stringify!($name), "` opcode.")]
            pub const $name: u8 = $code;
        )*
        /// Every opcode of protocols 0 to 5, in `pickletools` order.
        pub const OPCODES: &[OpInfo] = &[
            $(OpInfo { code: $code, name: stringify!($name), proto: $proto, arg: $arg },)*
        ];
    };
}

opcodes! {
    INT = b'I', 0, Arg::Line;
    BININT = b'J', 1, Arg::Fixed(4);
    BININT1 = b'K', 1, Arg::Fixed(1);
    BININT2 = b'M', 1, Arg::Fixed(2);
    LONG = b'L', 0, Arg::Line;
    LONG1 = 0x8a, 2, Arg::Counted(1);
    LONG4 = 0x8b, 2, Arg::Counted(4);
    STRING = b'S', 0, Arg::Line;
    BINSTRING = b'T', 1, Arg::Counted(4);
    SHORT_BINSTRING = b'U', 1, Arg::Counted(1);
    BINBYTES = b'B', 3, Arg::Counted(4);
    SHORT_BINBYTES = b'C', 3, Arg::Counted(1);
    BINBYTES8 = 0x8e, 4, Arg::Counted(8);
    BYTEARRAY8 = 0x96, 5, Arg::Counted(8);
    NEXT_BUFFER = 0x97, 5, Arg::None;
    READONLY_BUFFER = 0x98, 5, Arg::None;
    NONE = b'N', 0, Arg::None;
    NEWTRUE = 0x88, 2, Arg::None;
    NEWFALSE = 0x89, 2, Arg::None;
    UNICODE = b'V', 0, Arg::Line;
    SHORT_BINUNICODE = 0x8c, 4, Arg::Counted(1);
    BINUNICODE = b'X', 1, Arg::Counted(4);
    BINUNICODE8 = 0x8d, 4, Arg::Counted(8);
    FLOAT = b'F', 0, Arg::Line;
    BINFLOAT = b'G', 1, Arg::Fixed(8);
    EMPTY_LIST = b']', 1, Arg::None;
    APPEND = b'a', 0, Arg::None;
    APPENDS = b'e', 1, Arg::None;
    LIST = b'l', 0, Arg::None;
    EMPTY_TUPLE = b')', 1, Arg::None;
    TUPLE = b't', 0, Arg::None;
    TUPLE1 = 0x85, 2, Arg::None;
    TUPLE2 = 0x86, 2, Arg::None;
    TUPLE3 = 0x87, 2, Arg::None;
    EMPTY_DICT = b'}', 1, Arg::None;
    DICT = b'd', 0, Arg::None;
    SETITEM = b's', 0, Arg::None;
    SETITEMS = b'u', 1, Arg::None;
    EMPTY_SET = 0x8f, 4, Arg::None;
    ADDITEMS = 0x90, 4, Arg::None;
    FROZENSET = 0x91, 4, Arg::None;
    POP = b'0', 0, Arg::None;
    DUP = b'2', 0, Arg::None;
    MARK = b'(', 0, Arg::None;
    POP_MARK = b'1', 1, Arg::None;
    GET = b'g', 0, Arg::Line;
    BINGET = b'h', 1, Arg::Fixed(1);
    LONG_BINGET = b'j', 1, Arg::Fixed(4);
    PUT = b'p', 0, Arg::Line;
    BINPUT = b'q', 1, Arg::Fixed(1);
    LONG_BINPUT = b'r', 1, Arg::Fixed(4);
    MEMOIZE = 0x94, 4, Arg::None;
    EXT1 = 0x82, 2, Arg::Fixed(1);
    EXT2 = 0x83, 2, Arg::Fixed(2);
    EXT4 = 0x84, 2, Arg::Fixed(4);
    GLOBAL = b'c', 0, Arg::TwoLines;
    STACK_GLOBAL = 0x93, 4, Arg::None;
    REDUCE = b'R', 0, Arg::None;
    BUILD = b'b', 0, Arg::None;
    INST = b'i', 0, Arg::TwoLines;
    OBJ = b'o', 1, Arg::None;
    NEWOBJ = 0x81, 2, Arg::None;
    NEWOBJ_EX = 0x92, 4, Arg::None;
    PROTO = 0x80, 2, Arg::Fixed(1);
    STOP = b'.', 0, Arg::None;
    FRAME = 0x95, 4, Arg::Fixed(8);
    PERSID = b'P', 0, Arg::Line;
    BINPERSID = b'Q', 1, Arg::None;
}

/// The highest protocol this crate reads and writes.
pub const HIGHEST_PROTOCOL: u8 = 5;

const fn build_index() -> [u8; 256] {
    let mut index = [u8::MAX; 256];
    let mut i = 0;
    while i < OPCODES.len() {
        index[OPCODES[i].code as usize] = i as u8;
        i += 1;
    }
    index
}

static INDEX: [u8; 256] = build_index();

/// The table row of an opcode byte, or `None` if the byte is not an opcode.
pub fn info(code: u8) -> Option<&'static OpInfo> {
    OPCODES.get(INDEX[code as usize] as usize)
}

/// The `pickletools` name of an opcode byte, or `None` if the byte is not an opcode.
pub fn name(code: u8) -> Option<&'static str> {
    info(code).map(|i| i.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_has_68_distinct_opcodes() {
        assert_eq!(OPCODES.len(), 68);
        let mut seen = [false; 256];
        for op in OPCODES {
            assert!(!seen[op.code as usize], "{} twice", op.name);
            seen[op.code as usize] = true;
            assert_eq!(info(op.code), Some(op));
            assert!(op.proto <= HIGHEST_PROTOCOL);
        }
        assert_eq!(name(b'.'), Some("STOP"));
        assert_eq!(name(0xff), None);
    }
}
