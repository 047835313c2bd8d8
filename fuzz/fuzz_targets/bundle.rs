//! Offline trust bundles: envelope JSON, pin check (SHA-256 of the payload, and EIP-191 signer
//! recovery), payload JSON and its validation. Must never panic; a bundle opened under a
//! hash pin of its own payload reopens identically once sealed again.
#![no_main]
use healthzk_anchor::bundle::{payload_sha256, BundleFile, Pin};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(file) = serde_json::from_slice::<BundleFile>(data) else {
        let _ = BundleFile::open(data, &Pin::Sha256([0; 32]));
        return;
    };
    // The signer pin exercises signature decoding and recovery whatever it concludes.
    let _ = BundleFile::open(data, &Pin::Signer(Default::default()));
    let pin = Pin::Sha256(payload_sha256(&file.payload));
    if let Ok(bundle) = BundleFile::open(data, &pin) {
        let _ = bundle.check_current(0);
        let again = bundle.seal(None).expect("a valid bundle seals");
        let bytes = serde_json::to_vec(&again).expect("serializes");
        let reopened = BundleFile::open(&bytes, &Pin::Sha256(payload_sha256(&again.payload))).expect("reopens");
        assert_eq!(reopened, bundle, "seal and open are inverse");
    }
});
