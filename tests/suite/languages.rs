//! pt, fr and de beside en and es: templates and messages, negotiated as for en and es.

use otp_tests::{Harness, Req};
use serde_json::json;

const SEND: &str = "/contacts/1/verification-keys";

#[tokio::test]
async fn regional_tags_and_q_values_pick_the_shipped_language() {
    let h = Harness::new();
    let sms = |h: &Harness| h.outbox.messages().pop().unwrap().body;
    h.call(Req::post(
        format!("{SEND}?language=pt-BR"),
        json!({ "channel": "Sms" }),
    ))
    .await;
    assert!(sms(&h).starts_with("Use "), "pt");
    h.call(
        Req::post(SEND, json!({ "channel": "Sms" }))
            .header("accept-language", "it, de-AT;q=0.8, fr;q=0.5"),
    )
    .await;
    assert!(sms(&h).starts_with("Ihr Bestätigungscode lautet "), "de");
    h.call(
        Req::post(
            SEND,
            json!({ "channel": "Email", "templateMetadataKey": "login" }),
        )
        .header("accept-language", "fr-CA"),
    )
    .await;
    let mail = h.outbox.messages().pop().unwrap();
    assert_eq!(mail.subject.as_deref(), Some("Votre code de connexion"));
    assert!(mail.html.unwrap().contains("lang=\"fr\""));
}

#[tokio::test]
async fn error_messages_are_localised_too() {
    let h = Harness::new();
    let res = h
        .call(Req::post(SEND, json!({ "channel": "Fax" })).header("accept-language", "de"))
        .await;
    assert_eq!(res.status, 400);
    let message = res.json["message"].as_str().unwrap();
    assert!(
        message.starts_with("Die Anfrage hat nicht das erforderliche Format"),
        "{message}"
    );
    let res = h
        .call(
            Req::get("/contacts/1/verification-keys/nope/123456")
                .header("accept-language", "pt-PT"),
        )
        .await;
    assert_eq!(
        res.json["message"], "Sessão de verificação não encontrada",
        "{}",
        res.json
    );
}
