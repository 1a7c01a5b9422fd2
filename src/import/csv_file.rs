//! The CSV format: a header `serial,secret,algorithm,digits,period,expires` (names in any
//! case, in this order), then one token a record. Fields are taken exactly as written (no
//! trimming); quoting follows RFC 4180; blank lines are skipped.

use chrono::NaiveDate;
use data_encoding::BASE32_NOPAD;
use zeroize::Zeroizing;

use super::{
    Algorithm, ImportError, Problem, TokenRecord, check_digits, check_expiry, check_period, check_secret_len,
    check_serial, duplicates, iso_date, shown, too_many,
};

const HEADER: [&str; 6] = ["serial", "secret", "algorithm", "digits", "period", "expires"];

pub(super) fn parse(text: &str, today: NaiveDate) -> (Vec<TokenRecord>, Vec<ImportError>) {
    let mut reader = ::csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
    let mut errors = Vec::new();
    let mut records = Vec::new();
    // (location, serial) of every row with a valid serial, for the duplicate check.
    let mut serials: Vec<(String, String)> = Vec::new();
    let mut row = ::csv::StringRecord::new();
    let mut header_seen = false;
    let mut lines = LineCounter::new(text);
    loop {
        match reader.read_record(&mut row) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let line = lines.at(e.position().map_or(0, |p| p.byte()));
                errors.push(ImportError::line(line, Problem::Malformed(shown(&e.to_string()))));
                break;
            }
        }
        // The csv crate's own line count skips blank lines; count physical lines instead.
        let line = lines.at(row.position().map_or(0, |p| p.byte()));
        if !header_seen {
            header_seen = true;
            let ok =
                row.len() == HEADER.len() && row.iter().zip(HEADER).all(|(got, want)| got.eq_ignore_ascii_case(want));
            if !ok {
                let found = row.iter().collect::<Vec<_>>().join(",");
                errors.push(ImportError::line(line, Problem::BadHeader(shown(&found))));
                return (Vec::new(), errors);
            }
            continue;
        }
        let location = format!("line {line}");
        match check_row(&row, today, &location) {
            Ok(record) => {
                serials.push((location, record.serial.clone()));
                records.push(record);
            }
            Err((serial_ok, problems)) => {
                if serial_ok {
                    serials.push((location.clone(), row.get(0).unwrap_or_default().to_string()));
                }
                errors.extend(problems.into_iter().map(|p| ImportError::new(location.clone(), p)));
                if too_many(&mut errors) {
                    return (Vec::new(), errors);
                }
            }
        }
    }
    errors.extend(duplicates(serials.iter().map(|(l, s)| (l.as_str(), s.as_str()))));
    // Keep file order: a duplicate's error belongs with its line.
    errors.sort_by_key(|e| line_number(&e.location));
    too_many(&mut errors);
    (records, errors)
}

/// Physical line numbers of increasing byte offsets, counted once through the text.
struct LineCounter<'a> {
    bytes: &'a [u8],
    offset: usize,
    line: u64,
}

impl<'a> LineCounter<'a> {
    fn new(text: &'a str) -> Self {
        Self { bytes: text.as_bytes(), offset: 0, line: 1 }
    }

    /// The line of the first character at or after `offset` that is not a line end (a
    /// record's start offset may point at the blank lines before it).
    fn at(&mut self, offset: u64) -> u64 {
        let mut target = usize::try_from(offset).unwrap_or(usize::MAX).min(self.bytes.len());
        while self.bytes.get(target).is_some_and(|b| matches!(b, b'\r' | b'\n')) {
            target += 1;
        }
        if target < self.offset {
            return super::line_of(self.bytes, target);
        }
        self.line += self.bytes[self.offset..target].iter().filter(|&&b| b == b'\n').count() as u64;
        self.offset = target;
        self.line
    }
}

fn line_number(location: &str) -> u64 {
    location.strip_prefix("line ").and_then(|n| n.parse().ok()).unwrap_or(0)
}

/// One data row: the record, or (whether its serial is valid, every problem in it).
fn check_row(row: &::csv::StringRecord, today: NaiveDate, location: &str) -> Result<TokenRecord, (bool, Vec<Problem>)> {
    if row.len() != HEADER.len() {
        return Err((false, vec![Problem::FieldCount(row.len())]));
    }
    let field = |i: usize| row.get(i).unwrap_or_default();
    let mut problems = Vec::new();
    let mut required = |i: usize, name: &'static str| {
        let v = field(i);
        if v.is_empty() {
            problems.push(Problem::MissingField(name));
            None
        } else {
            Some(v)
        }
    };
    let serial = required(0, "serial");
    let secret = required(1, "secret");
    let algorithm = required(2, "algorithm");
    let digits = required(3, "digits");
    let period = required(4, "period");
    let expires = required(5, "expires");

    let serial = serial.and_then(|s| check_serial(s).map_err(|p| problems.push(p)).ok().map(|()| s));
    let serial_ok = serial.is_some();
    let secret = secret.and_then(|s| {
        decode_secret(s).and_then(|k| check_secret_len(&k).map(|()| k)).map_err(|p| problems.push(p)).ok()
    });
    let algorithm = algorithm.and_then(|a| {
        a.parse::<Algorithm>().ok().ok_or_else(|| Problem::BadAlgorithm(shown(a))).map_err(|p| problems.push(p)).ok()
    });
    let digits = digits.and_then(|d| check_digits(d).map_err(|p| problems.push(p)).ok());
    let period = period.and_then(|p| check_period(p).map_err(|p| problems.push(p)).ok());
    let expires = expires.and_then(|e| {
        iso_date(e)
            .ok_or_else(|| Problem::BadDate(shown(e)))
            .and_then(|d| check_expiry(d, today))
            .map_err(|p| problems.push(p))
            .ok()
    });
    match (serial, secret, algorithm, digits, period, expires) {
        (Some(serial), Some(secret), Some(algorithm), Some(digits), Some(period), Some(expires))
            if problems.is_empty() =>
        {
            Ok(TokenRecord {
                serial: serial.to_string(),
                secret,
                algorithm,
                digits,
                period,
                expires,
                expiry_defaulted: false,
                location: location.to_string(),
            })
        }
        _ => Err((serial_ok, problems)),
    }
}

/// `hex:` followed by hex digits (either case), or RFC 4648 base32 (either case, `=`
/// padding optional but, when present, complete). No spaces.
fn decode_secret(s: &str) -> Result<Zeroizing<Vec<u8>>, Problem> {
    if s.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("hex:")) {
        let body = s.get(4..).unwrap_or_default();
        if body.is_empty() {
            return Err(Problem::BadSecret);
        }
        return hex::decode(body).map(Zeroizing::new).map_err(|_| Problem::BadSecret);
    }
    let body = s.trim_end_matches('=');
    let padding = s.len() - body.len();
    if padding > 0 && (!s.len().is_multiple_of(8) || body.len().is_multiple_of(8)) {
        return Err(Problem::BadSecret);
    }
    let upper = Zeroizing::new(body.to_ascii_uppercase());
    BASE32_NOPAD.decode(upper.as_bytes()).map(Zeroizing::new).map_err(|_| Problem::BadSecret)
}

#[cfg(test)]
mod tests {
    use super::super::tests::{problems, today};
    use super::super::{Format, parse as parse_file};
    use super::*;
    use crate::domain::token::{TokenParams, code_at};

    const HEAD: &str = "serial,secret,algorithm,digits,period,expires\n";
    /// "12345678901234567890" in base32.
    const B32: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

    fn run(body: &str) -> Result<Vec<TokenRecord>, Vec<ImportError>> {
        parse_file(format!("{HEAD}{body}").as_bytes(), Format::Csv, None, today(), today())
    }

    fn one_problem(row: &str) -> Problem {
        let p = problems(run(row));
        assert_eq!(p.len(), 1, "{row}: {p:?}");
        assert_eq!(p[0].0, "line 2", "{row}");
        p[0].1.clone()
    }

    #[test]
    fn good_rows() {
        let body = format!(
            "HT0001,{B32},SHA1,6,30,2026-01-01\n\
             ht-0002,{},sha256,8,60,2030-12-31\n\
             HT_0003,hex:3132333435363738393031323334353637383930,Sha512,7,300,2025-06-02\n\
             HT0004,{},SHA1,6,1,2026-01-01\n",
            B32.to_lowercase(),
            data_encoding::BASE32.encode(b"12345678901234567")
        );
        assert!(body.contains("===="));
        let r = run(&body).expect("valid");
        assert_eq!(r.len(), 4);
        assert_eq!(r[0].serial, "HT0001");
        assert_eq!((r[0].location.as_str(), r[3].location.as_str()), ("line 2", "line 5"));
        assert_eq!(r[0].secret.as_slice(), b"12345678901234567890");
        assert_eq!((r[0].algorithm, r[0].digits, r[0].period), (Algorithm::Sha1, 6, 30));
        assert_eq!(r[1].secret.as_slice(), b"12345678901234567890");
        assert_eq!((r[1].algorithm, r[1].digits, r[1].period), (Algorithm::Sha256, 8, 60));
        assert_eq!(r[2].secret.as_slice(), b"12345678901234567890");
        assert_eq!(r[2].algorithm, Algorithm::Sha512);
        assert_eq!(r[2].expires, NaiveDate::from_ymd_opt(2025, 6, 2).expect("date"));
        assert_eq!(r[3].secret.as_slice(), b"12345678901234567");
    }

    #[test]
    fn bom_crlf_quotes_and_header_case() {
        let text = format!(
            "\u{feff}Serial,SECRET,Algorithm,Digits,Period,Expires\r\n\"HT0001\",\"{B32}\",SHA1,6,30,2026-01-01\r\n\r\n"
        );
        let r = parse_file(text.as_bytes(), Format::Csv, None, today(), today()).expect("valid");
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].serial, "HT0001");
    }

    /// RFC 6238 Appendix B through the import: seeds as `hex:`, 8 digits, 30 s.
    #[test]
    fn rfc6238_vectors_through_import() {
        let sha1 = b"12345678901234567890".as_slice();
        let sha256 = b"12345678901234567890123456789012".as_slice();
        let sha512 = b"1234567890123456789012345678901234567890123456789012345678901234".as_slice();
        let body = format!(
            "R1,hex:{},SHA1,8,30,2030-01-01\nR256,hex:{},SHA256,8,30,2030-01-01\nR512,HEX:{},SHA512,8,30,2030-01-01\n\
             S1,hex:{},SHA1,8,60,2030-01-01\nS256,hex:{},SHA256,8,60,2030-01-01\nS512,hex:{},SHA512,8,60,2030-01-01\n",
            hex::encode(sha1),
            hex::encode(sha256),
            hex::encode_upper(sha512),
            hex::encode(sha1),
            hex::encode(sha256),
            hex::encode(sha512),
        );
        let r = run(&body).expect("valid");
        assert_eq!(r.len(), 6);
        let table = [
            (59u64, ["94287082", "46119246", "90693936"]),
            (1111111109, ["07081804", "68084774", "25091201"]),
            (1111111111, ["14050471", "67062674", "99943326"]),
            (1234567890, ["89005924", "91819424", "93441116"]),
            (2000000000, ["69279037", "90698825", "38618901"]),
            (20000000000, ["65353130", "77737706", "47863826"]),
        ];
        for (t, codes) in table {
            for (rec, code) in r[..3].iter().zip(codes) {
                assert_eq!(code_at(&params(rec), t), code, "{} at {t}", rec.serial);
            }
            // A 60 s token at time 2t shows the code a 30 s token shows at t: the same step
            // (counter t/30), the same seed.
            for (rec, code) in r[3..].iter().zip(codes) {
                assert_eq!(code_at(&params(rec), 2 * t), code, "{} at {}", rec.serial, 2 * t);
                assert_eq!(code_at(&params(rec), 2 * t + 1), code, "{} at {}", rec.serial, 2 * t + 1);
            }
        }
        // Independent check of the 60 s period with totp-rs directly.
        let totp = totp_rs::TOTP::new_unchecked(totp_rs::Algorithm::SHA1, 8, 0, 60, sha1.to_vec(), None, String::new());
        assert_eq!(code_at(&params(&r[3]), 1234567890), totp.generate(1234567890));
    }

    fn params(rec: &TokenRecord) -> TokenParams<'_> {
        TokenParams { seed: &rec.secret, algorithm: rec.algorithm, digits: rec.digits, period: rec.period }
    }

    #[test]
    fn bad_fields() {
        let p = |row: &str| one_problem(row);
        assert_eq!(p(&format!("HT\u{7}1,{B32},SHA1,6,30,2026-01-01")), Problem::BadSerial("HT\\u{7}1".into()));
        assert_eq!(p(&format!("HT 1,{B32},SHA1,6,30,2026-01-01")), Problem::BadSerial("HT 1".into()));
        assert_eq!(p(&format!("{},{B32},SHA1,6,30,2026-01-01", "A".repeat(33))).key(), "err.import_bad_serial");
        assert_eq!(p(&format!("窓口1,{B32},SHA1,6,30,2026-01-01")).key(), "err.import_bad_serial");
        assert_eq!(p("HT1,GEZDGNBV!Y3DQOJQGEZDGNBVGY3DQOJQ,SHA1,6,30,2026-01-01"), Problem::BadSecret);
        assert_eq!(p("HT1,GEZDGNBV GY3DQOJQGEZDGNBVGY3DQOJQ,SHA1,6,30,2026-01-01"), Problem::BadSecret);
        assert_eq!(p("HT1,GEZDGNBVGY3DQOJQGEZDGNBVGY3DQOJQ=,SHA1,6,30,2026-01-01"), Problem::BadSecret);
        assert_eq!(p("HT1,GEZDGNBVGY3DQOJQGEZDGNBVGY3DQOJ1,SHA1,6,30,2026-01-01"), Problem::BadSecret);
        assert_eq!(p("HT1,hex:313233343536373839303132333435363,SHA1,6,30,2026-01-01"), Problem::BadSecret);
        assert_eq!(p("HT1,hex:,SHA1,6,30,2026-01-01"), Problem::BadSecret);
        assert_eq!(p("HT1,hex:zz3233343536373839303132333435363738,SHA1,6,30,2026-01-01"), Problem::BadSecret);
        assert_eq!(p("HT1,hex:313233343536373839303132333435,SHA1,6,30,2026-01-01"), Problem::SecretTooShort(15));
        let b32_15 = data_encoding::BASE32.encode(b"123456789012345");
        assert_eq!(p(&format!("HT1,{b32_15},SHA1,6,30,2026-01-01")), Problem::SecretTooShort(15));
        assert_eq!(p(&format!("HT1,hex:{},SHA1,6,30,2026-01-01", "00".repeat(129))), Problem::SecretTooLong(129));
        assert_eq!(p(&format!("HT1,{B32},MD5,6,30,2026-01-01")), Problem::BadAlgorithm("MD5".into()));
        assert_eq!(p(&format!("HT1,{B32},SHA-256,6,30,2026-01-01")), Problem::BadAlgorithm("SHA-256".into()));
        assert_eq!(p(&format!("HT1,{B32},SHA1,5,30,2026-01-01")), Problem::BadDigits("5".into()));
        assert_eq!(p(&format!("HT1,{B32},SHA1,9,30,2026-01-01")), Problem::BadDigits("9".into()));
        assert_eq!(p(&format!("HT1,{B32},SHA1, 6,30,2026-01-01")), Problem::BadDigits(" 6".into()));
        assert_eq!(p(&format!("HT1,{B32},SHA1,6,0,2026-01-01")), Problem::BadPeriod("0".into()));
        assert_eq!(p(&format!("HT1,{B32},SHA1,6,301,2026-01-01")), Problem::BadPeriod("301".into()));
        assert_eq!(p(&format!("HT1,{B32},SHA1,6,-30,2026-01-01")), Problem::BadPeriod("-30".into()));
        assert_eq!(p(&format!("HT1,{B32},SHA1,6,30,2026-02-30")), Problem::BadDate("2026-02-30".into()));
        assert_eq!(p(&format!("HT1,{B32},SHA1,6,30,2026/01/01")), Problem::BadDate("2026/01/01".into()));
        assert_eq!(p(&format!("HT1,{B32},SHA1,6,30,2025-05-31")), Problem::Expired(today().pred_opt().expect("d")));
        assert_eq!(p(&format!("HT1,{B32},SHA1,6,30,2025-06-01")), Problem::Expired(today()));
        assert_eq!(p(&format!(",{B32},SHA1,6,30,2026-01-01")), Problem::MissingField("serial"));
        assert_eq!(p("HT1,,SHA1,6,30,2026-01-01"), Problem::MissingField("secret"));
        assert_eq!(p(&format!("HT1,{B32},SHA1,6,30,")), Problem::MissingField("expires"));
    }

    #[test]
    fn all_problems_of_all_rows_are_listed() {
        let body = format!(
            "HT1,{B32},SHA1,6,30,2026-01-01\n\
             HT\u{1b}2,not base32!,SHA3,5,0,yesterday\n\
             HT3,{B32},SHA1,6,30,2026-01-01\n\
             HT4,{B32},SHA1,6,30\n\
             HT5,{B32},SHA1,6,30,2026-01-01,extra\n\
             \n\
             ht1,{B32},SHA1,6,30,2026-01-01\n\
             HT3,{B32},SHA1,5,30,2026-01-01\n"
        );
        let p = problems(run(&body));
        let keys: Vec<(&str, &str)> = p.iter().map(|(l, p)| (l.as_str(), p.key())).collect();
        assert_eq!(
            keys,
            vec![
                ("line 3", "err.import_bad_serial"),
                ("line 3", "err.import_bad_secret"),
                ("line 3", "err.import_bad_algorithm"),
                ("line 3", "err.import_bad_digits"),
                ("line 3", "err.import_bad_period"),
                ("line 3", "err.import_bad_date"),
                ("line 5", "err.import_field_count"),
                ("line 6", "err.import_field_count"),
                ("line 8", "err.import_duplicate_in_file"),
                ("line 9", "err.import_bad_digits"),
                ("line 9", "err.import_duplicate_in_file"),
            ]
        );
        assert_eq!(p[6].1, Problem::FieldCount(5));
        assert_eq!(p[7].1, Problem::FieldCount(7));
        assert_eq!(p[8].1, Problem::DuplicateInFile("line 2".into()));
        assert_eq!(p[10].1, Problem::DuplicateInFile("line 4".into()));
    }

    #[test]
    fn quoted_newline_keeps_physical_lines() {
        let body = format!("\"HT\n1\",{B32},SHA1,6,30,2026-01-01\nHT2,{B32},SHA1,5,30,2026-01-01\n");
        let p = problems(run(&body));
        assert_eq!(p[0].0, "line 2");
        assert_eq!(p[0].1, Problem::BadSerial("HT\\u{a}1".into()));
        assert_eq!(p[1], ("line 4".into(), Problem::BadDigits("5".into())));
    }

    #[test]
    fn header_and_empty_files() {
        let none = |text: &str| problems(parse_file(text.as_bytes(), Format::Csv, None, today(), today()));
        assert_eq!(none(""), vec![("file".into(), Problem::NoRecords)]);
        assert_eq!(none("\u{feff}"), vec![("file".into(), Problem::NoRecords)]);
        assert_eq!(none(HEAD), vec![("file".into(), Problem::NoRecords)]);
        assert_eq!(
            none("serial,secret,algorithm,digits,period\n"),
            vec![("line 1".into(), Problem::BadHeader("serial,secret,algorithm,digits,period".into()))]
        );
        assert_eq!(none("serial;secret;algorithm;digits;period;expires\nx")[0].1.key(), "err.import_bad_header");
        assert_eq!(
            none(&format!("secret,serial,algorithm,digits,period,expires\nHT1,{B32},SHA1,6,30,2026-01-01"))[0].1.key(),
            "err.import_bad_header"
        );
        assert_eq!(none("serial,secret,algorithm,digits,period,expires,note\n")[0].1.key(), "err.import_bad_header");
        // Blank lines before the header are skipped: the header is then on line 3.
        assert_eq!(none("\n\nfoo\n")[0].0, "line 3");
    }

    #[test]
    fn secret_decoding() {
        let d = |s: &str| decode_secret(s).map(|v| v.to_vec());
        assert_eq!(d("MZXW6==="), Ok(b"foo".to_vec()));
        assert_eq!(d("MZXW6"), Ok(b"foo".to_vec()));
        assert_eq!(d("mzxw6"), Ok(b"foo".to_vec()));
        assert_eq!(d("MZXW6="), Err(Problem::BadSecret));
        assert_eq!(d("MZXW6====="), Err(Problem::BadSecret));
        assert_eq!(d("MZXW6YQ="), Ok(b"foob".to_vec()));
        assert_eq!(d("MZXW6YTB========"), Err(Problem::BadSecret));
        assert_eq!(d("M"), Err(Problem::BadSecret));
        assert_eq!(d("HEX:00ff"), Ok(vec![0, 255]));
        assert_eq!(d("hex:00FF"), Ok(vec![0, 255]));
        assert_eq!(d("hex:0"), Err(Problem::BadSecret));
        assert_eq!(d("hé"), Err(Problem::BadSecret));
        assert_eq!(d("hex窓"), Err(Problem::BadSecret));
    }

    /// 10,000 rows (the import size of docs/spec.md). Timed by hand in release with `--nocapture`.
    #[test]
    fn ten_thousand_rows() {
        let mut text = String::from(HEAD);
        for i in 0..10_000 {
            text.push_str(&format!("HT{i:06},{B32},SHA1,6,30,2026-01-01\r\n"));
        }
        let started = std::time::Instant::now();
        let r = parse_file(text.as_bytes(), Format::Csv, None, today(), today()).expect("valid");
        println!("10k CSV ({} bytes): {:?}", text.len(), started.elapsed());
        assert_eq!(r.len(), 10_000);
        text.push_str(&format!("ht000123,{B32},SHA1,6,30,2026-01-01\r\n"));
        let p = problems(parse_file(text.as_bytes(), Format::Csv, None, today(), today()));
        assert_eq!(p, vec![("line 10002".into(), Problem::DuplicateInFile("line 125".into()))]);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]

        #[test]
        fn mutated_csv_never_panics(
            edits in proptest::collection::vec((0usize..400, proptest::prelude::any::<u8>(), proptest::prelude::any::<u8>()), 1..10)
        ) {
            let mut bytes = format!("\u{feff}{HEAD}HT1,{B32},SHA1,6,30,2026-01-01\r\n\"HT2\",hex:{},sha256,8,60,2030-12-31\n", "31".repeat(20)).into_bytes();
            for (at, op, b) in edits {
                let i = at % bytes.len().max(1);
                match op % 3 {
                    0 if !bytes.is_empty() => bytes[i] = b,
                    1 => bytes.insert(i.min(bytes.len()), b),
                    _ if !bytes.is_empty() => { bytes.remove(i); }
                    _ => bytes.push(b),
                }
            }
            let _ = parse_file(&bytes, Format::Csv, None, today(), today());
        }
    }

    /// A file of empty rows does not cost an error list the size of the file.
    #[test]
    fn errors_are_capped() {
        let text = format!("{HEAD}{}", ",,,,,\n".repeat(100_000));
        let p = problems(parse_file(text.as_bytes(), Format::Csv, None, today(), today()));
        assert_eq!(p.len(), super::super::MAX_ERRORS + 1);
        assert_eq!(p[0], ("line 2".into(), Problem::MissingField("serial")));
        assert_eq!(p.last(), Some(&("file".into(), Problem::TooManyErrors)));
        let dups = format!("{HEAD}{}", format!("HT1,{B32},SHA1,6,30,2026-01-01\n").repeat(2000));
        let p = problems(parse_file(dups.as_bytes(), Format::Csv, None, today(), today()));
        assert_eq!(p.len(), super::super::MAX_ERRORS + 1);
        assert_eq!(p[0], ("line 3".into(), Problem::DuplicateInFile("line 2".into())));
    }
}
