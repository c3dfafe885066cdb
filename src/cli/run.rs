//! `clusterkpi run` and `clusterkpi summary`.

use std::io::{IsTerminal, Write};
use std::sync::Arc;

use indicatif::{ProgressBar, ProgressStyle};

use super::headline::write_text;
use super::{CliError, Exit, RetractArgs, RunArgs, SummaryArgs, SummaryFormat, plural};
use crate::plan::{self, Overrides};
use crate::summary::Stats;

pub(super) fn run(args: &RunArgs) -> Result<Exit, CliError> {
    let folders = ("--input DIR --output DIR", args.input.is_some() && args.output.is_some());
    let pipeline = plan::pipeline_path(args.pipeline.as_deref(), folders)?;
    let overrides = Overrides { input: args.input.clone(), output: args.output.clone(), gwp_set: args.gwp_set };
    let plan = plan::load(pipeline.as_deref(), &overrides)?;
    let options = crate::run::Options { full: args.full, retract: None };
    let outcome = crate::run::run(&plan, &options, &progress_bar)?;
    let exit = report(&outcome, args.format);
    // The reports of a large file hold a million rows' findings and places, and the process ends
    // once they are reported: its exit frees them at once, where dropping them one by one takes
    // tens of milliseconds. The outcome holds data only (the store's lock was released).
    std::mem::forget(outcome);
    exit
}

pub(super) fn retract(args: &RetractArgs) -> Result<Exit, CliError> {
    let pipeline = plan::pipeline_path(args.pipeline.as_deref(), ("--output DIR", args.output.is_some()))?;
    let overrides = Overrides { output: args.output.clone(), ..Overrides::default() };
    let plan = plan::load(pipeline.as_deref(), &overrides)?;
    let options = crate::run::Options { full: false, retract: Some(args.submission.clone()) };
    let outcome = crate::run::run(&plan, &options, &progress_bar)?;
    report(&outcome, SummaryFormat::Text)
}

fn report(outcome: &crate::run::Outcome, format: SummaryFormat) -> Result<Exit, CliError> {
    let a = &outcome.accounting;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let Some(summary) = &outcome.summary else {
        // Nothing new: the standing headline, read back from the published outputs.
        let standing = crate::summary::read::headline(&outcome.output)?;
        match format {
            SummaryFormat::Text => {
                writeln!(
                    out,
                    "Run {}: nothing new ({} unchanged since an earlier run); the published outputs under {} stand.\n",
                    outcome.run_id,
                    plural(outcome.unchanged.len(), "file"),
                    outcome.output.join(crate::store::CURRENT).display()
                )?;
                write_text(&mut out, &standing)?;
            }
            SummaryFormat::Json => write_json(&mut out, &standing)?,
        }
        out.flush()?;
        return Ok(Exit::Clean);
    };
    match format {
        SummaryFormat::Text => {
            match &outcome.retracted {
                Some(r) => writeln!(
                    out,
                    "Run {}: submission {} (`{}`) retracted: its {} left the current observations (they stay in the history, marked retracted)",
                    outcome.run_id,
                    r.id,
                    r.file,
                    plural(r.observations, "observation"),
                )?,
                None => writeln!(
                    out,
                    "Run {}: {} read ({} unchanged), {} rows read, {} accepted, {} rejected; {}",
                    outcome.run_id,
                    plural(a.files, "file"),
                    outcome.unchanged.len(),
                    a.rows_read,
                    a.rows_accepted,
                    a.rows_rejected,
                    plural(a.errors, "error") + ", " + &plural(a.warnings, "warning")
                )?,
            }
            writeln!(out, "Tables published under {}\n", outcome.output.join(crate::store::CURRENT).display())?;
            write_text(&mut out, &summary.kpi_totals)?;
        }
        SummaryFormat::Json => write_json(&mut out, &summary.kpi_totals)?,
    }
    out.flush()?;
    Ok(if outcome.reports.iter().any(crate::pipeline::FileReport::internal_fault) {
        Exit::Internal
    } else if a.errors > 0 {
        Exit::Errors
    } else {
        Exit::Clean
    })
}

/// A progress bar on stderr over the files being checked, when stderr is a terminal.
fn progress_bar(files: usize) -> Arc<dyn Fn() + Send + Sync> {
    if !std::io::stderr().is_terminal() || files == 0 {
        return Arc::new(|| {});
    }
    let bar = ProgressBar::new(files as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} files checked ({elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    Arc::new(move || {
        bar.inc(1);
        if bar.position() >= bar.length().unwrap_or(0) {
            bar.finish_and_clear();
        }
    })
}

pub(super) fn summary(args: &SummaryArgs) -> Result<Exit, CliError> {
    let rows = crate::summary::read::headline(&args.output)?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    match args.format {
        SummaryFormat::Text => write_text(&mut out, &rows)?,
        SummaryFormat::Json => write_json(&mut out, &rows)?,
    }
    out.flush()?;
    Ok(Exit::Clean)
}

fn write_json(out: &mut impl Write, rows: &[Stats]) -> Result<(), CliError> {
    serde_json::to_writer_pretty(&mut *out, &serde_json::json!({ "headline": rows }))?;
    writeln!(out)?;
    Ok(())
}
