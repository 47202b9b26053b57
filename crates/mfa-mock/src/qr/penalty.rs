//! The mask penalty score, as qrcodegen computes it, over bit rows and columns.
//!
//! qrcodegen walks every module of every row and column, keeping a history of
//! run lengths; the score below is the same sum computed per line from its
//! runs, with the long-run and 2×2 rules done with shifts and popcounts.
//! The four rules, with qrcodegen's weights:
//! - N1, 3 points for each run of 5 modules of one colour in a line, plus 1 per module beyond 5;
//! - N2, 3 points for each 2×2 block of one colour (blocks may overlap);
//! - N3, 40 points for each finder-like 1:1:3:1:1 pattern with 4 light modules on one side
//!   (the quiet zone counts as light);
//! - N4, 10 points per 5% the dark share strays from 50%, beyond the first 5%.

use super::matrix::Matrix;

const N1: u32 = 3;
const N2: u32 = 3;
const N3: u32 = 40;
const N4: u32 = 10;

/// The penalty of `matrix`; among the eight masks the lowest wins, the first on ties.
pub(super) fn score(matrix: &Matrix) -> u32 {
    let size = matrix.size;
    let lines = matrix.rows.iter().chain(&matrix.columns);
    // Most symbols are at most 64 modules wide, and 64-bit shifts are cheaper.
    let line_scores: u32 = if size <= 64 {
        lines.map(|&line| line_score(line as u64, size)).sum()
    } else {
        lines.map(|&line| line_score(line, size)).sum()
    };
    let blocks: u32 = matrix
        .rows
        .windows(2)
        .map(|pair| same_colour_blocks(pair[0], pair[1], size))
        .sum();
    line_scores + blocks * N2 + balance(matrix)
}

/// A line of modules as the bits of an unsigned integer, module i in bit i.
trait Line:
    Copy
    + Eq
    + std::ops::BitAnd<Output = Self>
    + std::ops::BitOr<Output = Self>
    + std::ops::BitXor<Output = Self>
    + std::ops::BitAndAssign
    + std::ops::BitOrAssign
    + std::ops::Not<Output = Self>
{
    /// No modules dark.
    const EMPTY: Self;
    /// Bit i becomes bit i − `by`; modules past the end read as light.
    fn right(self, by: usize) -> Self;
    /// Bit i becomes bit i + `by`; modules before the start read as light.
    fn left(self, by: usize) -> Self;
    /// The first `count` bits set.
    fn low_bits(count: usize) -> Self;
    /// How many bits are set.
    fn ones(self) -> u32;
}

macro_rules! impl_line {
    ($($bits:ty),*) => {$(
        impl Line for $bits {
            const EMPTY: Self = 0;
            fn right(self, by: usize) -> Self {
                u32::try_from(by).ok().and_then(|by| self.checked_shr(by)).unwrap_or(0)
            }
            fn left(self, by: usize) -> Self {
                u32::try_from(by).ok().and_then(|by| self.checked_shl(by)).unwrap_or(0)
            }
            fn low_bits(count: usize) -> Self {
                (1 as $bits).left(count).wrapping_sub(1)
            }
            fn ones(self) -> u32 {
                self.count_ones()
            }
        }
    )*};
}

impl_line!(u64, u128);

/// N1 and N3 for one row or column of `size` modules.
fn line_score<L: Line>(line: L, size: usize) -> u32 {
    long_runs(line, size) + finder_like(line, size) * N3
}

/// N1: `3 + (length - 5)` for each run of at least five, from the bits where
/// five modules in a row start (each run of length L ≥ 5 has L − 4 of them).
fn long_runs<L: Line>(line: L, size: usize) -> u32 {
    let same_as_next = !(line ^ line.right(1)) & L::low_bits(size - 1);
    let five = same_as_next & same_as_next.right(1) & same_as_next.right(2) & same_as_next.right(3);
    let run_starts = five & !five.left(1);
    five.ones() + run_starts.ones() * (N1 - 1)
}

/// N3: finder-like patterns in one line, counted as qrcodegen counts them.
///
/// qrcodegen keeps a history of run lengths and, after each light run,
/// checks the six runs before it for dark n, light n, dark 3n, light n,
/// dark n (the core), with at least 4n light modules on one side and n on
/// the other; each side that qualifies counts once. The quiet zone around
/// the line counts as light, and it is always wider than 4n.
///
/// Here each scale n is one pass of shifts over the line: bit i of `core`
/// is set when a core starts at module i, with light just before and after
/// it so that its runs are exactly those lengths. A core of scale n + 1
/// needs 3n + 3 dark modules in a row, so the scales stop at the first
/// without 3n.
fn finder_like<L: Line>(line: L, size: usize) -> u32 {
    // Modules past either end of the line read as light (0).
    let right = L::right;
    let left = L::left;
    let mut patterns = 0;
    // Bit i: modules i..i+n all dark / any of them dark / any of i-n..i dark.
    let mut all_dark = line;
    let mut any_dark = line;
    let mut any_dark_before = left(line, 1);
    for n in 1..=size / 7 {
        if n > 1 {
            all_dark &= right(line, n - 1);
            any_dark |= right(line, n - 1);
            any_dark_before |= left(line, n);
        }
        let dark_3n = all_dark & right(all_dark, n) & right(all_dark, 2 * n);
        if dark_3n == L::EMPTY {
            break;
        }
        let core = all_dark
            & !right(any_dark, n)
            & right(dark_3n, 2 * n)
            & !right(any_dark, 5 * n)
            & right(all_dark, 6 * n)
            & !right(line, 7 * n)
            & !left(line, 1);
        if core == L::EMPTY {
            continue;
        }
        let any_dark_4n =
            any_dark | right(any_dark, n) | right(any_dark, 2 * n) | right(any_dark, 3 * n);
        let light_after_n = !right(any_dark, 7 * n);
        let light_after_4n = !right(any_dark_4n, 7 * n);
        // Shifting a window left is only sound when the whole window lies
        // before the module, so the before side has windows of its own.
        let light_before_n = !any_dark_before;
        let light_before_4n = !(any_dark_before
            | left(any_dark_before, n)
            | left(any_dark_before, 2 * n)
            | left(any_dark_before, 3 * n));
        patterns += (core & light_after_4n & light_before_n).ones();
        patterns += (core & light_before_4n & light_after_n).ones();
    }
    patterns
}

/// N2: 2×2 blocks of one colour whose top row is `top`.
fn same_colour_blocks(top: u128, bottom: u128, size: usize) -> u32 {
    let pairs_mask = (1u128 << (size - 1)) - 1;
    let same_across = !(top ^ (top >> 1)) & pairs_mask;
    let same_down = !(top ^ bottom);
    (same_across & same_down & (same_down >> 1)).count_ones()
}

/// N4: the smallest k ≥ 0 with (45 − 5k)% ≤ dark share ≤ (55 + 5k)%, times 10.
fn balance(matrix: &Matrix) -> u32 {
    let dark: i64 = matrix
        .rows
        .iter()
        .map(|row| i64::from(row.count_ones()))
        .sum();
    let total = i64::try_from(matrix.size * matrix.size).unwrap_or(i64::MAX);
    let k = ((dark * 20 - total * 10).abs() + total - 1) / total - 1;
    u32::try_from(k).unwrap_or(0) * N4
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    /// qrcodegen's per-module walk for N1 and N3 over one line, written out
    /// plainly so the run-based version has something to be checked against.
    fn walked(line: &[bool]) -> u32 {
        let size = line.len();
        let mut history = [0usize; 7];
        let push = |history: &mut [usize; 7], mut length: usize| {
            if history[0] == 0 {
                length += size;
            }
            history.copy_within(0..6, 1);
            history[0] = length;
        };
        let count = |h: &[usize; 7]| {
            let n = h[1];
            let core = n > 0 && h[2] == n && h[3] == n * 3 && h[4] == n && h[5] == n;
            u32::from(core && h[0] >= n * 4 && h[6] >= n)
                + u32::from(core && h[6] >= n * 4 && h[0] >= n)
        };
        let mut score = 0;
        let mut colour = false;
        let mut run = 0;
        for &module in line {
            if module == colour {
                run += 1;
                if run == 5 {
                    score += N1;
                } else if run > 5 {
                    score += 1;
                }
            } else {
                push(&mut history, run);
                if !colour {
                    score += count(&history) * N3;
                }
                colour = module;
                run = 1;
            }
        }
        if colour {
            push(&mut history, run);
            run = 0;
        }
        push(&mut history, run + size);
        score + count(&history) * N3
    }

    fn bits(line: &[bool]) -> u128 {
        line.iter()
            .enumerate()
            .fold(0, |acc, (i, &dark)| acc | u128::from(dark) << i)
    }

    fn parse(pattern: &str) -> Vec<bool> {
        pattern.chars().map(|c| c == '#').collect()
    }

    #[test]
    fn a_finder_row_next_to_the_quiet_zone_scores_a_pattern() {
        // Light on both sides (the quiet zone on the left): it counts once per side.
        let line = parse("#.###.#..............");
        assert_eq!(finder_like(bits(&line), line.len()), 2);
        let line = parse("#.###.#.##.#.#.#.#.#.");
        assert_eq!(finder_like(bits(&line), line.len()), 1);
        assert_eq!(line_score(bits(&line), line.len()), walked(&line));
    }

    #[test]
    fn runs_of_five_and_more_score_three_plus_the_excess() {
        let line = parse("#####.......##.######");
        assert_eq!(long_runs(bits(&line), line.len()), 3 + 5 + 4);
    }

    #[test]
    fn line_scores_match_the_module_walk_on_many_lines() {
        // A seeded generator keeps the lines varied and the test reproducible.
        let mut rng = StdRng::seed_from_u64(0x9E37_79B9_7F4A_7C15);
        let mut next = || rng.random::<u64>();
        for case in 0..20_000 {
            let size = 21 + 4 * (case % 27);
            // Sparse, dense and even lines, plus scaled finder shapes.
            let density = [2, 4, 8, 12, 14][case % 5];
            let mut line: Vec<bool> = (0..size).map(|_| next() % 16 < density).collect();
            if case % 3 == 0 {
                let n = 1 + (next() % 3) as usize;
                let start = (next() as usize) % (size - 7 * n + 1);
                for (i, dark) in [true, false, true, true, true, false, true]
                    .iter()
                    .enumerate()
                {
                    line[start + i * n..start + (i + 1) * n].fill(*dark);
                }
            }
            if size <= 64 {
                assert_eq!(line_score(bits(&line) as u64, size), walked(&line));
            }
            assert_eq!(
                line_score(bits(&line), size),
                walked(&line),
                "{}",
                line.iter()
                    .map(|&d| if d { '#' } else { '.' })
                    .collect::<String>()
            );
        }
    }
}
