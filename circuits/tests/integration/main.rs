//! The circuits against their native twins, in one test binary: each statement's relations
//! (`query`, `score`), witness mutation over every statement (`mutation`) and one test per
//! known bug class (`bug_classes`).

mod bug_classes;
mod common;
mod mutation;
mod query;
mod score;
