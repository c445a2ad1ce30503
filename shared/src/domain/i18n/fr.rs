//! French. SMS texts avoid `ç ê â ô î û` (outside GSM-7); `é è à` are in it.

use super::{Language, Purposes, Texts};

pub const FR: Language = Language {
    code: "fr",
    sms: Purposes {
        verification: "Votre code de vérification est {code}",
        login: "Votre code de connexion est {code}",
        password_reset: "Votre code de réinitialisation du mot de passe est {code}",
        contact_update: "Votre code de mise à jour du contact est {code}",
    },
    subject: Purposes {
        verification: "Votre code de vérification",
        login: "Votre code de connexion",
        password_reset: "Votre code de réinitialisation du mot de passe",
        contact_update: "Votre code de mise à jour du contact",
    },
    warning: "Si vous ne l'avez pas demandé, ignorez ce message.",
    default_sms: "Votre code de vérification est {code}",
    texts: Texts {
        bad_request: "La requête n'est pas au format attendu",
        unauthorized: "Jeton porteur absent ou invalide",
        forbidden: "Ce client ne peut pas utiliser cette opération",
        contact_not_found: "Contact introuvable",
        session_not_found: "Session de vérification introuvable",
        channel_missing: "Le contact n'a pas d'adresse pour ce canal",
        unknown_template: "Clé de modèle inconnue",
        invalid_code: "Le code n'est pas valide",
        resend_too_soon: "Un code vient d'être envoyé ; patientez avant d'en demander un autre",
        too_many_sends: "Trop de codes envoyés pour cette session",
        already_verified: "Cette session est déjà vérifiée",
        attempts_exhausted: "Plus aucune tentative de vérification",
        expired: "Le code a expiré",
        delivery_failed: "Le code n'a pas pu être remis",
        rate_limited: "Trop de codes demandés ; réessayez plus tard",
        country_refused: "Impossible d'envoyer des codes par SMS vers ce pays",
        unavailable: "Le service est temporairement indisponible",
        key_reused: "Cette Idempotency-Key a servi pour une autre requête",
        key_in_flight: "Une requête avec cette Idempotency-Key est encore en cours",
        method_not_allowed: "Cette méthode n'est pas autorisée sur cette ressource",
        too_large: "Le corps de la requête est trop volumineux",
        suppressed: "Cette adresse ne reçoit pas de codes pour le moment : un message précédent a été rejeté ou signalé comme spam",
    },
};
