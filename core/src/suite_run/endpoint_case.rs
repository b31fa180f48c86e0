//! One case of an endpoint run as a machine: the message to the REST Endpoint (`POST
//! {endpointUrl}` with the case's own `sessionId`), its round trip measured, then, when the case
//! expects an intent, the NLU scores of its utterance. Each request is retried after a 408, 429
//! (after `Retry-After`), 5xx, network failure or timeout, at most [`MAX_REQUEST_RETRIES`] times
//! and never past the run's deadline.
//!
//! The machine always ends with an [`EndpointCaseOutcome`] (a request that failed for good makes
//! the case `errored` with the reason), except when cancelled (`CANCELLED`).

use super::reply::{classify, Verdict};
use super::{already_finished, require, Call, Input, Machine, Step};
use crate::aggregate::{clip, CaseResult, CaseStatus, EndpointCaseOutcome};
use crate::error::GuardError;
use crate::model::TestCase;
use crate::profile::endpoint::{
    endpoint_message, nlu_scores, parse_endpoint_answer, parse_nlu_scores, top_intent,
};
use crate::profile::{BaseUrl, Credentials, HttpRequest, SecretUrl};
use crate::redact::Redactor;
use crate::retry::{backoff_ms, MAX_RETRY_AFTER_MS};
use serde_json::Value;
use std::rc::Rc;

/// Retries of one request after a transient failure.
pub const MAX_REQUEST_RETRIES: u32 = 3;
/// Longest time allowed for one request.
pub const CASE_REQUEST_TIMEOUT_MS: u64 = 30_000;
/// First backoff before a retry (doubled each time, full jitter), when the server gave no
/// `Retry-After`.
pub const CASE_BACKOFF_MS: u64 = 250;
/// Longest backoff before a retry.
pub const CASE_MAX_BACKOFF_MS: u64 = 4_000;

/// Where NLU scores come from.
#[derive(Debug, Clone, PartialEq)]
pub struct NluSettings {
    /// The project whose NLU scores the utterances.
    pub project_id: String,
    /// The flow's reference id.
    pub flow_reference_id: String,
    /// The locale's reference id.
    pub locale_reference_id: String,
    /// Below this top score the prediction is `none`.
    pub min_score: f64,
}

/// What every case of one endpoint run shares.
#[derive(Debug)]
pub struct EndpointSettings {
    /// The REST Endpoint URL (secret).
    pub url: SecretUrl,
    /// The platform's API base URL (NLU scores).
    pub base: BaseUrl,
    /// The `userId` of every message.
    pub user_id: String,
    /// NLU scores, when configured.
    pub nlu: Option<NluSettings>,
    /// Dot-separated path of the entity names in the answer's `data`.
    pub entities_path: String,
    /// Removes the endpoint URL and its token from every text a case reports.
    pub redactor: Redactor,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Message,
    Scores,
    Finished,
}

/// One case's attempt (see the module documentation).
#[derive(Debug)]
pub struct EndpointCase {
    settings: Rc<EndpointSettings>,
    case: TestCase,
    session_id: String,
    deadline_at: f64,
    stage: Stage,
    retries: u32,
    sent_at: f64,
    result: CaseResult,
    /// The entity names the answer held, for the checks after the scores.
    found_entities: Vec<String>,
    scored: bool,
}

impl EndpointCase {
    /// Case number `index` (`case`) sent with `session_id`, within the run's `deadline_at`
    /// (epoch ms).
    pub fn new(
        settings: Rc<EndpointSettings>,
        index: usize,
        case: TestCase,
        session_id: String,
        deadline_at: f64,
    ) -> Self {
        let result = CaseResult::expecting(index, &case);
        EndpointCase {
            settings,
            case,
            session_id,
            deadline_at,
            stage: Stage::Message,
            retries: 0,
            sent_at: 0.0,
            result,
            found_entities: Vec::new(),
            scored: false,
        }
    }

    /// The outcome of this case when it never ran: `errored`, no reasons (the caller says why).
    pub fn unrun(&self) -> EndpointCaseOutcome {
        EndpointCaseOutcome {
            case: CaseResult {
                status: CaseStatus::Errored,
                ..self.result.clone()
            },
            scored: false,
        }
    }

    fn send(&mut self, now: f64) -> Step<EndpointCaseOutcome> {
        let left = self.deadline_at - now;
        if left.is_nan() || left < 1.0 {
            return self.errored("deadline: the run's deadline passed before this case ended");
        }
        self.sent_at = now;
        let call = match self.stage {
            Stage::Scores => Call::NluScores,
            _ => Call::EndpointMessage,
        };
        Step::Send {
            call,
            timeout_ms: CASE_REQUEST_TIMEOUT_MS.min(left.floor() as u64),
        }
    }

    /// Ends the case as `errored` because of `reason`.
    fn errored(&mut self, reason: &str) -> Step<EndpointCaseOutcome> {
        self.result.status = CaseStatus::Errored;
        let reason = self.settings.redactor.redact_str(reason);
        self.result.add_reason(clip(&reason));
        self.finish()
    }

    fn finish(&mut self) -> Step<EndpointCaseOutcome> {
        self.stage = Stage::Finished;
        Step::Done(Ok(EndpointCaseOutcome {
            case: self.result.clone(),
            scored: self.scored,
        }))
    }

    fn answered(
        &mut self,
        status: u16,
        headers: &[(String, String)],
        body: &str,
        now: f64,
    ) -> Step<EndpointCaseOutcome> {
        match self.stage {
            Stage::Message => {
                let answer = match parse_endpoint_answer(status, headers, body) {
                    Ok(answer) => answer,
                    Err(error) => return self.errored(&format!("endpoint: {error}")),
                };
                self.result.latency_ms = Some((now - self.sent_at).max(0.0));
                self.found_entities = answer.entities(&self.settings.entities_path);
                let outcome = &self.case.outcome;
                if let Some(fragment) = &outcome.expected_response_contains {
                    if !answer.contains(fragment) {
                        let said = answer.texts.join(" | ");
                        let reason = format!(
                            "response: expected to contain {fragment:?}, got {:?}",
                            clip(&said)
                        );
                        let reason = self.settings.redactor.redact_str(&reason);
                        self.result.add_reason(reason);
                    }
                }
                if outcome.expected_intent.is_some() && self.settings.nlu.is_some() {
                    self.stage = Stage::Scores;
                    self.retries = 0;
                    return self.send(now);
                }
                self.conclude()
            }
            Stage::Scores => match parse_nlu_scores(status, headers, body) {
                Ok(scores) => {
                    let min = self.settings.nlu.as_ref().map_or(0.0, |n| n.min_score);
                    self.result.matched_intent = top_intent(&scores, min).map(clip);
                    self.scored = true;
                    self.conclude()
                }
                Err(error) => self.errored(&format!("nlu scores: {error}")),
            },
            Stage::Finished => super::fail(already_finished()),
        }
    }

    /// Checks intent, entities and latency, then sets the status.
    fn conclude(&mut self) -> Step<EndpointCaseOutcome> {
        let outcome = &self.case.outcome;
        let mut reasons = Vec::new();
        if let Some(expected) = &self.result.expected_intent {
            let predicted = self.result.matched_intent.as_deref();
            self.result.intent_verified = predicted == Some(expected.as_str());
            if !self.result.intent_verified {
                reasons.push(format!(
                    "intent: expected {expected:?}, predicted {:?}",
                    predicted.unwrap_or(crate::aggregate::NO_INTENT)
                ));
            }
        }
        let (found, missing): (Vec<String>, Vec<String>) = self
            .result
            .entities_expected
            .iter()
            .cloned()
            .partition(|name| self.found_entities.contains(name));
        self.result.entities_extracted = found;
        if !missing.is_empty() {
            reasons.push(format!(
                "entities: missing {} at {:?} (found {})",
                missing.join(", "),
                self.settings.entities_path,
                if self.found_entities.is_empty() {
                    "none".to_owned()
                } else {
                    clip(&self.found_entities.join(", "))
                }
            ));
        }
        if self.result.over_budget() {
            reasons.push(format!(
                "latency: {} ms, over the {} ms allowed",
                self.result.latency_ms.unwrap_or(0.0).round(),
                outcome.allowed_latency_ms
            ));
        }
        for reason in reasons {
            let reason = self.settings.redactor.redact_str(&reason);
            self.result.add_reason(reason);
        }
        let verifies = outcome.expected_intent.is_some()
            || outcome.expected_response_contains.is_some()
            || outcome
                .expected_entities
                .as_ref()
                .is_some_and(|e| !e.is_empty());
        self.result.status = CaseStatus::from_checks(!self.result.reasons.is_empty(), verifies);
        self.finish()
    }

    fn retry(
        &mut self,
        error: &GuardError,
        retry_after_ms: Option<u64>,
        now: f64,
        random: f64,
    ) -> Step<EndpointCaseOutcome> {
        let what = match self.stage {
            Stage::Scores => "nlu scores",
            _ => "endpoint",
        };
        if self.retries >= MAX_REQUEST_RETRIES {
            let tries = self.retries.saturating_add(1);
            return self.errored(&format!("{what}: {error} (after {tries} attempts)"));
        }
        self.retries = self.retries.saturating_add(1);
        let wait = retry_after_ms
            .map(|ms| ms.min(MAX_RETRY_AFTER_MS))
            .unwrap_or_else(|| {
                backoff_ms(self.retries, CASE_BACKOFF_MS, CASE_MAX_BACKOFF_MS, random)
            });
        if now + wait as f64 >= self.deadline_at {
            return self.errored(&format!(
                "{what}: {error}; no time left for a retry before the run's deadline"
            ));
        }
        Step::Sleep { ms: wait }
    }
}

impl Machine for EndpointCase {
    type Output = EndpointCaseOutcome;

    fn start(&mut self, now: f64) -> Step<EndpointCaseOutcome> {
        match self.stage {
            Stage::Message => self.send(now),
            _ => super::fail(already_finished()),
        }
    }

    fn on_reply(&mut self, input: Input, now: f64, random: f64) -> Step<EndpointCaseOutcome> {
        if self.stage == Stage::Finished {
            return super::fail(already_finished());
        }
        match classify(input, now) {
            Verdict::Success {
                status,
                headers,
                body,
            } => self.answered(status, &headers, &body, now),
            Verdict::Transient {
                error,
                retry_after_ms,
            } => self.retry(&error, retry_after_ms, now, random),
            Verdict::Fatal(GuardError::Cancelled) => {
                self.stage = Stage::Finished;
                Step::Done(Err(GuardError::Cancelled))
            }
            Verdict::Fatal(error) => {
                let what = if self.stage == Stage::Scores {
                    "nlu scores"
                } else {
                    "endpoint"
                };
                self.errored(&format!("{what}: {error}"))
            }
        }
    }

    fn on_wake(&mut self, now: f64, _random: f64) -> Step<EndpointCaseOutcome> {
        if self.stage == Stage::Finished {
            return super::fail(already_finished());
        }
        self.send(now)
    }

    fn cancel(&mut self, _now: f64) -> Step<EndpointCaseOutcome> {
        self.stage = Stage::Finished;
        Step::Done(Err(GuardError::Cancelled))
    }

    fn request(
        &self,
        call: Call,
        credentials: Option<&Credentials>,
    ) -> Result<HttpRequest, GuardError> {
        let settings = &self.settings;
        match (call, &settings.nlu) {
            (Call::EndpointMessage, _) => endpoint_message(
                &settings.url,
                &settings.user_id,
                &self.session_id,
                Some(&self.case.input_text),
                Some(&Value::Object(self.case.context_variables.clone())),
            ),
            (Call::NluScores, Some(nlu)) => nlu_scores(
                &settings.base,
                require(credentials)?,
                &nlu.project_id,
                &nlu.flow_reference_id,
                &nlu.locale_reference_id,
                &self.case.input_text,
            ),
            _ => Err(GuardError::Config(format!(
                "an endpoint case does not send {call:?}"
            ))),
        }
    }

    fn redirect_scope(&self, call: Call) -> Option<String> {
        (call == Call::EndpointMessage).then(|| self.settings.url.as_str().to_owned())
    }

    fn deadline_at(&self) -> f64 {
        self.deadline_at
    }
}
