//! What a session records beside its state machine, typed: the sender id, what its code is
//! bound to, the counters its first send was charged to, how its first SMS measured, whether
//! it is a test recipient's, and its family's own attributes.

use super::key::CounterKey;
use super::sms::{DataCoding, Encoding, Measure};

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Attributes {
    /// SMS sender id (the Verify API's `originator`).
    pub sender_id: Option<String>,
    pub binding: Option<Bound>,
    /// Keys of the velocity counters the first send was charged to (given back on verify).
    pub charged: Vec<CounterKey>,
    /// A test recipient's session (`OTP_TEST_RECIPIENTS`): nothing was delivered.
    pub test: bool,
    /// The first SMS's encoding and segments.
    pub sms: Option<Measure>,
    pub family: FamilyAttributes,
}

impl Attributes {
    /// Whether the session's SMS bills as UCS-2 whatever its text (`data_coding: unicode`).
    pub fn forces_ucs2(&self) -> bool {
        matches!(
            self.family,
            FamilyAttributes::VerifyApi {
                data_coding: Some(DataCoding::Unicode),
                ..
            }
        )
    }
}

/// What a session's code is bound to besides the code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Bound {
    /// The keyed digest (hex) of a subject fixed for the session's life, never the subject.
    Subject(String),
    /// The destination, which a resend may change.
    Destination,
}

/// A family's own record of the send, kept for audit and reports.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum FamilyAttributes {
    #[default]
    None,
    /// The Verify API's send options.
    VerifyApi {
        template_id: Option<String>,
        data_coding: Option<DataCoding>,
        success_url: Option<String>,
        failure_url: Option<String>,
    },
    Contacts {
        contact_id: i32,
        pending: bool,
    },
    /// The header contract's caller (telemarketing and RAO).
    Caller {
        country: String,
        business: String,
        channel: String,
    },
}

impl Encoding {
    pub fn parse(s: &str) -> Option<Encoding> {
        match s {
            "GSM-7" => Some(Encoding::Gsm7),
            "UCS-2" => Some(Encoding::Ucs2),
            _ => None,
        }
    }
}
