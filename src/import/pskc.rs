//! The PSKC format (RFC 6030): a `KeyContainer` of `KeyPackage`s, each with one TOTP `Key`.
//!
//! Read in one streaming pass with quick-xml. Elements are matched by local name (namespace
//! prefixes are ignored, as vendors are loose with them). Only the container's
//! `EncryptionKey`, `MACMethod` and `KeyPackage` children are kept, each as a small tree (at
//! most [`MAX_SUBTREE_ELEMENTS`] elements, [`MAX_DEPTH`] deep), and each `KeyPackage` is
//! boiled down to a [`RawKey`] at once; so memory stays proportional to the tokens, not to
//! whatever else a file holds. Decryption and validation follow once the whole file is read.
//!
//! What is taken from each `KeyPackage`:
//! - `DeviceInfo/SerialNo` → serial (required); `Key/@Id` only names the key in errors;
//! - `Key/@Algorithm` must be the TOTP URI (`urn:ietf:params:xml:ns:keyprov:pskc:totp`, or the
//!   draft spelling with `#totp`);
//! - `Key/AlgorithmParameters/ResponseFormat/@Length` → digits (required), `@Encoding` if
//!   present must be `DECIMAL`; `AlgorithmParameters/Suite` → hash (`SHA1`, `HMAC-SHA256`,
//!   `SHA-512`…; SHA1 when absent);
//! - `Key/Data/Secret` → `PlainValue` (base64) or `EncryptedValue` + `ValueMAC`;
//! - `Key/Data/TimeInterval` → period (30 when absent), plain or encrypted (big-endian);
//! - `Key/Policy/ExpiryDate` and `DeviceInfo/ExpiryDate` (xs:dateTime or xs:date; the date as
//!   written is taken, its time and zone ignored) → expiry, the earlier if both; required;
//! - any other encrypted `Data` value (`Counter`, `Time`…) has its MAC checked, then is ignored.
//!
//! Encryption: AES-128/192/256-CBC (`xmlenc#aesNNN-cbc`), CipherValue = IV ‖ ciphertext,
//! PKCS#7 padding. The key is pre-shared (`EncryptionKey/KeyName`, or no `EncryptionKey` at
//! all; key file = hex) or derived (`EncryptionKey/DerivedKey` with PBKDF2, RFC 6030 §6.2; key
//! file = passphrase). Every encrypted value needs a `ValueMAC`: HMAC (SHA-1/224/256/384/512
//! per `MACMethod/@Algorithm`) over IV ‖ ciphertext, keyed with `MACMethod/MACKey`, itself
//! encrypted with the same key. MACs are checked before decrypting.

use std::borrow::Cow;

use aes::{Aes128, Aes192, Aes256};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use cbc::cipher::block_padding::Pkcs7;
use cbc::cipher::{BlockDecryptMut, KeyIvInit};
use chrono::NaiveDate;
use hmac::{Hmac, Mac};
use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};
use zeroize::{Zeroize, Zeroizing};

use super::{
    Algorithm, ImportError, MAX_ERRORS, Problem, TokenRecord, check_digits, check_expiry, check_period,
    check_secret_len, check_serial, duplicates, iso_date, line_of, shown, too_many,
};

const TOTP_URIS: [&str; 2] = ["urn:ietf:params:xml:ns:keyprov:pskc:totp", "urn:ietf:params:xml:ns:keyprov:pskc#totp"];
/// Deepest element nesting accepted (a real PSKC is about 8 deep).
const MAX_DEPTH: usize = 32;
/// Most elements in one `KeyPackage` (or `EncryptionKey`, `MACMethod`).
const MAX_SUBTREE_ELEMENTS: usize = 4096;
/// Most attributes on one element (a real PSKC element has at most three or four).
const MAX_ATTRIBUTES: usize = 32;
/// Most KeyPackages in one file. A real one is over 300 bytes, so a 64 MiB file holds
/// about 200,000 at most; empty ones past this would only cost memory.
const MAX_KEY_PACKAGES: usize = 250_000;
/// PBKDF2 iteration counts above this are refused (it bounds the time a hostile file costs).
const MAX_PBKDF2_ITERATIONS: u32 = 1_000_000;
const DEFAULT_PERIOD: &str = "30";

pub(super) fn parse(
    text: &str,
    key_file: Option<&[u8]>,
    today: NaiveDate,
    default_expiry: NaiveDate,
) -> (Vec<TokenRecord>, Vec<ImportError>) {
    let container = match read_container(text) {
        Ok(c) => c,
        Err(e) => return (Vec::new(), vec![e]),
    };
    let mut errors = Vec::new();
    let totp = |k: &RawKey| k.algorithm.as_deref().is_some_and(is_totp);
    let encrypted = container.keys.iter().filter(|k| totp(k)).any(RawKey::has_encrypted);
    let crypto = if encrypted {
        match build_crypto(&container, key_file) {
            Ok(c) => Some(c),
            Err(p) => {
                errors.push(ImportError::file(p));
                None
            }
        }
    } else {
        None
    };

    let mut per_key: Vec<Vec<ImportError>> = Vec::with_capacity(container.keys.len());
    let mut records = Vec::new();
    let mut serials: Vec<(String, usize, String)> = Vec::new();
    let mut failed = errors.len();
    for key in &container.keys {
        let location = key.location();
        let (serial_ok, result) = check_key(key, crypto.as_ref(), encrypted, today, default_expiry);
        if let (true, Some(serial)) = (serial_ok, &key.serial) {
            serials.push((format!("key #{}", key.index), per_key.len(), serial.clone()));
        }
        match result {
            Ok(record) => {
                records.push(record);
                per_key.push(Vec::new());
            }
            Err(problems) => {
                failed += problems.len();
                per_key.push(problems.into_iter().map(|p| ImportError::new(location.clone(), p)).collect())
            }
        }
        if failed > MAX_ERRORS {
            break;
        }
    }
    // Duplicates: the error is placed at the later key, its detail names the first as `key #N`.
    let slots: std::collections::HashMap<&str, usize> =
        serials.iter().map(|(l, slot, _)| (l.as_str(), *slot)).collect();
    for dup in duplicates(serials.iter().map(|(l, _, s)| (l.as_str(), s.as_str()))) {
        if let Some(slot) = slots.get(dup.location.as_str()) {
            let location = container.keys.get(*slot).map_or_else(|| dup.location.clone(), RawKey::location);
            if let Some(list) = per_key.get_mut(*slot) {
                list.push(ImportError::new(location, dup.problem));
            }
        }
    }
    errors.extend(per_key.into_iter().flatten());
    too_many(&mut errors);
    (records, errors)
}

fn is_totp(uri: &str) -> bool {
    TOTP_URIS.contains(&uri)
}

// ---------------------------------------------------------------------------------------
// Reading the XML

/// A small element tree: local names, attributes by local name, text (and CDATA) joined.
struct Element {
    name: String,
    attrs: Vec<(String, String)>,
    /// Zeroized on drop: a PlainValue may be a secret.
    text: Zeroizing<String>,
    children: Vec<Element>,
}

impl Element {
    fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    fn path(&self, names: &[&str]) -> Option<&Element> {
        names.iter().try_fold(self, |el, name| el.child(name))
    }

    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim())
    }

    /// The text with XML whitespace trimmed.
    fn value(&self) -> &str {
        self.text.trim_matches(|c: char| matches!(c, ' ' | '\t' | '\r' | '\n'))
    }
}

struct Container {
    encryption_key: Option<Element>,
    mac_method: Option<Element>,
    keys: Vec<RawKey>,
}

fn malformed(text: &str, offset: u64, what: impl std::fmt::Display) -> ImportError {
    let offset = usize::try_from(offset).unwrap_or(usize::MAX);
    ImportError::line(line_of(text.as_bytes(), offset), Problem::Malformed(shown(&what.to_string())))
}

/// `<!DOCTYPE` or `<!ENTITY` anywhere in the raw text (any case, even inside a comment).
fn refers_to_dtd(text: &str) -> bool {
    let bytes = text.as_bytes();
    text.match_indices("<!").any(|(at, _)| {
        let rest = bytes.get(at + 2..).unwrap_or_default();
        [b"DOCTYPE".as_slice(), b"ENTITY".as_slice()]
            .iter()
            .any(|word| rest.get(..word.len()).is_some_and(|w| w.eq_ignore_ascii_case(word)))
    })
}

fn read_container(text: &str) -> Result<Container, ImportError> {
    if refers_to_dtd(text) {
        return Err(ImportError::file(Problem::DtdRefused));
    }
    let mut reader = Reader::from_str(text);
    let config = reader.config_mut();
    config.expand_empty_elements = true;
    config.check_end_names = true;
    config.trim_text(false);

    let mut container = Container { encryption_key: None, mac_method: None, keys: Vec::new() };
    let mut depth = 0usize;
    let mut root_seen = false;
    // The top-level subtree being built (stack[0] is at depth 2), empty while skipping one.
    let mut stack: Vec<Element> = Vec::new();
    let mut count = 0usize;
    loop {
        let at = reader.buffer_position();
        let event = match reader.read_event() {
            Ok(e) => e,
            Err(e) => return Err(malformed(text, reader.error_position(), e)),
        };
        match event {
            Event::Start(e) => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(malformed(text, at, "elements nested too deeply"));
                }
                let name = local_name(&e);
                if depth == 1 {
                    if root_seen {
                        return Err(malformed(text, at, "more than one root element"));
                    }
                    if name != "KeyContainer" {
                        return Err(malformed(text, at, format!("root element is {name}, not KeyContainer")));
                    }
                    root_seen = true;
                    continue;
                }
                let build = if depth == 2 {
                    matches!(name.as_str(), "EncryptionKey" | "MACMethod" | "KeyPackage")
                } else {
                    !stack.is_empty()
                };
                if !build {
                    continue;
                }
                if depth == 2 {
                    count = 0;
                }
                count += 1;
                if count > MAX_SUBTREE_ELEMENTS {
                    return Err(malformed(text, at, "too many elements in one KeyPackage"));
                }
                let attrs = attributes(&e).map_err(|m| malformed(text, at, m))?;
                stack.push(Element { name, attrs, text: Zeroizing::new(String::new()), children: Vec::new() });
            }
            Event::End(_) => {
                if depth == 0 {
                    return Err(malformed(text, at, "unexpected end tag"));
                }
                if stack.len() == depth - 1
                    && let Some(done) = stack.pop()
                {
                    match stack.last_mut() {
                        Some(parent) => parent.children.push(done),
                        None => container.add(done).map_err(|m| malformed(text, at, m))?,
                    }
                }
                depth -= 1;
            }
            Event::Text(t) => {
                if let Some(top) = stack.last_mut() {
                    let s = t.unescape().map_err(|e| malformed(text, at, e))?;
                    top.text.push_str(&s);
                    if let Cow::Owned(mut s) = s {
                        s.zeroize();
                    }
                } else if depth == 0 && !t.iter().all(u8::is_ascii_whitespace) {
                    let blank = t.iter().take_while(|b| b.is_ascii_whitespace()).count() as u64;
                    return Err(malformed(text, at + blank, "text outside the root element"));
                }
            }
            Event::CData(c) => {
                if let Some(top) = stack.last_mut() {
                    let bytes = c.into_inner();
                    let s = std::str::from_utf8(&bytes).map_err(|e| malformed(text, at, e))?;
                    top.text.push_str(s);
                } else if depth == 0 {
                    return Err(malformed(text, at, "text outside the root element"));
                }
            }
            Event::DocType(_) => return Err(ImportError::file(Problem::DtdRefused)),
            Event::Empty(_) | Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
            Event::Eof => break,
        }
    }
    if depth != 0 {
        return Err(malformed(text, reader.buffer_position(), "the file ends inside an element"));
    }
    if !root_seen {
        return Err(malformed(text, reader.buffer_position(), "no KeyContainer element"));
    }
    Ok(container)
}

fn local_name(e: &BytesStart<'_>) -> String {
    String::from_utf8_lossy(e.local_name().as_ref()).into_owned()
}

/// The attributes of an element, at most [`MAX_ATTRIBUTES`]. quick-xml's check for
/// duplicate attributes compares each with every other (quadratic in a hostile file's
/// hundred thousand attributes); it is off, and the cap keeps the work linear.
fn attributes(e: &BytesStart<'_>) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    for a in e.attributes().with_checks(false) {
        if out.len() == MAX_ATTRIBUTES {
            return Err("too many attributes on one element".into());
        }
        let a = a.map_err(|e| e.to_string())?;
        if a.key.as_ref().starts_with(b"xmlns") {
            continue;
        }
        let value = a.unescape_value().map_err(|e| e.to_string())?;
        out.push((String::from_utf8_lossy(a.key.local_name().as_ref()).into_owned(), value.into_owned()));
    }
    Ok(out)
}

impl Container {
    fn add(&mut self, el: Element) -> Result<(), String> {
        match el.name.as_str() {
            "EncryptionKey" if self.encryption_key.is_none() => self.encryption_key = Some(el),
            "MACMethod" if self.mac_method.is_none() => self.mac_method = Some(el),
            "KeyPackage" => {
                if self.keys.len() == MAX_KEY_PACKAGES {
                    return Err(format!("more than {MAX_KEY_PACKAGES} KeyPackages"));
                }
                let index = self.keys.len() + 1;
                self.keys.push(RawKey::from_package(&el, index));
            }
            other => return Err(format!("more than one {other}")),
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------
// One key package, before decryption

/// An encrypted value as written: its method URI, base64 CipherValue, base64 ValueMAC.
struct Sealed {
    method: Option<String>,
    cipher: String,
    mac: Option<String>,
}

enum Value {
    Plain(Zeroizing<String>),
    Sealed(Sealed),
}

/// What one `KeyPackage` says, as text; checked by [`check_key`].
struct RawKey {
    /// 1-based position among the KeyPackages.
    index: usize,
    serial: Option<String>,
    id: Option<String>,
    /// Problems found while reading the structure (a missing or second `Key`…).
    structure: Vec<Problem>,
    algorithm: Option<String>,
    suite: Option<String>,
    length: Option<String>,
    encoding: Option<String>,
    response_format: bool,
    secret: Option<Result<Value, Problem>>,
    interval: Option<Result<Value, Problem>>,
    /// Encrypted values of other Data elements, only MAC-checked.
    others: Vec<Result<Value, Problem>>,
    expiry: Vec<String>,
}

impl RawKey {
    fn from_package(pkg: &Element, index: usize) -> Self {
        let mut raw = RawKey {
            index,
            serial: pkg.path(&["DeviceInfo", "SerialNo"]).map(|e| e.value().to_string()),
            id: None,
            structure: Vec::new(),
            algorithm: None,
            suite: None,
            length: None,
            encoding: None,
            response_format: false,
            secret: None,
            interval: None,
            others: Vec::new(),
            expiry: Vec::new(),
        };
        let keys: Vec<&Element> = pkg.children.iter().filter(|c| c.name == "Key").collect();
        let Some(key) = keys.first() else {
            raw.structure.push(Problem::MissingField("Key"));
            return raw;
        };
        if keys.len() > 1 {
            raw.structure.push(Problem::Malformed("more than one Key in a KeyPackage".into()));
        }
        raw.id = key.attr("Id").map(str::to_string);
        raw.algorithm = key.attr("Algorithm").map(str::to_string);
        raw.suite = key.path(&["AlgorithmParameters", "Suite"]).map(|e| e.value().to_string());
        if let Some(rf) = key.path(&["AlgorithmParameters", "ResponseFormat"]) {
            raw.response_format = true;
            raw.length = rf.attr("Length").map(str::to_string);
            raw.encoding = rf.attr("Encoding").map(str::to_string);
        }
        if let Some(data) = key.child("Data") {
            for item in &data.children {
                let value = read_value(item);
                match item.name.as_str() {
                    "Secret" => raw.secret = value,
                    "TimeInterval" => raw.interval = value,
                    _ => {
                        if let Some(v @ (Ok(Value::Sealed(_)) | Err(_))) = value {
                            raw.others.push(v);
                        }
                    }
                }
            }
        }
        if let Some(e) = key.path(&["Policy", "ExpiryDate"]) {
            raw.expiry.push(e.value().to_string());
        }
        if let Some(e) = pkg.path(&["DeviceInfo", "ExpiryDate"]) {
            raw.expiry.push(e.value().to_string());
        }
        raw
    }

    fn has_encrypted(&self) -> bool {
        let sealed = |v: &Option<Result<Value, Problem>>| matches!(v, Some(Ok(Value::Sealed(_))));
        sealed(&self.secret) || sealed(&self.interval) || self.others.iter().any(|v| matches!(v, Ok(Value::Sealed(_))))
    }

    /// `key HT0001` when the serial is valid, else `key id …`, else `key #N`.
    fn location(&self) -> String {
        match (&self.serial, &self.id) {
            (Some(s), _) if check_serial(s).is_ok() => format!("key {s}"),
            (_, Some(id)) if !id.is_empty() => format!("key id {}", shown(id)),
            _ => format!("key #{}", self.index),
        }
    }
}

/// A Data child's value: `PlainValue`, or `EncryptedValue` with the sibling `ValueMAC`.
/// `None` when it has neither.
fn read_value(item: &Element) -> Option<Result<Value, Problem>> {
    let plain = item.child("PlainValue");
    let sealed = item.child("EncryptedValue");
    match (plain, sealed) {
        (None, None) => None,
        (Some(_), Some(_)) => {
            Some(Err(Problem::Malformed(format!("{} has both PlainValue and EncryptedValue", item.name))))
        }
        (Some(p), None) => Some(Ok(Value::Plain(Zeroizing::new(p.value().to_string())))),
        (None, Some(ev)) => Some(read_sealed(ev).map(|mut s| {
            s.mac = item.child("ValueMAC").map(|m| m.value().to_string());
            Value::Sealed(s)
        })),
    }
}

/// An EncryptedValue-typed element (`EncryptedValue`, `MACKey`): method and CipherValue.
fn read_sealed(el: &Element) -> Result<Sealed, Problem> {
    let method = el.child("EncryptionMethod").and_then(|m| m.attr("Algorithm")).map(str::to_string);
    let cipher = el
        .path(&["CipherData", "CipherValue"])
        .ok_or_else(|| Problem::Malformed(format!("{} has no CipherData/CipherValue", el.name)))?;
    Ok(Sealed { method, cipher: cipher.value().to_string(), mac: None })
}

// ---------------------------------------------------------------------------------------
// Keys and MACs

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hash {
    Sha1,
    Sha224,
    Sha256,
    Sha384,
    Sha512,
}

impl Hash {
    /// By the URI's fragment: `…#hmac-sha1`, `…#hmac-sha256` (xmldsig, xmldsig-more, PKCS #5).
    fn from_hmac_uri(uri: &str) -> Option<Self> {
        match uri.rsplit('#').next()? {
            "hmac-sha1" => Some(Self::Sha1),
            "hmac-sha224" => Some(Self::Sha224),
            "hmac-sha256" => Some(Self::Sha256),
            "hmac-sha384" => Some(Self::Sha384),
            "hmac-sha512" => Some(Self::Sha512),
            _ => None,
        }
    }
}

macro_rules! with_hash {
    ($hash:expr, $d:ident => $body:expr) => {
        match $hash {
            Hash::Sha1 => {
                type $d = sha1::Sha1;
                $body
            }
            Hash::Sha224 => {
                type $d = sha2::Sha224;
                $body
            }
            Hash::Sha256 => {
                type $d = sha2::Sha256;
                $body
            }
            Hash::Sha384 => {
                type $d = sha2::Sha384;
                $body
            }
            Hash::Sha512 => {
                type $d = sha2::Sha512;
                $body
            }
        }
    };
}

struct MacKey {
    hash: Hash,
    key: Zeroizing<Vec<u8>>,
}

impl MacKey {
    /// Constant-time check of `tag` = HMAC(key, data).
    fn verify(&self, data: &[u8], tag: &[u8]) -> bool {
        with_hash!(self.hash, D => {
            match Hmac::<D>::new_from_slice(&self.key) {
                Ok(mut m) => {
                    m.update(data);
                    m.verify_slice(tag).is_ok()
                }
                Err(_) => false,
            }
        })
    }
}

/// The file's keys, once the key file has opened them.
struct Crypto {
    key: Zeroizing<Vec<u8>>,
    mac: MacKey,
}

struct Pbkdf2 {
    salt: Vec<u8>,
    iterations: u32,
    key_length: Option<usize>,
    prf: Hash,
}

enum KeySource {
    PreShared,
    Derived(Pbkdf2),
}

fn build_crypto(container: &Container, key_file: Option<&[u8]>) -> Result<Crypto, Problem> {
    let mac_method = container.mac_method.as_ref().ok_or(Problem::EncryptedWithoutMac("MACMethod"))?;
    let mac_uri = mac_method.attr("Algorithm").unwrap_or_default();
    let hash = Hash::from_hmac_uri(mac_uri).ok_or_else(|| Problem::UnsupportedMac(shown(mac_uri)))?;
    let mac_key = read_sealed(mac_method.child("MACKey").ok_or(Problem::EncryptedWithoutMac("MACKey"))?)?;
    let key_len = aes_key_len(mac_key.method.as_deref())?;
    let source = key_source(container.encryption_key.as_ref())?;
    let key_file = key_file.ok_or(Problem::MissingKey)?;
    let key = match source {
        KeySource::PreShared => {
            let key = hex_key(key_file).ok_or(Problem::BadKeyFile(Some(key_len)))?;
            if key.len() != key_len {
                return Err(Problem::BadKeyFile(Some(key_len)));
            }
            key
        }
        KeySource::Derived(p) => {
            let length = p.key_length.unwrap_or(key_len);
            if length != key_len {
                return Err(Problem::Malformed(format!("KeyLength {length} does not fit the EncryptionMethod")));
            }
            derive_key(&p, &passphrase(key_file)?, length)
        }
    };
    let data = base64(&mac_key.cipher).ok_or_else(|| Problem::Malformed("MACKey CipherValue is not base64".into()))?;
    let mac = aes_cbc_decrypt(&key, mac_key.method.as_deref(), &data)?;
    if mac.is_empty() {
        return Err(Problem::WrongKey);
    }
    Ok(Crypto { key, mac: MacKey { hash, key: mac } })
}

fn key_source(encryption_key: Option<&Element>) -> Result<KeySource, Problem> {
    let Some(ek) = encryption_key else { return Ok(KeySource::PreShared) };
    if let Some(dk) = ek.child("DerivedKey") {
        return pbkdf2_params(dk).map(KeySource::Derived);
    }
    match ek.children.first() {
        None => Ok(KeySource::PreShared),
        Some(c) if c.name == "KeyName" => Ok(KeySource::PreShared),
        Some(c) => Err(Problem::UnsupportedEncryption(shown(&format!("EncryptionKey/{}", c.name)))),
    }
}

fn pbkdf2_params(dk: &Element) -> Result<Pbkdf2, Problem> {
    let method = dk.child("KeyDerivationMethod").ok_or(Problem::UnsupportedKdf("KeyDerivationMethod".into()))?;
    let uri = method.attr("Algorithm").unwrap_or_default();
    if !uri.ends_with("pkcs-5v2-0#pbkdf2") {
        return Err(Problem::UnsupportedKdf(shown(uri)));
    }
    let params = method.child("PBKDF2-params").ok_or(Problem::UnsupportedKdf("PBKDF2-params".into()))?;
    let salt = params
        .path(&["Salt", "Specified"])
        .and_then(|s| base64(s.value()))
        .ok_or(Problem::UnsupportedKdf("Salt".into()))?;
    let count = params.child("IterationCount").map(Element::value).unwrap_or_default();
    let iterations = super::small_uint(count)
        .filter(|n| (1..=MAX_PBKDF2_ITERATIONS).contains(n))
        .ok_or_else(|| Problem::UnsupportedKdf(shown(&format!("IterationCount {count}"))))?;
    let key_length = match params.child("KeyLength") {
        None => None,
        Some(k) => Some(
            super::small_uint(k.value())
                .map(|n| n as usize)
                .ok_or_else(|| Problem::UnsupportedKdf(shown(&format!("KeyLength {}", k.value()))))?,
        ),
    };
    let prf = match params.child("PRF").and_then(|p| p.attr("Algorithm")).filter(|a| !a.is_empty()) {
        None => Hash::Sha1,
        Some(uri) => Hash::from_hmac_uri(uri).ok_or_else(|| Problem::UnsupportedKdf(shown(uri)))?,
    };
    Ok(Pbkdf2 { salt, iterations, key_length, prf })
}

fn derive_key(p: &Pbkdf2, passphrase: &[u8], length: usize) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(vec![0u8; length]);
    with_hash!(p.prf, D => pbkdf2::pbkdf2_hmac::<D>(passphrase, &p.salt, p.iterations, &mut out));
    out
}

/// The key file as a hex key; ASCII whitespace anywhere is ignored.
fn hex_key(key_file: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    let digits: Zeroizing<Vec<u8>> =
        Zeroizing::new(key_file.iter().copied().filter(|b| !b.is_ascii_whitespace()).collect());
    hex::decode(digits.as_slice()).ok().map(Zeroizing::new)
}

/// The key file as a passphrase: UTF-8, CR/LF at its very end dropped, not empty.
fn passphrase(key_file: &[u8]) -> Result<Zeroizing<Vec<u8>>, Problem> {
    let text = std::str::from_utf8(key_file).map_err(|_| Problem::BadKeyFile(None))?;
    let text = text.trim_end_matches(['\r', '\n']);
    if text.is_empty() {
        return Err(Problem::BadKeyFile(None));
    }
    Ok(Zeroizing::new(text.as_bytes().to_vec()))
}

/// xs:base64Binary: standard alphabet, padded, whitespace allowed anywhere.
fn base64(text: &str) -> Option<Vec<u8>> {
    let compact: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    BASE64.decode(compact).ok()
}

fn aes_key_len(method: Option<&str>) -> Result<usize, Problem> {
    match method {
        None => Err(Problem::MissingField("EncryptionMethod")),
        Some("http://www.w3.org/2001/04/xmlenc#aes128-cbc") => Ok(16),
        Some("http://www.w3.org/2001/04/xmlenc#aes192-cbc") => Ok(24),
        Some("http://www.w3.org/2001/04/xmlenc#aes256-cbc") => Ok(32),
        Some(other) => Err(Problem::UnsupportedEncryption(shown(other))),
    }
}

/// Decrypts IV ‖ ciphertext; a padding error means the key is wrong.
fn aes_cbc_decrypt(key: &[u8], method: Option<&str>, data: &[u8]) -> Result<Zeroizing<Vec<u8>>, Problem> {
    let need = aes_key_len(method)?;
    if key.len() != need {
        return Err(Problem::Malformed(format!(
            "values are encrypted with keys of different sizes ({need} bytes here)"
        )));
    }
    if data.len() < 32 || !data.len().is_multiple_of(16) {
        return Err(Problem::Malformed(format!("CipherValue of {} bytes is not IV + whole AES blocks", data.len())));
    }
    let (iv, ct) = data.split_at(16);
    let mut buf = Zeroizing::new(ct.to_vec());
    let bad_key = |_| Problem::Malformed("AES key or IV of the wrong size".into());
    let plain_len = match need {
        16 => cbc::Decryptor::<Aes128>::new_from_slices(key, iv)
            .map_err(bad_key)?
            .decrypt_padded_mut::<Pkcs7>(&mut buf)
            .map(|p| p.len()),
        24 => cbc::Decryptor::<Aes192>::new_from_slices(key, iv)
            .map_err(bad_key)?
            .decrypt_padded_mut::<Pkcs7>(&mut buf)
            .map(|p| p.len()),
        _ => cbc::Decryptor::<Aes256>::new_from_slices(key, iv)
            .map_err(bad_key)?
            .decrypt_padded_mut::<Pkcs7>(&mut buf)
            .map(|p| p.len()),
    }
    .map_err(|_| Problem::WrongKey)?;
    buf.truncate(plain_len);
    Ok(buf)
}

/// Checks the MAC of an encrypted value, then decrypts it.
fn open(crypto: &Crypto, sealed: &Sealed) -> Result<Zeroizing<Vec<u8>>, Problem> {
    let mac = sealed.mac.as_deref().ok_or(Problem::EncryptedWithoutMac("ValueMAC"))?;
    let data = base64(&sealed.cipher).ok_or_else(|| Problem::Malformed("CipherValue is not base64".into()))?;
    let tag = base64(mac).ok_or_else(|| Problem::Malformed("ValueMAC is not base64".into()))?;
    if !crypto.mac.verify(&data, &tag) {
        return Err(Problem::MacMismatch);
    }
    aes_cbc_decrypt(&crypto.key, sealed.method.as_deref(), &data)
}

// ---------------------------------------------------------------------------------------
// Validation

/// How a value's bytes came out: decrypted, not decryptable because the file-level key
/// failed (already reported), or a problem of this key.
enum Opened {
    Bytes(Zeroizing<Vec<u8>>),
    Text(Zeroizing<String>),
    Unavailable,
}

fn open_value(value: &Value, crypto: Option<&Crypto>, file_encrypted: bool) -> Result<Opened, Problem> {
    match value {
        Value::Plain(t) => Ok(Opened::Text(t.clone())),
        Value::Sealed(s) => match crypto {
            Some(c) => open(c, s).map(Opened::Bytes),
            // The file-level error (no key, no MAC method…) covers it; a missing ValueMAC is
            // still this key's own fault.
            None if file_encrypted && s.mac.is_some() => Ok(Opened::Unavailable),
            None => Err(Problem::EncryptedWithoutMac("ValueMAC")),
        },
    }
}

/// (whether the serial is valid, the record or every problem of this key).
fn check_key(
    raw: &RawKey,
    crypto: Option<&Crypto>,
    file_encrypted: bool,
    today: NaiveDate,
    default_expiry: NaiveDate,
) -> (bool, Result<TokenRecord, Vec<Problem>>) {
    let mut problems = raw.structure.clone();
    if problems.iter().any(|p| matches!(p, Problem::MissingField("Key"))) {
        return (false, Err(problems));
    }
    match raw.algorithm.as_deref() {
        None => problems.push(Problem::MissingField("Algorithm")),
        Some(a) if !is_totp(a) => {
            problems.push(Problem::NotTotp(shown(a)));
            return (false, Err(problems));
        }
        Some(_) => {}
    }

    let serial = match raw.serial.as_deref() {
        None | Some("") => {
            problems.push(Problem::MissingField("SerialNo"));
            None
        }
        Some(s) => check_serial(s).map_err(|p| problems.push(p)).ok().map(|()| s.to_string()),
    };
    let serial_ok = serial.is_some();

    let digits = if !raw.response_format {
        problems.push(Problem::MissingField("ResponseFormat"));
        None
    } else {
        if let Some(enc) = raw.encoding.as_deref()
            && !enc.eq_ignore_ascii_case("DECIMAL")
        {
            problems.push(Problem::NotDecimal(shown(enc)));
        }
        match raw.length.as_deref() {
            None => {
                problems.push(Problem::MissingField("ResponseFormat/@Length"));
                None
            }
            Some(l) => check_digits(l).map_err(|p| problems.push(p)).ok(),
        }
    };

    let algorithm = match raw.suite.as_deref() {
        None | Some("") => Some(Algorithm::Sha1),
        Some(s) => suite_algorithm(s).or_else(|| {
            problems.push(Problem::BadAlgorithm(shown(s)));
            None
        }),
    };

    let secret = match &raw.secret {
        None => {
            problems.push(Problem::MissingField("Secret"));
            None
        }
        Some(Err(p)) => {
            problems.push(p.clone());
            None
        }
        Some(Ok(v)) => match open_value(v, crypto, file_encrypted) {
            Ok(Opened::Bytes(b)) => Some(b),
            Ok(Opened::Text(t)) => match base64(&t) {
                Some(b) => Some(Zeroizing::new(b)),
                None => {
                    problems.push(Problem::BadSecret);
                    None
                }
            },
            Ok(Opened::Unavailable) => None,
            Err(p) => {
                problems.push(p);
                None
            }
        },
    };
    let secret = secret.and_then(|s| check_secret_len(&s).map_err(|p| problems.push(p)).ok().map(|()| s));

    let period_text: Option<String> = match &raw.interval {
        None => Some(DEFAULT_PERIOD.to_string()),
        Some(Err(p)) => {
            problems.push(p.clone());
            None
        }
        Some(Ok(v)) => match open_value(v, crypto, file_encrypted) {
            Ok(Opened::Text(t)) => Some(t.to_string()),
            Ok(Opened::Bytes(b)) => Some(be_uint(&b).map_or_else(|| "?".to_string(), |n| n.to_string())),
            Ok(Opened::Unavailable) => None,
            Err(p) => {
                problems.push(p);
                None
            }
        },
    };
    let period = period_text.and_then(|t| check_period(&t).map_err(|p| problems.push(p)).ok());

    for other in &raw.others {
        match other {
            Err(p) => problems.push(p.clone()),
            Ok(v) => {
                if let Err(p) = open_value(v, crypto, file_encrypted) {
                    problems.push(p);
                }
            }
        }
    }

    // Vendors often leave the expiry out: the token's usual life after the import date.
    let expiry_defaulted = raw.expiry.is_empty();
    let expires = if expiry_defaulted {
        Some(default_expiry)
    } else {
        let mut dates = Vec::new();
        for text in &raw.expiry {
            match xs_date(text) {
                Some(d) => dates.push(d),
                None => problems.push(Problem::BadDate(shown(text))),
            }
        }
        match dates.iter().min() {
            Some(&d) if dates.len() == raw.expiry.len() => check_expiry(d, today).map_err(|p| problems.push(p)).ok(),
            _ => None,
        }
    };

    match (serial, secret, algorithm, digits, period, expires) {
        (Some(serial), Some(secret), Some(algorithm), Some(digits), Some(period), Some(expires))
            if problems.is_empty() =>
        {
            (
                serial_ok,
                Ok(TokenRecord {
                    serial,
                    secret,
                    algorithm,
                    digits,
                    period,
                    expires,
                    expiry_defaulted,
                    location: raw.location(),
                }),
            )
        }
        _ => (serial_ok, Err(problems)),
    }
}

/// `SHA1`, `SHA-256`, `HMAC-SHA512`… (case-insensitive).
fn suite_algorithm(s: &str) -> Option<Algorithm> {
    let upper = s.to_ascii_uppercase();
    let bare = upper.strip_prefix("HMAC-").unwrap_or(&upper).replace('-', "");
    bare.parse::<Algorithm>().ok()
}

/// Big-endian unsigned integer of at most 8 bytes (an encrypted xs:int).
fn be_uint(bytes: &[u8]) -> Option<u64> {
    (bytes.len() <= 8).then(|| bytes.iter().fold(0u64, |n, &b| (n << 8) | u64::from(b)))
}

/// The date of an xs:dateTime or xs:date: `YYYY-MM-DD`, then nothing, a time (`T…`) or a zone.
fn xs_date(text: &str) -> Option<NaiveDate> {
    let rest = text.get(10..)?;
    if !(rest.is_empty() || rest.starts_with(['T', 'Z', '+', '-'])) {
        return None;
    }
    iso_date(text.get(..10)?)
}

#[cfg(test)]
mod tests;
