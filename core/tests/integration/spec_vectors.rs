//! Golden vectors for every encoding in SPEC.md, pinned in `tests/vectors/spec-vectors.json`.
//! `tests/js/recompute.mjs` recomputes each one from its inputs with circomlibjs alone (run by
//! the workspace test `tests/circomlibjs.rs`). Regenerate after a deliberate format change
//! with `UPDATE_VECTORS=1 cargo test -p healthzk-core --test spec_vectors`.

use healthzk_core::{
    credential::{credential_tag, CredentialRequest},
    day::Day,
    field::{from_short_str, to_hex},
    holder::HolderSecret,
    merkle::MerkleTree,
    policy::{interval_leaf, policy_tag, set_leaf_tag, CompiledPolicy, IntervalSet},
    poseidon, presets,
    revocation::{gap_leaf, revocation_tag, RevocationList, REVOCATION_DEPTH},
    Fr,
};
use serde_json::{json, Value};

fn h(x: &Fr) -> Value {
    json!(to_hex(x))
}

fn hs(xs: &[Fr]) -> Value {
    json!(xs.iter().map(to_hex).collect::<Vec<_>>())
}

fn policy_vectors(c: &CompiledPolicy) -> Value {
    let clauses: Vec<Value> = c
        .compare
        .iter()
        .map(|cl| {
            json!({
                "kind": cl.kind as u64, "a": cl.a, "b": cl.b,
                "lo": {"constant": cl.lo.constant.to_string(), "as_of": cl.lo.as_of, "slot": cl.lo.slot},
                "hi": {"constant": cl.hi.constant.to_string(), "as_of": cl.hi.as_of, "slot": cl.hi.slot},
            })
        })
        .collect();
    let sets: Vec<Value> = c
        .sets
        .iter()
        .map(|s| match s {
            None => Value::Null,
            Some(s) => json!({
                "a": s.a,
                "intervals": s.set.intervals().iter().map(|(l, h)| [l.to_string(), h.to_string()]).collect::<Vec<_>>(),
                "root": h(&s.set.root()),
            }),
        })
        .collect();
    json!({"schema": c.schema, "compare": clauses, "sets": sets, "elements": hs(&c.elements()), "hash": h(&c.hash())})
}

/// A committed sample model, its hashed elements and its hash.
fn model_vectors(text: &str) -> Value {
    let m = healthzk_core::model::Model::from_json(text).unwrap();
    json!({
        "model": serde_json::from_str::<Value>(text).unwrap(),
        "schema_id": m.schema_id().unwrap(),
        "elements": hs(&m.elements().unwrap()),
        "hash": h(&m.hash().unwrap()),
    })
}

fn vectors() -> Value {
    let poseidon_cases: Vec<Value> = [vec![1u64], vec![1, 2], vec![0, 0], (1..=12).collect::<Vec<u64>>()]
        .iter()
        .map(|xs| {
            let f: Vec<Fr> = xs.iter().map(|&x| Fr::from(x)).collect();
            json!({"inputs": hs(&f), "output": h(&poseidon::hash(&f))})
        })
        .collect();

    let secret = HolderSecret::from_fr(Fr::from(0x1234_5678_9abc_def0u64));
    let scope = from_short_str("scope", "border:FR-CDG").unwrap();

    let req: CredentialRequest = serde_json::from_value(json!({
        "schema": "vaccination/v1",
        "attributes": {
            "disease": 840539006u64, "vaccine": 1119349007u64, "product": "EU/1/20/1528",
            "manufacturer": "ORG-100030215", "dose_number": 2, "series_doses": 2,
            "date": "2026-09-01", "country": "FR"
        },
        "issued": "2026-09-01",
        "expires": "2027-09-01"
    }))
    .unwrap();
    struct Fixed;
    impl rand::RngCore for Fixed {
        fn next_u32(&mut self) -> u32 {
            7
        }
        fn next_u64(&mut self) -> u64 {
            7
        }
        fn fill_bytes(&mut self, d: &mut [u8]) {
            d.iter_mut().enumerate().for_each(|(i, b)| *b = i as u8 + 1);
        }
        fn try_fill_bytes(&mut self, d: &mut [u8]) -> Result<(), rand::Error> {
            self.fill_bytes(d);
            Ok(())
        }
    }
    impl rand::CryptoRng for Fixed {}
    let cred = req.into_credential(secret.commitment(), Day(0), 5, &mut Fixed).unwrap();
    let [lo, hi] = cred.slot_hashes();

    // Seven leaves at depth 4 (two quaternary levels); leaf 6 sits at position 2 of its group
    // and its group at position 1, so the path exercises both orderings.
    let mut leaves = vec![Fr::from(11u64), Fr::from(12u64), Fr::from(13u64), Fr::from(14u64)];
    leaves.extend([Fr::from(15u64), Fr::from(16u64), cred.commitment()]);
    let tree = MerkleTree::from_leaves(4, &leaves).unwrap();
    let path = tree.path(6).unwrap();

    let members = IntervalSet::members(&[1_201_528, 1_201_507, 1_211_529]).unwrap();
    let gaps = IntervalSet::non_members(&[3, 5, 10]).unwrap();
    let set_json = |s: &IntervalSet| {
        json!({
            "intervals": s.intervals().iter().map(|(l, h)| [l.to_string(), h.to_string()]).collect::<Vec<_>>(),
            "leaves": s.intervals().iter().map(|&(l, hh)| to_hex(&interval_leaf(l, hh))).collect::<Vec<_>>(),
            "root": h(&s.root()),
        })
    };

    // Revocation (§13): the empty list, and {0, 7, 2^64 − 1} with the opening of nonce 3.
    let revocation_json = |l: &RevocationList| {
        json!({
            "revoked": l.revoked().iter().map(|n| n.to_string()).collect::<Vec<_>>(),
            "gaps": l.gaps().iter().map(|(lo, hi)| [lo.to_string(), hi.to_string()]).collect::<Vec<_>>(),
            "leaves": l.gaps().iter().map(|&(lo, hi)| to_hex(&gap_leaf(lo, hi))).collect::<Vec<_>>(),
            "root": h(&l.root()),
        })
    };
    let empty = RevocationList::empty();
    let list = RevocationList::new(vec![7, u64::MAX, 0]).unwrap();
    let opening = list.opening(3).unwrap();

    json!({
        "format": "healthzk/spec-vectors/v1",
        "poseidon": poseidon_cases,
        "tags": {
            "credential": {"ascii": "healthzk/credential/v1", "value": h(&credential_tag())},
            "policy": {"ascii": "healthzk/policy/v1", "value": h(&policy_tag())},
            "set_interval": {"ascii": "healthzk/set-interval/v1", "value": h(&set_leaf_tag())},
            "revocation_gap": {"ascii": "healthzk/revocation-gap/v1", "value": h(&revocation_tag())},
        },
        "holder": {
            "secret": h(&secret.expose()),
            "commitment": h(&secret.commitment().0),
            "scope_text": "border:FR-CDG",
            "scope": h(&scope),
            "nullifier": h(&secret.nullifier(scope)),
        },
        "credential": {
            "schema": cred.schema, "holder": h(&cred.holder.0), "slots": hs(&cred.slots),
            "issued": cred.issued.0, "expires": cred.expires.0, "revocation_nonce": cred.revocation_nonce,
            "salt": h(&cred.salt), "slot_hash_lo": h(&lo), "slot_hash_hi": h(&hi), "commitment": h(&cred.commitment()),
        },
        "merkle": {"depth": 4, "leaves": hs(&leaves), "root": h(&tree.root()), "path_index": path.index, "path_siblings": hs(&path.siblings)},
        "sets": {"depth": 6, "members": set_json(&members), "non_members_of_3_5_10": set_json(&gaps)},
        "revocation": {
            "depth": REVOCATION_DEPTH,
            "empty": revocation_json(&empty),
            "list": revocation_json(&list),
            "opening": {
                "nonce": "3", "lo": opening.lo.to_string(), "hi": opening.hi.to_string(),
                "path_index": opening.path.index, "path_siblings": hs(&opening.path.siblings),
            },
        },
        "policies": {
            "covid19": policy_vectors(&presets::covid19_full().compile().unwrap()),
            "yellow_fever": policy_vectors(&presets::yellow_fever().compile().unwrap()),
        },
        "models": {
            "tag": {"ascii": "healthzk/model/v1", "value": h(&healthzk_core::model::model_tag())},
            "lr": model_vectors(include_str!("../../../models/diabetes-progression-lr.model.json")),
            "mlp": model_vectors(include_str!("../../../models/diabetes-progression-mlp.model.json")),
        },
    })
}

#[test]
fn spec_vectors_are_pinned() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/vectors/spec-vectors.json");
    let now = serde_json::to_string_pretty(&vectors()).unwrap() + "\n";
    if std::env::var_os("UPDATE_VECTORS").is_some() {
        std::fs::write(path, &now).unwrap();
    }
    let pinned = std::fs::read_to_string(path).expect("tests/vectors/spec-vectors.json (UPDATE_VECTORS=1 writes it)");
    assert_eq!(pinned, now, "an encoding changed: update SPEC.md and regenerate with UPDATE_VECTORS=1");
}
