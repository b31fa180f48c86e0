//! Aggregation of bot test-suite results into one [`SuiteReport`].
//!
//! Two result formats are understood (see `docs/WIRE.md`): the seed's `seed-v1` execution results
//! (`test_results`, parsed by [`seed_v1`]) and cognigy-v2 playbook runs (`stepResults`, parsed by
//! [`playbook`]). Both are untrusted JSON, read tolerantly and never cloned: each case becomes a
//! [`CaseResult`], and [`build_report`] turns the cases into counts, rates, coverage, failures and
//! latency statistics in one linear pass (plus one sort of the latencies).
//!
//! Case status is four-valued. A case that verifies no behaviour (no assertion besides latency)
//! is [`CaseStatus::Unverified`]: it counts in `total` but is never `passed`, so it lowers the
//! pass rate (the seed counted `all([]) == True` as a pass). A submitted case the run never
//! reported (it ended, e.g. `timeout`, before the case ran) is [`CaseStatus::Errored`]
//! ([`include_unrun`]): it is never dropped.
//!
//! Gate: `passed` when at least one case passed (so a suite in which nothing was verified never
//! passes, whatever `passThreshold`, even 0) and `passRate >= passThreshold`; a run that did not
//! complete fails it too.

pub mod audit_record;
pub mod ci_webhook;
pub mod compare;
pub mod coverage;
pub mod endpoint;
pub mod latency;
pub mod layout;
pub mod nlu;
pub mod playbook;
mod reasons;
pub mod seed_v1;
pub mod simulation;

pub use audit_record::{suite_audit_record, GovernanceStatus, SuiteAuditRecord};
pub use ci_webhook::ci_webhook_body;
pub use compare::{compare_reports, ChangedCase, ReportComparison};
pub use coverage::{Coverage, NameStats};
pub use endpoint::{
    endpoint_chunks_report, endpoint_report, EndpointCaseOutcome, EndpointChunk, FlakyCase,
};
pub use latency::LatencyStats;
pub use nlu::{nlu_report, ConfusionMatrix, IntentMetrics, NluCase, NluReport, NO_INTENT};
pub use playbook::aggregate_playbook_run;
pub use seed_v1::aggregate_seed_v1;
pub use simulation::simulation_report;

use crate::error::GuardError;
use crate::json::{Json, Object};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Default share of passed cases the CI gate requires (the seed's value).
pub const DEFAULT_PASS_THRESHOLD: f64 = 0.95;
/// Default intent coverage the audit record's `coverageDelta` is measured against (the seed's
/// hard-coded value).
pub const DEFAULT_BASELINE_INTENT_COVERAGE: f64 = 0.80;
/// Longest text (in characters) copied from the results into a report; longer text is cut and
/// ends with `…`.
pub const MAX_TEXT_CHARS: usize = 200;
/// Most reasons kept per case; further ones are summarised as `… and N more`.
pub const MAX_REASONS_PER_CASE: usize = 20;

/// Options of an aggregation, read from camelCase JSON (`{ passThreshold, knownIntents, ... }`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AggregateOptions {
    /// Pass rate the gate requires, in `0..=1` (default 0.95).
    #[serde(alias = "pass_threshold")]
    pub pass_threshold: f64,
    /// The intents the bot knows; when absent the suite's expected intents are the known set.
    #[serde(alias = "known_intents")]
    pub known_intents: Option<Vec<String>>,
    /// The entities (slots) the bot knows; when absent the suite's expected entities are the set.
    #[serde(alias = "known_entities")]
    pub known_entities: Option<Vec<String>>,
    /// Intent coverage the audit record compares against, in `0..=1` (default 0.80).
    #[serde(alias = "baseline_intent_coverage")]
    pub baseline_intent_coverage: f64,
}

impl Default for AggregateOptions {
    fn default() -> Self {
        AggregateOptions {
            pass_threshold: DEFAULT_PASS_THRESHOLD,
            known_intents: None,
            known_entities: None,
            baseline_intent_coverage: DEFAULT_BASELINE_INTENT_COVERAGE,
        }
    }
}

impl AggregateOptions {
    /// Reads options from untrusted JSON (`null` means defaults) and validates them.
    pub fn from_json(value: &Value) -> Result<Self, GuardError> {
        if value.is_null() {
            return Ok(Self::default());
        }
        if !value.is_object() {
            return Err(GuardError::Config(format!(
                "aggregation options must be an object, got {}",
                crate::json::type_name(value)
            )));
        }
        let opts = Self::deserialize(value)
            .map_err(|e| GuardError::Config(format!("invalid aggregation options: {e}")))?;
        opts.validate()?;
        Ok(opts)
    }

    /// Checks that both ratios are finite and within `0..=1`.
    pub fn validate(&self) -> Result<(), GuardError> {
        check_ratio("passThreshold", self.pass_threshold)?;
        check_ratio("baselineIntentCoverage", self.baseline_intent_coverage)
    }
}

fn check_ratio(name: &str, value: f64) -> Result<(), GuardError> {
    if (0.0..=1.0).contains(&value) {
        Ok(())
    } else {
        Err(GuardError::Config(format!(
            "{name} must be a number between 0 and 1, got {value}"
        )))
    }
}

/// Outcome of one test case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CaseStatus {
    /// Every assertion passed and at least one verified behaviour (not only latency).
    Passed,
    /// At least one assertion (latency included) failed, or the case was malformed.
    Failed,
    /// Nothing failed, but nothing besides latency was asserted.
    Unverified,
    /// Submitted but never run: the run ended before it.
    Errored,
}

impl CaseStatus {
    /// The status rule shared by both formats: any failure fails the case; otherwise a case
    /// that verified no behaviour is unverified; otherwise it passed.
    pub fn from_checks(any_failed: bool, verifies_behaviour: bool) -> Self {
        if any_failed {
            CaseStatus::Failed
        } else if verifies_behaviour {
            CaseStatus::Passed
        } else {
            CaseStatus::Unverified
        }
    }
}

/// Sorts cases by their index, keeping the order of equal ones (one sort in the binary for
/// every caller).
pub(crate) fn sort_by_index(cases: &mut [CaseResult]) {
    cases.sort_by_key(|c| c.index);
}

/// One test case (seed-v1 result entry or playbook step) in the common model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CaseResult {
    /// Position of the case (seed-v1 `case_index` when valid, else its position in the list).
    pub index: usize,
    /// The user utterance (cut to [`MAX_TEXT_CHARS`]).
    pub input_text: String,
    /// Passed, failed or unverified.
    pub status: CaseStatus,
    /// Why the case failed, one entry per failed check (empty unless failed).
    pub reasons: Vec<String>,
    /// The intent the NLU matched, when reported.
    pub matched_intent: Option<String>,
    /// The intent the case asserts (its first intent assertion), if any.
    pub expected_intent: Option<String>,
    /// Whether the intent assertion of `expected_intent` passed (false when none).
    pub intent_verified: bool,
    /// Entities (slots) the case asserts, in assertion order.
    pub entities_expected: Vec<String>,
    /// The expected entities whose assertion passed, i.e. that were verified as extracted.
    pub entities_extracted: Vec<String>,
    /// Measured latency, when reported.
    pub latency_ms: Option<f64>,
    /// Latency budget of the case (seed-v1 latency assertion, playbook step timeout).
    pub allowed_latency_ms: Option<f64>,
}

impl Default for CaseResult {
    fn default() -> Self {
        CaseResult {
            index: 0,
            input_text: String::new(),
            status: CaseStatus::Unverified,
            reasons: Vec::new(),
            matched_intent: None,
            expected_intent: None,
            intent_verified: false,
            entities_expected: Vec::new(),
            entities_extracted: Vec::new(),
            latency_ms: None,
            allowed_latency_ms: None,
        }
    }
}

impl CaseResult {
    /// Case number `index` of a payload with its utterance and expectations (clipped), not yet
    /// run: `unverified`, no reasons, no measurements.
    pub fn expecting(index: usize, case: &crate::model::TestCase) -> Self {
        let outcome = &case.outcome;
        CaseResult {
            index,
            input_text: clip(&case.input_text),
            expected_intent: outcome.expected_intent.as_deref().map(clip),
            entities_expected: outcome
                .expected_entities
                .iter()
                .flatten()
                .map(|e| clip(e))
                .collect(),
            allowed_latency_ms: Some(f64::from(outcome.allowed_latency_ms)),
            ..CaseResult::default()
        }
    }

    /// Records why the case failed, keeping at most [`MAX_REASONS_PER_CASE`] reasons (the
    /// last kept slot then says how many more there were).
    pub fn add_reason(&mut self, reason: String) {
        let len = self.reasons.len();
        if len < MAX_REASONS_PER_CASE {
            self.reasons.push(reason);
            return;
        }
        // Replace the last slot by a running "… and N more" summary.
        let more = match self.reasons.last().and_then(|r| parse_more(r)) {
            Some(n) => n.saturating_add(1),
            None => 2, // the displaced reason plus this one
        };
        if let Some(last) = self.reasons.last_mut() {
            *last = format!("… and {more} more");
        }
    }

    /// Whether the measured latency exceeded the case's budget.
    pub fn over_budget(&self) -> bool {
        matches!((self.latency_ms, self.allowed_latency_ms), (Some(l), Some(a)) if l > a)
    }
}

fn parse_more(reason: &str) -> Option<usize> {
    reason
        .strip_prefix("… and ")?
        .strip_suffix(" more")?
        .parse()
        .ok()
}

/// Whether the CI gate let the suite through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Gate {
    /// At least one case passed and `passRate >= passThreshold`.
    Passed,
    /// Anything else.
    Failed,
}

impl Gate {
    /// The gate rule: passes when at least one case `passed` (something was verified) and the
    /// pass rate reached the threshold.
    pub fn decide(passed: usize, pass_rate: f64, threshold: f64) -> Self {
        if passed > 0 && pass_rate >= threshold {
            Gate::Passed
        } else {
            Gate::Failed
        }
    }

    /// `"passed"` or `"failed"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Gate::Passed => "passed",
            Gate::Failed => "failed",
        }
    }
}

/// A failed case, as listed in [`SuiteReport::failures`].
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct FailureSummary {
    /// The case's index.
    pub index: usize,
    /// The case's utterance (cut to [`MAX_TEXT_CHARS`]).
    pub input_text: String,
    /// Why it failed.
    pub reasons: Vec<String>,
}

/// Delivery of the CI webhook, filled in by the runner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookDelivery {
    /// Whether the webhook answered 2xx.
    pub delivered: bool,
    /// Delivery attempts made.
    pub attempts: u32,
    /// The `Idempotency-Key` sent with every attempt.
    pub idempotency_key: String,
}

/// The result of a test-suite run (docs/API.md `SuiteReport`). [`aggregate`] fills everything it
/// can learn from the results; the fields only the runner knows (`startedAt`, `finishedAt`,
/// `durationMs`, `polls`, `webhook`, `audit`) stay `None` and are left out of the JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SuiteReport {
    /// Execution id (seed-v1 `execution_id`, playbook run `_id`), when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub execution_id: Option<String>,
    /// The suite's stable name, the same on every run (seed-v1: the payload's or the results'
    /// `suite_id`; playbook: the playbook's name when given, else its id), when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suite_id: Option<String>,
    /// Execution status as reported by the platform (`completed`, `successful`, ...), when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Number of cases.
    pub total: usize,
    /// Cases that passed.
    pub passed: usize,
    /// Cases that failed.
    pub failed: usize,
    /// Cases that asserted nothing besides latency.
    pub unverified: usize,
    /// Submitted cases that never ran (the run ended before them).
    pub errored: usize,
    /// `passed / total`, 0 when there are no cases.
    pub pass_rate: f64,
    /// The threshold the gate used.
    pub pass_threshold: f64,
    /// The CI gate's verdict.
    pub gate: Gate,
    /// Intent and entity coverage.
    pub coverage: Coverage,
    /// Every failed case with its reasons, in case order.
    pub failures: Vec<FailureSummary>,
    /// Latency percentiles.
    pub latency: LatencyStats,
    /// Every case, in input order (used by JUnit rendering).
    pub cases: Vec<CaseResult>,
    /// When the run started (ISO-8601), filled by the runner.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
    /// When the run finished (ISO-8601), filled by the runner.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<String>,
    /// Wall-clock duration of the run, filled by the runner.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<f64>,
    /// Status polls made, filled by the runner.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub polls: Option<u32>,
    /// CI webhook delivery, filled by the runner.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook: Option<WebhookDelivery>,
    /// The run's audit record, filled by the runner.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audit: Option<SuiteAuditRecord>,
    /// The NLU report of an endpoint run with `nlu` configured.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nlu: Option<NluReport>,
    /// Cases of an endpoint run that failed and then passed in a rerun (`retryFailed`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flaky: Option<Vec<FlakyCase>>,
    /// The comparison with the run's `baseline`, when one was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comparison: Option<ReportComparison>,
}

impl Default for SuiteReport {
    fn default() -> Self {
        build_report(Vec::new(), &AggregateOptions::default())
    }
}

/// Aggregates raw results of either format: an object with `test_results` is seed-v1, one with
/// `stepResults` is a cognigy-v2 playbook run. Anything else is a `BadResponse`.
pub fn aggregate(raw: &Json<'_>, opts: &AggregateOptions) -> Result<SuiteReport, GuardError> {
    let Some(obj) = raw.as_object() else {
        return Err(GuardError::BadResponse(format!(
            "results must be a JSON object, got {}",
            raw.type_name()
        )));
    };
    if obj.get("test_results").is_some() {
        aggregate_seed_v1(raw, opts)
    } else if obj.get("stepResults").is_some() {
        aggregate_playbook_run(raw, opts)
    } else {
        Err(GuardError::BadResponse(
            "unrecognised results: expected `test_results` (seed-v1) or `stepResults` \
             (cognigy-v2 playbook run)"
                .to_owned(),
        ))
    }
}

/// Builds the report from parsed cases: counts, pass rate, gate, coverage, failures and latency.
/// `opts` must already be validated. Linear in the number of cases (latencies are sorted once).
pub fn build_report(cases: Vec<CaseResult>, opts: &AggregateOptions) -> SuiteReport {
    let (mut passed, mut failed, mut unverified, mut errored) = (0usize, 0usize, 0usize, 0usize);
    let mut failures = Vec::new();
    for case in &cases {
        match case.status {
            CaseStatus::Passed => passed = passed.saturating_add(1),
            CaseStatus::Unverified => unverified = unverified.saturating_add(1),
            CaseStatus::Errored => errored = errored.saturating_add(1),
            CaseStatus::Failed => {
                failed = failed.saturating_add(1);
                failures.push(FailureSummary {
                    index: case.index,
                    input_text: case.input_text.clone(),
                    reasons: case.reasons.clone(),
                });
            }
        }
    }
    let total = cases.len();
    let pass_rate = ratio(passed, total);
    SuiteReport {
        execution_id: None,
        suite_id: None,
        status: None,
        total,
        passed,
        failed,
        unverified,
        errored,
        pass_rate,
        pass_threshold: opts.pass_threshold,
        gate: Gate::decide(passed, pass_rate, opts.pass_threshold),
        coverage: Coverage::compute(
            &cases,
            opts.known_intents.as_deref(),
            opts.known_entities.as_deref(),
        ),
        failures,
        latency: LatencyStats::compute(&cases),
        cases,
        started_at: None,
        finished_at: None,
        duration_ms: None,
        polls: None,
        webhook: None,
        audit: None,
        nlu: None,
        flaky: None,
        comparison: None,
    }
}

/// Why an errored case has no result.
pub const NEVER_RAN: &str = "never ran: the run ended before this case";

/// `report` with every case of `submitted` (the payload's cases, in order) that the results do
/// not report added as [`CaseStatus::Errored`] (with its utterance and expectations, so coverage
/// counts them as expected and not verified), and every count rebuilt. A report of results read
/// without the payload (`submitted` empty) is returned as it is.
pub fn include_unrun(
    report: SuiteReport,
    submitted: &[crate::model::TestCase],
    opts: &AggregateOptions,
) -> SuiteReport {
    include_errored(report, submitted.len(), opts, |index| {
        let case = submitted.get(index)?;
        Some(CaseResult {
            status: CaseStatus::Errored,
            reasons: vec![NEVER_RAN.to_owned()],
            ..CaseResult::expecting(index, case)
        })
    })
}

/// `report` of a playbook run with `total_steps` steps (the task's `totalStep`): every step index
/// below it that the run does not report is added as an [`CaseStatus::Errored`] case with no
/// text (the run does not say what a step that never ran would have sent), counts rebuilt.
pub fn include_unrun_steps(
    report: SuiteReport,
    total_steps: usize,
    opts: &AggregateOptions,
) -> SuiteReport {
    include_errored(report, total_steps, opts, |index| Some(never_ran(index)))
}

/// An errored case at `index` that never ran.
fn never_ran(index: usize) -> CaseResult {
    CaseResult {
        index,
        status: CaseStatus::Errored,
        reasons: vec![NEVER_RAN.to_owned()],
        ..CaseResult::default()
    }
}

/// `report` with `placeholder(i)` added for every index `i < expected` it does not report.
fn include_errored(
    report: SuiteReport,
    expected: usize,
    opts: &AggregateOptions,
    placeholder: impl Fn(usize) -> Option<CaseResult>,
) -> SuiteReport {
    // Which indices below `expected` the report has (a flag each: no set type in the binary
    // for this; placeholders for the missing ones take far more room than the flags).
    let mut reported = vec![false; expected];
    for c in &report.cases {
        if let Some(flag) = reported.get_mut(c.index) {
            *flag = true;
        }
    }
    if reported.iter().all(|&flag| flag) {
        return report;
    }
    let SuiteReport {
        execution_id,
        suite_id,
        status,
        mut cases,
        ..
    } = report;
    cases.extend(
        (0..expected)
            .filter(|&i| !reported.get(i).copied().unwrap_or(false))
            .filter_map(placeholder),
    );
    sort_by_index(&mut cases);
    let mut rebuilt = build_report(cases, opts);
    rebuilt.execution_id = execution_id;
    rebuilt.suite_id = suite_id;
    rebuilt.status = status;
    rebuilt
}

/// `part / whole`, 0 when `whole` is 0.
pub fn ratio(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

/// Copies untrusted text into a report, cut to [`MAX_TEXT_CHARS`] characters (plus `…`).
pub fn clip(text: &str) -> String {
    // A text has at most as many characters as bytes: short ones need no counting.
    if text.len() <= MAX_TEXT_CHARS {
        return text.to_owned();
    }
    match text.char_indices().nth(MAX_TEXT_CHARS) {
        Some((cut, _)) => {
            let mut s = String::with_capacity(cut.saturating_add(3));
            s.push_str(text.get(..cut).unwrap_or_default());
            s.push('…');
            s
        }
        None => text.to_owned(),
    }
}

/// The values of the fields `names` of a JSON object, in the order of `names`, read in one
/// pass over its entries (about a third faster than one `get` per field on large suites). A key
/// is compared in full only when its length and first byte match a wanted name.
pub(crate) fn fields<'a, const N: usize>(
    object: &'a Object<'a>,
    names: [&str; N],
) -> [Option<&'a Json<'a>>; N] {
    let mut found = [None; N];
    for (key, value) in object.iter() {
        let key = key.as_bytes();
        for (slot, name) in found.iter_mut().zip(names) {
            let name = name.as_bytes();
            if key.len() == name.len() && key.first() == name.first() && key == name {
                *slot = Some(value);
                break;
            }
        }
    }
    found
}

/// A string field of a JSON object, clipped; `None` when absent or not a string.
pub(crate) fn str_field(value: &Json<'_>, key: &str) -> Option<String> {
    value.get(key).and_then(Json::as_str).map(clip)
}

/// The value as a finite, non-negative number.
pub(crate) fn non_negative_number(value: &Json<'_>) -> Option<f64> {
    value.as_f64().filter(|n| n.is_finite() && *n >= 0.0)
}

/// A short description of a JSON value for reasons: strings clipped, numbers and booleans as
/// written, `none` for null or absence, and the type name for arrays and objects.
pub(crate) fn describe(value: Option<&Json<'_>>) -> String {
    match value {
        None | Some(Json::Null) => "none".to_owned(),
        Some(Json::String(s)) => clip(s),
        Some(Json::Number(n)) => n.to_string(),
        Some(Json::Bool(b)) => b.to_string(),
        Some(v) => v.type_name().to_owned(),
    }
}

/// Formats milliseconds without a trailing `.0` (`900`, `912.5`).
pub(crate) fn fmt_ms(ms: f64) -> String {
    format!("{ms}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn options_defaults_and_camel_case() {
        let o = AggregateOptions::from_json(&json!({})).unwrap();
        assert_eq!(o.pass_threshold, 0.95);
        assert_eq!(o.baseline_intent_coverage, 0.80);
        assert_eq!(o.known_intents, None);
        let o = AggregateOptions::from_json(&json!({
            "passThreshold": 0.5, "knownIntents": ["a"], "knownEntities": null,
            "baselineIntentCoverage": 0.7, "unknown": true
        }))
        .unwrap();
        assert_eq!(o.pass_threshold, 0.5);
        assert_eq!(o.known_intents, Some(vec!["a".to_owned()]));
        assert_eq!(o.baseline_intent_coverage, 0.7);
        assert_eq!(
            AggregateOptions::from_json(&Value::Null).unwrap(),
            AggregateOptions::default()
        );
    }

    #[test]
    fn options_reject_out_of_range_and_wrong_types() {
        for bad in [
            json!({"passThreshold": 1.5}),
            json!({"passThreshold": -0.1}),
            json!({"baselineIntentCoverage": 2}),
            json!({"passThreshold": "high"}),
            json!({"knownIntents": "a"}),
            json!([1]),
        ] {
            let err = AggregateOptions::from_json(&bad).unwrap_err();
            assert!(matches!(err, GuardError::Config(_)), "{bad}: {err:?}");
        }
        let nan = AggregateOptions {
            pass_threshold: f64::NAN,
            ..AggregateOptions::default()
        };
        assert!(nan.validate().is_err());
    }

    #[test]
    fn status_rule() {
        assert_eq!(CaseStatus::from_checks(true, true), CaseStatus::Failed);
        assert_eq!(CaseStatus::from_checks(true, false), CaseStatus::Failed);
        assert_eq!(CaseStatus::from_checks(false, true), CaseStatus::Passed);
        assert_eq!(
            CaseStatus::from_checks(false, false),
            CaseStatus::Unverified
        );
    }

    #[test]
    fn gate_rule() {
        assert_eq!(Gate::decide(20, 19.0 / 20.0, 0.95), Gate::Passed);
        assert_eq!(Gate::decide(20, 18.0 / 20.0, 0.95), Gate::Failed);
        assert_eq!(Gate::decide(0, 0.0, 0.0), Gate::Failed);
        assert_eq!(Gate::decide(1, 0.0, 0.0), Gate::Passed);
    }

    #[test]
    fn clip_cuts_on_char_boundaries() {
        assert_eq!(clip("short"), "short");
        let long = "é".repeat(MAX_TEXT_CHARS + 5);
        let c = clip(&long);
        assert_eq!(c.chars().count(), MAX_TEXT_CHARS + 1);
        assert!(c.ends_with('…'));
        assert_eq!(clip(&"x".repeat(MAX_TEXT_CHARS)).len(), MAX_TEXT_CHARS);
        let one_over = clip(&"x".repeat(MAX_TEXT_CHARS + 1));
        assert_eq!(one_over.chars().count(), MAX_TEXT_CHARS + 1);
        assert!(one_over.ends_with('…'));
        // More bytes than the limit, but not more characters: kept whole.
        let wide = "é".repeat(MAX_TEXT_CHARS);
        assert_eq!(clip(&wide), wide);
    }

    #[test]
    fn reasons_are_capped_with_a_count() {
        let mut case = CaseResult::default();
        for i in 0..MAX_REASONS_PER_CASE + 5 {
            case.add_reason(format!("r{i}"));
        }
        assert_eq!(case.reasons.len(), MAX_REASONS_PER_CASE);
        assert_eq!(case.reasons.last().unwrap(), "… and 6 more");
        assert_eq!(case.reasons[MAX_REASONS_PER_CASE - 2], "r18");
    }

    #[test]
    fn aggregate_detects_the_format() {
        let opts = AggregateOptions::default();
        let seed = json!({"test_results": []});
        assert_eq!(aggregate(&Json::from(&seed), &opts).unwrap().total, 0);
        let pb = json!({"stepResults": [{"status": "successful", "asserts": []}]});
        assert_eq!(aggregate(&Json::from(&pb), &opts).unwrap().unverified, 1);
        for bad in [json!({"results": []}), json!([]), json!("x"), Value::Null] {
            let err = aggregate(&Json::from(&bad), &opts).unwrap_err();
            assert!(matches!(err, GuardError::BadResponse(_)), "{bad}");
        }
    }

    #[test]
    fn empty_report_fails_the_gate_and_serializes_camel_case() {
        let report = SuiteReport::default();
        assert_eq!(report.gate, Gate::Failed);
        assert_eq!(report.pass_rate, 0.0);
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["passRate"], 0.0);
        assert_eq!(json["gate"], "failed");
        assert!(json["latency"]["p50"].is_null());
        assert!(json.get("executionId").is_none());
        assert!(json.get("startedAt").is_none());
        let back: SuiteReport = serde_json::from_value(json).unwrap();
        assert_eq!(back, report);
    }

    #[test]
    fn large_suite_counts() {
        let case = |i: usize| {
            json!({"case_index": i, "input_text": format!("utterance {i}"), "latency_ms": i % 1000,
                   "assertions": [
                       {"type": "intent", "expected": format!("intent_{}", i % 50),
                        "actual": format!("intent_{}", i % 50), "passed": i % 10 != 0},
                       {"type": "latency", "expected": 800, "actual": i % 1000, "passed": i % 1000 <= 800}]})
        };
        let n = 20_000;
        let results = json!({"test_results": (0..n).map(case).collect::<Vec<_>>()});
        let r = aggregate(&Json::from(&results), &AggregateOptions::default()).unwrap();
        // Failed: intent failures (i % 10 == 0: 2000) plus latency failures (i % 1000 > 800:
        // 199 per 1000 = 3980), minus overlaps (i % 10 == 0 and i % 1000 > 800: 19 per 1000 = 380).
        assert_eq!(r.failed, 2000 + 3980 - 380);
        assert_eq!(r.passed, n - r.failed);
        assert_eq!(r.latency.over_budget, 3980);
        // Latencies 0..999 twenty times each: p50 rank 10000 → 499, p95 rank 19000 → 949.
        assert_eq!(r.latency.p50, Some(499.0));
        assert_eq!(r.latency.p95, Some(949.0));
        assert_eq!(r.latency.max, Some(999.0));
        assert_eq!(r.coverage.intents.len(), 50);
        // intent_0, _10, _20, _30, _40 occur only in cases with i % 10 == 0, whose intent
        // assertion always fails: 45 of 50 verified.
        assert_eq!(r.coverage.intent_coverage, 0.9);
        assert_eq!(r.coverage.intents[0].name, "intent_0");
        assert_eq!(r.coverage.intents[0].passed, 0);
        assert_eq!(r.coverage.intents[0].failed, 400);
    }

    mod fuzz {
        use super::super::*;
        use crate::junit::to_junit_xml;
        use proptest::prelude::*;
        use serde_json::{json, Map};

        const KEYS: &[&str] = &[
            "test_results",
            "stepResults",
            "assertions",
            "asserts",
            "type",
            "expected",
            "actual",
            "passed",
            "status",
            "params",
            "intent",
            "slot",
            "text",
            "latency_ms",
            "latencyMs",
            "timeout",
            "input_text",
            "case_index",
            "negate",
            "matched_intent",
            "execution_id",
            "_id",
        ];
        const WORDS: &[&str] = &[
            "intent",
            "entity",
            "latency",
            "response_contains",
            "assertIntent",
            "assertSlot",
            "assertText",
            "successful",
            "failed",
            "<script>&\u{0}",
        ];

        fn leaf() -> impl Strategy<Value = Value> {
            prop_oneof![
                Just(Value::Null),
                any::<bool>().prop_map(Value::from),
                any::<i64>().prop_map(Value::from),
                any::<f64>().prop_map(Value::from),
                "\\PC{0,12}".prop_map(Value::from),
                prop::sample::select(WORDS).prop_map(Value::from),
            ]
        }

        fn key() -> impl Strategy<Value = String> {
            prop_oneof![
                3 => prop::sample::select(KEYS).prop_map(str::to_owned),
                1 => "[a-z_]{0,6}",
            ]
        }

        fn any_json() -> impl Strategy<Value = Value> {
            leaf().prop_recursive(5, 96, 8, |inner| {
                prop_oneof![
                    prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
                    prop::collection::btree_map(key(), inner, 0..8)
                        .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>())),
                ]
            })
        }

        fn results() -> impl Strategy<Value = Value> {
            let list = || prop::collection::vec(any_json(), 0..12);
            prop_oneof![
                any_json(),
                list().prop_map(|v| json!({ "test_results": v })),
                list().prop_map(|v| json!({ "stepResults": v })),
            ]
        }

        fn check(report: &SuiteReport) {
            assert_eq!(
                report.passed + report.failed + report.unverified + report.errored,
                report.total
            );
            assert_eq!(report.cases.len(), report.total);
            assert_eq!(report.failures.len(), report.failed);
            assert!((0.0..=1.0).contains(&report.pass_rate));
            assert!((0.0..=1.0).contains(&report.coverage.intent_coverage));
            assert!((0.0..=1.0).contains(&report.coverage.entity_coverage));
            for stat in report
                .coverage
                .intents
                .iter()
                .chain(&report.coverage.entities)
            {
                assert_eq!(stat.passed + stat.failed, stat.cases);
            }
            let xml = to_junit_xml(report);
            assert_eq!(xml.matches("<testcase ").count(), report.total);
            assert_eq!(xml.matches("<failure ").count(), report.failed);
            assert!(!xml.contains('\u{0}'));
            serde_json::to_string(report).unwrap();
        }

        proptest! {
            #[test]
            fn random_json_never_panics(raw in results()) {
                let opts = AggregateOptions::default();
                for outcome in [
                    aggregate(&Json::from(&raw), &opts),
                    aggregate_seed_v1(&Json::from(&raw), &opts),
                    aggregate_playbook_run(&Json::from(&raw), &opts),
                ] {
                    match outcome {
                        Ok(report) => check(&report),
                        Err(e) => prop_assert!(matches!(e, GuardError::BadResponse(_))),
                    }
                }
            }

            #[test]
            fn random_options_never_panic(raw in any_json()) {
                if let Ok(opts) = AggregateOptions::from_json(&raw) {
                    prop_assert!(opts.validate().is_ok());
                }
            }
        }
    }
}
