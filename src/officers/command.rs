//! Officers' WhatsApp commands: a pure, forgiving parser.
//!
//! Village officers (operator, sekdes, kades, kurir) write to the village
//! number in plain Indonesian. [`parse`] turns one message into a
//! [`Command`]; [`parse_button`] reads the ids of the reply buttons
//! Kentongan sends them (`ofc:ambil:KLP-0042`). Nothing here touches the
//! store: whether a code exists, belongs to the village or may be acted on
//! is the handler's business.
//!
//! # Commands
//!
//! `X` is a request code (`KLP-0042`), `A` a complaint code (`ADU-KLP-0001`).
//!
//! | Command | Words | Does |
//! |---|---|---|
//! | `bantuan` | `bantuan`, `bantu`, `help`, `menu`, `perintah`, `panduan`, `tolong`, `?` | lists the commands |
//! | `antrian` | `antrian`, `antri`, `antre`, `q`, `daftar` | open requests |
//! | `antrian baru` | also `daftar baru` | requests nobody has taken yet |
//! | `antrian terlambat` | also `… telat`, `… lewat` | requests past their deadline |
//! | `antrian antar` | also `… kiriman` | requests waiting for delivery |
//! | `terlambat` | `terlambat`, `telat`, `lewat` | overdue requests |
//! | `lihat X` / `lihat A` | `lihat`, `liat`, `cek`, `detail`, `detil`, `l` | details of a request or complaint |
//! | `lampiran X` / `lampiran A` | `lampiran`, `foto`, `berkas`, `dokumen` | the photos and documents sent |
//! | `ambil X` | `ambil` | take the request (diajukan → diperiksa) |
//! | `periksa X` | `periksa` | check again by hand (perlu dokumen → diperiksa) |
//! | `proses X` | `proses`, `buat`, `kerjakan` | start making the letter |
//! | `kurang X <dokumen>` | `kurang` | ask the resident for a document; text required |
//! | `siap X` | `siap`, `jadi`, `sudah siap`, `sudah jadi` | the letter is ready |
//! | `setuju X` | `setuju`, `setujui`, `acc`, `ttd`, `tandatangan`, `tanda tangan`, `sahkan` | approve and sign |
//! | `antar X [kurir]` | `antar`, `antarkan` | send a courier, e.g. `antar KLP-0042 Pak Budi` |
//! | `terkirim X` | `terkirim`, `sampai`, `sampe`, `sudah antar`, `sudah diantar`, `sudah sampai` | delivered |
//! | `diambil X` | `diambil`, `sudah diambil` | collected at the office |
//! | `tolak X alasan <alasan>` | `tolak` | reject; the reason is required and sent to the resident |
//! | `balas X <pesan>` / `balas A <pesan>` | `balas`, `bales`, `jawab` | write to the resident; text required |
//! | `selesai balas [X]` | also `stop balas`, `tutup balas`, `akhiri [X]` | end the conversation with the resident |
//! | `tutup A [catatan]` | `tutup`, `selesai` | close a complaint |
//! | `aduan` | `aduan`, `adu`, `keluhan`, `komplain`, `daftar aduan` | open complaints (`aduan 3` shows `ADU-KLP-0003`) |
//! | `kiriman` | `kiriman`, `antaran`, `daftar antar`, `tugas antar` | my deliveries |
//! | `ringkasan` | `ringkasan`, `laporan`, `rekap` | today's summary |
//! | `libur` | `libur`, `off`, `cuti` | off duty: no alerts |
//! | `masuk` | `masuk`, `on`, `bertugas`, `aktif` | on duty again |
//! | `pribadi` | `pribadi`, `mode warga`, `mode pribadi`, `urus surat saya` | ask for a letter as a resident |
//!
//! # Codes
//!
//! A code may be written `KLP-0042`, `klp 42`, `klp42`, `KLP-42`,
//! `#KLP-0042`, or as a bare number `42` (the village's own prefix). A
//! complaint: `ADU-KLP-0001`, `adu klp 1`, `aduklp1`, or `aduan 1` /
//! `adu 1` / `adu1` (a number after the word *aduan* is a complaint of the
//! village). Words like `no`, `nomor`, `tiket`, `kode`, `surat` before the
//! code are skipped (`lihat tiket 42`). A code with another village's
//! prefix is read as it is, so the handler can answer "not found".
//! A message that is only a code (`KLP-0042`) shows it.
//!
//! # Forgiving
//!
//! Case does not matter; punctuation around words and a leading `/` or `#`
//! are ignored; words may be separated by several spaces or new lines.
//! Polite words before the command (`tolong`, `mohon`, `minta`, `coba`,
//! `pak`, `bu`, …) are skipped. A command word of 4+ letters with one typo
//! (one letter added, missing, changed, or two letters swapped) is
//! understood when it is close to only one command (`antrain`, `prosess`,
//! `lampiarn`, `terkrim`). Free text (reasons, replies, notes, the courier's
//! name) keeps the officer's own words, case and line breaks.
//!
//! Single-code commands ignore words after the code (`ambil KLP-0042 ya`).
//! A command without a code (`libur`, `antrian baru`) may be followed by up
//! to three words (`libur dulu ya`); longer, or a code command whose code
//! is missing with more than three words after it, is a sentence rather
//! than a command ("Masuk kantor jam 8 ya bu", "Siap bu, suratnya besok
//! diantar") and is reported as unknown, so a quote-reply to a resident
//! is passed on instead of switching duty.
//!
//! Plain `selesai X` on a request is *not* a command: it could mean the
//! letter is ready (`siap`), delivered (`terkirim`) or collected
//! (`diambil`), and each sends a different message to the resident, so it
//! is reported as unknown and the officer gets the list of explicit verbs.
//! `selesai A` (a complaint) closes it, `selesai balas` ends a relay.
//! For the same reason `sudah ambil X` (taken by me, or collected?) is
//! unknown.

use std::fmt;

use crate::domain::ticket::{TicketCode, TicketCodeError};

/// Which requests `antrian` lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QueueFilter {
    /// `antrian`: every open request.
    Open,
    /// `antrian baru`: submitted, nobody has taken them yet.
    New,
    /// `antrian terlambat`: past their deadline.
    Overdue,
    /// `antrian antar`: ready and waiting for delivery.
    Delivery,
}

/// One officer command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `bantuan`, `help`, `menu`, `?`, `tolong`, `perintah`.
    Help,
    /// `antrian [baru|terlambat|antar]`, `antri`, `q`, `daftar`.
    Queue(QueueFilter),
    /// `terlambat`, `telat`, `lewat`.
    Overdue,
    /// `lihat X`, `cek X`, `detail X`, `l X`: a request or a complaint.
    Show(TicketCode),
    /// `lampiran X`, `foto X`, `berkas X`, `dokumen X`: a request or a
    /// complaint.
    Attachments(TicketCode),
    /// `ambil X`: assign to me (diajukan → diperiksa).
    Take(TicketCode),
    /// `periksa X`: check by hand (perlu_dokumen → diperiksa).
    Check(TicketCode),
    /// `proses X`, `buat X`, `kerjakan X`.
    Process(TicketCode),
    /// `kurang X <reason>`: a document is missing or unreadable.
    NeedDocument { ticket: TicketCode, reason: String },
    /// `siap X`, `jadi X`.
    Ready(TicketCode),
    /// `setuju X`, `acc X`, `ttd X`, `tandatangan X`, `sahkan X`.
    Approve(TicketCode),
    /// `antar X [courier]`, e.g. `antar KLP-0042 Pak Budi`.
    Deliver {
        ticket: TicketCode,
        courier: Option<String>,
    },
    /// `terkirim X`, `sampai X`, `sudah antar X`.
    Delivered(TicketCode),
    /// `diambil X`, `sudah diambil X`: collected at the office.
    Collected(TicketCode),
    /// `tolak X alasan <reason>`.
    Reject { ticket: TicketCode, reason: String },
    /// `balas X <text>`: a request or a complaint.
    Reply { ticket: TicketCode, text: String },
    /// `selesai balas [X]`, `stop balas`, `akhiri [X]`, `tutup balas`.
    EndRelay(Option<TicketCode>),
    /// `tutup A [note]`, `selesai A [note]`.
    CloseComplaint {
        code: TicketCode,
        note: Option<String>,
    },
    /// `aduan`, `keluhan`, `komplain` without a code.
    Complaints,
    /// `kiriman`, `daftar antar`, `tugas antar`, `antaran`.
    Deliveries,
    /// `ringkasan`, `laporan`, `rekap`.
    Summary,
    /// `libur`, `off`, `cuti`.
    OffDuty,
    /// `masuk`, `on`, `bertugas`, `aktif`.
    OnDuty,
    /// `pribadi`, `mode warga`, `urus surat saya`: the officer wants a
    /// letter for themselves.
    Personal,
}

impl Command {
    /// The command's verb, for logs and the audit trail ("ambil", "tolak",
    /// …). Single-code verbs are also the verbs of [`button_id`].
    pub fn verb(&self) -> &'static str {
        match self {
            Command::Help => "bantuan",
            Command::Queue(_) => "antrian",
            Command::Overdue => "terlambat",
            Command::Show(_) => "lihat",
            Command::Attachments(_) => "lampiran",
            Command::Take(_) => "ambil",
            Command::Check(_) => "periksa",
            Command::Process(_) => "proses",
            Command::NeedDocument { .. } => "kurang",
            Command::Ready(_) => "siap",
            Command::Approve(_) => "setuju",
            Command::Deliver { .. } => "antar",
            Command::Delivered(_) => "terkirim",
            Command::Collected(_) => "diambil",
            Command::Reject { .. } => "tolak",
            Command::Reply { .. } => "balas",
            Command::EndRelay(_) => "akhiri",
            Command::CloseComplaint { .. } => "tutup",
            Command::Complaints => "aduan",
            Command::Deliveries => "kiriman",
            Command::Summary => "ringkasan",
            Command::OffDuty => "libur",
            Command::OnDuty => "masuk",
            Command::Personal => "pribadi",
        }
    }

    /// The code the command is about, if any.
    pub fn ticket(&self) -> Option<&TicketCode> {
        match self {
            Command::Show(t)
            | Command::Attachments(t)
            | Command::Take(t)
            | Command::Check(t)
            | Command::Process(t)
            | Command::Ready(t)
            | Command::Approve(t)
            | Command::Delivered(t)
            | Command::Collected(t)
            | Command::NeedDocument { ticket: t, .. }
            | Command::Deliver { ticket: t, .. }
            | Command::Reject { ticket: t, .. }
            | Command::Reply { ticket: t, .. }
            | Command::CloseComplaint { code: t, .. } => Some(t),
            Command::EndRelay(t) => t.as_ref(),
            Command::Help
            | Command::Queue(_)
            | Command::Overdue
            | Command::Complaints
            | Command::Deliveries
            | Command::Summary
            | Command::OffDuty
            | Command::OnDuty
            | Command::Personal => None,
        }
    }
}

/// Why a message is not a command. `command` fields hold the verb of
/// [`Command::verb`] the officer meant.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    #[error("empty command")]
    Empty,
    /// Unknown command word (lowercase, punctuation trimmed); the handler
    /// answers with help.
    #[error("unknown command word {word:?}")]
    Unknown { word: String },
    #[error("{command}: ticket code missing")]
    MissingTicket { command: &'static str },
    #[error("{command}: ticket code {input:?} not recognised")]
    BadTicket {
        command: &'static str,
        input: String,
    },
    #[error("{command}: reason missing")]
    MissingReason { command: &'static str },
    #[error("{command}: text missing")]
    MissingText { command: &'static str },
    /// A complaint code where a request is expected, or the other way round.
    #[error("{command}: wrong kind of ticket code")]
    WrongKind { command: &'static str },
}

impl CommandError {
    /// A short, polite message in Bahasa Indonesia for the officer, with a
    /// concrete example.
    pub fn friendly_message(&self) -> String {
        const HELP: &str = "Ketik *bantuan* untuk melihat daftar perintah.";
        match self {
            CommandError::Empty => format!("Pesannya kosong. {HELP}"),
            CommandError::Unknown { word } => {
                let word: String = word
                    .chars()
                    .filter(|c| !matches!(c, '*' | '_' | '~' | '`'))
                    .take(24)
                    .collect();
                if word.is_empty() {
                    format!("Maaf, perintahnya belum kami kenali. {HELP}")
                } else {
                    format!("Maaf, perintah *{word}* belum kami kenali. {HELP}")
                }
            }
            CommandError::MissingTicket { command } => {
                let what = match accepts(command) {
                    Accepts::Request => "Kode permohonan",
                    Accepts::Complaint => "Kode aduan",
                    Accepts::Either => "Kode permohonan atau aduan",
                };
                format!("{what} belum ada. Contoh: *{}*", example(command))
            }
            CommandError::BadTicket { command, input } => format!(
                "{} Contoh: *{}*",
                ticket_error(input).friendly_message(),
                example(command)
            ),
            CommandError::MissingReason { command } => {
                let what = match *command {
                    "kurang" => "dokumen yang kurang",
                    "tolak" => "alasan penolakan (akan dikirim ke warga)",
                    _ => "alasannya",
                };
                format!(
                    "Mohon tulis {what} setelah kodenya. Contoh: *{}*",
                    example(command)
                )
            }
            CommandError::MissingText { command } => format!(
                "Mohon tulis pesan untuk warga setelah kodenya. Contoh: *{}*",
                example(command)
            ),
            CommandError::WrongKind { command } => match accepts(command) {
                Accepts::Complaint => format!(
                    "Perintah *{command}* hanya untuk kode aduan. Contoh: *{}*",
                    example(command)
                ),
                _ => format!(
                    "Perintah *{command}* hanya untuk kode permohonan, bukan aduan. Contoh: *{}*. \
                     Untuk aduan: *balas ADU-KLP-0001 …* atau *tutup ADU-KLP-0001*",
                    example(command)
                ),
            },
        }
    }
}

/// Which kind of code a verb takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Accepts {
    Request,
    Complaint,
    Either,
}

fn accepts(verb: &str) -> Accepts {
    match verb {
        "tutup" => Accepts::Complaint,
        "lihat" | "lampiran" | "balas" | "akhiri" => Accepts::Either,
        _ => Accepts::Request,
    }
}

/// A complete example of a verb, for error messages.
fn example(verb: &str) -> String {
    match verb {
        "kurang" => "kurang KLP-0042 foto KK belum jelas".into(),
        "tolak" => "tolak KLP-0042 alasan data tidak sesuai KK".into(),
        "balas" => "balas KLP-0042 Suratnya sudah bisa diambil".into(),
        "antar" => "antar KLP-0042 Pak Budi".into(),
        "tutup" => "tutup ADU-KLP-0001 sudah ditangani".into(),
        "akhiri" => "selesai balas KLP-0042".into(),
        verb => format!("{verb} KLP-0042"),
    }
}

/// Recovers why `input` (the officer's attempt at a code) was rejected.
fn ticket_error(input: &str) -> TicketCodeError {
    let runs: Vec<&str> = input
        .split(|c: char| !c.is_ascii_digit())
        .filter(|run| !run.is_empty())
        .collect();
    match runs.as_slice() {
        [] => TicketCodeError::MissingNumber,
        [digits] if digits.trim_start_matches('0').is_empty() => TicketCodeError::ZeroNumber,
        [digits] if digits.trim_start_matches('0').len() > 9 => TicketCodeError::NumberTooLarge,
        _ => TicketCode::parse(input)
            .err()
            .unwrap_or(TicketCodeError::Unrecognised),
    }
}

/// Parses one message from an officer. `prefix` is the village's ticket
/// prefix ("KLP"), used for bare numbers ("ambil 42") and `aduan 3`.
pub fn parse(text: &str, prefix: &str) -> Result<Command, CommandError> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(CommandError::Empty);
    }
    if let Some(command) = parse_button(trimmed) {
        return Ok(command);
    }
    if trimmed
        .chars()
        .all(|c| matches!(c, '?' | '¿') || c.is_whitespace())
    {
        return Ok(Command::Help);
    }
    let mut parser = Parser {
        text,
        tokens: tokenize(text),
        prefix: prefix.trim().to_lowercase(),
        first: 0,
    };
    let mut at = parser.skip_blank(0);
    if at >= parser.tokens.len() {
        return Err(CommandError::Empty);
    }
    let first_polite = at;
    let mut asked_help = false;
    while at < parser.tokens.len() && POLITE.contains(&parser.word(at)) {
        asked_help |= parser.word(at) == "tolong";
        at = parser.skip_blank(at + 1);
    }
    if at >= parser.tokens.len() {
        return if asked_help {
            Ok(Command::Help)
        } else {
            Err(parser.unknown(first_polite))
        };
    }
    parser.first = at;
    parser.command(at)
}

/// Prefix of the ids of officers' reply buttons.
const BUTTON_PREFIX: &str = "ofc:";

/// Reads the id of a reply button Kentongan sent to an officer:
/// `ofc:<verb>:<CODE>`, e.g. `ofc:ambil:KLP-0042`. The verbs are those of
/// [`Command::verb`] that need only a code: `lihat`, `lampiran`, `ambil`,
/// `periksa`, `proses`, `siap`, `setuju`, `antar` (no courier), `terkirim`,
/// `diambil`, `akhiri`, `tutup` (no note). Returns `None` for anything
/// else, a malformed code, or a code of the wrong kind.
pub fn parse_button(id: &str) -> Option<Command> {
    let (verb, code) = id.trim().strip_prefix(BUTTON_PREFIX)?.split_once(':')?;
    if code.trim().is_empty() || code.contains(char::is_whitespace) {
        return None;
    }
    let code = TicketCode::parse(code).ok()?;
    let kind_ok = match accepts(verb) {
        Accepts::Request => !code.is_complaint(),
        Accepts::Complaint => code.is_complaint(),
        Accepts::Either => true,
    };
    if !kind_ok {
        return None;
    }
    Some(match verb {
        "lihat" => Command::Show(code),
        "lampiran" => Command::Attachments(code),
        "ambil" => Command::Take(code),
        "periksa" => Command::Check(code),
        "proses" => Command::Process(code),
        "siap" => Command::Ready(code),
        "setuju" => Command::Approve(code),
        "antar" => Command::Deliver {
            ticket: code,
            courier: None,
        },
        "terkirim" => Command::Delivered(code),
        "diambil" => Command::Collected(code),
        "akhiri" => Command::EndRelay(Some(code)),
        "tutup" => Command::CloseComplaint { code, note: None },
        _ => return None,
    })
}

/// The id of a reply button for `verb` (see [`parse_button`]) and `ticket`:
/// `ofc:ambil:KLP-0042`. Ids are at most 256 characters; these are short.
pub fn button_id(verb: &str, ticket: &TicketCode) -> String {
    format!("{BUTTON_PREFIX}{verb}:{ticket}")
}

/// What the first word of a command can be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Head {
    Help,
    Queue,
    /// `daftar`: the queue, or `daftar antar` / `daftar aduan`.
    Daftar,
    Overdue,
    Show,
    Attachments,
    Take,
    Check,
    Process,
    NeedDocument,
    Ready,
    Approve,
    /// `tanda tangan X`.
    Tanda,
    Deliver,
    Delivered,
    Collected,
    Reject,
    Reply,
    /// `selesai balas` or `selesai A`.
    Selesai,
    /// `stop balas`.
    Stop,
    Akhiri,
    /// `tutup A` or `tutup balas`.
    Tutup,
    Complaints,
    Deliveries,
    /// `tugas antar`.
    Tugas,
    Summary,
    OffDuty,
    OnDuty,
    Personal,
    /// `mode warga`.
    Mode,
    /// `urus surat saya`.
    Urus,
    /// `sudah antar X`, `sudah diambil X`, `sudah siap X`.
    Sudah,
}

/// Command words. Words of 4+ letters are also matched with one typo.
const VOCABULARY: &[(&str, Head)] = &[
    ("bantuan", Head::Help),
    ("bantu", Head::Help),
    ("help", Head::Help),
    ("menu", Head::Help),
    ("perintah", Head::Help),
    ("panduan", Head::Help),
    ("antrian", Head::Queue),
    ("antri", Head::Queue),
    ("antre", Head::Queue),
    ("antrean", Head::Queue),
    ("q", Head::Queue),
    ("daftar", Head::Daftar),
    ("terlambat", Head::Overdue),
    ("telat", Head::Overdue),
    ("lewat", Head::Overdue),
    ("lihat", Head::Show),
    ("liat", Head::Show),
    ("cek", Head::Show),
    ("detail", Head::Show),
    ("detil", Head::Show),
    ("l", Head::Show),
    ("lampiran", Head::Attachments),
    ("foto", Head::Attachments),
    ("berkas", Head::Attachments),
    ("dokumen", Head::Attachments),
    ("ambil", Head::Take),
    ("periksa", Head::Check),
    ("proses", Head::Process),
    ("buat", Head::Process),
    ("kerjakan", Head::Process),
    ("kurang", Head::NeedDocument),
    ("siap", Head::Ready),
    ("jadi", Head::Ready),
    ("setuju", Head::Approve),
    ("setujui", Head::Approve),
    ("acc", Head::Approve),
    ("ttd", Head::Approve),
    ("tandatangan", Head::Approve),
    ("tandatangani", Head::Approve),
    ("sahkan", Head::Approve),
    ("tanda", Head::Tanda),
    ("antar", Head::Deliver),
    ("antarkan", Head::Deliver),
    ("terkirim", Head::Delivered),
    ("sampai", Head::Delivered),
    ("sampe", Head::Delivered),
    ("diambil", Head::Collected),
    ("tolak", Head::Reject),
    ("balas", Head::Reply),
    ("bales", Head::Reply),
    ("jawab", Head::Reply),
    ("selesai", Head::Selesai),
    ("stop", Head::Stop),
    ("akhiri", Head::Akhiri),
    ("tutup", Head::Tutup),
    ("aduan", Head::Complaints),
    ("adu", Head::Complaints),
    ("keluhan", Head::Complaints),
    ("komplain", Head::Complaints),
    ("kiriman", Head::Deliveries),
    ("antaran", Head::Deliveries),
    ("tugas", Head::Tugas),
    ("ringkasan", Head::Summary),
    ("laporan", Head::Summary),
    ("rekap", Head::Summary),
    ("libur", Head::OffDuty),
    ("off", Head::OffDuty),
    ("cuti", Head::OffDuty),
    ("masuk", Head::OnDuty),
    ("on", Head::OnDuty),
    ("bertugas", Head::OnDuty),
    ("aktif", Head::OnDuty),
    ("pribadi", Head::Personal),
    ("mode", Head::Mode),
    ("urus", Head::Urus),
    ("sudah", Head::Sudah),
    ("udah", Head::Sudah),
    ("sdh", Head::Sudah),
    ("telah", Head::Sudah),
];

/// Common words one typo away from a command word that must not be read as
/// one ("siapa" is not "siap", "balai desa" is not "balas").
const NOT_TYPOS: &[&str] = &[
    "siapa", "antara", "tadi", "padi", "balai", "bekas", "masak", "sampah", "susah", "lihai",
    "cuci", "rekam",
];

/// Polite words skipped before a command. `tolong` alone asks for help.
const POLITE: &[&str] = &[
    "tolong", "mohon", "minta", "coba", "silakan", "silahkan", "pak", "bu", "bapak", "ibu", "mas",
    "mbak", "kak",
];

/// Words skipped before a code: "lihat tiket 42", "ambil no. 42".
const FILLERS: &[&str] = &[
    "no",
    "nomor",
    "nomer",
    "nmr",
    "tiket",
    "kode",
    "permohonan",
    "surat",
];

/// Words before a number that make it a complaint: "aduan 3", "adu klp 3".
const COMPLAINT_WORDS: &[&str] = &["aduan", "adu", "keluhan", "komplain"];

/// The second word of `selesai balas`, `stop balas`, `tutup balas`.
const RELAY_WORDS: &[&str] = &["balas", "bales", "balasan", "chat", "obrolan", "percakapan"];

/// `daftar antar`, `tugas antar`.
const DELIVERY_WORDS: &[&str] = &["antar", "antaran", "kiriman", "kirim", "diantar"];

/// `sudah antar X`, `sudah sampai X`: delivered.
const DELIVERED_WORDS: &[&str] = &[
    "antar", "diantar", "kirim", "dikirim", "terkirim", "sampai", "sampe", "diterima",
];

/// Words put before a courier's name: "antar KLP-0042 oleh Pak Budi".
const COURIER_LEADS: &[&str] = &[
    "oleh", "kurir", "kurirnya", "sama", "dengan", "via", "lewat", "pakai", "by",
];

/// A "courier" that is only a particle: "antar KLP-0042 ya".
const NOT_COURIERS: &[&str] = &[
    "ya", "yah", "dong", "ok", "oke", "segera", "sekarang", "skrg", "pak", "bu", "nggih", "makasih",
];

/// One whitespace-separated piece of the message.
#[derive(Debug)]
struct Token {
    /// Byte range in the message.
    start: usize,
    end: usize,
    /// Lowercase, without punctuation around it ("/Ambil," → "ambil",
    /// "#KLP-0042." → "klp-0042"); empty for pure punctuation or emoji.
    word: String,
}

fn tokenize(text: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut start = None;
    let mut push = |s: usize, e: usize| {
        let word = text[s..e]
            .trim_matches(|c: char| !c.is_alphanumeric())
            .to_lowercase();
        tokens.push(Token {
            start: s,
            end: e,
            word,
        });
    };
    for (i, c) in text.char_indices() {
        if c.is_whitespace() {
            if let Some(s) = start.take() {
                push(s, i);
            }
        } else if start.is_none() {
            start = Some(i);
        }
    }
    if let Some(s) = start {
        push(s, text.len());
    }
    tokens
}

/// Reading a code at some position.
#[derive(Debug)]
enum TicketRead {
    /// Nothing that looks like a code.
    Absent,
    /// A code; `end` is the index of the token after it.
    Found { code: TicketCode, end: usize },
    /// Something meant as a code that is not one ("KLP-0", "klp").
    Bad { input: String, complaint: bool },
}

struct Parser<'a> {
    text: &'a str,
    tokens: Vec<Token>,
    /// The village prefix, lowercase.
    prefix: String,
    /// The command word (after polite words), named by `Unknown`.
    first: usize,
}

impl Parser<'_> {
    fn word(&self, at: usize) -> &str {
        self.tokens.get(at).map_or("", |t| t.word.as_str())
    }

    /// The first token at or after `at` that is not pure punctuation.
    fn skip_blank(&self, mut at: usize) -> usize {
        while at < self.tokens.len() && self.tokens[at].word.is_empty() {
            at += 1;
        }
        at
    }

    /// Whether more than [`MAX_TRAILING_WORDS`] words follow from token
    /// `at` on: a sentence, not a command.
    fn is_prose_from(&self, at: usize) -> bool {
        let from = at.min(self.tokens.len());
        let words = self.tokens[from..].iter().filter(|t| !t.word.is_empty());
        words.count() > MAX_TRAILING_WORDS
    }

    /// No code where `verb` needs one: a sentence that happens to start
    /// with a command word ("Siap bu, suratnya besok diantar") is unknown.
    fn missing_ticket(&self, at: usize, verb: &'static str) -> CommandError {
        if self.is_prose_from(at) {
            self.unknown(self.first)
        } else {
            CommandError::MissingTicket { command: verb }
        }
    }

    fn unknown(&self, at: usize) -> CommandError {
        CommandError::Unknown {
            word: self.word(at).to_string(),
        }
    }

    /// The officer's own text after token `end - 1` (everything if the
    /// code was the last token), trimmed.
    fn rest_after(&self, end: usize) -> &str {
        let from = match end.checked_sub(1).and_then(|i| self.tokens.get(i)) {
            Some(token) => token.end,
            None => 0,
        };
        self.text[from..].trim()
    }

    /// The original text of tokens `from..=to`, punctuation around trimmed.
    fn span(&self, from: usize, to: usize) -> String {
        self.text[self.tokens[from].start..self.tokens[to].end]
            .trim_matches(|c: char| !c.is_alphanumeric())
            .to_string()
    }

    fn is_own_prefix(&self, letters: &str) -> bool {
        letters == self.prefix
    }

    /// Whether a letters-only word is a command word rather than a
    /// (foreign) ticket prefix: "lihat foto 3" is attachments of 3, not a
    /// code FOTO-0003.
    fn is_command_word(&self, letters: &str) -> bool {
        !self.is_own_prefix(letters)
            && (exact_head(letters).is_some() || FILLERS.contains(&letters))
    }

    /// Parses a command whose first word is token `at`.
    fn command(&self, at: usize) -> Result<Command, CommandError> {
        // The village's own prefix is a code, never a typo of a command.
        let word = self.word(at);
        let head = if self.is_own_prefix(word) {
            None
        } else {
            lookup(word)
        };
        let Some(head) = head else {
            return self.bare_code(at);
        };
        let next = self.skip_blank(at + 1);
        let takes_no_code = matches!(
            head,
            Head::Help
                | Head::Queue
                | Head::Daftar
                | Head::Overdue
                | Head::Deliveries
                | Head::Tugas
                | Head::Summary
                | Head::OffDuty
                | Head::OnDuty
                | Head::Personal
                | Head::Mode
                | Head::Urus
        );
        if takes_no_code && self.is_prose_from(next) {
            return Err(self.unknown(self.first));
        }
        match head {
            Head::Help => Ok(Command::Help),
            Head::Queue => Ok(self.queue(next)),
            Head::Daftar => {
                if self.next_is(next, DELIVERY_WORDS) {
                    Ok(Command::Deliveries)
                } else {
                    Ok(self.queue(next))
                }
            }
            Head::Overdue => Ok(Command::Overdue),
            Head::Show => self.show(next),
            Head::Attachments => self.single(next, "lampiran").map(Command::Attachments),
            Head::Take => self.single(next, "ambil").map(Command::Take),
            Head::Check => self.single(next, "periksa").map(Command::Check),
            Head::Process => self.single(next, "proses").map(Command::Process),
            Head::Ready => self.single(next, "siap").map(Command::Ready),
            Head::Approve => self.single(next, "setuju").map(Command::Approve),
            Head::Tanda if self.next_is(next, &["tangan", "tangani"]) => self
                .single(self.skip_blank(next + 1), "setuju")
                .map(Command::Approve),
            Head::Deliver => {
                let (ticket, end) = self.ticket(next, "antar")?;
                Ok(Command::Deliver {
                    ticket,
                    courier: courier(self.rest_after(end)),
                })
            }
            Head::Delivered => self.single(next, "terkirim").map(Command::Delivered),
            Head::Collected => self.single(next, "diambil").map(Command::Collected),
            Head::NeedDocument => {
                let (ticket, reason) = self.ticket_and_text(next, "kurang")?;
                Ok(Command::NeedDocument { ticket, reason })
            }
            Head::Reject => {
                let (ticket, reason) = self.ticket_and_text(next, "tolak")?;
                Ok(Command::Reject { ticket, reason })
            }
            Head::Reply => {
                let (ticket, text) = self.ticket_and_text(next, "balas")?;
                Ok(Command::Reply { ticket, text })
            }
            Head::Selesai if self.next_is(next, RELAY_WORDS) => self.end_relay(next + 1),
            Head::Selesai => match self.read_ticket(next) {
                TicketRead::Found { code, end } if code.is_complaint() => {
                    Ok(self.close_complaint(code, end))
                }
                TicketRead::Bad { input, complaint } if complaint => Err(CommandError::BadTicket {
                    command: "tutup",
                    input,
                }),
                // A request: ambiguous, see the module documentation.
                _ => Err(self.unknown(at)),
            },
            Head::Stop if self.next_is(next, RELAY_WORDS) => self.end_relay(next + 1),
            Head::Akhiri if self.next_is(next, RELAY_WORDS) => self.end_relay(next + 1),
            Head::Akhiri => self.end_relay(next),
            Head::Tutup if self.next_is(next, RELAY_WORDS) => self.end_relay(next + 1),
            Head::Tutup => {
                let (code, end) = self.ticket(next, "tutup")?;
                Ok(self.close_complaint(code, end))
            }
            // The word itself marks a complaint: "aduan 3" is ADU-KLP-0003.
            Head::Complaints => match self.read_ticket(at) {
                TicketRead::Found { code, .. } => Ok(Command::Show(code)),
                TicketRead::Bad { input, .. } => Err(CommandError::BadTicket {
                    command: "lihat",
                    input,
                }),
                TicketRead::Absent if self.is_prose_from(next) => Err(self.unknown(self.first)),
                TicketRead::Absent => Ok(Command::Complaints),
            },
            Head::Deliveries => Ok(Command::Deliveries),
            Head::Tugas if self.next_is(next, DELIVERY_WORDS) => Ok(Command::Deliveries),
            Head::Summary => Ok(Command::Summary),
            Head::OffDuty => Ok(Command::OffDuty),
            Head::OnDuty => Ok(Command::OnDuty),
            Head::Personal => Ok(Command::Personal),
            Head::Mode if self.next_is(next, &["warga", "pribadi"]) => Ok(Command::Personal),
            Head::Urus if self.next_is(next, &["surat"]) => Ok(Command::Personal),
            Head::Sudah => self.sudah(at, next),
            Head::Tanda | Head::Stop | Head::Tugas | Head::Mode | Head::Urus => {
                Err(self.unknown(at))
            }
        }
    }

    /// Whether token `at` is one of `words` (or one typo away).
    fn next_is(&self, at: usize, words: &[&'static str]) -> bool {
        let word = self.word(at);
        !word.is_empty() && fuzzy_find(word, words.iter().map(|w| (*w, ()))).is_some()
    }

    /// `antrian [filter]`, also `antrian aduan`.
    fn queue(&self, at: usize) -> Command {
        const FILTERS: &[(&str, Option<QueueFilter>)] = &[
            ("baru", Some(QueueFilter::New)),
            ("terlambat", Some(QueueFilter::Overdue)),
            ("telat", Some(QueueFilter::Overdue)),
            ("lewat", Some(QueueFilter::Overdue)),
            ("antar", Some(QueueFilter::Delivery)),
            ("antaran", Some(QueueFilter::Delivery)),
            ("kiriman", Some(QueueFilter::Delivery)),
            ("kirim", Some(QueueFilter::Delivery)),
            ("diantar", Some(QueueFilter::Delivery)),
            ("semua", Some(QueueFilter::Open)),
            ("buka", Some(QueueFilter::Open)),
            ("terbuka", Some(QueueFilter::Open)),
            ("aduan", None),
            ("keluhan", None),
            ("komplain", None),
        ];
        let word = self.word(at);
        if word.is_empty() {
            return Command::Queue(QueueFilter::Open);
        }
        match fuzzy_find(word, FILTERS.iter().copied()) {
            Some(Some(filter)) => Command::Queue(filter),
            Some(None) => Command::Complaints,
            None => Command::Queue(QueueFilter::Open),
        }
    }

    /// `lihat X`; without a code, `lihat antrian`, `cek aduan`, `lihat foto
    /// X` read the rest as a command when that only shows something.
    fn show(&self, at: usize) -> Result<Command, CommandError> {
        match self.ticket(at, "lihat") {
            Err(missing @ (CommandError::MissingTicket { .. } | CommandError::Unknown { .. })) => {
                if at >= self.tokens.len() {
                    return Err(missing);
                }
                match self.command(at) {
                    Ok(
                        c @ (Command::Help
                        | Command::Queue(_)
                        | Command::Overdue
                        | Command::Show(_)
                        | Command::Attachments(_)
                        | Command::Complaints
                        | Command::Deliveries
                        | Command::Summary),
                    ) => Ok(c),
                    _ => Err(missing),
                }
            }
            other => other.map(|(code, _)| Command::Show(code)),
        }
    }

    /// A message that is only a code of the village ("KLP-0042", "adu1")
    /// shows it. Not guessed: a bare number, a word before the code ("surat
    /// KLP-1"), another village's code (more likely a typo: "cel 3"), or
    /// anything after the code.
    fn bare_code(&self, at: usize) -> Result<Command, CommandError> {
        let word = self.word(at);
        let guessable = word.chars().any(char::is_alphabetic) && !FILLERS.contains(&word);
        match self.read_ticket(at) {
            TicketRead::Found { code, end }
                if guessable
                    && code.prefix().eq_ignore_ascii_case(&self.prefix)
                    && self.skip_blank(end) >= self.tokens.len() =>
            {
                Ok(Command::Show(code))
            }
            _ => Err(self.unknown(at)),
        }
    }

    /// `sudah antar X` is delivered, `sudah diambil X` collected, `sudah
    /// siap/jadi/acc X` the plain command. Anything else (`sudah ambil`) is
    /// unknown.
    fn sudah(&self, at: usize, next: usize) -> Result<Command, CommandError> {
        let after = self.skip_blank(next + 1);
        if self.next_is(next, DELIVERED_WORDS) {
            return self.single(after, "terkirim").map(Command::Delivered);
        }
        match lookup(self.word(next)) {
            Some(Head::Collected) => self.single(after, "diambil").map(Command::Collected),
            Some(Head::Ready | Head::Approve) => self.command(next),
            _ => Err(self.unknown(at)),
        }
    }

    /// A command taking only a code, checked against the verb's kind.
    fn single(&self, at: usize, verb: &'static str) -> Result<TicketCode, CommandError> {
        self.ticket(at, verb).map(|(code, _)| code)
    }

    /// The code at `at` for `verb`, and the index of the token after it.
    fn ticket(&self, at: usize, verb: &'static str) -> Result<(TicketCode, usize), CommandError> {
        match self.read_ticket(at) {
            TicketRead::Found { code, end } => {
                let kind_ok = match accepts(verb) {
                    Accepts::Request => !code.is_complaint(),
                    Accepts::Complaint => code.is_complaint(),
                    Accepts::Either => true,
                };
                if kind_ok {
                    Ok((code, end))
                } else {
                    Err(CommandError::WrongKind { command: verb })
                }
            }
            TicketRead::Bad { input, .. } => Err(CommandError::BadTicket {
                command: verb,
                input,
            }),
            TicketRead::Absent => Err(self.missing_ticket(at, verb)),
        }
    }

    /// `kurang X <reason>`, `tolak X alasan <reason>`, `balas X <text>`.
    fn ticket_and_text(
        &self,
        at: usize,
        verb: &'static str,
    ) -> Result<(TicketCode, String), CommandError> {
        let (code, end) = self.ticket(at, verb)?;
        let leads: &[&str] = if verb == "balas" {
            &[]
        } else {
            &["alasannya", "alasan"]
        };
        let text = free_text(self.rest_after(end), leads);
        if !text.is_empty() {
            Ok((code, text))
        } else if verb == "balas" {
            Err(CommandError::MissingText { command: verb })
        } else {
            Err(CommandError::MissingReason { command: verb })
        }
    }

    /// `selesai balas [X]`, `akhiri [X]`: the code is optional.
    fn end_relay(&self, at: usize) -> Result<Command, CommandError> {
        match self.ticket(self.skip_blank(at), "akhiri") {
            Ok((code, _)) => Ok(Command::EndRelay(Some(code))),
            Err(CommandError::MissingTicket { .. }) => Ok(Command::EndRelay(None)),
            Err(e) => Err(e),
        }
    }

    fn close_complaint(&self, code: TicketCode, end: usize) -> Command {
        let note = free_text(self.rest_after(end), &["catatannya", "catatan"]);
        Command::CloseComplaint {
            code,
            note: (!note.is_empty()).then_some(note),
        }
    }

    /// Reads a code starting at token `at`: optional filler words
    /// ("tiket", "no"), an optional complaint word ("aduan"), then
    /// `KLP-0042`, `klp 42`, `klp42`, `ADU-KLP-1`, `adu1` or a bare number.
    fn read_ticket(&self, at: usize) -> TicketRead {
        let mut i = self.skip_blank(at);
        let first = i;
        let mut complaint = false;
        let mut fillers = 0;
        while i < self.tokens.len() {
            let w = self.word(i);
            if !complaint && COMPLAINT_WORDS.contains(&w) && !self.is_own_prefix(w) {
                complaint = true;
            } else if fillers < 2 && FILLERS.contains(&w) && !self.is_own_prefix(w) {
                fillers += 1;
            } else {
                break;
            }
            i = self.skip_blank(i + 1);
        }
        if i >= self.tokens.len() {
            return TicketRead::Absent;
        }
        let w = self.word(i);
        // Glued: "adu1", "aduan-3", "no.42".
        if let Some((letters, digits)) = split_glued(w) {
            if !self.is_own_prefix(letters) {
                if COMPLAINT_WORDS.contains(&letters) {
                    return self.numbered(first, i, digits, true);
                }
                if FILLERS.contains(&letters) {
                    return self.numbered(first, i, digits, complaint);
                }
                if self.is_command_word(letters) {
                    return TicketRead::Absent;
                }
            }
        }
        if w.chars().all(|c| c.is_ascii_digit()) {
            return self.numbered(first, i, w, complaint);
        }
        if w.chars().any(|c| c.is_ascii_digit()) {
            return self.coded(first, i, w.to_string(), complaint);
        }
        // Letters, then the number as the next word: "klp 42", "adu-klp 7".
        if w.chars()
            .all(|c| c.is_ascii_alphabetic() || is_code_separator(c))
        {
            let letters: String = w.chars().filter(char::is_ascii_alphabetic).collect();
            if !self.is_command_word(&letters) {
                let j = self.skip_blank(i + 1);
                if self.word(j).starts_with(|c: char| c.is_ascii_digit()) {
                    let joined = format!("{w} {}", self.word(j));
                    return self.coded(first, j, joined, complaint);
                }
            }
            // The village's prefix alone: a code missing its number.
            let own = letters
                .strip_prefix("adu")
                .filter(|rest| !rest.is_empty())
                .unwrap_or(&letters);
            if self.is_own_prefix(own) {
                return TicketRead::Bad {
                    input: self.span(first, i),
                    complaint: complaint || own.len() < letters.len(),
                };
            }
        }
        TicketRead::Absent
    }

    /// A bare number (tokens `first..=last`) with the village's prefix.
    fn numbered(&self, first: usize, last: usize, digits: &str, complaint: bool) -> TicketRead {
        let code = if complaint {
            format!("ADU-{}-{digits}", self.prefix)
        } else {
            format!("{}-{digits}", self.prefix)
        };
        match TicketCode::parse(&code) {
            Ok(code) => TicketRead::Found {
                code,
                end: last + 1,
            },
            Err(_) => TicketRead::Bad {
                input: self.span(first, last),
                complaint,
            },
        }
    }

    /// A written code (tokens `first..=last`, `code` their words).
    fn coded(&self, first: usize, last: usize, code: String, complaint: bool) -> TicketRead {
        match TicketCode::parse(&code) {
            Ok(code) if complaint && !code.is_complaint() => {
                match TicketCode::complaint(code.prefix(), code.number()) {
                    Ok(code) => TicketRead::Found {
                        code,
                        end: last + 1,
                    },
                    Err(_) => TicketRead::Bad {
                        input: self.span(first, last),
                        complaint,
                    },
                }
            }
            Ok(code) => TicketRead::Found {
                code,
                end: last + 1,
            },
            Err(_) => TicketRead::Bad {
                input: self.span(first, last),
                complaint: complaint || code.starts_with("adu"),
            },
        }
    }
}

/// Separators allowed inside a code ("klp-42", "klp.42", "klp_42").
fn is_code_separator(c: char) -> bool {
    matches!(
        c,
        '-' | '_' | '.' | '/' | '#' | ':' | '\u{2013}' | '\u{2014}'
    )
}

/// Splits "adu1", "aduan-3", "no.42" into letters and digits.
fn split_glued(word: &str) -> Option<(&str, &str)> {
    let letters_end = word
        .find(|c: char| !c.is_ascii_alphabetic())
        .filter(|&n| n > 0)?;
    let (letters, rest) = word.split_at(letters_end);
    let digits = rest.trim_start_matches(is_code_separator);
    (!digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit())).then_some((letters, digits))
}

/// The courier after `antar X`: "Pak Budi", "oleh Pak Budi".
fn courier(rest: &str) -> Option<String> {
    let name = free_text(rest, COURIER_LEADS);
    let particle = NOT_COURIERS.contains(&name.to_lowercase().as_str());
    (!name.is_empty() && !particle).then_some(name)
}

/// Free text after a code, trimmed, without leading ":", "-", "," and
/// without leading `leads` words ("alasan: foto buram" → "foto buram").
fn free_text(text: &str, leads: &[&str]) -> String {
    let mut s = text.trim();
    loop {
        let before = s;
        s = s
            .trim_start_matches([':', '-', ',', ';', '=', '\u{2013}', '\u{2014}'])
            .trim_start();
        if let Some(rest) = leads.iter().find_map(|w| strip_word(s, w)) {
            s = rest.trim_start();
        }
        if s == before {
            break;
        }
    }
    s.trim_end().to_string()
}

/// `s` without a leading `word` (ASCII case-insensitive, whole word only).
fn strip_word<'a>(s: &'a str, word: &str) -> Option<&'a str> {
    let head = s.get(..word.len())?;
    let rest = &s[word.len()..];
    let whole = !rest.starts_with(|c: char| c.is_alphanumeric());
    (head.eq_ignore_ascii_case(word) && whole).then_some(rest)
}

fn exact_head(word: &str) -> Option<Head> {
    VOCABULARY
        .iter()
        .find(|(w, _)| *w == word)
        .map(|(_, head)| *head)
}

/// The command a first word stands for: exactly, or with one typo.
fn lookup(word: &str) -> Option<Head> {
    exact_head(word).or_else(|| fuzzy_find(word, VOCABULARY.iter().copied()))
}

/// At most this many words may follow a command that takes no code, or a
/// command word missing its code; more is a sentence (a quote-reply to a
/// resident that starts with "Siap", "Masuk", "Libur", …), reported as
/// unknown so the desk can pass it on.
const MAX_TRAILING_WORDS: usize = 3;

/// Minimum length (of both words) for typo tolerance.
const FUZZY_MIN_LEN: usize = 4;

/// The value of the entry equal to `word`, or one typo away from it (words
/// of 4+ letters) if all such entries agree. `None` when ambiguous.
fn fuzzy_find<T: Copy + PartialEq>(
    word: &str,
    entries: impl Iterator<Item = (&'static str, T)> + Clone,
) -> Option<T> {
    if let Some((_, value)) = entries.clone().find(|(w, _)| *w == word) {
        return Some(value);
    }
    let chars: Vec<char> = word.chars().collect();
    if chars.len() < FUZZY_MIN_LEN
        || !chars.iter().all(|c| c.is_alphabetic())
        || NOT_TYPOS.contains(&word)
    {
        return None;
    }
    let mut found: Option<T> = None;
    for (candidate, value) in entries {
        let candidate: Vec<char> = candidate.chars().collect();
        if candidate.len() < FUZZY_MIN_LEN || !within_one_edit(&chars, &candidate) {
            continue;
        }
        match found {
            Some(f) if f != value => return None,
            _ => found = Some(value),
        }
    }
    found
}

/// Whether `a` and `b` differ by at most one insertion, deletion,
/// substitution or swap of adjacent letters (Damerau-Levenshtein ≤ 1).
fn within_one_edit(a: &[char], b: &[char]) -> bool {
    let prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let (a, b) = (&a[prefix..], &b[prefix..]);
    match (a.len(), b.len()) {
        (0, 0) => true,
        (x, y) if x == y => {
            a[1..] == b[1..] || (x >= 2 && a[0] == b[1] && a[1] == b[0] && a[2..] == b[2..])
        }
        (x, y) if x == y + 1 => a[1..] == *b,
        (x, y) if x + 1 == y => *a == b[1..],
        _ => false,
    }
}

impl fmt::Display for QueueFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            QueueFilter::Open => "semua",
            QueueFilter::New => "baru",
            QueueFilter::Overdue => "terlambat",
            QueueFilter::Delivery => "antar",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> Result<Command, CommandError> {
        parse(text, "KLP")
    }

    fn req(n: u32) -> TicketCode {
        TicketCode::new("KLP", n).expect("valid")
    }

    fn adu(n: u32) -> TicketCode {
        TicketCode::complaint("KLP", n).expect("valid")
    }

    fn unknown(word: &str) -> Result<Command, CommandError> {
        Err(CommandError::Unknown { word: word.into() })
    }

    #[test]
    fn help_words() {
        for text in [
            "bantuan",
            "help",
            "menu",
            "?",
            "??",
            " ? ",
            "tolong",
            "perintah",
            "Bantuan!",
            "/help",
            "MENU",
            "bantu",
            "tolong pak",
        ] {
            assert_eq!(p(text), Ok(Command::Help), "{text}");
        }
    }

    #[test]
    fn empty_messages() {
        for text in ["", "   ", "\n\t", "...", "🙏", " - "] {
            assert_eq!(p(text), Err(CommandError::Empty), "{text:?}");
        }
    }

    #[test]
    fn unknown_first_word() {
        assert_eq!(p("halo"), unknown("halo"));
        assert_eq!(p("Terima kasih pak"), unknown("terima"));
        assert_eq!(p("mohon xyz KLP-1"), unknown("xyz"));
        assert_eq!(p("mohon"), unknown("mohon"));
        assert_eq!(p("pak"), unknown("pak"));
        assert_eq!(p("42"), unknown("42"));
        assert_eq!(p("oke siap"), unknown("oke"));
        assert_eq!(p("jangan ambil KLP-1"), unknown("jangan"));
        assert_eq!(p("belum terkirim KLP-1"), unknown("belum"));
    }

    #[test]
    fn queue_and_filters() {
        for text in [
            "antrian",
            "antri",
            "Antrian.",
            "q",
            "daftar",
            "antre",
            "antrian semua",
        ] {
            assert_eq!(p(text), Ok(Command::Queue(QueueFilter::Open)), "{text}");
        }
        assert_eq!(p("antrian baru"), Ok(Command::Queue(QueueFilter::New)));
        assert_eq!(p("q baru"), Ok(Command::Queue(QueueFilter::New)));
        assert_eq!(p("daftar baru"), Ok(Command::Queue(QueueFilter::New)));
        for text in [
            "antrian terlambat",
            "antrian telat",
            "antri lewat",
            "antrian terlmbat",
        ] {
            assert_eq!(p(text), Ok(Command::Queue(QueueFilter::Overdue)), "{text}");
        }
        assert_eq!(
            p("antrian antar"),
            Ok(Command::Queue(QueueFilter::Delivery))
        );
        assert_eq!(
            p("antrian kiriman"),
            Ok(Command::Queue(QueueFilter::Delivery))
        );
        // An unknown filter word is ignored.
        assert_eq!(p("antrian hari ini"), Ok(Command::Queue(QueueFilter::Open)));
        assert_eq!(p("antrian aduan"), Ok(Command::Complaints));
    }

    #[test]
    fn overdue_words() {
        for text in [
            "terlambat",
            "telat",
            "lewat",
            "Telat?",
            "terlambat hari ini",
        ] {
            assert_eq!(p(text), Ok(Command::Overdue), "{text}");
        }
    }

    #[test]
    fn request_code_forms() {
        for text in [
            "ambil KLP-0042",
            "ambil klp 42",
            "ambil klp42",
            "ambil KLP-42",
            "ambil #KLP-0042",
            "ambil 42",
            "ambil 0042",
            "ambil #42",
            "ambil klp - 42",
            "ambil klp-42.",
            "ambil KLP.42",
            "ambil no 42",
            "ambil no. 42",
            "ambil tiket KLP-0042",
            "ambil nomor tiket 42",
            "ambil surat klp 42",
            "ambil no.42",
        ] {
            assert_eq!(p(text), Ok(Command::Take(req(42))), "{text}");
        }
    }

    #[test]
    fn complaint_code_forms() {
        for text in [
            "lihat ADU-KLP-0001",
            "lihat adu klp 1",
            "lihat aduklp1",
            "lihat ADU KLP-0001",
            "lihat adu 1",
            "lihat aduan 1",
            "lihat adu1",
            "lihat aduan-1",
            "lihat aduan KLP-1",
            "lihat keluhan 1",
            "lihat aduan no 1",
        ] {
            assert_eq!(p(text), Ok(Command::Show(adu(1))), "{text}");
        }
    }

    #[test]
    fn other_village_codes_still_parse() {
        let sbr = TicketCode::new("SBR", 42).expect("valid");
        assert_eq!(p("ambil SBR-0042"), Ok(Command::Take(sbr.clone())));
        assert_eq!(p("ambil sbr 42"), Ok(Command::Take(sbr)));
        let sbr_adu = TicketCode::complaint("SBR", 3).expect("valid");
        assert_eq!(p("lihat adu sbr 3"), Ok(Command::Show(sbr_adu.clone())));
        assert_eq!(
            p("ambil ADU-SBR-3"),
            Err(CommandError::WrongKind { command: "ambil" })
        );
        // The bare number takes whatever prefix the village has.
        assert_eq!(
            parse("ambil 7", "sbr"),
            Ok(Command::Take(TicketCode::new("SBR", 7).expect("valid")))
        );
        assert_eq!(parse("aduan 3", "SBR"), Ok(Command::Show(sbr_adu)));
    }

    #[test]
    fn show_synonyms() {
        for text in [
            "lihat KLP-0042",
            "cek KLP-0042",
            "detail klp 42",
            "detil 42",
            "l 42",
            "liat klp42",
            "Lihat KLP-0042 pak",
        ] {
            assert_eq!(p(text), Ok(Command::Show(req(42))), "{text}");
        }
    }

    #[test]
    fn show_without_code_reads_a_listing() {
        assert_eq!(
            p("lihat antrian baru"),
            Ok(Command::Queue(QueueFilter::New))
        );
        assert_eq!(p("cek aduan"), Ok(Command::Complaints));
        assert_eq!(p("cek kiriman"), Ok(Command::Deliveries));
        assert_eq!(p("lihat foto KLP-1"), Ok(Command::Attachments(req(1))));
        assert_eq!(p("lihat foto 3"), Ok(Command::Attachments(req(3))));
        assert_eq!(p("lihat terlambat"), Ok(Command::Overdue));
        // Never a state change.
        assert_eq!(
            p("cek ambil KLP-1"),
            Err(CommandError::MissingTicket { command: "lihat" })
        );
        assert_eq!(
            p("cek status"),
            Err(CommandError::MissingTicket { command: "lihat" })
        );
        assert_eq!(
            p("lihat"),
            Err(CommandError::MissingTicket { command: "lihat" })
        );
    }

    #[test]
    fn attachments_for_requests_and_complaints() {
        for text in [
            "lampiran KLP-1",
            "foto klp 1",
            "berkas 1",
            "dokumen #KLP-0001",
        ] {
            assert_eq!(p(text), Ok(Command::Attachments(req(1))), "{text}");
        }
        assert_eq!(p("foto aduan 2"), Ok(Command::Attachments(adu(2))));
    }

    #[test]
    fn single_code_verbs() {
        assert_eq!(p("periksa KLP-5"), Ok(Command::Check(req(5))));
        for text in ["proses 5", "buat klp 5", "kerjakan KLP-0005"] {
            assert_eq!(p(text), Ok(Command::Process(req(5))), "{text}");
        }
        for text in ["siap 5", "jadi klp5", "sudah siap 5", "sudah jadi KLP-5"] {
            assert_eq!(p(text), Ok(Command::Ready(req(5))), "{text}");
        }
        for text in [
            "setuju 5",
            "acc 5",
            "ACC KLP-5",
            "ttd 5",
            "tandatangan 5",
            "tanda tangan klp 5",
            "tandatangani 5",
            "sahkan 5",
            "setujui 5",
        ] {
            assert_eq!(p(text), Ok(Command::Approve(req(5))), "{text}");
        }
        assert_eq!(p("tanda KLP-5"), unknown("tanda"));
    }

    #[test]
    fn words_after_a_single_code_are_ignored() {
        assert_eq!(p("ambil KLP-0042 ya pak"), Ok(Command::Take(req(42))));
        assert_eq!(p("siap 42, sudah dicetak"), Ok(Command::Ready(req(42))));
    }

    #[test]
    fn missing_ticket() {
        for (text, command) in [
            ("ambil", "ambil"),
            ("ambil sekarang", "ambil"),
            ("proses", "proses"),
            ("siap", "siap"),
            ("setuju", "setuju"),
            ("antar", "antar"),
            ("terkirim", "terkirim"),
            ("diambil", "diambil"),
            ("kurang", "kurang"),
            ("tolak alasan data salah", "tolak"),
            ("balas terima kasih", "balas"),
            ("tutup", "tutup"),
            ("lampiran", "lampiran"),
            ("ambil aduan", "ambil"),
        ] {
            assert_eq!(
                p(text),
                Err(CommandError::MissingTicket { command }),
                "{text}"
            );
        }
    }

    #[test]
    fn bad_ticket() {
        for (text, input) in [
            ("ambil KLP-0", "KLP-0"),
            ("ambil 0", "0"),
            ("ambil klp", "klp"),
            ("ambil KLP-", "KLP"),
            ("ambil klp 42a", "klp 42a"),
            ("ambil 9999999999", "9999999999"),
            ("ambil KLP-42-43", "KLP-42-43"),
            ("ambil K-42", "K-42"),
            ("lihat aduan 0", "aduan 0"),
        ] {
            let command = if text.starts_with("lihat") {
                "lihat"
            } else {
                "ambil"
            };
            assert_eq!(
                p(text),
                Err(CommandError::BadTicket {
                    command,
                    input: input.into()
                }),
                "{text}"
            );
        }
    }

    #[test]
    fn bad_ticket_message_explains() {
        let err = p("ambil KLP-0").expect_err("bad");
        let msg = err.friendly_message();
        assert!(
            msg.contains("KLP-0042") && msg.contains("*ambil KLP-0042*"),
            "{msg}"
        );
        assert_eq!(ticket_error("KLP-0"), TicketCodeError::ZeroNumber);
        assert_eq!(ticket_error("0"), TicketCodeError::ZeroNumber);
        assert_eq!(ticket_error("klp"), TicketCodeError::MissingNumber);
        assert_eq!(ticket_error("9999999999"), TicketCodeError::NumberTooLarge);
        assert_eq!(ticket_error("KLP-42-43"), TicketCodeError::Unrecognised);
    }

    #[test]
    fn wrong_kind() {
        for (text, command) in [
            ("ambil ADU-KLP-0001", "ambil"),
            ("proses aduan 1", "proses"),
            ("kurang adu 1 foto", "kurang"),
            ("tolak ADU-KLP-1 alasan spam", "tolak"),
            ("antar adu1", "antar"),
            ("tutup KLP-0042", "tutup"),
            ("tutup 42", "tutup"),
        ] {
            assert_eq!(p(text), Err(CommandError::WrongKind { command }), "{text}");
        }
    }

    #[test]
    fn need_document_keeps_the_officers_words() {
        assert_eq!(
            p("kurang KLP-0042 Foto KK buram, mohon kirim ulang"),
            Ok(Command::NeedDocument {
                ticket: req(42),
                reason: "Foto KK buram, mohon kirim ulang".into()
            })
        );
        assert_eq!(
            p("kurang 42:\nFoto KTP belum ada\nSurat RT juga\n"),
            Ok(Command::NeedDocument {
                ticket: req(42),
                reason: "Foto KTP belum ada\nSurat RT juga".into()
            })
        );
        assert_eq!(
            p("kurang KLP-42"),
            Err(CommandError::MissingReason { command: "kurang" })
        );
        assert_eq!(
            p("kurang KLP-42 - "),
            Err(CommandError::MissingReason { command: "kurang" })
        );
    }

    #[test]
    fn reject_strips_alasan() {
        let reject = |reason: &str| {
            Ok(Command::Reject {
                ticket: req(7),
                reason: reason.into(),
            })
        };
        assert_eq!(
            p("tolak KLP-7 alasan data tidak sesuai"),
            reject("data tidak sesuai")
        );
        assert_eq!(p("tolak klp 7 Alasannya: NIK salah"), reject("NIK salah"));
        assert_eq!(
            p("tolak 7 - bukan warga desa ini"),
            reject("bukan warga desa ini")
        );
        assert_eq!(p("tolak 7: Alasan - dobel"), reject("dobel"));
        assert_eq!(p("tolak 7 alasanku pribadi"), reject("alasanku pribadi"));
        assert_eq!(
            p("TOLAK KLP-7\nalasan:\nFoto KTP bukan milik pemohon.\nSilakan ajukan lagi."),
            reject("Foto KTP bukan milik pemohon.\nSilakan ajukan lagi.")
        );
        for text in [
            "tolak KLP-7",
            "tolak KLP-7 alasan",
            "tolak KLP-7 alasannya:",
        ] {
            assert_eq!(
                p(text),
                Err(CommandError::MissingReason { command: "tolak" }),
                "{text}"
            );
        }
    }

    #[test]
    fn reply_to_requests_and_complaints() {
        assert_eq!(
            p("balas KLP-0042 Suratnya sudah bisa diambil ya Bu.\nTerima kasih"),
            Ok(Command::Reply {
                ticket: req(42),
                text: "Suratnya sudah bisa diambil ya Bu.\nTerima kasih".into()
            })
        );
        assert_eq!(
            p("bales aduan 3: Jalan sudah kami laporkan ke PU"),
            Ok(Command::Reply {
                ticket: adu(3),
                text: "Jalan sudah kami laporkan ke PU".into()
            })
        );
        // "Alasan" is not stripped from a reply.
        assert_eq!(
            p("jawab 42 Alasan penolakan: data"),
            Ok(Command::Reply {
                ticket: req(42),
                text: "Alasan penolakan: data".into()
            })
        );
        assert_eq!(
            p("balas KLP-42"),
            Err(CommandError::MissingText { command: "balas" })
        );
        assert_eq!(
            p("balas 42 :"),
            Err(CommandError::MissingText { command: "balas" })
        );
    }

    #[test]
    fn deliver_with_and_without_courier() {
        let deliver = |courier: Option<&str>| {
            Ok(Command::Deliver {
                ticket: req(42),
                courier: courier.map(String::from),
            })
        };
        assert_eq!(p("antar KLP-0042"), deliver(None));
        assert_eq!(p("antar KLP-0042 Pak Budi"), deliver(Some("Pak Budi")));
        assert_eq!(p("antar klp 42 oleh Mas Joko"), deliver(Some("Mas Joko")));
        assert_eq!(p("antar 42 kurir: Bu Sri"), deliver(Some("Bu Sri")));
        assert_eq!(p("antarkan 42 ya"), deliver(None));
        assert_eq!(p("antar 42 - "), deliver(None));
    }

    #[test]
    fn delivered_and_collected() {
        for text in [
            "terkirim KLP-9",
            "sampai 9",
            "sudah antar 9",
            "sudah diantar klp 9",
            "udah sampai 9",
            "sdh terkirim 9",
            "telah diterima KLP-9",
            "sampe 9",
        ] {
            assert_eq!(p(text), Ok(Command::Delivered(req(9))), "{text}");
        }
        for text in [
            "diambil KLP-9",
            "sudah diambil 9",
            "Sudah diambil klp 9 pak",
        ] {
            assert_eq!(p(text), Ok(Command::Collected(req(9))), "{text}");
        }
        // Taken by me or collected? Ambiguous.
        assert_eq!(p("sudah ambil 9"), unknown("sudah"));
        assert_eq!(p("sudah"), unknown("sudah"));
        assert_eq!(
            p("sudah antar"),
            Err(CommandError::MissingTicket {
                command: "terkirim"
            })
        );
    }

    #[test]
    fn end_relay() {
        for text in [
            "selesai balas",
            "stop balas",
            "tutup balas",
            "akhiri",
            "Selesai balas ya",
        ] {
            assert_eq!(p(text), Ok(Command::EndRelay(None)), "{text}");
        }
        for text in [
            "selesai balas KLP-42",
            "akhiri 42",
            "akhiri balas klp 42",
            "tutup balas 42",
        ] {
            assert_eq!(p(text), Ok(Command::EndRelay(Some(req(42)))), "{text}");
        }
        assert_eq!(p("stop balas aduan 2"), Ok(Command::EndRelay(Some(adu(2)))));
        assert_eq!(
            p("akhiri KLP-0"),
            Err(CommandError::BadTicket {
                command: "akhiri",
                input: "KLP-0".into()
            })
        );
    }

    #[test]
    fn close_complaint() {
        assert_eq!(
            p("tutup ADU-KLP-0001"),
            Ok(Command::CloseComplaint {
                code: adu(1),
                note: None
            })
        );
        assert_eq!(
            p("tutup aduan 1 Lampu sudah diganti"),
            Ok(Command::CloseComplaint {
                code: adu(1),
                note: Some("Lampu sudah diganti".into())
            })
        );
        assert_eq!(
            p("selesai ADU-KLP-1 catatan: sudah diperbaiki"),
            Ok(Command::CloseComplaint {
                code: adu(1),
                note: Some("sudah diperbaiki".into())
            })
        );
        assert_eq!(
            p("selesai adu1"),
            Ok(Command::CloseComplaint {
                code: adu(1),
                note: None
            })
        );
        assert_eq!(
            p("selesai ADU-KLP-0"),
            Err(CommandError::BadTicket {
                command: "tutup",
                input: "ADU-KLP-0".into()
            })
        );
    }

    #[test]
    fn plain_selesai_is_not_a_command() {
        assert_eq!(p("selesai KLP-0042"), unknown("selesai"));
        assert_eq!(p("selesai 42"), unknown("selesai"));
        assert_eq!(p("selesai"), unknown("selesai"));
        assert_eq!(p("selesai KLP-0"), unknown("selesai"));
        assert_eq!(p("stop"), unknown("stop"));
        assert_eq!(p("stop KLP-1"), unknown("stop"));
    }

    #[test]
    fn complaints_list_or_one_complaint() {
        for text in [
            "aduan",
            "keluhan",
            "komplain",
            "daftar aduan",
            "Aduan?",
            "adu",
        ] {
            assert_eq!(p(text), Ok(Command::Complaints), "{text}");
        }
        assert_eq!(p("aduan 3"), Ok(Command::Show(adu(3))));
        assert_eq!(p("adu klp 3"), Ok(Command::Show(adu(3))));
        assert_eq!(p("keluhan ADU-KLP-0003"), Ok(Command::Show(adu(3))));
        assert_eq!(
            p("aduan 0"),
            Err(CommandError::BadTicket {
                command: "lihat",
                input: "aduan 0".into()
            })
        );
    }

    #[test]
    fn listings_and_duty() {
        for text in [
            "kiriman",
            "antaran",
            "daftar antar",
            "tugas antar",
            "daftar kiriman",
        ] {
            assert_eq!(p(text), Ok(Command::Deliveries), "{text}");
        }
        assert_eq!(p("tugas"), unknown("tugas"));
        for text in ["ringkasan", "laporan", "rekap", "rekap hari ini"] {
            assert_eq!(p(text), Ok(Command::Summary), "{text}");
        }
        for text in ["libur", "off", "cuti", "OFF!"] {
            assert_eq!(p(text), Ok(Command::OffDuty), "{text}");
        }
        for text in ["masuk", "on", "bertugas", "aktif", "masuk pak"] {
            assert_eq!(p(text), Ok(Command::OnDuty), "{text}");
        }
    }

    #[test]
    fn personal_mode() {
        for text in [
            "pribadi",
            "mode warga",
            "Mode pribadi",
            "urus surat saya",
            "urus surat",
        ] {
            assert_eq!(p(text), Ok(Command::Personal), "{text}");
        }
        assert_eq!(p("mode"), unknown("mode"));
        assert_eq!(p("urus KLP-1"), unknown("urus"));
    }

    #[test]
    fn case_punctuation_and_spacing() {
        for text in [
            "/AMBIL klp-42!",
            "#ambil KLP-0042?",
            "Ambil,   KLP-0042",
            "ambil\nKLP-0042",
            "  ambil \t klp   42  ",
            "ambil: KLP-0042",
            "*ambil* KLP-0042",
            "ambil - 42",
        ] {
            assert_eq!(p(text), Ok(Command::Take(req(42))), "{text:?}");
        }
    }

    #[test]
    fn polite_prefixes() {
        assert_eq!(p("tolong ambil KLP-1"), Ok(Command::Take(req(1))));
        assert_eq!(p("mohon proses klp 3"), Ok(Command::Process(req(3))));
        assert_eq!(p("Pak, tolong siap KLP-1"), Ok(Command::Ready(req(1))));
        assert_eq!(p("coba lihat 4"), Ok(Command::Show(req(4))));
        assert_eq!(
            p("minta antrian baru"),
            Ok(Command::Queue(QueueFilter::New))
        );
    }

    #[test]
    fn one_typo_in_longer_words() {
        assert_eq!(p("antrain"), Ok(Command::Queue(QueueFilter::Open)));
        assert_eq!(p("prosess 3"), Ok(Command::Process(req(3))));
        assert_eq!(p("lampiarn 3"), Ok(Command::Attachments(req(3))));
        assert_eq!(p("terkrim 3"), Ok(Command::Delivered(req(3))));
        assert_eq!(p("ambill 3"), Ok(Command::Take(req(3))));
        assert_eq!(
            p("tolk 3 alasan dobel"),
            Ok(Command::Reject {
                ticket: req(3),
                reason: "dobel".into()
            })
        );
        assert_eq!(p("selesai blas"), Ok(Command::EndRelay(None)));
        assert_eq!(p("ringkasn"), Ok(Command::Summary));
    }

    #[test]
    fn no_typo_tolerance_for_short_or_ambiguous_words() {
        // Three letters: exact only.
        assert_eq!(p("cel 3"), unknown("cel"));
        assert_eq!(p("acx 3"), unknown("acx"));
        // "antra" is one edit from both "antri" and "antar".
        assert_eq!(p("antra"), unknown("antra"));
        // Two typos.
        assert_eq!(p("prseess 3"), unknown("prseess"));
    }

    #[test]
    fn everyday_words_are_not_commands() {
        for word in [
            "siapa", "tadi", "antara", "balai", "sama", "saya", "kami", "yang", "ini", "itu",
            "ada", "apa", "kapan", "belum", "tidak", "nggak", "jangan", "batal", "terima",
            "makasih", "halo", "selamat", "pagi", "siang", "sore", "malam", "oke", "baik", "iya",
            "bisa", "mau", "nanti", "besok", "hari", "warga", "surat", "data", "nama", "alamat",
            "masih", "lagi", "juga", "atau", "dan", "untuk", "dari", "karena", "kalau", "gimana",
            "susah", "bekas", "padi", "sampah", "dimana", "tanya", "kode",
        ] {
            assert_eq!(p(&format!("{word} KLP-1")), unknown(word), "{word}");
        }
        assert_eq!(p("siapa yang ambil KLP-1?"), unknown("siapa"));
    }

    #[test]
    fn a_code_alone_shows_it() {
        assert_eq!(p("KLP-0042"), Ok(Command::Show(req(42))));
        assert_eq!(p("#klp 42"), Ok(Command::Show(req(42))));
        assert_eq!(p("ADU-KLP-0001"), Ok(Command::Show(adu(1))));
        assert_eq!(p("adu1"), Ok(Command::Show(adu(1))));
        // Something after the code: not guessed.
        assert_eq!(p("KLP-0042 sudah siap"), unknown("klp-0042"));
        assert_eq!(p("KLP-0"), unknown("klp-0"));
        assert_eq!(p("SBR-0042"), unknown("sbr-0042"));
        assert_eq!(p("tiket KLP-0042"), unknown("tiket"));
    }

    #[test]
    fn sentences_are_not_commands() {
        // Quote-replies to residents that start with a command word.
        assert_eq!(p("Masuk kantor jam 8 ya bu"), unknown("masuk"));
        assert_eq!(p("Libur dulu ya bu, besok saya kabari"), unknown("libur"));
        assert_eq!(p("Siap bu, suratnya besok diantar"), unknown("siap"));
        assert_eq!(p("Lewat jam 3 suratnya sudah jadi"), unknown("lewat"));
        assert_eq!(p("Sudah diantar ya bu tadi siang"), unknown("sudah"));
        assert_eq!(
            p("Tolong kurang foto KK nya dikirim lagi"),
            unknown("kurang")
        );
        assert_eq!(p("aduan warga soal jalan rusak"), unknown("aduan"));
        // Short ones are still commands.
        assert_eq!(p("libur dulu ya"), Ok(Command::OffDuty));
        assert_eq!(
            p("siap bu"),
            Err(CommandError::MissingTicket { command: "siap" })
        );
        assert_eq!(
            p("antrian terlambat hari ini"),
            Ok(Command::Queue(QueueFilter::Overdue))
        );
        // A code makes it a command whatever follows.
        assert_eq!(
            p("Siap 42 sudah dicetak tinggal ditandatangani"),
            Ok(Command::Ready(req(42)))
        );
        assert_eq!(
            p("lihat 42 sudah sampai mana ya"),
            Ok(Command::Show(req(42)))
        );
    }

    #[test]
    fn buttons() {
        assert_eq!(
            parse_button("ofc:ambil:KLP-0042"),
            Some(Command::Take(req(42)))
        );
        assert_eq!(
            parse_button("ofc:lihat:KLP-0042"),
            Some(Command::Show(req(42)))
        );
        assert_eq!(
            parse_button("ofc:lihat:ADU-KLP-0001"),
            Some(Command::Show(adu(1)))
        );
        assert_eq!(
            parse_button("ofc:lampiran:KLP-0042"),
            Some(Command::Attachments(req(42)))
        );
        assert_eq!(
            parse_button("ofc:setuju:KLP-0042"),
            Some(Command::Approve(req(42)))
        );
        assert_eq!(
            parse_button("ofc:terkirim:KLP-0042"),
            Some(Command::Delivered(req(42)))
        );
        assert_eq!(
            parse_button("ofc:antar:KLP-0042"),
            Some(Command::Deliver {
                ticket: req(42),
                courier: None
            })
        );
        assert_eq!(
            parse_button("ofc:tutup:ADU-KLP-0001"),
            Some(Command::CloseComplaint {
                code: adu(1),
                note: None
            })
        );
        for id in [
            "",
            "ofc:",
            "ofc:ambil",
            "ofc:ambil:",
            "ofc:ambil:KLP-0",
            "ofc:ambil:42",
            "ofc:ambil:KLP 42",
            "ofc:ambil:ADU-KLP-0001",
            "ofc:tutup:KLP-0042",
            "ofc:tolak:KLP-0042",
            "ofc:balas:KLP-0042",
            "ofc:hapus:KLP-0042",
            "ofc:AMBIL:KLP-0042",
            "svc:ambil:KLP-0042",
            "ambil KLP-0042",
        ] {
            assert_eq!(parse_button(id), None, "{id}");
        }
    }

    #[test]
    fn button_ids_round_trip() {
        let commands = [
            Command::Show(req(42)),
            Command::Show(adu(3)),
            Command::Attachments(req(42)),
            Command::Attachments(adu(3)),
            Command::Take(req(42)),
            Command::Check(req(42)),
            Command::Process(req(42)),
            Command::Ready(req(42)),
            Command::Approve(req(42)),
            Command::Deliver {
                ticket: req(42),
                courier: None,
            },
            Command::Delivered(req(42)),
            Command::Collected(req(42)),
            Command::EndRelay(Some(req(42))),
            Command::CloseComplaint {
                code: adu(3),
                note: None,
            },
        ];
        for command in commands {
            let ticket = command.ticket().expect("has a ticket");
            let id = button_id(command.verb(), ticket);
            assert!(id.len() <= 256);
            assert_eq!(parse_button(&id), Some(command.clone()), "{id}");
            // A button id pasted as text works too.
            assert_eq!(p(&id), Ok(command), "{id}");
        }
        assert_eq!(button_id("ambil", &req(42)), "ofc:ambil:KLP-0042");
    }

    #[test]
    fn verbs_match_the_words_officers_type() {
        let commands = [
            Command::Help,
            Command::Queue(QueueFilter::New),
            Command::Overdue,
            Command::Show(req(1)),
            Command::Attachments(req(1)),
            Command::Take(req(1)),
            Command::Check(req(1)),
            Command::Process(req(1)),
            Command::NeedDocument {
                ticket: req(1),
                reason: "foto KK".into(),
            },
            Command::Ready(req(1)),
            Command::Approve(req(1)),
            Command::Deliver {
                ticket: req(1),
                courier: None,
            },
            Command::Delivered(req(1)),
            Command::Collected(req(1)),
            Command::Reject {
                ticket: req(1),
                reason: "dobel".into(),
            },
            Command::Reply {
                ticket: req(1),
                text: "halo".into(),
            },
            Command::EndRelay(Some(req(1))),
            Command::CloseComplaint {
                code: adu(1),
                note: Some("beres".into()),
            },
            Command::Complaints,
            Command::Deliveries,
            Command::Summary,
            Command::OffDuty,
            Command::OnDuty,
            Command::Personal,
        ];
        for command in commands {
            // The verb, typed with the command's arguments, gives the command back.
            let mut text = command.verb().to_string();
            if let Command::Queue(filter) = &command {
                text = format!("{text} {filter}");
            }
            if let Some(ticket) = command.ticket() {
                text = format!("{text} {ticket}");
            }
            match &command {
                Command::NeedDocument { reason, .. } | Command::Reject { reason, .. } => {
                    text = format!("{text} {reason}")
                }
                Command::Reply { text: t, .. } => text = format!("{text} {t}"),
                Command::CloseComplaint { note: Some(n), .. } => text = format!("{text} {n}"),
                _ => {}
            }
            assert_eq!(p(&text), Ok(command), "{text}");
        }
    }

    #[test]
    fn friendly_messages_are_indonesian_with_examples() {
        let errors = [
            CommandError::Empty,
            CommandError::Unknown {
                word: "halo".into(),
            },
            CommandError::MissingTicket { command: "ambil" },
            CommandError::MissingTicket { command: "tutup" },
            CommandError::MissingTicket { command: "balas" },
            CommandError::BadTicket {
                command: "ambil",
                input: "KLP-0".into(),
            },
            CommandError::MissingReason { command: "kurang" },
            CommandError::MissingReason { command: "tolak" },
            CommandError::MissingText { command: "balas" },
            CommandError::WrongKind { command: "ambil" },
            CommandError::WrongKind { command: "tutup" },
        ];
        for err in errors {
            let msg = err.friendly_message();
            assert!(msg.contains('*'), "{msg}");
            assert!(msg.len() < 400, "{msg}");
            assert!(!err.to_string().is_empty());
        }
        assert_eq!(
            CommandError::MissingTicket { command: "ambil" }.friendly_message(),
            "Kode permohonan belum ada. Contoh: *ambil KLP-0042*"
        );
        assert!(CommandError::MissingTicket { command: "tutup" }
            .friendly_message()
            .contains("ADU-KLP-0001"));
        assert!(CommandError::MissingReason { command: "tolak" }
            .friendly_message()
            .contains("*tolak KLP-0042 alasan"));
        assert!(CommandError::WrongKind { command: "tutup" }
            .friendly_message()
            .contains("aduan"));
        // Formatting characters in the unknown word cannot break the message.
        let msg = CommandError::Unknown {
            word: "*_~`".into(),
        }
        .friendly_message();
        assert!(!msg.contains("**"), "{msg}");
    }

    #[test]
    fn typo_distance() {
        let one = |a: &str, b: &str| {
            let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
            within_one_edit(&a, &b)
        };
        assert!(one("antrian", "antrian"));
        assert!(one("antrain", "antrian"));
        assert!(one("proses", "prosess"));
        assert!(one("terkrim", "terkirim"));
        assert!(one("ambil", "ambul"));
        assert!(one("ab", "ba"));
        assert!(!one("antri", "antar"));
        assert!(!one("abc", "cba"));
        assert!(!one("proses", "prsoess"));
        assert!(!one("a", "abc"));
    }

    #[test]
    fn free_text_and_courier_helpers() {
        assert_eq!(free_text("  : - alasan: x y ", &["alasan"]), "x y");
        assert_eq!(free_text("Alasannya - z", &["alasannya", "alasan"]), "z");
        assert_eq!(free_text("alasanku", &["alasan"]), "alasanku");
        assert_eq!(free_text("", &["alasan"]), "");
        assert_eq!(courier("oleh Pak Budi"), Some("Pak Budi".into()));
        assert_eq!(courier("Ya"), None);
        assert_eq!(courier(""), None);
        assert_eq!(split_glued("adu1"), Some(("adu", "1")));
        assert_eq!(split_glued("no.42"), Some(("no", "42")));
        assert_eq!(split_glued("klp42a"), None);
        assert_eq!(split_glued("42"), None);
    }

    #[test]
    fn non_ascii_text_is_safe() {
        assert_eq!(p("ambil KLP–0042"), Ok(Command::Take(req(42))));
        assert_eq!(
            p("balas 42 Terima kasih 🙏 ñ"),
            Ok(Command::Reply {
                ticket: req(42),
                text: "Terima kasih 🙏 ñ".into()
            })
        );
        assert_eq!(p("é 42"), unknown("é"));
        assert_eq!(p("ämbil 42"), Ok(Command::Take(req(42))));
    }
}
