//! `POST /v1/x-global/security/tele-marketing/otp/generate`.

use super::{parse_sid, session_key, CALLER_PART_LEN, CODE_LEN};
use crate::app::App;
use crate::dialects::header_contract::{send_once, Caller};
use crate::dialects::problem::Problem;
use crate::dialects::Reply;
use crate::domain::code::random_uuid;
use crate::domain::session::CODE_PLACEHOLDER;
use crate::domain::{caller_text, sms, Destination, Family, Policy, E164};
use crate::http::fields::{Faults, FieldError, Input, Location, Str};
use crate::http::{self, header_str};
use crate::service::message::{compose, Compose, Words};
use crate::service::{Binding, NewSession, Resend};
use lambda_http::http::HeaderValue;
use lambda_http::{Body, Request, Response};
use serde::Serialize;

/// Longest SMS the family delivers, prefix + code + suffix with their spaces (and the
/// autofill line only while it fits): at most 3 segments, UCS-2 when an accent needs it.
pub const MAX_SMS_CHARS: usize = 140;
const LIMIT: sms::Limit = sms::Limit {
    chars: MAX_SMS_CHARS,
    ..sms::Limit::NONE
};
/// Characters a message may hold besides ASCII letters, digits and spaces (the seed's list;
/// the accented letters in both cases).
const SPECIALS: &str = "?!#$%&*+-/^_{}@[]~()<>¿¡ñáéíóúüÑÁÉÍÓÚÜ";

/// A generate body, checked.
/// A generate body as sent.
#[derive(Default, serde::Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct GenerateBody {
    customer_id: Input<Str>,
    phone_number: Input<Str>,
    message_prefix: Input<Str>,
    message_suffix: Input<Str>,
}

/// A generate body, checked.
struct Generate {
    customer_id: String,
    phone: E164,
    /// Prefix, code and suffix: the caller's words, within `MAX_SMS_CHARS`.
    words: String,
}

fn parse(req: &Request, caller: &Caller) -> Result<Generate, Problem> {
    let body: GenerateBody = http::body(req)?;
    let mut f = Faults::default();
    let customer_id = f.req("customerId", body.customer_id);
    let phone = f.req("phoneNumber", body.phone_number);
    let prefix = f.req("messagePrefix", body.message_prefix);
    let suffix = f
        .opt("messageSuffix", body.message_suffix)
        .filter(|s| !s.trim().is_empty());
    if let Some(c) = &customer_id {
        customer_rule(&mut f, c);
    }
    let phone = phone.and_then(|p| {
        let parsed = E164::parse_national(&p, &caller.country);
        if parsed.is_none() {
            f.invalid(
                "phoneNumber",
                format!(
                    "must be a valid number of {} (national) or international with +",
                    caller.country
                ),
            );
        }
        parsed
    });
    for (name, text) in [("messagePrefix", &prefix), ("messageSuffix", &suffix)] {
        let Some(text) = text else { continue };
        if text.trim().is_empty() {
            f.invalid(name, "must hold at least 1 character");
        } else if let Some(c) = caller_text::forbidden(text, false) {
            f.invalid(name, caller_text::refusal(c));
        } else if let Some(c) = text.chars().find(|c| !allowed(*c)) {
            f.invalid(
                name,
                format!("`{c}` is not allowed: letters, digits, spaces and {SPECIALS} only"),
            );
        } else if text.contains(CODE_PLACEHOLDER) {
            f.invalid(name, format!("must not contain {CODE_PLACEHOLDER}"));
        }
    }
    let (Some(customer_id), Some(phone), Some(prefix), true) =
        (customer_id, phone, prefix, f.errors.is_empty())
    else {
        return Err(Problem::invalid(f.errors));
    };
    let delivered = usize::from(CODE_LEN - CALLER_PART_LEN);
    let prefix = prefix.trim();
    let mut text = caller_text::around_code(&format!("{prefix} "), "");
    let without_suffix = prefix.chars().count() + 1 + delivered;
    let mut length = without_suffix;
    if let Some(s) = &suffix {
        text = format!("{text} {}", caller_text::literal(s.trim()));
        length += 1 + s.trim().chars().count();
    }
    if length > MAX_SMS_CHARS {
        let field = match suffix {
            Some(_) if without_suffix <= MAX_SMS_CHARS => "messageSuffix",
            _ => "messagePrefix",
        };
        let message = format!("the SMS would be {length} characters (prefix, {delivered}-character code, suffix); at most {MAX_SMS_CHARS}");
        return Err(FieldError::invalid(Location::Body, field, message).into());
    }
    Ok(Generate {
        customer_id,
        phone,
        words: text,
    })
}

fn allowed(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == ' ' || SPECIALS.contains(c)
}

/// `customerId`: the customer's login id, 1-64 characters, no control characters.
pub(super) fn customer_rule(f: &mut Faults, id: &str) {
    if id.trim().is_empty() || id.chars().count() > 64 || id.chars().any(char::is_control) {
        f.invalid("customerId", "must be 1-64 characters");
    }
}

pub async fn handle(app: &App, req: &Request, language: &str) -> Result<Reply, Problem> {
    send_once(app, req, Family::Telemarketing, |caller| {
        open(app, req, language, caller)
    })
    .await
}

async fn open(
    app: &App,
    req: &Request,
    language: &str,
    caller: Caller,
) -> Result<Response<Body>, Problem> {
    // With a `sid`, a resend of that session; without, a new one.
    let sid = header_str(req, "sid").map(parse_sid).transpose()?;
    let body = parse(req, &caller)?;
    let destination = Destination::Phone(body.phone);
    let resend = sid.is_some();
    let sid = match sid {
        Some(sid) => sid,
        None => app.new_session_id(&destination, random_uuid)?,
    };
    // The SMS carries the code less the part the caller keeps.
    let delivered = usize::from(CODE_LEN - CALLER_PART_LEN);
    let words = Words::Caller {
        template: body.words,
        limit: LIMIT,
    };
    let message = compose(
        &app.config,
        Compose::sms(&caller.client, language, delivered, words),
    )?;
    let key = session_key(&caller.client, &sid);
    let issued = if resend {
        app.resend(Resend {
            to: Some(destination),
            template: Some(message.template),
            subject: Some(&body.customer_id),
            ..Resend::of(&caller.client, &key)
        })
        .await?
    } else {
        app.send(NewSession {
            key,
            client: caller.client.clone(),
            destination,
            policy: Policy {
                code_length: CODE_LEN,
                caller_part_len: CALLER_PART_LEN,
                alphabet: app.config.telemarketing_alphabet,
                ..app.config.policy
            },
            language: language.to_string(),
            message,
            family: caller.attributes(),
            binding: Binding::Subject(body.customer_id),
        })
        .await?
    };
    let caller_part = issued.caller_part.as_ref().map(|c| c.expose().to_string());
    let mut res = http::ok(&Generated {
        one_time_password_token: caller_part,
    });
    if let Ok(value) = HeaderValue::from_str(&sid) {
        res.headers_mut().insert("sid", value);
    }
    Ok(res)
}

/// A generate answer: the part of the code the caller keeps.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Generated {
    one_time_password_token: Option<String>,
}
