//! Summary: the headline statistics of a run, computed with polars from the observations just
//! written.
//!
//! A cluster's value for a (year, KPI, scope, unit) is its cluster total when it gives one, and
//! otherwise the sum of its facility rows; likewise a total wins over per-gas rows, which are
//! otherwise summed (they are all CO2e). Each cluster then counts with its value at its latest
//! reported year. Statistics are per (KPI, scope, unit): different KPIs, and headcount and
//! FTE, are never added together.

pub mod read;

use polars::prelude::*;

use crate::validate::Observation;

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

/// An observation with the registry facts the breakdowns need.
pub struct Row<'a> {
    pub obs: &'a Observation,
    pub region: &'a str,
}

#[derive(Debug, thiserror::Error)]
#[error("cannot compute the summary")]
pub struct SummaryError(#[source] PolarsError);

impl From<PolarsError> for SummaryError {
    fn from(e: PolarsError) -> Self {
        SummaryError(e)
    }
}

pub fn compute(rows: &[Row<'_>]) -> Result<Summary, SummaryError> {
    let o = |f: fn(&Observation) -> Option<&str>| rows.iter().map(|r| f(r.obs)).collect::<Vec<_>>();
    let df = df!(
        "cluster_id" => o(|o| Some(o.cluster_id.as_str())),
        "country" => o(|o| Some(o.country.as_str())),
        "region" => rows.iter().map(|r| r.region).collect::<Vec<_>>(),
        "year" => rows.iter().map(|r| r.obs.year).collect::<Vec<_>>(),
        "kpi" => o(|o| Some(o.kpi.as_str())),
        "scope" => o(|o| o.scope.as_deref()),
        "gas" => o(|o| o.gas.as_deref()),
        "facility" => o(|o| o.facility.as_deref()),
        "unit" => o(|o| Some(o.unit.as_str())),
        "value" => rows.iter().map(|r| r.obs.value).collect::<Vec<_>>(),
    )?;

    let cluster = ["cluster_id", "country", "region"];
    let series = [&cluster[..], &["kpi", "scope", "unit"]].concat();
    let with = |keys: &[&str], extra: &[&str]| -> Vec<Expr> { keys.iter().chain(extra).map(|k| col(*k)).collect() };

    // Facilities add up to their cluster, unless the cluster gives its own total.
    let per_gas = rollup(df.clone().lazy(), with(&series, &["year", "gas"]), "facility");
    // Gases add up to the cluster's CO2e, unless the cluster gives its own total.
    let per_cluster = rollup(per_gas, with(&series, &["year"]), "gas");
    // Each cluster's value at its latest reported year.
    let latest = per_cluster
        .group_by_stable(with(&series, &[]))
        .agg([col("value").filter(col("year").eq(col("year").max())).first().alias("value")]);

    let stats = |by: Option<&str>| -> Result<Vec<Stats>, SummaryError> {
        let mut keys = vec!["kpi", "scope", "unit"];
        keys.extend(by);
        let out = latest
            .clone()
            .group_by_stable(with(&keys, &[]))
            .agg([
                col("value").len().cast(DataType::Int64).alias("clusters"),
                col("value").sum().alias("total"),
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
        let (total, min, median, max) = (float("total")?, float("min")?, float("median")?, float("max")?);
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

/// Collapse the `part` column (facility, gas): per group, the row without a part (the total)
/// wins; without one, the parts are summed.
fn rollup(lf: LazyFrame, keys: Vec<Expr>, part: &str) -> LazyFrame {
    let whole = col(part).is_null();
    lf.group_by_stable(keys)
        .agg([
            col("value").filter(whole.clone()).first().alias("whole"),
            col("value").filter(whole.clone().not()).sum().alias("parts"),
            whole.not().sum().alias("n_parts"),
        ])
        .with_columns([when(col("whole").is_not_null())
            .then(col("whole"))
            .otherwise(when(col("n_parts").gt(lit(0))).then(col("parts")).otherwise(lit(NULL)))
            .alias("value")])
        .filter(col("value").is_not_null())
}
