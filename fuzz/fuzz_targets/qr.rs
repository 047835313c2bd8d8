//! Compact presentations (`HZ2:` + base45): prefix, alphabet, group widths, length, statement
//! byte, canonical field elements. Must never panic; whatever decodes must re-encode to the
//! same string.
#![no_main]
use healthzk_core::{compact, Fr};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let ctx =
        compact::VerifierContext { policy_hash: Fr::from(1u64), challenge: Fr::from(2u64), scope: Fr::from(3u64) };
    if let Ok(p) = compact::decode(text, &ctx) {
        let again = compact::encode(&p).expect("a decoded presentation encodes");
        // decode trims surrounding whitespace (a scanner may add a newline); nothing else.
        assert_eq!(again, text.trim(), "decode and encode are inverse");
    }
});
