//! The one-way delivery status of an outbound message.
//!
//! Meta's status callbacks arrive at least once and in any order (read before delivered,
//! delivered twice). A message therefore only ever moves forward:
//! queued → sending → sent → delivered → read → played, and `failed` is an end of its own that
//! nothing leaves.

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum DeliveryStatus {
    /// Written to the outbox, not yet handed to Meta.
    Queued,
    /// Claimed by a worker; the send is in flight.
    Sending,
    Sent,
    Delivered,
    Read,
    /// A voice message was played (reported after read).
    Played,
    Failed,
}

impl DeliveryStatus {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "queued" => Self::Queued,
            "sending" => Self::Sending,
            "sent" => Self::Sent,
            "delivered" => Self::Delivered,
            "read" => Self::Read,
            "played" => Self::Played,
            "failed" => Self::Failed,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Sending => "sending",
            Self::Sent => "sent",
            Self::Delivered => "delivered",
            Self::Read => "read",
            Self::Played => "played",
            Self::Failed => "failed",
        }
    }

    /// The column of `outbound_message` that records when this status was first reached.
    pub fn timestamp_column(self) -> &'static str {
        match self {
            Self::Queued | Self::Sending => "updated_at",
            Self::Sent => "sent_at",
            Self::Delivered => "delivered_at",
            Self::Read | Self::Played => "read_at",
            Self::Failed => "failed_at",
        }
    }

    /// The status after a callback reporting `incoming`, or `None` when the callback must not
    /// change anything (it would move the message backwards, repeat its status, or leave
    /// `failed`). A failure is accepted until the message is known to have been read: a late
    /// 131047 failure can follow `sent` or even `delivered`.
    pub fn advance(self, incoming: DeliveryStatus) -> Option<DeliveryStatus> {
        match (self, incoming) {
            (Self::Failed, _) => None,
            (_, Self::Queued | Self::Sending) => None,
            (Self::Read | Self::Played, Self::Failed) => None,
            (_, Self::Failed) => Some(Self::Failed),
            (current, next) if next > current => Some(next),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::DeliveryStatus::{self, *};

    const ALL: [DeliveryStatus; 7] = [Queued, Sending, Sent, Delivered, Read, Played, Failed];

    #[test]
    fn names_round_trip() {
        for s in ALL {
            assert_eq!(DeliveryStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(DeliveryStatus::parse("deleted"), None);
    }

    #[test]
    fn only_moves_forward() {
        assert_eq!(Sent.advance(Delivered), Some(Delivered));
        assert_eq!(Sent.advance(Read), Some(Read));
        assert_eq!(Read.advance(Delivered), None);
        assert_eq!(Delivered.advance(Delivered), None);
        assert_eq!(Read.advance(Sent), None);
        assert_eq!(Queued.advance(Sent), Some(Sent));
        assert_eq!(Read.advance(Played), Some(Played));
    }

    #[test]
    fn failed_is_its_own_end() {
        for s in ALL {
            assert_eq!(Failed.advance(s), None, "failed must not move to {s:?}");
        }
        assert_eq!(Sent.advance(Failed), Some(Failed));
        assert_eq!(Delivered.advance(Failed), Some(Failed));
        assert_eq!(Read.advance(Failed), None);
    }

    #[test]
    fn any_arrival_order_ends_at_the_furthest_status() {
        // Every permutation of sent/delivered/read, each possibly twice, ends at read.
        let events = [Sent, Delivered, Read, Delivered, Sent];
        let mut order: Vec<usize> = (0..events.len()).collect();
        permute(&mut order, 0, &mut |perm| {
            let mut s = Queued;
            for &i in perm {
                if let Some(next) = s.advance(events[i]) {
                    assert!(next > s);
                    s = next;
                }
            }
            assert_eq!(s, Read, "order {perm:?}");
        });
    }

    fn permute(v: &mut Vec<usize>, k: usize, f: &mut dyn FnMut(&[usize])) {
        if k == v.len() {
            f(v);
            return;
        }
        for i in k..v.len() {
            v.swap(k, i);
            permute(v, k + 1, f);
            v.swap(k, i);
        }
    }
}
