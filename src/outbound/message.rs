//! What Kentongan says: the outbound message kinds, checked against WhatsApp's limits before
//! they are queued, and turned into the Cloud API's JSON when sent.
//!
//! A bad message (a 25-character list row, four buttons) is a bug in our code; it is caught here
//! with an error naming the offending part, never by a 400 from Meta.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

pub const MAX_TEXT_BODY: usize = 4096;
pub const MAX_INTERACTIVE_BODY: usize = 1024;
pub const MAX_BUTTONS: usize = 3;
pub const MAX_BUTTON_TITLE: usize = 20;
pub const MAX_BUTTON_ID: usize = 256;
pub const MAX_LIST_BUTTON: usize = 20;
pub const MAX_LIST_SECTIONS: usize = 10;
pub const MAX_LIST_ROWS: usize = 10;
pub const MAX_ROW_TITLE: usize = 24;
pub const MAX_ROW_DESCRIPTION: usize = 72;
pub const MAX_ROW_ID: usize = 200;
pub const MAX_HEADER_FOOTER: usize = 60;
pub const MAX_SECTION_TITLE: usize = 24;
pub const MAX_CAPTION: usize = 1024;

/// One tappable reply button.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Button {
    pub id: String,
    pub title: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListRow {
    pub id: String,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListSection {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    pub rows: Vec<ListRow>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MediaKind {
    Image,
    Document,
    Audio,
    Video,
}

impl MediaKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MediaKind::Image => "image",
            MediaKind::Document => "document",
            MediaKind::Audio => "audio",
            MediaKind::Video => "video",
        }
    }
}

/// The content of an outbound message, independent of its recipient. Stored as JSON in the
/// outbox, so its serialised form is part of the database contract: add variants, never rename.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum OutboundBody {
    Text {
        body: String,
    },
    /// Up to three reply buttons under a body text.
    Buttons {
        body: String,
        buttons: Vec<Button>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        header: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        footer: Option<String>,
    },
    /// A list the resident opens with `button` and picks one row from.
    List {
        body: String,
        button: String,
        sections: Vec<ListSection>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        header: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        footer: Option<String>,
    },
    /// An approved template (the only thing allowed outside the 24-hour window).
    Template {
        name: String,
        language: String,
        body_params: Vec<String>,
    },
    /// Media already uploaded to Meta (by id).
    Media {
        media: MediaKind,
        media_id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        caption: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        filename: Option<String>,
    },
    /// A resident's attachment (row `attachment.id`) that we keep in the data folder, for an
    /// officer. It has no request of its own: when it is due, the outbox worker uploads the file
    /// and sends it as [`OutboundBody::Media`], or sends a text saying why it is not available
    /// (see [`OutboundBody::into_sendable`]).
    Attachment {
        attachment_id: i64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        caption: Option<String>,
    },
}

/// An [`OutboundBody::Attachment`] waiting to be resolved into something sendable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentRef {
    pub attachment_id: i64,
    pub caption: Option<String>,
}

/// A body that can go to Meta as it is: any kind but [`OutboundBody::Attachment`]. The outbox
/// worker builds its requests only from this type, so an attachment that was not resolved first
/// (uploaded, or replaced by a text) cannot be sent by mistake.
#[derive(Debug, Clone, PartialEq)]
pub struct Sendable(OutboundBody);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MessageError {
    #[error("{what} is empty")]
    Empty { what: String },
    #[error("{what} has {len} characters; WhatsApp allows at most {max}")]
    TooLong {
        what: String,
        len: usize,
        max: usize,
    },
    #[error("{what}: {count} given; WhatsApp allows {min} to {max}")]
    Count {
        what: String,
        count: usize,
        min: usize,
        max: usize,
    },
    #[error("{what} {id:?} appears twice; ids must be unique within a message")]
    DuplicateId { what: String, id: String },
    #[error("{what} must be a positive id, not {id}")]
    NotAnId { what: String, id: i64 },
}

/// WhatsApp counts characters, not bytes.
fn check_len(what: &str, value: &str, max: usize) -> Result<(), MessageError> {
    let len = value.chars().count();
    if value.trim().is_empty() {
        return Err(MessageError::Empty { what: what.into() });
    }
    if len > max {
        return Err(MessageError::TooLong {
            what: what.into(),
            len,
            max,
        });
    }
    Ok(())
}

fn check_optional(what: &str, value: &Option<String>, max: usize) -> Result<(), MessageError> {
    match value {
        Some(v) => check_len(what, v, max),
        None => Ok(()),
    }
}

fn check_count(what: &str, count: usize, min: usize, max: usize) -> Result<(), MessageError> {
    if count < min || count > max {
        return Err(MessageError::Count {
            what: what.into(),
            count,
            min,
            max,
        });
    }
    Ok(())
}

fn check_unique<'a>(what: &str, ids: impl Iterator<Item = &'a str>) -> Result<(), MessageError> {
    let mut seen = std::collections::HashSet::new();
    for id in ids {
        if !seen.insert(id) {
            return Err(MessageError::DuplicateId {
                what: what.into(),
                id: id.into(),
            });
        }
    }
    Ok(())
}

impl OutboundBody {
    pub fn text(body: impl Into<String>) -> Self {
        OutboundBody::Text { body: body.into() }
    }

    /// The kind name stored in the outbox's `kind` column.
    pub fn kind(&self) -> &'static str {
        match self {
            OutboundBody::Text { .. } => "text",
            OutboundBody::Buttons { .. } => "buttons",
            OutboundBody::List { .. } => "list",
            OutboundBody::Template { .. } => "template",
            OutboundBody::Media { .. } => "media",
            OutboundBody::Attachment { .. } => "attachment",
        }
    }

    /// A stored attachment for an officer, with an optional caption.
    pub fn attachment(attachment_id: i64, caption: Option<String>) -> Self {
        OutboundBody::Attachment {
            attachment_id,
            caption,
        }
    }

    /// The body as it can be sent, or the attachment that must be resolved first.
    pub fn into_sendable(self) -> Result<Sendable, AttachmentRef> {
        match self {
            OutboundBody::Attachment {
                attachment_id,
                caption,
            } => Err(AttachmentRef {
                attachment_id,
                caption,
            }),
            body => Ok(Sendable(body)),
        }
    }

    /// Check every WhatsApp limit that applies to this message.
    pub fn validate(&self) -> Result<(), MessageError> {
        match self {
            OutboundBody::Text { body } => check_len("text body", body, MAX_TEXT_BODY),
            OutboundBody::Buttons {
                body,
                buttons,
                header,
                footer,
            } => {
                check_len("button message body", body, MAX_INTERACTIVE_BODY)?;
                check_optional("header", header, MAX_HEADER_FOOTER)?;
                check_optional("footer", footer, MAX_HEADER_FOOTER)?;
                check_count("reply buttons", buttons.len(), 1, MAX_BUTTONS)?;
                for b in buttons {
                    check_len("button title", &b.title, MAX_BUTTON_TITLE)?;
                    check_len("button id", &b.id, MAX_BUTTON_ID)?;
                }
                check_unique("button id", buttons.iter().map(|b| b.id.as_str()))?;
                check_unique("button title", buttons.iter().map(|b| b.title.as_str()))
            }
            OutboundBody::List {
                body,
                button,
                sections,
                header,
                footer,
            } => {
                check_len("list message body", body, MAX_INTERACTIVE_BODY)?;
                check_len("list button", button, MAX_LIST_BUTTON)?;
                check_optional("header", header, MAX_HEADER_FOOTER)?;
                check_optional("footer", footer, MAX_HEADER_FOOTER)?;
                check_count("list sections", sections.len(), 1, MAX_LIST_SECTIONS)?;
                let rows: usize = sections.iter().map(|s| s.rows.len()).sum();
                check_count("list rows in total", rows, 1, MAX_LIST_ROWS)?;
                for s in sections {
                    // With several sections each needs a title.
                    if sections.len() > 1 && s.title.is_none() {
                        return Err(MessageError::Empty {
                            what: "section title (required with several sections)".into(),
                        });
                    }
                    check_optional("section title", &s.title, MAX_SECTION_TITLE)?;
                    check_count("rows in a section", s.rows.len(), 1, MAX_LIST_ROWS)?;
                    for r in &s.rows {
                        check_len("list row title", &r.title, MAX_ROW_TITLE)?;
                        check_len("list row id", &r.id, MAX_ROW_ID)?;
                        check_optional(
                            "list row description",
                            &r.description,
                            MAX_ROW_DESCRIPTION,
                        )?;
                    }
                }
                check_unique(
                    "list row id",
                    sections
                        .iter()
                        .flat_map(|s| s.rows.iter().map(|r| r.id.as_str())),
                )
            }
            OutboundBody::Template {
                name,
                language,
                body_params,
            } => {
                check_len("template name", name, 512)?;
                check_len("template language", language, 16)?;
                // An empty parameter is a 400 from Meta.
                for p in body_params {
                    check_len("template parameter", p, 32768)?;
                }
                Ok(())
            }
            OutboundBody::Media {
                media_id,
                caption,
                filename,
                ..
            } => {
                check_len("media id", media_id, 256)?;
                check_optional("caption", caption, MAX_CAPTION)?;
                check_optional("filename", filename, 240)
            }
            OutboundBody::Attachment {
                attachment_id,
                caption,
            } => {
                if *attachment_id <= 0 {
                    return Err(MessageError::NotAnId {
                        what: "attachment id".into(),
                        id: *attachment_id,
                    });
                }
                check_optional("caption", caption, MAX_CAPTION)
            }
        }
    }

    /// The request body of `POST /{phone_number_id}/messages` for a body known to be sendable
    /// (tests, the simulator). The outbox worker goes through [`OutboundBody::into_sendable`]
    /// and [`Sendable::to_request`] instead. An unresolved [`OutboundBody::Attachment`] has no
    /// request: it gives `"type": "attachment"`, which Meta (and the schema tests) refuse, so a
    /// misuse fails loudly rather than sending the officer something else.
    pub fn to_request(&self, to: &str, reply_to: Option<&str>) -> Value {
        build_request(self, to, reply_to)
    }

    /// A plain-text rendering (for the sandbox, logs at debug level and the dashboard's chat
    /// view): the body followed by the options a resident could tap.
    pub fn preview(&self) -> String {
        match self {
            OutboundBody::Text { body } => body.clone(),
            OutboundBody::Buttons { body, buttons, .. } => {
                let mut out = body.clone();
                for b in buttons {
                    out.push_str(&format!("\n[{}]", b.title));
                }
                out
            }
            OutboundBody::List { body, sections, .. } => {
                let mut out = body.clone();
                for s in sections {
                    if let Some(t) = &s.title {
                        out.push_str(&format!("\n— {t} —"));
                    }
                    for r in &s.rows {
                        out.push_str(&format!("\n• {}", r.title));
                    }
                }
                out
            }
            OutboundBody::Template {
                name, body_params, ..
            } => format!("[template {name}] {}", body_params.join(" | ")),
            OutboundBody::Media { media, caption, .. } => {
                format!("[{}] {}", media.as_str(), caption.as_deref().unwrap_or(""))
            }
            OutboundBody::Attachment { caption, .. } => caption
                .as_deref()
                .filter(|c| !c.trim().is_empty())
                .unwrap_or("[lampiran]")
                .to_string(),
        }
    }
}

impl Sendable {
    pub fn text(body: impl Into<String>) -> Self {
        Sendable(OutboundBody::text(body))
    }

    /// Media already uploaded to Meta.
    pub fn media(
        media: MediaKind,
        media_id: impl Into<String>,
        caption: Option<String>,
        filename: Option<String>,
    ) -> Self {
        Sendable(OutboundBody::Media {
            media,
            media_id: media_id.into(),
            caption,
            filename,
        })
    }

    pub fn body(&self) -> &OutboundBody {
        &self.0
    }

    pub fn into_body(self) -> OutboundBody {
        self.0
    }

    /// The request body of `POST /{phone_number_id}/messages` for this message.
    pub fn to_request(&self, to: &str, reply_to: Option<&str>) -> Value {
        build_request(&self.0, to, reply_to)
    }
}

fn build_request(body: &OutboundBody, to: &str, reply_to: Option<&str>) -> Value {
    let mut message = json!({
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to,
    });
    let (kind, content) = match body {
        OutboundBody::Text { body } => ("text", json!({ "body": body, "preview_url": false })),
        OutboundBody::Buttons {
            body,
            buttons,
            header,
            footer,
        } => {
            let mut interactive = json!({
                "type": "button",
                "body": { "text": body },
                "action": { "buttons": buttons.iter().map(|b| json!({
                    "type": "reply",
                    "reply": { "id": b.id, "title": b.title },
                })).collect::<Vec<_>>() },
            });
            add_header_footer(&mut interactive, header, footer);
            ("interactive", interactive)
        }
        OutboundBody::List {
            body,
            button,
            sections,
            header,
            footer,
        } => {
            let sections: Vec<Value> = sections
                .iter()
                .map(|s| {
                    let mut section = json!({ "rows": s.rows.iter().map(|r| {
                            let mut row = json!({ "id": r.id, "title": r.title });
                            if let Some(d) = &r.description {
                                row["description"] = json!(d);
                            }
                            row
                        }).collect::<Vec<_>>() });
                    if let Some(t) = &s.title {
                        section["title"] = json!(t);
                    }
                    section
                })
                .collect();
            let mut interactive = json!({
                "type": "list",
                "body": { "text": body },
                "action": { "button": button, "sections": sections },
            });
            add_header_footer(&mut interactive, header, footer);
            ("interactive", interactive)
        }
        OutboundBody::Template {
            name,
            language,
            body_params,
        } => {
            let mut template = json!({
                "name": name,
                "language": { "code": language, "policy": "deterministic" },
            });
            if !body_params.is_empty() {
                template["components"] = json!([{
                    "type": "body",
                    "parameters": body_params.iter().map(|p| json!({ "type": "text", "text": p })).collect::<Vec<_>>(),
                }]);
            }
            ("template", template)
        }
        OutboundBody::Media {
            media,
            media_id,
            caption,
            filename,
        } => {
            let mut content = json!({ "id": media_id });
            // Audio carries no caption; documents may carry a filename.
            if let (Some(c), false) = (caption, *media == MediaKind::Audio) {
                content["caption"] = json!(c);
            }
            if let (Some(f), MediaKind::Document) = (filename, media) {
                content["filename"] = json!(f);
            }
            (media.as_str(), content)
        }
        // Not a request Meta knows: see `OutboundBody::to_request`.
        OutboundBody::Attachment {
            attachment_id,
            caption,
        } => (
            "attachment",
            json!({ "attachment_id": attachment_id, "caption": caption }),
        ),
    };
    message["type"] = json!(kind);
    message[kind] = content;
    if let Some(id) = reply_to {
        message["context"] = json!({ "message_id": id });
    }
    message
}

fn add_header_footer(interactive: &mut Value, header: &Option<String>, footer: &Option<String>) {
    if let Some(h) = header {
        interactive["header"] = json!({ "type": "text", "text": h });
    }
    if let Some(f) = footer {
        interactive["footer"] = json!({ "text": f });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn buttons(n: usize) -> OutboundBody {
        OutboundBody::Buttons {
            body: "Kirim permohonan?".into(),
            buttons: (0..n)
                .map(|i| Button {
                    id: format!("b{i}"),
                    title: format!("Pilihan {i}"),
                })
                .collect(),
            header: None,
            footer: None,
        }
    }

    fn list(rows: usize, title_len: usize) -> OutboundBody {
        OutboundBody::List {
            body: "Pilih layanan".into(),
            button: "Lihat layanan".into(),
            sections: vec![ListSection {
                title: None,
                rows: (0..rows)
                    .map(|i| ListRow {
                        id: format!("svc:{i}"),
                        title: format!("{i:0>width$}", width = title_len),
                        description: None,
                    })
                    .collect(),
            }],
            header: None,
            footer: None,
        }
    }

    #[test]
    fn limits_are_enforced() {
        assert!(buttons(3).validate().is_ok());
        assert!(matches!(
            buttons(4).validate(),
            Err(MessageError::Count { .. })
        ));
        assert!(matches!(
            buttons(0).validate(),
            Err(MessageError::Count { .. })
        ));
        assert!(list(10, 24).validate().is_ok());
        assert!(matches!(
            list(11, 5).validate(),
            Err(MessageError::Count { .. })
        ));
        assert_eq!(
            list(2, 25).validate(),
            Err(MessageError::TooLong {
                what: "list row title".into(),
                len: 25,
                max: 24
            })
        );
        let long = OutboundBody::text("x".repeat(4097));
        assert!(long.validate().is_err());
        // Characters, not bytes: 4096 emoji are fine.
        assert!(OutboundBody::text("🙏".repeat(4096)).validate().is_ok());
        assert!(OutboundBody::text("  ").validate().is_err());
        let empty_param = OutboundBody::Template {
            name: "status_update".into(),
            language: "id".into(),
            body_params: vec!["KLP-0001".into(), "".into()],
        };
        assert!(empty_param.validate().is_err());
    }

    #[test]
    fn duplicate_ids_are_refused() {
        let mut b = buttons(2);
        if let OutboundBody::Buttons { buttons, .. } = &mut b {
            buttons[1].id = "b0".into();
        }
        assert!(matches!(
            b.validate(),
            Err(MessageError::DuplicateId { .. })
        ));
    }

    #[test]
    fn request_json_shapes() {
        let v = OutboundBody::text("Halo").to_request("6281234567890", Some("wamid.in"));
        assert_eq!(
            v,
            json!({"messaging_product": "whatsapp", "recipient_type": "individual", "to": "6281234567890",
                   "type": "text", "text": {"body": "Halo", "preview_url": false},
                   "context": {"message_id": "wamid.in"}})
        );
        let v = buttons(2).to_request("62812", None);
        assert_eq!(
            v["interactive"]["action"]["buttons"][1]["reply"]["id"],
            "b1"
        );
        assert_eq!(v["interactive"]["type"], "button");
        let v = OutboundBody::Template {
            name: "status_update".into(),
            language: "id".into(),
            body_params: vec!["KLP-0042".into()],
        }
        .to_request("62812", None);
        assert_eq!(
            v["template"]["components"][0]["parameters"][0]["text"],
            "KLP-0042"
        );
    }

    #[test]
    fn attachment_is_stored_as_a_reference_and_must_be_resolved() {
        let body = OutboundBody::attachment(42, Some("KTP pemohon KLP-0042".into()));
        assert_eq!(body.kind(), "attachment");
        assert_eq!(
            serde_json::to_value(&body).unwrap(),
            json!({"kind": "attachment", "attachment_id": 42, "caption": "KTP pemohon KLP-0042"})
        );
        let bare: OutboundBody =
            serde_json::from_str(r#"{"kind":"attachment","attachment_id":7}"#).unwrap();
        assert_eq!(bare, OutboundBody::attachment(7, None));
        assert_eq!(
            serde_json::to_string(&bare).unwrap(),
            r#"{"kind":"attachment","attachment_id":7}"#
        );
        assert_eq!(bare.preview(), "[lampiran]");
        assert_eq!(body.preview(), "KTP pemohon KLP-0042");
        assert!(body.validate().is_ok());
        assert!(matches!(
            OutboundBody::attachment(1, Some("x".repeat(1025))).validate(),
            Err(MessageError::TooLong { max: 1024, .. })
        ));
        assert!(matches!(
            OutboundBody::attachment(0, None).validate(),
            Err(MessageError::NotAnId { .. })
        ));
        assert_eq!(
            body.clone().into_sendable(),
            Err(AttachmentRef {
                attachment_id: 42,
                caption: Some("KTP pemohon KLP-0042".into())
            })
        );
        // Misused, it gives nothing Meta would accept.
        assert_eq!(body.to_request("62812", None)["type"], "attachment");
        // Everything else is sendable as it is, with the same request.
        let text = OutboundBody::text("Halo");
        let sendable = text.clone().into_sendable().expect("sendable");
        assert_eq!(
            sendable.to_request("62812", None),
            text.to_request("62812", None)
        );
        assert_eq!(sendable.into_body(), text);
        let media = Sendable::media(MediaKind::Document, "99", None, Some("a.pdf".into()));
        assert_eq!(
            media.to_request("62812", None)["document"]["filename"],
            "a.pdf"
        );
    }

    #[test]
    fn stored_form_round_trips() {
        for body in [
            buttons(3),
            list(4, 10),
            OutboundBody::text("x"),
            OutboundBody::attachment(3, Some("Foto KK".into())),
        ] {
            let stored = serde_json::to_string(&body).unwrap();
            assert_eq!(serde_json::from_str::<OutboundBody>(&stored).unwrap(), body);
        }
    }
}
