//! Standard base64 (RFC 4648, `+/` alphabet, `=` padding), as Python's `base64.b64encode`
//! writes it. Decoding is strict, so that each byte string has exactly one text.

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// The base64 text of `bytes`, padded.
pub(super) fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn sextet(c: u8) -> Option<u32> {
    let v = match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => return None,
    };
    Some(u32::from(v))
}

/// The bytes of padded base64 `text`, or why it is not: a length that is not a multiple of 4,
/// a character outside the alphabet, padding anywhere but at the end, or bits set in the last
/// character that no encoder would set.
pub(super) fn decode(text: &str) -> Result<Vec<u8>, String> {
    let s = text.as_bytes();
    if s.len() % 4 != 0 {
        return Err(format!(
            "base64 length {} is not a multiple of 4 (padding with '=' is required)",
            s.len()
        ));
    }
    let mut out = Vec::with_capacity(s.len() / 4 * 3);
    for (q, quad) in s.chunks(4).enumerate() {
        let last = (q + 1) * 4 == s.len();
        let pad = quad.iter().rev().take_while(|&&c| c == b'=').count();
        if pad > 2 || (pad > 0 && !last) {
            return Err(format!("misplaced '=' in base64 at character {}", q * 4));
        }
        let mut n = 0u32;
        for (i, &c) in quad[..4 - pad].iter().enumerate() {
            let v = sextet(c).ok_or_else(|| {
                format!(
                    "invalid base64 character {:?} at character {}",
                    char::from(c),
                    q * 4 + i
                )
            })?;
            n |= v << (18 - 6 * i);
        }
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        let keep = 3 - pad;
        if bytes[keep..].iter().any(|&b| b != 0) {
            return Err(format!(
                "non-canonical base64 at character {}: bits after the data are set",
                q * 4 + 3 - pad
            ));
        }
        out.extend_from_slice(&bytes[..keep]);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::{decode, encode};

    #[test]
    fn rfc4648_vectors_both_ways() {
        for (plain, coded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(encode(plain.as_bytes()), coded);
            assert_eq!(decode(coded).unwrap(), plain.as_bytes());
        }
    }

    #[test]
    fn every_byte_and_length_round_trips() {
        let all: Vec<u8> = (0..=255).collect();
        assert_eq!(
            encode(&all[250..]),
            "+vv8/f7/",
            "the last two letters of the alphabet"
        );
        for n in 0..all.len() {
            assert_eq!(decode(&encode(&all[..n])).unwrap(), &all[..n]);
        }
    }

    #[test]
    fn malformed_text_is_refused() {
        for bad in [
            "Zg", "Zg=", "Zm9", "Z===", "Zg==Zg==", "Zm=v", "Zh==", "Zm9=", "Zm9v\n", "Zm 9v",
            "Zm9-", "Zm9_", "é===",
        ] {
            assert!(decode(bad).is_err(), "{bad:?} decoded");
        }
    }
}
