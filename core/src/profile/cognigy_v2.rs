//! The `cognigy-v2` profile: the real platform's REST API (`/new/v2.0/...`) for playbook runs and
//! intent lists. See `docs/WIRE.md` and `COGNIGY.md`.

use super::problem::clip;
use super::request::{Credentials, HttpRequest};
use super::url::{path_segment, query_string, BaseUrl};
use super::{count, parse_object_answer, str_member};
use crate::error::GuardError;
use serde::{Serialize, Serializer};
use serde_json::{json, Value};

/// Largest page the platform serves.
pub const MAX_PAGE_LIMIT: u32 = 100;
/// Longest unknown status kept verbatim.
const MAX_STATUS_CHARS: usize = 64;

/// `POST {base}/new/v2.0/playbooks/{playbookId}/schedule` with body `{ entrypoint, flowId, localeId }`
/// (each must be non-empty). The answer is a task: read it with [`parse_task`].
pub fn schedule_playbook(
    base: &BaseUrl,
    credentials: &Credentials,
    playbook_id: &str,
    entrypoint: &str,
    flow_id: &str,
    locale_id: &str,
) -> Result<HttpRequest, GuardError> {
    let playbook = path_segment("playbookId", playbook_id)?;
    for (name, value) in [
        ("entrypoint", entrypoint),
        ("flowId", flow_id),
        ("localeId", locale_id),
    ] {
        if value.is_empty() {
            return Err(GuardError::Config(format!("{name} must not be empty")));
        }
    }
    let url = base.join(&format!("/new/v2.0/playbooks/{playbook}/schedule"));
    let body = json!({ "entrypoint": entrypoint, "flowId": flow_id, "localeId": locale_id });
    HttpRequest::post_json(url, &body).authorized(credentials)
}

/// `GET {base}/new/v2.0/tasks/{taskId}`.
pub fn task(
    base: &BaseUrl,
    credentials: &Credentials,
    task_id: &str,
) -> Result<HttpRequest, GuardError> {
    HttpRequest::get(task_url(base, task_id, "")?).authorized(credentials)
}

/// `POST {base}/new/v2.0/tasks/{taskId}/cancel`, without a body. The answer is a task.
pub fn cancel_task(
    base: &BaseUrl,
    credentials: &Credentials,
    task_id: &str,
) -> Result<HttpRequest, GuardError> {
    HttpRequest::post_empty(task_url(base, task_id, "/cancel")?).authorized(credentials)
}

fn task_url(base: &BaseUrl, task_id: &str, suffix: &str) -> Result<String, GuardError> {
    let task = path_segment("taskId", task_id)?;
    Ok(base.join(&format!("/new/v2.0/tasks/{task}{suffix}")))
}

/// `GET {base}/new/v2.0/playbooks/{playbookId}/runs/{runId}` (read the answer with
/// [`super::parse_json_answer`] and hand it to the aggregation).
pub fn playbook_run(
    base: &BaseUrl,
    credentials: &Credentials,
    playbook_id: &str,
    run_id: &str,
) -> Result<HttpRequest, GuardError> {
    let playbook = path_segment("playbookId", playbook_id)?;
    let run = path_segment("runId", run_id)?;
    let url = base.join(&format!("/new/v2.0/playbooks/{playbook}/runs/{run}"));
    HttpRequest::get(url).authorized(credentials)
}

/// `GET {base}/new/v2.0/flows/{flowId}/intents?limit=` for the first page, `?limit=&next=<cursor>`
/// for the page after the one whose `nextCursor` was `cursor` (as the official client sends it);
/// `limit` must be 1..=100 and a cursor non-empty.
pub fn flow_intents(
    base: &BaseUrl,
    credentials: &Credentials,
    flow_id: &str,
    limit: u32,
    next: Option<&str>,
) -> Result<HttpRequest, GuardError> {
    if !(1..=MAX_PAGE_LIMIT).contains(&limit) {
        return Err(GuardError::Config(format!(
            "page limit must be 1 to {MAX_PAGE_LIMIT}, got {limit}"
        )));
    }
    let flow = path_segment("flowId", flow_id)?;
    let query = page_query(limit, next)?;
    let url = base.join(&format!("/new/v2.0/flows/{flow}/intents{query}"));
    HttpRequest::get(url).authorized(credentials)
}

/// `GET {base}/new/v2.0/playbooks?limit=100` for the first page, `&next=<cursor>` after the page
/// whose `nextCursor` was `cursor` (a cursor must not be empty).
pub fn playbooks_page(
    base: &BaseUrl,
    credentials: &Credentials,
    next: Option<&str>,
) -> Result<HttpRequest, GuardError> {
    let query = page_query(MAX_PAGE_LIMIT, next)?;
    HttpRequest::get(base.join(&format!("/new/v2.0/playbooks{query}"))).authorized(credentials)
}

/// `?limit=` for a first page, `?limit=&next=<cursor>` after it (as the official client sends it).
fn page_query(limit: u32, next: Option<&str>) -> Result<String, GuardError> {
    let limit = limit.to_string();
    match next {
        None => Ok(query_string(&[("limit", &limit)])),
        Some("") => Err(GuardError::Config(
            "a page cursor must not be empty".to_owned(),
        )),
        Some(cursor) => Ok(query_string(&[("limit", &limit), ("next", cursor)])),
    }
}

/// One page of a cognigy-v2 index (`{ items, total, nextCursor }`).
#[derive(Debug, Clone, PartialEq)]
pub struct IndexPage {
    /// The items (objects only).
    pub items: Vec<Value>,
    /// Items in the whole list, when the server said.
    pub total: Option<u64>,
    /// Cursor of the next page, if there is one.
    pub next_cursor: Option<String>,
}

/// Reads `{ items: [...], total, nextCursor }` (`what` names the list in errors); missing `items`
/// is a [`GuardError::BadResponse`].
pub fn parse_index_page(
    status: u16,
    headers: &[(String, String)],
    body: &str,
    what: &str,
) -> Result<IndexPage, GuardError> {
    let answer = parse_object_answer(status, headers, body, what)?;
    let items = answer
        .get("items")
        .and_then(Value::as_array)
        .ok_or_else(|| GuardError::BadResponse(format!("{what} has no items array")))?
        .iter()
        .filter(|item| item.is_object())
        .cloned()
        .collect();
    Ok(IndexPage {
        items,
        total: answer.get("total").and_then(count),
        next_cursor: str_member(&answer, "nextCursor")
            .filter(|cursor| !cursor.is_empty())
            .map(str::to_owned),
    })
}

/// State of a platform task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaskState {
    /// Waiting to run.
    Queued,
    /// Running.
    Active,
    /// Finished.
    Done,
    /// Being cancelled.
    Cancelling,
    /// Cancelled.
    Cancelled,
    /// Failed; see `fail_reason`.
    Error,
    /// A status this library does not know (kept, at most 64 characters); not terminal.
    Unknown(String),
}

impl TaskState {
    /// Reads a wire status (case-insensitive).
    pub fn from_wire(status: &str) -> Self {
        match status.trim().to_ascii_lowercase().as_str() {
            "queued" => TaskState::Queued,
            "active" => TaskState::Active,
            "done" => TaskState::Done,
            "cancelling" => TaskState::Cancelling,
            "cancelled" => TaskState::Cancelled,
            "error" => TaskState::Error,
            _ => TaskState::Unknown(status.chars().take(MAX_STATUS_CHARS).collect()),
        }
    }

    /// The wire spelling (unknown statuses as received).
    pub fn as_str(&self) -> &str {
        match self {
            TaskState::Queued => "queued",
            TaskState::Active => "active",
            TaskState::Done => "done",
            TaskState::Cancelling => "cancelling",
            TaskState::Cancelled => "cancelled",
            TaskState::Error => "error",
            TaskState::Unknown(status) => status,
        }
    }

    /// Whether polling can stop: `done`, `cancelled` or `error`.
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            TaskState::Done | TaskState::Cancelled | TaskState::Error
        )
    }
}

impl Serialize for TaskState {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// A platform task (schedule, poll and cancel answers).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Task {
    /// The task id (`_id`).
    pub id: String,
    /// Its state.
    pub status: TaskState,
    /// `data.playbookRunId`, once the platform reports it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub playbook_run_id: Option<String>,
    /// `failReason` (clipped to 300 characters), when it is not blank (the platform sends `""`
    /// for a task that did not fail).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fail_reason: Option<String>,
    /// `currentStep`: steps done so far, when the platform says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_step: Option<u64>,
    /// `totalStep`: steps in all, when the platform says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_step: Option<u64>,
}

impl Task {
    /// Whether polling can stop.
    pub fn is_terminal(&self) -> bool {
        self.status.is_terminal()
    }
}

/// Reads a task answer: the platform's `{ _id, name, status, currentStep, totalStep, failReason,
/// data: { playbookRunId? }, createdAt, ... }`, also the older `{ _id, status, type, data,
/// failReason?, progress }` (fields other than these are ignored). A missing `_id` or `status` is a
/// [`GuardError::BadResponse`]; a non-integer step count is left out.
pub fn parse_task(
    status: u16,
    headers: &[(String, String)],
    body: &str,
) -> Result<Task, GuardError> {
    let answer = parse_object_answer(status, headers, body, "task answer")?;
    let id = str_member(&answer, "_id")
        .filter(|id| !id.is_empty())
        .ok_or_else(|| GuardError::BadResponse("task answer has no _id".to_owned()))?;
    let state = str_member(&answer, "status")
        .ok_or_else(|| GuardError::BadResponse("task answer has no status".to_owned()))?;
    let playbook_run_id = answer
        .get("data")
        .and_then(Value::as_object)
        .and_then(|data| str_member(data, "playbookRunId"))
        .filter(|run| !run.is_empty())
        .map(str::to_owned);
    Ok(Task {
        id: id.to_owned(),
        status: TaskState::from_wire(state),
        playbook_run_id,
        fail_reason: str_member(&answer, "failReason")
            .map(clip)
            .filter(|reason| !reason.is_empty()),
        current_step: answer.get("currentStep").and_then(count),
        total_step: answer.get("totalStep").and_then(count),
    })
}

/// One page of a flow's intents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IntentsPage {
    /// Intent names on this page (items without a string `name` are skipped).
    pub items: Vec<String>,
    /// Intents in the flow, when the server said.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<u64>,
    /// Cursor of the next page, if there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// Reads `{ items: [{ _id, name }], total, nextCursor, previousCursor }`; missing `items` is a
/// [`GuardError::BadResponse`].
pub fn parse_intents_page(
    status: u16,
    headers: &[(String, String)],
    body: &str,
) -> Result<IntentsPage, GuardError> {
    let answer = parse_object_answer(status, headers, body, "intent list")?;
    let items = answer
        .get("items")
        .and_then(Value::as_array)
        .ok_or_else(|| GuardError::BadResponse("intent list has no items array".to_owned()))?
        .iter()
        .filter_map(|item| item.as_object().and_then(|item| str_member(item, "name")))
        .map(str::to_owned)
        .collect();
    Ok(IntentsPage {
        items,
        total: answer.get("total").and_then(count),
        next_cursor: str_member(&answer, "nextCursor")
            .filter(|cursor| !cursor.is_empty())
            .map(str::to_owned),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::Method;
    use crate::ErrorCode;

    fn base() -> BaseUrl {
        BaseUrl::new("https://api-trial.cognigy.ai", false).unwrap()
    }

    fn key() -> Credentials {
        Credentials::ApiKey("key-1".into())
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn schedule_request() {
        let req = schedule_playbook(&base(), &key(), "pb 1", "start", "flow-1", "loc-1").unwrap();
        assert_eq!(req.method(), Method::Post);
        assert_eq!(
            req.url(),
            "https://api-trial.cognigy.ai/new/v2.0/playbooks/pb%201/schedule"
        );
        assert_eq!(
            req.headers(),
            pairs(&[
                ("Accept", "application/json"),
                ("Content-Type", "application/json"),
                ("X-API-Key", "key-1")
            ])
        );
        let body: Value = serde_json::from_str(req.body().unwrap()).unwrap();
        assert_eq!(
            body,
            json!({"entrypoint": "start", "flowId": "flow-1", "localeId": "loc-1"})
        );
        for (p, e, f, l) in [
            ("", "e", "f", "l"),
            ("p", "", "f", "l"),
            ("p", "e", "", "l"),
            ("p", "e", "f", ""),
            (".", "e", "f", "l"),
        ] {
            let err = schedule_playbook(&base(), &key(), p, e, f, l).unwrap_err();
            assert_eq!(err.code(), ErrorCode::Config);
        }
    }

    #[test]
    fn task_requests() {
        let get = task(&base(), &key(), "t/../1").unwrap();
        assert_eq!(get.method(), Method::Get);
        assert_eq!(
            get.url(),
            "https://api-trial.cognigy.ai/new/v2.0/tasks/t%2F..%2F1"
        );
        assert_eq!(get.body(), None);
        let cancel = cancel_task(&base(), &key(), "t1").unwrap();
        assert_eq!(cancel.method(), Method::Post);
        assert_eq!(
            cancel.url(),
            "https://api-trial.cognigy.ai/new/v2.0/tasks/t1/cancel"
        );
        assert_eq!(cancel.body(), None);
        assert_eq!(cancel.header("x-api-key"), Some("key-1"));
        assert!(task(&base(), &key(), "..").is_err());
    }

    #[test]
    fn run_and_intent_requests() {
        let run = playbook_run(&base(), &Credentials::Bearer("t".into()), "pb", "run#1").unwrap();
        assert_eq!(run.method(), Method::Get);
        assert_eq!(
            run.url(),
            "https://api-trial.cognigy.ai/new/v2.0/playbooks/pb/runs/run%231"
        );
        assert_eq!(run.body(), None);
        assert_eq!(run.header("Authorization"), Some("Bearer t"));
        assert!(playbook_run(&base(), &key(), "pb", "").is_err());
        let first = flow_intents(&base(), &key(), "flow-1", 100, None).unwrap();
        assert_eq!(first.method(), Method::Get);
        assert_eq!(
            first.url(),
            "https://api-trial.cognigy.ai/new/v2.0/flows/flow-1/intents?limit=100"
        );
        assert_eq!(first.body(), None);
        let next =
            flow_intents(&base(), &key(), "flow-1", 100, Some("eyJza2lwIjoxMDB9&x=1")).unwrap();
        assert_eq!(
            next.url(),
            "https://api-trial.cognigy.ai/new/v2.0/flows/flow-1/intents?limit=100&next=eyJza2lwIjoxMDB9%26x%3D1"
        );
        for limit in [0, 101] {
            let err = flow_intents(&base(), &key(), "f", limit, None).unwrap_err();
            assert_eq!(err.code(), ErrorCode::Config);
        }
        assert_eq!(
            flow_intents(&base(), &key(), "f", 100, Some(""))
                .unwrap_err()
                .code(),
            ErrorCode::Config
        );
    }

    #[test]
    fn parses_tasks() {
        let queued = parse_task(
            200,
            &[],
            r#"{"_id":"t1","status":"queued","type":"runPlaybook","createdAt":"x","data":{}}"#,
        )
        .unwrap();
        assert_eq!(
            queued,
            Task {
                id: "t1".into(),
                status: TaskState::Queued,
                playbook_run_id: None,
                fail_reason: None,
                current_step: None,
                total_step: None,
            }
        );
        assert!(!queued.is_terminal());
        let done = parse_task(
            200,
            &[],
            r#"{"_id":"t1","status":"done","data":{"playbookRunId":"r9"},"progress":100}"#,
        )
        .unwrap();
        assert_eq!(done.playbook_run_id.as_deref(), Some("r9"));
        assert!(done.is_terminal());
        assert_eq!(
            serde_json::to_value(&done).unwrap(),
            json!({"id": "t1", "status": "done", "playbookRunId": "r9"})
        );
        let failed = parse_task(
            200,
            &[],
            r#"{"_id":"t1","status":"error","failReason":"Flow not found"}"#,
        )
        .unwrap();
        assert_eq!(failed.status, TaskState::Error);
        assert_eq!(failed.fail_reason.as_deref(), Some("Flow not found"));
        for (wire, terminal) in [
            ("active", false),
            ("cancelling", false),
            ("cancelled", true),
            ("Done", true),
            ("weird", false),
        ] {
            let body = format!(r#"{{"_id":"t","status":"{wire}","data":[]}}"#);
            assert_eq!(
                parse_task(200, &[], &body).unwrap().is_terminal(),
                terminal,
                "{wire}"
            );
        }
        for body in [
            r#"{"status":"done"}"#,
            r#"{"_id":"","status":"done"}"#,
            r#"{"_id":"t"}"#,
            r#"{"_id":1,"status":"done"}"#,
            "",
            "[",
            "\"x\"",
        ] {
            assert_eq!(
                parse_task(200, &[], body).unwrap_err().code(),
                ErrorCode::BadResponse,
                "{body}"
            );
        }
        let problem = pairs(&[("content-type", "application/problem+json")]);
        let err = parse_task(
            404,
            &problem,
            r#"{"type":"about:blank","title":"Not Found","status":404,"detail":"task t1","traceId":"x"}"#,
        )
        .unwrap_err();
        assert_eq!(err.to_string(), "HTTP 404: Not Found: task t1");
        assert_eq!(err.fields().problem.unwrap()["traceId"], "x");
    }

    #[test]
    fn parses_tasks_in_the_platform_shape() {
        let body = json!({
            "_id": "t1", "name": "runPlaybook", "status": "active", "currentStep": 2,
            "totalStep": 4, "failReason": "", "data": {}, "createdAt": 1_735_689_600,
            "lastChanged": 1_735_689_602, "lastRunAt": "2025-01-01T00:00:01.000Z",
            "lastFinishedAt": null, "createdBy": "u", "lastChangedBy": "u"
        });
        let task = parse_task(200, &[], &body.to_string()).unwrap();
        assert_eq!(
            task,
            Task {
                id: "t1".into(),
                status: TaskState::Active,
                playbook_run_id: None,
                fail_reason: None,
                current_step: Some(2),
                total_step: Some(4),
            }
        );
        assert_eq!(
            serde_json::to_value(&task).unwrap(),
            json!({"id": "t1", "status": "active", "currentStep": 2, "totalStep": 4})
        );
        let blank = parse_task(
            200,
            &[],
            r#"{"_id":"t","status":"error","failReason":"  "}"#,
        );
        assert_eq!(blank.unwrap().fail_reason, None);
        let odd = parse_task(
            200,
            &[],
            r#"{"_id":"t","status":"active","currentStep":-1,"totalStep":"4"}"#,
        )
        .unwrap();
        assert_eq!((odd.current_step, odd.total_step), (None, None));
    }

    #[test]
    fn a_problem_keeps_cognigys_numeric_code_and_details_object() {
        let problem = pairs(&[("content-type", "application/problem+json")]);
        let body = json!({
            "type": "about:blank", "title": "Not Found", "status": 404, "detail": "task t1 not found",
            "instance": "/new/v2.0/tasks/t1", "code": 1002, "traceId": "tr", "details": { "taskId": "t1" }
        });
        let err = parse_task(404, &problem, &body.to_string()).unwrap_err();
        assert_eq!(err.code(), ErrorCode::Http);
        let kept = err.fields().problem.unwrap();
        assert_eq!(kept["code"], 1002);
        assert_eq!(kept["details"], json!({ "taskId": "t1" }));
        assert_eq!(kept["type"], "about:blank");
    }

    #[test]
    fn parses_intent_pages() {
        let page = parse_intents_page(
            200,
            &[],
            r#"{"items":[{"_id":"1","name":"orderPizza"},{"_id":"2"},{"_id":"3","name":"cancel"},7],
                "total":3,"nextCursor":"c2","previousCursor":null}"#,
        )
        .unwrap();
        assert_eq!(
            page,
            IntentsPage {
                items: vec!["orderPizza".into(), "cancel".into()],
                total: Some(3),
                next_cursor: Some("c2".into())
            }
        );
        let last = parse_intents_page(200, &[], r#"{"items":[],"nextCursor":null}"#).unwrap();
        assert_eq!((last.total, last.next_cursor), (None, None));
        assert_eq!(
            parse_intents_page(200, &[], r#"{"total":3}"#)
                .unwrap_err()
                .code(),
            ErrorCode::BadResponse
        );
        assert_eq!(
            parse_intents_page(401, &[], r#"{"title":"Unauthorized","status":401}"#)
                .unwrap_err()
                .code(),
            ErrorCode::Auth
        );
    }

    proptest::proptest! {
        #[test]
        fn v2_parsers_never_panic(status in 0u16..700, body in ".{0,200}") {
            let _ = parse_task(status, &[], &body);
            let _ = parse_intents_page(status, &[], &body);
        }
    }
}
