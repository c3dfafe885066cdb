//! Findings: every problem clusterkpi reports is data, with a stable code, a severity, a message
//! saying what is wrong, a hint saying how to fix it, and a location.
//!
//! Findings never abort anything: an error rejects the row it is attached to (or, for a file-level
//! error, the file); warnings and infos reject nothing. Codes are stable: data teams filter on
//! them, so a code is never renamed or reused. The prefix of a code names its severity.

mod loc;
pub mod render;

pub use loc::{Loc, Parts, Place, Relative, Spot, a1, column_letters, member_pointer, pointer_token};

use serde::Serialize;

/// How bad a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Info,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

macro_rules! codes {
    ($( $(#[$doc:meta])* $variant:ident = $code:literal, $severity:ident; )*) => {
        /// Every finding code clusterkpi can emit.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code { $( $(#[$doc])* $variant, )* }

        impl Code {
            /// All codes, in documentation order.
            pub const ALL: &'static [Code] = &[$(Code::$variant),*];

            /// The stable code, e.g. `E_VALUE_NOT_NUMBER`.
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $code,)* }
            }

            pub fn severity(self) -> Severity {
                match self { $(Code::$variant => Severity::$severity,)* }
            }
        }
    };
}

codes! {
    /// The file cannot be opened or parsed at all (corrupt, truncated, not the format its name says).
    FileUnreadable = "E_FILE_UNREADABLE", Error;
    /// The file asks for more than a limit of the pipeline's `[limits]` allows (size, cells,
    /// columns, memory, time…): it was not read. The message names the limit and its key.
    FileLimit = "E_FILE_LIMIT", Error;
    /// The file is empty.
    FileEmpty = "E_FILE_EMPTY", Error;
    /// A text file is not valid UTF-8, or is binary.
    FileEncoding = "E_FILE_ENCODING", Error;
    /// The file's extension is not a supported submission format.
    FileFormat = "E_FILE_FORMAT", Error;
    /// No sheet or document in the file holds a table with the canonical columns.
    NoTable = "E_NO_TABLE", Error;
    /// The table's header lacks a required column.
    MissingColumn = "E_MISSING_COLUMN", Error;
    /// Two header cells name the same canonical column.
    DuplicateColumn = "E_DUPLICATE_COLUMN", Error;
    /// A CSV record has more fields than its header: an unquoted `,` has shifted the columns.
    RowShape = "E_ROW_SHAPE", Error;
    /// A line of a JSON Lines file, or a record of a JSON array, is not a JSON object.
    JsonRecord = "E_JSON_RECORD", Error;
    /// A required field is empty or absent.
    RequiredMissing = "E_REQUIRED_MISSING", Error;
    /// A spreadsheet cell holds an error such as `#N/A` or `#DIV/0!`.
    CellError = "E_CELL_ERROR", Error;
    /// `year` is not a whole number.
    YearFormat = "E_YEAR_FORMAT", Error;
    /// `year` is outside 1990–2100.
    YearRange = "E_YEAR_RANGE", Error;
    /// `value` is not a finite number.
    ValueNotNumber = "E_VALUE_NOT_NUMBER", Error;
    /// `value` is a bound (`>500`, `<0.1`, `500+`), not a value.
    ValueBound = "E_VALUE_BOUND", Error;
    /// `value` could be read two ways (`1,234`), and nothing in its column settles which.
    NumberAmbiguous = "E_NUMBER_AMBIGUOUS", Error;
    /// The value cell carries a unit that contradicts the unit column.
    UnitConflict = "E_UNIT_CONFLICT", Error;
    /// `value` is negative for a KPI that cannot be.
    ValueNegative = "E_VALUE_NEGATIVE", Error;
    /// The unit is empty for a KPI that needs one.
    UnitMissing = "E_UNIT_MISSING", Error;
    /// The unit is not one clusterkpi knows.
    UnitUnknown = "E_UNIT_UNKNOWN", Error;
    /// The unit measures something else than the KPI (e.g. `MWh` for emissions).
    UnitDimension = "E_UNIT_DIMENSION", Error;
    /// The unit means different things to different people (`MTCO2e`, a bare `$`, `billón`).
    UnitAmbiguous = "E_UNIT_AMBIGUOUS", Error;
    /// The currency is not an ISO 4217 code, or none is given.
    CurrencyUnknown = "E_CURRENCY_UNKNOWN", Error;
    /// The FX table has no rate for the currency and year.
    FxMissing = "E_FX_MISSING", Error;
    /// The `gas` field names no gas of the GWP table.
    GasUnknown = "E_GAS_UNKNOWN", Error;
    /// The unit and the `gas` field name different gases.
    GasMismatch = "E_GAS_MISMATCH", Error;
    /// `kpi` is not in the KPI catalog.
    KpiUnknown = "E_KPI_UNKNOWN", Error;
    /// `cluster` matches no registry id, name or alias.
    ClusterUnknown = "E_CLUSTER_UNKNOWN", Error;
    /// `country` is not an ISO 3166 code or English country name.
    CountryUnknown = "E_COUNTRY_UNKNOWN", Error;
    /// `country` disagrees with the registry's country for the cluster.
    CountryMismatch = "E_COUNTRY_MISMATCH", Error;
    /// Two rows give different values for the same observation key.
    DuplicateConflict = "E_DUPLICATE_CONFLICT", Error;
    /// Something went wrong inside clusterkpi while reading this file; please report it.
    Internal = "E_INTERNAL", Error;
    /// A row repeats an earlier row exactly; it is counted once.
    DuplicateRow = "W_DUPLICATE_ROW", Warning;
    /// An ambiguous currency symbol was read as the cluster's own currency.
    UnitAssumed = "W_UNIT_ASSUMED", Warning;
    /// A canonical value lies outside the KPI's plausible range for one cluster.
    Implausible = "W_IMPLAUSIBLE", Warning;
    /// A value jumps about 1,000× or more from one reported year to the next.
    YearJump = "W_YEAR_JUMP", Warning;
    /// A cluster total and its facility rows are both given: the total is used, and this says
    /// whether the facilities add up to it.
    FacilityTotal = "W_FACILITY_TOTAL", Warning;
    /// A value carries a mark (`~1200`, `1,234*`, `2,3 p`): the number is read and the mark kept
    /// in the `qualifier` column.
    ValueQualified = "W_VALUE_QUALIFIED", Warning;
    /// A column of numbers in a long table was not read: its header resembles a KPI or `value`.
    ColumnUnread = "W_COLUMN_UNREAD", Warning;
    /// A column's header words and its contents disagree about what the column holds.
    ColumnContents = "W_COLUMN_CONTENTS", Warning;
    /// A number inside a table stands where no column reads it (under no header, beside the
    /// table): it was not read.
    NumberUnread = "W_NUMBER_UNREAD", Warning;
    /// A hidden or very hidden sheet was not read.
    SheetHidden = "W_SHEET_HIDDEN", Warning;
    /// A sheet holds no table with the canonical columns and was skipped.
    SheetSkipped = "I_SHEET_SKIPPED", Info;
    /// A text file is not UTF-8 and was decoded from another encoding (Windows-1252, UTF-16).
    Encoding = "I_ENCODING", Info;
    /// A column or field that is not part of the canonical submission was ignored.
    UnknownColumn = "I_UNKNOWN_COLUMN", Info;
    /// A KPI name or a column header that is no exact alias was read by its words; once per
    /// distinct spelling per file, at its first cell.
    NameMatched = "I_NAME_MATCHED", Info;
    /// Text inside a table stands where no column reads it (a note under the table): it was
    /// passed over.
    CellUnread = "I_CELL_UNREAD", Info;
    /// A column whose header names no column was read from its contents (years, KPI names…).
    ColumnInferred = "I_COLUMN_INFERRED", Info;
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for Code {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Code::ALL
            .iter()
            .copied()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown code `{s}`")))
    }
}

/// One problem found in a submission.
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize)]
pub struct Finding {
    pub severity: Severity,
    pub code: Code,
    pub message: String,
    pub hint: String,
    pub location: Loc,
}

impl Finding {
    /// A finding with the code's own severity.
    pub fn new(code: Code, loc: Loc, message: impl Into<String>, hint: impl Into<String>) -> Self {
        Finding { severity: code.severity(), code, message: message.into(), hint: hint.into(), location: loc }
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_prefix_names_its_severity() {
        for code in Code::ALL {
            let prefix = match code.severity() {
                Severity::Error => "E_",
                Severity::Warning => "W_",
                Severity::Info => "I_",
            };
            assert!(code.as_str().starts_with(prefix), "{code}");
        }
    }

    #[test]
    fn codes_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for code in Code::ALL {
            assert!(seen.insert(code.as_str()), "duplicate code {code}");
        }
    }
}
