//! Seen: which cells of a grid's table mapping has read or reported, one bit per cell, so the
//! cells nothing read can be reported at the end ([`super::grid`]) without copying the table.
//!
//! A cell is named by its row's position (`GridRow::at`, increasing down a grid), or by the
//! row's index in the table, and its index in the row. Marks outside the table (a metadata
//! line above the header) are not kept. Marking takes `&self`, so the rows of one table can be
//! mapped on several threads at once.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::read::GridRow;

#[derive(Debug, Default)]
pub struct Seen {
    /// The position of each row of the table, in order.
    ats: Vec<u64>,
    /// The first bit of each row, and one past the last row's.
    starts: Vec<usize>,
    bits: Vec<AtomicU64>,
}

impl Seen {
    /// Nothing seen yet of a table of these rows.
    pub fn new(rows: &[GridRow]) -> Seen {
        let mut starts = Vec::with_capacity(rows.len() + 1);
        let mut end = 0;
        for row in rows {
            starts.push(end);
            end += row.cells.len();
        }
        starts.push(end);
        let bits = (0..end.div_ceil(64)).map(|_| AtomicU64::new(0)).collect();
        Seen { ats: rows.iter().map(|r| r.at).collect(), starts, bits }
    }

    fn bit(&self, i: usize, col: usize) -> Option<usize> {
        let start = *self.starts.get(i)?;
        (start + col < *self.starts.get(i + 1)?).then_some(start + col)
    }

    /// Mark cell `col` of the row at `at`.
    pub fn mark(&self, at: u64, col: usize) {
        if let Ok(i) = self.ats.binary_search(&at) {
            self.mark_index(i, col);
        }
    }

    /// Mark cell `col` of the table's `i`-th row.
    pub fn mark_index(&self, i: usize, col: usize) {
        if let Some(b) = self.bit(i, col) {
            self.bits[b / 64].fetch_or(1 << (b % 64), Ordering::Relaxed);
        }
    }

    /// Whether cell `col` of the table's `i`-th row is marked.
    pub fn has(&self, i: usize, col: usize) -> bool {
        self.bit(i, col).is_some_and(|b| self.bits[b / 64].load(Ordering::Relaxed) & (1 << (b % 64)) != 0)
    }
}

#[cfg(test)]
mod tests {
    use super::Seen;
    use crate::read::{Cell, GridRow};

    fn row(at: u64, width: usize) -> GridRow {
        GridRow { at, cells: vec![Cell::Number(1.0); width] }
    }

    #[test]
    fn a_mark_is_found_at_its_row_and_column_only() {
        let rows = [row(3, 2), row(4, 70), row(9, 1)];
        let seen = Seen::new(&rows);
        seen.mark(4, 65);
        seen.mark(9, 0);
        seen.mark(5, 0); // no such row
        seen.mark(3, 2); // beyond the row
        seen.mark_index(0, 1);
        let marked: Vec<(usize, usize)> =
            (0..3).flat_map(|i| (0..70).map(move |c| (i, c))).filter(|&(i, c)| seen.has(i, c)).collect();
        assert_eq!(marked, [(0, 1), (1, 65), (2, 0)]);
    }
}
