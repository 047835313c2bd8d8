//! Fault injection, for tests: named points in the service where a test makes the next calls
//! fail, hang (until the fault is cleared) or panic. The hooks exist only with the
//! `fault-injection` feature; without it [`Faults`] is an empty type and every check compiles
//! to nothing. A release build of `healthzk` has no way to arm one.
//!
//! Each point sits where a real failure happens: after a commit and before the memory that
//! mirrors it learns of it (a dropped request), around a chain transaction (a chain that
//! times out or reverts), around a store write, inside a proof job (a prover bug).

/// The failure an armed [`Fault::Fail`] injects.
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("injected fault at {0:?}")]
pub struct Injected(pub Point);

/// Where a fault can be injected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Point {
    /// After a credential's leaf is committed, before the issuer's tree in memory has it. Arm
    /// it with [`Fault::Hang`] (a request dropped here); a failure at this point would be a bug
    /// between two lines of code, which the service does not model.
    LeafCommitted,
    /// The chain transaction anchoring an issuer root.
    ChainAnchorRoot,
    /// The chain transaction anchoring a revocation root.
    ChainAnchorRevocationRoot,
    /// Recording an anchor in the store, after its chain transaction.
    StoreAnchor,
    /// Recording new proof jobs.
    StoreJob,
    /// A proof job on the prover pool.
    ProverJob,
    /// After a presentation's proof checked, before its challenge is consumed.
    BeforeSettle,
    /// After a verdict is committed, before it is answered.
    VerdictCommitted,
}

/// What happens at an armed point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The call fails (an I/O error, a reverted transaction).
    Fail,
    /// The call waits until the fault is cleared (a stalled disk or node; a client that
    /// goes away meanwhile drops the request).
    Hang,
    /// The call panics (a bug).
    Panic,
}

#[cfg(feature = "fault-injection")]
mod armed {
    use crate::faults::{Fault, Point};
    use std::{
        collections::HashMap,
        sync::{Arc, Mutex},
    };

    /// The armed points of one service, shared with the test that arms them.
    #[derive(Debug, Clone, Default)]
    pub struct Faults {
        inner: Arc<Mutex<HashMap<Point, Fault>>>,
        hits: Arc<Mutex<HashMap<Point, u64>>>,
    }

    impl Faults {
        /// Arms `point` with `fault` until [`Faults::clear`].
        pub fn arm(&self, point: Point, fault: Fault) {
            self.inner.lock().unwrap().insert(point, fault);
        }

        /// Disarms `point` (a hanging call resumes and succeeds).
        pub fn clear(&self, point: Point) {
            self.inner.lock().unwrap().remove(&point);
        }

        /// How many times an armed `point` was reached.
        pub fn hits(&self, point: Point) -> u64 {
            self.hits.lock().unwrap().get(&point).copied().unwrap_or(0)
        }

        pub(crate) fn get(&self, point: Point) -> Option<Fault> {
            let f = self.inner.lock().unwrap().get(&point).copied();
            if f.is_some() {
                *self.hits.lock().unwrap().entry(point).or_default() += 1;
            }
            f
        }

        pub(crate) fn armed(&self, point: Point) -> bool {
            self.inner.lock().unwrap().contains_key(&point)
        }
    }
}

#[cfg(feature = "fault-injection")]
pub use armed::Faults;

/// No fault can be armed in this build.
#[cfg(not(feature = "fault-injection"))]
#[derive(Debug, Clone, Default)]
pub struct Faults {
    _none: (),
}

impl Faults {
    /// What an armed `point` does now: `Err` to fail, a panic, or `Ok(true)` to hang while it
    /// stays armed.
    #[cfg(feature = "fault-injection")]
    fn trip(&self, point: Point) -> Result<bool, Injected> {
        match self.get(point) {
            None => Ok(false),
            Some(Fault::Fail) => Err(Injected(point)),
            Some(Fault::Panic) => panic!("injected panic at {point:?}"),
            Some(Fault::Hang) => Ok(true),
        }
    }

    /// Checks `point` on the async side: `Err` if armed to fail, waits while armed to hang.
    #[inline]
    pub(crate) async fn check(&self, point: Point) -> Result<(), Injected> {
        #[cfg(feature = "fault-injection")]
        if self.trip(point)? {
            while self.armed(point) {
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            }
        }
        let _ = point;
        Ok(())
    }

    /// Checks `point` on a blocking thread (chain calls, proof jobs).
    #[inline]
    pub(crate) fn check_blocking(&self, point: Point) -> Result<(), Injected> {
        #[cfg(feature = "fault-injection")]
        if self.trip(point)? {
            while self.armed(point) {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
        }
        let _ = point;
        Ok(())
    }
}
