//! Sprig's `encryptAES`/`decryptAES` (AES-256-CBC, PKCS#7 padding, random IV in front,
//! base64) and `derivePassword` (the Master Password algorithm: scrypt, then HMAC-SHA256 into
//! a character template). Written here on top of `sha2` rather than pulling a cipher crate
//! in: both are small, and they are checked against Go's output in the fixtures.

use base64::Engine as _;
use sha2::{Digest as _, Sha256};

use super::{int, random_u64, s};
use crate::funcs::{Call, Func, FuncError, FuncMap, Param};
use crate::value::Value;

use Param::{Str, Uint32};

pub(super) fn register(m: &mut FuncMap) {
    m.insert(
        "encryptAES",
        Func::new(&[Str, Str], None, |c, a| {
            Ok(Value::str(encrypt_aes(c, s(&a[0]), s(&a[1]))?))
        }),
    );
    m.insert(
        "decryptAES",
        Func::new(&[Str, Str], None, |_, a| {
            Ok(Value::str(decrypt_aes(s(&a[0]), s(&a[1]))?))
        }),
    );
    m.insert(
        "derivePassword",
        Func::new(&[Uint32, Str, Str, Str, Str], None, |c, a| {
            // scrypt with N=32768, r=8, p=2 is deliberately slow and takes 32 MiB: pay for it.
            c.spend(100_000)?;
            Ok(Value::str(derive_password(
                int(&a[0]) as u32,
                s(&a[1]),
                s(&a[2]),
                s(&a[3]),
                s(&a[4]),
            )))
        }),
    );
}

/// The key Sprig makes of a password: its bytes, cut or zero-padded to 32.
fn aes_key(password: &str) -> Aes256 {
    let mut key = [0u8; 32];
    let p = password.as_bytes();
    let n = p.len().min(32);
    key[..n].copy_from_slice(&p[..n]);
    Aes256::new(&key)
}

fn encrypt_aes(c: &Call<'_>, password: &str, plaintext: &str) -> Result<String, FuncError> {
    if plaintext.is_empty() {
        return Ok(String::new());
    }
    if plaintext.len() * 4 / 3 + 64 > c.limits().max_string {
        return Err(c.too_long());
    }
    let cipher = aes_key(password);
    let mut content = plaintext.as_bytes().to_vec();
    let pad = 16 - content.len() % 16;
    content.extend(std::iter::repeat_n(pad as u8, pad));
    let mut out = Vec::with_capacity(16 + content.len());
    let mut iv = [0u8; 16];
    iv[..8].copy_from_slice(&random_u64().to_le_bytes());
    iv[8..].copy_from_slice(&random_u64().to_le_bytes());
    out.extend_from_slice(&iv);
    let mut prev = iv;
    for block in content.chunks(16) {
        let mut b = [0u8; 16];
        for i in 0..16 {
            b[i] = block[i] ^ prev[i];
        }
        cipher.encrypt(&mut b);
        out.extend_from_slice(&b);
        prev = b;
    }
    Ok(base64::engine::general_purpose::STANDARD.encode(out))
}

fn decrypt_aes(password: &str, crypt64: &str) -> Result<String, FuncError> {
    if crypt64.is_empty() {
        return Ok(String::new());
    }
    let crypt = base64::engine::general_purpose::STANDARD
        .decode(crypt64)
        .map_err(|e| FuncError::new(base64_error(&e, crypt64)))?;
    if crypt.len() < 16 {
        return Err(FuncError::new(format!(
            "runtime error: slice bounds out of range [:16] with capacity {}",
            crypt.len()
        )));
    }
    let (iv, body) = crypt.split_at(16);
    if !body.len().is_multiple_of(16) {
        return Err(FuncError::new("crypto/cipher: input not full blocks"));
    }
    if body.is_empty() {
        return Err(FuncError::new("runtime error: index out of range [-1]"));
    }
    let cipher = aes_key(password);
    let mut out = Vec::with_capacity(body.len());
    let mut prev: [u8; 16] = iv.try_into().unwrap_or([0; 16]);
    for block in body.chunks(16) {
        let mut b: [u8; 16] = block.try_into().unwrap_or([0; 16]);
        let saved = b;
        cipher.decrypt(&mut b);
        for i in 0..16 {
            b[i] ^= prev[i];
        }
        out.extend_from_slice(&b);
        prev = saved;
    }
    let pad = usize::from(out[out.len() - 1]);
    if pad > out.len() {
        return Err(FuncError::new(format!(
            "runtime error: slice bounds out of range [:{}]",
            out.len() as i64 - pad as i64
        )));
    }
    out.truncate(out.len() - pad);
    Ok(String::from_utf8_lossy(&out).into_owned())
}

fn base64_error(e: &base64::DecodeError, input: &str) -> String {
    let at = match e {
        base64::DecodeError::InvalidByte(i, _) | base64::DecodeError::InvalidLastSymbol(i, _) => *i,
        base64::DecodeError::InvalidLength(n) => n - n % 4,
        base64::DecodeError::InvalidPadding => {
            input.find('=').unwrap_or(input.len() - input.len() % 4)
        }
    };
    format!("illegal base64 data at input byte {at}")
}

/// AES-256 (FIPS 197) for one key: the expanded round keys.
struct Aes256 {
    round_keys: [[u8; 16]; 15],
}

/// The S-box and its inverse, computed from the field inverse and the affine map instead of
/// being typed in as tables.
fn sboxes() -> &'static ([u8; 256], [u8; 256]) {
    static BOXES: std::sync::OnceLock<([u8; 256], [u8; 256])> = std::sync::OnceLock::new();
    BOXES.get_or_init(|| {
        let mut sbox = [0u8; 256];
        let mut inv = [0u8; 256];
        for x in 0..=255u8 {
            let b = gf_inverse(x);
            let s = b
                ^ b.rotate_left(1)
                ^ b.rotate_left(2)
                ^ b.rotate_left(3)
                ^ b.rotate_left(4)
                ^ 0x63;
            sbox[x as usize] = s;
            inv[s as usize] = x;
        }
        (sbox, inv)
    })
}

fn gf_mul(mut a: u8, mut b: u8) -> u8 {
    let mut p = 0u8;
    while b != 0 {
        if b & 1 != 0 {
            p ^= a;
        }
        let hi = a & 0x80;
        a <<= 1;
        if hi != 0 {
            a ^= 0x1b;
        }
        b >>= 1;
    }
    p
}

/// The multiplicative inverse in GF(2^8) (0 for 0): x^254.
fn gf_inverse(x: u8) -> u8 {
    let mut result = 1u8;
    let mut base = x;
    let mut e = 254u32;
    while e > 0 {
        if e & 1 != 0 {
            result = gf_mul(result, base);
        }
        base = gf_mul(base, base);
        e >>= 1;
    }
    if x == 0 { 0 } else { result }
}

impl Aes256 {
    fn new(key: &[u8; 32]) -> Aes256 {
        let (sbox, _) = sboxes();
        let mut w = [[0u8; 4]; 60];
        for i in 0..8 {
            w[i].copy_from_slice(&key[4 * i..4 * i + 4]);
        }
        let mut rcon = 1u8;
        for i in 8..60 {
            let mut t = w[i - 1];
            if i % 8 == 0 {
                t = [t[1], t[2], t[3], t[0]];
                for b in &mut t {
                    *b = sbox[*b as usize];
                }
                t[0] ^= rcon;
                rcon = gf_mul(rcon, 2);
            } else if i % 8 == 4 {
                for b in &mut t {
                    *b = sbox[*b as usize];
                }
            }
            for j in 0..4 {
                w[i][j] = w[i - 8][j] ^ t[j];
            }
        }
        let mut round_keys = [[0u8; 16]; 15];
        for (r, rk) in round_keys.iter_mut().enumerate() {
            for c in 0..4 {
                rk[4 * c..4 * c + 4].copy_from_slice(&w[4 * r + c]);
            }
        }
        Aes256 { round_keys }
    }

    fn encrypt(&self, s: &mut [u8; 16]) {
        let (sbox, _) = sboxes();
        xor(s, &self.round_keys[0]);
        for round in 1..15 {
            for b in s.iter_mut() {
                *b = sbox[*b as usize];
            }
            shift_rows(s);
            if round != 14 {
                mix_columns(s, [2, 3, 1, 1]);
            }
            xor(s, &self.round_keys[round]);
        }
    }

    fn decrypt(&self, s: &mut [u8; 16]) {
        let (_, inv) = sboxes();
        xor(s, &self.round_keys[14]);
        for round in (0..14).rev() {
            inv_shift_rows(s);
            for b in s.iter_mut() {
                *b = inv[*b as usize];
            }
            xor(s, &self.round_keys[round]);
            if round != 0 {
                mix_columns(s, [14, 11, 13, 9]);
            }
        }
    }
}

fn xor(s: &mut [u8; 16], k: &[u8; 16]) {
    for (a, b) in s.iter_mut().zip(k) {
        *a ^= b;
    }
}

/// The state is column-major: byte `r + 4c` is row r, column c.
fn shift_rows(s: &mut [u8; 16]) {
    let t = *s;
    for r in 1..4 {
        for c in 0..4 {
            s[r + 4 * c] = t[r + 4 * ((c + r) % 4)];
        }
    }
}

fn inv_shift_rows(s: &mut [u8; 16]) {
    let t = *s;
    for r in 1..4 {
        for c in 0..4 {
            s[r + 4 * ((c + r) % 4)] = t[r + 4 * c];
        }
    }
}

/// MixColumns with the circulant row `m` (`[2,3,1,1]`, or `[14,11,13,9]` to invert).
fn mix_columns(s: &mut [u8; 16], m: [u8; 4]) {
    for c in 0..4 {
        let col = [s[4 * c], s[4 * c + 1], s[4 * c + 2], s[4 * c + 3]];
        for r in 0..4 {
            s[4 * c + r] = gf_mul(m[0], col[r])
                ^ gf_mul(m[1], col[(r + 1) % 4])
                ^ gf_mul(m[2], col[(r + 2) % 4])
                ^ gf_mul(m[3], col[(r + 3) % 4]);
        }
    }
}

/// HMAC-SHA256 (RFC 2104).
fn hmac_sha256(key: &[u8], msg: &[u8]) -> [u8; 32] {
    let mut k = [0u8; 64];
    if key.len() > 64 {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    inner.update(k.map(|b| b ^ 0x36));
    inner.update(msg);
    let mut outer = Sha256::new();
    outer.update(k.map(|b| b ^ 0x5c));
    outer.update(inner.finalize());
    outer.finalize().into()
}

/// PBKDF2-HMAC-SHA256 with one iteration, as scrypt uses it.
fn pbkdf2_once(password: &[u8], salt: &[u8], len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len);
    let mut i = 1u32;
    while out.len() < len {
        let mut msg = salt.to_vec();
        msg.extend_from_slice(&i.to_be_bytes());
        out.extend_from_slice(&hmac_sha256(password, &msg));
        i += 1;
    }
    out.truncate(len);
    out
}

fn salsa20_8(b: &mut [u32; 16]) {
    let mut x = *b;
    for _ in 0..4 {
        let mut qr = |a: usize, bb: usize, c: usize, d: usize| {
            x[bb] ^= x[a].wrapping_add(x[d]).rotate_left(7);
            x[c] ^= x[bb].wrapping_add(x[a]).rotate_left(9);
            x[d] ^= x[c].wrapping_add(x[bb]).rotate_left(13);
            x[a] ^= x[d].wrapping_add(x[c]).rotate_left(18);
        };
        qr(0, 4, 8, 12);
        qr(5, 9, 13, 1);
        qr(10, 14, 2, 6);
        qr(15, 3, 7, 11);
        qr(0, 1, 2, 3);
        qr(5, 6, 7, 4);
        qr(10, 11, 8, 9);
        qr(15, 12, 13, 14);
    }
    for (a, y) in b.iter_mut().zip(x) {
        *a = a.wrapping_add(y);
    }
}

/// scrypt's BlockMix with Salsa20/8 over `2r` 64-byte blocks (as 16-word chunks).
fn block_mix(b: &[u32], r: usize, out: &mut [u32]) {
    let mut x = [0u32; 16];
    x.copy_from_slice(&b[(2 * r - 1) * 16..2 * r * 16]);
    for i in 0..2 * r {
        for (xj, bj) in x.iter_mut().zip(&b[i * 16..i * 16 + 16]) {
            *xj ^= bj;
        }
        salsa20_8(&mut x);
        // Even blocks go to the first half, odd ones to the second.
        let dst = if i % 2 == 0 { i / 2 } else { r + i / 2 };
        out[dst * 16..dst * 16 + 16].copy_from_slice(&x);
    }
}

/// scrypt (RFC 7914).
fn scrypt(password: &[u8], salt: &[u8], n: usize, r: usize, p: usize, len: usize) -> Vec<u8> {
    let block_words = 32 * r;
    let b = pbkdf2_once(password, salt, p * 128 * r);
    let mut words: Vec<u32> = b
        .chunks(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    let mut v = vec![0u32; n * block_words];
    let mut tmp = vec![0u32; block_words];
    for chunk in words.chunks_mut(block_words) {
        let mut x = chunk.to_vec();
        for i in 0..n {
            v[i * block_words..(i + 1) * block_words].copy_from_slice(&x);
            block_mix(&x, r, &mut tmp);
            std::mem::swap(&mut x, &mut tmp);
        }
        for _ in 0..n {
            let j = (x[(2 * r - 1) * 16] as usize) & (n - 1);
            for (xk, vk) in x.iter_mut().zip(&v[j * block_words..(j + 1) * block_words]) {
                *xk ^= vk;
            }
            block_mix(&x, r, &mut tmp);
            std::mem::swap(&mut x, &mut tmp);
        }
        chunk.copy_from_slice(&x);
    }
    let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    pbkdf2_once(password, &bytes, len)
}

/// Sprig's `derivePassword` (Master Password).
fn derive_password(counter: u32, kind: &str, password: &str, user: &str, site: &str) -> String {
    const SEED: &str = "com.lyndir.masterpassword";
    let templates: &[&str] = match kind {
        "maximum" => &["anoxxxxxxxxxxxxxxxxx", "axxxxxxxxxxxxxxxxxno"],
        "long" => &[
            "CvcvnoCvcvCvcv",
            "CvcvCvcvnoCvcv",
            "CvcvCvcvCvcvno",
            "CvccnoCvcvCvcv",
            "CvccCvcvnoCvcv",
            "CvccCvcvCvcvno",
            "CvcvnoCvccCvcv",
            "CvcvCvccnoCvcv",
            "CvcvCvccCvcvno",
            "CvcvnoCvcvCvcc",
            "CvcvCvcvnoCvcc",
            "CvcvCvcvCvccno",
            "CvccnoCvccCvcv",
            "CvccCvccnoCvcv",
            "CvccCvccCvcvno",
            "CvcvnoCvccCvcc",
            "CvcvCvccnoCvcc",
            "CvcvCvccCvccno",
            "CvccnoCvcvCvcc",
            "CvccCvcvnoCvcc",
            "CvccCvcvCvccno",
        ],
        "medium" => &["CvcnoCvc", "CvcCvcno"],
        "short" => &["Cvcn"],
        "basic" => &["aaanaaan", "aannaaan", "aaannaaa"],
        "pin" => &["nnnn"],
        _ => return format!("cannot find password template {kind}"),
    };
    let mut salt = SEED.as_bytes().to_vec();
    salt.extend_from_slice(&(user.len() as u32).to_be_bytes());
    salt.extend_from_slice(user.as_bytes());
    let key = scrypt(password.as_bytes(), &salt, 32768, 8, 2, 64);
    let mut msg = SEED.as_bytes().to_vec();
    msg.extend_from_slice(&(site.len() as u32).to_be_bytes());
    msg.extend_from_slice(site.as_bytes());
    msg.extend_from_slice(&counter.to_be_bytes());
    let seed = hmac_sha256(&key, &msg);
    let template = templates[usize::from(seed[0]) % templates.len()];
    template
        .bytes()
        .enumerate()
        .map(|(i, class)| {
            let chars: &str = match class {
                b'V' => "AEIOU",
                b'C' => "BCDFGHJKLMNPQRSTVWXYZ",
                b'v' => "aeiou",
                b'c' => "bcdfghjklmnpqrstvwxyz",
                b'A' => "AEIOUBCDFGHJKLMNPQRSTVWXYZ",
                b'a' => "AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz",
                b'n' => "0123456789",
                b'o' => "@&%?,=[]_:-+*$#!'^~;()/.",
                _ => "AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz0123456789!@#$%^&*()",
            };
            char::from(chars.as_bytes()[usize::from(seed[i + 1]) % chars.len()])
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aes256_matches_fips_197() {
        let key: Vec<u8> = (0..32).collect();
        let cipher = Aes256::new(&key.try_into().unwrap());
        let mut block: [u8; 16] = [
            0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd,
            0xee, 0xff,
        ];
        let plain = block;
        cipher.encrypt(&mut block);
        let hex: String = block.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, "8ea2b7ca516745bfeafc49904b496089");
        cipher.decrypt(&mut block);
        assert_eq!(block, plain);
    }

    #[test]
    fn scrypt_matches_rfc_7914() {
        let out = scrypt(b"password", b"NaCl", 1024, 8, 16, 64);
        let hex: String = out.iter().map(|b| format!("{b:02x}")).collect();
        assert!(hex.starts_with("fdbabe1c9d3472007856e7190d01e9fe"), "{hex}");
    }
}
