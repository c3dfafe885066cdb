//! The command line: arguments, logging, exit statuses. clap stays here; commands turn parsed
//! arguments into library calls and render the results.

mod explain;
mod headline;
mod run;
mod validate;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use crate::diag::render::plural;

/// The documented exit statuses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Exit {
    /// No error findings (warnings allowed).
    Clean = 0,
    /// At least one error finding.
    Errors = 1,
    /// Usage or configuration error.
    Usage = 2,
    /// An internal fault, or a run that failed (nothing was published).
    Internal = 3,
    /// Another run holds the output folder's lock.
    LockHeld = 4,
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> ExitCode {
        ExitCode::from(e as u8)
    }
}

#[derive(Debug, Parser)]
#[command(
    name = "clusterkpi",
    version,
    about = "Validate, normalize and publish the KPI submissions of industrial clusters"
)]
struct Cli {
    /// More log output on stderr (-v info, -vv debug); `CLUSTERKPI_LOG` takes a full filter.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    /// Log format on stderr: human-readable, or one JSON object a line for log shippers.
    #[arg(long, value_enum, default_value_t = LogFormat::Human, global = true)]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check submission files before upload: every problem with its cell, line or pointer.
    Validate(ValidateArgs),
    /// The main job: check every submission under the input folder and write the Parquet
    /// tables and summary statistics under the output folder.
    Run(RunArgs),
    /// Print the headline of a finished run, read back from its outputs.
    Summary(SummaryArgs),
    /// Withdraw a submission: its observations leave `observations/` (they stay in
    /// `observations_history/`, marked retracted), and the tables are published again.
    Retract(RetractArgs),
    /// Serve the coordinators' portal over HTTP: a page to check a file, and the API (validate,
    /// annotate, template). Binds to 127.0.0.1 by default: put a TLS proxy in front of it.
    Serve(ServeArgs),
    /// Manage the clusters' submission tokens (the file named by `[serve] tokens`).
    Tokens(TokensArgs),
    /// Write a file's values as an xlsx with every offending cell filled in colour and noted
    /// with its finding and hint, after a first sheet listing every finding.
    Annotate(AnnotateArgs),
    /// Write the blank template of a cluster: an xlsx with the cluster filled in and dropdowns
    /// for KPI, unit (those of the KPI chosen), scope and gas; filled in through them, it passes.
    Template(TemplateArgs),
    /// Show how KPI names or column headers are read (exactly, by their words, or refused)
    /// and why, without a file.
    ExplainName(ExplainArgs),
    /// Print the data dictionary of the output tables (Markdown).
    #[command(hide = true)]
    Dictionary,
}

#[derive(Debug, clap::Args)]
struct ValidateArgs {
    /// Submission files, or folders searched recursively.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
    format: OutputFormat,
    /// Show how each file was read: which sheet, rows and columns were taken as what, and why;
    /// and what was passed over.
    #[arg(long)]
    explain: bool,
    /// Check against this pipeline's schema and reference data, as the nightly run does.
    #[arg(long, value_name = "FILE")]
    pipeline: Option<PathBuf>,
    /// IPCC GWP set for converting masses of other gases to CO2e: AR4, AR5 or AR6 (default:
    /// the pipeline's, or AR6).
    #[arg(long, value_name = "SET")]
    gwp_set: Option<crate::schema::GwpSet>,
}

#[derive(Debug, clap::Args)]
struct ExplainArgs {
    /// The names to read, e.g. "Aantal directe banen".
    #[arg(required = true, value_name = "NAME")]
    names: Vec<String>,
    /// Read with this pipeline's schema (its own aliases), as the nightly run does.
    #[arg(long, value_name = "FILE")]
    pipeline: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
struct RunArgs {
    /// The pipeline file (TOML); default `pipelines/sample.toml` in the working directory.
    #[arg(value_name = "PIPELINE")]
    pipeline: Option<PathBuf>,
    /// The folder of submissions (overrides the pipeline's `[input] dir`).
    #[arg(long, value_name = "DIR")]
    input: Option<PathBuf>,
    /// Where the tables go (overrides the pipeline's `[output] dir`).
    #[arg(long, value_name = "DIR")]
    output: Option<PathBuf>,
    /// IPCC GWP set (overrides the pipeline's `[reference] gwp_set`).
    #[arg(long, value_name = "SET")]
    gwp_set: Option<crate::schema::GwpSet>,
    /// Output format of the headline printed at the end.
    #[arg(long, value_enum, default_value_t = SummaryFormat::Text)]
    format: SummaryFormat,
    /// Read every input file again, not only new and changed ones (also rebuilds a damaged run
    /// state).
    #[arg(long)]
    full: bool,
}

#[derive(Debug, clap::Args)]
struct RetractArgs {
    /// The submission's id (the SHA-256 of its file, as in `submissions/`), or a unique prefix.
    #[arg(value_name = "SUBMISSION_ID")]
    submission: String,
    /// The pipeline file whose outputs to change; default `pipelines/sample.toml`.
    #[arg(long, value_name = "FILE")]
    pipeline: Option<PathBuf>,
    /// The output folder (overrides the pipeline's `[output] dir`).
    #[arg(long, value_name = "DIR")]
    output: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
struct ServeArgs {
    /// Serve with this pipeline's schema, reference data and limits (default: the bundled ones,
    /// or `pipelines/sample.toml` in the working directory).
    #[arg(value_name = "PIPELINE")]
    pipeline: Option<PathBuf>,
    /// The address to listen on.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    listen: std::net::SocketAddr,
    /// The largest upload accepted, in MB (larger ones are answered 413; default the
    /// pipeline's `[serve] upload_mb`, or 25).
    #[arg(long, value_name = "MB")]
    upload_mb: Option<usize>,
}

#[derive(Debug, clap::Args)]
struct TokensArgs {
    #[command(subcommand)]
    action: TokensAction,
}

#[derive(Debug, Subcommand)]
enum TokensAction {
    /// Make a token for a cluster and print it, once: it is kept only as its hash.
    New(TokenTarget),
    /// List the tokens kept: id, cluster, made, revoked.
    List(TokenFile),
    /// Revoke every token of a cluster; it stops working at the next request.
    Revoke(TokenTarget),
}

#[derive(Debug, clap::Args)]
struct TokenFile {
    /// The pipeline whose `[serve] tokens` file to use.
    #[arg(long, value_name = "FILE")]
    pipeline: PathBuf,
}

#[derive(Debug, clap::Args)]
struct TokenTarget {
    #[command(flatten)]
    file: TokenFile,
    /// The cluster: its registry id, name or an alias.
    #[arg(long, value_name = "ID")]
    cluster: String,
}

#[derive(Debug, clap::Args)]
struct AnnotateArgs {
    /// The submission file.
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// Where to write the xlsx (default: `FILE.checked.xlsx` beside the file).
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Check against this pipeline's schema and reference data.
    #[arg(long, value_name = "FILE")]
    pipeline: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
struct TemplateArgs {
    /// The cluster: its registry id, name or an alias.
    #[arg(long, value_name = "ID")]
    cluster: String,
    /// Where to write the xlsx.
    #[arg(short, long, value_name = "FILE")]
    output: PathBuf,
    /// Generate from this pipeline's schema and reference data.
    #[arg(long, value_name = "FILE")]
    pipeline: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
struct SummaryArgs {
    /// The output folder of a finished run.
    #[arg(value_name = "OUTPUT_DIR")]
    output: PathBuf,
    #[arg(long, value_enum, default_value_t = SummaryFormat::Text)]
    format: SummaryFormat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum LogFormat {
    Human,
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum SummaryFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum OutputFormat {
    Human,
    Json,
    /// One self-contained HTML page: findings by sheet, each sheet as a grid.
    Html,
}

pub fn main() -> ExitCode {
    if std::env::args_os().nth(1).is_some_and(|a| a == crate::read::worker::SUBCOMMAND) {
        let args: Vec<String> = std::env::args_os().skip(2).map(|a| a.to_string_lossy().into_owned()).collect();
        return crate::read::worker::serve(&args);
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { Exit::Usage.into() } else { Exit::Clean.into() };
        }
    };
    init_logging(cli.verbose, cli.log_format);
    // Panics are reported as findings (`E_INTERNAL`, or `E_FILE_UNREADABLE` for a reader that
    // gave up on a damaged file); the log says where they happened.
    std::panic::set_hook(Box::new(|info| {
        if crate::read::panic_is_expected() {
            tracing::debug!("reader panicked on a damaged file: {info}");
        } else {
            tracing::error!("internal fault: {info}");
        }
    }));
    // Spreadsheets are parsed in worker processes of this same binary.
    match std::env::current_exe() {
        Ok(exe) => crate::read::worker::start(exe),
        Err(e) => tracing::warn!("cannot find this program's own path ({e}): spreadsheets are parsed in process"),
    }
    let result = match cli.command {
        Command::Validate(args) => validate::run(&args),
        Command::Run(args) => run::run(&args),
        Command::Summary(args) => run::summary(&args),
        Command::Retract(args) => run::retract(&args),
        Command::Template(args) => template(&args),
        Command::Serve(args) => serve(&args),
        Command::Tokens(args) => tokens(&args),
        Command::Annotate(args) => annotate(&args),
        Command::ExplainName(args) => explain::run(&args),
        Command::Dictionary => {
            let mut out = std::io::stdout().lock();
            write!(out, "{}", crate::write::tables::dictionary_markdown()).map(|()| Exit::Clean).map_err(CliError::from)
        }
    };
    crate::read::worker::stop();
    match result {
        Ok(exit) => exit.into(),
        Err(CliError::Io(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => Exit::Clean.into(),
        Err(e) => {
            let mut stderr = std::io::stderr().lock();
            let _ = write!(stderr, "error: {e}");
            let mut source = std::error::Error::source(&e);
            while let Some(cause) = source {
                let _ = write!(stderr, ": {cause}");
                source = cause.source();
            }
            let _ = writeln!(stderr);
            e.exit().into()
        }
    }
}

/// What stops a command before it produces a report.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Discover(#[from] crate::pipeline::DiscoverError),
    #[error(transparent)]
    Plan(#[from] crate::plan::PlanError),
    #[error("the run failed")]
    Run(#[from] crate::run::RunError),
    #[error(transparent)]
    ReadBack(#[from] crate::summary::read::ReadBackError),
    #[error(transparent)]
    Template(#[from] crate::portal::template::TemplateError),
    #[error(transparent)]
    Serve(#[from] crate::portal::serve::ServeError),
    #[error(transparent)]
    Tokens(#[from] crate::portal::tokens::TokenError),
    #[error("cannot annotate `{}`", file.display())]
    Annotate {
        file: PathBuf,
        #[source]
        source: crate::portal::annotate::AnnotateError,
    },
    #[error("cannot write the report")]
    Io(#[from] std::io::Error),
    #[error("cannot render the report as JSON")]
    Json(#[from] serde_json::Error),
}

impl CliError {
    fn exit(&self) -> Exit {
        match self {
            CliError::Discover(_) | CliError::Plan(_) | CliError::ReadBack(_) => Exit::Usage,
            CliError::Template(crate::portal::template::TemplateError::UnknownCluster(_)) => Exit::Usage,
            CliError::Template(_) => Exit::Internal,
            CliError::Serve(crate::portal::serve::ServeError::Bind { .. }) => Exit::Usage,
            CliError::Serve(_) => Exit::Internal,
            CliError::Tokens(
                crate::portal::tokens::TokenError::NoFile | crate::portal::tokens::TokenError::UnknownCluster(_),
            ) => Exit::Usage,
            CliError::Tokens(_) => Exit::Internal,
            CliError::Annotate { source: crate::portal::annotate::AnnotateError::TooLarge { .. }, .. } => Exit::Usage,
            CliError::Annotate { .. } => Exit::Internal,
            CliError::Run(
                crate::run::RunError::NoInput { .. }
                | crate::run::RunError::State(_)
                | crate::run::RunError::Retract(_),
            ) => Exit::Usage,
            CliError::Run(crate::run::RunError::Lock(crate::lock::LockError::Held { .. })) => Exit::LockHeld,
            CliError::Run(_) | CliError::Io(_) | CliError::Json(_) => Exit::Internal,
        }
    }
}

/// `clusterkpi serve`: prints the address it listens on, then serves until stopped.
fn serve(args: &ServeArgs) -> Result<Exit, CliError> {
    let pipeline = args.pipeline.clone().or_else(|| crate::plan::pipeline_path(None, ("", true)).ok().flatten());
    let plan = crate::plan::load(pipeline.as_deref(), &crate::plan::Overrides::default())?;
    let upload_mb = args.upload_mb.unwrap_or(plan.serve.upload_mb);
    let settings = crate::portal::serve::Settings {
        schema: plan.schema,
        upload_bytes: upload_mb.saturating_mul(1 << 20),
        tokens: plan.serve.tokens,
        input: plan.input,
        trusted_proxy: plan.serve.trusted_proxy,
        requests_per_minute: plan.serve.requests_per_minute,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(crate::portal::serve::serve(args.listen, settings, |addr| {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "clusterkpi portal on http://{addr}/");
        let _ = out.flush();
    }))?;
    Ok(Exit::Clean)
}

/// `clusterkpi tokens new|list|revoke`.
fn tokens(args: &TokensArgs) -> Result<Exit, CliError> {
    use crate::portal::tokens::{TokenError, Tokens};
    let file = match &args.action {
        TokensAction::New(t) | TokensAction::Revoke(t) => &t.file,
        TokensAction::List(f) => f,
    };
    let plan = crate::plan::load(Some(&file.pipeline), &crate::plan::Overrides::default())?;
    let path = plan.serve.tokens.ok_or(TokenError::NoFile)?;
    let mut kept = Tokens::load(&path)?;
    let mut out = std::io::stdout().lock();
    let cluster = |name: &str| {
        plan.schema.clusters.find(name).map(|c| c.id.clone()).ok_or_else(|| TokenError::UnknownCluster(name.to_owned()))
    };
    match &args.action {
        TokensAction::New(t) => {
            let id = cluster(&t.cluster)?;
            let token = kept.issue(&id)?;
            kept.save(&path)?;
            writeln!(out, "{token}")?;
            let mut err = std::io::stderr().lock();
            writeln!(err, "the token of `{id}`: give it to the cluster's coordinator now; it is not shown again")?;
        }
        TokensAction::Revoke(t) => {
            let id = cluster(&t.cluster)?;
            let n = kept.revoke(&id);
            kept.save(&path)?;
            writeln!(out, "{} of `{id}` revoked", plural(n, "token"))?;
        }
        TokensAction::List(_) => {
            for e in &kept.tokens {
                let state = e.revoked_at.as_deref().map_or_else(|| "live".to_owned(), |at| format!("revoked {at}"));
                writeln!(out, "{}  {:<28} made {}  {state}", e.id, e.cluster, e.created_at)?;
            }
        }
    }
    Ok(Exit::Clean)
}

/// `clusterkpi template`.
fn template(args: &TemplateArgs) -> Result<Exit, CliError> {
    let schema = crate::plan::load(args.pipeline.as_deref(), &crate::plan::Overrides::default())?.schema;
    let bytes = crate::portal::template::template(&schema, &args.cluster)?;
    fs_err::write(&args.output, bytes)?;
    Ok(Exit::Clean)
}

/// `clusterkpi annotate`: the exit status is `validate`'s for the file.
fn annotate(args: &AnnotateArgs) -> Result<Exit, CliError> {
    let schema = crate::plan::load(args.pipeline.as_deref(), &crate::plan::Overrides::default())?.schema;
    let inputs = crate::pipeline::discover(std::slice::from_ref(&args.file))?;
    let Some(input) = inputs.first().filter(|_| args.file.is_file()) else {
        return Err(CliError::Discover(crate::pipeline::DiscoverError::NotAFile { path: args.file.clone() }));
    };
    let report = crate::pipeline::check_file(input, &schema);
    let output = args.output.clone().unwrap_or_else(|| {
        let mut name = args.file.file_name().unwrap_or_default().to_os_string();
        name.push(".checked.xlsx");
        args.file.with_file_name(name)
    });
    // The file is checked once; its bytes are read again for its values.
    let bytes = crate::read::read_file(&input.path, &schema.limits).unwrap_or_default();
    let format = crate::read::Format::from_path(&input.path);
    let workbook = match format {
        Some(format) if !bytes.is_empty() => {
            crate::portal::annotate::annotate_checked(&report, &bytes, format, &schema)
        }
        _ => crate::portal::annotate::report_only(&report),
    }
    .map_err(|source| CliError::Annotate { file: args.file.clone(), source })?;
    fs_err::write(&output, workbook)?;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{}: {} ({} rows read, {} accepted, {} rejected)",
        output.display(),
        plural(report.findings.len(), "finding"),
        report.rows_read,
        report.rows_accepted,
        report.rows_rejected
    )?;
    Ok(if report.internal_fault() {
        Exit::Internal
    } else if report.count(crate::diag::Severity::Error) > 0 {
        Exit::Errors
    } else {
        Exit::Clean
    })
}

fn init_logging(verbose: u8, format: LogFormat) {
    let default = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("CLUSTERKPI_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(false);
    let _ = match format {
        LogFormat::Human => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}
