//! Plausibility: a canonical value outside the KPI's catalog range, or a jump of about 1,000×
//! from one reported year to the next, is most likely a unit slip (`kt` written for `t`,
//! `million` for `thousand`). Both are warnings: the row is kept, and the warning names the
//! likely slip.

use std::sync::Arc;

use super::Observation;
use super::series::{Groups, Ids};
use crate::chunks::Chunks;
use crate::diag::{Code, Finding};
use crate::read::format_grouped;
use crate::schema::KpiDef;

/// A ratio at least this far from 1 (10^2.5, nearer 1,000 than 100 on a log scale) is a jump.
const JUMP: f64 = 316.227_766_016_837_94;

/// A warning when the observation (of `file`) has a canonical value outside its KPI's catalog range.
pub fn range(o: &Observation, kpi: &KpiDef, file: &Arc<str>) -> Option<Finding> {
    let (value, unit) = (o.value, &o.unit);
    let (message, hint) = if value > kpi.max {
        let ratio = value / kpi.max;
        let message = format!(
            "{} {unit} is {}× the catalog maximum for one cluster ({} {unit})",
            format_grouped(value),
            format_grouped(ratio.round()),
            format_grouped(kpi.max)
        );
        (message, slip(ratio))
    } else if value < kpi.min {
        let message = format!(
            "{} {unit} is below the catalog minimum for one cluster ({} {unit})",
            format_grouped(value),
            format_grouped(kpi.min)
        );
        (message, "check the value and its unit".to_owned())
    } else {
        return None;
    };
    let what = format!("`{}` of `{}` for {}: ", o.kpi, o.cluster_id, o.year);
    Some(Finding::new(Code::Implausible, o.value_loc(file), what + &message, hint))
}

fn slip(ratio: f64) -> String {
    if ratio >= 10f64.powf(4.5) {
        "about a million times too large: was this reported in `t` but labelled `Mt`, or in units but labelled `million`?"
            .to_owned()
    } else if ratio >= JUMP {
        "about a thousand times too large: was this reported in `t` but labelled `kt`, or in thousands but labelled `million`?"
            .to_owned()
    } else {
        "check the value and its unit".to_owned()
    }
}

/// Warnings for year-on-year jumps, as (index into `observations`, finding) pairs.
/// `ids` numbers the keys of the observations, in order; `file` is the file they come from.
pub fn jumps(observations: &Chunks<Observation>, ids: &Ids, file: &Arc<str>) -> Vec<(usize, Finding)> {
    // One series over the years, in one canonical unit (headcount and FTE are not compared).
    let series = Groups::by_number(&ids.series, |i| ids.units[i]);
    let mut out = Vec::new();
    let mut members = Vec::new();
    for group in series.iter() {
        members.clear();
        members.extend_from_slice(group);
        // By the keys' years, which are the observations' (and lie side by side).
        members.sort_by_key(|&i| ids.years[i]);
        for pair in members.windows(2) {
            let (a, b) = (&observations[pair[0]], &observations[pair[1]]);
            if a.value <= 0.0 || b.value <= 0.0 {
                continue;
            }
            let ratio = b.value / a.value;
            if ratio >= JUMP || ratio <= 1.0 / JUMP {
                let factor = if ratio >= 1.0 { ratio } else { 1.0 / ratio };
                out.push((
                    pair[1],
                    Finding::new(
                        Code::YearJump,
                        b.value_loc(file),
                        format!(
                            "`{}` of `{}` goes from {} {} in {} to {} {} in {} ({}× {})",
                            b.kpi,
                            b.cluster_id,
                            format_grouped(a.value),
                            a.unit,
                            a.year,
                            format_grouped(b.value),
                            b.unit,
                            b.year,
                            format_grouped(factor.round()),
                            if ratio >= 1.0 { "up" } else { "down" },
                        ),
                        format!(
                            "check the unit of both years (at {} and here): a `t`/`kt` or `thousand`/`million` slip gives a 1,000× jump",
                            a.value_place()
                        ),
                    ),
                ));
            }
        }
    }
    out
}
