//! English.

use super::{Language, Purposes, Texts};

pub const EN: Language = Language {
    code: "en",
    sms: Purposes {
        verification: "Your verification code is {code}",
        login: "Your sign-in code is {code}",
        password_reset: "Your password reset code is {code}",
        contact_update: "Your contact update code is {code}",
    },
    subject: Purposes {
        verification: "Your verification code",
        login: "Your sign-in code",
        password_reset: "Your password reset code",
        contact_update: "Your contact update code",
    },
    warning: "If you did not ask for it, ignore this message.",
    default_sms: "Your verification code is {code}",
    texts: Texts {
        bad_request: "The request was not in the required format",
        unauthorized: "Missing or invalid bearer token",
        forbidden: "This client may not use this operation",
        contact_not_found: "Contact not found",
        session_not_found: "Verification session not found",
        channel_missing: "The contact has no address for that channel",
        unknown_template: "Unknown template metadata key",
        invalid_code: "The code is not valid",
        resend_too_soon: "A code was sent moments ago; wait before asking again",
        too_many_sends: "Too many codes sent for this session",
        already_verified: "This session is already verified",
        attempts_exhausted: "No verification attempts left",
        expired: "The code has expired",
        delivery_failed: "The code could not be delivered",
        rate_limited: "Too many codes requested; try again later",
        country_refused: "Codes cannot be sent by SMS to this country",
        unavailable: "The service is temporarily unavailable",
        key_reused: "This Idempotency-Key was used for a different request",
        key_in_flight: "A request with this Idempotency-Key is still being processed",
        method_not_allowed: "This method is not allowed on this resource",
        too_large: "The request body is too large",
        suppressed:
            "This address gets no codes for now: an earlier message bounced or was reported as spam",
    },
};
