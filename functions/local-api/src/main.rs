//! `local-api`: serves every route of the route table on one port with the memory store
//! and a printing outbox. `GET /_local/` is the inbox page; `GET/DELETE /_local/outbox` read
//! and clear delivered messages.
//! The header-contract families' development client is `local`, with the bearer token, allowed
//! every combination unless `--access FILE` says otherwise.

mod args;
mod inbox;
mod server;
mod webhook;

use otp_core::adapters::memory::MemoryContacts;
use otp_core::adapters::outbox::Outbox;
use otp_core::app::sms_sender;
use otp_core::config::Access;
use otp_core::{App, Config};
use sha2::{Digest, Sha256};
use std::process::ExitCode;
use std::sync::Arc;

const EXAMPLE_CONTACTS: &str = include_str!("../contacts.example.json");

#[tokio::main]
async fn main() -> ExitCode {
    otp_core::runtime::init_logs();
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("local-api: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), String> {
    let args = args::Args::parse(std::env::args().skip(1))?;
    // A generated token is printed (the developer has no other way to learn it); one given
    // with --token is not echoed.
    let (token, shown) = match args.token {
        Some(t) => (t, "the one given with --token".to_string()),
        None => {
            let t = otp_core::domain::code::random_hex_id().map_err(|e| e.to_string())?;
            (t.clone(), t)
        }
    };
    let pepper = match std::env::var("OTP_PEPPER") {
        Ok(p) if !p.is_empty() => p,
        _ => otp_core::domain::code::random_hex_id()
            .map_err(|e| e.to_string())?
            .repeat(2),
    };
    // Bearer clients of `OTP_API_TOKENS` are served beside `local`, as in AWS, so tenancy
    // between clients can be tried locally.
    let mut tokens = format!("local:{}", hex::encode(Sha256::digest(token.as_bytes())));
    if let Ok(more) = std::env::var("OTP_API_TOKENS") {
        if !more.trim().is_empty() {
            tokens = format!("{tokens},{more}");
        }
    }
    let mut config = Config::from_lookup(|name| match name {
        "OTP_PEPPER" => Some(pepper.clone()),
        "OTP_API_TOKENS" => Some(tokens.clone()),
        _ => std::env::var(name).ok(),
    })
    .map_err(|e| e.to_string())?;
    let access_json = match &args.access {
        Some(path) => Some(
            std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read --access {path}: {e}"))?,
        ),
        None => None,
    };
    config.access =
        Access::local(access_json.as_deref(), &token).map_err(|e| format!("access file: {e}"))?;
    let contacts_json = match &args.contacts {
        Some(path) => std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read --contacts {path}: {e}"))?,
        None => EXAMPLE_CONTACTS.to_string(),
    };
    let contacts =
        MemoryContacts::from_json(&contacts_json).map_err(|e| format!("contacts file: {e}"))?;
    let outbox = Arc::new(Outbox::printing());
    let mut app = App::in_memory(config, contacts, outbox.clone());
    // OTP_SMS_WEBHOOK_URL hands SMS to the developer's own relay, signed, as in AWS.
    let transport = || Ok(Arc::new(webhook::HyperTransport::new()?) as _);
    let sender = sms_sender(&app.config, outbox.clone(), transport);
    app.sender = Some(sender.map_err(|e| format!("configuration: {e}"))?);
    let webhook = !app.config.sms_webhook.is_empty();
    let app: &'static App = Box::leak(Box::new(app));

    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .map_err(|e| {
            format!(
                "cannot listen on {}: {e} (is the port taken? choose another with --listen)",
                args.listen
            )
        })?;
    println!("local-api listening on http://{}", args.listen);
    if webhook {
        println!("SMS go to OTP_SMS_WEBHOOK_URL (signed, Standard Webhooks); other messages to the outbox");
    }
    println!("bearer token: {shown}   (header-contract families: client_id: local, Authorization: Bearer <it>)");
    for route in otp_core::ROUTES {
        println!("  {:<6} {}", route.method, route.path);
    }
    println!("  GET    /openapi.yaml   (the API contract)");
    println!("  GET    /_local/   (the inbox: every SMS and email, live, in a browser)");
    println!(
        "  GET    /_local/outbox   (JSON; DELETE clears it, POST adds a message of no session)"
    );
    println!(
        "  GET    /_local/rao-public-key   (development key: encrypt RAO test values with it)"
    );
    server::serve(listener, app, outbox).await
}
