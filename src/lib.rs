//! clusterkpi: ingest the KPI submissions of industrial clusters, validate them against the
//! schema and reference data, and report located findings.
//!
//! The stages, in data-flow order: [`read`] (bytes → cells with origins, within the [`limits`])
//! → [`map`] (find the table, name its columns) → [`normalize`] (units to canonical) →
//! [`validate`] (row checks, the series key, duplicates → observations and rejects), chained per
//! file by [`pipeline`]; [`number`] reads numbers written as text for all of them. The nightly
//! job, [`run`], plans from the [`state`]'s ledger, executes the pipeline, commits a version
//! ([`write`], [`summary`]) and publishes it into the output folder laid out by [`store`].
//! [`diag`] holds findings and their locations, [`chunks`] a large list freed a piece at a
//! time, [`schema`] the reference data, [`plan`] the pipeline file, [`cli`] the command line. No
//! two sibling modules import each other, directly or round about (`tests/it/cycles.rs`).

pub mod chunks;
pub mod cli;
pub mod diag;
pub mod fault;
pub mod limits;
pub mod lock;
pub mod map;
pub mod memo;
pub mod normalize;
pub mod number;
pub mod pipeline;
pub mod plan;
pub mod portal;
pub mod read;
pub mod run;
pub mod schema;
pub mod state;
pub mod store;
pub mod summary;
pub mod trim;
pub mod validate;
pub mod write;
