//! `kentongan simulate`: the chat simulator in the terminal, against a running server in
//! sandbox mode. Lines typed are sent as the resident's messages; the bot's replies are printed,
//! buttons and list rows numbered so that `/1` taps the first option of the last one.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{bail, Context};
use serde_json::{json, Value};

use super::{Conversation, SendResult, SessionInfo, TOKEN_HEADER};

/// Command-line options of `kentongan simulate`.
#[derive(Debug, Clone)]
pub struct Options {
    /// Base URL of the running server, e.g. `http://127.0.0.1:8080`.
    pub url: String,
    pub number: Option<String>,
    pub name: Option<String>,
    /// Village id; the first configured village when absent.
    pub village: Option<String>,
}

/// One tappable option of the bot's last interactive message.
#[derive(Debug, Clone, PartialEq)]
struct Choice {
    kind: &'static str,
    id: String,
    title: String,
    /// The wamid of the bot's message it belongs to.
    context: String,
}

const HELP: &str = "Ketik pesan lalu Enter. /1, /2, … memilih tombol atau baris daftar terakhir; \
                    /foto berkas.jpg [keterangan] mengirim foto; /keluar untuk berhenti.";

struct Client {
    http: reqwest::Client,
    base: String,
    token: String,
    village: String,
    number: String,
    name: String,
}

/// Run the simulator until `/keluar` or the end of standard input.
pub async fn run(options: Options) -> anyhow::Result<()> {
    let base = options.url.trim_end_matches('/').to_string();
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .context("building the HTTP client")?;
    let response = http
        .get(format!("{base}/simulator/api/session"))
        .send()
        .await
        .with_context(|| format!("cannot reach {base}: is `kentongan serve` running there?"))?;
    match response.status().as_u16() {
        200 => {}
        404 => bail!(
            "{base} serves no simulator: the server is not in sandbox mode (WHATSAPP_ACCESS_TOKEN is set)"
        ),
        403 => bail!("{base} gives the simulator session only to callers on the same machine"),
        other => bail!("{base}/simulator/api/session answered HTTP {other}"),
    }
    let session: SessionInfo = response
        .json()
        .await
        .context("reading the simulator session")?;
    let village = match &options.village {
        Some(id) => session
            .villages
            .iter()
            .find(|v| &v.id == id)
            .with_context(|| {
                let known: Vec<&str> = session.villages.iter().map(|v| v.id.as_str()).collect();
                format!(
                    "village {id:?} is not configured (known: {})",
                    known.join(", ")
                )
            })?,
        None => session
            .villages
            .first()
            .context("the server has no village configured")?,
    };
    let number = match &options.number {
        Some(n) => crate::domain::WaId::parse(n)
            .map_err(|e| anyhow::anyhow!("number {n:?}: {e}"))?
            .as_str()
            .to_string(),
        None => random_number(),
    };
    let client = Arc::new(Client {
        http,
        base,
        token: session.token,
        village: village.id.clone(),
        number,
        name: options
            .name
            .clone()
            .unwrap_or_else(|| "Warga Simulator".into()),
    });
    println!(
        "Simulator Kentongan — {} — sebagai {} ({})\n{HELP}",
        village.name, client.name, client.number
    );

    // Start after what is already there, so an earlier conversation is not replayed.
    let start = client.poll(0, 0).await?.after;
    let choices: Arc<Mutex<Vec<Choice>>> = Arc::default();
    // The sequence number of the bot's last message, so that each line waits for its answers.
    let (last_tx, mut last_rx) = tokio::sync::watch::channel(start);
    let printer = {
        let client = client.clone();
        let choices = choices.clone();
        let village_name = village.name.clone();
        tokio::spawn(async move {
            let mut after = start;
            loop {
                match client.poll(after, 5).await {
                    Ok(conversation) => {
                        for message in &conversation.messages {
                            if print_entry(message, &village_name, &choices) {
                                let _ = last_tx.send(message["seq"].as_u64().unwrap_or(after));
                            }
                        }
                        after = conversation.after;
                    }
                    Err(e) => {
                        eprintln!("(gagal mengambil balasan: {e:#})");
                        tokio::time::sleep(Duration::from_secs(2)).await;
                    }
                }
            }
        })
    };

    let mut lines = stdin_lines();
    while let Some(line) = lines.recv().await {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if line == "/keluar" {
            printer.abort();
            return Ok(());
        }
        let result = if line == "/bantuan" || line == "/help" {
            println!("{HELP}");
            Ok(None)
        } else if let Some(rest) = line.strip_prefix("/foto") {
            client.photo(rest.trim()).await
        } else if let Some(n) = line.strip_prefix('/').and_then(|n| n.parse::<usize>().ok()) {
            let choice = choices
                .lock()
                .ok()
                .and_then(|c| n.checked_sub(1).and_then(|i| c.get(i).cloned()));
            match choice {
                Some(choice) => client.tap(&choice).await,
                None => {
                    println!("(tidak ada pilihan nomor {n} pada pesan terakhir)");
                    Ok(None)
                }
            }
        } else {
            client.text(line).await
        };
        match result {
            Ok(Some(seq)) => wait_for_answers(&mut last_rx, seq).await,
            Ok(None) => {}
            Err(e) => println!("(gagal: {e:#})"),
        }
    }
    printer.abort();
    Ok(())
}

/// Hold the next line until the bot has answered message `seq` and then been quiet for a
/// moment (at most 15 s): a typed `/1` then means an option of the answer, also when the lines
/// come from a script.
async fn wait_for_answers(last: &mut tokio::sync::watch::Receiver<u64>, seq: u64) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while tokio::time::Instant::now() < deadline {
        match tokio::time::timeout(Duration::from_millis(1500), last.changed()).await {
            Ok(Ok(())) => {}
            Ok(Err(_)) => return,
            Err(_) if *last.borrow() > seq => return,
            Err(_) => {}
        }
    }
}

impl Client {
    async fn poll(&self, after: u64, wait: u64) -> anyhow::Result<Conversation> {
        let response = self
            .http
            .get(format!("{}/simulator/api/messages", self.base))
            .header(TOKEN_HEADER, &self.token)
            .query(&[
                ("number", self.number.as_str()),
                ("village", self.village.as_str()),
                ("after", &after.to_string()),
                ("wait", &wait.to_string()),
            ])
            .send()
            .await?;
        answer(response).await?.json().await.map_err(Into::into)
    }

    fn resident(&self) -> Value {
        json!({ "village": self.village, "number": self.number, "name": self.name })
    }

    /// Post as the resident; returns the message's sequence number.
    async fn post_json(&self, path: &str, body: Value) -> anyhow::Result<Option<u64>> {
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .header(TOKEN_HEADER, &self.token)
            .json(&body)
            .send()
            .await?;
        let sent: SendResult = answer(response).await?.json().await?;
        Ok(Some(sent.seq))
    }

    async fn text(&self, text: &str) -> anyhow::Result<Option<u64>> {
        let mut body = self.resident();
        body["text"] = json!(text);
        self.post_json("/simulator/api/send", body).await
    }

    async fn tap(&self, choice: &Choice) -> anyhow::Result<Option<u64>> {
        println!("» {}", choice.title);
        let mut body = self.resident();
        body["id"] = json!(choice.id);
        body["title"] = json!(choice.title);
        body["kind"] = json!(choice.kind);
        body["context"] = json!(choice.context);
        self.post_json("/simulator/api/reply", body).await
    }

    async fn photo(&self, args: &str) -> anyhow::Result<Option<u64>> {
        let (path, caption) = args.split_once(' ').unwrap_or((args, ""));
        if path.is_empty() {
            bail!("tulis /foto nama-berkas.jpg [keterangan]");
        }
        let mime = match path.rsplit('.').next().map(str::to_ascii_lowercase) {
            Some(ext) if ext == "jpg" || ext == "jpeg" => "image/jpeg",
            Some(ext) if ext == "png" => "image/png",
            _ => bail!("hanya foto .jpg, .jpeg atau .png"),
        };
        let bytes = tokio::fs::read(path)
            .await
            .with_context(|| format!("membaca {path}"))?;
        let response = self
            .http
            .post(format!("{}/simulator/api/photo", self.base))
            .query(&[
                ("village", self.village.as_str()),
                ("number", self.number.as_str()),
                ("name", self.name.as_str()),
                ("caption", caption.trim()),
            ])
            .header(TOKEN_HEADER, &self.token)
            .header("content-type", mime)
            .body(bytes)
            .send()
            .await?;
        let sent: SendResult = answer(response).await?.json().await?;
        Ok(Some(sent.seq))
    }
}

/// The response when it is a success; otherwise an error carrying the server's message.
async fn answer(response: reqwest::Response) -> anyhow::Result<reqwest::Response> {
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    let body: Value = response.json().await.unwrap_or(Value::Null);
    let message = body["error"].as_str().unwrap_or("tanpa keterangan");
    bail!("HTTP {}: {message}", status.as_u16())
}

/// Standard input, line by line, read on its own thread (a terminal read cannot be cancelled).
fn stdin_lines() -> tokio::sync::mpsc::UnboundedReceiver<String> {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::stdin().lock().lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

fn random_number() -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    format!("62812{:08}", rng.random_range(0..100_000_000u32))
}

/// Print one conversation entry if it is a bot message (then true); an interactive message
/// replaces the current choices.
fn print_entry(entry: &Value, village: &str, choices: &Mutex<Vec<Choice>>) -> bool {
    if entry["direction"] != "out" || entry["event"] != "message" {
        return false;
    }
    let (text, new_choices) = render_outbound(&entry["request"], entry["wamid"].as_str());
    println!("\n{village}:\n{text}");
    if !new_choices.is_empty() {
        if let Ok(mut c) = choices.lock() {
            *c = new_choices;
        }
    }
    let _ = std::io::stdout().flush();
    true
}

/// A bot message as terminal text, with its numbered options.
fn render_outbound(request: &Value, wamid: Option<&str>) -> (String, Vec<Choice>) {
    let context = wamid.unwrap_or_default().to_string();
    let str_of = |v: &Value| v.as_str().unwrap_or_default().to_string();
    let mut choices = Vec::new();
    let kind = request["type"].as_str().unwrap_or_default();
    let mut out = String::new();
    match kind {
        "text" => out.push_str(&str_of(&request["text"]["body"])),
        "interactive" => {
            let i = &request["interactive"];
            if let Some(h) = i["header"]["text"].as_str() {
                out.push_str(&format!("*{h}*\n"));
            }
            out.push_str(&str_of(&i["body"]["text"]));
            if let Some(f) = i["footer"]["text"].as_str() {
                out.push_str(&format!("\n_{f}_"));
            }
            if i["type"] == "button" {
                let titles: Vec<String> = i["action"]["buttons"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|b| {
                        choices.push(Choice {
                            kind: "button",
                            id: str_of(&b["reply"]["id"]),
                            title: str_of(&b["reply"]["title"]),
                            context: context.clone(),
                        });
                        format!("[{}] {}", choices.len(), str_of(&b["reply"]["title"]))
                    })
                    .collect();
                out.push_str(&format!("\n{}", titles.join("  ")));
            } else {
                out.push_str(&format!("\n— {} —", str_of(&i["action"]["button"])));
                for section in i["action"]["sections"].as_array().into_iter().flatten() {
                    if let Some(t) = section["title"].as_str() {
                        out.push_str(&format!("\n  {t}"));
                    }
                    for row in section["rows"].as_array().into_iter().flatten() {
                        choices.push(Choice {
                            kind: "list",
                            id: str_of(&row["id"]),
                            title: str_of(&row["title"]),
                            context: context.clone(),
                        });
                        out.push_str(&format!("\n[{}] {}", choices.len(), str_of(&row["title"])));
                        if let Some(d) = row["description"].as_str() {
                            out.push_str(&format!(" — {d}"));
                        }
                    }
                }
            }
        }
        "template" => {
            let params: Vec<String> = request["template"]["components"][0]["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|p| str_of(&p["text"]))
                .collect();
            out.push_str(&format!(
                "[templat {}] {}",
                str_of(&request["template"]["name"]),
                params.join(" | ")
            ));
        }
        "image" | "document" | "audio" | "video" => {
            let label = match kind {
                "image" => "gambar",
                "document" => "dokumen",
                "audio" => "suara",
                _ => "video",
            };
            out.push_str(&format!("[{label}] {}", str_of(&request[kind]["caption"])));
        }
        other => out.push_str(&format!("[pesan {other}]")),
    }
    (out, choices)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outbound::{Button, ListRow, ListSection, OutboundBody};

    #[test]
    fn buttons_are_numbered_on_one_line() {
        let body = OutboundBody::Buttons {
            body: "Kirim permohonan?".into(),
            buttons: ["Kirim", "Ubah", "Batal"]
                .iter()
                .map(|t| Button {
                    id: format!("confirm:{}", t.to_lowercase()),
                    title: t.to_string(),
                })
                .collect(),
            header: None,
            footer: None,
        };
        let (text, choices) = render_outbound(&body.to_request("62812", None), Some("w1"));
        assert_eq!(text, "Kirim permohonan?\n[1] Kirim  [2] Ubah  [3] Batal");
        assert_eq!(choices[2].id, "confirm:batal");
        assert_eq!(choices[2].kind, "button");
        assert_eq!(choices[2].context, "w1");
    }

    #[test]
    fn list_rows_are_numbered_with_descriptions() {
        let body = OutboundBody::List {
            body: "Pilih layanan".into(),
            button: "Pilih layanan".into(),
            sections: vec![ListSection {
                title: None,
                rows: vec![ListRow {
                    id: "svc:skck".into(),
                    title: "Pengantar SKCK".into(),
                    description: Some("Ke Polsek".into()),
                }],
            }],
            header: None,
            footer: None,
        };
        let (text, choices) = render_outbound(&body.to_request("62812", None), None);
        assert!(text.ends_with("[1] Pengantar SKCK — Ke Polsek"), "{text}");
        assert_eq!(choices[0].kind, "list");
        assert_eq!(choices[0].id, "svc:skck");
    }

    #[test]
    fn random_numbers_look_indonesian() {
        let n = random_number();
        assert_eq!(n.len(), 13);
        assert!(n.starts_with("62812"));
        assert!(crate::domain::WaId::parse(&n).is_ok());
    }
}
