//! The `kentongan` command: parses the command line and calls into the library.
#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use kentongan::app::{shutdown_signal, Application};
use kentongan::config::Settings;
use kentongan::conversation::ConversationService;
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
    kentongan::telemetry::init(settings.log_format);
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
