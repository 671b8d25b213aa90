//! `kentongan officer …` through the real binary, against the database of a running test server
//! (SQLite file and PostgreSQL), and officers listed in the configuration.

use std::path::{Path, PathBuf};
use std::process::Output;

use kentongan::app::Application;
use kentongan::config::Settings;

use crate::cli::kentongan;
use crate::helpers::{both_backends, TestApp, APP_SECRET};

/// A new, not yet created folder under the system's temporary folder.
fn random_dir(prefix: &str) -> PathBuf {
    use rand::Rng;
    let n: u64 = rand::rng().random();
    std::env::temp_dir().join(format!("{prefix}-{n:016x}"))
}

/// The test server's two villages (same ids and numbers as `helpers::test_config`), with
/// `officers` inserted as kaliploso's `[[village.officers]]`.
fn config_with(kaliploso_officers: &str) -> String {
    format!(
        r#"
[database]
max_connections = 4
acquire_timeout_ms = 5000

[conversation]
services_file = "{services}"

[[village]]
id = "kaliploso"
name = "Desa Kaliploso"
ticket_prefix = "KLP"
phone_number_id = "1122334455667"
{kaliploso_officers}

[[village]]
id = "sukamaju"
name = "Desa Sukamaju"
ticket_prefix = "SKM"
phone_number_id = "106540352242922"
"#,
        services = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("config/services.toml")
            .display()
    )
}

const SINGLE_VILLAGE: &str = r#"
[[village]]
id = "kaliploso"
name = "Desa Kaliploso"
ticket_prefix = "KLP"
phone_number_id = "1122334455667"
"#;

/// The binary, pointed at the test server's database and a configuration file of our own.
struct Cli {
    url: String,
    dir: PathBuf,
    config: PathBuf,
}

impl Cli {
    fn new(app: &TestApp, config_text: &str) -> Cli {
        let dir = random_dir("kentongan-officer-cli");
        std::fs::create_dir_all(&dir).unwrap();
        let config = dir.join("kentongan.toml");
        std::fs::write(&config, config_text).unwrap();
        Cli {
            url: app.database_url(),
            dir,
            config,
        }
    }

    fn run(&self, args: &[&str]) -> Output {
        let mut full = vec!["officer"];
        full.extend_from_slice(args);
        kentongan(
            &full,
            &[
                ("DATABASE_URL", &self.url),
                ("KENTONGAN_CONFIG", &self.config.display().to_string()),
            ],
        )
    }

    /// Runs `kentongan officer ARGS`, expects success, returns standard output.
    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        let stdout = String::from_utf8_lossy(&out.stdout).to_string();
        assert!(
            out.status.success(),
            "officer {args:?} failed: {stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        stdout
    }

    /// Runs `kentongan officer ARGS`, expects exit code 1 and `expected` in standard error.
    fn fails(&self, args: &[&str], expected: &[&str]) {
        let out = self.run(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(1),
            "officer {args:?} should fail: {}\n{stderr}",
            String::from_utf8_lossy(&out.stdout)
        );
        for e in expected {
            assert!(
                stderr.contains(e),
                "officer {args:?}: {e:?} not in {stderr}"
            );
        }
    }

    /// `officer add …` and the new officer's id.
    fn add(&self, args: &[&str]) -> i64 {
        let mut full = vec!["add"];
        full.extend_from_slice(args);
        let stdout = self.ok(&full);
        stdout
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("added officer #"))
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or_else(|| panic!("no id in {stdout}"))
    }
}

impl Drop for Cli {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The line of `officer list` output for officer `id`, split on runs of two or more spaces.
fn row_of(list: &str, id: i64) -> Option<Vec<String>> {
    list.lines()
        .find(|l| l.split_whitespace().next() == Some(&id.to_string()))
        .map(|l| {
            l.split("  ")
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(String::from)
                .collect()
        })
}

/// Settings for another server instance on the test app's database, with this configuration.
fn settings(app: &TestApp, config_text: &str) -> Settings {
    let url = app.database_url();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/test.toml");
    Settings::from_parts(&path, config_text, |k| match k {
        "DATABASE_URL" => Some(url.clone()),
        "KENTONGAN_LISTEN" => Some("127.0.0.1:0".into()),
        "KENTONGAN_OUTBOX_WORKER" => Some("off".into()),
        "WHATSAPP_APP_SECRET" => Some(APP_SECRET.into()),
        _ => None,
    })
    .expect("settings with officers")
}

both_backends! {
    async fn officer_add_list_update_deactivate_activate(app) {
        let cli = Cli::new(&app, &config_with(""));
        let sri = cli.add(&[
            "--village", "kaliploso", "--name", "Sri", "--phone", "0812 3456 7890",
            "--roles", "Sekdes,kades",
        ]);
        let kurir = cli.add(&[
            "--village", "sukamaju", "--name", "Mas Kurir", "--user-id", "ID.778899001122",
            "--roles", "kurir",
        ]);
        // The server's own store sees what the command wrote.
        let row = app.store.officer(sri).await.unwrap().expect("officer recorded");
        assert_eq!(row.village_id, "kaliploso");
        assert_eq!(row.wa_id.as_deref(), Some("6281234567890"));
        assert_eq!(row.roles, vec!["sekdes", "kades"]);
        assert!(row.active && row.on_duty);

        let list = cli.ok(&["list"]);
        assert!(list.starts_with("ID"), "{list}");
        assert_eq!(
            row_of(&list, sri).unwrap(),
            [&sri.to_string(), "kaliploso", "Sri", "6281234567890", "sekdes,kades", "yes", "yes"]
        );
        assert_eq!(
            row_of(&list, kurir).unwrap(),
            [&kurir.to_string(), "sukamaju", "Mas Kurir", "ID.778899001122", "kurir", "yes", "yes"]
        );
        let only = cli.ok(&["list", "--village", "kaliploso"]);
        assert!(row_of(&only, sri).is_some() && row_of(&only, kurir).is_none(), "{only}");

        let out = cli.ok(&[
            "update", &sri.to_string(), "--name", "Sri Wahyuni", "--phone", "+62 813-1111-2222",
            "--roles", "operator",
        ]);
        assert!(out.contains(&format!("updated officer #{sri}")), "{out}");
        let row = app.store.officer(sri).await.unwrap().unwrap();
        assert_eq!(row.name, "Sri Wahyuni");
        assert_eq!(row.wa_id.as_deref(), Some("6281311112222"));
        assert_eq!(row.roles, vec!["operator"]);

        let out = cli.ok(&["deactivate", &sri.to_string()]);
        assert!(out.contains("now inactive"), "{out}");
        assert!(!app.store.officer(sri).await.unwrap().unwrap().active);
        let active = app.store.officers(Some("kaliploso"), false).await.unwrap();
        assert!(active.iter().all(|o| o.id != sri), "{active:?}");
        let list = cli.ok(&["list"]);
        assert!(row_of(&list, sri).is_none(), "{list}");
        let list = cli.ok(&["list", "--all"]);
        let row = row_of(&list, sri).expect("--all lists inactive officers");
        assert_eq!(row[2..], ["Sri Wahyuni", "6281311112222", "operator", "no", "yes"]);
        // Again: not an error, and says so.
        let out = cli.ok(&["deactivate", &sri.to_string()]);
        assert!(out.contains("already inactive"), "{out}");

        let out = cli.ok(&["activate", &sri.to_string()]);
        assert!(out.contains("now active"), "{out}");
        assert!(app.store.officer(sri).await.unwrap().unwrap().active);
        assert_eq!(app.store.officers(None, false).await.unwrap().len(), 2);
    }

    async fn officer_default_village_is_the_only_configured_one(app) {
        let cli = Cli::new(&app, SINGLE_VILLAGE);
        let id = cli.add(&["--name", "Budi", "--phone", "081299990000", "--roles", "kurir"]);
        assert_eq!(app.store.officer(id).await.unwrap().unwrap().village_id, "kaliploso");
        // With two villages configured the village must be named.
        let two = Cli::new(&app, &config_with(""));
        two.fails(
            &["add", "--name", "Budi", "--phone", "081299990001", "--roles", "kurir"],
            &["kaliploso, sukamaju", "--village"],
        );
    }

    async fn officer_commands_refuse_bad_input_clearly(app) {
        let cli = Cli::new(&app, &config_with(""));
        let sri = cli.add(&[
            "--village", "kaliploso", "--name", "Sri", "--phone", "081234567890",
            "--roles", "sekdes",
        ]);
        let other = cli.add(&[
            "--village", "kaliploso", "--name", "Budi", "--phone", "081200001111",
            "--roles", "kurir",
        ]);
        let add = |extra: &[&'static str]| {
            let mut a = vec!["add", "--village", "kaliploso", "--name", "Baru"];
            a.extend_from_slice(extra);
            a
        };
        cli.fails(
            &add(&["--phone", "081277778888", "--roles", "operator,lurah"]),
            &["unknown role \"lurah\"", "operator, sekdes, kades, kurir"],
        );
        cli.fails(
            &add(&["--phone", "081277778888", "--roles", " , "]),
            &["no role", "operator, sekdes, kades, kurir"],
        );
        cli.fails(
            &add(&["--phone", "0812-abc-7777", "--roles", "kurir"]),
            &["\"0812-abc-7777\"", "not a WhatsApp number"],
        );
        cli.fails(
            &add(&["--phone", "0812", "--roles", "kurir"]),
            &["not a WhatsApp number", "fewer than 8"],
        );
        cli.fails(
            &add(&["--user-id", "not an id", "--roles", "kurir"]),
            &["--user-id", "not a business-scoped user id"],
        );
        // The same number written differently is the same number.
        cli.fails(
            &add(&["--phone", "+62 812-3456-7890", "--roles", "kurir"]),
            &[&format!("officer #{sri} already has this number")],
        );
        cli.fails(
            &["update", &other.to_string(), "--phone", "0812 3456 7890"],
            &[&format!("officer #{sri} already has this number")],
        );
        // Still refused while that officer is inactive, with a hint.
        cli.ok(&["deactivate", &sri.to_string()]);
        cli.fails(
            &add(&["--phone", "081234567890", "--roles", "kurir"]),
            &[&format!("officer #{sri} already has this number"), "activate"],
        );
        cli.fails(
            &[
                "add", "--village", "atlantis", "--name", "X", "--phone", "081277778888",
                "--roles", "kurir",
            ],
            &["unknown village \"atlantis\"", "kaliploso, sukamaju"],
        );
        cli.fails(&["list", "--village", "atlantis"], &["unknown village \"atlantis\""]);
        for cmd in ["deactivate", "activate"] {
            cli.fails(&[cmd, "999999"], &["there is no officer #999999"]);
        }
        cli.fails(&["update", "999999", "--name", "X"], &["there is no officer #999999"]);
        cli.fails(&["update", &other.to_string()], &["nothing to change"]);
        cli.fails(&["update", &other.to_string(), "--name", "  "], &["name is empty"]);
        cli.fails(&["update", &other.to_string(), "--roles", "camat"], &["unknown role \"camat\""]);
        // Neither number nor user id: refused by the argument parser (usage error, exit 2).
        let out = cli.run(&["add", "--village", "kaliploso", "--name", "X", "--roles", "kurir"]);
        assert_eq!(out.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&out.stderr).contains("--phone"));

        // Nothing of the refused commands was written; the same number in another village is fine.
        assert_eq!(app.store.officers(None, true).await.unwrap().len(), 2);
        let row = app.store.officer(other).await.unwrap().unwrap();
        assert_eq!((row.name.as_str(), row.wa_id.as_deref()), ("Budi", Some("6281200001111")));
        cli.add(&[
            "--village", "sukamaju", "--name", "Sri", "--phone", "081234567890",
            "--roles", "operator",
        ]);
    }

    async fn configured_officers_are_recorded_at_start_and_cli_changes_survive_restarts(app) {
        assert!(app.store.officers(None, true).await.unwrap().is_empty());
        let officers = r#"
[[village.officers]]
name = "Pak Kades"
phone = "0812 3456 7001"
roles = ["kades"]

[[village.officers]]
name = "Bu Sekdes"
phone = "+62 812-3456-7002"
roles = ["sekdes", "operator"]
"#;
        let config = config_with(officers);
        let first = Application::build(settings(&app, &config)).await.expect("first start");
        drop(first);
        let recorded = app.store.officers(Some("kaliploso"), true).await.unwrap();
        let mut seen: Vec<(String, Option<String>, Vec<String>, bool)> = recorded
            .iter()
            .map(|o| (o.name.clone(), o.wa_id.clone(), o.roles.clone(), o.active))
            .collect();
        seen.sort();
        assert_eq!(
            seen,
            vec![
                (
                    "Bu Sekdes".into(),
                    Some("6281234567002".into()),
                    vec!["sekdes".into(), "operator".into()],
                    true,
                ),
                ("Pak Kades".into(), Some("6281234567001".into()), vec!["kades".into()], true),
            ]
        );
        assert!(app.store.officers(Some("sukamaju"), true).await.unwrap().is_empty());
        let kades = recorded.iter().find(|o| o.name == "Pak Kades").unwrap().id;
        let sekdes = recorded.iter().find(|o| o.name == "Bu Sekdes").unwrap().id;

        // Changes made with the command line…
        let cli = Cli::new(&app, &config);
        cli.ok(&["deactivate", &kades.to_string()]);
        cli.ok(&["update", &sekdes.to_string(), "--phone", "081399998888", "--roles", "sekdes"]);

        // …survive a restart; an officer newly listed in the file is added then.
        let more = format!(
            "{officers}\n[[village.officers]]\nname = \"Mas Kurir\"\n\
             phone = \"081277776666\"\nroles = [\"kurir\"]\n"
        );
        for _ in 0..2 {
            let again = Application::build(settings(&app, &config_with(&more)))
                .await
                .expect("restart");
            drop(again);
        }
        let after = app.store.officers(None, true).await.unwrap();
        assert_eq!(after.len(), 3, "{after:?}");
        let kades_row = app.store.officer(kades).await.unwrap().unwrap();
        assert!(!kades_row.active, "the restart re-activated a deactivated officer");
        let sekdes_row = app.store.officer(sekdes).await.unwrap().unwrap();
        assert_eq!(sekdes_row.wa_id.as_deref(), Some("6281399998888"));
        assert_eq!(sekdes_row.roles, vec!["sekdes"]);
        let kurir = after.iter().find(|o| o.name == "Mas Kurir").expect("new configured officer");
        assert_eq!(
            (kurir.village_id.as_str(), kurir.wa_id.as_deref(), kurir.active),
            ("kaliploso", Some("6281277776666"), true)
        );
    }
}

/// A fresh SQLite file without any server: the command creates and migrates the database and
/// records the configured village itself.
#[test]
fn officer_add_works_on_a_new_database() {
    let dir = random_dir("kentongan-officer-fresh");
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("kentongan.toml");
    std::fs::write(&config, SINGLE_VILLAGE).unwrap();
    let url = format!("sqlite://{}/new/k.db", dir.display());
    let config = config.display().to_string();
    let env = [
        ("DATABASE_URL", url.as_str()),
        ("KENTONGAN_CONFIG", config.as_str()),
    ];
    let out = kentongan(
        &[
            "officer",
            "add",
            "--name",
            "Pak Kades",
            "--phone",
            "0812 3456 7001",
            "--roles",
            "kades",
        ],
        &env,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = kentongan(&["officer", "list"], &env);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    let row = row_of(&stdout, 1).unwrap_or_else(|| panic!("{stdout}"));
    assert_eq!(
        row,
        [
            "1",
            "kaliploso",
            "Pak Kades",
            "6281234567001",
            "kades",
            "yes",
            "yes"
        ]
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn officer_commands_refuse_a_bad_officer_configuration() {
    let dir = random_dir("kentongan-officer-badconf");
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("kentongan.toml");
    std::fs::write(
        &config,
        format!(
            "{SINGLE_VILLAGE}\n[[village.officers]]\nname = \"Pak Kades\"\n\
             phone = \"0812 3456 7001\"\nroles = [\"lurah\"]\n"
        ),
    )
    .unwrap();
    let config = config.display().to_string();
    let url = format!("sqlite://{}/k.db", dir.display());
    let env = [
        ("DATABASE_URL", url.as_str()),
        ("KENTONGAN_CONFIG", config.as_str()),
    ];
    for args in [&["officer", "list"][..], &["check-config"][..]] {
        let out = kentongan(args, &env);
        assert!(!out.status.success(), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        for e in ["\"kaliploso\"", "\"Pak Kades\"", "unknown role \"lurah\""] {
            assert!(stderr.contains(e), "{args:?}: {e:?} not in {stderr}");
        }
    }
    // Refused before the database was touched.
    assert!(!dir.join("k.db").exists());
    let _ = std::fs::remove_dir_all(dir);
}

impl Cli {
    /// Runs `kentongan officer ARGS` with `input` on standard input.
    fn run_with_input(&self, args: &[&str], input: &str) -> Output {
        use std::io::Write;
        use std::process::{Command, Stdio};
        let mut child = Command::new(env!("CARGO_BIN_EXE_kentongan"))
            .arg("officer")
            .args(args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("DATABASE_URL", &self.url)
            .env("KENTONGAN_CONFIG", self.config.display().to_string())
            .env_remove("WHATSAPP_ACCESS_TOKEN")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("kentongan runs");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input.as_bytes())
            .unwrap();
        child.wait_with_output().expect("kentongan finishes")
    }
}

both_backends! {
    async fn set_password_lets_the_officer_log_in_to_the_dashboard(app) {
        let cli = Cli::new(&app, &config_with(""));
        let id = cli.add(&["--village", "kaliploso", "--name", "Sari", "--phone", "081300000001", "--roles", "operator"]);
        let short = cli.run_with_input(&["set-password", &id.to_string()], "pendek\n");
        assert_eq!(short.status.code(), Some(1));
        assert!(String::from_utf8_lossy(&short.stderr).contains("at least 8"));
        let unknown = cli.run_with_input(&["set-password", "9999"], "kata-sandi-baru-1\n");
        assert_eq!(unknown.status.code(), Some(1));
        assert!(String::from_utf8_lossy(&unknown.stderr).contains("no officer #9999"));
        let ok = cli.run_with_input(&["set-password", &id.to_string()], "kata-sandi-baru-1\n");
        assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
        let login = crate::dashboard::try_login(&app, "081300000001", "kata-sandi-baru-1").await;
        assert_eq!(login.status(), 303);
        let wrong = crate::dashboard::try_login(&app, "081300000001", "kata-sandi-lama").await;
        assert_eq!(wrong.status(), 401);
    }
}
