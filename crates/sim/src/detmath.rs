//! `ln` and `exp` built from exactly rounded IEEE operations only.
//!
//! The platform's libm may differ in the last bit between machines; a heavy-tailed latency draw that
//! used it could change a trace hash from one machine to another. These use only `+ - * /`.

const LN_2: f64 = std::f64::consts::LN_2;
/// ln 2 split so that `k * LN_2_HI` is exact for the `k` that occur (Cody–Waite reduction).
const LN_2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
const LN_2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);
/// 2^-55: a quarter of the gap between floats in [1/2, 1), the least of any sum `exp` reaches.
const NEGLIGIBLE: f64 = f64::from_bits(0x3c80_0000_0000_0000);

/// Natural logarithm of a positive finite `x` (returns `-inf` for 0 and NaN for negatives).
pub fn ln(x: f64) -> f64 {
    if x.is_nan() || x < 0.0 {
        return f64::NAN;
    }
    if x == 0.0 {
        return f64::NEG_INFINITY;
    }
    if x.is_infinite() {
        return x;
    }
    // x = m * 2^e with m in [1, 2); subnormals are scaled up first.
    let (x, bias) = if x < f64::MIN_POSITIVE {
        (x * (1u64 << 54) as f64, -54)
    } else {
        (x, 0)
    };
    let bits = x.to_bits();
    let exponent = ((bits >> 52) & 0x7ff) as i64 - 1023 + bias;
    let mantissa = f64::from_bits((bits & 0x000f_ffff_ffff_ffff) | 0x3ff0_0000_0000_0000);
    // ln(m) = 2 atanh((m-1)/(m+1)), with |s| <= 1/3 the series converges fast.
    // The terms share the sign of s and shrink, so once one no longer changes the sum (rounding
    // is monotonic) none after it can: stopping there gives the same bits as the 30 terms.
    let s = (mantissa - 1.0) / (mantissa + 1.0);
    let s2 = s * s;
    let mut term = s;
    let mut sum = 0.0;
    let mut k = 1.0;
    while k < 60.0 {
        let next = sum + term / k;
        if next == sum {
            break;
        }
        sum = next;
        term *= s2;
        k += 2.0;
    }
    2.0 * sum + exponent as f64 * LN_2
}

/// `e^x`, saturating to `+inf` and `0` far outside the representable range.
pub fn exp(x: f64) -> f64 {
    if x.is_nan() {
        return x;
    }
    if x > 709.0 {
        return f64::INFINITY;
    }
    if x < -745.0 {
        return 0.0;
    }
    // x = k ln2 + r with |r| <= ln2/2; e^x = 2^k e^r.
    // The terms alternate in sign when r < 0 but shrink (|r| < 1/2), and the sum stays in
    // [1/2, 2): once a term is below a quarter of the ulp of 1/2 (so below half the gap from the
    // sum to either neighbour), neither it nor any later one changes the sum, so stopping there
    // gives the same bits as the 29 terms.
    let k = (x / LN_2).round();
    let r = (x - k * LN_2_HI) - k * LN_2_LO;
    let mut term = 1.0;
    let mut sum = 1.0;
    let mut n = 1.0;
    while n < 30.0 {
        term *= r / n;
        if term.abs() < NEGLIGIBLE {
            break;
        }
        sum += term;
        n += 1.0;
    }
    sum * pow2(k as i32)
}

fn pow2(k: i32) -> f64 {
    // Split so that neither factor overflows or underflows on its own.
    let half = k / 2;
    let single = |e: i32| f64::from_bits(((e + 1023).clamp(0, 2046) as u64) << 52);
    single(half) * single(k - half)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agrees_with_libm_to_a_few_ulps() {
        for &x in &[1e-300, 1e-9, 0.001, 0.5, 1.0, 1.5, 2.0, 10.0, 1234.5, 1e300] {
            let ours = ln(x);
            assert!(
                (ours - x.ln()).abs() <= 4.0 * f64::EPSILON * x.ln().abs().max(1.0),
                "ln {x}"
            );
        }
        for &x in &[-700.0, -20.0, -1.0, -0.1, 0.0, 0.3, 1.0, 5.0, 100.0, 700.0] {
            let ours = exp(x);
            assert!(
                (ours - x.exp()).abs() <= 8.0 * f64::EPSILON * x.exp(),
                "exp {x}"
            );
        }
    }

    /// The series summed to the end, as before the early stops: the stops must not change a bit
    /// (every heavy-tailed latency draw, and so every trace hash, depends on it).
    fn full_series(x: f64, ln_series: bool) -> f64 {
        if ln_series {
            let bits = x.to_bits();
            let exponent = ((bits >> 52) & 0x7ff) as i64 - 1023;
            let m = f64::from_bits((bits & 0x000f_ffff_ffff_ffff) | 0x3ff0_0000_0000_0000);
            let s = (m - 1.0) / (m + 1.0);
            let (mut term, mut sum, mut k) = (s, 0.0, 1.0);
            while k < 60.0 {
                sum += term / k;
                term *= s * s;
                k += 2.0;
            }
            return 2.0 * sum + exponent as f64 * LN_2;
        }
        let k = (x / LN_2).round();
        let r = (x - k * LN_2_HI) - k * LN_2_LO;
        let (mut term, mut sum, mut n) = (1.0, 1.0, 1.0);
        while n < 30.0 {
            term *= r / n;
            sum += term;
            n += 1.0;
        }
        sum * pow2(k as i32)
    }

    #[test]
    fn early_stops_give_the_same_bits_as_the_whole_series() {
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        for _ in 0..200_000 {
            let u = 1.0 - next();
            assert_eq!(ln(u).to_bits(), full_series(u, true).to_bits(), "ln {u}");
            let big = u * 1e6;
            assert_eq!(
                ln(big).to_bits(),
                full_series(big, true).to_bits(),
                "ln {big}"
            );
            let x = (next() - 0.5) * 80.0;
            assert_eq!(exp(x).to_bits(), full_series(x, false).to_bits(), "exp {x}");
            let near = (next() - 0.5) * 1e-3;
            assert_eq!(
                exp(near).to_bits(),
                full_series(near, false).to_bits(),
                "exp {near}"
            );
        }
        for x in [1.0, 2.0, 0.5, 1.0 + f64::EPSILON, 2.0 - f64::EPSILON] {
            assert_eq!(ln(x).to_bits(), full_series(x, true).to_bits(), "ln {x}");
        }
        for x in [0.0, -0.0, LN_2 / 2.0, -LN_2 / 2.0, 700.0, -700.0] {
            assert_eq!(exp(x).to_bits(), full_series(x, false).to_bits(), "exp {x}");
        }
    }

    #[test]
    fn edge_cases() {
        assert_eq!(ln(0.0), f64::NEG_INFINITY);
        assert!(ln(-1.0).is_nan());
        assert_eq!(exp(1000.0), f64::INFINITY);
        assert_eq!(exp(-1000.0), 0.0);
    }
}
