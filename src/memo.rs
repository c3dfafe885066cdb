//! Remembered: a value per distinct spelling, computed once. A file writes a handful of
//! clusters, countries, KPIs and units on its many rows, so what a spelling reads as is worked
//! out once per spelling, not once per row. Past [`Remembered::MAX`] spellings (a hostile file),
//! a spelling is worked out each time: the memory stays bounded. The table is keyed with the
//! standard library's seeded hash, so spellings chosen to collide cannot slow every lookup.

use std::collections::HashMap;

#[derive(Debug)]
pub struct Remembered<T> {
    known: HashMap<Box<str>, T>,
}

impl<T> Default for Remembered<T> {
    fn default() -> Self {
        Remembered { known: HashMap::default() }
    }
}

impl<T: Clone> Remembered<T> {
    /// Spellings kept, at most.
    pub const MAX: usize = 4096;

    /// What `text` reads as: remembered, or `work_out(text)`, remembered while there is room.
    pub fn get(&mut self, text: &str, work_out: impl FnOnce(&str) -> T) -> T {
        if let Some(known) = self.known.get(text) {
            return known.clone();
        }
        let found = work_out(text);
        if self.known.len() < Self::MAX {
            self.known.insert(text.into(), found.clone());
        }
        found
    }
}
