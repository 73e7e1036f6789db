//! The writer's memo: ids counted exactly as CPython counts them, and the strings and globals
//! this crate refers back to.
//!
//! CPython memoizes every string, bytes and container it writes (a PUT, or MEMOIZE from
//! protocol 4) and refers back to an object it meets again by identity. Rust values have no
//! identity that would survive a round trip, so this writer emits the same PUTs, so that ids
//! line up with CPython's, and refers back only where CPython's sharing comes from interning:
//! dict keys and enum variant names (by content, or by address for `&'static str` field names),
//! module names of globals, and the globals themselves.

use std::collections::HashMap;

/// Content-keyed entries stop being added past this many, to bound memory on dicts with
/// millions of distinct keys (the PUTs are still written, so ids stay CPython's).
const MAX_STRS: usize = 1 << 18;
/// Longer strings are not looked up by content: keys that long rarely repeat.
const MAX_STR_LEN: usize = 256;

#[derive(Default)]
pub(crate) struct Memo {
    /// The id the next PUT gets (CPython: the memo's size).
    pub(crate) next: u64,
    strs: HashMap<Box<str>, u64>,
    statics: PtrTable,
    /// The `statics` entries of struct field names, by the field's place in its struct.
    fields: FieldCache,
    globals: HashMap<Box<str>, u64>,
    /// `b''` (key 256) and the 1-byte bytes objects, which CPython caches as singletons.
    small_bytes: Vec<(u16, u64)>,
    /// Recently written short str values.
    pub(crate) short: ShortStrCache,
    scratch: String,
}

impl Memo {
    pub(crate) fn clear(&mut self) {
        self.next = 0;
        self.strs.clear();
        self.statics.clear();
        self.fields.clear();
        self.globals.clear();
        self.small_bytes.clear();
        self.short.clear();
    }

    /// Forget every entry, and go on from id `next`: what a pickle abandoned after id `next`
    /// wrote never reached the reader, and the entries before it may be written again.
    pub(crate) fn forget(&mut self, next: u64) {
        self.clear();
        self.next = next;
    }

    /// The memo id of `b` if it is `b''` or one byte and was written before.
    #[inline]
    pub(crate) fn get_small_bytes(&self, b: &[u8]) -> Option<u64> {
        let key = small_bytes_key(b)?;
        self.small_bytes
            .iter()
            .find(|(k, _)| *k == key)
            .map(|&(_, id)| id)
    }

    pub(crate) fn put_small_bytes(&mut self, b: &[u8], id: u64) {
        if let Some(key) = small_bytes_key(b) {
            self.small_bytes.push((key, id));
        }
    }

    #[inline]
    pub(crate) fn get_str(&self, s: &str) -> Option<u64> {
        if self.strs.is_empty() || s.len() > MAX_STR_LEN {
            return None;
        }
        self.strs.get(s).copied()
    }

    pub(crate) fn put_str(&mut self, s: &str, id: u64) {
        if s.len() <= MAX_STR_LEN && self.strs.len() < MAX_STRS {
            self.strs.insert(s.into(), id);
        }
    }

    /// A `&'static str` seen before at the same address.
    #[inline(always)]
    pub(crate) fn get_static(&self, s: &'static str) -> Option<u64> {
        self.statics.get(s)
    }

    pub(crate) fn put_static(&mut self, s: &'static str, id: u64) {
        self.statics.insert(s, id);
    }

    /// The BINGET of struct field name `s` if it was the `index`th field of a struct written
    /// before (and is in `statics`): one compare of address and length, where `statics`
    /// hashes, and the opcode ready to copy.
    #[inline(always)]
    pub(crate) fn get_field(&self, s: &'static str, index: usize) -> Option<[u8; 2]> {
        let slot = &self.fields.slots[index % FIELD_SLOTS];
        (slot.ptr == s.as_ptr() as usize && slot.len == s.len()).then_some(slot.get)
    }

    /// Remember that `s`, the `index`th field of a struct, has memo id `id` in `statics`, if
    /// the id is below 256 (a BINGET's): a hit then needs no check. Larger ids are found in
    /// `statics`.
    pub(crate) fn put_field(&mut self, s: &'static str, index: usize, id: u64) {
        if id < 256 {
            self.fields.slots[index % FIELD_SLOTS] = FieldSlot {
                ptr: s.as_ptr() as usize,
                len: s.len(),
                get: [crate::opcode::BINGET, id as u8],
            };
            self.fields.used = true;
        }
    }

    fn global_key(scratch: &mut String, module: &str, name: &str) {
        scratch.clear();
        scratch.push_str(module);
        scratch.push('\n');
        scratch.push_str(name);
    }

    pub(crate) fn get_global(&mut self, module: &str, name: &str) -> Option<u64> {
        if self.globals.is_empty() {
            return None;
        }
        Self::global_key(&mut self.scratch, module, name);
        self.globals.get(self.scratch.as_str()).copied()
    }

    pub(crate) fn put_global(&mut self, module: &str, name: &str, id: u64) {
        Self::global_key(&mut self.scratch, module, name);
        self.globals.insert(self.scratch.as_str().into(), id);
    }
}

/// Str values up to this many bytes are remembered by [`ShortStrCache`].
pub(crate) const SHORT_STR: usize = 23;
const SHORT_SLOTS: usize = 256;

/// `Slot::tag`: the length in bits 0-7, the generation in 8-15 (together the key, which a
/// probe compares as one 16-bit word), the hit flag in bit 24, the memo id in 32-63.
const TAG_HIT: u64 = 1 << 24;
/// The generation's bits of `Slot::tag`.
const TAG_GENERATION: u64 = 0xff << 8;

/// A cached string as the words [`ShortStrCache::lookup`] reads from it: comparing them compares
/// the strings, with no byte loop or `memcmp` call.
#[derive(Clone, Copy, Default)]
struct Slot {
    /// The first and last 8 (or 4) bytes, overlapping (every byte of a string of up to 16
    /// bytes; up to 3 bytes are packed into `first`).
    first: u64,
    last: u64,
    /// Bytes 8..16 of a string of 17 or more bytes, else 0.
    mid: u64,
    tag: u64,
}

/// A slot [`ShortStrCache::find`] found, to be marked as repeated with [`Hit::mark`].
struct Hit<'a>(&'a mut u64);

impl Hit<'_> {
    /// The str found has repeated: it keeps its slot.
    #[inline(always)]
    fn mark(self) {
        *self.0 |= TAG_HIT;
    }
}

/// What [`ShortStrCache::search`] found.
pub(crate) enum Found {
    /// The BINGET of the str's memo entry, ready to write.
    Get([u8; 2]),
    /// The str's memo id, which a BINGET cannot carry (or protocol 0).
    Id(u64),
    /// Not in the cache: now cached as the memo entry to come.
    Miss,
}

/// Where a str would sit in the [`ShortStrCache`], and its words: what a miss hands to
/// [`ShortStrCache::fill`].
#[derive(Clone, Copy)]
struct Probe {
    /// The slot: a `u8`, so that it needs no bounds check.
    index: u8,
    first: u64,
    last: u64,
    mid: u64,
    len: u8,
}

impl Probe {
    /// The slot and the first and last words: what a miss hands on in registers (a whole
    /// `Probe` goes through memory), to be rebuilt with [`Probe::rebuild`].
    #[inline(always)]
    fn parts(&self) -> (u8, u64, u64) {
        (self.index, self.first, self.last)
    }

    /// The probe of `s` from its [`parts`](Probe::parts): the rest is read from `s` again.
    #[inline(always)]
    fn rebuild(s: &[u8], (index, first, last): (u8, u64, u64)) -> Probe {
        let n = s.len();
        debug_assert!(n <= SHORT_STR);
        let mid = if n > 16 {
            u64::from_le_bytes(s[8..16].try_into().expect("8 bytes"))
        } else {
            0
        };
        Probe {
            index,
            first,
            last,
            mid,
            len: n as u8,
        }
    }
}

/// A direct-mapped cache of recently written short str values and their memo ids, so that a
/// value repeated across records (`"red"`, a country code, a status) is written once and then
/// referred to, as CPython does for the interned literals such data usually comes from. Fixed
/// size, no allocation per string, and a miss only costs a hash. A string that has repeated
/// keeps its slot against one-off strings (unique names would otherwise evict the repeated tags
/// between two uses); a string that finds its slot taken is simply written in full.
/// Entries of [`ShortStrCache`]'s first level.
const RECENT: usize = 64;

/// A str found in the cache by a BINGET, by its address: the same address, length and
/// generation and the same words (content is compared, as an address can be reused for other
/// text) are the same slot, marked, with the same id, without the hash and the slot's loads.
#[derive(Clone, Copy, Default)]
struct Recent {
    ptr: usize,
    /// Length and generation, as a slot's key: a stale entry never matches.
    key: u64,
    first: u64,
    last: u64,
    mid: u64,
    get: [u8; 2],
}

#[derive(Default)]
pub(crate) struct ShortStrCache {
    /// Allocated at the first fill (a fixed-size array: a `u8` index needs no bounds check).
    slots: Option<Box<[Slot; SHORT_SLOTS]>>,
    /// The first level, allocated with `slots`.
    recent: Option<Box<[Recent; RECENT]>>,
    /// The generation, shifted to its place in `Slot::tag`: never 0 while `slots` is
    /// allocated; slots of other generations are empty.
    generation: u64,
}

impl ShortStrCache {
    fn clear(&mut self) {
        let mut generation = (self.generation >> 8) as u8;
        generation = generation.wrapping_add(1);
        if generation == 0 {
            if let Some(slots) = &mut self.slots {
                slots.fill(Slot::default());
            }
            if let Some(recent) = &mut self.recent {
                recent.fill(Recent::default());
            }
            generation = 1;
        }
        self.generation = u64::from(generation) << 8;
    }

    /// The slot of `s` (at most [`SHORT_STR`] bytes) and its words.
    #[inline(always)]
    fn words(s: &[u8]) -> Probe {
        // The first and last 8 (or 4) bytes, overlapping, and the length: every byte of a
        // string of up to 16 bytes and enough of the rest for a cache. Whole-word loads only
        // (copying into a zeroed word stalls store forwarding and cost more than the rest).
        let n = s.len();
        debug_assert!(n <= SHORT_STR);
        let word = |i: usize| u64::from_le_bytes(s[i..i + 8].try_into().expect("8 bytes"));
        let (first, last, mid) = if n >= 8 {
            (word(0), word(n - 8), if n > 16 { word(8) } else { 0 })
        } else if n >= 4 {
            let half = |i: usize| u32::from_le_bytes(s[i..i + 4].try_into().expect("4 bytes"));
            (u64::from(half(0)), u64::from(half(n - 4)), 0)
        } else if n >= 2 {
            // Bytes 0, n / 2 and n - 1: for 2 and 3 bytes, the first two then the last.
            let pair = u16::from_le_bytes(s[..2].try_into().expect("2 bytes"));
            (u64::from(pair) | u64::from(s[n - 1]) << 16, 0, 0)
        } else if n == 1 {
            (u64::from(s[0]) * 0x01_0101, 0, 0)
        } else {
            (0, 0, 0)
        };
        let h = (first ^ last.rotate_left(29) ^ (n as u64).rotate_left(58))
            .wrapping_mul(0x9E37_79B9_7F4A_7C15);
        Probe {
            index: (h >> 54) as u8,
            first,
            last,
            mid,
            len: n as u8,
        }
    }

    /// The memo id of `s` (at most [`SHORT_STR`] bytes) if it is in the cache, else where to
    /// [`fill`](Self::fill) it in.
    #[cfg(test)]
    fn probe(&mut self, s: &str) -> Result<u64, Probe> {
        let p = Self::words(s.as_bytes());
        match self.lookup(&p) {
            Some(id) => Ok(id),
            None => Err(p),
        }
    }

    /// The memo id of the str whose words are `p`, if it is in the cache, and its slot, to be
    /// marked as repeated.
    #[inline(always)]
    fn find(&mut self, p: &Probe) -> Option<(u64, Hit<'_>)> {
        let key = self.generation | u64::from(p.len);
        let slot = &mut self.slots.as_mut()?[usize::from(p.index)];
        if slot.tag as u16 == key as u16
            && slot.first == p.first
            && slot.last == p.last
            && slot.mid == p.mid
        {
            Some((slot.tag >> 32, Hit(&mut slot.tag)))
        } else {
            None
        }
    }

    /// The BINGET of the str at `ptr` whose words are `p` if it was found by a BINGET before
    /// (in this pickle: the key holds the generation).
    #[inline(always)]
    fn recent_get(&self, ptr: usize, p: &Probe) -> Option<[u8; 2]> {
        let e = &self.recent.as_ref()?[recent_index(ptr)];
        (e.ptr == ptr
            && e.key == self.generation | u64::from(p.len)
            && e.first == p.first
            && e.last == p.last
            && e.mid == p.mid)
            .then_some(e.get)
    }

    /// Remember that the str at `ptr` whose words are `p` was found, in a slot marked as
    /// repeated, with BINGET `get`: that slot keeps it for the rest of the pickle, so that
    /// [`Self::recent_get`] finds what [`Self::find`] would.
    #[inline(always)]
    fn remember(&mut self, ptr: usize, p: &Probe, get: [u8; 2]) {
        let key = self.generation | u64::from(p.len);
        if let Some(recent) = &mut self.recent {
            recent[recent_index(ptr)] = Recent {
                ptr,
                key,
                first: p.first,
                last: p.last,
                mid: p.mid,
                get,
            };
        }
    }

    /// The BINGET of the short str `s` (at most [`SHORT_STR`] bytes) if it was found with one
    /// before at this address and with these words (a tag literal, every time after the
    /// first): no hash, no slot. Else the probe's [`parts`](Probe::parts) for
    /// [`Self::search`].
    #[inline(always)]
    pub(crate) fn recent(&self, s: &str) -> std::result::Result<[u8; 2], (u8, u64, u64)> {
        let probe = Self::words(s.as_bytes());
        match self.recent_get(s.as_ptr() as usize, &probe) {
            Some(get) => Ok(get),
            None => Err(probe.parts()),
        }
    }

    /// What the cache knows of the short str `s` that [`Self::recent`] did not find, from
    /// the probe's `parts`: its BINGET (if `binget`, for ids below 256) or its memo id, the
    /// slot marked as repeated; or a miss, the str then cached as memo entry `next`, which the
    /// caller memoizes it as.
    #[inline(always)]
    pub(crate) fn search(
        &mut self,
        s: &str,
        parts: (u8, u64, u64),
        binget: bool,
        next: u64,
    ) -> Found {
        let probe = Probe::rebuild(s.as_bytes(), parts);
        match self.find(&probe) {
            Some((id, hit)) => {
                hit.mark();
                if id < 256 && binget {
                    let get = [crate::opcode::BINGET, id as u8];
                    self.remember(s.as_ptr() as usize, &probe, get);
                    return Found::Get(get);
                }
                Found::Id(id)
            }
            None => {
                self.fill(probe, next);
                Found::Miss
            }
        }
    }

    /// The memo id of the str whose words are `p`, if it is in the cache.
    #[cfg(test)]
    fn lookup(&mut self, p: &Probe) -> Option<u64> {
        let (id, hit) = self.find(p)?;
        hit.mark();
        Some(id)
    }

    /// Remember the str that missed at `p` as memo entry `id`, unless its slot holds a string
    /// that has repeated. Nothing is remembered before [`Self::allocate`].
    #[inline(always)]
    fn fill(&mut self, p: Probe, id: u64) {
        let Ok(id) = u32::try_from(id) else { return };
        let generation = self.generation;
        let Some(slots) = &mut self.slots else { return };
        let slot = &mut slots[usize::from(p.index)];
        // A string of this pickle that has repeated keeps its slot.
        if slot.tag & (TAG_GENERATION | TAG_HIT) == generation | TAG_HIT {
            return;
        }
        *slot = Slot {
            first: p.first,
            last: p.last,
            mid: p.mid,
            tag: generation | u64::from(p.len) | u64::from(id) << 32,
        };
    }

    /// Whether [`Self::allocate`] was called: until then the cache finds and keeps nothing.
    #[inline(always)]
    pub(crate) fn is_allocated(&self) -> bool {
        self.slots.is_some()
    }

    /// Make the cache's tables, at its first use (not every pickle has a short str).
    #[cold]
    pub(crate) fn allocate(&mut self) {
        let slots: Box<[Slot]> = vec![Slot::default(); SHORT_SLOTS].into_boxed_slice();
        // Always the right length: the cache just stays off otherwise.
        self.slots = slots.try_into().ok();
        let recent: Box<[Recent]> = vec![Recent::default(); RECENT].into_boxed_slice();
        self.recent = recent.try_into().ok();
        if self.generation == 0 {
            self.generation = 1 << 8;
        }
    }

    #[cfg(test)]
    fn get(&mut self, s: &str) -> Option<u64> {
        self.probe(s).ok()
    }

    #[cfg(test)]
    fn put(&mut self, s: &str, id: u64) {
        if !self.is_allocated() {
            self.allocate();
        }
        if let Err(p) = self.probe(s) {
            self.fill(p, id);
        }
    }
}

/// The first-level entry of the str at `ptr`.
#[inline(always)]
fn recent_index(ptr: usize) -> usize {
    ((ptr as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 58) as usize
}

fn small_bytes_key(b: &[u8]) -> Option<u16> {
    match b {
        [] => Some(256),
        [c] => Some(u16::from(*c)),
        _ => None,
    }
}

/// Whether CPython holds every `str` equal to `s` as one cached object: the empty string and
/// the one-character strings below U+0100. Equal ones are then memo references, whatever the
/// value came from.
#[inline]
pub(crate) fn is_cached_str(s: &str) -> bool {
    // Most strings are longer: one compare for them, before the match on 0, 1 and 2 bytes.
    if s.len() > 2 {
        return false;
    }
    match s.as_bytes() {
        [] => true,
        [c] => *c < 0x80,
        // One 2-byte UTF-8 character below U+0100: a lead byte of 0xc2 or 0xc3.
        [a, _] => matches!(a, 0xc2 | 0xc3),
        _ => false,
    }
}

/// Struct field places remembered by [`FieldCache`]; a struct's later fields share slots.
const FIELD_SLOTS: usize = 16;

/// The field names of the structs being written, by place: a `Vec` of structs writes the same
/// `&'static str` names in the same order for every element, so the name at a place is found
/// again with one compare of address and length. A miss falls back to the [`PtrTable`], so
/// nested structs that take each other's places cost a lookup, never a wrong id.
#[derive(Default)]
struct FieldCache {
    slots: [FieldSlot; FIELD_SLOTS],
    used: bool,
}

/// A field name's address and length, and the BINGET of its memo id; address 0 is an empty
/// slot (a `&str` is never null).
#[derive(Default, Clone, Copy)]
struct FieldSlot {
    ptr: usize,
    len: usize,
    get: [u8; 2],
}

impl FieldCache {
    fn clear(&mut self) {
        if self.used {
            self.slots = Default::default();
            self.used = false;
        }
    }
}

/// `&'static str` (address, length) -> memo id: open addressing, multiplicative hash of the
/// address. Field names are few, so this stays small and hot.
#[derive(Default)]
struct PtrTable {
    slots: Vec<(usize, usize, u64)>,
    len: usize,
}

impl PtrTable {
    fn clear(&mut self) {
        if self.len > 0 {
            self.slots.iter_mut().for_each(|s| *s = (0, 0, 0));
            self.len = 0;
        }
    }

    #[inline]
    fn index(&self, ptr: usize, len: usize) -> usize {
        let h = (ptr as u64 ^ (len as u64).rotate_left(32)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        (h >> 32) as usize & (self.slots.len() - 1)
    }

    #[inline(always)]
    fn get(&self, s: &'static str) -> Option<u64> {
        if self.len == 0 {
            return None;
        }
        let (ptr, len) = (s.as_ptr() as usize, s.len());
        let mut i = self.index(ptr, len);
        loop {
            let (p, l, id) = self.slots[i];
            if p == 0 {
                return None;
            }
            if p == ptr && l == len {
                return Some(id);
            }
            i = (i + 1) & (self.slots.len() - 1);
        }
    }

    fn insert(&mut self, s: &'static str, id: u64) {
        if (self.len + 1) * 2 > self.slots.len() {
            let old = std::mem::take(&mut self.slots);
            self.slots = vec![(0, 0, 0); (old.len() * 2).max(32)];
            self.len = 0;
            for (p, l, id) in old {
                if p != 0 {
                    self.insert_raw(p, l, id);
                }
            }
        }
        self.insert_raw(s.as_ptr() as usize, s.len(), id);
    }

    fn insert_raw(&mut self, ptr: usize, len: usize, id: u64) {
        // A `&str`'s pointer is never null, so 0 marks an empty slot.
        let mut i = self.index(ptr, len);
        loop {
            let (p, l, _) = self.slots[i];
            if p == 0 {
                self.slots[i] = (ptr, len, id);
                self.len += 1;
                return;
            }
            if p == ptr && l == len {
                self.slots[i].2 = id;
                return;
            }
            i = (i + 1) & (self.slots.len() - 1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statics_by_address_and_length() {
        let mut m = Memo::default();
        let s: &'static str = "abcdef";
        m.put_static(&s[..3], 1);
        m.put_static(s, 2);
        assert_eq!(m.get_static(&s[..3]), Some(1));
        assert_eq!(m.get_static(s), Some(2));
        assert_eq!(m.get_static(&s[1..3]), None);
        for i in 0..200u64 {
            let leaked: &'static str = Box::leak(i.to_string().into_boxed_str());
            m.put_static(leaked, i + 10);
            assert_eq!(m.get_static(leaked), Some(i + 10));
        }
        assert_eq!(m.get_static(s), Some(2));
        m.clear();
        assert_eq!(m.get_static(s), None);
    }

    #[test]
    fn fields_by_place_and_address() {
        let mut m = Memo::default();
        let s: &'static str = "abcdef";
        let get = |id: u8| Some([crate::opcode::BINGET, id]);
        assert_eq!(m.get_field(s, 0), None);
        m.put_field(s, 0, 5);
        assert_eq!(m.get_field(s, 0), get(5));
        assert_eq!(m.get_field(s, FIELD_SLOTS), get(5));
        assert_eq!(m.get_field(s, 1), None);
        assert_eq!(m.get_field(&s[..3], 0), None);
        assert_eq!(m.get_field(&s[1..], 0), None);
        m.put_field(&s[..3], 0, 6);
        assert_eq!(m.get_field(s, 0), None);
        assert_eq!(m.get_field(&s[..3], 0), get(6));
        // Ids a BINGET cannot hold are not put there.
        m.put_field(s, 1, 256);
        assert_eq!(m.get_field(s, 1), None);
        m.clear();
        assert_eq!(m.get_field(&s[..3], 0), None);
    }

    #[test]
    fn short_strings_are_cached_per_pickle() {
        let mut m = Memo::default();
        assert_eq!(m.short.get("red"), None);
        m.short.put("red", 7);
        m.short.put("green", 300);
        assert_eq!(m.short.get("red"), Some(7));
        assert_eq!(m.short.get("green"), Some(300));
        assert_eq!(m.short.get("gree"), None);
        m.clear();
        assert_eq!(m.short.get("red"), None);
        m.short.put("blue", 1);
        assert_eq!(m.short.get("blue"), Some(1));
        // The generation wraps (8 bits): what was cached is still forgotten.
        for _ in 0..300 {
            m.clear();
            assert_eq!(m.short.get("blue"), None);
            m.short.put("blue", 2);
            assert_eq!(m.short.get("blue"), Some(2));
        }
    }

    #[test]
    fn recent_strs_by_address_and_content_in_one_pickle() {
        let mut c = ShortStrCache::default();
        let text = String::from("greenish");
        let s = text.as_str();
        let p = ShortStrCache::words(s.as_bytes());
        let ptr = s.as_ptr() as usize;
        assert_eq!(c.recent_get(ptr, &p), None);
        c.allocate();
        c.fill(p, 7);
        c.remember(ptr, &p, [crate::opcode::BINGET, 7]);
        assert_eq!(c.recent_get(ptr, &p), Some([crate::opcode::BINGET, 7]));
        // Other text at the same address, or the same text elsewhere: not this entry.
        let other = ShortStrCache::words(b"greenest");
        assert_eq!(c.recent_get(ptr, &other), None);
        let shorter = ShortStrCache::words(b"greenis");
        assert_eq!(c.recent_get(ptr, &shorter), None);
        assert_eq!(c.recent_get(ptr + 1, &p), None);
        // The next pickle forgets it, also when the generation wraps.
        c.clear();
        assert_eq!(c.recent_get(ptr, &p), None);
        // 255 generations on, the generation is the same again: the tables were emptied.
        for _ in 0..254 {
            c.clear();
        }
        assert_eq!(c.generation, 1 << 8);
        assert_eq!(c.recent_get(ptr, &p), None);
    }

    #[test]
    fn cached_strs_are_cpythons_singletons() {
        for s in ["", "a", "\0", "\u{80}", "\u{ff}"] {
            assert!(is_cached_str(s), "{s:?}");
        }
        for s in ["ab", "id", "\u{100}", "\u{20ac}", "aé"] {
            assert!(!is_cached_str(s), "{s:?}");
        }
    }

    #[test]
    fn globals_and_strings_by_content() {
        let mut m = Memo::default();
        m.put_global("builtins", "set", 3);
        assert_eq!(m.get_global("builtins", "set"), Some(3));
        assert_eq!(m.get_global("builtins", "frozenset"), None);
        m.put_str("id", 4);
        assert_eq!(m.get_str(&String::from("id")), Some(4));
    }
}
