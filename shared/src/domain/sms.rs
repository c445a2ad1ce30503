//! How many SMS segments a text bills as: GSM-7 (160 septets, 153 per part when split) when
//! every character is in the GSM 03.38 alphabet, else UCS-2 (70 UTF-16 units, 67 per part).

use super::session::{Template, CODE_PLACEHOLDER};

const GSM_BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
/// Characters of the extension table: an escape septet plus their own.
const GSM_EXTENDED: &str = "\u{c}^{}\\[~]|€";

/// Longest domain the autofill line may name: with it, every shipped SMS template fits one
/// GSM-7 segment (a test in `i18n` proves it).
pub const MAX_AUTOFILL_DOMAIN: usize = 64;

/// How an SMS is encoded on the air.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Gsm7,
    Ucs2,
}

impl Encoding {
    pub fn as_str(self) -> &'static str {
        match self {
            Encoding::Gsm7 => "GSM-7",
            Encoding::Ucs2 => "UCS-2",
        }
    }
}

/// How a caller asked its SMS to be encoded (the Verify API's `data_coding`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DataCoding {
    /// GSM-7 only: content outside it is refused.
    Text,
    /// UCS-2 whatever the content.
    Unicode,
    /// GSM-7 when the content fits it, else UCS-2.
    Auto,
}

impl DataCoding {
    pub fn parse(s: &str) -> Option<DataCoding> {
        match s {
            "text" => Some(DataCoding::Text),
            "unicode" => Some(DataCoding::Unicode),
            "auto" => Some(DataCoding::Auto),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            DataCoding::Text => "text",
            DataCoding::Unicode => "unicode",
            DataCoding::Auto => "auto",
        }
    }
}

/// An SMS's encoding and the segments it is billed as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Measure {
    pub encoding: Encoding,
    pub segments: u32,
}

/// GSM-7 septets of `text`, or `None` when a character is outside GSM 03.38.
fn septets(text: &str) -> Option<u32> {
    text.chars().try_fold(0u32, |n, c| {
        if GSM_BASIC.contains(c) {
            Some(n + 1)
        } else if GSM_EXTENDED.contains(c) {
            Some(n + 2)
        } else {
            None
        }
    })
}

/// Whether every character of `text` is in the GSM-7 alphabet.
pub fn is_gsm7(text: &str) -> bool {
    septets(text).is_some()
}

/// The encoding and segments of `text`; `force_ucs2` when the caller asked for Unicode.
pub fn measure(text: &str, force_ucs2: bool) -> Measure {
    let (encoding, units, single, part) = match septets(text).filter(|_| !force_ucs2) {
        Some(n) => (Encoding::Gsm7, n, 160, 153),
        None => (Encoding::Ucs2, text.encode_utf16().count() as u32, 70, 67),
    };
    let segments = if units <= single {
        1
    } else {
        units.div_ceil(part)
    };
    Measure { encoding, segments }
}

/// The origin-bound last line of the WICG "sms-one-time-codes" format, which iOS, Android
/// (WebOTP) and Chrome need to fill the code into `domain`'s pages, with a blank line before.
pub fn autofill_line(domain: &str, code: &str) -> String {
    format!("\n\n@{domain} #{code}")
}

/// How long an SMS may be as delivered: code, caller text and autofill line together.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limit {
    pub chars: usize,
    pub segments: u32,
    /// Measured as UCS-2 whatever its characters (the Verify API's `data_coding: unicode`).
    pub force_ucs2: bool,
}

impl Limit {
    /// The service's own texts, which tests prove fit one segment.
    pub const NONE: Limit = Limit {
        chars: usize::MAX,
        segments: u32::MAX,
        force_ucs2: false,
    };

    /// Whether `template` rendered with a `code_len`-character code stays within the limit;
    /// `Err` with its characters and measure when it does not.
    pub fn check(&self, template: &str, code_len: usize) -> Result<(), (usize, Measure)> {
        let text = Template {
            text: template.to_string(),
            ..Template::default()
        }
        .render(&"0".repeat(code_len))
        .text;
        let chars = text.chars().count();
        let m = measure(&text, self.force_ucs2);
        match chars <= self.chars && m.segments <= self.segments {
            true => Ok(()),
            false => Err((chars, m)),
        }
    }
}

/// `text` (a template with `{code}`) ending with the autofill line of `domain`, when the SMS it
/// renders to with a `code_len`-character code stays within `limit`; else `text` unchanged.
pub fn with_autofill(text: String, domain: Option<&str>, code_len: usize, limit: Limit) -> String {
    let Some(domain) = domain else { return text };
    let with = text.clone() + &autofill_line(domain, CODE_PLACEHOLDER);
    match limit.check(&with, code_len) {
        Ok(()) => with,
        Err(_) => text,
    }
}

#[cfg(test)]
mod tests {
    /// The segments `text` is billed as.
    fn segments(text: &str) -> u32 {
        super::measure(text, false).segments
    }

    #[test]
    fn gsm_text_fits_160_then_splits_by_153() {
        assert_eq!(segments(""), 1);
        assert_eq!(segments(&"a".repeat(160)), 1);
        assert_eq!(segments(&"a".repeat(161)), 2);
        assert_eq!(segments(&"a".repeat(306)), 2);
        assert_eq!(segments(&"a".repeat(307)), 3);
        // Spanish accents of the GSM alphabet stay GSM; `€` and `{` take two septets.
        assert_eq!(segments(&"ñ".repeat(160)), 1);
        assert_eq!(segments(&"€".repeat(80)), 1);
        assert_eq!(segments(&"€".repeat(81)), 2);
    }

    #[test]
    fn other_text_is_ucs2_by_70_then_67() {
        assert_eq!(segments(&"á".repeat(70)), 1, "á is not in GSM 03.38");
        assert_eq!(segments(&"á".repeat(71)), 2);
        assert_eq!(segments(&"á".repeat(134)), 2);
        assert_eq!(segments(&"á".repeat(135)), 3);
        // An emoji is two UTF-16 units.
        assert_eq!(segments(&"🙂".repeat(35)), 1);
        assert_eq!(segments(&"🙂".repeat(36)), 2);
    }

    #[test]
    fn the_autofill_line_is_added_only_while_the_message_fits() {
        use super::{with_autofill, Limit};
        let t = || "Code: {code}".to_string();
        let chars = |chars| Limit {
            chars,
            ..Limit::NONE
        };
        assert_eq!(with_autofill(t(), None, 6, chars(160)), "Code: {code}");
        let with = with_autofill(t(), Some("example.com"), 6, chars(160));
        assert_eq!(with, "Code: {code}\n\n@example.com #{code}");
        // "Code: " + 6 + "\n\n@example.com #" + 6 = 34 characters.
        assert_eq!(with_autofill(t(), Some("example.com"), 6, chars(34)), with);
        assert_eq!(
            with_autofill(t(), Some("example.com"), 6, chars(33)),
            "Code: {code}"
        );
        // A segment limit counts too: 150 characters and the line make two segments.
        let long = format!("{} {{code}}", "a".repeat(150));
        let one = Limit {
            segments: 1,
            ..Limit::NONE
        };
        assert_eq!(
            with_autofill(long.clone(), Some("example.com"), 6, one),
            long
        );
    }

    #[test]
    fn unicode_can_be_forced_and_is_reported() {
        use super::{measure, Encoding};
        let gsm = "a".repeat(100);
        assert_eq!(measure(&gsm, false).encoding, Encoding::Gsm7);
        assert_eq!(measure(&gsm, true).encoding, Encoding::Ucs2);
        assert_eq!(measure(&gsm, true).segments, 2);
        assert_eq!(measure("código", false).encoding, Encoding::Ucs2);
    }
}
