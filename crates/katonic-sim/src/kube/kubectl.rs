//! The shell of an AKS Run Command pod, against a simulated cluster: the `/bin/sh` command line
//! split into commands joined by `&&` or `;`, and the small part of `kubectl` the console sends
//! (server-side apply of files from the command's context, get/delete/patch, logs, version),
//! plus `sleep`, `echo` and `cat`. Each kubectl call becomes an in-process request to the
//! simulated API server with the pod's credential, so authentication, validation and
//! server-side apply are the API server's own. Anything else answers as the pod's shell would:
//! `sh: 1: <name>: not found`, exit code 127.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderValue, Method};
use serde_json::{Value, json};
use time::OffsetDateTime;

use super::discovery::{RESOURCES, ResDef};
use crate::arm::errors::Body;
use crate::server::{Req, Shared};

/// Where the command runs: the cluster (by name), the credential kubectl presents, and the
/// files the command's context unpacked into the working directory.
pub(crate) struct Pod<'a> {
    pub shared: &'a Shared,
    pub cluster: String,
    /// Bearer token of the pod's kubeconfig (the cluster's own, or the request's clusterToken).
    pub bearer: Option<String>,
    pub files: BTreeMap<String, Vec<u8>>,
    pub now: OffsetDateTime,
}

/// What the command did: its exit code, its combined output, and how long it ran (seconds,
/// before the time scale).
#[derive(Debug, Default)]
pub(crate) struct Ran {
    pub exit_code: i32,
    pub logs: String,
    pub seconds: f64,
}

/// Run a command line as `sh -c` would: `a && b` stops at the first failure, `a ; b` does not.
pub(crate) fn run(pod: &Pod<'_>, line: &str) -> Ran {
    let mut ran = Ran::default();
    let Some(words) = shlex::split(line) else {
        ran.exit_code = 2;
        ran.logs = "sh: 1: Syntax error: Unterminated quoted string\n".into();
        return ran;
    };
    let mut command: Vec<String> = Vec::new();
    let mut words = words.into_iter().peekable();
    while let Some(word) = words.next() {
        let end = words.peek().is_none();
        let separator = matches!(word.as_str(), "&&" | ";");
        if !separator {
            command.push(word.clone());
        }
        if !(separator || end) {
            continue;
        }
        if !command.is_empty() {
            let (code, out, secs) = one(pod, &command);
            ran.exit_code = code;
            ran.logs.push_str(&out);
            ran.seconds += secs;
            command.clear();
        }
        if word == "&&" && ran.exit_code != 0 {
            break;
        }
    }
    ran
}

/// One command: (exit code, output, seconds it ran).
fn one(pod: &Pod<'_>, argv: &[String]) -> (i32, String, f64) {
    let args: Vec<&str> = argv.iter().skip(1).map(String::as_str).collect();
    match argv[0].as_str() {
        "kubectl" => {
            let (code, out) = kubectl(pod, &args);
            (code, out, 0.5)
        }
        "sleep" => match args.first().and_then(|s| s.parse::<f64>().ok()) {
            Some(secs) if secs >= 0.0 => (0, String::new(), secs),
            _ => (1, "sleep: invalid time interval\n".into(), 0.0),
        },
        "echo" => (0, format!("{}\n", args.join(" ")), 0.0),
        "cat" => {
            let mut out = String::new();
            for name in &args {
                match pod.files.get(*name) {
                    Some(bytes) => out.push_str(&String::from_utf8_lossy(bytes)),
                    None => {
                        return (1, format!("cat: {name}: No such file or directory\n"), 0.0);
                    }
                }
            }
            (0, out, 0.0)
        }
        "curl" => super::kubectl_curl::curl(pod, &args),
        other => (127, format!("sh: 1: {other}: not found\n"), 0.0),
    }
}

/// Parsed kubectl flags: `--name=value`, `--name value` and the short forms the console uses.
#[derive(Default)]
pub(super) struct Flags<'a> {
    pub positional: Vec<&'a str>,
    named: BTreeMap<&'static str, &'a str>,
}

/// The flags that take a value; anything else starting with `-` is a switch.
const VALUED: &[(&str, &str)] = &[
    ("-n", "namespace"),
    ("--namespace", "namespace"),
    ("-f", "filename"),
    ("--filename", "filename"),
    ("-o", "output"),
    ("--output", "output"),
    ("-l", "selector"),
    ("--selector", "selector"),
    ("--field-selector", "field-selector"),
    ("--field-manager", "field-manager"),
    ("--tail", "tail"),
    ("--type", "type"),
    ("-p", "patch"),
    ("--patch", "patch"),
    ("--grace-period", "grace-period"),
    ("--wait", "wait"),
    ("--server-side", "server-side"),
    ("--ignore-not-found", "ignore-not-found"),
    ("--force-conflicts", "force-conflicts"),
    ("-A", "all-namespaces"),
    ("--all-namespaces", "all-namespaces"),
];

const SWITCHES: &[&str] = &[
    "server-side",
    "ignore-not-found",
    "force-conflicts",
    "all-namespaces",
    "wait",
];

fn flags<'a>(args: &[&'a str]) -> Result<Flags<'a>, String> {
    let mut f = Flags::default();
    let mut i = 0;
    while i < args.len() {
        let arg = args[i];
        i += 1;
        if !arg.starts_with('-') {
            f.positional.push(arg);
            continue;
        }
        let (flag, inline) = match arg.split_once('=') {
            Some((k, v)) => (k, Some(v)),
            None => (arg, None),
        };
        let Some((_, name)) = VALUED.iter().find(|(k, _)| *k == flag) else {
            return Err(format!("error: unknown flag: {flag}\n"));
        };
        let value = match inline {
            Some(v) => v,
            None if SWITCHES.contains(name) => "true",
            None => {
                let v = args
                    .get(i)
                    .ok_or_else(|| format!("error: flag needs an argument: {flag}\n"))?;
                i += 1;
                v
            }
        };
        f.named.insert(name, value);
    }
    Ok(f)
}

impl Flags<'_> {
    pub fn on(&self, name: &str) -> bool {
        self.named.get(name).is_some_and(|v| *v == "true")
    }
    pub fn get(&self, name: &str) -> Option<&str> {
        self.named.get(name).copied()
    }
}

fn kubectl(pod: &Pod<'_>, args: &[&str]) -> (i32, String) {
    let Some((verb, rest)) = args.split_first() else {
        return (
            1,
            "kubectl controls the Kubernetes cluster manager.\n".into(),
        );
    };
    let f = match flags(rest) {
        Ok(f) => f,
        Err(e) => return (1, e),
    };
    let result = match *verb {
        "apply" => super::kubectl_write::apply(pod, &f),
        "get" => get(pod, &f),
        "delete" => super::kubectl_write::delete(pod, &f),
        "patch" => super::kubectl_write::patch(pod, &f),
        "logs" => super::kubectl_read::logs(pod, &f),
        "version" => super::kubectl_read::version(pod),
        other => Err(format!(
            "error: unknown command \"{other}\" for \"kubectl\"\nRun 'kubectl --help' for usage.\n"
        )),
    };
    match result {
        Ok(out) => (0, out),
        Err(e) => (1, e),
    }
}

/// A resource by the names kubectl accepts: plural, singular, kind or short name, with an
/// optional `.group` (`jobs.batch`, `storageclasses.storage.k8s.io`).
pub(super) fn resolve(name: &str) -> Result<&'static ResDef, String> {
    let lower = name.to_ascii_lowercase();
    let (base, group) = match lower.split_once('.') {
        Some((b, g)) => (b.to_string(), Some(g.to_string())),
        None => (lower.clone(), None),
    };
    RESOURCES
        .iter()
        .find(|d| {
            (d.plural == base
                || d.singular == base
                || d.kind.eq_ignore_ascii_case(&base)
                || d.short.contains(&base.as_str()))
                && group.as_deref().is_none_or(|g| g == d.group)
        })
        .ok_or_else(|| format!("error: the server doesn't have a resource type \"{name}\"\n"))
}

/// The API path of a resource (collection when `name` is `None`).
pub(super) fn path(pod: &Pod<'_>, def: &ResDef, ns: Option<&str>, name: Option<&str>) -> String {
    let mut p = if def.group.is_empty() {
        format!("/kubernetes/{}/api/{}", pod.cluster, def.version)
    } else {
        format!(
            "/kubernetes/{}/apis/{}/{}",
            pod.cluster, def.group, def.version
        )
    };
    if def.namespaced
        && let Some(ns) = ns
    {
        p.push_str(&format!("/namespaces/{ns}"));
    }
    p.push('/');
    p.push_str(def.plural);
    if let Some(name) = name {
        p.push('/');
        p.push_str(name);
    }
    p
}

/// What the API server answered: status and JSON body.
pub(super) struct Answer {
    pub status: u16,
    pub body: Value,
}

impl Answer {
    /// kubectl's rendering of a `Status` error.
    pub fn error(&self) -> String {
        if self.status == 401 {
            return "error: You must be logged in to the server (Unauthorized)\n".into();
        }
        format!(
            "Error from server ({}): {}\n",
            self.body["reason"].as_str().unwrap_or("InternalError"),
            self.body["message"].as_str().unwrap_or("unknown error")
        )
    }
}

/// One in-process request to the simulated API server, as the pod's kubectl sends it.
pub(super) fn call(
    pod: &Pod<'_>,
    method: Method,
    path: &str,
    query: &[(&str, &str)],
    content_type: Option<&str>,
    body: Vec<u8>,
) -> Answer {
    let raw_query = query
        .iter()
        .map(|(k, v)| format!("{k}={}", encode(v)))
        .collect::<Vec<_>>()
        .join("&");
    let mut headers = HeaderMap::new();
    headers.insert(
        "user-agent",
        HeaderValue::from_static("kubectl/v1.33.0 (linux/amd64)"),
    );
    if let Some(ct) = content_type.and_then(|c| HeaderValue::from_str(c).ok()) {
        headers.insert("content-type", ct);
    }
    if let Some(token) = pod
        .bearer
        .as_deref()
        .and_then(|t| HeaderValue::from_str(&format!("Bearer {t}")).ok())
    {
        headers.insert("authorization", token);
    }
    let req = Req {
        method,
        path: path.to_string(),
        segs: path
            .split('/')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        query: crate::urlencoded::parse_pairs(&raw_query, true),
        raw_query,
        headers,
        body: Bytes::from(body),
        now: pod.now,
        peer_cert: None,
    };
    let reply = super::route(pod.shared, &req, &super::Effects::default());
    Answer {
        status: reply.status.as_u16(),
        body: match reply.body {
            Body::Json(v) => v,
            Body::Empty => Value::Null,
        },
    }
}

/// Percent-encoding for query values (selectors carry `=`, `,` and `!`).
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn get(pod: &Pod<'_>, f: &Flags<'_>) -> Result<String, String> {
    let resource = f
        .positional
        .first()
        .ok_or("error: You must specify the type of resource to get.\n")?;
    let def = resolve(resource)?;
    let output = f.get("output").unwrap_or("");
    let jsonpath = output.strip_prefix("jsonpath=");
    if output != "json" && jsonpath.is_none() {
        return Err("error: this kubectl prints -o json and -o jsonpath= only\n".into());
    }
    let name = f.positional.get(1).copied();
    let ns = if f.on("all-namespaces") {
        None
    } else {
        Some(f.get("namespace").unwrap_or("default"))
    };
    let mut query = Vec::new();
    if let Some(s) = f.get("selector") {
        query.push(("labelSelector", s));
    }
    if let Some(s) = f.get("field-selector") {
        query.push(("fieldSelector", s));
    }
    let answer = call(
        pod,
        Method::GET,
        &path(pod, def, ns, name),
        &query,
        None,
        Vec::new(),
    );
    if answer.status == 404 && name.is_some() && f.on("ignore-not-found") {
        return Ok(String::new());
    }
    if answer.status >= 300 {
        return Err(answer.error());
    }
    if let Some(template) = jsonpath {
        return Ok(super::kubectl_read::json_path(&answer.body, template));
    }
    let shown = match name {
        Some(_) => answer.body,
        // kubectl prints a list of any kind as `kind: List`.
        None => json!({
            "apiVersion": "v1",
            "kind": "List",
            "items": answer.body["items"].clone(),
            "metadata": {"resourceVersion": ""},
        }),
    };
    Ok(format!(
        "{}\n",
        serde_json::to_string_pretty(&shown).unwrap_or_default()
    ))
}
