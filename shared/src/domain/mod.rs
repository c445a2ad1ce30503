//! Pure domain: codes, sessions, keys, destinations, localisation. No I/O.

pub mod attributes;
pub mod caller_text;
pub mod code;
pub mod destination;
pub mod i18n;
pub mod key;
pub mod limits;
pub mod receipt;
pub mod regions;
pub mod session;
pub mod sms;
pub mod webhook_signature;

pub use attributes::{Attributes, Bound, FamilyAttributes};
pub use code::{Alphabet, Code, CodeHash, Pepper};
pub use destination::{Channel, Destination, Email, Origin, E164};
pub use key::{CounterKey, Family, SessionKey};
pub use limits::{LimitScope, SendBudget};
pub use receipt::Receipt;
pub use session::{Policy, ResendRefusal, Session, State, Status, Template, Timestamp, Transition};
