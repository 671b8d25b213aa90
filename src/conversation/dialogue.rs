//! The resident dialogue as a pure state machine: `step(conversation, event, ctx)` returns the
//! next conversation and the actions to take. No I/O happens here; the caller persists the
//! conversation and carries out the actions in the same database transaction that recorded the
//! message, so a message is handled exactly once.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveTime, Timelike};
use serde::{Deserialize, Serialize};

use super::recognise::{Intent, Recogniser};
use super::texts::{self, DocLine};
use crate::catalogue::{Catalogue, Field, FieldKind, Service};
use crate::domain::{nik::Nik, no_kk::NoKk, phone::WaId, rt_rw::RtRw, ticket::TicketCode};
use crate::outbound::{Button, ListRow, ListSection, OutboundBody};

/// A resident's conversation, persisted between messages.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Conversation {
    pub stage: Stage,
    /// The request being filled in, if any.
    #[serde(default)]
    pub draft: Option<Draft>,
    /// Further services asked for in the same message, handled after the current one.
    #[serde(default)]
    pub queued: Vec<String>,
    /// Photos or PDFs sent before we knew what they were for.
    #[serde(default)]
    pub loose_media: Vec<MediaRef>,
    /// The last shared location (for home delivery).
    #[serde(default)]
    pub location: Option<Location>,
    /// Unix seconds of the last message handled.
    #[serde(default)]
    pub last_activity: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(tag = "stage", rename_all = "snake_case")]
pub enum Stage {
    #[default]
    Idle,
    /// The service list is shown.
    Menu,
    /// The recogniser was unsure; its best guesses are shown.
    Guess { candidates: Vec<String> },
    /// "Pakai data sebelumnya?"
    OfferSaved,
    /// Asking field `index` of the draft's service; `editing` returns to the summary after.
    Field { index: usize, editing: bool },
    /// Asking for document `index`.
    Document { index: usize },
    /// The summary is shown with Kirim / Ubah / Batal.
    Confirm,
    /// Choosing which field to change.
    EditPick,
    /// "Batalkan pengisian?"; `resume` is where we were.
    ConfirmDropDraft { resume: Box<Stage> },
    /// Choosing which submitted request to cancel.
    PickCancel,
    /// "Batalkan permohonan KLP-0042?"
    ConfirmCancel { ticket: String },
    /// Waiting for the complaint text.
    Complaint,
    /// A complaint was filed; a photo now is added to it.
    ComplaintFiled,
    /// The conversation was idle too long; offering to resume `previous`.
    Resume { previous: Box<Stage> },
}

/// A request being filled in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Draft {
    pub service: String,
    /// Who the letter is for when it is not the resident ("anak", "ibu", …).
    #[serde(default)]
    pub relation: Option<String>,
    /// Field key → value as it will be stored; "" for a skipped optional field.
    #[serde(default)]
    pub values: BTreeMap<String, String>,
    /// Document key → how it is provided.
    #[serde(default)]
    pub documents: BTreeMap<String, DocAnswer>,
    /// Whether the saved data was already offered for this draft.
    #[serde(default)]
    pub saved_offered: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "provided", rename_all = "snake_case")]
pub enum DocAnswer {
    Sent {
        media: MediaRef,
    },
    /// Brought to the office or handed over at delivery.
    Later,
    /// Optional and not available.
    Skipped,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MediaRef {
    /// `image` or `document`.
    pub kind: String,
    pub media_id: String,
    #[serde(default)]
    pub mime_type: Option<String>,
    #[serde(default)]
    pub filename: Option<String>,
    /// The inbound message that carried it.
    pub inbound_id: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Location {
    pub latitude: f64,
    pub longitude: f64,
    #[serde(default)]
    pub label: Option<String>,
}

/// What the resident did.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    Text(String),
    /// A tapped button or list row.
    Reply {
        id: String,
        title: String,
    },
    Media {
        media: MediaRef,
        caption: Option<String>,
    },
    Location(Location),
    Voice,
    Sticker,
    /// Reactions, edits, deletions, system notices: nothing to answer.
    Ignored,
    /// Anything else (video, contacts, order, unknown types).
    Unsupported,
}

/// A submitted request the resident has, as the dialogue needs to know it.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestBrief {
    pub ticket: String,
    pub service: String,
    pub state: String,
}

/// The resident's own data from earlier requests.
#[derive(Debug, Clone, PartialEq)]
pub struct SavedData {
    pub nik: String,
    pub nama: String,
}

/// Office opening hours, local time.
#[derive(Debug, Clone, PartialEq)]
pub struct OfficeHours {
    /// ISO weekday numbers (Monday = 1) on which the office is open.
    pub days: Vec<u32>,
    pub open: NaiveTime,
    pub close: NaiveTime,
}

impl Default for OfficeHours {
    fn default() -> Self {
        Self {
            days: vec![1, 2, 3, 4, 5],
            open: NaiveTime::from_hms_opt(8, 0, 0).unwrap_or_default(),
            close: NaiveTime::from_hms_opt(15, 0, 0).unwrap_or_default(),
        }
    }
}

impl OfficeHours {
    pub fn is_open(&self, now: &DateTime<FixedOffset>) -> bool {
        let t = now.time();
        self.days.contains(&now.weekday().number_from_monday()) && t >= self.open && t < self.close
    }

    /// "hari ini pukul 08.00", "besok pukul 08.00", "Senin pukul 08.00".
    pub fn next_opening(&self, now: &DateTime<FixedOffset>) -> String {
        let open = format!("pukul {:02}.{:02}", self.open.hour(), self.open.minute());
        for offset in 0..8 {
            let day = now.date_naive() + chrono::Duration::days(offset);
            if !self.days.contains(&day.weekday().number_from_monday()) {
                continue;
            }
            if offset == 0 && now.time() >= self.open {
                continue;
            }
            return match offset {
                0 => format!("hari ini {open}"),
                1 => format!("besok {open}"),
                _ => format!("hari {} {open}", hari(day)),
            };
        }
        "pada hari kerja berikutnya".to_string()
    }
}

fn hari(day: NaiveDate) -> &'static str {
    match day.weekday().number_from_monday() {
        1 => "Senin",
        2 => "Selasa",
        3 => "Rabu",
        4 => "Kamis",
        5 => "Jumat",
        6 => "Sabtu",
        _ => "Minggu",
    }
}

/// Everything the dialogue may read besides the conversation itself.
pub struct Ctx<'a> {
    pub village_name: &'a str,
    /// Kemendagri code of the village, for the "NIK from elsewhere" warning.
    pub kode_wilayah: &'a str,
    pub ticket_prefix: &'a str,
    pub catalogue: &'a Catalogue,
    pub recogniser: &'a Recogniser,
    /// Local time of the village.
    pub now: DateTime<FixedOffset>,
    /// No earlier message from this resident was ever handled.
    pub first_contact: bool,
    pub saved: Option<SavedData>,
    /// The resident's requests that are not closed, newest first.
    pub open_requests: Vec<RequestBrief>,
    pub submitted_today: u32,
    pub daily_limit: u32,
    pub idle_timeout_secs: i64,
    pub office: OfficeHours,
}

/// What the caller must do, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Reply(OutboundBody),
    /// File the request; the caller allocates the ticket and sends the confirmation.
    Submit(Submission),
    /// Report on one ticket, or on all open requests.
    ShowStatus {
        ticket: Option<String>,
    },
    /// Cancel a submitted request (the caller re-checks that it may still be cancelled).
    CancelRequest {
        ticket: String,
    },
    FileComplaint {
        text: String,
        media: Vec<MediaRef>,
    },
    /// Add a photo to the complaint filed last.
    AttachToComplaint(MediaRef),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Submission {
    pub service: String,
    pub relation: Option<String>,
    pub values: BTreeMap<String, String>,
    pub documents: BTreeMap<String, DocAnswer>,
    pub location: Option<Location>,
}

/// Buttons/list row ids. Ids are matched exactly; titles are only shown.
mod ids {
    pub const SERVICE: &str = "svc:";
    pub const MENU_PAGE: &str = "menu:page:";
    pub const MENU_STATUS: &str = "menu:status";
    pub const MENU_ADUAN: &str = "menu:aduan";
    pub const MENU_ALL: &str = "menu:all";
    pub const SAVED_USE: &str = "saved:use";
    pub const SAVED_OTHER: &str = "saved:other";
    pub const SAVED_NEW: &str = "saved:new";
    pub const SKIP: &str = "field:skip";
    pub const CHOICE: &str = "choice:";
    pub const DOC_LATER: &str = "doc:later";
    pub const DOC_SKIP: &str = "doc:skip";
    pub const SEND: &str = "confirm:send";
    pub const EDIT: &str = "confirm:edit";
    pub const CANCEL: &str = "confirm:cancel";
    pub const EDIT_FIELD: &str = "edit:";
    pub const DROP_YES: &str = "drop:yes";
    pub const DROP_NO: &str = "drop:no";
    pub const CANCEL_PICK: &str = "cancelreq:";
    pub const CANCEL_YES: &str = "cancel:yes";
    pub const CANCEL_NO: &str = "cancel:no";
    pub const RESUME_YES: &str = "resume:yes";
    pub const RESUME_NO: &str = "resume:no";
}

/// States a resident may still cancel from WhatsApp: before an officer has started.
pub const CANCELLABLE_STATES: &[&str] = &["diajukan"];

struct Out {
    actions: Vec<Action>,
}

impl Out {
    fn text(&mut self, text: impl Into<String>) {
        self.actions.push(Action::Reply(OutboundBody::text(text)));
    }
    fn buttons(&mut self, body: impl Into<String>, buttons: &[(&str, &str)]) {
        self.actions.push(Action::Reply(OutboundBody::Buttons {
            body: body.into(),
            buttons: buttons
                .iter()
                .map(|(id, title)| Button {
                    id: id.to_string(),
                    title: title.to_string(),
                })
                .collect(),
            header: None,
            footer: None,
        }));
    }
    fn list(&mut self, body: impl Into<String>, button: &str, rows: Vec<ListRow>) {
        self.actions.push(Action::Reply(OutboundBody::List {
            body: body.into(),
            button: button.to_string(),
            sections: vec![ListSection { title: None, rows }],
            header: None,
            footer: None,
        }));
    }
}

/// Handle one event. Pure: same inputs, same outputs.
pub fn step(mut conv: Conversation, event: Event, ctx: &Ctx) -> (Conversation, Vec<Action>) {
    let mut out = Out {
        actions: Vec::new(),
    };
    let now = ctx.now.timestamp();
    let idle = conv.last_activity > 0 && now - conv.last_activity > ctx.idle_timeout_secs;
    let ignored = matches!(event, Event::Ignored);
    if !matches!(event, Event::Ignored) {
        conv.last_activity = now;
    }
    if ctx.first_contact && !matches!(event, Event::Ignored) {
        out.text(texts::welcome(ctx.village_name));
    }
    if idle && conv.draft.is_none() {
        // A question left open long ago no longer stands: a "ya" or a photo days later must not
        // cancel a request or land in an old complaint.
        if matches!(
            conv.stage,
            Stage::Complaint
                | Stage::ComplaintFiled
                | Stage::ConfirmCancel { .. }
                | Stage::PickCancel
                | Stage::Guess { .. }
        ) {
            conv.stage = Stage::Idle;
        }
    }
    if idle && conv.draft.is_some() && !matches!(conv.stage, Stage::Resume { .. }) {
        match after_idle(&event, ctx) {
            AfterIdle::Continue => {}
            AfterIdle::StartOver => {
                conv.draft = None;
                conv.queued.clear();
                conv.stage = Stage::Idle;
            }
            AfterIdle::Offer => {
                let title = draft_service(&conv, ctx)
                    .map(|s| s.title.clone())
                    .unwrap_or_default();
                let previous = std::mem::take(&mut conv.stage);
                conv.stage = Stage::Resume {
                    previous: Box::new(previous),
                };
                out.buttons(
                    texts::resume_offer(&title),
                    &[
                        (ids::RESUME_YES, texts::RESUME_YES),
                        (ids::RESUME_NO, texts::RESUME_NO),
                    ],
                );
                return (conv, out.actions);
            }
        }
    }
    match event {
        Event::Ignored => {}
        Event::Voice => {
            out.text(texts::voice_note());
            repeat_question(&mut conv, ctx, &mut out);
        }
        Event::Sticker => out.text(texts::sticker()),
        Event::Unsupported => out.text(texts::unsupported()),
        Event::Location(loc) => on_location(&mut conv, loc, ctx, &mut out),
        Event::Media { media, caption } => on_media(&mut conv, media, caption, ctx, &mut out),
        Event::Reply { id, title } => on_reply(&mut conv, &id, &title, ctx, &mut out),
        Event::Text(text) => on_text(&mut conv, &text, ctx, &mut out),
    }
    if !ignored && out.actions.is_empty() {
        // A tap on a button of an older message, or an answer to nothing: never stay silent,
        // say again what we are waiting for.
        ask_again(&mut conv, ctx, &mut out);
    }
    (conv, out.actions)
}

fn ask_again(conv: &mut Conversation, ctx: &Ctx, out: &mut Out) {
    match conv.stage.clone() {
        Stage::ConfirmCancel { ticket } => {
            match ctx.open_requests.iter().find(|r| r.ticket == ticket) {
                Some(r) => ask_cancel(conv, r, ctx, out),
                None => show_menu(conv, 0, ctx, out),
            }
        }
        Stage::ConfirmDropDraft { .. } => match draft_service(conv, ctx) {
            Some(service) => out.buttons(
                texts::confirm_cancel_draft(service),
                &[
                    (ids::DROP_YES, texts::YES_CANCEL),
                    (ids::DROP_NO, texts::NO_CONTINUE),
                ],
            ),
            None => show_menu(conv, 0, ctx, out),
        },
        Stage::Resume { .. } => {
            let title = draft_service(conv, ctx)
                .map(|s| s.title.clone())
                .unwrap_or_default();
            out.buttons(
                texts::resume_offer(&title),
                &[
                    (ids::RESUME_YES, texts::RESUME_YES),
                    (ids::RESUME_NO, texts::RESUME_NO),
                ],
            );
        }
        Stage::Complaint => out.text(texts::complaint_prompt()),
        Stage::EditPick => on_reply(conv, ids::EDIT, "", ctx, out),
        _ => repeat_question(conv, ctx, out),
    }
    if out.actions.is_empty() {
        show_menu(conv, 0, ctx, out);
    }
}

enum AfterIdle {
    /// Handle the event as usual, keeping the half-filled request.
    Continue,
    /// A new request or a complaint: the old draft is dropped.
    StartOver,
    /// Ask whether to resume first.
    Offer,
}

/// What a message after a long pause means for the half-filled request.
fn after_idle(event: &Event, ctx: &Ctx) -> AfterIdle {
    match event {
        Event::Text(t) => {
            let r = ctx.recogniser.recognise(t);
            if r.unsure {
                return AfterIdle::Offer;
            }
            let starts_over = r.intents.iter().any(|i| match i {
                Intent::Service(_) | Intent::Aduan => true,
                Intent::Menu => is_menu_word(&normalise(t)),
                _ => false,
            });
            // Asking for a status or to cancel is about what exists: the draft stays.
            let about_existing = r
                .intents
                .iter()
                .any(|i| matches!(i, Intent::Status | Intent::Batal));
            if starts_over {
                AfterIdle::StartOver
            } else if about_existing {
                AfterIdle::Continue
            } else {
                AfterIdle::Offer
            }
        }
        // A tap on a menu row starts something new; a tap on a button of the pending question
        // (Kirim on the summary, a choice) answers it.
        Event::Reply { id, .. } => {
            if id.starts_with(ids::SERVICE) || id.starts_with("menu:") {
                AfterIdle::StartOver
            } else {
                AfterIdle::Continue
            }
        }
        Event::Ignored => AfterIdle::Continue,
        _ => AfterIdle::Offer,
    }
}

fn draft_service<'c>(conv: &Conversation, ctx: &Ctx<'c>) -> Option<&'c Service> {
    conv.draft
        .as_ref()
        .and_then(|d| ctx.catalogue.get(&d.service))
}

// ---------------------------------------------------------------------------------------------
// Text

fn normalise(text: &str) -> String {
    text.to_lowercase()
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c.is_whitespace() {
                c
            } else {
                ' '
            }
        })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn is_yes(norm: &str) -> bool {
    matches!(
        norm,
        "ya" | "iya"
            | "y"
            | "ok"
            | "oke"
            | "okay"
            | "betul"
            | "benar"
            | "bener"
            | "nggih"
            | "inggih"
            | "enggih"
            | "iyo"
            | "yo"
            | "yes"
            | "setuju"
            | "lanjut"
            | "boleh"
            | "ya betul"
            | "ya benar"
            | "kirim"
            | "gih"
            | "geh"
    )
}

fn is_no(norm: &str) -> bool {
    matches!(
        norm,
        "tidak"
            | "tdk"
            | "gak"
            | "ga"
            | "nggak"
            | "ngga"
            | "enggak"
            | "no"
            | "mboten"
            | "boten"
            | "ora"
            | "sing"
            | "belum"
            | "dereng"
            | "jangan"
    )
}

/// "jangan dibatalkan", "tidak jadi batal": a no, even though it says "batal".
fn has_negation(norm: &str) -> bool {
    norm.split_whitespace()
        .any(|w| is_no(w) || matches!(w, "ndak" | "nda" | "gk" | "tak" | "ojo" | "aja" | "ampun"))
}

fn is_later(norm: &str) -> bool {
    [
        "nanti",
        "nyusul",
        "menyusul",
        "bawa ke kantor",
        "dibawa",
        "kantor",
        "besok",
        "belum ada",
        "tidak ada",
        "gak ada",
        "ga ada",
        "mboten wonten",
        "durung",
        "dereng",
    ]
    .iter()
    .any(|w| norm.contains(w))
}

fn is_thanks(norm: &str) -> bool {
    [
        "terima kasih",
        "terimakasih",
        "makasih",
        "matur nuwun",
        "matur suwun",
        "suwun",
        "thanks",
        "thx",
        "tq",
    ]
    .iter()
    .any(|w| norm.contains(w))
}

/// Words that say the letter is for someone else, and how to call that person.
fn relation_in(norm: &str) -> Option<String> {
    const RELATIONS: &[(&str, &str)] = &[
        ("anak", "anak Bapak/Ibu"),
        ("lare", "anak Bapak/Ibu"),
        ("putra", "putra/putri Bapak/Ibu"),
        ("putri", "putra/putri Bapak/Ibu"),
        ("ibu saya", "ibu Bapak/Ibu"),
        ("bapak saya", "bapak Bapak/Ibu"),
        ("orang tua", "orang tua Bapak/Ibu"),
        ("ortu", "orang tua Bapak/Ibu"),
        ("suami", "suami"),
        ("istri", "istri"),
        ("adik", "adik Bapak/Ibu"),
        ("kakak", "kakak Bapak/Ibu"),
        ("orang lain", "orang yang bersangkutan"),
        ("atas nama", "orang yang bersangkutan"),
    ];
    let padded = format!(" {norm} ");
    RELATIONS
        .iter()
        .find(|(w, _)| padded.contains(&format!(" {w} ")))
        .map(|(_, r)| r.to_string())
}

/// A short message that is clearly a command, whatever the stage.
fn command_in(text: &str, ctx: &Ctx) -> Option<Intent> {
    let norm = normalise(text);
    if norm.split_whitespace().count() > 5 {
        return None;
    }
    if TicketCode::find_in_text(text, ctx.ticket_prefix).is_some()
        && !["batal", "cancel"].iter().any(|w| norm.contains(w))
    {
        return Some(Intent::Status);
    }
    let r = ctx.recogniser.recognise(text);
    if r.unsure {
        return None;
    }
    r.intents
        .into_iter()
        .find(|i| {
            matches!(
                i,
                Intent::Menu | Intent::Batal | Intent::Status | Intent::Aduan
            )
        })
        .filter(|i| *i != Intent::Menu || is_menu_word(&norm))
}

/// "menu" interrupts slot filling only when said plainly; a greeting in the middle of a form is
/// small talk, not a restart.
fn is_menu_word(norm: &str) -> bool {
    [
        "menu",
        "mulai",
        "ulang",
        "mulai lagi",
        "kembali",
        "daftar layanan",
        "layanan",
        "help",
        "bantuan",
    ]
    .iter()
    .any(|w| norm == *w || norm.starts_with(&format!("{w} ")))
}

fn on_text(conv: &mut Conversation, text: &str, ctx: &Ctx, out: &mut Out) {
    let norm = normalise(text);
    // Answers to the current question come first; commands interrupt.
    if matches!(conv.stage, Stage::PickCancel)
        && TicketCode::find_in_text(text, ctx.ticket_prefix).is_some()
    {
        // Typing the ticket from the list picks it.
        return on_batal(conv, text, ctx, out);
    }
    if let Some(cmd) = command_in(text, ctx) {
        // "Ya, batalkan" typed at a cancel question is the answer, not a new cancel.
        let answers_cancel_question = cmd == Intent::Batal
            && matches!(
                conv.stage,
                Stage::ConfirmDropDraft { .. } | Stage::ConfirmCancel { .. }
            );
        let answers_complaint_prompt =
            matches!(conv.stage, Stage::Complaint) && cmd == Intent::Aduan;
        if !answers_cancel_question && !answers_complaint_prompt {
            return on_intents(conv, text, vec![cmd], ctx, out);
        }
    }
    if let Some(done) = correction(conv, text, ctx, out) {
        if done {
            return;
        }
    }
    match conv.stage.clone() {
        Stage::Field { index, editing } => answer_field(conv, index, editing, text, ctx, out),
        Stage::Document { index } => {
            if is_later(&norm) {
                document_answer(conv, index, DocAnswer::Later, ctx, out)
            } else {
                let label = current_doc_label(conv, index, ctx);
                out.text(format!(
                    "Mohon kirim sebagai foto atau PDF ya. Atau pilih *{}* bila {label} belum ada.",
                    texts::BRING_TO_OFFICE
                ));
                ask_next(conv, ctx, out);
            }
        }
        Stage::OfferSaved => {
            if is_yes(&norm) {
                on_reply(conv, ids::SAVED_USE, "", ctx, out)
            } else if let Some(relation) = relation_in(&norm) {
                set_relation(conv, relation, out);
                ask_next(conv, ctx, out);
            } else if is_no(&norm) || norm.contains("baru") {
                on_reply(conv, ids::SAVED_NEW, "", ctx, out)
            } else {
                ask_next(conv, ctx, out)
            }
        }
        Stage::Confirm => {
            if is_yes(&norm) {
                on_reply(conv, ids::SEND, "", ctx, out)
            } else if norm.contains("ubah") || norm.contains("ganti") || norm.contains("salah") {
                on_reply(conv, ids::EDIT, "", ctx, out)
            } else {
                show_summary(conv, ctx, out)
            }
        }
        Stage::ConfirmDropDraft { .. } => {
            let id = if !has_negation(&norm) && (is_yes(&norm) || norm.contains("batal")) {
                ids::DROP_YES
            } else {
                ids::DROP_NO
            };
            on_reply(conv, id, "", ctx, out)
        }
        Stage::ConfirmCancel { .. } => {
            let id = if !has_negation(&norm) && (is_yes(&norm) || norm.contains("batal")) {
                ids::CANCEL_YES
            } else {
                ids::CANCEL_NO
            };
            on_reply(conv, id, "", ctx, out)
        }
        Stage::Resume { .. } => {
            let id = if is_no(&norm) || norm.contains("baru") {
                ids::RESUME_NO
            } else {
                ids::RESUME_YES
            };
            on_reply(conv, id, "", ctx, out)
        }
        Stage::Complaint => {
            let media = std::mem::take(&mut conv.loose_media);
            conv.stage = Stage::ComplaintFiled;
            out.actions.push(Action::FileComplaint {
                text: text.trim().to_string(),
                media,
            });
        }
        Stage::EditPick => {
            if let Some((index, _)) = field_by_word(conv, &norm, ctx) {
                conv.stage = Stage::Field {
                    index,
                    editing: true,
                };
                ask_next(conv, ctx, out);
            } else {
                on_reply(conv, ids::EDIT, "", ctx, out)
            }
        }
        Stage::Menu | Stage::Guess { .. } | Stage::PickCancel => {
            if let Some(service) = numbered_service(&norm, ctx) {
                return start_service(conv, service, vec![], None, ctx, out);
            }
            free_text(conv, text, ctx, out)
        }
        Stage::Idle | Stage::ComplaintFiled => {
            if let Some(service) = numbered_service(&norm, ctx) {
                return start_service(conv, service, vec![], None, ctx, out);
            }
            free_text(conv, text, ctx, out)
        }
    }
}

fn free_text(conv: &mut Conversation, text: &str, ctx: &Ctx, out: &mut Out) {
    let norm = normalise(text);
    let recognition = ctx.recogniser.recognise(text);
    if recognition.unsure {
        let candidates: Vec<String> = recognition
            .candidates
            .iter()
            .filter_map(|(i, _)| match i {
                Intent::Service(code) if ctx.catalogue.get(code).is_some() => Some(code.clone()),
                _ => None,
            })
            .take(8)
            .collect();
        if !candidates.is_empty() {
            let mut rows: Vec<ListRow> = candidates
                .iter()
                .filter_map(|c| ctx.catalogue.get(c))
                .map(service_row)
                .collect();
            rows.push(ListRow {
                id: ids::MENU_ALL.into(),
                title: texts::GUESS_NONE.into(),
                description: None,
            });
            conv.stage = Stage::Guess { candidates };
            out.list(texts::guess_body(), texts::MENU_BUTTON, rows);
            return;
        }
    }
    if recognition.intents == [Intent::None] && is_thanks(&norm) {
        out.text(texts::thanks_reply());
        return;
    }
    on_intents(conv, text, recognition.intents, ctx, out)
}

fn on_intents(conv: &mut Conversation, text: &str, intents: Vec<Intent>, ctx: &Ctx, out: &mut Out) {
    let services: Vec<&Service> = intents
        .iter()
        .filter_map(|i| match i {
            Intent::Service(code) => ctx.catalogue.get(code),
            _ => None,
        })
        .collect();
    if let Some((first, rest)) = services.split_first() {
        let rest = rest.iter().map(|s| s.code.clone()).collect();
        // Where the form asks for the reporter (birth, death), "akta anak saya" names the
        // subject of the letter, not someone the resident applies for.
        let reporter_form = first
            .fields
            .iter()
            .any(|f| f.key == "nik" && f.label.to_lowercase().contains("pelapor"));
        let relation = if reporter_form {
            None
        } else {
            relation_in(&normalise(text))
        };
        return start_service(conv, first, rest, relation, ctx, out);
    }
    match intents.first().unwrap_or(&Intent::None) {
        Intent::Status => {
            let ticket = TicketCode::find_in_text(text, ctx.ticket_prefix).map(|t| t.to_string());
            out.actions.push(Action::ShowStatus { ticket });
            // Back to the form being filled; a menu already shown is not sent again.
            if conv.draft.is_some() {
                repeat_question(conv, ctx, out);
            }
        }
        Intent::Batal => on_batal(conv, text, ctx, out),
        Intent::Aduan => {
            // A message that already says what is wrong is the complaint itself.
            if normalise(text).split_whitespace().count() >= 6 {
                conv.stage = Stage::ComplaintFiled;
                let media = std::mem::take(&mut conv.loose_media);
                out.actions.push(Action::FileComplaint {
                    text: text.trim().to_string(),
                    media,
                });
            } else {
                conv.stage = Stage::Complaint;
                out.text(texts::complaint_prompt());
            }
        }
        Intent::Menu => {
            conv.draft = None;
            conv.queued.clear();
            show_menu(conv, 0, ctx, out);
        }
        Intent::Service(_) | Intent::None => {
            if !ctx.first_contact {
                out.text(texts::not_understood());
            }
            show_menu(conv, 0, ctx, out);
        }
    }
}

fn on_batal(conv: &mut Conversation, text: &str, ctx: &Ctx, out: &mut Out) {
    if let (Some(service), None) = (
        draft_service(conv, ctx),
        TicketCode::find_in_text(text, ctx.ticket_prefix),
    ) {
        let resume = Box::new(std::mem::take(&mut conv.stage));
        conv.stage = Stage::ConfirmDropDraft { resume };
        out.buttons(
            texts::confirm_cancel_draft(service),
            &[
                (ids::DROP_YES, texts::YES_CANCEL),
                (ids::DROP_NO, texts::NO_CONTINUE),
            ],
        );
        return;
    }
    let cancellable: Vec<&RequestBrief> = ctx
        .open_requests
        .iter()
        .filter(|r| CANCELLABLE_STATES.contains(&r.state.as_str()))
        .collect();
    let named = TicketCode::find_in_text(text, ctx.ticket_prefix).map(|t| t.to_string());
    let chosen = match &named {
        Some(t) => ctx.open_requests.iter().find(|r| &r.ticket == t),
        None if cancellable.len() == 1 => cancellable.first().copied(),
        None => None,
    };
    match (chosen, named) {
        (Some(r), _) => ask_cancel(conv, r, ctx, out),
        (None, Some(t)) => out.text(texts::ticket_not_found(&t)),
        (None, None) if cancellable.is_empty() => out.text(texts::no_cancellable_request()),
        (None, None) => {
            conv.stage = Stage::PickCancel;
            let rows = cancellable
                .iter()
                .take(10)
                .map(|r| ListRow {
                    id: format!("{}{}", ids::CANCEL_PICK, r.ticket),
                    title: r.ticket.clone(),
                    description: ctx.catalogue.get(&r.service).map(|s| s.title.clone()),
                })
                .collect();
            out.list(texts::pick_request_to_cancel(), "Pilih", rows);
        }
    }
}

fn ask_cancel(conv: &mut Conversation, r: &RequestBrief, ctx: &Ctx, out: &mut Out) {
    if !CANCELLABLE_STATES.contains(&r.state.as_str()) {
        out.text(texts::cannot_cancel(&r.ticket, &r.state));
        return;
    }
    let title = ctx
        .catalogue
        .get(&r.service)
        .map(|s| s.title.clone())
        .unwrap_or_else(|| r.service.clone());
    conv.stage = Stage::ConfirmCancel {
        ticket: r.ticket.clone(),
    };
    out.buttons(
        texts::confirm_cancel_request(&r.ticket, &title),
        &[
            (ids::CANCEL_YES, texts::YES_CANCEL),
            (ids::CANCEL_NO, "Tidak"),
        ],
    );
}

fn numbered_service<'c>(norm: &str, ctx: &Ctx<'c>) -> Option<&'c Service> {
    let n: usize = norm.trim().parse().ok()?;
    ctx.catalogue.enabled().nth(n.checked_sub(1)?)
}

// ---------------------------------------------------------------------------------------------
// Replies (buttons and list rows)

fn on_reply(conv: &mut Conversation, id: &str, title: &str, ctx: &Ctx, out: &mut Out) {
    if let Some(code) = id.strip_prefix(ids::SERVICE) {
        return match ctx.catalogue.get(code) {
            Some(service) => start_service(conv, service, vec![], None, ctx, out),
            None => show_menu(conv, 0, ctx, out),
        };
    }
    if let Some(page) = id.strip_prefix(ids::MENU_PAGE) {
        return show_menu(conv, page.parse().unwrap_or(0), ctx, out);
    }
    if let Some(ticket) = id.strip_prefix(ids::CANCEL_PICK) {
        return match ctx.open_requests.iter().find(|r| r.ticket == ticket) {
            Some(r) => ask_cancel(conv, r, ctx, out),
            None => out.text(texts::ticket_not_found(ticket)),
        };
    }
    if let Some(key) = id.strip_prefix(ids::EDIT_FIELD) {
        if let Some(index) =
            draft_service(conv, ctx).and_then(|s| s.fields.iter().position(|f| f.key == key))
        {
            conv.stage = Stage::Field {
                index,
                editing: true,
            };
        }
        return ask_next(conv, ctx, out);
    }
    if let Some(choice) = id.strip_prefix(ids::CHOICE) {
        if let Stage::Field { index, editing } = conv.stage.clone() {
            let option = draft_service(conv, ctx)
                .and_then(|s| s.fields.get(index))
                .and_then(|f| choice.parse::<usize>().ok().and_then(|i| f.options.get(i)))
                .cloned();
            return match option {
                Some(option) => answer_field(conv, index, editing, &option, ctx, out),
                None => ask_next(conv, ctx, out),
            };
        }
        return repeat_question(conv, ctx, out);
    }
    match id {
        ids::MENU_STATUS => {
            out.actions.push(Action::ShowStatus { ticket: None });
            conv.stage = Stage::Idle;
        }
        ids::MENU_ADUAN => on_intents(conv, "aduan", vec![Intent::Aduan], ctx, out),
        ids::MENU_ALL => show_menu(conv, 0, ctx, out),
        ids::SAVED_USE => {
            if let (Some(saved), Some(draft)) = (&ctx.saved, conv.draft.as_mut()) {
                if let Some(service) = ctx.catalogue.get(&draft.service) {
                    for f in &service.fields {
                        match f.kind {
                            FieldKind::Nik if f.key == "nik" => {
                                draft.values.insert(f.key.clone(), saved.nik.clone());
                            }
                            _ if f.key == "nama" => {
                                draft.values.insert(f.key.clone(), saved.nama.clone());
                            }
                            _ => {}
                        }
                    }
                }
            }
            ask_next(conv, ctx, out)
        }
        ids::SAVED_OTHER => {
            set_relation(conv, "orang yang bersangkutan".into(), out);
            ask_next(conv, ctx, out)
        }
        ids::SAVED_NEW => ask_next(conv, ctx, out),
        ids::SKIP => {
            if let Stage::Field { index, editing } = conv.stage.clone() {
                let optional = draft_service(conv, ctx)
                    .and_then(|s| s.fields.get(index))
                    .filter(|f| !f.required)
                    .map(|f| f.key.clone());
                if let (Some(key), Some(draft)) = (optional, conv.draft.as_mut()) {
                    draft.values.insert(key, String::new());
                    if editing {
                        return show_summary(conv, ctx, out);
                    }
                }
            }
            ask_next(conv, ctx, out)
        }
        ids::DOC_LATER | ids::DOC_SKIP => {
            if let Stage::Document { index } = conv.stage {
                let answer = if id == ids::DOC_SKIP {
                    DocAnswer::Skipped
                } else {
                    DocAnswer::Later
                };
                return document_answer(conv, index, answer, ctx, out);
            }
            repeat_question(conv, ctx, out)
        }
        ids::SEND => {
            if !matches!(conv.stage, Stage::Confirm) {
                return repeat_question(conv, ctx, out);
            }
            // The limit is checked when a request is started, and again here: other requests
            // may have been submitted (from another draft) since this one began.
            if ctx.submitted_today >= ctx.daily_limit {
                conv.draft = None;
                conv.queued.clear();
                conv.stage = Stage::Idle;
                out.text(texts::daily_limit(ctx.daily_limit));
                return;
            }
            let Some(draft) = conv.draft.take() else {
                return show_menu(conv, 0, ctx, out);
            };
            let identity = match (
                draft.relation.as_ref(),
                draft.values.get("nik"),
                draft.values.get("nama"),
            ) {
                (None, Some(nik), Some(nama)) => Some((nik.clone(), nama.clone())),
                _ => None,
            };
            out.actions.push(Action::Submit(Submission {
                service: draft.service,
                relation: draft.relation,
                values: draft.values,
                documents: draft.documents,
                location: conv.location.clone(),
            }));
            conv.stage = Stage::Idle;
            // Next service asked for in the same breath, if any.
            if !conv.queued.is_empty() {
                let next = conv.queued.remove(0);
                if let Some(service) = ctx.catalogue.get(&next) {
                    let rest = std::mem::take(&mut conv.queued);
                    // The request just submitted counts towards today's limit.
                    start_service_counted(
                        conv,
                        service,
                        rest,
                        None,
                        Some(JustSubmitted { identity }),
                        ctx,
                        out,
                    );
                }
            }
        }
        ids::EDIT => {
            let Some(service) = draft_service(conv, ctx) else {
                return show_menu(conv, 0, ctx, out);
            };
            conv.stage = Stage::EditPick;
            let rows: Vec<ListRow> = service
                .fields
                .iter()
                .take(10)
                .map(|f| ListRow {
                    id: format!("{}{}", ids::EDIT_FIELD, f.key),
                    title: truncate(&f.label, 24),
                    description: None,
                })
                .collect();
            out.list(texts::edit_pick_body(), texts::EDIT_BUTTON, rows);
        }
        ids::CANCEL => on_batal(conv, "batal", ctx, out),
        ids::DROP_YES => {
            conv.draft = None;
            conv.queued.clear();
            conv.stage = Stage::Idle;
            out.text(texts::draft_cancelled());
        }
        ids::DROP_NO => {
            if let Stage::ConfirmDropDraft { resume } = std::mem::take(&mut conv.stage) {
                conv.stage = *resume;
            }
            out.text(texts::continue_filling());
            repeat_question(conv, ctx, out);
        }
        ids::CANCEL_YES => {
            if let Stage::ConfirmCancel { ticket } = std::mem::take(&mut conv.stage) {
                out.actions.push(Action::CancelRequest { ticket });
            }
        }
        ids::CANCEL_NO => {
            if let Stage::ConfirmCancel { ticket } = std::mem::take(&mut conv.stage) {
                out.text(texts::request_kept(&ticket));
            }
        }
        ids::RESUME_YES => {
            if let Stage::Resume { previous } = std::mem::take(&mut conv.stage) {
                conv.stage = *previous;
            }
            repeat_question(conv, ctx, out);
        }
        ids::RESUME_NO => {
            conv.draft = None;
            conv.queued.clear();
            show_menu(conv, 0, ctx, out);
        }
        _ => {
            // A button from an old message, or typed text that looks like an id: treat the
            // visible title as if it had been typed.
            if title.is_empty() {
                show_menu(conv, 0, ctx, out)
            } else {
                on_text(conv, title, ctx, out)
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Menu

/// Rows per page when the catalogue is longer than one WhatsApp list (10 rows).
const MENU_ROWS: usize = 10;

fn service_row(s: &Service) -> ListRow {
    ListRow {
        id: format!("{}{}", ids::SERVICE, s.code),
        title: s.title.clone(),
        description: Some(truncate(&s.description, 72)),
    }
}

fn show_menu(conv: &mut Conversation, page: usize, ctx: &Ctx, out: &mut Out) {
    conv.stage = Stage::Menu;
    let services: Vec<&Service> = ctx.catalogue.enabled().collect();
    let mut items: Vec<ListRow> = services.iter().map(|s| service_row(s)).collect();
    items.push(ListRow {
        id: ids::MENU_STATUS.into(),
        title: truncate(texts::MENU_STATUS, 24),
        description: None,
    });
    items.push(ListRow {
        id: ids::MENU_ADUAN.into(),
        title: truncate(texts::MENU_ADUAN, 24),
        description: None,
    });
    // Pages of 9 items plus a "more" row; the last page may hold 10.
    let mut pages: Vec<Vec<ListRow>> = Vec::new();
    let mut rest = items.as_slice();
    while !rest.is_empty() {
        if rest.len() <= MENU_ROWS {
            pages.push(rest.to_vec());
            break;
        }
        let (head, tail) = rest.split_at(MENU_ROWS - 1);
        pages.push(head.to_vec());
        rest = tail;
    }
    let count = pages.len();
    let page = page.min(count.saturating_sub(1));
    let mut rows = pages.get(page).cloned().unwrap_or_default();
    if page + 1 < count {
        rows.push(ListRow {
            id: format!("{}{}", ids::MENU_PAGE, page + 1),
            title: texts::MENU_NEXT_PAGE.into(),
            description: None,
        });
    }
    out.list(texts::menu_body(&services), texts::MENU_BUTTON, rows);
}

// ---------------------------------------------------------------------------------------------
// Slot filling

fn start_service(
    conv: &mut Conversation,
    service: &Service,
    queued: Vec<String>,
    relation: Option<String>,
    ctx: &Ctx,
    out: &mut Out,
) {
    start_service_counted(conv, service, queued, relation, None, ctx, out)
}

/// The request submitted just before this one, in the same step (a message asking for two
/// services): it counts towards the daily limit, and the resident's own NIK and name from it
/// are used again rather than asked twice.
struct JustSubmitted {
    identity: Option<(String, String)>,
}

fn start_service_counted(
    conv: &mut Conversation,
    service: &Service,
    queued: Vec<String>,
    relation: Option<String>,
    just_submitted: Option<JustSubmitted>,
    ctx: &Ctx,
    out: &mut Out,
) {
    if ctx.submitted_today + u32::from(just_submitted.is_some()) >= ctx.daily_limit {
        conv.stage = Stage::Idle;
        conv.draft = None;
        conv.queued.clear();
        out.text(texts::daily_limit(ctx.daily_limit));
        return;
    }
    let queued_services: Vec<&Service> =
        queued.iter().filter_map(|c| ctx.catalogue.get(c)).collect();
    out.text(texts::service_intro(service, &queued_services));
    conv.queued = queued;
    let mut draft = Draft {
        service: service.code.clone(),
        relation: None,
        values: BTreeMap::new(),
        documents: BTreeMap::new(),
        saved_offered: false,
    };
    // Files sent before the service was known answer its documents in order.
    for media in std::mem::take(&mut conv.loose_media) {
        if let Some(doc) = service
            .documents
            .iter()
            .find(|d| !draft.documents.contains_key(&d.key))
        {
            draft
                .documents
                .insert(doc.key.clone(), DocAnswer::Sent { media });
        }
    }
    if let Some((nik, nama)) = just_submitted.and_then(|j| j.identity) {
        if asks_identity(service) {
            draft.values.insert("nik".into(), nik);
            draft.values.insert("nama".into(), nama);
            draft.saved_offered = true;
            out.text(texts::identity_reused());
        }
    }
    conv.draft = Some(draft);
    conv.stage = Stage::Idle;
    if let Some(relation) = relation {
        set_relation(conv, relation, out);
    }
    ask_next(conv, ctx, out);
}

fn set_relation(conv: &mut Conversation, relation: String, out: &mut Out) {
    if let Some(draft) = conv.draft.as_mut() {
        draft.saved_offered = true;
        out.text(texts::for_someone_else(&relation));
        draft.relation = Some(relation);
    }
}

/// Whether a service asks for the resident's own identity (so saved data applies).
fn asks_identity(service: &Service) -> bool {
    service.fields.iter().any(|f| f.key == "nik") && service.fields.iter().any(|f| f.key == "nama")
}

/// Ask the next missing thing, or show the summary when nothing is missing.
fn ask_next(conv: &mut Conversation, ctx: &Ctx, out: &mut Out) {
    let Some(service) = draft_service(conv, ctx) else {
        return show_menu(conv, 0, ctx, out);
    };
    let Some(draft) = conv.draft.as_mut() else {
        return;
    };
    // An explicit edit asks that field even if it has a value.
    if let Stage::Field {
        index,
        editing: true,
    } = conv.stage
    {
        if let Some(field) = service.fields.get(index) {
            return ask_field(service, field, index, out);
        }
    }
    if !draft.saved_offered && draft.relation.is_none() && asks_identity(service) {
        draft.saved_offered = true;
        if let Some(saved) = &ctx.saved {
            conv.stage = Stage::OfferSaved;
            let masked = Nik::parse(&saved.nik)
                .map(|n| n.masked())
                .unwrap_or_else(|_| "-".into());
            out.buttons(
                texts::offer_saved(&saved.nama, &masked),
                &[
                    (ids::SAVED_USE, texts::SAVED_USE),
                    (ids::SAVED_OTHER, texts::SAVED_OTHER),
                    (ids::SAVED_NEW, texts::SAVED_NEW),
                ],
            );
            return;
        }
    }
    if let Some(index) = service
        .fields
        .iter()
        .position(|f| !draft.values.contains_key(&f.key))
    {
        conv.stage = Stage::Field {
            index,
            editing: false,
        };
        return ask_field(service, &service.fields[index], index, out);
    }
    if let Some(index) = service
        .documents
        .iter()
        .position(|d| !draft.documents.contains_key(&d.key))
    {
        conv.stage = Stage::Document { index };
        let doc = &service.documents[index];
        let missing: Vec<&str> = service
            .documents
            .iter()
            .filter(|d| !draft.documents.contains_key(&d.key))
            .map(|d| d.label.as_str())
            .collect();
        let text = texts::ask_document(&doc.label, doc.note.as_deref(), &missing);
        let mut buttons = vec![(ids::DOC_LATER, texts::BRING_TO_OFFICE)];
        if !doc.required {
            buttons.push((ids::DOC_SKIP, texts::SKIP));
        }
        return out.buttons(text, &buttons);
    }
    show_summary(conv, ctx, out)
}

fn ask_field(service: &Service, field: &Field, index: usize, out: &mut Out) {
    let prefix = texts::step_prefix(index + 1, service.fields.len());
    let question = format!("{prefix}{}", field.question);
    if field.kind == FieldKind::Choice && !field.options.is_empty() {
        let fits_buttons =
            field.options.len() <= 3 && field.options.iter().all(|o| o.chars().count() <= 20);
        if fits_buttons {
            let buttons: Vec<(String, String)> = field
                .options
                .iter()
                .enumerate()
                .map(|(i, o)| (format!("{}{i}", ids::CHOICE), o.clone()))
                .collect();
            let refs: Vec<(&str, &str)> = buttons
                .iter()
                .map(|(a, b)| (a.as_str(), b.as_str()))
                .collect();
            return out.buttons(question, &refs);
        }
        let rows = field
            .options
            .iter()
            .enumerate()
            .take(10)
            .map(|(i, o)| ListRow {
                id: format!("{}{i}", ids::CHOICE),
                title: truncate(o, 24),
                description: None,
            })
            .collect();
        return out.list(question, "Pilih", rows);
    }
    if !field.required {
        return out.buttons(question, &[(ids::SKIP, texts::SKIP)]);
    }
    out.text(question)
}

fn answer_field(
    conv: &mut Conversation,
    index: usize,
    editing: bool,
    text: &str,
    ctx: &Ctx,
    out: &mut Out,
) {
    let Some(field) = draft_service(conv, ctx).and_then(|s| s.fields.get(index)) else {
        return ask_next(conv, ctx, out);
    };
    match validate(field, text, ctx) {
        Ok((value, warning)) => {
            if let Some(w) = warning {
                out.text(w);
            }
            if let Some(draft) = conv.draft.as_mut() {
                draft.values.insert(field.key.clone(), value);
            }
            if editing {
                out.text(texts::value_updated(&field.label));
                show_summary(conv, ctx, out)
            } else {
                ask_next(conv, ctx, out)
            }
        }
        Err(message) => {
            out.text(message);
            if field.kind == FieldKind::Choice {
                ask_next(conv, ctx, out);
            }
        }
    }
}

/// The longest run of digits and separators in `text` (so "NIK saya 3510 0612 …" works).
fn digit_run(text: &str) -> Option<String> {
    let mut best = String::new();
    let mut current = String::new();
    for c in text.chars().chain(std::iter::once('x')) {
        if c.is_ascii_digit()
            || ((c == ' ' || c == '.' || c == '-' || c == '+') && !current.is_empty())
        {
            current.push(c);
        } else {
            let digits = current.chars().filter(char::is_ascii_digit).count();
            if digits > best.chars().filter(char::is_ascii_digit).count() {
                best = current.trim().to_string();
            }
            current.clear();
        }
    }
    (!best.is_empty()).then_some(best)
}

/// Check an answer; returns the value to store and an optional gentle warning, or a friendly
/// explanation of what is wrong.
fn validate(field: &Field, text: &str, ctx: &Ctx) -> Result<(String, Option<String>), String> {
    let trimmed = text.trim();
    let today = ctx.now.date_naive();
    match field.kind {
        FieldKind::Nik => {
            let candidate = digit_run(trimmed).unwrap_or_else(|| trimmed.to_string());
            let nik = Nik::parse(&candidate).map_err(|e| e.friendly_message())?;
            let warning = nik
                .region_warning(ctx.kode_wilayah)
                .map(|w| w.friendly_message());
            Ok((nik.as_str().to_string(), warning))
        }
        FieldKind::NoKk => {
            let candidate = digit_run(trimmed).unwrap_or_else(|| trimmed.to_string());
            let kk = NoKk::parse(&candidate).map_err(|e| e.friendly_message())?;
            Ok((kk.as_str().to_string(), None))
        }
        FieldKind::Phone => {
            let candidate = digit_run(trimmed).unwrap_or_else(|| trimmed.to_string());
            let phone = WaId::parse(&candidate).map_err(|e| e.friendly_message())?;
            Ok((phone.as_str().to_string(), None))
        }
        FieldKind::Date => {
            use crate::catalogue::DateRange;
            let date = match field.when {
                // A two-digit year of a past date resolves to the past ("17/8/45" is 1945).
                DateRange::Past => {
                    crate::domain::date::parse_birth_date(trimmed, today).map_err(|e| match e {
                        crate::domain::DateError::InFuture => {
                            "Tanggal itu belum lewat. Mohon periksa kembali tanggalnya, ya."
                                .to_string()
                        }
                        e => e.friendly_message(),
                    })?
                }
                DateRange::Future | DateRange::Any => {
                    crate::domain::date::parse_date(trimmed, today)
                        .map_err(|e| e.friendly_message())?
                }
            };
            if field.when == DateRange::Future && date < today {
                return Err(format!(
                    "Tanggal {} sudah lewat. Mohon tulis tanggal rencananya, ya.",
                    crate::domain::date::format_tanggal(date)
                ));
            }
            Ok((date.format("%Y-%m-%d").to_string(), None))
        }
        FieldKind::RtRw => {
            let rt_rw = RtRw::parse(trimmed).map_err(|e| e.friendly_message())?;
            Ok((rt_rw.to_compact(), None))
        }
        FieldKind::Number => {
            let n: u32 = digit_run(trimmed)
                .map(|d| d.chars().filter(char::is_ascii_digit).collect::<String>())
                .and_then(|d| d.parse().ok())
                .ok_or_else(|| "Mohon jawab dengan angka, misalnya 2.".to_string())?;
            Ok((n.to_string(), None))
        }
        FieldKind::Choice => {
            let norm = normalise(trimmed);
            if let Ok(n) = norm.parse::<usize>() {
                if let Some(o) = n.checked_sub(1).and_then(|i| field.options.get(i)) {
                    return Ok((o.clone(), None));
                }
            }
            if let Some(o) = field.options.iter().find(|o| normalise(o) == norm) {
                return Ok((o.clone(), None));
            }
            // Otherwise the option sharing the most words with the answer, if only one does
            // ("untuk beasiswa" → "Sekolah / beasiswa").
            let words: Vec<&str> = norm.split_whitespace().collect();
            let scores: Vec<usize> = field
                .options
                .iter()
                .map(|o| {
                    normalise(o)
                        .split_whitespace()
                        .filter(|w| w.len() >= 3 && words.contains(w))
                        .count()
                })
                .collect();
            let best = scores.iter().copied().max().unwrap_or(0);
            let mut winners = field
                .options
                .iter()
                .zip(&scores)
                .filter(|(_, s)| **s == best);
            match (best, winners.next(), winners.next()) {
                (1.., Some((o, _)), None) => Ok((o.clone(), None)),
                _ => Err("Mohon pilih salah satu pilihan yang tersedia.".to_string()),
            }
        }
        FieldKind::Text => {
            let value = trimmed.split_whitespace().collect::<Vec<_>>().join(" ");
            // Several questions say "ketik - jika tidak ada".
            if value == "-" && (!field.required || field.question.contains("ketik -")) {
                let stored = if field.required { "-" } else { "" };
                return Ok((stored.to_string(), None));
            }
            if value.chars().filter(|c| c.is_alphanumeric()).count() < 2 {
                return Err("Mohon tulis jawabannya dengan huruf, ya.".into());
            }
            if value.chars().count() > 300 {
                return Err(
                    "Jawabannya terlalu panjang. Mohon ringkas (paling banyak 300 huruf).".into(),
                );
            }
            Ok((value, None))
        }
    }
}

/// "salah, NIK saya …" / "ralat nama: …": change one field at any point of the draft.
/// Returns `Some(true)` when handled, `None` when the text is no correction.
fn correction(conv: &mut Conversation, text: &str, ctx: &Ctx, out: &mut Out) -> Option<bool> {
    conv.draft.as_ref()?;
    let norm = normalise(text);
    let rest = ["salah", "ralat", "koreksi", "keliru", "ganti", "ubah"]
        .iter()
        .find_map(|w| norm.strip_prefix(w))?
        .trim()
        .to_string();
    let service = draft_service(conv, ctx)?;
    let verb = norm.split_whitespace().next().unwrap_or_default();
    if let Stage::Field { index, .. } = conv.stage {
        // "Ubah data" is also an option of some questions: an answer wins over a correction.
        let current = service.fields.get(index)?;
        if current.kind == FieldKind::Choice && validate(current, text, ctx).is_ok() {
            return None;
        }
    }
    let Some((index, word)) = field_by_word(conv, &rest, ctx) else {
        // "ganti"/"ubah" followed by something that names no field is an ordinary answer
        // ("ganti rugi", "ubah data"); "salah" alone asks which part to change.
        if matches!(conv.stage, Stage::Field { .. })
            && matches!(verb, "ganti" | "ubah")
            && !rest.is_empty()
        {
            return None;
        }
        on_reply(conv, ids::EDIT, "", ctx, out);
        return Some(true);
    };
    let field = &service.fields[index];
    // What follows the field's name is the new value. ASCII lowercasing keeps byte offsets, so
    // the index found is valid in the original text.
    let original = text.trim();
    let lower = original.to_ascii_lowercase();
    let value_start = lower
        .find(&word)
        .map(|i| i + word.len())
        .or_else(|| {
            let key = field_word(field);
            lower.find(&key).map(|i| i + key.len())
        })
        .unwrap_or(original.len());
    let mut value = original
        .get(value_start.min(original.len())..)
        .unwrap_or_default()
        .trim()
        .to_string();
    for filler in [
        "saya",
        "nya",
        ":",
        "jadi",
        "harusnya",
        "seharusnya",
        "yang benar",
        "yg benar",
        "adalah",
    ] {
        let lower = value.to_ascii_lowercase();
        let Some(after) = lower.strip_prefix(filler) else {
            continue;
        };
        // Only a whole word: "Sayaka" is a name, not "saya" + "ka".
        let whole_word = !filler.chars().all(char::is_alphabetic)
            || after.chars().next().is_none_or(|c| !c.is_alphanumeric());
        if whole_word {
            value = value
                .get(filler.len()..)
                .unwrap_or_default()
                .trim()
                .to_string();
        }
    }
    let value = value
        .trim_start_matches([':', ',', '-', '='])
        .trim()
        .to_string();
    let editing = !matches!(
        conv.stage,
        Stage::Field { .. } | Stage::Document { .. } | Stage::OfferSaved
    );
    if value.is_empty() {
        conv.stage = Stage::Field {
            index,
            editing: true,
        };
        ask_next(conv, ctx, out);
        return Some(true);
    }
    let resume = conv.stage.clone();
    match validate(field, &value, ctx) {
        Ok((v, warning)) => {
            if let Some(w) = warning {
                out.text(w);
            }
            if let Some(d) = conv.draft.as_mut() {
                d.values.insert(field.key.clone(), v);
            }
            out.text(texts::value_updated(&field.label));
            if editing || matches!(resume, Stage::Confirm) {
                show_summary(conv, ctx, out);
            } else {
                ask_next(conv, ctx, out);
            }
        }
        Err(message) => {
            out.text(message);
            conv.stage = Stage::Field {
                index,
                editing: true,
            };
        }
    }
    Some(true)
}

/// The word a resident would use for a field: its key ("nik", "nama") or its label's first word.
fn field_word(field: &Field) -> String {
    field.key.replace('_', " ").to_lowercase()
}

/// The field a correction names, and the words that named it. The longest name wins, so
/// "nama anak Siti" picks the child's name rather than the reporter's.
fn field_by_word(conv: &Conversation, norm: &str, ctx: &Ctx) -> Option<(usize, String)> {
    let service = draft_service(conv, ctx)?;
    let starts = |w: &str| {
        norm == w || norm.starts_with(&format!("{w} ")) || (w.len() >= 3 && norm.starts_with(w))
    };
    service
        .fields
        .iter()
        .enumerate()
        .flat_map(|(i, f)| {
            let label = normalise(&f.label);
            let first = label
                .split_whitespace()
                .next()
                .filter(|w| w.len() >= 3)
                .map(str::to_string);
            [Some(field_word(f)), Some(label), first]
                .into_iter()
                .flatten()
                .filter(|w| starts(w))
                .map(move |w| (i, w))
        })
        .max_by_key(|(i, w)| (w.len(), std::cmp::Reverse(*i)))
}

// ---------------------------------------------------------------------------------------------
// Documents, media, location

fn current_doc_label(conv: &Conversation, index: usize, ctx: &Ctx) -> String {
    draft_service(conv, ctx)
        .and_then(|s| s.documents.get(index))
        .map(|d| d.label.clone())
        .unwrap_or_default()
}

fn document_answer(
    conv: &mut Conversation,
    index: usize,
    answer: DocAnswer,
    ctx: &Ctx,
    out: &mut Out,
) {
    let Some(doc) = draft_service(conv, ctx).and_then(|s| s.documents.get(index)) else {
        return ask_next(conv, ctx, out);
    };
    match &answer {
        DocAnswer::Sent { .. } => out.text(texts::document_received(&doc.label)),
        DocAnswer::Later => out.text(texts::document_later(&doc.label)),
        DocAnswer::Skipped => {}
    }
    if let Some(d) = conv.draft.as_mut() {
        d.documents.insert(doc.key.clone(), answer);
    }
    ask_next(conv, ctx, out)
}

fn on_media(
    conv: &mut Conversation,
    media: MediaRef,
    caption: Option<String>,
    ctx: &Ctx,
    out: &mut Out,
) {
    match conv.stage.clone() {
        Stage::Document { index } => {
            document_answer(conv, index, DocAnswer::Sent { media }, ctx, out)
        }
        Stage::Complaint => {
            // Photo first, words after: keep it for the complaint.
            conv.loose_media.push(media);
            if let Some(text) = caption.filter(|c| !c.trim().is_empty()) {
                on_text(conv, &text, ctx, out);
            }
        }
        Stage::ComplaintFiled => {
            out.actions.push(Action::AttachToComplaint(media));
            out.text(texts::complaint_photo_added());
        }
        _ if conv.draft.is_some() => {
            // While fields are being asked: attach to the first document still missing.
            let service = draft_service(conv, ctx);
            let missing = service.and_then(|s| {
                let draft = conv.draft.as_ref()?;
                s.documents
                    .iter()
                    .find(|d| !matches!(draft.documents.get(&d.key), Some(DocAnswer::Sent { .. })))
            });
            match missing {
                Some(doc) => {
                    let (key, label) = (doc.key.clone(), doc.label.clone());
                    if let Some(d) = conv.draft.as_mut() {
                        d.documents.insert(key, DocAnswer::Sent { media });
                    }
                    out.text(texts::document_received(&label));
                }
                None => out.text("Terima kasih, file sudah kami terima."),
            }
            repeat_question(conv, ctx, out);
        }
        _ => {
            conv.loose_media.push(media);
            // A caption may say what it is for ("ini KK saya, mau urus domisili").
            if let Some(text) = caption.filter(|c| !c.trim().is_empty()) {
                let r = ctx.recogniser.recognise(&text);
                if !r.unsure && r.intents.iter().any(|i| matches!(i, Intent::Service(_))) {
                    return on_intents(conv, &text, r.intents, ctx, out);
                }
            }
            out.text(texts::media_without_request());
            show_menu(conv, 0, ctx, out);
        }
    }
}

fn on_location(conv: &mut Conversation, loc: Location, ctx: &Ctx, out: &mut Out) {
    // An address question is answered by the shared location.
    if let Stage::Field { index, editing } = conv.stage.clone() {
        let address_key = draft_service(conv, ctx)
            .and_then(|s| s.fields.get(index))
            .filter(|f| f.key.contains("alamat") && f.kind == FieldKind::Text)
            .map(|f| f.key.clone());
        if let Some(key) = address_key {
            let value = match &loc.label {
                Some(label) => format!("{label} ({:.6}, {:.6})", loc.latitude, loc.longitude),
                None => format!("Lokasi {:.6}, {:.6}", loc.latitude, loc.longitude),
            };
            // Only the home address is where the letter is delivered; a business or a
            // destination address is not.
            if key == "alamat" {
                conv.location = Some(loc);
            }
            return answer_field(conv, index, editing, &value, ctx, out);
        }
    }
    conv.location = Some(loc);
    out.text(texts::location_saved());
    if conv.draft.is_some() {
        repeat_question(conv, ctx, out);
    }
}

/// Ask again whatever the current stage is waiting for (after an interruption).
fn repeat_question(conv: &mut Conversation, ctx: &Ctx, out: &mut Out) {
    match conv.stage.clone() {
        Stage::Field { .. } | Stage::Document { .. } | Stage::OfferSaved => {
            if matches!(conv.stage, Stage::OfferSaved) {
                if let Some(d) = conv.draft.as_mut() {
                    d.saved_offered = false;
                }
            }
            ask_next(conv, ctx, out)
        }
        Stage::Confirm => show_summary(conv, ctx, out),
        Stage::Menu => show_menu(conv, 0, ctx, out),
        _ => {}
    }
}

fn show_summary(conv: &mut Conversation, ctx: &Ctx, out: &mut Out) {
    let (Some(service), Some(draft)) = (draft_service(conv, ctx), conv.draft.as_ref()) else {
        return show_menu(conv, 0, ctx, out);
    };
    // A required field still empty (e.g. after an edit removed it) is asked first.
    if service
        .fields
        .iter()
        .any(|f| !draft.values.contains_key(&f.key))
        || service
            .documents
            .iter()
            .any(|d| !draft.documents.contains_key(&d.key))
    {
        conv.stage = Stage::Idle;
        return ask_next(conv, ctx, out);
    }
    let mut body = texts::summary_header(service);
    if let Some(r) = &draft.relation {
        body.push_str(&format!("\nUntuk: {r}"));
    }
    for f in &service.fields {
        let value = draft.values.get(&f.key).map(String::as_str).unwrap_or("");
        let shown = match (f.kind, value) {
            (_, "") => "-".to_string(),
            (FieldKind::Date, v) => NaiveDate::parse_from_str(v, "%Y-%m-%d")
                .map(crate::domain::date::format_tanggal)
                .unwrap_or_else(|_| v.to_string()),
            (FieldKind::RtRw, v) => RtRw::parse(v)
                .map(|r| r.to_string())
                .unwrap_or_else(|_| v.to_string()),
            (_, v) => v.to_string(),
        };
        body.push_str(&format!("\n• {}: {}", f.label, shown));
    }
    for d in &service.documents {
        let line = match draft.documents.get(&d.key) {
            Some(DocAnswer::Sent { .. }) => DocLine::Received,
            Some(DocAnswer::Later) => DocLine::Later,
            _ => DocLine::Skipped,
        };
        body.push_str(&format!("\n{}", texts::doc_line(&d.label, line)));
    }
    body.push_str(&format!("\n\n{}", texts::summary_footer()));
    let body = truncate(&body, crate::outbound::message::MAX_INTERACTIVE_BODY);
    conv.stage = Stage::Confirm;
    out.buttons(
        body,
        &[
            (ids::SEND, texts::CONFIRM_SEND),
            (ids::EDIT, texts::CONFIRM_EDIT),
            (ids::CANCEL, texts::CONFIRM_CANCEL),
        ],
    );
}

/// Cut to `max` characters, marking the cut.
pub fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut s: String = text.chars().take(max.saturating_sub(1)).collect();
    s.push('…');
    s
}

/// The expected completion, in words: "hari ini", "besok", "dalam 2 hari kerja".
pub fn expected_completion(
    sla_hours: u32,
    now: &DateTime<FixedOffset>,
    office: &OfficeHours,
) -> String {
    let open_today = office.is_open(now);
    match sla_hours {
        0..=8 if open_today && now.hour() < 12 => "hari ini".to_string(),
        0..=24 => "1 hari kerja".to_string(),
        h => format!("{} hari kerja", h.div_ceil(24)),
    }
}

#[cfg(test)]
mod submit_limit_tests {
    use super::*;

    #[test]
    fn the_daily_limit_is_checked_again_at_submission() {
        let catalogue =
            Catalogue::from_toml_str(include_str!("../../config/services.toml")).unwrap();
        let recogniser = Recogniser::new(&catalogue);
        let now = chrono::DateTime::parse_from_rfc3339("2026-11-25T10:00:00+07:00").unwrap();
        let ctx = Ctx {
            village_name: "Desa Kaliploso",
            kode_wilayah: "35.10.06.2009",
            ticket_prefix: "KLP",
            catalogue: &catalogue,
            recogniser: &recogniser,
            now,
            first_contact: false,
            saved: None,
            open_requests: vec![],
            submitted_today: 2,
            daily_limit: 2,
            idle_timeout_secs: 3600,
            office: OfficeHours::default(),
        };
        let conv = Conversation {
            stage: Stage::Confirm,
            draft: Some(Draft {
                service: "skck".into(),
                relation: None,
                values: BTreeMap::new(),
                documents: BTreeMap::new(),
                saved_offered: true,
            }),
            last_activity: now.timestamp(),
            ..Conversation::default()
        };
        let (conv, actions) = step(
            conv,
            Event::Reply {
                id: "confirm:send".into(),
                title: "Kirim".into(),
            },
            &ctx,
        );
        assert!(conv.draft.is_none());
        assert!(!actions.iter().any(|a| matches!(a, Action::Submit(_))));
        assert!(
            matches!(&actions[0], Action::Reply(OutboundBody::Text { body }) if body.contains("batas harian"))
        );
    }
}

#[cfg(test)]
#[path = "dialogue_tests.rs"]
mod tests;
