//! Proving the score-threshold statement. A [`ScoreProver`] serves one key: a model's
//! (public weights) or a shape's (private weights).

use crate::{
    engine::{setup_circuit, Engine, ProofBytes},
    error::{check_depth, ProveError},
    keys::KeyId,
};
use ark_bn254::{Bn254, Fr};
use ark_groth16::ProvingKey;
use healthzk_circuits::score::ScoreCircuit;
pub use healthzk_circuits::score::Weights;
use healthzk_core::{
    presentation::{Presentation, PublicJson, PRESENTATION_FORMAT},
    score::{check, ScoreWitness},
    statement::{PublicInputs, Statement},
};
use rand::{CryptoRng, RngCore};

/// Single-party setup for the score statement (development only, like [`crate::query::setup`]).
pub fn setup<R: RngCore + CryptoRng>(
    depth: usize,
    weights: Weights,
    rng: &mut R,
) -> Result<ProvingKey<Bn254>, ProveError> {
    check_depth(depth)?;
    setup_circuit(ScoreCircuit::blank(depth, weights), rng)
}

/// The score statement's R1CS at `depth` for a model (public weights) or a shape (private
/// weights): iden3's `.r1cs` with [`crate::iden3::R1cs::to_r1cs_bytes`].
pub fn r1cs(depth: usize, weights: Weights) -> Result<crate::iden3::R1cs, ProveError> {
    check_depth(depth)?;
    crate::iden3::R1cs::synthesize(ScoreCircuit::blank(depth, weights))
}

/// A loaded score-statement proving key.
#[derive(Debug)]
pub struct ScoreProver {
    engine: Engine,
    depth: usize,
    weights: Weights,
}

impl ScoreProver {
    /// Prepares a prover: synthesizes the circuit's matrices once.
    pub fn new(pk: ProvingKey<Bn254>, depth: usize, weights: Weights) -> Result<Self, ProveError> {
        check_depth(depth)?;
        let engine = Engine::new(pk, ScoreCircuit::blank(depth, weights.clone()))?;
        Ok(ScoreProver { engine, depth, weights })
    }

    /// See [`Engine::with_fixed_base_tables`].
    pub fn with_fixed_base_tables(self) -> Self {
        ScoreProver { engine: self.engine.with_fixed_base_tables(), ..self }
    }

    /// The issuer-tree depth of this key.
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// The key id.
    pub fn key_id(&self) -> KeyId {
        self.engine.key_id
    }

    /// Number of constraints.
    pub fn num_constraints(&self) -> usize {
        self.engine.num_constraints
    }

    /// The proving key.
    pub fn proving_key(&self) -> &ProvingKey<Bn254> {
        &self.engine.pk
    }

    /// Proves after checking natively; a false statement, or a model this key does not serve,
    /// is refused with the reason.
    pub fn prove<R: RngCore + CryptoRng>(
        &self,
        public: &PublicInputs,
        witness: &ScoreWitness,
        rng: &mut R,
    ) -> Result<ProofBytes, ProveError> {
        witness.model.validate().map_err(|e| ProveError::InvalidModel(e.to_string()))?;
        match &self.weights {
            Weights::Public(m) if m.model != witness.model => {
                return Err(ProveError::WrongKey(format!("this key serves model {:?} only", m.model.name)))
            }
            Weights::Private(shape) if *shape != witness.model.shape() => {
                return Err(ProveError::WrongKey(format!(
                    "this key serves the shape {shape}, the model is a {}",
                    witness.model.shape()
                )))
            }
            _ => {}
        }
        check(public, witness, self.depth).map_err(ProveError::Unsatisfied)?;
        self.prove_unchecked(public, witness, rng)
    }

    /// Runs the prover without the native check (tests show forced proofs fail to verify).
    pub fn prove_unchecked<R: RngCore + CryptoRng>(
        &self,
        public: &PublicInputs,
        witness: &ScoreWitness,
        rng: &mut R,
    ) -> Result<ProofBytes, ProveError> {
        let circuit = ScoreCircuit {
            depth: self.depth,
            weights: self.weights.clone(),
            public: Some(*public),
            private: Some(witness.clone()),
        };
        self.engine.prove_circuit(circuit, rng)
    }

    /// The full variable assignment (`1`, public inputs, witnesses) for a statement, without
    /// the native check (a false statement gives an assignment that does not satisfy the R1CS).
    pub fn assignment(&self, public: &PublicInputs, witness: &ScoreWitness) -> Result<Vec<Fr>, ProveError> {
        self.engine.assignment(ScoreCircuit {
            depth: self.depth,
            weights: self.weights.clone(),
            public: Some(*public),
            private: Some(witness.clone()),
        })
    }

    /// A presentation for a proof (statement `score`; `policy_hash` carries the model hash).
    pub fn wrap(&self, public: &PublicInputs, proof: ProofBytes) -> Presentation {
        Presentation {
            format: PRESENTATION_FORMAT.into(),
            statement: Statement::ScoreThreshold.name().into(),
            key_id: self.engine.key_id.to_hex(),
            public: PublicJson::from_public(public),
            proof: proof.to_hex(),
        }
    }
}
