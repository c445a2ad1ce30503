//! How many SMS segments a text bills as: GSM-7 (160 septets, 153 per part when split) when
//! every character is in the GSM 03.38 alphabet, else UCS-2 (70 UTF-16 units, 67 per part).

const GSM_BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
/// Characters of the extension table: an escape septet plus their own.
const GSM_EXTENDED: &str = "\u{c}^{}\\[~]|€";

/// The segments `text` is billed as (at least 1).
pub fn segments(text: &str) -> u32 {
    let septets = text.chars().try_fold(0u32, |n, c| {
        if GSM_BASIC.contains(c) {
            Some(n + 1)
        } else if GSM_EXTENDED.contains(c) {
            Some(n + 2)
        } else {
            None
        }
    });
    let (units, single, part) = match septets {
        Some(n) => (n, 160, 153),
        None => (text.encode_utf16().count() as u32, 70, 67),
    };
    if units <= single {
        1
    } else {
        units.div_ceil(part)
    }
}

#[cfg(test)]
mod tests {
    use super::segments;

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
}
