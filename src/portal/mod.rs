//! What the coordinators' portal gives them besides the report: the [`annotate`]d workbook of
//! their file, and the blank [`template`] of their cluster.

pub mod annotate;
pub mod template;
pub mod view;
