//! Write: the typed output tables, as Parquet (zstd), under the output folder.
//!
//! Every table's columns are declared once, in [`tables`], with their type, nullability and
//! meaning; the same declaration builds the Arrow schema, checks each batch, and renders the
//! data dictionary in the README. Each file's footer carries the schema version, the run id and
//! the canonical unit of each KPI.

pub mod batches;
pub mod tables;

use tables::TableDef;

use std::path::{Path, PathBuf};

use arrow::array::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;

/// The version of the output schema; bumped when a column changes.
pub const SCHEMA_VERSION: &str = "2";

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("cannot create `{}`", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot build the `{table}` table")]
    Arrow {
        table: &'static str,
        #[source]
        source: arrow::error::ArrowError,
    },
    #[error("the `{table}` table's column `{column}` {problem}")]
    Column { table: &'static str, column: String, problem: &'static str },
    #[error("the `{table}` table {problem}")]
    Published { table: &'static str, problem: String },
    #[error("cannot write `{}` as Parquet", path.display())]
    Parquet {
        path: PathBuf,
        #[source]
        source: parquet::errors::ParquetError,
    },
}

/// Footer metadata shared by every file of a run.
#[derive(Clone, Debug)]
pub struct Footer {
    pub run_id: String,
    /// `{"kpi": "canonical unit", …}` as JSON.
    pub value_units: String,
}

impl Footer {
    fn key_values(&self, table: &str) -> Vec<KeyValue> {
        vec![
            KeyValue::new("clusterkpi.schema_version".to_owned(), SCHEMA_VERSION.to_owned()),
            KeyValue::new("clusterkpi.table".to_owned(), table.to_owned()),
            KeyValue::new("clusterkpi.run_id".to_owned(), self.run_id.clone()),
            KeyValue::new("clusterkpi.value_units".to_owned(), self.value_units.clone()),
            KeyValue::new("clusterkpi.version".to_owned(), env!("CARGO_PKG_VERSION").to_owned()),
        ]
    }
}

/// Write the table `def` as a Parquet file at `path` (its folder is created), from its batches one
/// after the other: a large table is written a piece at a time, never copied whole into one.
pub fn write_parquet(path: &Path, def: &TableDef, batches: &[RecordBatch], footer: &Footer) -> Result<(), WriteError> {
    let table = def.name;
    crate::fault::fail(&format!("write:{table}"))
        .map_err(|source| WriteError::Io { path: path.to_path_buf(), source })?;
    if let Some(dir) = path.parent() {
        fs_err::create_dir_all(dir).map_err(|source| WriteError::Io { path: dir.to_path_buf(), source })?;
    }
    let file = fs_err::File::create(path).map_err(|source| WriteError::Io { path: path.to_path_buf(), source })?;
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::default()))
        .set_dictionary_enabled(true)
        .set_key_value_metadata(Some(footer.key_values(table)))
        .build();
    let parquet_err = |source| WriteError::Parquet { path: path.to_path_buf(), source };
    let mut writer = ArrowWriter::try_new(file, def.schema(), Some(props)).map_err(parquet_err)?;
    for batch in batches {
        writer.write(batch).map_err(parquet_err)?;
    }
    let file = writer.into_inner().map_err(parquet_err)?;
    file.sync_all().map_err(|source| WriteError::Io { path: path.to_path_buf(), source })?;
    crate::fault::pause(&format!("write:{table}"));
    Ok(())
}

/// Read back a table this crate wrote at `path`, as one batch: refused, with the problem in
/// words, when it cannot be read or its columns are not the ones `def` declares.
pub fn read_parquet(path: &Path, def: &TableDef) -> Result<RecordBatch, String> {
    use arrow::array::RecordBatchReader;
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    let file = fs_err::File::open(path).map_err(|e| format!("unreadable ({e})"))?;
    let damaged = |e: &dyn std::fmt::Display| format!("damaged ({e})");
    let reader = ParquetRecordBatchReaderBuilder::try_new(file.into_parts().0)
        .and_then(|b| b.with_batch_size(64 * 1024).build())
        .map_err(|e| damaged(&e))?;
    let declared = def.schema();
    let found = reader.schema();
    let same = found.fields().len() == declared.fields().len()
        && found
            .fields()
            .iter()
            .zip(declared.fields())
            .all(|(f, d)| f.name() == d.name() && f.data_type() == d.data_type());
    if !same {
        return Err(format!("not the `{}` table of this version of clusterkpi", def.name));
    }
    let batches = reader.collect::<Result<Vec<_>, _>>().map_err(|e| damaged(&e))?;
    arrow::compute::concat_batches(&declared, &batches).map_err(|e| damaged(&e))
}
