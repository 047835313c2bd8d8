//! The prover end to end, in one test binary: setup, key files, proving and verifying both
//! statements, and the proof-system bug classes.

mod prove;
mod score;
