//! R11/R12: verifying a code read off a hard token.

use totp_rs::{Algorithm, TOTP};

/// A token's TOTP parameters, with its seed decrypted for the moment of checking.
pub struct TokenParams<'a> {
    pub seed: &'a [u8],
    pub algorithm: &'a str,
    pub digits: u32,
    pub period: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeCheck {
    /// Accepted at this time step; record it so it is never accepted again.
    Accepted {
        step: i64,
    },
    Wrong,
    /// Right code, but its step was already used (a replay).
    Replayed,
}

pub fn algorithm(name: &str) -> Option<Algorithm> {
    match name {
        "SHA1" => Some(Algorithm::SHA1),
        "SHA256" => Some(Algorithm::SHA256),
        "SHA512" => Some(Algorithm::SHA512),
        _ => None,
    }
}

/// The code the token shows at `unix_time`.
pub fn code_at(p: &TokenParams<'_>, unix_time: u64) -> Option<String> {
    let totp = TOTP::new_unchecked(
        algorithm(p.algorithm)?,
        p.digits as usize,
        0,
        u64::from(p.period),
        p.seed.to_vec(),
        None,
        String::new(),
    );
    Some(totp.generate(unix_time))
}

/// Checks `code` at `unix_time`, accepting `window` steps either side, and refusing a
/// step at or before `last_step` (no code accepted twice).
pub fn check(p: &TokenParams<'_>, code: &str, unix_time: u64, window: u32, last_step: Option<i64>) -> CodeCheck {
    if code.len() != p.digits as usize || !code.bytes().all(|b| b.is_ascii_digit()) || p.period == 0 {
        return CodeCheck::Wrong;
    }
    let now_step = (unix_time / u64::from(p.period)) as i64;
    let mut replayed = false;
    for delta in -i64::from(window)..=i64::from(window) {
        let step = now_step + delta;
        if step < 0 {
            continue;
        }
        let Some(expected) = code_at(p, step as u64 * u64::from(p.period)) else { return CodeCheck::Wrong };
        if constant_time_eq(expected.as_bytes(), code.as_bytes()) {
            if last_step.is_some_and(|last| step <= last) {
                replayed = true;
                continue;
            }
            return CodeCheck::Accepted { step };
        }
    }
    if replayed { CodeCheck::Replayed } else { CodeCheck::Wrong }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 Appendix B.
    #[test]
    fn rfc6238_vectors() {
        let sha1 = b"12345678901234567890".as_slice();
        let sha256 = b"12345678901234567890123456789012".as_slice();
        let sha512 = b"1234567890123456789012345678901234567890123456789012345678901234".as_slice();
        let table = [
            (59u64, "94287082", "46119246", "90693936"),
            (1111111109, "07081804", "68084774", "25091201"),
            (1111111111, "14050471", "67062674", "99943326"),
            (1234567890, "89005924", "91819424", "93441116"),
            (2000000000, "69279037", "90698825", "38618901"),
            (20000000000, "65353130", "77737706", "47863826"),
        ];
        for (t, c1, c256, c512) in table {
            for (seed, alg, code) in [(sha1, "SHA1", c1), (sha256, "SHA256", c256), (sha512, "SHA512", c512)] {
                let p = TokenParams { seed, algorithm: alg, digits: 8, period: 30 };
                assert_eq!(code_at(&p, t).as_deref(), Some(code), "{alg} at {t}");
                assert_eq!(check(&p, code, t, 0, None), CodeCheck::Accepted { step: (t / 30) as i64 });
            }
        }
    }

    #[test]
    fn window_and_replay() {
        let p = TokenParams { seed: b"12345678901234567890", algorithm: "SHA1", digits: 6, period: 60 };
        let t = 1_800_000_000u64;
        let code = code_at(&p, t).expect("code");
        let step = (t / 60) as i64;
        assert_eq!(check(&p, &code, t + 60, 1, None), CodeCheck::Accepted { step });
        assert_eq!(check(&p, &code, t + 120, 1, None), CodeCheck::Wrong);
        assert_eq!(check(&p, &code, t, 1, Some(step)), CodeCheck::Replayed);
        assert_eq!(check(&p, &code, t, 1, Some(step - 1)), CodeCheck::Accepted { step });
        assert_eq!(check(&p, "12345", t, 1, None), CodeCheck::Wrong);
        assert_eq!(check(&p, "abcdef", t, 1, None), CodeCheck::Wrong);
    }
}
