//! What a long table's first rows (its head) said of the whole table, when the other rows are
//! still coming ([`crate::read::streamed`]).
//!
//! Some judgements the map makes look at a whole column: what its contents show (from its first
//! [`infer::SAMPLE`] cells that count), whether a column under a header naming nothing holds
//! numbers, whether a column under no header holds anything. With rows still coming they are
//! made from the head's. [`Head::holds`] says whether a batch of the rows after leaves each of
//! them as it was, and [`Head::settles`] whether the value column's decimal convention, settled
//! from the head's texts, is what all of them settle on; when one does not, the table is mapped
//! again from the whole file.

use super::infer;
use crate::number::Decimal;
use crate::read::{Cell, GridRow};
use crate::schema::Schema;

pub(super) struct Head {
    /// The evidence of the value column's texts for its decimal convention, the head's then
    /// the rows' after it as they are taken.
    pub(super) evidence: Vec<Decimal>,
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
    /// contents, `unheaded` those under no header, and `figure_like` the columns under a header
    /// naming nothing that resembles a figure, with the numbers each holds. `None` when one
    /// holds numbers: the finding about it counts them all.
    pub(super) fn of(
        data: &[GridRow],
        judged: impl Iterator<Item = usize>,
        unheaded: impl Iterator<Item = usize>,
        figure_like: &[(usize, usize)],
        schema: &Schema,
    ) -> Option<Head> {
        if figure_like.iter().any(|&(_, numbers)| numbers > 0) {
            return None;
        }
        let counted = |c: usize| {
            data.iter().filter(|r| r.cells.get(c).is_some_and(|x| infer::counts(x, schema))).take(infer::SAMPLE).count()
        };
        let open = judged.filter(|&c| counted(c) < infer::SAMPLE).collect();
        let empty = |c: usize| !data.iter().any(|r| r.cells.get(c).is_some_and(|x| !x.is_blank()));
        Some(Head {
            evidence: Vec::new(),
            open,
            figureless: figure_like.iter().map(|&(c, _)| c).collect(),
            unheaded: unheaded.filter(|&c| empty(c)).collect(),
        })
    }

    /// Whether the convention the rows were read by (`decimal`, from the head's texts) is the
    /// one all their texts settle on.
    pub(super) fn settles(&self, decimal: Option<Decimal>) -> bool {
        decimal == Some(Decimal::settle(self.evidence.iter().copied()))
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
