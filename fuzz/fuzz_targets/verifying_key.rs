//! libFuzzer entry point of [`healthzk_fuzz::verifying_key`] (the body, which `cargo test` also
//! replays on every seed and regression input).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| healthzk_fuzz::verifying_key(data));
