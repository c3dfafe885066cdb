//! The identity of a figure: one [`SeriesKey`], with one normalisation, used wherever two
//! observations are asked whether they are "the same": duplicates within a submission,
//! supersession across submissions, year-on-year plausibility, facility rows against their
//! total, and the summary's grouping.
//!
//! Cluster and KPI are registry and catalog ids already. Facility, scope and gas are free text,
//! compared by their comparison key ([`crate::schema::text::key`]: case, accents, punctuation
//! and spacing ignored), so `Scope 1`, `scope 1` and `SCOPE-1` are one key everywhere. A text
//! whose key is empty (`-`) is the same as none.

use std::hash::{BuildHasher, Hash};
use std::sync::Arc;

use rayon::prelude::*;
use rustc_hash::FxBuildHasher;

use super::Observation;
use crate::memo::{Remembered, Shared, SharedStr};
use crate::schema::text::key;

/// (cluster, facility, year, KPI, scope, gas), normalised. Compared, hashed and ordered as its
/// [`KeyRef`]: by what it says, never by where it is held.
///
/// Every row keeps its key until the run is written, so a key is small: its year, and the rest
/// ([`Parts`]) shared with the keys of the other years and rows of the same series.
#[derive(Clone, Debug)]
pub struct SeriesKey {
    parts: Arc<Parts>,
    pub year: i32,
}

/// A key but its year, with its hash: a file's million keys are grouped several times over
/// (repeats, jumps, supersession), and each series' texts are hashed once.
#[derive(Debug)]
struct Parts {
    cluster: SharedStr,
    /// `None`: the cluster total.
    facility: Option<SharedStr>,
    kpi: SharedStr,
    scope: Option<SharedStr>,
    gas: Option<SharedStr>,
    /// [`HASHER`]'s hash of the texts: the same for equal parts, whichever thread made them.
    hash: u64,
    /// [`HASHER`]'s hash of the cluster total's texts (the facility left out), likewise, in 32
    /// bits ([`Parts::total_hash`]): with `made`, the parts take no more room than without it.
    total_hash32: u32,
    /// Where it was made: the low 8 bits of its memo's number among the process's, and its own
    /// number in that memo (from 0, up to [`Made::LOCAL`]), where [`Ids`] remembers the numbers
    /// it gave it.
    made: Made,
}

// A million series (every row its own facility) hold a million parts, each shared: a part is
// 56 bytes, 72 with its shared pointer's counts (8 more took 17 MB more on such a file).
const _: () = assert!(size_of::<Parts>() == 56);

/// A part's memo and its number there, in 32 bits ([`Parts::made`]).
#[derive(Clone, Copy, Debug, Default)]
struct Made(u32);

impl Made {
    /// The largest number of a part in its memo; parts made after it all take it.
    const LOCAL: u32 = (1 << 24) - 1;

    fn new(memo: u32, local: usize) -> Made {
        let local = u32::try_from(local).map_or(Made::LOCAL, |l| l.min(Made::LOCAL));
        Made((memo & 0xff) << 24 | local)
    }

    fn memo(self) -> u32 {
        self.0 >> 24
    }

    fn local(self) -> u32 {
        self.0 & Made::LOCAL
    }
}

/// The hasher of every key's parts in this process, seeded at random (so texts chosen to
/// collide cannot make one group of them all).
static HASHER: std::sync::LazyLock<ahash::RandomState> = std::sync::LazyLock::new(ahash::RandomState::new);

impl PartialEq for Parts {
    /// Compared by their shared texts, each by its address first (those of one memo are one).
    fn eq(&self, other: &Self) -> bool {
        self.hash == other.hash && self.facility == other.facility && self.same_total(other)
    }
}

impl Parts {
    /// The same cluster total: the parts but the facility are equal.
    fn same_total(&self, other: &Self) -> bool {
        self.cluster == other.cluster && self.kpi == other.kpi && self.scope == other.scope && self.gas == other.gas
    }

    /// The same cluster total, told by address, then by hash and texts.
    fn same_total_as(&self, other: &Self) -> bool {
        std::ptr::eq(self, other) || self.total_hash32 == other.total_hash32 && self.same_total(other)
    }

    /// The cluster total's hash, spread over 64 bits (a hash table reads its top bits).
    fn total_hash(&self) -> u64 {
        u64::from(self.total_hash32).wrapping_mul(0x9e37_79b9_7f4a_7c15)
    }
}

impl Eq for Parts {}

/// A series: a key in every year. Compared by its texts, hashed by their hash.
#[derive(Clone, Copy, Debug)]
pub struct Series<'a>(&'a Arc<Parts>);

impl PartialEq for Series<'_> {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(self.0, other.0) || self.0 == other.0
    }
}

impl Eq for Series<'_> {}

impl Hash for Series<'_> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        state.write_u64(self.0.hash);
    }
}

/// The cluster total a figure is a part of, in its year ([`KeyRef::cluster_total`]): compared by
/// its texts, hashed by their hash, so a million figures are grouped by their totals without
/// hashing a text of theirs.
#[derive(Clone, Copy, Debug)]
pub struct Total<'a> {
    parts: &'a Arc<Parts>,
    year: i32,
}

impl<'a> Total<'a> {
    /// The total by reference.
    pub fn by_ref(&self) -> KeyRef<'a> {
        KeyRef { year: self.year, ..self.parts.by_ref() }.cluster_total()
    }
}

impl PartialEq for Total<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.year == other.year && self.parts.same_total_as(other.parts)
    }
}

impl Eq for Total<'_> {}

impl Hash for Total<'_> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        state.write_u64(self.parts.total_hash());
        state.write_i32(self.year);
    }
}

// A million rows keep a million keys.
const _: () = assert!(size_of::<SeriesKey>() <= 16);

impl PartialEq for SeriesKey {
    fn eq(&self, other: &Self) -> bool {
        self.year == other.year && self.series() == other.series()
    }
}

impl Eq for SeriesKey {}

impl Hash for SeriesKey {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.series().hash(state);
        state.write_i32(self.year);
    }
}

impl PartialOrd for SeriesKey {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for SeriesKey {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.by_ref().cmp(&other.by_ref())
    }
}

/// The comparison form of a free-text part of the key.
pub fn normalise(text: Option<&str>) -> Option<String> {
    text.map(key).filter(|k| !k.is_empty())
}

impl SeriesKey {
    /// The key by reference: what maps group by without copying its texts.
    pub fn by_ref(&self) -> KeyRef<'_> {
        KeyRef { year: self.year, ..self.parts.by_ref() }
    }

    /// The series in every year: what year-on-year checks group by.
    pub fn series(&self) -> Series<'_> {
        Series(&self.parts)
    }

    /// The cluster total this figure is a part of: what facility rows add up to.
    pub fn total(&self) -> Total<'_> {
        Total { parts: &self.parts, year: self.year }
    }
}

impl Parts {
    /// The parts by reference, in the year 0.
    fn by_ref(&self) -> KeyRef<'_> {
        KeyRef {
            cluster: &self.cluster,
            facility: self.facility.as_deref(),
            year: 0,
            kpi: &self.kpi,
            scope: self.scope.as_deref(),
            gas: self.gas.as_deref(),
        }
    }
}

/// Series keys made one after the other, each distinct text normalised once, and the parts of
/// each series held once: a file's rows repeat a few clusters, KPIs and facilities, and each
/// series over its years. The parts are kept for as long as the memo, each once (the table
/// holds a pointer to each): no more of them than of the keys made.
pub struct KeyMemo {
    texts: Shared,
    normal: Remembered<Option<SharedStr>>,
    parts: hashbrown::HashTable<Arc<Parts>>,
    /// This memo's number among the process's ([`Parts::made`]).
    number: u32,
}

impl Default for KeyMemo {
    fn default() -> Self {
        static MADE: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let number = MADE.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        KeyMemo { texts: Shared::default(), normal: Remembered::default(), parts: Default::default(), number }
    }
}

impl std::fmt::Debug for KeyMemo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyMemo").field("parts", &self.parts.len()).finish_non_exhaustive()
    }
}

impl KeyMemo {
    /// The key of a figure given by its parts as written.
    pub fn key(&mut self, p: KeyRef<'_>) -> SeriesKey {
        let cluster = self.texts.get(p.cluster);
        let kpi = self.texts.get(p.kpi);
        self.of_parts(&cluster, p.facility, p.year, &kpi, p.scope, p.gas)
    }

    /// The key of an observation (its ids shared with it).
    pub fn of(&mut self, o: &Observation) -> SeriesKey {
        self.of_parts(&o.cluster_id, o.facility.as_deref(), o.year, &o.kpi, o.scope.as_deref(), o.gas.as_deref())
    }

    /// The key of these parts as written: the parts made before for the same series, or new ones.
    fn of_parts(
        &mut self,
        cluster: &SharedStr,
        facility: Option<&str>,
        year: i32,
        kpi: &SharedStr,
        scope: Option<&str>,
        gas: Option<&str>,
    ) -> SeriesKey {
        let (facility, scope, gas) = (
            facility.and_then(|t| self.normal(t)),
            scope.and_then(|t| self.normal(t)),
            gas.and_then(|t| self.normal(t)),
        );
        let mut wanted = Parts {
            cluster: cluster.clone(),
            facility,
            kpi: kpi.clone(),
            scope,
            gas,
            hash: 0,
            total_hash32: 0,
            made: Made::default(),
        };
        wanted.hash = HASHER.hash_one(wanted.by_ref());
        if let Some(parts) = self.parts.find(wanted.hash, |p| **p == wanted) {
            return SeriesKey { parts: Arc::clone(parts), year };
        }
        // (The low 32 bits of a 64-bit hash, as good as any 32 of its bits.)
        wanted.total_hash32 = HASHER.hash_one(wanted.by_ref().cluster_total()) as u32;
        wanted.made = Made::new(self.number, self.parts.len());
        let parts = Arc::new(wanted);
        self.parts.insert_unique(parts.hash, Arc::clone(&parts), |p| p.hash);
        SeriesKey { parts, year }
    }

    /// A free text's part of a key: its comparison form ([`normalise`]).
    fn normal(&mut self, text: &str) -> Option<SharedStr> {
        self.normal.get(text, |t| normalise(Some(t)).map(SharedStr::from))
    }
}

/// A [`SeriesKey`] by reference, with the same order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyRef<'a> {
    pub cluster: &'a str,
    pub facility: Option<&'a str>,
    pub year: i32,
    pub kpi: &'a str,
    pub scope: Option<&'a str>,
    pub gas: Option<&'a str>,
}

impl KeyRef<'_> {
    /// The cluster total this figure is a part of (the facility removed).
    pub fn cluster_total(mut self) -> Self {
        self.facility = None;
        self
    }

    /// Every gas of the figure together (the gas removed): what per-gas rows add up to.
    pub fn all_gases(mut self) -> Self {
        self.gas = None;
        self
    }
}

/// Each key's series, cluster total and unit as small numbers, for grouping a file's keys: two
/// keys' `series` are equal exactly when their [`SeriesKey::series`] are, their `totals` exactly
/// when their [`SeriesKey::total`] are but for the year, and their `units` when their units'
/// texts are. Keys are numbered in one pass: a key whose part was met before takes the numbers
/// given it (`Given`); another is compared with the first key of its series by the address of
/// their parts first (a thread's memo makes one part per series). Units are numbered by their
/// address, then their text. Grouping then reads arrays of numbers, not texts scattered over
/// memory. What is held for it is a few numbers a key (and, while numbering, at most 2 bytes a
/// key for each memo's parts met), however many series a file has.
pub struct Ids {
    pub series: Vec<u32>,
    pub totals: Vec<u32>,
    pub units: Vec<u32>,
    /// Each key's year, and whether it names a facility: read by item when grouping, from
    /// here rather than from the keys and their parts.
    pub years: Vec<i32>,
    pub facility: Vec<bool>,
}

impl Ids {
    /// The numbers of `keys`, and of the units of their observations, `units`, in order.
    pub fn of<'u>(keys: &[SeriesKey], units: impl Iterator<Item = &'u str> + Send) -> Ids {
        // The two passes read different memory: each on a core.
        let ((series, totals, facility), units) = rayon::join(|| Ids::of_parts(keys), || Ids::of_units(units));
        debug_assert_eq!(units.len(), keys.len(), "a unit for each key");
        let years = keys.iter().map(|k| k.year).collect();
        Ids { series, totals, units, years, facility }
    }

    /// Each key's series and total numbers, and whether it names a facility. A series or total
    /// is remembered by the first key giving it (an index: 4 bytes, however many series a file
    /// has), and a key is compared with that key's parts, by their address first.
    fn of_parts(keys: &[SeriesKey]) -> (Vec<u32>, Vec<u32>, Vec<bool>) {
        let mut series: hashbrown::HashTable<u32> = hashbrown::HashTable::new();
        let mut totals: hashbrown::HashTable<u32> = hashbrown::HashTable::new();
        let (mut s, mut t) = (Vec::with_capacity(keys.len()), Vec::with_capacity(keys.len()));
        let mut facility = Vec::with_capacity(keys.len());
        debug_assert!(u32::try_from(keys.len()).is_ok(), "numbered with 32 bits");
        let parts = |k: u32| -> &Parts { &keys[k as usize].parts };
        // The numbers given each part met: a key whose parts were met before (most keys: the
        // other years and rows of its series) takes them without a search.
        let mut given = Given::for_keys(keys.len());
        for (i, key) in keys.iter().enumerate() {
            let p: &Parts = &key.parts;
            if let Some((series_number, total_number)) = given.get(p) {
                s.push(series_number);
                t.push(total_number);
                facility.push(p.facility.is_some());
                continue;
            }
            // Fewer than 2^32: a file's keys are no more than its cells ([`crate::limits::Limits::cells`]).
            let i = i as u32;
            let same = |k: &u32| keys[*k as usize].series() == key.series();
            let series_number = match series.find(p.hash, same) {
                Some(&first) => s[first as usize],
                None => {
                    series.insert_unique(p.hash, i, |&k| parts(k).hash);
                    series.len() as u32 - 1
                }
            };
            let same_total = |k: &u32| parts(*k).same_total_as(p);
            let total_number = match totals.find(p.total_hash(), same_total) {
                Some(&first) => t[first as usize],
                None => {
                    totals.insert_unique(p.total_hash(), i, |&k| parts(k).total_hash());
                    totals.len() as u32 - 1
                }
            };
            given.put(p, (series_number, total_number));
            s.push(series_number);
            t.push(total_number);
            facility.push(p.facility.is_some());
        }
        (s, t, facility)
    }

    /// Each unit's number: by its address, or its text when met at a new address.
    fn of_units<'u>(units: impl Iterator<Item = &'u str>) -> Vec<u32> {
        let mut by_address: rustc_hash::FxHashMap<(usize, usize), u32> = Default::default();
        let mut by_text: rustc_hash::FxHashMap<&str, u32> = Default::default();
        let mut numbers = Vec::with_capacity(units.size_hint().0);
        for unit in units {
            let next = by_text.len() as u32;
            let at = (unit.as_ptr() as usize, unit.len());
            numbers.push(*by_address.entry(at).or_insert_with(|| *by_text.entry(unit).or_insert(next)));
        }
        numbers
    }

    /// The numbers of the keys `kept` flags, in order.
    pub fn only(self, kept: &[bool]) -> Ids {
        use super::only;
        Ids {
            series: only(self.series, kept),
            totals: only(self.totals, kept),
            units: only(self.units, kept),
            years: only(self.years, kept),
            facility: only(self.facility, kept),
        }
    }
}

/// A part's address, and its series and total numbers.
type GivenPart = (usize, (u32, u32));

/// The series and total numbers given each part, by the memo that made it and its number
/// there: found by two indexes, not by a hash and a comparison of texts. An entry holds its
/// part's address too, and counts only for that part: whatever the numbers of memos and parts,
/// a part takes only its own numbers.
struct Given {
    /// Per memo met: its number, and per part of it, the part's address and numbers.
    memos: Vec<(u32, Vec<GivenPart>)>,
    /// The index in `memos` of the memo met last: a file's keys come from a memo or two.
    last: usize,
    /// The parts of each memo remembered: those numbered below this. Parts met once each (a
    /// file whose every row names a facility of its own) are not all held a second time.
    room: usize,
}

impl Given {
    /// For `keys` keys: room for a part for every eight of them in each memo.
    fn for_keys(keys: usize) -> Given {
        Given { memos: Vec::new(), last: 0, room: keys / 8 }
    }

    fn get(&mut self, p: &Parts) -> Option<(u32, u32)> {
        let memo = self.memo(p.made.memo())?;
        let &(at, numbers) = self.memos[memo].1.get(p.made.local() as usize)?;
        (at == std::ptr::from_ref(p) as usize).then_some(numbers)
    }

    fn put(&mut self, p: &Parts, numbers: (u32, u32)) {
        // A part numbered past the room, or the last of a memo's numbers (which every part
        // after it shares), is not remembered.
        if p.made.local() as usize >= self.room || p.made.local() == Made::LOCAL {
            return;
        }
        let memo = match self.memo(p.made.memo()) {
            Some(m) => m,
            None => {
                self.memos.push((p.made.memo(), Vec::new()));
                self.memos.len() - 1
            }
        };
        let parts = &mut self.memos[memo].1;
        let local = p.made.local() as usize;
        if parts.len() <= local {
            // Grown by doubling, but never past the room: a memo's entries take at most 16
            // bytes for every eight keys.
            let wanted = (parts.len() * 2).max(local + 1).min(self.room);
            parts.reserve_exact(wanted - parts.len());
            parts.resize(local + 1, (0, (0, 0)));
        }
        parts[local] = (std::ptr::from_ref(p) as usize, numbers);
    }

    /// The index of memo `number` in `memos`, if met.
    fn memo(&mut self, number: u32) -> Option<usize> {
        if self.memos.get(self.last).is_some_and(|m| m.0 == number) {
            return Some(self.last);
        }
        self.last = self.memos.iter().position(|m| m.0 == number)?;
        Some(self.last)
    }
}

/// The items whose keys are equal, in groups of two or more: each group's members in item
/// order, the groups in order of their first member. [`Groups::by_number`] groups keys already
/// numbered by counting them into buckets; [`Groups::of`] hashes keys on every core and sorts the
/// hashes, so grouping a million rows costs no table of a million keys and no list per
/// key; items of equal hash are compared by key, so a collision never joins two keys (a run of
/// many colliding hashes, which a hostile file could aim at, is split by a keyed hash map).
pub struct Groups {
    /// Where each group's members start in `members`; one more entry than there are groups.
    starts: Vec<usize>,
    members: Vec<usize>,
}

/// Past this many keys in one run of equal hashes, the others are split by a hash map rather
/// than by comparing each item with each group's first.
const LINEAR_SPLIT: usize = 16;

impl Groups {
    /// The groups of items `0..n`, whose keys `key` gives.
    pub fn of<K: Hash + Eq>(n: usize, key: impl Fn(usize) -> K + Sync) -> Groups {
        let mut hashed: Vec<(u64, usize)> =
            (0..n).into_par_iter().map(|i| (FxBuildHasher.hash_one(key(i)), i)).collect();
        hashed.par_sort_unstable();
        // Each group as a range of `members`. Equal hashes sort by item, so a run of one key
        // (nearly always) is its group already, in item order: taken as it is.
        let mut members: Vec<usize> = Vec::new();
        let mut ranges: Vec<(usize, usize)> = Vec::new();
        for run in hashed.chunk_by(|a, b| a.0 == b.0).filter(|r| r.len() > 1) {
            let first = key(run[0].1);
            if run[1..].iter().all(|&(_, i)| key(i) == first) {
                let start = members.len();
                members.extend(run.iter().map(|&(_, i)| i));
                ranges.push((start, members.len()));
                continue;
            }
            // Past a few keys in one run, the rest go to a keyed map.
            let mut split: Vec<(K, Vec<usize>)> = Vec::new();
            let mut spill: std::collections::HashMap<K, Vec<usize>> = std::collections::HashMap::new();
            for &(_, i) in run {
                let k = key(i);
                match split.iter().position(|(first, _)| *first == k) {
                    Some(at) => split[at].1.push(i),
                    None if split.len() < LINEAR_SPLIT => split.push((k, vec![i])),
                    None => spill.entry(k).or_default().push(i),
                }
            }
            let groups = split.into_iter().map(|(_, m)| m).chain(spill.into_values());
            for group in groups.filter(|m| m.len() > 1) {
                let start = members.len();
                members.extend(group);
                ranges.push((start, members.len()));
            }
        }
        Groups::in_order(&members, ranges)
    }

    /// The groups of items `0..numbers.len()` whose keys are (`numbers[i]`, `rest(i)`): those
    /// [`Groups::of`] gives. Its memory grows with the largest number, so the numbers are to be
    /// small: those of `Ids`, below the number of keys. Found by counting, not hashing
    /// and sorting: each item goes to the bucket of its number, in item order, in one pass; a
    /// bucket whose items' `rest` differ (a series over its years) is sorted by it, stably, so
    /// each group stays in item order.
    pub fn by_number<R: Ord>(numbers: &[u32], rest: impl Fn(usize) -> R) -> Groups {
        let buckets = numbers.iter().max().map_or(0, |&m| m as usize + 1);
        // Where each bucket starts, then where its next item goes.
        let mut starts = vec![0usize; buckets + 1];
        for &x in numbers {
            starts[x as usize + 1] += 1;
        }
        for b in 0..buckets {
            starts[b + 1] += starts[b];
        }
        let mut next = starts.clone();
        let mut order = vec![0usize; numbers.len()];
        for (i, &x) in numbers.iter().enumerate() {
            order[next[x as usize]] = i;
            next[x as usize] += 1;
        }
        let mut ranges: Vec<(usize, usize)> = Vec::new();
        for b in 0..buckets {
            let bucket = &mut order[starts[b]..starts[b + 1]];
            if bucket.len() < 2 {
                continue;
            }
            if !bucket.windows(2).all(|w| rest(w[0]) == rest(w[1])) {
                bucket.sort_by_key(|&i| rest(i));
            }
            let mut at = starts[b];
            for run in bucket.chunk_by(|&x, &y| rest(x) == rest(y)) {
                if run.len() > 1 {
                    ranges.push((at, at + run.len()));
                }
                at += run.len();
            }
        }
        Groups::in_order(&order, ranges)
    }

    /// The groups given as ranges of `members`, in order of their first member.
    fn in_order(members: &[usize], mut ranges: Vec<(usize, usize)>) -> Groups {
        ranges.sort_unstable_by_key(|&(start, _)| members[start]);
        let mut starts = Vec::with_capacity(ranges.len() + 1);
        starts.push(0);
        let mut all = Vec::with_capacity(ranges.iter().map(|(start, end)| end - start).sum());
        for (start, end) in ranges {
            all.extend_from_slice(&members[start..end]);
            starts.push(all.len());
        }
        Groups { starts, members: all }
    }

    /// Each group's members (indices of the items), in item order.
    pub fn iter(&self) -> impl Iterator<Item = &[usize]> {
        self.starts.windows(2).map(|w| &self.members[w[0]..w[1]])
    }
}

#[cfg(test)]
mod tests {
    use super::{Given, Groups, Ids, KeyMemo, KeyRef, Made, Parts, SeriesKey, SharedStr, normalise};

    proptest::proptest! {
        /// Grouping by numbers and the rest of the key gives the groups grouping by the whole
        /// key gives, whatever the numbers (gaps, repeats, unused ones) and the rests.
        #[test]
        fn groups_by_number_are_groups_by_key(
            items in proptest::collection::vec((0u32..40, 0u8..4), 0..300),
        ) {
            let numbers: Vec<u32> = items.iter().map(|x| x.0).collect();
            let by_number = Groups::by_number(&numbers, |i| items[i].1);
            let by_key = Groups::of(items.len(), |i| items[i]);
            let a: Vec<&[usize]> = by_number.iter().collect();
            let b: Vec<&[usize]> = by_key.iter().collect();
            proptest::prop_assert_eq!(a, b);
        }
    }

    /// Groups by number, worked out by hand: numbers 2, 0, 2, 0, 1, 2 with rests a, b, a, b, c,
    /// z: items 0 and 2 (number 2, rest a) and 1 and 3 (number 0, rest b) are groups; 5 shares
    /// its number with 0 and 2, not its rest; 4 is alone.
    #[test]
    fn groups_by_number_by_hand() {
        let (numbers, rests) = ([2, 0, 2, 0, 1, 2], ['a', 'b', 'a', 'b', 'c', 'z']);
        let groups = Groups::by_number(&numbers, |i| rests[i]);
        let found: Vec<&[usize]> = groups.iter().collect();
        assert_eq!(found, [&[0, 2][..], &[1, 3]]);
        assert_eq!(Groups::by_number(&[], |_| 0).iter().count(), 0);
    }

    /// Keys made by three memos (three threads: equal parts at different addresses) over
    /// spellings of a few clusters, facilities, scopes and gases: two keys have equal series
    /// numbers exactly when their texts but the year are equal, equal total numbers exactly when
    /// those but the facility are too, and equal unit numbers exactly when their units' texts
    /// are (the units at different addresses).
    #[test]
    fn ids_are_equal_exactly_when_the_texts_are() {
        let mut memos = [KeyMemo::default(), KeyMemo::default(), KeyMemo::default()];
        let (clusters, facilities) = (["humber", "solent"], [None, Some("Site A"), Some("site-a"), Some("Site B")]);
        let (scopes, gases) = ([None, Some("Scope 1"), Some("SCOPE 1"), Some("2")], [None, Some("CH4")]);
        let units = ["t".to_owned(), "t".to_owned(), "kt".to_owned()];
        let mut keys: Vec<SeriesKey> = Vec::new();
        let mut unit_of: Vec<&str> = Vec::new();
        let mut n = 0usize;
        for (cluster, kpi) in clusters.into_iter().flat_map(|c| ["jobs", "ghg_emissions"].map(|k| (c, k))) {
            for facility in facilities {
                for scope in scopes {
                    for gas in gases {
                        for year in [2022, 2023] {
                            let memo = &mut memos[n % 3];
                            keys.push(memo.key(KeyRef { cluster, facility, year, kpi, scope, gas }));
                            unit_of.push(&units[n % 3]);
                            n += 1;
                        }
                    }
                }
            }
        }
        let ids = Ids::of(&keys, unit_of.iter().copied());
        // What a key says but its year, and but its year and facility.
        fn series(k: &SeriesKey) -> KeyRef<'_> {
            KeyRef { year: 0, ..k.by_ref() }
        }
        fn total(k: &SeriesKey) -> KeyRef<'_> {
            KeyRef { year: 0, ..k.by_ref().cluster_total() }
        }
        for i in 0..keys.len() {
            for j in 0..keys.len() {
                let (a, b) = (&keys[i], &keys[j]);
                assert_eq!(ids.series[i] == ids.series[j], series(a) == series(b), "{:?} {:?}", a.by_ref(), b.by_ref());
                assert_eq!(ids.totals[i] == ids.totals[j], total(a) == total(b), "{:?} {:?}", a.by_ref(), b.by_ref());
                assert_eq!(ids.units[i] == ids.units[j], unit_of[i] == unit_of[j]);
                assert_eq!((ids.years[i], ids.facility[i]), (a.year, a.by_ref().facility.is_some()));
                // As the keys themselves compare.
                assert_eq!(ids.series[i] == ids.series[j] && a.year == b.year, a == b);
                assert_eq!(ids.totals[i] == ids.totals[j] && a.year == b.year, a.total() == b.total());
            }
        }
        // Spellings of one scope and one facility are one: fewer series than keys' texts.
        let distinct = |v: &[u32]| v.iter().collect::<std::collections::BTreeSet<_>>().len();
        assert_eq!(distinct(&ids.series), 2 * 2 * 3 * 3 * 2, "clusters × KPIs × facilities × scopes × gases");
        assert_eq!(distinct(&ids.totals), 2 * 2 * 3 * 2, "clusters × KPIs × scopes × gases");
        assert_eq!(distinct(&ids.units), 2);
        // Only the flagged keys' numbers stay, in order.
        let kept: Vec<bool> = (0..keys.len()).map(|i| i % 4 != 1).collect();
        let only = Ids::of(&keys, unit_of.iter().copied()).only(&kept);
        let flagged = |v: &[u32]| -> Vec<u32> { v.iter().zip(&kept).filter(|(_, k)| **k).map(|(x, _)| *x).collect() };
        assert_eq!(only.series, flagged(&ids.series));
        assert_eq!(only.totals, flagged(&ids.totals));
        assert_eq!(only.units, flagged(&ids.units));
        let kept_years: Vec<i32> = ids.years.iter().zip(&kept).filter(|(_, k)| **k).map(|(y, _)| *y).collect();
        assert_eq!(only.years, kept_years);
        let kept_facility: Vec<bool> = ids.facility.iter().zip(&kept).filter(|(_, k)| **k).map(|(f, _)| *f).collect();
        assert_eq!(only.facility, kept_facility);
    }

    #[test]
    fn groups_keep_first_appearance_and_item_order() {
        let keys = ["b", "a", "b", "c", "a", "b"];
        let groups = Groups::of(keys.len(), |i| keys[i]);
        let found: Vec<&[usize]> = groups.iter().collect();
        assert_eq!(found, [&[0, 2, 5][..], &[1, 4]], "single items are no group");
        assert_eq!(Groups::of(0, |i| i).iter().count(), 0);
        // Many items of one key, split past the linear bound, and keys that differ only in a
        // part: still one group each.
        let many: Vec<(u8, u32)> = (0..100).map(|i| (u8::from(i % 3 == 0), i / 50)).collect();
        let groups = Groups::of(many.len(), |i| many[i]);
        let sizes: Vec<usize> = groups.iter().map(<[usize]>::len).collect();
        assert_eq!(sizes, [17, 33, 33, 17]);
        assert!(groups.iter().all(|m| m.windows(2).all(|w| w[0] < w[1] && many[w[0]] == many[w[1]])));
        // Keys whose hashes collide are told apart, in short runs and in long ones.
        #[derive(PartialEq, Eq)]
        struct Colliding(u32, u32);
        impl std::hash::Hash for Colliding {
            fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
                self.0.hash(state);
            }
        }
        for (n, keys) in [(6, 3), (60, 3), (120, 40)] {
            let groups = Groups::of(n, |i| Colliding(0, (i % keys) as u32));
            let found: Vec<Vec<usize>> = groups.iter().map(<[usize]>::to_vec).collect();
            let expected: Vec<Vec<usize>> = (0..keys).map(|r| (r..n).step_by(keys).collect()).collect();
            assert_eq!(found, expected, "{n} items of {keys} keys");
        }
    }

    /// Keys are equal, hash alike and order alike by what they say: made by two memos (two
    /// threads) from two spellings of one scope, they are one key; a year or a scope apart,
    /// they are not, though the years are one series.
    #[test]
    fn keys_made_apart_from_spellings_of_one_series_are_one_key() {
        use std::hash::BuildHasher;
        let (mut a, mut b) = (KeyMemo::default(), KeyMemo::default());
        let key = |memo: &mut KeyMemo, scope, year| {
            memo.key(KeyRef { cluster: "humber", facility: Some("Site A"), year, kpi: "jobs", scope, gas: None })
        };
        let (x, y) = (key(&mut a, Some("Scope 1"), 2022), key(&mut b, Some("SCOPE-1"), 2022));
        assert_eq!(x, y);
        let hash = |k: &SeriesKey| rustc_hash::FxBuildHasher.hash_one(k);
        assert_eq!(hash(&x), hash(&y));
        assert_eq!(x.cmp(&y), std::cmp::Ordering::Equal);
        let later = key(&mut b, Some("scope 1"), 2023);
        assert_ne!(x, later);
        assert_eq!(x.series(), later.series());
        assert_ne!(x, key(&mut a, Some("Scope 2"), 2022));
        assert_ne!(x.series(), key(&mut a, None, 2022).series());
    }

    /// Two memos numbered alike (their counter wrapped, after 2^32 memos) make parts numbered
    /// alike: a key still takes only its own part's numbers, never another's.
    #[test]
    fn parts_numbered_alike_by_two_memos_keep_their_own_numbers() {
        let (mut a, mut b) = (KeyMemo::default(), KeyMemo::default());
        b.number = a.number;
        let key = |memo: &mut KeyMemo, cluster, kpi| {
            memo.key(KeyRef { cluster, facility: None, year: 2023, kpi, scope: None, gas: None })
        };
        // Each memo's first part is its number 0: `humber jobs` in one, `jubail gdp` in the other.
        // Sixteen keys or more, so that parts are remembered (one for every eight keys).
        let keys: Vec<SeriesKey> =
            (0..8).flat_map(|_| [key(&mut a, "humber", "jobs"), key(&mut b, "jubail", "gdp")]).collect();
        assert!(Given::for_keys(keys.len()).room > 0, "the parts are remembered");
        let ids = Ids::of(&keys, std::iter::repeat_n("t", keys.len()));
        assert_eq!(ids.series, [0, 1].repeat(8));
        assert_eq!(ids.totals, [0, 1].repeat(8));
    }

    /// A part's memo is kept by its low 8 bits, and its number in the memo saturates at
    /// [`Made::LOCAL`], which is never remembered: a key still takes only its own numbers.
    #[test]
    fn a_parts_origin_fits_32_bits() {
        let made = Made::new(300, 5);
        assert_eq!((made.memo(), made.local()), (300 & 0xff, 5));
        assert_eq!(Made::new(7, 1 << 30).local(), Made::LOCAL);
        assert_eq!(Made::new(7, usize::MAX).memo(), 7);
    }

    /// Parts whose hashes collide are still told apart by each of their texts: equality never
    /// rests on the hash alone (a hostile file cannot join two series, or two totals, by it).
    #[test]
    fn colliding_parts_differ_by_each_text() {
        let s = |t: &str| Some(SharedStr::from(t));
        let parts = |cluster: &str, facility, kpi: &str, scope, gas| Parts {
            cluster: cluster.into(),
            facility,
            kpi: kpi.into(),
            scope,
            gas,
            hash: 7,
            total_hash32: 7,
            made: Made::default(),
        };
        let base = parts("humber", s("a"), "jobs", s("1"), s("co2"));
        let same_elsewhere = parts("humber", s("a"), "jobs", s("1"), s("co2"));
        assert!(base == same_elsewhere && base.same_total_as(&same_elsewhere));
        for (what, other) in [
            ("cluster", parts("jubail", s("a"), "jobs", s("1"), s("co2"))),
            ("kpi", parts("humber", s("a"), "gdp", s("1"), s("co2"))),
            ("scope", parts("humber", s("a"), "jobs", s("2"), s("co2"))),
            ("scope none", parts("humber", s("a"), "jobs", None, s("co2"))),
            ("gas", parts("humber", s("a"), "jobs", s("1"), s("ch4"))),
        ] {
            assert!(base != other, "series apart by {what}");
            assert!(!base.same_total_as(&other), "totals apart by {what}");
        }
        // The facility parts a series, not a total.
        let other_site = parts("humber", s("b"), "jobs", s("1"), s("co2"));
        assert!(base != other_site);
        assert!(base.same_total_as(&other_site));
    }

    #[test]
    fn spellings_of_one_text_are_one_part() {
        assert_eq!(normalise(Some("Scope 1")), normalise(Some("SCOPE-1")));
        assert_eq!(normalise(Some("Raffinerie Süd")), normalise(Some("raffinerie sud")));
        assert_eq!(normalise(Some(" - ")), None);
        assert_ne!(normalise(Some("Scope 1")), normalise(Some("Scope 2")));
    }
}
