//! Cluster tokens: one secret a cluster, for submitting through the portal.
//!
//! A token is 256 random bits (from the operating system), shown once as 64 hex digits when it
//! is made. The file named by `[serve] tokens` keeps only its SHA-256, the cluster, and when it
//! was made and revoked; it is rewritten whole under a temporary name, then renamed. The server
//! reads the file on every submission, so a revoked token stops working at the next request.
//! Presented tokens are compared with every stored hash in constant time.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("cannot read the tokens file `{}`", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the tokens file `{}` is damaged: {message}", path.display())]
    Damaged { path: PathBuf, message: String },
    #[error("cannot write the tokens file `{}`", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("no random bits from the operating system: {0}")]
    Random(String),
    #[error("the pipeline names no tokens file: set `[serve] tokens`")]
    NoFile,
    #[error("`{0}` is not a cluster of the registry")]
    UnknownCluster(String),
}

/// One token, as kept.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// The first 8 hex digits of the hash: how people refer to it.
    pub id: String,
    pub cluster: String,
    /// SHA-256 of the token, lower-case hex.
    pub sha256: String,
    pub created_at: String,
    pub revoked_at: Option<String>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Tokens {
    pub tokens: Vec<Entry>,
}

/// What a token is kept as: the SHA-256 of its text, lower-case hex.
fn kept_as(token: &str) -> String {
    crate::plan::sha256_hex(token.trim().as_bytes())
}

/// Equal, in time that depends only on the lengths.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl Tokens {
    /// The tokens kept at `path`; none when the file does not exist yet.
    pub fn load(path: &Path) -> Result<Tokens, TokenError> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Tokens::default()),
            Err(source) => return Err(TokenError::Read { path: path.to_path_buf(), source }),
        };
        serde_json::from_str(&text)
            .map_err(|e| TokenError::Damaged { path: path.to_path_buf(), message: e.to_string() })
    }

    /// Write the tokens to `path`, whole, then rename into place.
    pub fn save(&self, path: &Path) -> Result<(), TokenError> {
        let text = serde_json::to_string_pretty(self).unwrap_or_default() + "\n";
        crate::store::write_renamed(path, text.as_bytes())
            .map_err(|e| TokenError::Write { path: path.to_path_buf(), source: e.source })
    }

    /// Make a token for `cluster`; returns the token itself, which is not kept.
    pub fn issue(&mut self, cluster: &str) -> Result<String, TokenError> {
        let mut bits = [0u8; 32];
        getrandom::fill(&mut bits).map_err(|e| TokenError::Random(e.to_string()))?;
        let token: String = bits.iter().map(|b| format!("{b:02x}")).collect();
        let sha256 = kept_as(&token);
        self.tokens.push(Entry {
            id: sha256[..8].to_owned(),
            cluster: cluster.to_owned(),
            sha256,
            created_at: jiff::Timestamp::now().to_string(),
            revoked_at: None,
        });
        Ok(token)
    }

    /// Revoke every live token of `cluster`; returns how many.
    pub fn revoke(&mut self, cluster: &str) -> usize {
        let now = jiff::Timestamp::now().to_string();
        let mut n = 0;
        for e in self.tokens.iter_mut().filter(|e| e.cluster == cluster && e.revoked_at.is_none()) {
            e.revoked_at = Some(now.clone());
            n += 1;
        }
        n
    }

    /// The cluster of a live token; every stored hash is compared, whatever matches.
    pub fn cluster_of(&self, token: &str) -> Option<&str> {
        let presented = kept_as(token);
        let mut found = None;
        for e in &self.tokens {
            if same(e.sha256.as_bytes(), presented.as_bytes()) && e.revoked_at.is_none() {
                found = Some(e.cluster.as_str());
            }
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::Tokens;

    #[test]
    fn a_token_is_256_bits_kept_only_as_its_hash_and_revocable() {
        let mut t = Tokens::default();
        let a = t.issue("solent").unwrap();
        let b = t.issue("kwinana").unwrap();
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        let kept = serde_json::to_string(&t).unwrap();
        assert!(!kept.contains(&a) && !kept.contains(&b), "no token is kept");
        assert_eq!(t.cluster_of(&a), Some("solent"));
        assert_eq!(t.cluster_of(&format!(" {b}\n")), Some("kwinana"));
        assert_eq!(t.cluster_of("0".repeat(64).as_str()), None);
        assert_eq!(t.cluster_of(""), None);
        assert_eq!(t.revoke("solent"), 1);
        assert_eq!(t.cluster_of(&a), None);
        assert_eq!(t.cluster_of(&b), Some("kwinana"));
    }
}
