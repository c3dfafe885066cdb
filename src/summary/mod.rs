//! Summary: the headline statistics of a run, computed with polars from the observations just
//! written.
//!
//! A cluster's value for a (year, KPI, scope, unit) is its cluster total when it gives one, and
//! otherwise the sum of its facility rows; likewise a total wins over per-gas rows, which are
//! otherwise summed (they are all CO2e). Each cluster then counts with its value at its latest
//! reported year. Statistics are per (KPI, scope, unit): different KPIs, and headcount and
//! FTE, are never added together.
//!
//! Every sum is taken over its values in ascending order, so the same inputs give the same
//! bits whatever order parallel stages delivered the rows in.

pub mod batches;
pub mod read;

use std::collections::BTreeMap;

use polars::prelude::*;

use rustc_hash::FxHashMap;

use crate::validate::{KeyRef, SeriesKey, Total};

/// Statistics of one group of cluster values.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Stats {
    pub kpi: String,
    pub scope: Option<String>,
    pub unit: String,
    /// The country or region, for breakdowns.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    pub clusters: i64,
    pub total: f64,
    pub min: f64,
    pub median: f64,
    pub max: f64,
}

/// The latest year one cluster reported one KPI.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Coverage {
    pub cluster_id: String,
    pub kpi: String,
    pub latest_year: i32,
    pub years: i32,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Summary {
    pub kpi_totals: Vec<Stats>,
    pub by_country: Vec<Stats>,
    pub by_region: Vec<Stats>,
    pub coverage: Vec<Coverage>,
}

/// A current observation as the summary reads it: its key, its scope as written, its value in
/// the canonical unit, and its country.
pub struct Row<'a> {
    pub key: &'a SeriesKey,
    pub scope: Option<&'a str>,
    pub country: &'a str,
    pub unit: &'a str,
    pub value: f64,
}

#[derive(Debug, thiserror::Error)]
#[error("cannot compute the summary")]
pub struct SummaryError(#[source] PolarsError);

impl From<PolarsError> for SummaryError {
    fn from(e: PolarsError) -> Self {
        SummaryError(e)
    }
}

/// The summary of `rows`, read once (a run's million rows are never held as rows); its sums do
/// not depend on the rows' order. `region` gives a cluster's region (looked up once a cluster).
pub fn compute<'a>(
    rows: impl IntoIterator<Item = Row<'a>>,
    region: impl Fn(&str) -> &'a str,
) -> Result<Summary, SummaryError> {
    let values = cluster_values(rows, region);
    let df = df!(
        "cluster_id" => values.iter().map(|v| v.cluster).collect::<Vec<_>>(),
        "country" => values.iter().map(|v| v.country).collect::<Vec<_>>(),
        "region" => values.iter().map(|v| v.region).collect::<Vec<_>>(),
        "kpi" => values.iter().map(|v| v.kpi).collect::<Vec<_>>(),
        "scope" => values.iter().map(|v| v.scope).collect::<Vec<_>>(),
        "unit" => values.iter().map(|v| v.unit).collect::<Vec<_>>(),
        "year" => values.iter().map(|v| v.year).collect::<Vec<_>>(),
        "value" => values.iter().map(|v| v.value).collect::<Vec<_>>(),
    )?;
    let series = ["cluster_id", "country", "region", "kpi", "scope", "unit"];
    let with = |keys: &[&str]| -> Vec<Expr> { keys.iter().map(|k| col(*k)).collect() };

    // Each cluster's value at its latest reported year: worked out once, for every breakdown.
    let latest = df
        .lazy()
        .group_by_stable(with(&series))
        .agg([col("value").filter(col("year").eq(col("year").max())).first().alias("value")])
        .collect()?;

    let stats = |by: Option<&str>| -> Result<Vec<Stats>, SummaryError> {
        let mut keys = vec!["kpi", "scope", "unit"];
        keys.extend(by);
        let out = latest
            .clone()
            .lazy()
            .group_by_stable(with(&keys))
            .agg([
                col("value").len().cast(DataType::Int64).alias("clusters"),
                // The values themselves, sorted: their total is added up below in that order,
                // so it does not depend on how parallel stages ordered the rows.
                col("value").sort(SortOptions::default()).alias("values"),
                col("value").min().alias("min"),
                col("value").median().alias("median"),
                col("value").max().alias("max"),
            ])
            .sort(keys.clone(), SortMultipleOptions::default().with_nulls_last(false))
            .collect()?;
        let text = |name: &str| -> Result<Vec<Option<String>>, SummaryError> {
            Ok(out.column(name)?.str()?.iter().map(|v| v.map(str::to_owned)).collect())
        };
        let float = |name: &str| -> Result<Vec<f64>, SummaryError> {
            Ok(out.column(name)?.f64()?.iter().map(|v| v.unwrap_or(f64::NAN)).collect())
        };
        let (kpi, scope, unit) = (text("kpi")?, text("scope")?, text("unit")?);
        let by_values = match by {
            Some(b) => text(b)?,
            None => vec![None; out.height()],
        };
        let clusters: Vec<i64> = out.column("clusters")?.i64()?.iter().map(|v| v.unwrap_or(0)).collect();
        let (min, median, max) = (float("min")?, float("median")?, float("max")?);
        let lists = out.column("values")?.list()?;
        let total: Vec<f64> = (0..out.height())
            .map(|i| {
                let values = lists.get_as_series(i);
                values.and_then(|s| s.f64().ok().map(|v| v.iter().flatten().sum())).unwrap_or(f64::NAN)
            })
            .collect();
        Ok((0..out.height())
            .map(|i| Stats {
                kpi: kpi[i].clone().unwrap_or_default(),
                scope: scope[i].clone(),
                unit: unit[i].clone().unwrap_or_default(),
                by: by_values[i].clone(),
                clusters: clusters[i],
                total: total[i],
                min: min[i],
                median: median[i],
                max: max[i],
            })
            .collect())
    };

    // The years each cluster reported each KPI in: every row's (cluster, KPI, year) is one of
    // a cluster value's, so the few values stand for the many rows.
    let df = df!(
        "cluster_id" => values.iter().map(|v| v.cluster).collect::<Vec<_>>(),
        "kpi" => values.iter().map(|v| v.kpi).collect::<Vec<_>>(),
        "year" => values.iter().map(|v| v.year).collect::<Vec<_>>(),
    )?;
    let coverage = df
        .lazy()
        .group_by_stable([col("cluster_id"), col("kpi")])
        .agg([col("year").max().alias("latest_year"), col("year").n_unique().cast(DataType::Int32).alias("years")])
        .sort(["cluster_id", "kpi"], SortMultipleOptions::default())
        .collect()?;
    let ids = coverage.column("cluster_id")?.str()?;
    let kpis = coverage.column("kpi")?.str()?;
    let latest_year = coverage.column("latest_year")?.i32()?;
    let years = coverage.column("years")?.i32()?;
    let coverage = (0..coverage.height())
        .map(|i| Coverage {
            cluster_id: ids.get(i).unwrap_or_default().to_owned(),
            kpi: kpis.get(i).unwrap_or_default().to_owned(),
            latest_year: latest_year.get(i).unwrap_or_default(),
            years: years.get(i).unwrap_or_default(),
        })
        .collect();

    Ok(Summary {
        kpi_totals: stats(None)?,
        by_country: stats(Some("country"))?,
        by_region: stats(Some("region"))?,
        coverage,
    })
}

/// A cluster's value for one series and year.
struct ClusterValue<'a> {
    cluster: &'a str,
    country: &'a str,
    region: &'a str,
    kpi: &'a str,
    /// The scope as written: of the spellings of one scope, the first in byte order.
    scope: Option<&'a str>,
    unit: &'a str,
    year: i32,
    value: f64,
}

/// Each cluster's value per (series, year): its total where it gives one, otherwise the sum of
/// its facility rows; likewise a total over its per-gas rows. Rows are grouped by their
/// [`SeriesKey`], so spellings of one facility, scope or gas are one. Sums are taken over the
/// values sorted, so they are the same whatever order the rows came in. No row is left out:
/// each (cluster, KPI, year) of the rows is one of the values' (the coverage is counted from
/// them).
fn cluster_values<'a>(
    rows: impl IntoIterator<Item = Row<'a>>,
    region: impl Fn(&str) -> &'a str,
) -> Vec<ClusterValue<'a>> {
    type Parts = (Option<f64>, Vec<f64>);
    let resolve = |(whole, mut parts): Parts| -> Option<f64> {
        whole.or_else(|| {
            parts.sort_by(f64::total_cmp);
            (!parts.is_empty()).then(|| parts.iter().sum())
        })
    };
    // Each cluster's country: its last row's (a cluster has one).
    let mut places: FxHashMap<&'a str, &'a str> = FxHashMap::default();
    let mut spellings: FxHashMap<(&'a str, &'a str), &'a str> = FxHashMap::default();
    // Facilities roll up into their cluster total per gas … (in any order: every sum is taken
    // over its parts sorted, and a total is the largest of its rows)
    let mut by_gas: FxHashMap<(Total<'a>, &'a str), Parts> = FxHashMap::default();
    for r in rows {
        let key = r.key.by_ref();
        places.insert(key.cluster, r.country);
        if let (Some(scope), Some(normal)) = (r.scope, key.scope) {
            let spelling = spellings.entry((key.kpi, normal)).or_insert(scope);
            *spelling = (*spelling).min(scope);
        }
        let facility = key.facility.is_some();
        let entry = by_gas.entry((r.key.total(), r.unit)).or_default();
        if facility {
            entry.1.push(r.value);
        } else {
            entry.0 = Some(entry.0.map_or(r.value, |v: f64| v.max(r.value)));
        }
    }
    // … and gases into the cluster's figure for the year.
    let mut by_year: BTreeMap<(KeyRef<'a>, &'a str), Parts> = BTreeMap::new();
    for ((total, unit), parts) in by_gas {
        let key = total.by_ref();
        let Some(v) = resolve(parts) else { continue };
        let gas = key.gas.is_some();
        let entry = by_year.entry((key.all_gases(), unit)).or_default();
        if gas {
            entry.1.push(v);
        } else {
            entry.0 = Some(v);
        }
    }
    by_year
        .into_iter()
        .filter_map(|((key, unit), parts)| {
            let value = resolve(parts)?;
            let country = *places.get(key.cluster)?;
            let region = region(key.cluster);
            let scope = key.scope.and_then(|normal| spellings.get(&(key.kpi, normal)).copied());
            Some(ClusterValue {
                country,
                region,
                scope,
                unit,
                year: key.year,
                value,
                cluster: key.cluster,
                kpi: key.kpi,
            })
        })
        .collect()
}
