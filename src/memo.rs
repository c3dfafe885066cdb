//! Remembered: a value per distinct spelling, computed once. A file writes a handful of
//! clusters, countries, KPIs and units on its many rows, so what a spelling reads as is worked
//! out once per spelling, not once per row. Past [`Remembered::MAX`] spellings (a hostile file),
//! a spelling is worked out each time: the memory stays bounded. The table is keyed with aHash,
//! seeded at random per table (as the standard library's hash is, at a fraction of its cost), so
//! spellings chosen to collide cannot slow every lookup.

use std::collections::HashMap;

#[derive(Debug)]
pub struct Remembered<T> {
    known: HashMap<Box<str>, T, ahash::RandomState>,
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

/// A value per distinct spelling, shared by every thread and file of a run: the second level
/// behind a worker's [`Remembered`], so what one file worked out another does not work out
/// again. Bounded like [`Remembered`]. A lock poisoned by a panic elsewhere is passed by: the
/// value is worked out again.
#[derive(Debug)]
pub struct SharedMemo<T> {
    known: std::sync::RwLock<HashMap<Box<str>, T, ahash::RandomState>>,
}

impl<T> Default for SharedMemo<T> {
    fn default() -> Self {
        SharedMemo { known: std::sync::RwLock::default() }
    }
}

impl<T: Clone> SharedMemo<T> {
    /// What `text` reads as: remembered, or `work_out(text)`, remembered while there is room.
    pub fn get(&self, text: &str, work_out: impl FnOnce(&str) -> T) -> T {
        if let Ok(known) = self.known.read()
            && let Some(found) = known.get(text)
        {
            return found.clone();
        }
        let found = work_out(text);
        if let Ok(mut known) = self.known.write()
            && known.len() < Remembered::<T>::MAX
        {
            known.entry(text.into()).or_insert_with(|| found.clone());
        }
        found
    }
}

/// A text many rows share (a cluster id, a KPI, a unit, a facility): held once, however many
/// rows hold it, and cloned without copying. Read and compared like a `String`; serialised as a
/// plain string.
///
/// One pointer wide (an `Arc<str>` is two): an observation holds nine of these, so a million rows
/// hold 72 MB less. The price is a second pointer to follow when the text is read, to a text
/// every other row also reads.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct SharedStr(std::sync::Arc<Box<str>>);

const _: () = assert!(size_of::<Option<SharedStr>>() == size_of::<usize>());

/// Equal texts, told by their address first: texts shared by many rows are mostly the same one.
pub fn same_text(a: &str, b: &str) -> bool {
    std::ptr::eq(a, b) || a == b
}

/// Values remembered by the addresses of the `N` texts (or their absence) they were worked out
/// from, without hashing or comparing a text: rows that share their texts share their value.
/// Every text is borrowed for `'a`, so it stays alive, and one address and length stays one
/// text, for as long as the table. Texts not shared (each row its own copy) are not remembered
/// past [`Remembered::MAX`] entries.
pub struct ByAddress<'a, const N: usize, V> {
    known: rustc_hash::FxHashMap<[(usize, usize); N], V>,
    texts: std::marker::PhantomData<&'a str>,
}

impl<const N: usize, V> Default for ByAddress<'_, N, V> {
    fn default() -> Self {
        ByAddress { known: Default::default(), texts: std::marker::PhantomData }
    }
}

impl<'a, const N: usize, V: Clone> ByAddress<'a, N, V> {
    /// The value for `texts`: remembered, or `work_out()`, remembered while there is room.
    pub fn get(&mut self, texts: [Option<&'a str>; N], work_out: impl FnOnce() -> V) -> V {
        // No text lies at address 0: an absent one is told from every text.
        let key = texts.map(|t| t.map_or((0, 0), |t| (t.as_ptr() as usize, t.len())));
        if let Some(value) = self.known.get(&key) {
            return value.clone();
        }
        let value = work_out();
        if self.known.len() < Remembered::<V>::MAX {
            self.known.insert(key, value.clone());
        }
        value
    }
}

impl SharedStr {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::ops::Deref for SharedStr {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for SharedStr {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::borrow::Borrow<str> for SharedStr {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for SharedStr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::fmt::Debug for SharedStr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&**self.0, f)
    }
}

impl From<&str> for SharedStr {
    fn from(text: &str) -> Self {
        SharedStr(std::sync::Arc::new(text.into()))
    }
}

impl From<String> for SharedStr {
    fn from(text: String) -> Self {
        SharedStr(std::sync::Arc::new(text.into_boxed_str()))
    }
}

impl PartialEq<str> for SharedStr {
    fn eq(&self, other: &str) -> bool {
        &**self.0 == other
    }
}

impl PartialEq<&str> for SharedStr {
    fn eq(&self, other: &&str) -> bool {
        &**self.0 == *other
    }
}

impl PartialEq<String> for SharedStr {
    fn eq(&self, other: &String) -> bool {
        **self.0 == **other
    }
}

/// Texts shared by spelling: the same spelling gives clones of one [`SharedStr`] (bounded like
/// every [`Remembered`]: past it, a spelling gets an allocation of its own, equal all the same).
#[derive(Debug, Default)]
pub struct Shared {
    known: Remembered<SharedStr>,
}

impl Shared {
    /// `text` as a shared text.
    pub fn get(&mut self, text: &str) -> SharedStr {
        self.known.get(text, |t| SharedStr::from(t))
    }
}

/// One `T` per thread of rayon's pool, kept as long as this is: a memo that lives for a whole
/// file, where `map_init` would start a fresh one for every piece rayon splits the work into
/// (and so work each spelling out again, dozens of times a batch).
///
/// [`PerThread::get`] lends the calling thread its own `T`. A thread outside the pool, or a slot
/// still lent (never, as long as the borrower does not wait on other rayon work), gets a fresh
/// `T` of its own: a memo missed, never a wait.
#[derive(Debug)]
pub struct PerThread<T> {
    slots: Vec<std::sync::Mutex<T>>,
}

impl<T: Default> Default for PerThread<T> {
    fn default() -> Self {
        PerThread { slots: (0..rayon::current_num_threads()).map(|_| std::sync::Mutex::default()).collect() }
    }
}

impl<T: Default> PerThread<T> {
    /// The calling thread's `T`.
    pub fn get(&self) -> Lent<'_, T> {
        let slot = rayon::current_thread_index().and_then(|i| self.slots.get(i));
        match slot.and_then(|m| m.try_lock().ok()) {
            Some(guard) => Lent::Slot(guard),
            None => Lent::Own(T::default()),
        }
    }
}

/// What [`PerThread::get`] lends.
pub enum Lent<'a, T> {
    Slot(std::sync::MutexGuard<'a, T>),
    Own(T),
}

impl<T> std::ops::Deref for Lent<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        match self {
            Lent::Slot(guard) => guard,
            Lent::Own(own) => own,
        }
    }
}

impl<T> std::ops::DerefMut for Lent<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        match self {
            Lent::Slot(guard) => guard,
            Lent::Own(own) => own,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ByAddress;

    /// One text at one address is worked out once; the same text at another address, and an
    /// absent text beside an empty one, are told apart (worked out again, never mistaken).
    #[test]
    fn values_by_address_are_worked_out_once_a_text() {
        let (a, b): (&'static str, &'static str) = (String::from("tCO2e").leak(), String::from("tCO2e").leak());
        let empty: &'static str = String::new().leak();
        let mut memo: ByAddress<'_, 2, usize> = ByAddress::default();
        let mut worked = 0;
        let mut get = |texts: [Option<&'static str>; 2]| {
            memo.get(texts, || {
                worked += 1;
                worked
            })
        };
        assert_eq!(get([Some(a), None]), 1);
        assert_eq!(get([Some(a), None]), 1, "the same addresses: remembered");
        assert_eq!(get([Some(b), None]), 2, "another copy of the text: worked out");
        assert_eq!(get([Some(a), Some(empty)]), 3, "an empty text is not an absent one");
        assert_eq!(get([Some(a), None]), 1);
    }
}
