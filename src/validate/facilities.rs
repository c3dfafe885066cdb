//! Facility rows against their cluster total. Where a submission gives both a cluster total and
//! facility rows for the same [`SeriesKey`](super::SeriesKey) but the facility (and the same
//! unit), the total is the cluster's figure and the facilities are its breakdown; a warning says
//! whether they agree.

use std::sync::Arc;

use super::Observation;
use super::series::{Groups, Ids};
use crate::chunks::Chunks;
use crate::diag::{Code, Finding};
use crate::read::format_grouped;

/// Facility sums within this fraction of the total agree with it (rounding in the source).
const AGREE: f64 = 0.005;

/// Warnings, as (index of the total into `observations`, finding) pairs.
/// `ids` numbers the keys of the observations, in order; `file` is the file they come from.
pub fn check(observations: &Chunks<Observation>, ids: &Ids, file: &Arc<str>) -> Vec<(usize, Finding)> {
    // Per total's key and unit: the total (the last row without a facility), and its facility
    // rows.
    let groups = Groups::by_number(&ids.totals, |i| (ids.years[i], ids.units[i]));
    let mut out = Vec::new();
    for members in groups.iter() {
        // The facility rows' number and sum (in item order, from -0.0 as `Iterator::sum` adds),
        // and the last total.
        let (mut parts, mut sum, mut last_total) = (0, -0.0, None);
        for &i in members {
            match ids.facility[i] {
                true => (parts, sum) = (parts + 1, sum + observations[i].value),
                false => last_total = Some(i),
            }
        }
        let Some(t) = last_total.filter(|_| parts > 0) else { continue };
        let total = &observations[t];
        let agree = (sum - total.value).abs() <= AGREE * total.value.abs();
        let verdict = if agree {
            "agrees with it".to_owned()
        } else {
            format!("differs from it ({}% of the total)", format_grouped(100.0 * sum / total.value))
        };
        let rows = if parts == 1 { "row" } else { "rows" };
        out.push((
            t,
            Finding::new(
                Code::FacilityTotal,
                total.value_loc(file),
                format!(
                    "`{}` of `{}` for {}: the cluster total {} {} is used; the sum of its {} facility {rows}, {} {}, {verdict}",
                    total.kpi,
                    total.cluster_id,
                    total.year,
                    format_grouped(total.value),
                    total.unit,
                    parts,
                    format_grouped(sum),
                    total.unit,
                ),
                if agree {
                    "nothing to do: the facility rows are kept as the breakdown of the total"
                } else {
                    "check the total and the facility rows: they should add up, or say in `notes` why they do not"
                },
            ),
        ));
    }
    out
}
