//! Officers at work: their WhatsApp commands, the resident's side of the lifecycle (delivery
//! choice, receipt, rating, relays), notifications, deadlines and the morning summary.
pub mod command;
pub mod deadlines;
pub mod desk;
pub mod notify;
pub mod resident;
pub mod texts;
pub mod work;
