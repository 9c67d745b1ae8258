//! Spawning the console and talking to it.

use katonic_console::config::{AccessFlags, EngineFlags, ServeConfig};
use katonic_console::startup::{Application, Engine};
use katonic_console::store::Store;
use katonic_console::worker::{RetryPolicy, ScriptedSteps, StepScript, WorkerConfig};
use reqwest::redirect::Policy;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub const SAMPLE_YAML: &str = include_str!("fixtures/sample.yaml");

pub fn sample_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/fixtures/sample.yaml")
}

/// A running console. Dropping it leaves the server running until the test's runtime ends;
/// call [`TestApp::stop`] to shut it down gracefully (as SIGTERM would).
pub struct TestApp {
    pub addr: SocketAddr,
    /// Sends the data dir's API token, as scripts do.
    pub client: reqwest::Client,
    /// The one-time access URL the console would print (unused: tests that sign in a browser
    /// redeem it).
    pub access_url: String,
    pub store: Store,
    data_dir: PathBuf,
    /// The steps' executor: counts calls, opens gates.
    pub steps: Arc<ScriptedSteps>,
    shutdown: Option<oneshot::Sender<()>>,
    handle: Option<JoinHandle<()>>,
    _temp: Option<tempfile::TempDir>,
}

impl TestApp {
    /// A console on a fresh temporary data dir whose steps succeed at once.
    pub async fn spawn() -> TestApp {
        Self::spawn_with(StepScript::default()).await
    }

    /// A console on a fresh temporary data dir whose steps follow `script`.
    pub async fn spawn_with(script: StepScript) -> TestApp {
        Self::spawn_configured(script, |_| {}).await
    }

    /// As [`TestApp::spawn_with`], adjusting the worker's configuration.
    pub async fn spawn_configured(
        script: StepScript,
        adjust: impl FnOnce(&mut WorkerConfig),
    ) -> TestApp {
        let temp = tempfile::tempdir().unwrap();
        let dir = temp.path().join("data");
        let mut app = Self::spawn_in_with(&dir, script, adjust).await;
        app._temp = Some(temp);
        app
    }

    /// A console on an existing data dir (to test restarts).
    pub async fn spawn_in(data_dir: &Path) -> TestApp {
        Self::spawn_in_with(data_dir, StepScript::default(), |_| {}).await
    }

    /// A console on `data_dir` running `engine` (e.g. Azure steps against a simulator).
    pub async fn spawn_engine(data_dir: &Path, engine: Engine) -> TestApp {
        let steps = Arc::new(ScriptedSteps::new(StepScript::default(), 0.0));
        Self::start(data_dir, engine, steps).await
    }

    pub async fn spawn_in_with(
        data_dir: &Path,
        script: StepScript,
        adjust: impl FnOnce(&mut WorkerConfig),
    ) -> TestApp {
        let steps = Arc::new(ScriptedSteps::new(script, 0.0));
        let mut worker = test_worker(data_dir);
        adjust(&mut worker);
        let engine = Engine {
            executor: steps.clone(),
            worker,
            simulator: None,
        };
        Self::start(data_dir, engine, steps).await
    }

    /// A console on a fresh temporary data dir with these access settings (password, hosts).
    pub async fn spawn_with_access(
        access: AccessFlags,
        adjust: impl FnOnce(&mut WorkerConfig),
    ) -> TestApp {
        let temp = tempfile::tempdir().unwrap();
        let dir = temp.path().join("data");
        let steps = Arc::new(ScriptedSteps::new(StepScript::default(), 0.0));
        let mut worker = test_worker(&dir);
        adjust(&mut worker);
        let engine = Engine {
            executor: steps.clone(),
            worker,
            simulator: None,
        };
        let mut app = Self::start_with_access(&dir, engine, steps, access).await;
        app._temp = Some(temp);
        app
    }

    async fn start(data_dir: &Path, engine: Engine, steps: Arc<ScriptedSteps>) -> TestApp {
        Self::start_with_access(data_dir, engine, steps, AccessFlags::default()).await
    }

    async fn start_with_access(
        data_dir: &Path,
        engine: Engine,
        steps: Arc<ScriptedSteps>,
        access: AccessFlags,
    ) -> TestApp {
        let config = ServeConfig {
            listen: "127.0.0.1:0".parse().unwrap(),
            data_dir: data_dir.to_path_buf(),
            engine: EngineFlags {
                simulate: true,
                simulate_console_network: katonic_console::config::SimulatedPlacement(None),
                time_scale: 0.0,
                faults: None,
                record: None,
                step_script: None,
                load_balancer_timeout: None,
                ingress_https_port: 443,
                ingress_http_port: 80,
                verify_dns_url: None,
                rehearsal_dial_url: None,
                rehearse_cluster_steps: false,
                crash_before_journal: None,
            },
            arm: no_azure(),
            access,
        };
        let app = Application::build_with(config, async move { Ok(engine) })
            .await
            .expect("console starts");
        let addr = app.local_addr();
        let access_url = app.announcement().access_url.clone();
        let store = app.store();
        let (tx, rx) = oneshot::channel::<()>();
        let handle = tokio::spawn(async move {
            app.run_until(async {
                let _ = rx.await;
            })
            .await
            .expect("console serves");
        });
        TestApp {
            addr,
            store,
            steps,
            data_dir: data_dir.to_path_buf(),
            client: reqwest::Client::builder()
                .redirect(Policy::none())
                .default_headers(bearer(data_dir))
                .build()
                .unwrap(),
            access_url,
            shutdown: Some(tx),
            handle: Some(handle),
            _temp: None,
        }
    }

    /// Graceful shutdown; returns the temp dir so its data outlives the server.
    pub async fn stop(mut self) -> Option<tempfile::TempDir> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(handle) = self.handle.take() {
            handle.await.unwrap();
        }
        self._temp.take()
    }

    pub fn data_dir_path(&self) -> PathBuf {
        self.data_dir.clone()
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    pub async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .form(form)
            .send()
            .await
            .unwrap()
    }

    pub async fn post_body(&self, path: &str, content_type: &str, body: &str) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .header("content-type", content_type)
            .body(body.to_string())
            .send()
            .await
            .unwrap()
    }

    /// `POST /installs/new`, returning the new draft's id.
    pub async fn new_draft(&self) -> String {
        let res = self.post_form("/installs/new", &[]).await;
        assert_eq!(res.status(), 303);
        let location = location(&res);
        let id = location
            .strip_prefix("/installs/")
            .and_then(|rest| rest.strip_suffix("/wizard/azure"))
            .unwrap_or_else(|| panic!("unexpected redirect {location}"));
        id.to_string()
    }

    /// Create an install from the sample spec over the API; returns its id.
    pub async fn create_sample(&self) -> String {
        let res = self
            .post_body("/api/v1/installs", "application/yaml", SAMPLE_YAML)
            .await;
        assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
        let body: serde_json::Value = res.json().await.unwrap();
        body["id"].as_str().unwrap().to_string()
    }
}

pub fn location(res: &reqwest::Response) -> String {
    res.headers()
        .get("location")
        .expect("a Location header")
        .to_str()
        .unwrap()
        .to_string()
}

impl TestApp {
    /// The install as the API shows it.
    pub async fn detail(&self, id: &str) -> serde_json::Value {
        self.get(&format!("/api/v1/installs/{id}"))
            .await
            .json()
            .await
            .unwrap()
    }

    /// Queue install `id`'s teardown with the API's JSON `body` (`confirm`, `expected`); it
    /// must be accepted (202). The teardown's id.
    pub async fn tear_down(&self, id: &str, body: &str) -> String {
        let res = self
            .post_body(
                &format!("/api/v1/installs/{id}/teardown"),
                "application/json",
                body,
            )
            .await;
        assert_eq!(res.status(), 202, "{}", res.text().await.unwrap());
        res.json::<serde_json::Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// Verify install `id` again (`POST …/steps/verify/retry`, refused if the console says no)
    /// and wait until its status is one of `statuses`; returns the detail.
    pub async fn verify_again(&self, id: &str, statuses: &[&str]) -> serde_json::Value {
        let retried = self
            .post_body(
                &format!("/api/v1/installs/{id}/steps/verify/retry"),
                "application/json",
                "",
            )
            .await;
        assert!(
            retried.status().is_success(),
            "{}",
            retried.text().await.unwrap()
        );
        self.wait_status(id, statuses).await
    }

    /// Wait (up to 60 s, a liveness bound, not a speed check) until the install's status is
    /// one of `statuses`; returns the detail.
    pub async fn wait_status(&self, id: &str, statuses: &[&str]) -> serde_json::Value {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        loop {
            let detail = self.detail(id).await;
            if statuses.iter().any(|s| detail["status"] == *s) {
                return detail;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "install {id} never reached {statuses:?}: it is {}; steps {}\nlog:\n{}",
                detail["status"],
                detail["steps"]
                    .as_array()
                    .map(|steps| steps
                        .iter()
                        .map(|s| format!("{}={}#{}", s["id"], s["status"], s["attempt"]))
                        .collect::<Vec<_>>()
                        .join(" "))
                    .unwrap_or_default(),
                self.get(&format!("/api/v1/installs/{id}/logs"))
                    .await
                    .text()
                    .await
                    .unwrap_or_default()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Wait (up to 60 s, a liveness bound) until the API shows `step` of the install as
    /// `status`; returns the detail.
    pub async fn wait_step(&self, id: &str, step_id: &str, status: &str) -> serde_json::Value {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        loop {
            let detail = self.detail(id).await;
            if step(&detail, step_id)["status"] == status {
                return detail;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "step {step_id} of install {id} never became {status}: {detail}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Create the sample install and start it; returns its id.
    pub async fn start_sample(&self) -> String {
        let id = self.create_sample().await;
        let res = self
            .post_form(&format!("/api/v1/installs/{id}/start"), &[])
            .await;
        assert_eq!(res.status(), 202, "{}", res.text().await.unwrap());
        id
    }
}

/// The ids of the steps an install detail shows as succeeded.
pub fn succeeded_steps(detail: &serde_json::Value) -> Vec<String> {
    detail["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["status"] == "succeeded")
        .map(|s| s["id"].as_str().unwrap().to_string())
        .collect()
}

/// A step of an install detail's `steps` list, by id.
pub fn step<'a>(detail: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    detail["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == id)
        .unwrap_or_else(|| panic!("no step {id} in {detail}"))
}

/// Parse a step script written as YAML.
pub fn script(yaml: &str) -> StepScript {
    serde_yaml_ng::from_str(yaml).unwrap()
}

/// The API token of a data dir (created 0600 at the console's first start).
pub fn api_token(data_dir: &Path) -> String {
    std::fs::read_to_string(data_dir.join(katonic_console::access::API_TOKEN_FILE))
        .unwrap()
        .trim()
        .to_string()
}

/// `Authorization: Bearer <the data dir's API token>`.
pub fn bearer(data_dir: &Path) -> reqwest::header::HeaderMap {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        format!("Bearer {}", api_token(data_dir)).parse().unwrap(),
    );
    headers
}

/// A blocking client that sends the data dir's API token, as scripts do.
pub fn blocking_client(data_dir: &Path) -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .default_headers(bearer(data_dir))
        .build()
        .unwrap()
}

/// What `serve` printed at start-up.
pub struct Started {
    pub url: String,
    pub lines: Vec<String>,
}

impl Started {
    /// The one-time access URL.
    pub fn access_url(&self) -> &str {
        self.lines
            .iter()
            .map(|l| l.trim())
            .find(|l| l.contains("/?token="))
            .expect("an access URL")
    }
}

/// Start the real binary with `args`; returns the child and the URL it printed.
/// `serve` arguments for a rehearsal console on a free port at a hundredth of Azure's time,
/// its simulator following the fault plan in `faults`, its data in `data`. The console is
/// unplaced (the network is not what these rehearsals are about: `placement` tests it).
pub fn simulated_serve_args<'a>(data: &'a Path, faults: &'a Path) -> [&'a std::ffi::OsStr; 12] {
    [
        "serve".as_ref(),
        "--listen".as_ref(),
        "127.0.0.1:0".as_ref(),
        "--simulate".as_ref(),
        "--simulate-console-network".as_ref(),
        "unplaced".as_ref(),
        "--time-scale".as_ref(),
        "0.01".as_ref(),
        "--faults".as_ref(),
        faults.as_os_str(),
        "--data-dir".as_ref(),
        data.as_os_str(),
    ]
}

pub fn spawn_console(args: &[&std::ffi::OsStr]) -> (std::process::Child, String) {
    let (child, started) = spawn_console_started(args);
    (child, started.url)
}

/// As [`spawn_console`], with everything `serve` printed up to the API token line.
pub fn spawn_console_started(args: &[&std::ffi::OsStr]) -> (std::process::Child, Started) {
    use std::io::BufRead;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_katonic-console"))
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut reader = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut lines = Vec::new();
    // Read the whole announcement: a pipe closed early would fail the console's later writes.
    loop {
        let mut line = String::new();
        let n = reader.read_line(&mut line).unwrap();
        assert!(n > 0, "the console ended its output early: {lines:?}");
        let last = line.starts_with("Scripts:");
        lines.push(line);
        if last {
            break;
        }
    }
    let url = lines[0]
        .trim()
        .strip_prefix("Listening on ")
        .unwrap_or_else(|| panic!("no Listening line: {:?}", lines[0]))
        .to_string();
    (child, Started { url, lines })
}

/// ARM settings that point nowhere (tests script their steps).
pub fn no_azure() -> katonic_console::azure::ArmSettings {
    use clap::Parser;
    #[derive(clap::Parser)]
    struct Wrapper {
        #[command(flatten)]
        arm: katonic_console::azure::ArmSettings,
    }
    Wrapper::parse_from(["test"]).arm
}

/// The worker configuration of tests: retries wait milliseconds, not seconds.
pub fn test_worker(data_dir: &Path) -> WorkerConfig {
    let mut worker = WorkerConfig::new(data_dir.to_path_buf());
    worker.retry = RetryPolicy {
        max_tries: 4,
        min_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
        max_total_delay: Duration::from_secs(5),
    };
    worker
}
