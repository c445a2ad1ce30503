//! RAO transmit-OTP handlers in-process over the memory adapters: encrypted inputs attacked
//! every way, the phone binding, certification, and the error envelope with `uuid`.

use aws_lc_rs::rsa::{KeySize, PrivateDecryptingKey};
use otp_tests::{encrypt, encrypt_with, fault, Harness, Reply, Req, OTHER_TOKEN};
use serde_json::{json, Value};
use std::sync::Arc;

const GENERATE: &str = "/v1/x-global/security/rao/otp/generate";
const VALIDATE: &str = "/v1/x-global/security/rao/otp/validate";
const CERTIFIED: &str = "/v1/x-global/security/rao/certified-phone";

fn phone(national: &str) -> Value {
    json!({ "phoneCountryCode": "+52", "encryptedPhoneNumber": encrypt(national) })
}

async fn generate(h: &Harness, sid: &str, body: Value) -> Reply {
    h.call(Req::contract(GENERATE, body).header("sid", sid))
        .await
}

async fn validate(h: &Harness, sid: &str, code: &str, national: &str) -> Reply {
    let body = json!({ "encryptedOneTimePasswordToken": encrypt(code), "phone": phone(national) });
    h.call(Req::contract(VALIDATE, body).header("sid", sid))
        .await
}

async fn certified(h: &Harness, sid: &str) -> Reply {
    h.call(Req::contract_get(CERTIFIED).header("sid", sid))
        .await
}

#[tokio::test]
async fn generate_sends_to_the_decrypted_number_validate_certifies_it() {
    let h = Harness::new();
    let res = generate(&h, "s-1", phone("5512345678")).await;
    assert_eq!((res.status, &res.json), (200, &json!({})));
    let sms = h.outbox.messages().pop().unwrap();
    assert_eq!(sms.to.as_str(), "+525512345678");
    let code = h.last_code();
    assert_eq!(
        fault(&certified(&h, "s-1").await).0,
        404,
        "nothing certified yet"
    );

    let ok = validate(&h, "s-1", &code, "5512345678").await;
    assert_eq!((ok.status, &ok.json), (200, &json!({})));
    let phone = certified(&h, "s-1").await;
    assert_eq!(
        (phone.status, phone.json),
        (
            200,
            json!({ "phoneCountryCode": "+52", "phoneNumber": "5512345678" })
        )
    );
    let again = validate(&h, "s-1", &code, "5512345678").await;
    assert_eq!(
        fault(&again),
        (
            422,
            "businessValidationFailed",
            "encryptedOneTimePasswordToken"
        )
    );
}

#[tokio::test]
async fn another_phone_a_wrong_code_or_an_expired_one_is_422() {
    let h = Harness::new();
    generate(&h, "s-2", phone("5512345678")).await;
    let code = h.last_code();
    let wrong = otp_tests::wrong_code(&code);
    for (c, national) in [(&wrong, "5512345678"), (&code, "5512345679")] {
        let res = validate(&h, "s-2", c, national).await;
        assert_eq!(fault(&res).1, "businessValidationFailed", "{national}");
    }
    assert_eq!(fault(&certified(&h, "s-2").await).0, 404);
    h.clock.advance(301);
    let expired = validate(&h, "s-2", &code, "5512345678").await;
    assert_eq!(fault(&expired).0, 422);
    assert_eq!(expired.json["moreInfo"], "The code has expired");
}

#[tokio::test]
async fn a_new_generate_for_the_sid_replaces_the_code_within_the_resend_rules() {
    let h = Harness::new();
    generate(&h, "s-3", phone("5512345678")).await;
    let first = h.last_code();
    let early = generate(&h, "s-3", phone("5512345678")).await;
    assert_eq!(
        (early.status, early.json["code"].as_str()),
        (429, Some("tooManyRequests"))
    );
    h.clock.advance(30);
    // The consumer corrected the number: the new code goes to, and is bound to, the new phone.
    assert_eq!(generate(&h, "s-3", phone("5512340000")).await.status, 200);
    let second = h.last_code();
    assert_eq!(
        h.outbox.messages().pop().unwrap().to.as_str(),
        "+525512340000"
    );
    assert_eq!(validate(&h, "s-3", &first, "5512340000").await.status, 422);
    assert_eq!(validate(&h, "s-3", &second, "5512345678").await.status, 422);
    assert_eq!(validate(&h, "s-3", &second, "5512340000").await.status, 200);
    assert_eq!(certified(&h, "s-3").await.json["phoneNumber"], "5512340000");
}

#[tokio::test]
async fn ciphertexts_that_do_not_decrypt_get_one_answer_naming_the_field() {
    let h = Harness::new();
    let good = encrypt("5512345678");
    let mut tampered = base64_bytes(&good);
    tampered[20] ^= 0x01;
    let other_key = PrivateDecryptingKey::generate(KeySize::Rsa2048).unwrap();
    let other_pem = public_pem(&other_key);
    let cases = [
        ("tampered", base64_encode(&tampered)),
        ("truncated", good[..good.len() - 12].to_string()),
        ("wrong key", encrypt_with(&other_pem, "5512345678")),
        ("not base64", "%%%not-base64%%%".to_string()),
        ("plaintext", "5512345678".to_string()),
        ("letters", encrypt("55123ABC78")),
        ("too short", encrypt("123")),
        ("too long", encrypt("123456789012345")),
        ("invalid for +52", encrypt("1111111111")),
        ("trunk prefix", encrypt("015512345678")),
    ];
    let mut answers = Vec::new();
    for (what, ciphertext) in cases {
        let body = json!({ "phoneCountryCode": "+52", "encryptedPhoneNumber": ciphertext });
        let res = generate(&h, "s-4", body).await;
        assert_eq!(
            fault(&res),
            (400, "invalidRequest", "encryptedPhoneNumber"),
            "{what}"
        );
        answers.push(res.json["moreInfo"].clone());
    }
    answers.dedup();
    assert_eq!(answers.len(), 1, "one answer whatever failed: {answers:?}");
    for code in ["+", "52", "+12345", "+5a", " +52"] {
        let body = json!({ "phoneCountryCode": code, "encryptedPhoneNumber": good });
        assert_eq!(
            fault(&generate(&h, "s-4", body).await).2,
            "phoneCountryCode",
            "{code}"
        );
    }
    assert!(
        h.outbox.messages().is_empty() && h.store.is_empty(),
        "nothing sent or written"
    );

    generate(&h, "s-5", phone("5512345678")).await;
    for (body, field) in [
        (
            json!({ "encryptedOneTimePasswordToken": "AAAA", "phone": phone("5512345678") }),
            "encryptedOneTimePasswordToken",
        ),
        (
            json!({ "encryptedOneTimePasswordToken": encrypt("12 34"), "phone": phone("5512345678") }),
            "encryptedOneTimePasswordToken",
        ),
        (
            json!({ "encryptedOneTimePasswordToken": encrypt("123456") }),
            "phone",
        ),
        (
            json!({ "encryptedOneTimePasswordToken": encrypt("123456"), "phone": "x" }),
            "phone",
        ),
        (
            json!({ "encryptedOneTimePasswordToken": encrypt("123456"), "phone": { "phoneCountryCode": "+52", "encryptedPhoneNumber": "x" } }),
            "phone.encryptedPhoneNumber",
        ),
    ] {
        let res = h
            .call(Req::contract(VALIDATE, body).header("sid", "s-5"))
            .await;
        assert_eq!(fault(&res), (400, "invalidRequest", field));
    }
    let session = h.store.len();
    assert_eq!(
        validate(&h, "s-5", "000000", "5512345678").await.status,
        422
    );
    assert_eq!(h.store.len(), session);
}

#[tokio::test]
async fn sessions_belong_to_their_client_and_sid() {
    let h = Harness::new();
    generate(&h, "s-6", phone("5512345678")).await;
    let code = h.last_code();
    assert_eq!(
        fault(&validate(&h, "unknown", &code, "5512345678").await),
        (404, "resourceNotFound", "sid")
    );
    let other = Req::contract(
        VALIDATE,
        json!({ "encryptedOneTimePasswordToken": encrypt(&code), "phone": phone("5512345678") }),
    )
    .header("client_id", "beta")
    .header("authorization", OTHER_TOKEN)
    .header("sid", "s-6");
    assert_eq!(
        fault(&h.call(other).await).0,
        404,
        "another client's sid is not found"
    );
    for sid in [None, Some("a b"), Some(&*"x".repeat(65))] {
        let mut req = Req::contract(GENERATE, phone("5512345678")).without("sid");
        if let Some(s) = sid {
            req = req.header("sid", s);
        }
        assert_eq!(fault(&h.call(req).await), (400, "invalidRequest", "sid"));
    }
}

#[tokio::test]
async fn errors_carry_the_uuid_and_the_shared_contract_applies() {
    let h = Harness::new();
    let res = h
        .call(
            Req::contract(GENERATE, phone("5512345678"))
                .header("sid", "s")
                .without("channelId"),
        )
        .await;
    assert_eq!(
        res.keys(),
        [
            "code",
            "details",
            "location",
            "moreInfo",
            "timestamp",
            "type",
            "uuid"
        ]
    );
    assert_eq!(
        res.json["uuid"],
        "a7d1e304-83a9-4413-af97-62615e57eae66807840"
    );
    assert_eq!(fault(&res), (400, "invalidRequest", "channelId"));
    let unauthorized = h
        .call(Req::contract(GENERATE, phone("5512345678")).header("authorization", "wrong"))
        .await;
    assert_eq!(fault(&unauthorized).1, "unAuthorized");
    let forbidden = Req::contract_get(CERTIFIED)
        .header("sid", "s")
        .header("countryCode", "CO");
    let forbidden = h.call(forbidden).await;
    assert_eq!(fault(&forbidden).1, "accessNotConfigured");
}

#[tokio::test]
async fn sms_failure_is_the_family_5xx_and_the_code_never_validates() {
    let h = Harness::with_sender(Arc::new(otp_tests::Undeliverable));
    let res = generate(&h, "s-7", phone("5512345678")).await;
    assert_eq!(
        (fault(&res).0, fault(&res).1, res.json["type"].as_str()),
        (500, "serverUnavailable", Some("fatal"))
    );
}

/// A function built without a port its route needs (a wiring fault) answers as an outage,
/// not as a refused phone: the caller retries rather than "correcting" a valid ciphertext.
#[tokio::test]
async fn a_function_wired_without_the_key_answers_the_outage_form_and_writes_nothing() {
    let mut h = Harness::new();
    h.app.decryptor = None;
    let res = generate(&h, "s-8", phone("5512345678")).await;
    assert_eq!(
        (fault(&res).0, fault(&res).1, res.json["type"].as_str()),
        (500, "serverUnavailable", Some("fatal"))
    );
    let res = validate(&h, "s-8", "123456", "5512345678").await;
    assert_eq!(fault(&res).1, "serverUnavailable");
    assert_eq!((h.store.len(), h.outbox.messages().len()), (0, 0));
}

fn base64_bytes(s: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.decode(s).unwrap()
}

fn base64_encode(b: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(b)
}

fn public_pem(key: &PrivateDecryptingKey) -> String {
    use aws_lc_rs::encoding::{AsDer, PublicKeyX509Der};
    let der = AsDer::<PublicKeyX509Der>::as_der(&key.public_key()).unwrap();
    let body = base64_encode(der.as_ref());
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!(
        "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
        lines.join("\n")
    )
}
