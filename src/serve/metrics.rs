//! `GET /metrics`: requests by endpoint and outcome, their latency, locks made, and the
//! queue's depth, in the OpenMetrics text format Prometheus scrapes.

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

type Labels = Vec<(&'static str, String)>;

fn latency_histogram() -> Histogram {
    // 1 ms to about 4 s.
    Histogram::new(exponential_buckets(0.001, 2.0, 13))
}

pub struct Metrics {
    registry: Registry,
    requests: Family<Labels, Counter>,
    latency: Family<Labels, Histogram, fn() -> Histogram>,
    locks: Counter,
    queue: Gauge,
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("madoguchi");
        let requests = Family::<Labels, Counter>::default();
        let latency = Family::<Labels, Histogram, fn() -> Histogram>::new_with_constructor(latency_histogram);
        let locks = Counter::default();
        let queue = Gauge::default();
        registry.register("requests", "Requests by endpoint and result", requests.clone());
        registry.register("request_duration_seconds", "Time to answer, by endpoint", latency.clone());
        registry.register("locks_made", "Suspensions opened by an attempt through this service (R1)", locks.clone());
        registry.register("queue_depth", "Attempts waiting for or being checked by a worker", queue.clone());
        Self { registry, requests, latency, locks, queue }
    }

    /// One answered request: its endpoint, its result (`accepted`, `rejected`,
    /// `suspended`, `refused`, or the HTTP refusal: `bad_request`, `unauthorized`,
    /// `limited`, `busy`, `unavailable`, `error`) and how long it took.
    pub fn answered(&self, endpoint: &'static str, result: &str, seconds: f64) {
        self.requests.get_or_create(&vec![("endpoint", endpoint.to_string()), ("result", result.to_string())]).inc();
        self.latency.get_or_create(&vec![("endpoint", endpoint.to_string())]).observe(seconds);
    }

    pub fn lock_made(&self) {
        self.locks.inc();
    }

    /// The text of a scrape, with the queue's depth as of now.
    pub fn render(&self, queue_depth: i64) -> String {
        self.queue.set(queue_depth);
        let mut out = String::new();
        // Writing to a String does not fail.
        let _ = encode(&mut out, &self.registry);
        out
    }
}
