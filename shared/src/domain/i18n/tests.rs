use super::*;
use crate::domain::sms::{self, Encoding, MAX_AUTOFILL_DOMAIN};

#[test]
fn query_parameter_wins_then_accept_language_by_q_then_fallback() {
    assert_eq!(negotiate(Some("es"), Some("en"), "en"), "es");
    assert_eq!(negotiate(Some("xx"), Some("es-MX"), "en"), "es");
    assert_eq!(
        negotiate(None, Some("it;q=1, en;q=0.5, fr;q=0.8"), "en"),
        "fr"
    );
    assert_eq!(negotiate(None, Some("es;q=0, en"), "es"), "en");
    assert_eq!(negotiate(None, Some("it, nl"), "de"), "de");
    assert_eq!(negotiate(None, None, "xx"), "en");
}

#[test]
fn regional_tags_fall_back_to_their_language() {
    assert_eq!(negotiate(Some("pt-BR"), None, "en"), "pt");
    assert_eq!(negotiate(None, Some("fr-CA,en;q=0.5"), "en"), "fr");
    assert_eq!(negotiate(None, Some("de_AT"), "en"), "de");
    assert_eq!(negotiate(None, None, "pt-PT"), "pt");
}

#[test]
fn every_language_has_every_key() {
    assert_eq!(
        supported_codes().collect::<Vec<_>>(),
        ["en", "es", "pt", "fr", "de"]
    );
    for lang in LANGUAGES {
        let l = lang.code;
        for key in TEMPLATE_KEYS {
            for sms in [true, false] {
                let t = template(key, l, sms).unwrap_or_else(|| panic!("{l}/{key}"));
                assert_eq!(t.text.matches("{code}").count(), 1, "{l}/{key}/{sms}");
                assert_eq!(t.subject.is_none(), sms, "{l}/{key}");
                if let Some(html) = t.html {
                    assert!(html.contains(&format!("lang=\"{l}\"")) && html.contains("{code}"));
                }
            }
        }
        assert_eq!(lang.default_sms.matches("{code}").count(), 1, "{l}");
        assert!(!lang.warning.is_empty(), "{l}");
        for text in Text::ALL {
            assert!(!text.in_language(l).is_empty(), "{l}/{text:?}");
        }
        if l != "en" {
            let translated = Text::ALL
                .iter()
                .filter(|t| t.in_language(l) != t.in_language("en"))
                .count();
            assert_eq!(translated, Text::ALL.len(), "{l}: every text translated");
        }
    }
    assert!(template("nope", "en", true).is_none());
}

#[test]
fn every_shipped_sms_fits_one_segment_with_the_longest_code_and_the_autofill_line() {
    let code = "W".repeat(10);
    let domain = format!("{}.com", "a".repeat(MAX_AUTOFILL_DOMAIN - 4));
    for lang in LANGUAGES {
        let texts = TEMPLATE_KEYS
            .iter()
            .map(|k| template(k, lang.code, true).unwrap().text)
            .chain([default_sms(lang.code)]);
        for text in texts {
            let sms = text.replace("{code}", &code) + &sms::autofill_line(&domain, &code);
            let m = sms::measure(&sms, false);
            assert_eq!(
                (m.encoding, m.segments),
                (Encoding::Gsm7, 1),
                "{}: {sms:?} ({} characters)",
                lang.code,
                sms.chars().count()
            );
        }
    }
}

#[test]
fn emails_say_it_in_the_language_asked() {
    let t = template("login", "pt", false).unwrap();
    assert_eq!(t.subject.as_deref(), Some("Seu código de acesso"));
    assert!(t.text.starts_with("Seu código de acesso: {code}"));
    assert_eq!(
        template("login", "de", true).unwrap().text,
        "Ihr Anmeldecode lautet {code}"
    );
}
