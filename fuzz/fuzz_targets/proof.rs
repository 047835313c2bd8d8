//! Proof decoding: 128 compressed bytes with full point validation (on curve, G2 subgroup, not
//! the identity), from raw bytes and from the hex a presentation carries. Must never panic;
//! whatever decodes must re-encode to the same bytes.
#![no_main]
use healthzk_verifier::{decode_proof, decode_proof_bytes, encode_proof};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(bytes) = <&[u8; 128]>::try_from(data) {
        if let Ok(p) = decode_proof_bytes(bytes) {
            assert_eq!(&encode_proof(&p), bytes, "a decoded proof re-encodes to its bytes");
        }
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = decode_proof(text);
    }
});
