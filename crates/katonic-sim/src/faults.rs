//! The fault plan: rules matching method + path regex (+ nth / every Nth call) that answer an
//! error, fail the long-running operation, throttle, drop the connection, or slow an operation.

use std::path::Path;
use std::sync::Mutex;

use regex::Regex;
use serde::{Deserialize, Serialize};

use super::SimError;
use super::arm::errors::ErrorDetail;

/// A fault plan, as loaded from YAML (`rules:` list) or built by tests.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultPlan {
    #[serde(default)]
    pub rules: Vec<FaultRule>,
}

/// One rule. A call matches when the method matches (absent or `*` = any) and the regex finds a
/// match in the percent-decoded path (case-insensitive). Of the matching calls, the rule fires on
/// the `nth` (1-based) only, or on every `every`-th, or on all; at most `times` times in total.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FaultRule {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub method: Option<String>,
    pub path: String,
    #[serde(default)]
    pub nth: Option<u64>,
    #[serde(default)]
    pub every: Option<u64>,
    #[serde(default)]
    pub times: Option<u64>,
    /// YAML writes it as a one-key map (`error: {…}`), not a `!tag`.
    #[serde(with = "serde_yaml_ng::with::singleton_map")]
    pub action: FaultAction,
}

/// What a firing rule does.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub enum FaultAction {
    /// Answer at once with this status and ARM error (nothing is changed).
    Error {
        status: u16,
        code: String,
        message: String,
    },
    /// Accept the request; the long-running operation it starts ends `Failed` with this error.
    #[serde(rename_all = "camelCase")]
    FailOperation { code: String, message: String },
    /// Answer 429 `TooManyRequests` with `Retry-After` (seconds).
    #[serde(rename_all = "camelCase")]
    Throttle {
        #[serde(default = "default_retry_after")]
        retry_after: u64,
    },
    /// Close the connection without a response. With `afterProcessing` (the default for PUT,
    /// POST and DELETE) the request takes effect first, so the client must find out by GET/poll.
    #[serde(rename_all = "camelCase")]
    Drop {
        #[serde(default)]
        after_processing: Option<bool>,
    },
    /// Multiply the duration of the operation the request starts.
    Slow { factor: f64 },
    /// Kubernetes: the pods of the Job this request writes fail, logging `message`.
    FailJob { message: String },
    /// Kubernetes: the Service this request writes never gets a load-balancer address.
    NoLoadBalancer {},
}

fn default_retry_after() -> u64 {
    1
}

impl FaultPlan {
    pub fn from_yaml(text: &str) -> Result<Self, SimError> {
        let plan: Self =
            serde_yaml_ng::from_str(text).map_err(|e| SimError::Faults(e.to_string()))?;
        for rule in &plan.rules {
            compile(&rule.path)?;
        }
        Ok(plan)
    }

    pub fn load(path: &Path) -> Result<Self, SimError> {
        let text = std::fs::read_to_string(path).map_err(|e| SimError::io(path, e))?;
        Self::from_yaml(&text)
    }

    /// A plan with a single rule.
    pub fn single(rule: FaultRule) -> Self {
        Self { rules: vec![rule] }
    }
}

impl FaultRule {
    /// A rule for `method` calls whose path matches `path`, firing on every match.
    pub fn new(method: &str, path: &str, action: FaultAction) -> Self {
        Self {
            name: None,
            method: Some(method.to_string()),
            path: path.to_string(),
            nth: None,
            every: None,
            times: None,
            action,
        }
    }

    pub fn nth(mut self, n: u64) -> Self {
        self.nth = Some(n);
        self
    }

    pub fn every(mut self, n: u64) -> Self {
        self.every = Some(n);
        self
    }

    pub fn times(mut self, n: u64) -> Self {
        self.times = Some(n);
        self
    }
}

fn compile(path: &str) -> Result<Regex, SimError> {
    Regex::new(&format!("(?i){path}"))
        .map_err(|e| SimError::Faults(format!("path regex {path:?}: {e}")))
}

struct Compiled {
    rule: FaultRule,
    regex: Option<Regex>,
    matched: u64,
    fired: u64,
}

/// The live plan with per-rule counters.
pub(crate) struct Faults {
    rules: Mutex<Vec<Compiled>>,
}

/// A rule that fired on this call.
pub(crate) struct Hit {
    pub index: usize,
    pub name: Option<String>,
    pub action: FaultAction,
}

impl Hit {
    pub fn describe(&self) -> String {
        match &self.name {
            Some(n) => n.clone(),
            None => format!("rule {}", self.index),
        }
    }
}

/// Effects of a fault that the ARM handlers apply.
#[derive(Debug, Default, Clone)]
pub(crate) struct Effects {
    pub fail: Option<ErrorDetail>,
    pub slow: f64,
    pub drop_after: bool,
}

impl Effects {
    /// Duration multiplier (1 when no slow fault fired).
    pub fn factor(&self) -> f64 {
        if self.slow > 0.0 { self.slow } else { 1.0 }
    }
}

impl Faults {
    pub fn new(plan: FaultPlan) -> Self {
        let faults = Self {
            rules: Mutex::new(Vec::new()),
        };
        faults.replace(plan);
        faults
    }

    pub fn replace(&self, plan: FaultPlan) {
        let compiled = plan
            .rules
            .into_iter()
            .map(|rule| Compiled {
                // A bad regex given at run time never matches (files are checked at load).
                regex: compile(&rule.path).ok(),
                rule,
                matched: 0,
                fired: 0,
            })
            .collect();
        *self.rules.lock().unwrap_or_else(|e| e.into_inner()) = compiled;
    }

    /// The first rule that fires for this call, counting the call against every matching rule.
    pub fn check(&self, method: &str, path: &str) -> Option<Hit> {
        let mut rules = self.rules.lock().unwrap_or_else(|e| e.into_inner());
        let mut hit = None;
        for (index, c) in rules.iter_mut().enumerate() {
            let method_ok = c
                .rule
                .method
                .as_deref()
                .is_none_or(|m| m == "*" || m.eq_ignore_ascii_case(method));
            let path_ok = c.regex.as_ref().is_some_and(|r| r.is_match(path));
            if !(method_ok && path_ok) {
                continue;
            }
            c.matched += 1;
            if hit.is_some() {
                continue;
            }
            let due = match (c.rule.nth, c.rule.every) {
                (Some(n), _) => c.matched == n,
                (None, Some(e)) => e > 0 && c.matched % e == 0,
                (None, None) => true,
            };
            let under_limit = c.rule.times.is_none_or(|t| c.fired < t);
            if due && under_limit {
                c.fired += 1;
                let mut action = c.rule.action.clone();
                if let FaultAction::Drop { after_processing } = &mut action {
                    let writes = ["PUT", "POST", "DELETE", "PATCH"];
                    after_processing
                        .get_or_insert(writes.iter().any(|w| w.eq_ignore_ascii_case(method)));
                }
                hit = Some(Hit {
                    index,
                    name: c.rule.name.clone(),
                    action,
                });
            }
        }
        hit
    }
}
