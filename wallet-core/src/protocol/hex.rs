//! Lowercase hex, the only byte encoding on the wire (§1).
//!
//! Decoding is strict: uppercase is rejected, because signing strings embed
//! the hex text as sent and two spellings of one key would sign differently.

use crate::error::Error;

const DIGITS: &[u8; 16] = b"0123456789abcdef";

pub fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[(b >> 4) as usize] as char);
        out.push(DIGITS[(b & 0x0f) as usize] as char);
    }
    out
}

fn nibble(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    }
}

/// Decodes lowercase hex of any even length.
pub fn decode(text: &str) -> Result<Vec<u8>, Error> {
    let bytes = text.as_bytes();
    if !bytes.len().is_multiple_of(2) {
        return Err(Error::InvalidHex("odd number of hex digits"));
    }
    bytes
        .chunks_exact(2)
        .map(|pair| match (nibble(pair[0]), nibble(pair[1])) {
            (Some(hi), Some(lo)) => Ok(hi << 4 | lo),
            _ => Err(Error::InvalidHex(
                "only lowercase hex digits 0-9 a-f are allowed",
            )),
        })
        .collect()
}

/// Decodes lowercase hex of exactly `N` bytes.
pub fn decode_array<const N: usize>(text: &str) -> Result<[u8; N], Error> {
    if text.len() != N * 2 {
        return Err(Error::InvalidLength {
            expected: N * 2,
            found: text.len(),
        });
    }
    let v = decode(text)?;
    let mut out = [0u8; N];
    out.copy_from_slice(&v);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn round_trip() {
        let data = [0u8, 1, 0xab, 0xff];
        assert_eq!(encode(&data), "0001abff");
        assert_eq!(decode("0001abff").unwrap(), data);
    }

    #[test]
    fn rejects_uppercase_odd_and_garbage() {
        assert!(decode("AB").is_err());
        assert!(decode("abc").is_err());
        assert!(decode("zz").is_err());
        assert!(decode_array::<2>("abcdef").is_err());
    }
}
