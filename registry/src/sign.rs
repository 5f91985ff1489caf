//! Maintainer keys (ed25519) and what they sign.

use std::path::Path;

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use sha2::{Digest, Sha256};

use crate::error::{RegistryError, Result, read_error};

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Bytes from hex, or `None`.
pub fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// SHA-256, hex.
pub fn sha256(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// The id of a public key: the first 16 hex digits of its SHA-256.
pub fn key_id(public: &VerifyingKey) -> String {
    sha256(public.as_bytes())[..16].to_string()
}

/// The message a version's signature covers.
pub fn message(
    name: &str,
    version: &semver::Version,
    component_sha256: &str,
    manifest_sha256: &str,
) -> String {
    format!(
        "ferrite-plugin-signature-v1\nname: {name}\nversion: {version}\ncomponent-sha256: {component_sha256}\nmanifest-sha256: {manifest_sha256}"
    )
}

/// A maintainer's signing key.
pub struct KeyPair {
    secret: SigningKey,
}

impl std::fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the secret.
        f.debug_struct("KeyPair")
            .field("id", &self.id())
            .finish_non_exhaustive()
    }
}

/// The public half of a key, as a file and as `keys.json` stores it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PublicKey {
    /// The key id.
    pub id: String,
    /// The public key, hex.
    pub public_key: String,
}

impl PublicKey {
    /// The verifying key, checking that the id matches it.
    pub fn verifying_key(&self) -> Result<VerifyingKey> {
        let bytes: [u8; 32] = unhex(&self.public_key)
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| {
                RegistryError::Key(format!("key `{}` is not 32 bytes of hex", self.id))
            })?;
        let key = VerifyingKey::from_bytes(&bytes).map_err(|e| {
            RegistryError::Key(format!(
                "key `{}` is not an ed25519 public key: {e}",
                self.id
            ))
        })?;
        if key_id(&key) != self.id {
            return Err(RegistryError::Key(format!(
                "key `{}` does not match its public key",
                self.id
            )));
        }
        Ok(key)
    }
}

/// The name of the secret key file `keygen` writes.
pub const SECRET_FILE: &str = "ferrite-plugin.key";
/// The name of the public key file `keygen` writes.
pub const PUBLIC_FILE: &str = "ferrite-plugin.pub";

impl KeyPair {
    /// A new key from the operating system's random source.
    pub fn generate() -> Result<KeyPair> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed)
            .map_err(|e| RegistryError::Key(format!("no randomness for a key: {e}")))?;
        Ok(KeyPair {
            secret: SigningKey::from_bytes(&seed),
        })
    }

    /// Its id.
    pub fn id(&self) -> String {
        key_id(&self.secret.verifying_key())
    }

    /// Its public half.
    pub fn public(&self) -> PublicKey {
        PublicKey {
            id: self.id(),
            public_key: hex(self.secret.verifying_key().as_bytes()),
        }
    }

    /// Signs `message`; the signature in hex.
    pub fn sign(&self, message: &str) -> String {
        hex(&self.secret.sign(message.as_bytes()).to_bytes())
    }

    /// The secret key file's contents.
    fn secret_file(&self) -> String {
        format!(
            "# Ferrite plugin signing key {}. Keep it secret: anyone with it can publish as you.\nsecret = {}\n",
            self.id(),
            hex(self.secret.as_bytes())
        )
    }

    /// Writes `ferrite-plugin.key` (mode 0600) and `ferrite-plugin.pub` into `dir`.
    /// Refuses to replace an existing key unless `force`.
    pub fn save(
        &self,
        dir: &Path,
        force: bool,
    ) -> Result<(std::path::PathBuf, std::path::PathBuf)> {
        self.save_files(dir, SECRET_FILE, PUBLIC_FILE, force)
    }

    /// Writes `<stem>.key` (mode 0600) and `<stem>.pub` into `dir`,
    /// replacing them.
    pub fn save_as(
        &self,
        dir: &Path,
        stem: &str,
    ) -> Result<(std::path::PathBuf, std::path::PathBuf)> {
        self.save_files(dir, &format!("{stem}.key"), &format!("{stem}.pub"), true)
    }

    fn save_files(
        &self,
        dir: &Path,
        secret_file: &str,
        public_file: &str,
        force: bool,
    ) -> Result<(std::path::PathBuf, std::path::PathBuf)> {
        let secret = dir.join(secret_file);
        let public = dir.join(public_file);
        if secret.exists() && !force {
            return Err(RegistryError::Key(format!(
                "`{}` already exists: keep using it, or pass `--force` to replace it (versions signed with it stay valid only while its public key is trusted)",
                secret.display()
            )));
        }
        std::fs::create_dir_all(dir).map_err(|e| crate::error::write_error(dir, e))?;
        crate::fsx::write_atomic(&secret, self.secret_file().as_bytes(), 0o600)?;
        let pub_json = serde_json::to_string_pretty(&self.public()).expect("serializes") + "\n";
        crate::fsx::write_atomic(&public, pub_json.as_bytes(), 0o644)?;
        Ok((secret, public))
    }

    /// Reads a secret key file.
    pub fn load(path: &Path) -> Result<KeyPair> {
        let text = std::fs::read_to_string(path).map_err(|e| read_error(path, e))?;
        let secret = text
            .lines()
            .find_map(|l| l.trim().strip_prefix("secret = "))
            .and_then(unhex)
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .ok_or_else(|| {
                RegistryError::Key(format!(
                    "`{}` is not a signing key written by `cargo ferrite-plugin keygen`",
                    path.display()
                ))
            })?;
        Ok(KeyPair {
            secret: SigningKey::from_bytes(&secret),
        })
    }
}

/// Whether `signature` (hex) by `key` covers `message`.
pub fn verify(key: &VerifyingKey, message: &str, signature: &str) -> bool {
    let Some(bytes) = unhex(signature).and_then(|b| <[u8; 64]>::try_from(b).ok()) else {
        return false;
    };
    key.verify(message.as_bytes(), &Signature::from_bytes(&bytes))
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn it_signs_verifies_saves_and_loads() {
        let key = KeyPair::generate().unwrap();
        let v = semver::Version::new(1, 2, 3);
        let msg = message("p", &v, &"a".repeat(64), &"b".repeat(64));
        let sig = key.sign(&msg);
        let public = key.public().verifying_key().unwrap();
        assert!(verify(&public, &msg, &sig));
        assert!(!verify(
            &public,
            &message("q", &v, &"a".repeat(64), &"b".repeat(64)),
            &sig
        ));
        assert!(!verify(&public, &msg, "00"));

        let dir = tempfile::tempdir().unwrap();
        let (secret, _) = key.save(dir.path(), false).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&secret).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
        assert_eq!(KeyPair::load(&secret).unwrap().id(), key.id());
        assert!(
            key.save(dir.path(), false).is_err(),
            "an existing key is not replaced"
        );
        assert!(!format!("{key:?}").contains(&hex(key.secret.as_bytes())));
        assert_eq!(key.id().len(), 16);
    }
}
