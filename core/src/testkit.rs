//! Scenario builders for tests and benches (feature `testkit`): a valid credential-query
//! statement from a few parameters, and [`Break`], which changes exactly one relation.

use crate::{
    credential::{Credential, CredentialRequest},
    day::Day,
    field,
    holder::HolderSecret,
    merkle::MerkleTree,
    policy::Policy,
    presets,
    query::{QueryWitness, Unsatisfied},
    revocation::{RevocationList, RevocationOpening},
    statement::PublicInputs,
    vocab, Fr,
};
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;
use serde_json::json;

/// Parameters of a COVID-19 vaccination scenario (valid for [`presets::covid19_full`] when
/// `dose_number ≥ series_doses ≥ 1`, `14 ≤ days_before ≤ 270`, product approved).
#[derive(Debug, Clone)]
pub struct Spec {
    /// Dose number.
    pub dose_number: u64,
    /// Doses in the series.
    pub series_doses: u64,
    /// Days between the dose and `as_of`.
    pub days_before: u32,
    /// Index into [`presets::COVID19_APPROVED`].
    pub product: usize,
    /// The statement's day.
    pub as_of: Day,
    /// Leaves appended before the holder's credential.
    pub before: usize,
    /// Leaves appended after it.
    pub after: usize,
    /// Seed for secret, salt and filler leaves.
    pub seed: u64,
}

impl Default for Spec {
    fn default() -> Self {
        Spec {
            dose_number: 2,
            series_doses: 2,
            days_before: 60,
            product: 0,
            as_of: Day(20_000),
            before: 3,
            after: 2,
            seed: 7,
        }
    }
}

/// A statement with its tree and policy.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// Public inputs.
    pub public: PublicInputs,
    /// Witness.
    pub witness: QueryWitness,
    /// The policy the verifier uses.
    pub policy: Policy,
    /// The issuer's tree.
    pub tree: MerkleTree,
    /// The issuer's revocation list (other credentials revoked; this one too under
    /// [`Break::Revoked`]).
    pub revocations: RevocationList,
}

/// One relation to break.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Break {
    /// Credential of another schema.
    Schema,
    /// Prover uses another holder's secret.
    Holder,
    /// Public root of another tree.
    IssuerRoot,
    /// The credential is revoked (the prover opens the gap just below its nonce).
    Revoked,
    /// Public revocation root of another list.
    RevocationRoot,
    /// Public nullifier not derived from the secret.
    Nullifier,
    /// Public policy hash of another policy.
    PolicyHash,
    /// Credential expired the day before `as_of`.
    Expired,
    /// Disease is not COVID-19 (comparison clause 0).
    Disease,
    /// Series incomplete: dose number below series doses (comparison clause 1).
    SeriesIncomplete,
    /// Last dose under 14 days before `as_of` (comparison clause 3).
    TooRecent,
    /// Last dose over 270 days before `as_of` (comparison clause 3).
    TooOld,
    /// Product not approved (set clause 0).
    Product,
}

impl Break {
    /// Every relation.
    pub const ALL: [Break; 13] = [
        Break::Schema,
        Break::Holder,
        Break::IssuerRoot,
        Break::Revoked,
        Break::RevocationRoot,
        Break::Nullifier,
        Break::PolicyHash,
        Break::Expired,
        Break::Disease,
        Break::SeriesIncomplete,
        Break::TooRecent,
        Break::TooOld,
        Break::Product,
    ];

    /// What the native checker must report.
    pub fn expected(self) -> Unsatisfied {
        match self {
            Break::Schema => Unsatisfied::Schema,
            Break::Holder => Unsatisfied::Holder,
            Break::IssuerRoot => Unsatisfied::IssuerRoot,
            Break::Revoked => Unsatisfied::Revoked,
            Break::RevocationRoot => Unsatisfied::RevocationRoot,
            Break::Nullifier => Unsatisfied::Nullifier,
            Break::PolicyHash => Unsatisfied::PolicyHash,
            Break::Expired => Unsatisfied::Expired,
            Break::Disease => Unsatisfied::Compare(0),
            Break::SeriesIncomplete => Unsatisfied::Compare(1),
            Break::TooRecent | Break::TooOld => Unsatisfied::Compare(3),
            Break::Product => Unsatisfied::Set(0),
        }
    }
}

fn request(spec: &Spec, disease: u64, product: &str) -> CredentialRequest {
    let date = Day(spec.as_of.0 - spec.days_before);
    serde_json::from_value(json!({
        "schema": "vaccination/v1",
        "attributes": {
            "disease": disease,
            "vaccine": 1_119_349_007u64,
            "product": product,
            "manufacturer": "ORG-100030215",
            "dose_number": spec.dose_number,
            "series_doses": spec.series_doses,
            "date": date.to_string(),
            "country": "FR",
        },
        "issued": date.to_string(),
    }))
    .expect("valid request")
}

/// Builds the scenario for `spec` with relation `brk` broken (or none), at tree `depth`.
pub fn scenario(spec: &Spec, brk: Option<Break>, depth: usize) -> Scenario {
    let mut rng = ChaCha20Rng::seed_from_u64(spec.seed);
    let secret = HolderSecret::random(&mut rng);
    let policy = presets::covid19_full();
    let mut s = spec.clone();
    let mut disease = vocab::SNOMED_COVID19;
    let mut product = presets::COVID19_APPROVED[spec.product % presets::COVID19_APPROVED.len()];
    match brk {
        Some(Break::Disease) => disease = vocab::SNOMED_YELLOW_FEVER,
        Some(Break::SeriesIncomplete) => s.dose_number = s.series_doses - 1,
        Some(Break::TooRecent) => s.days_before = 13,
        Some(Break::TooOld) => s.days_before = 271,
        Some(Break::Product) => product = "Covishield",
        _ => {}
    }
    let req = request(&s, disease, product);
    // The issuer's convention: the revocation nonce is the leaf index.
    let nonce = s.before as u64;
    let mut cred: Credential = req.into_credential(secret.commitment(), s.as_of, nonce, &mut rng).expect("credential");
    match brk {
        Some(Break::Schema) => cred.schema = 2,
        Some(Break::Expired) => cred.expires = s.as_of.plus(-1),
        _ => {}
    }
    let filler = |rng: &mut ChaCha20Rng| {
        let mut b = [0u8; 32];
        rng.fill_bytes(&mut b[1..]);
        field::from_be_bytes(&b).expect("< 2^248")
    };
    let mut tree = MerkleTree::new(depth).expect("depth");
    for _ in 0..s.before {
        tree.append(filler(&mut rng)).expect("room");
    }
    let index = tree.append(cred.commitment()).expect("room");
    for _ in 0..s.after {
        tree.append(filler(&mut rng)).expect("room");
    }
    // Two other credentials revoked: the one just before (if any) and the one just after.
    let mut revoked: Vec<u64> = nonce.checked_sub(1).into_iter().chain([nonce + 1]).collect();
    if brk == Some(Break::Revoked) {
        revoked.push(nonce);
    }
    let revocations = RevocationList::new(revoked).expect("fits");
    let opening = opening_or_neighbour(&revocations, nonce);
    let compiled = policy.compile().expect("preset compiles");
    let scope = field::from_short_str("scope", "border:test").expect("short");
    let mut public = PublicInputs {
        issuer_root: tree.root(),
        policy_hash: compiled.hash(),
        as_of: s.as_of,
        challenge: filler(&mut rng),
        scope,
        nullifier: secret.nullifier(scope),
        revocation_root: revocations.root(),
    };
    let mut witness = QueryWitness {
        credential: cred,
        secret: secret.clone(),
        path: tree.path(index).expect("leaf"),
        revocation: opening,
        policy: compiled,
    };
    match brk {
        Some(Break::Holder) => {
            let other = HolderSecret::random(&mut rng);
            public.nullifier = other.nullifier(scope);
            witness.secret = other;
        }
        Some(Break::IssuerRoot) => public.issuer_root += Fr::from(1u64),
        Some(Break::RevocationRoot) => public.revocation_root = RevocationList::empty().root(),
        Some(Break::Nullifier) => public.nullifier = secret.nullifier(scope + Fr::from(1u64)),
        Some(Break::PolicyHash) => public.policy_hash = presets::yellow_fever().hash().expect("preset"),
        _ => {}
    }
    Scenario { public, witness, policy, tree, revocations }
}

/// The opening of `nonce` in `list`; for a revoked nonce, the best a cheating prover can open:
/// the gap just below it (or the first gap).
fn opening_or_neighbour(list: &RevocationList, nonce: u64) -> RevocationOpening {
    list.opening(nonce).unwrap_or_else(|| {
        let below = list.gaps().iter().rposition(|&(_, hi)| hi < nonce).unwrap_or(0);
        let (lo, hi) = list.gaps()[below];
        RevocationOpening { lo, hi, path: list.opening(lo).expect("a gap's start is not revoked").path }
    })
}

/// Score-threshold scenarios: a lab-panel credential with given slot values under a small
/// issuer tree, for a given model.
pub mod score {
    use super::*;
    use crate::{
        credential::LAB_PANEL,
        model::{Direction, Model},
        score::ScoreWitness,
        SLOTS,
    };

    /// A logistic-regression model over `lab_panel/v1` with no input shifts.
    pub fn logistic(weights: Vec<i64>, bias: i128, threshold: i128, direction: Direction) -> Model {
        Model {
            format: crate::model::MODEL_FORMAT.into(),
            name: "test".into(),
            schema: LAB_PANEL.name.into(),
            input_shifts: vec![0; SLOTS],
            hidden: None,
            output: crate::model::Output { weights, bias },
            threshold,
            direction,
            frac_bits: 0,
        }
    }

    /// An MLP over `lab_panel/v1` with no input shifts: hidden rows and biases, rescale shift,
    /// output weights and bias.
    #[allow(clippy::too_many_arguments)]
    pub fn mlp(
        rows: Vec<Vec<i64>>,
        hidden_bias: Vec<i128>,
        shift: u32,
        out: Vec<i64>,
        bias: i128,
        threshold: i128,
        direction: Direction,
    ) -> Model {
        Model {
            hidden: Some(crate::model::Hidden { weights: rows, bias: hidden_bias, shift }),
            ..logistic(out, bias, threshold, direction)
        }
    }

    /// A committed sample model: `lr` or `mlp` (`models/diabetes-progression-*.model.json`).
    pub fn sample_model(which: &str) -> Model {
        let text = match which {
            "lr" => include_str!("../../models/diabetes-progression-lr.model.json"),
            "mlp" => include_str!("../../models/diabetes-progression-mlp.model.json"),
            other => panic!("no sample model {other:?}"),
        };
        Model::from_json(text).expect("committed model parses")
    }

    /// A held-out patient of the sample data, with scikit-learn's logits.
    #[derive(Debug, Clone)]
    pub struct SamplePatient {
        /// `lab_panel/v1` slot values.
        pub slots: [u64; SLOTS],
        /// scikit-learn's logit for the logistic regression.
        pub lr_logit: f64,
        /// scikit-learn's logit for the MLP.
        pub mlp_logit: f64,
    }

    /// The 111 held-out patients (`models/diabetes-progression-cases.json`).
    pub fn sample_patients() -> Vec<SamplePatient> {
        let doc: serde_json::Value =
            serde_json::from_str(include_str!("../../models/diabetes-progression-cases.json")).expect("cases parse");
        doc["cases"]
            .as_array()
            .expect("cases")
            .iter()
            .map(|c| {
                let mut slots = [0u64; SLOTS];
                for (name, v) in c["slots"].as_object().expect("slots") {
                    slots[LAB_PANEL.slot(name).expect("lab slot").0] = v.as_u64().expect("integer");
                }
                SamplePatient {
                    slots,
                    lr_logit: c["lr_logit"].as_f64().expect("number"),
                    mlp_logit: c["mlp_logit"].as_f64().expect("number"),
                }
            })
            .collect()
    }

    /// One relation of the score statement to break.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum ScoreBreak {
        /// Credential of another schema.
        Schema,
        /// Prover uses another holder's secret.
        Holder,
        /// Public root of another tree.
        IssuerRoot,
        /// The credential (nonce 1) is revoked; the prover opens the gap below it.
        Revoked,
        /// Public revocation root of another list.
        RevocationRoot,
        /// Public nullifier not derived from the secret.
        Nullifier,
        /// Public model hash of another model.
        ModelHash,
        /// Credential expired the day before `as_of`.
        Expired,
        /// Slot 15 holds `2^32`, too wide for a model input.
        SlotTooWide,
        /// The registered model asserts the other side of the threshold.
        Threshold,
    }

    impl ScoreBreak {
        /// Every relation.
        pub const ALL: [ScoreBreak; 10] = [
            ScoreBreak::Schema,
            ScoreBreak::Holder,
            ScoreBreak::IssuerRoot,
            ScoreBreak::Revoked,
            ScoreBreak::RevocationRoot,
            ScoreBreak::Nullifier,
            ScoreBreak::ModelHash,
            ScoreBreak::Expired,
            ScoreBreak::SlotTooWide,
            ScoreBreak::Threshold,
        ];

        /// What the native checker must report.
        pub fn expected(self) -> Unsatisfied {
            match self {
                ScoreBreak::Schema => Unsatisfied::Schema,
                ScoreBreak::Holder => Unsatisfied::Holder,
                ScoreBreak::IssuerRoot => Unsatisfied::IssuerRoot,
                ScoreBreak::Revoked => Unsatisfied::Revoked,
                ScoreBreak::RevocationRoot => Unsatisfied::RevocationRoot,
                ScoreBreak::Nullifier => Unsatisfied::Nullifier,
                ScoreBreak::ModelHash => Unsatisfied::ModelHash,
                ScoreBreak::Expired => Unsatisfied::Expired,
                ScoreBreak::SlotTooWide => Unsatisfied::SlotTooWide(SLOTS - 1),
                ScoreBreak::Threshold => Unsatisfied::Threshold,
            }
        }
    }

    /// A lab-panel credential with `slots` for a fresh holder, in a tree of `depth`, and the
    /// statement for `model` (with `brk` broken). The model is used as given: the caller picks
    /// a threshold the slots satisfy for a valid scenario.
    pub fn scenario(
        model: &Model,
        slots: &[u64; SLOTS],
        brk: Option<ScoreBreak>,
        depth: usize,
        seed: u64,
    ) -> (PublicInputs, ScoreWitness) {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let secret = HolderSecret::random(&mut rng);
        let as_of = Day(20_000);
        let mut values = *slots;
        if brk == Some(ScoreBreak::SlotTooWide) {
            values[SLOTS - 1] = 1 << 32;
        }
        let mut b = [0u8; 32];
        rng.fill_bytes(&mut b[1..]);
        let cred = Credential {
            schema: if brk == Some(ScoreBreak::Schema) { 1 } else { LAB_PANEL.id },
            holder: secret.commitment(),
            slots: std::array::from_fn(|j| Fr::from(values[j])),
            issued: Day(19_990),
            expires: if brk == Some(ScoreBreak::Expired) { as_of.plus(-1) } else { as_of.plus(365) },
            revocation_nonce: 1,
            salt: field::from_be_bytes(&b).expect("< 2^248"),
        };
        // Leaf 2 is revoked (and leaf 1, this credential, under `Revoked`).
        let revoked = if brk == Some(ScoreBreak::Revoked) { vec![1, 2] } else { vec![2] };
        let revocations = RevocationList::new(revoked).expect("fits");
        let opening = super::opening_or_neighbour(&revocations, 1);
        let mut tree = MerkleTree::new(depth).expect("depth");
        tree.append(Fr::from(11u64)).expect("room");
        let index = tree.append(cred.commitment()).expect("room");
        tree.append(Fr::from(12u64)).expect("room");
        let mut model = model.clone();
        if brk == Some(ScoreBreak::Threshold) {
            model.direction = match model.direction {
                Direction::Below => Direction::Above,
                Direction::Above => Direction::Below,
            };
        }
        let scope = field::from_short_str("scope", "insurer:test").expect("short");
        rng.fill_bytes(&mut b[1..]);
        let mut public = PublicInputs {
            issuer_root: tree.root(),
            // Unchecked: tests build out-of-width models to show the circuit refuses them.
            policy_hash: model.hash_unchecked().expect("known schema"),
            as_of,
            challenge: field::from_be_bytes(&b).expect("< 2^248"),
            scope,
            nullifier: secret.nullifier(scope),
            revocation_root: revocations.root(),
        };
        let mut witness = ScoreWitness {
            credential: cred,
            secret: secret.clone(),
            path: tree.path(index).expect("leaf"),
            revocation: opening,
            model,
        };
        match brk {
            Some(ScoreBreak::Holder) => {
                let other = HolderSecret::random(&mut rng);
                public.nullifier = other.nullifier(scope);
                witness.secret = other;
            }
            Some(ScoreBreak::IssuerRoot) => public.issuer_root += Fr::from(1u64),
            Some(ScoreBreak::RevocationRoot) => public.revocation_root += Fr::from(1u64),
            Some(ScoreBreak::Nullifier) => public.nullifier = secret.nullifier(scope + Fr::from(1u64)),
            Some(ScoreBreak::ModelHash) => public.policy_hash += Fr::from(1u64),
            _ => {}
        }
        (public, witness)
    }
}
