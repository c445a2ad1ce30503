//! Text a caller supplies to go out in a message (the Verify API's `content` and `originator`,
//! the telemarketing prefix and suffix): content, never a template language, and nothing a
//! terminal, a phone or a log reader would act on instead of showing.

use super::session::CODE_PLACEHOLDER;

/// The first character caller text may not hold, if any: control characters (C0, DEL, C1;
/// a line feed only when `multiline`), bidirectional embeddings, overrides and isolates
/// (U+202A–U+202E, U+2066–U+2069) and invisible format characters (U+200B–U+200F, U+2060,
/// U+FEFF). They reorder or hide what a reader sees, or forge lines in logs and consoles.
pub fn forbidden(text: &str, multiline: bool) -> Option<char> {
    text.chars()
        .find(|&c| unseen(c) && !(multiline && c == '\n'))
}

/// Whether `c` acts on a terminal, a line or the text's direction instead of showing.
pub fn unseen(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
        || matches!(c, '\u{200B}'..='\u{200F}' | '\u{2060}' | '\u{FEFF}')
}

/// `text` on one line: a backslash, a line feed and every `unseen` character escaped
/// (`\\`, `\n`, `\u{1b}`), so that printing it can neither forge a line nor drive a terminal.
pub fn one_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if unseen(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// Why `forbidden` refused a character, naming it by code point (it may not print).
pub fn refusal(c: char) -> String {
    format!(
        "must not contain control, bidirectional or invisible characters (found U+{:04X})",
        c as u32
    )
}

/// `text` as literal template text: the service's placeholders in it are never expanded
/// (`{` is written `{{`, which `Template::render` turns back into `{`).
pub fn literal(text: &str) -> String {
    text.replace('{', "{{")
}

/// A template of `before`, the code, then `after`, each literal.
pub fn around_code(before: &str, after: &str) -> String {
    format!("{}{CODE_PLACEHOLDER}{}", literal(before), literal(after))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Template;

    #[test]
    fn controls_bidi_and_invisible_characters_are_refused() {
        for bad in [
            "a\0b",
            "\u{7}",
            "\u{1b}[31m",
            "\u{85}",
            "x\u{202E}y",
            "\u{2067}",
            "\u{200F}",
            "\u{FEFF}",
            "\u{2060}",
            "\r",
        ] {
            assert!(forbidden(bad, true).is_some(), "{bad:?}");
        }
        assert_eq!(forbidden("two\nlines", true), None);
        assert_eq!(forbidden("two\nlines", false), Some('\n'));
        assert_eq!(forbidden("Código: ñ € 🙂 {}", false), None);
        assert_eq!(
            refusal('\u{202E}'),
            "must not contain control, bidirectional or invisible characters (found U+202E)"
        );
    }

    #[test]
    fn printed_text_stays_on_one_line_and_drives_no_terminal() {
        assert_eq!(
            one_line("a\n{\"level\":\"ERROR\"}\u{1b}[2J\\\u{202E}z"),
            "a\\n{\"level\":\"ERROR\"}\\u{1b}[2J\\\\\\u{202e}z"
        );
    }

    #[test]
    fn caller_text_is_never_a_template() {
        let t = Template {
            text: around_code("Code ", " and {code} or {{x}}"),
            ..Template::default()
        };
        assert_eq!(t.render("123456").text, "Code 123456 and {code} or {{x}}");
    }
}
