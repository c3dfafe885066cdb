//! The headline table, as `run` and `summary` print it.

use std::io::Write;

use crate::read::format_grouped;
use crate::summary::Stats;

pub(super) fn write_text(out: &mut impl Write, rows: &[Stats]) -> std::io::Result<()> {
    if rows.is_empty() {
        return writeln!(out, "No accepted observations.");
    }
    let name = |s: &Stats| match &s.scope {
        Some(scope) => format!("{} (scope {scope})", s.kpi),
        None => s.kpi.clone(),
    };
    let width = rows.iter().map(|s| name(s).chars().count()).max().unwrap_or(3).max(3);
    writeln!(
        out,
        "{:<width$}  {:>8}  {:>22}  {:<6}  {:>18}  {:>18}  {:>18}",
        "KPI", "clusters", "total", "unit", "min", "median", "max"
    )?;
    for s in rows {
        writeln!(
            out,
            "{:<width$}  {:>8}  {:>22}  {:<6}  {:>18}  {:>18}  {:>18}",
            name(s),
            s.clusters,
            format_grouped(s.total),
            s.unit,
            format_grouped(s.min),
            format_grouped(s.median),
            format_grouped(s.max)
        )?;
    }
    Ok(())
}
