//! The report of an endpoint run (`runEndpoint`): each case's last attempt as a seed-style case,
//! the NLU report of the cases whose intent was scored, and the flaky cases (a case that failed
//! and then passed in a rerun); and the one report of an endpoint run made in chunks
//! ([`endpoint_chunks_report`]: each chunk a run of consecutive cases, as the example Extension
//! makes them within Cognigy's 20 s per execution).

use super::{build_report, nlu_report, AggregateOptions, CaseResult, CaseStatus, Gate, NluCase};
use super::{SuiteReport, MAX_REASONS_PER_CASE};
use crate::error::GuardError;
use serde::{Deserialize, Serialize};
use serde_json::Value;

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

/// Most chunks [`endpoint_chunks_report`] merges.
pub const MAX_CHUNKS: usize = 1_000;

/// One chunk as [`endpoint_chunks_report`] reads it: a `runEndpoint` report (its other members are
/// ignored) or a compact copy of one (`nlu: true` in place of the NLU report, `total` left out).
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct EndpointChunk {
    /// The chunk run's id.
    pub execution_id: Option<String>,
    /// The suite's name.
    pub suite_id: Option<String>,
    /// The chunk run's status (`completed`, `timeout`).
    pub status: Option<String>,
    /// Cases in the chunk, when given (then `cases` must list them all).
    pub total: Option<usize>,
    /// Every case of the chunk, numbered from 0.
    pub cases: Vec<CaseResult>,
    /// The chunk's flaky cases, by the chunk's numbering.
    pub flaky: Option<Vec<FlakyCase>>,
    /// The chunk's NLU report (or `true`): present when the chunk ran with `nlu`.
    pub nlu: Option<Value>,
}

impl EndpointChunk {
    /// Whether the chunk ran with `nlu` (any `nlu` but `null` and `false`).
    fn scored(&self) -> bool {
        !matches!(self.nlu, None | Some(Value::Bool(false)))
    }
}

/// The report of one endpoint run made of `chunks`, the reports of runs of consecutive slices of
/// its cases, in order. Each case's result comes from its chunk; cases are numbered across the
/// chunks (chunk order, then case order), `flaky` entries follow their case. A case counts for
/// `nlu` when its chunk has an `nlu` report, it expects an intent and it did not error (exactly
/// the cases whose scores were read). `status` is the first chunk status other than
/// `completed` (the gate then fails), else `completed`; `executionId` is the first chunk's.
///
/// A [`GuardError::Config`] naming the chunk when there are no chunks or more than
/// [`MAX_CHUNKS`], or when a chunk lists other than its `total` of `cases` (it was made
/// without its cases).
pub fn endpoint_chunks_report(
    chunks: &[EndpointChunk],
    opts: &AggregateOptions,
) -> Result<SuiteReport, GuardError> {
    if chunks.is_empty() || chunks.len() > MAX_CHUNKS {
        return Err(GuardError::Config(format!(
            "chunks: give 1 to {MAX_CHUNKS} endpoint reports, got {}",
            chunks.len()
        )));
    }
    let mut attempts = Vec::new();
    let mut flaky = Vec::new();
    let mut nlu = false;
    let mut status: Option<&str> = None;
    for (at, chunk) in chunks.iter().enumerate() {
        if let Some(total) = chunk.total.filter(|t| *t != chunk.cases.len()) {
            return Err(GuardError::Config(format!(
                "chunks[{at}].cases: lists {} of its {total} cases; merge reports made with their cases",
                chunk.cases.len()
            )));
        }
        let offset = attempts.len();
        let scored = chunk.scored();
        nlu |= scored;
        if let Some(s) = chunk.status.as_deref().filter(|s| *s != "completed") {
            status = status.or(Some(s));
        }
        for (position, case) in chunk.cases.iter().enumerate() {
            let case = CaseResult {
                index: offset + position,
                ..case.clone()
            };
            let scored =
                scored && case.expected_intent.is_some() && case.status != CaseStatus::Errored;
            attempts.push(vec![EndpointCaseOutcome { case, scored }]);
        }
        let numbered = chunk.cases.iter().map(|c| c.index).enumerate();
        for entry in chunk.flaky.iter().flatten() {
            if let Some((position, _)) = numbered.clone().find(|(_, index)| *index == entry.index) {
                flaky.push(FlakyCase {
                    index: offset + position,
                    ..entry.clone()
                });
            }
        }
    }
    let mut report = endpoint_report(&attempts, opts, nlu);
    report.flaky = Some(flaky);
    report.execution_id = chunks.first().and_then(|c| c.execution_id.clone());
    report.suite_id = chunks.iter().find_map(|c| c.suite_id.clone());
    report.status = Some(status.unwrap_or("completed").to_owned());
    if status.is_some() {
        report.gate = Gate::Failed;
    }
    Ok(report)
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

    fn chunk(attempts: &[Vec<EndpointCaseOutcome>], nlu: bool) -> EndpointChunk {
        let report = endpoint_report(attempts, &AggregateOptions::default(), nlu);
        serde_json::from_value(serde_json::to_value(report).unwrap()).unwrap()
    }

    #[test]
    fn chunks_merge_into_the_report_of_one_run() {
        use CaseStatus::{Errored, Failed, Passed};
        let whole = vec![
            vec![attempt(0, Passed, Some("greet"))],
            vec![attempt(1, Failed, None), attempt(1, Passed, Some("greet"))],
            vec![attempt(2, Failed, Some("bye"))],
            // An errored case had no scores read.
            vec![EndpointCaseOutcome {
                scored: false,
                ..attempt(3, Errored, None)
            }],
            vec![attempt(4, Passed, Some("greet"))],
        ];
        let expected = endpoint_report(&whole, &AggregateOptions::default(), true);
        // The same cases run as two chunks, each numbered from 0.
        let renumber = |tries: &[Vec<EndpointCaseOutcome>], from: usize| -> Vec<_> {
            tries
                .iter()
                .map(|t| {
                    t.iter()
                        .map(|o| {
                            let mut o = o.clone();
                            o.case.index -= from;
                            o
                        })
                        .collect()
                })
                .collect()
        };
        let first = chunk(&renumber(&whole[..2], 0), true);
        let mut second = chunk(&renumber(&whole[2..], 2), true);
        second.execution_id = Some("second".into());
        let opts = AggregateOptions {
            pass_threshold: 0.5,
            ..AggregateOptions::default()
        };
        let merged = endpoint_chunks_report(&[first.clone(), second.clone()], &opts).unwrap();
        let mut want = endpoint_report(&whole, &opts, true);
        want.status = Some("completed".into());
        assert_eq!(merged.cases, want.cases);
        assert_eq!(merged.nlu, expected.nlu);
        assert_eq!(merged.flaky, expected.flaky);
        assert_eq!(
            (merged.total, merged.passed, merged.failed, merged.errored),
            (5, 3, 1, 1)
        );
        assert_eq!(merged.gate, Gate::Passed, "3/5 passed at threshold 0.5");
        assert_eq!(merged.coverage, want.coverage);
        assert_eq!(merged.failures, want.failures);
        let strict = endpoint_chunks_report(
            &[first.clone(), second.clone()],
            &AggregateOptions::default(),
        )
        .unwrap();
        assert_eq!(strict.gate, Gate::Failed, "3/5 is under 0.95");

        // A chunk that timed out fails the gate and names the status.
        let mut late = second.clone();
        late.status = Some("timeout".into());
        let timed = endpoint_chunks_report(&[first.clone(), late], &opts).unwrap();
        assert_eq!(
            (timed.status.as_deref(), timed.gate),
            (Some("timeout"), Gate::Failed)
        );

        // Without nlu in any chunk there is no nlu report; a compact chunk says `nlu: true`.
        let plain = endpoint_chunks_report(&[chunk(&whole[..1], false)], &opts).unwrap();
        assert!(plain.nlu.is_none());
        let compact = |c: &EndpointChunk| EndpointChunk {
            nlu: Some(Value::Bool(true)),
            total: None,
            ..c.clone()
        };
        let small = endpoint_chunks_report(&[compact(&first), compact(&second)], &opts).unwrap();
        assert_eq!(small.nlu, expected.nlu);
    }

    #[test]
    fn chunks_without_cases_or_none_at_all_are_config_errors() {
        use CaseStatus::Passed;
        let mut bare = chunk(&[vec![attempt(0, Passed, Some("greet"))]], true);
        bare.cases.clear();
        let err = endpoint_chunks_report(&[bare], &AggregateOptions::default()).unwrap_err();
        assert!(err.to_string().contains("chunks[0].cases"), "{err}");
        let err = endpoint_chunks_report(&[], &AggregateOptions::default()).unwrap_err();
        assert!(err.to_string().contains("chunks"), "{err}");
    }
}
