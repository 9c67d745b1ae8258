//! Spawning the console and talking to it.

use katonic_console::config::ServeConfig;
use katonic_console::startup::Application;
use reqwest::redirect::Policy;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
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
    pub client: reqwest::Client,
    shutdown: Option<oneshot::Sender<()>>,
    handle: Option<JoinHandle<()>>,
    _temp: Option<tempfile::TempDir>,
}

impl TestApp {
    /// A console on a fresh temporary data dir.
    pub async fn spawn() -> TestApp {
        let temp = tempfile::tempdir().unwrap();
        let dir = temp.path().join("data");
        let mut app = Self::spawn_in(&dir).await;
        app._temp = Some(temp);
        app
    }

    /// A console on an existing data dir (to test restarts).
    pub async fn spawn_in(data_dir: &Path) -> TestApp {
        let config = ServeConfig {
            listen: "127.0.0.1:0".parse().unwrap(),
            data_dir: data_dir.to_path_buf(),
        };
        let app = Application::build(config).await.expect("console starts");
        let addr = app.local_addr();
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
            client: reqwest::Client::builder()
                .redirect(Policy::none())
                .build()
                .unwrap(),
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
