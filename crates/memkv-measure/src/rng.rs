//! A small seeded generator and the permutations the workload is made of.
//!
//! The harness has its own generator (SplitMix64) instead of a `rand` dependency so
//! that the workload, and therefore every published figure, stays bit-for-bit the
//! same whatever version of an external crate is resolved.

/// SplitMix64 (Steele, Lea and Flood): tiny, fast, and good enough for shuffles and
/// synthetic data.
#[derive(Clone, Debug)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// A generator whose whole output is determined by `seed`.
    pub fn new(seed: u64) -> SplitMix64 {
        SplitMix64 { state: seed }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform integer in `0..bound` (`bound > 0`), by Lemire's multiply-shift; the
    /// tiny bias for huge bounds does not matter for benchmarks.
    pub fn below(&mut self, bound: u64) -> u64 {
        debug_assert!(bound > 0);
        ((u128::from(self.next_u64()) * u128::from(bound)) >> 64) as u64
    }

    /// A uniform float in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// A uniformly random permutation of `0..n` (Fisher–Yates), fixed by `seed`.
pub fn permutation(n: usize, seed: u64) -> Vec<u32> {
    assert!(
        u32::try_from(n).is_ok(),
        "the harness indexes keys with u32 (at most 4,294,967,295 keys)"
    );
    let mut rng = SplitMix64::new(seed);
    let mut p: Vec<u32> = (0..n as u32).collect();
    for i in (1..n).rev() {
        let j = rng.below(i as u64 + 1) as usize;
        p.swap(i, j);
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permutation_is_a_permutation_and_depends_on_the_seed() {
        let p = permutation(1000, 42);
        let mut sorted = p.clone();
        sorted.sort_unstable();
        assert!(sorted.iter().enumerate().all(|(i, &v)| v as usize == i));
        assert_eq!(p, permutation(1000, 42));
        assert_ne!(p, permutation(1000, 43));
        assert_ne!(p, sorted, "a shuffle of 1000 elements is not the identity");
    }

    #[test]
    fn below_stays_in_bounds_and_covers_them() {
        let mut rng = SplitMix64::new(7);
        let mut seen = [false; 10];
        for _ in 0..1000 {
            let x = rng.below(10);
            seen[x as usize] = true;
        }
        assert!(seen.iter().all(|&s| s));
        let u = rng.unit();
        assert!((0.0..1.0).contains(&u));
    }
}
