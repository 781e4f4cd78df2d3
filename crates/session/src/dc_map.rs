//! [`DcMap`]: values per DC id, for the auth keys a session keeps.

/// Values keyed by DC id, in a slice sorted by id and exactly as long as it needs to be.
///
/// A session holds one key or a few (one per DC it talked to), and a process running many
/// clients keeps one session each: a `BTreeMap` node has room for eleven entries (160 bytes for
/// the first key's entry), where this takes 16 bytes an entry, and a boxed slice is 16 bytes
/// inline where a vector is 24 (a client has few DCs, so growing by reallocating is no cost).
/// The keys themselves are behind their own `Arc` ([`AuthKeyData`](crate::AuthKeyData)), so
/// growing the slice never leaves a copy of one behind in freed memory.
#[derive(Clone)]
pub(crate) struct DcMap<V>(Box<[(i32, V)]>);

impl<V> Default for DcMap<V> {
    fn default() -> Self {
        DcMap(Box::default())
    }
}

impl<V> DcMap<V> {
    fn find(&self, dc: i32) -> Result<usize, usize> {
        self.0.binary_search_by_key(&dc, |(id, _)| *id)
    }

    pub(crate) fn get(&self, dc: &i32) -> Option<&V> {
        self.find(*dc).ok().map(|i| &self.0[i].1)
    }

    /// Sets the value of `dc`, growing the vector by exactly one entry if it is new.
    pub(crate) fn insert(&mut self, dc: i32, value: V) {
        match self.find(dc) {
            Ok(i) => self.0[i].1 = value,
            Err(i) => {
                let mut entries = std::mem::take(&mut self.0).into_vec();
                entries.reserve_exact(1);
                entries.insert(i, (dc, value));
                self.0 = entries.into_boxed_slice();
            }
        }
    }

    pub(crate) fn remove(&mut self, dc: &i32) {
        if let Ok(i) = self.find(*dc) {
            let mut entries = std::mem::take(&mut self.0).into_vec();
            entries.remove(i);
            self.0 = entries.into_boxed_slice();
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The entries in DC id order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&i32, &V)> {
        self.0.iter().map(|(dc, value)| (dc, value))
    }

    pub(crate) fn keys(&self) -> impl Iterator<Item = &i32> {
        self.0.iter().map(|(dc, _)| dc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn behaves_as_a_map_kept_in_id_order_and_exact_size() {
        let mut map = DcMap::default();
        for dc in [4, 2, 5, 1] {
            map.insert(dc, dc * 10);
        }
        map.insert(2, 7);
        assert_eq!(map.get(&2), Some(&7));
        assert_eq!(map.get(&3), None);
        map.remove(&4);
        map.remove(&3);
        assert_eq!(map.0.len(), 3);
        let entries: Vec<(i32, i32)> = map.iter().map(|(dc, v)| (*dc, *v)).collect();
        assert_eq!(entries, [(1, 10), (2, 7), (5, 50)]);
        assert_eq!(map.keys().copied().collect::<Vec<_>>(), [1, 2, 5]);
    }
}
