//! Where codes go: phone numbers valid for their country (libphonenumber's rules and metadata,
//! by `rlibphonenumber`; E.164), email addresses, and the masks that stand for them in logs
//! and reports.

use prost::Message;
use rlibphonenumber::enums::Region;
use rlibphonenumber::{PhoneMetadataCollection, PhoneNumber, PhoneNumberFormat, PhoneNumberUtil};
use serde::{Deserialize, Serialize};
use std::sync::LazyLock;

/// Region code libphonenumber gives numbers of no country (+800, +881, +882…).
pub const NON_GEOGRAPHIC: &str = "001";

/// libphonenumber's metadata as rlibphonenumber ships it, less what parsing, validation and
/// E.164 never read (number formats, example numbers), zlib-compressed: 36 KB instead of
/// 229 KB in each binary that parses numbers. Written by `scripts/trim_phone_metadata.py` from
/// the crate's `metadata.bin` (`scripts/phone-metadata.sh`).
const METADATA: &[u8] = include_bytes!("phone-metadata.pb.zlib");

/// Decoded once per process, on the first number or at `E164::warm_up`.
pub(crate) static PHONES: LazyLock<PhoneNumberUtil> = LazyLock::new(|| {
    let bytes =
        miniz_oxide::inflate::decompress_to_vec_zlib(METADATA).expect("embedded phone metadata");
    let collection = PhoneMetadataCollection::decode(&bytes[..]).expect("embedded phone metadata");
    PhoneNumberUtil::new_for_metadata(collection).expect("embedded phone metadata")
});

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    Sms,
    Email,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Sms => "sms",
            Channel::Email => "email",
        }
    }

    pub fn parse(s: &str) -> Option<Channel> {
        match s {
            "sms" => Some(Channel::Sms),
            "email" => Some(Channel::Email),
            _ => None,
        }
    }
}

/// A phone number valid for its country, in E.164 (`+12025550123`). Only `parse` and
/// `parse_national` make one from input, so an invalid or fictional number cannot reach SNS.
/// Equal when the numbers are.
#[derive(Clone, Debug)]
pub struct E164 {
    number: String,
    /// Known when parsed, and stored with the session: reading a session (verify, check,
    /// report, the stream) then never loads libphonenumber's metadata (tens of ms).
    origin: Option<Origin>,
}

/// Where a number belongs, worked out by libphonenumber when the number was parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    /// With its `+` (`+52`).
    pub calling_code: String,
    /// ISO 3166-1 alpha-2 (`MX`); `None` for non-geographic numbers.
    pub country: Option<String>,
}

impl PartialEq for E164 {
    fn eq(&self, other: &E164) -> bool {
        self.number == other.number
    }
}

impl Eq for E164 {}

impl std::hash::Hash for E164 {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.number.hash(state);
    }
}

impl E164 {
    /// An international number; the `+` is optional (`971501234567`), and spaces, dashes,
    /// dots and parentheses are ignored.
    pub fn parse(input: &str) -> Option<E164> {
        Self::parse_in(&PHONES, input)
    }

    fn parse_in(phones: &PhoneNumberUtil, input: &str) -> Option<E164> {
        let input = input.trim();
        let digits = plain(input.strip_prefix('+').unwrap_or(input))?;
        Self::valid(phones, phones.parse(format!("+{digits}"), None).ok()?)
    }

    /// A national number of `country` (ISO 3166-1 alpha-2, e.g. `MX`), or an international
    /// one with its `+`.
    pub fn parse_national(input: &str, country: &str) -> Option<E164> {
        Self::parse_national_in(&PHONES, input, country)
    }

    fn parse_national_in(phones: &PhoneNumberUtil, input: &str, country: &str) -> Option<E164> {
        let input = input.trim();
        if input.starts_with('+') {
            return Self::parse_in(phones, input);
        }
        let upper = country.to_ascii_uppercase();
        // Any two letters name a `Region`; only the metadata's regions have numbers.
        if !super::regions::known(&upper) {
            return None;
        }
        let region = upper.parse::<Region>().ok()?;
        Self::valid(phones, phones.parse(plain(input)?, Some(region)).ok()?)
    }

    /// A number the store holds: validated when it was written, so taken as it is, with the
    /// origin stored beside it (`None` for sessions written before origins were stored).
    pub fn from_stored(number: &str, origin: Option<Origin>) -> E164 {
        E164 {
            number: number.to_string(),
            origin,
        }
    }

    /// Decodes the phone metadata now rather than on the first number (a few ms of CPU): a
    /// send function calls it in Lambda's init, which runs at full CPU, before its first
    /// request, which runs at the memory size's share.
    pub fn warm_up() {
        let _ = Self::parse("+12025550123");
    }

    fn valid(phones: &PhoneNumberUtil, number: PhoneNumber) -> Option<E164> {
        if !phones.is_valid_number(&number) {
            return None;
        }
        let country = phones
            .get_region_for_number(&number)
            .filter(|r| *r != Region::World)
            .map(|r| r.as_region_str().as_str().to_string());
        Some(E164 {
            number: phones.format(&number, PhoneNumberFormat::E164).into_owned(),
            origin: Some(Origin {
                calling_code: format!("+{}", number.country_code),
                country,
            }),
        })
    }

    pub fn as_str(&self) -> &str {
        &self.number
    }

    /// Calling code and country, as parsed or stored.
    pub fn origin(&self) -> Option<&Origin> {
        self.origin.as_ref()
    }

    /// The country calling code with its `+` (`+52`). For a session stored without its origin,
    /// the number is parsed again (loading libphonenumber's metadata on first use).
    pub fn calling_code(&self) -> Option<String> {
        match &self.origin {
            Some(o) => Some(o.calling_code.clone()),
            None => Self::parse(&self.number)?.origin.map(|o| o.calling_code),
        }
    }

    /// ISO 3166-1 alpha-2 country of the number (`US`, `MX`); `None` for non-geographic ones,
    /// and for sessions stored without their origin (metrics and events go without it rather
    /// than load libphonenumber in functions that only read sessions).
    pub fn country(&self) -> Option<String> {
        self.origin.as_ref()?.country.clone()
    }
}

/// The digits of a written number, or `None` if it holds anything but digits and separators.
fn plain(input: &str) -> Option<String> {
    let mut digits = String::with_capacity(input.len());
    for c in input.chars() {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '-' | '.' | '(' | ')' => {}
            _ => return None,
        }
    }
    (!digits.is_empty() && digits.len() <= 17).then_some(digits)
}

/// A plausible email address: one `@`, a non-empty local part, a dotted domain, no spaces.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    pub fn parse(input: &str) -> Option<Email> {
        let s = input.trim();
        let (local, domain) = s.split_once('@')?;
        let ok = !local.is_empty()
            && local.len() <= 64
            && s.len() <= 254
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains('@')
            && s.chars().all(|c| c.is_ascii_graphic());
        ok.then(|| Email(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The address as addresses are matched (test recipients, suppressions).
    pub fn folded(&self) -> String {
        fold_email(&self.0)
    }
}

/// An email address as addresses are matched: ASCII case folded, so that the address a
/// provider reports back finds the one a caller wrote.
pub fn fold_email(address: &str) -> String {
    address.to_ascii_lowercase()
}

/// Where a code goes; the channel follows from it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Destination {
    Phone(E164),
    Email(Email),
}

impl Destination {
    pub fn channel(&self) -> Channel {
        match self {
            Destination::Phone(_) => Channel::Sms,
            Destination::Email(_) => Channel::Email,
        }
    }

    /// The country SMS rules and metrics know a destination by: the number's region,
    /// `NON_GEOGRAPHIC` for numbers of none; `None` for email.
    pub fn sms_country(&self) -> Option<String> {
        match self {
            Destination::Phone(p) => Some(p.country().unwrap_or_else(|| NON_GEOGRAPHIC.into())),
            Destination::Email(_) => None,
        }
    }

    /// The number or address as SNS / SES take it.
    pub fn as_str(&self) -> &str {
        match self {
            Destination::Phone(p) => p.as_str(),
            Destination::Email(e) => e.as_str(),
        }
    }

    /// A destination the store holds (channel, value and, for numbers, origin as written).
    pub fn from_stored(channel: Channel, value: &str, origin: Option<Origin>) -> Destination {
        match channel {
            Channel::Sms => Destination::Phone(E164::from_stored(value, origin)),
            Channel::Email => Destination::Email(Email(value.to_string())),
        }
    }

    /// What logs and reports show instead of the destination.
    pub fn masked(&self) -> String {
        mask(self.as_str())
    }
}

/// Masks a destination for logs and status reports: `+4477******89`, `j***@example.com`.
pub fn mask(destination: &str) -> String {
    if let Some((local, domain)) = destination.split_once('@') {
        let first: String = local.chars().take(1).collect();
        return format!("{first}***@{domain}");
    }
    let chars: Vec<char> = destination.chars().collect();
    if chars.len() <= 6 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 2..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 6))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e164(s: &str) -> Option<String> {
        E164::parse(s).map(|p| p.as_str().to_string())
    }

    #[test]
    fn the_trimmed_metadata_judges_every_corpus_number_as_the_crate_s_full_metadata() {
        // Catches a phone-metadata.pb.zlib left behind by an rlibphonenumber upgrade.
        let full = &*rlibphonenumber::PHONE_NUMBER_UTIL;
        let corpus = include_str!("../../../tests/phones/corpus.tsv");
        let mut differ = Vec::new();
        for line in corpus.lines().skip(1) {
            let [input, region, ..] = line.split('\t').collect::<Vec<_>>()[..] else {
                panic!("malformed line {line:?}");
            };
            let judge = |phones| {
                match region {
                    "" => E164::parse_in(phones, input),
                    r => E164::parse_national_in(phones, input, r),
                }
                .map(|p| (p.number, p.origin))
            };
            if judge(&PHONES) != judge(full) {
                differ.push(line);
            }
        }
        assert!(differ.is_empty(), "{} differ: {differ:?}", differ.len());
    }

    #[test]
    fn numbers_libphonenumber_refuses_are_refused() {
        // Accepted by the `phonenumber` crate this replaced, refused by libphonenumber 9.0.33+:
        // each would have been an SMS paid for and never delivered.
        for refused in ["+86 10 1234040", "+63 2 3234559", "+86 10 123456023"] {
            assert_eq!(e164(refused), None, "{refused}");
        }
        assert_eq!(
            E164::parse_national("5512345678", "XX"),
            None,
            "not a region"
        );
    }

    #[test]
    fn phones_normalise_to_e164_and_know_their_country() {
        assert_eq!(e164("+44 7400-000001").as_deref(), Some("+447400000001"));
        assert_eq!(e164("971501234567").as_deref(), Some("+971501234567"));
        assert_eq!(e164("+1 (202) 555-0123").as_deref(), Some("+12025550123"));
        let mx = E164::parse("+52 55 1234 5678").unwrap();
        assert_eq!(
            (mx.as_str(), mx.country().as_deref()),
            ("+525512345678", Some("MX"))
        );
        assert_eq!(mx.calling_code().as_deref(), Some("+52"));
        let es = E164::parse("+34 612 345 678").unwrap();
        assert_eq!(es.country().as_deref(), Some("ES"));
        assert_eq!(E164::from_stored("+34612345678", None), es);
        assert_eq!(E164::from_stored("+34612345678", None).country(), None);
        let stored = E164::from_stored("+34612345678", es.origin().cloned());
        assert_eq!(stored.country().as_deref(), Some("ES"));
        assert_eq!(stored.calling_code().as_deref(), Some("+34"));
        assert_eq!(
            E164::from_stored("+34612345678", None)
                .calling_code()
                .as_deref(),
            Some("+34"),
            "a session stored before origins were parses again"
        );
        for bad in [
            "",
            "+",
            "12345",
            "0044770090012",
            "+44abc",
            "+1234567890123456",
            "++4477009001",
        ] {
            assert_eq!(e164(bad), None, "{bad}");
        }
    }

    #[test]
    fn numbers_invalid_for_their_country_are_refused() {
        // Fictional or retired ranges libphonenumber refuses: NANP 555-01xx outside real area
        // codes, Mexico's old mobile `1`, the UK's drama range.
        for bad in [
            "+1 555 555 0101",
            "+52 1 55 1234 5678",
            "+44 7700 900123",
            "+1 202 055 0123",
        ] {
            assert_eq!(e164(bad), None, "{bad}");
        }
    }

    #[test]
    fn national_numbers_take_their_country_from_the_caller() {
        let p = E164::parse_national("55 1234 5678", "mx").unwrap();
        assert_eq!(
            (p.as_str(), p.country().as_deref()),
            ("+525512345678", Some("MX"))
        );
        assert_eq!(
            E164::parse_national("+34612345678", "MX").unwrap().as_str(),
            "+34612345678"
        );
        assert!(E164::parse_national("1234", "MX").is_none());
        assert!(E164::parse_national("5512345678", "XX").is_none());
    }

    #[test]
    fn emails_are_checked() {
        assert_eq!(
            Email::parse(" ana@example.com ").map(|e| e.0),
            Some("ana@example.com".to_string())
        );
        for bad in [
            "",
            "ana",
            "@example.com",
            "ana@example",
            "ana@@x.com",
            "a na@x.com",
            "ana@.com",
        ] {
            assert_eq!(Email::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn masks_hide_most_of_the_destination() {
        assert_eq!(mask("+447400000123"), "+447*******23");
        assert_eq!(mask("ana@example.com"), "a***@example.com");
        assert_eq!(mask("+123"), "****");
    }
}
