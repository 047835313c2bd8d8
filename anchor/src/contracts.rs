//! Typed wrappers over the three contracts, written once against [`Chain`] so both backends
//! run them identically.

use crate::{
    abi::{self, AnchorRegistry as R, EligibilityGate as G, Groth16Verifier as V},
    chain::{Account, Chain, Receipt},
    encode,
    error::Error,
};
use alloy_primitives::{Address, Bytes, FixedBytes, U256};
use alloy_sol_types::{SolCall, SolConstructor};
use ark_bn254::{Bn254, Fr};
use ark_groth16::{Proof, VerifyingKey};
use healthzk_core::statement::{PublicInputs, NUM_PUBLIC_INPUTS};

fn deployed(receipt: &Receipt, what: &str) -> Result<Address, Error> {
    receipt
        .contract_address
        .ok_or_else(|| Error::Abi(format!("deploying {what}: the receipt names no contract address")))
}

fn init_code(bytecode: &[u8], args: Vec<u8>) -> Bytes {
    let mut code = bytecode.to_vec();
    code.extend_from_slice(&args);
    code.into()
}

fn view<C: SolCall>(chain: &mut dyn Chain, to: Address, call: C) -> Result<C::Return, Error> {
    let out = chain.call(Address::ZERO, to, call.abi_encode().into())?;
    abi::decode_return::<C>(&out)
}

fn to_fr(x: U256, what: &str) -> Result<Fr, Error> {
    encode::u256_to_fr(x).ok_or_else(|| Error::Abi(format!("{what} {x} is not a field element")))
}

/// A root in an issuer's on-chain history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnchoredRoot {
    /// The root.
    pub root: Fr,
    /// Block time of the anchoring transaction (seconds since the epoch).
    pub anchored_at: u64,
    /// Block time of its revocation, if revoked.
    pub revoked_at: Option<u64>,
}

/// The `AnchorRegistry` contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Registry {
    /// Its address.
    pub address: Address,
}

impl Registry {
    /// Deploys a registry owned by `owner`.
    pub fn deploy(chain: &mut dyn Chain, owner: &Account) -> Result<(Self, Receipt), Error> {
        let receipt = chain.deploy(owner, init_code(&R::BYTECODE, Vec::new()))?;
        Ok((Registry { address: deployed(&receipt, "AnchorRegistry")? }, receipt))
    }

    fn send<C: SolCall>(&self, chain: &mut dyn Chain, from: &Account, call: C) -> Result<Receipt, Error> {
        chain.send(from, self.address, call.abi_encode().into())
    }

    /// The owner (e.g. a health ministry).
    pub fn owner(&self, chain: &mut dyn Chain) -> Result<Address, Error> {
        view(chain, self.address, R::ownerCall {})
    }

    /// Accredits an issuer (owner only).
    pub fn accredit_issuer(&self, chain: &mut dyn Chain, owner: &Account, issuer: Address) -> Result<Receipt, Error> {
        self.send(chain, owner, R::accreditIssuerCall { issuer })
    }

    /// Removes an issuer's accreditation (owner only); its roots stop being accepted.
    pub fn remove_issuer(&self, chain: &mut dyn Chain, owner: &Account, issuer: Address) -> Result<Receipt, Error> {
        self.send(chain, owner, R::removeIssuerCall { issuer })
    }

    /// Accredits a model publisher (owner only).
    pub fn accredit_model_publisher(
        &self,
        chain: &mut dyn Chain,
        owner: &Account,
        publisher: Address,
    ) -> Result<Receipt, Error> {
        self.send(chain, owner, R::accreditModelPublisherCall { publisher })
    }

    /// Withdraws a model publisher's accreditation (owner only); its models stop being accepted.
    pub fn remove_model_publisher(
        &self,
        chain: &mut dyn Chain,
        owner: &Account,
        publisher: Address,
    ) -> Result<Receipt, Error> {
        self.send(chain, owner, R::removeModelPublisherCall { publisher })
    }

    /// Whether `issuer` is accredited.
    pub fn is_issuer(&self, chain: &mut dyn Chain, issuer: Address) -> Result<bool, Error> {
        view(chain, self.address, R::isIssuerCall::new((issuer,)))
    }

    /// Anchors `root` as the issuer's (accredited issuers only).
    pub fn anchor_root(&self, chain: &mut dyn Chain, issuer: &Account, root: &Fr) -> Result<Receipt, Error> {
        self.send(chain, issuer, R::anchorRootCall { root: encode::fr_to_u256(root) })
    }

    /// Revokes one of `issuer`'s roots (the issuer itself or the owner).
    pub fn revoke_root(
        &self,
        chain: &mut dyn Chain,
        by: &Account,
        issuer: Address,
        root: &Fr,
    ) -> Result<Receipt, Error> {
        self.send(chain, by, R::revokeRootCall { issuer, root: encode::fr_to_u256(root) })
    }

    /// Whether `root` is accepted for `issuer`: accredited, anchored, not revoked.
    pub fn is_root_accepted(&self, chain: &mut dyn Chain, issuer: Address, root: &Fr) -> Result<bool, Error> {
        view(chain, self.address, R::isRootAcceptedCall { issuer, root: encode::fr_to_u256(root) })
    }

    /// When the issuer anchored `root` and when it was revoked: `None` if never anchored.
    pub fn root_info(
        &self,
        chain: &mut dyn Chain,
        issuer: Address,
        root: &Fr,
    ) -> Result<Option<(u64, Option<u64>)>, Error> {
        let r = view(chain, self.address, R::rootInfoCall { issuer, root: encode::fr_to_u256(root) })?;
        Ok((r.anchoredAt != 0).then_some((r.anchoredAt, (r.revokedAt != 0).then_some(r.revokedAt))))
    }

    /// The issuer's whole root history, oldest first.
    pub fn roots(&self, chain: &mut dyn Chain, issuer: Address) -> Result<Vec<AnchoredRoot>, Error> {
        let n: U256 = view(chain, self.address, R::rootCountCall { issuer })?;
        let n = u64::try_from(n).map_err(|_| Error::Abi(format!("root count {n}")))?;
        // The count comes from the chain: no allocation sized by it.
        let mut out = Vec::new();
        for i in 0..n {
            let r = view(chain, self.address, R::rootAtCall { issuer, index: U256::from(i) })?;
            out.push(AnchoredRoot {
                root: to_fr(r.root, "root")?,
                anchored_at: r.anchoredAt,
                revoked_at: (r.revokedAt != 0).then_some(r.revokedAt),
            });
        }
        Ok(out)
    }

    /// The roots a verifier should accept for `issuer` now: none if the issuer is not
    /// accredited, else every anchored root not revoked.
    pub fn accepted_roots(&self, chain: &mut dyn Chain, issuer: Address) -> Result<Vec<Fr>, Error> {
        if !self.is_issuer(chain, issuer)? {
            return Ok(Vec::new());
        }
        Ok(self.roots(chain, issuer)?.into_iter().filter(|r| r.revoked_at.is_none()).map(|r| r.root).collect())
    }

    /// Anchors `root` as the issuer's current revocation root (accredited issuers only),
    /// superseding the previous one.
    pub fn anchor_revocation_root(&self, chain: &mut dyn Chain, issuer: &Account, root: &Fr) -> Result<Receipt, Error> {
        self.send(chain, issuer, R::anchorRevocationRootCall { root: encode::fr_to_u256(root) })
    }

    /// The issuer's current revocation root, if it anchored one.
    pub fn current_revocation_root(&self, chain: &mut dyn Chain, issuer: Address) -> Result<Option<Fr>, Error> {
        let r: U256 = view(chain, self.address, R::currentRevocationRootCall::new((issuer,)))?;
        if r.is_zero() {
            return Ok(None);
        }
        to_fr(r, "revocation root").map(Some)
    }

    /// Whether `root` is the issuer's current revocation root or was superseded less than
    /// `max_age` seconds ago (and the issuer is accredited).
    pub fn is_revocation_root_fresh(
        &self,
        chain: &mut dyn Chain,
        issuer: Address,
        root: &Fr,
        max_age: u64,
    ) -> Result<bool, Error> {
        let call = R::isRevocationRootFreshCall { issuer, root: encode::fr_to_u256(root), maxAge: U256::from(max_age) };
        view(chain, self.address, call)
    }

    /// When the issuer anchored `root` as a revocation root and when it was superseded:
    /// `None` if never anchored.
    pub fn revocation_root_info(
        &self,
        chain: &mut dyn Chain,
        issuer: Address,
        root: &Fr,
    ) -> Result<Option<(u64, Option<u64>)>, Error> {
        let r = view(chain, self.address, R::revocationRootInfoCall { issuer, root: encode::fr_to_u256(root) })?;
        Ok((r.anchoredAt != 0).then_some((r.anchoredAt, (r.supersededAt != 0).then_some(r.supersededAt))))
    }

    /// Registers a model hash (accredited model publishers only).
    pub fn register_model(
        &self,
        chain: &mut dyn Chain,
        publisher: &Account,
        model_hash: &Fr,
    ) -> Result<Receipt, Error> {
        self.send(chain, publisher, R::registerModelCall { modelHash: encode::fr_to_u256(model_hash) })
    }

    /// Revokes `publisher`'s own registration of a model hash.
    pub fn revoke_model(&self, chain: &mut dyn Chain, publisher: &Account, model_hash: &Fr) -> Result<Receipt, Error> {
        self.send(chain, publisher, R::revokeModelCall { modelHash: encode::fr_to_u256(model_hash) })
    }

    /// Revokes `publisher`'s registration of a model hash, as `from` (the owner, whose revocation
    /// is final, or the publisher itself).
    pub fn revoke_model_of(
        &self,
        chain: &mut dyn Chain,
        from: &Account,
        publisher: Address,
        model_hash: &Fr,
    ) -> Result<Receipt, Error> {
        self.send(chain, from, R::revokeModelOfCall { publisher, modelHash: encode::fr_to_u256(model_hash) })
    }

    /// Whether `publisher`, accredited now, holds an unrevoked registration of a model hash.
    pub fn is_model_accepted_from(
        &self,
        chain: &mut dyn Chain,
        publisher: Address,
        model_hash: &Fr,
    ) -> Result<bool, Error> {
        view(chain, self.address, R::isModelAcceptedFromCall { publisher, modelHash: encode::fr_to_u256(model_hash) })
    }

    /// Whether a model hash is registered, unrevoked, by a still-accredited publisher (any).
    pub fn is_model_accepted(&self, chain: &mut dyn Chain, model_hash: &Fr) -> Result<bool, Error> {
        view(chain, self.address, R::isModelAcceptedCall { modelHash: encode::fr_to_u256(model_hash) })
    }

    /// Records a verifying key as accepted (owner only): its id, statement code and its
    /// ceremony's transcript hash (empty for a development key).
    pub fn accept_verifying_key(
        &self,
        chain: &mut dyn Chain,
        owner: &Account,
        key_id: [u8; 32],
        statement: u8,
        transcript_hash: &[u8],
    ) -> Result<Receipt, Error> {
        let call = R::acceptVerifyingKeyCall {
            keyId: FixedBytes(key_id),
            statement,
            transcriptHash: Bytes::copy_from_slice(transcript_hash),
        };
        self.send(chain, owner, call)
    }

    /// Withdraws a verifying key (owner only).
    pub fn withdraw_verifying_key(
        &self,
        chain: &mut dyn Chain,
        owner: &Account,
        key_id: [u8; 32],
    ) -> Result<Receipt, Error> {
        self.send(chain, owner, R::withdrawVerifyingKeyCall { keyId: FixedBytes(key_id) })
    }

    /// What the registry records of a verifying key.
    pub fn verifying_key(&self, chain: &mut dyn Chain, key_id: [u8; 32]) -> Result<KeyRecord, Error> {
        let r = view(chain, self.address, R::verifyingKeyCall { keyId: FixedBytes(key_id) })?;
        Ok(KeyRecord {
            accepted: r.accepted,
            statement: r.statement,
            since: r.since,
            transcript_hash: r.transcriptHash.to_vec(),
        })
    }
}

/// A verifying key as the registry records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRecord {
    /// Recorded and not withdrawn.
    pub accepted: bool,
    /// The statement's code (SPEC.md §8; 0 if never recorded).
    pub statement: u8,
    /// When it was recorded (unix seconds; 0 if never).
    pub since: u64,
    /// Its ceremony's transcript hash (empty for a development key).
    pub transcript_hash: Vec<u8>,
}

/// A `Groth16Verifier` contract for one verifying key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VerifierContract {
    /// Its address.
    pub address: Address,
}

impl VerifierContract {
    /// Deploys a verifier for `vk` (which must have seven public inputs). The contract derives
    /// its `keyId` from the key (SHA-256 of the compressed key, healthzk's key id).
    pub fn deploy(chain: &mut dyn Chain, from: &Account, vk: &VerifyingKey<Bn254>) -> Result<(Self, Receipt), Error> {
        let a = encode::VerifierArgs::new(vk).map_err(|e| Error::Abi(e.to_string()))?;
        let args =
            V::constructorCall { alpha: a.alpha, beta: a.beta, gamma: a.gamma, delta: a.delta, ic: a.ic }.abi_encode();
        let receipt = chain.deploy(from, init_code(&V::BYTECODE, args))?;
        Ok((VerifierContract { address: deployed(&receipt, "Groth16Verifier")? }, receipt))
    }

    /// The verifying key the contract holds, in its constructor's encoding.
    pub fn verifying_key(&self, chain: &mut dyn Chain) -> Result<encode::VerifierArgs, Error> {
        let k = view(chain, self.address, V::verifyingKeyCall {})?;
        Ok(encode::VerifierArgs { alpha: k.alpha, beta: k.beta, gamma: k.gamma, delta: k.delta, ic: k.ic })
    }

    /// The key id the contract derived from its key.
    pub fn key_id(&self, chain: &mut dyn Chain) -> Result<[u8; 32], Error> {
        Ok(view(chain, self.address, V::keyIdCall {})?.0)
    }

    /// Calldata of `verifyProof(proof, input)` for raw words (tests tamper with them).
    pub fn calldata(proof: [U256; 8], input: [U256; NUM_PUBLIC_INPUTS]) -> Bytes {
        V::verifyProofCall { proof, input }.abi_encode().into()
    }

    /// `verifyProof` on raw words.
    pub fn verify_words(
        &self,
        chain: &mut dyn Chain,
        proof: [U256; 8],
        input: [U256; NUM_PUBLIC_INPUTS],
    ) -> Result<bool, Error> {
        let out = chain.call(Address::ZERO, self.address, Self::calldata(proof, input))?;
        abi::decode_return::<V::verifyProofCall>(&out)
    }

    /// `verifyProof` for a proof and its public inputs.
    pub fn verify(&self, chain: &mut dyn Chain, proof: &Proof<Bn254>, public: &PublicInputs) -> Result<bool, Error> {
        self.verify_words(chain, encode::proof(proof), encode::public_inputs(public))
    }

    /// Gas of a transaction calling `verifyProof` (intrinsic 21,000 and calldata included).
    pub fn verify_gas(&self, chain: &mut dyn Chain, proof: &Proof<Bn254>, public: &PublicInputs) -> Result<u64, Error> {
        let data = Self::calldata(encode::proof(proof), encode::public_inputs(public));
        chain.estimate_gas(Address::ZERO, self.address, data)
    }
}

/// What an `EligibilityGate` admits.
#[derive(Debug, Clone)]
pub struct GateConfig {
    /// The registry whose roots it trusts.
    pub registry: Address,
    /// The verifier contract of the statement's key.
    pub verifier: Address,
    /// The issuer whose roots it accepts.
    pub issuer: Address,
    /// The policy hash it requires (the gate checks credential-query proofs; it does not
    /// consult the registry's model list).
    pub policy_hash: Fr,
    /// Its scope (nullifiers are per scope).
    pub scope: Fr,
    /// How many days old `as_of` may be.
    pub max_age_days: u32,
    /// How long after the issuer superseded a revocation root proofs against it still pass,
    /// in seconds (0: only the current root).
    pub revocation_grace_seconds: u32,
}

/// The example consumer contract: verifies a presentation on chain and records the nullifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gate {
    /// Its address.
    pub address: Address,
}

impl Gate {
    /// Deploys a gate.
    pub fn deploy(chain: &mut dyn Chain, from: &Account, c: &GateConfig) -> Result<(Self, Receipt), Error> {
        let args = G::constructorCall {
            registry_: c.registry,
            verifier_: c.verifier,
            issuer_: c.issuer,
            policyHash_: encode::fr_to_u256(&c.policy_hash),
            scope_: encode::fr_to_u256(&c.scope),
            maxAgeDays_: c.max_age_days,
            revocationGraceSeconds_: c.revocation_grace_seconds,
        }
        .abi_encode();
        let receipt = chain.deploy(from, init_code(&G::BYTECODE, args))?;
        Ok((Gate { address: deployed(&receipt, "EligibilityGate")? }, receipt))
    }

    /// The challenge a holder must prove against: bound to the chain, the gate and the
    /// holder's address, so a proof copied from the mempool is useless to anyone else.
    pub fn challenge_for(&self, chain: &mut dyn Chain, holder: Address) -> Result<Fr, Error> {
        let c: U256 = view(chain, self.address, G::challengeForCall { holder })?;
        to_fr(c, "challenge")
    }

    /// Presents a proof at the gate from `holder`'s account.
    pub fn enter(
        &self,
        chain: &mut dyn Chain,
        holder: &Account,
        proof: &Proof<Bn254>,
        public: &PublicInputs,
    ) -> Result<Receipt, Error> {
        self.enter_words(chain, holder, encode::proof(proof), public)
    }

    /// [`Gate::enter`] with raw proof words.
    pub fn enter_words(
        &self,
        chain: &mut dyn Chain,
        holder: &Account,
        proof: [U256; 8],
        public: &PublicInputs,
    ) -> Result<Receipt, Error> {
        let call = G::enterCall {
            proof,
            issuerRoot: encode::fr_to_u256(&public.issuer_root),
            asOf: U256::from(public.as_of.0),
            nullifier: encode::fr_to_u256(&public.nullifier),
            revocationRoot: encode::fr_to_u256(&public.revocation_root),
        };
        chain.send(holder, self.address, call.abi_encode().into())
    }

    /// Whether a nullifier has been used at this gate.
    pub fn nullifier_used(&self, chain: &mut dyn Chain, nullifier: &Fr) -> Result<bool, Error> {
        view(chain, self.address, G::nullifierUsedCall::new((encode::fr_to_u256(nullifier),)))
    }
}
