//! The `kentongan` binary's configuration commands.

use std::process::Command;

/// Run the real binary from the repository root with a clean environment plus `env`.
pub(crate) fn kentongan(args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kentongan"));
    cmd.args(args).current_dir(env!("CARGO_MANIFEST_DIR"));
    for key in [
        "DATABASE_URL",
        "KENTONGAN_CONFIG",
        "KENTONGAN_LISTEN",
        "WHATSAPP_APP_SECRET",
        "WHATSAPP_ACCESS_TOKEN",
        "WHATSAPP_VERIFY_TOKEN",
        "WHATSAPP_PHONE_NUMBER_ID",
        "WHATSAPP_GRAPH_URL",
        "KENTONGAN_DATA_DIR",
        "KENTONGAN_LOG_FORMAT",
        "KENTONGAN_OUTBOX_RATE",
        "KENTONGAN_WEBHOOK_BODY_LIMIT",
    ] {
        cmd.env_remove(key);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("kentongan runs")
}

#[test]
fn check_config_prints_a_summary_without_secrets() {
    let out = kentongan(
        &["check-config"],
        &[
            ("WHATSAPP_APP_SECRET", "very-secret-app"),
            ("WHATSAPP_ACCESS_TOKEN", "EAAG-very-secret"),
            ("WHATSAPP_PHONE_NUMBER_ID", "1122334455667"),
            ("DATABASE_URL", "postgres://kt:pa55word@db.local/kt"),
        ],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("live"), "{stdout}");
    assert!(stdout.contains("1122334455667"), "{stdout}");
    for secret in ["very-secret-app", "EAAG-very-secret", "pa55word"] {
        assert!(!stdout.contains(secret), "{secret} printed: {stdout}");
    }
}

#[test]
fn check_config_defaults_to_sandbox_mode() {
    let out = kentongan(&["check-config"], &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(stdout.contains("sandbox"), "{stdout}");
    assert!(stdout.contains("sqlite://data/kentongan.db"), "{stdout}");
}

#[test]
fn check_config_fails_clearly_on_a_problem() {
    let out = kentongan(&["check-config"], &[("WHATSAPP_ACCESS_TOKEN", "t")]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("WHATSAPP_APP_SECRET"), "{stderr}");

    let out = kentongan(
        &["check-config"],
        &[("KENTONGAN_CONFIG", "/nonexistent/k.toml")],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/k.toml"));
}

#[test]
fn migrate_creates_the_embedded_database() {
    let dir = std::env::temp_dir().join(format!("kentongan-cli-{}", std::process::id()));
    let url = format!("sqlite://{}/nested/k.db", dir.display());
    let out = kentongan(&["migrate"], &[("DATABASE_URL", &url)]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dir.join("nested/k.db").exists());
    // Applying again is a no-op, not an error.
    let out = kentongan(&["migrate"], &[("DATABASE_URL", &url)]);
    assert!(out.status.success());
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn classify_labels_each_line_of_standard_input() {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_kentongan"))
        .arg("classify")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("KENTONGAN_CONFIG")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("kentongan runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all("mw urus sckc gmn caranya\nbukan skck, sktm\nisun arep gawe akta procot\nskck dan sktm\n\n".as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let lines: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    assert_eq!(
        lines,
        vec!["skck", "sktm", "akta_lahir", "skck,sktm", "none"]
    );
}
