//! Outbound messages: what can be sent and its limits, the Graph API client, the outbox worker
//! that delivers every message, the local sandbox, and the delivery status machine.

pub mod error;
pub mod fetch;
pub mod graph;
pub mod media;
pub mod message;
pub mod outbox;
pub mod sandbox;
mod status;

pub use error::{retry_delay, ApiError, Backoff, ErrorClass, GraphError, MediaError};
pub use graph::{GraphClient, SentMessage};
pub use media::{DownloadedMedia, MediaLimits};
pub use message::{Button, ListRow, ListSection, MediaKind, MessageError, OutboundBody};
pub use status::DeliveryStatus;
