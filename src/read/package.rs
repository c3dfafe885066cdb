//! The zip package of an xlsx, xlsm, xlsb or ods file, checked from its central directory before
//! any part of it is inflated: the number of parts, and each part's declared size and
//! compression ratio. A zip bomb is refused here in microseconds, not after gigabytes of XML.
//!
//! An ODS package's `content.xml` is then scanned once for repeats: ODS compresses a run of
//! identical rows or cells into one element with a count, and a count of a billion on a row
//! that holds values would make the reader build a billion rows.
//!
//! A package that is no zip at all passes: the spreadsheet reader says what is wrong with it.

use std::io::{BufReader, Cursor};

use quick_xml::events::{BytesStart, Event};

use crate::limits::{Exceeded, Limits, mib};

/// Parts smaller than this are never refused for their ratio: small XML compresses well.
const RATIO_FLOOR: u64 = 1 << 20;

/// Check the package's central directory against the limits.
pub fn check(bytes: &[u8], ods: bool, limits: &Limits) -> Result<(), Exceeded> {
    directory(bytes, limits)?;
    if ods { repeats(bytes, limits) } else { Ok(()) }
}

fn directory(bytes: &[u8], limits: &Limits) -> Result<(), Exceeded> {
    let Ok(mut zip) = zip::ZipArchive::new(Cursor::new(bytes)) else { return Ok(()) };
    Limits::check("zip_entries", "the package's parts", zip.len() as u64, limits.zip_entries)?;
    let most = limits.zip_entry_mb.saturating_mul(1 << 20);
    let mut total: u64 = 0;
    for i in 0..zip.len() {
        let Ok(part) = zip.by_index_raw(i) else { continue };
        let name = part.name().map_or_else(|_| format!("#{i}"), |n| n.into_owned());
        let (size, packed) = (part.size(), part.compressed_size());
        if size > most {
            return Err(Exceeded::new(
                "zip_entry_mb",
                format!("part `{name}` unpacked"),
                mib(size),
                format!("{} MiB", limits.zip_entry_mb),
            ));
        }
        if size > RATIO_FLOOR && size / packed.max(1) > limits.zip_ratio {
            return Err(Exceeded::new(
                "zip_ratio",
                format!("part `{name}`'s compression ratio"),
                format!("{}:1", size / packed.max(1)),
                format!("{}:1", limits.zip_ratio),
            ));
        }
        total = total.saturating_add(size);
    }
    let most_total = most.saturating_mul(2);
    if total > most_total {
        return Err(Exceeded::new(
            "zip_entry_mb",
            "the package's parts unpacked together",
            mib(total),
            format!("{} MiB (twice `zip_entry_mb`)", limits.zip_entry_mb.saturating_mul(2)),
        ));
    }
    Ok(())
}

/// The row and cell repeats of an ODS `content.xml` that hold values, against `repeats`.
/// Repeats of empty rows and cells (a sheet's unused tail) are not counted: they cost nothing.
fn repeats(bytes: &[u8], limits: &Limits) -> Result<(), Exceeded> {
    let Ok(mut zip) = zip::ZipArchive::new(Cursor::new(bytes)) else { return Ok(()) };
    let Ok(content) = zip.by_name("content.xml") else { return Ok(()) };
    let mut xml = quick_xml::Reader::from_reader(BufReader::new(content));
    let mut buf = Vec::new();
    let (mut sheet, mut row, mut row_repeat, mut row_has_value) = (String::new(), 0u64, 1u64, false);
    let over = |what: String, n: u64| Exceeded::new("repeats", what, format!("{n} times"), limits.repeats);
    loop {
        // A malformed document is the reader's to report.
        let Ok(event) = xml.read_event_into(&mut buf) else { return Ok(()) };
        match event {
            Event::Start(e) | Event::Empty(e) => match e.name().into_inner() {
                "table:table" => {
                    sheet = attr(&e, "table:name").unwrap_or_default();
                    row = 0;
                }
                "table:table-row" => {
                    row_repeat = count(&e, "table:number-rows-repeated");
                    row_has_value = false;
                    row = row.saturating_add(1);
                }
                "table:table-cell" | "table:covered-table-cell" if attr(&e, "office:value-type").is_some() => {
                    row_has_value = true;
                    let n = count(&e, "table:number-columns-repeated");
                    if n > limits.repeats {
                        return Err(over(format!("a cell with a value in row {row} of sheet `{sheet}`, repeated"), n));
                    }
                }
                _ => {}
            },
            Event::End(e) if e.name().into_inner() == "table:table-row" => {
                if row_has_value && row_repeat > limits.repeats {
                    return Err(over(
                        format!("row {row} of sheet `{sheet}`, which holds values, repeated"),
                        row_repeat,
                    ));
                }
                row = row.saturating_add(row_repeat - 1);
            }
            Event::Eof => return Ok(()),
            _ => {}
        }
        buf.clear();
    }
}

fn attr(e: &BytesStart<'_>, name: &str) -> Option<String> {
    let a = e.try_get_attribute(name).ok()??;
    Some(a.value.into_owned())
}

/// A repeat count; 1 when absent or not a number.
fn count(e: &BytesStart<'_>, name: &str) -> u64 {
    attr(e, name).and_then(|v| v.trim().parse().ok()).unwrap_or(1).max(1)
}
