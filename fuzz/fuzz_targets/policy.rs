//! Policy JSON: parse, compile (every clause checked against its schema) and hash. Must never
//! panic; a compiled policy always hashes.
#![no_main]
use healthzk_core::policy::Policy;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(p) = Policy::from_json(text) {
        if let Ok(c) = p.compile() {
            let _ = c.hash();
        }
    }
});
