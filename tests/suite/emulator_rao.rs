//! The RAO family through the real DynamoDB, SNS and Secrets Manager adapters against moto.

use otp_core::adapters::rsa_oaep::{RsaOaep, DEV_PRIVATE_KEY_PEM};
use otp_core::dialects::rao::session_key;
use otp_core::ports::Decryptor;
use otp_tests::emulator::{endpoint, sdk_config, unique, Aws};
use otp_tests::{call, encrypt, Req};
use serde_json::json;

#[tokio::test]
async fn the_private_key_comes_from_secrets_manager() {
    let sdk = sdk_config(&endpoint()).await;
    let client = aws_sdk_secretsmanager::Client::new(&sdk);
    let name = format!("otp/rao-{}", unique());
    client
        .create_secret()
        .name(&name)
        .secret_string(DEV_PRIVATE_KEY_PEM)
        .send()
        .await
        .expect("create secret");
    let pem = otp_aws::wiring::fetch_secret(&client, &name).await.unwrap();
    let key = RsaOaep::from_pem(&pem).unwrap();
    use base64::Engine;
    let ciphertext = base64::engine::general_purpose::STANDARD
        .decode(encrypt("5512345678"))
        .unwrap();
    assert_eq!(key.decrypt(&ciphertext).unwrap(), b"5512345678");
    let missing = otp_aws::wiring::fetch_secret(&client, "otp/none").await;
    assert!(missing.is_err());
}

#[tokio::test]
async fn generate_reads_back_from_sns_validate_certifies_and_the_item_holds_no_secret() {
    let aws = Aws::new().await;
    let national = aws.phone.trim_start_matches("+44").to_string();
    let phone = json!({ "phoneCountryCode": "+44", "encryptedPhoneNumber": encrypt(&national) });
    let res = call(
        &aws.app,
        Req::contract("/v1/x-global/security/rao/otp/generate", phone.clone()).header("sid", "c-1"),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.json);
    let code = aws.last_code(&aws.phone).await;
    let item = aws
        .raw_item(&session_key("acme", "c-1"))
        .await
        .expect("stored");
    assert!(!format!("{item:?}").contains(&code), "no code in clear");

    let body = json!({ "encryptedOneTimePasswordToken": encrypt(&code), "phone": phone });
    let res = call(
        &aws.app,
        Req::contract("/v1/x-global/security/rao/otp/validate", body).header("sid", "c-1"),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.json);
    let req = Req::contract_get("/v1/x-global/security/rao/certified-phone").header("sid", "c-1");
    let res = call(&aws.app, req).await;
    assert_eq!(
        (res.status, res.json),
        (
            200,
            json!({ "phoneCountryCode": "+44", "phoneNumber": national })
        )
    );
}
