//! The resident conversation: the free-text recogniser (and, as it grows, the dialogue state
//! machine).

pub mod recognise;
