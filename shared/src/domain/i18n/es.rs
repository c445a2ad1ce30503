//! Spanish. SMS texts avoid `á í ó ú` (outside GSM-7): "clave", not "código".

use super::{Language, Purposes, Texts};

pub const ES: Language = Language {
    code: "es",
    sms: Purposes {
        verification: "Tu clave de un solo uso es {code}",
        login: "Tu clave para entrar es {code}",
        password_reset: "Tu clave para cambiar la contraseña es {code}",
        contact_update: "Tu clave para actualizar tus datos de contacto es {code}",
    },
    subject: Purposes {
        verification: "Tu código de verificación",
        login: "Tu código de inicio de sesión",
        password_reset: "Tu código de restablecimiento de contraseña",
        contact_update: "Tu código de actualización de contacto",
    },
    warning: "Si no lo solicitaste, ignora este mensaje.",
    default_sms: "Tu clave de un solo uso es {code}",
    texts: Texts {
        bad_request: "La solicitud no tiene el formato requerido",
        unauthorized: "Falta el token de portador o no es válido",
        forbidden: "Este cliente no puede usar esta operación",
        contact_not_found: "Contacto no encontrado",
        session_not_found: "Sesión de verificación no encontrada",
        channel_missing: "El contacto no tiene dirección para ese canal",
        unknown_template: "Clave de plantilla desconocida",
        invalid_code: "El código no es válido",
        resend_too_soon: "Se envió un código hace poco; espera antes de pedir otro",
        too_many_sends: "Se enviaron demasiados códigos para esta sesión",
        already_verified: "Esta sesión ya está verificada",
        attempts_exhausted: "No quedan intentos de verificación",
        expired: "El código ha caducado",
        delivery_failed: "No se pudo entregar el código",
        rate_limited: "Se solicitaron demasiados códigos; inténtalo más tarde",
        country_refused: "No se pueden enviar códigos por SMS a este país",
        unavailable: "El servicio no está disponible temporalmente",
        key_reused: "Esta Idempotency-Key se usó para otra solicitud",
        key_in_flight: "Una solicitud con esta Idempotency-Key aún se está procesando",
        method_not_allowed: "Este método no está permitido en este recurso",
        too_large: "El cuerpo de la solicitud es demasiado grande",
        suppressed: "Esta dirección no recibe códigos por ahora: un mensaje anterior rebotó o se marcó como spam",
    },
};
