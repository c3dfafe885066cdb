//! The coordinators' portal ([`serve`]) and what it shows and gives them: the HTML [`report`] of their files, the
//! [`annotate`]d workbook of a file, and the blank [`template`] of their cluster; [`view`] is
//! the file as they see it, shared by the report and the workbook.

pub mod annotate;
pub mod document;
pub mod report;
pub mod serve;
pub mod template;
pub mod tokens;
pub mod view;
