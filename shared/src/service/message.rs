//! What a session's messages say, for every family: the service's own text in the session's
//! language or the caller's text around the code, the autofill line while the SMS stays within
//! the family's limit, and the sender id. A family passes its caller text and its limit;
//! nothing else decides what a message says.

use crate::config::Config;
use crate::domain::{i18n, sms, Channel, Template};

/// Where a message's words come from.
pub enum Words<'a> {
    /// The service's one-line SMS in the session's language.
    Default,
    /// A template of the service by key (`i18n::template`): for email, subject, text and HTML.
    Named(&'a str),
    /// The caller's words around the code, already a template (`caller_text::around_code`) and
    /// checked against `limit` by the family, which names its field when it is not.
    Caller { template: String, limit: sms::Limit },
}

/// One message to compose.
pub struct Compose<'a> {
    pub client: &'a str,
    pub language: &'a str,
    pub channel: Channel,
    /// Characters of the code the message carries (telemarketing delivers 8 of its 11).
    pub code_len: usize,
    pub words: Words<'a>,
    /// The caller's sender id (the Verify API's `originator`); else the configured one.
    pub sender_id: Option<String>,
}

impl<'a> Compose<'a> {
    /// An SMS of `code_len`-character codes for `client` in `language`, from the configured
    /// sender id.
    pub fn sms(client: &'a str, language: &'a str, code_len: usize, words: Words<'a>) -> Self {
        Compose {
            client,
            language,
            channel: Channel::Sms,
            code_len,
            words,
            sender_id: None,
        }
    }
}

/// A composed message: its template (the code still a placeholder) and sender id.
#[derive(Clone, Debug)]
pub struct Composed {
    pub template: Template,
    pub sender_id: Option<String>,
}

/// A template key no language has.
#[derive(Debug, PartialEq, Eq)]
pub struct UnknownTemplate;

/// The message `c` asks for.
pub fn compose(config: &Config, c: Compose) -> Result<Composed, UnknownTemplate> {
    let sms = c.channel == Channel::Sms;
    let (mut template, limit) = match c.words {
        Words::Default => (
            Template::sms(i18n::default_sms(c.language)),
            sms::Limit::NONE,
        ),
        Words::Named(key) => {
            let template = i18n::template(key, c.language, sms).ok_or(UnknownTemplate)?;
            (template, sms::Limit::NONE)
        }
        Words::Caller { template, limit } => (Template::sms(template), limit),
    };
    if sms {
        // The service's own texts keep the line always (tests prove they fit one segment);
        // the caller's only while the whole SMS stays within the family's limit.
        let domain = config.autofill.domain(c.client);
        template.text = sms::with_autofill(template.text, domain, c.code_len, limit);
    }
    Ok(Composed {
        template,
        sender_id: c.sender_id.or_else(|| config.sms_sender_id.clone()),
    })
}
