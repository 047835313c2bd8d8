//! What every statement proves about its credential, shared by `query` and `score`: the seven
//! public inputs, the holder binding (`holder = Poseidon(secret)` inside the commitment),
//! membership of the commitment under `issuer_root` (fixed depth, boolean path bits), its
//! revocation nonce in a gap under `revocation_root` (not revoked), the nullifier
//! `Poseidon(secret, scope)`, `as_of < 2^32` and `0 ≤ expires − as_of < 2^32`, and the
//! challenge bound by a squaring constraint.

use crate::{
    credential::CredentialVar, merkle::PathVar, range::enforce_bits, revocation::RevocationVar, FrVar, SynthesisError,
};
use ark_r1cs_std::{alloc::AllocVar, eq::EqGadget};
use ark_relations::gr1cs::ConstraintSystemRef;
use healthzk_core::{
    credential::Credential, holder::HolderSecret, merkle::MerklePath, revocation::RevocationOpening,
    statement::PublicInputs, Fr, DAY_BITS, SLOTS,
};

/// The public inputs as variables, in circuit order.
#[derive(Debug, Clone)]
pub struct PublicVars {
    /// Issuer root.
    pub issuer_root: FrVar,
    /// Policy hash (query) or model hash (score).
    pub policy_hash: FrVar,
    /// `as_of` day.
    pub as_of: FrVar,
    /// Challenge.
    pub challenge: FrVar,
    /// Scope.
    pub scope: FrVar,
    /// Nullifier.
    pub nullifier: FrVar,
    /// Revocation root.
    pub revocation_root: FrVar,
}

/// The credential's private half.
#[derive(Debug, Clone, Copy)]
pub struct CredentialWitness<'a> {
    /// The credential.
    pub credential: &'a Credential,
    /// The holder's secret.
    pub secret: &'a HolderSecret,
    /// Its path in the issuer tree.
    pub path: &'a MerklePath,
    /// The revocation gap holding its nonce.
    pub revocation: &'a RevocationOpening,
}

/// Allocates the public inputs and the credential and enforces the shared relations.
pub fn bind(
    cs: ConstraintSystemRef<Fr>,
    depth: usize,
    public: Option<&PublicInputs>,
    w: Option<CredentialWitness<'_>>,
) -> Result<(PublicVars, CredentialVar), SynthesisError> {
    let missing = || SynthesisError::AssignmentMissing;
    let input = |f: fn(&PublicInputs) -> Fr| FrVar::new_input(cs.clone(), || public.map(f).ok_or_else(missing));
    let p = PublicVars {
        issuer_root: input(|p| p.issuer_root)?,
        policy_hash: input(|p| p.policy_hash)?,
        as_of: input(|p| Fr::from(p.as_of.0))?,
        challenge: input(|p| p.challenge)?,
        scope: input(|p| p.scope)?,
        nullifier: input(|p| p.nullifier)?,
        revocation_root: input(|p| p.revocation_root)?,
    };
    let wit = |v: Option<Fr>| FrVar::new_witness(cs.clone(), || v.ok_or_else(missing));
    let c = w.map(|w| w.credential);
    let secret = wit(w.map(|w| w.secret.expose()))?;
    let cred = CredentialVar {
        schema: wit(c.map(|c| Fr::from(c.schema)))?,
        holder: crate::poseidon::hash(std::slice::from_ref(&secret))?,
        slots: (0..SLOTS).map(|i| wit(c.map(|c| c.slots[i]))).collect::<Result<_, _>>()?,
        issued: wit(c.map(|c| Fr::from(c.issued.0)))?,
        expires: wit(c.map(|c| Fr::from(c.expires.0)))?,
        revocation_nonce: wit(c.map(|c| Fr::from(c.revocation_nonce)))?,
        salt: wit(c.map(|c| c.salt))?,
    };

    // Holder binding (inside the commitment) and membership under the issuer root.
    let path = PathVar::new_witness(cs.clone(), depth, w.map(|w| w.path))?;
    path.root(&cred.commitment()?)?.enforce_equal(&p.issuer_root)?;
    // Not revoked: the nonce lies in a gap under the revocation root.
    RevocationVar::new_witness(cs.clone(), || {
        w.map(|w| w.revocation.clone()).ok_or(SynthesisError::AssignmentMissing)
    })?
    .enforce(&cred.revocation_nonce, &p.revocation_root)?;
    // Nullifier.
    crate::poseidon::hash(&[secret, p.scope.clone()])?.enforce_equal(&p.nullifier)?;
    // Day widths and expiry.
    enforce_bits(&p.as_of, DAY_BITS)?;
    enforce_bits(&(&cred.expires - &p.as_of), DAY_BITS)?;
    // Challenge.
    let sq = wit(public.map(|p| p.challenge * p.challenge))?;
    (&p.challenge * &p.challenge).enforce_equal(&sq)?;
    Ok((p, cred))
}
