//! `openapi.yaml` stays the route table's contract: the same operations, each answered in its
//! family's documented form. (schemathesis, run by scripts/test.sh, checks the live answers.)

use otp_core::domain::Family;
use otp_core::ROUTES;
use otp_tests::{repo_file, Harness, Req};
use serde_norway::Value;

fn document() -> Value {
    serde_norway::from_str(&repo_file("openapi.yaml")).expect("openapi.yaml is YAML")
}

/// Follows a local `$ref` (`#/components/...`).
fn resolve<'a>(doc: &'a Value, node: &'a Value) -> &'a Value {
    match node.get("$ref").and_then(Value::as_str) {
        Some(pointer) => pointer
            .trim_start_matches("#/")
            .split('/')
            .fold(doc, |at, key| &at[key]),
        None => node,
    }
}

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

#[test]
fn the_operations_are_exactly_the_route_table() {
    let doc = document();
    assert_eq!(doc["openapi"].as_str(), Some("3.1.0"));
    let mut documented: Vec<(String, String, String)> = Vec::new();
    for (path, item) in doc["paths"].as_mapping().expect("paths") {
        for method in METHODS {
            if let Some(op) = item.get(method) {
                documented.push((
                    method.to_ascii_uppercase(),
                    path.as_str().unwrap().to_string(),
                    op["operationId"].as_str().unwrap_or("").to_string(),
                ));
            }
        }
    }
    let mut routes: Vec<(String, String, String)> = ROUTES
        .iter()
        .map(|r| (r.method.into(), r.path.into(), r.function.into()))
        .collect();
    documented.sort();
    routes.sort();
    assert_eq!(
        documented, routes,
        "openapi.yaml (left) vs the route table (right): method, path, operationId = function"
    );
}

#[test]
fn every_response_is_documented_with_its_family_form_and_correlation_id() {
    let doc = document();
    for route in ROUTES {
        let op = &doc["paths"][route.path][route.method.to_ascii_lowercase().as_str()];
        let family_error = match route.family {
            Family::Contacts => "#/components/schemas/ContactsError",
            Family::VerifyApi => "#/components/schemas/VerifyApiError",
            Family::Telemarketing => "#/components/schemas/HeaderContractError",
            Family::Rao => "#/components/schemas/RaoError",
        };
        let responses = op["responses"].as_mapping().expect("responses");
        assert!(responses.contains_key("200"), "{}", route.function);
        assert!(responses.contains_key("401"), "{}: 401", route.function);
        for (status, response) in responses {
            let status = status.as_str().unwrap();
            let response = resolve(&doc, response);
            let where_ = format!("{} {status}", route.function);
            assert_eq!(
                response["headers"]["X-Correlation-Id"]["$ref"].as_str(),
                Some("#/components/headers/X-Correlation-Id"),
                "{where_}"
            );
            if status == "429" {
                assert!(response["headers"].get("Retry-After").is_some(), "{where_}");
            }
            let schema = &response["content"]["application/json"]["schema"];
            assert!(!schema.is_null(), "{where_}: no JSON schema");
            if status.starts_with('2') {
                continue;
            }
            let error_form = schema["$ref"].as_str();
            let validation = route.family == Family::VerifyApi && status == "422";
            assert!(
                error_form == Some(family_error)
                    || (validation
                        && error_form == Some("#/components/schemas/VerifyApiValidation")),
                "{where_}: {error_form:?}, expected {family_error}"
            );
        }
        let secured = op["security"].as_sequence().expect("security");
        assert_eq!(secured.len(), 1, "{}", route.function);
    }
}

#[tokio::test]
async fn an_unserved_method_is_405_listing_the_served_ones() {
    let h = Harness::new();
    let res = h
        .call(Req::new("DELETE", "/verify/v1/otp/send-otp").without_auth())
        .await;
    assert_eq!(res.status, 405);
    assert_eq!(res.headers["allow"], "POST");
    let res = h
        .call(Req::new("GET", "/verify/v1/otp/nothing-here").without_auth())
        .await;
    assert_eq!((res.status, res.headers.get("allow")), (404, None));
}
