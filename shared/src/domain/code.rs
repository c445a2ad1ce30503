//! One-time codes: drawn uniformly from the OS CSPRNG, kept at rest only as an
//! HMAC-SHA256 under a secret pepper, compared in constant time.

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::fmt;
use subtle::ConstantTimeEq;

/// Characters a code is drawn from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Alphabet {
    Numeric,
    Alpha,
    Alphanumeric,
}

impl Alphabet {
    fn symbols(self) -> &'static [u8] {
        match self {
            Alphabet::Numeric => b"0123456789",
            Alphabet::Alpha => b"ABCDEFGHIJKLMNOPQRSTUVWXYZ",
            Alphabet::Alphanumeric => b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ",
        }
    }

    /// Wire/storage name.
    pub fn as_str(self) -> &'static str {
        match self {
            Alphabet::Numeric => "numeric",
            Alphabet::Alpha => "alpha",
            Alphabet::Alphanumeric => "alphanumeric",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "numeric" => Some(Alphabet::Numeric),
            "alpha" => Some(Alphabet::Alpha),
            "alphanumeric" => Some(Alphabet::Alphanumeric),
            _ => None,
        }
    }
}

/// The OS random source failed; nothing can be issued safely.
#[derive(Debug, thiserror::Error)]
#[error("the operating system's random source failed")]
pub struct RandomnessError;

/// Fills `buf` from the OS CSPRNG.
pub fn random_bytes(buf: &mut [u8]) -> Result<(), RandomnessError> {
    getrandom::fill(buf).map_err(|_| RandomnessError)
}

/// 32 random hex characters (128 bits), for session ids.
pub fn random_hex_id() -> Result<String, RandomnessError> {
    let mut b = [0u8; 16];
    random_bytes(&mut b)?;
    Ok(hex(&b))
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 0xf) as usize] as char);
    }
    s
}

/// Decodes 64 hex characters (either case) into 32 bytes.
pub fn decode_hex32(s: &str) -> Option<[u8; 32]> {
    if s.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, pair) in s.as_bytes().chunks(2).enumerate() {
        let hi = (pair[0] as char).to_digit(16)?;
        let lo = (pair[1] as char).to_digit(16)?;
        out[i] = (hi * 16 + lo) as u8;
    }
    Some(out)
}

/// A code in clear. It exists only between generation and delivery; `Debug` never shows it.
pub struct Code(String);

impl Code {
    /// Draws `len` symbols uniformly (rejection sampling, no modulo bias).
    pub fn generate(len: usize, alphabet: Alphabet) -> Result<Code, RandomnessError> {
        let symbols = alphabet.symbols();
        let n = symbols.len();
        // Largest multiple of n not above 256: bytes at or past it are rejected.
        let limit = 256 - (256 % n);
        let mut out = String::with_capacity(len);
        let mut pool = [0u8; 64];
        while out.len() < len {
            random_bytes(&mut pool)?;
            for &b in &pool {
                if (b as usize) < limit {
                    out.push(symbols[b as usize % n] as char);
                    if out.len() == len {
                        break;
                    }
                }
            }
        }
        Ok(Code(out))
    }

    /// The clear code, for building the outgoing message only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Code(<redacted>)")
    }
}

/// Secret key of the code HMAC. `Debug` never shows it.
#[derive(Clone)]
pub struct Pepper(Vec<u8>);

impl Pepper {
    /// Shortest pepper accepted, in bytes.
    pub const MIN_LEN: usize = 32;

    pub fn new(secret: &[u8]) -> Option<Pepper> {
        (secret.len() >= Self::MIN_LEN).then(|| Pepper(secret.to_vec()))
    }

    /// `HMAC-SHA256(pepper, session key ‖ 0x00 ‖ normalised code)`.
    pub fn hash(&self, session_key: &str, code: &str) -> CodeHash {
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(session_key.as_bytes());
        mac.update(&[0]);
        mac.update(normalise(code).as_bytes());
        CodeHash(mac.finalize().into_bytes().into())
    }
}

impl fmt::Debug for Pepper {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Pepper(<redacted>)")
    }
}

/// Codes are case-insensitive: users type `abc` for `ABC`.
fn normalise(code: &str) -> String {
    code.trim().to_ascii_uppercase()
}

/// What is stored instead of a code.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct CodeHash([u8; 32]);

impl CodeHash {
    /// Constant-time equality.
    pub fn matches(&self, other: &CodeHash) -> bool {
        self.0.ct_eq(&other.0).into()
    }

    pub fn to_hex(&self) -> String {
        hex(&self.0)
    }

    pub fn from_hex(s: &str) -> Option<CodeHash> {
        decode_hex32(s).map(CodeHash)
    }
}

impl fmt::Debug for CodeHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CodeHash(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pepper() -> Pepper {
        Pepper::new(&[7u8; 32]).unwrap()
    }

    #[test]
    fn codes_have_the_requested_length_and_alphabet() {
        for (alphabet, ok) in [
            (
                Alphabet::Numeric,
                (|c: char| c.is_ascii_digit()) as fn(char) -> bool,
            ),
            (Alphabet::Alpha, |c: char| c.is_ascii_uppercase()),
            (Alphabet::Alphanumeric, |c: char| {
                c.is_ascii_digit() || c.is_ascii_uppercase()
            }),
        ] {
            for len in [4, 6, 10] {
                let code = Code::generate(len, alphabet).unwrap();
                assert_eq!(code.expose().len(), len);
                assert!(code.expose().chars().all(ok), "{alphabet:?}");
            }
        }
    }

    #[test]
    fn every_digit_is_drawn_about_equally_often() {
        let mut counts = [0u32; 10];
        for _ in 0..2_000 {
            for c in Code::generate(10, Alphabet::Numeric)
                .unwrap()
                .expose()
                .bytes()
            {
                counts[(c - b'0') as usize] += 1;
            }
        }
        // 20,000 draws: each digit expects 2,000; a biased generator would be far off.
        for (digit, n) in counts.iter().enumerate() {
            assert!((1_750..2_250).contains(n), "digit {digit} drawn {n} times");
        }
    }

    #[test]
    fn two_codes_differ() {
        let a = Code::generate(10, Alphabet::Numeric).unwrap();
        let b = Code::generate(10, Alphabet::Numeric).unwrap();
        assert_ne!(a.expose(), b.expose());
    }

    #[test]
    fn hash_binds_code_session_and_pepper() {
        let p = pepper();
        let h = p.hash("d7#a#1", "123456");
        assert!(h.matches(&p.hash("d7#a#1", "123456")));
        assert!(!h.matches(&p.hash("d7#a#1", "123457")));
        assert!(!h.matches(&p.hash("d7#a#2", "123456")));
        assert!(!h.matches(&Pepper::new(&[8u8; 32]).unwrap().hash("d7#a#1", "123456")));
    }

    #[test]
    fn hash_is_case_insensitive_and_round_trips_through_hex() {
        let p = pepper();
        let h = p.hash("k", "ab12");
        assert!(h.matches(&p.hash("k", " AB12 ")));
        assert!(CodeHash::from_hex(&h.to_hex()).unwrap().matches(&h));
        assert!(CodeHash::from_hex("zz").is_none());
    }

    #[test]
    fn secrets_never_show_in_debug_output() {
        let code = Code::generate(6, Alphabet::Numeric).unwrap();
        assert!(!format!("{code:?}").contains(code.expose()));
        assert!(!format!("{:?}", pepper()).contains('7'));
    }

    #[test]
    fn short_peppers_are_refused() {
        assert!(Pepper::new(b"short").is_none());
    }
}
