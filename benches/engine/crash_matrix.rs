//! The crash matrix (issue 13): the real binary (`serve --simulate --record`) installs the
//! sample spec, is killed with SIGKILL while a chosen step runs, at a chosen point of it, is
//! restarted on the same data dir and resumed; the trial then checks that the install
//! succeeded, that no completed step ran again, and that no ARM write was duplicated.
//!
//! Shared by the integration tests (a few steps, `tests/it/crash.rs`) and the engine benchmark
//! (every step at every kill point, section 7): both include this file with `#[path]`.
//!
//! Kill points are placed from a clean reference install of the same spec at the same time
//! scale: a step's `running` and `succeeded` events (their server timestamps) give how long it
//! takes. The kill is timed from the trial's own `running` event of the step.

#[path = "crash_recording.rs"]
mod recording;

use recording::{completed_writes, duplicate_writes, recorded, resources_written};
use serde_json::Value;
use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

const SAMPLE: &str = include_str!("../../tests/it/fixtures/sample.yaml");

/// A liveness bound for one install run (a hang fails the trial instead of blocking), not a
/// speed check.
const DEADLINE: Duration = Duration::from_secs(180);

/// The sample spec as the benchmarks and tests install it: 1.30 is long-term support only by
/// now (preflight refuses it on the Standard tier), so the newest supported version.
pub fn sample() -> String {
    SAMPLE.replace("  kubernetesVersion: \"1.30\"\n", "")
}

/// Where in the step the crash comes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KillPoint {
    /// kill -9 as soon as the step's `running` event arrives.
    Early,
    /// kill -9 half the step's reference duration after it started.
    Middle,
    /// The step's work is done and its journal entry not yet written: the console aborts
    /// itself there (`--crash-before-journal`), since a kill from outside cannot be timed into
    /// that gap for a step that lasts milliseconds.
    BeforeJournal,
}

impl KillPoint {
    pub const ALL: [KillPoint; 3] = [
        KillPoint::Early,
        KillPoint::Middle,
        KillPoint::BeforeJournal,
    ];

    pub fn name(self) -> &'static str {
        match self {
            KillPoint::Early => "early",
            KillPoint::Middle => "middle",
            KillPoint::BeforeJournal => "before-journal",
        }
    }

    /// How long after the step's start the kill comes, for a step that took `took`; `None`:
    /// at once (or, before the journal, by the console itself).
    fn offset(self, took: Duration) -> Option<Duration> {
        match self {
            KillPoint::Early | KillPoint::BeforeJournal => None,
            KillPoint::Middle => Some(took / 2),
        }
    }
}

/// A clean install of the sample spec: the steps in plan order and what each took.
pub struct Reference {
    pub time_scale: f64,
    pub steps: Vec<String>,
    /// Each step's duration, from its `running` to its `succeeded` event.
    pub took: HashMap<String, Duration>,
    /// Distinct resources written (PUT answered 2xx): a trial must not write more.
    pub resources: usize,
    pub wall: Duration,
}

/// What one trial found.
pub struct Trial {
    pub step: String,
    pub point: KillPoint,
    /// The install's status at the end.
    pub status: String,
    /// Whether the kill landed inside the step: the restarted console shows it `interrupted`
    /// (else it had already been journaled, and the trial crashed a later moment instead).
    pub hit: bool,
    /// Duplicate ARM writes ([`duplicate_writes`]) and resources beyond the reference's.
    pub duplicates: Vec<String>,
    /// Steps journaled succeeded before the kill (the restarted console shows them so).
    pub completed_before: Vec<String>,
    /// The distinct ARM writes acknowledged to those steps before the kill: what the duplicate
    /// check guards (0 would make it vacuous).
    pub guarded: usize,
    /// Of those steps, the ones that ran again after the restart.
    pub rerun: Vec<String>,
    /// The install's log when it did not succeed.
    pub log: String,
}

impl Trial {
    pub fn succeeded(&self) -> bool {
        self.status == "succeeded"
    }
}

/// The console as a child process.
struct Console {
    child: Child,
    base: String,
    client: reqwest::blocking::Client,
    /// Without a timeout: an event stream lasts as long as the run.
    stream: reqwest::blocking::Client,
}

impl Drop for Console {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Console {
    fn start(data: &Path, record: &Path, time_scale: f64, extra: &[&str]) -> Console {
        let mut child = Command::new(env!("CARGO_BIN_EXE_katonic-console"))
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--simulate",
                // Not about the network (issue 14's placement); every API server answers.
                "--simulate-console-network",
                "unplaced",
                "--time-scale",
            ])
            .arg(time_scale.to_string())
            .arg("--record")
            .arg(record)
            .arg("--data-dir")
            .arg(data)
            .args(extra)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(record.with_extension("stderr")).expect("a log file"))
            .spawn()
            .expect("the console starts");
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let mut line = String::new();
        stdout.read_line(&mut line).expect("the Listening line");
        let Some(base) = line
            .trim()
            .strip_prefix("Listening on ")
            .map(str::to_string)
        else {
            let log = std::fs::read_to_string(record.with_extension("stderr"));
            panic!(
                "the console did not start: {line:?}\n{}",
                log.unwrap_or_default()
            );
        };
        // Keep reading: a closed pipe would fail the console's later writes.
        std::thread::spawn(move || {
            let mut line = String::new();
            while stdout.read_line(&mut line).is_ok_and(|n| n > 0) {
                line.clear();
            }
        });
        let token = std::fs::read_to_string(data.join("api-token")).expect("the API token");
        let mut headers = reqwest::header::HeaderMap::new();
        let bearer = format!("Bearer {}", token.trim());
        headers.insert(
            reqwest::header::AUTHORIZATION,
            bearer.parse().expect("header"),
        );
        let client = |timeout: Option<Duration>| {
            reqwest::blocking::Client::builder()
                .default_headers(headers.clone())
                .timeout(timeout)
                .build()
                .expect("client")
        };
        Console {
            child,
            base,
            client: client(Some(Duration::from_secs(30))),
            stream: client(None),
        }
    }

    fn get(&self, path: &str) -> reqwest::blocking::Response {
        self.client
            .get(format!("{}/api/v1{path}", self.base))
            .send()
            .expect("GET")
    }

    fn detail(&self, id: &str) -> Value {
        self.get(&format!("/installs/{id}")).json().expect("JSON")
    }

    fn post(&self, path: &str) -> reqwest::StatusCode {
        let url = format!("{}/api/v1{path}", self.base);
        self.client.post(url).send().expect("POST").status()
    }

    /// Create the sample install and start it; its id.
    fn start_sample(&self) -> String {
        let created: Value = self
            .client
            .post(format!("{}/api/v1/installs", self.base))
            .header("content-type", "application/yaml")
            .body(sample())
            .send()
            .expect("create")
            .json()
            .expect("JSON");
        let id = created["id"].as_str().expect("an install id").to_string();
        assert_eq!(self.post(&format!("/installs/{id}/start")), 202);
        id
    }

    /// Follow the install's events (replayed from its first) until `stop` says so (true) or
    /// the run ends (false).
    fn follow(&self, id: &str, mut stop: impl FnMut(&Value) -> bool) -> bool {
        let url = format!("{}/api/v1/installs/{id}/events", self.base);
        let res = self.stream.get(url).send().expect("events");
        for line in BufReader::new(res).lines() {
            let Ok(line) = line else { return false };
            if line
                .strip_prefix("event:")
                .is_some_and(|e| e.trim() == "done")
            {
                return false;
            }
            let event = line
                .strip_prefix("data:")
                .and_then(|d| serde_json::from_str::<Value>(d.trim()).ok());
            if event.is_some_and(|e| stop(&e)) {
                return true;
            }
        }
        false
    }

    /// Wait (up to [`DEADLINE`]) until the run ends; the install's detail then.
    fn wait_end(&self, id: &str) -> Value {
        let deadline = Instant::now() + DEADLINE;
        loop {
            let detail = self.detail(id);
            let status = detail["status"].as_str().unwrap_or("");
            if ["succeeded", "failed", "cancelled"].contains(&status) || Instant::now() > deadline {
                return detail;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Wait (up to [`DEADLINE`]) until the console has aborted itself or the install's run has
    /// ended without it; whether it aborted.
    fn aborted(mut self, id: &str) -> bool {
        let deadline = Instant::now() + DEADLINE;
        loop {
            if self.child.try_wait().ok().flatten().is_some() {
                return true;
            }
            // The console may be aborting under this request: a refused read is no answer.
            let url = format!("{}/api/v1/installs/{id}", self.base);
            let detail = self.client.get(url).send().and_then(|r| r.json::<Value>());
            let status = detail.map(|d| d["status"].clone()).unwrap_or_default();
            let ended = ["succeeded", "failed", "cancelled"].map(Value::from);
            if ended.contains(&status) || Instant::now() > deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGKILL: the console records nothing more.
    fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A step event's step, status and server time.
fn step_event(event: &Value) -> Option<(&str, &str, SystemTime)> {
    if event["kind"] != "step" {
        return None;
    }
    let at = time::OffsetDateTime::parse(
        event["at"].as_str()?,
        &time::format_description::well_known::Rfc3339,
    )
    .ok()?;
    Some((
        event["stepId"].as_str()?,
        event["status"].as_str()?,
        SystemTime::from(at),
    ))
}

/// The steps of an install detail with `status`.
fn steps_with(detail: &Value, status: &str) -> Vec<String> {
    let steps = detail["steps"].as_array().into_iter().flatten();
    steps
        .filter(|s| s["status"] == status)
        .filter_map(|s| s["id"].as_str().map(str::to_string))
        .collect()
}

fn step_of<'a>(detail: &'a Value, step: &str) -> Option<&'a Value> {
    let mut steps = detail["steps"].as_array().into_iter().flatten();
    steps.find(|s| s["id"] == step)
}

fn attempt(detail: &Value, step: &str) -> i64 {
    step_of(detail, step)
        .and_then(|s| s["attempt"].as_i64())
        .unwrap_or(0)
}

fn end_status<'a>(detail: &'a Value, step: &str) -> &'a str {
    step_of(detail, step)
        .and_then(|s| s["status"].as_str())
        .unwrap_or("")
}

/// Install the sample spec without a crash: the reference the kill points are placed from.
pub fn reference(time_scale: f64) -> Reference {
    let dir = tempfile::tempdir().expect("temp dir");
    let record = dir.path().join("record");
    let console = Console::start(&dir.path().join("data"), &record, time_scale, &[]);
    let started = Instant::now();
    let id = console.start_sample();
    let mut began: HashMap<String, SystemTime> = HashMap::new();
    let mut took = HashMap::new();
    console.follow(&id, |event| {
        if let Some((step, status, at)) = step_event(event) {
            match status {
                "running" => {
                    began.insert(step.to_string(), at);
                }
                "succeeded" => {
                    let from = began.get(step).copied().unwrap_or(at);
                    let span = at.duration_since(from).unwrap_or_default();
                    took.insert(step.to_string(), span);
                }
                _ => {}
            }
        }
        false
    });
    let wall = started.elapsed();
    let detail = console.wait_end(&id);
    assert_eq!(
        detail["status"], "succeeded",
        "the reference install failed"
    );
    let steps = detail["steps"].as_array().into_iter().flatten();
    Reference {
        time_scale,
        steps: steps
            .filter_map(|s| s["id"].as_str().map(str::to_string))
            .collect(),
        took,
        resources: resources_written(&recorded(&record)),
        wall,
    }
}

/// Kill the console while `step` runs, at `point`; restart, resume, and check the outcome.
pub fn trial(reference: &Reference, step: &str, point: KillPoint) -> Trial {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let (record_before, record_after) = (dir.path().join("record-1"), dir.path().join("record-2"));
    let crash = ["--crash-before-journal", step];
    let extra: &[&str] = if point == KillPoint::BeforeJournal {
        &crash
    } else {
        &[]
    };
    let first = Console::start(&data, &record_before, reference.time_scale, extra);
    let id = first.start_sample();
    let mut trial = Trial {
        step: step.to_string(),
        point,
        status: String::new(),
        hit: false,
        duplicates: Vec::new(),
        completed_before: Vec::new(),
        guarded: 0,
        rerun: Vec::new(),
        log: String::new(),
    };
    if point == KillPoint::BeforeJournal {
        if !first.aborted(&id) {
            trial.status = format!("the console did not crash before {step}'s journal entry");
            return trial;
        }
    } else if let Err(why) = kill_during(first, &id, reference, step, point) {
        trial.status = why;
        return trial;
    }
    let second = Console::start(&data, &record_after, reference.time_scale, &[]);
    resume_and_check(&second, &id, &mut trial);
    let (before, after) = (recorded(&record_before), recorded(&record_after));
    trial.duplicates = duplicate_writes(&before, &after, &trial.completed_before);
    trial.guarded = completed_writes(&before, &trial.completed_before).len();
    let written = resources_written(before.iter().chain(&after));
    if written > reference.resources {
        let clean = reference.resources;
        let extra = format!("{written} resources written, {clean} in a clean install");
        trial.duplicates.push(extra);
    }
    second.kill();
    trial
}

/// kill -9 the console at `point` of `step` (timed from the step's `running` event).
fn kill_during(
    first: Console,
    id: &str,
    reference: &Reference,
    step: &str,
    point: KillPoint,
) -> Result<(), String> {
    let mut started = None;
    first.follow(id, |event| {
        started = step_event(event)
            .filter(|(s, status, _)| *s == step && *status == "running")
            .map(|(_, _, at)| at);
        started.is_some()
    });
    let Some(started) = started else {
        return Err(format!("{step} never ran: {}", first.detail(id)));
    };
    let took = reference.took.get(step).copied().unwrap_or_default();
    if let Some(offset) = point.offset(took) {
        // The kill point is the experiment's parameter (where in the step the crash lands),
        // not a wait standing in for a fact.
        let at = started + offset;
        std::thread::sleep(at.duration_since(SystemTime::now()).unwrap_or_default());
    }
    first.kill();
    Ok(())
}

/// After the restart: resume the install (unless the kill came after its end), wait for the
/// run to end, and note which completed steps ran again.
fn resume_and_check(second: &Console, id: &str, trial: &mut Trial) {
    let restarted = second.detail(id);
    trial.completed_before = steps_with(&restarted, "succeeded");
    trial.hit = steps_with(&restarted, "interrupted").contains(&trial.step);
    if restarted["status"] != "succeeded" {
        let resumed = second.post(&format!("/installs/{id}/resume"));
        if resumed != 202 {
            trial.status = format!("resume refused ({resumed})");
            return;
        }
    }
    let end = second.wait_end(id);
    trial.status = end["status"].as_str().unwrap_or("?").to_string();
    trial.rerun = trial
        .completed_before
        .iter()
        .filter(|s| {
            attempt(&end, s) != attempt(&restarted, s) || end_status(&end, s) != "succeeded"
        })
        .cloned()
        .collect();
    if !trial.succeeded() {
        let text = second.get(&format!("/installs/{id}/logs")).text();
        trial.log = text.unwrap_or_default();
    }
}
