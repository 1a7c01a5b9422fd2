//! PSKC tests: RFC 6030's own examples, TOTP files sealed by a test-only encryptor, and
//! hostile files.

use aes::{Aes128, Aes192, Aes256};
use base64::Engine as _;
use cbc::cipher::block_padding::Pkcs7;
use cbc::cipher::{BlockEncryptMut, KeyIvInit};
use hmac::{Hmac, Mac};
use proptest::prelude::*;

use super::super::tests::{problems, today};
use super::super::{Format, parse as parse_file};
use super::*;

const TOTP: &str = "urn:ietf:params:xml:ns:keyprov:pskc:totp";
const HOTP: &str = "urn:ietf:params:xml:ns:keyprov:pskc:hotp";
const AES128: &str = "http://www.w3.org/2001/04/xmlenc#aes128-cbc";
const AES192: &str = "http://www.w3.org/2001/04/xmlenc#aes192-cbc";
const AES256: &str = "http://www.w3.org/2001/04/xmlenc#aes256-cbc";
const HMAC_SHA1: &str = "http://www.w3.org/2000/09/xmldsig#hmac-sha1";
const HMAC_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#hmac-sha256";
const SEED: &[u8] = b"12345678901234567890";

/// RFC 6030 Figure 2: the basic container (an HOTP key, plain secret "1234").
const FIG2: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<KeyContainer Version="1.0"
    Id="exampleID1"
    xmlns="urn:ietf:params:xml:ns:keyprov:pskc">
    <KeyPackage>
        <Key Id="12345678"
            Algorithm="urn:ietf:params:xml:ns:keyprov:pskc:hotp">
            <Issuer>Issuer-A</Issuer>
            <Data>
                <Secret>
                    <PlainValue>MTIzNA==
                    </PlainValue>
                </Secret>
            </Data>
        </Key>
    </KeyPackage>
</KeyContainer>
"#;

/// RFC 6030 Figure 6: AES-128-CBC with the pre-shared key 0x12345678901234567890123456789012,
/// MAC key 0x1122334455667788990011223344556677889900 (HMAC-SHA1), secret "12345678901234567890".
const FIG6: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<KeyContainer Version="1.0"
    xmlns="urn:ietf:params:xml:ns:keyprov:pskc"
    xmlns:ds="http://www.w3.org/2000/09/xmldsig#"
    xmlns:xenc="http://www.w3.org/2001/04/xmlenc#">
    <EncryptionKey>
        <ds:KeyName>Pre-shared-key</ds:KeyName>
    </EncryptionKey>
    <MACMethod Algorithm="http://www.w3.org/2000/09/xmldsig#hmac-sha1">
        <MACKey>
            <xenc:EncryptionMethod
            Algorithm="http://www.w3.org/2001/04/xmlenc#aes128-cbc"/>
            <xenc:CipherData>
                <xenc:CipherValue>
    ESIzRFVmd4iZABEiM0RVZgKn6WjLaTC1sbeBMSvIhRejN9vJa2BOlSaMrR7I5wSX
                </xenc:CipherValue>
            </xenc:CipherData>
        </MACKey>
    </MACMethod>
    <KeyPackage>
        <DeviceInfo>
            <Manufacturer>Manufacturer</Manufacturer>
            <SerialNo>987654321</SerialNo>
        </DeviceInfo>
        <CryptoModuleInfo>
            <Id>CM_ID_001</Id>
        </CryptoModuleInfo>
        <Key Id="12345678"
            Algorithm="urn:ietf:params:xml:ns:keyprov:pskc:hotp">
            <Issuer>Issuer</Issuer>
            <AlgorithmParameters>
                <ResponseFormat Length="8" Encoding="DECIMAL"/>
            </AlgorithmParameters>
            <Data>
                <Secret>
                    <EncryptedValue>
                        <xenc:EncryptionMethod
                        Algorithm="http://www.w3.org/2001/04/xmlenc#aes128-cbc"/>
                        <xenc:CipherData>
                            <xenc:CipherValue>
    AAECAwQFBgcICQoLDA0OD+cIHItlB3Wra1DUpxVvOx2lef1VmNPCMl8jwZqIUqGv
                            </xenc:CipherValue>
                        </xenc:CipherData>
                    </EncryptedValue>
                    <ValueMAC>Su+NvtQfmvfJzF6bmQiJqoLRExc=
                    </ValueMAC>
                </Secret>
                <Counter>
                    <PlainValue>0</PlainValue>
                </Counter>
            </Data>
        </Key>
    </KeyPackage>
</KeyContainer>
"#;

/// RFC 6030 Figure 7: PBKDF2 from the passphrase "qwerty" (derived key
/// 0x651e63cd57008476af1ff6422cd02e41), HMAC-SHA1, secret "12345678901234567890".
const FIG7: &str = r##"<?xml version="1.0" encoding="UTF-8"?>
<pskc:KeyContainer
  xmlns:pskc="urn:ietf:params:xml:ns:keyprov:pskc"
  xmlns:xenc11="http://www.w3.org/2009/xmlenc11#"
  xmlns:pkcs5=
  "http://www.rsasecurity.com/rsalabs/pkcs/schemas/pkcs-5v2-0#"
  xmlns:xenc="http://www.w3.org/2001/04/xmlenc#" Version="1.0">
    <pskc:EncryptionKey>
        <xenc11:DerivedKey>
            <xenc11:KeyDerivationMethod
              Algorithm=
 "http://www.rsasecurity.com/rsalabs/pkcs/schemas/pkcs-5v2-0#pbkdf2">
                <pkcs5:PBKDF2-params>
                    <Salt>
                        <Specified>Ej7/PEpyEpw=</Specified>
                    </Salt>
                    <IterationCount>1000</IterationCount>
                    <KeyLength>16</KeyLength>
                    <PRF/>
                </pkcs5:PBKDF2-params>
            </xenc11:KeyDerivationMethod>
            <xenc:ReferenceList>
                <xenc:DataReference URI="#ED"/>
            </xenc:ReferenceList>
            <xenc11:MasterKeyName>My Password 1</xenc11:MasterKeyName>
        </xenc11:DerivedKey>
    </pskc:EncryptionKey>
    <pskc:MACMethod
        Algorithm=
        "http://www.w3.org/2000/09/xmldsig#hmac-sha1">
        <pskc:MACKey>
            <xenc:EncryptionMethod
            Algorithm="http://www.w3.org/2001/04/xmlenc#aes128-cbc"/>
            <xenc:CipherData>
                <xenc:CipherValue>
2GTTnLwM3I4e5IO5FkufoOEiOhNj91fhKRQBtBJYluUDsPOLTfUvoU2dStyOwYZx
                </xenc:CipherValue>
            </xenc:CipherData>
        </pskc:MACKey>
    </pskc:MACMethod>
    <pskc:KeyPackage>
        <pskc:DeviceInfo>
            <pskc:Manufacturer>TokenVendorAcme</pskc:Manufacturer>
            <pskc:SerialNo>987654321</pskc:SerialNo>
        </pskc:DeviceInfo>
        <pskc:CryptoModuleInfo>
            <pskc:Id>CM_ID_001</pskc:Id>
        </pskc:CryptoModuleInfo>
        <pskc:Key Algorithm=
        "urn:ietf:params:xml:ns:keyprov:pskc:hotp" Id="123456">
            <pskc:Issuer>Example-Issuer</pskc:Issuer>
            <pskc:AlgorithmParameters>
                <pskc:ResponseFormat Length="8" Encoding="DECIMAL"/>
            </pskc:AlgorithmParameters>
            <pskc:Data>
                <pskc:Secret>
                <pskc:EncryptedValue Id="ED">
                    <xenc:EncryptionMethod
                        Algorithm=
"http://www.w3.org/2001/04/xmlenc#aes128-cbc"/>
                        <xenc:CipherData>
                            <xenc:CipherValue>
      oTvo+S22nsmS2Z/RtcoF8Hfh+jzMe0RkiafpoDpnoZTjPYZu6V+A4aEn032yCr4f
                        </xenc:CipherValue>
                    </xenc:CipherData>
                    </pskc:EncryptedValue>
                    <pskc:ValueMAC>LP6xMvjtypbfT9PdkJhBZ+D6O4w=
                    </pskc:ValueMAC>
                </pskc:Secret>
            </pskc:Data>
        </pskc:Key>
    </pskc:KeyPackage>
</pskc:KeyContainer>
"##;

// ---------------------------------------------------------------------------------------
// A test-only writer of PSKC files, encrypting the way the reader decrypts.

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn aes_uri(key: &[u8]) -> &'static str {
    match key.len() {
        16 => AES128,
        24 => AES192,
        _ => AES256,
    }
}

/// IV ‖ AES-CBC(key, iv, plain) with PKCS#7 padding.
fn seal(key: &[u8], iv: [u8; 16], plain: &[u8]) -> Vec<u8> {
    let mut buf = vec![0u8; plain.len() + 16];
    buf[..plain.len()].copy_from_slice(plain);
    let ct = match key.len() {
        16 => cbc::Encryptor::<Aes128>::new_from_slices(key, &iv)
            .unwrap()
            .encrypt_padded_mut::<Pkcs7>(&mut buf, plain.len()),
        24 => cbc::Encryptor::<Aes192>::new_from_slices(key, &iv)
            .unwrap()
            .encrypt_padded_mut::<Pkcs7>(&mut buf, plain.len()),
        _ => cbc::Encryptor::<Aes256>::new_from_slices(key, &iv)
            .unwrap()
            .encrypt_padded_mut::<Pkcs7>(&mut buf, plain.len()),
    }
    .unwrap()
    .to_vec();
    [iv.as_slice(), &ct].concat()
}

fn hmac_sha1(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut m = Hmac::<sha1::Sha1>::new_from_slice(key).unwrap();
    m.update(data);
    m.finalize().into_bytes().to_vec()
}

#[derive(Clone, Copy)]
enum Enc<'a> {
    Plain,
    PreShared { key: &'a [u8], mac_key: &'a [u8] },
    Pbkdf2 { passphrase: &'a str, salt: &'a [u8], iterations: u32, mac_key: &'a [u8] },
}

impl Enc<'_> {
    /// (encryption key, MAC key) of an encrypted file.
    fn keys(&self) -> Option<(Vec<u8>, Vec<u8>)> {
        match *self {
            Enc::Plain => None,
            Enc::PreShared { key, mac_key } => Some((key.to_vec(), mac_key.to_vec())),
            Enc::Pbkdf2 { passphrase, salt, iterations, mac_key } => {
                let mut key = vec![0u8; 16];
                pbkdf2::pbkdf2_hmac::<sha1::Sha1>(passphrase.as_bytes(), salt, iterations, &mut key);
                Some((key, mac_key.to_vec()))
            }
        }
    }

    fn header(&self) -> String {
        let Some((key, mac_key)) = self.keys() else { return String::new() };
        let encryption_key = match *self {
            Enc::Pbkdf2 { salt, iterations, .. } => format!(
                r#"<EncryptionKey><xenc11:DerivedKey><xenc11:KeyDerivationMethod Algorithm="http://www.rsasecurity.com/rsalabs/pkcs/schemas/pkcs-5v2-0#pbkdf2">
<pkcs5:PBKDF2-params><Salt><Specified>{}</Specified></Salt><IterationCount>{iterations}</IterationCount><KeyLength>16</KeyLength><PRF/></pkcs5:PBKDF2-params>
</xenc11:KeyDerivationMethod><xenc11:MasterKeyName>Passphrase</xenc11:MasterKeyName></xenc11:DerivedKey></EncryptionKey>"#,
                b64(salt)
            ),
            _ => "<EncryptionKey><ds:KeyName>Pre-shared-key</ds:KeyName></EncryptionKey>".to_string(),
        };
        format!(
            r#"{encryption_key}
<MACMethod Algorithm="{HMAC_SHA1}"><MACKey><xenc:EncryptionMethod Algorithm="{}"/><xenc:CipherData><xenc:CipherValue>{}</xenc:CipherValue></xenc:CipherData></MACKey></MACMethod>
"#,
            aes_uri(&key),
            b64(&seal(&key, [0xA5; 16], &mac_key))
        )
    }

    /// The `<Secret>` element, plain or sealed with a ValueMAC; `keys` from [`Enc::keys`].
    fn secret(keys: Option<&(Vec<u8>, Vec<u8>)>, secret: &[u8], iv: u8) -> String {
        match keys {
            None => format!("<Secret><PlainValue>{}</PlainValue></Secret>", b64(secret)),
            Some((key, mac_key)) => {
                let sealed = seal(key, [iv; 16], secret);
                format!(
                    r#"<Secret><EncryptedValue><xenc:EncryptionMethod Algorithm="{}"/><xenc:CipherData><xenc:CipherValue>{}</xenc:CipherValue></xenc:CipherData></EncryptedValue><ValueMAC>{}</ValueMAC></Secret>"#,
                    aes_uri(key),
                    b64(&sealed),
                    b64(&hmac_sha1(mac_key, &sealed))
                )
            }
        }
    }
}

/// One token to write; `None` leaves the element out.
#[derive(Clone)]
struct Tok<'a> {
    serial: &'a str,
    id: &'a str,
    algorithm: &'a str,
    secret: &'a [u8],
    suite: Option<&'a str>,
    digits: Option<&'a str>,
    period: Option<&'a str>,
    expiry: Option<&'a str>,
}

impl Default for Tok<'_> {
    fn default() -> Self {
        Tok {
            serial: "HT0001",
            id: "1",
            algorithm: TOTP,
            secret: SEED,
            suite: None,
            digits: Some("6"),
            period: None,
            expiry: Some("2026-03-31T00:00:00Z"),
        }
    }
}

fn doc(enc: Enc<'_>, toks: &[Tok<'_>]) -> String {
    let mut out = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<KeyContainer Version="1.0" xmlns="urn:ietf:params:xml:ns:keyprov:pskc" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" xmlns:xenc="http://www.w3.org/2001/04/xmlenc#" xmlns:xenc11="http://www.w3.org/2009/xmlenc11#" xmlns:pkcs5="http://www.rsasecurity.com/rsalabs/pkcs/schemas/pkcs-5v2-0#">
"#,
    );
    out.push_str(&enc.header());
    let keys = enc.keys();
    for (i, t) in toks.iter().enumerate() {
        let suite = t.suite.map(|s| format!("<Suite>{s}</Suite>")).unwrap_or_default();
        let digits =
            t.digits.map(|d| format!(r#"<ResponseFormat Length="{d}" Encoding="DECIMAL"/>"#)).unwrap_or_default();
        let period =
            t.period.map(|p| format!("<TimeInterval><PlainValue>{p}</PlainValue></TimeInterval>")).unwrap_or_default();
        let expiry = t.expiry.map(|e| format!("<Policy><ExpiryDate>{e}</ExpiryDate></Policy>")).unwrap_or_default();
        out.push_str(&format!(
            r#"<KeyPackage><DeviceInfo><Manufacturer>Acme</Manufacturer><SerialNo>{}</SerialNo></DeviceInfo>
<Key Id="{}" Algorithm="{}"><Issuer>Bank</Issuer><AlgorithmParameters>{suite}{digits}</AlgorithmParameters>
<Data>{}<Time><PlainValue>0</PlainValue></Time>{period}</Data>{expiry}</Key></KeyPackage>
"#,
            t.serial,
            t.id,
            t.algorithm,
            Enc::secret(keys.as_ref(), t.secret, i as u8)
        ));
    }
    out.push_str("</KeyContainer>\n");
    out
}

const PSK: &[u8] = &[0x12, 0x34, 0x56, 0x78, 0x90, 0x12, 0x34, 0x56, 0x78, 0x90, 0x12, 0x34, 0x56, 0x78, 0x90, 0x12];
const MAC_KEY: &[u8] = b"mac-key-mac-key-mac-";
const PRESHARED: Enc<'static> = Enc::PreShared { key: PSK, mac_key: MAC_KEY };
const QWERTY: Enc<'static> =
    Enc::Pbkdf2 { passphrase: "qwerty", salt: b"\x12\x3e\xff\x3c\x4a\x72\x12\x9c", iterations: 1000, mac_key: MAC_KEY };

/// The default expiry the tests give: five years after [`today`].
fn five_years() -> NaiveDate {
    today().checked_add_months(chrono::Months::new(60)).expect("date")
}

fn run(text: &str, key: Option<&[u8]>) -> Result<Vec<TokenRecord>, Vec<ImportError>> {
    parse_file(text.as_bytes(), Format::Pskc, key, today(), five_years())
}

fn only(text: &str, key: Option<&[u8]>) -> (String, Problem) {
    let p = problems(run(text, key));
    assert_eq!(p.len(), 1, "{p:?}");
    p[0].clone()
}

fn sealed_secret(c: &Container) -> &Sealed {
    match &c.keys[0].secret {
        Some(Ok(Value::Sealed(s))) => s,
        _ => panic!("no sealed secret"),
    }
}

// ---------------------------------------------------------------------------------------
// RFC 6030's examples

#[test]
fn rfc6030_figure2_hotp_is_refused() {
    assert_eq!(only(FIG2, None), ("key id 12345678".into(), Problem::NotTotp(HOTP.into())));
}

#[test]
fn rfc6030_figure2_as_totp() {
    let text = FIG2
        .replace(":hotp", ":totp")
        .replace("MTIzNA==", &b64(SEED))
        .replace("<Issuer>", "<AlgorithmParameters><ResponseFormat Length=\"8\"/></AlgorithmParameters><Issuer>")
        .replace("</Data>", "<TimeInterval><PlainValue> 60 </PlainValue></TimeInterval></Data><Policy><ExpiryDate>2027-01-01T00:00:00Z</ExpiryDate></Policy>")
        .replace("<KeyPackage>", "<KeyPackage><DeviceInfo><SerialNo>HT0001</SerialNo></DeviceInfo>");
    let r = run(&text, None).unwrap();
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].serial, "HT0001");
    assert_eq!(r[0].secret.as_slice(), SEED);
    assert_eq!((r[0].algorithm, r[0].digits, r[0].period), (Algorithm::Sha1, 8, 60));
    assert_eq!(r[0].expires, NaiveDate::from_ymd_opt(2027, 1, 1).unwrap());
}

#[test]
fn rfc6030_figure6_preshared_key() {
    let c = read_container(FIG6).unwrap();
    let key = b"12345678901234567890123456789012";
    let crypto = build_crypto(&c, Some(key)).unwrap();
    assert_eq!(hex::encode(crypto.key.as_slice()), "12345678901234567890123456789012");
    assert_eq!(hex::encode(crypto.mac.key.as_slice()), "1122334455667788990011223344556677889900");
    assert_eq!(crypto.mac.hash, Hash::Sha1);
    let secret = open(&crypto, sealed_secret(&c)).unwrap();
    assert_eq!(hex::encode(secret.as_slice()), "3132333435363738393031323334353637383930");

    // The MAC is really checked: one bit off in the tag, or in the ciphertext.
    let mut tampered = Sealed { method: Some(AES128.into()), cipher: sealed_secret(&c).cipher.clone(), mac: None };
    tampered.mac = Some("Su+NvtQfmvfJzF6bmQiJqoLRExY=".into());
    assert_eq!(open(&crypto, &tampered).map(|_| ()), Err(Problem::MacMismatch));
    tampered.mac = sealed_secret(&c).mac.clone();
    tampered.cipher = tampered.cipher.replacen('A', "B", 1);
    assert_eq!(open(&crypto, &tampered).map(|_| ()), Err(Problem::MacMismatch));
    tampered.mac = None;
    assert_eq!(open(&crypto, &tampered).map(|_| ()), Err(Problem::EncryptedWithoutMac("ValueMAC")));

    // Through the top level it is refused for being HOTP, with or without the key.
    assert_eq!(only(FIG6, Some(key)), ("key 987654321".into(), Problem::NotTotp(HOTP.into())));
    assert_eq!(only(FIG6, None), ("key 987654321".into(), Problem::NotTotp(HOTP.into())));

    // The same document made TOTP (and given an expiry) imports with the RFC's key.
    let totp = FIG6
        .replace(":hotp", ":totp")
        .replace("</Key>", "<Policy><ExpiryDate>2030-01-01T00:00:00+09:00</ExpiryDate></Policy></Key>");
    let r = run(&totp, Some(b"12345678 90123456 78901234 56789012\n")).unwrap();
    assert_eq!(r[0].serial, "987654321");
    assert_eq!(r[0].secret.as_slice(), SEED);
    assert_eq!((r[0].digits, r[0].period), (8, 30));
    assert_eq!(only(&totp, None), ("file".into(), Problem::MissingKey));
    assert_eq!(only(&totp, Some(b"1234")), ("file".into(), Problem::BadKeyFile(Some(16))));
    assert_eq!(only(&totp, Some(b"zz345678901234567890123456789012")), ("file".into(), Problem::BadKeyFile(Some(16))));
    let wrong = only(&totp, Some(b"00345678901234567890123456789012"));
    assert_eq!(wrong, ("file".into(), Problem::WrongKey));
}

#[test]
fn rfc6030_figure7_pbkdf2() {
    let c = read_container(FIG7).unwrap();
    let crypto = build_crypto(&c, Some(b"qwerty")).unwrap();
    assert_eq!(hex::encode(crypto.key.as_slice()), "651e63cd57008476af1ff6422cd02e41");
    assert_eq!(hex::encode(crypto.mac.key.as_slice()), "bdaab8d648e850d25a3289364f7d7eaaf53ce581");
    let secret = open(&crypto, sealed_secret(&c)).unwrap();
    assert_eq!(secret.as_slice(), SEED);

    assert_eq!(only(FIG7, Some(b"qwerty")), ("key 987654321".into(), Problem::NotTotp(HOTP.into())));

    let totp = FIG7.replace(":hotp", ":totp").replace(
        "</pskc:Data>",
        "</pskc:Data><pskc:Policy><pskc:ExpiryDate>2030-01-01T00:00:00Z</pskc:ExpiryDate></pskc:Policy>",
    );
    let r = run(&totp, Some(b"qwerty\r\n")).unwrap();
    assert_eq!((r[0].serial.as_str(), r[0].secret.as_slice(), r[0].digits), ("987654321", SEED, 8));
    assert_eq!(only(&totp, Some(b"qwertz")), ("file".into(), Problem::WrongKey));
    assert_eq!(only(&totp, Some(b"\n")), ("file".into(), Problem::BadKeyFile(None)));
    assert_eq!(only(&totp, Some(b"\xff")), ("file".into(), Problem::BadKeyFile(None)));
    assert_eq!(only(&totp, None), ("file".into(), Problem::MissingKey));
    // A passphrase keeps its spaces: only the line end is dropped.
    assert_eq!(only(&totp, Some(b"qwerty \n")), ("file".into(), Problem::WrongKey));
}

// ---------------------------------------------------------------------------------------
// TOTP files of our own, plain and sealed

fn three() -> Vec<Tok<'static>> {
    vec![
        Tok::default(),
        Tok {
            serial: "HT0002",
            id: "2",
            secret: b"12345678901234567890123456789012",
            suite: Some("HMAC-SHA256"),
            digits: Some("8"),
            period: Some("60"),
            ..Tok::default()
        },
        Tok {
            serial: "HT-0003",
            id: "3",
            secret: b"1234567890123456789012345678901234567890123456789012345678901234",
            suite: Some("SHA-512"),
            digits: Some("7"),
            period: Some("300"),
            expiry: Some("2025-06-02"),
            ..Tok::default()
        },
    ]
}

fn check_three(r: &[TokenRecord]) {
    assert_eq!(r.len(), 3);
    assert_eq!((r[0].serial.as_str(), r[0].algorithm, r[0].digits, r[0].period), ("HT0001", Algorithm::Sha1, 6, 30));
    assert_eq!(r[0].secret.as_slice(), SEED);
    assert_eq!(r[0].expires, NaiveDate::from_ymd_opt(2026, 3, 31).unwrap());
    assert_eq!(r[2].location, "key HT-0003");
    assert_eq!((r[1].serial.as_str(), r[1].algorithm, r[1].digits, r[1].period), ("HT0002", Algorithm::Sha256, 8, 60));
    assert_eq!(r[1].secret.len(), 32);
    assert_eq!(
        (r[2].serial.as_str(), r[2].algorithm, r[2].digits, r[2].period),
        ("HT-0003", Algorithm::Sha512, 7, 300)
    );
    assert_eq!(r[2].secret.len(), 64);
    assert_eq!(r[2].expires, NaiveDate::from_ymd_opt(2025, 6, 2).unwrap());
}

#[test]
fn plain_totp_file() {
    check_three(&run(&doc(Enc::Plain, &three()), None).unwrap());
    // A key file given for a plain file is ignored.
    check_three(&run(&doc(Enc::Plain, &three()), Some(b"whatever")).unwrap());
}

#[test]
fn preshared_totp_file() {
    let text = doc(PRESHARED, &three());
    check_three(&run(&text, Some(hex::encode_upper(PSK).as_bytes())).unwrap());
    assert_eq!(only(&text, None), ("file".into(), Problem::MissingKey));
    let other = hex::encode([0x55u8; 16]);
    assert_eq!(only(&text, Some(other.as_bytes())), ("file".into(), Problem::WrongKey));
    let long = hex::encode([0x12u8; 32]);
    assert_eq!(only(&text, Some(long.as_bytes())), ("file".into(), Problem::BadKeyFile(Some(16))));
}

#[test]
fn aes192_and_aes256_files() {
    for key in [&[7u8; 24][..], &[9u8; 32][..]] {
        let text = doc(Enc::PreShared { key, mac_key: MAC_KEY }, &three());
        check_three(&run(&text, Some(hex::encode(key).as_bytes())).unwrap());
    }
}

#[test]
fn pbkdf2_totp_file() {
    let text = doc(QWERTY, &three());
    check_three(&run(&text, Some(b"qwerty\n")).unwrap());
    assert_eq!(only(&text, Some(b"Qwerty")), ("file".into(), Problem::WrongKey));
}

#[test]
fn hmac_sha256_mac_method() {
    let text = doc(PRESHARED, &[Tok::default()]);
    let (key, mac_key) = PRESHARED.keys().unwrap();
    let sealed = seal(&key, [0; 16], SEED);
    let mut m = Hmac::<sha2::Sha256>::new_from_slice(&mac_key).unwrap();
    m.update(&sealed);
    let tag = b64(&m.finalize().into_bytes());
    let start = text.find("<Secret>").unwrap();
    let end = text.find("</Secret>").unwrap();
    let text = format!(
        r#"{}<Secret><EncryptedValue><xenc:EncryptionMethod Algorithm="{AES128}"/><xenc:CipherData><xenc:CipherValue>{}</xenc:CipherValue></xenc:CipherData></EncryptedValue><ValueMAC>{tag}</ValueMAC>{}"#,
        &text[..start],
        b64(&sealed),
        &text[end..]
    )
    .replace(HMAC_SHA1, HMAC_SHA256);
    let r = run(&text, Some(hex::encode(PSK).as_bytes())).unwrap();
    assert_eq!(r[0].secret.as_slice(), SEED);
    let md5 = text.replace(HMAC_SHA256, "http://www.w3.org/2001/04/xmldsig-more#hmac-md5");
    assert_eq!(only(&md5, Some(hex::encode(PSK).as_bytes())).1.key(), "err.import_unsupported_mac");
}

#[test]
fn encrypted_period_is_read_big_endian() {
    let (key, mac_key) = PRESHARED.keys().unwrap();
    let sealed = seal(&key, [3; 16], &[0, 0, 0, 60]);
    let interval = format!(
        r#"<TimeInterval><EncryptedValue><xenc:EncryptionMethod Algorithm="{AES128}"/><xenc:CipherData><xenc:CipherValue>{}</xenc:CipherValue></xenc:CipherData></EncryptedValue><ValueMAC>{}</ValueMAC></TimeInterval></Data>"#,
        b64(&sealed),
        b64(&hmac_sha1(&mac_key, &sealed))
    );
    let text = doc(PRESHARED, &[Tok::default()]).replace("</Data>", &interval);
    let r = run(&text, Some(hex::encode(PSK).as_bytes())).unwrap();
    assert_eq!(r[0].period, 60);
}

// ---------------------------------------------------------------------------------------
// MAC refusals

#[test]
fn encrypted_without_mac() {
    let key = hex::encode(PSK);
    let key = Some(key.as_bytes());
    let text = doc(PRESHARED, &three());
    // One value lacks its ValueMAC.
    let first_mac = text.find("<ValueMAC>").unwrap();
    let end = text[first_mac..].find("</ValueMAC>").unwrap() + first_mac + "</ValueMAC>".len();
    let no_mac = format!("{}{}", &text[..first_mac], &text[end..]);
    assert_eq!(only(&no_mac, key), ("key HT0001".into(), Problem::EncryptedWithoutMac("ValueMAC")));
    // The file has no MACMethod at all.
    let start = text.find("<MACMethod").unwrap();
    let end = text.find("</MACMethod>").unwrap() + "</MACMethod>".len();
    let no_method = format!("{}{}", &text[..start], &text[end..]);
    assert_eq!(only(&no_method, key), ("file".into(), Problem::EncryptedWithoutMac("MACMethod")));
    // ...nor with no key file: the MAC problem is the file's, whatever the key.
    assert_eq!(only(&no_method, None), ("file".into(), Problem::EncryptedWithoutMac("MACMethod")));
}

#[test]
fn mac_mismatch_names_the_key() {
    let text = doc(PRESHARED, &three());
    let second = text.match_indices("<ValueMAC>").nth(1).unwrap().0 + "<ValueMAC>".len();
    let mut bytes = text.into_bytes();
    bytes[second] = if bytes[second] == b'A' { b'B' } else { b'A' };
    let text = String::from_utf8(bytes).unwrap();
    assert_eq!(only(&text, Some(hex::encode(PSK).as_bytes())), ("key HT0002".into(), Problem::MacMismatch));
}

#[test]
fn unsupported_encryption_and_kdf() {
    let key = hex::encode(PSK);
    let key = Some(key.as_bytes());
    let text = doc(PRESHARED, &three());
    let kw = text.replace(AES128, "http://www.w3.org/2001/04/xmlenc#kw-aes128");
    assert_eq!(only(&kw, key).1.key(), "err.import_unsupported_encryption");
    let x509 = text.replace("<ds:KeyName>Pre-shared-key</ds:KeyName>", "<ds:X509Data>MIIB</ds:X509Data>");
    assert_eq!(only(&x509, key), ("file".into(), Problem::UnsupportedEncryption("EncryptionKey/X509Data".into())));
    let pb = doc(QWERTY, &three());
    let many = pb.replace("<IterationCount>1000<", "<IterationCount>1000001<");
    assert_eq!(only(&many, Some(b"qwerty")).1, Problem::UnsupportedKdf("IterationCount 1000001".into()));
    let zero = pb.replace("<IterationCount>1000<", "<IterationCount>0<");
    assert_eq!(only(&zero, Some(b"qwerty")).1.key(), "err.import_unsupported_kdf");
    let scrypt = pb.replace("pkcs-5v2-0#pbkdf2", "pkcs-5v2-0#scrypt");
    assert_eq!(only(&scrypt, Some(b"qwerty")).1.key(), "err.import_unsupported_kdf");
    let long = pb.replace("<KeyLength>16<", "<KeyLength>32<");
    assert_eq!(only(&long, Some(b"qwerty")).1.key(), "err.import_malformed");
}

// ---------------------------------------------------------------------------------------
// Bad keys and hostile files

#[test]
fn field_problems_are_all_listed_per_key() {
    let toks = vec![
        Tok { serial: "HT\u{1}01", id: "k1", ..Tok::default() },
        Tok { serial: "HT0002", id: "k2", digits: Some("5"), ..Tok::default() },
        Tok { serial: "HT0003", id: "k3", period: Some("0"), ..Tok::default() },
        Tok { serial: "HT0004", id: "k4", period: Some("301"), ..Tok::default() },
        Tok { serial: "HT0005", id: "k5", expiry: Some("2025-06-01T23:59:59Z"), ..Tok::default() },
        Tok { serial: "HT0006", id: "k6", expiry: Some("2025-05-01"), ..Tok::default() },
        Tok { serial: "HT0007", id: "k7", expiry: None, ..Tok::default() },
        Tok { serial: "ht0002", id: "k8", ..Tok::default() },
        Tok { serial: "HT0009", id: "k9", algorithm: HOTP, digits: Some("5"), ..Tok::default() },
        Tok { serial: "HT0010", id: "k10", secret: b"123456789012345", ..Tok::default() },
        Tok { serial: "HT0011", id: "k11", suite: Some("MD5"), digits: None, ..Tok::default() },
        Tok { serial: "", id: "", expiry: Some("next year"), ..Tok::default() },
    ];
    let p = problems(run(&doc(Enc::Plain, &toks), None));
    let expected: Vec<(String, Problem)> = vec![
        ("key id k1".into(), Problem::BadSerial("HT\\u{1}01".into())),
        ("key HT0002".into(), Problem::BadDigits("5".into())),
        ("key HT0003".into(), Problem::BadPeriod("0".into())),
        ("key HT0004".into(), Problem::BadPeriod("301".into())),
        ("key HT0005".into(), Problem::Expired(today())),
        ("key HT0006".into(), Problem::Expired(NaiveDate::from_ymd_opt(2025, 5, 1).unwrap())),
        ("key ht0002".into(), Problem::DuplicateInFile("key #2".into())),
        ("key HT0009".into(), Problem::NotTotp(HOTP.into())),
        ("key HT0010".into(), Problem::SecretTooShort(15)),
        ("key HT0011".into(), Problem::MissingField("ResponseFormat")),
        ("key HT0011".into(), Problem::BadAlgorithm("MD5".into())),
        ("key #12".into(), Problem::MissingField("SerialNo")),
        ("key #12".into(), Problem::BadDate("next year".into())),
    ];
    assert_eq!(p, expected);
}

#[test]
fn a_key_without_an_expiry_gets_the_default_and_is_marked() {
    let toks = vec![
        Tok { serial: "HT0001", id: "k1", ..Tok::default() },
        Tok { serial: "HT0002", id: "k2", expiry: None, ..Tok::default() },
    ];
    let records = run(&doc(Enc::Plain, &toks), None).expect("imported");
    let seen: Vec<(&str, bool, bool)> =
        records.iter().map(|r| (r.serial.as_str(), r.expiry_defaulted, r.expires == five_years())).collect();
    assert_eq!(seen, vec![("HT0001", false, false), ("HT0002", true, true)]);
}

/// A hundred thousand attributes on one element: once quadratic (135 s for 300,000 in an
/// 18 MB file), now refused at the first element past the cap, after reading it once.
#[test]
fn an_element_with_endless_attributes_is_refused_at_the_cap() {
    let plain = doc(Enc::Plain, &[Tok::default()]);
    let attrs: String = (0..100_000).map(|i| format!(" a{i}=\"x\"")).collect();
    let hostile = plain.replace("<DeviceInfo>", &format!("<DeviceInfo{attrs}>"));
    assert_eq!(only(&hostile, None).1, Problem::Malformed("too many attributes on one element".into()));
    // Duplicates are no longer checked by the parser; a real element has a handful.
    let dup = plain.replace(r#"Id="1""#, r#"Id="1" Id="2""#);
    assert!(run(&dup, None).is_ok());
}

#[test]
fn structure_problems() {
    let plain = doc(Enc::Plain, &[Tok::default()]);
    let hex_enc = plain.replace(r#"Encoding="DECIMAL""#, r#"Encoding="HEX""#);
    assert_eq!(only(&hex_enc, None), ("key HT0001".into(), Problem::NotDecimal("HEX".into())));
    let no_secret = plain.replace("<Secret>", "<Unknown>").replace("</Secret>", "</Unknown>");
    assert_eq!(only(&no_secret, None), ("key HT0001".into(), Problem::MissingField("Secret")));
    let bad_b64 = plain.replace(&b64(SEED), "not base64!");
    assert_eq!(only(&bad_b64, None), ("key HT0001".into(), Problem::BadSecret));
    let no_key = plain.replace("<Key ", "<NotKey ").replace("</Key>", "</NotKey>");
    assert_eq!(only(&no_key, None), ("key HT0001".into(), Problem::MissingField("Key")));
    let bare = r#"<KeyContainer><KeyPackage/></KeyContainer>"#;
    assert_eq!(only(bare, None), ("key #1".into(), Problem::MissingField("Key")));
    let no_alg = plain.replace(&format!(r#"Algorithm="{TOTP}""#), "");
    assert_eq!(only(&no_alg, None), ("key HT0001".into(), Problem::MissingField("Algorithm")));
    let both = plain.replacen("</PlainValue>", "</PlainValue><EncryptedValue/>", 1);
    assert_eq!(only(&both, None).1.key(), "err.import_malformed");
    // The earlier of the Policy and DeviceInfo expiry dates counts.
    let device = plain.replace("</DeviceInfo>", "<ExpiryDate>2025-12-31T00:00:00Z</ExpiryDate></DeviceInfo>");
    assert_eq!(run(&device, None).unwrap()[0].expires, NaiveDate::from_ymd_opt(2025, 12, 31).unwrap());
    let only_device = device.replace("<Policy><ExpiryDate>2026-03-31T00:00:00Z</ExpiryDate></Policy>", "");
    assert_eq!(run(&only_device, None).unwrap()[0].expires, NaiveDate::from_ymd_opt(2025, 12, 31).unwrap());
    // An HOTP key next to TOTP ones: only it is named.
    let mixed = doc(Enc::Plain, &[Tok::default(), Tok { serial: "HT0002", algorithm: HOTP, ..Tok::default() }]);
    assert_eq!(only(&mixed, None), ("key HT0002".into(), Problem::NotTotp(HOTP.into())));
    // CDATA and character references are text like any other.
    let cdata = plain.replace("<SerialNo>HT0001</SerialNo>", "<SerialNo><![CDATA[HT]]>&#x30;001</SerialNo>");
    assert_eq!(run(&cdata, None).unwrap()[0].serial, "HT0001");
}

#[test]
fn empty_containers() {
    let empty = r#"<KeyContainer xmlns="urn:ietf:params:xml:ns:keyprov:pskc" Version="1.0"/>"#;
    assert_eq!(only(empty, None), ("file".into(), Problem::NoRecords));
    let with_header = doc(PRESHARED, &[]);
    assert_eq!(only(&with_header, None), ("file".into(), Problem::NoRecords));
}

#[test]
fn hostile_files() {
    let lolz = r#"<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<KeyContainer><KeyPackage><DeviceInfo><SerialNo>&lol3;</SerialNo></DeviceInfo></KeyPackage></KeyContainer>"#;
    assert_eq!(only(lolz, None), ("file".into(), Problem::DtdRefused));
    let xxe = r#"<?xml version="1.0"?><!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><KeyContainer>&xxe;</KeyContainer>"#;
    assert_eq!(only(xxe, None), ("file".into(), Problem::DtdRefused));
    let external_dtd =
        r#"<?xml version="1.0"?><!doctype KeyContainer SYSTEM "http://example.com/x.dtd"><KeyContainer/>"#;
    assert_eq!(only(external_dtd, None), ("file".into(), Problem::DtdRefused));
    let bare_entity = doc(Enc::Plain, &[Tok::default()]).replace("<KeyPackage>", "<!entity x 'y'><KeyPackage>");
    assert_eq!(only(&bare_entity, None), ("file".into(), Problem::DtdRefused));
    let in_comment = doc(Enc::Plain, &[Tok::default()]).replace("<KeyPackage>", "<!-- <!DOCTYPE --><KeyPackage>");
    assert_eq!(only(&in_comment, None), ("file".into(), Problem::DtdRefused));
    // Without a DTD an entity reference is undefined, never expanded.
    let undefined = doc(Enc::Plain, &[Tok::default()]).replace("<SerialNo>HT0001", "<SerialNo>&lol;");
    assert_eq!(
        only(&undefined, None),
        ("line 3".into(), Problem::Malformed(only(&undefined, None).1.detail().unwrap()))
    );
    let undefined_attr = doc(Enc::Plain, &[Tok::default()]).replace(r#"Id="1""#, r#"Id="&lol;""#);
    assert_eq!(only(&undefined_attr, None).1.key(), "err.import_malformed");

    let plain = doc(Enc::Plain, &[Tok::default()]);
    for (name, bad, line) in [
        ("unclosed", plain.replace("</KeyContainer>", ""), "line 7"),
        ("mismatched", plain.replace("</Issuer>", "</Issuer2>"), "line 4"),
        ("wrong root", plain.replace("KeyContainer", "Tokens"), "line 2"),
        ("two roots", format!("{plain}<KeyContainer/>"), "line 7"),
        ("text after root", format!("{plain}junk"), "line 7"),
        ("garbage", "not xml at all".to_string(), "line 1"),
        ("lone lt", "<".to_string(), "line 1"),
        ("bad attribute", plain.replace(r#"Id="1""#, "Id=1"), "line 4"),
        ("two EncryptionKeys", plain.replace("<KeyPackage>", "<EncryptionKey/><EncryptionKey/><KeyPackage>"), "line 3"),
    ] {
        let (location, problem) = only(&bad, None);
        assert_eq!((location.as_str(), problem.key()), (line, "err.import_malformed"), "{name}: {problem:?}");
    }

    let deep = format!(
        "<KeyContainer><KeyPackage>{}{}</KeyPackage></KeyContainer>",
        "<a>".repeat(100_000),
        "</a>".repeat(100_000)
    );
    assert_eq!(only(&deep, None).1, Problem::Malformed("elements nested too deeply".into()));
    let wide = format!("<KeyContainer><KeyPackage>{}</KeyPackage></KeyContainer>", "<a/>".repeat(5000));
    assert_eq!(only(&wide, None).1, Problem::Malformed("too many elements in one KeyPackage".into()));
    // Unknown top-level elements are skipped, however many.
    let ext =
        plain.replace("</KeyContainer>", &format!("<Extensions>{}</Extensions></KeyContainer>", "<a/>".repeat(5000)));
    assert_eq!(run(&ext, None).unwrap().len(), 1);
}

#[test]
fn control_characters_in_serials() {
    let text = doc(Enc::Plain, &[Tok::default()]).replace("<SerialNo>HT0001", "<SerialNo>HT\u{1b}[2J01");
    assert_eq!(only(&text, None), ("key id 1".into(), Problem::BadSerial("HT\\u{1b}[2J01".into())));
    let nul = doc(Enc::Plain, &[Tok::default()]).replace("<SerialNo>HT0001", "<SerialNo>HT&#x0;01");
    assert!(problems(run(&nul, None)).iter().all(|(l, _)| l.is_ascii()));
    let id = doc(Enc::Plain, &[Tok { serial: "\u{7}", id: "\u{7}\u{202e}", ..Tok::default() }]);
    assert_eq!(only(&id, None).0, "key id \\u{7}\\u{202e}");
}

#[test]
fn errors_and_packages_are_capped() {
    let empty = format!("<KeyContainer>{}</KeyContainer>", "<KeyPackage/>".repeat(5_000));
    let p = problems(run(&empty, None));
    assert_eq!(p.len(), super::super::MAX_ERRORS + 1);
    assert_eq!(p[0], ("key #1".into(), Problem::MissingField("Key")));
    assert_eq!(p.last(), Some(&("file".into(), Problem::TooManyErrors)));
    let flood = format!("<KeyContainer>\n{}</KeyContainer>", "<KeyPackage/>".repeat(MAX_KEY_PACKAGES + 1));
    assert_eq!(
        only(&flood, None),
        ("line 2".into(), Problem::Malformed(format!("more than {MAX_KEY_PACKAGES} KeyPackages")))
    );
}

// ---------------------------------------------------------------------------------------
// Never a panic

fn mutate(mut bytes: Vec<u8>, edits: &[(usize, u8, u8)]) -> Vec<u8> {
    for &(at, op, b) in edits {
        if bytes.is_empty() {
            bytes.push(b);
            continue;
        }
        let i = at % bytes.len();
        match op % 4 {
            0 => bytes[i] = b,
            1 => bytes.insert(i, b),
            2 => {
                bytes.remove(i);
            }
            _ => {
                let end = (i + usize::from(b)).min(bytes.len());
                bytes.drain(i..end);
            }
        }
    }
    bytes
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn mutated_pskc_never_panics(edits in prop::collection::vec((any::<usize>(), any::<u8>(), any::<u8>()), 1..8), which in 0usize..4) {
        let (text, key): (String, &[u8]) = match which {
            0 => (doc(Enc::Plain, &three()), b""),
            1 => (doc(PRESHARED, &three()), b"12345678901234567890123456789012"),
            2 => (doc(QWERTY, &three()), b"qwerty"),
            _ => (FIG6.replace(":hotp", ":totp"), b"12345678901234567890123456789012"),
        };
        let bytes = mutate(text.into_bytes(), &edits);
        for k in [None, Some(key), Some(&b"00"[..])] {
            let _ = parse_file(&bytes, Format::Pskc, k, today(), five_years());
        }
    }

    #[test]
    fn xml_soup_never_panics(parts in prop::collection::vec(prop::sample::select(vec![
        "<KeyContainer>", "</KeyContainer>", "<KeyPackage>", "</KeyPackage>", "<Key Algorithm=\"urn:ietf:params:xml:ns:keyprov:pskc:totp\" Id=\"1\">", "</Key>",
        "<Data>", "</Data>", "<Secret>", "</Secret>", "<PlainValue>", "</PlainValue>", "<EncryptedValue>", "</EncryptedValue>",
        "<ValueMAC>", "</ValueMAC>", "<CipherData>", "<CipherValue>", "</CipherValue>", "</CipherData>", "<MACMethod>", "</MACMethod>",
        "<MACKey>", "</MACKey>", "<EncryptionKey>", "</EncryptionKey>", "<DerivedKey>", "<KeyName>k</KeyName>", "MTIzNA==", "&amp;", "&#0;",
        "<![CDATA[x]]>", "<!-- c -->", "<?pi x?>", "<DeviceInfo><SerialNo>A1</SerialNo></DeviceInfo>", "<ExpiryDate>2030-01-01</ExpiryDate>", "\u{0}", "é",
    ]), 0..60)) {
        let text = parts.concat();
        let _ = parse_file(text.as_bytes(), Format::Pskc, Some(b"00112233445566778899aabbccddeeff"), today(), five_years());
        let _ = parse_file(text.as_bytes(), Format::Pskc, None, today(), five_years());
    }
}

/// 10,000 sealed tokens (the import size of docs/spec.md): all read, all distinct. Timed by hand in
/// release with `--nocapture`.
#[test]
fn ten_thousand_sealed_tokens() {
    let serials: Vec<String> = (0..10_000).map(|i| format!("HT{i:06}")).collect();
    let toks: Vec<Tok<'_>> = serials.iter().map(|s| Tok { serial: s, id: s, ..Tok::default() }).collect();
    for (enc, key) in [(PRESHARED, hex::encode(PSK)), (QWERTY, "qwerty".to_string())] {
        let text = doc(enc, &toks);
        let started = std::time::Instant::now();
        let r = run(&text, Some(key.as_bytes())).unwrap();
        println!("10k sealed PSKC ({} bytes): {:?}", text.len(), started.elapsed());
        assert_eq!(r.len(), 10_000);
        assert_eq!(r[9_999].serial, "HT009999");
    }
    let mut dup = toks.clone();
    dup[9_999].serial = "ht000000";
    let p = problems(run(&doc(Enc::Plain, &dup), None));
    assert_eq!(p, vec![("key ht000000".into(), Problem::DuplicateInFile("key #1".into()))]);
}
