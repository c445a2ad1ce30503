//! German. `ä ö ü ß` are in GSM-7.

use super::{Language, Purposes, Texts};

pub const DE: Language = Language {
    code: "de",
    sms: Purposes {
        verification: "Ihr Bestätigungscode lautet {code}",
        login: "Ihr Anmeldecode lautet {code}",
        password_reset: "Ihr Code zum Zurücksetzen des Passworts lautet {code}",
        contact_update: "Ihr Code für die Änderung Ihrer Kontaktdaten lautet {code}",
    },
    subject: Purposes {
        verification: "Ihr Bestätigungscode",
        login: "Ihr Anmeldecode",
        password_reset: "Ihr Code zum Zurücksetzen des Passworts",
        contact_update: "Ihr Code für die Änderung Ihrer Kontaktdaten",
    },
    warning: "Wenn Sie ihn nicht angefordert haben, ignorieren Sie diese Nachricht.",
    default_sms: "Ihr Bestätigungscode lautet {code}",
    texts: Texts {
        bad_request: "Die Anfrage hat nicht das erforderliche Format",
        unauthorized: "Bearer-Token fehlt oder ist ungültig",
        forbidden: "Dieser Client darf diese Operation nicht verwenden",
        contact_not_found: "Kontakt nicht gefunden",
        session_not_found: "Verifizierungssitzung nicht gefunden",
        channel_missing: "Der Kontakt hat keine Adresse für diesen Kanal",
        unknown_template: "Unbekannter Vorlagenschlüssel",
        invalid_code: "Der Code ist ungültig",
        resend_too_soon:
            "Gerade wurde ein Code gesendet; bitte warten Sie, bevor Sie einen neuen anfordern",
        too_many_sends: "Zu viele Codes für diese Sitzung gesendet",
        already_verified: "Diese Sitzung ist bereits verifiziert",
        attempts_exhausted: "Keine Verifizierungsversuche mehr übrig",
        expired: "Der Code ist abgelaufen",
        delivery_failed: "Der Code konnte nicht zugestellt werden",
        rate_limited: "Zu viele Codes angefordert; versuchen Sie es später erneut",
        country_refused: "In dieses Land können keine Codes per SMS gesendet werden",
        unavailable: "Der Dienst ist vorübergehend nicht verfügbar",
        key_reused: "Dieser Idempotency-Key wurde für eine andere Anfrage verwendet",
        key_in_flight: "Eine Anfrage mit diesem Idempotency-Key wird noch bearbeitet",
        method_not_allowed: "Diese Methode ist für diese Ressource nicht erlaubt",
        too_large: "Der Anfragetext ist zu groß",
        suppressed: "An diese Adresse gehen vorerst keine Codes: eine frühere Nachricht kam zurück oder wurde als Spam gemeldet",
    },
};
