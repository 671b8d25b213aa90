//! Unit tests of the pure dialogue: every path a resident can take, against the shipped
//! catalogue, with every outgoing message checked against WhatsApp's limits.

use std::collections::HashSet;
use std::sync::OnceLock;

use chrono::{FixedOffset, TimeZone};

use super::*;
use crate::catalogue::{Catalogue, DateRange};
use crate::outbound::OutboundBody;

struct Shared {
    catalogue: Catalogue,
    recogniser: Recogniser,
}

fn shared() -> &'static Shared {
    static SHARED: OnceLock<Shared> = OnceLock::new();
    SHARED.get_or_init(|| {
        let catalogue = Catalogue::from_toml_str(include_str!("../../config/services.toml"))
            .expect("shipped catalogue loads");
        let recogniser = Recogniser::new(&catalogue);
        Shared {
            catalogue,
            recogniser,
        }
    })
}

fn wib(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<FixedOffset> {
    FixedOffset::east_opt(7 * 3600)
        .unwrap()
        .with_ymd_and_hms(y, m, d, h, min, 0)
        .unwrap()
}

/// Wednesday 25 November 2026, 10:00 WIB: the office is open.
fn wednesday_morning() -> DateTime<FixedOffset> {
    wib(2026, 11, 25, 10, 0)
}

/// Saturday 28 November 2026, 21:00 WIB: the office is closed until Monday.
fn saturday_night() -> DateTime<FixedOffset> {
    wib(2026, 11, 28, 21, 0)
}

const NIK: &str = "3510061505900001";
const NIK_WOMAN: &str = "3510065505920002";
const NIK_OTHER: &str = "3510062007850003";
const NO_KK: &str = "3510060101200003";

fn ctx() -> Ctx<'static> {
    let s = shared();
    Ctx {
        village_name: "Desa Kaliploso",
        kode_wilayah: "35.10.06.2009",
        ticket_prefix: "KLP",
        catalogue: &s.catalogue,
        recogniser: &s.recogniser,
        now: wednesday_morning(),
        first_contact: false,
        saved: None,
        open_requests: vec![],
        submitted_today: 0,
        daily_limit: 5,
        idle_timeout_secs: 7200,
        office: OfficeHours::default(),
    }
}

fn service(code: &str) -> &'static Service {
    shared().catalogue.get(code).expect("service in catalogue")
}

/// Every reply must be sendable: this is asserted for every action of every test.
fn assert_valid(actions: &[Action]) {
    for a in actions {
        if let Action::Reply(body) = a {
            if let Err(e) = body.validate() {
                panic!("invalid reply {body:?}: {e}");
            }
        }
    }
}

/// A resident talking to the dialogue: keeps the conversation between messages.
struct Chat {
    conv: Conversation,
    ctx: Ctx<'static>,
    next_media: i64,
}

impl Chat {
    fn new() -> Self {
        Self::with(ctx())
    }

    fn with(ctx: Ctx<'static>) -> Self {
        Self {
            conv: Conversation::default(),
            ctx,
            next_media: 1,
        }
    }

    fn send(&mut self, event: Event) -> Vec<Action> {
        let (conv, actions) = step(std::mem::take(&mut self.conv), event, &self.ctx);
        assert_valid(&actions);
        self.conv = conv;
        // The first message is answered; later ones are not first contact.
        self.ctx.first_contact = false;
        actions
    }

    fn text(&mut self, text: &str) -> Vec<Action> {
        self.send(Event::Text(text.to_string()))
    }

    fn tap(&mut self, id: &str) -> Vec<Action> {
        self.send(Event::Reply {
            id: id.to_string(),
            title: String::new(),
        })
    }

    fn media(&mut self, caption: Option<&str>) -> (MediaRef, Vec<Action>) {
        let media = MediaRef {
            kind: "image".into(),
            media_id: format!("media-{}", self.next_media),
            mime_type: Some("image/jpeg".into()),
            filename: None,
            inbound_id: self.next_media,
        };
        self.next_media += 1;
        let actions = self.send(Event::Media {
            media: media.clone(),
            caption: caption.map(str::to_string),
        });
        (media, actions)
    }

    fn photo(&mut self) -> Vec<Action> {
        self.media(None).1
    }

    fn draft(&self) -> &Draft {
        self.conv.draft.as_ref().expect("a draft")
    }

    fn field_key(&self) -> Option<String> {
        match self.conv.stage {
            Stage::Field { index, .. } => draft_service(&self.conv, &self.ctx)
                .and_then(|s| s.fields.get(index))
                .map(|f| f.key.clone()),
            _ => None,
        }
    }
}

fn bodies(actions: &[Action]) -> Vec<&OutboundBody> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Reply(b) => Some(b),
            _ => None,
        })
        .collect()
}

/// Everything said, joined.
fn said(actions: &[Action]) -> String {
    bodies(actions)
        .iter()
        .map(|b| match b {
            OutboundBody::Text { body }
            | OutboundBody::Buttons { body, .. }
            | OutboundBody::List { body, .. } => body.clone(),
            other => format!("{other:?}"),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Ids of the buttons or list rows of the last interactive reply.
fn choice_ids(actions: &[Action]) -> Vec<String> {
    bodies(actions)
        .iter()
        .rev()
        .find_map(|b| match b {
            OutboundBody::Buttons { buttons, .. } => {
                Some(buttons.iter().map(|b| b.id.clone()).collect())
            }
            OutboundBody::List { sections, .. } => Some(
                sections
                    .iter()
                    .flat_map(|s| s.rows.iter().map(|r| r.id.clone()))
                    .collect(),
            ),
            _ => None,
        })
        .unwrap_or_default()
}

fn list_rows(actions: &[Action]) -> Vec<ListRow> {
    bodies(actions)
        .iter()
        .rev()
        .find_map(|b| match b {
            OutboundBody::List { sections, .. } => {
                Some(sections.iter().flat_map(|s| s.rows.clone()).collect())
            }
            _ => None,
        })
        .expect("a list reply")
}

fn submission(actions: &[Action]) -> Option<&Submission> {
    actions.iter().find_map(|a| match a {
        Action::Submit(s) => Some(s),
        _ => None,
    })
}

/// A valid typed answer for each field of the catalogue.
fn answer(field: &Field) -> String {
    match field.kind {
        FieldKind::Nik => match field.key.as_str() {
            "nik_pasangan" => NIK_WOMAN.to_string(),
            "nik_almarhum" => NIK_OTHER.to_string(),
            _ => NIK.to_string(),
        },
        FieldKind::NoKk => NO_KK.to_string(),
        // The tests run on 25 November 2026: a past date, or a coming one where asked.
        FieldKind::Date if field.when == DateRange::Future => "12-12-2026".to_string(),
        FieldKind::Date => "12-10-2026".to_string(),
        FieldKind::RtRw => "2/1".to_string(),
        FieldKind::Phone => "081234567890".to_string(),
        FieldKind::Number => "2".to_string(),
        FieldKind::Choice => "1".to_string(),
        FieldKind::Text => match field.key.as_str() {
            "nama" => "Budi Santoso".to_string(),
            k if k.contains("alamat") => "Dusun Krajan RT 2 RW 1".to_string(),
            _ => "Melamar kerja di pabrik".to_string(),
        },
    }
}

/// What the stored value of `answer(field)` must be.
fn stored(field: &Field) -> String {
    match field.kind {
        FieldKind::Date if field.when == DateRange::Future => "2026-12-12".to_string(),
        FieldKind::Date => "2026-10-12".to_string(),
        FieldKind::RtRw => RtRw::parse("2/1").unwrap().to_compact(),
        FieldKind::Choice => field.options[0].clone(),
        FieldKind::Phone => WaId::parse("081234567890").unwrap().as_str().to_string(),
        _ => answer(field),
    }
}

/// How each service is asked for in free text (Indonesian, Javanese, Osing, abbreviated).
const TYPED: &[(&str, &str)] = &[
    ("skck", "mw urus skck gmn caranya"),
    ("sktm", "mau buat sktm buat sekolah"),
    ("domisili", "minta surat keterangan domisili"),
    ("usaha", "sy mau bikin surat keterangan usaha"),
    ("nikah", "kulo nyuwun surat pengantar nikah"),
    ("pindah", "mau urus surat pindah"),
    ("ktp", "mau buat ktp elektronik"),
    ("kk", "mau ngurus kartu keluarga"),
    ("akta_lahir", "isun arep gawe akta procot"),
    ("akta_kematian", "mau lapor kematian"),
    ("surat_jalan", "minta surat jalan"),
    ("kehilangan", "mau buat surat kehilangan"),
];

/// Fill in the whole draft by typing, sending the odd documents as photos and bringing the
/// even ones to the office; returns the submission.
fn typed_path(code: &str, phrase: &str) -> Submission {
    let mut chat = Chat::new();
    let a = chat.text(phrase);
    let svc = service(code);
    assert_eq!(chat.draft().service, code, "{phrase:?} starts {code}");
    assert!(
        said(&a).contains(&svc.name),
        "{code}: intro names the service"
    );
    let mut docs_seen = 0;
    for _ in 0..60 {
        match chat.conv.stage.clone() {
            Stage::Field { index, .. } => {
                let field = &svc.fields[index];
                let a = if !field.required && index % 2 == 0 {
                    // Optional fields: skip with the button on some, answer on others.
                    assert_eq!(chat.field_key().as_deref(), Some(field.key.as_str()));
                    chat.tap("field:skip")
                } else {
                    chat.text(&answer(field))
                };
                assert!(
                    chat.draft().values.contains_key(&field.key),
                    "{code}.{}: a valid answer is accepted, got {}",
                    field.key,
                    said(&a)
                );
            }
            Stage::Document { index } => {
                let doc = &svc.documents[index];
                let a = if docs_seen % 2 == 0 {
                    chat.photo()
                } else {
                    chat.text("nanti saya bawa ke kantor")
                };
                let expect = if docs_seen % 2 == 0 {
                    texts::document_received(&doc.label)
                } else {
                    texts::document_later(&doc.label)
                };
                assert!(said(&a).contains(&expect), "{code}.{}", doc.key);
                docs_seen += 1;
            }
            Stage::Confirm => {
                let a = chat.text("kirim");
                let s = submission(&a).expect("submitted").clone();
                assert_eq!(chat.conv.stage, Stage::Idle);
                assert!(chat.conv.draft.is_none());
                return s;
            }
            other => panic!("{code}: unexpected stage {other:?}"),
        }
    }
    panic!("{code}: never reached the summary")
}

// ---------------------------------------------------------------------------------------------
// First contact and menu

#[test]
fn first_contact_gets_the_welcome_and_the_menu() {
    let mut chat = Chat::with(Ctx {
        first_contact: true,
        ..ctx()
    });
    let a = chat.text("halo");
    let text = said(&a);
    let welcome = texts::welcome("Desa Kaliploso");
    assert!(text.starts_with(&welcome), "{text}");
    assert!(welcome.contains("Desa Kaliploso"));
    assert!(welcome.contains("NIK"), "says why personal data is asked");
    assert!(welcome.contains("SKCK") && welcome.contains("SKTM"));
    assert!(
        !text.contains(texts::not_understood()),
        "no apology on first contact"
    );
    assert_eq!(chat.conv.stage, Stage::Menu);
    assert!(matches!(bodies(&a)[1], OutboundBody::List { .. }));
    // Later messages get no second welcome.
    let a = chat.text("halo");
    assert!(!said(&a).contains("Selamat datang"));
}

#[test]
fn a_reaction_on_first_contact_says_nothing() {
    let mut chat = Chat::with(Ctx {
        first_contact: true,
        ..ctx()
    });
    assert!(chat.send(Event::Ignored).is_empty());
}

#[test]
fn menu_pages_fit_whatsapp_and_reach_everything() {
    let mut chat = Chat::new();
    let mut a = chat.text("menu");
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        pages += 1;
        let rows = list_rows(&a);
        assert!(rows.len() <= 10, "page {pages} has {} rows", rows.len());
        let ids: HashSet<_> = rows.iter().map(|r| r.id.clone()).collect();
        assert_eq!(ids.len(), rows.len(), "ids unique within a page");
        for r in &rows {
            assert!(r.title.chars().count() <= 24, "{}", r.title);
            assert!(r
                .description
                .as_ref()
                .is_none_or(|d| d.chars().count() <= 72));
        }
        let next = rows.iter().find(|r| r.id.starts_with("menu:page:"));
        seen.extend(
            rows.iter()
                .filter(|r| !r.id.starts_with("menu:page:"))
                .map(|r| r.id.clone()),
        );
        match next {
            Some(n) => {
                assert_eq!(n.title, texts::MENU_NEXT_PAGE);
                a = chat.tap(&n.id.clone());
                assert_eq!(chat.conv.stage, Stage::Menu);
            }
            None => break,
        }
        assert!(pages < 5);
    }
    assert_eq!(pages, 2, "14 entries need two pages");
    let mut expected: Vec<String> = shared()
        .catalogue
        .enabled()
        .map(|s| format!("svc:{}", s.code))
        .collect();
    expected.push("menu:status".into());
    expected.push("menu:aduan".into());
    assert_eq!(
        seen, expected,
        "every service, status and aduan, once, in order"
    );
}

#[test]
fn menu_body_numbers_every_service_and_numbers_pick_them() {
    let enabled: Vec<&Service> = shared().catalogue.enabled().collect();
    assert_eq!(enabled.len(), 12);
    let mut chat = Chat::new();
    let a = chat.text("menu");
    let body = said(&a);
    for (i, s) in enabled.iter().enumerate() {
        assert!(body.contains(&format!("{}. {}", i + 1, s.title)), "{body}");
    }
    for (i, s) in enabled.iter().enumerate() {
        let mut chat = Chat::new();
        chat.text("menu");
        chat.text(&(i + 1).to_string());
        assert_eq!(chat.draft().service, s.code, "menu number {}", i + 1);
        // A number also works without the menu shown first.
        let mut chat = Chat::new();
        chat.text(&format!("{}", i + 1));
        assert_eq!(chat.draft().service, s.code);
    }
    // Out of range: the menu again.
    let mut chat = Chat::new();
    chat.text("menu");
    let a = chat.text("13");
    assert!(chat.conv.draft.is_none());
    assert_eq!(chat.conv.stage, Stage::Menu);
    assert!(!list_rows(&a).is_empty());
}

#[test]
fn an_out_of_range_page_shows_the_last_page() {
    let mut chat = Chat::new();
    let a = chat.tap("menu:page:99");
    let rows = list_rows(&a);
    assert_eq!(rows.last().unwrap().id, "menu:aduan");
}

#[test]
fn unsure_recognition_offers_a_guess_list() {
    let mut chat = Chat::new();
    let a = chat.text("akta");
    let Stage::Guess { candidates } = chat.conv.stage.clone() else {
        panic!(
            "expected a guess list, got {:?}: {}",
            chat.conv.stage,
            said(&a)
        );
    };
    assert!(
        candidates.contains(&"akta_lahir".to_string()),
        "{candidates:?}"
    );
    assert!(said(&a).contains(texts::guess_body()));
    let ids = choice_ids(&a);
    assert_eq!(ids.last().map(String::as_str), Some("menu:all"));
    assert!(ids.contains(&"svc:akta_lahir".to_string()));
    // Picking a guess starts it.
    chat.tap("svc:akta_lahir");
    assert_eq!(chat.draft().service, "akta_lahir");
    // "Bukan, lihat semua" shows the menu.
    let mut chat = Chat::new();
    chat.text("akta");
    let a = chat.tap("menu:all");
    assert_eq!(chat.conv.stage, Stage::Menu);
    assert_eq!(list_rows(&a).len(), 10);
}

#[test]
fn not_understood_shows_the_menu_with_an_apology() {
    let mut chat = Chat::new();
    let a = chat.text("qwerty zxcv");
    assert!(said(&a).contains(texts::not_understood()), "{}", said(&a));
    assert_eq!(chat.conv.stage, Stage::Menu);
}

// ---------------------------------------------------------------------------------------------
// Full paths

#[test]
fn every_service_has_a_typed_phrase() {
    let codes: HashSet<&str> = TYPED.iter().map(|(c, _)| *c).collect();
    for s in shared().catalogue.enabled() {
        assert!(
            codes.contains(s.code.as_str()),
            "{} has no typed path",
            s.code
        );
    }
}

#[test]
fn every_service_typed_from_start_to_submit() {
    for (code, phrase) in TYPED {
        let svc = service(code);
        let s = typed_path(code, phrase);
        assert_eq!(s.service, *code);
        assert_eq!(s.relation, None, "{code}");
        for (i, f) in svc.fields.iter().enumerate() {
            let value = s
                .values
                .get(&f.key)
                .unwrap_or_else(|| panic!("{code}.{}", f.key));
            if !f.required && i % 2 == 0 {
                assert_eq!(value, "", "{code}.{} skipped", f.key);
            } else {
                assert_eq!(value, &stored(f), "{code}.{}", f.key);
            }
        }
        assert_eq!(s.documents.len(), svc.documents.len(), "{code}");
        for (i, d) in svc.documents.iter().enumerate() {
            let answer = &s.documents[&d.key];
            if i % 2 == 0 {
                assert!(
                    matches!(answer, DocAnswer::Sent { media } if media.media_id == format!("media-{}", i / 2 + 1)),
                    "{code}.{}: {answer:?}",
                    d.key
                );
            } else {
                assert_eq!(answer, &DocAnswer::Later, "{code}.{}", d.key);
            }
        }
    }
}

#[test]
fn every_service_tapped_from_the_menu_to_submit() {
    for s in shared().catalogue.enabled() {
        let mut chat = Chat::new();
        chat.text("menu");
        let a = chat.tap(&format!("svc:{}", s.code));
        assert!(said(&a).contains(&s.name));
        let mut last = a;
        for _ in 0..60 {
            match chat.conv.stage.clone() {
                Stage::Field { index, .. } => {
                    let f = &s.fields[index];
                    last = if f.kind == FieldKind::Choice {
                        let ids = choice_ids(&last);
                        assert_eq!(ids.len(), f.options.len(), "{}.{}", s.code, f.key);
                        chat.tap(&ids[f.options.len() - 1])
                    } else if !f.required {
                        assert_eq!(choice_ids(&last), vec!["field:skip".to_string()]);
                        chat.tap("field:skip")
                    } else {
                        chat.text(&answer(f))
                    };
                }
                Stage::Document { index } => {
                    let d = &s.documents[index];
                    let ids = choice_ids(&last);
                    assert_eq!(ids[0], "doc:later");
                    assert_eq!(ids.contains(&"doc:skip".to_string()), !d.required);
                    last = if d.required {
                        chat.tap("doc:later")
                    } else {
                        chat.tap("doc:skip")
                    };
                }
                Stage::Confirm => {
                    assert_eq!(
                        choice_ids(&last),
                        vec!["confirm:send", "confirm:edit", "confirm:cancel"]
                    );
                    let body = said(&last);
                    assert!(body.contains(texts::summary_footer()), "{body}");
                    let a = chat.tap("confirm:send");
                    let sub = submission(&a).expect("submitted");
                    for f in &s.fields {
                        if f.kind == FieldKind::Choice {
                            assert_eq!(&sub.values[&f.key], f.options.last().unwrap());
                        }
                    }
                    for d in &s.documents {
                        let expect = if d.required {
                            DocAnswer::Later
                        } else {
                            DocAnswer::Skipped
                        };
                        assert_eq!(sub.documents[&d.key], expect, "{}.{}", s.code, d.key);
                    }
                    break;
                }
                other => panic!("{}: unexpected {other:?}", s.code),
            }
        }
        assert!(chat.conv.draft.is_none(), "{} submitted", s.code);
    }
}

#[test]
fn the_summary_shows_values_and_documents() {
    let mut chat = Chat::new();
    chat.text("surat domisili");
    chat.text(NIK);
    chat.text("Siti Aminah");
    chat.text("Dusun Krajan");
    chat.text("rt 3 rw 2");
    chat.text("17 agustus 2015");
    chat.text("melamar kerja");
    chat.photo();
    chat.tap("doc:later");
    let a = chat.tap("doc:skip");
    assert_eq!(chat.conv.stage, Stage::Confirm);
    let body = said(&a);
    assert!(body.contains("Mohon periksa permohonan *Surat Keterangan Domisili*"));
    assert!(body.contains("• Nama lengkap: Siti Aminah"), "{body}");
    assert!(body.contains("• Tinggal sejak: 17 Agustus 2015"), "{body}");
    assert!(body.contains("• RT/RW: RT 003 / RW 002"), "{body}");
    assert!(body.contains("• Foto KTP: ✅ terkirim"), "{body}");
    assert!(
        body.contains("• Foto Kartu Keluarga: dibawa ke kantor"),
        "{body}"
    );
    assert!(
        body.contains("• Surat pengantar RT/RW: tidak ada"),
        "{body}"
    );
}

#[test]
fn several_services_in_one_message_are_handled_one_after_the_other() {
    let mut chat = Chat::new();
    let a = chat.text("mau urus skck dan sktm");
    assert_eq!(chat.draft().service, "skck");
    assert_eq!(chat.conv.queued, vec!["sktm".to_string()]);
    assert!(
        said(&a).contains("Setelah ini kita lanjutkan SKTM"),
        "{}",
        said(&a)
    );
    for v in [NIK, "Budi Santoso", "melamar kerja"] {
        chat.text(v);
    }
    chat.tap("doc:later");
    chat.tap("doc:later");
    chat.tap("doc:skip");
    let a = chat.tap("confirm:send");
    assert_eq!(submission(&a).unwrap().service, "skck");
    assert_eq!(
        chat.draft().service,
        "sktm",
        "the second one starts at once"
    );
    assert!(said(&a).contains("Surat Keterangan Tidak Mampu"));
    assert!(chat.conv.queued.is_empty());
    // The resident's NIK and name from the first request are not asked again.
    assert!(said(&a).contains(texts::identity_reused()), "{}", said(&a));
    assert_eq!(chat.draft().values["nik"], NIK);
    assert_eq!(chat.draft().values["nama"], "Budi Santoso");
    assert_ne!(chat.field_key().as_deref(), Some("nik"));
}

#[test]
fn the_queued_service_respects_the_daily_limit() {
    let mut chat = Chat::with(Ctx {
        submitted_today: 4,
        ..ctx()
    });
    chat.text("skck dan sktm");
    for v in [NIK, "Budi Santoso", "melamar kerja"] {
        chat.text(v);
    }
    chat.tap("doc:later");
    chat.tap("doc:later");
    chat.tap("doc:skip");
    let a = chat.tap("confirm:send");
    assert!(submission(&a).is_some());
    assert!(said(&a).contains(&texts::daily_limit(5)));
    assert!(chat.conv.draft.is_none());
}

// ---------------------------------------------------------------------------------------------
// Validation

fn at_field(code: &str, key: &str) -> Chat {
    let mut chat = Chat::new();
    chat.tap(&format!("svc:{code}"));
    let svc = service(code);
    for _ in 0..50 {
        if chat.field_key().as_deref() == Some(key) {
            return chat;
        }
        let Stage::Field { index, .. } = chat.conv.stage else {
            panic!("{code}.{key} never asked");
        };
        chat.text(&answer(&svc.fields[index]));
    }
    panic!("{code}.{key}: an earlier answer keeps being refused")
}

fn assert_rejected(chat: &mut Chat, input: &str, expect: &str) {
    let before = chat.conv.stage.clone();
    let a = chat.text(input);
    let text = said(&a);
    assert!(
        text.contains(expect),
        "{input:?}: expected {expect:?}, got {text:?}"
    );
    assert_eq!(chat.conv.stage, before, "{input:?}: still asking the same");
}

#[test]
fn nik_errors_are_explained_and_reasked() {
    let mut chat = at_field("skck", "nik");
    for bad in [
        "12345",
        "0510061505900001",
        "3510063213900001",
        "3510061505900000",
    ] {
        let expected = Nik::parse(bad).unwrap_err().friendly_message();
        assert_rejected(&mut chat, bad, &expected);
    }
    // Spaces and dots are fine.
    chat.text("NIK saya 3510 0615 0590 0001");
    assert_eq!(chat.draft().values["nik"], NIK);
    assert_eq!(chat.field_key().as_deref(), Some("nama"));
}

#[test]
fn a_nik_from_elsewhere_is_accepted_with_a_warning() {
    let mut chat = at_field("skck", "nik");
    let other_region = "3201011505900001";
    let warning = Nik::parse(other_region)
        .unwrap()
        .region_warning("35.10.06.2009")
        .expect("a warning")
        .friendly_message();
    let a = chat.text(other_region);
    assert!(said(&a).contains(&warning));
    assert_eq!(chat.draft().values["nik"], other_region);
}

#[test]
fn date_rtrw_number_choice_nokk_and_text_errors() {
    let mut chat = at_field("domisili", "rt_rw");
    let bad = RtRw::parse("abc").unwrap_err().friendly_message();
    assert_rejected(&mut chat, "abc", &bad);
    chat.text("002/001");
    assert_eq!(chat.field_key().as_deref(), Some("sejak"));
    let bad = crate::domain::date::parse_date("31-02-2020", wednesday_morning().date_naive())
        .unwrap_err()
        .friendly_message();
    assert_rejected(&mut chat, "31-02-2020", &bad);

    let mut chat = at_field("akta_lahir", "anak_ke");
    assert_rejected(&mut chat, "pertama", "Mohon jawab dengan angka");
    chat.text("anak ke 3");
    assert_eq!(chat.draft().values["anak_ke"], "3");

    let mut chat = at_field("akta_lahir", "jenis_kelamin");
    let a = chat.text("entah");
    assert!(said(&a).contains("Mohon pilih salah satu pilihan"));
    assert_eq!(
        choice_ids(&a),
        vec!["choice:0", "choice:1"],
        "the choice is asked again"
    );
    chat.text("perempuan");
    assert_eq!(chat.draft().values["jenis_kelamin"], "Perempuan");

    let mut chat = at_field("kk", "no_kk_lama");
    let bad = NoKk::parse("1234").unwrap_err().friendly_message();
    assert_rejected(&mut chat, "1234", &bad);
    chat.text(NO_KK);
    assert_eq!(chat.draft().values["no_kk_lama"], NO_KK);

    let mut chat = at_field("skck", "nama");
    assert_rejected(&mut chat, "?", "Mohon tulis jawabannya dengan huruf");
    assert_rejected(&mut chat, &"a".repeat(301), "terlalu panjang");
}

#[test]
fn choices_match_words_of_an_option() {
    let mut chat = at_field("sktm", "keperluan");
    chat.text("untuk beasiswa anak");
    assert_eq!(chat.draft().values["keperluan"], "Sekolah / beasiswa");
    let mut chat = at_field("sktm", "keperluan");
    chat.text("3");
    assert_eq!(chat.draft().values["keperluan"], "BPJS / KIS");
    // "Ubah data" is an option of the KTP question, not a request to edit.
    let mut chat = at_field("ktp", "alasan");
    chat.text("ubah data");
    assert_eq!(chat.draft().values["alasan"], "Ubah data");
    assert_eq!(chat.conv.stage, Stage::Document { index: 0 });
}

#[test]
fn a_dash_answers_questions_that_invite_it() {
    // Required, and the question says "ketik - jika sendiri".
    let mut chat = at_field("pindah", "pengikut");
    chat.text("-");
    assert_eq!(chat.draft().values["pengikut"], "-");
    // Optional.
    let mut chat = at_field("surat_jalan", "barang");
    chat.text("-");
    assert_eq!(chat.draft().values["barang"], "");
    assert_eq!(chat.conv.stage, Stage::Document { index: 0 });
}

#[test]
fn text_that_is_not_a_document_reasks_it() {
    let mut chat = Chat::new();
    chat.tap("svc:kehilangan");
    for f in &service("kehilangan").fields {
        chat.text(&answer(f));
    }
    assert_eq!(chat.conv.stage, Stage::Document { index: 0 });
    let a = chat.text("ini ktp saya");
    assert!(said(&a).contains("Mohon kirim sebagai foto atau PDF"));
    assert_eq!(chat.conv.stage, Stage::Document { index: 0 });
}

// ---------------------------------------------------------------------------------------------
// Corrections and edits

#[test]
fn corrections_while_filling() {
    let mut chat = at_field("skck", "keperluan");
    let a = chat.text("salah, NIK saya 3510062007850003");
    assert_eq!(chat.draft().values["nik"], NIK_OTHER);
    assert!(said(&a).contains(&texts::value_updated("NIK")));
    assert_eq!(
        chat.field_key().as_deref(),
        Some("keperluan"),
        "back to the question"
    );
    let a = chat.text("ralat nama: Budi Santosa");
    assert_eq!(chat.draft().values["nama"], "Budi Santosa");
    assert!(said(&a).contains(&texts::value_updated("Nama lengkap")));
    // A wrong correction is explained and that field asked.
    let a = chat.text("salah nik 123");
    assert!(said(&a).contains("16"), "{}", said(&a));
    assert_eq!(chat.field_key().as_deref(), Some("nik"));
    chat.text(NIK);
    assert_eq!(chat.draft().values["nik"], NIK);
}

#[test]
fn a_correction_names_the_most_specific_field() {
    let mut chat = at_field("akta_lahir", "jenis_kelamin");
    chat.text("ralat nama anak Siti Rahma");
    assert_eq!(chat.draft().values["nama_anak"], "Siti Rahma");
    assert_eq!(chat.draft().values["nama"], "Budi Santoso");
    // A name starting like a filler word is kept whole.
    chat.text("ralat nama pelapor Sayaka Dewi");
    assert_eq!(chat.draft().values["nama"], "Sayaka Dewi");
}

#[test]
fn salah_alone_offers_the_edit_list() {
    let mut chat = at_field("skck", "keperluan");
    let a = chat.text("salah");
    assert_eq!(chat.conv.stage, Stage::EditPick);
    assert_eq!(
        choice_ids(&a),
        vec!["edit:nik", "edit:nama", "edit:keperluan"]
    );
}

fn at_summary(code: &str) -> Chat {
    let mut chat = Chat::new();
    chat.tap(&format!("svc:{code}"));
    for _ in 0..40 {
        match chat.conv.stage {
            Stage::Field { index, .. } => {
                chat.text(&answer(&service(code).fields[index]));
            }
            Stage::Document { .. } => {
                chat.photo();
            }
            Stage::Confirm => return chat,
            ref other => panic!("{other:?}"),
        }
    }
    panic!("no summary")
}

#[test]
fn corrections_at_the_summary_show_it_again() {
    let mut chat = at_summary("skck");
    let a = chat.text("ralat nama Budi Susanto");
    assert_eq!(chat.conv.stage, Stage::Confirm);
    assert!(said(&a).contains("• Nama lengkap: Budi Susanto"));
}

#[test]
fn ubah_edits_one_field_and_returns_to_the_summary() {
    let mut chat = at_summary("domisili");
    let a = chat.tap("confirm:edit");
    assert_eq!(chat.conv.stage, Stage::EditPick);
    let rows = list_rows(&a);
    assert_eq!(rows.len(), service("domisili").fields.len());
    assert!(rows.iter().all(|r| r.id.starts_with("edit:")));
    let a = chat.tap("edit:rt_rw");
    assert_eq!(chat.field_key().as_deref(), Some("rt_rw"));
    assert!(said(&a).contains("RT/RW berapa"));
    let a = chat.text("5/3");
    assert!(said(&a).contains(&texts::value_updated("RT/RW")));
    assert!(
        said(&a).contains("• RT/RW: RT 005 / RW 003"),
        "{}",
        said(&a)
    );
    assert_eq!(chat.conv.stage, Stage::Confirm);
    // Typed: "ubah" at the summary, then the field's name.
    chat.text("ubah");
    assert_eq!(chat.conv.stage, Stage::EditPick);
    chat.text("keperluan");
    assert_eq!(chat.field_key().as_deref(), Some("keperluan"));
    chat.text("pendaftaran sekolah");
    assert_eq!(chat.conv.stage, Stage::Confirm);
    assert_eq!(chat.draft().values["keperluan"], "pendaftaran sekolah");
    // Editing an optional field can skip it.
    let mut chat = at_summary("nikah");
    chat.tap("confirm:edit");
    chat.tap("edit:nik_pasangan");
    chat.tap("field:skip");
    assert_eq!(chat.conv.stage, Stage::Confirm);
    assert_eq!(chat.draft().values["nik_pasangan"], "");
}

#[test]
fn the_edit_list_fits_whatsapp_for_every_service() {
    for s in shared().catalogue.enabled() {
        let mut chat = at_summary(&s.code);
        let a = chat.tap("confirm:edit");
        let rows = list_rows(&a);
        assert!(rows.len() <= 10);
        assert!(rows.iter().all(|r| r.title.chars().count() <= 24));
    }
}

// ---------------------------------------------------------------------------------------------
// Saved data and requests for someone else

fn saved_ctx() -> Ctx<'static> {
    Ctx {
        saved: Some(SavedData {
            nik: NIK.into(),
            nama: "Budi Santoso".into(),
        }),
        ..ctx()
    }
}

#[test]
fn saved_data_is_offered_and_used() {
    let mut chat = Chat::with(saved_ctx());
    let a = chat.text("mau buat skck");
    assert_eq!(chat.conv.stage, Stage::OfferSaved);
    let text = said(&a);
    assert!(text.contains("Pakai data sebelumnya?"));
    assert!(text.contains("Budi Santoso"));
    assert!(!text.contains(NIK), "the NIK is masked");
    assert_eq!(
        choice_ids(&a),
        vec!["saved:use", "saved:other", "saved:new"]
    );
    chat.tap("saved:use");
    assert_eq!(chat.draft().values["nik"], NIK);
    assert_eq!(chat.draft().values["nama"], "Budi Santoso");
    assert_eq!(chat.field_key().as_deref(), Some("keperluan"));
    // Typed yes works too.
    let mut chat = Chat::with(saved_ctx());
    chat.text("mau buat skck");
    chat.text("iya");
    assert_eq!(chat.field_key().as_deref(), Some("keperluan"));
}

#[test]
fn saved_data_declined_or_for_someone_else() {
    let mut chat = Chat::with(saved_ctx());
    chat.text("mau buat skck");
    chat.tap("saved:new");
    assert_eq!(chat.field_key().as_deref(), Some("nik"));
    assert!(chat.draft().relation.is_none());

    let mut chat = Chat::with(saved_ctx());
    chat.text("mau buat skck");
    let a = chat.tap("saved:other");
    assert!(chat.draft().relation.is_some());
    assert!(said(&a).contains("Baik, surat ini untuk"));
    assert_eq!(chat.field_key().as_deref(), Some("nik"));

    let mut chat = Chat::with(saved_ctx());
    chat.text("mau buat skck");
    chat.text("untuk anak saya");
    assert_eq!(chat.draft().relation.as_deref(), Some("anak Bapak/Ibu"));
    assert_eq!(chat.field_key().as_deref(), Some("nik"));

    let mut chat = Chat::with(saved_ctx());
    chat.text("mau buat skck");
    chat.text("tidak");
    assert_eq!(chat.field_key().as_deref(), Some("nik"));
}

#[test]
fn a_request_for_someone_else_is_detected_in_the_first_message() {
    let mut chat = Chat::with(saved_ctx());
    let a = chat.text("mau buat skck untuk anak saya");
    assert_eq!(chat.draft().relation.as_deref(), Some("anak Bapak/Ibu"));
    assert!(said(&a).contains(&texts::for_someone_else("anak Bapak/Ibu")));
    assert_eq!(
        chat.conv.stage,
        Stage::Field {
            index: 0,
            editing: false
        },
        "no saved-data offer"
    );
    let mut chat = Chat::new();
    chat.text("mau urus ktp orang tua saya");
    assert_eq!(chat.draft().service, "ktp");
    assert_eq!(
        chat.draft().relation.as_deref(),
        Some("orang tua Bapak/Ibu")
    );
    // The birth form asks for the reporter: "akta anak saya" is not a request for the child.
    let mut chat = Chat::with(saved_ctx());
    chat.text("mau buat akta kelahiran anak saya");
    assert_eq!(chat.draft().service, "akta_lahir");
    assert_eq!(chat.draft().relation, None);
    assert_eq!(chat.conv.stage, Stage::OfferSaved);
}

// ---------------------------------------------------------------------------------------------
// Documents and media

#[test]
fn photos_attach_to_the_requirement_being_asked() {
    let mut chat = Chat::new();
    chat.tap("svc:nikah");
    for f in &service("nikah").fields {
        chat.text(&answer(f));
    }
    assert_eq!(chat.conv.stage, Stage::Document { index: 0 });
    let a = chat.send(Event::Voice);
    assert!(said(&a).contains(texts::voice_note()));
    assert!(said(&a).contains("Foto KTP calon pengantin"), "asked again");
    // A burst of photos fills the requirements in order.
    let mut sent = Vec::new();
    for _ in 0..3 {
        sent.push(chat.media(None).0);
    }
    let docs = &chat.draft().documents;
    for (key, media) in ["ktp", "kk", "akta_lahir"].iter().zip(&sent) {
        assert_eq!(
            docs[*key],
            DocAnswer::Sent {
                media: media.clone()
            }
        );
    }
    assert_eq!(chat.conv.stage, Stage::Document { index: 3 });
    let a = chat.text("bawa ke kantor");
    assert!(said(&a).contains(&texts::document_later("Pas foto 2x3 dan 4x6")));
    let a = chat.tap("doc:later");
    assert!(said(&a).contains("Surat pernyataan belum menikah"));
    // Still missing is listed while more than one remains.
    let mut chat = Chat::new();
    chat.tap("svc:nikah");
    for f in &service("nikah").fields {
        chat.text(&answer(f));
    }
    let Stage::Document { .. } = chat.conv.stage else {
        panic!()
    };
    let a = chat.photo();
    let text = said(&a);
    assert!(text.contains("Masih perlu:"), "{text}");
    assert!(text.contains("Foto Kartu Keluarga"));
}

#[test]
fn a_photo_while_fields_are_asked_is_kept_for_the_first_document() {
    let mut chat = at_field("skck", "nama");
    let (media, a) = chat.media(None);
    assert!(said(&a).contains(&texts::document_received("Foto KTP")));
    assert!(
        said(&a).contains("Nama lengkap sesuai KTP?"),
        "the question again"
    );
    assert_eq!(chat.draft().documents["ktp"], DocAnswer::Sent { media });
    chat.text("Budi");
    chat.text("kerja");
    assert_eq!(
        chat.conv.stage,
        Stage::Document { index: 1 },
        "KTP not asked again"
    );
}

#[test]
fn a_photo_at_the_summary_replaces_a_document_brought_later() {
    let mut chat = Chat::new();
    chat.tap("svc:kehilangan");
    for f in &service("kehilangan").fields {
        chat.text(&answer(f));
    }
    chat.tap("doc:later");
    assert_eq!(chat.conv.stage, Stage::Confirm);
    let (media, a) = chat.media(None);
    assert_eq!(chat.draft().documents["ktp"], DocAnswer::Sent { media });
    assert!(said(&a).contains("• Foto KTP: ✅ terkirim"));
}

#[test]
fn a_photo_before_any_service_is_attached_once_one_is_chosen() {
    let mut chat = Chat::new();
    let (first, a) = chat.media(None);
    assert!(said(&a).contains(texts::media_without_request()));
    assert_eq!(chat.conv.stage, Stage::Menu);
    let (second, _) = chat.media(None);
    assert_eq!(chat.conv.loose_media.len(), 2);
    chat.tap("svc:skck");
    assert!(chat.conv.loose_media.is_empty());
    assert_eq!(
        chat.draft().documents["ktp"],
        DocAnswer::Sent { media: first }
    );
    assert_eq!(
        chat.draft().documents["kk"],
        DocAnswer::Sent { media: second }
    );
    for f in &service("skck").fields {
        chat.text(&answer(f));
    }
    assert_eq!(
        chat.conv.stage,
        Stage::Document { index: 2 },
        "only the rest is asked"
    );
}

#[test]
fn a_caption_naming_a_service_starts_it() {
    let mut chat = Chat::new();
    let (media, a) = chat.media(Some("ini buat urus surat domisili"));
    assert_eq!(chat.draft().service, "domisili", "{}", said(&a));
    assert_eq!(chat.draft().documents["ktp"], DocAnswer::Sent { media });
    assert!(said(&a).contains("Surat Keterangan Domisili"));
}

// ---------------------------------------------------------------------------------------------
// Confirmation, cancelling

#[test]
fn batal_at_the_summary_asks_first() {
    let mut chat = at_summary("skck");
    let a = chat.tap("confirm:cancel");
    assert!(matches!(chat.conv.stage, Stage::ConfirmDropDraft { .. }));
    assert!(said(&a).contains(&texts::confirm_cancel_draft(service("skck"))));
    assert_eq!(choice_ids(&a), vec!["drop:yes", "drop:no"]);
    let a = chat.tap("drop:no");
    assert!(said(&a).contains(texts::continue_filling()));
    assert_eq!(chat.conv.stage, Stage::Confirm, "back at the summary");
    chat.tap("confirm:cancel");
    let a = chat.tap("drop:yes");
    assert!(said(&a).contains(texts::draft_cancelled()));
    assert!(chat.conv.draft.is_none());
    assert!(submission(&a).is_none());
}

#[test]
fn batal_while_filling_with_typed_answers() {
    let mut chat = at_field("sktm", "keperluan");
    chat.text("batal");
    assert!(matches!(chat.conv.stage, Stage::ConfirmDropDraft { .. }));
    let a = chat.text("jangan, lanjut saja");
    assert!(said(&a).contains(texts::continue_filling()));
    assert_eq!(chat.field_key().as_deref(), Some("keperluan"));
    chat.text("batal");
    let a = chat.text("Ya, batalkan");
    assert!(said(&a).contains(texts::draft_cancelled()), "{}", said(&a));
    assert!(chat.conv.draft.is_none());
    assert_eq!(chat.conv.stage, Stage::Idle);
}

#[test]
fn kirim_typed_or_tapped_only_from_the_summary() {
    let mut chat = at_field("skck", "nama");
    let a = chat.tap("confirm:send");
    assert!(
        submission(&a).is_none(),
        "an old Kirim button does not submit a half form"
    );
    assert_eq!(chat.field_key().as_deref(), Some("nama"));
    let mut chat = at_summary("skck");
    let a = chat.text("ya");
    let s = submission(&a).unwrap();
    assert_eq!(s.values["nik"], NIK);
    assert!(matches!(s.documents["ktp"], DocAnswer::Sent { .. }));
}

fn with_requests(requests: &[(&str, &str, &str)]) -> Chat {
    Chat::with(Ctx {
        open_requests: requests
            .iter()
            .map(|(t, s, st)| RequestBrief {
                ticket: t.to_string(),
                service: s.to_string(),
                state: st.to_string(),
            })
            .collect(),
        ..ctx()
    })
}

#[test]
fn batal_of_the_only_cancellable_request() {
    let mut chat = with_requests(&[("KLP-0042", "skck", "diajukan")]);
    let a = chat.text("batal");
    assert_eq!(
        chat.conv.stage,
        Stage::ConfirmCancel {
            ticket: "KLP-0042".into()
        }
    );
    assert!(said(&a).contains(&texts::confirm_cancel_request("KLP-0042", "Pengantar SKCK")));
    let a = chat.tap("cancel:yes");
    assert_eq!(
        a,
        vec![Action::CancelRequest {
            ticket: "KLP-0042".into()
        }]
    );
    assert_eq!(chat.conv.stage, Stage::Idle);
    // Or kept.
    let mut chat = with_requests(&[("KLP-0042", "skck", "diajukan")]);
    chat.text("batal");
    let a = chat.tap("cancel:no");
    assert!(said(&a).contains(&texts::request_kept("KLP-0042")));
    // Typed answers.
    let mut chat = with_requests(&[("KLP-0042", "skck", "diajukan")]);
    chat.text("batal");
    let a = chat.text("ya batalkan");
    assert!(a.contains(&Action::CancelRequest {
        ticket: "KLP-0042".into()
    }));
    let mut chat = with_requests(&[("KLP-0042", "skck", "diajukan")]);
    chat.text("batal");
    let a = chat.text("jangan dibatalkan");
    assert!(!a.iter().any(|x| matches!(x, Action::CancelRequest { .. })));
    assert!(said(&a).contains(&texts::request_kept("KLP-0042")));
}

#[test]
fn batal_with_several_requests_lists_them() {
    let mut chat = with_requests(&[
        ("KLP-0043", "sktm", "diajukan"),
        ("KLP-0042", "skck", "diajukan"),
        ("KLP-0040", "kk", "diproses"),
    ]);
    let a = chat.text("batal");
    assert_eq!(chat.conv.stage, Stage::PickCancel);
    let rows = list_rows(&a);
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(
        ids,
        vec!["cancelreq:KLP-0043", "cancelreq:KLP-0042"],
        "only cancellable ones"
    );
    chat.tap("cancelreq:KLP-0042");
    assert_eq!(
        chat.conv.stage,
        Stage::ConfirmCancel {
            ticket: "KLP-0042".into()
        }
    );
    // Typing the ticket from the list picks it too.
    let mut chat = with_requests(&[
        ("KLP-0043", "sktm", "diajukan"),
        ("KLP-0042", "skck", "diajukan"),
    ]);
    chat.text("batal");
    chat.text("KLP-0043");
    assert_eq!(
        chat.conv.stage,
        Stage::ConfirmCancel {
            ticket: "KLP-0043".into()
        }
    );
}

#[test]
fn batal_of_a_named_ticket_and_of_one_being_processed() {
    let mut chat = with_requests(&[
        ("KLP-0043", "sktm", "diajukan"),
        ("KLP-0040", "kk", "diproses"),
    ]);
    chat.text("batal KLP-0043");
    assert_eq!(
        chat.conv.stage,
        Stage::ConfirmCancel {
            ticket: "KLP-0043".into()
        }
    );
    let mut chat = with_requests(&[("KLP-0040", "kk", "diproses")]);
    let a = chat.text("batalkan klp-0040");
    assert!(said(&a).contains(&texts::cannot_cancel("KLP-0040", "diproses")));
    assert_eq!(chat.conv.stage, Stage::Idle);
    let a = chat.text("batal KLP-0099");
    assert!(said(&a).contains(&texts::ticket_not_found("KLP-0099")));
    let a = chat.text("batal");
    assert!(said(&a).contains(texts::no_cancellable_request()));
    // A draft in progress is what "batal" is about, unless a ticket is named.
    let mut chat = with_requests(&[("KLP-0043", "sktm", "diajukan")]);
    chat.tap("svc:skck");
    chat.text("batal KLP-0043");
    assert!(matches!(chat.conv.stage, Stage::ConfirmCancel { .. }));
}

// ---------------------------------------------------------------------------------------------
// Status, complaints

#[test]
fn status_with_and_without_a_ticket() {
    let mut chat = Chat::new();
    let a = chat.text("status");
    assert_eq!(a, vec![Action::ShowStatus { ticket: None }]);
    let a = chat.text("cek KLP-0042");
    assert_eq!(
        a,
        vec![Action::ShowStatus {
            ticket: Some("KLP-0042".into())
        }]
    );
    let a = chat.tap("menu:status");
    assert_eq!(a, vec![Action::ShowStatus { ticket: None }]);
    // With the menu shown, the status comes alone (no second menu).
    chat.text("menu");
    let a = chat.text("status");
    assert_eq!(a, vec![Action::ShowStatus { ticket: None }]);
    assert_eq!(chat.conv.stage, Stage::Menu, "numbers still pick services");
    // While filling, the status is shown and the question asked again.
    let mut chat = at_field("skck", "nama");
    let a = chat.text("cek klp 42");
    assert_eq!(
        a[0],
        Action::ShowStatus {
            ticket: Some("KLP-0042".into())
        }
    );
    assert!(said(&a).contains("Nama lengkap sesuai KTP?"));
    assert_eq!(chat.field_key().as_deref(), Some("nama"));
}

#[test]
fn a_short_complaint_prompts_then_files_the_text() {
    let mut chat = Chat::new();
    let a = chat.text("aduan");
    assert!(said(&a).contains(texts::complaint_prompt()));
    assert_eq!(chat.conv.stage, Stage::Complaint);
    let (media, _) = chat.media(None);
    let a = chat.text("Lampu jalan di dusun Krajan mati sejak seminggu");
    assert_eq!(
        a,
        vec![Action::FileComplaint {
            text: "Lampu jalan di dusun Krajan mati sejak seminggu".into(),
            media: vec![media],
        }]
    );
    assert_eq!(chat.conv.stage, Stage::ComplaintFiled);
    let (media, a) = chat.media(None);
    assert_eq!(a[0], Action::AttachToComplaint(media));
    assert!(said(&a).contains(texts::complaint_photo_added()));
    // Tapped from the menu.
    let mut chat = Chat::new();
    chat.tap("menu:aduan");
    assert_eq!(chat.conv.stage, Stage::Complaint);
}

#[test]
fn a_long_complaint_is_filed_at_once() {
    let mut chat = Chat::new();
    let text = "saya mau komplain pelayanan kantor desa lambat sekali kemarin";
    let a = chat.text(text);
    assert_eq!(
        a,
        vec![Action::FileComplaint {
            text: text.into(),
            media: vec![]
        }],
        "{}",
        said(&a)
    );
    assert_eq!(chat.conv.stage, Stage::ComplaintFiled);
}

// ---------------------------------------------------------------------------------------------
// Other message kinds

#[test]
fn voice_sticker_and_unsupported_get_a_helpful_answer() {
    let mut chat = Chat::new();
    assert!(said(&chat.send(Event::Voice)).contains(texts::voice_note()));
    assert_eq!(said(&chat.send(Event::Sticker)), texts::sticker());
    assert_eq!(said(&chat.send(Event::Unsupported)), texts::unsupported());
    assert!(chat.send(Event::Ignored).is_empty());
}

#[test]
fn a_location_fills_the_address_or_is_kept_for_delivery() {
    let loc = Location {
        latitude: -8.3,
        longitude: 114.2,
        label: Some("Dusun Krajan".into()),
    };
    let mut chat = at_field("domisili", "alamat");
    chat.send(Event::Location(loc.clone()));
    assert_eq!(
        chat.draft().values["alamat"],
        "Dusun Krajan (-8.300000, 114.200000)"
    );
    assert_eq!(chat.conv.location, Some(loc.clone()));
    assert_eq!(chat.field_key().as_deref(), Some("rt_rw"));

    // Elsewhere it is saved for delivery and the question asked again.
    let mut chat = at_field("skck", "nama");
    let a = chat.send(Event::Location(loc.clone()));
    assert!(said(&a).contains(texts::location_saved()));
    assert!(said(&a).contains("Nama lengkap sesuai KTP?"));
    assert_eq!(chat.conv.location, Some(loc.clone()));
    // ... and goes with the submission.
    chat.text("Budi");
    chat.text("kerja");
    chat.tap("doc:later");
    chat.tap("doc:later");
    chat.tap("doc:skip");
    let a = chat.tap("confirm:send");
    assert_eq!(submission(&a).unwrap().location, Some(loc.clone()));

    // A destination is not the delivery address.
    let mut chat = at_field("pindah", "alamat_tujuan");
    chat.send(Event::Location(loc));
    assert!(chat.draft().values["alamat_tujuan"].contains("-8.300000"));
    assert_eq!(chat.conv.location, None);
}

#[test]
fn thanks_gets_a_short_answer() {
    let mut chat = Chat::new();
    let a = chat.text("terima kasih");
    assert_eq!(said(&a), texts::thanks_reply());
    let a = chat.text("matur nuwun");
    assert_eq!(said(&a), texts::thanks_reply());
}

// ---------------------------------------------------------------------------------------------
// Idle, limits, office hours

fn later(chat: &mut Chat, secs: i64) {
    chat.ctx.now += chrono::Duration::seconds(secs);
}

#[test]
fn an_idle_draft_is_offered_for_resuming() {
    let mut chat = at_field("skck", "nama");
    later(&mut chat, 3 * 3600);
    let a = chat.text("halo");
    assert!(said(&a).contains(&texts::resume_offer("Pengantar SKCK")));
    assert_eq!(choice_ids(&a), vec!["resume:yes", "resume:no"]);
    assert!(matches!(chat.conv.stage, Stage::Resume { .. }));
    let a = chat.tap("resume:yes");
    assert_eq!(chat.field_key().as_deref(), Some("nama"));
    assert!(said(&a).contains("Nama lengkap sesuai KTP?"));
    assert_eq!(chat.draft().values["nik"], NIK, "nothing lost");

    let mut chat = at_field("skck", "nama");
    later(&mut chat, 3 * 3600);
    chat.send(Event::Voice);
    let a = chat.tap("resume:no");
    assert!(chat.conv.draft.is_none());
    assert_eq!(chat.conv.stage, Stage::Menu);
    assert!(!list_rows(&a).is_empty());

    // Typed answers to the offer.
    let mut chat = at_field("skck", "nama");
    later(&mut chat, 3 * 3600);
    chat.text("halo");
    chat.text("mulai baru");
    assert!(chat.conv.draft.is_none());
}

#[test]
fn a_short_pause_is_not_idle() {
    let mut chat = at_field("skck", "nama");
    later(&mut chat, 600);
    chat.text("Budi");
    assert_eq!(chat.field_key().as_deref(), Some("keperluan"));
}

#[test]
fn a_strong_new_intent_after_idle_starts_it() {
    let mut chat = at_field("skck", "nama");
    later(&mut chat, 3 * 3600);
    let a = chat.text("mau buat surat domisili");
    assert_eq!(chat.draft().service, "domisili");
    assert!(!said(&a).contains("terhenti"));
    // A tap on the old summary's Kirim still submits.
    let mut chat = at_summary("skck");
    later(&mut chat, 3 * 3600);
    let a = chat.tap("confirm:send");
    assert!(submission(&a).is_some());
    // A status question keeps the draft.
    let mut chat = at_field("skck", "nama");
    later(&mut chat, 3 * 3600);
    let a = chat.text("status");
    assert_eq!(a[0], Action::ShowStatus { ticket: None });
    assert_eq!(chat.field_key().as_deref(), Some("nama"));
}

#[test]
fn an_old_open_question_does_not_outlive_idleness() {
    let mut chat = with_requests(&[("KLP-0042", "skck", "diajukan")]);
    chat.text("batal");
    later(&mut chat, 2 * 86400);
    let a = chat.text("ya");
    assert!(!a.iter().any(|x| matches!(x, Action::CancelRequest { .. })));
    let mut chat = Chat::new();
    chat.text("aduan");
    later(&mut chat, 2 * 86400);
    let a = chat.text("halo");
    assert!(!a.iter().any(|x| matches!(x, Action::FileComplaint { .. })));
}

#[test]
fn the_daily_limit_is_refused_politely() {
    let mut chat = Chat::with(Ctx {
        submitted_today: 5,
        ..ctx()
    });
    let a = chat.text("mau buat skck");
    assert_eq!(said(&a), texts::daily_limit(5));
    assert!(chat.conv.draft.is_none());
    let a = chat.tap("svc:sktm");
    assert_eq!(said(&a), texts::daily_limit(5));
    let mut chat = Chat::with(Ctx {
        submitted_today: 4,
        ..ctx()
    });
    chat.text("mau buat skck");
    assert!(chat.conv.draft.is_some());
}

#[test]
fn office_hours_and_expected_completion() {
    let office = OfficeHours::default();
    assert!(office.is_open(&wednesday_morning()));
    assert!(!office.is_open(&saturday_night()));
    assert!(
        !office.is_open(&wib(2026, 11, 25, 15, 0)),
        "closing time is closed"
    );
    assert_eq!(
        office.next_opening(&saturday_night()),
        "hari Senin pukul 08.00"
    );
    assert_eq!(
        office.next_opening(&wib(2026, 11, 25, 7, 0)),
        "hari ini pukul 08.00"
    );
    assert_eq!(
        office.next_opening(&wib(2026, 11, 25, 16, 0)),
        "besok pukul 08.00"
    );
    assert_eq!(
        office.next_opening(&wib(2026, 11, 29, 19, 0)),
        "besok pukul 08.00"
    );
    assert_eq!(
        office.next_opening(&wib(2026, 11, 27, 16, 0)),
        "hari Senin pukul 08.00"
    );
    let never = OfficeHours {
        days: vec![],
        ..OfficeHours::default()
    };
    assert_eq!(
        never.next_opening(&saturday_night()),
        "pada hari kerja berikutnya"
    );
    assert_eq!(
        expected_completion(8, &wednesday_morning(), &office),
        "hari ini"
    );
    assert_eq!(
        expected_completion(8, &saturday_night(), &office),
        "1 hari kerja"
    );
    assert_eq!(
        expected_completion(24, &wednesday_morning(), &office),
        "1 hari kerja"
    );
    assert_eq!(
        expected_completion(72, &wednesday_morning(), &office),
        "3 hari kerja"
    );
    // The submitted text names the ticket, the time, home delivery and the office note.
    let note = texts::office_closed(&office.next_opening(&saturday_night()));
    let text = texts::submitted("KLP-0042", service("skck"), "1 hari kerja", Some(&note));
    assert!(text.contains("*KLP-0042*"));
    assert!(text.contains("1 hari kerja"));
    assert!(text.contains("diantar ke rumah"));
    assert!(text.contains("Senin pukul 08.00"));
    assert!(OutboundBody::text(text).validate().is_ok());
}

#[test]
fn outside_office_hours_the_request_is_still_taken() {
    let mut chat = Chat::with(Ctx {
        now: saturday_night(),
        ..ctx()
    });
    chat.text("mau buat skck");
    for v in [NIK, "Budi", "kerja"] {
        chat.text(v);
    }
    chat.tap("doc:later");
    chat.tap("doc:later");
    chat.tap("doc:skip");
    assert!(submission(&chat.tap("confirm:send")).is_some());
}

#[test]
fn truncate_counts_characters() {
    assert_eq!(truncate("abc", 3), "abc");
    assert_eq!(truncate("abcd", 3), "ab…");
    assert_eq!(truncate("ééééé", 4).chars().count(), 4);
}

#[test]
fn a_conversation_survives_serialisation_at_every_stage() {
    let mut chat = at_summary("nikah");
    chat.tap("confirm:edit");
    let json = serde_json::to_string(&chat.conv).unwrap();
    let back: Conversation = serde_json::from_str(&json).unwrap();
    assert_eq!(back, chat.conv);
    let old: Conversation = serde_json::from_str(r#"{"stage":{"stage":"idle"}}"#).unwrap();
    assert_eq!(old, Conversation::default());
}

// ---------------------------------------------------------------------------------------------
// Property: nothing a resident sends makes the dialogue panic or produce an invalid message.

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn dev_messages() -> Vec<String> {
    include_str!("../../tests/fixtures/intents-dev.tsv")
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once('\t').map(|(_, m)| m.to_string()))
        .collect()
}

#[test]
fn random_conversations_never_panic_and_always_validate() {
    let messages = dev_messages();
    assert!(messages.len() > 100);
    let extra = [
        NIK,
        "salah, NIK saya 3510062007850003",
        "ralat nama Siti",
        "ubah",
        "ganti",
        "salah",
        "nanti",
        "ya",
        "tidak",
        "batal",
        "Ya, batalkan",
        "status",
        "cek KLP-0001",
        "batal KLP-0002",
        "menu",
        "1",
        "12",
        "99",
        "-",
        "2/1",
        "12-10-2026",
        "İstanbul ralat nama İİİ",
        "salah nama İzzet",
        "ralat: ",
        "🙏🙏🙏",
        "",
    ];
    let replies = [
        "svc:skck",
        "svc:nikah",
        "svc:akta_lahir",
        "svc:unknown",
        "menu:page:1",
        "menu:page:x",
        "menu:status",
        "menu:aduan",
        "menu:all",
        "saved:use",
        "saved:other",
        "saved:new",
        "field:skip",
        "choice:0",
        "choice:1",
        "choice:9",
        "doc:later",
        "doc:skip",
        "confirm:send",
        "confirm:edit",
        "confirm:cancel",
        "edit:nama",
        "edit:nope",
        "drop:yes",
        "drop:no",
        "cancelreq:KLP-0002",
        "cancel:yes",
        "cancel:no",
        "resume:yes",
        "resume:no",
        "something:else",
    ];
    for seed in 1..=40u64 {
        let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
        let mut chat = Chat::with(Ctx {
            first_contact: seed % 3 == 0,
            saved: (seed % 2 == 0).then(|| SavedData {
                nik: NIK.into(),
                nama: "Budi".into(),
            }),
            open_requests: vec![
                RequestBrief {
                    ticket: "KLP-0002".into(),
                    service: "skck".into(),
                    state: "diajukan".into(),
                },
                RequestBrief {
                    ticket: "KLP-0001".into(),
                    service: "kk".into(),
                    state: "diproses".into(),
                },
            ],
            submitted_today: (seed % 7) as u32,
            ..ctx()
        });
        for _ in 0..250 {
            let event = match rng.below(10) {
                0..=2 => Event::Text(messages[rng.below(messages.len())].clone()),
                3 | 4 => Event::Text(extra[rng.below(extra.len())].to_string()),
                5 | 6 => {
                    let id = replies[rng.below(replies.len())];
                    Event::Reply {
                        id: id.into(),
                        title: if rng.below(2) == 0 {
                            String::new()
                        } else {
                            "Kirim".into()
                        },
                    }
                }
                7 => Event::Media {
                    media: MediaRef {
                        kind: "image".into(),
                        media_id: format!("m{}", rng.next()),
                        mime_type: None,
                        filename: None,
                        inbound_id: 1,
                    },
                    caption: (rng.below(2) == 0)
                        .then(|| messages[rng.below(messages.len())].clone()),
                },
                8 => Event::Location(Location {
                    latitude: -8.0,
                    longitude: 114.0,
                    label: None,
                }),
                _ => [
                    Event::Voice,
                    Event::Sticker,
                    Event::Unsupported,
                    Event::Ignored,
                ][rng.below(4)]
                .clone(),
            };
            if rng.below(20) == 0 {
                later(&mut chat, 4 * 3600);
            }
            let (conv, actions) = step(chat.conv.clone(), event.clone(), &chat.ctx);
            assert_valid(&actions);
            // A draft always belongs to a known service, and a stage that needs one has it.
            if let Some(d) = &conv.draft {
                assert!(shared().catalogue.get(&d.service).is_some());
            }
            if matches!(
                conv.stage,
                Stage::Field { .. } | Stage::Document { .. } | Stage::Confirm | Stage::EditPick
            ) {
                assert!(
                    conv.draft.is_some(),
                    "{:?} without a draft after {event:?}",
                    conv.stage
                );
            }
            // Every message that is not ignored gets an answer or an action.
            if !matches!(event, Event::Ignored) {
                assert!(
                    !actions.is_empty(),
                    "no answer to {event:?} at {:?}",
                    chat.conv.stage
                );
            }
            chat.conv = conv;
            chat.ctx.first_contact = false;
        }
    }
}

#[test]
fn dates_in_the_wrong_direction_are_explained() {
    let ctx = ctx();
    let death = service("akta_kematian")
        .fields
        .iter()
        .find(|f| f.key == "tanggal_meninggal")
        .expect("field");
    let tomorrow = (ctx.now.date_naive() + chrono::Duration::days(1))
        .format("%d-%m-%Y")
        .to_string();
    let err = super::validate(death, &tomorrow, &ctx).expect_err("a death date in the future");
    assert!(err.contains("belum lewat"), "{err}");
    assert!(super::validate(death, "20-11-2026", &ctx).is_ok());
    let wedding = service("nikah")
        .fields
        .iter()
        .find(|f| f.key == "tanggal_nikah")
        .expect("field");
    let err = super::validate(wedding, "1 januari 2020", &ctx).expect_err("a wedding in the past");
    assert!(err.contains("sudah lewat"), "{err}");
    assert!(super::validate(wedding, &tomorrow, &ctx).is_ok());
}
