//! Publish: switch the output folder's `current` to the committed version in one rename (see
//! [`crate::store`]), then keep copies of the files read, as the pipeline asks: each in the
//! archive, and each unreadable one in the quarantine with a report beside it. Input files
//! themselves are never touched; a copy that fails is logged and does not undo the publication.

use std::path::Path;

use super::execute::Checked;
use crate::pipeline::Status;
use crate::plan::Plan;
use crate::store::{Store, StoreError};

pub fn publish(store: &Store, run_id: &str) -> Result<(), StoreError> {
    crate::fault::pause("publish");
    store.switch(run_id)
}

pub fn keep_copies(plan: &Plan, run_id: &str, checked: &Checked) {
    let copy = |from: &Path, to: &Path| -> std::io::Result<()> {
        if let Some(dir) = to.parent() {
            fs_err::create_dir_all(dir)?;
        }
        fs_err::copy(from, to).map(|_| ())
    };
    for ((report, name), path) in checked.reports.iter().zip(&checked.names).zip(&checked.paths) {
        if let Some(archive) = &plan.archive
            && let Err(e) = copy(path, &archive.join(run_id).join(name))
        {
            tracing::warn!("cannot archive `{}`: {e}", path.display());
        }
        if let Some(quarantine) = &plan.quarantine
            && report.status() == Status::Unreadable
        {
            let to = quarantine.join(name);
            let sidecar = quarantine.join(format!("{name}.report.json"));
            let findings = serde_json::to_string_pretty(&report.findings).unwrap_or_default();
            if let Err(e) = copy(path, &to).and_then(|()| fs_err::write(&sidecar, findings + "\n")) {
                tracing::warn!("cannot quarantine `{}`: {e}", path.display());
            }
        }
    }
}
