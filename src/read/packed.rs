//! Packed rows: the records of a piece of a text file held as one string of their fields and
//! where each field ends, until they are mapped.
//!
//! A grid row holds a cell of 24 bytes a field and a vector of its own; packed, a row costs its
//! text, 4 bytes a field and 16 bytes. A long CSV's rows wait packed ([`super::Grid::rest`])
//! while the table's header is found, and are unpacked into grid rows a piece at a time as they
//! are mapped: the file is never held whole as cells. Unpacked, a row is the row the file read
//! whole gives: its position, and each field as a text, or empty when it is empty.

use std::borrow::Cow;

use super::{Cell, Exceeded, GridRow};

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Packed {
    /// Every field's text, end to end.
    text: String,
    /// Where each field ends in `text`.
    ends: Vec<u32>,
    /// Each row's position (as [`GridRow::at`]) and the index of its first field in `ends`.
    rows: Vec<(u64, u32)>,
}

impl Packed {
    /// Rows of a piece of about `bytes` of text.
    pub fn with_capacity(bytes: usize) -> Packed {
        Packed { text: String::with_capacity(bytes), ..Packed::default() }
    }

    /// Add a row at `at` of these fields. A piece holds at most 4 GiB of text and 4 G fields,
    /// which a file within the limits (`file_mb` is at most 4096) never reaches.
    pub fn push<'f>(&mut self, at: u64, fields: impl IntoIterator<Item = &'f str>) -> Result<(), Exceeded> {
        let too_large = || Exceeded::new("file_mb", format!("the record at line {at}"), "more than 4 GiB", "4 GiB");
        let first = u32::try_from(self.ends.len()).map_err(|_| too_large())?;
        for field in fields {
            self.text.push_str(field);
            self.ends.push(u32::try_from(self.text.len()).map_err(|_| too_large())?);
        }
        self.rows.push((at, first));
        Ok(())
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The fields of row `i`, as `start..end` indices into `ends`.
    fn span(&self, i: usize) -> std::ops::Range<usize> {
        let first = self.rows[i].1 as usize;
        let end = self.rows.get(i + 1).map_or(self.ends.len(), |r| r.1 as usize);
        first..end
    }

    /// The text of field `f` (an index into `ends`).
    fn text_of(&self, f: usize) -> &str {
        let start = if f == 0 { 0 } else { self.ends[f - 1] as usize };
        &self.text[start..self.ends[f] as usize]
    }

    /// Cell `c` of row `i` as its grid row would hold it; `None` past the row's last field.
    pub fn cell(&self, i: usize, c: usize) -> Option<Cow<'static, Cell>> {
        let span = self.span(i);
        (c < span.len()).then(|| Cow::Owned(cell(self.text_of(span.start + c))))
    }

    /// The rows as grid rows, in order.
    pub fn unpack(&self) -> Vec<GridRow> {
        (0..self.rows.len())
            .map(|i| GridRow { at: self.rows[i].0, cells: self.span(i).map(|f| cell(self.text_of(f))).collect() })
            .collect()
    }
}

fn cell(text: &str) -> Cell {
    if text.is_empty() { Cell::Empty } else { Cell::Text(text.into()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_unpack_to_their_fields_empty_ones_included() {
        let mut packed = Packed::default();
        packed.push(3, ["a", "", "ccc"]).unwrap();
        packed.push(5, [""]).unwrap();
        packed.push(9, ["Porto do Açu", "12,5"]).unwrap();
        let text = |s: &str| Cell::Text(s.into());
        assert_eq!(
            packed.unpack(),
            vec![
                GridRow { at: 3, cells: vec![text("a"), Cell::Empty, text("ccc")] },
                GridRow { at: 5, cells: vec![Cell::Empty] },
                GridRow { at: 9, cells: vec![text("Porto do Açu"), text("12,5")] },
            ]
        );
        assert_eq!(packed.cell(0, 2).as_deref(), Some(&text("ccc")));
        assert_eq!(packed.cell(0, 1).as_deref(), Some(&Cell::Empty));
        assert_eq!(packed.cell(0, 3), None, "past the row's last field");
        assert_eq!(packed.cell(2, 0).as_deref(), Some(&text("Porto do Açu")));
        assert_eq!(packed.len(), 3);
    }

    /// A grid's column runs down its rows, then its packed rows, from any row: one past the
    /// rows unpacked is a packed row.
    #[test]
    fn a_column_runs_on_into_the_packed_rows() {
        use super::super::{Grid, GridKind, Unpack};
        let mut first = Packed::default();
        first.push(1, ["a", "1"]).unwrap();
        first.push(2, ["b", "2"]).unwrap();
        let mut second = Packed::default();
        second.push(3, ["c"]).unwrap();
        second.push(4, ["d", "4"]).unwrap();
        let mut grid = Grid::of(GridKind::Lines, 0, Vec::new());
        grid.rest = vec![first, second];
        grid.unpack_head(Unpack::Head(1));
        assert_eq!((grid.rows.len(), grid.rest.len()), (2, 1), "the first piece holds the first row");
        let column =
            |c, from| -> Vec<Option<String>> { grid.column(c, from).map(|x| x.map(|cell| cell.to_string())).collect() };
        let text = |s: &str| Some(s.to_owned());
        assert_eq!(column(1, 0), [text("1"), text("2"), None, text("4")]);
        assert_eq!(column(0, 1), [text("b"), text("c"), text("d")]);
        assert_eq!(column(0, 3), [text("d")], "past the rows unpacked");
        grid.unpack();
        assert_eq!(grid.rows.iter().map(|r| r.at).collect::<Vec<_>>(), [1, 2, 3, 4]);
        assert!(grid.rest.is_empty());
    }
}
