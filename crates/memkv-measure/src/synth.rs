//! The synthetic URL set: the default dataset, deterministic, generated already
//! sorted and streamed, so any size up to 10^9 keys needs only a bounded amount of
//! memory.
//!
//! URLs are the leaves and inner nodes of a random tree walked depth-first:
//!
//! ```text
//! scheme        "https://"              (http 15 %, https 85 %)
//! subdomain     "www."                  labels end with '.', which they never contain
//! host start    "co"                    exactly two letters: fixed length
//! host rest     "ffee-news.com/"        labels end with '/', which they never contain
//! path          "blog/" | "2019/" | "post-title-12345.html" | "item?id=42" ...
//! ```
//!
//! Sibling labels are sorted, unique and *prefix-free where it matters*: a label with
//! children under it (fixed length, or ending with a separator it never contains) is
//! never a proper prefix of a sibling, so the depth-first walk emits every key in
//! byte order. Each node receives a budget of keys and splits it among its children
//! with heavy-tailed (Pareto) weights, like a crawl where a few hosts and folders
//! have most pages; the total is exactly the requested count.
//!
//! Memory is bounded by the depth times the fan-out: the host levels cap their
//! fan-outs, so a larger count gives larger hosts rather than wider nodes.

use std::io::{self, Write};

use crate::rng::SplitMix64;

/// The default seed of `cargo xtask dataset synth urls`.
pub const DEFAULT_SEED: u64 = 42;

/// Folder and slug words (a fixed list, so output never depends on the system).
const WORDS: &[&str] = &[
    "about",
    "account",
    "add",
    "admin",
    "album",
    "all",
    "api",
    "app",
    "archive",
    "area",
    "article",
    "articles",
    "assets",
    "auth",
    "author",
    "auto",
    "best",
    "black",
    "blog",
    "board",
    "book",
    "books",
    "browse",
    "business",
    "buy",
    "car",
    "cart",
    "catalog",
    "category",
    "center",
    "city",
    "class",
    "club",
    "code",
    "comment",
    "comments",
    "community",
    "company",
    "contact",
    "content",
    "county",
    "course",
    "data",
    "day",
    "default",
    "design",
    "detail",
    "details",
    "dev",
    "directory",
    "doc",
    "docs",
    "download",
    "downloads",
    "edit",
    "education",
    "event",
    "events",
    "faq",
    "feed",
    "file",
    "files",
    "film",
    "food",
    "forum",
    "forums",
    "free",
    "game",
    "games",
    "gallery",
    "garden",
    "gift",
    "global",
    "group",
    "groups",
    "guide",
    "health",
    "help",
    "history",
    "home",
    "hotel",
    "house",
    "image",
    "images",
    "index",
    "info",
    "item",
    "items",
    "job",
    "jobs",
    "journal",
    "kids",
    "lab",
    "land",
    "law",
    "learn",
    "library",
    "life",
    "link",
    "links",
    "list",
    "live",
    "local",
    "login",
    "love",
    "mail",
    "main",
    "map",
    "market",
    "media",
    "member",
    "members",
    "menu",
    "mobile",
    "money",
    "movie",
    "music",
    "my",
    "new",
    "news",
    "node",
    "notes",
    "online",
    "open",
    "order",
    "page",
    "pages",
    "park",
    "people",
    "photo",
    "photos",
    "place",
    "play",
    "policy",
    "post",
    "posts",
    "press",
    "price",
    "print",
    "product",
    "products",
    "profile",
    "project",
    "projects",
    "public",
    "radio",
    "read",
    "real",
    "recipe",
    "red",
    "report",
    "reports",
    "research",
    "resources",
    "review",
    "reviews",
    "school",
    "search",
    "service",
    "services",
    "shop",
    "show",
    "site",
    "sites",
    "sport",
    "sports",
    "static",
    "store",
    "story",
    "student",
    "study",
    "style",
    "support",
    "tag",
    "tags",
    "team",
    "tech",
    "test",
    "text",
    "theme",
    "thread",
    "time",
    "tools",
    "topic",
    "topics",
    "tour",
    "town",
    "travel",
    "tv",
    "uploads",
    "user",
    "users",
    "video",
    "videos",
    "view",
    "village",
    "water",
    "web",
    "wiki",
    "wiki-page",
    "women",
    "work",
    "world",
    "year",
];

/// Subdomain words, most frequent first (the weights below follow this order).
const SUBDOMAINS: &[&str] = &[
    "www",
    "en",
    "blog",
    "shop",
    "news",
    "m",
    "docs",
    "forum",
    "de",
    "fr",
    "support",
    "store",
    "wiki",
    "es",
    "api",
    "app",
    "dev",
    "static",
    "help",
    "it",
    "jobs",
    "mail",
    "media",
    "music",
    "nl",
    "pl",
    "portal",
    "search",
    "ja",
    "ru",
    "community",
    "events",
];

/// Top-level domains, most frequent first.
const TLDS: &[&str] = &[
    "com", "org", "net", "de", "co.uk", "io", "edu", "gov", "fr", "nl", "info", "ru", "jp",
    "com.au", "ca", "it", "es", "pl", "ch", "se",
];

/// Letters by rough frequency as the first letters of host names.
const HOST_LETTERS: &[u8] = b"sacmtpbdlrgfehinwkovyjuzqx";

/// Extensions of leaf pages.
const EXTENSIONS: &[&str] = &[".html", ".htm", ".php", ".pdf", ".jpg", ".aspx", ".xml"];

/// Writes `count` sorted, unique synthetic URLs, one per line, fixed by `seed`.
/// `progress` receives the number of URLs written so far (every 65,536 URLs and at
/// the end).
pub fn generate(
    count: u64,
    seed: u64,
    out: &mut impl Write,
    progress: &mut dyn FnMut(u64),
) -> io::Result<()> {
    let mut g = Generator {
        rng: SplitMix64::new(seed),
        out,
        written: 0,
        progress,
        url: Vec::with_capacity(256),
        scratch: Vec::new(),
        tld_weights: zipf_totals(TLDS.len()),
        ext_weights: zipf_totals(EXTENSIONS.len()),
    };
    g.root(count)?;
    (g.progress)(g.written);
    Ok(())
}

/// The running sums of Zipf weights `1/1, 1/2, ...`, for [`Generator::pick`].
fn zipf_totals(n: usize) -> Vec<f64> {
    let mut total = 0.0;
    (1..=n)
        .map(|i| {
            total += 1.0 / i as f64;
            total
        })
        .collect()
}

/// The children of one node: labels back to back in `labels`, and for each child
/// its label's range and key budget. One per depth is kept and reused, so the walk
/// allocates almost nothing per key.
#[derive(Default)]
struct Children {
    labels: Vec<u8>,
    entries: Vec<(u32, u32, u64)>,
}

impl Children {
    fn label(&self, i: usize) -> &[u8] {
        let (start, end, _) = self.entries[i];
        &self.labels[start as usize..end as usize]
    }
}

struct Generator<'a, W> {
    rng: SplitMix64,
    out: &'a mut W,
    written: u64,
    progress: &'a mut dyn FnMut(u64),
    /// The URL of the node being visited.
    url: Vec<u8>,
    /// Reusable child lists, one per depth.
    scratch: Vec<Children>,
    tld_weights: Vec<f64>,
    ext_weights: Vec<f64>,
}

/// Appends the decimal digits of `x`.
fn push_number(buf: &mut Vec<u8>, mut x: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (x % 10) as u8;
        x /= 10;
        if x == 0 {
            break;
        }
    }
    buf.extend_from_slice(&digits[i..]);
}

impl<W: Write> Generator<'_, W> {
    fn emit(&mut self) -> io::Result<()> {
        self.url.push(b'\n');
        let result = self.out.write_all(&self.url);
        self.url.pop();
        result?;
        self.written += 1;
        if self.written % 65_536 == 0 {
            (self.progress)(self.written);
        }
        Ok(())
    }

    /// Splits `budget` into at most `k` positive parts with heavy-tailed weights,
    /// appended to `parts`.
    fn split(&mut self, budget: u64, k: u64, parts: &mut Vec<u64>) {
        parts.clear();
        let k = k.clamp(1, budget.max(1));
        // Pareto weights with shape 1.1 (capped, so one child cannot take all).
        let mut total = 0.0;
        let mut weights = Vec::with_capacity(k as usize);
        for _ in 0..k {
            let w = (1.0 - self.rng.unit()).powf(-1.0 / 1.1).min(1e4);
            total += w;
            weights.push(w);
        }
        let mut assigned = 0;
        for w in weights {
            let p = (budget as f64 * w / total).floor() as u64;
            assigned += p;
            parts.push(p);
        }
        // Rounding down leaves a few keys over; hand them out one each.
        let mut rest = budget - assigned.min(budget);
        let mut i = 0;
        let n = parts.len();
        while rest > 0 {
            parts[i % n] += 1;
            rest -= 1;
            i += 1;
        }
        parts.retain(|&p| p > 0);
    }

    /// Labels every part with `label` (which appends one label to the buffer), then
    /// sorts the children and makes labels unique: children with subtrees (`inner`
    /// says which) that drew the same label are merged, summing their budgets;
    /// duplicate pages draw new labels.
    fn label_children(
        &mut self,
        depth: usize,
        parts: &[u64],
        inner: impl Fn(&[u8]) -> bool,
        mut label: impl FnMut(&mut Self, u64, &mut Vec<u8>),
    ) -> Children {
        if self.scratch.len() <= depth {
            self.scratch.resize_with(depth + 1, Children::default);
        }
        let mut c = std::mem::take(&mut self.scratch[depth]);
        c.labels.clear();
        c.entries.clear();
        for &budget in parts {
            let start = c.labels.len() as u32;
            label(self, budget, &mut c.labels);
            c.entries.push((start, c.labels.len() as u32, budget));
        }
        loop {
            let Children { labels, entries } = &mut c;
            entries.sort_unstable_by(|a, b| {
                labels[a.0 as usize..a.1 as usize].cmp(&labels[b.0 as usize..b.1 as usize])
            });
            let mut relabelled = false;
            let mut kept = 0;
            for i in 0..c.entries.len() {
                if kept > 0 && c.label(i) == c.label(kept - 1) {
                    if inner(c.label(i)) {
                        c.entries[kept - 1].2 += c.entries[i].2;
                        continue;
                    }
                    relabelled = true;
                    let start = c.labels.len() as u32;
                    label(self, c.entries[i].2, &mut c.labels);
                    c.entries[i].0 = start;
                    c.entries[i].1 = c.labels.len() as u32;
                }
                c.entries[kept] = c.entries[i];
                kept += 1;
            }
            c.entries.truncate(kept);
            if !relabelled {
                return c;
            }
        }
    }

    /// Visits each child with `next`, then returns the buffers for reuse.
    fn visit(
        &mut self,
        depth: usize,
        c: Children,
        mut next: impl FnMut(&mut Self, u64) -> io::Result<()>,
    ) -> io::Result<()> {
        for i in 0..c.entries.len() {
            let len = self.url.len();
            self.url.extend_from_slice(c.label(i));
            next(self, c.entries[i].2)?;
            self.url.truncate(len);
        }
        self.scratch[depth] = c;
        Ok(())
    }

    fn root(&mut self, budget: u64) -> io::Result<()> {
        if budget == 0 {
            return Ok(());
        }
        let http = (budget as f64 * 0.15).round() as u64;
        for (label, b) in [("http://", http), ("https://", budget - http)] {
            if b > 0 {
                self.url.extend_from_slice(label.as_bytes());
                self.subdomains(b)?;
                self.url.clear();
            }
        }
        Ok(())
    }

    /// An index into a list of Zipf weights given as running sums.
    fn pick(&mut self, totals: &[f64]) -> usize {
        let x = self.rng.unit() * totals[totals.len() - 1];
        totals.partition_point(|&t| t <= x).min(totals.len() - 1)
    }

    fn subdomains(&mut self, budget: u64) -> io::Result<()> {
        let k = (budget / 2_000).clamp(1, SUBDOMAINS.len() as u64);
        // "www" takes about half of everything, the rest is split heavy-tailed.
        let mut split = Vec::new();
        self.split(budget - budget / 2, k, &mut split);
        split.resize(k as usize, 0);
        split[0] += budget / 2;
        let mut subs: Vec<(&str, u64)> = SUBDOMAINS
            .iter()
            .zip(split)
            .filter(|(_, b)| *b > 0)
            .map(|(s, b)| (*s, b))
            .collect();
        subs.sort_unstable();
        for (sub, b) in subs {
            let len = self.url.len();
            self.url.extend_from_slice(sub.as_bytes());
            self.url.push(b'.');
            self.host_starts(b)?;
            self.url.truncate(len);
        }
        Ok(())
    }

    fn letter(&mut self) -> u8 {
        // Squaring a uniform draw favours the frequent letters at the front.
        let u = self.rng.unit();
        HOST_LETTERS[((u * u) * HOST_LETTERS.len() as f64) as usize]
    }

    fn host_starts(&mut self, budget: u64) -> io::Result<()> {
        let mut parts = Vec::new();
        self.split(budget, (budget / 16).clamp(1, 676), &mut parts);
        let c = self.label_children(
            0,
            &parts,
            |_| true,
            |g, _, out| {
                out.push(g.letter());
                out.push(g.letter());
            },
        );
        self.visit(0, c, |g, b| g.hosts(b))
    }

    fn hosts(&mut self, budget: u64) -> io::Result<()> {
        // About 25 URLs per host on average, but at most 4,096 hosts per node.
        let mut parts = Vec::new();
        self.split(budget, (budget / 25).clamp(1, 4096), &mut parts);
        let c = self.label_children(
            1,
            &parts,
            |_| true,
            |g, _, out| {
                for _ in 0..2 + g.rng.below(5) {
                    out.push(g.letter());
                }
                if g.rng.below(3) == 0 {
                    out.push(b'-');
                    out.extend_from_slice(g.word());
                } else if g.rng.below(4) == 0 {
                    push_number(out, g.rng.below(100));
                }
                out.push(b'.');
                out.extend_from_slice(g.tld());
                out.push(b'/');
            },
        );
        self.visit(1, c, |g, b| g.path(b, 0))
    }

    fn word(&mut self) -> &'static [u8] {
        WORDS[self.rng.below(WORDS.len() as u64) as usize].as_bytes()
    }

    fn number(&mut self, digits: u32) -> u64 {
        self.rng.below(10u64.pow(digits))
    }

    fn tld(&mut self) -> &'static [u8] {
        let totals = std::mem::take(&mut self.tld_weights);
        let i = self.pick(&totals);
        self.tld_weights = totals;
        TLDS[i].as_bytes()
    }

    fn extension(&mut self) -> &'static [u8] {
        let totals = std::mem::take(&mut self.ext_weights);
        let i = self.pick(&totals);
        self.ext_weights = totals;
        EXTENSIONS[i].as_bytes()
    }

    /// Appends a folder label (ends with '/', the only '/' in it).
    fn folder(&mut self, depth: u32, out: &mut Vec<u8>) {
        match self.rng.below(10) {
            0 if depth == 0 => push_number(out, 2005 + self.rng.below(20)),
            1 => {
                let digits = 2 + self.rng.below(4) as u32;
                let n = self.number(digits);
                push_number(out, n);
            }
            2 => {
                out.extend_from_slice(self.word());
                out.push(b'-');
                out.extend_from_slice(self.word());
            }
            3 if depth == 0 => out.extend_from_slice(
                [&b"en"[..], b"de", b"fr", b"es", b"us", b"uk"][self.rng.below(6) as usize],
            ),
            _ => out.extend_from_slice(self.word()),
        }
        out.push(b'/');
    }

    /// Appends a page label (never contains '/').
    fn page(&mut self, out: &mut Vec<u8>) {
        match self.rng.below(12) {
            0..=3 => {
                for i in 0..2 + self.rng.below(5) {
                    if i > 0 {
                        out.push(b'-');
                    }
                    out.extend_from_slice(self.word());
                }
                if self.rng.below(2) == 0 {
                    out.push(b'-');
                    let n = self.number(6);
                    push_number(out, n);
                }
                if self.rng.below(2) == 0 {
                    out.extend_from_slice(self.extension());
                }
            }
            4..=5 => {
                let digits = 3 + self.rng.below(6) as u32;
                let n = self.number(digits);
                push_number(out, n);
            }
            6 => {
                out.extend_from_slice(self.word());
                out.extend_from_slice(b".php?id=");
                let n = self.number(5);
                push_number(out, n);
            }
            7 => {
                out.extend_from_slice(self.word());
                out.extend_from_slice(b"?page=");
                push_number(out, 1 + self.rng.below(40));
            }
            8 => {
                out.extend_from_slice(self.word());
                out.push(b'_');
                out.extend_from_slice(self.word());
                out.extend_from_slice(self.extension());
            }
            9 => {
                out.extend_from_slice(self.word());
                out.extend_from_slice(self.extension());
            }
            _ => out.extend_from_slice(self.word()),
        }
    }

    /// A folder (or the host root at depth 0) holding `budget` keys, itself included
    /// when it is a key.
    fn path(&mut self, mut budget: u64, depth: u32) -> io::Result<()> {
        // Most host roots and some folders are pages themselves.
        let own = budget == 1 || self.rng.below(if depth == 0 { 4 } else { 8 }) < 3;
        if own {
            self.emit()?;
            budget -= 1;
        }
        if budget == 0 {
            return Ok(());
        }
        let fanout = if depth >= 5 {
            budget
        } else {
            (budget / 3).clamp(1, 8 + 8 * u64::from(depth)) + self.rng.below(4)
        };
        let mut parts = Vec::new();
        self.split(budget, fanout, &mut parts);
        let inner = |label: &[u8]| label.last() == Some(&b'/');
        let c = self.label_children(2 + depth as usize, &parts, inner, |g, b, out| {
            if b == 1 && g.rng.below(12) != 0 {
                g.page(out)
            } else {
                g.folder(depth, out)
            }
        });
        self.visit(2 + depth as usize, c, |g, b| {
            if g.url.last() == Some(&b'/') {
                g.path(b, depth + 1)
            } else {
                g.emit()
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn urls(count: u64, seed: u64) -> Vec<u8> {
        let mut out = Vec::new();
        let mut last = 0;
        generate(count, seed, &mut out, &mut |n| last = n).unwrap();
        assert_eq!(last, count);
        out
    }

    #[test]
    fn exact_count_sorted_unique_and_deterministic() {
        for count in [0, 1, 2, 7, 100, 5_000, 60_000] {
            let out = urls(count, 1);
            let lines: Vec<&[u8]> = out
                .split(|&b| b == b'\n')
                .filter(|l| !l.is_empty())
                .collect();
            assert_eq!(lines.len() as u64, count);
            for w in lines.windows(2) {
                assert!(
                    w[0] < w[1],
                    "{:?} !< {:?}",
                    String::from_utf8_lossy(w[0]),
                    String::from_utf8_lossy(w[1])
                );
            }
            for l in &lines {
                assert!(l.starts_with(b"http://") || l.starts_with(b"https://"));
            }
        }
        assert_eq!(urls(1000, 5), urls(1000, 5));
        assert_ne!(urls(1000, 5), urls(1000, 6));
    }
}
