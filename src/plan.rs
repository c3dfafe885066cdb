//! The plan: the pipeline file and the command-line flags, resolved and validated into one value
//! before any work starts (paths, the compiled schema and reference data, the GWP set).
//!
//! A pipeline file is TOML with the sections `[input] dir`, `[output] dir`, `[reference]
//! clusters, countries, currencies, fx_rates, gwp, gwp_set`, `[schema] dir` (a folder holding
//! any of `kpis.toml`, `fields.toml`, `units.toml`, `layout.toml`), and the optional `[archive]
//! dir` and `[quarantine] dir`, `[limits]` (see [`crate::read::Limits`]) and `[serve]` (the
//! portal: `tokens`, `upload_mb`, `requests_per_minute`, `trusted_proxy`). Every key is optional: a key left out takes
//! the bundled default, so a pipeline names only what it changes. Relative paths resolve against
//! the folder that holds the pipeline file; flags win over the file. An unknown key, a wrong
//! type or a path that does not exist is an error naming the key.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;
use sha2::{Digest, Sha256};
use validator::Validate;

use crate::schema::{GwpSet, Schema, SchemaError, Source, Sources};

/// The pipeline used when none is named, relative to the working directory.
pub const DEFAULT_PIPELINE: &str = "pipelines/sample.toml";

#[derive(Debug, Default, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
struct PipelineFile {
    #[serde(default)]
    #[validate(nested)]
    input: Dir,
    #[serde(default)]
    #[validate(nested)]
    output: Dir,
    #[serde(default)]
    #[validate(nested)]
    reference: Reference,
    #[serde(default)]
    #[validate(nested)]
    schema: Dir,
    #[serde(default)]
    #[validate(nested)]
    archive: Dir,
    #[serde(default)]
    #[validate(nested)]
    quarantine: Dir,
    #[serde(default)]
    #[validate(nested)]
    limits: crate::read::Limits,
    #[serde(default)]
    #[validate(nested)]
    serve: ServeSection,
}

/// `[serve]`: the portal (`clusterkpi serve`).
#[derive(Debug, Default, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
struct ServeSection {
    /// The file of cluster tokens (hashes only), managed with `clusterkpi tokens`.
    #[validate(custom(function = "not_empty"))]
    tokens: Option<PathBuf>,
    #[validate(range(min = 1, max = 1024))]
    upload_mb: Option<usize>,
    /// The one address whose `X-Forwarded-For` is believed: the reverse proxy's.
    trusted_proxy: Option<std::net::IpAddr>,
    /// Requests a minute allowed per token and per client address.
    #[validate(range(min = 1))]
    requests_per_minute: Option<u32>,
}

/// The portal's settings, resolved.
#[derive(Clone, Debug)]
pub struct ServeConfig {
    /// Where cluster tokens are kept; without it, submission is closed.
    pub tokens: Option<PathBuf>,
    pub upload_mb: usize,
    pub trusted_proxy: Option<std::net::IpAddr>,
    pub requests_per_minute: u32,
}

#[derive(Debug, Default, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
struct Dir {
    #[validate(custom(function = "not_empty"))]
    dir: Option<PathBuf>,
}

#[derive(Debug, Default, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
struct Reference {
    #[validate(custom(function = "not_empty"))]
    clusters: Option<PathBuf>,
    #[validate(custom(function = "not_empty"))]
    countries: Option<PathBuf>,
    #[validate(custom(function = "not_empty"))]
    currencies: Option<PathBuf>,
    #[validate(custom(function = "not_empty"))]
    fx_rates: Option<PathBuf>,
    #[validate(custom(function = "not_empty"))]
    gwp: Option<PathBuf>,
    gwp_set: Option<GwpSet>,
}

fn not_empty(p: &Path) -> Result<(), validator::ValidationError> {
    if p.as_os_str().is_empty() {
        Err(validator::ValidationError::new("empty").with_message("a path may not be empty".into()))
    } else {
        Ok(())
    }
}

/// Command-line values that win over the pipeline file.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub input: Option<PathBuf>,
    pub output: Option<PathBuf>,
    pub gwp_set: Option<GwpSet>,
}

/// One schema or reference file the run used: where it came from and its hash.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct SourceInfo {
    pub name: &'static str,
    /// The file, or `bundled` for the copy compiled into the binary.
    pub origin: String,
    pub sha256: String,
}

/// Everything a command needs, resolved.
#[derive(Debug)]
pub struct Plan {
    pub pipeline: Option<PathBuf>,
    pub input: PathBuf,
    pub output: PathBuf,
    /// Where a copy of each file a run reads goes, if anywhere.
    pub archive: Option<PathBuf>,
    /// Where unreadable files are copied, each with a report beside it, if anywhere.
    pub quarantine: Option<PathBuf>,
    pub schema: Arc<Schema>,
    pub sources: Vec<SourceInfo>,
    pub serve: ServeConfig,
}

#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error(
        "no pipeline was named and `{DEFAULT_PIPELINE}` is not in the working directory: name a pipeline file, give the folders with `{flags}`, or run from the project folder"
    )]
    NoDefault { flags: &'static str },
    #[error("cannot read the pipeline `{}`", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("pipeline `{}` is not valid: {message}", path.display())]
    Toml { path: PathBuf, message: String },
    #[error("pipeline `{}`: {problem}", path.display())]
    Invalid { path: PathBuf, problem: String },
    #[error("`{key}` names `{}`, which does not exist", path.display())]
    Missing { key: String, path: PathBuf },
    #[error("cannot read `{}` (named by `{key}`)", path.display())]
    ReadSource {
        key: String,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Schema(#[from] SchemaError),
}

/// The pipeline named, or the default one in the working directory; or none, when the flags
/// name every folder the command needs (`folders`: their spelling, and whether they were all
/// given), since every other key has a bundled default.
pub fn pipeline_path(named: Option<&Path>, folders: (&'static str, bool)) -> Result<Option<PathBuf>, PlanError> {
    match named {
        Some(p) => Ok(Some(p.to_path_buf())),
        None if Path::new(DEFAULT_PIPELINE).is_file() => Ok(Some(PathBuf::from(DEFAULT_PIPELINE))),
        None if folders.1 => Ok(None),
        None => Err(PlanError::NoDefault { flags: folders.0 }),
    }
}

/// Load a plan from a pipeline file (or none: all defaults) and the overrides.
pub fn load(pipeline: Option<&Path>, overrides: &Overrides) -> Result<Plan, PlanError> {
    let (file, base) = match pipeline {
        Some(path) => {
            let text =
                fs_err::read_to_string(path).map_err(|source| PlanError::Read { path: path.to_path_buf(), source })?;
            let file: PipelineFile = toml::from_str(&text).map_err(|e| PlanError::Toml {
                path: path.to_path_buf(),
                message: e.to_string().trim().replace('\n', " "),
            })?;
            file.validate().map_err(|e| PlanError::Invalid { path: path.to_path_buf(), problem: e.to_string() })?;
            let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
            (file, base)
        }
        None => (PipelineFile::default(), PathBuf::new()),
    };
    let resolve = |p: &Path| if p.is_absolute() { p.to_path_buf() } else { clean(&base.join(p)) };

    let input = overrides
        .input
        .clone()
        .or_else(|| file.input.dir.as_deref().map(resolve))
        .unwrap_or_else(|| "sample_data".into());
    let output =
        overrides.output.clone().or_else(|| file.output.dir.as_deref().map(resolve)).unwrap_or_else(|| "output".into());

    let bundled = Sources::bundled();
    let schema_dir = file.schema.dir.as_deref().map(resolve);
    if let Some(dir) = &schema_dir
        && !dir.is_dir()
    {
        return Err(PlanError::Missing { key: "schema.dir".into(), path: dir.clone() });
    }
    let r = &file.reference;
    let named = |key: &str, p: &Option<PathBuf>| p.as_deref().map(|p| (key.to_owned(), resolve(p)));
    let in_schema_dir = |name: &str| {
        schema_dir.as_ref().map(|d| d.join(name)).filter(|p| p.is_file()).map(|p| (format!("schema.dir/{name}"), p))
    };
    // (name, the file the pipeline names with the key naming it, the bundled copy)
    type Choice<'a> = (&'static str, Option<(String, PathBuf)>, Source<'a>);
    let chosen: [Choice<'_>; 10] = [
        ("clusters", named("reference.clusters", &r.clusters), bundled.clusters),
        ("countries", named("reference.countries", &r.countries), bundled.countries),
        ("currencies", named("reference.currencies", &r.currencies), bundled.currencies),
        ("fx_rates", named("reference.fx_rates", &r.fx_rates), bundled.fx),
        ("gwp", named("reference.gwp", &r.gwp), bundled.gwp),
        ("kpis", in_schema_dir("kpis.toml"), bundled.kpis),
        ("fields", in_schema_dir("fields.toml"), bundled.fields),
        ("units", in_schema_dir("units.toml"), bundled.units),
        ("layout", in_schema_dir("layout.toml"), bundled.layout),
        ("language", in_schema_dir("language.toml"), bundled.language),
    ];
    let mut texts: Vec<(String, String)> = Vec::with_capacity(chosen.len());
    let mut sources = Vec::with_capacity(chosen.len());
    for (name, file, (bundled_name, bundled_text)) in chosen {
        let (origin, text) = match file {
            Some((key, path)) => {
                if !path.is_file() {
                    return Err(PlanError::Missing { key, path });
                }
                let text = fs_err::read_to_string(&path).map_err(|source| PlanError::ReadSource {
                    key,
                    path: path.clone(),
                    source,
                })?;
                (path.display().to_string(), text)
            }
            None => (format!("bundled:{bundled_name}"), bundled_text.to_owned()),
        };
        sources.push(SourceInfo { name, origin: origin.clone(), sha256: sha256_hex(text.as_bytes()) });
        texts.push((origin, text));
    }
    let t = |i: usize| (texts[i].0.as_str(), texts[i].1.as_str());
    let mut schema = Schema::load(&Sources {
        clusters: t(0),
        countries: t(1),
        currencies: t(2),
        fx: t(3),
        gwp: t(4),
        kpis: t(5),
        fields: t(6),
        units: t(7),
        layout: t(8),
        language: t(9),
    })?;
    schema.gwp_set = overrides.gwp_set.or(r.gwp_set).unwrap_or_default();
    schema.limits = file.limits;
    let serve = ServeConfig {
        tokens: file.serve.tokens.as_deref().map(resolve),
        upload_mb: file.serve.upload_mb.unwrap_or(25),
        trusted_proxy: file.serve.trusted_proxy,
        requests_per_minute: file.serve.requests_per_minute.unwrap_or(60),
    };
    let archive = file.archive.dir.as_deref().map(resolve);
    let quarantine = file.quarantine.dir.as_deref().map(resolve);
    Ok(Plan {
        pipeline: pipeline.map(Path::to_path_buf),
        input,
        output,
        archive,
        quarantine,
        schema: Arc::new(schema),
        sources,
        serve,
    })
}

/// A path with `.` and `name/..` folded away lexically (`pipelines/../output` is `output`), so
/// messages show the path a person expects. A leading `..` stays.
fn clean(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir if matches!(out.components().next_back(), Some(Component::Normal(_))) => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    if out.as_os_str().is_empty() { PathBuf::from(".") } else { out }
}

/// Lower-case hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::clean;
    use std::path::Path;

    #[test]
    fn paths_are_cleaned_lexically() {
        assert_eq!(clean(Path::new("pipelines/../output")), Path::new("output"));
        assert_eq!(clean(Path::new("./a/./b/../c")), Path::new("a/c"));
        assert_eq!(clean(Path::new("../inbox/x")), Path::new("../inbox/x"));
        assert_eq!(clean(Path::new("/srv/kpi/../in")), Path::new("/srv/in"));
        assert_eq!(clean(Path::new("a/..")), Path::new("."));
    }
}
