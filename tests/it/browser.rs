//! End-to-end in a real browser: `tests/e2e/install.spec.mjs` drives Debian's Chromium (through
//! playwright-core) over the wizard, the install page and the history of a `serve --simulate`
//! console, which this test `kill -9`s and restarts mid-install when the script asks. The script
//! fails on any console error, page error or CSP violation; screenshots go to
//! `target/e2e-screenshots/`. Needs `node`, `npm ci --prefix tests/e2e` and `/usr/bin/chromium`
//! (`.ci/run` installs them).

use crate::helpers::{blocking_client, simulated_serve_args, spawn_console_started};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

pub(crate) const CHROMIUM: &str = "/usr/bin/chromium";

/// Kills the child when dropped, so a failing test leaves no console or browser behind.
pub(crate) struct Reaped(pub(crate) Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Why the browser test cannot run here, if it cannot.
/// The repository root and `tests/e2e` when node, playwright-core and chromium are there;
/// `None` (the test skips) only outside CI: in CI a missing tool fails the test.
pub(crate) fn e2e_tools() -> Option<(PathBuf, PathBuf)> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let e2e = root.join("tests/e2e");
    if let Some(why) = missing_tools(&e2e) {
        assert!(
            std::env::var_os("CI").is_none(),
            "the browser test cannot run: {why}; .ci/run installs node's playwright-core and chromium"
        );
        eprintln!("skipping the browser test: {why} (.ci/run installs what it needs)");
        return None;
    }
    Some((root, e2e))
}

fn missing_tools(e2e: &Path) -> Option<String> {
    let node = Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !node {
        return Some("`node` is not on PATH".into());
    }
    if !e2e.join("node_modules/playwright-core").is_dir() {
        return Some(format!(
            "{} has no playwright-core (run `npm ci --prefix tests/e2e`)",
            e2e.join("node_modules").display()
        ));
    }
    if !Path::new(CHROMIUM).exists() {
        return Some(format!(
            "{CHROMIUM} is missing (`apt-get install chromium`)"
        ));
    }
    None
}

/// A `serve --simulate` console on a free port; returns it and the URL a browser opens first:
/// the one-time access URL when the console prints one, else its `Listening on` URL.
pub(crate) fn serve(data: &Path, faults: &Path) -> (Reaped, String, String) {
    let (child, started) = spawn_console_started(&simulated_serve_args(data, faults));
    let open = started
        .lines
        .iter()
        .flat_map(|l| l.split_whitespace())
        .find(|w| w.starts_with("http") && w.contains("?token="))
        .map_or_else(|| started.url.clone(), str::to_string);
    (Reaped(child), started.url, open)
}

/// The ids of every event of an install, from the API's event stream, up to its `done`.
fn api_event_ids(data: &Path, base: &str, id: &str) -> Vec<u64> {
    let res = blocking_client(data)
        .get(format!("{base}/api/v1/installs/{id}/events?after=0"))
        .send()
        .unwrap();
    assert_eq!(res.status(), 200);
    let mut ids = Vec::new();
    for line in BufReader::new(res).lines() {
        let line = line.unwrap();
        if line == "event: done" {
            return ids;
        }
        if let Some(n) = line.strip_prefix("id:") {
            ids.push(n.trim().parse().unwrap());
        }
    }
    panic!(
        "the event stream ended without `done` after {} events",
        ids.len()
    );
}

#[test]
fn a_browser_installs_through_the_wizard_survives_a_kill_dash_nine_and_resumes() {
    let Some((root, e2e)) = crate::browser::e2e_tools() else {
        return;
    };

    let temp = tempfile::tempdir().unwrap();
    let data = temp.path().join("data");
    let faults = temp.path().join("faults.yaml");
    // The cluster create takes ~10 s (three times the simulator's usual, at 0.01 of Azure's
    // time): long enough for the page to see it running before the console is killed.
    std::fs::write(
        &faults,
        "rules:\n  - method: PUT\n    path: .*/managedClusters/[^/]+$\n    action: { slow: { factor: 3.0 } }\n",
    )
    .unwrap();
    let (mut console, mut base, open) = serve(&data, &faults);

    let mut script = Reaped(
        Command::new("node")
            .arg(e2e.join("install.spec.mjs"))
            .arg(&open)
            .env("E2E_SCREENSHOTS_DIR", root.join("target/e2e-screenshots"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut to_script = script.0.stdin.take().unwrap();
    let from_script = BufReader::new(script.0.stdout.take().unwrap());
    let mut stderr = script.0.stderr.take().unwrap();
    let stderr = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });

    let mut restarts = 0;
    let mut events = None;
    for line in from_script.lines() {
        let line = line.unwrap();
        println!("script: {line}");
        if line == "KILL_NOW" {
            console.0.kill().unwrap(); // SIGKILL: no chance to record anything
            console.0.wait().unwrap();
            let (next, next_base, open) = serve(&data, &faults);
            console = next;
            base = next_base;
            restarts += 1;
            writeln!(to_script, "RESTARTED {open}").unwrap();
            to_script.flush().unwrap();
        } else if let Some(rest) = line.strip_prefix("EVENTS ") {
            let (id, n) = rest.split_once(' ').unwrap();
            events = Some((id.to_string(), n.parse::<usize>().unwrap()));
        }
    }
    let status = script.0.wait().unwrap();
    let stderr = stderr.join().unwrap();
    assert!(
        status.success(),
        "the browser test failed ({status}):\n{stderr}"
    );
    assert_eq!(
        restarts, 1,
        "the script never asked for the kill:\n{stderr}"
    );
    let (id, shown) = events.unwrap_or_else(|| panic!("the script reported no events:\n{stderr}"));

    // The page showed as many events as the install has: the API's stream, from the start.
    let ids = api_event_ids(&data, &base, &id);
    assert_eq!(ids, (1..=ids.len() as u64).collect::<Vec<_>>());
    assert_eq!(
        shown,
        ids.len(),
        "the page showed {shown} of the install's events"
    );
    drop(console);
}
