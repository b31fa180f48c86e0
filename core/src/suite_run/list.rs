//! A paged list read (`listPlaybooks`, `listSimulations`): one request per page, following each
//! page's cursor (cognigy-v2 `nextCursor`, Simulator `pagination.next`) until the list is read,
//! at most [`MAX_LIST_PAGES`] pages, on the run skeleton ([`Poller`]: retries of 408/429/5xx and
//! network errors within the deadline, abort).

use super::playbook::next_page_cursor;
use super::poll::{Timing, DEFAULT_PLAYBOOK_DEADLINE_MS};
use super::poller::{Answer, Ctx, Dialect, Next, Poller};
use super::{require, Call};
use crate::error::GuardError;
use crate::profile::cognigy_v2::{parse_index_page, playbooks_page};
use crate::profile::simulator::{parse_page, simulations_page};
use crate::profile::{BaseUrl, Credentials, HttpRequest};
use serde_json::Value;

/// Most pages read of one list.
pub const MAX_LIST_PAGES: u32 = 100;

/// Which list to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListKind {
    /// The tenant's playbooks (cognigy-v2).
    Playbooks,
    /// The Simulator scenarios of a project.
    Simulations {
        /// The project's id (1..=256 characters).
        project_id: String,
    },
}

impl ListKind {
    /// The scenarios of `project_id`; `CONFIG` unless it is a string of 1 to 256 characters.
    pub fn simulations(project_id: &Value) -> Result<Self, GuardError> {
        match project_id {
            Value::String(id) if !id.is_empty() && id.chars().count() <= 256 => {
                Ok(ListKind::Simulations {
                    project_id: id.clone(),
                })
            }
            _ => Err(GuardError::Config(
                "listSimulations needs projectId: a string of 1 to 256 characters".to_owned(),
            )),
        }
    }
}

/// The paged-list dialect of the run skeleton.
#[derive(Debug, Clone)]
pub struct ListDialect {
    base: BaseUrl,
    kind: ListKind,
    items: Vec<Value>,
    pages: u32,
    next: Option<String>,
}

/// The paged-list state machine (see the module documentation); its output is every item read.
pub type ListRun = Poller<ListDialect>;

impl Poller<ListDialect> {
    /// A read of `kind` under `base`, bounded by the runner's deadline (default: the playbook one).
    pub fn new(base: BaseUrl, kind: ListKind, timing: Timing) -> Self {
        let dialect = ListDialect {
            base,
            kind,
            items: Vec::new(),
            pages: 0,
            next: None,
        };
        Poller::from_dialect(
            dialect,
            timing,
            timing.deadline_or(DEFAULT_PLAYBOOK_DEADLINE_MS),
        )
    }
}

/// The only phase of a list read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reading;

impl Dialect for ListDialect {
    type Phase = Reading;
    type Output = Vec<Value>;

    fn first_phase(&self) -> Result<Reading, GuardError> {
        Ok(Reading)
    }

    fn call(&self, _phase: Reading) -> Call {
        match self.kind {
            ListKind::Playbooks => Call::Playbooks,
            ListKind::Simulations { .. } => Call::Simulations,
        }
    }

    fn polls(&self, _phase: Reading) -> bool {
        false
    }

    fn on_success(
        &mut self,
        _phase: Reading,
        answer: Answer<'_>,
        ctx: Ctx<'_>,
    ) -> Next<Reading, Vec<Value>> {
        let Answer {
            status,
            headers,
            body,
        } = answer;
        let page = match self.kind {
            ListKind::Playbooks => parse_index_page(status, headers, body, "playbook list")
                .map(|p| (p.items, p.total, p.next_cursor)),
            ListKind::Simulations { .. } => {
                parse_page(status, headers, body).map(|p| (p.items, None, p.next))
            }
        };
        let (items, total, next) = match page {
            Ok(page) => page,
            Err(error) => return Next::Retry(error),
        };
        ctx.pacing.answered();
        let got = items.len();
        self.items.extend(items);
        self.pages = self.pages.saturating_add(1);
        let next = next_page_cursor(got, self.items.len(), total, next, self.next.as_deref())
            .filter(|_| self.pages < MAX_LIST_PAGES);
        if next.is_some() {
            self.next = next;
            return Next::SendAgain;
        }
        Next::Done(Ok(std::mem::take(&mut self.items)))
    }

    fn refused(
        &mut self,
        _phase: Reading,
        error: GuardError,
        _ctx: Ctx<'_>,
    ) -> Next<Reading, Vec<Value>> {
        Next::Done(Err(error))
    }

    fn exhausted(
        &mut self,
        phase: Reading,
        error: GuardError,
        ctx: Ctx<'_>,
    ) -> Next<Reading, Vec<Value>> {
        self.refused(phase, error, ctx)
    }

    fn request(
        &self,
        call: Call,
        credentials: Option<&Credentials>,
    ) -> Result<HttpRequest, GuardError> {
        let credentials = require(credentials)?;
        match (call, &self.kind) {
            (Call::Playbooks, ListKind::Playbooks) => {
                playbooks_page(&self.base, credentials, self.next.as_deref())
            }
            (Call::Simulations, ListKind::Simulations { project_id }) => {
                simulations_page(&self.base, credentials, project_id, self.next.as_deref())
            }
            (other, _) => Err(GuardError::Config(format!(
                "a list read does not send {other:?}"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::Input;
    use crate::suite_run::testkit::{drive, ok, status};
    use serde_json::json;

    fn base() -> BaseUrl {
        BaseUrl::new("https://api.example.com", false).unwrap()
    }

    fn playbook_page(ids: &[&str], next: Option<&str>) -> Input {
        let items: Vec<Value> = ids
            .iter()
            .map(|id| json!({ "_id": id, "name": id }))
            .collect();
        ok(
            &json!({ "items": items, "total": 3, "nextCursor": next, "previousCursor": null })
                .to_string(),
        )
    }

    #[test]
    fn playbooks_follow_next_cursors_and_retry_transient_failures() {
        let mut run = ListRun::new(base(), ListKind::Playbooks, Timing::default());
        let replies = vec![
            playbook_page(&["a", "b"], Some("c2")),
            status(503),
            playbook_page(&["c"], Some("c3")),
        ];
        let (items, log) = drive(&mut run, 0.0, replies);
        let ids: Vec<_> = items.unwrap().iter().map(|p| p["_id"].clone()).collect();
        assert_eq!(ids, [json!("a"), json!("b"), json!("c")]);
        let urls: Vec<_> = log.requests.iter().map(|r| r.url().to_owned()).collect();
        assert_eq!(
            urls,
            [
                "https://api.example.com/new/v2.0/playbooks?limit=100",
                "https://api.example.com/new/v2.0/playbooks?limit=100&next=c2",
                "https://api.example.com/new/v2.0/playbooks?limit=100&next=c2",
            ],
            "the 503 is retried; all 3 of total 3 read: no request for c3"
        );
    }

    #[test]
    fn simulations_stop_at_a_repeated_cursor_and_refusals_end_the_read() {
        let kind = ListKind::simulations(&json!("proj 1")).unwrap();
        let page = |next: &str| {
            ok(
                &json!({ "data": [{ "referenceId": next }], "pagination": { "next": next } })
                    .to_string(),
            )
        };
        let mut run = ListRun::new(base(), kind.clone(), Timing::default());
        let (items, log) = drive(&mut run, 0.0, vec![page("n1"), page("n1")]);
        assert_eq!(items.unwrap().len(), 2);
        assert_eq!(
            log.requests.len(),
            2,
            "a server repeating its cursor would loop"
        );
        assert_eq!(
            log.requests[1].url(),
            "https://api.example.com/testing/simulations?projectId=proj%201&limit=100&next=n1"
        );
        let mut refused = ListRun::new(base(), kind, Timing::default());
        let (result, log) = drive(&mut refused, 0.0, vec![status(404)]);
        assert_eq!(result.unwrap_err().code(), crate::ErrorCode::Http);
        assert_eq!(log.requests.len(), 1);
        let mut bad = ListRun::new(base(), ListKind::Playbooks, Timing::default());
        let (result, _) = drive(&mut bad, 0.0, vec![ok("{}"), ok("{}"), ok("{}"), ok("{}")]);
        assert!(result.is_err(), "a page without items is a bad response");
        for project in [json!(""), json!(7), Value::Null] {
            assert!(ListKind::simulations(&project).is_err());
        }
    }
}
