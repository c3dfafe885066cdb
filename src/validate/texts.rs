//! The raw texts of a file's candidate rows, kept until the rows are judged against each other:
//! a candidate dropped then (a repeat, a conflict) is rejected with its cells as written. Nearly
//! no candidate is, so the texts are kept packed one after the other, a block of rows at a time,
//! and read by walking their block: each text is its fields' bits and each field's length
//! (LEB128) before its bytes, about 100 bytes a row of the benchmark's L. A number (a
//! spreadsheet's or a JSON file's) is kept as its 8 bytes and written out only when its row is
//! read back: nearly no row is, and writing a number costs more than keeping it.
//!
//! A full block is compressed (zstd, its fastest level), on every core, as the rows come
//! ([`Texts::seal`]): a file's rows repeat their names, units and ids, so a block takes about a
//! tenth of its size. Only a block a dropped row is read from is decompressed again.

use crate::map::RawRow;
use crate::schema::Field;

/// Texts packed in one block: reading one walks at most this many.
const BLOCK_ROWS: usize = 4096;

/// A row's non-blank cells as text, packed: what a rejects row shows of it ([`RawText::fields`]).
/// Two bytes of bits, bit `i` set when field `i` is present, two more with bit `i` set when it
/// is a number, then each present field in field order: a number's 8 bytes (little-endian
/// bits), any other field's length (LEB128) and bytes.
pub(super) struct RawText(Vec<u8>);

const _: () = assert!(Field::COUNT <= 16);

impl RawText {
    pub(super) fn of(row: &RawRow) -> RawText {
        use std::fmt::Write as _;
        // Sized for the row at once: a text cell takes its bytes and a length, a number rarely
        // more than 24 digits.
        let size = row
            .fields
            .iter()
            .flatten()
            .map(|l| if let crate::read::Cell::Text(t) = &l.cell { t.len() + 3 } else { 27 });
        let mut bytes = Vec::with_capacity(HEAD + size.sum::<usize>());
        bytes.extend_from_slice(&[0; HEAD]);
        let mut text = RawText(bytes);
        let mut written = String::new();
        for (i, located) in row.fields.iter().enumerate() {
            match located.as_ref().map(|l| &l.cell).filter(|c| !c.is_blank()) {
                Some(crate::read::Cell::Text(t)) => text.push(i, t.as_bytes()),
                Some(crate::read::Cell::Number(n)) => text.push_number(i, *n),
                Some(cell) => {
                    written.clear();
                    // Writing to a string cannot fail.
                    _ = write!(written, "{cell}");
                    text.push(i, written.as_bytes());
                }
                None => {}
            }
        }
        text
    }

    /// Add field `i` (after any field before it).
    fn push(&mut self, i: usize, bytes: &[u8]) {
        self.mark(0, i);
        let mut len = bytes.len();
        // LEB128: seven bits a byte, the high bit set on all but the last.
        while len >= 0x80 {
            self.0.push((len & 0x7f) as u8 | 0x80);
            len >>= 7;
        }
        self.0.push(len as u8);
        self.0.extend_from_slice(bytes);
    }

    /// Add field `i`, a number (after any field before it).
    fn push_number(&mut self, i: usize, n: f64) {
        self.mark(0, i);
        self.mark(2, i);
        self.0.extend_from_slice(&n.to_bits().to_le_bytes());
    }

    /// Set bit `i` of the two bytes of bits at `at`.
    fn mark(&mut self, at: usize, i: usize) {
        let bits = u16::from_le_bytes([self.0[at], self.0[at + 1]]) | (1 << i);
        self.0[at..at + 2].copy_from_slice(&bits.to_le_bytes());
    }

    pub(super) fn fields(&self) -> Vec<(Field, String)> {
        unpack(&self.0, true).map(|(fields, _)| fields).unwrap_or_default()
    }
}

/// The bytes of bits before a text's fields: which are present, which are numbers.
const HEAD: usize = 4;

/// The packed text at the start of `bytes`: its fields (with `read`), and its length in bytes.
fn unpack(bytes: &[u8], read: bool) -> Option<(Vec<(Field, String)>, usize)> {
    let bits = |at: usize| Some(u16::from_le_bytes([*bytes.get(at)?, *bytes.get(at + 1)?]));
    let (present, numbers) = (bits(0)?, bits(2)?);
    let (mut at, mut fields) = (HEAD, Vec::new());
    for (i, field) in Field::ALL.iter().enumerate() {
        if present & (1 << i) == 0 {
            continue;
        }
        if numbers & (1 << i) != 0 {
            let end = at.checked_add(8)?;
            let number = f64::from_bits(u64::from_le_bytes(bytes.get(at..end)?.try_into().ok()?));
            at = end;
            if read {
                fields.push((*field, crate::read::Cell::Number(number).to_string()));
            }
            continue;
        }
        let (mut len, mut shift) = (0usize, 0);
        loop {
            let byte = *bytes.get(at)?;
            at += 1;
            len |= usize::from(byte & 0x7f) << shift;
            shift += 7;
            if byte & 0x80 == 0 || shift > 56 {
                break;
            }
        }
        let end = at.checked_add(len)?;
        let text = bytes.get(at..end)?;
        at = end;
        if read {
            fields.push((*field, String::from_utf8_lossy(text).into_owned()));
        }
    }
    Some((fields, at))
}

/// The texts of the candidates, in order, packed.
#[derive(Default)]
pub(super) struct Texts {
    /// Blocks of [`BLOCK_ROWS`] texts each, but the last.
    blocks: Vec<Block>,
    /// The texts in the last block.
    last_rows: usize,
    /// The blocks before this one are sealed.
    sealed: usize,
}

/// A block of texts: still open to more, or full and compressed.
enum Block {
    Open(Vec<u8>),
    /// The block's bytes compressed, and their length.
    Sealed {
        zstd: Vec<u8>,
        len: usize,
    },
}

/// zstd's fastest level: the texts are kept for a few minutes, and compressing is on the way of
/// every row.
const LEVEL: i32 = 1;

impl Block {
    /// The block sealed: compressed, or left open if it cannot be.
    fn seal(self) -> Block {
        match self {
            Block::Open(bytes) => match zstd::bulk::compress(&bytes, LEVEL) {
                // The compressed bytes come in a buffer of the worst case's size: about the
                // block's own, given back here.
                Ok(mut zstd) => {
                    zstd.shrink_to_fit();
                    Block::Sealed { zstd, len: bytes.len() }
                }
                Err(_) => Block::Open(bytes),
            },
            sealed => sealed,
        }
    }

    /// How many bytes the block's texts take, uncompressed (whether or not it is sealed).
    fn len(&self) -> usize {
        match self {
            Block::Open(bytes) => bytes.len(),
            Block::Sealed { len, .. } => *len,
        }
    }

    /// The block's bytes; empty if they cannot be read back.
    fn bytes(&self) -> std::borrow::Cow<'_, [u8]> {
        match self {
            Block::Open(bytes) => bytes.into(),
            Block::Sealed { zstd, len } => {
                let bytes = zstd::bulk::decompress(zstd, *len);
                debug_assert!(bytes.is_ok(), "a block compressed here decompresses");
                bytes.unwrap_or_default().into()
            }
        }
    }
}

impl Texts {
    pub(super) fn push(&mut self, text: &RawText) {
        if self.blocks.is_empty() || self.last_rows == BLOCK_ROWS {
            // Room for as many bytes as the block before held: a block is not grown by copying.
            let room = self.blocks.last().map_or(0, Block::len);
            self.blocks.push(Block::Open(Vec::with_capacity(room)));
            self.last_rows = 0;
        }
        if let Some(Block::Open(block)) = self.blocks.last_mut() {
            block.extend_from_slice(&text.0);
            self.last_rows += 1;
        }
    }

    /// Compress the full blocks not compressed yet, on every core.
    pub(super) fn seal(&mut self) {
        use rayon::prelude::*;
        let full = if self.last_rows == BLOCK_ROWS { self.blocks.len() } else { self.blocks.len().saturating_sub(1) };
        if full <= self.sealed {
            return;
        }
        self.blocks[self.sealed..full].par_iter_mut().for_each(|block| {
            *block = std::mem::replace(block, Block::Open(Vec::new())).seal();
        });
        self.sealed = full;
    }

    /// Read the texts back, in ascending order of their index.
    pub(super) fn reader(&self) -> Reader<'_> {
        Reader { texts: self, block: None, row: 0, at: 0 }
    }
}

/// Reads texts back, walking each block once however many of its texts are read.
pub(super) struct Reader<'a> {
    texts: &'a Texts,
    /// The block being read, and its bytes.
    block: Option<(usize, std::borrow::Cow<'a, [u8]>)>,
    /// The next text to walk over: text `row` of the block, at byte `at` of it.
    row: usize,
    at: usize,
}

impl Reader<'_> {
    /// The fields of text `i`. Texts are read in ascending order: one before the last read
    /// walks its block from the start. Empty if there is no text `i`.
    pub(super) fn fields(&mut self, i: usize) -> Vec<(Field, String)> {
        let (block, row) = (i / BLOCK_ROWS, i % BLOCK_ROWS);
        if self.block.as_ref().is_none_or(|(b, _)| *b != block) {
            let Some(bytes) = self.texts.blocks.get(block) else { return Vec::new() };
            (self.block, self.row, self.at) = (Some((block, bytes.bytes())), 0, 0);
        } else if row < self.row {
            (self.row, self.at) = (0, 0);
        }
        let Some((_, bytes)) = &self.block else { return Vec::new() };
        while self.row < row {
            let Some((_, len)) = unpack(&bytes[self.at..], false) else { return Vec::new() };
            (self.row, self.at) = (self.row + 1, self.at + len);
        }
        unpack(&bytes[self.at..], true).map(|(fields, _)| fields).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Row `i`'s fields: a KPI, a value, and every third row a note with a comma, quotes and an
    /// accent; the value of every fifth row is blank (absent).
    fn fields_of(i: usize) -> Vec<(Field, String)> {
        let mut fields = vec![(Field::Kpi, format!("kpi {}", i % 7))];
        if !i.is_multiple_of(5) {
            fields.push((Field::Value, format!("{}.25", i)));
        }
        if i.is_multiple_of(3) {
            fields.push((Field::Notes, "é, \"quoted\"".to_owned()));
        }
        fields
    }

    fn text_of(fields: &[(Field, String)]) -> RawText {
        let mut text = RawText(vec![0; HEAD]);
        for (field, t) in fields {
            text.push(field.index(), t.as_bytes());
        }
        text
    }

    /// A number is kept as its bits, and read back as its cell shows it (a whole number without
    /// a fraction, the rest as Rust writes them), between texts before and after it.
    #[test]
    fn numbers_read_back_as_their_cells_show_them() {
        let mut text = RawText(vec![0; HEAD]);
        text.push(Field::Cluster.index(), b"Humber");
        text.push_number(Field::Year.index(), 2023.0);
        text.push(Field::Kpi.index(), b"jobs");
        text.push_number(Field::Value.index(), -1234.5);
        let want =
            |t: &[(Field, &str)]| -> Vec<(Field, String)> { t.iter().map(|(f, s)| (*f, s.to_string())).collect() };
        assert_eq!(
            text.fields(),
            want(&[(Field::Cluster, "Humber"), (Field::Year, "2023"), (Field::Kpi, "jobs"), (Field::Value, "-1234.5")])
        );
        let mut texts = Texts::default();
        texts.push(&text);
        texts.push(&text_of(&fields_of(1)));
        let mut reader = texts.reader();
        assert_eq!(reader.fields(1), fields_of(1), "a text after one holding numbers");
        let mut small = RawText(vec![0; HEAD]);
        small.push_number(Field::Value.index(), 0.1 + 0.2);
        assert_eq!(small.fields(), want(&[(Field::Value, "0.30000000000000004")]));
    }

    /// Every text read back is its row's, over several blocks sealed and open, whichever are
    /// read and skipped, and read again from an earlier one; a field of 300 bytes takes a
    /// two-byte length.
    #[test]
    fn texts_read_back_are_the_rows_texts() {
        let n = 2 * BLOCK_ROWS + 100;
        let long = "x".repeat(300);
        let mut texts = Texts::default();
        for i in 0..n {
            texts.push(&text_of(&fields_of(i)));
        }
        texts.seal();
        texts.push(&text_of(&[(Field::Facility, long.clone())]));
        texts.seal();
        assert_eq!(texts.blocks.len(), 3);
        assert_eq!(texts.sealed, 2, "the full blocks are sealed, the last is open");
        assert!(matches!(texts.blocks[..2], [Block::Sealed { .. }, Block::Sealed { .. }]));
        let mut reader = texts.reader();
        for i in [0, 1, 5, BLOCK_ROWS - 1, BLOCK_ROWS, BLOCK_ROWS + 3, 2 * BLOCK_ROWS, n - 1, 1, 2 * BLOCK_ROWS + 1] {
            assert_eq!(reader.fields(i), fields_of(i), "text {i}");
        }
        assert_eq!(reader.fields(n), [(Field::Facility, long)]);
        assert_eq!(reader.fields(n + 1), []);
        assert_eq!(text_of(&fields_of(3)).fields(), fields_of(3));
    }
}
