//! Adapters of the ports: AWS for production, memory and outbox for local use and tests.

pub mod aws_delivery;
pub mod dynamodb;
pub mod memory;
pub mod outbox;
