//! The entry API: look a key up once, then read, update, insert or remove it.
//!
//! One descent, the one an insert makes, finds either the key's value slot or
//! the place the key goes (a [`Hole`]). Values live in a slab and keep their slot
//! until the map is compacted, so an occupied entry reaches its value without
//! descending again (only its removal does), and a vacant entry inserts at its
//! hole.

use std::fmt;

use memkv_arena::Handle;

use super::insert::Hole;
use super::ArenaArt;

/// One key of an [`ArenaArt`], present or not, from [`ArenaArt::entry`].
///
/// `K` is whatever key type the caller passed (`&str`, `&[u8]`, `Vec<u8>`...):
/// the entry keeps it as it is, so looking up a present key copies nothing.
///
/// ```
/// use memkv_art::ArenaArt;
///
/// let mut hits: ArenaArt<u64> = ArenaArt::new();
/// for path in ["/index.html", "/about", "/index.html"] {
///     *hits.entry(path).or_insert(0) += 1;
/// }
/// assert_eq!(hits.get("/index.html"), Some(&2));
/// hits.entry("/about").and_modify(|n| *n += 10).or_default();
/// assert_eq!(hits.get("/about"), Some(&11));
/// ```
pub enum Entry<'a, V, K> {
    /// The key is present.
    Occupied(OccupiedEntry<'a, V, K>),
    /// The key is absent.
    Vacant(VacantEntry<'a, V, K>),
}

/// A present key of an [`ArenaArt`] (see [`Entry`]).
pub struct OccupiedEntry<'a, V, K> {
    map: &'a mut ArenaArt<V>,
    key: K,
    /// The value's slot in the map's value slab.
    slot: u32,
}

/// An absent key of an [`ArenaArt`] (see [`Entry`]).
pub struct VacantEntry<'a, V, K> {
    map: &'a mut ArenaArt<V>,
    key: K,
    /// Where the key goes; the map cannot change while the entry borrows it.
    hole: Hole,
}

impl<V> ArenaArt<V> {
    /// The entry of `key`: an occupied entry reads and updates its value
    /// without another lookup (removing it descends again); a vacant one
    /// inserts where the lookup ended.
    pub fn entry<K: AsRef<[u8]>>(&mut self, key: K) -> Entry<'_, V, K> {
        match self.locate(key.as_ref()) {
            Ok(slot) => Entry::Occupied(OccupiedEntry {
                map: self,
                key,
                slot,
            }),
            Err(hole) => Entry::Vacant(VacantEntry {
                map: self,
                key,
                hole,
            }),
        }
    }
}

impl<'a, V, K: AsRef<[u8]>> Entry<'a, V, K> {
    /// The entry's key.
    pub fn key(&self) -> &[u8] {
        match self {
            Entry::Occupied(e) => e.key(),
            Entry::Vacant(e) => e.key(),
        }
    }

    /// The value, after inserting `default` if the key was absent.
    pub fn or_insert(self, default: V) -> &'a mut V {
        self.or_insert_with(|| default)
    }

    /// The value, after inserting `make()` if the key was absent.
    pub fn or_insert_with(self, make: impl FnOnce() -> V) -> &'a mut V {
        match self {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(e) => e.insert(make()),
        }
    }

    /// The value, after inserting `make(key)` if the key was absent.
    pub fn or_insert_with_key(self, make: impl FnOnce(&[u8]) -> V) -> &'a mut V {
        match self {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(e) => {
                let value = make(e.key());
                e.insert(value)
            }
        }
    }

    /// The value, after inserting `V::default()` if the key was absent.
    pub fn or_default(self) -> &'a mut V
    where
        V: Default,
    {
        self.or_insert_with(V::default)
    }

    /// Runs `update` on the value if the key is present.
    pub fn and_modify(mut self, update: impl FnOnce(&mut V)) -> Self {
        if let Entry::Occupied(e) = &mut self {
            update(e.get_mut());
        }
        self
    }
}

impl<'a, V, K: AsRef<[u8]>> OccupiedEntry<'a, V, K> {
    /// The entry's key.
    pub fn key(&self) -> &[u8] {
        self.key.as_ref()
    }

    /// The value.
    pub fn get(&self) -> &V {
        &self.map.values[Handle::from_raw(self.slot)]
    }

    /// The value, mutably.
    pub fn get_mut(&mut self) -> &mut V {
        &mut self.map.values[Handle::from_raw(self.slot)]
    }

    /// The value, mutably, for as long as the map was borrowed.
    pub fn into_mut(self) -> &'a mut V {
        &mut self.map.values[Handle::from_raw(self.slot)]
    }

    /// Replaces the value, returning the old one.
    pub fn insert(&mut self, value: V) -> V {
        std::mem::replace(self.get_mut(), value)
    }

    /// Removes the entry, returning its value.
    pub fn remove(self) -> V {
        self.remove_entry().1
    }

    /// Removes the entry, returning the key it was looked up with and the value.
    pub fn remove_entry(self) -> (K, V) {
        let value = self
            .map
            .remove(self.key.as_ref())
            .expect("an occupied entry's key is present");
        (self.key, value)
    }
}

impl<'a, V, K: AsRef<[u8]>> VacantEntry<'a, V, K> {
    /// The entry's key.
    pub fn key(&self) -> &[u8] {
        self.key.as_ref()
    }

    /// The key the entry was looked up with.
    pub fn into_key(self) -> K {
        self.key
    }

    /// Inserts `value` under the key, returning it mutably.
    pub fn insert(self, value: V) -> &'a mut V {
        let slot = self.map.fill(self.hole, self.key.as_ref(), value);
        &mut self.map.values[Handle::from_raw(slot)]
    }
}

impl<V: fmt::Debug, K: AsRef<[u8]>> fmt::Debug for OccupiedEntry<'_, V, K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OccupiedEntry")
            .field("key", &self.key().escape_ascii().to_string())
            .field("value", self.get())
            .finish()
    }
}

impl<V, K: AsRef<[u8]>> fmt::Debug for VacantEntry<'_, V, K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VacantEntry")
            .field("key", &self.key().escape_ascii().to_string())
            .finish()
    }
}

impl<V: fmt::Debug, K: AsRef<[u8]>> fmt::Debug for Entry<'_, V, K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Entry::Occupied(e) => f.debug_tuple("Entry").field(e).finish(),
            Entry::Vacant(e) => f.debug_tuple("Entry").field(e).finish(),
        }
    }
}
