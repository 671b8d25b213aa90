//! What a letter says and how it is printed.
//!
//! [`LetterFields`] is the letter's content: the standard identity block (DOMAIN §2) and the
//! service's own details. It starts from what the resident gave the bot (the request's
//! `values`; data minimisation means the bot asks only NIK, name, purpose and what the service
//! needs), the officer completes and corrects it from the population register, and it is stored
//! as the letter's `fields_json`.
//!
//! [`LetterView`] adds the village, the number, the date and the signer, and [`render`] turns
//! it into a standalone HTML page for F4 paper: one shared layout
//! (`templates/letters/layout.html`: letterhead, title, number, opening, identity block,
//! closing, signature) and one short statement per service (`templates/letters/{code}.html`),
//! with generic statements for services a village adds itself. Askama escapes every value, so
//! nothing a resident typed can become markup.

use std::collections::BTreeMap;

use askama::Template;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::catalogue::{FieldKind, Issuer, Service, Signer};
use crate::config::VillageConfig;
use crate::domain::{format_tanggal, Nik, NoKk};

/// Printed where nobody filled a value in: a line to write on by hand.
pub const BLANK: &str = "..................................";

/// Longest value of one field, in characters.
pub const MAX_FIELD_CHARS: usize = 200;
/// Longest extra sentence (keterangan), in characters.
pub const MAX_NOTE_CHARS: usize = 1000;

/// One field of the standard identity block.
#[derive(Debug, Clone, Copy)]
pub struct IdentityField {
    pub key: &'static str,
    pub label: &'static str,
    /// Usual answers, offered as suggestions on the check page.
    pub options: &'static [&'static str],
}

/// The standard identity block, in the order the check page asks it.
pub const IDENTITY: &[IdentityField] = &[
    IdentityField {
        key: "nama",
        label: "Nama lengkap",
        options: &[],
    },
    IdentityField {
        key: "nik",
        label: "NIK",
        options: &[],
    },
    IdentityField {
        key: "no_kk",
        label: "No. KK",
        options: &[],
    },
    IdentityField {
        key: "tempat_lahir",
        label: "Tempat lahir",
        options: &[],
    },
    IdentityField {
        key: "tanggal_lahir",
        label: "Tanggal lahir",
        options: &[],
    },
    IdentityField {
        key: "jenis_kelamin",
        label: "Jenis kelamin",
        options: &["Laki-laki", "Perempuan"],
    },
    IdentityField {
        key: "agama",
        label: "Agama",
        options: &[
            "Islam",
            "Kristen",
            "Katolik",
            "Hindu",
            "Buddha",
            "Khonghucu",
            "Kepercayaan terhadap Tuhan YME",
        ],
    },
    IdentityField {
        key: "status_perkawinan",
        label: "Status perkawinan",
        options: &["Belum kawin", "Kawin", "Cerai hidup", "Cerai mati"],
    },
    IdentityField {
        key: "pekerjaan",
        label: "Pekerjaan",
        options: &[
            "Belum/tidak bekerja",
            "Mengurus rumah tangga",
            "Pelajar/mahasiswa",
            "Petani/pekebun",
            "Buruh harian lepas",
            "Karyawan swasta",
            "Wiraswasta",
            "Pedagang",
            "Nelayan",
        ],
    },
    IdentityField {
        key: "kewarganegaraan",
        label: "Kewarganegaraan",
        options: &["Indonesia"],
    },
    IdentityField {
        key: "alamat",
        label: "Alamat",
        options: &[],
    },
    IdentityField {
        key: "keperluan",
        label: "Keperluan",
        options: &[],
    },
];

/// Request values that fill the identity block rather than the service's details.
const IDENTITY_FROM_REQUEST: &[&str] = &["nik", "nama", "keperluan", "alamat", "rt_rw"];

/// What a letter says, as the officer checked it. Stored as the letter's `fields_json`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct LetterFields {
    pub nama: String,
    pub nik: String,
    pub no_kk: String,
    pub tempat_lahir: String,
    pub tanggal_lahir: String,
    pub jenis_kelamin: String,
    pub agama: String,
    pub status_perkawinan: String,
    pub pekerjaan: String,
    pub kewarganegaraan: String,
    pub alamat: String,
    pub keperluan: String,
    /// The service's own data (what was lost, the child's name, …) by key; see [`detail_specs`].
    pub details: BTreeMap<String, String>,
    /// An extra sentence the officer adds after the statement.
    pub keterangan: String,
}

impl LetterFields {
    /// An identity field by key ("" for an unknown key).
    pub fn identity(&self, key: &str) -> &str {
        match key {
            "nama" => &self.nama,
            "nik" => &self.nik,
            "no_kk" => &self.no_kk,
            "tempat_lahir" => &self.tempat_lahir,
            "tanggal_lahir" => &self.tanggal_lahir,
            "jenis_kelamin" => &self.jenis_kelamin,
            "agama" => &self.agama,
            "status_perkawinan" => &self.status_perkawinan,
            "pekerjaan" => &self.pekerjaan,
            "kewarganegaraan" => &self.kewarganegaraan,
            "alamat" => &self.alamat,
            "keperluan" => &self.keperluan,
            _ => "",
        }
    }

    /// Set an identity field; `false` for an unknown key.
    pub fn set_identity(&mut self, key: &str, value: String) -> bool {
        let slot = match key {
            "nama" => &mut self.nama,
            "nik" => &mut self.nik,
            "no_kk" => &mut self.no_kk,
            "tempat_lahir" => &mut self.tempat_lahir,
            "tanggal_lahir" => &mut self.tanggal_lahir,
            "jenis_kelamin" => &mut self.jenis_kelamin,
            "agama" => &mut self.agama,
            "status_perkawinan" => &mut self.status_perkawinan,
            "pekerjaan" => &mut self.pekerjaan,
            "kewarganegaraan" => &mut self.kewarganegaraan,
            "alamat" => &mut self.alamat,
            "keperluan" => &mut self.keperluan,
            _ => return false,
        };
        *slot = value;
        true
    }

    /// A service detail by key ("" when not given).
    pub fn detail(&self, key: &str) -> &str {
        self.details.get(key).map(String::as_str).unwrap_or("")
    }

    /// The first draft of a letter, from what the resident gave the bot (`data_json` of the
    /// request, whose `values` hold the answers). The sex and birth date are read from a valid
    /// NIK; everything the bot did not ask stays empty for the officer to fill in.
    pub fn prefill(service: &Service, data_json: &str, today: NaiveDate) -> LetterFields {
        let values = request_values(data_json);
        let get = |k: &str| {
            values
                .get(k)
                .map(|v| v.trim().to_string())
                .unwrap_or_default()
        };
        let mut f = LetterFields {
            nama: get("nama"),
            nik: get("nik"),
            kewarganegaraan: "Indonesia".into(),
            ..LetterFields::default()
        };
        if let Ok(nik) = Nik::parse(&f.nik) {
            f.nik = nik.as_str().to_string();
            f.jenis_kelamin = nik.sex().label().to_string();
            f.tanggal_lahir = format_tanggal(nik.birth_date(today));
        }
        let mut alamat = get("alamat");
        if alamat.is_empty() {
            // Added when the resident chose home delivery: where they live.
            alamat = get("alamat_antar");
        }
        let rt_rw = get("rt_rw");
        if !rt_rw.is_empty() {
            alamat = format!("{alamat} RT/RW {rt_rw}").trim().to_string();
        }
        f.alamat = alamat;
        f.keperluan = match get("keperluan") {
            k if k.is_empty() => default_keperluan(service),
            k => k,
        };
        for spec in detail_specs(service) {
            let raw = get(&spec.key);
            let value = match spec.kind {
                Some(FieldKind::Date) => NaiveDate::parse_from_str(&raw, "%Y-%m-%d")
                    .map(format_tanggal)
                    .unwrap_or(raw),
                _ => raw,
            };
            f.details.insert(spec.key, value);
        }
        f
    }
}

/// Prefix of the check page's inputs for service details (`d_barang_hilang`).
pub const DETAIL_PREFIX: &str = "d_";

impl LetterFields {
    /// The fields as submitted on the check page: identity fields by key, details as
    /// `d_<key>` (only the service's own), `keterangan`; trimmed, control characters (line
    /// breaks included) turned into spaces. Anything else in the form is ignored.
    pub fn from_form(pairs: &[(String, String)], specs: &[DetailSpec]) -> LetterFields {
        let mut f = LetterFields::default();
        for (name, value) in pairs {
            let value = clean(value);
            if let Some(key) = name.strip_prefix(DETAIL_PREFIX) {
                if specs.iter().any(|s| s.key == key) {
                    f.details.insert(key.to_string(), value);
                }
            } else if name == "keterangan" {
                f.keterangan = value;
            } else {
                f.set_identity(name, value);
            }
        }
        for spec in specs {
            f.details.entry(spec.key.clone()).or_default();
        }
        f
    }

    /// Check what the officer wrote: a name is required, a NIK or No. KK must be a valid one
    /// (written as its 16 digits), nothing too long. Returns the problems in Indonesian; empty
    /// when the letter can be saved.
    pub fn validate(&mut self, specs: &[DetailSpec]) -> Vec<String> {
        let mut problems = Vec::new();
        if self.nama.is_empty() {
            problems.push("Nama lengkap wajib diisi.".to_string());
        }
        if !self.nik.is_empty() {
            match Nik::parse(&self.nik) {
                Ok(nik) => self.nik = nik.as_str().to_string(),
                Err(e) => problems.push(format!("NIK tidak valid: {}", e.friendly_message())),
            }
        }
        if !self.no_kk.is_empty() {
            match NoKk::parse(&self.no_kk) {
                Ok(kk) => self.no_kk = kk.as_str().to_string(),
                Err(e) => problems.push(format!("No. KK tidak valid: {}", e.friendly_message())),
            }
        }
        for spec in specs {
            let Some(value) = self.details.get_mut(&spec.key) else {
                continue;
            };
            if value.is_empty() || value == "-" {
                continue;
            }
            match spec.kind {
                Some(FieldKind::Nik) => match Nik::parse(value) {
                    Ok(nik) => *value = nik.as_str().to_string(),
                    Err(e) => problems.push(format!(
                        "{} tidak valid: {}",
                        spec.label,
                        e.friendly_message()
                    )),
                },
                Some(FieldKind::NoKk) => match NoKk::parse(value) {
                    Ok(kk) => *value = kk.as_str().to_string(),
                    Err(e) => problems.push(format!(
                        "{} tidak valid: {}",
                        spec.label,
                        e.friendly_message()
                    )),
                },
                _ => {}
            }
        }
        let too_long = |label: &str, max: usize| {
            format!("{label} terlalu panjang (paling banyak {max} karakter).")
        };
        for field in IDENTITY {
            if self.identity(field.key).chars().count() > MAX_FIELD_CHARS {
                problems.push(too_long(field.label, MAX_FIELD_CHARS));
            }
        }
        for spec in specs {
            if self.detail(&spec.key).chars().count() > MAX_FIELD_CHARS {
                problems.push(too_long(&spec.label, MAX_FIELD_CHARS));
            }
        }
        if self.keterangan.chars().count() > MAX_NOTE_CHARS {
            problems.push(too_long("Keterangan tambahan", MAX_NOTE_CHARS));
        }
        problems
    }
}

/// One line of text: trimmed, control characters as spaces.
fn clean(value: &str) -> String {
    value
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_string()
}

/// The request's answers as strings.
fn request_values(data_json: &str) -> BTreeMap<String, String> {
    let Ok(serde_json::Value::Object(data)) = serde_json::from_str(data_json) else {
        return BTreeMap::new();
    };
    let Some(serde_json::Value::Object(values)) = data.get("values") else {
        return BTreeMap::new();
    };
    values
        .iter()
        .filter_map(|(k, v)| {
            let text = match v {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Number(n) => n.to_string(),
                _ => return None,
            };
            Some((k.clone(), text))
        })
        .collect()
}

/// The purpose written when the bot did not ask for one.
fn default_keperluan(service: &Service) -> String {
    match service.code.as_str() {
        "kehilangan" => "Melaporkan kehilangan".into(),
        "nikah" => "Melengkapi persyaratan pernikahan".into(),
        "pindah" => "Mengurus surat pindah (SKPWNI)".into(),
        "ktp" => "Mengurus KTP elektronik".into(),
        "kk" => "Mengurus Kartu Keluarga".into(),
        "akta_lahir" => "Mengurus akta kelahiran".into(),
        "akta_kematian" => "Mengurus akta kematian".into(),
        _ => format!("Mengurus {}", service.title),
    }
}

/// One of the service's own details on a letter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DetailSpec {
    pub key: String,
    pub label: String,
    /// The catalogue field's kind; `None` for what only the officer fills in.
    pub kind: Option<FieldKind>,
    pub options: Vec<String>,
}

/// (key, label) of a detail only the officer fills in.
type OfficerDetail = (&'static str, &'static str);

/// Details some letters need although the bot does not ask for them (the officer takes them
/// from the register or the documents): (before the catalogue's fields, after them).
fn officer_details(code: &str) -> (&'static [OfficerDetail], &'static [OfficerDetail]) {
    match code {
        "akta_lahir" => (&[], &[("nama_ayah", "Nama ayah"), ("nama_ibu", "Nama ibu")]),
        "akta_kematian" => (&[("nama_almarhum", "Nama almarhum/almarhumah")], &[]),
        _ => (&[], &[]),
    }
}

/// The service's own details, in letter order: its catalogue fields except those of the
/// identity block, plus what only the officer fills in.
pub fn detail_specs(service: &Service) -> Vec<DetailSpec> {
    let (before, after) = officer_details(&service.code);
    let extra = |list: &[(&str, &str)]| -> Vec<DetailSpec> {
        list.iter()
            .map(|(key, label)| DetailSpec {
                key: key.to_string(),
                label: label.to_string(),
                kind: None,
                options: vec![],
            })
            .collect()
    };
    let mut specs = extra(before);
    specs.extend(
        service
            .fields
            .iter()
            .filter(|f| !IDENTITY_FROM_REQUEST.contains(&f.key.as_str()))
            .map(|f| DetailSpec {
                key: f.key.clone(),
                label: f.label.clone(),
                kind: Some(f.kind),
                options: f.options.clone(),
            }),
    );
    specs.extend(extra(after));
    specs
}

/// Who signs, as printed under the letter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    /// The Sekretaris Desa signs on behalf of the Kepala Desa ("a.n.").
    pub on_behalf: bool,
    /// "Kepala Desa Kaliploso".
    pub kades_title: String,
    /// The configured name; empty leaves a line to write it by hand.
    pub name: String,
    pub nip: Option<String>,
}

/// Everything a letter template shows.
#[derive(Debug, Clone)]
pub struct LetterView<'a> {
    pub ticket: String,
    pub service_code: String,
    /// Letterhead lines above the village: "PEMERINTAH KABUPATEN BANYUWANGI", "KECAMATAN …".
    pub kop_lines: Vec<String>,
    /// "DESA KALIPLOSO".
    pub kop_desa: String,
    pub kop_address: String,
    /// "SURAT KETERANGAN TIDAK MAMPU".
    pub title: String,
    pub number: String,
    /// "Desa Kaliploso".
    pub desa: String,
    /// "Desa Kaliploso, Kecamatan Cluring, Kabupaten Banyuwangi".
    pub wilayah: String,
    /// Who states it, after "Yang bertanda tangan di bawah ini".
    pub opening: String,
    /// The numbered identity block: (label, value).
    pub rows: Vec<(&'static str, String)>,
    /// The service's details: (label, value).
    pub details: Vec<(String, String)>,
    pub f: &'a LetterFields,
    /// The office a cover letter is addressed to ("Polsek Cluring").
    pub addressee: String,
    /// "Kaliploso, 28 November 2026".
    pub place_date: String,
    pub sign: Signature,
}

impl<'a> LetterView<'a> {
    /// The view of `fields` as letter `number` of `service`, dated `date` (the village's date).
    pub fn new(
        village: &VillageConfig,
        service: &Service,
        ticket: &str,
        number: &str,
        date: NaiveDate,
        fields: &'a LetterFields,
    ) -> LetterView<'a> {
        let desa_short = strip_prefix_ci(village.name.trim(), "desa ")
            .trim()
            .to_string();
        let desa = format!("Desa {desa_short}");
        let kecamatan = with_prefix(&village.kecamatan, &["kecamatan "], "Kecamatan");
        let kabupaten = with_prefix(&village.kabupaten, &["kabupaten ", "kota "], "Kabupaten");
        let wilayah = [desa.clone(), kecamatan.clone(), kabupaten.clone()]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(", ");
        let mut kop_lines = Vec::new();
        if !kabupaten.is_empty() {
            kop_lines.push(format!("PEMERINTAH {}", kabupaten.to_uppercase()));
        }
        if !kecamatan.is_empty() {
            kop_lines.push(kecamatan.to_uppercase());
        }
        let on_behalf = service.signer == Signer::Sekdes;
        let kades_title = format!("Kepala {desa}");
        let opening = if on_behalf {
            format!("Sekretaris {desa}, atas nama Kepala {wilayah},")
        } else {
            format!("Kepala {wilayah},")
        };
        let (name, nip) = if on_behalf {
            (&village.sekretaris_desa, &village.sekretaris_desa_nip)
        } else {
            (&village.kepala_desa, &village.kepala_desa_nip)
        };
        let blank = |v: &str| {
            if v.trim().is_empty() {
                BLANK.to_string()
            } else {
                v.trim().to_string()
            }
        };
        let ttl = match (fields.tempat_lahir.trim(), fields.tanggal_lahir.trim()) {
            ("", "") => BLANK.to_string(),
            (tempat, "") => format!("{tempat}, {BLANK}"),
            ("", tanggal) => format!("{BLANK}, {tanggal}"),
            (tempat, tanggal) => format!("{tempat}, {tanggal}"),
        };
        let rows = vec![
            ("Nama lengkap", blank(&fields.nama)),
            ("NIK", blank(&fields.nik)),
            ("No. KK", blank(&fields.no_kk)),
            ("Tempat/tanggal lahir", ttl),
            ("Jenis kelamin", blank(&fields.jenis_kelamin)),
            ("Agama", blank(&fields.agama)),
            ("Status perkawinan", blank(&fields.status_perkawinan)),
            ("Pekerjaan", blank(&fields.pekerjaan)),
            ("Kewarganegaraan", blank(&fields.kewarganegaraan)),
            ("Alamat", blank(&fields.alamat)),
            ("Keperluan", blank(&fields.keperluan)),
        ];
        let details = detail_specs(service)
            .into_iter()
            .map(|s| (s.label, blank(fields.detail(&s.key))))
            .collect();
        let issued_to = service.issued_to.clone().unwrap_or_default();
        let addressee = if service.code == "nikah"
            && fields.detail("tujuan").to_lowercase().contains("dukcapil")
        {
            // A non-Muslim marriage is recorded by the civil registry, not the KUA.
            let kab = strip_prefix_ci(&kabupaten, "kabupaten ").to_string();
            format!("Dinas Kependudukan dan Pencatatan Sipil {kab}")
                .trim()
                .to_string()
        } else if service.issuer == Issuer::Pengantar {
            issued_to
        } else {
            String::new()
        };
        LetterView {
            ticket: ticket.to_string(),
            service_code: service.code.clone(),
            kop_lines,
            kop_desa: desa.to_uppercase(),
            kop_address: village.address.trim().to_string(),
            title: letter_title(service),
            number: number.to_string(),
            desa,
            wilayah,
            opening,
            rows,
            details,
            f: fields,
            addressee,
            place_date: format!("{desa_short}, {}", format_tanggal(date)),
            sign: Signature {
                on_behalf,
                kades_title,
                name: name.trim().to_string(),
                nip: nip
                    .as_deref()
                    .map(str::trim)
                    .filter(|n| !n.is_empty())
                    .map(str::to_string),
            },
        }
    }

    /// A line to write on by hand.
    pub fn blank(&self) -> &'static str {
        BLANK
    }

    /// A detail's value for a statement, or a line to write on.
    pub fn d(&self, key: &str) -> &str {
        match self.f.detail(key).trim() {
            "" => BLANK,
            v => v,
        }
    }

    /// Whether a detail was given ("-" means "none").
    pub fn has(&self, key: &str) -> bool {
        !matches!(self.f.detail(key).trim(), "" | "-")
    }

    pub fn keperluan(&self) -> &str {
        match self.f.keperluan.trim() {
            "" => BLANK,
            v => v,
        }
    }

    pub fn alamat(&self) -> &str {
        match self.f.alamat.trim() {
            "" => BLANK,
            v => v,
        }
    }

    pub fn addressee(&self) -> &str {
        match self.addressee.trim() {
            "" => BLANK,
            v => v,
        }
    }
}

/// The letter's title from the service's name: "Surat Keterangan Kelahiran (Akta Kelahiran)"
/// → "SURAT KETERANGAN KELAHIRAN", "Pengantar Kartu Keluarga" → "SURAT PENGANTAR KARTU
/// KELUARGA".
pub fn letter_title(service: &Service) -> String {
    let name = service.name.trim();
    let name = match name.find(" (") {
        Some(i) if name.ends_with(')') => &name[..i],
        _ => name,
    };
    let title = if name.to_lowercase().starts_with("surat ") {
        name.to_string()
    } else {
        format!("Surat {name}")
    };
    title.to_uppercase()
}

fn strip_prefix_ci<'s>(text: &'s str, prefix: &str) -> &'s str {
    match text.get(..prefix.len()) {
        Some(head) if head.eq_ignore_ascii_case(prefix) => &text[prefix.len()..],
        _ => text,
    }
}

/// "Cluring" → "Kecamatan Cluring"; a name already written with its kind stays as it is.
fn with_prefix(name: &str, kinds: &[&str], default: &str) -> String {
    let name = name.trim();
    if name.is_empty() {
        return String::new();
    }
    if kinds
        .iter()
        .any(|k| strip_prefix_ci(name, k).len() != name.len())
    {
        name.to_string()
    } else {
        format!("{default} {name}")
    }
}

macro_rules! letter_templates {
    ($($name:ident => $path:literal,)*) => {
        $(
            #[derive(Template)]
            #[template(path = $path)]
            struct $name<'v, 'a> {
                l: &'v LetterView<'a>,
            }
        )*
    };
}

letter_templates! {
    Skck => "letters/skck.html",
    Sktm => "letters/sktm.html",
    Domisili => "letters/domisili.html",
    Usaha => "letters/usaha.html",
    Nikah => "letters/nikah.html",
    Pindah => "letters/pindah.html",
    Ktp => "letters/ktp.html",
    Kk => "letters/kk.html",
    AktaLahir => "letters/akta_lahir.html",
    AktaKematian => "letters/akta_kematian.html",
    SuratJalan => "letters/surat_jalan.html",
    Kehilangan => "letters/kehilangan.html",
    Keterangan => "letters/keterangan.html",
    Pengantar => "letters/pengantar.html",
}

/// Render a letter as a standalone HTML page (inline print CSS, no external asset).
pub fn render(l: &LetterView<'_>) -> Result<String, askama::Error> {
    match l.service_code.as_str() {
        "skck" => Skck { l }.render(),
        "sktm" => Sktm { l }.render(),
        "domisili" => Domisili { l }.render(),
        "usaha" => Usaha { l }.render(),
        "nikah" => Nikah { l }.render(),
        "pindah" => Pindah { l }.render(),
        "ktp" => Ktp { l }.render(),
        "kk" => Kk { l }.render(),
        "akta_lahir" => AktaLahir { l }.render(),
        "akta_kematian" => AktaKematian { l }.render(),
        "surat_jalan" => SuratJalan { l }.render(),
        "kehilangan" => Kehilangan { l }.render(),
        // A service the village added itself gets the generic statement of its kind.
        _ if !l.addressee.is_empty() => Pengantar { l }.render(),
        _ => Keterangan { l }.render(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::Catalogue;

    const SHIPPED: &str = include_str!("../../config/services.toml");

    fn catalogue() -> Catalogue {
        Catalogue::from_toml_str(SHIPPED).expect("shipped catalogue")
    }

    fn village() -> VillageConfig {
        toml::from_str(
            r#"
id = "kaliploso"
name = "Desa Kaliploso"
kecamatan = "Cluring"
kabupaten = "Banyuwangi"
provinsi = "Jawa Timur"
kode_desa = "35.10.06.2009"
address = "Jl. Raya Kaliploso, Kec. Cluring, Kab. Banyuwangi"
ticket_prefix = "KLP"
kepala_desa = "Slamet Riyadi"
sekretaris_desa = "Rina Wulandari"
sekretaris_desa_nip = "19800101 200501 2 003"
"#,
        )
        .expect("village")
    }

    fn date() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 28).unwrap()
    }

    fn sample(service: &Service) -> LetterFields {
        let data = serde_json::json!({"values": {
            "nik": "3510061505900001", "nama": "Budi Santoso", "keperluan": "melamar kerja",
            "alamat": "Dusun Krajan", "rt_rw": "002/001", "barang_hilang": "dompet",
            "waktu_hilang": "2026-11-20", "tempat_hilang": "pasar Cluring", "alasan": "Hilang",
            "nama_anak": "Siti", "tujuan": "KUA (Islam)", "atas_nama": "-"
        }});
        LetterFields::prefill(service, &data.to_string(), date())
    }

    fn render_service(code: &str, fields: &LetterFields) -> String {
        let cat = catalogue();
        let service = cat.get(code).expect("service");
        let village = village();
        let view = LetterView::new(
            &village,
            service,
            "KLP-0001",
            "331/001/35.10.06.2009/XI/2026",
            date(),
            fields,
        );
        render(&view).expect("renders")
    }

    #[test]
    fn every_service_has_its_title_and_statement() {
        let cases = [
            ("skck", "SURAT PENGANTAR SKCK", "Surat Keterangan Catatan Kepolisian (SKCK) kepada Polsek Cluring"),
            ("sktm", "SURAT KETERANGAN TIDAK MAMPU", "tergolong keluarga tidak mampu"),
            ("domisili", "SURAT KETERANGAN DOMISILI", "berdomisili (bertempat tinggal) di Dusun Krajan RT/RW 002/001, Desa Kaliploso, Kecamatan Cluring, Kabupaten Banyuwangi, sejak"),
            ("usaha", "SURAT KETERANGAN USAHA", "yang mempunyai usaha sebagai berikut"),
            ("nikah", "SURAT PENGANTAR NIKAH", "pendaftaran pernikahan pada KUA Kecamatan Cluring"),
            ("pindah", "SURAT PENGANTAR PINDAH", "(SKPWNI) pada Dukcapil Banyuwangi"),
            ("ktp", "SURAT PENGANTAR KTP ELEKTRONIK", "dengan alasan : Hilang."),
            ("kk", "SURAT PENGANTAR KARTU KELUARGA", "mengurus Kartu Keluarga pada Dukcapil Banyuwangi"),
            ("akta_lahir", "SURAT KETERANGAN KELAHIRAN", "melaporkan kelahiran seorang anak"),
            ("akta_kematian", "SURAT KETERANGAN KEMATIAN", "telah meninggal dunia"),
            ("surat_jalan", "SURAT KETERANGAN BEPERGIAN", "yang akan bepergian"),
            ("kehilangan", "SURAT PENGANTAR KEHILANGAN", "melaporkan kehilangan tersebut kepada Polsek Cluring"),
        ];
        let cat = catalogue();
        assert_eq!(
            cases.len(),
            cat.enabled().count(),
            "one case per shipped service"
        );
        for (code, title, statement) in cases {
            let service = cat.get(code).expect(code);
            let html = render_service(code, &sample(service));
            assert!(
                html.contains(&format!("<h1>{title}</h1>")),
                "{code}: title\n{html}"
            );
            assert!(html.contains(statement), "{code}: statement\n{html}");
            for common in [
                "<p class=\"baris\">PEMERINTAH KABUPATEN BANYUWANGI</p>",
                "<p class=\"baris\">KECAMATAN CLURING</p>",
                "<p class=\"desa\">DESA KALIPLOSO</p>",
                "Jl. Raya Kaliploso, Kec. Cluring, Kab. Banyuwangi",
                "Nomor : 331/001/35.10.06.2009/XI/2026",
                "menerangkan dengan sebenarnya bahwa :",
                "<td>Budi Santoso</td>",
                "<td>3510061505900001</td>",
                "Demikian surat keterangan ini dibuat dengan sebenarnya untuk dapat dipergunakan sebagaimana mestinya.",
                "Kaliploso, 28 November 2026",
                "@page { size: 215mm 330mm;",
            ] {
                assert!(html.contains(common), "{code}: {common}\n{html}");
            }
            if service.signer == Signer::Sekdes {
                assert!(
                    html.contains("a.n. Kepala Desa Kaliploso</p>\n<p>Sekretaris Desa,</p>"),
                    "{code}\n{html}"
                );
                assert!(html.contains("Rina Wulandari"), "{code}");
                assert!(html.contains("NIP. 19800101 200501 2 003"), "{code}");
                assert!(html.contains("Yang bertanda tangan di bawah ini Sekretaris Desa Kaliploso, atas nama Kepala Desa Kaliploso"), "{code}");
            } else {
                assert!(
                    html.contains("<p>Kepala Desa Kaliploso,</p>"),
                    "{code}\n{html}"
                );
                assert!(
                    html.contains("<p class=\"nama\">Slamet Riyadi</p>"),
                    "{code}"
                );
                assert!(
                    !html.contains("NIP."),
                    "{code}: the Kades has no NIP configured"
                );
                assert!(html.contains("Yang bertanda tangan di bawah ini Kepala Desa Kaliploso, Kecamatan Cluring, Kabupaten Banyuwangi, menerangkan"), "{code}");
            }
            // Nothing is loaded from elsewhere.
            for external in ["http://", "https://", "<script", "<link", "src="] {
                assert!(!html.contains(external), "{code}: {external}");
            }
        }
    }

    #[test]
    fn the_draft_comes_from_the_request_and_the_nik() {
        let cat = catalogue();
        let f = sample(cat.get("kehilangan").unwrap());
        assert_eq!(f.nama, "Budi Santoso");
        assert_eq!(f.jenis_kelamin, "Laki-laki");
        assert_eq!(f.tanggal_lahir, "15 Mei 1990");
        assert_eq!(f.alamat, "Dusun Krajan RT/RW 002/001");
        assert_eq!(f.kewarganegaraan, "Indonesia");
        assert_eq!(f.keperluan, "melamar kerja");
        assert!(f.agama.is_empty() && f.pekerjaan.is_empty() && f.tempat_lahir.is_empty());
        // Dates are written the Indonesian way; only the service's own fields are details.
        let details: Vec<(&str, &str)> = f
            .details
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(
            details,
            [
                ("barang_hilang", "dompet"),
                ("tempat_hilang", "pasar Cluring"),
                ("waktu_hilang", "20 November 2026")
            ]
        );
        // A loss letter whose resident gave no purpose gets one; so does a broken request.
        let f = LetterFields::prefill(cat.get("kehilangan").unwrap(), "not json", date());
        assert_eq!(f.keperluan, "Melaporkan kehilangan");
        assert!(f.nama.is_empty() && f.jenis_kelamin.is_empty());
        // The child's sex and birth date are details of the birth letter, not the reporter's.
        let lahir = cat.get("akta_lahir").unwrap();
        let keys: Vec<String> = detail_specs(lahir).into_iter().map(|s| s.key).collect();
        assert_eq!(
            keys,
            [
                "nama_anak",
                "jenis_kelamin",
                "tanggal_lahir",
                "tempat_lahir",
                "anak_ke",
                "nama_ayah",
                "nama_ibu"
            ]
        );
        let kematian = cat.get("akta_kematian").unwrap();
        assert_eq!(detail_specs(kematian)[0].key, "nama_almarhum");
    }

    #[test]
    fn blanks_are_lines_to_write_on() {
        let html = render_service("sktm", &LetterFields::default());
        assert!(html.contains(&format!("<td>{BLANK}</td>")), "{html}");
        assert!(
            html.contains(&format!("untuk keperluan {BLANK}.")),
            "{html}"
        );
        // "-" (none) for the family member leaves the sentence out.
        assert!(!html.contains("anggota keluarganya"), "{html}");
        let mut f = LetterFields::default();
        f.details.insert("atas_nama".into(), "Ani".into());
        f.tempat_lahir = "Banyuwangi".into();
        let html = render_service("sktm", &f);
        assert!(
            html.contains("anggota keluarganya yang bernama Ani."),
            "{html}"
        );
        assert!(
            html.contains(&format!("<td>Banyuwangi, {BLANK}</td>")),
            "{html}"
        );
    }

    #[test]
    fn whatever_residents_and_officers_type_is_escaped() {
        let cat = catalogue();
        let mut f = sample(cat.get("kehilangan").unwrap());
        f.nama = "<script>alert(1)</script>".into();
        f.alamat = "\"><img src=x onerror=alert(1)>".into();
        f.details
            .insert("barang_hilang".into(), "</td></tr></table><b>x</b>".into());
        f.keterangan = "<style>body{display:none}</style>".into();
        let html = render_service("kehilangan", &f);
        assert!(
            html.contains("&#60;script&#62;alert(1)&#60;/script&#62;"),
            "{html}"
        );
        for raw in ["<script", "<img", "<b>x", "<style>body"] {
            assert!(!html.contains(raw), "{raw} got through:\n{html}");
        }
        assert_eq!(
            html.matches("<style>").count(),
            1,
            "only the letter's own style"
        );
    }

    #[test]
    fn the_check_form_is_read_and_validated() {
        let cat = catalogue();
        let specs = detail_specs(cat.get("nikah").unwrap());
        let form = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        let mut f = LetterFields::from_form(
            &form(&[
                ("csrf", "x"),
                ("nama", "  Budi\r\nSantoso "),
                ("nik", "3510 0615 0590 0001"),
                ("agama", "Islam"),
                ("d_nama_pasangan", "Sri"),
                ("d_nik_pasangan", "-"),
                ("d_bukan_field", "x"),
                ("keterangan", "Catatan"),
                ("details", "x"),
            ]),
            &specs,
        );
        assert!(f.validate(&specs).is_empty());
        assert_eq!(f.nama, "Budi  Santoso");
        assert_eq!(f.nik, "3510061505900001");
        assert_eq!(f.agama, "Islam");
        assert_eq!(f.keterangan, "Catatan");
        assert_eq!(f.detail("nama_pasangan"), "Sri");
        assert!(!f.details.contains_key("bukan_field"));
        // Every detail of the service is there, empty when not sent.
        assert_eq!(f.details.len(), specs.len());

        let mut bad = LetterFields::from_form(
            &form(&[
                ("nama", " "),
                ("nik", "12345"),
                ("no_kk", "abc"),
                ("d_nik_pasangan", "0000000000000000"),
                ("pekerjaan", &"x".repeat(MAX_FIELD_CHARS + 1)),
            ]),
            &specs,
        );
        let problems = bad.validate(&specs).join("\n");
        for expected in [
            "Nama lengkap wajib diisi.",
            "NIK tidak valid: NIK terdiri dari 16 angka",
            "No. KK tidak valid",
            "NIK calon pasangan tidak valid",
            "Pekerjaan terlalu panjang",
        ] {
            assert!(problems.contains(expected), "{expected} in {problems}");
        }
    }

    #[test]
    fn a_marriage_recorded_at_dukcapil_is_addressed_there() {
        let cat = catalogue();
        let mut f = sample(cat.get("nikah").unwrap());
        f.details
            .insert("tujuan".into(), "Dukcapil (non-Islam)".into());
        let html = render_service("nikah", &f);
        assert!(
            html.contains("pada Dinas Kependudukan dan Pencatatan Sipil Banyuwangi."),
            "{html}"
        );
    }

    #[test]
    fn services_a_village_adds_get_a_generic_letter() {
        let text = r#"
[[service]]
code = "ahli_waris"
name = "Keterangan Ahli Waris"
title = "Ahli Waris"
description = "Keterangan ahli waris"
issuer = "desa"
signer = "kades"
sla_hours = 24
classification_code = "474.3"
aliases = ["ahli waris"]

[[service.fields]]
key = "nik"
label = "NIK"
question = "NIK?"
kind = "nik"

[[service.fields]]
key = "pewaris"
label = "Nama pewaris"
question = "Siapa pewarisnya?"
kind = "text"

[[service]]
code = "bpjs"
name = "Pengantar BPJS (PBI)"
title = "BPJS"
description = "Pengantar BPJS"
issuer = "pengantar"
issued_to = "Dinas Sosial"
signer = "sekdes"
sla_hours = 24
classification_code = "440"
aliases = ["bpjs"]
"#;
        let cat = Catalogue::from_toml_str(text).expect("catalogue");
        let village = village();
        let mut f = LetterFields::default();
        f.details.insert("pewaris".into(), "Almarhum Karto".into());
        let waris = cat.get("ahli_waris").unwrap();
        let view = LetterView::new(
            &village,
            waris,
            "KLP-0002",
            "474.3/002/x/XI/2026",
            date(),
            &f,
        );
        let html = render(&view).unwrap();
        assert!(
            html.contains("<h1>SURAT KETERANGAN AHLI WARIS</h1>"),
            "{html}"
        );
        assert!(html.contains("<td class=\"label\">Nama pewaris</td><td class=\"sep\">:</td><td>Almarhum Karto</td>"), "{html}");
        let bpjs = cat.get("bpjs").unwrap();
        assert_eq!(letter_title(bpjs), "SURAT PENGANTAR BPJS");
        let view = LetterView::new(&village, bpjs, "KLP-0003", "440/003/x/XI/2026", date(), &f);
        let html = render(&view).unwrap();
        assert!(html.contains("pada Dinas Sosial."), "{html}");
        assert!(html.contains("a.n. Kepala Desa Kaliploso"), "{html}");
    }

    #[test]
    fn the_letterhead_follows_the_configuration() {
        let cat = catalogue();
        let mut village = village();
        village.name = "Sukamaju".into();
        village.kecamatan = "Kecamatan Srono".into();
        village.kabupaten = String::new();
        village.address = String::new();
        village.kepala_desa = String::new();
        let f = LetterFields::default();
        let view = LetterView::new(
            &village,
            cat.get("sktm").unwrap(),
            "SKM-0001",
            "401/001/x/I/2027",
            date(),
            &f,
        );
        let html = render(&view).unwrap();
        assert!(!html.contains("PEMERINTAH"), "{html}");
        assert!(
            html.contains("<p class=\"baris\">KECAMATAN SRONO</p>"),
            "{html}"
        );
        assert!(
            html.contains("<p class=\"desa\">DESA SUKAMAJU</p>"),
            "{html}"
        );
        assert!(!html.contains("class=\"alamat\""), "{html}");
        assert!(
            html.contains("Kepala Desa Sukamaju, Kecamatan Srono, menerangkan"),
            "{html}"
        );
        // No name configured: a line to write the name on.
        assert!(html.contains(&format!("<p>( {BLANK} )</p>")), "{html}");
    }
}
