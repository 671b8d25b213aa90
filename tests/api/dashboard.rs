//! The office dashboard over real HTTP: login, sessions, CSRF and lock-out, on both databases.
//! [`Dash`] is a logged-in browser for the other dashboard tests.

use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use reqwest::StatusCode;

use crate::helpers::*;

pub(crate) const PASSWORD: &str = "kata-sandi-desa-123";

/// A browser logged in as an officer: keeps the session cookie, sends the CSRF token with every
/// form.
pub(crate) struct Dash<'a> {
    pub app: &'a TestApp,
    pub client: reqwest::Client,
    pub cookie: String,
    pub csrf: String,
    pub officer_id: i64,
}

pub(crate) fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// The value of a `name=value` cookie set by a response.
pub(crate) fn set_cookie(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// The value of the first hidden `csrf` input of a page.
pub(crate) fn csrf_in(html: &str) -> String {
    let at = html
        .find("name=\"csrf\" value=\"")
        .expect("page has a csrf field")
        + 19;
    html[at..].split('"').next().unwrap_or_default().to_string()
}

/// Add an officer with a dashboard password.
pub(crate) async fn officer_with_password(
    app: &TestApp,
    village: &str,
    name: &str,
    number: &str,
    roles: &[&str],
) -> i64 {
    let id = app
        .store
        .add_officer(village, name, number, roles)
        .await
        .expect("officer added");
    let hash = kentongan::dashboard::auth::hash_password(PASSWORD).expect("hash");
    assert!(app.store.set_officer_password(id, &hash).await.unwrap());
    id
}

/// Log in through the login form; returns the response of the POST.
pub(crate) async fn try_login(app: &TestApp, login: &str, password: &str) -> reqwest::Response {
    try_login_at(app.url(""), login.to_string(), password.to_string()).await
}

/// [`try_login`] against the server at `base`, owning its arguments (for spawned tasks).
pub(crate) async fn try_login_at(
    base: String,
    login: String,
    password: String,
) -> reqwest::Response {
    let client = client();
    let page = client
        .get(format!("{base}/dasbor/masuk"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let csrf_cookie = set_cookie(&page, "kentongan_csrf").expect("login csrf cookie");
    let html = page.text().await.unwrap();
    let csrf = csrf_in(&html);
    client
        .post(format!("{base}/dasbor/masuk"))
        .header(COOKIE, format!("kentongan_csrf={csrf_cookie}"))
        .form(&[
            ("login", login.as_str()),
            ("password", password.as_str()),
            ("csrf", &csrf),
        ])
        .send()
        .await
        .unwrap()
}

impl<'a> Dash<'a> {
    /// A new officer of `village` with `roles`, logged in.
    pub(crate) async fn login_new(
        app: &'a TestApp,
        village: &str,
        name: &str,
        number: &str,
        roles: &[&str],
    ) -> Dash<'a> {
        let officer_id = officer_with_password(app, village, name, number, roles).await;
        let response = try_login(app, number, PASSWORD).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "login accepted");
        let cookie = set_cookie(&response, "kentongan_sesi").expect("session cookie");
        let mut dash = Dash {
            app,
            client: client(),
            cookie,
            csrf: String::new(),
            officer_id,
        };
        let (status, html) = dash.get("/dasbor").await;
        assert_eq!(status, 200, "{html}");
        dash.csrf = csrf_in(&html);
        dash
    }

    pub(crate) async fn get(&self, path: &str) -> (StatusCode, String) {
        let r = self
            .client
            .get(self.app.url(path))
            .header(COOKIE, format!("kentongan_sesi={}", self.cookie))
            .send()
            .await
            .unwrap();
        (r.status(), r.text().await.unwrap())
    }

    /// Post a form with the session's CSRF token.
    pub(crate) async fn post(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        let mut fields: Vec<(&str, &str)> = form.to_vec();
        fields.push(("csrf", &self.csrf));
        self.client
            .post(self.app.url(path))
            .header(COOKIE, format!("kentongan_sesi={}", self.cookie))
            .form(&fields)
            .send()
            .await
            .unwrap()
    }

    /// Post, follow the redirect, and return the page it leads to.
    pub(crate) async fn post_and_follow(
        &self,
        path: &str,
        form: &[(&str, &str)],
    ) -> (StatusCode, String) {
        let r = self.post(path, form).await;
        if r.status() == StatusCode::SEE_OTHER {
            let to = r.headers()[LOCATION].to_str().unwrap().to_string();
            self.get(&to).await
        } else {
            (r.status(), r.text().await.unwrap())
        }
    }
}

both_backends! {
    async fn an_officer_logs_in_and_out(app) {
        let dash = Dash::login_new(&app, "kaliploso", "Sari", "6281300000001", &["operator"]).await;
        let (status, page) = dash.get("/dasbor").await;
        assert_eq!(status, 200);
        assert!(page.contains("Sari"), "{page}");
        // Logging out ends the session for good.
        let out = dash.post("/dasbor/keluar", &[]).await;
        assert_eq!(out.status(), StatusCode::SEE_OTHER);
        let again = dash
            .client
            .get(app.url("/dasbor"))
            .header(COOKIE, format!("kentongan_sesi={}", dash.cookie))
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), StatusCode::SEE_OTHER);
        assert_eq!(again.headers()[LOCATION], "/dasbor/masuk");
    }

    async fn pages_need_a_login_and_forms_need_the_csrf_token(app) {
        let anonymous = client().get(app.url("/dasbor")).send().await.unwrap();
        assert_eq!(anonymous.status(), StatusCode::SEE_OTHER);
        let forged = client()
            .get(app.url("/dasbor"))
            .header(COOKIE, "kentongan_sesi=0123456789abcdef")
            .send()
            .await
            .unwrap();
        assert_eq!(forged.status(), StatusCode::SEE_OTHER);
        let dash = Dash::login_new(&app, "kaliploso", "Sari", "6281300000001", &["operator"]).await;
        // A form posted without (or with a wrong) token is refused and changes nothing.
        let r = dash
            .client
            .post(app.url("/dasbor/keluar"))
            .header(COOKIE, format!("kentongan_sesi={}", dash.cookie))
            .form(&[("csrf", "wrong")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        assert_eq!(dash.get("/dasbor").await.0, 200, "still logged in");
        // The login form itself needs its token.
        let r = client()
            .post(app.url("/dasbor/masuk"))
            .form(&[("login", "6281300000001"), ("password", PASSWORD), ("csrf", "x")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        // Pages forbid framing and foreign scripts.
        let r = dash
            .client
            .get(app.url("/dasbor"))
            .header(COOKIE, format!("kentongan_sesi={}", dash.cookie))
            .send()
            .await
            .unwrap();
        let csp = r.headers()["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        assert!(!csp.contains("script-src"), "no script allowed at all: {csp}");
    }

    async fn wrong_passwords_lock_the_account_for_a_while(app) {
        officer_with_password(&app, "kaliploso", "Sari", "6281300000001", &["operator"]).await;
        let wrong = try_login(&app, "6281300000001", "salah-sandi").await;
        assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
        assert!(wrong.text().await.unwrap().contains("kata sandi salah"));
        // The number is written the way people write it.
        let ok = try_login(&app, "0813-0000-0001", PASSWORD).await;
        assert_eq!(ok.status(), StatusCode::SEE_OTHER);
        for _ in 0..kentongan::dashboard::auth::MAX_FAILURES {
            try_login(&app, "6281300000001", "salah-sandi").await;
        }
        // Locked: even the right password is refused now.
        let locked = try_login(&app, "6281300000001", PASSWORD).await;
        assert_eq!(locked.status(), StatusCode::UNAUTHORIZED);
        assert!(locked.text().await.unwrap().contains("dikunci 15 menit"));
        // Parallel guesses cannot run past the limit: on a fresh account, of ten wrong
        // passwords sent at once at most five are checked; the right one after them is refused.
        officer_with_password(&app, "kaliploso", "Ani", "6281300000006", &["operator"]).await;
        let base = app.url("");
        let guesses = (0..10).map(|_| {
            try_login_at(base.clone(), "6281300000006".into(), "tebakan-salah".into())
        });
        for r in futures_util_join(guesses).await {
            assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        }
        assert_eq!(try_login(&app, "6281300000006", PASSWORD).await.status(), StatusCode::UNAUTHORIZED);
        // Unknown numbers and officers without a password get nowhere, with the same answer.
        let unknown = try_login(&app, "6281399999999", PASSWORD).await;
        assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);
        assert!(unknown.text().await.unwrap().contains("kata sandi salah"));
        app.store.add_officer("kaliploso", "Tanpa Sandi", "6281300000005", &["operator"]).await.unwrap();
        assert_eq!(try_login(&app, "6281300000005", "").await.status(), StatusCode::UNAUTHORIZED);
    }

    async fn a_deactivated_officer_loses_the_session(app) {
        let dash = Dash::login_new(&app, "kaliploso", "Sari", "6281300000001", &["operator"]).await;
        app.store.set_officer_active(dash.officer_id, false).await.unwrap();
        assert_eq!(dash.get("/dasbor").await.0, StatusCode::SEE_OTHER);
    }
}

mod pages {
    use super::*;
    use crate::conversation::{said, submit_kehilangan, Resident};

    const HOSTILE: &str = "<script>alert(1)</script>\"><img src=x onerror=alert(2)>";

    /// A request filed through WhatsApp by a resident whose profile name and typed name are
    /// hostile HTML.
    async fn hostile_request(app: &TestApp, from: &str) {
        let r = Resident::new(app, from);
        let replies = r.text("mau buat surat kehilangan").await;
        assert!(!replies.is_empty());
        r.text(crate::conversation::NIK).await;
        r.text(HOSTILE).await;
        r.text("dompet <b>tebal</b>").await;
        r.text("20-11-2026").await;
        r.text("pasar Cluring").await;
        r.tap("doc:later", "Bawa ke kantor").await;
        let done = said(&r.tap("confirm:send", "Kirim").await);
        assert!(done.contains("KLP-"), "{done}");
    }

    async fn state_of(app: &TestApp, ticket: &str) -> String {
        app.store
            .requests_of("kaliploso")
            .await
            .unwrap()
            .into_iter()
            .find(|r| r.ticket_code == ticket)
            .map(|r| r.state)
            .expect("request")
    }

    both_backends! {
        async fn the_queue_filters_and_searches_and_escapes_what_residents_wrote(app) {
            hostile_request(&app, "6281230000201").await;
            let b = Resident::new(&app, "6281230000202");
            submit_kehilangan(&b).await;
            let dash = Dash::login_new(&app, "kaliploso", "Sari", "6281300000001", &["operator"]).await;
            let (_, page) = dash.get("/dasbor").await;
            assert!(page.contains("KLP-0001") && page.contains("KLP-0002"), "{page}");
            assert!(!page.contains("<script>alert(1)"), "hostile name must be escaped");
            assert!(page.contains("&#60;script&#62;alert(1)&#60;/script&#62;"), "{page}");
            // Search by name and by code; filter by state and by officer.
            let (_, found) = dash.get("/dasbor?q=budi").await;
            assert!(found.contains("KLP-0002") && !found.contains(">KLP-0001<"), "{found}");
            let (_, found) = dash.get("/dasbor?q=klp-0001").await;
            assert!(found.contains(">KLP-0001<") && !found.contains(">KLP-0002<"), "{found}");
            dash.post("/dasbor/permohonan/KLP-0002/aksi", &[("aksi", "ambil")]).await;
            let (_, mine) = dash.get(&format!("/dasbor?petugas={}", dash.officer_id)).await;
            assert!(mine.contains(">KLP-0002<") && !mine.contains(">KLP-0001<"), "{mine}");
            let (_, fresh) = dash.get("/dasbor?status=diajukan").await;
            assert!(fresh.contains(">KLP-0001<") && !fresh.contains(">KLP-0002<"), "{fresh}");
            let (_, none) = dash.get("/dasbor?terlambat=1").await;
            assert!(!none.contains(">KLP-0001<"), "nothing is overdue yet: {none}");
            // The request page escapes too, and shows the conversation.
            let (status, detail) = dash.get("/dasbor/permohonan/KLP-0001").await;
            assert_eq!(status, 200);
            assert!(!detail.contains("<script>alert(1)"), "{detail}");
            assert!(!detail.contains("<img src=x"), "{detail}");
            assert!(!detail.contains("<b>tebal</b>"), "{detail}");
            assert!(detail.contains("dompet &#60;b&#62;tebal&#60;/b&#62;"), "{detail}");
            assert!(detail.contains("mau buat surat kehilangan"), "chat bubbles: {detail}");
            // Viewing is audited.
            let audit = app.store.audit_of("kaliploso", "KLP-0001").await.unwrap();
            assert!(audit.iter().any(|(who, action)| who == "officer" && action == "lihat"));
        }

        async fn the_whole_lifecycle_from_the_dashboard_tells_the_resident(app) {
            let resident = Resident::new(&app, "6281230000203");
            submit_kehilangan(&resident).await;
            app.store.add_officer("kaliploso", "Budi", "6281300000004", &["kurir"]).await.unwrap();
            let operator = Dash::login_new(&app, "kaliploso", "Sari", "6281300000001", &["operator"]).await;
            let kades = Dash::login_new(&app, "kaliploso", "Pak Slamet", "6281300000002", &["kades"]).await;
            let path = "/dasbor/permohonan/KLP-0001/aksi";
            let (_, page) = operator.post_and_follow(path, &[("aksi", "ambil")]).await;
            assert!(page.contains("Anda pegang"), "{page}");
            assert_eq!(state_of(&app, "KLP-0001").await, "diperiksa");
            // A refused step explains itself and changes nothing.
            let (_, page) = operator.post_and_follow(path, &[("aksi", "setuju")]).await;
            assert!(page.contains("Kepala Desa"), "{page}");
            // A reason is required to ask for a document.
            let r = operator.post(path, &[("aksi", "kurang"), ("alasan", " ")]).await;
            assert_eq!(r.status(), StatusCode::BAD_REQUEST);
            operator.post(path, &[("aksi", "kurang"), ("alasan", "Foto KK kurang jelas")]).await;
            assert_eq!(state_of(&app, "KLP-0001").await, "perlu_dokumen");
            assert!(said(&resident.outbound().await).contains("Foto KK kurang jelas"));
            operator.post(path, &[("aksi", "periksa")]).await;
            operator.post(path, &[("aksi", "proses")]).await;
            operator.post(path, &[("aksi", "siap")]).await;
            assert_eq!(state_of(&app, "KLP-0001").await, "menunggu_ttd");
            // The Kades sees the approve button and approves.
            let (_, page) = kades.get("/dasbor/permohonan/KLP-0001").await;
            assert!(page.contains("value=\"setuju\""), "{page}");
            kades.post(path, &[("aksi", "setuju")]).await;
            assert_eq!(state_of(&app, "KLP-0001").await, "siap_antar");
            operator.post(path, &[("aksi", "antar"), ("kurir", "Budi")]).await;
            assert_eq!(state_of(&app, "KLP-0001").await, "diantar");
            operator.post(path, &[("aksi", "terkirim")]).await;
            let asked = resident.outbound().await;
            assert!(said(&asked).contains("Apakah sudah Bapak/Ibu terima"), "{}", said(&asked));
            resident.tap("rcv:ya:KLP-0001", "Sudah diterima").await;
            assert_eq!(state_of(&app, "KLP-0001").await, "selesai");
            // The same trail as from WhatsApp, and the page shows it.
            let trail = app.store.trail_of("kaliploso", "KLP-0001").await.unwrap();
            assert_eq!(trail.last().map(|t| t.1.as_str()), Some("selesai"));
            let (_, page) = operator.get("/dasbor/permohonan/KLP-0001").await;
            assert!(page.contains("Sedang diantar") && page.contains("Selesai"), "{page}");
            assert!(page.contains("Tidak ada tindakan"), "closed: no actions left: {page}");
            // A relay message from the dashboard reaches the resident... but not once closed.
            let r = operator.post(path, &[("aksi", "balas"), ("pesan", "Terima kasih")]).await;
            assert_eq!(r.status(), StatusCode::SEE_OTHER);
        }

        async fn officers_see_only_their_village_and_act_only_within_their_roles(app) {
            let resident = Resident::new(&app, "6281230000204");
            submit_kehilangan(&resident).await;
            let foreign = Dash::login_new(&app, "sukamaju", "Operator Sukamaju", "6281300000009", &["operator"]).await;
            assert_eq!(foreign.get("/dasbor/permohonan/KLP-0001").await.0, StatusCode::NOT_FOUND);
            let (_, queue) = foreign.get("/dasbor").await;
            assert!(!queue.contains("KLP-0001"), "{queue}");
            let r = foreign.post("/dasbor/permohonan/KLP-0001/aksi", &[("aksi", "ambil")]).await;
            let (_, page) = (r.status(), r.text().await.unwrap());
            assert!(!page.contains("Anda pegang"));
            assert_eq!(state_of(&app, "KLP-0001").await, "diajukan");
            // A courier may look but not process, and sees the NIK masked.
            let kurir = Dash::login_new(&app, "kaliploso", "Budi", "6281300000004", &["kurir"]).await;
            let (_, page) = kurir.get("/dasbor/permohonan/KLP-0001").await;
            assert!(!page.contains(crate::conversation::NIK), "{page}");
            assert!(!page.contains("value=\"ambil\""), "{page}");
            kurir.post("/dasbor/permohonan/KLP-0001/aksi", &[("aksi", "ambil")]).await;
            assert_eq!(state_of(&app, "KLP-0001").await, "diajukan");
            // Complaints are for the Kades and Sekdes only.
            assert_eq!(kurir.get("/dasbor/aduan").await.0, StatusCode::FORBIDDEN);
            // A forged action without the CSRF token is refused.
            let r = kurir
                .client
                .post(app.url("/dasbor/permohonan/KLP-0001/aksi"))
                .header(COOKIE, format!("kentongan_sesi={}", kurir.cookie))
                .form(&[("aksi", "ambil")])
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::FORBIDDEN);
        }

        async fn complaints_are_answered_and_closed_from_the_dashboard(app) {
            let resident = Resident::new(&app, "6281230000205");
            let filed = said(&resident.text("saya mau komplain <b>pelayanan</b> kantor desa lambat sekali").await);
            assert!(filed.contains("ADU-KLP-0001"), "{filed}");
            let sekdes = Dash::login_new(&app, "kaliploso", "Bu Rina", "6281300000003", &["sekdes"]).await;
            let (_, list) = sekdes.get("/dasbor/aduan").await;
            assert!(list.contains("ADU-KLP-0001"), "{list}");
            assert!(!list.contains("<b>pelayanan</b>"), "{list}");
            let path = "/dasbor/aduan/ADU-KLP-0001/aksi";
            let (_, page) = sekdes.post_and_follow(path, &[("aksi", "balas"), ("pesan", "Mohon maaf, segera kami perbaiki")]).await;
            assert!(page.contains("terkirim"), "{page}");
            assert!(said(&resident.outbound().await).contains("segera kami perbaiki"));
            sekdes.post(path, &[("aksi", "tutup"), ("pesan", "Sudah dibahas di rapat")]).await;
            assert!(said(&resident.outbound().await).contains("sudah ditangani dan ditutup"));
            let (_, page) = sekdes.get("/dasbor/aduan/ADU-KLP-0001").await;
            assert!(page.contains("Selesai"), "{page}");
            assert!(!page.contains("Tutup aduan"), "{page}");
            // An operator reading the same resident's request does not see the complaint.
            submit_kehilangan(&resident).await;
            let operator = Dash::login_new(&app, "kaliploso", "Sari", "6281300000001", &["operator"]).await;
            let (_, page) = operator.get("/dasbor/permohonan/KLP-0001").await;
            assert!(page.contains("mau buat surat kehilangan"), "{page}");
            assert!(!page.contains("lambat sekali"), "{page}");
            assert!(!page.contains("segera kami perbaiki"), "{page}");
            assert!(!page.contains("ADU-KLP-0001"), "{page}");
        }

        async fn attachments_are_served_only_to_the_villages_logged_in_officers(app) {
            // A downloaded attachment of a Kaliploso request.
            let resident = Resident::new(&app, "6281230000206");
            submit_kehilangan(&resident).await;
            let path = app.data_dir.join("ktp-test.jpg");
            std::fs::create_dir_all(&app.data_dir).unwrap();
            std::fs::write(&path, b"\xFF\xD8\xFFfake-jpeg").unwrap();
            let request_id = app.store.requests_of("kaliploso").await.unwrap()[0].id;
            let mut tx = app.store.begin().await.unwrap();
            let id = tx
                .insert_attachment(&kentongan::store::NewAttachment {
                    village_id: "kaliploso",
                    request_id: Some(request_id),
                    complaint_id: None,
                    inbound_message_id: None,
                    requirement_key: Some("ktp"),
                    media_id: Some("media-x"),
                    mime_type: Some("image/jpeg"),
                    now: kentongan::store::Timestamp::now(),
                })
                .await
                .unwrap();
            tx.commit().await.unwrap();
            let stored = path.to_string_lossy().to_string();
            let sha = "00".repeat(32);
            app.store
                .record_media_download(id, Ok((&stored, 12, &sha)), kentongan::store::Timestamp::now())
                .await
                .unwrap();
            let url = format!("/dasbor/lampiran/{id}");
            let anonymous = client().get(app.url(&url)).send().await.unwrap();
            assert_eq!(anonymous.status(), StatusCode::SEE_OTHER);
            let foreign = Dash::login_new(&app, "sukamaju", "Operator Sukamaju", "6281300000009", &["operator"]).await;
            assert_eq!(foreign.get(&url).await.0, StatusCode::NOT_FOUND);
            let dash = Dash::login_new(&app, "kaliploso", "Sari", "6281300000001", &["operator"]).await;
            let r = dash
                .client
                .get(app.url(&url))
                .header(COOKIE, format!("kentongan_sesi={}", dash.cookie))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
            assert_eq!(r.headers()["content-type"], "image/jpeg");
            assert_eq!(r.bytes().await.unwrap().as_ref(), b"\xFF\xD8\xFFfake-jpeg");
            let (_, page) = dash.get("/dasbor/permohonan/KLP-0001").await;
            assert!(page.contains(&format!("src=\"/dasbor/lampiran/{id}\"")), "{page}");
            // A courier who does not carry this letter may not open its KTP photo.
            let kurir = Dash::login_new(&app, "kaliploso", "Budi", "6281300000004", &["kurir"]).await;
            assert_eq!(kurir.get(&url).await.0, StatusCode::FORBIDDEN);
            let audit = app.store.audit_of("kaliploso", "KLP-0001").await.unwrap();
            assert!(audit.iter().any(|(_, action)| action == "lihat_lampiran"), "{audit:?}");
        }
    }
}

/// Await all the futures concurrently.
async fn futures_util_join<F>(futures: impl Iterator<Item = F>) -> Vec<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let mut set = tokio::task::JoinSet::new();
    for f in futures {
        set.spawn(f);
    }
    let mut out = Vec::new();
    while let Some(r) = set.join_next().await {
        out.push(r.expect("task"));
    }
    out
}
