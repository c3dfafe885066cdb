//! A workbook of one grid, mapped while its reader still sends the grid's rows.
//!
//! A worker sends a large sheet a batch of rows at a time ([`super::sheet::Event`]). When the
//! workbook gives one grid and its first rows are in with more to come, [`open`] hands over the
//! workbook read so far (its grid holding those first rows, its head) and the [`SheetRows`]
//! still to come, which the map takes a batch at a time ([`Coming`]). The map may
//! [`Coming::decline`] them: what the head showed of the table did not hold for its rest. The
//! rows then come no more, and the file is to be read and mapped whole, which gives what a file
//! read whole gives. The rows are declined too when the reader sends what a grid taken as it
//! comes cannot follow: a second grid, the grid read again (`Restart`), or its cells spanning
//! other columns than its first (fewer on its right are fine: the columns cut off are empty).
//!
//! The rows are checked as [`super::sheet::Assembler`] checks them: as wide as their grid,
//! within the grid's cell limit, and only while the grid is the last sheet sent.

use std::sync::Arc;

use super::sheet::{Assembler, Event};
use super::worker::{Next, Pool, Replies};
use super::{Content, Format, GridRow, ReadError, Sheet};
use crate::limits::Limits;

/// The rows a grid's head holds at least: enough for every whole-table judgement the map makes
/// from the first rows (the header among the first 30, each column's contents from its first
/// 60 cells) to be made on all of them in most sheets.
const HEAD_ROWS: usize = 256;

/// The rows still to come of a workbook's last grid, taken a batch at a time by the map.
pub trait Coming {
    /// The next batch of rows: waited for with `wait`, else only one already in. `None` says
    /// that none is in yet, or, waited for, that no more will come: the grid's rows are all in,
    /// or they stopped (declined, or the reading failed, which [`SheetRows::outcome`] tells).
    fn next(&mut self, wait: bool) -> Option<Vec<GridRow>>;
    /// Take no more rows, and drop what was mapped of them: the table is to be mapped from the
    /// whole file (even when every row is in).
    fn decline(&mut self);
    /// The sheets after the grid (passed over: hidden, not worksheets), once its rows are in.
    fn trailing(&mut self) -> Vec<Sheet>;
}

/// What [`open`] found.
pub enum Opened<'a> {
    /// The whole workbook (it did not stream).
    Whole(Content),
    /// The workbook so far, its last grid holding its first rows, and the rest of its rows.
    Streaming(Content, Box<SheetRows<'a>>),
}

/// What became of the rows of a streamed grid ([`SheetRows::outcome`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Every row came and was taken: what the map gave is the file's.
    Taken,
    /// The map declined them, or stopped taking them: the file is to be read and mapped whole.
    Declined,
}

/// Where the rows still coming stand.
enum State {
    Coming,
    /// Every row came, and the events after them.
    Done,
    Declined,
    Failed(ReadError),
}

/// The rest of a streamed grid's rows, from its worker.
pub struct SheetRows<'a> {
    replies: Replies,
    /// Checks the rows (width, cells) as it would assemble them, and assembles the sheets after.
    assembler: Assembler<'a>,
    /// The grid's columns, as its `Grid` event gave them.
    first_col: u32,
    width: u32,
    /// A batch read ahead: the rows that showed more were coming.
    ahead: Option<Vec<GridRow>>,
    /// A sheet after the grid's was sent: rows now are no grid's.
    after: bool,
    state: State,
}

/// Send a workbook to a worker of `pool` and read its events until its one grid's first rows
/// are in and more are coming; or the whole workbook.
pub fn open<'a>(
    pool: &'static Pool,
    bytes: &[u8],
    format: Format,
    file: &Arc<str>,
    limits: &'a Limits,
) -> Result<Opened<'a>, ReadError> {
    let mut replies = pool.open(bytes, format, file, limits)?;
    let mut assembler = Assembler::new(file, limits);
    let (mut grids, mut columns, mut rows) = (None, None, 0usize);
    loop {
        let event = match replies.next(true)? {
            Next::Event(event) => event,
            Next::Done => return Ok(Opened::Whole(assembler.finish())),
            Next::NotYet => continue,
        };
        let batch = match event {
            Event::Worksheets(n) => {
                grids = Some(n);
                assembler.push(event)?;
                continue;
            }
            Event::Grid { first_col, width, .. } => {
                (columns, rows) = (Some((first_col, width)), 0);
                assembler.push(event)?;
                continue;
            }
            Event::Rows(batch) => batch,
            other => {
                columns = None;
                assembler.push(other)?;
                continue;
            }
        };
        rows += batch.len();
        assembler.push(Event::Rows(batch))?;
        let (Some(1), Some((first_col, width))) = (grids, columns) else { continue };
        if rows < HEAD_ROWS {
            continue;
        }
        // Enough rows: more to come makes the rest come apart.
        match replies.next(true)? {
            Next::Event(Event::Rows(more)) => {
                let more = assembler.admit(more)?;
                let head = Content::Sheets(assembler.take_sheets());
                let rest = Box::new(SheetRows {
                    replies,
                    assembler,
                    first_col,
                    width,
                    ahead: Some(more),
                    after: false,
                    state: State::Coming,
                });
                return Ok(Opened::Streaming(head, rest));
            }
            Next::Event(event) => {
                columns = None;
                assembler.push(event)?;
            }
            Next::Done => return Ok(Opened::Whole(assembler.finish())),
            Next::NotYet => {}
        }
    }
}

impl SheetRows<'_> {
    /// What became of the rows, or how reading the file failed. Rows the map stopped taking
    /// before the last count as declined.
    pub fn outcome(self) -> Result<Outcome, ReadError> {
        match self.state {
            State::Done => Ok(Outcome::Taken),
            State::Declined | State::Coming => Ok(Outcome::Declined),
            State::Failed(e) => Err(e),
        }
    }

    /// The reading failed: no more rows, and the worker stopped.
    fn fail(&mut self, e: ReadError) -> Option<Vec<GridRow>> {
        self.state = State::Failed(e);
        self.replies.stop();
        None
    }
}

impl Coming for SheetRows<'_> {
    fn next(&mut self, wait: bool) -> Option<Vec<GridRow>> {
        if !matches!(self.state, State::Coming) {
            return None;
        }
        if let Some(rows) = self.ahead.take() {
            return Some(rows);
        }
        loop {
            let event = match self.replies.next(wait) {
                Ok(Next::Event(event)) => event,
                Ok(Next::Done) => {
                    self.state = State::Done;
                    return None;
                }
                Ok(Next::NotYet) => return None,
                Err(e) => return self.fail(e),
            };
            match event {
                // Rows after the sheets that follow the grid are refused, as the assembler
                // refuses them.
                Event::Rows(rows) if self.after => {
                    let refused = self.assembler.push(Event::Rows(rows)).err();
                    return self.fail(refused.unwrap_or_else(|| ReadError::Reported {
                        code: crate::diag::Code::FileUnreadable,
                        message: "the spreadsheet reader sent rows after their sheet".into(),
                        hint: String::new(),
                    }));
                }
                Event::Rows(rows) => {
                    return match self.assembler.admit(rows) {
                        Ok(rows) => Some(rows),
                        Err(e) => self.fail(e),
                    };
                }
                // The columns the cells span, from the grid's first: those cut off on its right
                // hold nothing, and are nothing to the map.
                Event::Extent { first_col, width } if first_col == self.first_col && width <= self.width => {}
                // The sheets after the grid's.
                event @ Event::Passed { .. } => {
                    self.after = true;
                    if let Err(e) = self.assembler.push(event) {
                        return self.fail(e);
                    }
                }
                // Columns narrower than the grid's, a grid read again, another grid: read whole.
                _ => {
                    self.decline();
                    return None;
                }
            }
        }
    }

    fn decline(&mut self) {
        // Even once every row is in (the convention is judged last); a failure stays one.
        if !matches!(self.state, State::Failed(_)) {
            self.state = State::Declined;
            self.replies.stop();
        }
    }

    fn trailing(&mut self) -> Vec<Sheet> {
        self.assembler.take_sheets()
    }
}
