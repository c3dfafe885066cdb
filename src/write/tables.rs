//! The output tables, declared once: name, path, columns with type, nullability and meaning.
//! The Arrow schemas, the batch checks and the README's data dictionary all come from here.

use std::sync::Arc;

use arrow::array::{
    ArrayRef, Float64Array, Int32Array, Int64Array, ListBuilder, StringArray, StringBuilder, TimestampMicrosecondArray,
};
use arrow::datatypes::{DataType, Field, Int32Type, Schema, SchemaRef, TimeUnit};

/// The type of a column, as data teams see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// UTF-8 text.
    Text,
    /// Low-cardinality UTF-8 text, dictionary-encoded (a categorical in polars and pandas).
    Category,
    Float64,
    Int32,
    Int64,
    /// Microseconds since the epoch, UTC.
    Timestamp,
    /// A list of UTF-8 texts.
    TextList,
}

impl Kind {
    pub fn data_type(self) -> DataType {
        match self {
            Kind::Text => DataType::Utf8,
            Kind::Category => DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8)),
            Kind::Float64 => DataType::Float64,
            Kind::Int32 => DataType::Int32,
            Kind::Int64 => DataType::Int64,
            Kind::Timestamp => DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            Kind::TextList => DataType::List(Arc::new(Field::new("item", DataType::Utf8, true))),
        }
    }

    /// The type as the data dictionary writes it.
    pub fn describe(self) -> &'static str {
        match self {
            Kind::Text => "string",
            Kind::Category => "string (dictionary)",
            Kind::Float64 => "float64",
            Kind::Int32 => "int32",
            Kind::Int64 => "int64",
            Kind::Timestamp => "timestamp[us, UTC]",
            Kind::TextList => "list<string>",
        }
    }
}

#[derive(Clone, Copy)]
pub struct Column {
    pub name: &'static str,
    pub kind: Kind,
    pub nullable: bool,
    pub doc: &'static str,
    /// Written plain, without a Parquet dictionary page: its values differ from row to row (a
    /// figure, a cell's place), so a dictionary would hold nearly every value once more and
    /// cost the writer a lookup a row. The values read back the same either way.
    pub plain: bool,
}

pub struct TableDef {
    pub name: &'static str,
    /// The file, relative to the output folder.
    pub path: &'static str,
    pub doc: &'static str,
    pub columns: &'static [Column],
}

impl TableDef {
    pub fn schema(&self) -> SchemaRef {
        Arc::new(Schema::new(
            self.columns.iter().map(|c| Field::new(c.name, c.kind.data_type(), c.nullable)).collect::<Vec<_>>(),
        ))
    }
}

const fn col(name: &'static str, kind: Kind, nullable: bool, doc: &'static str) -> Column {
    Column { name, kind, nullable, doc, plain: false }
}

impl Column {
    /// The column, written plain ([`Column::plain`]). Only a column of one Parquet leaf, named
    /// as the column is, can be: a list's values lie in a leaf below it.
    const fn plain(self) -> Column {
        assert!(!matches!(self.kind, Kind::TextList), "a list column is no single leaf");
        Column { plain: true, ..self }
    }
}

use Kind as K;

const RUN: [Column; 2] = [
    col("run_id", K::Category, false, "the run that read the submission the row comes from"),
    col("ingested_at", K::Timestamp, false, "when that run started"),
];

const OBSERVATION_COLUMNS: [Column; 26] = [
    col("cluster_id", K::Category, false, "registry id of the cluster"),
    col("cluster_name", K::Category, false, "registry name of the cluster"),
    col("country", K::Category, false, "ISO 3166-1 alpha-3 code of the cluster's country"),
    col("region", K::Category, false, "the cluster's continent, from the registry"),
    col("year", K::Int32, false, "the year the figure refers to"),
    col("kpi", K::Category, false, "KPI id from the catalog (`schemas/kpis.toml`)"),
    col("value", K::Float64, false, "the figure in the canonical unit").plain(),
    col(
        "unit",
        K::Category,
        false,
        "the canonical unit: the KPI's (`tCO2e`, `tCO2`, `USD`, `MWh`, `t`, `jobs`) or `FTE`",
    ),
    col("reported_value", K::Float64, false, "the figure as submitted").plain(),
    col("reported_unit", K::Text, true, "the unit as submitted (null: none given, a plain count)"),
    col("scope", K::Text, true, "emission scope, when given"),
    col("gas", K::Text, true, "the gas, by its GWP-table name, when the figure is about one gas"),
    col("facility", K::Text, true, "site or company inside the cluster; null for the cluster total"),
    col("notes", K::Text, true, "the submitter's notes"),
    col(
        "qualifier",
        K::Category,
        true,
        "what a mark on the figure said (`estimate`, `approximate`, `provisional`, `footnote`); null: unmarked",
    ),
    col("factor", K::Float64, false, "magnitude × unit factor to the canonical unit, before GWP and FX"),
    col("gwp_set", K::Category, true, "IPCC set of the GWP applied (AR4, AR5, AR6)"),
    col("gwp", K::Float64, true, "100-year GWP applied to a mass of gas"),
    col("currency", K::Category, true, "ISO 4217 currency reported in"),
    col("fx_rate", K::Float64, true, "local currency units per USD, annual average of `fx_year`"),
    col("fx_year", K::Int32, true, "year of the FX rate"),
    col("submission_id", K::Category, false, "SHA-256 of the submitted file"),
    col("source_file", K::Category, false, "the submitted file, as found under the input folder"),
    col(
        "source_location",
        K::Text,
        false,
        "the cell, line or JSON pointer of the value (`KPIs!E14`, `line 17`, `/observations/3/value`)",
    )
    .plain(),
    RUN[0],
    RUN[1],
];

pub const OBSERVATIONS: TableDef = TableDef {
    name: "observations",
    path: "observations/part-00000.parquet",
    doc: "The current observations: one row per accepted observation not superseded by a later submission, in its KPI's canonical unit, with the provenance of the number.",
    columns: &OBSERVATION_COLUMNS,
};

const HISTORY_COLUMNS: [Column; 28] = {
    let mut out = [col("", K::Text, false, ""); 28];
    let mut i = 0;
    while i < OBSERVATION_COLUMNS.len() {
        out[i] = OBSERVATION_COLUMNS[i];
        i += 1;
    }
    out[26] = col(
        "superseded_by",
        K::Category,
        true,
        "the submission that replaced this row (or `retracted`); null while it is current",
    );
    out[27] = col("superseded_at", K::Timestamp, true, "when it was superseded");
    out
};

pub const OBSERVATIONS_HISTORY: TableDef = TableDef {
    name: "observations_history",
    path: "observations_history/part-00000.parquet",
    doc: "Every version of every observation ever accepted, current or superseded: what was known on a date is the rows ingested by then and not superseded by then.",
    columns: &HISTORY_COLUMNS,
};

pub const REJECTS: TableDef = TableDef {
    name: "rejects",
    path: "rejects/part-00000.parquet",
    doc: "One row per rejected row, with its raw cells as text, where it is and why.",
    columns: &[
        col("submission_id", K::Category, false, "SHA-256 of the submitted file"),
        col("source_file", K::Category, false, "the submitted file"),
        col("source_location", K::Text, false, "the row: `KPIs!row 14`, `line 17` or a JSON pointer").plain(),
        col("codes", K::TextList, false, "the finding codes that rejected the row"),
        col("cluster", K::Text, true, "raw `cluster` cell"),
        col("country", K::Text, true, "raw `country` cell"),
        col("year", K::Text, true, "raw `year` cell"),
        col("kpi", K::Text, true, "raw `kpi` cell"),
        col("value", K::Text, true, "raw `value` cell"),
        col("unit", K::Text, true, "raw `unit` cell"),
        col("scope", K::Text, true, "raw `scope` cell"),
        col("gas", K::Text, true, "raw `gas` cell"),
        col("facility", K::Text, true, "raw `facility` cell"),
        col("notes", K::Text, true, "raw `notes` cell"),
        RUN[0],
        RUN[1],
    ],
};

pub const FINDINGS: TableDef = TableDef {
    name: "findings",
    path: "findings/part-00000.parquet",
    doc: "Every finding of the run, with its structured location.",
    columns: &[
        col("submission_id", K::Category, false, "SHA-256 of the submitted file"),
        col("source_file", K::Category, false, "the submitted file"),
        col("severity", K::Category, false, "`error`, `warning` or `info`"),
        col("code", K::Category, false, "stable finding code (see Finding codes)"),
        col("message", K::Text, false, "what is wrong"),
        col("hint", K::Text, false, "how to fix it"),
        col("location", K::Text, false, "the location as printed: `file.xlsx:KPIs!E14`").plain(),
        col("sheet", K::Text, true, "sheet name"),
        col("cell", K::Text, true, "A1 reference"),
        col("row", K::Int64, true, "1-based spreadsheet row"),
        col("line", K::Int64, true, "1-based physical line of a text file"),
        col("pointer", K::Text, true, "JSON pointer"),
        col("column", K::Text, true, "the canonical column concerned"),
        RUN[0],
        RUN[1],
    ],
};

pub const SUBMISSIONS: TableDef = TableDef {
    name: "submissions",
    path: "submissions/part-00000.parquet",
    doc: "One row per submission, that is per distinct file content: a byte-identical copy under another path is the same submission, credited to the path it was first read from (the run manifests list every path).",
    columns: &[
        col(
            "submission_id",
            K::Category,
            false,
            "SHA-256 of the file (of its path, for a file that could not be read)",
        ),
        col("path", K::Text, false, "the file, as found under the input folder"),
        col(
            "format",
            K::Category,
            true,
            "the file's format, by its extension (`tsv` for `.tab`, `jsonl` for `.ndjson`)",
        ),
        col("bytes", K::Int64, false, "size of the file"),
        col("sha256", K::Text, true, "SHA-256 of the file's bytes"),
        col("cluster_id", K::Category, true, "the cluster of its accepted rows, when they are all of one cluster"),
        col("rows_read", K::Int64, false, "rows read (= rows_accepted + rows_rejected)"),
        col("rows_accepted", K::Int64, false, "rows that became observations"),
        col("rows_rejected", K::Int64, false, "rows rejected (in `rejects/`)"),
        col("rows_superseded", K::Int64, false, "accepted rows since replaced by a later submission (or retracted)"),
        col(
            "not_reported",
            K::Int64,
            false,
            "cells where a figure belongs holding `n/a`, `-`, `TBD`… or nothing: not rows",
        ),
        col("errors", K::Int64, false, "error findings"),
        col("warnings", K::Int64, false, "warning findings"),
        col(
            "status",
            K::Category,
            false,
            "`accepted` (no row rejected), `partial`, `rejected` (no row accepted), `unreadable`, or `retracted`",
        ),
        col("submitted_at", K::Text, true, "the date the submission gives itself, as written"),
        col("first_seen", K::Text, false, "when a run first saw the file (RFC 3339)"),
        RUN[0],
        RUN[1],
    ],
};

const STATS: [Column; 5] = [
    col("clusters", K::Int64, false, "clusters reporting"),
    col("total", K::Float64, false, "sum over those clusters of their value at their latest reported year"),
    col("min", K::Float64, false, "smallest cluster value"),
    col("median", K::Float64, false, "median cluster value"),
    col("max", K::Float64, false, "largest cluster value"),
];

pub const KPI_TOTALS: TableDef = TableDef {
    name: "kpi_totals",
    path: "summary/kpi_totals.parquet",
    doc: "The headline: for each KPI (and scope), each cluster's value at its latest reported year, added up.",
    columns: &[
        col("kpi", K::Category, false, "KPI id"),
        col("scope", K::Text, true, "emission scope; null for figures without one"),
        col("unit", K::Category, false, "canonical unit"),
        STATS[0],
        STATS[1],
        STATS[2],
        STATS[3],
        STATS[4],
    ],
};

pub const BY_COUNTRY: TableDef = TableDef {
    name: "by_country",
    path: "summary/by_country.parquet",
    doc: "The headline by country.",
    columns: &[
        col("kpi", K::Category, false, "KPI id"),
        col("scope", K::Text, true, "emission scope"),
        col("unit", K::Category, false, "canonical unit"),
        col("country", K::Category, false, "ISO 3166-1 alpha-3"),
        STATS[0],
        STATS[1],
        STATS[2],
        STATS[3],
        STATS[4],
    ],
};

pub const BY_REGION: TableDef = TableDef {
    name: "by_region",
    path: "summary/by_region.parquet",
    doc: "The headline by region (continent).",
    columns: &[
        col("kpi", K::Category, false, "KPI id"),
        col("scope", K::Text, true, "emission scope"),
        col("unit", K::Category, false, "canonical unit"),
        col("region", K::Category, false, "continent, from the registry"),
        STATS[0],
        STATS[1],
        STATS[2],
        STATS[3],
        STATS[4],
    ],
};

pub const COVERAGE: TableDef = TableDef {
    name: "coverage",
    path: "summary/coverage.parquet",
    doc: "Cluster × KPI: the latest year each cluster reported each KPI (registry clusters that reported nothing have no row).",
    columns: &[
        col("cluster_id", K::Category, false, "registry id"),
        col("kpi", K::Category, false, "KPI id"),
        col("latest_year", K::Int32, false, "latest year reported"),
        col("years", K::Int32, false, "how many years were reported"),
    ],
};

/// Every table, in the order the data dictionary lists them.
pub const ALL: [&TableDef; 9] = [
    &OBSERVATIONS,
    &OBSERVATIONS_HISTORY,
    &REJECTS,
    &FINDINGS,
    &SUBMISSIONS,
    &KPI_TOTALS,
    &BY_COUNTRY,
    &BY_REGION,
    &COVERAGE,
];

/// The data dictionary as Markdown, for the README.
pub fn dictionary_markdown() -> String {
    let mut s = String::new();
    for t in ALL {
        s.push_str(&format!(
            "### `{}`\n\n{}\n\n| column | type | null | meaning |\n|---|---|---|---|\n",
            t.path, t.doc
        ));
        for c in t.columns {
            s.push_str(&format!(
                "| `{}` | {} | {} | {} |\n",
                c.name,
                c.kind.describe(),
                if c.nullable { "yes" } else { "no" },
                c.doc
            ));
        }
        s.push('\n');
    }
    s
}

// Column builders: one array from an iterator of values.

pub fn text<'a>(values: impl Iterator<Item = Option<&'a str>>) -> ArrayRef {
    Arc::new(values.collect::<StringArray>())
}

/// A dictionary column: each distinct value once, in order of first appearance. A value equal
/// to the one before it (a submission's id on every row, a cluster's rows together) takes its
/// key without a lookup, and a value at the same address as one met before (the rows' shared
/// texts) by its address, without hashing or comparing its text.
pub fn category<'a>(values: impl Iterator<Item = Option<&'a str>>) -> ArrayRef {
    let (lower, _) = values.size_hint();
    let mut keys = arrow::array::Int32Builder::with_capacity(lower);
    let mut dictionary = StringBuilder::new();
    let mut known: std::collections::HashMap<&str, i32, ahash::RandomState> = Default::default();
    let mut at: crate::memo::ByAddress<'a, 1, i32> = Default::default();
    let mut last: Option<(&str, i32)> = None;
    for v in values {
        let Some(v) = v else {
            keys.append_null();
            continue;
        };
        let key = match last {
            Some((text, key)) if crate::memo::same_text(text, v) => key,
            _ => at.get([Some(v)], || {
                let next = i32::try_from(known.len()).unwrap_or(i32::MAX);
                *known.entry(v).or_insert_with(|| {
                    dictionary.append_value(v);
                    next
                })
            }),
        };
        last = Some((v, key));
        keys.append_value(key);
    }
    let array = arrow::array::DictionaryArray::<Int32Type>::try_new(keys.finish(), Arc::new(dictionary.finish()));
    Arc::new(array.expect("every key is an index into the dictionary just built"))
}

pub fn float64(values: impl Iterator<Item = Option<f64>>) -> ArrayRef {
    Arc::new(values.collect::<Float64Array>())
}

pub fn int32(values: impl Iterator<Item = Option<i32>>) -> ArrayRef {
    Arc::new(values.collect::<Int32Array>())
}

pub fn int64(values: impl Iterator<Item = Option<i64>>) -> ArrayRef {
    Arc::new(values.collect::<Int64Array>())
}

pub fn timestamp(values: impl Iterator<Item = Option<i64>>) -> ArrayRef {
    Arc::new(values.collect::<TimestampMicrosecondArray>().with_timezone("UTC"))
}

pub fn text_list<'a, I: IntoIterator<Item = &'a str>>(values: impl Iterator<Item = I>) -> ArrayRef {
    let mut b = ListBuilder::new(StringBuilder::new());
    for list in values {
        for v in list {
            b.values().append_value(v);
        }
        b.append(true);
    }
    Arc::new(b.finish())
}

#[cfg(test)]
mod tests {
    use arrow::array::{Array, AsArray};
    use arrow::datatypes::Int32Type;

    /// A dictionary column reads back as the values it was given, each distinct value held
    /// once, in order of first appearance, whatever the runs and nulls.
    #[test]
    fn a_category_column_reads_back_as_its_values() {
        let given = [
            Some("b"),
            Some("b"),
            None,
            Some("a"),
            Some("b"),
            Some("Açu"),
            Some("a"),
            Some("a"),
            None,
            None,
            Some("Açu"),
            Some(""),
        ];
        let array = super::category(given.iter().copied());
        let dictionary = array.as_dictionary::<Int32Type>();
        let values = dictionary.values().as_string::<i32>();
        let read: Vec<Option<&str>> =
            (0..dictionary.len()).map(|i| dictionary.key(i).map(|k| values.value(k))).collect();
        assert_eq!(read, given);
        let held: Vec<&str> = values.iter().flatten().collect();
        assert_eq!(held, ["b", "a", "Açu", ""]);
        assert_eq!(dictionary.null_count(), 3);
    }
}
