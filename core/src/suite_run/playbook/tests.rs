use super::*;
use crate::aggregate::{AggregateOptions, Gate};
use crate::profile::Method;
use crate::suite_run::finish::SuiteRun;
use crate::suite_run::poll::CANCEL_TIMEOUT_MS;
use crate::suite_run::testkit::{self, drive, drive_until, network, ok, status, too_many};
use crate::suite_run::Input;
use crate::ErrorCode;
use proptest::prelude::*;

const T0: f64 = 1_700_000_000_000.0;

fn spec() -> PlaybookSpec {
    PlaybookSpec::from_json(&json!({
        "playbookId": "pb1", "entrypoint": "ep", "flowId": "f1", "localeId": "l1"
    }))
    .unwrap()
}

fn timing() -> Timing {
    Timing {
        poll_interval_ms: 100,
        max_poll_interval_ms: 1_000,
        deadline_ms: None,
    }
}

fn machine(want_intents: bool) -> PlaybookRun {
    let base = BaseUrl::new("https://api-trial.cognigy.ai", false).unwrap();
    PlaybookRun::new(base, spec(), want_intents, timing())
}

fn task(status: &str, run: Option<&str>) -> Input {
    let data = run.map_or(json!({}), |r| json!({ "playbookRunId": r }));
    ok(&json!({ "_id": "t1", "status": status, "data": data, "failReason": if status == "error" { json!("flow missing") } else { Value::Null } }).to_string())
}

fn run_answer() -> Input {
    ok(&json!({ "_id": "r1", "status": "failed", "stepResults": [
        { "status": "successful", "text": "hi", "latencyMs": 100, "asserts": [
            { "type": "assertIntent", "status": "successful", "params": { "intent": "greeting" }, "negate": false, "actual": "greeting" } ] },
        { "status": "failed", "text": "pizza", "latencyMs": 200, "asserts": [
            { "type": "assertSlot", "status": "failed", "params": { "slot": "size" }, "negate": false, "actual": null } ] },
        { "status": "successful", "text": "nothing", "asserts": [] }
    ]}).to_string())
}

fn intents_page(names: std::ops::Range<usize>, total: usize) -> Input {
    intents_page_with(names, Some(total), None)
}

/// A page of intents `intent{i}` with `total` and `nextCursor` as given (JSON null when `None`).
fn intents_page_with(
    names: std::ops::Range<usize>,
    total: Option<usize>,
    next: Option<&str>,
) -> Input {
    let items: Vec<Value> = names
        .map(|i| json!({ "_id": i.to_string(), "name": format!("intent{i}") }))
        .collect();
    ok(
        &json!({ "items": items, "total": total, "nextCursor": next, "previousCursor": null })
            .to_string(),
    )
}

/// A run that is done at once, then `pages` as the answers to its intent requests.
fn with_intent_pages(pages: Vec<Input>) -> Vec<Input> {
    let mut replies = vec![task("queued", None), task("done", Some("r1")), run_answer()];
    replies.extend(pages);
    replies
}

/// Runs a playbook whose intent requests get `pages`: (intents read, intent requests sent).
fn read_intents(pages: Vec<Input>) -> (usize, usize) {
    let (outcome, log) = drive(&mut machine(true), T0, with_intent_pages(pages));
    let read = outcome.unwrap().intents.map_or(0, |intents| intents.len());
    (read, intent_urls(&log).len())
}

fn intent_urls(log: &testkit::Log) -> Vec<String> {
    log.requests
        .iter()
        .map(|r| r.url().to_owned())
        .filter(|url| url.contains("/intents"))
        .collect()
}

#[test]
fn schedules_waits_for_the_late_run_id_reads_run_and_intents() {
    let replies = vec![
        task("queued", None),
        task("active", None),
        task("active", None),
        task("active", Some("r1")),
        task("done", Some("r1")),
        run_answer(),
        intents_page_with(0..100, Some(120), Some("c100")),
        intents_page(100..120, 120),
    ];
    let mut run = SuiteRun::new(machine(true), AggregateOptions::default(), None).unwrap();
    let (report, log) = drive(&mut run, T0, replies);
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
    assert_eq!(report.status.as_deref(), Some("done"));
    assert_eq!(report.execution_id.as_deref(), Some("r1"));
    assert_eq!(report.polls, Some(4));
    assert_eq!(report.coverage.intent_coverage, 0.0);
    let urls: Vec<_> = log.requests.iter().map(|r| r.url().to_owned()).collect();
    assert_eq!(
        urls[0],
        "https://api-trial.cognigy.ai/new/v2.0/playbooks/pb1/schedule"
    );
    assert_eq!(log.requests[0].method(), Method::Post);
    assert_eq!(urls[1], "https://api-trial.cognigy.ai/new/v2.0/tasks/t1");
    assert_eq!(
        urls[5],
        "https://api-trial.cognigy.ai/new/v2.0/playbooks/pb1/runs/r1"
    );
    assert_eq!(
        urls[6],
        "https://api-trial.cognigy.ai/new/v2.0/flows/f1/intents?limit=100"
    );
    assert_eq!(
        urls[7],
        "https://api-trial.cognigy.ai/new/v2.0/flows/f1/intents?limit=100&next=c100"
    );
    assert_eq!(urls.len(), 8);
}

#[test]
fn short_intent_pages_are_followed_by_their_next_cursor_until_it_is_null() {
    // A server may return fewer items than `limit` asked for: the cursor, not the page size, says
    // whether more follow (reading stopped after the first short page before).
    let replies = with_intent_pages(vec![
        intents_page_with(0..25, None, Some("a/b+c")),
        intents_page_with(25..50, None, Some("c2")),
        intents_page_with(50..60, None, None),
    ]);
    let (outcome, log) = drive(&mut machine(true), T0, replies);
    let intents = outcome.unwrap().intents.unwrap();
    assert_eq!(intents.len(), 60);
    assert_eq!(intents[59], "intent59");
    assert_eq!(
        intent_urls(&log),
        [
            "https://api-trial.cognigy.ai/new/v2.0/flows/f1/intents?limit=100",
            "https://api-trial.cognigy.ai/new/v2.0/flows/f1/intents?limit=100&next=a%2Fb%2Bc",
            "https://api-trial.cognigy.ai/new/v2.0/flows/f1/intents?limit=100&next=c2",
        ]
    );
}

#[test]
fn intent_reading_stops_once_total_items_were_read_or_a_page_is_empty() {
    let total_read = read_intents(vec![intents_page_with(0..30, Some(30), Some("c30"))]);
    assert_eq!(total_read, (30, 1));
    let empty_page = read_intents(vec![
        intents_page_with(0..5, None, Some("c5")),
        intents_page_with(5..5, None, Some("c5b")),
    ]);
    assert_eq!(empty_page, (5, 2));
}

#[test]
fn intent_pages_are_bounded_and_a_repeated_cursor_ends_the_reading() {
    let pages = (0..MAX_INTENT_PAGES as usize + 5)
        .map(|page| intents_page_with(page..page + 1, None, Some(&format!("c{page}"))))
        .collect();
    let bound = MAX_INTENT_PAGES as usize;
    assert_eq!(read_intents(pages), (bound, bound));
    let repeated = read_intents(vec![
        intents_page_with(0..5, None, Some("same")),
        intents_page_with(5..10, None, Some("same")),
    ]);
    assert_eq!(repeated, (10, 2));
}

#[test]
fn a_task_in_the_platform_shape_reports_no_empty_fail_reason_and_its_steps() {
    let real = |status: &str, current: u64| {
        ok(&json!({
            "_id": "t1", "name": "runPlaybook", "status": status, "currentStep": current,
            "totalStep": 3, "failReason": "", "data": { "playbookRunId": "r1" },
            "createdAt": 1_735_689_600, "lastChanged": 1_735_689_603,
            "lastRunAt": "2025-01-01T00:00:01.000Z", "lastFinishedAt": null,
            "createdBy": "u1", "lastChangedBy": "u1"
        })
        .to_string())
    };
    let replies = vec![
        real("queued", 0),
        real("active", 1),
        real("done", 3),
        run_answer(),
    ];
    let mut run = SuiteRun::new(machine(false), AggregateOptions::default(), None).unwrap();
    let (report, log) = drive(&mut run, T0, replies);
    let report = report.unwrap();
    assert_eq!(report.fail_reason, None);
    assert_eq!(report.report.status.as_deref(), Some("done"));
    let polling: Vec<_> = log
        .progress
        .iter()
        .filter(|e| e.phase == crate::suite_run::Phase::Polling)
        .map(|e| (e.completed, e.total))
        .collect();
    assert_eq!(polling, [(Some(1), Some(3)), (Some(3), Some(3))]);
}

#[test]
fn known_intents_skip_the_intent_list_and_give_coverage() {
    let opts = AggregateOptions {
        known_intents: Some(vec!["greeting".into(), "orderPizza".into()]),
        ..AggregateOptions::default()
    };
    let mut run = SuiteRun::new(machine(false), opts, None).unwrap();
    let (report, log) = drive(
        &mut run,
        T0,
        vec![task("queued", None), task("done", Some("r1")), run_answer()],
    );
    assert_eq!(report.unwrap().report.coverage.intent_coverage, 0.5);
    assert_eq!(log.requests.len(), 3);
}

#[test]
fn a_failed_task_is_reported_with_its_reason() {
    let mut run = SuiteRun::new(machine(true), AggregateOptions::default(), None).unwrap();
    let (report, log) = drive(
        &mut run,
        T0,
        vec![task("queued", None), task("error", None)],
    );
    let report = report.unwrap();
    assert_eq!(report.fail_reason.as_deref(), Some("flow missing"));
    assert_eq!(report.report.status.as_deref(), Some("error"));
    assert_eq!(report.report.gate, Gate::Failed);
    assert_eq!(log.requests.len(), 2);
}

/// The whole run of `machine` with `opts` over `replies`: its report, or the error it ended with.
fn whole_run(
    machine: PlaybookRun,
    opts: AggregateOptions,
    replies: Vec<Input>,
) -> Result<crate::suite_run::finish::RunReport, GuardError> {
    let mut run = SuiteRun::new(machine, opts, None).unwrap();
    drive(&mut run, T0, replies).0
}

#[test]
fn steps_of_a_task_that_ended_before_them_are_errored() {
    let task_at = |status: &str, current: u64| {
        ok(
            &json!({ "_id": "t1", "status": status, "currentStep": current, "totalStep": 5,
            "failReason": if status == "error" { json!("bot crashed") } else { json!("") },
            "data": { "playbookRunId": "r1" } })
            .to_string(),
        )
    };
    // Cancelled on the platform after 3 of 5 steps: the run reports 3, the task says 5.
    let opts = AggregateOptions {
        known_intents: Some(vec!["greeting".into()]),
        ..AggregateOptions::default()
    };
    let report = whole_run(
        machine(false),
        opts,
        vec![
            task("queued", None),
            task_at("active", 1),
            task_at("cancelled", 3),
            run_answer(),
        ],
    );
    let report = report.unwrap().report;
    assert_eq!(
        (
            report.total,
            report.passed,
            report.failed,
            report.unverified,
            report.errored
        ),
        (5, 1, 1, 1, 2)
    );
    let errored: Vec<usize> = report
        .cases
        .iter()
        .filter(|c| c.status == crate::aggregate::CaseStatus::Errored)
        .map(|c| c.index)
        .collect();
    assert_eq!(errored, [3, 4]);
    assert_eq!(report.gate, Gate::Failed);
    let xml = crate::junit::to_junit_xml(&report);
    assert_eq!(xml.matches("<error ").count(), 2, "{xml}");
    // In error before any step: every step is errored; a done task adds none.
    let report = whole_run(
        machine(false),
        AggregateOptions::default(),
        vec![
            task("queued", None),
            task_at("error", 0),
            ok(r#"{"status":"failed","stepResults":[]}"#),
        ],
    );
    let report = report.unwrap();
    assert_eq!((report.report.total, report.report.errored), (5, 5));
    assert_eq!(report.fail_reason.as_deref(), Some("bot crashed"));
    let report = whole_run(
        machine(false),
        AggregateOptions::default(),
        vec![task("queued", None), task_at("done", 5), run_answer()],
    );
    let report = report.unwrap().report;
    assert_eq!((report.total, report.errored), (3, 0));
}

#[test]
fn the_suite_id_is_the_playbook_name_when_given_else_its_id() {
    let report = whole_run(
        machine(false),
        AggregateOptions::default(),
        vec![task("queued", None), task("done", Some("r1")), run_answer()],
    );
    assert_eq!(report.unwrap().report.suite_id.as_deref(), Some("pb1"));
    let named = PlaybookSpec::from_json(&json!({
        "playbookId": "pb1", "entrypoint": "ep", "flowId": "f1", "localeId": "l1",
        "name": "Pizza order happy path"
    }))
    .unwrap();
    let base = BaseUrl::new("https://api-trial.cognigy.ai", false).unwrap();
    let machine = PlaybookRun::new(base, named, false, timing());
    let report = whole_run(
        machine,
        AggregateOptions::default(),
        vec![task("queued", None), task("done", Some("r1")), run_answer()],
    );
    let report = report.unwrap().report;
    assert_eq!(report.suite_id.as_deref(), Some("Pizza order happy path"));
    assert!(
        crate::junit::to_junit_xml(&report).contains(r#"<testsuite name="Pizza order happy path""#)
    );
}

#[test]
fn done_without_a_run_id_is_a_bad_response_after_a_few_polls() {
    let replies = vec![
        task("queued", None),
        task("done", None),
        task("done", None),
        task("done", None),
        task("done", None),
    ];
    let (outcome, log) = drive(&mut machine(true), T0, replies);
    assert_eq!(outcome.unwrap_err().code(), ErrorCode::BadResponse);
    assert_eq!(log.requests.len() as u32, 2 + MAX_RUNLESS_DONE_POLLS);
}

#[test]
fn cancelling_calls_the_cancel_endpoint_then_rejects() {
    let replies = vec![
        task("queued", None),
        task("active", None),
        ok(r#"{"_id":"t1","status":"cancelling"}"#),
    ];
    let (outcome, log) = drive_until(&mut machine(true), T0, replies, Some(2));
    assert_eq!(outcome.unwrap_err(), GuardError::Cancelled);
    let last = log.requests.last().unwrap();
    assert_eq!(
        last.url(),
        "https://api-trial.cognigy.ai/new/v2.0/tasks/t1/cancel"
    );
    assert_eq!(last.method(), Method::Post);
    assert_eq!(*log.timeouts.last().unwrap(), CANCEL_TIMEOUT_MS);
}

#[test]
fn the_deadline_cancels_a_running_task() {
    let timing = Timing {
        deadline_ms: Some(1_000),
        ..timing()
    };
    let base = BaseUrl::new("https://h.example", false).unwrap();
    let mut run = PlaybookRun::new(base, spec(), true, timing);
    let mut replies = vec![task("queued", None)];
    replies.extend(std::iter::repeat_n(task("active", None), 100));
    let (outcome, log) = drive(&mut run, T0, replies);
    assert_eq!(outcome.unwrap_err().code(), ErrorCode::Deadline);
    assert!(log
        .requests
        .last()
        .unwrap()
        .url()
        .ends_with("/tasks/t1/cancel"));
}

#[test]
fn schedule_is_retried_only_when_rate_limited() {
    let replies = vec![
        too_many(1),
        task("queued", None),
        task("done", Some("r1")),
        run_answer(),
        intents_page(0..3, 3),
    ];
    let (outcome, log) = drive(&mut machine(true), T0, replies);
    assert!(outcome.is_ok());
    assert_eq!(log.sleeps[0], 1000);
    let (outcome, log) = drive(
        &mut machine(true),
        T0,
        vec![status(503), task("queued", None)],
    );
    assert_eq!(outcome.unwrap_err().fields().status, Some(503));
    assert_eq!(log.requests.len(), 1);
    let (outcome, _) = drive(&mut machine(true), T0, vec![network()]);
    assert_eq!(outcome.unwrap_err().code(), ErrorCode::Network);
}

#[test]
fn failing_intent_list_keeps_the_report() {
    let replies = vec![
        task("queued", None),
        task("done", Some("r1")),
        run_answer(),
        status(404),
    ];
    let (outcome, _) = drive(&mut machine(true), T0, replies);
    let outcome = outcome.unwrap();
    assert_eq!(outcome.intents, None);
    assert_eq!(outcome.status, "done");
}

#[test]
fn spec_fields_are_required() {
    for bad in [
        json!(null),
        json!({"playbookId": "p"}),
        json!({"playbookId": "", "entrypoint": "e", "flowId": "f", "localeId": "l"}),
        json!({"playbookId": "p", "entrypoint": "e", "flowId": "f", "localeId": "l", "name": 7}),
    ] {
        assert_eq!(
            PlaybookSpec::from_json(&bad).unwrap_err().code(),
            ErrorCode::Config
        );
    }
}

fn any_input() -> impl Strategy<Value = Input> {
    testkit::any_input(
        vec![200u16, 400, 404, 409, 429, 500, 503],
        vec![
            r#"{"_id":"t1","status":"queued"}"#.to_owned(),
            r#"{"_id":"t1","status":"active"}"#.to_owned(),
            r#"{"_id":"t1","status":"active","data":{"playbookRunId":"r1"}}"#.to_owned(),
            r#"{"_id":"t1","status":"done","data":{"playbookRunId":"r1"}}"#.to_owned(),
            r#"{"_id":"t1","status":"error","failReason":"x"}"#.to_owned(),
            r#"{"_id":"t1","status":"cancelled"}"#.to_owned(),
            r#"{"status":"running","stepResults":[]}"#.to_owned(),
            r#"{"status":"successful","stepResults":[{"asserts":[]}]}"#.to_owned(),
            r#"{"items":[{"name":"a"}],"total":1}"#.to_owned(),
            "{\"_id\":".to_owned(),
            String::new(),
        ],
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]
    /// Random answers never panic; the run ends within its deadline, plus at most the cancel
    /// request's own timeout (the one request allowed to outlast the deadline).
    #[test]
    fn random_answers_end_within_the_deadline(
        replies in prop::collection::vec(any_input(), 0..60),
        deadline in 1u64..120_000,
        cancel_at in prop::option::of(0usize..20),
    ) {
        let timing = Timing { deadline_ms: Some(deadline), ..timing() };
        let base = BaseUrl::new("https://h.example", false).unwrap();
        let mut run = SuiteRun::new(
            PlaybookRun::new(base, spec(), true, timing),
            AggregateOptions::default(),
            None,
        ).unwrap();
        let (_, log) = drive_until(&mut run, T0, replies, cancel_at);
        let bound = T0 + (deadline + CANCEL_TIMEOUT_MS) as f64;
        prop_assert!(log.end <= bound, "ended {} ms after the start", log.end - T0);
    }
}
