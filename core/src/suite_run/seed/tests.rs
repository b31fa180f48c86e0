use super::*;
use crate::aggregate::{AggregateOptions, Gate};
use crate::profile::Method;
use crate::suite_run::finish::SuiteRun;
use crate::suite_run::poll::{MAX_CONSECUTIVE_ERRORS, REQUEST_TIMEOUT_MS};
use crate::suite_run::testkit::{self, drive, drive_until, network, ok, status, too_many};
use crate::suite_run::{Input, Machine, Step};
use crate::validation::validate_test_execution;
use crate::ErrorCode;
use proptest::prelude::*;

const T0: f64 = 1_700_000_000_000.0;

fn base() -> BaseUrl {
    BaseUrl::new("https://api.example.com", false).unwrap()
}

fn execution(timeout_seconds: u32) -> TestExecution {
    let input = json!({
        "suiteId": "suite_prod_v2",
        "executionTimeoutSeconds": timeout_seconds,
        "testCases": [
            { "inputText": "reset my password", "outcome": { "expectedIntent": "intent_password_reset", "allowedLatencyMs": 800 } },
            { "inputText": "hours?", "outcome": { "expectedIntent": "intent_business_hours", "allowedLatencyMs": 500 } },
            { "inputText": "just latency", "outcome": { "allowedLatencyMs": 500 } }
        ]
    });
    validate_test_execution(&input).value.unwrap()
}

fn timing() -> Timing {
    Timing {
        poll_interval_ms: 100,
        max_poll_interval_ms: 1_000,
        deadline_ms: None,
    }
}

fn run(timeout_seconds: u32) -> SeedRun {
    SeedRun::run(base(), execution(timeout_seconds), "key-1".into(), timing())
}

fn state(status: &str, completed: u64) -> Input {
    ok(&format!(
        r#"{{"execution_id":"e1","status":"{status}","progress":{{"completed":{completed},"total":3}}}}"#
    ))
}

fn results(status: &str) -> Input {
    ok(&json!({
        "execution_id": "e1", "status": status,
        "test_results": [
            { "case_index": 0, "input_text": "reset my password", "matched_intent": "intent_password_reset",
              "latency_ms": 300, "assertions": [
                { "type": "intent", "expected": "intent_password_reset", "actual": "intent_password_reset", "passed": true },
                { "type": "latency", "expected": 800, "actual": 300, "passed": true } ] },
            { "case_index": 1, "input_text": "hours?", "matched_intent": "intent_fallback", "latency_ms": 300,
              "assertions": [
                { "type": "intent", "expected": "intent_business_hours", "actual": "intent_fallback", "passed": false },
                { "type": "latency", "expected": 500, "actual": 300, "passed": true } ] },
            { "case_index": 2, "input_text": "just latency", "latency_ms": 100,
              "assertions": [ { "type": "latency", "expected": 500, "actual": 100, "passed": true } ] }
        ]
    })
    .to_string())
}

fn submitted() -> Input {
    ok(r#"{"execution_id":"e1","status":"queued"}"#)
}

#[test]
fn submits_polls_and_reads_results() {
    let mut machine = run(60);
    let replies = vec![
        submitted(),
        state("queued", 0),
        state("running", 1),
        state("completed", 3),
        results("completed"),
    ];
    let (outcome, log) = drive(&mut machine, T0, replies);
    let outcome = outcome.unwrap();
    assert_eq!(outcome.execution_id, "e1");
    assert_eq!(outcome.polls, 3);
    assert_eq!(outcome.started_ms, T0);
    assert!(outcome.results.is_some());
    let methods: Vec<_> = log
        .requests
        .iter()
        .map(|r| (r.method(), r.url().to_owned()))
        .collect();
    assert_eq!(
        methods[0],
        (
            Method::Post,
            "https://api.example.com/api/v1/test-suites/suite_prod_v2/executions".into()
        )
    );
    assert_eq!(log.requests[0].header("Idempotency-Key"), Some("key-1"));
    assert_eq!(
        methods[1].1,
        "https://api.example.com/api/v1/executions/e1/status"
    );
    assert_eq!(
        methods[4].1,
        "https://api.example.com/api/v1/executions/e1/results"
    );
    assert!(log
        .requests
        .iter()
        .all(|r| r.header("X-API-Key") == Some("test-key-0000")));
    assert!(log
        .requests
        .iter()
        .filter(|r| r.method() == Method::Get)
        .all(|r| r.body().is_none()));
    // Poll waits grow ×1.5 (jitter ±10 %) up to the cap.
    assert_eq!(log.sleeps.len(), 3);
    assert!((90..=110).contains(&log.sleeps[0]), "{:?}", log.sleeps);
    assert!((135..=165).contains(&log.sleeps[1]), "{:?}", log.sleeps);
    let phases: Vec<_> = log
        .progress
        .iter()
        .map(|p| (p.phase, p.status.clone()))
        .collect();
    assert_eq!(phases[0], (Phase::Submitted, "queued".into()));
    assert_eq!(phases[2], (Phase::Polling, "running".into()));
    assert_eq!(log.progress[2].completed, Some(1));
    assert_eq!(log.progress[2].total, Some(3));
}

#[test]
fn whole_run_aggregates_and_audits_with_unverified_cases_never_passed() {
    let opts = AggregateOptions {
        baseline_intent_coverage: 0.25,
        ..AggregateOptions::default()
    };
    let mut machine = SuiteRun::new(run(60), opts, None).unwrap();
    let replies = vec![submitted(), state("completed", 3), results("completed")];
    let (report, log) = drive(&mut machine, T0, replies);
    let report = report.unwrap().report;
    assert_eq!(
        (
            report.total,
            report.passed,
            report.failed,
            report.unverified
        ),
        (3, 1, 1, 1)
    );
    assert_eq!(report.gate, Gate::Failed);
    assert_eq!(report.status.as_deref(), Some("completed"));
    assert_eq!(report.execution_id.as_deref(), Some("e1"));
    assert_eq!(report.polls, Some(1));
    assert!(report.webhook.is_none());
    let audit = report.audit.unwrap();
    assert_eq!(audit.execution_id, "e1");
    assert_eq!(audit.mlops_metrics.baseline_intent_coverage, 0.25);
    assert_eq!(log.progress.last().unwrap().phase, Phase::Done);
    assert_eq!(
        report.started_at.as_deref(),
        Some("2023-11-14T22:13:20.000Z")
    );
}

#[test]
fn timed_out_execution_is_reported_with_its_status_and_a_failed_gate() {
    let mut machine = SuiteRun::new(run(60), AggregateOptions::default(), None).unwrap();
    let one_passing = ok(&json!({"execution_id": "e1", "status": "timeout", "error": "timed out",
        "test_results": [{ "assertions": [{ "type": "intent", "expected": "a", "actual": "a", "passed": true }] }]})
        .to_string());
    let (report, _) = drive(
        &mut machine,
        T0,
        vec![submitted(), state("timeout", 1), one_passing],
    );
    let report = report.unwrap().report;
    assert_eq!(report.status.as_deref(), Some("timeout"));
    assert_eq!(
        report.pass_rate,
        1.0 / 3.0,
        "the two cases that never ran count"
    );
    assert_eq!(report.gate, Gate::Failed);
    // Unreadable results of a failed execution give a report of errored cases, not an error.
    let mut machine = SuiteRun::new(run(60), AggregateOptions::default(), None).unwrap();
    let (report, _) = drive(
        &mut machine,
        T0,
        vec![submitted(), state("failed", 1), status(404)],
    );
    let report = report.unwrap().report;
    assert_eq!(
        (report.status.as_deref(), report.total, report.errored),
        (Some("failed"), 3, 3)
    );
}

#[test]
fn a_timed_out_run_reports_every_submitted_case_and_the_unrun_ones_as_errored() {
    let mut machine = SuiteRun::new(run(60), AggregateOptions::default(), None).unwrap();
    let first_only = ok(&json!({"execution_id": "e1", "status": "timeout",
        "test_results": [{ "case_index": 0, "input_text": "reset my password", "assertions": [
            { "type": "intent", "expected": "intent_password_reset", "actual": "intent_password_reset", "passed": true }] }]})
        .to_string());
    let (report, _) = drive(
        &mut machine,
        T0,
        vec![submitted(), state("timeout", 1), first_only],
    );
    let report = report.unwrap().report;
    assert_eq!(
        (report.total, report.passed, report.failed, report.errored),
        (3, 1, 0, 2)
    );
    assert_eq!(report.cases.len(), 3);
    let errored: Vec<(usize, &str)> = report
        .cases
        .iter()
        .filter(|c| c.status == crate::aggregate::CaseStatus::Errored)
        .map(|c| (c.index, c.input_text.as_str()))
        .collect();
    assert_eq!(errored, vec![(1, "hours?"), (2, "just latency")]);
    let xml = crate::junit::to_junit_xml(&report);
    assert!(xml.contains(r#"errors="2""#), "{xml}");
    assert_eq!(xml.matches("<error ").count(), 2, "{xml}");
    // The unrun case's expected intent counts as expected and not verified.
    assert_eq!(report.coverage.intent_coverage, 0.5);
}

#[test]
fn a_failed_run_carries_the_platform_reason_and_the_suite_id() {
    // The results' error.message.
    let mut machine = SuiteRun::new(run(60), AggregateOptions::default(), None).unwrap();
    let failed = ok(
        &json!({"execution_id": "e1", "suite_id": "other", "status": "failed",
        "error": { "code": "bot_error", "message": "the bot stopped answering at case 1" },
        "test_results": []})
        .to_string(),
    );
    let (report, _) = drive(
        &mut machine,
        T0,
        vec![submitted(), state("failed", 1), failed],
    );
    let report = report.unwrap();
    assert_eq!(
        report.fail_reason.as_deref(),
        Some("the bot stopped answering at case 1")
    );
    assert_eq!(report.report.suite_id.as_deref(), Some("suite_prod_v2"));
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["failReason"], "the bot stopped answering at case 1");
    assert_eq!(json["suiteId"], "suite_prod_v2");
    // Unreadable results: the last status' error.message.
    let mut machine = SuiteRun::new(run(60), AggregateOptions::default(), None).unwrap();
    let timed_out = ok(&json!({"execution_id": "e1", "status": "timeout",
        "error": { "message": "  execution_timeout_seconds elapsed  " }})
    .to_string());
    let (report, _) = drive(&mut machine, T0, vec![submitted(), timed_out, status(404)]);
    assert_eq!(
        report.unwrap().fail_reason.as_deref(),
        Some("execution_timeout_seconds elapsed")
    );
    // A completed run has none, whatever the answer says.
    let mut machine = SuiteRun::new(run(60), AggregateOptions::default(), None).unwrap();
    let (report, _) = drive(
        &mut machine,
        T0,
        vec![submitted(), state("completed", 3), results("completed")],
    );
    assert_eq!(report.unwrap().fail_reason, None);
}

#[test]
fn results_collected_by_id_name_the_suite_from_the_results() {
    let machine = SeedRun::existing(base(), "e1".into(), timing(), SeedGoal::Results);
    let mut machine = SuiteRun::new(machine, AggregateOptions::default(), None).unwrap();
    let answer = ok(
        &json!({"execution_id": "e1", "suite_id": "suite_from_results",
        "status": "completed", "test_results": []})
        .to_string(),
    );
    let (report, _) = drive(&mut machine, T0, vec![answer]);
    assert_eq!(
        report.unwrap().report.suite_id.as_deref(),
        Some("suite_from_results")
    );
}

#[test]
fn rate_limited_submit_waits_for_retry_after_then_succeeds() {
    let mut machine = run(60);
    let replies = vec![
        too_many(2),
        too_many(1),
        submitted(),
        state("completed", 3),
        results("completed"),
    ];
    let (outcome, log) = drive(&mut machine, T0, replies);
    assert!(outcome.is_ok());
    assert_eq!(&log.sleeps[..2], [2000, 1000]);
    let keys: Vec<_> = log.requests[..3]
        .iter()
        .map(|r| r.header("Idempotency-Key"))
        .collect();
    assert_eq!(keys, [Some("key-1"); 3]);
}

#[test]
fn retry_after_beyond_the_deadline_is_rate_limited_at_once() {
    let timing = Timing {
        deadline_ms: Some(5_000),
        ..timing()
    };
    let mut machine = SeedRun::run(base(), execution(60), "k".into(), timing);
    let (outcome, log) = drive(&mut machine, T0, vec![too_many(60)]);
    let err = outcome.unwrap_err();
    assert_eq!(err.code(), ErrorCode::RateLimited);
    assert_eq!(err.fields().retry_after_ms, Some(60_000));
    assert_eq!(log.requests.len(), 1);
}

#[test]
fn transient_poll_errors_are_tolerated_up_to_a_bound() {
    let malformed = ok("{\"status\":");
    let mut machine = run(60);
    let replies = vec![
        submitted(),
        status(503),
        malformed.clone(),
        network(),
        state("completed", 3),
        results("completed"),
    ];
    let (outcome, _) = drive(&mut machine, T0, replies);
    assert_eq!(outcome.unwrap().polls, 4);

    let mut machine = run(60);
    let mut replies = vec![submitted()];
    replies.extend(std::iter::repeat_n(status(502), 20));
    let (outcome, log) = drive(&mut machine, T0, replies);
    let err = outcome.unwrap_err();
    assert_eq!(err.code(), ErrorCode::Http);
    assert_eq!(log.requests.len() as u32, 1 + MAX_CONSECUTIVE_ERRORS + 1);
}

#[test]
fn client_errors_end_the_run_at_once() {
    let (outcome, log) = drive(&mut run(60), T0, vec![submitted(), status(404)]);
    assert_eq!(outcome.unwrap_err().fields().status, Some(404));
    assert_eq!(log.requests.len(), 2);
    let (outcome, _) = drive(&mut run(60), T0, vec![status(400)]);
    assert_eq!(outcome.unwrap_err().code(), ErrorCode::Http);
    let (outcome, _) = drive(&mut run(60), T0, vec![status(403)]);
    assert_eq!(outcome.unwrap_err().code(), ErrorCode::Auth);
}

#[test]
fn results_409_while_finishing_is_retried() {
    let replies = vec![
        submitted(),
        state("completed", 3),
        status(409),
        results("completed"),
    ];
    let (outcome, log) = drive(&mut run(60), T0, replies);
    assert!(outcome.is_ok());
    assert_eq!(log.requests.len(), 4);
}

#[test]
fn never_ending_execution_hits_the_deadline_in_time() {
    let timing = Timing {
        deadline_ms: Some(3_000),
        ..timing()
    };
    let mut machine = SeedRun::run(base(), execution(60), "k".into(), timing);
    let mut replies = vec![submitted()];
    replies.extend(std::iter::repeat_n(state("running", 1), 1000));
    let (outcome, log) = drive(&mut machine, T0, replies);
    assert_eq!(outcome.unwrap_err().code(), ErrorCode::Deadline);
    assert!(log.end <= T0 + 3_000.0, "{}", log.end - T0);
    assert!(log.timeouts.iter().all(|t| *t <= REQUEST_TIMEOUT_MS));
}

#[test]
fn default_deadline_follows_the_execution_timeout() {
    let mut machine = run(30);
    machine.start(T0);
    assert_eq!(
        machine.clock().deadline_ms(),
        30_000 + SEED_DEADLINE_MARGIN_MS
    );
    let waiting = SeedRun::existing(base(), "e1".into(), timing(), SeedGoal::Wait);
    assert_eq!(
        waiting.clock().deadline_ms(),
        1_800_000 + SEED_DEADLINE_MARGIN_MS
    );
}

#[test]
fn single_steps_wait_and_fetch() {
    let mut waiting = SeedRun::existing(base(), "e1".into(), timing(), SeedGoal::Wait);
    let (outcome, log) = drive(
        &mut waiting,
        T0,
        vec![state("running", 1), state("completed", 3)],
    );
    let outcome = outcome.unwrap();
    assert_eq!(outcome.status.unwrap().status, ExecutionState::Completed);
    assert!(outcome.results.is_none());
    assert_eq!(log.requests.len(), 2);
    let mut fetching = SeedRun::existing(base(), "e1".into(), timing(), SeedGoal::Results);
    let (outcome, _) = drive(&mut fetching, T0, vec![results("completed")]);
    assert!(outcome.unwrap().results.is_some());
    let mut fetching = SeedRun::existing(base(), "e1".into(), timing(), SeedGoal::Results);
    let (outcome, _) = drive(&mut fetching, T0, vec![status(409)]);
    assert_eq!(outcome.unwrap_err().fields().status, Some(409));
    let mut submitting = SeedRun::submit(base(), execution(60), "k".into(), timing());
    let (outcome, log) = drive(&mut submitting, T0, vec![submitted()]);
    assert_eq!(outcome.unwrap().execution_id, "e1");
    assert_eq!(log.requests.len(), 1);
}

#[test]
fn cancelling_stops_polling() {
    let (outcome, log) = drive_until(&mut run(60), T0, vec![submitted(); 5], Some(2));
    assert_eq!(outcome.unwrap_err(), GuardError::Cancelled);
    assert_eq!(log.requests.len(), 2);
}

#[test]
fn a_finished_machine_refuses_more_input() {
    let mut machine = run(60);
    let _ = drive(&mut machine, T0, vec![status(400)]);
    assert!(matches!(
        machine.on_reply(ok("{}"), T0, 0.5),
        Step::Done(Err(_))
    ));
    assert!(matches!(machine.on_wake(T0, 0.5), Step::Done(Err(_))));
}

fn any_input() -> impl Strategy<Value = Input> {
    testkit::any_input(
        vec![200u16, 202, 400, 401, 404, 408, 409, 429, 500, 502, 503],
        vec![
            r#"{"execution_id":"e1","status":"queued"}"#.to_owned(),
            r#"{"status":"running","progress":{"completed":1,"total":3}}"#.to_owned(),
            r#"{"status":"completed"}"#.to_owned(),
            r#"{"status":"timeout"}"#.to_owned(),
            r#"{"status":"weird"}"#.to_owned(),
            r#"{"test_results":[{"assertions":[]}]}"#.to_owned(),
            r#"{"test_results":"nope"}"#.to_owned(),
            "{\"status\":".to_owned(),
            "[]".to_owned(),
            String::new(),
        ],
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]
    /// Random answer sequences never panic and the run always ends within its deadline.
    #[test]
    fn random_answers_end_within_the_deadline(
        replies in prop::collection::vec(any_input(), 0..60),
        deadline in 1u64..120_000,
    ) {
        let timing = Timing { deadline_ms: Some(deadline), ..timing() };
        let mut machine = SuiteRun::new(
            SeedRun::run(base(), execution(60), "k".into(), timing),
            AggregateOptions::default(),
            None,
        ).unwrap();
        let (_, log) = drive(&mut machine, T0, replies);
        prop_assert!(log.end <= T0 + deadline as f64, "ended {} ms after the start", log.end - T0);
    }
}
