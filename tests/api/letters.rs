//! Letters from the dashboard, on both databases: a resident files a request through the
//! webhook, it is moved to `diproses`, and an officer checks, saves (numbers) and prints its
//! letter. Numbers are per village and year, never duplicated, kept on a second save; other
//! villages' officers and couriers are refused; everything residents typed is escaped.

use chrono::{Datelike, Utc};
use kentongan::letters::{counter_name, local_date, roman_month};
use kentongan::store::{LetterRow, Timestamp};
use reqwest::header::{CONTENT_SECURITY_POLICY, COOKIE, LOCATION};
use reqwest::StatusCode;

use crate::conversation::{ids, said, submit_kehilangan, Resident, NIK};
use crate::dashboard::Dash;
use crate::helpers::*;

const OPERATOR: &str = "6281300000001";

/// File a loss-letter request as a new resident; returns its ticket.
async fn file_request(app: &TestApp, from: &str) -> String {
    let confirmation = submit_kehilangan(&Resident::new(app, from)).await;
    ticket_in(&confirmation)
}

fn ticket_in(text: &str) -> String {
    let at = text
        .find("KLP-")
        .unwrap_or_else(|| panic!("no ticket in {text}"));
    text[at..at + 8].to_string()
}

/// Move a request on to `diproses` (the letter is being made), as `proses` would.
async fn to_diproses(app: &TestApp, ticket: &str) {
    let mut tx = app.store.begin().await.unwrap();
    let req = tx
        .request_by_code("kaliploso", ticket)
        .await
        .unwrap()
        .expect("request");
    let moved = tx
        .transition_request(
            "kaliploso",
            req.id,
            &["diajukan", "diperiksa"],
            "diproses",
            "officer",
            None,
            None,
            Timestamp::now(),
        )
        .await
        .unwrap();
    assert!(moved.is_some(), "{ticket} moved to diproses");
    tx.commit().await.unwrap();
}

async fn request_id(app: &TestApp, village: &str, ticket: &str) -> i64 {
    let mut tx = app.store.begin().await.unwrap();
    let id = tx
        .request_by_code(village, ticket)
        .await
        .unwrap()
        .expect("request")
        .id;
    tx.commit().await.unwrap();
    id
}

async fn letter_of(app: &TestApp, ticket: &str) -> Option<LetterRow> {
    let id = request_id(app, "kaliploso", ticket).await;
    let mut tx = app.store.begin().await.unwrap();
    let letter = tx.letter_for_request("kaliploso", id).await.unwrap();
    tx.commit().await.unwrap();
    letter
}

/// The test village's `kode_desa`, as configured (the number carries it).
fn kode_desa() -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config/test.toml");
    kentongan::config::Settings::from_parts(&path, test_config(), |_| None)
        .expect("test settings")
        .villages
        .into_iter()
        .find(|v| v.id == "kaliploso")
        .expect("kaliploso")
        .kode_desa
}

/// The test villages' time zone (WIB, the default).
fn wib() -> chrono::FixedOffset {
    chrono::FixedOffset::east_opt(7 * 3600).unwrap()
}

/// The number letter `seq` of a loss letter (code 331 in services.toml) gets today in WIB.
fn expected_number(seq: u32) -> String {
    let today = local_date(Utc::now(), wib());
    format!(
        "331/{seq:03}/{}/{}/{}",
        kode_desa(),
        roman_month(today.month()),
        today.year()
    )
}

/// The check page's form, as an officer completes it.
fn letter_form(nama: &str, pekerjaan: &str) -> Vec<(&'static str, String)> {
    vec![
        ("nama", nama.to_string()),
        ("nik", NIK.to_string()),
        ("tempat_lahir", "Banyuwangi".into()),
        ("tanggal_lahir", "15 Mei 1990".into()),
        ("jenis_kelamin", "Laki-laki".into()),
        ("agama", "Islam".into()),
        ("status_perkawinan", "Kawin".into()),
        ("pekerjaan", pekerjaan.to_string()),
        ("kewarganegaraan", "Indonesia".into()),
        ("alamat", "Dusun Krajan RT/RW 002/001".into()),
        ("keperluan", "Melaporkan kehilangan".into()),
        ("d_barang_hilang", "dompet dan STNK".into()),
        ("d_waktu_hilang", "20 November 2026".into()),
        ("d_tempat_hilang", "pasar Cluring".into()),
        ("keterangan", String::new()),
    ]
}

async fn save(dash: &Dash<'_>, ticket: &str, form: &[(&str, String)]) -> reqwest::Response {
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    dash.post(&format!("/dasbor/surat/{ticket}"), &form).await
}

/// GET with the officer's session, keeping the headers.
async fn fetch(dash: &Dash<'_>, path: &str) -> reqwest::Response {
    dash.client
        .get(dash.app.url(path))
        .header(COOKIE, format!("kentongan_sesi={}", dash.cookie))
        .send()
        .await
        .unwrap()
}

async fn audit_of(app: &TestApp, ticket: &str) -> Vec<(String, Option<i64>, String)> {
    let id = request_id(app, "kaliploso", ticket).await;
    let mut tx = app.store.begin().await.unwrap();
    let rows = tx.request_audit("kaliploso", id).await.unwrap();
    tx.commit().await.unwrap();
    rows.into_iter()
        .map(|r| (r.action, r.actor_id, r.detail.unwrap_or_default()))
        .collect()
}

both_backends! {
    async fn an_officer_checks_saves_and_prints_a_numbered_letter(app) {
        let dash = Dash::login_new(&app, "kaliploso", "Sari", OPERATOR, &["operator"]).await;
        let ticket = file_request(&app, "6281230000301").await;
        assert_eq!(ticket, "KLP-0001");

        // Still being checked: the page explains why, and saving is refused.
        let (status, page) = dash.get(&format!("/dasbor/surat/{ticket}")).await;
        assert_eq!(status, 200, "{page}");
        assert!(page.contains("id=\"tidak-bisa\""), "{page}");
        assert!(!page.contains("Simpan, beri nomor"), "{page}");
        let early = save(&dash, &ticket, &letter_form("Budi Santoso", "Petani")).await;
        assert_eq!(early.status(), StatusCode::CONFLICT);
        assert!(letter_of(&app, &ticket).await.is_none());
        assert_eq!(dash.get(&format!("/dasbor/surat/{ticket}/cetak")).await.0, 404);

        to_diproses(&app, &ticket).await;
        // The form is prefilled from what the resident told the bot, and from the NIK.
        let (status, page) = dash.get(&format!("/dasbor/surat/{ticket}")).await;
        assert_eq!(status, 200, "{page}");
        for prefilled in [
            "name=\"nama\" value=\"Budi Santoso\"",
            &format!("name=\"nik\" value=\"{NIK}\""),
            "name=\"jenis_kelamin\" value=\"Laki-laki\"",
            "name=\"tanggal_lahir\" value=\"15 Mei 1990\"",
            "name=\"d_barang_hilang\" value=\"dompet dan STNK\"",
            "name=\"d_waktu_hilang\" value=\"20 November 2026\"",
            "name=\"d_tempat_hilang\" value=\"pasar Cluring\"",
            "name=\"agama\" value=\"\"",
            "Simpan, beri nomor",
        ] {
            assert!(page.contains(prefilled), "{prefilled}\n{page}");
        }

        // Saving numbers it and leads to the print page.
        let saved = save(&dash, &ticket, &letter_form("Budi Santoso", "Petani/pekebun")).await;
        assert_eq!(saved.status(), StatusCode::SEE_OTHER);
        assert_eq!(saved.headers()[LOCATION], format!("/dasbor/surat/{ticket}/cetak").as_str());
        let number = expected_number(1);
        let letter = letter_of(&app, &ticket).await.expect("letter stored");
        assert_eq!(letter.number, number);
        assert_eq!(letter.seq, 1);
        assert_eq!(letter.year, i64::from(local_date(Utc::now(), wib()).year()));
        assert!(letter.fields_json.contains("Petani/pekebun"), "{}", letter.fields_json);

        let print = fetch(&dash, &format!("/dasbor/surat/{ticket}/cetak")).await;
        assert_eq!(print.status(), 200);
        let csp = print.headers()[CONTENT_SECURITY_POLICY].to_str().unwrap().to_string();
        assert!(csp.starts_with("default-src 'none'; style-src 'sha256-"), "{csp}");
        assert!(!csp.contains("script") && !csp.contains("unsafe-inline"), "{csp}");
        assert_eq!(print.headers()["cache-control"], "no-store");
        let html = print.text().await.unwrap();
        for expected in [
            "<p class=\"desa\">DESA KALIPLOSO</p>",
            "<h1>SURAT PENGANTAR KEHILANGAN</h1>",
            &format!("Nomor : {number}"),
            "<td>Budi Santoso</td>",
            "<td>Banyuwangi, 15 Mei 1990</td>",
            "<td>Petani/pekebun</td>",
            "kepada Polsek Cluring",
            "Demikian surat keterangan ini dibuat dengan sebenarnya",
            "@page { size: 215mm 330mm;",
            "class=\"hint\"",
        ] {
            assert!(html.contains(expected), "{expected}\n{html}");
        }
        // A page of its own: no dashboard menu, stylesheet or logout form.
        assert!(!html.contains("/dasbor/gaya.css") && !html.contains("/dasbor/keluar"), "{html}");

        // Correcting it keeps the number and changes the letter.
        let again = save(&dash, &ticket, &letter_form("Budi Santoso", "Wiraswasta")).await;
        assert_eq!(again.status(), StatusCode::SEE_OTHER);
        let corrected = letter_of(&app, &ticket).await.unwrap();
        assert_eq!(corrected.number, number);
        assert_eq!(corrected.id, letter.id);
        let (_, html) = dash.get(&format!("/dasbor/surat/{ticket}/cetak")).await;
        assert!(html.contains("<td>Wiraswasta</td>") && !html.contains("Petani/pekebun"), "{html}");
        // The check page now shows the saved letter and its number.
        let (_, page) = dash.get(&format!("/dasbor/surat/{ticket}")).await;
        assert!(page.contains(&format!("<strong id=\"nomor\">{number}</strong>")), "{page}");
        assert!(page.contains("name=\"pekerjaan\" value=\"Wiraswasta\""), "{page}");

        // The next request's letter is 002.
        let second = file_request(&app, "6281230000302").await;
        to_diproses(&app, &second).await;
        let r = save(&dash, &second, &letter_form("Siti Aminah", "Pedagang")).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(letter_of(&app, &second).await.unwrap().number, expected_number(2));

        // The audit trail says who made, changed and looked at the letter.
        let trail: Vec<(String, Option<i64>, String)> = audit_of(&app, &ticket)
            .await
            .into_iter()
            .filter(|(action, _, _)| action.contains("surat"))
            .collect();
        let me = Some(dash.officer_id);
        let expected: Vec<(String, Option<i64>, String)> = [
            ("lihat_surat", "pemeriksaan"),
            ("lihat_surat", "pemeriksaan"),
            ("surat_dibuat", number.as_str()),
            ("lihat_surat", number.as_str()),
            ("surat_diubah", number.as_str()),
            ("lihat_surat", number.as_str()),
            ("lihat_surat", "pemeriksaan"),
        ]
        .into_iter()
        .map(|(a, d)| (a.to_string(), me, d.to_string()))
        .collect();
        assert_eq!(trail, expected);
    }

    async fn numbers_stay_unique_under_concurrent_saves(app) {
        let dash = Dash::login_new(&app, "kaliploso", "Sari", OPERATOR, &["operator"]).await;
        let mut tickets = Vec::new();
        for i in 0..5 {
            let ticket = file_request(&app, &format!("62812300004{i:02}")).await;
            to_diproses(&app, &ticket).await;
            tickets.push(ticket);
        }
        // All at once, the first request's letter twice.
        let mut posts = Vec::new();
        for ticket in tickets.iter().chain(std::iter::once(&tickets[0])) {
            let client = dash.client.clone();
            let url = app.url(&format!("/dasbor/surat/{ticket}"));
            let cookie = format!("kentongan_sesi={}", dash.cookie);
            let mut form: Vec<(&str, String)> = letter_form("Budi Santoso", "Petani");
            form.push(("csrf", dash.csrf.clone()));
            posts.push(tokio::spawn(async move {
                client.post(url).header(COOKIE, cookie).form(&form).send().await.unwrap().status()
            }));
        }
        for post in posts {
            assert_eq!(post.await.unwrap(), StatusCode::SEE_OTHER);
        }
        let mut numbers = Vec::new();
        let mut seqs = Vec::new();
        for ticket in &tickets {
            let letter = letter_of(&app, ticket).await.expect("letter");
            numbers.push(letter.number);
            seqs.push(letter.seq);
        }
        seqs.sort();
        assert_eq!(seqs, [1, 2, 3, 4, 5], "{numbers:?}");
        numbers.sort();
        numbers.dedup();
        assert_eq!(numbers.len(), 5);
        assert_eq!(numbers[0], expected_number(1));
        assert_eq!(numbers[4], expected_number(5));
        // The double save of one letter numbered it once; the other save corrected it.
        let trail = audit_of(&app, &tickets[0]).await;
        let made = trail.iter().filter(|(a, _, _)| a == "surat_dibuat").count();
        let changed = trail.iter().filter(|(a, _, _)| a == "surat_diubah").count();
        assert_eq!((made, changed), (1, 1), "{trail:?}");
    }

    async fn numbering_starts_again_at_001_each_year(app) {
        let dash = Dash::login_new(&app, "kaliploso", "Sari", OPERATOR, &["operator"]).await;
        let ticket = file_request(&app, "6281230000501").await;
        to_diproses(&app, &ticket).await;
        assert_eq!(save(&dash, &ticket, &letter_form("Budi Santoso", "Petani")).await.status(), StatusCode::SEE_OTHER);
        // The letter took the first number of this year's counter; next year's is untouched.
        let this_year = local_date(Utc::now(), wib()).year();
        let mut tx = app.store.begin().await.unwrap();
        assert_eq!(tx.next_counter("kaliploso", &counter_name(this_year)).await.unwrap(), 2);
        assert_eq!(tx.next_counter("kaliploso", &counter_name(this_year + 1)).await.unwrap(), 1);
        // Another village numbers on its own.
        assert_eq!(tx.next_counter("sukamaju", &counter_name(this_year)).await.unwrap(), 1);
        drop(tx);
        // Formatted for the first day of next year: 001 again, in month I.
        let new_year = chrono::NaiveDate::from_ymd_opt(this_year + 1, 1, 1).unwrap();
        let number = kentongan::letters::NumberFormat::default().format("331", 1, "35.10.06.2009", new_year);
        assert_eq!(number, format!("331/001/35.10.06.2009/I/{}", this_year + 1));
    }

    async fn couriers_and_other_villages_officers_are_refused(app) {
        let ticket = file_request(&app, "6281230000601").await;
        to_diproses(&app, &ticket).await;
        let kurir = Dash::login_new(&app, "kaliploso", "Mas Kurir", "6281300000004", &["kurir"]).await;
        assert_eq!(kurir.get(&format!("/dasbor/surat/{ticket}")).await.0, StatusCode::FORBIDDEN);
        let r = save(&kurir, &ticket, &letter_form("Budi Santoso", "Petani")).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        assert!(letter_of(&app, &ticket).await.is_none());

        let other = Dash::login_new(&app, "sukamaju", "Pak Operator", "6281300000009", &["operator", "kades"]).await;
        assert_eq!(other.get(&format!("/dasbor/surat/{ticket}")).await.0, StatusCode::NOT_FOUND);
        let r = save(&other, &ticket, &letter_form("Budi Santoso", "Petani")).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        assert!(letter_of(&app, &ticket).await.is_none());

        // Once made, the letter is still only for its own village's office staff.
        let dash = Dash::login_new(&app, "kaliploso", "Sari", OPERATOR, &["operator"]).await;
        assert_eq!(save(&dash, &ticket, &letter_form("Budi Santoso", "Petani")).await.status(), StatusCode::SEE_OTHER);
        assert_eq!(kurir.get(&format!("/dasbor/surat/{ticket}/cetak")).await.0, StatusCode::FORBIDDEN);
        assert_eq!(other.get(&format!("/dasbor/surat/{ticket}/cetak")).await.0, StatusCode::NOT_FOUND);
        // Anonymous visitors go to the login page.
        let anonymous = crate::dashboard::client()
            .get(app.url(&format!("/dasbor/surat/{ticket}/cetak")))
            .send()
            .await
            .unwrap();
        assert_eq!(anonymous.status(), StatusCode::SEE_OTHER);
        assert_eq!(anonymous.headers()[LOCATION], "/dasbor/masuk");
        // Nobody else's look was recorded.
        let trail = audit_of(&app, &ticket).await;
        assert!(trail.iter().filter(|(a, _, _)| a.contains("surat")).all(|(_, who, _)| *who == Some(dash.officer_id)), "{trail:?}");
    }

    async fn hostile_input_is_escaped_everywhere(app) {
        let dash = Dash::login_new(&app, "kaliploso", "Sari", OPERATOR, &["operator"]).await;
        // The resident gives a name that is markup.
        let r = Resident::new(&app, "6281230000701");
        r.text("mau buat surat kehilangan").await;
        r.text(NIK).await;
        r.text("<script>alert(1)</script>").await;
        r.text("\"><img src=x onerror=alert(1)>").await;
        r.text("20-11-2026").await;
        r.text("pasar Cluring").await;
        let summary = r.tap("doc:later", "Bawa ke kantor").await;
        assert_eq!(ids(&summary), vec!["confirm:send", "confirm:edit", "confirm:cancel"], "{}", said(&summary));
        let ticket = ticket_in(&said(&r.tap("confirm:send", "Kirim").await));
        to_diproses(&app, &ticket).await;

        let (status, page) = dash.get(&format!("/dasbor/surat/{ticket}")).await;
        assert_eq!(status, 200);
        assert!(page.contains("&#60;script&#62;alert(1)&#60;/script&#62;"), "{page}");
        for raw in ["<script>alert", "<img src=x", "\"><img"] {
            assert!(!page.contains(raw), "{raw} got through:\n{page}");
        }

        let mut form = letter_form("<script>alert(1)</script>", "\"><img src=x onerror=alert(1)>");
        for (key, value) in form.iter_mut() {
            match *key {
                "d_barang_hilang" => *value = "</td></table><style>body{display:none}</style>".into(),
                "keterangan" => *value = "<b onmouseover=alert(1)>tebal</b>".into(),
                _ => {}
            }
        }
        assert_eq!(save(&dash, &ticket, &form).await.status(), StatusCode::SEE_OTHER);
        let (_, html) = dash.get(&format!("/dasbor/surat/{ticket}/cetak")).await;
        assert!(html.contains("<td>&#60;script&#62;alert(1)&#60;/script&#62;</td>"), "{html}");
        for raw in ["<script>alert", "<img src=x", "<b onmouseover", "<style>body"] {
            assert!(!html.contains(raw), "{raw} got through:\n{html}");
        }
        assert_eq!(html.matches("<style>").count(), 1, "only the letter's own style");
    }

    async fn forms_without_the_csrf_token_or_with_bad_data_are_refused(app) {
        let dash = Dash::login_new(&app, "kaliploso", "Sari", OPERATOR, &["operator"]).await;
        let ticket = file_request(&app, "6281230000801").await;
        to_diproses(&app, &ticket).await;
        let url = app.url(&format!("/dasbor/surat/{ticket}"));
        let cookie = format!("kentongan_sesi={}", dash.cookie);
        let form = letter_form("Budi Santoso", "Petani");
        let missing = dash.client.post(&url).header(COOKIE, &cookie).form(&form).send().await.unwrap();
        assert_eq!(missing.status(), StatusCode::FORBIDDEN);
        let mut wrong = form.clone();
        wrong.push(("csrf", "0".repeat(64)));
        let wrong = dash.client.post(&url).header(COOKIE, &cookie).form(&wrong).send().await.unwrap();
        assert_eq!(wrong.status(), StatusCode::FORBIDDEN);
        assert!(letter_of(&app, &ticket).await.is_none());

        // A bad NIK and no name: explained, kept in the form, nothing numbered.
        let mut bad = letter_form("", "Petani");
        for (key, value) in bad.iter_mut() {
            if *key == "nik" {
                *value = "3510 06".into();
            }
        }
        let r = save(&dash, &ticket, &bad).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let page = r.text().await.unwrap();
        assert!(page.contains("Nama lengkap wajib diisi."), "{page}");
        assert!(page.contains("NIK tidak valid"), "{page}");
        assert!(page.contains("name=\"nik\" value=\"3510 06\""), "{page}");
        assert!(letter_of(&app, &ticket).await.is_none());
        // The counter was not touched: the first good save is still 001.
        assert_eq!(save(&dash, &ticket, &form).await.status(), StatusCode::SEE_OTHER);
        assert_eq!(letter_of(&app, &ticket).await.unwrap().number, expected_number(1));
    }
}
