//! Local delivery: prints each message to the console and keeps it for reading back.

use crate::domain::caller_text::one_line;
use crate::ports::{DeliveryError, Message, Sender, Sent};
use async_trait::async_trait;
use std::sync::Mutex;

#[derive(Default)]
pub struct Outbox {
    messages: Mutex<Delivered>,
    print: bool,
}

/// The messages since the last clear, and how many clears there were: a reader that saw an
/// earlier generation starts again from the first message.
#[derive(Default)]
struct Delivered {
    generation: u64,
    messages: Vec<Message>,
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
        self.lock().messages.clone()
    }

    /// The `n`-th message (oldest first).
    pub fn message(&self, n: usize) -> Option<Message> {
        self.lock().messages.get(n).cloned()
    }

    /// The messages from the `from`-th on (oldest first), if the outbox is still at
    /// `generation`; else the whole outbox, with its generation.
    pub fn since(&self, generation: u64, from: usize) -> (u64, usize, Vec<Message>) {
        let d = self.lock();
        let from = if d.generation == generation { from } else { 0 };
        let from = from.min(d.messages.len());
        (d.generation, from, d.messages[from..].to_vec())
    }

    pub fn clear(&self) {
        let mut d = self.lock();
        d.messages.clear();
        d.generation += 1;
    }

    /// Keeps a message that belongs to no session (the local server's `POST /_local/outbox`);
    /// returns its number.
    pub fn post(&self, message: Message) -> usize {
        let mut d = self.lock();
        d.messages.push(message);
        d.messages.len() - 1
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Delivered> {
        self.messages
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[async_trait]
impl Sender for Outbox {
    async fn send(&self, message: &Message) -> Result<Sent, DeliveryError> {
        if self.print {
            // One line per message, whatever its text: a caller's content can forge no log
            // line and send no escape sequence to the terminal.
            let subject = message
                .subject
                .as_deref()
                .map(|s| format!(" [{}]", one_line(s)))
                .unwrap_or_default();
            let test = match &message.about {
                Some(about) if about.test => " (test recipient: delivered nowhere)",
                _ => "",
            };
            println!(
                "[outbox] {} to {}{subject}{test}: {}",
                message.channel().as_str(),
                message.to.as_str(),
                one_line(&message.body)
            );
        }
        let mut d = self.lock();
        d.messages.push(message.clone());
        // Its number names it, as a provider's id would (a receipt can name it).
        Ok(Sent {
            message_id: Some(format!("outbox:{}.{}", d.generation, d.messages.len() - 1)),
        })
    }

    fn keeps_test_messages(&self) -> bool {
        true
    }
}
