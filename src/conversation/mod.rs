//! The resident conversation: the free-text recogniser, the dialogue state machine (pure), the
//! texts it says, and the handler that runs it inside the webhook's transaction.

pub mod dialogue;
pub mod handler;
pub mod recognise;
pub mod texts;

pub use handler::ConversationService;
