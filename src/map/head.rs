//! What a long table's first rows (its head) said of the whole table, when the other rows are
//! still coming ([`crate::read::streamed`]).
//!
//! Some judgements the map makes look at a whole column: what its contents show (from its first
//! [`infer::SAMPLE`] cells that count), whether a column under a header naming nothing holds
//! numbers, whether a column under no header holds anything. With rows still coming they are
//! made from the head's. [`Head::holds`] says whether a batch of the rows after leaves each of
//! them as it was; when one does not, the table is mapped again from the whole file. (The
//! decimal convention of the value column is settled from the head's texts, and checked
//! against all of them once every row is in.)

use super::infer;
use crate::read::{Cell, GridRow};
use crate::schema::Schema;

pub(super) struct Head {
    /// Columns judged by their contents from fewer cells than [`infer::SAMPLE`]: a later cell
    /// that counts would have been judged too.
    open: Vec<usize>,
    /// Columns under a header naming nothing that resembles a figure, holding no number: a
    /// number later would have been reported as unread.
    figureless: Vec<usize>,
    /// Columns under no header (and read as nothing) empty in the head: a value later would
    /// have been reported.
    unheaded: Vec<usize>,
}

impl Head {
    /// What the head's data rows `data` said: `judged` are the columns judged by their
    /// contents, `unheaded` those under no header, `figureless` as [`Head::figureless`].
    pub(super) fn of(
        data: &[GridRow],
        judged: impl Iterator<Item = usize>,
        unheaded: impl Iterator<Item = usize>,
        figureless: Vec<usize>,
        schema: &Schema,
    ) -> Head {
        let counted = |c: usize| {
            data.iter().filter(|r| r.cells.get(c).is_some_and(|x| infer::counts(x, schema))).take(infer::SAMPLE).count()
        };
        let open = judged.filter(|&c| counted(c) < infer::SAMPLE).collect();
        let empty = |c: usize| !data.iter().any(|r| r.cells.get(c).is_some_and(|x| !x.is_blank()));
        Head { open, figureless, unheaded: unheaded.filter(|&c| empty(c)).collect() }
    }

    /// Whether `rows`, after the head, leave what it said as it was.
    pub(super) fn holds(&self, rows: &[GridRow], schema: &Schema) -> bool {
        let any = |cols: &[usize], row: &GridRow, said: &dyn Fn(&Cell) -> bool| {
            cols.iter().any(|&c| row.cells.get(c).is_some_and(said))
        };
        !rows.iter().any(|row| {
            any(&self.open, row, &|x| infer::counts(x, schema))
                || any(&self.figureless, row, &infer::numeric)
                || any(&self.unheaded, row, &|x| !x.is_blank())
        })
    }
}
