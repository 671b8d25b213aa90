//! Every message body Kentongan sends, checked against Meta's published schema of
//! `POST /{phone_number_id}/messages` (`#/components/schemas/Message`, extracted by
//! `tests/fixtures/meta-openapi/extract.py`).
//!
//! Media uploads (`POST /{phone_number_id}/media`, multipart) are checked the same way against
//! `upload-media-schema.json` (`extract.py --upload-media`): the form's parts as one string field
//! each.
//!
//! The validator is a small JSON Schema 2020-12 subset: exactly the keywords those schemas use.
//! It refuses to run on a keyword it does not know rather than skip it, so a regenerated schema
//! can never be silently under-enforced.

#![allow(dead_code)] // `validate_message` is also used by the Graph client tests.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use kentongan::outbound::{Button, ListRow, ListSection, MediaKind, OutboundBody};
use serde_json::{json, Map, Value};

use crate::graph_mock::{parse_multipart, RecordedRequest};

const SCHEMA: &str = include_str!("../fixtures/meta-openapi/message-schema.json");
const UPLOAD_SCHEMA: &str = include_str!("../fixtures/meta-openapi/upload-media-schema.json");

fn schema() -> &'static Value {
    static SCHEMA_VALUE: OnceLock<Value> = OnceLock::new();
    SCHEMA_VALUE.get_or_init(|| serde_json::from_str(SCHEMA).expect("message-schema.json parses"))
}

fn upload_schema() -> &'static Value {
    static SCHEMA_VALUE: OnceLock<Value> = OnceLock::new();
    SCHEMA_VALUE.get_or_init(|| {
        serde_json::from_str(UPLOAD_SCHEMA).expect("upload-media-schema.json parses")
    })
}

/// Check the fields of a media upload (each part's name → its text; a file part stands as a
/// placeholder string, the schema's `format: binary`) against Meta's upload schema.
pub fn validate_upload_fields(fields: &Value) -> Result<(), Vec<String>> {
    Validator {
        root: upload_schema(),
    }
    .check(upload_schema(), fields, "")
    .map(|_| ())
}

/// Check Meta's (or the mock's) answer to an upload.
pub fn validate_upload_answer(answer: &Value) -> Result<(), Vec<String>> {
    let root = upload_schema();
    let answer_schema = root
        .pointer("/$defs/UploadMediaResponse")
        .expect("UploadMediaResponse in the fixture");
    Validator { root }
        .check(answer_schema, answer, "")
        .map(|_| ())
}

/// Panic with a readable report unless `request` is a well-formed upload: a multipart form,
/// each field once, the file as a file part (name and content type), the fields valid.
pub fn assert_valid_upload(request: &RecordedRequest) {
    assert_eq!(request.method, "POST");
    let parts = parse_multipart(request.header("content-type").unwrap_or(""), &request.body)
        .unwrap_or_else(|e| panic!("upload is not a well-formed multipart form: {e}"));
    let mut fields = Map::new();
    for part in &parts {
        let value = match &part.filename {
            Some(name) => {
                assert!(!name.is_empty(), "file part {:?} without a name", part.name);
                assert!(
                    part.content_type.is_some(),
                    "file part {:?} without a content type",
                    part.name
                );
                json!(format!("<{} bytes>", part.data.len()))
            }
            None => json!(part.text()),
        };
        assert!(
            fields.insert(part.name.clone(), value).is_none(),
            "field {:?} sent twice",
            part.name
        );
    }
    let fields = Value::Object(fields);
    if let Err(errors) = validate_upload_fields(&fields) {
        panic!(
            "upload violates Meta's schema:\n  {}\nfields: {fields:#}",
            errors.join("\n  ")
        );
    }
    if let Some(file) = parts.iter().find(|p| p.name == "file") {
        assert!(
            file.filename.is_some(),
            "`file` must be a file part, not a text field"
        );
    }
}

/// Check `message` against Meta's `Message` schema; the error lists every violation found, each
/// as `/json/pointer: what is wrong`.
pub fn validate_message(message: &Value) -> Result<(), Vec<String>> {
    Validator { root: schema() }
        .check(schema(), message, "")
        .map(|_| ())
}

/// Panic with a readable report unless `message` is valid.
pub fn assert_valid_message(message: &Value) {
    if let Err(errors) = validate_message(message) {
        panic!(
            "message violates Meta's schema:\n  {}\nmessage: {message:#}",
            errors.join("\n  ")
        );
    }
}

/// Keywords that only annotate; they never make an instance invalid.
const ANNOTATIONS: &[&str] = &[
    "$schema",
    "$comment",
    "$defs",
    "description",
    "title",
    "default",
    "example",
    "examples",
    // 2020-12 treats `format` as an annotation unless a vocabulary asks for assertion.
    "format",
];

struct Validator<'a> {
    root: &'a Value,
}

/// Names of the properties of the current instance that a schema evaluated (for
/// `unevaluatedProperties`).
type Evaluated = BTreeSet<String>;

impl<'a> Validator<'a> {
    fn resolve(&self, reference: &str) -> &'a Value {
        let pointer = reference
            .strip_prefix('#')
            .unwrap_or_else(|| panic!("only local $refs are supported, got {reference}"));
        self.root
            .pointer(pointer)
            .unwrap_or_else(|| panic!("$ref {reference} does not resolve"))
    }

    /// Validate `instance` (found at `at`) against `schema`. On success, returns the properties
    /// evaluated at this location.
    fn check(&self, schema: &Value, instance: &Value, at: &str) -> Result<Evaluated, Vec<String>> {
        let keywords = match schema {
            Value::Bool(true) => return Ok(Evaluated::new()),
            Value::Bool(false) => return Err(vec![format!("{at}: not allowed here")]),
            Value::Object(keywords) => keywords,
            other => panic!("schema at {at} is neither an object nor a boolean: {other}"),
        };
        let mut errors = Vec::new();
        let mut evaluated = Evaluated::new();
        for (keyword, value) in keywords {
            match keyword.as_str() {
                "$ref" => {
                    let target = self.resolve(value.as_str().expect("$ref is a string"));
                    collect(
                        self.check(target, instance, at),
                        &mut evaluated,
                        &mut errors,
                    );
                }
                "type" => check_type(value, instance, at, &mut errors),
                "enum" => {
                    let allowed = value.as_array().expect("enum is an array");
                    if !allowed.contains(instance) {
                        errors.push(format!("{at}: {instance} is not one of {value}"));
                    }
                }
                "const" => {
                    if instance != value {
                        errors.push(format!("{at}: {instance} is not {value}"));
                    }
                }
                "minLength" | "maxLength" => {
                    if let Some(s) = instance.as_str() {
                        // JSON Schema counts code points, as WhatsApp does.
                        let len = s.chars().count() as u64;
                        let bound = value.as_u64().expect("length bound");
                        if keyword == "maxLength" && len > bound {
                            errors.push(format!(
                                "{at}: maxLength {bound} exceeded ({len} characters)"
                            ));
                        }
                        if keyword == "minLength" && len < bound {
                            errors.push(format!(
                                "{at}: minLength {bound} not reached ({len} characters)"
                            ));
                        }
                    }
                }
                "minimum" | "maximum" => {
                    if let Some(n) = instance.as_f64() {
                        let bound = value.as_f64().expect("numeric bound");
                        if (keyword == "minimum" && n < bound)
                            || (keyword == "maximum" && n > bound)
                        {
                            errors.push(format!("{at}: {keyword} {bound} violated by {n}"));
                        }
                    }
                }
                "minItems" | "maxItems" => {
                    if let Some(items) = instance.as_array() {
                        let len = items.len() as u64;
                        let bound = value.as_u64().expect("item bound");
                        if keyword == "maxItems" && len > bound {
                            errors.push(format!("{at}: maxItems {bound} exceeded ({len} items)"));
                        }
                        if keyword == "minItems" && len < bound {
                            errors
                                .push(format!("{at}: minItems {bound} not reached ({len} items)"));
                        }
                    }
                }
                "items" => {
                    if let Some(items) = instance.as_array() {
                        for (i, item) in items.iter().enumerate() {
                            if let Err(e) = self.check(value, item, &format!("{at}/{i}")) {
                                errors.extend(e);
                            }
                        }
                    }
                }
                "required" => {
                    if let Some(object) = instance.as_object() {
                        for name in value.as_array().expect("required is an array") {
                            let name = name.as_str().expect("required names are strings");
                            if !object.contains_key(name) {
                                errors.push(format!("{at}: required property {name:?} is missing"));
                            }
                        }
                    }
                }
                "properties" => {
                    if let Some(object) = instance.as_object() {
                        let properties = value.as_object().expect("properties is an object");
                        for (name, subschema) in properties {
                            if let Some(child) = object.get(name) {
                                if let Err(e) =
                                    self.check(subschema, child, &format!("{at}/{name}"))
                                {
                                    errors.extend(e);
                                }
                                evaluated.insert(name.clone());
                            }
                        }
                    }
                }
                "additionalProperties" => {
                    if let Some(object) = instance.as_object() {
                        let declared = declared_properties(keywords);
                        for (name, child) in object {
                            if declared.contains(name.as_str()) {
                                continue;
                            }
                            if let Err(e) = self.check(value, child, &format!("{at}/{name}")) {
                                errors.extend(e);
                            }
                            evaluated.insert(name.clone());
                        }
                    }
                }
                "allOf" => {
                    for branch in value.as_array().expect("allOf is an array") {
                        collect(
                            self.check(branch, instance, at),
                            &mut evaluated,
                            &mut errors,
                        );
                    }
                }
                "anyOf" | "oneOf" => {
                    let branches = value.as_array().expect("anyOf/oneOf is an array");
                    let results: Vec<_> = branches
                        .iter()
                        .map(|b| self.check(b, instance, at))
                        .collect();
                    let passed: Vec<&Evaluated> =
                        results.iter().filter_map(|r| r.as_ref().ok()).collect();
                    let too_many = keyword == "oneOf" && passed.len() > 1;
                    if passed.is_empty() {
                        let mut report = format!("{at}: matches none of the {keyword} branches:");
                        for (i, r) in results.iter().enumerate() {
                            if let Err(e) = r {
                                report.push_str(&format!("\n    [{i}] {}", e.join("; ")));
                            }
                        }
                        errors.push(report);
                    } else if too_many {
                        errors.push(format!(
                            "{at}: matches {} oneOf branches, exactly one allowed",
                            passed.len()
                        ));
                    } else {
                        for e in passed {
                            evaluated.extend(e.iter().cloned());
                        }
                    }
                }
                // Applied below, once every other keyword has said what it evaluated.
                "unevaluatedProperties" => {}
                k if ANNOTATIONS.contains(&k) => {}
                other => panic!(
                    "the validator does not implement the keyword {other:?} (at {at}); \
                     implement it before trusting the schema"
                ),
            }
        }
        if let (Some(rule), Some(object)) =
            (keywords.get("unevaluatedProperties"), instance.as_object())
        {
            for (name, child) in object {
                if evaluated.contains(name) {
                    continue;
                }
                if let Err(e) = self.check(rule, child, &format!("{at}/{name}")) {
                    errors.extend(e.into_iter().map(|e| format!("{e} (unknown property)")));
                }
                evaluated.insert(name.clone());
            }
        }
        if errors.is_empty() {
            Ok(evaluated)
        } else {
            Err(errors)
        }
    }
}

fn collect(
    result: Result<Evaluated, Vec<String>>,
    evaluated: &mut Evaluated,
    errors: &mut Vec<String>,
) {
    match result {
        Ok(e) => evaluated.extend(e),
        Err(e) => errors.extend(e),
    }
}

fn declared_properties(keywords: &Map<String, Value>) -> BTreeSet<&str> {
    keywords
        .get("properties")
        .and_then(Value::as_object)
        .map(|p| p.keys().map(String::as_str).collect())
        .unwrap_or_default()
}

fn check_type(expected: &Value, instance: &Value, at: &str, errors: &mut Vec<String>) {
    let names: Vec<&str> = match expected {
        Value::String(s) => vec![s.as_str()],
        Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
        other => panic!("type at {at} is {other}"),
    };
    let fits = |name: &str| match name {
        "object" => instance.is_object(),
        "array" => instance.is_array(),
        "string" => instance.is_string(),
        "boolean" => instance.is_boolean(),
        "null" => instance.is_null(),
        "number" => instance.is_number(),
        "integer" => {
            instance.is_i64()
                || instance.is_u64()
                || instance.as_f64().is_some_and(|f| f.fract() == 0.0)
        }
        other => panic!("unknown type {other:?} at {at}"),
    };
    if !names.iter().any(|n| fits(n)) {
        errors.push(format!("{at}: {instance} is not of type {expected}"));
    }
}

// ---------------------------------------------------------------------------------------------
// The message kinds Kentongan sends, one or more of each OutboundBody variant.

pub const RESIDENT: &str = "6281234567890";

fn button(id: &str, title: &str) -> Button {
    Button {
        id: id.into(),
        title: title.into(),
    }
}

fn row(id: &str, title: &str, description: Option<&str>) -> ListRow {
    ListRow {
        id: id.into(),
        title: title.into(),
        description: description.map(str::to_owned),
    }
}

/// One example of every outbound shape, each valid by Kentongan's own rules.
pub fn every_kind() -> Vec<(&'static str, OutboundBody)> {
    let media =
        |media: MediaKind, caption: Option<&str>, filename: Option<&str>| OutboundBody::Media {
            media,
            media_id: "1013859600285441".into(),
            caption: caption.map(str::to_owned),
            filename: filename.map(str::to_owned),
        };
    vec![
        (
            "text",
            OutboundBody::text("Permohonan Anda sudah kami terima. 🙏"),
        ),
        (
            "buttons",
            OutboundBody::Buttons {
                body: "Kirim permohonan surat keterangan domisili?".into(),
                buttons: vec![
                    button("confirm:yes", "Ya, kirim"),
                    button("confirm:no", "Batal"),
                ],
                header: Some("Konfirmasi".into()),
                footer: Some("Desa Kaliploso".into()),
            },
        ),
        (
            "list",
            OutboundBody::List {
                body: "Pilih layanan yang Anda perlukan.".into(),
                button: "Lihat layanan".into(),
                sections: vec![
                    ListSection {
                        title: Some("Surat keterangan".into()),
                        rows: vec![
                            row(
                                "svc:domisili",
                                "Keterangan domisili",
                                Some("Untuk bank, sekolah, kerja"),
                            ),
                            row("svc:sktm", "SKTM", None),
                        ],
                    },
                    ListSection {
                        title: Some("Kependudukan".into()),
                        rows: vec![row(
                            "svc:kk",
                            "Perubahan KK",
                            Some("Tambah atau kurangi anggota"),
                        )],
                    },
                ],
                header: None,
                footer: Some("Balas 'menu' kapan saja".into()),
            },
        ),
        (
            "template",
            OutboundBody::Template {
                name: "status_update".into(),
                language: "id".into(),
                body_params: vec!["KLP-0042".into(), "siap diambil".into()],
            },
        ),
        (
            "template without parameters",
            OutboundBody::Template {
                name: "hello_world".into(),
                language: "en_US".into(),
                body_params: vec![],
            },
        ),
        ("image", media(MediaKind::Image, Some("Foto KTP"), None)),
        (
            "document",
            media(
                MediaKind::Document,
                Some("Surat Anda"),
                Some("KLP-0042.pdf"),
            ),
        ),
        ("audio", media(MediaKind::Audio, None, None)),
        ("video", media(MediaKind::Video, Some("Panduan"), None)),
    ]
}

#[test]
fn every_kind_matches_metas_schema() {
    for (name, body) in every_kind() {
        body.validate().unwrap_or_else(|e| panic!("{name}: {e}"));
        for reply_to in [None, Some("wamid.HBgLNjI4MTIzNDU2Nzg5MBUCABIYFDNBNjQ=")] {
            let request = body.to_request(RESIDENT, reply_to);
            if let Err(errors) = validate_message(&request) {
                panic!(
                    "{name} (reply_to {reply_to:?}):\n  {}\n{request:#}",
                    errors.join("\n  ")
                );
            }
        }
    }
}

/// The quirk fixes in extract.py must let Meta's own example shapes through.
#[test]
fn metas_own_example_shapes_are_accepted() {
    let examples = [
        json!({"messaging_product": "whatsapp", "to": RESIDENT, "type": "text", "text": {"body": "hi"}}),
        json!({"messaging_product": "whatsapp", "recipient_type": "individual", "to": RESIDENT, "type": "location",
               "location": {"latitude": -7.2575, "longitude": 112.7521, "name": "Balai Desa", "address": "Jl. Raya 1"}}),
        json!({"messaging_product": "whatsapp", "to": RESIDENT, "type": "reaction",
               "reaction": {"message_id": "wamid.X", "emoji": "👍"}}),
        json!({"messaging_product": "whatsapp", "to": RESIDENT, "type": "sticker", "sticker": {"id": "123"}}),
        json!({"messaging_product": "whatsapp", "to": RESIDENT, "type": "image", "image": {"link": "https://example.com/a.jpg"}}),
        json!({"messaging_product": "whatsapp", "to": RESIDENT, "type": "template",
               "template": {"name": "order", "language": {"code": "en_US"}, "components": [
                   {"type": "button", "sub_type": "quick_reply", "index": 0, "parameters": [{"type": "payload", "payload": "P"}]},
                   {"type": "button", "sub_type": "quick_reply", "index": "1", "parameters": [{"type": "payload", "payload": "Q"}]}]}}),
        json!({"messaging_product": "whatsapp", "to": RESIDENT, "type": "contacts",
               "contacts": [{"name": {"formatted_name": "Kantor Desa"}, "phones": [{"phone": "+62 812 0000", "type": "WORK"}]}]}),
    ];
    for example in examples {
        assert_valid_message(&example);
    }
}

fn errors_of(message: &Value) -> String {
    match validate_message(message) {
        Ok(()) => panic!("schema accepted an invalid message: {message:#}"),
        Err(e) => e.join("\n"),
    }
}

fn request_of(kind: &str) -> Value {
    let (_, body) = every_kind()
        .into_iter()
        .find(|(name, _)| *name == kind)
        .expect("known kind");
    body.to_request(RESIDENT, None)
}

#[test]
fn four_buttons_are_rejected() {
    let body = OutboundBody::Buttons {
        body: "Pilih".into(),
        buttons: (0..4)
            .map(|i| button(&format!("b{i}"), &format!("Pilihan {i}")))
            .collect(),
        header: None,
        footer: None,
    };
    assert!(
        body.validate().is_err(),
        "Kentongan's own check must catch it first"
    );
    let errors = errors_of(&body.to_request(RESIDENT, None));
    assert!(
        errors.contains("/interactive/action/buttons: maxItems 3 exceeded (4 items)"),
        "{errors}"
    );
}

#[test]
fn long_row_title_and_button_title_are_rejected() {
    let mut request = request_of("list");
    request["interactive"]["action"]["sections"][0]["rows"][1]["title"] = json!("x".repeat(25));
    let errors = errors_of(&request);
    assert!(
        errors.contains(
            "/interactive/action/sections/0/rows/1/title: maxLength 24 exceeded (25 characters)"
        ),
        "{errors}"
    );
    let mut request = request_of("buttons");
    request["interactive"]["action"]["buttons"][0]["reply"]["title"] = json!("é".repeat(21));
    assert!(errors_of(&request).contains("maxLength 20 exceeded (21 characters)"));
    // Characters, not bytes: 20 two-byte characters are fine.
    request["interactive"]["action"]["buttons"][0]["reply"]["title"] = json!("é".repeat(20));
    assert_valid_message(&request);
}

#[test]
fn unknown_properties_are_rejected() {
    let mut request = request_of("text");
    request["priority"] = json!("high");
    let errors = errors_of(&request);
    assert!(
        errors.contains("/priority: not allowed here (unknown property)"),
        "{errors}"
    );
    let mut request = request_of("text");
    request["text"]["preview"] = json!(true);
    assert!(errors_of(&request).contains("/text/preview: not allowed here"));
}

#[test]
fn missing_or_mistyped_fields_are_rejected() {
    let mut request = request_of("text");
    request.as_object_mut().expect("object").remove("to");
    assert!(errors_of(&request).contains("required property \"to\" is missing"));

    let mut request = request_of("template");
    request["template"]
        .as_object_mut()
        .expect("object")
        .remove("name");
    assert!(errors_of(&request).contains("/template: required property \"name\" is missing"));

    let mut request = request_of("text");
    request["text"]["preview_url"] = json!("no");
    assert!(errors_of(&request).contains("/text/preview_url: \"no\" is not of type \"boolean\""));

    let mut request = request_of("image");
    request["image"] = json!({"caption": "no id, no link"});
    assert!(errors_of(&request).contains("matches none of the oneOf branches"));

    let mut request = request_of("text");
    request["type"] = json!("telegram");
    assert!(errors_of(&request).contains("matches none of the oneOf branches"));

    let mut request = request_of("list");
    request["interactive"]["action"]["sections"] = json!([]);
    assert!(errors_of(&request).contains("minItems 1 not reached"));
}

#[test]
fn the_upload_schema_holds_metas_documented_fields() {
    let good = json!({"messaging_product": "whatsapp", "type": "image/jpeg", "file": "<3 bytes>"});
    validate_upload_fields(&good).expect("a complete upload is valid");
    let mut no_type = good.clone();
    no_type.as_object_mut().expect("object").remove("type");
    let errors = validate_upload_fields(&no_type).expect_err("type is required");
    assert!(
        errors
            .join("\n")
            .contains("required property \"type\" is missing"),
        "{errors:?}"
    );
    let mut other_product = good.clone();
    other_product["messaging_product"] = json!("instagram");
    assert!(validate_upload_fields(&other_product).is_err());
    let mut extra = good.clone();
    extra["caption"] = json!("Foto KTP");
    let errors = validate_upload_fields(&extra).expect_err("unknown field");
    assert!(
        errors.join("\n").contains("/caption: not allowed here"),
        "{errors:?}"
    );
    validate_upload_answer(&json!({"id": "4490709327384033"})).expect("Meta's example answer");
    assert!(validate_upload_answer(&json!({"success": true})).is_err());
}
