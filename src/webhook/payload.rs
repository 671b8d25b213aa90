//! The WhatsApp Cloud API webhook payload, parsed leniently.
//!
//! Meta adds fields and message types over time, so everything except what we cannot work
//! without (a message's or status's id) is optional, unknown fields are ignored, and each message
//! and status keeps its exact raw JSON text for storage. Values are borrowed from the request
//! body where that saves a copy.

use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

#[derive(Debug, thiserror::Error)]
pub enum PayloadError {
    #[error("body is not valid UTF-8: {0}")]
    NotUtf8(#[from] std::str::Utf8Error),
    #[error("body is not a webhook payload: {0}")]
    Shape(#[from] serde_json::Error),
    #[error("change {index} of entry {entry} (field {field:?}): {source}")]
    Change {
        entry: usize,
        index: usize,
        field: String,
        source: serde_json::Error,
    },
}

/// `{"object": …, "entry": [{"id": …, "changes": [{"field": …, "value": {…}}]}]}`
#[derive(Debug, Deserialize)]
pub struct Payload<'a> {
    #[serde(default)]
    pub object: Option<String>,
    #[serde(borrow)]
    pub entry: Vec<Entry<'a>>,
}

#[derive(Debug, Deserialize)]
pub struct Entry<'a> {
    #[serde(borrow, default, deserialize_with = "null_as_empty")]
    pub changes: Vec<Change<'a>>,
}

#[derive(Debug, Deserialize)]
pub struct Change<'a> {
    #[serde(default)]
    pub field: String,
    #[serde(borrow)]
    pub value: &'a RawValue,
}

/// The `value` of a `messages` change.
#[derive(Debug, Deserialize)]
pub struct MessagesValue<'a> {
    #[serde(default)]
    pub metadata: Option<Metadata>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub contacts: Vec<Contact>,
    #[serde(borrow, default, deserialize_with = "null_as_empty")]
    pub messages: Vec<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "null_as_empty")]
    pub statuses: Vec<&'a RawValue>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub errors: Vec<ApiError>,
}

/// Just enough of any change's value to route it to a village.
#[derive(Debug, Default, Deserialize)]
pub struct RoutingValue {
    #[serde(default)]
    pub metadata: Option<Metadata>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Metadata {
    #[serde(default)]
    pub display_phone_number: Option<String>,
    #[serde(default)]
    pub phone_number_id: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Contact {
    #[serde(default)]
    pub profile: Option<Profile>,
    #[serde(default)]
    pub wa_id: Option<String>,
    /// Business-scoped user id (2026).
    #[serde(default)]
    pub user_id: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Profile {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub username: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ApiError {
    #[serde(default)]
    pub code: Option<i64>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
}

/// One inbound message. Only `id` is required.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Message {
    pub id: String,
    #[serde(default)]
    pub from: Option<String>,
    /// Sender's business-scoped id; the only identity of a user who hides their number.
    #[serde(default)]
    pub from_user_id: Option<String>,
    #[serde(default, deserialize_with = "lenient_i64")]
    pub timestamp: Option<i64>,
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub text: Option<Text>,
    #[serde(default)]
    pub image: Option<Media>,
    #[serde(default)]
    pub video: Option<Media>,
    #[serde(default)]
    pub audio: Option<Media>,
    #[serde(default)]
    pub document: Option<Media>,
    #[serde(default)]
    pub sticker: Option<Media>,
    #[serde(default)]
    pub location: Option<Location>,
    #[serde(default)]
    pub reaction: Option<Reaction>,
    #[serde(default)]
    pub interactive: Option<Interactive>,
    /// Quick-reply button of a template message.
    #[serde(default)]
    pub button: Option<TemplateButton>,
    #[serde(default)]
    pub context: Option<Context>,
    #[serde(default)]
    pub system: Option<System>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub errors: Vec<ApiError>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Text {
    #[serde(default)]
    pub body: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct Media {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub mime_type: Option<String>,
    #[serde(default)]
    pub sha256: Option<String>,
    #[serde(default)]
    pub caption: Option<String>,
    #[serde(default)]
    pub filename: Option<String>,
    #[serde(default)]
    pub voice: Option<bool>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Location {
    #[serde(default, deserialize_with = "lenient_f64")]
    pub latitude: Option<f64>,
    #[serde(default, deserialize_with = "lenient_f64")]
    pub longitude: Option<f64>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub address: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Reaction {
    #[serde(default)]
    pub message_id: Option<String>,
    /// Empty or absent when the reaction was removed.
    #[serde(default)]
    pub emoji: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Interactive {
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub button_reply: Option<Choice>,
    #[serde(default)]
    pub list_reply: Option<Choice>,
    #[serde(default)]
    pub nfm_reply: Option<FlowReply>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Choice {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct FlowReply {
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default)]
    pub response_json: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct TemplateButton {
    #[serde(default)]
    pub payload: Option<String>,
    #[serde(default)]
    pub text: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Context {
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub forwarded: Option<bool>,
    #[serde(default)]
    pub frequently_forwarded: Option<bool>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct System {
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default)]
    pub wa_id: Option<String>,
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
}

/// A delivery status callback for a message we sent.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Status {
    pub id: String,
    #[serde(default)]
    pub status: String,
    #[serde(default, deserialize_with = "lenient_i64")]
    pub timestamp: Option<i64>,
    #[serde(default)]
    pub recipient_id: Option<String>,
    #[serde(default)]
    pub recipient_user_id: Option<String>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub errors: Vec<ApiError>,
}

/// The fields of a message the rest of the system works with, whatever its type.
#[derive(Debug, Clone, Default)]
pub struct MessageSummary<'m> {
    pub kind: &'m str,
    pub body: Option<&'m str>,
    pub reply_id: Option<&'m str>,
    pub media: Option<&'m Media>,
    pub context_wamid: Option<&'m str>,
    pub forwarded: bool,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
}

impl Message {
    pub fn summary(&self) -> MessageSummary<'_> {
        let kind = self.kind.as_deref().unwrap_or("unknown");
        let media = match kind {
            "image" => self.image.as_ref(),
            "video" => self.video.as_ref(),
            "audio" => self.audio.as_ref(),
            "document" => self.document.as_ref(),
            "sticker" => self.sticker.as_ref(),
            _ => None,
        };
        let (body, reply_id) = match kind {
            "text" => (self.text.as_ref().and_then(|t| t.body.as_deref()), None),
            "interactive" => match &self.interactive {
                Some(i) => match (&i.button_reply, &i.list_reply, &i.nfm_reply) {
                    (Some(c), _, _) | (None, Some(c), _) => (c.title.as_deref(), c.id.as_deref()),
                    (None, None, Some(f)) => (f.body.as_deref(), None),
                    _ => (None, None),
                },
                None => (None, None),
            },
            "button" => match &self.button {
                Some(b) => (b.text.as_deref(), b.payload.as_deref()),
                None => (None, None),
            },
            "reaction" => (
                self.reaction
                    .as_ref()
                    .and_then(|r| r.emoji.as_deref())
                    .filter(|e| !e.is_empty()),
                None,
            ),
            "location" => (
                self.location
                    .as_ref()
                    .and_then(|l| l.name.as_deref().or(l.address.as_deref())),
                None,
            ),
            "system" => (self.system.as_ref().and_then(|s| s.body.as_deref()), None),
            _ => (media.and_then(|m| m.caption.as_deref()), None),
        };
        let context = self.context.as_ref();
        MessageSummary {
            kind,
            body,
            reply_id,
            media,
            context_wamid: context.and_then(|c| c.id.as_deref()),
            forwarded: context
                .map(|c| c.forwarded.unwrap_or(false) || c.frequently_forwarded.unwrap_or(false))
                .unwrap_or(false),
            latitude: self.location.as_ref().and_then(|l| l.latitude),
            longitude: self.location.as_ref().and_then(|l| l.longitude),
        }
    }
}

impl<'a> Payload<'a> {
    pub fn parse(text: &'a str) -> Result<Self, PayloadError> {
        Ok(serde_json::from_str(text)?)
    }
}

/// A list that is absent or `null` is an empty list.
fn null_as_empty<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

/// Meta sends numbers such as timestamps as strings; accept both forms.
fn lenient_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Num {
        Int(i64),
        Text(String),
        Other(serde::de::IgnoredAny),
    }
    Ok(match Option::<Num>::deserialize(d)? {
        Some(Num::Int(n)) => Some(n),
        Some(Num::Text(s)) => s.trim().parse().ok(),
        Some(Num::Other(_)) | None => None,
    })
}

fn lenient_f64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Num {
        Float(f64),
        Text(String),
        Other(serde::de::IgnoredAny),
    }
    Ok(match Option::<Num>::deserialize(d)? {
        Some(Num::Float(n)) => Some(n),
        Some(Num::Text(s)) => s.trim().parse().ok(),
        Some(Num::Other(_)) | None => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(json: &str) -> Message {
        serde_json::from_str(json).expect("message parses")
    }

    #[test]
    fn text_message() {
        let m = message(
            r#"{"from":"6281","id":"wamid.1","timestamp":"1697043223","type":"text","text":{"body":"halo"}}"#,
        );
        let s = m.summary();
        assert_eq!(s.kind, "text");
        assert_eq!(s.body, Some("halo"));
        assert_eq!(m.timestamp, Some(1697043223));
    }

    #[test]
    fn list_and_button_replies_carry_their_ids() {
        let m = message(
            r#"{"id":"w","type":"interactive","interactive":{"type":"list_reply","list_reply":{"id":"svc:skck","title":"SKCK"}}}"#,
        );
        assert_eq!(m.summary().reply_id, Some("svc:skck"));
        assert_eq!(m.summary().body, Some("SKCK"));
        let m = message(r#"{"id":"w","type":"button","button":{"payload":"ya","text":"Ya"}}"#);
        assert_eq!(m.summary().reply_id, Some("ya"));
    }

    #[test]
    fn removed_reaction_has_no_body() {
        let m = message(r#"{"id":"w","type":"reaction","reaction":{"message_id":"x","emoji":""}}"#);
        assert_eq!(m.summary().body, None);
    }

    #[test]
    fn numbers_as_strings_or_numbers() {
        let m = message(
            r#"{"id":"w","timestamp":1700000000,"type":"location","location":{"latitude":"-8.3","longitude":114.2}}"#,
        );
        assert_eq!(m.timestamp, Some(1700000000));
        assert_eq!(m.summary().latitude, Some(-8.3));
        assert_eq!(m.summary().longitude, Some(114.2));
    }

    #[test]
    fn unknown_type_and_fields_are_fine() {
        let m = message(r#"{"id":"w","type":"hologram","hologram":{"x":1},"new_field":[1,2]}"#);
        assert_eq!(m.summary().kind, "hologram");
        let m = message(r#"{"id":"w"}"#);
        assert_eq!(m.summary().kind, "unknown");
    }

    #[test]
    fn message_without_id_is_an_error() {
        assert!(serde_json::from_str::<Message>(r#"{"type":"text"}"#).is_err());
    }

    #[test]
    fn null_lists_are_empty() {
        let v: MessagesValue = serde_json::from_str(
            r#"{"contacts":null,"messages":null,"statuses":null,"errors":null}"#,
        )
        .unwrap();
        assert!(v.messages.is_empty() && v.statuses.is_empty() && v.contacts.is_empty());
    }

    #[test]
    fn forwarded_context() {
        let m = message(r#"{"id":"w","type":"text","context":{"frequently_forwarded":true}}"#);
        assert!(m.summary().forwarded);
        let m = message(r#"{"id":"w","type":"text","context":{"from":"1","id":"wamid.q"}}"#);
        assert_eq!(m.summary().context_wamid, Some("wamid.q"));
        assert!(!m.summary().forwarded);
    }

    #[test]
    fn payload_keeps_raw_values() {
        let text = r#"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"messages":[{"id":"a","text":{"body":"caf\u00e9 @ x"}}]}}]}]}"#;
        let p = Payload::parse(text).unwrap();
        let v: MessagesValue = serde_json::from_str(p.entry[0].changes[0].value.get()).unwrap();
        assert_eq!(
            v.messages[0].get(),
            r#"{"id":"a","text":{"body":"caf\u00e9 @ x"}}"#
        );
    }
}
