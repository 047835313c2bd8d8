//! A statement's constraint system and a witness in iden3's binary formats, the ones circom
//! writes and snarkjs reads: `.r1cs` (`snarkjs r1cs info`, `snarkjs zkey new`) and `.wtns`
//! (`snarkjs wtns check`). Both are "binfiles": a 4-byte magic, a `u32` version, a `u32`
//! section count, then sections of `u32` type, `u64` byte length and data, all little-endian;
//! field elements are 32 bytes, little-endian, in standard (not Montgomery) form.
//!
//! Wires map one to one onto arkworks' variables: wire 0 is the constant 1, wires
//! `1..=n_public` the public inputs in circuit order (snarkjs' "public inputs"; the circuits
//! have no "outputs"), then the witness variables in allocation order. The constraints are the
//! matrices the Groth16 setup and prover use (linear combinations inlined), in their order.

use crate::{
    ceremony::encoding::binfile,
    error::{syn, ProveError},
};
use ark_bn254::Fr;
use ark_ff::{BigInteger, PrimeField};
use ark_relations::gr1cs::{
    ConstraintSynthesizer, ConstraintSystem, Matrix, OptimizationGoal, SynthesisMode, R1CS_PREDICATE_LABEL,
};

/// Bytes of a field element in both formats.
const N8: usize = 32;

/// A circuit's R1CS as Groth16 sees it: `A·z ∘ B·z = C·z` over the assignment
/// `z = (1, public inputs, witnesses)`.
#[derive(Debug, Clone)]
pub struct R1cs {
    /// The matrices `[A, B, C]`, one row per constraint, each row `(coefficient, variable)`.
    pub matrices: Vec<Matrix<Fr>>,
    /// Instance variables, the constant 1 included.
    pub num_instance: usize,
    /// Witness variables.
    pub num_witness: usize,
    /// Constraints.
    pub num_constraints: usize,
}

impl R1cs {
    /// Synthesizes a blank circuit in setup mode, optimized for constraints (as setup does).
    pub fn synthesize<C: ConstraintSynthesizer<Fr>>(blank: C) -> Result<Self, ProveError> {
        let cs = ConstraintSystem::<Fr>::new_ref();
        cs.set_optimization_goal(OptimizationGoal::Constraints);
        cs.set_mode(SynthesisMode::Setup);
        blank.generate_constraints(cs.clone()).map_err(syn)?;
        cs.finalize();
        let mut all = cs.to_matrices().map_err(syn)?;
        let matrices =
            all.remove(R1CS_PREDICATE_LABEL).ok_or_else(|| ProveError::Synthesis("no R1CS matrices".into()))?;
        if matrices.len() != 3 {
            return Err(ProveError::Synthesis(format!("{} R1CS matrices, expected A, B, C", matrices.len())));
        }
        Ok(R1cs {
            matrices,
            num_instance: cs.num_instance_variables(),
            num_witness: cs.num_witness_variables(),
            num_constraints: cs.num_constraints(),
        })
    }

    /// Wires: every variable, the constant 1 included.
    pub fn num_wires(&self) -> usize {
        self.num_instance + self.num_witness
    }

    /// The `.r1cs` file (version 1): header, constraints and the wire-to-label map (the
    /// identity: healthzk has no circom symbol file, so labels are wire numbers).
    pub fn to_r1cs_bytes(&self) -> Result<Vec<u8>, ProveError> {
        let mut header = Vec::with_capacity(4 + N8 + 28);
        header.extend_from_slice(&(N8 as u32).to_le_bytes());
        header.extend_from_slice(&Fr::MODULUS.to_bytes_le());
        header.extend_from_slice(&u32_of("wires", self.num_wires())?.to_le_bytes());
        header.extend_from_slice(&0u32.to_le_bytes()); // outputs
        header.extend_from_slice(&u32_of("public inputs", self.num_instance - 1)?.to_le_bytes());
        header.extend_from_slice(&0u32.to_le_bytes()); // private inputs: none declared
        header.extend_from_slice(&(self.num_wires() as u64).to_le_bytes()); // labels
        header.extend_from_slice(&u32_of("constraints", self.num_constraints)?.to_le_bytes());

        let terms: usize = self.matrices.iter().flatten().map(Vec::len).sum();
        let mut constraints = Vec::with_capacity(self.num_constraints * 12 + terms * (4 + N8));
        for i in 0..self.num_constraints {
            for m in &self.matrices {
                let row = m.get(i).map(Vec::as_slice).unwrap_or_default();
                constraints.extend_from_slice(&u32_of("terms in a row", row.len())?.to_le_bytes());
                for (coeff, var) in row {
                    constraints.extend_from_slice(&u32_of("a wire index", *var)?.to_le_bytes());
                    constraints.extend_from_slice(&fr_le(coeff));
                }
            }
        }

        let labels: Vec<u8> = (0..self.num_wires() as u64).flat_map(u64::to_le_bytes).collect();
        Ok(binfile(b"r1cs", 1, &[(1, &header), (2, &constraints), (3, &labels)]))
    }
}

/// The `.wtns` file (version 2) of a full assignment `z = (1, public inputs, witnesses)`.
pub fn wtns_bytes(z: &[Fr]) -> Result<Vec<u8>, ProveError> {
    let mut header = Vec::with_capacity(4 + N8 + 4);
    header.extend_from_slice(&(N8 as u32).to_le_bytes());
    header.extend_from_slice(&Fr::MODULUS.to_bytes_le());
    header.extend_from_slice(&u32_of("witness values", z.len())?.to_le_bytes());
    let values: Vec<u8> = z.iter().flat_map(fr_le).collect();
    Ok(binfile(b"wtns", 2, &[(1, &header), (2, &values)]))
}

fn fr_le(x: &Fr) -> [u8; N8] {
    let mut out = [0u8; N8];
    out.copy_from_slice(&x.into_bigint().to_bytes_le());
    out
}

fn u32_of(what: &str, n: usize) -> Result<u32, ProveError> {
    u32::try_from(n).map_err(|_| ProveError::Synthesis(format!("{n} {what}: more than the format's u32")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_relations::{
        gr1cs::{ConstraintSystemRef, SynthesisError, Variable},
        lc,
    };

    /// `x` public, `y` private: `x·y = 6` and `(y + y)·1 = 4` (x = 3, y = 2), written as raw
    /// constraints so that the matrices are known exactly.
    #[derive(Clone)]
    struct Tiny(Option<(Fr, Fr)>);

    impl ConstraintSynthesizer<Fr> for Tiny {
        fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
            let x = cs.new_input_variable(|| self.0.map(|v| v.0).ok_or(SynthesisError::AssignmentMissing))?;
            let y = cs.new_witness_variable(|| self.0.map(|v| v.1).ok_or(SynthesisError::AssignmentMissing))?;
            cs.enforce_r1cs_constraint(|| lc![x], || lc![y], || lc![(Fr::from(6u64), Variable::One)])?;
            cs.enforce_r1cs_constraint(
                || lc![(Fr::from(2u64), y)],
                || lc![Variable::One],
                || lc![(Fr::from(4u64), Variable::One)],
            )
        }
    }

    /// A reader of the sections, to check the writer against the format byte by byte.
    fn sections(bytes: &[u8], magic: &[u8; 4]) -> (u32, Vec<(u32, Vec<u8>)>) {
        assert_eq!(&bytes[..4], magic);
        let version = u32::from_le_bytes(bytes[4..8].try_into().unwrap());
        let n = u32::from_le_bytes(bytes[8..12].try_into().unwrap());
        let (mut pos, mut out) = (12, vec![]);
        for _ in 0..n {
            let kind = u32::from_le_bytes(bytes[pos..pos + 4].try_into().unwrap());
            let len = u64::from_le_bytes(bytes[pos + 4..pos + 12].try_into().unwrap()) as usize;
            out.push((kind, bytes[pos + 12..pos + 12 + len].to_vec()));
            pos += 12 + len;
        }
        assert_eq!(pos, bytes.len(), "trailing bytes");
        (version, out)
    }

    fn u32_at(b: &[u8], at: usize) -> u32 {
        u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
    }

    /// The field element at `at`, which must be canonical (< r).
    fn fr_at(b: &[u8], at: usize) -> Fr {
        let limbs = std::array::from_fn(|k| u64::from_le_bytes(b[at + 8 * k..at + 8 * k + 8].try_into().unwrap()));
        Fr::from_bigint(ark_ff::BigInt::new(limbs)).expect("a canonical field element")
    }

    #[test]
    fn r1cs_file_holds_the_matrices_wire_for_wire() {
        let r = R1cs::synthesize(Tiny(None)).unwrap();
        assert_eq!((r.num_instance, r.num_witness, r.num_constraints), (2, 1, 2));
        let (version, s) = sections(&r.to_r1cs_bytes().unwrap(), b"r1cs");
        assert_eq!(version, 1);
        assert_eq!(s.iter().map(|(k, _)| *k).collect::<Vec<_>>(), [1, 2, 3]);
        let h = &s[0].1;
        assert_eq!(u32_at(h, 0), 32);
        assert_eq!(&h[4..36], Fr::MODULUS.to_bytes_le().as_slice());
        // wires, outputs, public inputs, private inputs, labels (u64), constraints
        assert_eq!([u32_at(h, 36), u32_at(h, 40), u32_at(h, 44), u32_at(h, 48)], [3, 0, 1, 0]);
        assert_eq!(u64::from_le_bytes(h[52..60].try_into().unwrap()), 3);
        assert_eq!(u32_at(h, 60), 2);
        // Decode the constraints back and compare with the matrices.
        let c = &s[1].1;
        let mut pos = 0;
        for i in 0..2 {
            for m in &r.matrices {
                let n = u32_at(c, pos) as usize;
                pos += 4;
                let row: Vec<(Fr, usize)> =
                    (0..n).map(|k| (fr_at(c, pos + k * 36 + 4), u32_at(c, pos + k * 36) as usize)).collect();
                pos += n * 36;
                assert_eq!(row, m[i]);
            }
        }
        assert_eq!(pos, c.len());
        // x·y = 6: A = x (wire 1), B = y (wire 2), C = 6·one (wire 0); then 2y · 1 = 4.
        let one = Fr::from(1u64);
        assert_eq!(r.matrices[0], vec![vec![(one, 1)], vec![(Fr::from(2u64), 2)]]);
        assert_eq!(r.matrices[1], vec![vec![(one, 2)], vec![(one, 0)]]);
        assert_eq!(r.matrices[2], vec![vec![(Fr::from(6u64), 0)], vec![(Fr::from(4u64), 0)]]);
        assert_eq!(s[2].1, [0u64, 1, 2].iter().flat_map(|v| v.to_le_bytes()).collect::<Vec<_>>());
    }

    #[test]
    fn wtns_file_holds_the_assignment_in_standard_form() {
        let z = [Fr::from(1u64), Fr::from(3u64), -Fr::from(2u64)];
        let (version, s) = sections(&wtns_bytes(&z).unwrap(), b"wtns");
        assert_eq!(version, 2);
        let (h, v) = (&s[0].1, &s[1].1);
        assert_eq!((u32_at(h, 0), u32_at(h, 36)), (32, 3));
        assert_eq!(&h[4..36], Fr::MODULUS.to_bytes_le().as_slice());
        assert_eq!(v.len(), 3 * 32);
        assert_eq!(&v[32..64], &{
            let mut b = [0u8; 32];
            b[0] = 3;
            b
        });
        // r − 2, not its Montgomery form.
        let mut minus_two = Fr::MODULUS;
        minus_two.sub_with_borrow(&ark_ff::BigInt::from(2u64));
        assert_eq!(&v[64..96], minus_two.to_bytes_le().as_slice());
    }
}
