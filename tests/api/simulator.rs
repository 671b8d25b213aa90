//! The sandbox chat simulator, through HTTP: what it posts goes through the signed webhook, the
//! dialogue and the background outbox worker into the sandbox, and back out of its messages API.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::helpers::*;

const RESIDENT: &str = "6281299990001";
const HOSTILE_TEXT: &str = "<script>alert(1)</script>";
const HOSTILE_NAME: &str = "\"><img src=x onerror=alert(1)>";
/// The smallest thing that starts like a JPEG.
const JPEG: &[u8] = &[
    0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0x00,
];

/// Like `both_backends!`, with the background outbox worker on (the simulator shows what the
/// worker delivered to the sandbox).
macro_rules! with_worker_on_both_backends {
    ($(async fn $name:ident($app:ident) $body:block)*) => {
        $(
            mod $name {
                #[allow(unused_imports)]
                use super::*;
                async fn run($app: TestApp) $body

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    if let Some(app) = spawn_app_with(Backend::Sqlite, WORKER_ON).await {
                        run(app).await
                    }
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    if let Some(app) = spawn_app_with(Backend::Postgres, WORKER_ON).await {
                        run(app).await
                    }
                }
            }
        )*
    };
}

const WORKER_ON: &[(&str, &str)] = &[("KENTONGAN_OUTBOX_WORKER", "on")];

/// The anti-CSRF token, read from the page the way a browser gets it.
async fn page_token(app: &TestApp) -> String {
    let page = app.get("/simulator").await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("page text");
    let marker = "name=\"simulator-token\" content=\"";
    let start = html.find(marker).expect("token in the page") + marker.len();
    let len = html[start..].find('"').expect("end of token");
    html[start..start + len].to_string()
}

async fn post(app: &TestApp, path: &str, token: Option<&str>, body: Value) -> reqwest::Response {
    let mut req = app.client.post(app.url(path)).json(&body);
    if let Some(token) = token {
        req = req.header("x-simulator-token", token);
    }
    req.send().await.expect("request sent")
}

fn resident(extra: Value) -> Value {
    let mut body = json!({"village": "kaliploso", "number": RESIDENT, "name": "Bu Siti"});
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    body
}

/// GET a simulator API path with the page's token.
async fn get_with_token(app: &TestApp, path: &str) -> reqwest::Response {
    let token = page_token(app).await;
    app.client
        .get(app.url(path))
        .header("x-simulator-token", token)
        .send()
        .await
        .expect("request sent")
}

async fn conversation(app: &TestApp, after: u64, wait: u64) -> Value {
    get_with_token(
        app,
        &format!(
            "/simulator/api/messages?number={RESIDENT}&village=kaliploso&after={after}&wait={wait}"
        ),
    )
    .await
    .json()
    .await
    .expect("conversation json")
}

/// Long-poll the conversation until a message satisfies `done`; returns everything seen.
async fn wait_for(app: &TestApp, done: impl Fn(&Value) -> bool) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut after = 0;
    let mut seen = Vec::new();
    while Instant::now() < deadline {
        let c = conversation(app, after, 2).await;
        after = c["after"].as_u64().expect("after");
        for m in c["messages"].as_array().expect("messages") {
            seen.push(m.clone());
        }
        if seen.iter().any(&done) {
            return seen;
        }
    }
    panic!("the expected message never came; seen: {seen:#?}");
}

fn bot_text(m: &Value) -> String {
    let r = &m["request"];
    [&r["text"]["body"], &r["interactive"]["body"]["text"]]
        .iter()
        .filter_map(|v| v.as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

fn list_row_ids(m: &Value) -> Vec<String> {
    m["request"]["interactive"]["action"]["sections"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|s| s["rows"].as_array().cloned().unwrap_or_default())
        .filter_map(|r| r["id"].as_str().map(String::from))
        .collect()
}

with_worker_on_both_backends! {
    async fn halo_then_tapping_skck_goes_through_the_webhook_and_the_outbox(app) {
        let token = page_token(&app).await;
        let sent = post(&app, "/simulator/api/send", Some(&token), resident(json!({"text": "halo"}))).await;
        assert_eq!(sent.status(), 200);
        let sent: Value = sent.json().await.expect("send json");
        assert_eq!(sent["webhook_status"], 200);
        let wamid = sent["wamid"].as_str().expect("wamid").to_string();

        let seen = wait_for(&app, |m| list_row_ids(m).iter().any(|id| id == "svc:skck")).await;
        assert_eq!(seen[0]["direction"], "in", "the resident's message comes first: {seen:#?}");
        assert_eq!(seen[0]["message"]["text"]["body"], "halo");
        assert_eq!(seen[0]["wamid"], wamid.as_str());
        assert!(seen.iter().any(|m| bot_text(m).contains("Selamat datang")), "{seen:#?}");
        assert!(seen.iter().any(|m| m["event"] == "read"), "a read receipt with typing indicator");
        assert!(seen.windows(2).all(|w| w[0]["seq"].as_u64() < w[1]["seq"].as_u64()));
        // The real intake stored it, with the profile name.
        let stored = app.store.inbound_by_wamid("kaliploso", &wamid).await.expect("query").expect("stored");
        assert_eq!(stored.kind, "text");
        assert_eq!(stored.body.as_deref(), Some("halo"));

        let menu = seen.iter().rev().find(|m| !list_row_ids(m).is_empty()).expect("menu");
        let tapped = post(&app, "/simulator/api/reply", Some(&token), resident(json!({
            "id": "svc:skck", "title": "Pengantar SKCK", "kind": "list", "context": menu["wamid"],
        }))).await;
        assert_eq!(tapped.status(), 200);
        let tapped: Value = tapped.json().await.expect("reply json");
        let after = tapped["seq"].as_u64().expect("seq");
        let seen = wait_for(&app, |m| {
            m["direction"] == "out" && m["seq"].as_u64() > Some(after) && bot_text(m).contains("Pengantar SKCK")
        }).await;
        assert!(!seen.is_empty());
        let reply = app.store.inbound_by_wamid("kaliploso", tapped["wamid"].as_str().expect("wamid"))
            .await.expect("query").expect("stored");
        assert_eq!(reply.kind, "interactive");
        assert_eq!(reply.reply_id.as_deref(), Some("svc:skck"));
        assert_eq!(reply.context_wamid.as_deref(), menu["wamid"].as_str());
    }

    async fn a_photo_is_kept_in_the_sandbox_and_stored_as_an_image_message(app) {
        let token = page_token(&app).await;
        let url = app.url(&format!(
            "/simulator/api/photo?village=kaliploso&number={RESIDENT}&name=Bu%20Siti&caption=KTP%20saya"
        ));
        let sent = app.client.post(&url).header("x-simulator-token", &token)
            .header("content-type", "image/jpeg").body(JPEG.to_vec()).send().await.expect("sent");
        assert_eq!(sent.status(), 200);
        let sent: Value = sent.json().await.expect("json");
        let stored = app.store.inbound_by_wamid("kaliploso", sent["wamid"].as_str().expect("wamid"))
            .await.expect("query").expect("stored");
        assert_eq!(stored.kind, "image");
        assert_eq!(stored.media_mime.as_deref(), Some("image/jpeg"));
        let media_id = stored.media_id.expect("media id");
        let raw: Value = serde_json::from_str(&stored.raw_json).expect("raw json");
        assert_eq!(raw["image"]["caption"], "KTP saya");
        assert_eq!(raw["image"]["sha256"].as_str().map(str::len), Some(64));
        // The sandbox serves the bytes back under that id, as Meta would for a download.
        let media = app.get(&format!("/simulator/api/media/{media_id}")).await;
        assert_eq!(media.status(), 200);
        assert_eq!(media.headers()["content-type"], "image/jpeg");
        assert_eq!(media.bytes().await.expect("bytes").as_ref(), JPEG);
        assert_eq!(app.get("/simulator/api/media/123").await.status(), 404);

        // Not an image, a lying content type, or over 5 MB: refused, nothing stored.
        let (before, _) = app.store.inbound_handled_counts("kaliploso").await.expect("counts");
        for (content_type, body) in [
            ("image/jpeg", b"<svg onload=alert(1)>".to_vec()),
            ("image/png", JPEG.to_vec()),
            ("image/jpeg", [JPEG, &vec![0u8; 5 * 1024 * 1024]].concat()),
        ] {
            let r = app.client.post(&url).header("x-simulator-token", &token)
                .header("content-type", content_type).body(body).send().await.expect("sent");
            assert!(r.status() == 400 || r.status() == 413, "{}", r.status());
            let error: Value = r.json().await.expect("error json");
            assert!(error["error"].as_str().is_some_and(|e| !e.is_empty()));
        }
        let (after, _) = app.store.inbound_handled_counts("kaliploso").await.expect("counts");
        assert_eq!(before, after);
    }
}

both_backends! {
    async fn posts_without_the_simulator_token_are_refused_and_nothing_is_stored(app) {
        let token = page_token(&app).await;
        let session: Value = app.get("/simulator/api/session").await.json().await.expect("session");
        assert_eq!(session["token"], token.as_str(), "loopback callers get the same token");
        assert_eq!(session["villages"][0]["id"], "kaliploso");
        let wrong = format!("{token}x");
        for t in [None, Some(""), Some(wrong.as_str())] {
            let r = post(&app, "/simulator/api/send", t, resident(json!({"text": "halo"}))).await;
            assert_eq!(r.status(), 403);
            let r = post(&app, "/simulator/api/reply", t,
                resident(json!({"id": "svc:skck", "title": "Pengantar SKCK", "kind": "list"}))).await;
            assert_eq!(r.status(), 403);
            let mut photo = app.client.post(app.url(&format!(
                "/simulator/api/photo?village=kaliploso&number={RESIDENT}")))
                .header("content-type", "image/jpeg").body(JPEG.to_vec());
            if let Some(t) = t {
                photo = photo.header("x-simulator-token", t);
            }
            assert_eq!(photo.send().await.expect("sent").status(), 403);
        }
        assert_eq!(app.store.inbound_handled_counts("kaliploso").await.expect("counts").0, 0);
        let c = conversation(&app, 0, 0).await;
        assert_eq!(c["messages"], json!([]));

        // Bad input is answered with a clear message.
        let r = post(&app, "/simulator/api/send", Some(&token),
            json!({"village": "atlantis", "number": RESIDENT, "text": "halo"})).await;
        assert_eq!(r.status(), 400);
        let r = post(&app, "/simulator/api/send", Some(&token),
            json!({"village": "kaliploso", "number": "12ab", "text": "halo"})).await;
        assert_eq!(r.status(), 400);
        let error: Value = r.json().await.expect("json");
        assert!(error["error"].as_str().expect("message").contains("Nomor WhatsApp"));
        let r = post(&app, "/simulator/api/send", Some(&token), resident(json!({"text": "  "}))).await;
        assert_eq!(r.status(), 400);
    }

    async fn hostile_names_and_texts_stay_text(app) {
        let token = page_token(&app).await;
        let page = app.get("/simulator").await;
        let csp = page.headers()["content-security-policy"].to_str().expect("csp").to_string();
        assert!(csp.contains("script-src 'nonce-"), "{csp}");
        assert!(!csp.contains("script-src 'unsafe-inline'"), "{csp}");
        let html = page.text().await.expect("html");
        assert!(!html.contains("innerHTML"), "the page never parses message text as HTML");
        assert!(!html.contains("insertAdjacentHTML"));

        let body = json!({"village": "kaliploso", "number": RESIDENT, "name": HOSTILE_NAME, "text": HOSTILE_TEXT});
        let r = post(&app, "/simulator/api/send", Some(&token), body).await;
        assert_eq!(r.status(), 200);
        // Reading a conversation needs the token as well.
        let r = app.get(&format!("/simulator/api/messages?number={RESIDENT}&wait=0")).await;
        assert_eq!(r.status(), 403);
        let r = get_with_token(&app, &format!("/simulator/api/messages?number={RESIDENT}&wait=0")).await;
        assert!(r.headers()["content-type"].to_str().expect("type").starts_with("application/json"));
        let c: Value = r.json().await.expect("json");
        assert_eq!(c["messages"][0]["message"]["text"]["body"], HOSTILE_TEXT);
        // An unknown village named with markup comes back as JSON text, not markup.
        let r = post(&app, "/simulator/api/send", Some(&token),
            json!({"village": HOSTILE_NAME, "number": RESIDENT, "text": "x"})).await;
        assert_eq!(r.status(), 400);
        assert!(r.headers()["content-type"].to_str().expect("type").starts_with("application/json"));
        // The page itself carries nothing a resident typed.
        let html = app.get("/simulator").await.text().await.expect("html");
        assert!(!html.contains(HOSTILE_TEXT) && !html.contains("onerror=alert"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_simulator_is_not_served_with_an_access_token() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(app) = spawn_app_with(backend, &[("WHATSAPP_ACCESS_TOKEN", "live-token")]).await
        else {
            continue;
        };
        assert_eq!(app.get("/simulator").await.status(), 404);
        assert_eq!(app.get("/simulator/api/session").await.status(), 404);
        let messages = app
            .get(&format!("/simulator/api/messages?number={RESIDENT}"))
            .await;
        assert_eq!(messages.status(), 404);
        let r = post(
            &app,
            "/simulator/api/send",
            Some("anything"),
            resident(json!({"text": "halo"})),
        )
        .await;
        assert_eq!(r.status(), 404);
    }
}
