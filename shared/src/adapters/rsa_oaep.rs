//! RSA-OAEP (SHA-256, MGF1 with SHA-256) decryption with AWS-LC: constant-time, unlike the
//! pure-Rust `rsa` crate (timing advisory "Marvin" on decryption).

use crate::ports::{DecryptError, Decryptor};
use aws_lc_rs::rsa::{OaepPrivateDecryptingKey, PrivateDecryptingKey, OAEP_SHA256_MGF1SHA256};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::PrivatePkcs8KeyDer;

/// The development key pair: public, for the local server, tests and samples only.
pub const DEV_PRIVATE_KEY_PEM: &str =
    include_str!("../../dev-keys/rao-private.DEVELOPMENT-ONLY.pem");
pub const DEV_PUBLIC_KEY_PEM: &str = include_str!("../../dev-keys/rao-public.DEVELOPMENT-ONLY.pem");

pub struct RsaOaep(OaepPrivateDecryptingKey);

impl RsaOaep {
    /// A PKCS#8 PEM private key (`-----BEGIN PRIVATE KEY-----`) of 2048 bits or more.
    pub fn from_pem(pem: &str) -> Result<RsaOaep, String> {
        let der = PrivatePkcs8KeyDer::from_pem_slice(pem.trim().as_bytes())
            .map_err(|_| "not a PKCS#8 PEM private key (BEGIN PRIVATE KEY)".to_string())?;
        let key = PrivateDecryptingKey::from_pkcs8(der.secret_pkcs8_der())
            .map_err(|e| format!("not an RSA private key: {e}"))?;
        if key.key_size_bits() < 2048 {
            return Err(format!("{} bits: at least 2048", key.key_size_bits()));
        }
        let key = OaepPrivateDecryptingKey::new(key).map_err(|e| e.to_string())?;
        Ok(RsaOaep(key))
    }

    /// Runs one private-key operation on a dummy ciphertext (refused, as any other): AWS-LC
    /// sets up its RSA state on the first one, which at 128 MB's CPU share takes most of a
    /// second, so a function calls this in init, at full CPU.
    pub fn warm(&self) {
        let _ = self.decrypt(&vec![1u8; self.0.key_size_bytes()]);
    }

    /// The development key: for local use only.
    pub fn development() -> RsaOaep {
        Self::from_pem(DEV_PRIVATE_KEY_PEM).expect("the shipped development key is valid")
    }
}

impl Decryptor for RsaOaep {
    fn decrypt(&self, ciphertext: &[u8]) -> Result<Vec<u8>, DecryptError> {
        if ciphertext.len() != self.0.key_size_bytes() {
            return Err(DecryptError);
        }
        let mut out = vec![0u8; self.0.key_size_bytes()];
        let len = self
            .0
            .decrypt(&OAEP_SHA256_MGF1SHA256, ciphertext, &mut out, None)
            .map_err(|_| DecryptError)?
            .len();
        out.truncate(len);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lc_rs::encoding::{AsDer, PublicKeyX509Der};
    use aws_lc_rs::rsa::{OaepPublicEncryptingKey, PublicEncryptingKey};
    use rustls_pki_types::SubjectPublicKeyInfoDer;

    fn encrypt(public_pem: &str, plain: &[u8]) -> Vec<u8> {
        let der = SubjectPublicKeyInfoDer::from_pem_slice(public_pem.as_bytes()).unwrap();
        let key =
            OaepPublicEncryptingKey::new(PublicEncryptingKey::from_der(&der).unwrap()).unwrap();
        let mut out = vec![0u8; key.ciphertext_size()];
        key.encrypt(&OAEP_SHA256_MGF1SHA256, plain, &mut out, None)
            .unwrap()
            .to_vec()
    }

    #[test]
    fn the_shipped_public_key_is_the_development_private_keys_half() {
        let private = PrivateDecryptingKey::from_pkcs8(
            PrivatePkcs8KeyDer::from_pem_slice(DEV_PRIVATE_KEY_PEM.as_bytes())
                .unwrap()
                .secret_pkcs8_der(),
        )
        .unwrap();
        let derived = AsDer::<PublicKeyX509Der>::as_der(&private.public_key()).unwrap();
        let shipped =
            SubjectPublicKeyInfoDer::from_pem_slice(DEV_PUBLIC_KEY_PEM.as_bytes()).unwrap();
        assert_eq!(derived.as_ref(), shipped.as_ref());
    }

    #[test]
    fn decrypts_oaep_sha256_and_refuses_anything_else() {
        let key = RsaOaep::development();
        let ciphertext = encrypt(DEV_PUBLIC_KEY_PEM, b"5512345678");
        assert_eq!(key.decrypt(&ciphertext).unwrap(), b"5512345678");
        let mut tampered = ciphertext.clone();
        tampered[10] ^= 1;
        assert!(key.decrypt(&tampered).is_err());
        assert!(key.decrypt(&ciphertext[..ciphertext.len() - 1]).is_err());
        assert!(key.decrypt(b"5512345678").is_err());
        assert!(RsaOaep::from_pem("nope").is_err());
        assert!(RsaOaep::from_pem(DEV_PUBLIC_KEY_PEM).is_err());
    }
}
