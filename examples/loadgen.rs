//! Load generator: sends N signed, unique text-message webhooks at concurrency C to a running
//! Kentongan server and prints throughput and acknowledgement latency percentiles; with
//! `--server-pid` also the server's peak memory and how the machine's CPU was shared between the
//! server, the load generator and the rest (the database, when it runs on the same machine).
//!
//! ```sh
//! WHATSAPP_APP_SECRET=bench cargo run --release &          # the server
//! cargo run --release --example loadgen -- --secret bench -n 20000 -c 64
//! cargo run --release --example loadgen -- --secret bench -n 20000 -c 64 --rate 1000 --server-pid $(pgrep -f 'target/release/kentongan')
//! ```
//!
//!
//! End to end (`--e2e PORT`): the generator also serves a mock Graph API on 127.0.0.1:PORT and
//! reports how many inbound messages were answered (a reply accepted by the mock) and the time
//! from webhook to first reply. Run the server in live mode against it:
//!
//! ```sh
//! WHATSAPP_APP_SECRET=bench WHATSAPP_ACCESS_TOKEN=bench WHATSAPP_PHONE_NUMBER_ID=bench-number \
//!   WHATSAPP_GRAPH_URL=http://127.0.0.1:9099/v24.0 cargo run --release &
//! cargo run --release --example loadgen -- --secret bench --phone-number-id bench-number \
//!   -n 5000 -c 32 --e2e 9099
//! ```
//!
//! Traffic goes only to the URL given (default 127.0.0.1); request count and time are bounded.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use kentongan::webhook::signature;

struct Args {
    url: String,
    secret: String,
    phone_number_id: String,
    total: u64,
    concurrency: u64,
    rate: Option<f64>,
    senders: u64,
    server_pid: Option<u32>,
    max_seconds: u64,
    e2e_port: Option<u16>,
}

const USAGE: &str = "usage: loadgen [--url URL] [--secret S] [--phone-number-id ID] [-n N] [-c C] [--rate PER_SECOND] [--senders K] [--server-pid PID] [--max-seconds T] [--e2e MOCK_PORT]";

/// The mock Graph API of the end-to-end mode: accepts every message, remembers when the first
/// real reply (not a read receipt) to each recipient arrived.
#[derive(Default)]
struct MockGraph {
    first_reply: std::sync::Mutex<std::collections::HashMap<String, Instant>>,
    accepted: AtomicU64,
    /// Makes this run's wamids unique across runs against the same database.
    run: u64,
}

async fn mock_messages(
    axum::extract::State(mock): axum::extract::State<Arc<MockGraph>>,
    body: axum::body::Bytes,
) -> axum::Json<serde_json::Value> {
    let n = mock.accepted.fetch_add(1, Ordering::Relaxed);
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    if v.get("status").is_none() {
        if let Some(to) = v.get("to").and_then(|t| t.as_str()) {
            if let Ok(mut m) = mock.first_reply.lock() {
                m.entry(to.to_string()).or_insert_with(Instant::now);
            }
        }
    }
    axum::Json(
        serde_json::json!({"messaging_product": "whatsapp", "messages": [{"id": format!("wamid.bench.{}.{n}", mock.run)}]}),
    )
}

async fn start_mock(port: u16) -> Arc<MockGraph> {
    let run = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    let mock = Arc::new(MockGraph {
        run,
        ..MockGraph::default()
    });
    let app = axum::Router::new()
        .route(
            "/{version}/{number}/messages",
            axum::routing::post(mock_messages),
        )
        .with_state(mock.clone());
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap_or_else(|e| {
            panic!("cannot listen on 127.0.0.1:{port} for the mock Graph API: {e}")
        });
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    mock
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        url: "http://127.0.0.1:8080/webhook".into(),
        secret: std::env::var("WHATSAPP_APP_SECRET").unwrap_or_default(),
        phone_number_id: "sandbox-kaliploso".into(),
        total: 10_000,
        concurrency: 32,
        rate: None,
        senders: 1_000,
        server_pid: None,
        max_seconds: 300,
        e2e_port: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value\n{USAGE}"));
        let num = |v: String| {
            v.parse::<u64>()
                .map_err(|_| format!("{flag}: {v:?} is not a number"))
        };
        match flag.as_str() {
            "--url" => args.url = value()?,
            "--secret" => args.secret = value()?,
            "--phone-number-id" => args.phone_number_id = value()?,
            "-n" => args.total = num(value()?)?,
            "-c" => args.concurrency = num(value()?)?.max(1),
            "--rate" => args.rate = Some(num(value()?)? as f64),
            "--senders" => args.senders = num(value()?)?.max(1),
            "--server-pid" => args.server_pid = Some(num(value()?)? as u32),
            "--max-seconds" => args.max_seconds = num(value()?)?,
            "--e2e" => args.e2e_port = Some(num(value()?)? as u16),
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument {other}\n{USAGE}")),
        }
    }
    if args.secret.is_empty() {
        return Err("the server's app secret is needed: --secret or WHATSAPP_APP_SECRET".into());
    }
    Ok(args)
}

fn payload(phone_number_id: &str, run: u64, i: u64, senders: u64) -> String {
    let sender = 6_281_200_000_000_u64 + (i % senders);
    format!(
        r#"{{"object":"whatsapp_business_account","entry":[{{"id":"WABA","changes":[{{"field":"messages","value":{{"messaging_product":"whatsapp","metadata":{{"display_phone_number":"6281200000000","phone_number_id":"{phone_number_id}"}},"contacts":[{{"profile":{{"name":"Warga {i}"}},"wa_id":"{sender}"}}],"messages":[{{"from":"{sender}","id":"wamid.load.{run}.{i}","timestamp":"{ts}","type":"text","text":{{"body":"mau urus skck nomer {i}"}}}}]}}}}]}}]}}"#,
        // Now, so that the resident's 24-hour window is open as with a real message.
        ts = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0)
    )
}

fn rss_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with(field))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// CPU time (user + system, in clock ticks) a process has used so far.
fn process_ticks(pid: &str) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name is in parentheses and may contain spaces: count fields after it.
    let rest = stat.get(stat.rfind(')')? + 1..)?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

/// The machine's CPU time so far: (all ticks, idle ticks, number of CPUs), from /proc/stat.
fn machine_ticks() -> Option<(u64, u64, usize)> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let values: Vec<u64> = stat
        .lines()
        .next()?
        .split_whitespace()
        .skip(1)
        // user nice system idle iowait irq softirq steal (guest time is counted in user).
        .take(8)
        .filter_map(|v| v.parse().ok())
        .collect();
    let cpus = stat
        .lines()
        .filter(|l| l.starts_with("cpu") && l.as_bytes().get(3).is_some_and(u8::is_ascii_digit))
        .count();
    // idle + iowait
    let idle = values.get(3)? + values.get(4).copied().unwrap_or(0);
    Some((values.iter().sum(), idle, cpus.max(1)))
}

/// Where the machine's CPU went during the run, in cores busy on average. Approximate: the
/// kernel counts both in clock ticks, and on a virtual machine the two need not agree exactly.
struct CpuSample {
    machine: Option<(u64, u64, usize)>,
    server: Option<u64>,
    loadgen: Option<u64>,
}

impl CpuSample {
    fn take(server_pid: Option<u32>) -> Self {
        Self {
            machine: machine_ticks(),
            server: server_pid.and_then(|p| process_ticks(&p.to_string())),
            loadgen: process_ticks("self"),
        }
    }

    fn report(&self, end: &CpuSample, messages: usize, elapsed: Duration) -> Option<String> {
        let ((t0, i0, cpus), (t1, i1, _)) = (self.machine?, end.machine?);
        let per_core = (t1.checked_sub(t0)? as f64 / cpus as f64).max(1.0);
        let cores = |a: Option<u64>, b: Option<u64>| -> Option<f64> {
            Some(b?.checked_sub(a?)? as f64 / per_core)
        };
        let busy = (t1 - t0).saturating_sub(i1.saturating_sub(i0)) as f64 / per_core;
        let server = cores(self.server, end.server);
        let loadgen = cores(self.loadgen, end.loadgen).unwrap_or(0.0);
        let mut text = format!(
            "CPU, cores busy on average (of {cpus}): all {busy:.2}, load generator {loadgen:.2}"
        );
        if let Some(server) = server {
            text.push_str(&format!(
                ", server {server:.2}, the rest (database, system) {:.2}; server CPU per acknowledged message {:.3} ms",
                (busy - server - loadgen).max(0.0),
                server * elapsed.as_secs_f64() * 1e3 / messages.max(1) as f64
            ));
        }
        Some(text)
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[tokio::main]
async fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let run = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0);
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.concurrency as usize)
        .timeout(Duration::from_secs(30))
        .build()
        .expect("http client");
    let next = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let args = Arc::new(args);
    let peak_rss = Arc::new(AtomicU64::new(0));
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    if let Some(pid) = args.server_pid {
        let (peak_rss, done) = (peak_rss.clone(), done.clone());
        tokio::spawn(async move {
            while !done.load(Ordering::Relaxed) {
                if let Some(kib) = rss_kib(pid, "VmRSS:") {
                    peak_rss.fetch_max(kib, Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        });
    }
    let mock = match args.e2e_port {
        Some(port) => Some(start_mock(port).await),
        None => None,
    };
    // End to end: one sender per message, so each reply maps to its message.
    let senders = if mock.is_some() {
        args.total
    } else {
        args.senders
    };
    let sent_at = Arc::new(std::sync::Mutex::new(std::collections::HashMap::<
        String,
        Instant,
    >::new()));
    let cpu_start = CpuSample::take(args.server_pid);
    let started = Instant::now();
    let deadline = started + Duration::from_secs(args.max_seconds);
    let workers: Vec<_> = (0..args.concurrency)
        .map(|_| {
            let (client, next, errors, args, sent_at) = (
                client.clone(),
                next.clone(),
                errors.clone(),
                args.clone(),
                sent_at.clone(),
            );
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= args.total || Instant::now() > deadline {
                        break;
                    }
                    if let Some(rate) = args.rate {
                        // Open loop: request i is due at i/rate seconds after the start.
                        let due = started + Duration::from_secs_f64(i as f64 / rate);
                        tokio::time::sleep_until(due.into()).await;
                    }
                    let body = payload(&args.phone_number_id, run, i, senders);
                    let sig = signature::sign(args.secret.as_bytes(), body.as_bytes());
                    let sent = Instant::now();
                    if let Ok(mut m) = sent_at.lock() {
                        m.insert((6_281_200_000_000_u64 + (i % senders)).to_string(), sent);
                    }
                    let result = client
                        .post(&args.url)
                        .header("content-type", "application/json")
                        .header("x-hub-signature-256", sig)
                        .body(body)
                        .send()
                        .await;
                    match result {
                        Ok(r) if r.status().is_success() => latencies.push(sent.elapsed()),
                        Ok(r) => {
                            if errors.fetch_add(1, Ordering::Relaxed) < 5 {
                                eprintln!("request {i}: HTTP {}", r.status());
                            }
                        }
                        Err(e) => {
                            if errors.fetch_add(1, Ordering::Relaxed) < 5 {
                                eprintln!("request {i}: {e}");
                            }
                        }
                    }
                }
                latencies
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for w in workers {
        latencies.extend(w.await.unwrap_or_default());
    }
    let elapsed = started.elapsed();
    let cpu_end = CpuSample::take(args.server_pid);
    done.store(true, Ordering::Relaxed);
    latencies.sort();
    let ok = latencies.len();
    println!(
        "sent {} webhooks at concurrency {}{} in {:.2} s",
        ok as u64 + errors.load(Ordering::Relaxed),
        args.concurrency,
        args.rate
            .map(|r| format!(", paced at {r}/s"))
            .unwrap_or_default(),
        elapsed.as_secs_f64()
    );
    println!(
        "acknowledged (200): {ok}   errors: {}",
        errors.load(Ordering::Relaxed)
    );
    println!(
        "throughput: {:.0} messages/s",
        ok as f64 / elapsed.as_secs_f64()
    );
    println!(
        "latency: p50 {:.1} ms   p90 {:.1} ms   p99 {:.1} ms   max {:.1} ms",
        percentile(&latencies, 50.0).as_secs_f64() * 1e3,
        percentile(&latencies, 90.0).as_secs_f64() * 1e3,
        percentile(&latencies, 99.0).as_secs_f64() * 1e3,
        latencies.last().copied().unwrap_or_default().as_secs_f64() * 1e3
    );
    if let Some(mock) = &mock {
        // Wait (bounded) for the replies to the acknowledged messages.
        let wait_until = Instant::now() + Duration::from_secs(60);
        loop {
            let answered = mock.first_reply.lock().map(|m| m.len()).unwrap_or(0);
            if answered >= ok || Instant::now() > wait_until {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let replies = mock
            .first_reply
            .lock()
            .map(|m| m.clone())
            .unwrap_or_default();
        let sent = sent_at.lock().map(|m| m.clone()).unwrap_or_default();
        let mut to_reply: Vec<Duration> = replies
            .iter()
            .filter_map(|(to, at)| sent.get(to).map(|s| at.saturating_duration_since(*s)))
            .collect();
        to_reply.sort();
        let last = replies.values().max().copied().unwrap_or(started);
        let span = last
            .saturating_duration_since(started)
            .as_secs_f64()
            .max(1e-9);
        println!(
            "end to end: {} of {ok} messages answered (reply accepted by the mock Graph API), {} messages accepted in all",
            replies.len(),
            mock.accepted.load(Ordering::Relaxed)
        );
        println!(
            "answered throughput: {:.0} messages/s",
            replies.len() as f64 / span
        );
        println!(
            "webhook to first reply: p50 {:.1} ms   p90 {:.1} ms   p99 {:.1} ms   max {:.1} ms",
            percentile(&to_reply, 50.0).as_secs_f64() * 1e3,
            percentile(&to_reply, 90.0).as_secs_f64() * 1e3,
            percentile(&to_reply, 99.0).as_secs_f64() * 1e3,
            to_reply.last().copied().unwrap_or_default().as_secs_f64() * 1e3
        );
    }
    if let Some(cpu) = cpu_start.report(&cpu_end, ok, elapsed) {
        println!("{cpu}");
    }
    if let Some(pid) = args.server_pid {
        println!(
            "server memory: peak RSS sampled {:.1} MiB, VmHWM {:.1} MiB",
            peak_rss.load(Ordering::Relaxed) as f64 / 1024.0,
            rss_kib(pid, "VmHWM:").unwrap_or(0) as f64 / 1024.0
        );
    }
}
