//! Load generator: sends N signed, unique text-message webhooks at concurrency C to a running
//! Kentongan server and prints throughput and acknowledgement latency percentiles.
//!
//! ```sh
//! WHATSAPP_APP_SECRET=bench cargo run --release &          # the server
//! cargo run --release --example loadgen -- --secret bench -n 20000 -c 64
//! cargo run --release --example loadgen -- --secret bench -n 20000 -c 64 --rate 1000 --server-pid $(pgrep -f 'target/release/kentongan')
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
}

const USAGE: &str = "usage: loadgen [--url URL] [--secret S] [--phone-number-id ID] [-n N] [-c C] [--rate PER_SECOND] [--senders K] [--server-pid PID] [--max-seconds T]";

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
        ts = 1_764_300_000 + i
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
    let started = Instant::now();
    let deadline = started + Duration::from_secs(args.max_seconds);
    let workers: Vec<_> = (0..args.concurrency)
        .map(|_| {
            let (client, next, errors, args) =
                (client.clone(), next.clone(), errors.clone(), args.clone());
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
                    let body = payload(&args.phone_number_id, run, i, args.senders);
                    let sig = signature::sign(args.secret.as_bytes(), body.as_bytes());
                    let sent = Instant::now();
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
    if let Some(pid) = args.server_pid {
        println!(
            "server memory: peak RSS sampled {:.1} MiB, VmHWM {:.1} MiB",
            peak_rss.load(Ordering::Relaxed) as f64 / 1024.0,
            rss_kib(pid, "VmHWM:").unwrap_or(0) as f64 / 1024.0
        );
    }
}
