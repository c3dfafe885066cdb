//! Reading a finished run's headline back from its outputs, for `clusterkpi summary`.

use std::path::{Path, PathBuf};

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Float64Type, Int64Type};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use super::Stats;
use crate::write::tables::KPI_TOTALS;

#[derive(Debug, thiserror::Error)]
pub enum ReadBackError {
    #[error("`{}` holds no finished run (no `{}`)", dir.display(), KPI_TOTALS.path)]
    NoRun { dir: PathBuf },
    #[error("cannot read `{}`", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("`{}` is not a readable Parquet file", path.display())]
    Parquet {
        path: PathBuf,
        #[source]
        source: parquet::errors::ParquetError,
    },
    #[error("`{}` does not have the columns of `{}`", path.display(), KPI_TOTALS.name)]
    Shape { path: PathBuf },
}

/// The headline rows of the run published under `output`.
pub fn headline(output: &Path) -> Result<Vec<Stats>, ReadBackError> {
    let published = crate::store::Store::new(output).current();
    let path = if published.exists() { published } else { output.to_path_buf() }.join(KPI_TOTALS.path);
    if !path.is_file() {
        return Err(ReadBackError::NoRun { dir: output.to_path_buf() });
    }
    let file = fs_err::File::open(&path).map_err(|source| ReadBackError::Io { path: path.clone(), source })?;
    let parquet = |source| ReadBackError::Parquet { path: path.clone(), source };
    let reader =
        ParquetRecordBatchReaderBuilder::try_new(file.into_parts().0).map_err(parquet)?.build().map_err(parquet)?;
    let mut out = Vec::new();
    for batch in reader {
        let batch = batch.map_err(|e| ReadBackError::Parquet { path: path.clone(), source: e.into() })?;
        out.extend(rows(&batch).ok_or_else(|| ReadBackError::Shape { path: path.clone() })?);
    }
    Ok(out)
}

fn rows(batch: &RecordBatch) -> Option<Vec<Stats>> {
    let text = |name: &str| -> Option<Vec<Option<String>>> {
        let column = cast(batch.column_by_name(name)?, &DataType::Utf8).ok()?;
        let a = column.as_string_opt::<i32>()?;
        Some((0..a.len()).map(|i| a.is_valid(i).then(|| a.value(i).to_owned())).collect())
    };
    let float = |name: &str| -> Option<Vec<f64>> {
        Some(batch.column_by_name(name)?.as_primitive_opt::<Float64Type>()?.values().to_vec())
    };
    let (kpi, scope, unit) = (text("kpi")?, text("scope")?, text("unit")?);
    let clusters = batch.column_by_name("clusters")?.as_primitive_opt::<Int64Type>()?.values().to_vec();
    let (total, min, median, max) = (float("total")?, float("min")?, float("median")?, float("max")?);
    Some(
        (0..batch.num_rows())
            .map(|i| Stats {
                kpi: kpi[i].clone().unwrap_or_default(),
                scope: scope[i].clone(),
                unit: unit[i].clone().unwrap_or_default(),
                by: None,
                clusters: clusters[i],
                total: total[i],
                min: min[i],
                median: median[i],
                max: max[i],
            })
            .collect(),
    )
}
