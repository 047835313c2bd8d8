//! FHIR R4 input of the service (`POST /v1/issuers/{id}/credentials`): any JSON mapped to a
//! credential request, and a mapped request built into a credential. Must never panic.
#![no_main]
use healthzk_core::{day::Day, fhir, holder::HolderCommitment, Fr};
use libfuzzer_sys::fuzz_target;
use rand::SeedableRng;

fuzz_target!(|data: &[u8]| {
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(data) else { return };
    if let Ok(req) = fhir::to_request(&v, Some("DE")) {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(1);
        let _ = req.into_credential(HolderCommitment(Fr::from(1u64)), Day(20_000), 0, &mut rng);
    }
});
