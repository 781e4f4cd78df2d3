//! A map for a handful of entries: a sorted slice.
//!
//! A pool keeps a few maps keyed by DC (addresses, auth keys, connections), each with a few
//! entries, in every client. A `HashMap` allocates room for twice its entries plus control
//! bytes, and a process may run thousands of clients; a slice the exact size of its entries
//! is found by a binary search just as fast at these sizes. A boxed slice rather than a vector:
//! these maps change a few times in a pool's life, and a capacity field would be 8 bytes more
//! in each map of every pool.

/// Entries sorted by key, no key twice.
#[derive(Debug, Clone)]
pub(crate) struct SmallMap<K, V> {
    entries: Box<[(K, V)]>,
}

impl<K, V> Default for SmallMap<K, V> {
    fn default() -> Self {
        Self {
            entries: Box::new([]),
        }
    }
}

impl<K: Ord + Copy, V> SmallMap<K, V> {
    fn find(&self, key: &K) -> Result<usize, usize> {
        self.entries.binary_search_by(|(k, _)| k.cmp(key))
    }

    /// Changes the entries as a vector, and keeps them in a slice of their exact size again.
    fn edit<R>(&mut self, change: impl FnOnce(&mut Vec<(K, V)>) -> R) -> R {
        let mut entries = std::mem::take(&mut self.entries).into_vec();
        let out = change(&mut entries);
        self.entries = entries.into_boxed_slice();
        out
    }

    pub(crate) fn get(&self, key: &K) -> Option<&V> {
        self.find(key).ok().map(|at| &self.entries[at].1)
    }

    pub(crate) fn contains_key(&self, key: &K) -> bool {
        self.find(key).is_ok()
    }

    /// Sets `key` to `value`; returns the value it replaced.
    pub(crate) fn insert(&mut self, key: K, value: V) -> Option<V> {
        match self.find(&key) {
            Ok(at) => Some(std::mem::replace(&mut self.entries[at].1, value)),
            Err(at) => {
                self.edit(|entries| {
                    // Room for this one only: these maps grow by a few entries in their life.
                    entries.reserve_exact(1);
                    entries.insert(at, (key, value));
                });
                None
            }
        }
    }

    /// The value of `key`, set to `make()` first if there is none.
    pub(crate) fn get_or_insert_with(&mut self, key: K, make: impl FnOnce() -> V) -> &mut V {
        let at = match self.find(&key) {
            Ok(at) => at,
            Err(at) => {
                self.edit(|entries| {
                    entries.reserve_exact(1);
                    entries.insert(at, (key, make()));
                });
                at
            }
        };
        &mut self.entries[at].1
    }

    pub(crate) fn remove(&mut self, key: &K) -> Option<V> {
        let at = self.find(key).ok()?;
        Some(self.edit(|entries| entries.remove(at).1))
    }

    /// The entries, in key order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.entries.iter().map(|(k, v)| (k, v))
    }

    /// Removes every entry for which `keep` is false, and returns their values in key order.
    pub(crate) fn take_unless(&mut self, mut keep: impl FnMut(&K, &V) -> bool) -> Vec<V> {
        // (Nothing is reallocated when every entry stays.)
        self.edit(|entries| {
            let mut taken = Vec::new();
            let mut at = 0;
            while let Some((k, v)) = entries.get(at) {
                if keep(k, v) {
                    at += 1;
                } else {
                    taken.push(entries.remove(at).1);
                }
            }
            taken
        })
    }
}

impl<K: Ord + Copy, V> FromIterator<(K, V)> for SmallMap<K, V> {
    /// Later entries win over earlier ones with the same key, as in a `HashMap`.
    fn from_iter<I: IntoIterator<Item = (K, V)>>(entries: I) -> Self {
        let mut sorted: Vec<(K, V)> = Vec::new();
        for (k, v) in entries {
            match sorted.binary_search_by(|(key, _)| key.cmp(&k)) {
                Ok(at) => sorted[at].1 = v,
                Err(at) => sorted.insert(at, (k, v)),
            }
        }
        Self {
            entries: sorted.into_boxed_slice(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn behaves_as_a_map_kept_in_key_order() {
        let mut map: SmallMap<i16, &str> = [(4, "d"), (2, "b"), (4, "D"), (1, "a")]
            .into_iter()
            .collect();
        assert_eq!(map.iter().map(|(k, _)| *k).collect::<Vec<_>>(), [1, 2, 4]);
        assert_eq!(map.get(&4), Some(&"D"));
        assert_eq!(map.get(&3), None);
        assert_eq!(map.insert(3, "c"), None);
        assert_eq!(map.entries.len(), 4);
        assert_eq!(map.insert(3, "C"), Some("c"));
        assert!(map.contains_key(&3));
        *map.get_or_insert_with(5, || "e") = "E";
        assert_eq!(map.get_or_insert_with(5, || "x"), &"E");
        assert_eq!(map.remove(&2), Some("b"));
        assert_eq!(map.remove(&2), None);
        assert!(map.take_unless(|_, _| true).is_empty());
        let odd = map.take_unless(|k, _| k % 2 == 0);
        assert_eq!(odd, ["a", "C", "E"]);
        assert_eq!(map.iter().collect::<Vec<_>>(), [(&4, &"D")]);
        assert_eq!(map.remove(&4), Some("D"));
        assert!(map.entries.is_empty());
    }

    /// Each map is a pointer and a length: no capacity field (pools keep four of them).
    #[test]
    fn a_map_is_two_words() {
        assert_eq!(
            std::mem::size_of::<SmallMap<i16, u64>>(),
            2 * std::mem::size_of::<usize>()
        );
    }
}
