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
use std::sync::Arc;

use arrow::array::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use parquet::schema::types::ColumnPath;

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
/// after the other: a large table is written a piece at a time, never copied whole into one, and
/// its columns are encoded each on a core. The bytes are those of an `ArrowWriter` given the
/// same batches (the same row groups, and each column's writer given the same pieces).
pub fn write_parquet(path: &Path, def: &TableDef, batches: &[RecordBatch], footer: &Footer) -> Result<(), WriteError> {
    let mut table = TableWriter::create(path, def, footer)?;
    table.push(batches)?;
    table.finish()
}

/// A table being written a few batches at a time, as [`write_parquet`] writes them all: once
/// [`TableWriter::push`] returns, its batches can be dropped; only the open row group's encoded
/// columns are held. The bytes are those of `write_parquet` given every batch pushed, in order.
pub struct TableWriter<'d> {
    path: PathBuf,
    def: &'d TableDef,
    schema: arrow::datatypes::SchemaRef,
    out: parquet::file::writer::SerializedFileWriter<fs_err::File>,
    columns: parquet::arrow::arrow_writer::ArrowRowGroupWriterFactory,
    /// Rows in a full row group.
    group_rows: usize,
    /// The open row group: its column writers, and how many rows it still has room for.
    open: Option<(Vec<parquet::arrow::arrow_writer::ArrowColumnWriter>, usize)>,
    /// Row groups closed.
    closed: usize,
}

impl<'d> TableWriter<'d> {
    /// The file of table `def` at `path`, created (and its folder), with no rows yet.
    pub fn create(path: &Path, def: &'d TableDef, footer: &Footer) -> Result<Self, WriteError> {
        let file = create(path, def)?;
        let (schema, props) = (def.schema(), properties(def, footer));
        let group_rows = props.max_row_group_row_count().unwrap_or(usize::MAX).max(1);
        let parquet_err = |source| WriteError::Parquet { path: path.to_path_buf(), source };
        let writer = ArrowWriter::try_new(file, Arc::clone(&schema), Some(props)).map_err(parquet_err)?;
        let (out, columns) = writer.into_serialized_writer().map_err(parquet_err)?;
        Ok(TableWriter { path: path.to_path_buf(), def, schema, out, columns, group_rows, open: None, closed: 0 })
    }

    fn parquet_err(&self) -> impl Fn(parquet::errors::ParquetError) -> WriteError + use<> {
        let path = self.path.clone();
        move |source| WriteError::Parquet { path: path.clone(), source }
    }

    /// Append `batches`, in order: each column is encoded on a core, the row groups filled as
    /// they come (a row group closed when full).
    pub fn push(&mut self, batches: &[RecordBatch]) -> Result<(), WriteError> {
        let parquet_err = self.parquet_err();
        // The slices of the batches that go into the open row group, then into the next ones.
        let mut slices: Vec<RecordBatch> = Vec::new();
        for batch in batches {
            let mut at = 0;
            while at < batch.num_rows() {
                let room = match &self.open {
                    Some((_, room)) => *room,
                    None => {
                        let writers = self.columns.create_column_writers(self.closed).map_err(&parquet_err)?;
                        self.open = Some((writers, self.group_rows));
                        self.group_rows
                    }
                };
                let take = room.min(batch.num_rows() - at);
                slices.push(batch.slice(at, take));
                at += take;
                if let Some((_, room)) = &mut self.open {
                    *room -= take;
                }
                if room == take {
                    self.encode(&std::mem::take(&mut slices))?;
                    self.close_group()?;
                }
            }
        }
        self.encode(&slices)
    }

    /// Give the open row group's column writers `slices`, each column on a core.
    fn encode(&mut self, slices: &[RecordBatch]) -> Result<(), WriteError> {
        let parquet_err = self.parquet_err();
        let (Some((writers, _)), false) = (&mut self.open, slices.is_empty()) else { return Ok(()) };
        let pieces = |c: usize| slices.iter().map(|slice| Arc::clone(slice.column(c))).collect();
        write_columns(writers, self.schema.fields(), pieces).map_err(parquet_err)
    }

    /// Close the open row group: its columns, encoded, written to the file.
    fn close_group(&mut self) -> Result<(), WriteError> {
        let parquet_err = self.parquet_err();
        let Some((writers, _)) = self.open.take() else { return Ok(()) };
        let mut group = self.out.next_row_group().map_err(&parquet_err)?;
        append_columns(&mut group, writers).map_err(&parquet_err)?;
        group.close().map_err(&parquet_err)?;
        self.closed += 1;
        Ok(())
    }

    /// Close the last row group and the file, and sync it to disk.
    pub fn finish(mut self) -> Result<(), WriteError> {
        self.close_group()?;
        let parquet_err = self.parquet_err();
        let file = self.out.into_inner().map_err(parquet_err)?;
        finish(&self.path, self.def, &file)
    }
}

/// Give the writer of field `c` of a row group the pieces `pieces(c)`, in order, each column
/// on a core. Each field is one leaf column (flat, or a list of texts).
fn write_columns(
    writers: &mut [parquet::arrow::arrow_writer::ArrowColumnWriter],
    fields: &[arrow::datatypes::FieldRef],
    pieces: impl Fn(usize) -> Vec<arrow::array::ArrayRef> + Sync,
) -> parquet::errors::Result<()> {
    use parquet::arrow::arrow_writer::compute_leaves;
    use rayon::prelude::*;
    if writers.len() != fields.len() {
        let problem = format!("{} column writers for {} fields", writers.len(), fields.len());
        return Err(parquet::errors::ParquetError::General(problem));
    }
    writers.par_iter_mut().enumerate().try_for_each(|(c, writer)| {
        for piece in pieces(c) {
            for leaf in compute_leaves(&fields[c], &piece)? {
                writer.write(&leaf)?;
            }
        }
        Ok(())
    })
}

/// Close a row group's column writers (each on a core) and append their columns to `group`,
/// in order.
fn append_columns<W: std::io::Write + Send>(
    group: &mut parquet::file::writer::SerializedRowGroupWriter<'_, W>,
    writers: Vec<parquet::arrow::arrow_writer::ArrowColumnWriter>,
) -> parquet::errors::Result<()> {
    use rayon::prelude::*;
    let chunks = writers.into_par_iter().map(|w| w.close()).collect::<parquet::errors::Result<Vec<_>>>()?;
    chunks.into_iter().try_for_each(|chunk| chunk.append_to_row_group(group))
}

/// Write the table `def` as a Parquet file at `path` whose first columns are those of the file
/// `base` (a table [`write_parquet`] wrote, of the same rows): their column chunks are copied as
/// they are, already encoded, and only the columns after them are encoded, from `rest` (one
/// array of all the rows for each). The file has `base`'s row groups.
pub fn write_parquet_extending(
    path: &Path,
    def: &TableDef,
    base: &Path,
    rest: &[arrow::array::ArrayRef],
    footer: &Footer,
) -> Result<(), WriteError> {
    use parquet::column::writer::ColumnCloseResult;
    use parquet::file::metadata::{PageIndexPolicy, ParquetMetaDataReader};
    let file = create(path, def)?;
    let parquet_err = |source| WriteError::Parquet { path: path.to_path_buf(), source };
    let schema = def.schema();
    let writer = ArrowWriter::try_new(file, Arc::clone(&schema), Some(properties(def, footer))).map_err(parquet_err)?;
    let (mut out, columns) = writer.into_serialized_writer().map_err(parquet_err)?;
    let base_err = |source| WriteError::Parquet { path: base.to_path_buf(), source };
    let source = fs_err::File::open(base).map_err(|source| WriteError::Io { path: base.to_path_buf(), source })?;
    let source = source.into_parts().0;
    let meta = ParquetMetaDataReader::new()
        .with_page_index_policy(PageIndexPolicy::Optional)
        .parse_and_finish(&source)
        .map_err(base_err)?;
    let copied = meta.file_metadata().schema_descr().num_columns();
    let fields = &schema.fields()[copied.min(schema.fields().len())..];
    if fields.len() != rest.len() {
        let problem =
            format!("has {} columns after those of `{}`, but {} were given", fields.len(), base.display(), rest.len());
        return Err(WriteError::Published { table: def.name, problem });
    }
    let index = meta.page_index();
    let mut start = 0;
    for (g, group) in meta.row_groups().iter().enumerate() {
        let rows = usize::try_from(group.num_rows()).unwrap_or(0);
        let mut into = out.next_row_group().map_err(parquet_err)?;
        for (c, chunk) in group.columns().iter().enumerate() {
            let close = ColumnCloseResult {
                bytes_written: u64::try_from(chunk.compressed_size()).unwrap_or(0),
                rows_written: rows as u64,
                metadata: chunk.clone(),
                bloom_filter: None,
                column_index: index.and_then(|i| i.column_index(g, c)).cloned(),
                offset_index: index.and_then(|i| i.offset_index(g, c)).cloned(),
            };
            into.append_column(&source, close).map_err(parquet_err)?;
        }
        let mut writers: Vec<_> =
            columns.create_column_writers(g).map_err(parquet_err)?.into_iter().skip(copied).collect();
        write_columns(&mut writers, fields, |c| vec![rest[c].slice(start, rows)]).map_err(parquet_err)?;
        append_columns(&mut into, writers).map_err(parquet_err)?;
        into.close().map_err(parquet_err)?;
        start += rows;
    }
    let file = out.into_inner().map_err(parquet_err)?;
    finish(path, def, &file)
}

/// The file of table `def` at `path`, created (and its folder).
fn create(path: &Path, def: &TableDef) -> Result<fs_err::File, WriteError> {
    crate::fault::fail(&format!("write:{}", def.name))
        .map_err(|source| WriteError::Io { path: path.to_path_buf(), source })?;
    if let Some(dir) = path.parent() {
        fs_err::create_dir_all(dir).map_err(|source| WriteError::Io { path: dir.to_path_buf(), source })?;
    }
    fs_err::File::create(path).map_err(|source| WriteError::Io { path: path.to_path_buf(), source })
}

/// How every table is written: zstd, dictionaries (but for its plain columns,
/// [`tables::Column::plain`]), and the footer's metadata.
fn properties(def: &TableDef, footer: &Footer) -> WriterProperties {
    let builder = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::default()))
        .set_dictionary_enabled(true)
        .set_key_value_metadata(Some(footer.key_values(def.name)));
    def.columns
        .iter()
        .filter(|c| c.plain)
        .fold(builder, |b, c| b.set_column_dictionary_enabled(ColumnPath::from(c.name), false))
        .build()
}

/// A file written whole: synced to disk.
fn finish(path: &Path, def: &TableDef, file: &fs_err::File) -> Result<(), WriteError> {
    file.sync_all().map_err(|source| WriteError::Io { path: path.to_path_buf(), source })?;
    crate::fault::pause(&format!("write:{}", def.name));
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

#[cfg(test)]
mod tests {
    use super::tables::{Column, Kind, TableDef, category, text};
    use super::*;
    use arrow::array::{ArrayRef, AsArray, Int64Array};
    use arrow::datatypes::{Int32Type, Int64Type};

    /// The columns of the table extended, then the two it is extended by.
    const COLUMNS: &[Column] = &[
        Column { name: "id", kind: Kind::Int64, nullable: false, doc: "", plain: false },
        Column { name: "label", kind: Kind::Category, nullable: true, doc: "", plain: false },
        Column { name: "note", kind: Kind::Text, nullable: true, doc: "", plain: false },
        Column { name: "twice", kind: Kind::Int64, nullable: false, doc: "", plain: false },
        Column { name: "parity", kind: Kind::Category, nullable: true, doc: "", plain: false },
    ];
    const BASE: TableDef = TableDef { name: "base", path: "base.parquet", doc: "", columns: COLUMNS.split_at(3).0 };
    const EXTENDED: TableDef = TableDef { name: "extended", path: "extended.parquet", doc: "", columns: COLUMNS };

    /// A table extended from a file of several row groups reads back as the base's columns
    /// and the rest, row for row, each row group with its own rows of the rest; its footer is
    /// its own, and the copied columns keep their page index.
    #[test]
    fn an_extended_table_is_its_base_and_the_rest_row_for_row() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let n = 1000;
        let label = |i: i64| (i % 7 != 0).then(|| ["a", "b", "c"][(i % 3) as usize]);
        let note = |i: i64| (i % 5 == 0).then(|| format!("row {i}"));
        let ids: Vec<i64> = (0..n).collect();
        let notes: Vec<Option<String>> = ids.iter().map(|&i| note(i)).collect();
        let base = RecordBatch::try_new(
            BASE.schema(),
            vec![
                Arc::new(Int64Array::from(ids.clone())) as ArrayRef,
                category(ids.iter().map(|&i| label(i))),
                text(notes.iter().map(Option::as_deref)),
            ],
        )
        .expect("a batch of the base table");
        // Row groups of 300 rows: 300, 300, 300, 100.
        let base_path = dir.path().join(BASE.path);
        let props = WriterProperties::builder().set_max_row_group_row_count(Some(300)).build();
        let mut writer = ArrowWriter::try_new(std::fs::File::create(&base_path).unwrap(), BASE.schema(), Some(props))
            .expect("a writer");
        writer.write(&base).expect("written");
        writer.close().expect("closed");
        let rest: Vec<ArrayRef> = vec![
            Arc::new(Int64Array::from(ids.iter().map(|i| 2 * i).collect::<Vec<_>>())),
            category(ids.iter().map(|i| (i % 2 == 1).then_some("odd"))),
        ];
        let footer = Footer { run_id: "r".into(), value_units: "{}".into() };
        let path = dir.path().join(EXTENDED.path);
        write_parquet_extending(&path, &EXTENDED, &base_path, &rest, &footer).expect("extended");

        let read = read_parquet(&path, &EXTENDED).expect("the extended table reads back");
        assert_eq!(read.num_rows(), n as usize);
        let expected = RecordBatch::try_new(
            EXTENDED.schema(),
            base.columns().iter().cloned().chain(rest.iter().cloned()).collect(),
        )
        .unwrap();
        for (c, column) in EXTENDED.columns.iter().enumerate() {
            let (got, want) = (read.column(c), expected.column(c));
            let strings = |a: &ArrayRef| -> Vec<Option<String>> {
                match a.as_dictionary_opt::<Int32Type>() {
                    Some(d) => {
                        let values = d.values().as_string::<i32>();
                        d.keys().iter().map(|k| k.map(|k| values.value(k as usize).to_owned())).collect()
                    }
                    None => match a.as_primitive_opt::<Int64Type>() {
                        Some(p) => p.iter().map(|v| v.map(|v| v.to_string())).collect(),
                        None => a.as_string::<i32>().iter().map(|v| v.map(str::to_owned)).collect(),
                    },
                }
            };
            assert_eq!(strings(got), strings(want), "column {}", column.name);
        }
        let meta = footer_of(&path);
        assert_eq!(meta.row_groups().iter().map(|g| g.num_rows()).collect::<Vec<_>>(), [300, 300, 300, 100]);
        let kv = meta.file_metadata().key_value_metadata().expect("a footer");
        assert!(kv.iter().any(|k| k.key == "clusterkpi.table" && k.value.as_deref() == Some("extended")));
        let index = meta.page_index().expect("a page index");
        assert!((0..4).all(|g| (0..5).all(|c| index.offset_index(g, c).is_some())));
    }

    /// A table written a column on each core is, byte for byte, the file an `ArrowWriter` writes
    /// from the same batches.
    #[test]
    fn a_table_written_column_by_column_is_the_arrow_writers_file() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let footer = Footer { run_id: "r".into(), value_units: "{}".into() };
        let piece = |from: i64, n: i64| {
            let ids: Vec<i64> = (from..from + n).collect();
            let notes: Vec<Option<String>> = ids.iter().map(|i| (i % 3 == 0).then(|| format!("note {i}"))).collect();
            RecordBatch::try_new(
                BASE.schema(),
                vec![
                    Arc::new(Int64Array::from(ids.clone())) as ArrayRef,
                    category(ids.iter().map(|i| (i % 4 != 0).then_some(if i % 2 == 0 { "even" } else { "odd" }))),
                    text(notes.iter().map(Option::as_deref)),
                ],
            )
            .unwrap()
        };
        let batches = [piece(0, 5000), piece(5000, 1), piece(5001, 0), piece(5001, 12345)];
        let ours = dir.path().join("ours.parquet");
        write_parquet(&ours, &BASE, &batches, &footer).expect("written");
        let theirs = dir.path().join("theirs.parquet");
        let props = properties(&BASE, &footer);
        let mut writer =
            ArrowWriter::try_new(std::fs::File::create(&theirs).unwrap(), BASE.schema(), Some(props)).unwrap();
        batches.iter().for_each(|b| writer.write(b).expect("written"));
        writer.close().expect("closed");
        assert_eq!(std::fs::read(&ours).unwrap(), std::fs::read(&theirs).unwrap());
        // Pushed to a table writer a few at a time, however they are grouped, the same file.
        let pushed = |def: &TableDef, batches: &[RecordBatch], at: &[usize]| {
            let path = dir.path().join("pushed.parquet");
            let mut table = TableWriter::create(&path, def, &footer).expect("created");
            let mut from = 0;
            for &to in at.iter().chain([&batches.len()]) {
                table.push(&batches[from..to]).expect("pushed");
                from = to;
            }
            table.finish().expect("finished");
            std::fs::read(&path).unwrap()
        };
        for at in [&[][..], &[1, 2, 3], &[2], &[0, 0, 3]] {
            assert_eq!(pushed(&BASE, &batches, at), std::fs::read(&theirs).unwrap(), "pushed up to {at:?}");
        }
        // Past a row group's rows (1 Mi), in pieces that straddle the boundary.
        let ids = |from: i64, n: i64| {
            let column = Arc::new(Int64Array::from((from..from + n).collect::<Vec<_>>())) as ArrayRef;
            RecordBatch::try_new(IDS.schema(), vec![column]).unwrap()
        };
        let batches = [ids(0, 700_000), ids(700_000, 700_000), ids(1_400_000, 1_000)];
        write_parquet(&ours, &IDS, &batches, &footer).expect("written");
        let mut writer = ArrowWriter::try_new(
            std::fs::File::create(&theirs).unwrap(),
            IDS.schema(),
            Some(properties(&IDS, &footer)),
        )
        .unwrap();
        batches.iter().for_each(|b| writer.write(b).expect("written"));
        writer.close().expect("closed");
        assert_eq!(footer_of(&ours).num_row_groups(), 2);
        assert_eq!(std::fs::read(&ours).unwrap(), std::fs::read(&theirs).unwrap());
        for at in [&[1][..], &[2], &[1, 2]] {
            assert_eq!(pushed(&IDS, &batches, at), std::fs::read(&theirs).unwrap(), "pushed up to {at:?}");
        }
        // No rows at all: no row group, as the Arrow writer gives.
        let mut writer = ArrowWriter::try_new(
            std::fs::File::create(&theirs).unwrap(),
            IDS.schema(),
            Some(properties(&IDS, &footer)),
        )
        .unwrap();
        writer.write(&ids(0, 0)).expect("written");
        writer.close().expect("closed");
        assert_eq!(pushed(&IDS, &[ids(0, 0)], &[]), std::fs::read(&theirs).unwrap());
        assert_eq!(pushed(&IDS, &[], &[]), std::fs::read(&theirs).unwrap());
    }

    const IDS: TableDef = TableDef {
        name: "ids",
        path: "ids.parquet",
        doc: "",
        columns: &[Column { name: "id", kind: Kind::Int64, nullable: false, doc: "", plain: false }],
    };

    /// A column whose values differ row to row is written plain, without a dictionary page,
    /// the others with one; both read back as written.
    #[test]
    fn a_plain_column_is_written_without_a_dictionary() {
        const TWO: TableDef = TableDef {
            name: "two",
            path: "two.parquet",
            doc: "",
            columns: &[
                Column { name: "place", kind: Kind::Text, nullable: false, doc: "", plain: true },
                Column { name: "unit", kind: Kind::Text, nullable: false, doc: "", plain: false },
            ],
        };
        let dir = tempfile::tempdir().expect("a temporary folder");
        let footer = Footer { run_id: "r".into(), value_units: "{}".into() };
        let places: Vec<String> = (0..3000).map(|i| format!("line {i}")).collect();
        let units: Vec<&str> = (0..3000).map(|i| ["t", "kt"][i % 2]).collect();
        let batch = RecordBatch::try_new(
            TWO.schema(),
            vec![text(places.iter().map(|p| Some(p.as_str()))), text(units.iter().map(|u| Some(*u)))],
        )
        .unwrap();
        let path = dir.path().join(TWO.path);
        write_parquet(&path, &TWO, std::slice::from_ref(&batch), &footer).expect("written");
        let meta = footer_of(&path);
        let chunks = meta.row_group(0).columns();
        assert_eq!(chunks[0].dictionary_page_offset(), None, "the plain column has no dictionary");
        assert!(chunks[1].dictionary_page_offset().is_some(), "the other column has one");
        let read = read_parquet(&path, &TWO).expect("read back");
        assert_eq!(read.column(0).as_string::<i32>().iter().flatten().collect::<Vec<_>>(), places);
        assert_eq!(read.column(1).as_string::<i32>().iter().flatten().collect::<Vec<_>>(), units);
    }

    /// Every table's columns are written with a dictionary but those declared plain.
    #[test]
    fn every_table_has_a_dictionary_but_for_its_plain_columns() {
        let footer = Footer { run_id: "r".into(), value_units: "{}".into() };
        let mut plain = 0;
        for def in tables::ALL {
            let props = properties(def, &footer);
            for c in def.columns {
                assert_eq!(props.dictionary_enabled(&ColumnPath::from(c.name)), !c.plain, "{}.{}", def.name, c.name);
                plain += usize::from(c.plain);
            }
        }
        assert!(plain > 0, "some column is plain");
    }

    /// The footer of a Parquet file, with its page index.
    fn footer_of(path: &Path) -> parquet::file::metadata::ParquetMetaData {
        use parquet::file::metadata::{PageIndexPolicy, ParquetMetaDataReader};
        ParquetMetaDataReader::new()
            .with_page_index_policy(PageIndexPolicy::Required)
            .parse_and_finish(&std::fs::File::open(path).unwrap())
            .expect("a footer")
    }
}
