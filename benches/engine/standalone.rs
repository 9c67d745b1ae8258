//! The simulator as its own process (`katonic-console simulate --record`) for clients other
//! than the console (the Azure CLI), and the simulator's recordings read back: one file per ARM
//! request, counted the same way for every client.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde_json::Value;

pub struct Simulator {
    child: Child,
    /// The client settings it wrote (`AZURE_*`, `KATONIC_*`).
    pub env: Vec<(String, String)>,
    record: PathBuf,
    pub dir: tempfile::TempDir,
}

impl Drop for Simulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One recorded ARM request.
pub struct Recorded {
    pub method: String,
    /// Path without the query.
    pub path: String,
    pub status: u16,
    /// When the simulator received it (seconds; from its `x-ms-routing-request-id`).
    pub at: Option<f64>,
    /// The answer's `Retry-After`, in seconds.
    pub retry_after: Option<f64>,
    /// Where the answer said to poll (`Azure-AsyncOperation`, else `Location`), as a path.
    pub poll_path: Option<String>,
}

impl Recorded {
    /// Whether the request changes something: PUT, PATCH, DELETE, and POST actions other than
    /// the read-only ones (list keys and credentials, name checks).
    pub fn is_write(&self) -> bool {
        match self.method.as_str() {
            "PUT" | "PATCH" | "DELETE" => true,
            "POST" => {
                let action = self.path.rsplit('/').next().unwrap_or("");
                !(action.starts_with("list")
                    || action.eq_ignore_ascii_case("checkNameAvailability"))
            }
            _ => false,
        }
    }

    /// A poll of a long-running operation (its status or result URL).
    pub fn is_poll(&self) -> bool {
        let p = self.path.to_ascii_lowercase();
        self.method == "GET"
            && (p.contains("/operations/")
                || p.contains("/operationstatuses/")
                || p.contains("/operationresults/")
                || p.contains("/asyncoperations/"))
    }
}

impl Simulator {
    pub fn start(time_scale: f64, faults: Option<&str>) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let env_file = dir.path().join("sim.env");
        let record = dir.path().join("record");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_katonic-console"));
        cmd.arg("simulate")
            .arg("--state-dir")
            .arg(dir.path().join("state"))
            .arg("--env-file")
            .arg(&env_file)
            .arg("--time-scale")
            .arg(time_scale.to_string())
            .arg("--record")
            .arg(&record)
            // The az sequence runs where the vendor's guide runs it, on a jumphost that reaches
            // the cluster: the network is not what this measures.
            .args(["--console-network", "unplaced"]);
        if let Some(faults) = faults {
            let path = dir.path().join("faults.yaml");
            std::fs::write(&path, faults).expect("faults");
            cmd.arg("--faults").arg(path);
        }
        let mut child = cmd
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the simulator starts");
        // It writes the env file, then prints where; keep draining its stdout afterwards.
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let mut line = String::new();
        while stdout.read_line(&mut line).is_ok_and(|n| n > 0) {
            if line.contains("settings written to") {
                break;
            }
            line.clear();
        }
        super::drain(stdout);
        let env = std::fs::read_to_string(&env_file)
            .expect("env file")
            .lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Simulator {
            child,
            env,
            record,
            dir,
        }
    }

    pub fn var(&self, key: &str) -> &str {
        self.env
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!("{key} missing from the simulator's env file"))
    }

    /// Every ARM request recorded so far, in order.
    pub fn requests(&self) -> Vec<Recorded> {
        recorded(&self.record)
    }

    /// Forget what was recorded so far (e.g. a client's sign-in before the measured part).
    pub fn clear_record(&self) {
        for entry in std::fs::read_dir(&self.record)
            .into_iter()
            .flatten()
            .flatten()
        {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// The requests recorded in `dir` (`simulate --record` or `serve --simulate --record`), in order.
pub fn recorded(dir: &Path) -> Vec<Recorded> {
    let mut files: Vec<(u64, PathBuf)> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let n = e
                .file_name()
                .to_str()?
                .split('-')
                .next()?
                .parse::<u64>()
                .ok()?;
            Some((n, e.path()))
        })
        .collect();
    files.sort();
    files
        .into_iter()
        .filter_map(|(_, path)| {
            let pair: Value = serde_json::from_slice(&std::fs::read(path).ok()?).ok()?;
            let url = pair["liveRequest"]["url"].as_str()?;
            let headers = &pair["liveResponse"]["headers"];
            Some(Recorded {
                method: pair["liveRequest"]["method"].as_str()?.to_string(),
                path: path_of(url),
                status: pair["liveResponse"]["statusCode"].as_str()?.parse().ok()?,
                at: headers["x-ms-routing-request-id"]
                    .as_str()
                    .and_then(received_at),
                retry_after: headers["retry-after"].as_str().and_then(|s| s.parse().ok()),
                poll_path: headers["azure-asyncoperation"]
                    .as_str()
                    .or(headers["location"].as_str())
                    .map(path_of),
            })
        })
        .collect()
}

/// "N requests (W writes, R reads of which P polls)".
pub fn summary(requests: &[Recorded]) -> String {
    let writes = requests.iter().filter(|r| r.is_write()).count();
    let polls = requests.iter().filter(|r| r.is_poll()).count();
    format!(
        "{} ARM requests ({writes} writes, {} reads of which {polls} operation polls)",
        requests.len(),
        requests.len() - writes
    )
}

/// The path of a URL, without its query.
fn path_of(url: &str) -> String {
    let path = url
        .split_once("://")
        .map_or(url, |(_, rest)| rest)
        .split_once('/')
        .map_or("", |(_, p)| p);
    format!("/{}", path.split('?').next().unwrap_or(path))
}

/// `LOCALSIM:<ISO 8601 instant>:<request id>` → seconds since the Unix epoch.
fn received_at(routing_id: &str) -> Option<f64> {
    let stamp = routing_id.split(':').nth(1)?;
    let digits: String = stamp.chars().filter(char::is_ascii_digit).collect();
    let number = |range: std::ops::Range<usize>| digits.get(range)?.parse::<i64>().ok();
    let date = time::Date::from_calendar_date(
        i32::try_from(number(0..4)?).ok()?,
        time::Month::try_from(u8::try_from(number(4..6)?).ok()?).ok()?,
        u8::try_from(number(6..8)?).ok()?,
    )
    .ok()?;
    let day = (date.to_julian_day()
        - time::Date::from_calendar_date(1970, time::Month::January, 1)
            .ok()?
            .to_julian_day()) as f64;
    let fraction = digits.get(14..).map_or(0.0, |f| {
        f.parse::<f64>().unwrap_or(0.0) / 10f64.powi(f.len() as i32)
    });
    Some(
        day * 86_400.0
            + (number(8..10)? * 3600 + number(10..12)? * 60 + number(12..14)?) as f64
            + fraction,
    )
}

/// How the client kept to `Retry-After` while polling: for each poll, the time since the
/// answer that told it where (or when) to poll, against the seconds that answer asked for.
/// Returns (polls, polls that waited at least as asked, the shortest wait as (waited, asked)).
pub fn retry_after_kept(requests: &[Recorded]) -> (usize, usize, Option<(f64, f64)>) {
    let mut last: std::collections::HashMap<String, (f64, f64)> = Default::default();
    let (mut polls, mut kept, mut shortest) = (0, 0, None::<(f64, f64)>);
    for r in requests {
        let Some(at) = r.at else { continue };
        if r.is_poll()
            && let Some((asked_at, asked)) = last.get(&r.path.to_ascii_lowercase())
        {
            polls += 1;
            let waited = at - asked_at;
            // Whole seconds in the header, a clock read per request: 10 ms of slack.
            if waited + 0.010 >= *asked {
                kept += 1;
            }
            if shortest.is_none_or(|(w, a)| waited - asked < w - a) {
                shortest = Some((waited, *asked));
            }
        }
        // The operation's answer names where to poll; a poll's own answer, when to poll again.
        let next = r
            .poll_path
            .clone()
            .or_else(|| r.is_poll().then(|| r.path.clone()));
        if let (Some(next), Some(asked)) = (next, r.retry_after) {
            last.insert(next.to_ascii_lowercase(), (at, asked));
        }
    }
    (polls, kept, shortest)
}
