//! Export to snarkjs's Groth16 JSON (`verification_key.json`, `proof.json`, `public.json`), so
//! `snarkjs groth16 verify` — and the circom ecosystem behind it — can check healthzk proofs.
//! Same curve (snarkjs calls BN254 `bn128`) and the same verification equation; only the
//! encoding differs: decimal strings, points in projective form `[x, y, "1"]`, and `Fq2`
//! elements as `[c0, c1]`.

use ark_bn254::{Bn254, Fq, Fq2, Fr, G1Affine, G2Affine};
use ark_groth16::{Proof, VerifyingKey};
use serde_json::{json, Value};

fn fq(x: &Fq) -> Value {
    Value::String(x.to_string())
}

fn fq2(x: &Fq2) -> Value {
    json!([fq(&x.c0), fq(&x.c1)])
}

fn g1(p: &G1Affine) -> Value {
    json!([fq(&p.x), fq(&p.y), "1"])
}

fn g2(p: &G2Affine) -> Value {
    json!([fq2(&p.x), fq2(&p.y), ["1", "0"]])
}

/// `verification_key.json`.
pub fn verification_key(vk: &VerifyingKey<Bn254>) -> Value {
    json!({
        "protocol": "groth16",
        "curve": "bn128",
        "nPublic": vk.gamma_abc_g1.len() - 1,
        "vk_alpha_1": g1(&vk.alpha_g1),
        "vk_beta_2": g2(&vk.beta_g2),
        "vk_gamma_2": g2(&vk.gamma_g2),
        "vk_delta_2": g2(&vk.delta_g2),
        "IC": vk.gamma_abc_g1.iter().map(g1).collect::<Vec<_>>(),
    })
}

/// `proof.json`.
pub fn proof(p: &Proof<Bn254>) -> Value {
    json!({"pi_a": g1(&p.a), "pi_b": g2(&p.b), "pi_c": g1(&p.c), "protocol": "groth16", "curve": "bn128"})
}

/// `public.json`: the public inputs in circuit order, as decimal strings.
pub fn public(inputs: &[Fr]) -> Value {
    Value::Array(inputs.iter().map(|x| Value::String(x.to_string())).collect())
}
