//! Verifying-key files (`*.vk`): magic, statement byte, depth, compressed key with every point
//! validated. Must never panic.
#![no_main]
use healthzk_prover::keys::{read_vk_for, STATEMENT_QUERY, STATEMENT_SCORE};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = read_vk_for(STATEMENT_QUERY, data);
    let _ = read_vk_for(STATEMENT_SCORE, data);
});
