//! `clusterkpi explain-name NAME…`: how a KPI name or a column header is read, and why, so
//! anyone can check a phrasing without a file.
//!
//! For each name: the exact match if there is one; otherwise, per language, the content words
//! (stems, with concepts as `=concept`) and the aliases that have the same words; then the
//! verdict, as validation would give it.

use std::io::Write;

use super::{CliError, Exit, ExplainArgs};
use crate::map::split_unit;
use crate::plan::{self, Overrides};
use crate::schema::{NameMatch, Schema, Trace};

pub(super) fn run(args: &ExplainArgs) -> Result<Exit, CliError> {
    let schema = plan::load(args.pipeline.as_deref(), &Overrides::default())?.schema;
    let mut out = std::io::stdout().lock();
    for name in &args.names {
        explain(&mut out, &schema, name)?;
    }
    out.flush()?;
    Ok(Exit::Clean)
}

fn explain(out: &mut impl Write, schema: &Schema, name: &str) -> std::io::Result<()> {
    writeln!(out, "`{name}`")?;
    let (bare, unit) = split_unit(name, schema);
    if let Some(unit) = &unit {
        writeln!(out, "  unit in brackets: `{unit}` (set aside; the name is `{bare}`)")?;
    }
    let field = schema.read_field(name);
    match &field {
        NameMatch::Exact(f) => writeln!(out, "  as a column header: the `{}` column (exact spelling)", f.as_str())?,
        NameMatch::ByWords { entry, alias, lang } => writeln!(
            out,
            "  as a column header: the `{}` column, by its words (like the {lang} alias `{alias}`)",
            entry.as_str()
        )?,
        NameMatch::Refused { .. } => writeln!(out, "  as a column header: names no column")?,
    }
    if let NameMatch::Exact(k) = schema.read_kpi(bare) {
        writeln!(out, "  as a KPI: {} ({}), an exact alias", k.id, k.label)?;
        return writeln!(out);
    }
    let (_, traces) = schema.kpi_words.read_traced(bare);
    for Trace { lang, words, matches } in traces {
        let mut said: Vec<String> = Vec::new();
        for (i, alias) in &matches {
            let s = format!("{} via `{alias}`", schema.kpis.get(*i).map_or("?", |k| k.id.as_str()));
            if !said.contains(&s) {
                said.push(s);
            }
        }
        // A few aliases say enough; the count says the rest.
        const SHOWN: usize = 3;
        if said.len() > SHOWN {
            let more = said.len() - SHOWN;
            said.truncate(SHOWN);
            said.push(format!("{more} more"));
        }
        writeln!(
            out,
            "  {lang}: content words [{}]{}",
            words.join(", "),
            if said.is_empty() { String::new() } else { format!(" → {}", said.join("; ")) }
        )?;
    }
    match schema.read_kpi(bare) {
        NameMatch::ByWords { entry, alias, lang } => {
            writeln!(
                out,
                "  as a KPI: {} ({}), read by its words like the {lang} alias `{alias}`",
                entry.id, entry.label
            )?;
        }
        NameMatch::Refused { near, ambiguous: true } => writeln!(
            out,
            "  as a KPI: refused, it could be any of {}",
            near.iter().map(|k| k.id.as_str()).collect::<Vec<_>>().join(", ")
        )?,
        NameMatch::Refused { near, .. } => writeln!(
            out,
            "  as a KPI: refused, no alias has exactly these content words{}",
            if near.is_empty() {
                String::new()
            } else {
                format!(" (nearest: {})", near.iter().map(|k| k.id.as_str()).collect::<Vec<_>>().join(", "))
            }
        )?,
        NameMatch::Exact(_) => {}
    }
    writeln!(out)
}
