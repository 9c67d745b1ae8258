//! Engine benchmark (`cargo bench --bench engine`): runs the release binary against the
//! simulator and prints, numbered as in issue 7:
//! 1. install wall time ÷ the critical path of the steps' own durations, for the sample spec
//!    (target <= 1.10);
//! 2. the same install as the vendor's `az` command sequence against the same simulator: wall
//!    time and ARM requests beside ours (`vendor.rs`);
//! 3. ARM requests per install and per simulated minute (from the console's own metrics);
//! 4. SSE fan-out latency (commit to client) and the server's memory with 1,000 clients;
//! 5. page latency under concurrent load, start-up time, release binary size, idle memory;
//! 6. resume cost: ARM writes re-issued for completed steps after a failure (`resume.rs`);
//! 7. the crash matrix: kill -9 during each step, restart, resume (`crash.rs`);
//! 8. the install reaching the cluster directly beside through AKS Run Command: wall time and
//!    ARM requests (`run_command.rs`).
//!
//! Figures, not assertions: speed is judged by reading them, never by a test.

// A benchmark harness: a failed setup call should stop it loudly, where it happened.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod crash;
mod crash_matrix;
mod resume;
mod run_command;
mod standalone;
mod vendor;

use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime};
use tokio_stream::StreamExt;

const SAMPLE: &str = include_str!("../../tests/it/fixtures/sample.yaml");

/// Time scale of the resume benchmark (6) and of the smoke run's vendor comparison (2).
const SHORT_TIME_SCALE: f64 = 0.004;

/// Time scale of the full run's vendor comparison: slow enough that the simulated operations,
/// not the clients' poll granularity (whole seconds of `Retry-After`) or az's start-up, decide.
const VENDOR_TIME_SCALE: f64 = 0.05;

struct Server {
    child: Child,
    base: String,
    /// The API token (`<data-dir>/api-token`): every request carries it.
    token: String,
    /// From spawn to the `Listening on` line.
    startup: Duration,
    _dir: tempfile::TempDir,
}

impl Server {
    /// A client that sends the API token, without connection reuse (like separate clients).
    fn client(&self) -> reqwest::Client {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(
            reqwest::header::AUTHORIZATION,
            format!("Bearer {}", self.token).parse().expect("header"),
        );
        reqwest::Client::builder()
            .default_headers(headers)
            .pool_max_idle_per_host(0)
            .build()
            .expect("client")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(time_scale: f64, script: Option<&str>) -> Server {
    let files: Vec<(&str, &str)> = script.map(|s| ("--step-script", s)).into_iter().collect();
    serve_with(time_scale, &files, false).0
}

/// A console in `--simulate` mode. Each `(flag, text)` of `files` is written to a file passed
/// with that flag (`--step-script`, `--faults`); with `record`, its simulator records every ARM
/// request into the returned directory.
fn serve_with(
    time_scale: f64,
    files: &[(&str, &str)],
    record: bool,
) -> (Server, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let recording = dir.path().join("record");
    let mut args: Vec<std::ffi::OsString> = vec![
        "--simulate".into(),
        // Not about the network (issue 14's placement); every API server answers.
        "--simulate-console-network".into(),
        "unplaced".into(),
        "--time-scale".into(),
        time_scale.to_string().into(),
    ];
    if record {
        args.push("--record".into());
        args.push(recording.clone().into());
    }
    for (i, (flag, text)) in files.iter().enumerate() {
        let path = dir.path().join(format!("file-{i}.yaml"));
        std::fs::write(&path, text).expect("file");
        args.push((*flag).into());
        args.push(path.into());
    }
    (spawn_console(dir, &args), recording)
}

/// `katonic-console serve` on an ephemeral port with its data in `dir`, plus `args`.
fn spawn_console(dir: tempfile::TempDir, args: &[std::ffi::OsString]) -> Server {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_katonic-console"));
    cmd.args([
        "serve",
        "--listen",
        "127.0.0.1:0",
        // 1,000 benchmark clients share the API token.
        "--max-streams",
        "1100",
        "--max-api-streams",
        "1100",
    ])
    .args(args)
    .arg("--data-dir")
    .arg(dir.path().join("data"));
    let spawned = Instant::now();
    let mut child = cmd
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the console starts");
    let mut line = String::new();
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    stdout.read_line(&mut line).expect("Listening line");
    // Keep reading: the console prints its access URL next, and a closed pipe would stop it.
    drain(stdout);
    let startup = spawned.elapsed();
    let base = line.trim().trim_start_matches("Listening on ").to_string();
    let token = std::fs::read_to_string(dir.path().join("data/api-token"))
        .expect("api token")
        .trim()
        .to_string();
    Server {
        child,
        base,
        token,
        startup,
        _dir: dir,
    }
}

/// The sample spec as the benchmarks install it: 1.30 is long-term support only by now
/// (preflight refuses it on the Standard tier), so the newest supported version, as the tests do.
fn sample() -> String {
    SAMPLE.replace("  kubernetesVersion: \"1.30\"\n", "")
}

/// Read a child's output to its end on a thread (a closed pipe would stop the child).
fn drain(mut output: impl BufRead + Send + 'static) {
    std::thread::spawn(move || {
        let mut line = String::new();
        while output.read_line(&mut line).is_ok_and(|n| n > 0) {
            line.clear();
        }
    });
}

async fn create(client: &reqwest::Client, base: &str) -> (String, Value) {
    let created: Value = client
        .post(format!("{base}/api/v1/installs"))
        .header("content-type", "application/yaml")
        .body(sample())
        .send()
        .await
        .expect("create")
        .json()
        .await
        .expect("json");
    let id = created["id"].as_str().expect("id").to_string();
    let detail = detail(client, base, &id).await;
    (id, detail)
}

/// The install as the API shows it.
async fn detail(client: &reqwest::Client, base: &str, id: &str) -> Value {
    client
        .get(format!("{base}/api/v1/installs/{id}"))
        .send()
        .await
        .expect("detail")
        .json()
        .await
        .expect("json")
}

/// `POST …/{action}` (start or resume), follow the events until the run ends; the wall time
/// from the request to the last event, and the install's status then.
async fn run_to_end(client: &reqwest::Client, base: &str, id: &str, action: &str) -> (f64, String) {
    let started = Instant::now();
    let res = client
        .post(format!("{base}/api/v1/installs/{id}/{action}"))
        .send()
        .await
        .expect(action);
    assert!(res.status().is_success(), "{action}: {}", res.status());
    follow(
        client,
        &format!("{base}/api/v1/installs/{id}/events"),
        |_| {},
    )
    .await;
    let wall = started.elapsed().as_secs_f64();
    let status = detail(client, base, id).await["status"]
        .as_str()
        .unwrap_or("?")
        .to_string();
    (wall, status)
}

/// Read SSE data lines until `done`, calling `on_data` with each event's JSON text.
async fn follow(client: &reqwest::Client, url: &str, mut on_data: impl FnMut(&str)) {
    let res = client.get(url).send().await.expect("stream");
    let mut body = res.bytes_stream();
    let mut buffer = String::new();
    while let Some(Ok(chunk)) = body.next().await {
        buffer.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buffer.find("\n\n") {
            let block: String = buffer.drain(..end + 2).collect();
            if block.contains("event: done") {
                return;
            }
            for line in block.lines() {
                if let Some(data) = line.strip_prefix("data:") {
                    on_data(data.trim());
                }
            }
        }
    }
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i]
}

async fn critical_path_ratio() {
    let scale = SHORT_TIME_SCALE;
    let (server, record) = serve_with(scale, &[], true);
    let client = server.client();
    let (id, planned) = create(&client, &server.base).await;
    let critical = planned["plan"]["criticalPathSecs"]
        .as_f64()
        .expect("critical path")
        * scale;
    let sequential = planned["plan"]["sequentialSecs"]
        .as_f64()
        .expect("sequential")
        * scale;
    let started = Instant::now();
    let res = client
        .post(format!("{}/api/v1/installs/{id}/start", server.base))
        .send()
        .await
        .expect("start");
    assert_eq!(res.status(), 202);
    // When each step's last attempt started and ended, from its status events.
    let mut spans: std::collections::HashMap<String, (f64, f64)> = Default::default();
    follow(
        &client,
        &format!("{}/api/v1/installs/{id}/events", server.base),
        |data| {
            let Ok(event) = serde_json::from_str::<Value>(data) else {
                return;
            };
            if event["kind"] != "step" {
                return;
            }
            let (Some(step), Some(status), Some(at)) = (
                event["stepId"].as_str().or(event["step_id"].as_str()),
                event["status"].as_str(),
                event["at"].as_str(),
            ) else {
                return;
            };
            let Ok(at) =
                time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339)
            else {
                return;
            };
            let t = (at - time::OffsetDateTime::UNIX_EPOCH).as_seconds_f64();
            let entry = spans.entry(step.to_string()).or_insert((t, t));
            if status == "running" {
                *entry = (t, t);
            } else {
                entry.1 = t;
            }
        },
    )
    .await;
    let wall = started.elapsed().as_secs_f64();
    let status = detail(&client, &server.base, &id).await;
    // The critical path over the durations the steps really took (the simulator's), through
    // the plan's dependencies: what a perfect scheduler could not beat.
    let mut finish: std::collections::HashMap<String, f64> = Default::default();
    let steps = status["plan"]["steps"]
        .as_array()
        .or(planned["plan"]["steps"].as_array())
        .cloned()
        .unwrap_or_default();
    for _ in 0..steps.len() {
        for step in &steps {
            let id = step["id"].as_str().unwrap_or("").to_string();
            let own = spans.get(&id).map_or(0.0, |(a, b)| b - a);
            let ready = step["dependsOn"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|d| finish.get(d.as_str().unwrap_or("")))
                .fold(0.0_f64, |m, v| m.max(*v));
            finish.insert(id, ready + own);
        }
    }
    let measured_critical = finish.values().fold(0.0_f64, |m, v| m.max(*v));
    let busy: f64 = spans.values().map(|(a, b)| b - a).sum();
    println!(
        "1. Install wall time vs critical path (sample spec through the ARM and Kubernetes simulator, time scale {scale})"
    );
    println!("   status:          {}", status["status"]);
    println!(
        "   critical path:   {measured_critical:.3} s of the steps' own durations (sum of all steps: {busy:.3} s; the plan's estimate x scale: {critical:.3} s, sequential {sequential:.3} s)"
    );
    println!("   wall time:       {wall:.3} s (start request to the last event)");
    println!(
        "   ratio:           {:.3}   (target <= 1.10)",
        wall / measured_critical
    );
    // 3. ARM efficiency, from the console's own counters.
    let metrics = client
        .get(format!("{}/metrics", server.base))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    let count = |prefix: &str| -> f64 {
        metrics
            .lines()
            .filter(|l| l.starts_with(prefix))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum()
    };
    let total = count("katonic_arm_requests_total{");
    let gets = count("katonic_arm_requests_total{method=\"GET\"");
    let throttled = count("katonic_arm_throttled_total");
    let simulated_minutes = wall / scale / 60.0;
    println!("3. ARM requests of that install (the console's katonic_arm_requests_total)");
    println!(
        "   requests:        {total:.0} in all ({gets:.0} GET, of which most are operation polls); {throttled:.0} throttled"
    );
    println!(
        "   per minute:      {:.1} requests per simulated minute of install ({simulated_minutes:.1} simulated minutes)",
        total / simulated_minutes
    );
    let (polls, kept, shortest) = standalone::retry_after_kept(&standalone::recorded(&record));
    println!(
        "   Retry-After:     {kept} of {polls} operation polls waited at least what the previous answer asked{}",
        shortest.map_or(String::new(), |(waited, asked)| format!(
            " (the closest: {waited:.3} s for {asked:.0} s asked)"
        ))
    );
}

/// 4. Page latency with `workers` clients each fetching `each` pages, start-up, size, memory.
async fn pages_and_footprint(workers: usize, each: usize) {
    let server = serve(0.0, Some("steps: {}\n"));
    let idle_rss = rss_kib(server.child.id());
    let client = server.client();
    let (id, _) = create(&client, &server.base).await;
    for (name, path) in [
        ("wizard page", format!("/installs/{id}/wizard/cluster")),
        ("install page", format!("/installs/{id}")),
        ("review page", format!("/installs/{id}/review")),
    ] {
        let url = format!("{}{path}", server.base);
        let mut tasks = Vec::new();
        for _ in 0..workers {
            let client = client.clone();
            let url = url.clone();
            tasks.push(tokio::spawn(async move {
                let mut times = Vec::new();
                for _ in 0..each {
                    let t = Instant::now();
                    let res = client.get(&url).send().await.expect("page");
                    assert!(res.status().is_success(), "{url}: {}", res.status());
                    let _ = res.bytes().await;
                    times.push(t.elapsed().as_secs_f64() * 1000.0);
                }
                times
            }));
        }
        let mut all = Vec::new();
        for task in tasks {
            all.extend(task.await.expect("task"));
        }
        all.sort_by(|a, b| a.total_cmp(b));
        println!(
            "5. {name:<13} {} requests by {workers} concurrent clients: p50 {:.2} ms, p99 {:.2} ms",
            all.len(),
            percentile(&all, 0.5),
            percentile(&all, 0.99)
        );
    }
    let size = std::fs::metadata(env!("CARGO_BIN_EXE_katonic-console"))
        .map(|m| m.len())
        .unwrap_or(0);
    println!(
        "   start-up:        {:.0} ms to listening (with the in-process simulator)",
        server.startup.as_secs_f64() * 1000.0
    );
    println!(
        "   binary:          {:.1} MiB (this build of katonic-console: release under cargo bench, debug in the smoke run)",
        size as f64 / 1024.0 / 1024.0
    );
    println!(
        "   idle memory:     {:.1} MiB RSS after start",
        idle_rss as f64 / 1024.0
    );
}

/// 200 reads of `url`, one at a time, 20 ms apart: their latencies (ms), sorted.
async fn sample_gets(client: &reqwest::Client, url: &str) -> Vec<f64> {
    let mut gets = Vec::new();
    for _ in 0..200 {
        let t = Instant::now();
        let res = client.get(url).send().await.expect("get");
        assert!(res.status().is_success(), "{url}: {}", res.status());
        let _ = res.bytes().await;
        gets.push(t.elapsed().as_secs_f64() * 1000.0);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    gets.sort_by(|a, b| a.total_cmp(b));
    gets
}

/// Server memory with `clients` streams open on a run that sends nothing meanwhile.
async fn idle_streams(clients: usize) {
    let script = "steps:\n  preflight: [{ sleepMs: 600000, progress: 1 }]\n";
    let server = serve(0.0, Some(script));
    let pid = server.child.id();
    let client = server.client();
    let (id, _) = create(&client, &server.base).await;
    client
        .post(format!("{}/api/v1/installs/{id}/start", server.base))
        .send()
        .await
        .expect("start");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let idle_rss = rss_kib(pid);
    let url = format!("{}/api/v1/installs/{id}/events", server.base);
    let mut responses = Vec::new();
    for _ in 0..clients {
        responses.push(client.get(&url).send().await.expect("stream"));
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    let loaded_rss = rss_kib(pid);
    let gets = sample_gets(&client, &format!("{}/api/v1/installs/{id}", server.base)).await;
    println!(
        "   idle streams:    {:.1} MiB before, {:.1} MiB with {clients} silent streams (+{:.1} KiB per stream); GET meanwhile p50 {:.2} ms, p99 {:.2} ms",
        idle_rss as f64 / 1024.0,
        loaded_rss as f64 / 1024.0,
        (loaded_rss.saturating_sub(idle_rss)) as f64 / clients as f64,
        percentile(&gets, 0.5),
        percentile(&gets, 0.99)
    );
    drop(responses);
}

async fn fan_out(clients: usize) {
    // One step emits a progress event every 50 ms for 25 s while clients listen; latencies
    // are counted once every client is connected and caught up (from second 10).
    let script = "steps:\n  preflight: [{ sleepMs: 25000, progress: 500 }]\n";
    let server = serve(0.0, Some(script));
    let pid = server.child.id();
    let client = server.client();
    let (id, _) = create(&client, &server.base).await;
    let idle_rss = rss_kib(pid);
    client
        .post(format!("{}/api/v1/installs/{id}/start", server.base))
        .send()
        .await
        .expect("start");
    let url = format!("{}/api/v1/installs/{id}/events", server.base);
    let latencies = std::sync::Arc::new(std::sync::Mutex::new(Vec::<f64>::new()));
    let connected = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let measuring = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let client = client.clone();
        let url = url.clone();
        let latencies = latencies.clone();
        let connected = connected.clone();
        let measuring = measuring.clone();
        tasks.push(tokio::spawn(async move {
            connected.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            follow(&client, &url, |data| {
                if !measuring.load(std::sync::atomic::Ordering::Relaxed)
                    || !data.contains(r#""kind":"progress""#)
                {
                    return;
                }
                let Some(at) = data
                    .split(r#""at":""#)
                    .nth(1)
                    .and_then(|r| r.split('"').next())
                else {
                    return;
                };
                let Ok(at) =
                    time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339)
                else {
                    return;
                };
                let now = time::OffsetDateTime::from(SystemTime::now());
                let ms = (now - at).as_seconds_f64() * 1000.0;
                if let Ok(mut l) = latencies.lock() {
                    l.push(ms);
                }
            })
            .await;
        }));
    }
    tokio::time::sleep(Duration::from_secs(10)).await;
    let loaded_rss = rss_kib(pid);
    measuring.store(true, std::sync::atomic::Ordering::Relaxed);
    // Meanwhile an admin reads the install while every stream is fed.
    let gets = sample_gets(&client, &format!("{}/api/v1/installs/{id}", server.base)).await;
    for task in tasks {
        let _ = task.await;
    }
    let mut l = latencies.lock().map(|l| l.clone()).unwrap_or_default();
    l.sort_by(|a, b| a.total_cmp(b));
    println!(
        "4. SSE fan-out with {clients} clients (HTTP/1.1 on loopback, clients in the same machine)"
    );
    println!(
        "   events measured: {} (progress events after all {} clients connected; commit to client)",
        l.len(),
        connected.load(std::sync::atomic::Ordering::Relaxed)
    );
    println!(
        "   latency:         p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        percentile(&l, 0.5),
        percentile(&l, 0.99),
        l.last().copied().unwrap_or(f64::NAN)
    );
    println!(
        "   GET meanwhile:   p50 {:.2} ms, p99 {:.2} ms (200 reads of the install's API page while all {clients} streams are fed)",
        percentile(&gets, 0.5),
        percentile(&gets, 0.99)
    );
    println!(
        "   server RSS:      {:.1} MiB idle, {:.1} MiB with {clients} streams (+{:.1} KiB per stream)",
        idle_rss as f64 / 1024.0,
        loaded_rss as f64 / 1024.0,
        (loaded_rss.saturating_sub(idle_rss)) as f64 / clients as f64
    );
}

fn main() {
    // `cargo bench` passes `--bench`: the full run. `cargo test` runs this binary without it
    // (the target has `test = true`): the same code with smaller loads, as a smoke run.
    let full = std::env::args().any(|a| a == "--bench");
    let (clients, requests) = if full { (1000, 200) } else { (100, 20) };
    // `-- crash-matrix`: section 7 alone (it takes minutes in full and needs nothing else).
    // `-- install-time`: sections 1 and 2 alone (below).
    if std::env::args().any(|a| a == "crash-matrix") {
        crash::crash_matrix(full, SHORT_TIME_SCALE);
        return;
    }
    // `-- run-command`: section 8 alone.
    if std::env::args().any(|a| a == "run-command") {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(run_command::direct_vs_run_command(SHORT_TIME_SCALE));
        return;
    }
    if !full {
        println!("engine benchmark, smoke run (cargo bench --bench engine for the full one)");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    // `-- install-time`: sections 1 and 2 alone (the plan's critical path against the install's
    // wall time, and the vendor's az sequence), which a change to the plan's DAG moves.
    if std::env::args().any(|a| a == "install-time") {
        runtime.block_on(async {
            critical_path_ratio().await;
            vendor::vendor_comparison(if full {
                VENDOR_TIME_SCALE
            } else {
                SHORT_TIME_SCALE
            })
            .await;
        });
        return;
    }
    runtime.block_on(async {
        critical_path_ratio().await;
        vendor::vendor_comparison(if full {
            VENDOR_TIME_SCALE
        } else {
            SHORT_TIME_SCALE
        })
        .await;
        fan_out(clients).await;
        idle_streams(clients).await;
        pages_and_footprint(8, requests).await;
        resume::resume_cost(SHORT_TIME_SCALE).await;
        run_command::direct_vs_run_command(SHORT_TIME_SCALE).await;
    });
    // Blocking clients and child processes: outside the runtime.
    crash::crash_matrix(full, SHORT_TIME_SCALE);
}
