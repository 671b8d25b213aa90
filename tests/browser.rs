//! The chat simulator page in a real browser: headless Chromium driven over W3C WebDriver by
//! Debian's chromedriver. Types "halo", opens the menu list, taps "Pengantar SKCK" and waits for
//! the bot's answer, all through the page's own JavaScript.
//!
//! Needs `/usr/bin/chromedriver` and `/usr/bin/chromium` (Debian: `apt-get install chromium
//! chromium-driver`); other paths via `KENTONGAN_CHROMEDRIVER` / `KENTONGAN_CHROMIUM`. Without
//! them the test fails with instructions, unless `KENTONGAN_BROWSER_TESTS=skip`. On failure a
//! screenshot is saved under `test-artifacts/`.

#[allow(dead_code, unused_imports, unused_macros)]
#[path = "api/helpers.rs"]
mod helpers;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context};
use serde_json::{json, Value};

use helpers::{spawn_app_with, Backend};

const WAIT: Duration = Duration::from_secs(20);
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";
const HOSTILE: &str = "\"><img src=x onerror=\"document.title='pwned'\">";

/// The browser and its driver, or `None` when `KENTONGAN_BROWSER_TESTS=skip` and they are missing.
fn browser_paths() -> Option<(PathBuf, PathBuf)> {
    let driver_path = env_path("KENTONGAN_CHROMEDRIVER", "/usr/bin/chromedriver");
    let chromium_path = env_path("KENTONGAN_CHROMIUM", "/usr/bin/chromium");
    if !driver_path.exists() || !chromium_path.exists() {
        if std::env::var("KENTONGAN_BROWSER_TESTS").as_deref() == Ok("skip") {
            eprintln!("KENTONGAN_BROWSER_TESTS=skip: browser test skipped");
            return None;
        }
        panic!(
            "the browser test needs {} and {}: install them with `apt-get install -y chromium \
             chromium-driver` (or point KENTONGAN_CHROMEDRIVER / KENTONGAN_CHROMIUM at them), \
             or set KENTONGAN_BROWSER_TESTS=skip",
            driver_path.display(),
            chromium_path.display()
        );
    }
    Some((driver_path, chromium_path))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simulator_page_halo_then_tap_a_list_row() {
    let Some((driver_path, chromium_path)) = browser_paths() else {
        return;
    };
    let app = spawn_app_with(Backend::Sqlite, &[("KENTONGAN_OUTBOX_WORKER", "on")])
        .await
        .expect("SQLite app");
    let driver = ChromeDriver::start(&driver_path)
        .await
        .expect("chromedriver starts");
    let browser = driver
        .new_session(&chromium_path)
        .await
        .expect("a headless Chromium session");

    let outcome = conversation(&browser, &app.url("/simulator")).await;
    if let Err(e) = &outcome {
        match browser
            .save_screenshot("browser-simulator-failure.png")
            .await
        {
            Ok(path) => eprintln!("screenshot of the failure: {}", path.display()),
            Err(shot) => eprintln!("no screenshot: {shot:#}"),
        }
        eprintln!("browser test failed: {e:#}");
    }
    browser.close().await;
    if let Err(e) = outcome {
        panic!("browser test failed: {e:#}");
    }
}

const OFFICER_NUMBER: &str = "6281300000001";
const OFFICER_PASSWORD: &str = "kata-sandi-desa-123";

/// The office dashboard in a real browser: log in, filter the queue, open a request filed over
/// WhatsApp by a resident with a hostile name, move it through its states, make and print its
/// letter. Screenshots of each page are saved under `test-artifacts/` (the README's come from
/// here); on failure, one of the page where it failed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_login_queue_request_and_letter() {
    let Some((driver_path, chromium_path)) = browser_paths() else {
        return;
    };
    let app = spawn_app_with(Backend::Sqlite, &[])
        .await
        .expect("SQLite app");
    let officer = app
        .store
        .add_officer(
            "kaliploso",
            "Sari Wulandari",
            OFFICER_NUMBER,
            &["operator", "kades"],
        )
        .await
        .expect("officer");
    let hash = kentongan::dashboard::auth::hash_password(OFFICER_PASSWORD).expect("hash");
    app.store
        .set_officer_password(officer, &hash)
        .await
        .expect("password");
    app.store
        .add_officer("kaliploso", "Pak Darto", "6281300000004", &["kurir"])
        .await
        .expect("courier");
    file_request(&app, "6281230000301", HOSTILE).await;
    file_request(&app, "6281230000302", "Budi Santoso").await;

    let driver = ChromeDriver::start(&driver_path)
        .await
        .expect("chromedriver starts");
    let browser = driver
        .new_session(&chromium_path)
        .await
        .expect("a headless Chromium session");
    let outcome = dashboard(&browser, &app).await;
    if let Err(e) = &outcome {
        match browser
            .save_screenshot("browser-dashboard-failure.png")
            .await
        {
            Ok(path) => eprintln!("screenshot of the failure: {}", path.display()),
            Err(shot) => eprintln!("no screenshot: {shot:#}"),
        }
        eprintln!("browser test failed: {e:#}");
    }
    browser.close().await;
    if let Err(e) = outcome {
        panic!("browser test failed: {e:#}");
    }
}

/// A resident files a loss letter request over the (signed) webhook.
async fn file_request(app: &helpers::TestApp, from: &str, name: &str) {
    let mut n = 0;
    let mut post = |message: Value| {
        n += 1;
        let mut message = message;
        message["from"] = json!(from);
        message["id"] = json!(format!("wamid.browser.{from}.{n}"));
        message["timestamp"] = json!("1764300000");
        let body = json!({
            "object": "whatsapp_business_account",
            "entry": [{"id": "WABA", "changes": [{"field": "messages", "value": {
                "messaging_product": "whatsapp",
                "metadata": {"display_phone_number": "6281200000000", "phone_number_id": helpers::KALIPLOSO_NUMBER},
                "contacts": [{"profile": {"name": "Warga"}, "wa_id": from}],
                "messages": [message]
            }}]}]
        })
        .to_string();
        async move {
            let r = app.post_webhook(body).await;
            assert_eq!(r.status(), 200);
        }
    };
    let text = |t: &str| json!({"type": "text", "text": {"body": t}});
    let tap = |id: &str| json!({"type": "interactive", "interactive": {"type": "button_reply", "button_reply": {"id": id, "title": id}}});
    post(text("mau buat surat kehilangan")).await;
    post(text("3510061505900001")).await;
    post(text(name)).await;
    post(text("dompet dan STNK")).await;
    post(text("20-11-2026")).await;
    post(text("pasar Cluring")).await;
    post(tap("doc:later")).await;
    post(tap("confirm:send")).await;
}

async fn dashboard(browser: &Session, app: &helpers::TestApp) -> anyhow::Result<()> {
    browser.set_window(1280, 900).await?;
    browser.navigate(&app.url("/dasbor")).await?;
    // Not logged in: the login page.
    let login = browser.wait_for_element("input[name='login']").await?;
    browser.send_keys(&login, "0813-0000-0001").await?;
    let password = browser.wait_for_element("input[name='password']").await?;
    browser.send_keys(&password, OFFICER_PASSWORD).await?;
    browser
        .click(&browser.wait_for_element("button[type='submit']").await?)
        .await?;
    browser.wait_for_text("#antrian", 0, "KLP-0002").await?;
    browser.wait_for_text("#antrian", 0, "KLP-0001").await?;
    browser.save_screenshot("dashboard-antrian.png").await?;

    // Filter: search by name finds only Budi's request.
    let search = browser.wait_for_element("input[name='q']").await?;
    browser.send_keys(&search, "budi").await?;
    browser
        .click(&browser.wait_for_element("form.filters button").await?)
        .await?;
    browser.wait_for_text("#antrian", 0, "KLP-0002").await?;
    if !browser
        .find_all("#antrian a[href='/dasbor/permohonan/KLP-0001']")
        .await?
        .is_empty()
    {
        bail!("the search for budi still lists KLP-0001");
    }

    // The hostile name is text on the request page, never markup.
    browser
        .navigate(&app.url("/dasbor/permohonan/KLP-0001"))
        .await?;
    browser.wait_for_text("h1", 0, "KLP-0001").await?;
    if !browser.find_all("img[src='x']").await?.is_empty() {
        bail!("a resident's name became an <img> element");
    }

    // Budi's request through its states, as the office would.
    browser.navigate(&app.url("/dasbor?q=budi")).await?;
    browser
        .click(
            &browser
                .wait_for_element("#antrian a[href='/dasbor/permohonan/KLP-0002']")
                .await?,
        )
        .await?;
    for (verb, expect) in [
        ("ambil", "Anda pegang"),
        ("proses", "Sedang dibuat"),
        ("siap", "Menunggu tanda tangan"),
        ("setuju", "disetujui"),
    ] {
        browser
            .click(
                &browser
                    .wait_for_element(&format!("button[value='{verb}']"))
                    .await?,
            )
            .await?;
        browser.wait_for_text("#pesan", 0, expect).await?;
    }
    browser.wait_for_text("#status", 0, "Siap diantar").await?;
    browser
        .wait_for_text("#riwayat", 0, "Menunggu tanda tangan")
        .await?;
    browser.save_screenshot("dashboard-permohonan.png").await?;

    // The letter: checked, numbered, printed.
    browser
        .click(&browser.wait_for_element("a#surat").await?)
        .await?;
    browser
        .click(
            &browser
                .wait_for_element("#isi-surat button[type='submit']")
                .await?,
        )
        .await?;
    browser
        .wait_for_text(".nomor", 0, "Nomor : 331/001/35.10.06.2009/")
        .await?;
    browser.wait_for_text(".sheet", 0, "Budi Santoso").await?;
    browser.save_screenshot("dashboard-surat.png").await?;

    // On a phone: the queue, and the monthly report renders its charts.
    browser.set_window(412, 915).await?;
    browser.navigate(&app.url("/dasbor")).await?;
    browser.wait_for_text("#antrian", 0, "KLP-0002").await?;
    browser.save_screenshot("dashboard-antrian-hp.png").await?;
    browser.set_window(1280, 900).await?;
    browser.navigate(&app.url("/dasbor/laporan")).await?;
    browser.wait_for_element("svg").await?;
    browser.save_screenshot("dashboard-laporan.png").await?;
    Ok(())
}

/// The scenario, step by step; any error ends it (and the caller takes a screenshot).
async fn conversation(browser: &Session, url: &str) -> anyhow::Result<()> {
    browser.navigate(url).await?;
    let text = browser.wait_for_element("#text").await?;
    browser.send_keys(&text, "halo").await?;
    browser
        .click(&browser.wait_for_element("#send").await?)
        .await?;

    // The welcome text, then the menu as a list button under the bubble.
    browser
        .wait_for_text(".msg.bot .bubble", 0, "Selamat datang")
        .await?;
    let open = browser.wait_for_element(".msg.bot .list-open").await?;
    let bot_bubbles = browser.find_all(".msg.bot .bubble").await?.len();
    browser.click(&open).await?;
    let row = browser
        .wait_for_element("#sheet .row[data-id='svc:skck']")
        .await?;
    let row_text = browser.text(&row).await?;
    if !row_text.contains("Pengantar SKCK") {
        bail!("the skck row reads {row_text:?}");
    }
    browser.click(&row).await?;

    // The tap shows as the resident's bubble, and the bot answers about the SKCK letter in a
    // bubble after those seen before the tap (the menu itself mentions "Pengantar SKCK").
    browser
        .wait_for_text(".msg.me .bubble", 0, "Pengantar SKCK")
        .await?;
    browser
        .wait_for_text(".msg.bot .bubble", bot_bubbles, "Pengantar SKCK")
        .await?;

    // Markup typed by a resident is shown as text and never becomes an element.
    let text = browser.wait_for_element("#text").await?;
    browser.send_keys(&text, HOSTILE).await?;
    browser
        .click(&browser.wait_for_element("#send").await?)
        .await?;
    browser
        .wait_for_text(".msg.me .bubble", 0, "onerror=")
        .await?;
    if !browser.find_all("img[src='x']").await?.is_empty() {
        bail!("a resident's text became an <img> element");
    }
    Ok(())
}

fn env_path(var: &str, default: &str) -> PathBuf {
    std::env::var_os(var)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(default))
}

/// A chromedriver process on a free port; killed when dropped.
struct ChromeDriver {
    child: Child,
    url: String,
    http: reqwest::Client,
}

impl ChromeDriver {
    async fn start(path: &Path) -> anyhow::Result<Self> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let child = Command::new(path)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {}", path.display()))?;
        let driver = ChromeDriver {
            child,
            url: format!("http://127.0.0.1:{port}"),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .build()?,
        };
        let deadline = Instant::now() + WAIT;
        loop {
            let ready = driver
                .http
                .get(format!("{}/status", driver.url))
                .send()
                .await
                .ok()
                .map(|r| r.json::<Value>());
            if let Some(status) = ready {
                if status
                    .await
                    .ok()
                    .and_then(|s| s["value"]["ready"].as_bool())
                    == Some(true)
                {
                    return Ok(driver);
                }
            }
            if Instant::now() > deadline {
                bail!("chromedriver did not become ready on port {port}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn new_session(&self, chromium: &Path) -> anyhow::Result<Session> {
        let profile = std::env::temp_dir().join(format!(
            "kentongan-chromium-{}-{:016x}",
            std::process::id(),
            rand::random::<u64>()
        ));
        let args = [
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--window-size=412,915",
        ]
        .iter()
        .map(|a| a.to_string())
        .chain([format!("--user-data-dir={}", profile.display())])
        .collect::<Vec<_>>();
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": chromium, "args": args},
        }}});
        let value = call(
            &self.http,
            reqwest::Method::POST,
            &format!("{}/session", self.url),
            Some(capabilities),
        )
        .await?;
        let id = value["sessionId"]
            .as_str()
            .ok_or_else(|| anyhow!("no session id in {value}"))?;
        Ok(Session {
            base: format!("{}/session/{id}", self.url),
            http: self.http.clone(),
            profile,
        })
    }
}

impl Drop for ChromeDriver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One W3C WebDriver command; returns its `value` or the driver's error.
async fn call(
    http: &reqwest::Client,
    method: reqwest::Method,
    url: &str,
    body: Option<Value>,
) -> anyhow::Result<Value> {
    let mut request = http.request(method.clone(), url);
    if let Some(body) = body {
        request = request.json(&body);
    } else if method == reqwest::Method::POST {
        request = request.json(&json!({}));
    }
    let response = request
        .send()
        .await
        .with_context(|| format!("{method} {url}"))?;
    let status = response.status();
    let body: Value = response.json().await.context("WebDriver answer")?;
    if !status.is_success() {
        bail!(
            "{method} {url}: HTTP {status}: {} {}",
            body["value"]["error"],
            body["value"]["message"]
        );
    }
    Ok(body["value"].clone())
}

struct Session {
    base: String,
    http: reqwest::Client,
    profile: PathBuf,
}

type Element = String;

impl Session {
    async fn cmd(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> anyhow::Result<Value> {
        call(&self.http, method, &format!("{}{path}", self.base), body).await
    }

    async fn set_window(&self, width: u32, height: u32) -> anyhow::Result<()> {
        self.cmd(
            reqwest::Method::POST,
            "/window/rect",
            Some(json!({ "width": width, "height": height })),
        )
        .await
        .map(drop)
    }

    async fn navigate(&self, url: &str) -> anyhow::Result<()> {
        self.cmd(reqwest::Method::POST, "/url", Some(json!({ "url": url })))
            .await
            .map(drop)
    }

    async fn find_all(&self, css: &str) -> anyhow::Result<Vec<Element>> {
        let found = self
            .cmd(
                reqwest::Method::POST,
                "/elements",
                Some(json!({"using": "css selector", "value": css})),
            )
            .await?;
        Ok(found
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|e| e[ELEMENT_KEY].as_str().map(String::from))
            .collect())
    }

    /// The first element matching `css`, waiting for it to appear and be displayed.
    async fn wait_for_element(&self, css: &str) -> anyhow::Result<Element> {
        let deadline = Instant::now() + WAIT;
        loop {
            for element in self.find_all(css).await? {
                let shown = self
                    .cmd(
                        reqwest::Method::GET,
                        &format!("/element/{element}/displayed"),
                        None,
                    )
                    .await
                    .ok()
                    .and_then(|v| v.as_bool());
                if shown == Some(true) {
                    return Ok(element);
                }
            }
            if Instant::now() > deadline {
                bail!("no visible element {css:?} after {} s", WAIT.as_secs());
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Wait until an element matching `css`, at position `from` or later, contains `needle`.
    async fn wait_for_text(&self, css: &str, from: usize, needle: &str) -> anyhow::Result<()> {
        let deadline = Instant::now() + WAIT;
        let mut last = Vec::new();
        loop {
            last.clear();
            for element in self.find_all(css).await?.into_iter().skip(from) {
                // An element replaced while we read it is simply read again next round.
                if let Ok(text) = self.text(&element).await {
                    if text.contains(needle) {
                        return Ok(());
                    }
                    last.push(text);
                }
            }
            if Instant::now() > deadline {
                bail!("no {css:?} (from #{from}) containing {needle:?}; saw {last:?}");
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    async fn text(&self, element: &Element) -> anyhow::Result<String> {
        let v = self
            .cmd(
                reqwest::Method::GET,
                &format!("/element/{element}/text"),
                None,
            )
            .await?;
        Ok(v.as_str().unwrap_or_default().to_string())
    }

    async fn send_keys(&self, element: &Element, text: &str) -> anyhow::Result<()> {
        self.cmd(
            reqwest::Method::POST,
            &format!("/element/{element}/value"),
            Some(json!({ "text": text })),
        )
        .await
        .map(drop)
    }

    async fn click(&self, element: &Element) -> anyhow::Result<()> {
        self.cmd(
            reqwest::Method::POST,
            &format!("/element/{element}/click"),
            None,
        )
        .await
        .map(drop)
    }

    /// Save a PNG screenshot under `test-artifacts/`; returns its path.
    async fn save_screenshot(&self, name: &str) -> anyhow::Result<PathBuf> {
        let encoded = self.cmd(reqwest::Method::GET, "/screenshot", None).await?;
        let png = base64_decode(encoded.as_str().unwrap_or_default())
            .ok_or_else(|| anyhow!("screenshot is not base64"))?;
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("test-artifacts");
        std::fs::create_dir_all(&dir)?;
        let path = dir.join(name);
        std::fs::write(&path, png)?;
        Ok(path)
    }

    async fn close(&self) {
        let _ = self.cmd(reqwest::Method::DELETE, "", None).await;
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// Standard base64 (WebDriver screenshots), without a dependency for one call.
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0;
    for c in text.bytes().filter(|c| !c.is_ascii_whitespace()) {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => break,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Some(out)
}

#[test]
fn base64_round_trip() {
    assert_eq!(base64_decode("aGFsbw==").as_deref(), Some(&b"halo"[..]));
    assert_eq!(
        base64_decode("iVBORw0K").as_deref(),
        Some(&b"\x89PNG\r\n"[..])
    );
    assert_eq!(base64_decode("a*b"), None);
}
