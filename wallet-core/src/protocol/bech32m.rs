//! Bech32m (BIP350) without the 90-character limit, as §2 requires: Lockstep
//! addresses and swap codes are longer than a segwit address.

const CHARSET: &[u8; 32] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";
const BECH32M_CONST: u32 = 0x2bc8_30a3;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecodeError {
    MixedCase,
    NoSeparator,
    InvalidChar,
    Checksum,
    Padding,
}

fn polymod(values: impl Iterator<Item = u8>) -> u32 {
    const GEN: [u32; 5] = [
        0x3b6a_57b2,
        0x2650_8e6d,
        0x1ea1_19fa,
        0x3d42_33dd,
        0x2a14_62b3,
    ];
    let mut chk: u32 = 1;
    for v in values {
        let top = chk >> 25;
        chk = (chk & 0x01ff_ffff) << 5 ^ u32::from(v);
        for (i, g) in GEN.iter().enumerate() {
            if (top >> i) & 1 == 1 {
                chk ^= g;
            }
        }
    }
    chk
}

fn hrp_expand(hrp: &str) -> impl Iterator<Item = u8> + '_ {
    hrp.bytes()
        .map(|b| b >> 5)
        .chain(std::iter::once(0))
        .chain(hrp.bytes().map(|b| b & 31))
}

/// Regroups bits; `pad` adds zero bits at the end (encoding), otherwise
/// leftover bits must be fewer than `from` and zero (decoding).
pub fn convert_bits(data: &[u8], from: u32, to: u32, pad: bool) -> Result<Vec<u8>, DecodeError> {
    let mut acc: u32 = 0;
    let mut bits: u32 = 0;
    let max = (1u32 << to) - 1;
    let mut out = Vec::with_capacity(data.len() * from as usize / to as usize + 1);
    for &v in data {
        acc = (acc << from) | u32::from(v);
        bits += from;
        while bits >= to {
            bits -= to;
            out.push(((acc >> bits) & max) as u8);
        }
    }
    if pad {
        if bits > 0 {
            out.push(((acc << (to - bits)) & max) as u8);
        }
    } else if bits >= from || ((acc << (to - bits)) & max) != 0 {
        return Err(DecodeError::Padding);
    }
    Ok(out)
}

/// Encodes 8-bit `data` under a lowercase `hrp`.
pub fn encode(hrp: &str, data: &[u8]) -> String {
    let five = convert_bits(data, 8, 5, true).unwrap_or_default();
    let pm = polymod(hrp_expand(hrp).chain(five.iter().copied()).chain([0u8; 6])) ^ BECH32M_CONST;
    let mut out = String::with_capacity(hrp.len() + 1 + five.len() + 6);
    out.push_str(hrp);
    out.push('1');
    for v in five {
        out.push(CHARSET[v as usize] as char);
    }
    for i in 0..6 {
        out.push(CHARSET[((pm >> (5 * (5 - i))) & 31) as usize] as char);
    }
    out
}

/// Decodes to (lowercase hrp, 5-bit groups) after checking the checksum.
pub fn decode_raw(text: &str) -> Result<(String, Vec<u8>), DecodeError> {
    let has_lower = text.bytes().any(|b| b.is_ascii_lowercase());
    let has_upper = text.bytes().any(|b| b.is_ascii_uppercase());
    if has_lower && has_upper {
        return Err(DecodeError::MixedCase);
    }
    if text.bytes().any(|b| !(33..=126).contains(&b)) {
        return Err(DecodeError::InvalidChar);
    }
    let lower = text.to_ascii_lowercase();
    let sep = lower.rfind('1').ok_or(DecodeError::NoSeparator)?;
    if sep == 0 || sep + 7 > lower.len() {
        return Err(DecodeError::NoSeparator);
    }
    let (hrp, rest) = (&lower[..sep], &lower[sep + 1..]);
    let values = rest
        .bytes()
        .map(|c| CHARSET.iter().position(|&x| x == c).map(|p| p as u8))
        .collect::<Option<Vec<u8>>>()
        .ok_or(DecodeError::InvalidChar)?;
    if polymod(hrp_expand(hrp).chain(values.iter().copied())) != BECH32M_CONST {
        return Err(DecodeError::Checksum);
    }
    let data = values[..values.len() - 6].to_vec();
    Ok((hrp.to_string(), data))
}

/// Decodes to (hrp, 8-bit data).
pub fn decode(text: &str) -> Result<(String, Vec<u8>), DecodeError> {
    let (hrp, five) = decode_raw(text)?;
    Ok((hrp, convert_bits(&five, 5, 8, false)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn bip350_valid_bech32m_strings() {
        for s in [
            "A1LQFN3A",
            "a1lqfn3a",
            "an83characterlonghumanreadablepartthatcontainsthetheexcludedcharactersbioandnumber11sg7hg6",
            "abcdef1l7aum6echk45nj3s0wdvt2fg8x9yrzpqzd3ryx",
            "11llllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllludsr8",
            "split1checkupstagehandshakeupstreamerranterredcaperredlc445v",
            "?1v759aa",
        ] {
            assert!(decode_raw(s).is_ok(), "{s}");
        }
    }

    #[test]
    fn bip350_invalid_bech32m_strings() {
        for s in [
            "qyrz8wqd2c9m",
            "1qyrz8wqd2c9m",
            "y1b0jsk6g",
            "lt1igcx5c0",
            "in1muywd",
            "mm1crxm3i",
            "au1s5cgom",
            "M1VUXWEZ",
            "16plkw9",
            "1p2gdwpf",
        ] {
            assert!(decode_raw(s).is_err(), "{s}");
        }
    }

    #[test]
    fn round_trip_long_payload() {
        let data: Vec<u8> = (0..=255).collect();
        let s = encode("tml", &data);
        assert!(s.len() > 90);
        assert_eq!(decode(&s).unwrap(), ("tml".to_string(), data));
        let mut bad = s.into_bytes();
        let last = bad.len() - 1;
        bad[last] = if bad[last] == b'q' { b'p' } else { b'q' };
        assert_eq!(
            decode(std::str::from_utf8(&bad).unwrap()),
            Err(DecodeError::Checksum)
        );
    }
}
