//! The Groth16 engine shared by every statement: a proving key, its circuit's constraint
//! matrices synthesized once, optional fixed-base tables, and proof creation with
//! [`crate::msm`].

use crate::{
    error::{syn, ProveError},
    iden3::R1cs,
    keys::KeyId,
    msm,
    qap::CircomReduction,
};
use ark_bn254::{Bn254, Fr};
use ark_ec::CurveGroup;
use ark_ff::{PrimeField, UniformRand};
use ark_groth16::{r1cs_to_qap::R1CSToQAP, Groth16, Proof, ProvingKey};
use ark_poly::Radix2EvaluationDomain;
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystem, Matrix, OptimizationGoal, SynthesisMode};
use ark_serialize::CanonicalSerialize;
use healthzk_core::presentation::PROOF_BYTES;
use rand::{CryptoRng, RngCore};
use rayon::prelude::*;

/// Runs a single-party Groth16 setup for `circuit` (blank).
///
/// **Development only**: whoever runs it knows the toxic waste and can forge proofs. The key
/// uses snarkjs' QAP ([`CircomReduction`]), as ceremony keys do, so one engine proves with both.
pub fn setup_circuit<C: ConstraintSynthesizer<Fr>, R: RngCore + CryptoRng>(
    circuit: C,
    rng: &mut R,
) -> Result<ProvingKey<Bn254>, ProveError> {
    Groth16::<Bn254, CircomReduction>::generate_random_parameters_with_reduction(circuit, rng).map_err(syn)
}

/// A proving key with its circuit's matrices (synthesized once) and optional tables.
pub struct Engine {
    pub(crate) pk: ProvingKey<Bn254>,
    pub(crate) key_id: KeyId,
    pub(crate) matrices: Vec<Matrix<Fr>>,
    pub(crate) num_inputs: usize,
    pub(crate) num_constraints: usize,
    tables: Option<Box<Tables>>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("key_id", &self.key_id)
            .field("constraints", &self.num_constraints)
            .field("tables", &self.tables.is_some())
            .finish_non_exhaustive()
    }
}

/// Fixed-base tables for the five proving-key queries (see [`msm::FixedBaseMsm`]).
struct Tables {
    h: msm::FixedBaseMsm<ark_bn254::g1::Config>,
    l: msm::FixedBaseMsm<ark_bn254::g1::Config>,
    a: msm::FixedBaseMsm<ark_bn254::g1::Config>,
    b1: msm::FixedBaseMsm<ark_bn254::g1::Config>,
    b2: msm::FixedBaseMsm<ark_bn254::g2::Config>,
}

/// Window width of the fixed-base tables (measured best on 2 cores; see README).
const TABLE_WINDOW_BITS: usize = 13;

impl Engine {
    /// Synthesizes `blank`'s matrices once and checks the key has its number of inputs.
    pub fn new<C: ConstraintSynthesizer<Fr>>(pk: ProvingKey<Bn254>, blank: C) -> Result<Self, ProveError> {
        let R1cs { matrices, num_instance: num_inputs, num_witness, num_constraints } = R1cs::synthesize(blank)?;
        let num_wires = num_inputs + num_witness;
        if pk.vk.gamma_abc_g1.len() != num_inputs || pk.a_query.len() != num_wires {
            return Err(ProveError::Synthesis(format!(
                "the proving key does not belong to this circuit ({} inputs and {} variables, circuit has {num_inputs} and {num_wires}): wrong depth or model?",
                pk.vk.gamma_abc_g1.len(),
                pk.a_query.len(),
            )));
        }
        let domain = (num_constraints + num_inputs).next_power_of_two();
        if pk.h_query.len() != domain {
            return Err(ProveError::Synthesis(format!(
                "the proving key's H query has {} points, the circuit's QAP domain {domain}: not a key of this \
                 circuit, or one made for another QAP reduction",
                pk.h_query.len()
            )));
        }
        let key_id = KeyId::of(&pk.vk);
        Ok(Engine { pk, key_id, matrices, num_inputs, num_constraints, tables: None })
    }

    /// Precomputes fixed-base tables for every proving-key query, trading memory (about
    /// 110 MiB at depth 20) and a few seconds now for ~1.5× faster MSMs in every later proof.
    /// Worth it for a prover that makes more than a handful of proofs (a service, the demo,
    /// the benches); a one-shot CLI proof skips it.
    pub fn with_fixed_base_tables(mut self) -> Self {
        let c = TABLE_WINDOW_BITS;
        let pk = &self.pk;
        let (h, (l, (a, (b1, b2)))) = rayon::join(
            || msm::FixedBaseMsm::new(&pk.h_query, c),
            || {
                rayon::join(
                    || msm::FixedBaseMsm::new(&pk.l_query, c),
                    || {
                        rayon::join(
                            || msm::FixedBaseMsm::new(&pk.a_query[1..], c),
                            || {
                                rayon::join(
                                    || msm::FixedBaseMsm::new(&pk.b_g1_query[1..], c),
                                    || msm::FixedBaseMsm::new(&pk.b_g2_query[1..], c),
                                )
                            },
                        )
                    },
                )
            },
        );
        self.tables = Some(Box::new(Tables { h, l, a, b1, b2 }));
        self
    }

    /// Whether [`Engine::with_fixed_base_tables`] was applied.
    pub fn has_fixed_base_tables(&self) -> bool {
        self.tables.is_some()
    }

    /// The full variable assignment (`1`, public inputs, witnesses) of a circuit with values:
    /// synthesized in witness-only mode, without building matrices.
    pub fn assignment<C: ConstraintSynthesizer<Fr>>(&self, circuit: C) -> Result<Vec<Fr>, ProveError> {
        let cs = ConstraintSystem::<Fr>::new_ref();
        cs.set_optimization_goal(OptimizationGoal::Constraints);
        cs.set_mode(SynthesisMode::Prove { construct_matrices: false, generate_lc_assignments: false });
        circuit.generate_constraints(cs.clone()).map_err(syn)?;
        let cs = cs.into_inner().ok_or_else(|| ProveError::Synthesis("constraint system still shared".into()))?;
        Ok([cs.instance_assignment().map_err(syn)?, cs.witness_assignment().map_err(syn)?].concat())
    }

    /// Proves a circuit with values (no native check: the caller does it).
    pub fn prove_circuit<C: ConstraintSynthesizer<Fr>, R: RngCore + CryptoRng>(
        &self,
        circuit: C,
        rng: &mut R,
    ) -> Result<ProofBytes, ProveError> {
        let assignment = self.assignment(circuit)?;
        let (r, s) = (Fr::rand(rng), Fr::rand(rng));
        Ok(ProofBytes::from_proof(&self.create_proof(&assignment, r, s)?))
    }

    /// Groth16 proving with [`msm::msm`] (or the fixed-base tables when present): the same algebra as arkworks'
    /// `create_proof_with_reduction_and_matrices`, with
    /// `A = α + Σ zᵢ·Aᵢ + r·δ`, `B = β + Σ zᵢ·Bᵢ + s·δ` (in G2, and in G1 for C), and
    /// `C = Σ_aux zᵢ·Lᵢ + Σ hⱼ·Hⱼ + s·A + r·B₁ − r·s·δ`.
    pub(crate) fn create_proof(&self, z: &[Fr], r: Fr, s: Fr) -> Result<Proof<Bn254>, ProveError> {
        let pk = &self.pk;
        let t = self.tables.as_deref();
        let zb: Vec<_> = z.par_iter().map(|x| x.into_bigint()).collect();
        let aux = &zb[self.num_inputs..];
        // The quotient (FFTs) and its MSM run beside the four witness MSMs; all are parallel
        // inside, and joining them fills the serial gaps of each. Queries are indexed by
        // variable, variable 0 being the constant 1.
        let (h_acc, (l_acc, (a_acc, (b1_acc, b2_acc)))) = rayon::join(
            || -> Result<_, ProveError> {
                let h = CircomReduction::witness_map_from_matrices::<Fr, Radix2EvaluationDomain<Fr>>(
                    &self.matrices,
                    self.num_inputs,
                    self.num_constraints,
                    z,
                )
                .map_err(syn)?;
                let h: Vec<_> = h.par_iter().map(|x| x.into_bigint()).collect();
                Ok(match t {
                    Some(t) => t.h.msm(&h),
                    None => msm::msm(&pk.h_query, &h),
                })
            },
            || {
                rayon::join(
                    || t.map_or_else(|| msm::msm(&pk.l_query, aux), |t| t.l.msm(aux)),
                    || {
                        rayon::join(
                            || {
                                t.map_or_else(|| msm::msm(&pk.a_query[1..], &zb[1..]), |t| t.a.msm(&zb[1..]))
                                    + pk.a_query[0]
                            },
                            || {
                                rayon::join(
                                    || {
                                        t.map_or_else(
                                            || msm::msm(&pk.b_g1_query[1..], &zb[1..]),
                                            |t| t.b1.msm(&zb[1..]),
                                        ) + pk.b_g1_query[0]
                                    },
                                    || {
                                        t.map_or_else(
                                            || msm::msm(&pk.b_g2_query[1..], &zb[1..]),
                                            |t| t.b2.msm(&zb[1..]),
                                        ) + pk.b_g2_query[0]
                                    },
                                )
                            },
                        )
                    },
                )
            },
        );
        let h_acc = h_acc?;
        let a = a_acc + pk.vk.alpha_g1 + pk.delta_g1 * r;
        let b1 = b1_acc + pk.beta_g1 + pk.delta_g1 * s;
        let b2 = b2_acc + pk.vk.beta_g2 + pk.vk.delta_g2 * s;
        let c = a * s + b1 * r - pk.delta_g1 * (r * s) + l_acc + h_acc;
        Ok(Proof { a: a.into_affine(), b: b2.into_affine(), c: c.into_affine() })
    }
}

/// A Groth16 proof in its 128-byte compressed form: A (G1) ‖ B (G2) ‖ C (G1).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct ProofBytes(pub [u8; PROOF_BYTES]);

impl std::fmt::Debug for ProofBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ProofBytes({})", hex_prefix(&self.0))
    }
}

fn hex_prefix(b: &[u8]) -> String {
    hex::encode(&b[..8]) + "…"
}

impl ProofBytes {
    /// Compresses an arkworks proof.
    pub fn from_proof(p: &Proof<Bn254>) -> Self {
        let mut v = Vec::with_capacity(PROOF_BYTES);
        p.serialize_compressed(&mut v).expect("writing to a Vec cannot fail");
        ProofBytes(v.try_into().expect("a compressed BN254 Groth16 proof is 128 bytes"))
    }

    /// Lowercase hex.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}
