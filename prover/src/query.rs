//! The credential-query statement's setup and prover.

use crate::{
    engine::{setup_circuit, Engine, ProofBytes},
    error::{check_depth, ProveError},
    keys::KeyId,
};
use ark_bn254::{Bn254, Fr};
use ark_groth16::ProvingKey;
use ark_relations::gr1cs::Matrix;
use healthzk_circuits::query::QueryCircuit;
use healthzk_core::{
    query::{check, QueryWitness},
    statement::PublicInputs,
};
use rand::{CryptoRng, RngCore};
use rayon::prelude::*;

/// Runs a single-party Groth16 setup for the credential-query circuit at `depth`.
///
/// **Development only**: whoever runs it knows the toxic waste and can forge proofs. Real
/// deployments run a multi-party phase 2 and pin the resulting key id.
pub fn setup<R: RngCore + CryptoRng>(depth: usize, rng: &mut R) -> Result<ProvingKey<Bn254>, ProveError> {
    check_depth(depth)?;
    setup_circuit(QueryCircuit::blank(depth), rng)
}

/// The credential query's R1CS at `depth` (iden3's `.r1cs` with [`crate::iden3::R1cs::to_r1cs_bytes`]).
pub fn r1cs(depth: usize) -> Result<crate::iden3::R1cs, ProveError> {
    check_depth(depth)?;
    crate::iden3::R1cs::synthesize(QueryCircuit::blank(depth))
}

/// A loaded credential-query proving key with its constraint matrices, synthesized once.
pub struct Prover {
    engine: Engine,
    depth: usize,
}

impl std::fmt::Debug for Prover {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prover")
            .field("key_id", &self.engine.key_id)
            .field("depth", &self.depth)
            .field("constraints", &self.engine.num_constraints)
            .finish_non_exhaustive()
    }
}

impl Prover {
    /// Prepares a prover: synthesizes the circuit's matrices once.
    pub fn new(pk: ProvingKey<Bn254>, depth: usize) -> Result<Self, ProveError> {
        check_depth(depth)?;
        Ok(Prover { engine: Engine::new(pk, QueryCircuit::blank(depth))?, depth })
    }

    /// Precomputes fixed-base tables (see [`Engine::with_fixed_base_tables`]): about 110 MiB
    /// at depth 20 and a few seconds once, for ~1.5× faster MSMs in every later proof.
    pub fn with_fixed_base_tables(self) -> Self {
        Prover { engine: self.engine.with_fixed_base_tables(), ..self }
    }

    /// Whether [`Prover::with_fixed_base_tables`] was applied.
    pub fn has_fixed_base_tables(&self) -> bool {
        self.engine.has_fixed_base_tables()
    }

    /// The key id of the verifying key matching this proving key.
    pub fn key_id(&self) -> KeyId {
        self.engine.key_id
    }

    /// The issuer-tree depth of this key.
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// Number of constraints of the circuit.
    pub fn num_constraints(&self) -> usize {
        self.engine.num_constraints
    }

    /// The proving key.
    pub fn proving_key(&self) -> &ProvingKey<Bn254> {
        &self.engine.pk
    }

    /// Proves the statement after checking it natively; a false statement is refused with
    /// the relation that fails.
    pub fn prove<R: RngCore + CryptoRng>(
        &self,
        public: &PublicInputs,
        witness: &QueryWitness,
        rng: &mut R,
    ) -> Result<ProofBytes, ProveError> {
        check(public, witness, self.depth).map_err(ProveError::Unsatisfied)?;
        self.prove_unchecked(public, witness, rng)
    }

    /// Runs the prover without the native check. On a false statement the result is a proof
    /// that does not verify; tests and the demo use this to show the verifier refusing it.
    pub fn prove_unchecked<R: RngCore + CryptoRng>(
        &self,
        public: &PublicInputs,
        witness: &QueryWitness,
        rng: &mut R,
    ) -> Result<ProofBytes, ProveError> {
        let circuit = QueryCircuit { depth: self.depth, public: Some(*public), private: Some(witness.clone()) };
        self.engine.prove_circuit(circuit, rng)
    }

    /// Proves and wraps the proof in a presentation (checked first, like [`Prover::prove`]).
    pub fn present<R: RngCore + CryptoRng>(
        &self,
        public: &PublicInputs,
        witness: &QueryWitness,
        rng: &mut R,
    ) -> Result<healthzk_core::presentation::Presentation, ProveError> {
        let proof = self.prove(public, witness, rng)?;
        Ok(self.wrap(public, proof))
    }

    /// A presentation for an already computed proof.
    pub fn wrap(&self, public: &PublicInputs, proof: ProofBytes) -> healthzk_core::presentation::Presentation {
        use healthzk_core::{
            presentation::{Presentation, PublicJson, PRESENTATION_FORMAT},
            statement::Statement,
        };
        Presentation {
            format: PRESENTATION_FORMAT.into(),
            statement: Statement::CredentialQuery.name().into(),
            key_id: self.engine.key_id.to_hex(),
            public: PublicJson::from_public(public),
            proof: proof.to_hex(),
        }
    }

    /// The full variable assignment (`1`, public inputs, witnesses) for a statement: the
    /// circuit is synthesized in witness-only mode, without building matrices.
    pub fn assignment(&self, public: &PublicInputs, witness: &QueryWitness) -> Result<Vec<Fr>, ProveError> {
        self.engine.assignment(QueryCircuit {
            depth: self.depth,
            public: Some(*public),
            private: Some(witness.clone()),
        })
    }

    /// The synthesized matrices, input count and constraint count (for profiling tools).
    #[doc(hidden)]
    pub fn matrices_for_profiling(&self) -> (&[Matrix<Fr>], usize, usize) {
        (&self.engine.matrices, self.engine.num_inputs, self.engine.num_constraints)
    }

    /// Proves several statements in parallel (rayon); each gets its own OS randomness.
    pub fn prove_many(&self, statements: &[(PublicInputs, QueryWitness)]) -> Vec<Result<ProofBytes, ProveError>> {
        statements.par_iter().map(|(p, w)| self.prove(p, w, &mut rand::rngs::OsRng)).collect()
    }
}
