//! An xls workbook's cells, located before calamine reads it.
//!
//! calamine reads an xls sheet whole into one rectangle from its first used cell to its last,
//! and reserves room for the rectangle its DIMENSIONS record declares: one cell at `IV65536`
//! beside a table is 16.7 million cells, and a DIMENSIONS record that claims four billion rows
//! is an allocation that aborts the process. So the BIFF records of the `Workbook` stream are
//! walked first (through the `cfb` crate), and each sheet's declared and used rectangles are
//! checked against `grid_cells`.
//!
//! A compound file the `cfb` crate refuses is refused as unreadable, not handed to calamine:
//! calamine's own container reader follows a sector chain that loops back on itself until
//! memory runs out (found by fuzzing), where the `cfb` crate detects the loop.

use std::io::{Cursor, Read};

use super::ReadError;
use super::limits::{Exceeded, Limits};

/// Record types that hold one cell, with its row and column in their first four bytes.
const ONE_CELL: [u16; 7] = [0x0203, 0x0204, 0x00D6, 0x0205, 0x027E, 0x00FD, 0x0006];
const MUL_RK: u16 = 0x00BD;
const DIMENSIONS: u16 = 0x0200;
const BOF: u16 = 0x0809;

/// Check the container, then every sheet's declared and used rectangle against `grid_cells`.
pub fn check(bytes: &[u8], limits: &Limits) -> Result<(), ReadError> {
    let stream = workbook_stream(bytes, limits).map_err(|e| ReadError::Reported {
        code: crate::diag::Code::FileUnreadable,
        message: format!("the file is not a readable xls workbook: {e}"),
        hint: super::UNREADABLE_WORKBOOK.into(),
    })?;
    Ok(cells(&stream, limits)?)
}

fn cells(stream: &[u8], limits: &Limits) -> Result<(), Exceeded> {
    let mut sheet = Rect::default();
    let mut at = 0usize;
    while let Some(header) = stream.get(at..at + 4) {
        let typ = u16::from_le_bytes([header[0], header[1]]);
        let len = usize::from(u16::from_le_bytes([header[2], header[3]]));
        let Some(data) = stream.get(at + 4..at + 4 + len) else { break };
        at += 4 + len;
        let u16_at = |i: usize| data.get(i..i + 2).map(|b| u32::from(u16::from_le_bytes([b[0], b[1]])));
        match typ {
            BOF => sheet = Rect::default(),
            DIMENSIONS => {
                let (rows, cols) = match len {
                    10 => (u64::from(u16_at(2).unwrap_or(0)), u64::from(u16_at(6).unwrap_or(0))),
                    14 | 16 => {
                        let last_row = u32::from_le_bytes([data[4], data[5], data[6], data[7]]);
                        (u64::from(last_row), u64::from(u16_at(10).unwrap_or(0)))
                    }
                    _ => (0, 0),
                };
                let area = rows.saturating_mul(cols);
                if area > limits.grid_cells {
                    let what = format!("an xls sheet's declared size ({rows} rows × {cols} columns), in cells");
                    return Err(Exceeded::new("grid_cells", what, area, limits.grid_cells));
                }
            }
            MUL_RK if len >= 6 => {
                if let (Some(row), Some(first), Some(last)) = (u16_at(0), u16_at(2), u16_at(len - 2)) {
                    sheet.add(row, first);
                    sheet.add(row, last);
                }
            }
            t if ONE_CELL.contains(&t) => {
                if let (Some(row), Some(col)) = (u16_at(0), u16_at(2)) {
                    sheet.add(row, col);
                }
            }
            _ => continue,
        }
        let area = sheet.area();
        if area > limits.grid_cells {
            let what = "an xls sheet's cells, from its first used cell to its last (xls sheets are read whole)";
            return Err(Exceeded::new("grid_cells", what, area, limits.grid_cells));
        }
    }
    Ok(())
}

/// The `Workbook` (BIFF8) or `Book` (BIFF5) stream, no longer than the file size limit (none
/// when the compound file holds neither: calamine says so).
fn workbook_stream(bytes: &[u8], limits: &Limits) -> std::io::Result<Vec<u8>> {
    let mut file = cfb::CompoundFile::open(Cursor::new(bytes))?;
    let Some(name) = ["/Workbook", "/Book"].into_iter().find(|n| file.is_stream(n)) else { return Ok(Vec::new()) };
    let mut out = Vec::new();
    file.open_stream(name)?.take(limits.file_bytes()).read_to_end(&mut out)?;
    Ok(out)
}

/// The rectangle a sheet's cells span so far.
#[derive(Default)]
struct Rect {
    rows: Option<(u32, u32)>,
    cols: Option<(u32, u32)>,
}

impl Rect {
    fn add(&mut self, row: u32, col: u32) {
        let widen = |span: Option<(u32, u32)>, v: u32| Some(span.map_or((v, v), |(lo, hi)| (lo.min(v), hi.max(v))));
        self.rows = widen(self.rows, row);
        self.cols = widen(self.cols, col);
    }

    fn area(&self) -> u64 {
        match (self.rows, self.cols) {
            (Some((r0, r1)), Some((c0, c1))) => u64::from(r1 - r0 + 1) * u64::from(c1 - c0 + 1),
            _ => 0,
        }
    }
}
