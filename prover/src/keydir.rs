//! A keys directory: where every statement's key files live and what they are called. The CLI
//! (`--keys DIR`) and the service (`<data dir>/keys`) both go through [`KeyDir`], so a
//! directory set up by one serves the other.
//!
//! | key | files |
//! |---|---|
//! | credential query | `credential-query.pk`, `credential-query.vk` |
//! | score threshold, public weights (one key per model) | `score-threshold-m<model hash, 64 hex>.pk`, `.vk` |
//! | score threshold, private weights (one key per shape) | `score-threshold-h<H>-s<S>.pk`, `.vk` |
//!
//! The stems come from [`Statement::key_stem`]; the file formats are [`crate::keys`]. A proving
//! key is loaded only after its verifying key: the proving key's id must be the verifying
//! key's. A key imported from a phase-2 ceremony has `<stem>.ceremony.json` beside it
//! ([`CeremonyRecord`]: the transcript and its contributors); a key without one is a
//! single-party development key ([`KeyDir::provenance`]).

use crate::{
    error::ProveError,
    keys::{self, KeyError, KeyId},
    query::Prover,
    score::{ScoreProver, Weights},
};
use ark_bn254::Bn254;
use ark_groth16::{ProvingKey, VerifyingKey};
use healthzk_core::{
    field,
    model::{Model, Shape},
    statement::Statement,
    Fr,
};
use std::{
    fmt,
    path::{Path, PathBuf},
};

/// One contribution of a ceremony, as recorded beside its keys.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ContributionRecord {
    /// The contributor's name.
    pub name: String,
    /// The contribution hash (BLAKE2b-512, hex), as the contributor was shown it.
    pub hash: String,
    /// A beacon's value and iteration count (`<hex> 2^<n>`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub beacon: Option<String>,
}

/// Where a key came from, when a ceremony made it: `<stem>.ceremony.json`, written by
/// `healthzk ceremony import` once the transcript verified.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CeremonyRecord {
    /// The key id it describes.
    pub key_id: String,
    /// The statement.
    pub statement: String,
    /// The issuer-tree depth.
    pub depth: u32,
    /// The circuit hash (snarkjs' "circuit hash", BLAKE2b-512, hex).
    pub circuit_hash: String,
    /// BLAKE2b-512 of the circuit hash and every contribution's public key (hex).
    pub transcript_hash: String,
    /// The contributions in order.
    pub contributions: Vec<ContributionRecord>,
    /// The Powers of Tau file's power.
    pub ptau_power: u32,
    /// BLAKE2b-512 of the Powers of Tau file (what `b2sum` prints).
    pub ptau_blake2b: String,
    /// Phase-1 contributions the Powers of Tau file records (0: a development file).
    pub ptau_contributions: u32,
}

/// Where a key came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Provenance {
    /// A verified phase-2 ceremony.
    Ceremony(CeremonyRecord),
    /// No ceremony record: a single-party development setup.
    Development,
}

impl fmt::Display for Provenance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Provenance::Development => f.write_str("single-party DEVELOPMENT setup (whoever ran it can forge proofs)"),
            Provenance::Ceremony(r) => {
                let names: Vec<&str> = r.contributions.iter().map(|c| c.name.as_str()).collect();
                write!(
                    f,
                    "ceremony, transcript hash {}, {} contribution(s): {}",
                    r.transcript_hash,
                    r.contributions.len(),
                    names.join(", ")
                )?;
                if r.ptau_contributions == 0 {
                    f.write_str(" — over a DEVELOPMENT Powers of Tau (no phase-1 contribution): not a production key")?;
                }
                Ok(())
            }
        }
    }
}

/// Which key of a directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyName {
    /// The credential query's key.
    Query,
    /// A score key with public weights: this model's (by its hash).
    ScoreModel(Fr),
    /// A score key with private weights: this shape's.
    ScoreShape(Shape),
}

impl KeyName {
    /// The statement the key proves.
    pub fn statement(&self) -> Statement {
        match self {
            KeyName::Query => Statement::CredentialQuery,
            KeyName::ScoreModel(_) | KeyName::ScoreShape(_) => Statement::ScoreThreshold,
        }
    }

    /// The file stem: `credential-query`, `score-threshold-m<hash>`, `score-threshold-h<H>-s<S>`.
    pub fn stem(&self) -> String {
        let base = self.statement().key_stem();
        match self {
            KeyName::Query => base.to_string(),
            KeyName::ScoreModel(hash) => format!("{base}-m{}", &field::to_hex(hash)[2..]),
            KeyName::ScoreShape(shape) => format!("{base}-h{}-s{}", shape.hidden, shape.shift),
        }
    }

    /// The key a file stem names ([`KeyName::stem`]'s inverse).
    pub fn from_stem(stem: &str) -> Option<KeyName> {
        let query = Statement::CredentialQuery.key_stem();
        if stem == query {
            return Some(KeyName::Query);
        }
        let rest = stem.strip_prefix(Statement::ScoreThreshold.key_stem())?.strip_prefix('-')?;
        if let Some(h) = rest.strip_prefix('m') {
            return field::parse_hex("model hash", &format!("0x{h}"))
                .ok()
                .filter(|_| h.len() == 64)
                .map(KeyName::ScoreModel);
        }
        let (h, s) = rest.strip_prefix('h')?.split_once("-s")?;
        Some(KeyName::ScoreShape(Shape { hidden: h.parse().ok()?, shift: s.parse().ok()? }))
    }

    /// The weights a score key's circuit has (`None` for the query key). A public-weights key
    /// needs the model itself, which must hash to the key's name.
    fn weights(&self, model: Option<&Model>) -> Option<Weights> {
        match (self, model) {
            (KeyName::ScoreModel(_), Some(m)) => Some(Weights::for_model(m, false)),
            (KeyName::ScoreShape(shape), _) => Some(Weights::Private(*shape)),
            _ => None,
        }
    }
}

impl fmt::Display for KeyName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.stem())
    }
}

/// Why a keys directory could not serve a request; every variant names the file or the key.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyDirError {
    /// The key's files are not there.
    #[error("{dir}: no {name} keys ({file} is missing); set them up with `healthzk ceremony import` (production) or `healthzk setup --dev`{hint}")]
    Missing {
        /// The directory.
        dir: String,
        /// The key.
        name: String,
        /// The missing file.
        file: String,
        /// What to pass to `setup`.
        hint: String,
    },
    /// A key file cannot be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// A key file is not a valid key of its kind.
    #[error("{path}: {source}")]
    Key {
        /// The file.
        path: String,
        /// The cause.
        source: KeyError,
    },
    /// The keys exist but cannot serve (wrong depth, a model the key is not for).
    #[error("{0}")]
    Unusable(String),
    /// Preparing the prover failed.
    #[error(transparent)]
    Prove(#[from] ProveError),
}

/// A verifying key found in a directory.
#[derive(Debug, Clone)]
pub struct FoundKey {
    /// Its file name.
    pub file: String,
    /// Its statement.
    pub statement: Statement,
    /// The issuer-tree depth it serves.
    pub depth: u32,
    /// Its id.
    pub key_id: KeyId,
    /// The key.
    pub vk: VerifyingKey<Bn254>,
    /// The key file's bytes (what a trust bundle carries).
    pub bytes: Vec<u8>,
}

/// A directory of key files.
#[derive(Debug, Clone)]
pub struct KeyDir {
    path: PathBuf,
}

impl KeyDir {
    /// The directory at `path` (nothing is read yet).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        KeyDir { path: path.into() }
    }

    /// Where it is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The proving-key file of `name`.
    pub fn pk_path(&self, name: &KeyName) -> PathBuf {
        self.path.join(format!("{}.pk", name.stem()))
    }

    /// The verifying-key file of `name`.
    pub fn vk_path(&self, name: &KeyName) -> PathBuf {
        self.path.join(format!("{}.vk", name.stem()))
    }

    /// The ceremony record of `name` (beside its keys).
    pub fn record_path(&self, name: &KeyName) -> PathBuf {
        self.path.join(format!("{}.ceremony.json", name.stem()))
    }

    /// Records the ceremony that made `name`'s keys (after [`KeyDir::write`]).
    pub fn write_ceremony_record(&self, name: &KeyName, record: &CeremonyRecord) -> Result<(), KeyDirError> {
        let path = self.record_path(name);
        let bytes = serde_json::to_vec_pretty(record).expect("a record serializes");
        healthzk_durable::write(&path, &bytes, healthzk_durable::PUBLIC)
            .map_err(|e| KeyDirError::Io { path: path.display().to_string(), source: e })
    }

    /// Where `name`'s keys came from: its ceremony record, which must name the key id
    /// `key_id`, or a development setup when there is none.
    pub fn provenance(&self, name: &KeyName, key_id: &KeyId) -> Result<Provenance, KeyDirError> {
        let path = self.record_path(name);
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Provenance::Development),
            Err(e) => return Err(KeyDirError::Io { path: path.display().to_string(), source: e }),
        };
        let record: CeremonyRecord = serde_json::from_slice(&bytes)
            .map_err(|e| KeyDirError::Unusable(format!("{}: malformed ceremony record: {e}", path.display())))?;
        if record.key_id != key_id.to_hex() {
            return Err(KeyDirError::Unusable(format!(
                "{}: the ceremony record is for key {}, but the key there is {key_id}",
                path.display(),
                record.key_id
            )));
        }
        Ok(Provenance::Ceremony(record))
    }

    /// `<name> key id <id>: <provenance>`, what the CLI and the service print when they load a
    /// key and `keys show` prints for each.
    pub fn provenance_line(&self, name: &KeyName, key_id: &KeyId) -> Result<(Provenance, String), KeyDirError> {
        let p = self.provenance(name, key_id)?;
        let line = format!("{name} key id {key_id}: {p}");
        Ok((p, line))
    }

    /// Whether `name`'s proving key is there.
    pub fn has(&self, name: &KeyName) -> bool {
        self.pk_path(name).exists()
    }

    fn read(&self, path: &Path, name: &KeyName) -> Result<Vec<u8>, KeyDirError> {
        std::fs::read(path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                KeyDirError::Missing {
                    dir: self.path.display().to_string(),
                    name: name.to_string(),
                    file: path.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default(),
                    hint: match name {
                        KeyName::Query => String::new(),
                        KeyName::ScoreModel(_) => " --model MODEL".into(),
                        KeyName::ScoreShape(_) => " --model MODEL --private-weights".into(),
                    },
                }
            } else {
                KeyDirError::Io { path: path.display().to_string(), source: e }
            }
        })
    }

    /// Writes `name`'s key files durably (the proving key first: a directory never holds a
    /// verifying key whose proving key was lost); returns the key id.
    /// A ceremony record of earlier keys of that name is removed first.
    pub fn write(&self, name: &KeyName, pk: &ProvingKey<Bn254>, depth: usize) -> Result<KeyId, KeyDirError> {
        let statement = name.statement();
        let record = self.record_path(name);
        match std::fs::remove_file(&record) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(KeyDirError::Io { path: record.display().to_string(), source: e })
            }
            _ => {}
        }
        let d = depth as u32;
        for (path, bytes) in [
            (self.pk_path(name), keys::write_pk(statement, pk, d)),
            (self.vk_path(name), keys::write_vk(statement, &pk.vk, d)),
        ] {
            healthzk_durable::write(&path, &bytes, healthzk_durable::PUBLIC)
                .map_err(|e| KeyDirError::Io { path: path.display().to_string(), source: e })?;
        }
        Ok(KeyId::of(&pk.vk))
    }

    /// `name`'s verifying key, its depth and id (every point validated).
    pub fn verifying_key(&self, name: &KeyName) -> Result<(VerifyingKey<Bn254>, u32, KeyId), KeyDirError> {
        let path = self.vk_path(name);
        let bytes = self.read(&path, name)?;
        keys::read_vk(name.statement(), &bytes)
            .map_err(|e| KeyDirError::Key { path: path.display().to_string(), source: e })
    }

    /// `name`'s proving key and depth, checked against its verifying key's id.
    pub fn proving_key(&self, name: &KeyName) -> Result<(ProvingKey<Bn254>, u32), KeyDirError> {
        let (_, _, id) = self.verifying_key(name)?;
        let path = self.pk_path(name);
        let bytes = self.read(&path, name)?;
        keys::read_pk(name.statement(), &bytes, Some(id))
            .map_err(|e| KeyDirError::Key { path: path.display().to_string(), source: e })
    }

    /// The credential-query prover.
    pub fn query_prover(&self) -> Result<Prover, KeyDirError> {
        let (pk, depth) = self.proving_key(&KeyName::Query)?;
        Ok(Prover::new(pk, depth as usize)?)
    }

    /// The score key that serves `model`: its own (public weights) if the directory has one,
    /// else its shape's (private weights). If neither is there, the error names the keys the
    /// directory does hold.
    pub fn score_key_for(&self, model: &Model, hash: Fr) -> Result<KeyName, KeyDirError> {
        let (own, shaped) = (KeyName::ScoreModel(hash), KeyName::ScoreShape(model.shape()));
        for name in [own, shaped] {
            if self.has(&name) {
                return Ok(name);
            }
        }
        let held = self.names()?;
        let reason = if let Some(KeyName::ScoreModel(h)) = held.iter().find(|n| matches!(n, KeyName::ScoreModel(_))) {
            format!("these keys serve model {}; --model is {}", field::to_hex(h), field::to_hex(&hash))
        } else if let Some(KeyName::ScoreShape(s)) = held.iter().find(|n| matches!(n, KeyName::ScoreShape(_))) {
            format!("these keys serve the shape {s}; --model is a {}", model.shape())
        } else {
            format!(
                "no score keys for model {} nor for its shape {}; set them up with `healthzk ceremony import` or `healthzk setup --dev --model MODEL \
                 [--private-weights]`",
                field::to_hex(&hash),
                model.shape()
            )
        };
        Err(KeyDirError::Unusable(format!("{}: {reason}", self.path.display())))
    }

    /// The keys the directory holds (by their proving-key files).
    pub fn names(&self) -> Result<Vec<KeyName>, KeyDirError> {
        let io = |e| KeyDirError::Io { path: self.path.display().to_string(), source: e };
        let mut out = Vec::new();
        for entry in std::fs::read_dir(&self.path).map_err(io)? {
            let path = entry.map_err(io)?.path();
            if path.extension().is_some_and(|x| x == "pk") {
                if let Some(name) = path.file_stem().and_then(|s| s.to_str()).and_then(KeyName::from_stem) {
                    out.push(name);
                }
            }
        }
        Ok(out)
    }

    /// The score prover of key `name` (a score key) for `model` (a public-weights key needs
    /// the model it was set up for).
    pub fn score_prover(&self, name: &KeyName, model: Option<&Model>) -> Result<ScoreProver, KeyDirError> {
        let weights = name
            .weights(model)
            .ok_or_else(|| KeyDirError::Unusable(format!("{name}: not a score key, or its model is missing")))?;
        let (pk, depth) = self.proving_key(name)?;
        Ok(ScoreProver::new(pk, depth as usize, weights)?)
    }

    /// Every verifying key in the directory (`*.vk`), by file name.
    pub fn verifying_keys(&self) -> Result<Vec<FoundKey>, KeyDirError> {
        let io = |e| KeyDirError::Io { path: self.path.display().to_string(), source: e };
        let mut out = Vec::new();
        for entry in std::fs::read_dir(&self.path).map_err(io)? {
            let path = entry.map_err(io)?.path();
            if path.extension().is_none_or(|x| x != "vk") {
                continue;
            }
            let bytes =
                std::fs::read(&path).map_err(|e| KeyDirError::Io { path: path.display().to_string(), source: e })?;
            let (statement, vk, depth, key_id) = keys::read_any_vk(&bytes)
                .map_err(|e| KeyDirError::Key { path: path.display().to_string(), source: e })?;
            let file = path.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default();
            out.push(FoundKey { file, statement, depth, key_id, vk, bytes });
        }
        out.sort_by(|a, b| a.file.cmp(&b.file));
        Ok(out)
    }

    /// The verifying key with id `key_id`, if the directory has it.
    pub fn verifying_key_by_id(&self, key_id: &KeyId) -> Result<Option<FoundKey>, KeyDirError> {
        Ok(self.verifying_keys()?.into_iter().find(|k| k.key_id == *key_id))
    }

    /// The one verifying key of `statement` in the directory; an error if there is none, or
    /// several (then the caller must name the key, e.g. by a presentation's key id).
    pub fn only_verifying_key(&self, statement: Statement) -> Result<FoundKey, KeyDirError> {
        let mut found: Vec<_> = self.verifying_keys()?.into_iter().filter(|k| k.statement == statement).collect();
        match found.len() {
            1 => Ok(found.remove(0)),
            0 => Err(KeyDirError::Unusable(format!("{}: no {statement} verifying key", self.path.display()))),
            _ => Err(KeyDirError::Unusable(format!(
                "{}: {} {statement} verifying keys ({}); name one by its key id",
                self.path.display(),
                found.len(),
                found.iter().map(|k| k.file.as_str()).collect::<Vec<_>>().join(", ")
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stems_name_statement_and_variant() {
        assert_eq!(KeyName::Query.stem(), "credential-query");
        assert_eq!(KeyName::ScoreShape(Shape { hidden: 16, shift: 20 }).stem(), "score-threshold-h16-s20");
        let m = KeyName::ScoreModel(Fr::from(255u64)).stem();
        assert_eq!(m, format!("score-threshold-m{}ff", "0".repeat(62)));
        for name in
            [KeyName::Query, KeyName::ScoreModel(Fr::from(255u64)), KeyName::ScoreShape(Shape { hidden: 3, shift: 7 })]
        {
            assert_eq!(KeyName::from_stem(&name.stem()), Some(name));
        }
        assert_eq!(KeyName::from_stem("score-threshold"), None);
        assert_eq!(KeyName::from_stem("score-threshold-mff"), None);
        let dir = KeyDir::new("/k");
        assert_eq!(dir.vk_path(&KeyName::Query), Path::new("/k/credential-query.vk"));
    }

    #[test]
    fn a_missing_key_names_file_and_how_to_make_it() {
        let d = std::env::temp_dir().join(format!("healthzk-keydir-{}", std::process::id()));
        let e = KeyDir::new(&d).query_prover().unwrap_err().to_string();
        assert!(e.contains("no credential-query keys (credential-query.vk is missing)"), "{e}");
        assert!(e.contains("healthzk setup"), "{e}");
    }
}
