//! The integration suite as one test binary (one link of the AWS SDK instead of one per file):
//! handlers in-process, the AWS adapters against moto, the repository's samples and drift checks.

mod architecture;
mod autofill_and_segments;
mod contract;
mod docs;
mod emulator_contacts;
mod emulator_events;
mod emulator_faults;
mod emulator_fraud;
mod emulator_idempotency;
mod emulator_rao;
mod emulator_receipts;
mod emulator_spend;
mod emulator_state_machine;
mod emulator_telemarketing;
mod emulator_verify_api;
mod fraud_shield;
mod handlers_contacts;
mod handlers_rao;
mod handlers_telemarketing;
mod handlers_verify_api;
mod hostile_input;
mod idempotency;
mod languages;
mod logs;
mod phone_numbers;
mod receipts;
mod round_trips;
mod samples;
mod sms_webhook;
mod spend_model;
mod state_machine;
mod test_recipients;
