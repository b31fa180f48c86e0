use super::*;
use crate::auth::AuthConfig;
use crate::profile::{ApiProfile, BaseUrl, HttpRequest};
use serde_json::json;

/// Sends `call` once (or `sends` times) and ends with the last input it got.
struct Probe {
    call: Call,
    sends: u32,
    inputs: Vec<Input>,
}

impl Probe {
    fn new(call: Call) -> Self {
        Probe {
            call,
            sends: 1,
            inputs: Vec::new(),
        }
    }
}

impl Machine for Probe {
    type Output = Vec<Input>;

    fn start(&mut self, _now: f64) -> Step<Vec<Input>> {
        Step::Send {
            call: self.call,
            timeout_ms: 1_000,
        }
    }

    fn on_reply(&mut self, input: Input, _now: f64, _random: f64) -> Step<Vec<Input>> {
        self.inputs.push(input);
        if (self.inputs.len() as u32) < self.sends {
            return self.start(0.0);
        }
        Step::Done(Ok(std::mem::take(&mut self.inputs)))
    }

    fn on_wake(&mut self, now: f64, _random: f64) -> Step<Vec<Input>> {
        self.start(now)
    }

    fn cancel(&mut self, _now: f64) -> Step<Vec<Input>> {
        Step::Done(Err(GuardError::Cancelled))
    }

    fn request(
        &self,
        _call: Call,
        credentials: Option<&Credentials>,
    ) -> Result<HttpRequest, GuardError> {
        let base = BaseUrl::new("https://api.example.com/t1", false).unwrap();
        match credentials {
            Some(c) => crate::profile::seed_v1::execution_status(&base, c, "e1"),
            None => crate::profile::webhook::ci_webhook(
                &crate::profile::TargetUrl::new("https://ci.example.com/h", false).unwrap(),
                &json!({}),
                "k",
            ),
        }
    }
}

fn authority(auth: serde_json::Value) -> SharedAuthority {
    let base = BaseUrl::new("https://api.example.com/t1", false).unwrap();
    let config = AuthConfig::from_json(&auth, &[], false).unwrap();
    Rc::new(RefCell::new(Authority::new(
        ApiProfile::CognigyV2,
        base,
        config,
    )))
}

fn oauth() -> SharedAuthority {
    authority(json!({"clientId": "c1", "clientSecret": "s3cret-value"}))
}

fn answer(status: u16, body: &str) -> Event {
    Event::Response {
        status,
        headers: Vec::new(),
        body: body.to_owned(),
    }
}

const TOKEN: &str = r#"{"access_token":"tok-abcdef","token_type":"Bearer","expires_in":3600}"#;

fn header<'a>(op: &'a Operation<Probe>, name: &str) -> Option<&'a str> {
    op.exchange().and_then(|e| e.request.header(name))
}

#[test]
fn an_api_key_request_is_sent_at_once_and_follows_redirects_only_under_the_base() {
    let mut op = Operation::new(
        Probe::new(Call::Task),
        Some(authority(json!({"apiKey": "key-1234"}))),
    );
    assert_eq!(op.advance(Event::Start, 0.0, 0.5), Action::Send);
    let exchange = op.exchange().unwrap();
    assert_eq!(exchange.request.header("X-API-Key"), Some("key-1234"));
    assert_eq!(
        exchange.redirects,
        Redirects::Within("https://api.example.com/t1/".into())
    );
    assert_eq!(exchange.timeout_ms, 1_000);
    assert!(!exchange.shared);
    assert_eq!(op.advance(answer(401, ""), 5.0, 0.5), Action::Done);
    let inputs = op.take_output().unwrap().unwrap();
    assert!(matches!(inputs[..], [Input::Response { status: 401, .. }]));
}

#[test]
fn a_call_without_credentials_carries_none_and_may_follow_redirects() {
    let mut op = Operation::new(Probe::new(Call::CiWebhook), Some(oauth()));
    assert_eq!(op.advance(Event::Start, 0.0, 0.5), Action::Send);
    let exchange = op.exchange().unwrap();
    assert_eq!(exchange.redirects, Redirects::Follow);
    assert!(exchange.request.header("Authorization").is_none());
    assert_eq!(exchange.request.url(), "https://ci.example.com/h");
}

#[test]
fn the_token_is_fetched_once_then_shared_by_later_operations() {
    let auth = oauth();
    let mut first = Operation::new(Probe::new(Call::Task), Some(Rc::clone(&auth)));
    assert_eq!(first.advance(Event::Start, 0.0, 0.5), Action::Send);
    let token = first.exchange().unwrap();
    assert!(token.shared);
    assert_eq!(token.redirects, Redirects::Never);
    assert!(token.request.url().ends_with("/auth/oauth2/token"));
    assert!(token
        .request
        .body()
        .unwrap()
        .contains("client_secret=s3cret-value"));
    assert_eq!(first.advance(answer(200, TOKEN), 100.0, 0.5), Action::Send);
    assert_eq!(header(&first, "Authorization"), Some("Bearer tok-abcdef"));
    assert_eq!(first.exchange().unwrap().timeout_ms, 900);

    let mut second = Operation::new(Probe::new(Call::Task), Some(auth));
    assert_eq!(second.advance(Event::Start, 200.0, 0.5), Action::Send);
    assert_eq!(header(&second, "Authorization"), Some("Bearer tok-abcdef"));
}

#[test]
fn a_401_refreshes_the_token_and_retries_once() {
    let mut op = Operation::new(Probe::new(Call::Task), Some(oauth()));
    op.advance(Event::Start, 0.0, 0.5);
    op.advance(answer(200, TOKEN), 1.0, 0.5);
    assert_eq!(op.advance(answer(401, ""), 2.0, 0.5), Action::Send);
    assert!(op.exchange().unwrap().shared, "a new token request");
    let fresh = TOKEN.replace("tok-abcdef", "tok-fresh1");
    assert_eq!(op.advance(answer(200, &fresh), 3.0, 0.5), Action::Send);
    assert_eq!(header(&op, "Authorization"), Some("Bearer tok-fresh1"));
    assert_eq!(op.advance(answer(401, ""), 4.0, 0.5), Action::Done);
    let inputs = op.take_output().unwrap().unwrap();
    assert!(matches!(inputs[..], [Input::Response { status: 401, .. }]));
}

#[test]
fn a_refused_token_request_reaches_the_machine_as_auth_without_the_secret() {
    let mut op = Operation::new(Probe::new(Call::Task), Some(oauth()));
    op.advance(Event::Start, 0.0, 0.5);
    let echo = r#"{"error":"invalid_client","error_description":"bad secret s3cret-value"}"#;
    assert_eq!(op.advance(answer(401, echo), 1.0, 0.5), Action::Done);
    let inputs = op.take_output().unwrap().unwrap();
    let [Input::Failed(error)] = &inputs[..] else {
        panic!("{inputs:?}")
    };
    assert_eq!(error.code(), crate::ErrorCode::Auth);
    assert!(!error.to_string().contains("s3cret-value"), "{error}");
}

#[test]
fn the_token_request_and_the_request_share_one_budget() {
    let mut op = Operation::new(Probe::new(Call::Task), Some(oauth()));
    op.advance(Event::Start, 0.0, 0.5);
    assert_eq!(op.exchange().unwrap().timeout_ms, 1_000);
    assert_eq!(op.advance(answer(200, TOKEN), 1_000.0, 0.5), Action::Done);
    let inputs = op.take_output().unwrap().unwrap();
    assert!(
        matches!(&inputs[..], [Input::Failed(e)] if e.code() == crate::ErrorCode::Timeout),
        "{inputs:?}"
    );
}

#[test]
fn driver_failures_reach_the_machine_as_errors() {
    let mut op = Operation::new(
        Probe::new(Call::Task),
        Some(authority(json!({"apiKey": "key-1234"}))),
    );
    op.advance(Event::Start, 0.0, 0.5);
    op.advance(Event::Failed(Failure::TooLarge), 1.0, 0.5);
    let inputs = op.take_output().unwrap().unwrap();
    let [Input::Failed(error)] = &inputs[..] else {
        panic!("{inputs:?}")
    };
    assert_eq!(error.fields().reason, Some("TOO_LARGE"));
}

#[test]
fn a_cancel_ends_the_machine_and_later_events_change_nothing() {
    let mut op = Operation::new(Probe::new(Call::Task), Some(oauth()));
    op.advance(Event::Start, 0.0, 0.5);
    assert_eq!(op.advance(Event::Cancel, 1.0, 0.5), Action::Done);
    assert_eq!(op.take_output(), Some(Err(GuardError::Cancelled)));
    assert_eq!(op.advance(answer(200, TOKEN), 2.0, 0.5), Action::Done);
    assert_eq!(op.advance(Event::Woke, 3.0, 0.5), Action::Done);
}

#[test]
fn an_answer_with_nothing_out_goes_to_the_machine() {
    let mut op = Operation::new(Probe::new(Call::Task), None);
    assert_eq!(op.advance(answer(200, "{}"), 0.0, 0.5), Action::Done);
    assert!(op.take_output().unwrap().is_ok());
}
