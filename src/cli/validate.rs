//! `clusterkpi validate PATH…`: the coordinator's check before upload.
//!
//! Human output lists every finding (severity, code, message, location, hint), then a summary
//! line per file and a total; `--format json` prints one document with the same content;
//! `--format html` one self-contained page (see [`crate::portal::report`]).

use std::io::Write;

use super::{CliError, Exit, OutputFormat, ValidateArgs};
use crate::diag::render::counts;
use crate::diag::{Severity, render};
use crate::pipeline::{self, FileReport};
use crate::plan::{self, Overrides};
use crate::portal::document::Document;
use crate::portal::report;
use crate::portal::view::View;
use crate::read::format_grouped;
use crate::validate::Observation;

pub(super) fn run(args: &ValidateArgs) -> Result<Exit, CliError> {
    let overrides = Overrides { gwp_set: args.gwp_set, ..Overrides::default() };
    let schema = plan::load(args.pipeline.as_deref(), &overrides)?.schema;
    let inputs = pipeline::discover(&args.paths)?;
    tracing::info!(files = inputs.len(), "validating");
    let paths: Vec<std::path::PathBuf> = inputs.iter().map(|i| i.path.clone()).collect();
    let reports = pipeline::check_files(inputs, schema.clone());

    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    match args.format {
        OutputFormat::Human => {
            if args.explain {
                write_explanations(&mut out, &reports)?;
            }
            write_human(&mut out, &reports)?;
        }
        OutputFormat::Html => {
            // Each file as the coordinator sees it, read again for its grid.
            let files: Vec<(FileReport, View)> = reports
                .iter()
                .zip(&paths)
                .map(|(r, path)| {
                    let bytes = crate::read::read_file(path, &schema.limits).unwrap_or_default();
                    let view = match r.format {
                        Some(format) if !bytes.is_empty() => View::new(r, &bytes, format, &schema),
                        _ => View::default(),
                    };
                    (r.clone(), view)
                })
                .collect();
            out.write_all(report::html(&files, report::Assets::Inline).as_bytes())?;
        }
        OutputFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &Document::new(&reports, args.explain))?;
            writeln!(out)?;
        }
    }
    out.flush()?;

    Ok(if reports.iter().any(FileReport::internal_fault) {
        Exit::Internal
    } else if reports.iter().any(|r| r.count(Severity::Error) > 0) {
        Exit::Errors
    } else {
        Exit::Clean
    })
}

fn write_explanations(out: &mut impl Write, reports: &[FileReport]) -> std::io::Result<()> {
    for r in reports {
        writeln!(out, "{}: how it was read", r.file)?;
        for line in &r.explanation {
            writeln!(out, "  {line}")?;
        }
        writeln!(
            out,
            "  → {} values read, {} not reported{}\n",
            r.rows_read,
            r.not_reported,
            if r.explanation.is_empty() { " (the file could not be read: see its error)" } else { "" }
        )?;
    }
    Ok(())
}

fn write_human(out: &mut impl Write, reports: &[FileReport]) -> std::io::Result<()> {
    for f in reports.iter().flat_map(|r| &r.findings) {
        writeln!(out, "{}", render::human(f))?;
    }
    let (mut read, mut accepted, mut rejected) = (0, 0, 0);
    for r in reports {
        let format = r.format.map_or("unknown format", |f| f.as_str());
        writeln!(out, "{} ({format}): {}", r.file, r.tally())?;
        for o in &r.observations {
            write_observation(out, o)?;
        }
        read += r.rows_read;
        accepted += r.rows_accepted;
        rejected += r.rows_rejected;
    }
    let count = |s| reports.iter().map(|r| r.count(s)).sum::<usize>();
    let files = if reports.len() == 1 { "1 file".to_owned() } else { format!("{} files", reports.len()) };
    writeln!(
        out,
        "{files}: {read} rows read, {accepted} accepted, {rejected} rejected{}",
        counts(count(Severity::Error), count(Severity::Warning), count(Severity::Info))
    )
}

/// One accepted observation, indented under its file: where, what, the canonical value, and how
/// it was computed when the reported unit was not already canonical.
fn write_observation(out: &mut impl Write, o: &Observation) -> std::io::Result<()> {
    let mut what = format!("{} {} {}", o.cluster_id, o.year, o.kpi);
    let parts: Vec<String> = [("facility", &o.facility), ("scope", &o.scope), ("gas", &o.gas)]
        .into_iter()
        .filter_map(|(name, v)| Some(format!("{name} {}", v.as_deref()?)))
        .collect();
    if !parts.is_empty() {
        what.push_str(&format!(" ({})", parts.join(", ")));
    }
    write!(out, "  {}: {what} = {} {}", o.value_place(), format_grouped(o.value), o.unit)?;
    let how = o.conversion.describe();
    if !how.is_empty() {
        let reported = o.reported_unit.as_deref().unwrap_or("");
        write!(out, "  (from {} {reported} {how})", format_grouped(o.reported_value))?;
    }
    writeln!(out)
}
