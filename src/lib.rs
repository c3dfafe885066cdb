//! clusterkpi: ingest the KPI submissions of industrial clusters, validate them against the
//! schema and reference data, and report located findings.
//!
//! The stages, in data-flow order: [`read`] (bytes → cells with origins) → [`map`] (find the
//! table, name its columns) → [`normalize`] (units to canonical) → [`validate`] (row checks, duplicates → observations and rejects),
//! chained per file by [`pipeline`]; [`diag`] holds findings and their locations, [`schema`] the
//! reference data, [`cli`] the command line.

pub mod cli;
pub mod diag;
pub mod fault;
pub mod limits;
pub mod lock;
pub mod map;
pub mod normalize;
pub mod number;
pub mod pipeline;
pub mod plan;
pub mod read;
pub mod run;
pub mod schema;
pub mod state;
pub mod store;
pub mod summary;
pub mod validate;
pub mod write;
