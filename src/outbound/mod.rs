//! Outbound messages: what can be sent and its limits, and the delivery status machine (the
//! Graph API client and the outbox worker build on these).

pub mod message;
mod status;

pub use message::{Button, ListRow, ListSection, MediaKind, MessageError, OutboundBody};
pub use status::DeliveryStatus;
