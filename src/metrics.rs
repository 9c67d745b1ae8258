//! Prometheus metrics: ARM calls and throttles, step durations, live SSE clients; installs by
//! status are read from the database at scrape time. One registry for the process, so the
//! ARM client and the web layer record without passing handles around.

use std::sync::OnceLock;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ArmCall {
    pub method: String,
    /// `2xx`, `4xx`, `5xx`, or `transport` when no answer came.
    pub status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StepLabel {
    pub step: String,
    pub outcome: String,
}

pub struct Metrics {
    registry: Registry,
    pub arm_requests: Family<ArmCall, Counter>,
    pub arm_throttled: Counter,
    pub step_seconds: Family<StepLabel, Histogram>,
    pub sse_clients: Gauge,
}

/// The process's metrics.
pub fn global() -> &'static Metrics {
    static METRICS: OnceLock<Metrics> = OnceLock::new();
    METRICS.get_or_init(|| {
        let mut registry = Registry::with_prefix("katonic");
        let arm_requests = Family::<ArmCall, Counter>::default();
        registry.register(
            "arm_requests",
            "Requests sent to Azure Resource Manager, by method and status class",
            arm_requests.clone(),
        );
        let arm_throttled = Counter::default();
        registry.register(
            "arm_throttled",
            "ARM answers 429 (throttled); each was retried after Retry-After",
            arm_throttled.clone(),
        );
        // Steps take from a second (Kubernetes applies) to an hour (platform installer).
        let step_seconds = Family::<StepLabel, Histogram>::new_with_constructor(|| {
            Histogram::new([
                1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0,
            ])
        });
        registry.register(
            "step_duration_seconds",
            "Duration of step attempts, by step and outcome",
            step_seconds.clone(),
        );
        let sse_clients = Gauge::default();
        registry.register(
            "sse_clients",
            "Open server-sent event streams",
            sse_clients.clone(),
        );
        Metrics {
            registry,
            arm_requests,
            arm_throttled,
            step_seconds,
            sse_clients,
        }
    })
}

impl Metrics {
    /// Count an ARM request by its answer.
    pub fn arm_request(&self, method: &str, status: Option<u16>) {
        let status = match status {
            Some(429) => {
                self.arm_throttled.inc();
                "4xx".to_string()
            }
            Some(s) => format!("{}xx", s / 100),
            None => "transport".to_string(),
        };
        self.arm_requests
            .get_or_create(&ArmCall {
                method: method.to_string(),
                status,
            })
            .inc();
    }

    /// Record how long a step attempt took.
    pub fn step_finished(&self, step: &str, outcome: &str, seconds: f64) {
        self.step_seconds
            .get_or_create(&StepLabel {
                step: step.to_string(),
                outcome: outcome.to_string(),
            })
            .observe(seconds);
    }

    /// The text exposition, with `installs` (status, count) appended as a gauge.
    pub fn render(&self, installs: &[(String, i64)]) -> String {
        let mut out = String::new();
        // Encoding into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode_registry(&mut out, &self.registry);
        out.push_str("# HELP katonic_installs Installs in the history, by status.\n");
        out.push_str("# TYPE katonic_installs gauge\n");
        for (status, count) in installs {
            out.push_str(&format!(
                "katonic_installs{{status=\"{status}\"}} {count}\n"
            ));
        }
        out.push_str("# EOF\n");
        out
    }
}

/// Holds an SSE client in the gauge while the stream lives.
pub struct SseClient(());

impl SseClient {
    pub fn open() -> SseClient {
        global().sse_clients.inc();
        SseClient(())
    }
}

impl Drop for SseClient {
    fn drop(&mut self) {
        global().sse_clients.dec();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_render_in_the_text_format() {
        let m = global();
        m.arm_request("PUT", Some(201));
        m.arm_request("GET", Some(429));
        m.step_finished("preflight", "succeeded", 3.0);
        let text = m.render(&[("succeeded".into(), 2)]);
        assert!(
            text.contains("katonic_arm_requests_total{method=\"PUT\",status=\"2xx\"}"),
            "{text}"
        );
        assert!(text.contains("katonic_arm_throttled_total"), "{text}");
        assert!(
            text.contains(
                "katonic_step_duration_seconds_count{step=\"preflight\",outcome=\"succeeded\"}"
            ),
            "{text}"
        );
        assert!(text.contains("katonic_installs{status=\"succeeded\"} 2"));
        assert!(text.trim_end().ends_with("# EOF"));
        assert_eq!(text.matches("# EOF").count(), 1, "{text}");
    }
}
