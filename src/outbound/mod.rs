//! Outbound messages: what can be sent and its limits, and the delivery status machine (the
//! Graph API client and the outbox worker build on these).

pub mod error;
pub mod graph;
pub mod media;
pub mod message;
mod status;

pub use error::{retry_delay, ApiError, Backoff, ErrorClass, GraphError, MediaError};
pub use graph::{GraphClient, SentMessage};
pub use media::{DownloadedMedia, MediaLimits};
pub use message::{Button, ListRow, ListSection, MediaKind, MessageError, OutboundBody};
pub use status::DeliveryStatus;
