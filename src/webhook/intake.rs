//! Group commit for the webhook: payloads that arrive while the database is busy are written
//! together, in one transaction, by a few intake workers.
//!
//! Every request still gets its answer only after what it carried is committed, and each
//! message is still answered in the transaction that stores it; what is shared is the
//! transaction's start, its commit and the commit's flush to disk, which otherwise dominate the
//! cost of a small payload. Under light load a batch holds a single payload and nothing changes;
//! under heavy load a batch holds whatever queued up while the previous one was written.

use std::sync::Arc;

use axum::body::Bytes;
use tokio::sync::{mpsc, oneshot, Mutex};

use super::ingest::{
    ingest_plan, plan_payload, record_wamids, write_batch, BatchItem, IngestError, IngestReport,
    Plan, Routing,
};
use super::payload::{Payload, PayloadError};
use crate::conversation::ConversationService;
use crate::metrics::Metrics;
use crate::store::{Store, StoreError, Timestamp};

/// How the intake batches: how many workers write at once, and how many payloads one
/// transaction may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IntakeSettings {
    pub workers: usize,
    pub max_batch: usize,
}

impl IntakeSettings {
    /// One worker for SQLite, which has a single writer anyway; a few for PostgreSQL, so that
    /// one batch is being written while the next commits.
    pub fn for_backend(backend: &str) -> Self {
        match backend {
            "sqlite" => Self {
                workers: 1,
                max_batch: 64,
            },
            _ => Self {
                workers: 3,
                max_batch: 64,
            },
        }
    }
}

struct Job {
    body: Bytes,
    received_at: Timestamp,
    span: tracing::Span,
    reply: oneshot::Sender<Result<IngestReport, IngestError>>,
}

/// The front of the intake workers; cheap to clone.
#[derive(Clone)]
pub struct Intake {
    jobs: mpsc::Sender<Job>,
}

struct Shared {
    store: Store,
    metrics: Option<Arc<Metrics>>,
    routing: Routing,
    conversation: Option<Arc<ConversationService>>,
    max_batch: usize,
    queue: Mutex<mpsc::Receiver<Job>>,
}

impl Intake {
    /// Start the workers. They stop when the last [`Intake`] is dropped and the queue is empty.
    pub fn start(
        store: Store,
        metrics: Option<Arc<Metrics>>,
        routing: Routing,
        conversation: Option<Arc<ConversationService>>,
        settings: IntakeSettings,
    ) -> Self {
        let workers = settings.workers.max(1);
        let (jobs, queue) = mpsc::channel(1024);
        let shared = Arc::new(Shared {
            store,
            metrics,
            routing,
            conversation,
            max_batch: settings.max_batch.max(1),
            queue: Mutex::new(queue),
        });
        for _ in 0..workers {
            tokio::spawn(run(shared.clone()));
        }
        Self { jobs }
    }

    /// Parse `body` and commit everything it carries, as [`super::ingest::ingest`] does,
    /// possibly in one transaction with other payloads. Runs in the caller's span.
    pub async fn submit(
        &self,
        body: Bytes,
        received_at: Timestamp,
    ) -> Result<IngestReport, IngestError> {
        let (reply, answer) = oneshot::channel();
        let job = Job {
            body,
            received_at,
            span: tracing::Span::current(),
            reply,
        };
        if self.jobs.send(job).await.is_err() {
            return Err(stopped());
        }
        answer.await.unwrap_or_else(|_| Err(stopped()))
    }
}

fn stopped() -> IngestError {
    IngestError::Store(StoreError::Setup(
        "the webhook intake stopped before storing the payload; nothing of it was committed".into(),
    ))
}

async fn run(shared: Arc<Shared>) {
    loop {
        let jobs = {
            let mut queue = shared.queue.lock().await;
            let Some(first) = queue.recv().await else {
                return;
            };
            let mut jobs = vec![first];
            while jobs.len() < shared.max_batch {
                match queue.try_recv() {
                    Ok(job) => jobs.push(job),
                    Err(_) => break,
                }
            }
            jobs
        };
        // In a task of its own, so that a panic (a bug) costs this batch's requests an error
        // answer (Meta retries them), not the worker.
        let batch = tokio::spawn({
            let shared = shared.clone();
            async move { process(&shared, jobs).await }
        });
        if let Err(e) = batch.await {
            tracing::error!(error = %e, "webhook intake batch failed unexpectedly; its requests were answered with an error");
        }
    }
}

/// Write one batch and answer each of its requests.
async fn process(shared: &Shared, jobs: Vec<Job>) {
    let mut replies = Vec::with_capacity(jobs.len());
    let mut bodies = Vec::with_capacity(jobs.len());
    for job in jobs {
        bodies.push(job.body);
        replies.push((job.received_at, job.span, Some(job.reply)));
    }
    // Read every payload first: one that cannot be read is answered at once (the handler
    // dead-letters it) and takes no part in the transaction.
    let texts: Vec<Result<&str, std::str::Utf8Error>> =
        bodies.iter().map(|b| std::str::from_utf8(b)).collect();
    let payloads: Vec<Option<Payload<'_>>> = texts
        .iter()
        .zip(replies.iter_mut())
        .map(|(text, (_, _, reply))| {
            match text.map_err(PayloadError::from).and_then(Payload::parse) {
                Ok(p) => Some(p),
                Err(e) => {
                    answer(reply, Err(e.into()));
                    None
                }
            }
        })
        .collect();
    let mut planned: Vec<(usize, Plan<'_>)> = Vec::with_capacity(payloads.len());
    for (i, payload) in payloads.iter().enumerate() {
        let Some(payload) = payload else { continue };
        match plan_payload(payload, &shared.routing) {
            Ok(plan) => {
                record_wamids(&replies[i].1, &plan);
                planned.push((i, plan));
            }
            Err(e) => answer(&mut replies[i].2, Err(e.into())),
        }
    }
    let conversation = shared.conversation.as_deref();
    match planned.len() {
        0 => return,
        1 => {
            let (i, plan) = &planned[0];
            let (received_at, span, reply) = &mut replies[*i];
            let result = {
                use tracing::Instrument;
                ingest_plan(&shared.store, plan, conversation, *received_at)
                    .instrument(span.clone())
                    .await
            };
            if result.is_ok() {
                shared.count(1);
            }
            answer(reply, result);
            return;
        }
        _ => {}
    }
    let items: Vec<BatchItem<'_, '_>> = planned
        .iter()
        .map(|(i, plan)| BatchItem {
            plan,
            received_at: replies[*i].0,
            span: &replies[*i].1,
        })
        .collect();
    match write_batch(&shared.store, &items, conversation).await {
        Ok(reports) => {
            shared.count(planned.len());
            for ((i, _), report) in planned.iter().zip(reports) {
                answer(&mut replies[*i].2, Ok(report));
            }
        }
        Err(e) if e.is_unavailable() && !e.is_conflict() => {
            // Nothing was committed and the database is away: every request is answered 503,
            // and Meta retries each.
            let reason = e.to_string();
            for (i, _) in &planned {
                let again = StoreError::Unavailable(sqlx::Error::Protocol(reason.clone()));
                answer(&mut replies[*i].2, Err(again.into()));
            }
        }
        Err(e) => {
            // Nothing was committed. Write each payload on its own, so that an item that fails
            // (and is dead-lettered) or a deadlock with another batch costs only a retry.
            let wamids: Vec<&str> = planned.iter().flat_map(|(_, plan)| plan.wamids()).collect();
            tracing::warn!(error = %e, payloads = planned.len(), wamids = %wamids.join(","), "batched webhook write failed; writing the payloads one by one");
            for (i, plan) in &planned {
                use tracing::Instrument;
                let (received_at, span, reply) = &mut replies[*i];
                let result = ingest_plan(&shared.store, plan, conversation, *received_at)
                    .instrument(span.clone())
                    .await;
                if result.is_ok() {
                    shared.count(1);
                }
                answer(reply, result);
            }
        }
    }
}

impl Shared {
    fn count(&self, payloads: usize) {
        if let Some(metrics) = &self.metrics {
            metrics.intake_batch(payloads);
        }
    }
}

type Reply = Option<oneshot::Sender<Result<IngestReport, IngestError>>>;

fn answer(reply: &mut Reply, result: Result<IngestReport, IngestError>) {
    if let Some(reply) = reply.take() {
        // The request may have gone (client hung up); what was written stays written.
        let _ = reply.send(result);
    }
}
