//! Whose signatures an installer accepts: the keys it trusts, the key an
//! installed plugin is pinned to, and revocations.
//!
//! * A plugin not installed yet is trusted through its metadata's key: one
//!   the registry's `keys.json` lists (or `--trust` adds), or, with
//!   `--trusted-keys FILE`, one the operator's own list has — and then the
//!   registry's `keys.json` counts for nothing but its revocations.
//! * An installed plugin is pinned to the key that signed it (recorded in
//!   the install directory): an update must be signed by that key, or by
//!   one the rotations in its metadata lead to from it.
//! * A key revoked by the registry or the operator's list is trusted for
//!   nothing.

use std::collections::BTreeMap;

use crate::format::Keys;
use crate::metadata::Signed;
use crate::sign::PublicKey;

/// The keys an installer trusts, and the revoked ones.
#[derive(Debug, Clone, Default)]
pub struct Trust {
    /// Trusted keys, by id.
    anchors: BTreeMap<String, PublicKey>,
    /// Revoked keys: id → when.
    revoked: BTreeMap<String, String>,
    /// Whether the anchors are the operator's list alone.
    operator_only: bool,
}

/// The key an installed plugin is pinned to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pin {
    /// Its id.
    pub key_id: String,
    /// Its public key, hex, when recorded (installs before pinning have
    /// the id alone).
    pub public_key: Option<String>,
}

impl Trust {
    /// The registry's `keys.json` (its keys not revoked), and `extra` keys
    /// the operator added (`--trust`).
    pub fn registry(keys: &Keys, extra: &[PublicKey]) -> Trust {
        let mut trust = Trust::default();
        trust.add_revocations(keys);
        for k in &keys.keys {
            if k.revoked_at.is_none() {
                trust.anchors.insert(
                    k.id.clone(),
                    PublicKey {
                        id: k.id.clone(),
                        public_key: k.public_key.clone(),
                    },
                );
            }
        }
        for k in extra {
            trust.anchors.insert(k.id.clone(), k.clone());
        }
        trust
    }

    /// The operator's list (`--trusted-keys FILE`, in `keys.json`'s format)
    /// as the only trust; `registry`'s keys add nothing but revocations.
    pub fn operator(list: &Keys, registry: &Keys) -> Trust {
        let mut trust = Trust::registry(list, &[]);
        trust.operator_only = true;
        trust.add_revocations(registry);
        trust
            .anchors
            .retain(|id, _| !trust.revoked.contains_key(id));
        trust
    }

    fn add_revocations(&mut self, keys: &Keys) {
        for k in &keys.keys {
            if let Some(when) = &k.revoked_at {
                self.revoked.insert(k.id.clone(), when.clone());
            }
        }
    }

    /// Refuses key `id` if it is revoked.
    pub fn not_revoked(&self, id: &str) -> Result<(), String> {
        match self.revoked.get(id) {
            Some(when) => Err(format!("key `{id}` was revoked on {when}")),
            None => Ok(()),
        }
    }

    /// Checks `metadata`'s signature and that its key is trusted: pinned
    /// (directly or through signed rotations) when the plugin is installed,
    /// else trusted here. Returns the error's reason.
    pub fn verify(&self, metadata: &Signed, pin: Option<&Pin>) -> Result<(), String> {
        let m = &metadata.signed;
        let key = PublicKey {
            id: m.key_id.clone(),
            public_key: m.public_key.clone(),
        };
        let verifying = key.verifying_key().map_err(|e| e.to_string())?;
        self.not_revoked(&m.key_id)
            .map_err(|e| format!("its metadata is signed by {e}"))?;
        match pin {
            Some(pin) => {
                if pin.key_id == m.key_id {
                    if pin.public_key.as_ref().is_some_and(|p| *p != m.public_key) {
                        return Err(format!(
                            "its metadata names key `{}` with another public key than the one pinned here",
                            m.key_id
                        ));
                    }
                } else if !m.rotates_from(&pin.key_id)? {
                    return Err(format!(
                        "it is signed by key `{}`, but this installation is pinned to key `{}` and no rotation signed by `{}` hands the plugin over: a key swap (if its maintainer really lost that key, `remove` the plugin and install it again to trust the new one)",
                        m.key_id, pin.key_id, pin.key_id
                    ));
                }
                if let Some(p) = pin.public_key.as_ref()
                    && pin.key_id != m.key_id
                    && m.key(&pin.key_id).is_some_and(|k| k.public_key != *p)
                {
                    return Err(format!(
                        "its rotations name key `{}` with another public key than the one pinned here",
                        pin.key_id
                    ));
                }
                if self.operator_only && !self.anchors.contains_key(&m.key_id) {
                    return Err(format!(
                        "it is signed by key `{}`, which `--trusted-keys` does not list",
                        m.key_id
                    ));
                }
            }
            None => match self.anchors.get(&m.key_id) {
                Some(anchor) if anchor.public_key == m.public_key => {}
                Some(_) => {
                    return Err(format!(
                        "its metadata names key `{}` with another public key than the trusted one",
                        m.key_id
                    ));
                }
                None if self.operator_only => {
                    return Err(format!(
                        "it is signed by key `{}`, which `--trusted-keys` does not list",
                        m.key_id
                    ));
                }
                None => {
                    return Err(format!(
                        "it is signed by key `{}`, which neither the registry's keys.json nor `--trust` lists",
                        m.key_id
                    ));
                }
            },
        }
        if !metadata.verify(&verifying) {
            return Err(format!(
                "the signature on its metadata by key `{}` does not verify: it was changed by someone without the key",
                m.key_id
            ));
        }
        Ok(())
    }
}
