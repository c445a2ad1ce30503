//! Portuguese. SMS texts avoid `ç ã õ á ó ê` (outside GSM-7): "Use … para …".

use super::{Language, Purposes, Texts};

pub const PT: Language = Language {
    code: "pt",
    sms: Purposes {
        verification: "Use {code} para confirmar seu cadastro",
        login: "Use {code} para entrar na sua conta",
        password_reset: "Use {code} para redefinir sua senha",
        contact_update: "Use {code} para atualizar seus dados de contato",
    },
    subject: Purposes {
        verification: "Seu código de verificação",
        login: "Seu código de acesso",
        password_reset: "Seu código de redefinição de senha",
        contact_update: "Seu código de atualização de contato",
    },
    warning: "Se você não pediu este código, ignore esta mensagem.",
    default_sms: "Use {code} para confirmar seu acesso",
    texts: Texts {
        bad_request: "A solicitação não está no formato exigido",
        unauthorized: "Token de portador ausente ou inválido",
        forbidden: "Este cliente não pode usar esta operação",
        contact_not_found: "Contato não encontrado",
        session_not_found: "Sessão de verificação não encontrada",
        channel_missing: "O contato não tem endereço para esse canal",
        unknown_template: "Chave de modelo desconhecida",
        invalid_code: "O código não é válido",
        resend_too_soon: "Um código acabou de ser enviado; aguarde antes de pedir outro",
        too_many_sends: "Códigos demais enviados para esta sessão",
        already_verified: "Esta sessão já está verificada",
        attempts_exhausted: "Não restam tentativas de verificação",
        expired: "O código expirou",
        delivery_failed: "Não foi possível entregar o código",
        rate_limited: "Códigos demais solicitados; tente novamente mais tarde",
        country_refused: "Não é possível enviar códigos por SMS para este país",
        unavailable: "O serviço está temporariamente indisponível",
        key_reused: "Esta Idempotency-Key foi usada para outra solicitação",
        key_in_flight: "Uma solicitação com esta Idempotency-Key ainda está em andamento",
        method_not_allowed: "Este método não é permitido neste recurso",
        too_large: "O corpo da solicitação é grande demais",
        suppressed: "Este endereço não recebe códigos por enquanto: uma mensagem anterior foi devolvida ou marcada como spam",
    },
};
