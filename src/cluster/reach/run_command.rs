//! The Run Command way: each call is one `kubectl` command line run by AKS in a pod of the
//! cluster (`POST …/runCommand`, polled at `…/commandResults/{id}`), its files sent as the
//! context ZIP, its answer parsed from the output. The same field manager and server-side
//! apply as the direct way, so the two can take turns on one cluster.
//!
//! Limits (learn.microsoft.com, "Access a private AKS cluster using command invoke", checked
//! 2026-12-07): output at most 512 kB; one pod per command (200m CPU / 500Mi requested), which
//! must be scheduled quickly; the pod's image has kubectl, helm, jq, xargs, grep and awk. No
//! command timeout is documented, but commands past about 5 minutes are reported to fail
//! without details (Azure/azure-cli#22373), so every command here is short and waits are polls.

use base64::Engine as _;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::Value;

use super::failure::{CommandFailure, ReachFailure, api_reason, tail};
use super::{Object, label};
use crate::azure::ArmClient;
use crate::azure::resources::aks::RunCommandRequest;
use crate::cluster::FIELD_MANAGER;
use crate::cluster::apply::{Applied, Outcome};

/// Azure's output limit for one command (bytes).
pub const OUTPUT_LIMIT: usize = 512 * 1024;

/// Separates the parts of one command's output (before, apply, after).
const SPLIT: &str = "--katonic-console-split--";

/// The cluster, reached through ARM.
#[derive(Clone)]
pub struct RunCommandReach {
    arm: ArmClient,
    /// ARM path of the managed cluster.
    cluster_path: String,
    /// For an Entra-only cluster: a token for the AKS server application, sent as the
    /// request's `clusterToken` (kubectl in the pod acts as the console's identity).
    token: Option<SecretString>,
}

/// What an HTTPS probe from inside the cluster saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpsProbe {
    /// curl's exit code: 0 answered; 60 certificate not trusted; 6, 7, 28 no answer.
    pub curl_exit: i32,
    /// The HTTP status when it answered.
    pub status: Option<u16>,
    /// curl's message when it did not.
    pub message: String,
}

fn resource<K: Object>() -> String {
    let group = K::group(&());
    if group.is_empty() {
        K::plural(&()).to_string()
    } else {
        format!("{}.{group}", K::plural(&()))
    }
}

/// `' -n <namespace>'` or nothing (cluster-scoped).
fn scope(namespace: Option<&str>) -> String {
    namespace.map_or_else(String::new, |ns| format!(" -n {}", quote(ns)))
}

fn quote(word: &str) -> String {
    // Names and selectors never hold a NUL (the only word shlex cannot quote).
    shlex::try_quote(word).map_or_else(|_| String::from("''"), |q| q.into_owned())
}

impl RunCommandReach {
    pub fn new(arm: ArmClient, cluster_path: String, token: Option<SecretString>) -> Self {
        RunCommandReach {
            arm,
            cluster_path,
            token,
        }
    }

    /// Run `command` with `files` as its working directory: (exit code, output).
    async fn run_raw(
        &self,
        command: &str,
        files: &[(String, Vec<u8>)],
        action: &'static str,
        object: &str,
    ) -> Result<(i32, String), ReachFailure> {
        let context = if files.is_empty() {
            None
        } else {
            let zip = crate::cluster::zip::stored(files).map_err(|e| ReachFailure::Output {
                action,
                object: object.to_string(),
                message: e.to_string(),
            })?;
            Some(base64::engine::general_purpose::STANDARD.encode(zip))
        };
        let request = RunCommandRequest {
            command: command.to_string(),
            context,
            cluster_token: self.token.as_ref().map(|t| t.expose_secret().to_string()),
        };
        let result = crate::azure::run_command::run(&self.arm, &self.cluster_path, &request)
            .await
            .map_err(|source| ReachFailure::Arm {
                action,
                object: object.to_string(),
                source,
            })?;
        let props = result.properties;
        let logs = props.logs.unwrap_or_default();
        let succeeded = props
            .provisioning_state
            .as_deref()
            .is_none_or(|s| s.eq_ignore_ascii_case("succeeded"));
        match (succeeded, props.exit_code) {
            (true, Some(code)) => Ok((code, logs)),
            (true, None) => Ok((0, logs)),
            (false, exit_code) => Err(ReachFailure::Command {
                action,
                object: object.to_string(),
                failure: Box::new(CommandFailure {
                    action,
                    object: object.to_string(),
                    exit_code,
                    reason: Some(props.reason.unwrap_or_else(|| "no reason given".into())),
                    api_reason: None,
                    truncated: logs.len() >= OUTPUT_LIMIT,
                    log_tail: tail(&logs),
                }),
            }),
        }
    }

    /// As [`run_raw`](Self::run_raw), a non-zero exit code being a failure.
    async fn run(
        &self,
        command: &str,
        files: &[(String, Vec<u8>)],
        action: &'static str,
        object: &str,
    ) -> Result<String, ReachFailure> {
        let (code, logs) = self.run_raw(command, files, action, object).await?;
        if code == 0 {
            return Ok(logs);
        }
        Err(ReachFailure::Command {
            action,
            object: object.to_string(),
            failure: Box::new(CommandFailure {
                action,
                object: object.to_string(),
                exit_code: Some(code),
                reason: None,
                api_reason: api_reason(&logs),
                truncated: logs.len() >= OUTPUT_LIMIT,
                log_tail: tail(&logs),
            }),
        })
    }

    /// Output that is not what kubectl prints: said plainly, with the likely cause.
    fn unreadable(
        action: &'static str,
        object: &str,
        logs: &str,
        e: &dyn std::fmt::Display,
    ) -> ReachFailure {
        let cause = if logs.len() >= OUTPUT_LIMIT {
            "it was cut at Azure's 512 kB output limit".to_string()
        } else {
            format!("it is not kubectl's JSON ({e})")
        };
        ReachFailure::Output {
            action,
            object: object.to_string(),
            message: format!("the command's output cannot be read: {cause}"),
        }
    }

    pub(super) async fn server_version(&self) -> Result<String, ReachFailure> {
        let what = "the API server";
        let logs = self
            .run("kubectl version -o json", &[], "reaching", what)
            .await?;
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Version {
            server_version: Option<Value>,
        }
        let v: Version = serde_json::from_str(&logs)
            .map_err(|e| Self::unreadable("reaching", what, &logs, &e))?;
        Ok(v.server_version
            .and_then(|s| s["gitVersion"].as_str().map(str::to_string))
            .unwrap_or_default())
    }

    /// Server-side apply with the console's field manager, all `objects` in one command (their
    /// files in the context); created / updated / unchanged told by each object's
    /// resourceVersion before and after, as on the direct way.
    pub(super) async fn apply_all<K: Object>(
        &self,
        objects: &[K],
        namespaced: bool,
    ) -> Result<Vec<Applied>, ReachFailure> {
        let mut labels = Vec::new();
        let mut gets = Vec::new();
        let mut files = Vec::new();
        for (i, object) in objects.iter().enumerate() {
            let meta = object.meta();
            let name = meta.name.clone().unwrap_or_default();
            let namespace =
                namespaced.then(|| meta.namespace.clone().unwrap_or_else(|| "default".into()));
            let label = label::<K>(namespace.as_deref(), &name);
            let manifest = serde_json::to_vec(object).map_err(|e| ReachFailure::Output {
                action: "applying",
                object: label.clone(),
                message: e.to_string(),
            })?;
            gets.push(format!(
                "kubectl get {} {}{} -o json --ignore-not-found",
                resource::<K>(),
                quote(&name),
                scope(namespace.as_deref())
            ));
            files.push((format!("manifests/{i:03}.json"), manifest));
            labels.push(label);
        }
        let what = labels.join(", ");
        let split = format!(" && echo {SPLIT} && ");
        let command = format!(
            "{}{split}kubectl apply --server-side --field-manager={FIELD_MANAGER} -f manifests{split}{}",
            gets.join(&split),
            gets.join(&split)
        );
        let logs = self.run(&command, &files, "applying", &what).await?;
        let parts: Vec<&str> = logs.split(&format!("{SPLIT}\n")).collect();
        let n = objects.len();
        if parts.len() != 2 * n + 1 {
            return Err(Self::unreadable("applying", &what, &logs, &"parts missing"));
        }
        let rv = |text: &str| -> Result<Option<String>, ReachFailure> {
            if text.trim().is_empty() {
                return Ok(None);
            }
            let v: Value = serde_json::from_str(text)
                .map_err(|e| Self::unreadable("applying", &what, &logs, &e))?;
            Ok(v["metadata"]["resourceVersion"]
                .as_str()
                .map(str::to_string))
        };
        let mut applied = Vec::new();
        for (i, label) in labels.into_iter().enumerate() {
            let outcome = match (rv(parts[i])?, rv(parts[n + 1 + i])?) {
                (None, _) => Outcome::Created,
                (Some(b), Some(a)) if a == b => Outcome::Unchanged,
                _ => Outcome::Updated,
            };
            applied.push(Applied {
                object: label,
                outcome,
            });
        }
        Ok(applied)
    }

    pub(super) async fn get<K: Object>(
        &self,
        namespace: Option<&str>,
        name: &str,
        object: &str,
    ) -> Result<Option<K>, ReachFailure> {
        let command = format!(
            "kubectl get {} {}{} -o json --ignore-not-found",
            resource::<K>(),
            quote(name),
            scope(namespace)
        );
        let logs = self.run(&command, &[], "reading", object).await?;
        if logs.trim().is_empty() {
            return Ok(None);
        }
        serde_json::from_str(&logs)
            .map(Some)
            .map_err(|e| Self::unreadable("reading", object, &logs, &e))
    }

    pub(super) async fn list<K: Object>(
        &self,
        namespace: Option<&str>,
        labels: Option<&str>,
        fields: Option<&str>,
        what: &str,
    ) -> Result<Vec<K>, ReachFailure> {
        let mut command = format!("kubectl get {}{}", resource::<K>(), scope(namespace));
        if let Some(l) = labels {
            command.push_str(&format!(" -l {}", quote(l)));
        }
        if let Some(f) = fields {
            command.push_str(&format!(" --field-selector {}", quote(f)));
        }
        command.push_str(" -o json");
        let logs = self.run(&command, &[], "listing", what).await?;
        #[derive(Deserialize)]
        struct List<K> {
            items: Vec<K>,
        }
        serde_json::from_str::<List<K>>(&logs)
            .map(|l| l.items)
            .map_err(|e| Self::unreadable("listing", what, &logs, &e))
    }

    pub(super) async fn delete<K: Object>(
        &self,
        namespace: Option<&str>,
        name: &str,
        now: bool,
        object: &str,
    ) -> Result<bool, ReachFailure> {
        let mut command = format!(
            "kubectl delete {} {}{} --ignore-not-found --wait=false",
            resource::<K>(),
            quote(name),
            scope(namespace)
        );
        if now {
            command.push_str(" --grace-period=0");
        }
        let logs = self.run(&command, &[], "deleting", object).await?;
        Ok(!logs.trim().is_empty())
    }

    pub(super) async fn merge_patch<K: Object>(
        &self,
        name: &str,
        patch: &Value,
        object: &str,
    ) -> Result<(), ReachFailure> {
        let command = format!(
            "kubectl patch {} {} --type=merge -p {}",
            resource::<K>(),
            quote(name),
            quote(&patch.to_string())
        );
        self.run(&command, &[], "patching", object)
            .await
            .map(|_| ())
    }

    pub(super) async fn logs(
        &self,
        namespace: &str,
        pod: &str,
        tail_lines: Option<i64>,
        object: &str,
    ) -> Result<String, ReachFailure> {
        let mut command = format!("kubectl logs {}{}", quote(pod), scope(Some(namespace)));
        if let Some(n) = tail_lines {
            command.push_str(&format!(" --tail={n}"));
        }
        self.run(&command, &[], "reading the log of", object).await
    }

    /// A TLS Secret's labels and `tls.crt`, never its key: a command's output is kept by Azure
    /// as the command's result, readable by anyone allowed `commandResults/read`.
    pub async fn secret_certificate(
        &self,
        namespace: &str,
        name: &str,
    ) -> Result<Option<k8s_openapi::api::core::v1::Secret>, ReachFailure> {
        use k8s_openapi::api::core::v1::Secret;
        let object = label::<Secret>(Some(namespace), name);
        let get = |path: &str| {
            format!(
                "kubectl get secrets {}{} --ignore-not-found -o {}",
                quote(name),
                scope(Some(namespace)),
                quote(&format!("jsonpath={{{path}}}"))
            )
        };
        let command = format!(
            "{} && echo {SPLIT} && {}",
            get(".metadata.labels"),
            get(".data.tls\\.crt")
        );
        let logs = self.run(&command, &[], "reading", &object).await?;
        let (labels, crt) = logs
            .split_once(&format!("{SPLIT}\n"))
            .ok_or_else(|| Self::unreadable("reading", &object, &logs, &"parts missing"))?;
        let (labels, crt) = (labels.trim(), crt.trim());
        if labels.is_empty() && crt.is_empty() {
            return Ok(None);
        }
        let labels = serde_json::from_str(if labels.is_empty() { "{}" } else { labels })
            .map_err(|e| Self::unreadable("reading", &object, &logs, &e))?;
        let crt = base64::engine::general_purpose::STANDARD
            .decode(crt)
            .map_err(|e| Self::unreadable("reading", &object, &logs, &e))?;
        Ok(Some(Secret {
            metadata: kube::api::ObjectMeta {
                name: Some(name.into()),
                namespace: Some(namespace.into()),
                labels: Some(labels),
                ..Default::default()
            },
            data: Some([("tls.crt".to_string(), k8s_openapi::ByteString(crt))].into()),
            ..Default::default()
        }))
    }

    /// `GET https://<host><path>` at the load balancer's `address`, from inside the cluster,
    /// trusting only `ca_pem` (the install's certificate chain): what users in the VNet get,
    /// without the console's own network in the way.
    /// `curl http://<host><path>` at `address` port 80 from inside the cluster, not following
    /// redirects: curl's exit code and its output, `<status> <redirect url>`.
    pub async fn probe_http(
        &self,
        address: std::net::IpAddr,
        host: &str,
        path: &str,
    ) -> Result<(i32, String), ReachFailure> {
        let url = format!("http://{host}{path}");
        let command = format!(
            "curl -sS -o /dev/null -w {} --max-time 10 --resolve {} {}",
            quote("%{http_code} %{redirect_url}"),
            quote(&format!("{host}:80:{address}")),
            quote(&url)
        );
        let (code, logs) = self.run_raw(&command, &[], "probing", &url).await?;
        Ok((code, logs.trim().to_string()))
    }

    pub async fn probe_https(
        &self,
        address: std::net::IpAddr,
        host: &str,
        path: &str,
        ca_pem: &[u8],
    ) -> Result<HttpsProbe, ReachFailure> {
        let url = format!("https://{host}{path}");
        let command = format!(
            "curl -sS -o /dev/null -w {} --max-time 10 --resolve {} --cacert ca.crt {}",
            quote("%{http_code}"),
            quote(&format!("{host}:443:{address}")),
            quote(&url)
        );
        let files = [("ca.crt".to_string(), ca_pem.to_vec())];
        let (code, logs) = self.run_raw(&command, &files, "probing", &url).await?;
        if code == 127 {
            return Err(ReachFailure::Output {
                action: "probing",
                object: url,
                message: "curl is not in the Run Command pod's image here".into(),
            });
        }
        Ok(HttpsProbe {
            curl_exit: code,
            status: (code == 0).then(|| logs.trim().parse().ok()).flatten(),
            message: logs.trim().to_string(),
        })
    }
}
