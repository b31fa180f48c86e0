//! The Cognigy Simulator API (`{base}/testing`, docs/WIRE.md "Simulator API"): schedule a batch of
//! runs of a scenario, list the scenario's batches (to follow one by `referenceId`), and read the
//! runs of a batch page by page. Every request carries `projectId` in the query.

use super::problem::clip;
use super::request::{Credentials, HttpRequest};
use super::url::{path_segment, query_string, BaseUrl};
use super::{count, parse_object_answer, str_member};
use crate::error::GuardError;
use serde_json::{json, Map, Value};

/// Most runs one schedule may ask for.
pub const MAX_SIMULATION_RUNS: u64 = 10;
/// Items asked for per list page.
pub const SIMULATOR_PAGE_LIMIT: u32 = 100;

/// Batch statuses after which nothing more runs.
const TERMINAL_BATCH_STATUSES: [&str; 3] = ["COMPLETED", "FAILED", "STOPPED"];

/// What to schedule: the scenario and the run configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimulationSpec {
    /// The scenario's `referenceId`.
    pub simulation_reference_id: String,
    /// The project (every request's `projectId`).
    pub project_id: String,
    /// The flow the runs talk to (`runConfig.flowReferenceId`).
    pub flow_reference_id: String,
    /// The locale (`runConfig.localeReferenceId`).
    pub locale_reference_id: String,
    /// The endpoint reference (`runConfig.entrypoint`), when given.
    pub entrypoint: Option<String>,
    /// Runs of the batch, 1..=[`MAX_SIMULATION_RUNS`].
    pub number_of_runs: u64,
    /// The batch's name, when given.
    pub run_name: Option<String>,
}

impl SimulationSpec {
    /// Reads `{ simulationReferenceId, projectId, flowReferenceId, localeReferenceId, entrypoint?,
    /// numberOfRuns = 1, runName? }`; a missing or bad member is a [`GuardError::Config`] naming it.
    pub fn from_json(value: &Value) -> Result<Self, GuardError> {
        let object = value.as_object().ok_or_else(|| {
            GuardError::Config(
                "runSimulation needs { simulationReferenceId, projectId, flowReferenceId, \
                 localeReferenceId }"
                    .to_owned(),
            )
        })?;
        let required = |key: &str| {
            optional(object, key)?.ok_or_else(|| {
                GuardError::Config(format!("{key} is required (a non-empty string)"))
            })
        };
        let number_of_runs = match object.get("numberOfRuns") {
            None | Some(Value::Null) => 1,
            Some(n) => n
                .as_u64()
                .filter(|n| (1..=MAX_SIMULATION_RUNS).contains(n))
                .ok_or_else(|| {
                    GuardError::Config(format!(
                        "numberOfRuns must be an integer from 1 to {MAX_SIMULATION_RUNS}"
                    ))
                })?,
        };
        Ok(SimulationSpec {
            simulation_reference_id: required("simulationReferenceId")?,
            project_id: required("projectId")?,
            flow_reference_id: required("flowReferenceId")?,
            locale_reference_id: required("localeReferenceId")?,
            entrypoint: optional(object, "entrypoint")?,
            number_of_runs,
            run_name: optional(object, "runName")?,
        })
    }

    fn scenario_path(&self) -> Result<String, GuardError> {
        let scenario = path_segment("simulationReferenceId", &self.simulation_reference_id)?;
        Ok(format!("/testing/simulations/{scenario}"))
    }
}

/// An optional non-empty string member (at most 256 characters).
fn optional(object: &Map<String, Value>, key: &str) -> Result<Option<String>, GuardError> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if !s.is_empty() && s.chars().count() <= 256 => Ok(Some(s.clone())),
        Some(_) => Err(GuardError::Config(format!(
            "{key} must be a string of 1 to 256 characters"
        ))),
    }
}

/// `POST {base}/testing/simulations/{ref}/schedule?projectId=` with `{ runConfig: {
/// flowReferenceId, localeReferenceId, entrypoint? }, numberOfRuns, runName? }`.
pub fn schedule_simulation(
    base: &BaseUrl,
    credentials: &Credentials,
    spec: &SimulationSpec,
) -> Result<HttpRequest, GuardError> {
    let mut run_config = json!({
        "flowReferenceId": spec.flow_reference_id,
        "localeReferenceId": spec.locale_reference_id,
    });
    if let (Some(entrypoint), Some(config)) = (&spec.entrypoint, run_config.as_object_mut()) {
        config.insert("entrypoint".to_owned(), Value::from(entrypoint.as_str()));
    }
    let mut body = json!({ "runConfig": run_config, "numberOfRuns": spec.number_of_runs });
    if let (Some(name), Some(body)) = (&spec.run_name, body.as_object_mut()) {
        body.insert("runName".to_owned(), Value::from(name.as_str()));
    }
    let query = query_string(&[("projectId", &spec.project_id)]);
    let url = base.join(&format!("{}/schedule{query}", spec.scenario_path()?));
    HttpRequest::post_json(url, &body).authorized(credentials)
}

/// `GET {base}/testing/simulations/{ref}/batches?projectId=&limit=100` (newest first).
pub fn simulation_batches(
    base: &BaseUrl,
    credentials: &Credentials,
    spec: &SimulationSpec,
) -> Result<HttpRequest, GuardError> {
    let limit = SIMULATOR_PAGE_LIMIT.to_string();
    let query = query_string(&[("projectId", &spec.project_id), ("limit", &limit)]);
    let url = base.join(&format!("{}/batches{query}", spec.scenario_path()?));
    HttpRequest::get(url).authorized(credentials)
}

/// `GET {base}/testing/simulations?projectId=&limit=100[&next=]`: a page of the project's scenarios.
pub fn simulations_page(
    base: &BaseUrl,
    credentials: &Credentials,
    project_id: &str,
    next: Option<&str>,
) -> Result<HttpRequest, GuardError> {
    let limit = SIMULATOR_PAGE_LIMIT.to_string();
    let mut pairs = vec![("projectId", project_id), ("limit", limit.as_str())];
    if let Some(cursor) = next.filter(|c| !c.is_empty()) {
        pairs.push(("next", cursor));
    }
    let url = base.join(&format!("/testing/simulations{}", query_string(&pairs)));
    HttpRequest::get(url).authorized(credentials)
}

/// `GET {base}/testing/simulations/{ref}/batches/{batch}/runs?projectId=&limit=100[&next=]`.
pub fn batch_runs(
    base: &BaseUrl,
    credentials: &Credentials,
    spec: &SimulationSpec,
    batch_reference: &str,
    next: Option<&str>,
) -> Result<HttpRequest, GuardError> {
    let batch = path_segment("simulationRunBatchReference", batch_reference)?;
    let limit = SIMULATOR_PAGE_LIMIT.to_string();
    let mut pairs = vec![
        ("projectId", spec.project_id.as_str()),
        ("limit", limit.as_str()),
    ];
    if let Some(cursor) = next.filter(|c| !c.is_empty()) {
        pairs.push(("next", cursor));
    }
    let url = base.join(&format!(
        "{}/batches/{batch}/runs{}",
        spec.scenario_path()?,
        query_string(&pairs)
    ));
    HttpRequest::get(url).authorized(credentials)
}

/// A batch of simulation runs as the API lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    /// Its `referenceId`.
    pub reference_id: String,
    /// `IN_PROGRESS`, `COMPLETED`, `FAILED`, `STOPPED` (empty when the answer had none).
    pub status: String,
    /// Runs in the batch.
    pub runs: Option<u64>,
    /// Runs finished so far.
    pub completed_runs: Option<u64>,
}

impl Batch {
    /// Whether the batch is over: a terminal status, or (without a status) `completedAt` set
    /// (see [`parse_batch`]).
    pub fn is_terminal(&self) -> bool {
        TERMINAL_BATCH_STATUSES.contains(&self.status.as_str())
    }
}

fn batch_of(object: &Map<String, Value>) -> Option<Batch> {
    let reference_id = str_member(object, "referenceId")?;
    let status = match str_member(object, "status") {
        Some(status) => status.to_uppercase(),
        // Cognigy's batch lists carry `completedAt` once a batch ended.
        None if object.get("completedAt").is_some_and(|v| !v.is_null()) => "COMPLETED".to_owned(),
        None => String::new(),
    };
    Some(Batch {
        reference_id: clip(reference_id),
        status,
        runs: object.get("runs").and_then(count),
        completed_runs: object.get("completedRuns").and_then(count),
    })
}

/// The batch a schedule answered (`{ referenceId, status?, runs, ... }`, or `{ data: {...} }`).
pub fn parse_batch(
    status: u16,
    headers: &[(String, String)],
    body: &str,
) -> Result<Batch, GuardError> {
    let answer = parse_object_answer(status, headers, body, "scheduled simulation")?;
    let object = match answer.get("data") {
        Some(Value::Object(data)) => data,
        _ => &answer,
    };
    batch_of(object).ok_or_else(|| {
        GuardError::BadResponse("scheduled simulation: no batch referenceId".to_owned())
    })
}

/// One page of a list: `{ data: [...], pagination: { next } }`.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    /// The items (objects only).
    pub items: Vec<Value>,
    /// The cursor of the next page, when there is one.
    pub next: Option<String>,
}

/// Reads a list page; anything else is a [`GuardError::BadResponse`].
pub fn parse_page(
    status: u16,
    headers: &[(String, String)],
    body: &str,
) -> Result<Page, GuardError> {
    let answer = parse_object_answer(status, headers, body, "simulator list")?;
    let items = answer
        .get("data")
        .and_then(Value::as_array)
        .ok_or_else(|| GuardError::BadResponse("simulator list has no data array".to_owned()))?
        .iter()
        .filter(|item| item.is_object())
        .cloned()
        .collect();
    let next = answer
        .get("pagination")
        .and_then(Value::as_object)
        .and_then(|p| str_member(p, "next"))
        .filter(|c| !c.is_empty())
        .map(str::to_owned);
    Ok(Page { items, next })
}

/// The batch `reference_id` in a batches page, if listed.
pub fn find_batch(page: &Page, reference_id: &str) -> Option<Batch> {
    page.items
        .iter()
        .filter_map(Value::as_object)
        .filter_map(batch_of)
        .find(|b| b.reference_id == reference_id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;

    fn spec() -> SimulationSpec {
        SimulationSpec::from_json(&json!({
            "simulationReferenceId": "sc 1", "projectId": "p&1", "flowReferenceId": "f",
            "localeReferenceId": "l", "numberOfRuns": 3, "runName": "nightly",
        }))
        .unwrap()
    }

    #[test]
    fn requests_carry_the_project_and_the_run_config() {
        let base = BaseUrl::new("https://api-trial.cognigy.ai", false).unwrap();
        let key = Credentials::ApiKey("k-123".into());
        let req = schedule_simulation(&base, &key, &spec()).unwrap();
        assert_eq!(
            req.url(),
            "https://api-trial.cognigy.ai/testing/simulations/sc%201/schedule?projectId=p%261"
        );
        let body: Value = serde_json::from_str(req.body().unwrap()).unwrap();
        assert_eq!(
            body,
            json!({ "runConfig": { "flowReferenceId": "f", "localeReferenceId": "l" }, "numberOfRuns": 3, "runName": "nightly" })
        );
        assert_eq!(req.header("X-API-Key"), Some("k-123"));
        let list = simulation_batches(&base, &key, &spec()).unwrap();
        assert!(list
            .url()
            .ends_with("/testing/simulations/sc%201/batches?projectId=p%261&limit=100"));
        let runs = batch_runs(&base, &key, &spec(), "b/1", Some("c2")).unwrap();
        assert!(
            runs.url()
                .ends_with("/batches/b%2F1/runs?projectId=p%261&limit=100&next=c2"),
            "{}",
            runs.url()
        );
    }

    #[test]
    fn specs_and_answers() {
        for bad in [
            json!(7),
            json!({ "projectId": "p", "flowReferenceId": "f", "localeReferenceId": "l" }),
            json!({ "simulationReferenceId": "s", "projectId": "p", "flowReferenceId": "f", "localeReferenceId": "l", "numberOfRuns": 11 }),
            json!({ "simulationReferenceId": "s", "projectId": "", "flowReferenceId": "f", "localeReferenceId": "l" }),
        ] {
            assert_eq!(
                SimulationSpec::from_json(&bad).unwrap_err().code(),
                ErrorCode::Config,
                "{bad}"
            );
        }
        let batch = parse_batch(
            200,
            &[],
            r#"{"referenceId":"b1","status":"in_progress","runs":2}"#,
        )
        .unwrap();
        assert_eq!(
            (batch.status.as_str(), batch.runs, batch.is_terminal()),
            ("IN_PROGRESS", Some(2), false)
        );
        let wrapped =
            parse_batch(200, &[], r#"{"data":{"referenceId":"b2","completedAt":5}}"#).unwrap();
        assert!(wrapped.is_terminal());
        assert_eq!(
            parse_batch(200, &[], "{}").unwrap_err().code(),
            ErrorCode::BadResponse
        );
        let page = parse_page(
            200,
            &[],
            r#"{"data":[{"referenceId":"b0","status":"COMPLETED"},3,{"referenceId":"b1","status":"FAILED"}],"pagination":{"next":"n2"}}"#,
        )
        .unwrap();
        assert_eq!((page.items.len(), page.next.as_deref()), (2, Some("n2")));
        assert_eq!(
            find_batch(&page, "b1").map(|b| b.status),
            Some("FAILED".to_owned())
        );
        assert!(find_batch(&page, "b9").is_none());
        assert_eq!(
            parse_page(200, &[], r#"{"items":[]}"#).unwrap_err().code(),
            ErrorCode::BadResponse
        );
    }
}
