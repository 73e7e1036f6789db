//! Statistics over a benchmark's interleaved rounds, in one place for `benches/decode.rs` and
//! `benches/encode.rs`. Included with `#[path]`.

use std::time::Duration;

/// The median over the rounds both cases ran of `slow[i] / fast[i]`, the ratio of their times
/// in the same round, and how many rounds that is; `None` if there are none. A slow phase of a
/// shared machine that covers some rounds and not others moves each case's times, but not the
/// ratio within a round.
pub fn paired_ratio(slow: &[Duration], fast: &[Duration]) -> Option<(f64, usize)> {
    let mut ratios: Vec<f64> = slow
        .iter()
        .zip(fast)
        .map(|(s, f)| s.as_secs_f64() / f.as_secs_f64())
        .collect();
    ratios.sort_by(f64::total_cmp);
    let n = ratios.len();
    let median = match n {
        0 => return None,
        _ if n % 2 == 1 => ratios[n / 2],
        _ => (ratios[n / 2 - 1] + ratios[n / 2]) / 2.0,
    };
    Some((median, n))
}
