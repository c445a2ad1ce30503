//! `POST /verify/v1/otp/send-otp`.

use super::{session_key, Opened, OtpStatus};
use crate::app::App;
use crate::dialects::auth::bearer_client;
use crate::dialects::idempotency;
use crate::dialects::problem::Problem;
use crate::dialects::Reply;
use crate::domain::code::random_uuid;
use crate::domain::sms::{self, DataCoding};
use crate::domain::{
    caller_text, Alphabet, Channel, Destination, Family, FamilyAttributes, Policy, E164,
};
use crate::http;
use crate::http::fields::{Fault, Faults, Input, Str, Text, Whole};
use crate::service::message::{compose, Compose, Composed, Words};
use crate::service::{Binding, NewSession};
use lambda_http::{Body, Request, Response};

/// The most one send may cost the caller, as delivered (code and autofill line included):
/// the seed's 640-character content limit, which is 5 GSM-7 segments.
const CONTENT_LIMIT: sms::Limit = sms::Limit {
    chars: 640,
    segments: 5,
    force_ucs2: false,
};

/// A send-otp body as sent: every documented field, each also as `null`.
#[derive(Default, serde::Deserialize)]
#[serde(default)]
struct SendOtpBody {
    recipient: Input<Text>,
    originator: Input<Text>,
    content: Input<Str>,
    template_id: Input<Text>,
    channel: Input<Str>,
    expiry: Input<Whole>,
    data_coding: Input<Str>,
    retry_delay: Input<Whole>,
    retry_count: Input<Whole>,
    otp_code_length: Input<Whole>,
    otp_type: Input<Str>,
    success_url: Input<Str>,
    failure_url: Input<Str>,
}

/// A send-otp body, checked.
struct SendOtp {
    recipient: E164,
    language: String,
    /// The text and the originator (the caller's, or the configured sender id).
    message: Composed,
    policy: Policy,
    family: FamilyAttributes,
}

fn parse(app: &App, req: &Request, client: &str) -> Result<SendOtp, Problem> {
    let body: SendOtpBody = http::body(req)?;
    let mut f = Faults::default();
    let recipient = f.opt("recipient", body.recipient);
    let originator = f.opt("originator", body.originator);
    let content = f.opt("content", body.content);
    let template_id = f.opt("template_id", body.template_id);
    let channel = f.opt("channel", body.channel);
    let expiry = f.opt_whole("expiry", body.expiry, 30..=86_400);
    // `Some(None)`: given, and not one of the three (refused below, in the order fields are checked).
    let data_coding = f
        .opt("data_coding", body.data_coding)
        .map(|d| DataCoding::parse(&d));
    let retry_delay = f.opt_whole("retry_delay", body.retry_delay, 0..=3_600);
    let retry_count = f.opt_whole("retry_count", body.retry_count, 0..=20);
    let code_length = f.opt_whole("otp_code_length", body.otp_code_length, 2..=10);
    let otp_type = f.opt("otp_type", body.otp_type);
    let success_url = f.opt("success_url", body.success_url);
    let failure_url = f.opt("failure_url", body.failure_url);

    let recipient = match recipient {
        None => {
            f.fail("recipient", Fault::Missing);
            None
        }
        Some(r) => {
            let phone = E164::parse(&r);
            if phone.is_none() {
                f.invalid(
                    "recipient",
                    "Recipient must be a valid phone number in international format, e.g. +971501234567",
                );
            }
            phone
        }
    };
    let originator_ok = |o: &str| {
        let numeric = o.len() <= 15 && o.chars().all(|c| c.is_ascii_digit() || c == '+');
        let alpha =
            o.chars().count() <= 11 && o.chars().all(|c| c.is_ascii_alphanumeric() || c == ' ');
        !o.trim().is_empty() && (numeric || alpha)
    };
    if originator.as_deref().is_some_and(|o| !originator_ok(o)) {
        f.invalid(
            "originator",
            "Originator must be up to 11 letters/digits or a phone number",
        );
    }
    let limit = sms::Limit {
        force_ucs2: data_coding == Some(Some(DataCoding::Unicode)),
        ..CONTENT_LIMIT
    };
    let code_len = code_length.map_or(app.config.policy.code_length.into(), |n| n as usize);
    let content =
        content.and_then(
            |c| match content_template(&c, data_coding.flatten(), limit, code_len) {
                Ok(template) => Some(template),
                Err(message) => {
                    f.invalid("content", message);
                    None
                }
            },
        );
    if channel.is_some_and(|c| Channel::parse(&c.to_ascii_lowercase()) != Some(Channel::Sms)) {
        f.invalid("channel", "Only SMS is supported");
    }
    if data_coding == Some(None) {
        f.invalid("data_coding", "Input should be 'text', 'unicode' or 'auto'");
    }
    if code_length.is_some_and(|n| n < 4) {
        f.invalid(
            "otp_code_length",
            "Codes shorter than 4 characters are too weak",
        );
    }
    let alphabet = match otp_type.as_deref() {
        None => Some(Alphabet::Numeric),
        Some(t) => Alphabet::parse(t),
    };
    if alphabet.is_none() {
        f.invalid(
            "otp_type",
            "Input should be 'numeric', 'alpha' or 'alphanumeric'",
        );
    }
    for (name, url) in [("success_url", &success_url), ("failure_url", &failure_url)] {
        if url.as_deref().is_some_and(|u| {
            !(u.starts_with("https://") || u.starts_with("http://")) || u.len() > 2048
        }) {
            f.invalid(name, "Input should be a valid URL");
        }
    }
    let Some(recipient) = recipient.filter(|_| f.errors.is_empty()) else {
        return Err(Problem::invalid(f.errors));
    };

    let lang = http::language(req, &app.config.default_language);
    let code_length = code_length.unwrap_or(u64::from(app.config.policy.code_length)) as u8;
    let words = match content {
        Some(template) => Words::Caller { template, limit },
        None => Words::Default,
    };
    let message = Compose {
        sender_id: originator,
        ..Compose::sms(client, &lang, code_length.into(), words)
    };
    let message = compose(&app.config, message)?;
    let defaults = app.config.verify_defaults;
    Ok(SendOtp {
        recipient,
        language: lang,
        message,
        policy: Policy {
            validity_secs: expiry.map_or(defaults.expiry_secs, |v| v as u32),
            resend_cooldown_secs: retry_delay.map_or(defaults.retry_delay_secs, |v| v as u32),
            max_sends: retry_count.map_or(defaults.retry_count, |v| v as u32) + 1,
            code_length,
            alphabet: alphabet.unwrap_or(Alphabet::Numeric),
            ..app.config.policy
        },
        family: FamilyAttributes::VerifyApi {
            template_id,
            data_coding: data_coding.flatten(),
            success_url,
            failure_url,
        },
    })
}

/// The caller's `content` as a template: one `{}` where the code goes, the rest literal, no
/// character a reader would not see, and within `limit` as delivered.
fn content_template(
    content: &str,
    data_coding: Option<DataCoding>,
    limit: sms::Limit,
    code_len: usize,
) -> Result<String, String> {
    let Some((before, after)) = content.split_once("{}").filter(|(_, a)| !a.contains("{}")) else {
        return Err("Content must contain exactly one {} where the OTP code goes".into());
    };
    if let Some(c) = caller_text::forbidden(content, true) {
        return Err(format!("Content {}", caller_text::refusal(c)));
    }
    if data_coding == Some(DataCoding::Text) && !sms::is_gsm7(content) {
        return Err("Content has characters outside GSM-7, which data_coding 'text' cannot carry; use 'unicode' or 'auto'".into());
    }
    let template = caller_text::around_code(before, after);
    limit.check(&template, code_len).map_err(|(chars, m)| {
        format!(
            "Content with the code must be at most {} characters and {} SMS segments; it would be {chars} characters, {} {} segments",
            limit.chars, limit.segments, m.segments, m.encoding.as_str()
        )
    })?;
    Ok(template)
}

pub async fn handle(app: &App, req: &Request, _language: &str) -> Result<Reply, Problem> {
    let client = bearer_client(&app.config.tokens, req)?;
    idempotency::once(
        app,
        req,
        Family::VerifyApi,
        &client,
        open(app, req, &client),
    )
    .await
}

async fn open(app: &App, req: &Request, client: &str) -> Result<Response<Body>, Problem> {
    let body = parse(app, req, client)?;
    let destination = Destination::Phone(body.recipient);
    let otp_id = app.new_session_id(&destination, random_uuid)?;
    let session = app
        .send(NewSession {
            key: session_key(client, &otp_id),
            client: client.to_string(),
            destination,
            policy: body.policy,
            language: body.language,
            message: body.message,
            family: body.family,
            binding: Binding::None,
        })
        .await?
        .session;
    Ok(http::ok(&Opened {
        expiry: session.policy.validity_secs,
        otp_id: &otp_id,
        resend_count: None,
        status: OtpStatus::Open,
    }))
}
