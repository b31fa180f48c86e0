//! The report of an endpoint run (`runEndpoint`): each case's last attempt as a seed-style case,
//! the NLU report of the cases whose intent was scored, and the flaky cases (a case that failed
//! and then passed in a rerun).

use super::{build_report, nlu_report, AggregateOptions, CaseResult, CaseStatus, NluCase};
use super::{SuiteReport, MAX_REASONS_PER_CASE};
use serde::{Deserialize, Serialize};

/// One attempt at one case of an endpoint run.
#[derive(Debug, Clone, PartialEq)]
pub struct EndpointCaseOutcome {
    /// The case as checked (`matchedIntent` is the predicted intent).
    pub case: CaseResult,
    /// Whether NLU scores were read for it (`case.matched_intent` `None` then means `none`).
    pub scored: bool,
}

/// A case that failed and then passed in a rerun (`retryFailed`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FlakyCase {
    /// The case's index.
    pub index: usize,
    /// Its utterance (clipped).
    pub input_text: String,
    /// Attempts made, the passing one included.
    pub attempts: usize,
    /// Why its first attempt failed.
    pub reasons: Vec<String>,
}

/// The report of `attempts` (per case, its attempts in order; a case without attempts is left
/// out): counts, gate, coverage and latency from each case's last attempt, `flaky` (a last attempt
/// that passed after one that did not), and `nlu` when `nlu` is set (every case whose last attempt
/// was scored).
pub fn endpoint_report(
    attempts: &[Vec<EndpointCaseOutcome>],
    opts: &AggregateOptions,
    nlu: bool,
) -> SuiteReport {
    let mut flaky = Vec::new();
    let mut nlu_cases = Vec::new();
    let mut cases = Vec::with_capacity(attempts.len());
    for tries in attempts {
        let Some(last) = tries.last() else { continue };
        if last.case.status == CaseStatus::Passed {
            if let Some(first) = tries.iter().find(|t| t.case.status != CaseStatus::Passed) {
                flaky.push(FlakyCase {
                    index: last.case.index,
                    input_text: last.case.input_text.clone(),
                    attempts: tries.len(),
                    reasons: first
                        .case
                        .reasons
                        .iter()
                        .take(MAX_REASONS_PER_CASE)
                        .cloned()
                        .collect(),
                });
            }
        }
        if let (true, Some(expected)) = (last.scored, &last.case.expected_intent) {
            nlu_cases.push(NluCase {
                expected: expected.clone(),
                predicted: last.case.matched_intent.clone(),
            });
        }
        cases.push(last.case.clone());
    }
    let mut report = build_report(cases, opts);
    report.flaky = Some(flaky);
    report.nlu = nlu.then(|| nlu_report(&nlu_cases));
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attempt(index: usize, status: CaseStatus, predicted: Option<&str>) -> EndpointCaseOutcome {
        EndpointCaseOutcome {
            case: CaseResult {
                index,
                input_text: format!("text {index}"),
                status,
                reasons: if status == CaseStatus::Passed {
                    vec![]
                } else {
                    vec![format!("attempt failed {index}")]
                },
                matched_intent: predicted.map(str::to_owned),
                expected_intent: Some("greet".to_owned()),
                intent_verified: predicted == Some("greet"),
                latency_ms: Some(100.0),
                allowed_latency_ms: Some(1000.0),
                ..CaseResult::default()
            },
            scored: true,
        }
    }

    #[test]
    fn last_attempts_count_and_flaky_cases_are_listed() {
        use CaseStatus::{Errored, Failed, Passed};
        let attempts = vec![
            vec![attempt(0, Passed, Some("greet"))],
            vec![attempt(1, Failed, None), attempt(1, Passed, Some("greet"))],
            vec![
                attempt(2, Failed, Some("bye")),
                attempt(2, Failed, Some("bye")),
            ],
            vec![],
            vec![attempt(4, Errored, None)],
        ];
        let report = endpoint_report(&attempts, &AggregateOptions::default(), true);
        assert_eq!(
            (report.total, report.passed, report.failed, report.errored),
            (4, 2, 1, 1)
        );
        let flaky = report.flaky.unwrap();
        assert_eq!(flaky.len(), 1);
        assert_eq!((flaky[0].index, flaky[0].attempts), (1, 2));
        assert_eq!(flaky[0].reasons, ["attempt failed 1"]);
        let nlu = report.nlu.unwrap();
        assert_eq!(nlu.total, 4);
        assert_eq!(nlu.confusion.labels, ["bye", "greet", "none"]);
        assert!((nlu.accuracy - 0.5).abs() < 1e-12);
        let without = endpoint_report(&attempts, &AggregateOptions::default(), false);
        assert!(without.nlu.is_none());
    }
}
