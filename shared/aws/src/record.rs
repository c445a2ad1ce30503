//! A session as the sessions table stores it: one item whose attribute names are the fields
//! of `SessionRecord`, mapped by serde (`serde_dynamo`) both ways, from SDK items and from
//! the table's stream images alike.

use otp_core::config::fraud::NON_GEOGRAPHIC;
use otp_core::domain::receipt::{Outcome, Receipt};
use otp_core::domain::sms::{DataCoding, Encoding, Measure};
use otp_core::domain::{
    Alphabet, Attributes, Bound, Channel, CodeHash, CounterKey, Destination, FamilyAttributes,
    Origin, Policy, Session, SessionKey, State, Template,
};
use otp_core::ports::StoreError;
use serde::{Deserialize, Serialize};

/// The sessions table's item. Optional attributes are absent, never `NULL`.
#[derive(Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SessionRecord {
    pub pk: String,
    pub channel: String,
    pub destination: String,
    /// The number's calling code and country, so that reading it needs no libphonenumber.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calling_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    pub code_hash: String,
    pub state: String,
    pub attempts: u32,
    pub max_attempts: u32,
    pub sends: u32,
    pub max_sends: u32,
    pub cooldown_secs: u32,
    pub validity_secs: u32,
    pub retention_secs: u32,
    /// `validity_secs + retention_secs`: a resend's update sets `purge_at` from it.
    pub purge_after_secs: i64,
    pub code_length: u8,
    pub alphabet: String,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub caller_part_len: u8,
    pub created_at: i64,
    pub last_sent_at: i64,
    pub next_send_at: i64,
    pub expires_at: i64,
    /// The table's TTL attribute (`crate::dynamodb::TTL`).
    pub purge_at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified_at: Option<i64>,
    pub language: String,
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub html: Option<String>,
    #[serde(default, skip_serializing_if = "Extra::is_empty")]
    pub extra: Extra,
    /// The current send's delivery receipt (`Transition::Receipt` sets, a resend removes them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_micro_usd: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dwell_ms: Option<u64>,
}

/// The attributes of a delivery receipt, as `Update::of` names them.
pub const RECEIPT_ATTRIBUTES: [&str; 5] = [
    "delivery",
    "delivery_reason",
    "delivery_at",
    "price_micro_usd",
    "dwell_ms",
];

/// `Attributes` as stored: a map of strings, each absent when unset.
#[derive(Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Extra {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender_id: Option<String>,
    /// Written by releases before the typed record, always equal to `sender_id`: read only.
    #[serde(default, skip_serializing)]
    pub originator: Option<String>,
    /// A subject's keyed digest, or `"destination"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub binding: Option<String>,
    /// Space-separated counter keys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub charged: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sms_encoding: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sms_segments: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_coding: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub success_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub business: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
}

const DESTINATION: &str = "destination";
const TRUE: &str = "true";

fn is_zero(n: &u8) -> bool {
    *n == 0
}

impl Extra {
    fn is_empty(&self) -> bool {
        *self == Extra::default()
    }

    fn of(a: &Attributes) -> Extra {
        let mut extra = Extra {
            sender_id: a.sender_id.clone(),
            binding: a.binding.as_ref().map(|b| match b {
                Bound::Subject(digest) => digest.clone(),
                Bound::Destination => DESTINATION.to_string(),
            }),
            charged: (!a.charged.is_empty()).then(|| {
                let keys: Vec<&str> = a.charged.iter().map(CounterKey::as_str).collect();
                keys.join(" ")
            }),
            test: a.test.then(|| TRUE.to_string()),
            sms_encoding: a.sms.map(|m| m.encoding.as_str().to_string()),
            sms_segments: a.sms.map(|m| m.segments.to_string()),
            ..Extra::default()
        };
        match &a.family {
            FamilyAttributes::None => {}
            FamilyAttributes::VerifyApi {
                template_id,
                data_coding,
                success_url,
                failure_url,
            } => {
                extra.template_id = template_id.clone();
                extra.data_coding = data_coding.map(|d| d.as_str().to_string());
                extra.success_url = success_url.clone();
                extra.failure_url = failure_url.clone();
            }
            FamilyAttributes::Contacts {
                contact_id,
                pending,
            } => {
                extra.contact_id = Some(contact_id.to_string());
                extra.pending = pending.then(|| TRUE.to_string());
            }
            FamilyAttributes::Caller {
                country,
                business,
                channel,
            } => {
                extra.country = Some(country.clone());
                extra.business = Some(business.clone());
                extra.channel = Some(channel.clone());
            }
        }
        extra
    }

    fn attributes(self) -> Result<Attributes, StoreError> {
        let family = if let Some(id) = &self.contact_id {
            FamilyAttributes::Contacts {
                contact_id: parsed(id, "extra.contact_id", |s| s.parse().ok())?,
                pending: self.pending.as_deref() == Some(TRUE),
            }
        } else if self.business.is_some() || self.channel.is_some() || self.country.is_some() {
            FamilyAttributes::Caller {
                country: self.country.unwrap_or_default(),
                business: self.business.unwrap_or_default(),
                channel: self.channel.unwrap_or_default(),
            }
        } else if self.template_id.is_some()
            || self.data_coding.is_some()
            || self.success_url.is_some()
            || self.failure_url.is_some()
        {
            FamilyAttributes::VerifyApi {
                template_id: self.template_id,
                data_coding: self
                    .data_coding
                    .map(|d| parsed(&d, "extra.data_coding", DataCoding::parse))
                    .transpose()?,
                success_url: self.success_url,
                failure_url: self.failure_url,
            }
        } else {
            FamilyAttributes::None
        };
        let sms = match (&self.sms_encoding, &self.sms_segments) {
            (Some(encoding), Some(segments)) => Some(Measure {
                encoding: parsed(encoding, "extra.sms_encoding", Encoding::parse)?,
                segments: parsed(segments, "extra.sms_segments", |s| s.parse().ok())?,
            }),
            _ => None,
        };
        Ok(Attributes {
            sender_id: self.sender_id.or(self.originator),
            binding: self.binding.map(|b| match b.as_str() {
                DESTINATION => Bound::Destination,
                _ => Bound::Subject(b),
            }),
            charged: self
                .charged
                .map(|c| c.split(' ').filter_map(CounterKey::from_stored).collect())
                .unwrap_or_default(),
            test: self.test.as_deref() == Some(TRUE),
            sms,
            family,
        })
    }
}

/// `text` read by `parse`, or the store's corruption error naming `attribute`.
fn parsed<T>(
    text: &str,
    attribute: &str,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<T, StoreError> {
    parse(text)
        .ok_or_else(|| StoreError::Corrupt(format!("attribute `{attribute}` malformed: {text:?}")))
}

impl From<&Session> for SessionRecord {
    fn from(s: &Session) -> SessionRecord {
        let origin = match &s.destination {
            Destination::Phone(phone) => phone.origin(),
            Destination::Email(_) => None,
        };
        SessionRecord {
            pk: s.key.as_str().to_string(),
            channel: s.destination.channel().as_str().to_string(),
            destination: s.destination.as_str().to_string(),
            calling_code: origin.map(|o| o.calling_code.clone()),
            country: origin.map(|o| o.country.as_deref().unwrap_or(NON_GEOGRAPHIC).to_string()),
            code_hash: s.code_hash.to_hex(),
            state: s.state.as_str().to_string(),
            attempts: s.attempts,
            max_attempts: s.policy.max_attempts,
            sends: s.sends,
            max_sends: s.policy.max_sends,
            cooldown_secs: s.policy.resend_cooldown_secs,
            validity_secs: s.policy.validity_secs,
            retention_secs: s.policy.retention_secs,
            purge_after_secs: i64::from(s.policy.validity_secs)
                + i64::from(s.policy.retention_secs),
            code_length: s.policy.code_length,
            alphabet: s.policy.alphabet.as_str().to_string(),
            caller_part_len: s.policy.caller_part_len,
            created_at: s.created_at,
            last_sent_at: s.last_sent_at,
            next_send_at: s.next_send_at,
            expires_at: s.expires_at,
            purge_at: s.purge_at(),
            verified_at: s.verified_at,
            language: s.language.clone(),
            text: s.template.text.clone(),
            subject: s.template.subject.clone(),
            html: s.template.html.clone(),
            extra: Extra::of(&s.attributes),
            delivery: s.delivery.as_ref().map(|d| d.outcome.as_str().to_string()),
            delivery_reason: s.delivery.as_ref().and_then(|d| d.reason.clone()),
            delivery_at: s.delivery.as_ref().map(|d| d.at),
            price_micro_usd: s.delivery.as_ref().and_then(|d| d.price_micro_usd),
            dwell_ms: s.delivery.as_ref().and_then(|d| d.dwell_ms),
        }
    }
}

impl TryFrom<SessionRecord> for Session {
    type Error = StoreError;

    fn try_from(r: SessionRecord) -> Result<Session, StoreError> {
        let origin = r.calling_code.map(|calling_code| Origin {
            calling_code,
            country: r.country.filter(|c| c != NON_GEOGRAPHIC),
        });
        Ok(Session {
            key: SessionKey::from_stored(r.pk),
            destination: Destination::from_stored(
                parsed(&r.channel, "channel", Channel::parse)?,
                &r.destination,
                origin,
            ),
            code_hash: parsed(&r.code_hash, "code_hash", CodeHash::from_hex)?,
            state: parsed(&r.state, "state", State::parse)?,
            attempts: r.attempts,
            sends: r.sends,
            policy: Policy {
                validity_secs: r.validity_secs,
                max_attempts: r.max_attempts,
                max_sends: r.max_sends,
                resend_cooldown_secs: r.cooldown_secs,
                code_length: r.code_length,
                alphabet: parsed(&r.alphabet, "alphabet", Alphabet::parse)?,
                caller_part_len: r.caller_part_len,
                retention_secs: r.retention_secs,
            },
            created_at: r.created_at,
            last_sent_at: r.last_sent_at,
            next_send_at: r.next_send_at,
            expires_at: r.expires_at,
            verified_at: r.verified_at,
            language: r.language,
            template: Template {
                subject: r.subject,
                text: r.text,
                html: r.html,
            },
            attributes: r.extra.attributes()?,
            delivery: match (r.delivery, r.delivery_at) {
                (Some(outcome), Some(at)) => Some(Receipt {
                    outcome: parsed(&outcome, "delivery", Outcome::parse)?,
                    reason: r.delivery_reason,
                    at,
                    price_micro_usd: r.price_micro_usd,
                    dwell_ms: r.dwell_ms,
                }),
                _ => None,
            },
        })
    }
}

/// The item of `session`.
pub fn to_item(session: &Session) -> crate::dynamodb::Item {
    serde_dynamo::aws_sdk_dynamodb_1::to_item(SessionRecord::from(session))
        .expect("a session record is a map of strings and numbers")
}

/// The session of `item`; a missing or malformed attribute is `StoreError::Corrupt`.
pub fn from_item(item: crate::dynamodb::Item) -> Result<Session, StoreError> {
    let record: SessionRecord = serde_dynamo::aws_sdk_dynamodb_1::from_item(item)
        .map_err(|e| StoreError::Corrupt(format!("session item: {e}")))?;
    Session::try_from(record)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use aws_sdk_dynamodb::types::AttributeValue;
    use otp_core::domain::{Email, Family, Pepper, E164};

    pub(crate) fn session(now: i64, code: &str) -> Session {
        let key = SessionKey::new(Family::VerifyApi, "acme", &["86b2"]);
        let policy = Policy {
            validity_secs: 300,
            max_attempts: 5,
            max_sends: 5,
            resend_cooldown_secs: 30,
            code_length: 6,
            alphabet: Alphabet::Numeric,
            caller_part_len: 0,
            retention_secs: 86_400,
        };
        let hash = Pepper::new(&[1; 32]).unwrap().hash(&key, code);
        let phone = Destination::Phone(E164::parse("+12025550123").unwrap());
        Session::open(key, phone, hash, policy, now)
    }

    #[test]
    fn items_round_trip() {
        let mut s = session(1_700_000_000, "123456");
        s.verified_at = Some(1_700_000_010);
        s.template.subject = Some("Your code".into());
        s.attributes = Attributes {
            sender_id: Some("ACME".into()),
            binding: Some(Bound::Destination),
            charged: ["rl#p#+1202555#1", "rl#g#sms#1"]
                .into_iter()
                .filter_map(CounterKey::from_stored)
                .collect(),
            test: true,
            sms: Some(Measure {
                encoding: Encoding::Ucs2,
                segments: 2,
            }),
            family: FamilyAttributes::VerifyApi {
                template_id: Some("t1".into()),
                data_coding: Some(DataCoding::Unicode),
                success_url: None,
                failure_url: Some("https://example.com/f".into()),
            },
        };
        assert_eq!(from_item(to_item(&s)).unwrap(), s);
        s.destination = Destination::Email(Email::parse("ana@example.com").unwrap());
        s.attributes.family = FamilyAttributes::Contacts {
            contact_id: 42,
            pending: true,
        };
        s.attributes.binding = Some(Bound::Subject("5d41402abc4b2a76".into()));
        assert_eq!(from_item(to_item(&s)).unwrap(), s);
        s.policy.caller_part_len = 3;
        s.attributes = Attributes::default();
        assert_eq!(from_item(to_item(&s)).unwrap(), s);
    }

    /// A telemarketing session as the release before the typed record wrote it (sender id,
    /// binding digest, charged counters, SMS measure, test flag in `extra`; origin beside the
    /// number). An item written then must still read, and write back unchanged.
    const TELEMARKETING_ITEM: &str = r#"{
        "pk": {"S": "tm#acme#0f8c2f0e-5b7a-4c1e-9d3a-2b6f4e8a1c90"},
        "channel": {"S": "sms"}, "destination": {"S": "+447400123456"},
        "calling_code": {"S": "+44"}, "country": {"S": "GB"},
        "code_hash": {"S": "9b74c9897bac770ffc029102a200c5de7a4e2e0f7c1b0d5e8e7e1f1c6d5a4b3c"},
        "state": {"S": "pending"}, "attempts": {"N": "1"}, "max_attempts": {"N": "5"},
        "sends": {"N": "2"}, "max_sends": {"N": "5"}, "cooldown_secs": {"N": "30"},
        "validity_secs": {"N": "300"}, "retention_secs": {"N": "86400"},
        "purge_after_secs": {"N": "86700"}, "code_length": {"N": "11"},
        "caller_part_len": {"N": "3"}, "alphabet": {"S": "alphanumeric"},
        "created_at": {"N": "1764460800"}, "last_sent_at": {"N": "1764460830"},
        "next_send_at": {"N": "1764460860"}, "expires_at": {"N": "1764461130"},
        "purge_at": {"N": "1764547530"}, "language": {"S": "es"},
        "text": {"S": "ACME {code} no la compartas"},
        "extra": {"M": {
            "sender_id": {"S": "ACME"},
            "binding": {"S": "5d41402abc4b2a76b9719d911017c592"},
            "charged": {"S": "rl#d#+447400123456#5880 rl#c#acme#5880 rl#p#+44740012#5880"},
            "test": {"S": "true"},
            "sms_encoding": {"S": "GSM-7"}, "sms_segments": {"S": "1"},
            "country": {"S": "GB"}, "business": {"S": "retail"}, "channel": {"S": "web"}
        }}
    }"#;

    /// A Verify API session of that release: its originator stored twice.
    const VERIFY_API_ITEM: &str = r#"{
        "pk": {"S": "va#acme#86b24910-2d1e-4257-b6d4-e6b829e50e84"},
        "channel": {"S": "sms"}, "destination": {"S": "+12025550123"},
        "calling_code": {"S": "+1"}, "country": {"S": "US"},
        "code_hash": {"S": "9b74c9897bac770ffc029102a200c5de7a4e2e0f7c1b0d5e8e7e1f1c6d5a4b3c"},
        "state": {"S": "verified"}, "attempts": {"N": "0"}, "max_attempts": {"N": "5"},
        "sends": {"N": "1"}, "max_sends": {"N": "3"}, "cooldown_secs": {"N": "60"},
        "validity_secs": {"N": "600"}, "retention_secs": {"N": "86400"},
        "purge_after_secs": {"N": "87000"}, "code_length": {"N": "6"},
        "alphabet": {"S": "numeric"},
        "created_at": {"N": "1764460800"}, "last_sent_at": {"N": "1764460800"},
        "next_send_at": {"N": "1764460860"}, "expires_at": {"N": "1764461400"},
        "purge_at": {"N": "1764547800"}, "verified_at": {"N": "1764460820"},
        "language": {"S": "en"}, "text": {"S": "Your code is {code}"},
        "extra": {"M": {
            "sender_id": {"S": "ACME"}, "originator": {"S": "ACME"},
            "data_coding": {"S": "unicode"}, "template_id": {"S": "welcome"},
            "sms_encoding": {"S": "UCS-2"}, "sms_segments": {"S": "1"}
        }}
    }"#;

    fn attribute(v: &serde_json::Value) -> AttributeValue {
        let (kind, value) = v.as_object().unwrap().iter().next().unwrap();
        match kind.as_str() {
            "S" => AttributeValue::S(value.as_str().unwrap().into()),
            "N" => AttributeValue::N(value.as_str().unwrap().into()),
            "M" => AttributeValue::M(
                value
                    .as_object()
                    .unwrap()
                    .iter()
                    .map(|(k, v)| (k.clone(), attribute(v)))
                    .collect(),
            ),
            other => panic!("{other}"),
        }
    }

    fn item(json: &str) -> crate::dynamodb::Item {
        let json: serde_json::Value = serde_json::from_str(json).unwrap();
        let AttributeValue::M(item) = attribute(&serde_json::json!({ "M": json })) else {
            unreachable!()
        };
        item
    }

    #[test]
    fn a_session_item_written_before_the_typed_record_reads_and_writes_back_the_same() {
        let item = item(TELEMARKETING_ITEM);
        let session = from_item(item.clone()).expect("the item reads");
        assert_eq!(
            session.key.as_str(),
            "tm#acme#0f8c2f0e-5b7a-4c1e-9d3a-2b6f4e8a1c90"
        );
        assert_eq!(
            (session.attempts, session.sends, session.policy.code_length),
            (1, 2, 11)
        );
        assert_eq!(session.policy.caller_part_len, 3);
        assert_eq!(session.destination.sms_country().as_deref(), Some("GB"));
        let a = &session.attributes;
        assert_eq!(
            a.binding,
            Some(Bound::Subject("5d41402abc4b2a76b9719d911017c592".into()))
        );
        assert_eq!(a.charged.len(), 3);
        assert!(a.test);
        assert_eq!(
            a.sms,
            Some(Measure {
                encoding: Encoding::Gsm7,
                segments: 1
            })
        );
        assert_eq!(
            a.family,
            FamilyAttributes::Caller {
                country: "GB".into(),
                business: "retail".into(),
                channel: "web".into()
            }
        );
        assert_eq!(to_item(&session), item, "written back unchanged");
    }

    #[test]
    fn an_originator_stored_twice_reads_once_and_is_written_once() {
        let mut item = item(VERIFY_API_ITEM);
        let session = from_item(item.clone()).expect("the item reads");
        assert_eq!(session.attributes.sender_id.as_deref(), Some("ACME"));
        assert!(session.attributes.forces_ucs2());
        let Some(AttributeValue::M(extra)) = item.get_mut("extra") else {
            unreachable!()
        };
        extra.remove("originator");
        assert_eq!(to_item(&session), item);
    }

    #[test]
    fn a_malformed_attribute_is_corrupt_not_a_panic() {
        let mut item = item(TELEMARKETING_ITEM);
        item.insert("state".into(), AttributeValue::S("sideways".into()));
        assert!(matches!(
            from_item(item.clone()),
            Err(StoreError::Corrupt(_))
        ));
        item.remove("attempts");
        assert!(matches!(
            from_item(item.clone()),
            Err(StoreError::Corrupt(_))
        ));
    }

    #[test]
    fn the_stored_item_never_holds_the_code() {
        let s = session(0, "918273");
        let dump = format!("{:?}", to_item(&s));
        assert!(!dump.contains("918273"));
    }
}
