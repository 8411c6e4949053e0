//! The growth rule the byte arenas share for their chunks.

/// Makes room for `bytes` more in chunk `buf`, growing it in place (doubling, up
/// to `largest` bytes) if it has too little: the capacity added (0 when it had
/// room), or `None` when it cannot hold them within `largest`. Growing a chunk
/// moves its bytes, not the refs into it (they are chunk and position), and
/// keeps arenas from opening a new chunk, and spending a chunk index, on every
/// write after a `shrink_to_fit`.
pub(crate) fn make_room(buf: &mut Vec<u8>, bytes: usize, largest: usize) -> Option<usize> {
    let (len, capacity) = (buf.len(), buf.capacity());
    if capacity - len >= bytes {
        return Some(0);
    }
    if len + bytes > largest {
        return None;
    }
    buf.reserve_exact((capacity * 2).clamp(len + bytes, largest) - len);
    Some(buf.capacity() - capacity)
}
