//! One-time codes: drawn uniformly from the OS CSPRNG, kept at rest only as an
//! HMAC-SHA256 under a secret pepper, compared in constant time.

use super::key::SessionKey;
use hmac::{Hmac, Mac};
use rand::rngs::SysRng;
use rand::seq::IndexedRandom;
use rand::{TryCryptoRng, TryRng};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::convert::Infallible;
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
    SysRng.try_fill_bytes(buf).map_err(|_| RandomnessError)
}

/// 32 random hex characters (128 bits), for session ids.
pub fn random_hex_id() -> Result<String, RandomnessError> {
    let mut b = [0u8; 16];
    random_bytes(&mut b)?;
    Ok(hex::encode(b))
}

/// A random (version 4) UUID, lower-case and hyphenated, from the OS generator; a failing
/// source is an error here, where `Uuid::new_v4` would panic.
pub fn random_uuid() -> Result<String, RandomnessError> {
    let mut b = [0u8; 16];
    random_bytes(&mut b)?;
    Ok(uuid::Builder::from_random_bytes(b)
        .into_uuid()
        .hyphenated()
        .to_string())
}

/// The OS generator as an infallible `rand` source that remembers a failure instead of
/// panicking (as `rand_core::UnwrapErr` would), so a failing OS source is an error, not a crash.
#[derive(Default)]
struct Os {
    failed: bool,
}

impl TryRng for Os {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        let mut b = [0u8; 4];
        self.try_fill_bytes(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        let mut b = [0u8; 8];
        self.try_fill_bytes(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        if SysRng.try_fill_bytes(dst).is_err() {
            self.failed = true;
        }
        Ok(())
    }
}

impl TryCryptoRng for Os {}

/// A code in clear. It exists only between generation and delivery; `Debug` never shows it.
pub struct Code(String);

impl Code {
    /// Draws `len` symbols uniformly from the OS generator (`rand`'s unbiased sampling).
    pub fn generate(len: usize, alphabet: Alphabet) -> Result<Code, RandomnessError> {
        let symbols = alphabet.symbols();
        let mut rng = Os::default();
        let code: String = (0..len)
            .filter_map(|_| symbols.choose(&mut rng).map(|&b| char::from(b)))
            .collect();
        if rng.failed || code.len() != len {
            return Err(RandomnessError);
        }
        Ok(Code(code))
    }

    /// A test recipient's configured code (`OTP_TEST_RECIPIENTS`), in place of a drawn one.
    pub fn fixed(code: &str) -> Code {
        Code(code.to_string())
    }

    /// The clear code, for building the outgoing message only.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The first `n` characters and the rest: a split code's caller part and delivered part.
    pub fn split(&self, n: usize) -> (Code, Code) {
        let (head, tail) = self.0.split_at(n.min(self.0.len()));
        (Code(head.to_string()), Code(tail.to_string()))
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
    pub fn hash(&self, key: &SessionKey, code: &str) -> CodeHash {
        self.digest(key.as_str(), code)
    }

    /// `HMAC-SHA256(pepper, context ‖ 0x00 ‖ normalised value)`: keyed ids that hide a value
    /// (budget counters are keyed by the digest of a destination, never the destination).
    pub fn digest(&self, context: &str, value: &str) -> CodeHash {
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(context.as_bytes());
        mac.update(&[0]);
        mac.update(normalise(value).as_bytes());
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
        hex::encode(self.0)
    }

    pub fn from_hex(s: &str) -> Option<CodeHash> {
        let mut out = [0u8; 32];
        hex::decode_to_slice(s, &mut out).ok()?;
        Some(CodeHash(out))
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
    use crate::domain::key::Family;

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

    fn key(id: &str) -> SessionKey {
        SessionKey::new(Family::VerifyApi, "a", &[id])
    }

    #[test]
    fn hash_binds_code_session_and_pepper() {
        let p = pepper();
        let h = p.hash(&key("1"), "123456");
        assert!(h.matches(&p.hash(&key("1"), "123456")));
        assert!(!h.matches(&p.hash(&key("1"), "123457")));
        assert!(!h.matches(&p.hash(&key("2"), "123456")));
        assert!(!h.matches(&Pepper::new(&[8u8; 32]).unwrap().hash(&key("1"), "123456")));
    }

    #[test]
    fn hash_is_case_insensitive_and_round_trips_through_hex() {
        let p = pepper();
        let h = p.hash(&key("k"), "ab12");
        assert!(h.matches(&p.hash(&key("k"), " AB12 ")));
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
