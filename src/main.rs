//! The `kentongan` command: parses the command line and calls into the library.
#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use kentongan::app::{shutdown_signal, Application};
use kentongan::config::Settings;
use kentongan::conversation::ConversationService;
use kentongan::store::officers::{parse_roles, NewOfficer, OfficerChange, OfficerRow};
use kentongan::store::Store;

#[derive(Parser)]
#[command(
    name = "kentongan",
    version,
    about = "WhatsApp service desk for village offices"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (the default).
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Load and validate the configuration, print a summary (secrets hidden) and exit.
    CheckConfig,
    /// Read messages one per line from standard input; print each one's intent labels
    /// (comma-separated) on its own line.
    Classify,
    /// Chat with a running server in sandbox mode as a resident, from the terminal.
    Simulate {
        /// The server's base URL.
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        url: String,
        /// The resident's WhatsApp number (default: a random 62812… number).
        #[arg(long)]
        number: Option<String>,
        /// The resident's profile name.
        #[arg(long)]
        name: Option<String>,
        /// The village id (default: the first configured village).
        #[arg(long)]
        village: Option<String>,
    },
    /// Manage the village officers (petugas). Changes apply at once, without restarting the
    /// server.
    Officer {
        #[command(subcommand)]
        command: OfficerCommand,
    },
}

#[derive(Subcommand)]
enum OfficerCommand {
    /// Add an officer (active and on duty); prints the new officer's id.
    #[command(group(
        clap::ArgGroup::new("contact").required(true).multiple(true).args(["phone", "user_id"])
    ))]
    Add {
        /// The village id (default: the only configured village).
        #[arg(long)]
        village: Option<String>,
        /// The officer's name, e.g. "Sri Wahyuni".
        #[arg(long)]
        name: String,
        /// The officer's WhatsApp number, e.g. 0812 3456 7890 or +62 812-3456-7890.
        #[arg(long)]
        phone: Option<String>,
        /// The officer's business-scoped WhatsApp user id, when the number is not known.
        #[arg(long)]
        user_id: Option<String>,
        /// Comma-separated roles: operator, sekdes, kades, kurir.
        #[arg(long)]
        roles: String,
    },
    /// List the officers (active ones only, unless --all).
    List {
        /// Only this village's officers.
        #[arg(long)]
        village: Option<String>,
        /// Include inactive officers.
        #[arg(long)]
        all: bool,
    },
    /// Change an officer's name, number, user id or roles.
    Update {
        /// The officer's id (see `kentongan officer list`).
        id: i64,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        phone: Option<String>,
        #[arg(long)]
        user_id: Option<String>,
        /// Comma-separated roles, replacing the current ones: operator, sekdes, kades, kurir.
        #[arg(long)]
        roles: Option<String>,
    },
    /// Deactivate an officer: their messages are then treated as a resident's and they receive
    /// no officer messages. Nothing is deleted.
    Deactivate {
        /// The officer's id.
        id: i64,
    },
    /// Activate a deactivated officer again.
    Activate {
        /// The officer's id.
        id: i64,
    },
    /// Set the officer's dashboard password, read from standard input (one line, at least 8
    /// characters). Their open dashboard sessions end.
    SetPassword {
        /// The officer's id.
        id: i64,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::load() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("kentongan: configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    // The officer commands print tables and ids on standard output; logs would mix into them.
    if !matches!(cli.command, Some(Command::Officer { .. })) {
        kentongan::telemetry::init(settings.log_format);
    }
    if matches!(cli.command, Some(Command::Classify)) {
        return classify(&settings);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("kentongan: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match cli.command.unwrap_or(Command::Serve) {
            Command::Serve => {
                let app = Application::build(settings).await?;
                app.run_until(shutdown_signal()).await
            }
            Command::Migrate => {
                let store = Store::connect_only(&settings.database).await?;
                store.migrate().await?;
                println!(
                    "migrations applied to {} ({})",
                    settings.database.redacted_url(),
                    store.backend_name()
                );
                store.close().await;
                Ok(())
            }
            Command::Classify => Ok(()),
            Command::Simulate {
                url,
                number,
                name,
                village,
            } => {
                kentongan::simulator::terminal::run(kentongan::simulator::terminal::Options {
                    url,
                    number,
                    name,
                    village,
                })
                .await
            }
            Command::Officer { command } => officer(&settings, command).await,
            Command::CheckConfig => {
                print!("{}", settings.summary());
                let service = ConversationService::load(&settings.conversation, &settings.villages)
                    .map_err(|e| {
                        anyhow::anyhow!(
                            "service catalogue {}: {e}",
                            settings.conversation.services_file.display()
                        )
                    })?;
                let enabled: Vec<&str> = service
                    .catalogue()
                    .enabled()
                    .map(|s| s.code.as_str())
                    .collect();
                println!(
                    "services:         {} enabled ({})",
                    enabled.len(),
                    enabled.join(", ")
                );
                println!("configuration OK");
                Ok(())
            }
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kentongan: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// `kentongan classify`: the recogniser as a filter, for evaluation on labelled sets.
fn classify(settings: &Settings) -> ExitCode {
    use std::io::{BufRead, Write};
    let service = match ConversationService::load(&settings.conversation, &settings.villages) {
        Ok(s) => s,
        Err(e) => {
            eprintln!(
                "kentongan: service catalogue {}: {e}",
                settings.conversation.services_file.display()
            );
            return ExitCode::from(2);
        }
    };
    let stdin = std::io::stdin();
    let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
    for line in stdin.lock().lines() {
        let line = match line {
            Ok(l) => l,
            Err(e) => {
                eprintln!("kentongan: cannot read standard input: {e}");
                return ExitCode::FAILURE;
            }
        };
        let labels = service.recogniser().labels(&line);
        if writeln!(stdout, "{}", labels.join(",")).is_err() {
            return ExitCode::FAILURE;
        }
    }
    if stdout.flush().is_err() {
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

/// `kentongan officer …`: validate the arguments against the configuration, then act on the
/// database (migrated first, like the server does).
async fn officer(settings: &Settings, command: OfficerCommand) -> anyhow::Result<()> {
    use anyhow::Context;
    // Arguments are checked before the database is opened, so a typo costs nothing.
    enum Action {
        Add(NewOfficer),
        List(Option<String>, bool),
        Update(i64, OfficerChange),
        SetActive(i64, bool),
        SetPassword(i64, String),
    }
    let action = match command {
        OfficerCommand::Add {
            village,
            name,
            phone,
            user_id,
            roles,
        } => Action::Add(NewOfficer {
            village_id: village_for(settings, village)?,
            name,
            wa_id: phone.as_deref().map(parse_phone).transpose()?,
            user_id: user_id.as_deref().map(parse_user_id).transpose()?,
            roles: parse_roles(&roles).map_err(|e| anyhow::anyhow!("--roles: {e}"))?,
        }),
        OfficerCommand::List { village, all } => {
            let village = match village {
                Some(v) => Some(village_for(settings, Some(v))?),
                None => None,
            };
            Action::List(village, all)
        }
        OfficerCommand::Update {
            id,
            name,
            phone,
            user_id,
            roles,
        } => {
            let change = OfficerChange {
                name,
                wa_id: phone.as_deref().map(parse_phone).transpose()?,
                user_id: user_id.as_deref().map(parse_user_id).transpose()?,
                roles: roles
                    .as_deref()
                    .map(parse_roles)
                    .transpose()
                    .map_err(|e| anyhow::anyhow!("--roles: {e}"))?,
            };
            if change.is_empty() {
                anyhow::bail!("nothing to change: give --name, --phone, --user-id or --roles");
            }
            Action::Update(id, change)
        }
        OfficerCommand::Deactivate { id } => Action::SetActive(id, false),
        OfficerCommand::Activate { id } => Action::SetActive(id, true),
        OfficerCommand::SetPassword { id } => {
            use std::io::{BufRead, IsTerminal};
            if std::io::stdin().is_terminal() {
                eprint!("New dashboard password for officer #{id} (shown as you type): ");
            }
            let mut line = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .context("reading the password from standard input")?;
            let password = line.trim_end_matches(['\r', '\n']).to_string();
            let hash = kentongan::dashboard::auth::hash_password(&password)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            Action::SetPassword(id, hash)
        }
    };
    let store = Store::connect(&settings.database)
        .await
        .with_context(|| format!("opening the database {}", settings.database.redacted_url()))?;
    let result = async {
        match action {
            Action::Add(new) => {
                store.record_missing_villages(&settings.villages).await?;
                let id = store.add_officer_full(&new).await?;
                println!("added officer #{id}");
                if let Some(row) = store.officer(id).await? {
                    println!("{}", describe(&row));
                }
            }
            Action::List(village, all) => {
                let rows = store.officers(village.as_deref(), all).await?;
                print!("{}", officer_table(&rows));
                if rows.is_empty() {
                    println!(
                        "(no {}officers{})",
                        if all { "" } else { "active " },
                        village.map(|v| format!(" in {v}")).unwrap_or_default()
                    );
                }
            }
            Action::Update(id, change) => {
                let row = store.update_officer(id, &change).await?;
                println!("updated officer #{id}");
                println!("{}", describe(&row));
            }
            Action::SetPassword(id, hash) => {
                if !store.set_officer_password(id, &hash).await? {
                    anyhow::bail!("there is no officer #{id}");
                }
                println!("password set for officer #{id}; they can log in at /dasbor");
            }
            Action::SetActive(id, active) => {
                let changed = store.set_officer_active(id, active).await?;
                let row = store
                    .officer(id)
                    .await?
                    .ok_or_else(|| anyhow::anyhow!("there is no officer #{id}"))?;
                let word = if active { "active" } else { "inactive" };
                if changed {
                    println!("officer #{id} ({}) is now {word}", row.name);
                } else {
                    println!("officer #{id} ({}) was already {word}", row.name);
                }
            }
        }
        anyhow::Ok(())
    }
    .await;
    store.close().await;
    result
}

/// The village named on the command line, which must be configured; without one, the only
/// configured village.
fn village_for(settings: &Settings, village: Option<String>) -> anyhow::Result<String> {
    let known: Vec<&str> = settings.villages.iter().map(|v| v.id.as_str()).collect();
    match village {
        Some(v) if known.contains(&v.as_str()) => Ok(v),
        Some(v) => anyhow::bail!(
            "unknown village {v:?}: the configuration ({}) lists {}",
            settings.config_path.display(),
            known.join(", ")
        ),
        None => match known.as_slice() {
            [only] => Ok(only.to_string()),
            _ => anyhow::bail!(
                "several villages are configured ({}); choose one with --village",
                known.join(", ")
            ),
        },
    }
}

fn parse_phone(text: &str) -> anyhow::Result<kentongan::domain::phone::WaId> {
    kentongan::domain::phone::WaId::parse(text)
        .map_err(|e| anyhow::anyhow!("--phone {text:?} is not a WhatsApp number: {e}"))
}

fn parse_user_id(text: &str) -> anyhow::Result<kentongan::domain::phone::UserId> {
    kentongan::domain::phone::UserId::parse(text)
        .map_err(|e| anyhow::anyhow!("--user-id {text:?} is not a business-scoped user id: {e}"))
}

fn contact(row: &OfficerRow) -> String {
    match (&row.wa_id, &row.user_id) {
        (Some(w), Some(u)) => format!("{w} / {u}"),
        (Some(w), None) => w.clone(),
        (None, Some(u)) => u.clone(),
        (None, None) => "-".into(),
    }
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

/// One line about an officer (the admin sees the full number: it is their own staff's).
fn describe(row: &OfficerRow) -> String {
    format!(
        "#{} {} — village {}, {}, roles {}, {}, {}",
        row.id,
        row.name,
        row.village_id,
        contact(row),
        row.roles.join(","),
        if row.active { "active" } else { "inactive" },
        if row.on_duty { "on duty" } else { "off duty" }
    )
}

/// The officers as an aligned table with a header line.
fn officer_table(rows: &[OfficerRow]) -> String {
    let header = [
        "ID",
        "VILLAGE",
        "NAME",
        "NUMBER/USER ID",
        "ROLES",
        "ACTIVE",
        "ON DUTY",
    ]
    .map(String::from);
    let lines: Vec<[String; 7]> = rows
        .iter()
        .map(|r| {
            [
                r.id.to_string(),
                r.village_id.clone(),
                r.name.clone(),
                contact(r),
                r.roles.join(","),
                yes_no(r.active).into(),
                yes_no(r.on_duty).into(),
            ]
        })
        .collect();
    let mut widths = header.clone().map(|h| h.chars().count());
    for line in &lines {
        for (w, cell) in widths.iter_mut().zip(line) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for line in std::iter::once(&header).chain(&lines) {
        let cells: Vec<String> = line
            .iter()
            .zip(widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}
