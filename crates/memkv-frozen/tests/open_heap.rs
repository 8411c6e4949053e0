//! `FrozenLayer::open` allocates under 64 KiB of heap, whatever the file size: the
//! layer is served from the memory map, and the check of the FST's structure looks
//! transition targets up in the file's node-end index instead of holding them. Its
//! own test binary, so that the counting allocator sees no other test's
//! allocations.

use std::sync::atomic::Ordering;

use memkv_frozen::FrozenLayer;

/// The counting allocator: the only unsafe code of these tests.
#[allow(unsafe_code)]
mod counting {
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Counts bytes allocated (never decremented): an upper bound on live heap.
    pub struct Counting;

    pub static ALLOCATED: AtomicUsize = AtomicUsize::new(0);

    // SAFETY: defers every call to `System`, only adding a counter update.
    unsafe impl GlobalAlloc for Counting {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            ALLOCATED.fetch_add(layout.size(), Ordering::Relaxed);
            // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract, passed on as is.
            unsafe { System.alloc(layout) }
        }

        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            // SAFETY: `ptr` was allocated by `System` with `layout` (see `alloc`).
            unsafe { System.dealloc(ptr, layout) }
        }
    }
}

use counting::{Counting, ALLOCATED};

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Keys with little shared structure, so that files are large and transitions
/// point far back.
fn key(i: u64) -> String {
    format!(
        "{:016x}",
        i.wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(29)
    )
}

const KEYS: u64 = 200_000;

/// Opens `path`, returning the layer and the bytes allocated meanwhile (counted
/// without frees: an upper bound on the peak).
fn open_counted(path: &std::path::Path) -> (FrozenLayer, usize) {
    let before = ALLOCATED.load(Ordering::Relaxed);
    let layer = FrozenLayer::open(path).unwrap();
    (layer, ALLOCATED.load(Ordering::Relaxed) - before)
}

fn check_small_open(path: &std::path::Path) {
    let size = std::fs::metadata(path).unwrap().len();
    assert!(size > 1 << 20, "the file is large ({size} bytes)");
    let (layer, allocated) = open_counted(path);
    eprintln!("open allocated {allocated} bytes for a {size}-byte file");
    assert!(allocated < 64 << 10, "open allocated {allocated} bytes");
    assert!(layer.memory_usage() < 1024);
    assert_eq!(layer.mapped_bytes() as u64, size);
    assert_eq!(layer.get(key(10)), Some(310));
    assert!(layer.format_info().node_end_index_bytes > 0);
}

/// One test, so that no other test allocates while a file is being opened.
#[test]
fn open_allocates_under_64_kib_whatever_wrote_the_file() {
    written_layer();
    layer_built_into_a_file();
}

fn written_layer() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.frz");
    let keys = (0..KEYS).map(|i| (key(i), i * 31 % KEYS));
    FrozenLayer::from_unsorted(keys, &Default::default())
        .unwrap()
        .write_to(&path)
        .unwrap();
    check_small_open(&path);
}

fn layer_built_into_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("streamed.frz");
    let mut entries: Vec<(String, u64)> = (0..KEYS).map(|i| (key(i), i * 31 % KEYS)).collect();
    entries.sort();
    let mut builder = memkv_frozen::FrozenLayerBuilder::create(&path).unwrap();
    for (k, v) in &entries {
        builder.insert(k, *v).unwrap();
    }
    builder.finish_unopened().unwrap();
    check_small_open(&path);
    // The same layer from memory has no index, and writes the same file.
    let in_memory = FrozenLayer::from_sorted_iter(entries.iter().map(|(k, v)| (k, *v))).unwrap();
    assert_eq!(in_memory.format_info().node_end_index_bytes, 0);
    let again = dir.path().join("again.frz");
    in_memory.write_to(&again).unwrap();
    assert_eq!(
        std::fs::read(&again).unwrap(),
        std::fs::read(&path).unwrap()
    );
}
