//! Outbound messages: their delivery status machine (and, as it grows, the Graph API client and
//! the outbox worker).

mod status;

pub use status::DeliveryStatus;
