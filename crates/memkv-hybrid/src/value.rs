//! How a segment stores its values.
//!
//! A [`FrozenLayer`](memkv_frozen::FrozenLayer) maps each key to a `u64`. When the
//! store's value type *is* `u64`, that output is the value itself and a segment costs
//! nothing beyond its FST. For any other `V`, the output is a slot number into a
//! compact `Vec<V>` kept beside the FST, in key order.
//!
//! Whether `V` is `u64` is decided through `Any` (a `TypeId` comparison the compiler
//! folds away), so the store needs neither specialisation nor `unsafe`.

use std::any::{Any, TypeId};
use std::mem;

/// Whether values of type `V` are stored directly in the FST outputs.
pub(crate) fn is_inline<V: 'static>() -> bool {
    TypeId::of::<V>() == TypeId::of::<u64>()
}

/// The values of one segment.
#[derive(Clone, Debug)]
pub(crate) enum Column<V> {
    /// `V` is `u64`: the FST output is the value.
    Inline,
    /// The FST output is an index into this array.
    Slots(Vec<V>),
}

impl<V: Clone + 'static> Column<V> {
    /// An empty column for values of type `V`.
    pub(crate) fn new() -> Column<V> {
        if is_inline::<V>() {
            Column::Inline
        } else {
            Column::Slots(Vec::new())
        }
    }

    /// Stores `value` and returns the FST output that stands for it.
    pub(crate) fn push(&mut self, value: V) -> u64 {
        match self {
            Column::Inline => *(&value as &dyn Any)
                .downcast_ref::<u64>()
                .expect("an inline column only holds u64 values"),
            Column::Slots(slots) => {
                slots.push(value);
                (slots.len() - 1) as u64
            }
        }
    }

    /// The value an FST output stands for, or `None` when the output is not a slot of
    /// this column (a damaged segment).
    pub(crate) fn get(&self, output: u64) -> Option<V> {
        match self {
            Column::Inline => {
                let mut out = Some(output);
                (&mut out as &mut dyn Any)
                    .downcast_mut::<Option<V>>()
                    .and_then(Option::take)
            }
            Column::Slots(slots) => usize::try_from(output)
                .ok()
                .and_then(|i| slots.get(i))
                .cloned(),
        }
    }

    /// The number of slots, `None` for an inline column.
    pub(crate) fn slot_count(&self) -> Option<usize> {
        match self {
            Column::Inline => None,
            Column::Slots(slots) => Some(slots.len()),
        }
    }

    /// Drops the spare capacity left by building.
    pub(crate) fn shrink_to_fit(&mut self) {
        if let Column::Slots(slots) = self {
            slots.shrink_to_fit();
        }
    }

    /// Heap bytes of the slot array (shallow: bytes a `V` owns elsewhere are not
    /// counted).
    pub(crate) fn memory_usage(&self) -> usize {
        match self {
            Column::Inline => 0,
            Column::Slots(slots) => slots.capacity() * mem::size_of::<V>(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn u64_values_live_in_the_fst_output() {
        let mut c = Column::<u64>::new();
        assert_eq!(c.push(u64::MAX), u64::MAX);
        assert_eq!(c.get(7), Some(7));
        assert_eq!(c.memory_usage(), 0);
        assert_eq!(c.slot_count(), None);
    }

    #[test]
    fn other_values_get_slots_in_order() {
        let mut c = Column::<String>::new();
        assert_eq!(c.push("a".into()), 0);
        assert_eq!(c.push("b".into()), 1);
        assert_eq!(c.get(1).as_deref(), Some("b"));
        assert_eq!(c.get(2), None);
        assert_eq!(c.slot_count(), Some(2));
    }
}
