//! `clusterkpi run` and `clusterkpi summary`.

use std::io::{IsTerminal, Write};
use std::sync::Arc;

use indicatif::{ProgressBar, ProgressStyle};

use super::headline::write_text;
use super::{CliError, Exit, RunArgs, SummaryArgs, SummaryFormat, plural};
use crate::plan::{self, Overrides};
use crate::summary::Stats;

pub(super) fn run(args: &RunArgs) -> Result<Exit, CliError> {
    let pipeline = plan::pipeline_path(args.pipeline.as_deref())?;
    let overrides = Overrides { input: args.input.clone(), output: args.output.clone(), gwp_set: args.gwp_set };
    let plan = plan::load(Some(&pipeline), &overrides)?;
    let outcome = crate::run::run(&plan, &progress_bar)?;
    let a = &outcome.accounting;

    let mut out = std::io::stdout().lock();
    match args.format {
        SummaryFormat::Text => {
            writeln!(
                out,
                "Run {}: {} files, {} rows read, {} accepted, {} rejected; {}",
                outcome.run_id,
                a.files,
                a.rows_read,
                a.rows_accepted,
                a.rows_rejected,
                plural(a.errors, "error") + ", " + &plural(a.warnings, "warning")
            )?;
            writeln!(out, "Tables written under {}\n", outcome.output.display())?;
            write_text(&mut out, &outcome.summary.kpi_totals)?;
        }
        SummaryFormat::Json => write_json(&mut out, &outcome.summary.kpi_totals)?,
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
    let mut out = std::io::stdout().lock();
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
