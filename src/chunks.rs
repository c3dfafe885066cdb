//! A list held in chunks of [`CHUNK`] items: one list while it is built and read by index, and
//! given up a chunk at a time after (a file's observations: checked in `validate`, made into
//! their table in `run`). A `Vec` is one allocation, freed only whole: a file's
//! million observations, made into their table's pieces, were held whole until the last piece
//! was made, beside every piece. Every chunk but the last is full, so an index is a chunk and a
//! place in it.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Items in a chunk: the rows of one piece of a table ([`crate::run`]).
pub const CHUNK: usize = 64 * 1024;

#[derive(Clone)]
pub struct Chunks<T> {
    chunks: Vec<Vec<T>>,
    len: usize,
    /// The room the first chunk is made with ([`Chunks::expect`]).
    room: usize,
}

/// Equal when their items are.
impl<T: PartialEq> PartialEq for Chunks<T> {
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len && self.chunks == other.chunks
    }
}

impl<T> Default for Chunks<T> {
    fn default() -> Self {
        Chunks { chunks: Vec::new(), len: 0, room: 0 }
    }
}

impl<T> Chunks<T> {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// About this many items will be pushed: the first chunk is made with room for them (at
    /// most a chunk's), rather than grown by copying.
    pub fn expect(&mut self, items: usize) {
        self.room = items.min(CHUNK);
    }

    /// Add an item at the end. The first chunk grows as a `Vec` does from the room expected
    /// (most lists are short); the others are made whole at once.
    pub fn push(&mut self, item: T) {
        match self.chunks.last_mut() {
            Some(chunk) if chunk.len() < CHUNK => chunk.push(item),
            last => {
                let room = if last.is_none() { self.room } else { CHUNK };
                let mut chunk = Vec::with_capacity(room);
                chunk.push(item);
                self.chunks.push(chunk);
            }
        }
        self.len += 1;
    }

    pub fn get(&self, i: usize) -> Option<&T> {
        self.chunks.get(i / CHUNK)?.get(i % CHUNK)
    }

    pub fn iter(&self) -> std::iter::Flatten<std::slice::Iter<'_, Vec<T>>> {
        self.chunks.iter().flatten()
    }

    pub fn first(&self) -> Option<&T> {
        self.chunks.first()?.first()
    }

    pub fn last(&self) -> Option<&T> {
        self.chunks.last()?.last()
    }

    /// Keep the items whose flag in `kept` is set (an item without one is dropped), in order.
    /// The chunks before the first item dropped stay as they are; the others are moved, each
    /// freed as soon as its items are: no more than a chunk is held twice.
    pub fn retain_flagged(&mut self, kept: &[bool]) {
        let first = kept.iter().position(|&k| !k).unwrap_or(kept.len());
        if first >= self.len {
            return;
        }
        let rest = self.chunks.split_off(first / CHUNK);
        self.len = self.chunks.len() * CHUNK;
        let mut flags = kept.iter().skip(self.len);
        for chunk in rest {
            for item in chunk {
                if flags.next() == Some(&true) {
                    self.push(item);
                }
            }
        }
    }

    /// The chunks, in order: every one but the last holds [`CHUNK`] items.
    pub fn into_chunks(self) -> Vec<Vec<T>> {
        self.chunks
    }
}

impl<T> std::ops::Index<usize> for Chunks<T> {
    type Output = T;
    fn index(&self, i: usize) -> &T {
        &self.chunks[i / CHUNK][i % CHUNK]
    }
}

impl<T> FromIterator<T> for Chunks<T> {
    fn from_iter<I: IntoIterator<Item = T>>(items: I) -> Self {
        let mut chunks = Chunks::default();
        items.into_iter().for_each(|item| chunks.push(item));
        chunks
    }
}

impl<T> From<Vec<T>> for Chunks<T> {
    fn from(items: Vec<T>) -> Self {
        items.into_iter().collect()
    }
}

impl<'a, T> IntoIterator for &'a Chunks<T> {
    type Item = &'a T;
    type IntoIter = std::iter::Flatten<std::slice::Iter<'a, Vec<T>>>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<T> IntoIterator for Chunks<T> {
    type Item = T;
    type IntoIter = std::iter::Flatten<std::vec::IntoIter<Vec<T>>>;
    fn into_iter(self) -> Self::IntoIter {
        self.chunks.into_iter().flatten()
    }
}

impl<T: std::fmt::Debug> std::fmt::Debug for Chunks<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// Serialised as a plain list.
impl<T: Serialize> Serialize for Chunks<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Chunks<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Vec::<T>::deserialize(d).map(Chunks::from)
    }
}

#[cfg(test)]
mod tests {
    use super::{CHUNK, Chunks};

    #[test]
    fn items_keep_their_index_order_and_chunks() {
        let n = 2 * CHUNK + 5;
        let mut list: Chunks<usize> = (0..n).collect();
        assert_eq!(list.len(), n);
        assert!((0..n).all(|i| list[i] == i && list.get(i) == Some(&i)));
        assert_eq!(list.get(n), None);
        assert_eq!((list.first(), list.last()), (Some(&0), Some(&(n - 1))));
        assert!(list.iter().copied().eq(0..n));
        assert!(list.clone().into_iter().eq(0..n));
        // Every third item dropped: the others keep their order, and every chunk but the last
        // is full again, so indices still find them.
        let kept: Vec<bool> = (0..n).map(|i| i % 3 != 0).collect();
        list.retain_flagged(&kept);
        let want: Vec<usize> = (0..n).filter(|i| i % 3 != 0).collect();
        assert_eq!(list.len(), want.len());
        assert!((0..want.len()).all(|i| list[i] == want[i]));
        let sizes: Vec<usize> = list.clone().into_chunks().iter().map(Vec::len).collect();
        assert_eq!(sizes, [CHUNK, want.len() - CHUNK]);
        // All kept: nothing moves; only the last item dropped: the full chunk before it stays.
        list.retain_flagged(&vec![true; list.len()]);
        assert_eq!(list.len(), want.len());
        let mut flags = vec![true; list.len()];
        flags[want.len() - 1] = false;
        list.retain_flagged(&flags);
        assert_eq!((list.len(), list.last()), (want.len() - 1, Some(&want[want.len() - 2])));
        assert!((0..list.len()).all(|i| list[i] == want[i]));
        list.retain_flagged(&[]);
        assert!(list.is_empty() && list.first().is_none());
    }

    #[test]
    fn serialised_as_a_plain_list() {
        let list: Chunks<i32> = vec![3, 1, 2].into();
        let json = serde_json::to_string(&list).unwrap();
        assert_eq!(json, "[3,1,2]");
        assert_eq!(serde_json::from_str::<Chunks<i32>>(&json).unwrap(), list);
    }

    /// The first chunk is made with the room expected, at most a chunk's; without it, it grows.
    #[test]
    fn the_first_chunk_has_the_room_expected() {
        let mut list = Chunks::default();
        list.expect(100);
        list.push(1);
        assert!(list.chunks[0].capacity() >= 100);
        let mut list = Chunks::default();
        list.expect(10 * CHUNK);
        list.push(1);
        assert_eq!(list.chunks[0].capacity(), CHUNK);
        let mut list: Chunks<u8> = Chunks::default();
        list.expect(100);
        assert!(list.chunks.is_empty(), "no chunk before an item");
    }
}
