//! An xls workbook's cells, located before calamine reads it.
//!
//! calamine reads an xls sheet whole into one rectangle from its first used cell to its last,
//! and reserves room for the rectangle its DIMENSIONS record declares: one cell at `IV65536`
//! beside a table is 16.7 million cells, and a DIMENSIONS record that claims four billion rows
//! is an allocation that aborts the process. So the BIFF records of the `Workbook` stream are
//! walked first (through the `cfb` crate), and each sheet's declared and used rectangles are
//! checked against `xls_cells`.
//!
//! A compound file the `cfb` crate refuses is refused as unreadable, not handed to calamine:
//! calamine's own container reader follows a sector chain that loops back on itself until
//! memory runs out (found by fuzzing), where the `cfb` crate detects the loop.

use std::io::{Cursor, Read};

use super::ReadError;
use crate::limits::{Exceeded, Limits};

/// Record types that hold one cell, with its row and column in their first four bytes.
const ONE_CELL: [u16; 7] = [0x0203, 0x0204, 0x00D6, 0x0205, 0x027E, 0x00FD, 0x0006];
const MUL_RK: u16 = 0x00BD;
const DIMENSIONS: u16 = 0x0200;
const BOF: u16 = 0x0809;

/// The first bytes of a compound file (an xls workbook, or an encrypted xlsx or xlsb).
const COMPOUND_FILE: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

/// A compound file under any spreadsheet name must be one the `cfb` crate can open: calamine
/// opens one to look for an encrypted package even in an xlsx or xlsb, with the reader this
/// module keeps it from.
pub fn check_container(bytes: &[u8]) -> Result<(), ReadError> {
    if !bytes.starts_with(&COMPOUND_FILE) {
        return Ok(());
    }
    cfb::CompoundFile::open(Cursor::new(bytes)).map(drop).map_err(|e| unreadable(&e))
}

fn unreadable(e: &std::io::Error) -> ReadError {
    ReadError::Reported {
        code: crate::diag::Code::FileUnreadable,
        message: format!("the file is not a readable workbook: its container is damaged ({e})"),
        hint: super::UNREADABLE_WORKBOOK.into(),
    }
}

/// Check the container, then every sheet's declared and used rectangle against `xls_cells`.
pub fn check(bytes: &[u8], limits: &Limits) -> Result<(), ReadError> {
    let streams = workbook_streams(bytes, limits).map_err(|e| unreadable(&e))?;
    for stream in streams {
        cells(&stream, limits)?;
    }
    Ok(())
}

fn cells(stream: &[u8], limits: &Limits) -> Result<(), Exceeded> {
    // One rectangle for the whole stream, not one per sheet: which records calamine takes for
    // which sheet depends on offsets a damaged file can set at will. Sheets of one workbook
    // overlap in practice (each starts near A1), so the union costs a real file nothing.
    let mut sheet = Rect::default();
    let mut at = 0usize;
    while let Some(header) = stream.get(at..at + 4) {
        let typ = u16::from_le_bytes([header[0], header[1]]);
        let len = usize::from(u16::from_le_bytes([header[2], header[3]]));
        let Some(data) = stream.get(at + 4..at + 4 + len) else { break };
        at += 4 + len;
        let u16_at = |i: usize| data.get(i..i + 2).map(|b| u32::from(u16::from_le_bytes([b[0], b[1]])));
        match typ {
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
                if area > limits.xls_cells {
                    let what = format!("an xls sheet's declared size ({rows} rows × {cols} columns), in cells");
                    return Err(Exceeded::new("xls_cells", what, area, limits.xls_cells));
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
        if area > limits.xls_cells {
            let what = "an xls sheet's cells, from its first used cell to its last (xls sheets are read whole)";
            return Err(Exceeded::new("xls_cells", what, area, limits.xls_cells));
        }
    }
    Ok(())
}

/// Every stream that is a BIFF workbook stream (it begins with a BOF record), each no longer
/// than the file size limit. Found by their first bytes, not by their names: calamine finds
/// `Workbook` by a name read differently from the `cfb` crate's (a damaged entry's name can be
/// empty to one and `Workbook` to the other).
fn workbook_streams(bytes: &[u8], limits: &Limits) -> std::io::Result<Vec<Vec<u8>>> {
    let mut file = cfb::CompoundFile::open(Cursor::new(bytes))?;
    let paths: Vec<_> = file.walk().filter(cfb::Entry::is_stream).map(|e| e.path().to_path_buf()).collect();
    let mut streams = Vec::new();
    for path in paths {
        let mut stream = Vec::new();
        file.open_stream(&path)?.take(limits.file_bytes()).read_to_end(&mut stream)?;
        if stream.starts_with(&BOF.to_le_bytes()) {
            streams.push(stream);
        }
    }
    Ok(streams)
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
