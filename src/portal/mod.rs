//! What the coordinators' portal gives them besides the report: the blank [`template`] of their
//! cluster.

pub mod template;
