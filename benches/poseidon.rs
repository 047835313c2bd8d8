//! Native circomlib Poseidon (healthzk-core) for the arities healthzk uses, against
//! light-poseidon's hasher for the same input.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use healthzk_core::{poseidon, Fr};

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("poseidon_native");
    for n in [1usize, 2, 3, 8, 9, 12] {
        let xs: Vec<Fr> = (1..=n as u64).map(Fr::from).collect();
        g.bench_with_input(BenchmarkId::new("healthzk_core", n), &xs, |b, xs| b.iter(|| poseidon::hash(xs)));
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
