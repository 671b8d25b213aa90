//! The service catalogue: which letters the village office handles, how
//! residents name them, what the bot asks and which documents are needed.
//!
//! Everything here comes from configuration (`config/services.toml`) so a
//! village can add, rename or disable a service without a new release.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Longest row title WhatsApp accepts in an interactive list.
pub const MAX_TITLE_CHARS: usize = 24;
/// Longest row description WhatsApp accepts in an interactive list.
pub const MAX_DESCRIPTION_CHARS: usize = 72;

/// Codes of population documents that are free by law (UU 24/2013 Pasal 79A),
/// enforced even if a village forgets `population = true`.
const POPULATION_CODES: &[&str] = &["ktp", "kk", "akta_lahir", "akta_kematian", "pindah"];

/// Words that would suggest a fee. Charging for population documents is a
/// crime, so their resident-facing texts must not contain any of these.
const FEE_WORDS: &[&str] = &[
    "biaya",
    "bayar",
    "membayar",
    "pembayaran",
    "tarif",
    "retribusi",
    "rp",
    "rupiah",
    "ongkos",
    "iuran",
];

/// The loaded and validated catalogue of services.
#[derive(Debug, Clone)]
pub struct Catalogue {
    services: Vec<Service>,
}

/// One service (kind of letter) the village office handles.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Service {
    /// Stable identifier, lowercase `[a-z0-9_]`.
    pub code: String,
    /// Full Indonesian name, e.g. "Surat Keterangan Tidak Mampu".
    pub name: String,
    /// Short title for a WhatsApp list row (at most 24 characters).
    pub title: String,
    /// Row description for a WhatsApp list (at most 72 characters).
    pub description: String,
    /// Disabled services stay in the file but are neither offered nor recognised.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// A population document (free by law): its texts may not mention a fee.
    #[serde(default)]
    pub population: bool,
    /// Who issues the final document.
    pub issuer: Issuer,
    /// The office a cover letter goes to ("Polsek", "Dukcapil", "KUA").
    #[serde(default)]
    pub issued_to: Option<String>,
    /// Who signs the village letter.
    pub signer: Signer,
    /// Target processing time once the file is complete.
    pub sla_hours: u32,
    /// Letter classification code ("331", "474.4"); a string, the schemes differ.
    pub classification_code: String,
    /// Words and phrases that name this service outright.
    pub aliases: Vec<String>,
    /// Words that suggest this service only when nothing more specific is said.
    #[serde(default)]
    pub hints: Vec<String>,
    /// Questions the bot asks, in order.
    #[serde(default)]
    pub fields: Vec<Field>,
    /// Documents the resident sends or hands over.
    #[serde(default)]
    pub documents: Vec<Document>,
}

/// Whether the village issues the letter itself or a cover letter (pengantar).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Issuer {
    /// The desa issues the final letter.
    Desa,
    /// The desa writes a cover letter to another office (`issued_to`).
    Pengantar,
}

/// Who signs the letter: village head or village secretary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Signer {
    /// Kepala Desa (village head).
    Kades,
    /// Sekretaris Desa (village secretary).
    Sekdes,
}

/// One piece of data the bot asks the resident for.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Field {
    /// Key, unique within the service, `[a-z0-9_]`.
    pub key: String,
    /// Label shown to officers.
    pub label: String,
    /// The question the bot sends, in polite short Bahasa Indonesia.
    pub question: String,
    /// How the answer is validated.
    pub kind: FieldKind,
    /// Allowed answers of a `choice` field.
    #[serde(default)]
    pub options: Vec<String>,
    /// Whether the request can proceed without it.
    #[serde(default = "yes")]
    pub required: bool,
    /// For dates: whether the date must lie in the past (birth, death) or not before today
    /// (a planned wedding or journey).
    #[serde(default)]
    pub when: DateRange,
}

/// Which dates a date field accepts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DateRange {
    #[default]
    Any,
    /// Today or earlier.
    Past,
    /// Today or later.
    Future,
}

/// How an answer is validated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    /// 16-digit Nomor Induk Kependudukan.
    Nik,
    /// 16-digit Kartu Keluarga number.
    NoKk,
    /// Free text.
    Text,
    /// A calendar date.
    Date,
    /// Rukun Tetangga / Rukun Warga, e.g. "002/001".
    RtRw,
    /// A phone number.
    Phone,
    /// One of `options`.
    Choice,
    /// A whole number.
    Number,
}

/// A document the resident provides.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Document {
    /// Key, unique within the service, `[a-z0-9_]`.
    pub key: String,
    /// What the resident must provide.
    pub label: String,
    /// Whether the request can proceed without it.
    #[serde(default = "yes")]
    pub required: bool,
    /// Extra guidance for the resident.
    #[serde(default)]
    pub note: Option<String>,
}

fn yes() -> bool {
    true
}

/// Why a catalogue could not be loaded. Messages name the offending service
/// and field so an operator can fix the file.
#[derive(Debug, thiserror::Error)]
pub enum CatalogueError {
    /// The file could not be read.
    #[error("cannot read service catalogue {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The file is not valid TOML or does not have the expected shape.
    #[error("service catalogue is not valid: {0}")]
    Parse(#[from] toml::de::Error),
    /// No service is enabled, so residents could not ask for anything.
    #[error("service catalogue has no enabled service")]
    NoEnabledService,
    /// Two services share a code.
    #[error("service `{0}` is defined more than once")]
    DuplicateCode(String),
    /// A code or key is not lowercase `[a-z0-9_]`.
    #[error("service `{service}`: {what} `{value}` must be lowercase letters, digits or _")]
    BadIdentifier {
        /// The service.
        service: String,
        /// "code", "field key" or "document key".
        what: &'static str,
        /// The offending value.
        value: String,
    },
    /// A text is empty.
    #[error("service `{service}`: {what} must not be empty")]
    Empty {
        /// The service.
        service: String,
        /// Which text, e.g. "name" or "field `nik` question".
        what: String,
    },
    /// A text is longer than WhatsApp allows.
    #[error("service `{service}`: {what} has {len} characters, at most {max} allowed")]
    TooLong {
        /// The service.
        service: String,
        /// "title" or "description".
        what: &'static str,
        /// Its length in characters.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A field or document key is used twice in one service.
    #[error("service `{service}`: {what} key `{key}` is used more than once")]
    DuplicateKey {
        /// The service.
        service: String,
        /// "field" or "document".
        what: &'static str,
        /// The key.
        key: String,
    },
    /// A `choice` field without options, or options on another kind.
    #[error("service `{service}`: field `{field}`: {problem}")]
    BadOptions {
        /// The service.
        service: String,
        /// The field key.
        field: String,
        /// What is wrong.
        problem: &'static str,
    },
    /// A cover letter without the office it is addressed to.
    #[error("service `{0}`: issuer is \"pengantar\" but issued_to is missing")]
    MissingIssuedTo(String),
    /// The SLA is zero hours.
    #[error("service `{0}`: sla_hours must be at least 1")]
    ZeroSla(String),
    /// An alias or hint that contains no letters or digits.
    #[error("service `{service}`: alias `{alias}` contains no letters or digits")]
    BadAlias {
        /// The service.
        service: String,
        /// The alias.
        alias: String,
    },
    /// An enabled service with no aliases could never be recognised.
    #[error("service `{0}`: needs at least one alias")]
    NoAliases(String),
    /// A population document mentions a fee.
    #[error("service `{service}`: {what} mentions a fee (\"{word}\"); population documents are free by law")]
    MentionsFee {
        /// The service.
        service: String,
        /// Which text.
        what: String,
        /// The word found.
        word: String,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogueFile {
    #[serde(default)]
    service: Vec<Service>,
}

impl Catalogue {
    /// Parses and validates a catalogue from TOML text.
    pub fn from_toml_str(text: &str) -> Result<Self, CatalogueError> {
        let file: CatalogueFile = toml::from_str(text)?;
        let catalogue = Catalogue {
            services: file.service,
        };
        catalogue.validate()?;
        Ok(catalogue)
    }

    /// Reads, parses and validates a catalogue file.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, CatalogueError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| CatalogueError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_toml_str(&text)
    }

    /// Enabled services, in file order (the order residents see them).
    pub fn enabled(&self) -> impl Iterator<Item = &Service> + '_ {
        self.services.iter().filter(|s| s.enabled)
    }

    /// All services, including disabled ones (for officers and letters of old requests).
    pub fn all(&self) -> &[Service] {
        &self.services
    }

    /// An enabled service by code.
    pub fn get(&self, code: &str) -> Option<&Service> {
        self.enabled().find(|s| s.code == code)
    }

    fn validate(&self) -> Result<(), CatalogueError> {
        let mut codes = HashSet::new();
        for service in &self.services {
            service.validate()?;
            if !codes.insert(service.code.as_str()) {
                return Err(CatalogueError::DuplicateCode(service.code.clone()));
            }
        }
        if self.enabled().next().is_none() {
            return Err(CatalogueError::NoEnabledService);
        }
        Ok(())
    }
}

impl Service {
    /// Whether this service is a population document that must stay free.
    pub fn is_free_by_law(&self) -> bool {
        self.population || POPULATION_CODES.contains(&self.code.as_str())
    }

    fn validate(&self) -> Result<(), CatalogueError> {
        let code = &self.code;
        check_identifier(code, "code", code)?;
        let empty = |what: String| CatalogueError::Empty {
            service: code.clone(),
            what,
        };
        for (what, text) in [
            ("name", &self.name),
            ("title", &self.title),
            ("description", &self.description),
            ("classification_code", &self.classification_code),
        ] {
            if text.trim().is_empty() {
                return Err(empty(what.to_string()));
            }
        }
        check_len(code, "title", &self.title, MAX_TITLE_CHARS)?;
        check_len(
            code,
            "description",
            &self.description,
            MAX_DESCRIPTION_CHARS,
        )?;
        if self.issuer == Issuer::Pengantar
            && self
                .issued_to
                .as_deref()
                .is_none_or(|t| t.trim().is_empty())
        {
            return Err(CatalogueError::MissingIssuedTo(code.clone()));
        }
        if self.sla_hours == 0 {
            return Err(CatalogueError::ZeroSla(code.clone()));
        }
        if self.enabled && self.aliases.is_empty() {
            return Err(CatalogueError::NoAliases(code.clone()));
        }
        for alias in self.aliases.iter().chain(&self.hints) {
            if !alias.chars().any(char::is_alphanumeric) {
                return Err(CatalogueError::BadAlias {
                    service: code.clone(),
                    alias: alias.clone(),
                });
            }
        }

        let mut keys = HashSet::new();
        for field in &self.fields {
            check_identifier(code, "field key", &field.key)?;
            if !keys.insert(field.key.as_str()) {
                return Err(CatalogueError::DuplicateKey {
                    service: code.clone(),
                    what: "field",
                    key: field.key.clone(),
                });
            }
            if field.label.trim().is_empty() {
                return Err(empty(format!("field `{}` label", field.key)));
            }
            if field.question.trim().is_empty() {
                return Err(empty(format!("field `{}` question", field.key)));
            }
            let bad_options = |problem| CatalogueError::BadOptions {
                service: code.clone(),
                field: field.key.clone(),
                problem,
            };
            match (field.kind, field.options.is_empty()) {
                (FieldKind::Choice, true) => {
                    return Err(bad_options("choice field has no options"))
                }
                (FieldKind::Choice, false) => {
                    if field.options.iter().any(|o| o.trim().is_empty()) {
                        return Err(bad_options("choice field has an empty option"));
                    }
                }
                (_, false) => return Err(bad_options("only choice fields may have options")),
                (_, true) => {}
            }
            if field.kind != FieldKind::Date && field.when != DateRange::Any {
                return Err(bad_options("only date fields may say `when`"));
            }
        }

        let mut keys = HashSet::new();
        for document in &self.documents {
            check_identifier(code, "document key", &document.key)?;
            if !keys.insert(document.key.as_str()) {
                return Err(CatalogueError::DuplicateKey {
                    service: code.clone(),
                    what: "document",
                    key: document.key.clone(),
                });
            }
            if document.label.trim().is_empty() {
                return Err(empty(format!("document `{}` label", document.key)));
            }
        }

        if self.is_free_by_law() {
            self.check_no_fee()?;
        }
        Ok(())
    }

    fn check_no_fee(&self) -> Result<(), CatalogueError> {
        let mut texts: Vec<(String, &str)> = vec![
            ("name".into(), &self.name),
            ("title".into(), &self.title),
            ("description".into(), &self.description),
        ];
        for f in &self.fields {
            texts.push((format!("field `{}` question", f.key), &f.question));
            texts.push((format!("field `{}` label", f.key), &f.label));
            for o in &f.options {
                texts.push((format!("field `{}` option", f.key), o));
            }
        }
        for d in &self.documents {
            texts.push((format!("document `{}` label", d.key), &d.label));
            if let Some(note) = &d.note {
                texts.push((format!("document `{}` note", d.key), note));
            }
        }
        for (what, text) in texts {
            let lower = text.to_lowercase();
            let word = lower
                .split(|c: char| !c.is_alphanumeric())
                .find(|w| FEE_WORDS.contains(w));
            if let Some(word) = word {
                return Err(CatalogueError::MentionsFee {
                    service: self.code.clone(),
                    what,
                    word: word.to_string(),
                });
            }
        }
        Ok(())
    }
}

fn check_identifier(service: &str, what: &'static str, value: &str) -> Result<(), CatalogueError> {
    let ok = !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(CatalogueError::BadIdentifier {
            service: service.to_string(),
            what,
            value: value.to_string(),
        })
    }
}

fn check_len(
    service: &str,
    what: &'static str,
    text: &str,
    max: usize,
) -> Result<(), CatalogueError> {
    let len = text.chars().count();
    if len > max {
        return Err(CatalogueError::TooLong {
            service: service.to_string(),
            what,
            len,
            max,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHIPPED: &str = include_str!("../config/services.toml");

    const MINIMAL: &str = r#"
[[service]]
code = "skck"
name = "Surat Pengantar SKCK"
title = "Pengantar SKCK"
description = "Pengantar ke Polsek"
issuer = "pengantar"
issued_to = "Polsek"
signer = "kades"
sla_hours = 24
classification_code = "331"
aliases = ["skck"]

[[service.fields]]
key = "nik"
label = "NIK"
question = "NIK?"
kind = "nik"

[[service.documents]]
key = "ktp"
label = "Foto KTP"
"#;

    fn err(text: &str) -> String {
        match Catalogue::from_toml_str(text) {
            Ok(_) => panic!("expected an error for:\n{text}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn shipped_catalogue_loads_with_the_twelve_services_in_order() {
        let cat = Catalogue::from_toml_str(SHIPPED).expect("shipped catalogue is valid");
        let codes: Vec<&str> = cat.enabled().map(|s| s.code.as_str()).collect();
        assert_eq!(
            codes,
            [
                "skck",
                "sktm",
                "domisili",
                "usaha",
                "nikah",
                "pindah",
                "ktp",
                "kk",
                "akta_lahir",
                "akta_kematian",
                "surat_jalan",
                "kehilangan"
            ]
        );
        let skck = cat.get("skck").expect("skck");
        assert_eq!(skck.issuer, Issuer::Pengantar);
        assert_eq!(skck.classification_code, "331");
        assert_eq!(skck.fields[0].kind, FieldKind::Nik);
        assert!(cat.get("nope").is_none());
    }

    #[test]
    fn shipped_catalogue_asks_nik_first_and_never_the_full_identity_block() {
        let cat = Catalogue::from_toml_str(SHIPPED).expect("valid");
        for s in cat.enabled() {
            assert_eq!(
                s.fields.first().map(|f| f.kind),
                Some(FieldKind::Nik),
                "{}",
                s.code
            );
            for f in &s.fields {
                for banned in ["agama", "pekerjaan", "kewarganegaraan", "status_perkawinan"] {
                    assert_ne!(f.key, banned, "{} asks {}", s.code, banned);
                }
            }
        }
    }

    #[test]
    fn shipped_population_documents_never_mention_a_fee() {
        let cat = Catalogue::from_toml_str(SHIPPED).expect("valid");
        for code in POPULATION_CODES {
            assert!(cat.get(code).is_some_and(Service::is_free_by_law), "{code}");
        }
        // The validator is what guarantees it; also check the raw file blocks.
        assert!(!SHIPPED.to_lowercase().contains("biaya"));
        assert!(!SHIPPED.to_lowercase().contains("bayar"));
    }

    #[test]
    fn minimal_catalogue_loads_with_defaults() {
        let cat = Catalogue::from_toml_str(MINIMAL).expect("valid");
        let s = cat.get("skck").expect("skck");
        assert!(s.enabled && s.fields[0].required && s.documents[0].required);
        assert!(s.hints.is_empty());
        assert_eq!(s.signer, Signer::Kades);
    }

    #[test]
    fn disabled_service_is_not_offered_but_still_listed() {
        let text = format!(
            "{MINIMAL}\n{}",
            MINIMAL.replace("code = \"skck\"", "code = \"sktm\"\nenabled = false")
        );
        let cat = Catalogue::from_toml_str(&text).expect("valid");
        assert_eq!(cat.enabled().count(), 1);
        assert_eq!(cat.all().len(), 2);
        assert!(cat.get("sktm").is_none());
    }

    #[test]
    fn load_reports_missing_file() {
        let e = Catalogue::load("/nonexistent/services.toml").expect_err("missing");
        assert!(matches!(e, CatalogueError::Io { .. }));
        assert!(e.to_string().contains("/nonexistent/services.toml"));
    }

    #[test]
    fn rejects_bad_toml_and_unknown_keys() {
        assert!(err("[[service]\n").contains("not valid"));
        assert!(err(&MINIMAL.replace("sla_hours", "slahours")).contains("not valid"));
        assert!(
            err(&MINIMAL.replace("issuer = \"pengantar\"", "issuer = \"camat\""))
                .contains("not valid")
        );
        assert!(err(&MINIMAL.replace("kind = \"nik\"", "kind = \"ktp\"")).contains("not valid"));
    }

    #[test]
    fn rejects_duplicate_codes() {
        let e = err(&format!("{MINIMAL}{MINIMAL}"));
        assert_eq!(e, "service `skck` is defined more than once");
    }

    #[test]
    fn rejects_bad_code() {
        let e = err(&MINIMAL.replace("code = \"skck\"", "code = \"SKCK\""));
        assert!(e.contains("code `SKCK`"), "{e}");
        let e = err(&MINIMAL.replace("code = \"skck\"", "code = \"\""));
        assert!(e.contains("code ``"), "{e}");
    }

    #[test]
    fn rejects_long_title_and_description() {
        let e = err(&MINIMAL.replace("\"Pengantar SKCK\"", "\"Surat Pengantar SKCK ke Polsek\""));
        assert_eq!(
            e,
            "service `skck`: title has 30 characters, at most 24 allowed"
        );
        let long = "x".repeat(73);
        let e = err(&MINIMAL.replace("\"Pengantar ke Polsek\"", &format!("\"{long}\"")));
        assert!(e.contains("description has 73 characters"), "{e}");
    }

    #[test]
    fn title_limit_counts_characters_not_bytes() {
        let title = "é".repeat(24);
        assert!(Catalogue::from_toml_str(
            &MINIMAL.replace("\"Pengantar SKCK\"", &format!("\"{title}\""))
        )
        .is_ok());
    }

    #[test]
    fn rejects_empty_texts() {
        let e = err(&MINIMAL.replace("name = \"Surat Pengantar SKCK\"", "name = \" \""));
        assert_eq!(e, "service `skck`: name must not be empty");
        let e = err(&MINIMAL.replace("question = \"NIK?\"", "question = \"\""));
        assert_eq!(e, "service `skck`: field `nik` question must not be empty");
        let e = err(&MINIMAL.replace("label = \"Foto KTP\"", "label = \"\""));
        assert_eq!(e, "service `skck`: document `ktp` label must not be empty");
    }

    #[test]
    fn rejects_duplicate_field_and_document_keys() {
        let dup_field = "\n[[service.fields]]\nkey = \"nik\"\nlabel = \"NIK\"\nquestion = \"Lagi?\"\nkind = \"nik\"\n";
        let e = err(&format!("{MINIMAL}{dup_field}"));
        assert_eq!(e, "service `skck`: field key `nik` is used more than once");
        let dup_doc = "\n[[service.documents]]\nkey = \"ktp\"\nlabel = \"KTP\"\n";
        let e = err(&format!("{MINIMAL}{dup_doc}"));
        assert_eq!(
            e,
            "service `skck`: document key `ktp` is used more than once"
        );
        let e = err(&MINIMAL.replace("key = \"nik\"", "key = \"N I K\""));
        assert!(e.contains("field key `N I K`"), "{e}");
    }

    #[test]
    fn rejects_choice_without_options_and_options_without_choice() {
        let e = err(&MINIMAL.replace("kind = \"nik\"", "kind = \"choice\""));
        assert_eq!(
            e,
            "service `skck`: field `nik`: choice field has no options"
        );
        let e = err(&MINIMAL.replace("kind = \"nik\"", "kind = \"nik\"\noptions = [\"a\"]"));
        assert_eq!(
            e,
            "service `skck`: field `nik`: only choice fields may have options"
        );
        let e = err(&MINIMAL.replace(
            "kind = \"nik\"",
            "kind = \"choice\"\noptions = [\"a\", \"\"]",
        ));
        assert!(e.contains("empty option"), "{e}");
    }

    #[test]
    fn rejects_pengantar_without_issued_to() {
        let e = err(&MINIMAL.replace("issued_to = \"Polsek\"\n", ""));
        assert_eq!(
            e,
            "service `skck`: issuer is \"pengantar\" but issued_to is missing"
        );
        // A desa letter needs no addressee.
        let desa = MINIMAL.replace(
            "issuer = \"pengantar\"\nissued_to = \"Polsek\"\n",
            "issuer = \"desa\"\n",
        );
        assert!(Catalogue::from_toml_str(&desa).is_ok());
    }

    #[test]
    fn rejects_zero_sla() {
        let e = err(&MINIMAL.replace("sla_hours = 24", "sla_hours = 0"));
        assert_eq!(e, "service `skck`: sla_hours must be at least 1");
    }

    #[test]
    fn rejects_missing_or_empty_aliases() {
        let e = err(&MINIMAL.replace("aliases = [\"skck\"]", "aliases = []"));
        assert_eq!(e, "service `skck`: needs at least one alias");
        let e = err(&MINIMAL.replace("aliases = [\"skck\"]", "aliases = [\"skck\", \"!!\"]"));
        assert_eq!(
            e,
            "service `skck`: alias `!!` contains no letters or digits"
        );
    }

    #[test]
    fn rejects_catalogue_without_enabled_service() {
        let e = err(&MINIMAL.replace("code = \"skck\"", "code = \"skck\"\nenabled = false"));
        assert_eq!(e, "service catalogue has no enabled service");
        assert_eq!(err(""), "service catalogue has no enabled service");
    }

    #[test]
    fn rejects_fee_in_population_document() {
        let ktp = MINIMAL.replace("code = \"skck\"", "code = \"ktp\"");
        let e = err(&ktp.replace("label = \"Foto KTP\"", "label = \"Biaya Rp 10.000\""));
        assert_eq!(
            e,
            "service `ktp`: document `ktp` label mentions a fee (\"biaya\"); population documents are free by law"
        );
        // A village-defined population service is protected too.
        let own = MINIMAL.replace("code = \"skck\"", "code = \"kia\"\npopulation = true");
        let e = err(&own.replace("question = \"NIK?\"", "question = \"Sudah bayar?\""));
        assert!(e.contains("field `nik` question mentions a fee"), "{e}");
        // Other letters may talk about costs (e.g. SKTM for school fees).
        assert!(Catalogue::from_toml_str(
            &MINIMAL.replace("question = \"NIK?\"", "question = \"Biaya?\"")
        )
        .is_ok());
    }
}
