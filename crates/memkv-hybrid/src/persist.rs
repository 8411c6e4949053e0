//! Saving a store to a directory and opening it again.
//!
//! A saved store is a directory of segment files (each a `FrozenLayer` file, written
//! atomically by `FrozenLayer::write_to`) and a `MANIFEST` naming them. The manifest is
//! written last, to a temporary file that is synced and then renamed over the old
//! one, so a reader sees either the previous save or the new one, whole: a save cut
//! short leaves the previous manifest, and the files it names, untouched (new files
//! get names of a new generation). Files no manifest names any more are removed after
//! the rename.
//!
//! ```text
//! memkv-hybrid-manifest 1          <- magic and format version
//! generation 3                     <- increases with every save
//! len 1000000                      <- live keys
//! segment 00000003-000.live 00000003-000.tomb    <- newest segment first; `-` when
//! segment 00000003-001.live -                        a segment has no tombstones
//! crc32 1c291ca3                   <- of every byte above this line
//! ```
//!
//! `open` refuses, with an error, a manifest that is damaged (checksum), foreign
//! (magic), of another version, or names a path instead of a file in the
//! directory; segment files that `FrozenLayer::open` refuses; a segment that holds
//! a key both as live and as deleted; and a key
//! count its segments cannot hold (see `live_key_bounds`: a forged count within
//! those bounds makes `len` wrong, and nothing else).
//!
//! Only `HybridStore<u64>` is saved: other value types would need a serialisation
//! format of their own.

use std::fmt::Write as _;
use std::fs::{self, File};
use std::io::Write as _;
use std::path::{Path, PathBuf};

use memkv_core::{Error, Result};
use memkv_frozen::FrozenLayer;

use crate::config::HybridConfig;
use crate::segment::{BuildOptions, Segment};
use crate::store::HybridStore;
use crate::sync::{self, Arc};
use crate::version::{Layer, Version};

/// The manifest's name in a store directory.
pub const MANIFEST: &str = "MANIFEST";
const MAGIC: &str = "memkv-hybrid-manifest";
const FORMAT_VERSION: u32 = 1;
const LIVE: &str = ".live";
const TOMB: &str = ".tomb";

/// What a manifest says.
struct Manifest {
    generation: u64,
    len: usize,
    /// Live-key file and tombstone file of each segment, newest first.
    segments: Vec<(String, Option<String>)>,
}

impl Manifest {
    fn encode(&self) -> String {
        let mut text = format!(
            "{MAGIC} {FORMAT_VERSION}\ngeneration {}\nlen {}\n",
            self.generation, self.len
        );
        for (live, tomb) in &self.segments {
            let _ = writeln!(text, "segment {live} {}", tomb.as_deref().unwrap_or("-"));
        }
        let crc = crc32fast::hash(text.as_bytes());
        let _ = writeln!(text, "crc32 {crc:08x}");
        text
    }

    fn decode(bytes: &[u8]) -> Result<Manifest> {
        let first = bytes.split(|&b| b == b'\n').next().unwrap_or_default();
        let Some(version) = std::str::from_utf8(first)
            .ok()
            .and_then(|l| l.strip_prefix(MAGIC))
            .and_then(|rest| rest.strip_prefix(' '))
        else {
            return Err(Error::NotMemkv {
                found: first.iter().take(32).copied().collect(),
            });
        };
        let got: u32 = version
            .parse()
            .map_err(|_| Error::corrupt(format!("manifest version {version:?} is not a number")))?;
        if got != FORMAT_VERSION {
            return Err(Error::Version {
                expected: FORMAT_VERSION,
                got,
            });
        }
        let text =
            std::str::from_utf8(bytes).map_err(|_| Error::corrupt("manifest is not UTF-8"))?;
        let body_end = text
            .trim_end_matches('\n')
            .rfind('\n')
            .map(|i| i + 1)
            .ok_or_else(|| Error::corrupt("manifest has no checksum line"))?;
        let (body, crc_line) = text.split_at(body_end);
        let stored = crc_line
            .trim_end()
            .strip_prefix("crc32 ")
            .and_then(|h| u32::from_str_radix(h, 16).ok())
            .ok_or_else(|| Error::corrupt("manifest's last line is not `crc32 <hex>`"))?;
        let computed = crc32fast::hash(body.as_bytes());
        if stored != computed {
            return Err(Error::ChecksumMismatch {
                expected: stored.into(),
                got: computed.into(),
            });
        }
        let mut manifest = Manifest {
            generation: 0,
            len: 0,
            segments: Vec::new(),
        };
        for line in body.lines().skip(1) {
            let words: Vec<&str> = line.split(' ').collect();
            let number = |w: &str| {
                w.parse::<u64>()
                    .map_err(|_| Error::corrupt(format!("manifest line {line:?}: bad number")))
            };
            match words.as_slice() {
                ["generation", g] => manifest.generation = number(g)?,
                ["len", n] => {
                    manifest.len =
                        usize::try_from(number(n)?).map_err(|_| Error::CapacityExceeded {
                            what: "number of keys",
                            limit: usize::MAX as u64,
                        })?
                }
                ["segment", live, tomb] => {
                    let live = file_name(live)?;
                    let tomb = if *tomb == "-" {
                        None
                    } else {
                        Some(file_name(tomb)?)
                    };
                    manifest.segments.push((live, tomb));
                }
                _ => {
                    return Err(Error::corrupt(format!(
                        "manifest line {line:?} not understood"
                    )))
                }
            }
        }
        Ok(manifest)
    }
}

/// A segment file name from a manifest: a plain name, never a path.
fn file_name(name: &str) -> Result<String> {
    let plain = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
        && !name.starts_with('.');
    if plain {
        Ok(name.to_string())
    } else {
        Err(Error::corrupt(format!(
            "manifest names the file {name:?}, which is not a plain file name"
        )))
    }
}

fn read_manifest(dir: &Path) -> Result<Manifest> {
    let path = dir.join(MANIFEST);
    let bytes = fs::read(&path).map_err(|e| Error::io_at(&path, e))?;
    Manifest::decode(&bytes)
}

/// Writes `bytes` to `dir/name` atomically: a temporary file in `dir`, synced, renamed
/// over the target, and the directory synced so the rename itself survives a crash.
fn write_atomically(dir: &Path, name: &str, bytes: &[u8]) -> Result<()> {
    let target = dir.join(name);
    let tmp = dir.join(format!("{name}.tmp"));
    let io = |p: &Path| {
        let p = p.to_path_buf();
        move |e| Error::io_at(p, e)
    };
    let mut file = File::create(&tmp).map_err(io(&tmp))?;
    file.write_all(bytes).map_err(io(&tmp))?;
    file.sync_all().map_err(io(&tmp))?;
    drop(file);
    fs::rename(&tmp, &target).map_err(io(&target))?;
    sync_dir(dir)
}

fn sync_dir(dir: &Path) -> Result<()> {
    // Directories cannot be opened for syncing on every platform; where they can,
    // the sync makes renames durable.
    if cfg!(unix) {
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| Error::io_at(dir, e))?;
    }
    Ok(())
}

impl HybridStore<u64> {
    /// Saves the store into `dir` (created if missing): its segments, and the delta as
    /// one more segment. Writes go on meanwhile; those made after the save starts may
    /// or may not be included.
    ///
    /// The save is atomic: if it is cut short (a crash, a full disk), [`open`] still
    /// finds the previous save of `dir` intact.
    ///
    /// [`open`]: HybridStore::open
    pub fn save(&self, dir: impl AsRef<Path>) -> Result<()> {
        let dir = dir.as_ref();
        fs::create_dir_all(dir).map_err(|e| Error::io_at(dir, e))?;
        let generation = read_manifest(dir).map_or(0, |m| m.generation) + 1;

        // Turn the deltas into a segment, so the saved version is segments only.
        let shared = &self.shared;
        let _only_one = sync::lock(&shared.compaction);
        let mut fresh = Some(shared.new_delta());
        let (snapshot, len) = {
            let mut st = sync::write(&shared.state);
            drop(st.freeze(&mut fresh));
            (Arc::clone(&st.version), st.len)
        };
        // Without the compaction lock nobody flushes, and with it held between
        // compactions the deltas are the newest layers; merging up to the last one
        // keeps the run consecutive whatever the order.
        let deltas = snapshot
            .layers
            .iter()
            .rposition(|l| matches!(l, Layer::Delta(_)))
            .map_or(0, |i| i + 1);
        if deltas > 0 {
            let options = BuildOptions {
                oldest: deltas == snapshot.layers.len(),
                filtered: true,
                level: 0,
                run_entries: shared.config.run_entries,
            };
            // No flushes of newer deltas in between: what is saved is the snapshot.
            shared.merge(&snapshot, 0..deltas, options, false)?;
        }
        // Deltas frozen since the snapshot are newer than everything it holds, and
        // nobody flushed them: they are the leading layers, and the rest is the
        // snapshot as segments.
        let version = shared.current();
        let segments: Vec<&Arc<Segment<u64>>> = version
            .layers
            .iter()
            .skip_while(|l| matches!(l, Layer::Delta(_)))
            .filter_map(Layer::segment)
            .collect();
        let mut manifest = Manifest {
            generation,
            len,
            segments: Vec::new(),
        };
        for (i, segment) in segments.iter().enumerate() {
            let stem = format!("{generation:08}-{i:03}");
            let live = format!("{stem}{LIVE}");
            segment.write_live(&dir.join(&live))?;
            let tomb = format!("{stem}{TOMB}");
            let tomb = segment.write_tombstones(&dir.join(&tomb))?.then_some(tomb);
            manifest.segments.push((live, tomb));
        }
        write_atomically(dir, MANIFEST, manifest.encode().as_bytes())?;
        remove_unreferenced(dir, &manifest);
        Ok(())
    }

    /// Opens a store saved by [`save`](HybridStore::save), memory-mapping its segment
    /// files, with the default configuration.
    pub fn open(dir: impl AsRef<Path>) -> Result<HybridStore<u64>> {
        HybridStore::open_with_config(dir, HybridConfig::default())
    }

    /// Opens a saved store with the given configuration.
    pub fn open_with_config(
        dir: impl AsRef<Path>,
        config: HybridConfig,
    ) -> Result<HybridStore<u64>> {
        let dir = dir.as_ref();
        let manifest = read_manifest(dir)?;
        let mut files = Vec::with_capacity(manifest.segments.len());
        for (live, tomb) in &manifest.segments {
            let live = FrozenLayer::open(dir.join(live))?;
            let tomb = match tomb {
                Some(t) => Some(FrozenLayer::open(dir.join(t))?),
                None => None,
            };
            files.push((live, tomb));
        }
        // Oldest first, so that each segment knows whether any live key lies under
        // it: where none does, its tombstones delete nothing and are dropped (the
        // store keeps none in its oldest segment).
        let mut layers = Vec::with_capacity(files.len());
        let mut keys_below = false;
        for (age, (live, tomb)) in files.into_iter().rev().enumerate() {
            // Levels rise with age, each segment alone on its own: new flushes merge
            // into them only once they have grown to their level.
            let level = u32::try_from(age).unwrap_or(u32::MAX);
            let segment = Segment::from_layers(live, tomb, keys_below, level)?;
            keys_below |= segment.entry_count() > segment.tombstone_count();
            if segment.entry_count() > 0 {
                layers.push(Layer::Segment(Arc::new(segment)));
            }
        }
        layers.reverse();
        let (least, most) = live_key_bounds(&layers);
        if !(least..=most).contains(&manifest.len) {
            return Err(Error::corrupt(format!(
                "the manifest counts {} live keys, but its segments hold between {least} and {most}",
                manifest.len
            )));
        }
        let version = Version { layers };
        Ok(HybridStore::from_parts(config, version, manifest.len))
    }
}

/// The fewest and the most live keys that segments `layers` (newest first) can hold
/// together, from their counts alone.
///
/// The exact number takes a merge of every segment, as long as a scan of the store
/// (on 1M Debian paths in three segments, longer than all the rest of `open`), so
/// `open` trusts the manifest's count within these bounds, which catch a count
/// forged far off and fix it exactly for a store of one segment. Every live key of
/// a segment is live in the store unless a newer segment deletes it, and no key
/// is live twice.
fn live_key_bounds(layers: &[Layer<u64>]) -> (usize, usize) {
    let (mut least, mut most, mut deleted_above) = (0usize, 0usize, 0usize);
    for segment in layers.iter().filter_map(Layer::segment) {
        let live = segment.entry_count() - segment.tombstone_count();
        least = least.max(live.saturating_sub(deleted_above));
        most = most.saturating_add(live);
        deleted_above = deleted_above.saturating_add(segment.tombstone_count());
    }
    (least, most)
}

/// Removes segment files and temporary files that `manifest` does not name: left by
/// earlier saves, or by a save cut short. Failures are ignored; the files are only
/// wasted space.
fn remove_unreferenced(dir: &Path, manifest: &Manifest) {
    let keep: Vec<&str> = manifest
        .segments
        .iter()
        .flat_map(|(l, t)| std::iter::once(l.as_str()).chain(t.as_deref()))
        .collect();
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let ours = name.ends_with(LIVE) || name.ends_with(TOMB) || name.ends_with(".tmp");
        if ours && !keep.contains(&name) {
            let path: PathBuf = entry.path();
            let _ = fs::remove_file(path);
        }
    }
}
