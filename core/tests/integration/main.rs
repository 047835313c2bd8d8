//! healthzk-core's integration tests, in one test binary: the SPEC's golden vectors and the
//! sample models' import against scikit-learn.

mod model_import;
mod spec_vectors;
