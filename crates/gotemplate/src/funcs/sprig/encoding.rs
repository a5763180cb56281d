//! Sprig's encodings and digests: base64 and base32 (Go's decoders skip newlines and Sprig
//! returns their error text as the result), JSON through Go's `encoding/json` rules, the
//! `sha*sum`/`adler32sum` digests, `uuidv4` and `randBytes`.

use base64::Engine as _;
use sha2::Digest as _;

use super::{int, random_u64, s};
use crate::funcs::{Call, Func, FuncError, FuncMap, Param};
use crate::value::{JsonError, Overflow, Value, go_json};

use Param::{Any, Int, Str};

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `json.Marshal` (or `MarshalIndent`) within the string limit; `Ok(None)` on a value Go
/// cannot marshal, with Go's message.
fn marshal(
    c: &Call<'_>,
    v: &Value,
    html: bool,
    indent: Option<&str>,
) -> Result<Result<String, String>, FuncError> {
    match go_json(v, html, indent, c.limits().max_string) {
        Ok(s) => Ok(Ok(s)),
        // Go's encoder detects a map that contains itself and reports it as a cycle.
        Err(JsonError::Overflow(Overflow::Depth)) => Ok(Err(format!(
            "json: unsupported value: encountered a cycle via {}",
            v.type_name()
        ))),
        Err(JsonError::Overflow(o)) => Err(c.overflow(o)),
        Err(JsonError::Unsupported(what)) => Ok(Err(format!("json: unsupported value: {what}"))),
    }
}

pub(super) fn register(m: &mut FuncMap) {
    m.insert(
        "b64enc",
        Func::new(&[Str], None, |_, a| {
            Ok(Value::str(
                base64::engine::general_purpose::STANDARD.encode(s(&a[0])),
            ))
        }),
    );
    m.insert(
        "b64dec",
        Func::new(&[Str], None, |_, a| {
            // Go's decoder skips CR and LF; Sprig returns the error text as the result.
            let input: String = s(&a[0])
                .chars()
                .filter(|c| !matches!(c, '\r' | '\n'))
                .collect();
            Ok(Value::str(
                match base64::engine::general_purpose::STANDARD.decode(&input) {
                    Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
                    Err(e) => b64_error(&e, &input),
                },
            ))
        }),
    );
    m.insert(
        "b32enc",
        Func::new(&[Str], None, |_, a| {
            Ok(Value::str(base32_encode(s(&a[0]).as_bytes())))
        }),
    );
    m.insert(
        "b32dec",
        Func::new(&[Str], None, |_, a| {
            Ok(Value::str(match base32_decode(s(&a[0])) {
                Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
                Err(at) => format!("illegal base32 data at input byte {at}"),
            }))
        }),
    );
    m.insert(
        "toJson",
        Func::new(&[Any], None, |c, a| {
            Ok(Value::str(
                marshal(c, &a[0], true, None)?.unwrap_or_default(),
            ))
        }),
    );
    m.insert(
        "mustToJson",
        Func::new(&[Any], None, |c, a| {
            Ok(Value::str(
                marshal(c, &a[0], true, None)?.map_err(FuncError::new)?,
            ))
        }),
    );
    m.insert(
        "toPrettyJson",
        Func::new(&[Any], None, |c, a| {
            Ok(Value::str(
                marshal(c, &a[0], true, Some("  "))?.unwrap_or_default(),
            ))
        }),
    );
    m.insert(
        "mustToPrettyJson",
        Func::new(&[Any], None, |c, a| {
            Ok(Value::str(
                marshal(c, &a[0], true, Some("  "))?.map_err(FuncError::new)?,
            ))
        }),
    );
    for name in ["toRawJson", "mustToRawJson"] {
        m.insert(
            name,
            Func::new(&[Any], None, |c, a| {
                Ok(Value::str(
                    marshal(c, &a[0], false, None)?.map_err(FuncError::new)?,
                ))
            }),
        );
    }
    m.insert(
        "fromJson",
        Func::new(&[Str], None, |_, a| {
            Ok(serde_json::from_str::<serde_json::Value>(s(&a[0]))
                .map(|j| Value::from_json(&j))
                .unwrap_or(Value::Nil))
        }),
    );
    m.insert(
        "mustFromJson",
        Func::new(&[Str], None, |_, a| {
            serde_json::from_str::<serde_json::Value>(s(&a[0]))
                .map(|j| Value::from_json(&j))
                .map_err(|e| FuncError::new(e.to_string()))
        }),
    );
    m.insert(
        "sha1sum",
        Func::new(&[Str], None, |_, a| {
            Ok(Value::str(hex(&sha1(s(&a[0]).as_bytes()))))
        }),
    );
    m.insert(
        "sha256sum",
        Func::new(&[Str], None, |_, a| {
            Ok(Value::str(hex(&sha2::Sha256::digest(s(&a[0]).as_bytes()))))
        }),
    );
    m.insert(
        "sha512sum",
        Func::new(&[Str], None, |_, a| {
            Ok(Value::str(hex(&sha2::Sha512::digest(s(&a[0]).as_bytes()))))
        }),
    );
    m.insert(
        "adler32sum",
        Func::new(&[Str], None, |_, a| {
            Ok(Value::str(adler32(s(&a[0]).as_bytes()).to_string()))
        }),
    );
    m.insert(
        "uuidv4",
        Func::new(&[], None, |_, _| {
            let mut b = [0u8; 16];
            b[..8].copy_from_slice(&random_u64().to_le_bytes());
            b[8..].copy_from_slice(&random_u64().to_le_bytes());
            b[6] = (b[6] & 0x0f) | 0x40;
            b[8] = (b[8] & 0x3f) | 0x80;
            let h = hex(&b);
            Ok(Value::str(format!(
                "{}-{}-{}-{}-{}",
                &h[..8],
                &h[8..12],
                &h[12..16],
                &h[16..20],
                &h[20..]
            )))
        }),
    );
    m.insert(
        "randBytes",
        Func::new(&[Int], None, |c, a| {
            let n = int(&a[0]);
            if n < 0 {
                return Err(FuncError::new("runtime error: makeslice: len out of range"));
            }
            if (n as u64).saturating_mul(4) / 3 > c.limits().max_string as u64 {
                return Err(c.too_long());
            }
            let bytes: Vec<u8> = (0..n).map(|_| random_u64() as u8).collect();
            Ok(Value::str(
                base64::engine::general_purpose::STANDARD.encode(bytes),
            ))
        }),
    );
}

/// The text of Go's base64 `CorruptInputError` for the same input.
fn b64_error(e: &base64::DecodeError, input: &str) -> String {
    let at = match e {
        base64::DecodeError::InvalidByte(i, _) | base64::DecodeError::InvalidLastSymbol(i, _) => *i,
        // Go reports a truncated final quantum at the start of that quantum.
        base64::DecodeError::InvalidLength(n) => n - n % 4,
        base64::DecodeError::InvalidPadding => {
            input.find('=').unwrap_or(input.len() - input.len() % 4)
        }
    };
    format!("illegal base64 data at input byte {at}")
}

const B32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// `base32.StdEncoding.EncodeToString`.
fn base32_encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(5) * 8);
    for chunk in data.chunks(5) {
        let mut buf = [0u8; 5];
        buf[..chunk.len()].copy_from_slice(chunk);
        let bits = buf.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
        let chars = match chunk.len() {
            1 => 2,
            2 => 4,
            3 => 5,
            4 => 7,
            _ => 8,
        };
        for i in 0..8 {
            if i < chars {
                out.push(B32[((bits >> (35 - 5 * i)) & 31) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// `base32.StdEncoding.DecodeString`; the error is the offset Go reports.
fn base32_decode(input: &str) -> Result<Vec<u8>, usize> {
    let clean: Vec<(usize, u8)> = input
        .bytes()
        .enumerate()
        .filter(|(_, b)| !matches!(b, b'\r' | b'\n'))
        .collect();
    if !clean.len().is_multiple_of(8) {
        return Err(clean.len() - clean.len() % 8);
    }
    let mut out = Vec::with_capacity(clean.len() / 8 * 5);
    for (q, quantum) in clean.chunks(8).enumerate() {
        let pad = quantum.iter().rev().take_while(|(_, b)| *b == b'=').count();
        let data_len = 8 - pad;
        if !matches!(data_len, 2 | 4 | 5 | 7 | 8) || (pad > 0 && q != clean.len() / 8 - 1) {
            return Err(quantum.get(data_len).map_or(0, |(i, _)| *i));
        }
        let mut bits = 0u64;
        for (k, (pos, b)) in quantum.iter().enumerate() {
            let v = if k < data_len {
                match B32.iter().position(|x| x == b) {
                    Some(v) => v as u64,
                    None => return Err(*pos),
                }
            } else {
                0
            };
            bits = (bits << 5) | v;
        }
        let bytes = bits.to_be_bytes();
        let n = match data_len {
            2 => 1,
            4 => 2,
            5 => 3,
            7 => 4,
            _ => 5,
        };
        out.extend_from_slice(&bytes[3..3 + n]);
    }
    Ok(out)
}

/// Adler-32 (RFC 1950), as `hash/adler32`.
fn adler32(data: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for chunk in data.chunks(5552) {
        for x in chunk {
            a += u32::from(*x);
            b += a;
        }
        a %= 65521;
        b %= 65521;
    }
    (b << 16) | a
}

/// SHA-1 (FIPS 180-4), for Sprig's `sha1sum` (not for security: Sprig offers it for
/// compatibility).
fn sha1(data: &[u8]) -> [u8; 20] {
    let mut h: [u32; 5] = [
        0x6745_2301,
        0xEFCD_AB89,
        0x98BA_DCFE,
        0x1032_5476,
        0xC3D2_E1F0,
    ];
    let mut msg = data.to_vec();
    let bit_len = (data.len() as u64).wrapping_mul(8);
    msg.push(0x80);
    while msg.len() % 64 != 56 {
        msg.push(0);
    }
    msg.extend_from_slice(&bit_len.to_be_bytes());
    for block in msg.chunks(64) {
        let mut w = [0u32; 80];
        for (i, word) in block.chunks(4).enumerate() {
            w[i] = u32::from_be_bytes([word[0], word[1], word[2], word[3]]);
        }
        for i in 16..80 {
            w[i] = (w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]).rotate_left(1);
        }
        let [mut a, mut b, mut c, mut d, mut e] = h;
        for (i, wi) in w.iter().enumerate() {
            let (f, k) = match i {
                0..=19 => ((b & c) | (!b & d), 0x5A82_7999),
                20..=39 => (b ^ c ^ d, 0x6ED9_EBA1),
                40..=59 => ((b & c) | (b & d) | (c & d), 0x8F1B_BCDC),
                _ => (b ^ c ^ d, 0xCA62_C1D6),
            };
            let t = a
                .rotate_left(5)
                .wrapping_add(f)
                .wrapping_add(e)
                .wrapping_add(k)
                .wrapping_add(*wi);
            e = d;
            d = c;
            c = b.rotate_left(30);
            b = a;
            a = t;
        }
        for (x, y) in h.iter_mut().zip([a, b, c, d, e]) {
            *x = x.wrapping_add(y);
        }
    }
    let mut out = [0u8; 20];
    for (i, x) in h.iter().enumerate() {
        out[i * 4..i * 4 + 4].copy_from_slice(&x.to_be_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_match_known_values() {
        assert_eq!(
            hex(&sha1(b"abc")),
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
        assert_eq!(hex(&sha1(b"")), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
        assert_eq!(adler32(b"Wikipedia"), 0x11E6_0398);
    }

    #[test]
    fn base32_round_trips() {
        for s in ["", "f", "fo", "foo", "foob", "fooba", "foobar"] {
            let e = base32_encode(s.as_bytes());
            assert_eq!(base32_decode(&e).unwrap(), s.as_bytes(), "{e}");
        }
        assert_eq!(base32_encode(b"foobar"), "MZXW6YTBOI======");
    }
}
