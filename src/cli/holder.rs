//! `healthzk holder new|public-key|open`: the patient's secret, the key issuers encrypt
//! packages to, and opening a package blob from the service.

use super::io::{bad, read, read_json, write_secret};
use anyhow::Result;
use clap::Subcommand;
use healthzk_core::{
    credential::HolderPackage,
    field,
    holder::{HolderKeyFile, HolderSecret},
};
use rand::rngs::OsRng;
use std::path::{Path, PathBuf};

#[derive(Subcommand, Debug)]
pub enum HolderCmd {
    /// Create a holder secret and its commitment.
    New {
        /// Where to write the holder file (refuses to overwrite).
        #[arg(long)]
        out: PathBuf,
    },
    /// Print the holder's encryption public key (HPKE X25519, hex): issuers encrypt the
    /// holder's packages to it.
    PublicKey {
        /// Holder file.
        #[arg(long)]
        holder: PathBuf,
    },
    /// Decrypt a package blob from the service (`GET /v1/blobs/{id}`) into a package file.
    Open {
        /// Holder file.
        #[arg(long)]
        holder: PathBuf,
        /// The encrypted blob.
        #[arg(long)]
        blob: PathBuf,
        /// Where to write the package (mode 0600).
        #[arg(long)]
        out: PathBuf,
    },
}

/// The holder secret in a holder file.
pub fn holder_secret(path: &Path) -> Result<HolderSecret> {
    let hf: HolderKeyFile = read_json(path, "holder file")?;
    hf.secret().map_err(|e| bad(format!("{}: {e}", path.display())))
}

pub fn run(cmd: HolderCmd) -> Result<u8> {
    match cmd {
        HolderCmd::New { out } => {
            let refuse = || bad(format!("{} exists; refusing to overwrite a holder secret", out.display()));
            if out.exists() {
                return Err(refuse());
            }
            let s = HolderSecret::random(&mut OsRng);
            let text = serde_json::to_string_pretty(&HolderKeyFile::new(&s))?;
            match healthzk_durable::write_new(&out, text.as_bytes(), healthzk_durable::SECRET) {
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Err(refuse()),
                r => r.map_err(|e| anyhow::anyhow!("writing {}: {e}", out.display()))?,
            }
            println!("{}", field::to_hex(&s.commitment().0));
        }
        HolderCmd::PublicKey { holder } => {
            let secret = holder_secret(&holder)?;
            println!("{}", healthzk_service::sealed::holder_public_key(&secret));
        }
        HolderCmd::Open { holder, blob, out } => {
            let secret = holder_secret(&holder)?;
            let bytes = read(&blob)?;
            let plain =
                healthzk_service::sealed::open(&secret, &bytes).map_err(|e| bad(format!("{}: {e}", blob.display())))?;
            let pkg: HolderPackage = serde_json::from_slice(&plain)
                .map_err(|e| bad(format!("{}: not a holder package: {e}", blob.display())))?;
            write_secret(&out, serde_json::to_string_pretty(&pkg)?.as_bytes())?;
            eprintln!("opened the package of credential #{} into {}", pkg.credential.revocation_nonce, out.display());
        }
    }
    Ok(0)
}
