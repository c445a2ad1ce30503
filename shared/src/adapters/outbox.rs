//! Local delivery: prints each message to the console and keeps it for reading back.

use crate::domain::caller_text::one_line;
use crate::ports::{DeliveryError, Message, Sender};
use async_trait::async_trait;
use std::sync::Mutex;

#[derive(Default)]
pub struct Outbox {
    messages: Mutex<Vec<Message>>,
    print: bool,
}

impl Outbox {
    /// An outbox that also prints every message to standard output (the local server's).
    pub fn printing() -> Self {
        Outbox {
            messages: Mutex::default(),
            print: true,
        }
    }

    /// Delivered messages, oldest first.
    pub fn messages(&self) -> Vec<Message> {
        self.lock().clone()
    }

    pub fn clear(&self) {
        self.lock().clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Message>> {
        self.messages
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[async_trait]
impl Sender for Outbox {
    async fn send(&self, message: &Message) -> Result<(), DeliveryError> {
        if self.print {
            // One line per message, whatever its text: a caller's content can forge no log
            // line and send no escape sequence to the terminal.
            let subject = message
                .subject
                .as_deref()
                .map(|s| format!(" [{}]", one_line(s)))
                .unwrap_or_default();
            println!(
                "[outbox] {} to {}{subject}: {}",
                message.channel().as_str(),
                message.to.as_str(),
                one_line(&message.body)
            );
        }
        self.lock().push(message.clone());
        Ok(())
    }
}
