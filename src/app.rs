//! `Application::build`: settings → store → router, bound to a listener; then serve until a
//! shutdown signal, finishing in-flight requests and closing the pool.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::MatchedPath;
use axum::http::Request;
use axum::Router;
use tower_http::trace::TraceLayer;

use crate::config::{Mode, Secret, Settings, VillageConfig};
use crate::conversation::ConversationService;
use crate::metrics::Metrics;
use crate::officers::deadlines::Deadlines;
use crate::outbound::fetch::{MediaFetcher, MediaSource};
use crate::outbound::outbox::{OutboxWorker, Transport};
use crate::outbound::sandbox::Sandbox;
use crate::outbound::{GraphClient, MediaLimits};
use crate::store::Store;
use crate::webhook::ingest::Routing;
use crate::webhook::intake::{Intake, IntakeSettings};

/// Shared state of the HTTP handlers.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<StateInner>,
}

struct StateInner {
    store: Store,
    routing: Routing,
    app_secret: Secret,
    verify_token: Option<Secret>,
    metrics: Arc<Metrics>,
    conversation: Arc<ConversationService>,
    intake: Intake,
    outbox_wake: Arc<tokio::sync::Notify>,
    media_wake: Arc<tokio::sync::Notify>,
    sandbox: Option<Arc<Sandbox>>,
    villages: Vec<VillageConfig>,
    self_url: String,
    live: bool,
    settings: Arc<Settings>,
}

impl AppState {
    pub fn store(&self) -> &Store {
        &self.inner.store
    }
    pub fn routing(&self) -> &Routing {
        &self.inner.routing
    }
    pub fn app_secret(&self) -> &Secret {
        &self.inner.app_secret
    }
    pub fn verify_token(&self) -> Option<&Secret> {
        self.inner.verify_token.as_ref()
    }
    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }
    pub fn conversation(&self) -> &ConversationService {
        &self.inner.conversation
    }
    /// The webhook intake workers (group commit).
    pub fn intake(&self) -> &Intake {
        &self.inner.intake
    }
    /// Tell the outbox worker that new messages are queued.
    pub fn wake_outbox(&self) {
        self.inner.outbox_wake.notify_one();
        // New messages may have brought attachments to download.
        self.inner.media_wake.notify_one();
    }
    /// The local stand-in for Meta, in sandbox mode.
    pub fn sandbox(&self) -> Option<&Arc<Sandbox>> {
        self.inner.sandbox.as_ref()
    }
    /// The configured villages.
    pub fn villages(&self) -> &[VillageConfig] {
        &self.inner.villages
    }
    /// How this server reaches itself over HTTP (`http://127.0.0.1:PORT` when listening on all
    /// interfaces): the simulator posts its webhooks there.
    pub fn self_url(&self) -> &str {
        &self.inner.self_url
    }
    /// Live mode (talking to Meta), as opposed to the sandbox.
    pub fn live(&self) -> bool {
        self.inner.live
    }
    /// The settings the server started with (the dashboard's settings page shows them).
    pub fn settings(&self) -> &Settings {
        &self.inner.settings
    }
}

pub struct Application {
    listener: tokio::net::TcpListener,
    router: Router,
    store: Store,
    local_addr: SocketAddr,
    worker: Option<Arc<OutboxWorker>>,
    fetcher: Option<Arc<MediaFetcher>>,
    /// Escalations, unconfirmed deliveries and the morning summary; runs where the outbox
    /// worker runs.
    deadlines: Option<Arc<Deadlines>>,
    state: AppState,
}

impl Application {
    /// Connect and migrate the database, record the configured villages, and bind the listener
    /// (port 0 picks a free port; [`Application::local_addr`] tells which).
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        use anyhow::Context;
        let conversation = ConversationService::load_with_officers(
            &settings.conversation,
            &settings.officers,
            &settings.villages,
        )
        .with_context(|| {
            format!(
                "loading the service catalogue {}",
                settings.conversation.services_file.display()
            )
        })?;
        let store = Store::connect(&settings.database)
            .await
            .context("opening the database")?;
        store
            .sync_villages(&settings.villages)
            .await
            .context("recording the configured villages")?;
        store
            .sync_configured_officers(&settings.villages)
            .await
            .context("recording the configured officers")?;
        let app_secret = match &settings.whatsapp.app_secret {
            Some(secret) => secret.clone(),
            None => {
                // Sandbox without an app secret: webhooks are still verified, against a secret
                // made up for this run that only the local simulator knows. An unsigned POST is
                // never accepted.
                tracing::warn!("WHATSAPP_APP_SECRET is not set: using a random secret for this run; only the built-in sandbox can sign webhooks");
                Secret::new(random_hex(32))
            }
        };
        let routing = Routing::new(
            settings
                .villages
                .iter()
                .map(|v| (Settings::routing_number(v), v.id.clone())),
        );
        let metrics = Arc::new(Metrics::default());
        let (transport, media_source, sandbox) = match &settings.whatsapp.access_token {
            Some(token) => {
                let client = || {
                    GraphClient::new(
                        &settings.whatsapp.graph_url,
                        token.clone(),
                        settings.whatsapp.timeout,
                    )
                    .context("building the Graph API client")
                };
                (
                    Transport::Graph(client()?),
                    MediaSource::Graph(client()?),
                    None,
                )
            }
            None => {
                let sandbox = Arc::new(Sandbox::new());
                (
                    Transport::Sandbox(sandbox.clone()),
                    MediaSource::Sandbox(sandbox.clone()),
                    Some(sandbox),
                )
            }
        };
        let fetcher = Arc::new(MediaFetcher::new(
            store.clone(),
            media_source,
            settings.data_dir.clone(),
            MediaLimits::default(),
        ));
        let numbers = settings
            .villages
            .iter()
            .map(|v| (v.id.clone(), Settings::routing_number(v)))
            .collect();
        let worker = Arc::new(OutboxWorker::new(
            store.clone(),
            transport,
            numbers,
            settings.outbox.clone(),
            Some(metrics.clone()),
        ));
        let deadlines = Arc::new(
            Deadlines::new(
                store.clone(),
                settings.officers.clone(),
                settings.villages.clone(),
                conversation.catalogue().clone(),
            )
            .with_outbox_wake(worker.wake.clone()),
        );
        let listener = tokio::net::TcpListener::bind(settings.listen)
            .await
            .with_context(|| format!("binding the listen address {}", settings.listen))?;
        let local_addr = listener.local_addr()?;
        let intake = Intake::start(
            store.clone(),
            Some(metrics.clone()),
            routing.clone(),
            Some(conversation.clone()),
            settings
                .intake
                .unwrap_or_else(|| IntakeSettings::for_backend(store.backend_name())),
        );
        let state = AppState {
            inner: Arc::new(StateInner {
                store: store.clone(),
                routing,
                intake,
                app_secret,
                verify_token: settings.whatsapp.verify_token.clone(),
                metrics,
                conversation,
                outbox_wake: worker.wake.clone(),
                media_wake: fetcher.wake.clone(),
                sandbox,
                villages: settings.villages.clone(),
                self_url: self_url(local_addr),
                live: settings.mode() == Mode::Live,
                settings: Arc::new(settings.clone()),
            }),
        };
        let router = Router::new()
            .merge(crate::webhook::router(settings.webhook_body_limit))
            .merge(crate::ops::router())
            .merge(crate::simulator::router())
            .merge(crate::dashboard::router())
            .with_state(state.clone())
            .layer(
                TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
                    // Span named by the matched route, never by the raw URI (query strings can
                    // carry the verify token).
                    let route = req
                        .extensions()
                        .get::<MatchedPath>()
                        .map(MatchedPath::as_str)
                        .unwrap_or("unmatched");
                    tracing::info_span!("http", method = %req.method(), route)
                }),
            );
        match settings.mode() {
            Mode::Live => tracing::info!(
                listen = %local_addr,
                database = store.backend_name(),
                graph_url = %settings.whatsapp.graph_url,
                villages = settings.villages.len(),
                "Kentongan is running in LIVE mode: webhooks must be signed by Meta, replies go to the WhatsApp Cloud API"
            ),
            Mode::Sandbox => tracing::info!(
                listen = %local_addr,
                database = store.backend_name(),
                villages = settings.villages.len(),
                "Kentongan is running in SANDBOX mode (no WHATSAPP_ACCESS_TOKEN): nothing is sent to Meta; open {}/simulator to chat as a resident",
                self_url(local_addr)
            ),
        }
        Ok(Self {
            listener,
            router,
            store,
            local_addr,
            worker: settings.run_outbox_worker.then_some(worker),
            fetcher: settings.run_outbox_worker.then_some(fetcher),
            deadlines: settings.run_outbox_worker.then_some(deadlines),
            state,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serve until `shutdown` completes; then stop accepting, let in-flight requests finish,
    /// and close the database pool.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let worker = self.worker.map(|w| tokio::spawn(w.run(stop_rx.clone())));
        let fetcher = self.fetcher.map(|f| tokio::spawn(f.run(stop_rx.clone())));
        let deadlines = self.deadlines.map(|d| tokio::spawn(d.run(stop_rx)));
        let sandbox = self.state.sandbox().cloned();
        let shutdown = async move {
            shutdown.await;
            // The simulator's long polls would otherwise hold the shutdown for seconds.
            if let Some(sandbox) = sandbox {
                sandbox.close();
            }
        };
        // Connection info lets the simulator tell loopback callers apart.
        let service = self
            .router
            .into_make_service_with_connect_info::<SocketAddr>();
        axum::serve(self.listener, service)
            .with_graceful_shutdown(shutdown)
            .await?;
        // The worker finishes the sends it has in flight and records them before the pool
        // closes; what it had not claimed stays queued for the next start.
        let _ = stop_tx.send(true);
        if let Some(worker) = worker {
            let _ = worker.await;
        }
        if let Some(fetcher) = fetcher {
            let _ = fetcher.await;
        }
        if let Some(deadlines) = deadlines {
            let _ = deadlines.await;
        }
        tracing::info!("HTTP server and outbox worker stopped; closing the database");
        self.store.close().await;
        Ok(())
    }
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutdown signal received: finishing in-flight requests");
}

/// The base URL at which this server reaches itself: a wildcard listen address becomes the
/// loopback address of the same family.
fn self_url(local_addr: SocketAddr) -> String {
    let mut addr = local_addr;
    if addr.ip().is_unspecified() {
        addr.set_ip(match addr {
            SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
            SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
        });
    }
    format!("http://{addr}")
}

fn random_hex(bytes: usize) -> String {
    use rand::RngCore;
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    hex::encode(buf)
}
