//! Every committed fuzz seed (`fuzz/seeds/<target>/`) and every regression input
//! (`fuzz/regressions/<target>/`: inputs that once crashed a target, kept after the fix) is
//! replayed through its target's body, so `cargo test` checks what fuzzing found without
//! building libFuzzer. Nothing skips silently: a target without seeds, a seed folder without a
//! target, or a target without its libFuzzer wrapper fails the test.

use healthzk_fuzz::TARGETS;
use std::{
    collections::BTreeSet,
    panic::{catch_unwind, AssertUnwindSafe},
    path::{Path, PathBuf},
};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The files of `dir`, sorted; an absent folder has none.
fn files(dir: &Path) -> Vec<PathBuf> {
    let Ok(rd) = std::fs::read_dir(dir) else { return vec![] };
    let mut v: Vec<PathBuf> = rd.map(|e| e.expect("readable folder").path()).filter(|p| p.is_file()).collect();
    v.sort();
    v
}

/// The sub-folders of `dir`, by name.
fn folders(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("readable folder").path())
        .filter(|p| p.is_dir())
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn every_seed_and_regression_input_replays_through_its_target() {
    let mut replayed = 0;
    let mut failures = Vec::new();
    for (name, body) in TARGETS {
        let seeds = files(&root().join("seeds").join(name));
        assert!(!seeds.is_empty(), "fuzz/seeds/{name}/ is empty or missing: every target needs seeds");
        let inputs = seeds.into_iter().chain(files(&root().join("regressions").join(name)));
        for path in inputs {
            let data = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            if catch_unwind(AssertUnwindSafe(|| body(&data))).is_err() {
                failures.push(path.display().to_string());
            }
            replayed += 1;
        }
    }
    assert!(failures.is_empty(), "these inputs crash their fuzz target: {failures:?}");
    eprintln!("replayed {replayed} inputs through {} targets", TARGETS.len());
}

/// The list of targets, the seed folders, the regression folders and the libFuzzer wrappers
/// name the same targets.
#[test]
fn targets_seeds_and_wrappers_agree() {
    let targets: BTreeSet<String> = TARGETS.iter().map(|(n, _)| n.to_string()).collect();
    assert_eq!(targets.len(), TARGETS.len(), "a target is listed twice");
    assert_eq!(folders(&root().join("seeds")), targets, "fuzz/seeds/ folders against healthzk_fuzz::TARGETS");
    let regressions = folders(&root().join("regressions"));
    assert!(regressions.is_subset(&targets), "fuzz/regressions/ has a folder of no target: {regressions:?}");
    let wrappers: BTreeSet<String> = files(&root().join("fuzz_targets"))
        .iter()
        .filter_map(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .collect();
    assert_eq!(wrappers, targets, "fuzz/fuzz_targets/*.rs against healthzk_fuzz::TARGETS");
    let manifest = std::fs::read_to_string(root().join("Cargo.toml")).unwrap();
    for t in &targets {
        assert!(manifest.contains(&format!("name = \"{t}\"\npath = \"fuzz_targets/{t}.rs\"")), "no [[bin]] for {t}");
    }
}
