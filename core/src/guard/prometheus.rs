//! Prometheus text exposition (format 0.0.4) of the endpoint metrics: `# HELP` / `# TYPE` lines,
//! metric names `cognigy_guard_*`, label `endpoint` with escaped values.

use super::metrics::EndpointReport;
use crate::breaker::BreakerState;
use std::fmt::Write as _;

/// Escapes a label value: `\` → `\\`, `"` → `\"`, newline → `\n`.
pub fn escape_label(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// A sample value as Prometheus writes it (`NaN` for none).
fn number(value: Option<f64>) -> String {
    match value {
        Some(v) if v.is_finite() => format!("{v}"),
        Some(v) if v.is_nan() => "NaN".to_owned(),
        Some(v) if v > 0.0 => "+Inf".to_owned(),
        Some(_) => "-Inf".to_owned(),
        None => "NaN".to_owned(),
    }
}

/// One metric family: name, help, type, and how to read each endpoint's sample(s).
struct Family {
    name: &'static str,
    help: &'static str,
    kind: &'static str,
    value: fn(&EndpointReport) -> Option<f64>,
}

const FAMILIES: &[Family] = &[
    Family {
        name: "cognigy_guard_calls_total",
        help: "Guarded calls started.",
        kind: "counter",
        value: |r| Some(r.counters.calls as f64),
    },
    Family {
        name: "cognigy_guard_successes_total",
        help: "Calls answered live.",
        kind: "counter",
        value: |r| Some(r.counters.successes as f64),
    },
    Family {
        name: "cognigy_guard_failures_total",
        help: "Calls whose live answer failed.",
        kind: "counter",
        value: |r| Some(r.counters.failures as f64),
    },
    Family {
        name: "cognigy_guard_timeouts_total",
        help: "Attempts that exceeded their timeout.",
        kind: "counter",
        value: |r| Some(r.counters.timeouts as f64),
    },
    Family {
        name: "cognigy_guard_rejections_total",
        help: "Calls refused by the open circuit before any attempt.",
        kind: "counter",
        value: |r| Some(r.counters.rejections as f64),
    },
    Family {
        name: "cognigy_guard_fallbacks_total",
        help: "Calls answered from the fallback template.",
        kind: "counter",
        value: |r| Some(r.counters.fallbacks as f64),
    },
    Family {
        name: "cognigy_guard_cache_hits_total",
        help: "Calls answered from the last-known-good cache.",
        kind: "counter",
        value: |r| Some(r.counters.cache_hits as f64),
    },
    Family {
        name: "cognigy_guard_sla_breaches_total",
        help: "Live calls slower than the SLA threshold.",
        kind: "counter",
        value: |r| Some(r.counters.sla_breaches as f64),
    },
    Family {
        name: "cognigy_guard_circuit_opens_total",
        help: "Times the circuit opened.",
        kind: "counter",
        value: |r| Some(r.opens as f64),
    },
    Family {
        name: "cognigy_guard_circuit_state",
        help: "Circuit state: 0 closed, 1 open, 2 half-open.",
        kind: "gauge",
        value: |r| {
            Some(match r.state {
                BreakerState::Closed => 0.0,
                BreakerState::Open => 1.0,
                BreakerState::HalfOpen => 2.0,
            })
        },
    },
    Family {
        name: "cognigy_guard_recovery_latency_last_ms",
        help: "Duration of the latest outage (open to closed), in ms.",
        kind: "gauge",
        value: |r| r.recovery_latency.last,
    },
    Family {
        name: "cognigy_guard_recovery_latency_mean_ms",
        help: "Mean outage duration, in ms.",
        kind: "gauge",
        value: |r| r.recovery_latency.mean,
    },
    Family {
        name: "cognigy_guard_recovery_latency_max_ms",
        help: "Longest outage duration, in ms.",
        kind: "gauge",
        value: |r| r.recovery_latency.max,
    },
    Family {
        name: "cognigy_guard_latency_max_ms",
        help: "Slowest call in the latency window, in ms.",
        kind: "gauge",
        value: |r| r.latency.max,
    },
];

/// The exposition text for `reports` plus the outbox gauges.
pub fn render(
    reports: &[(String, EndpointReport)],
    outbox_pending: usize,
    outbox_dropped: u64,
) -> String {
    let mut out = String::new();
    for family in FAMILIES {
        header(&mut out, family.name, family.help, family.kind);
        for (id, report) in reports {
            let _ = writeln!(
                out,
                "{}{{endpoint=\"{}\"}} {}",
                family.name,
                escape_label(id),
                number((family.value)(report))
            );
        }
    }
    let name = "cognigy_guard_latency_ms";
    header(
        &mut out,
        name,
        "Call latency (start to finish, retries included), in ms.",
        "summary",
    );
    for (id, report) in reports {
        let id = escape_label(id);
        let l = &report.latency;
        for (q, v) in [("0.5", l.p50), ("0.95", l.p95), ("0.99", l.p99)] {
            let _ = writeln!(
                out,
                "{name}{{endpoint=\"{id}\",quantile=\"{q}\"}} {}",
                number(v)
            );
        }
        let _ = writeln!(
            out,
            "{name}_sum{{endpoint=\"{id}\"}} {}",
            number(Some(l.sum_ms))
        );
        let _ = writeln!(out, "{name}_count{{endpoint=\"{id}\"}} {}", l.count);
    }
    header(
        &mut out,
        "cognigy_guard_outbox_pending",
        "Metric events waiting for the dashboard.",
        "gauge",
    );
    let _ = writeln!(out, "cognigy_guard_outbox_pending {outbox_pending}");
    header(
        &mut out,
        "cognigy_guard_outbox_dropped_total",
        "Metric events dropped (outbox full).",
        "counter",
    );
    let _ = writeln!(out, "cognigy_guard_outbox_dropped_total {outbox_dropped}");
    out
}

fn header(out: &mut String, name: &str, help: &str, kind: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_label_values() {
        assert_eq!(escape_label("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
    }

    #[test]
    fn renders_numbers() {
        assert_eq!(number(None), "NaN");
        assert_eq!(number(Some(1.5)), "1.5");
        assert_eq!(number(Some(f64::INFINITY)), "+Inf");
    }
}
