use super::*;
use crate::auth::{AuthConfig, Authority};
use crate::breaker::config::BreakerConfig;
use crate::guard::{CallOptions, EngineConfig, Source};
use crate::profile::custom::{custom_request, CustomRequest};
use crate::profile::ApiProfile;
use crate::protocol::exchange::Redirects;
use crate::protocol::operation::{Action, Event, Operation, SharedAuthority};
use crate::redact::Redactor;

const T0: f64 = 1_700_000_000_000.0;

fn engine() -> SharedEngine {
    let config = EngineConfig {
        breaker: BreakerConfig::from_json(&json!({})).unwrap(),
        cache_ttl_ms: 300_000,
        cache_max_entries: 100,
        deadline_ms: 20_000,
        outbox_prefix: "t".into(),
        seed: 7,
    };
    Rc::new(RefCell::new(
        GuardEngine::new(config, Redactor::new(vec![])).unwrap(),
    ))
}

fn base() -> BaseUrl {
    BaseUrl::new("https://api.example.com", false).unwrap()
}

fn policy() -> TimeoutConfig {
    TimeoutConfig {
        endpoint_id: "weather".into(),
        max_wait_time_ms: 4_000,
        sla_threshold_ms: 2_000,
        fallback_template: serde_json::Map::new(),
        retry_attempts: 2,
        backoff_ms: 500,
    }
}

fn oauth() -> SharedAuthority {
    let config = AuthConfig::from_json(
        &json!({"clientId": "c", "clientSecret": "s3cret"}),
        &[],
        false,
    )
    .unwrap();
    Rc::new(RefCell::new(Authority::new(
        ApiProfile::SeedV1,
        base(),
        config,
    )))
}

fn answer(status: u16, headers: &[(&str, &str)], body: &str) -> Event {
    Event::Response {
        status,
        headers: headers
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        body: body.to_owned(),
    }
}

const TOKEN: &str = r#"{"access_token":"tok-1","token_type":"Bearer","expires_in":3600}"#;

#[test]
fn configure_puts_retries_a_429_then_registers() {
    let engine = engine();
    let op = ConfigureOp::new(Rc::clone(&engine), base(), policy(), json!([]), true);
    let mut op = Operation::new(op, Some(oauth()));
    assert_eq!(op.advance(Event::Start, T0, 0.5), Action::Send);
    assert_eq!(op.advance(answer(200, &[], TOKEN), T0, 0.5), Action::Send);
    assert_eq!(op.exchange().unwrap().request.method().as_str(), "PUT");
    assert_eq!(
        op.advance(answer(429, &[("retry-after", "1")], ""), T0 + 1.0, 0.5),
        Action::Sleep(1_000)
    );
    assert_eq!(op.advance(Event::Woke, T0 + 1_001.0, 0.5), Action::Send);
    let done = op.advance(
        answer(200, &[], r#"{"status":"configured"}"#),
        T0 + 1_002.0,
        0.5,
    );
    assert_eq!(done, Action::Done);
    let out = op.take_output().unwrap().unwrap();
    assert_eq!(out["endpointId"], "weather");
    assert_eq!(out["remote"]["status"], "configured");
    assert!(engine.borrow().policy("weather").is_ok());
}

#[test]
fn configure_refused_is_auth_audited_and_registers_nothing() {
    let engine = engine();
    let op = ConfigureOp::new(Rc::clone(&engine), base(), policy(), json!([]), true);
    let mut op = Operation::new(op, Some(oauth()));
    op.advance(Event::Start, T0, 0.5);
    op.advance(answer(200, &[], TOKEN), T0, 0.5);
    op.advance(answer(403, &[], ""), T0 + 1.0, 0.5);
    let err = op.take_output().unwrap().unwrap_err();
    assert_eq!(err.code(), crate::ErrorCode::Auth);
    assert!(engine.borrow().policy("weather").is_err());
    assert!(engine
        .borrow()
        .audit_log()
        .iter()
        .any(|r| r.event_type == "auth_failure"));
}

#[test]
fn configure_whose_token_or_put_fails_in_transit_is_network_not_auth() {
    use crate::protocol::exchange::Failure;
    // The token request is refused (the first exchange), then the PUT itself after a token.
    for token_ok in [false, true] {
        let engine = engine();
        let op = ConfigureOp::new(Rc::clone(&engine), base(), policy(), json!([]), true);
        let mut op = Operation::new(op, Some(oauth()));
        assert_eq!(op.advance(Event::Start, T0, 0.5), Action::Send);
        if token_ok {
            assert_eq!(op.advance(answer(200, &[], TOKEN), T0, 0.5), Action::Send);
        }
        let refused = Event::Failed(Failure::Network("connect ECONNREFUSED".into()));
        assert_eq!(op.advance(refused, T0 + 1.0, 0.5), Action::Done);
        let err = op.take_output().unwrap().unwrap_err();
        assert_eq!(err.code(), crate::ErrorCode::Network, "{err:?}");
        assert!(engine.borrow().policy("weather").is_err());
        assert!(!engine
            .borrow()
            .audit_log()
            .iter()
            .any(|r| r.event_type == "auth_failure"));
    }
}

#[test]
fn configure_without_remote_registers_at_once() {
    let engine = engine();
    let op = ConfigureOp::new(Rc::clone(&engine), base(), policy(), json!([]), false);
    let mut op = Operation::new(op, None);
    assert_eq!(op.advance(Event::Start, T0, 0.5), Action::Done);
    assert_eq!(op.take_output().unwrap().unwrap()["remote"], Value::Null);
}

fn guarded(engine: &SharedEngine, url: &str) -> GuardedOp {
    let spec = CustomRequest {
        url: url.into(),
        ..CustomRequest::default()
    };
    let resolved = custom_request(&spec, &base(), false).unwrap();
    let call = GuardedCall::new(
        &mut engine.borrow_mut(),
        "weather",
        CallOptions::default(),
        T0,
    )
    .unwrap();
    let target = Target::Custom {
        request: resolved.request,
        targets_api: resolved.targets_api,
    };
    GuardedOp::new(Rc::clone(engine), call, target, true, 1024)
}

#[test]
fn a_guarded_call_sends_credentials_only_to_the_api_and_degrades_on_a_huge_body() {
    let engine = engine();
    engine.borrow_mut().configure(policy(), T0).unwrap();
    let mut op = Operation::new(
        guarded(&engine, "https://weather.example.com/x"),
        Some(oauth()),
    );
    assert_eq!(op.advance(Event::Start, T0, 0.5), Action::Send);
    let exchange = op.exchange().unwrap();
    assert!(exchange.request.header("Authorization").is_none());
    assert_eq!(exchange.redirects, Redirects::Follow);
    assert_eq!(exchange.max_body_bytes, 1024);
    let mut action = op.advance(
        Event::Failed(crate::protocol::exchange::Failure::TooLarge),
        T0 + 5.0,
        0.5,
    );
    let mut now = T0 + 5.0;
    for _ in 0..10 {
        action = match action {
            Action::Sleep(ms) => {
                now += ms as f64;
                op.advance(Event::Woke, now, 0.5)
            }
            Action::Send => {
                now += 5.0;
                let too_large = crate::protocol::exchange::Failure::TooLarge;
                op.advance(Event::Failed(too_large), now, 0.5)
            }
            Action::Done => break,
        };
    }
    let result = op.take_output().unwrap().unwrap();
    assert_eq!((result.source, result.degraded), (Source::Fallback, true));
    assert_eq!(result.error.unwrap().code, "BAD_RESPONSE");

    let engine = self::engine();
    engine.borrow_mut().configure(policy(), T0).unwrap();
    let mut op = Operation::new(guarded(&engine, "/ext/weather"), Some(oauth()));
    op.advance(Event::Start, T0, 0.5);
    assert!(op.exchange().unwrap().shared, "token first");
    op.advance(answer(200, &[], TOKEN), T0, 0.5);
    let exchange = op.exchange().unwrap();
    assert_eq!(
        exchange.request.header("Authorization"),
        Some("Bearer tok-1")
    );
    assert_eq!(
        exchange.redirects,
        Redirects::Within("https://api.example.com/".into())
    );
}

#[test]
fn sync_delivers_batches_and_keeps_them_on_failure() {
    let engine = engine();
    engine.borrow_mut().configure(policy(), T0).unwrap();
    let mut op = Operation::new(guarded(&engine, "https://weather.example.com/x"), None);
    let mut action = op.advance(Event::Start, T0, 0.5);
    while action != Action::Done {
        action = match action {
            Action::Sleep(_) => op.advance(Event::Woke, T0 + 1.0, 0.5),
            _ => op.advance(
                Event::Failed(crate::protocol::exchange::Failure::Timeout),
                T0 + 1.0,
                0.5,
            ),
        };
    }
    let pending = engine.borrow().outbox_pending();
    assert!(pending > 0);
    let webhook = BaseUrl::new("https://dash.example.com", false).unwrap();
    let headers = vec![("Authorization".to_owned(), "Bearer dash".to_owned())];
    let sync = SyncOp::new(Rc::clone(&engine), webhook.clone(), headers.clone());
    let mut op = Operation::new(sync, None);
    assert_eq!(op.advance(Event::Start, T0, 0.5), Action::Send);
    let exchange = op.exchange().unwrap();
    assert_eq!(
        exchange.request.header("Authorization"),
        Some("Bearer dash")
    );
    assert_eq!(
        exchange.redirects,
        Redirects::Within("https://dash.example.com/".into())
    );
    op.advance(answer(503, &[], ""), T0 + 1.0, 0.5);
    let out = op.take_output().unwrap().unwrap();
    assert_eq!(
        (out["ok"].clone(), out["delivered"].clone()),
        (json!(false), json!(0))
    );
    assert_eq!(engine.borrow().outbox_pending(), pending);

    let mut op = Operation::new(SyncOp::new(Rc::clone(&engine), webhook, headers), None);
    op.advance(Event::Start, T0, 0.5);
    assert_eq!(
        op.advance(answer(202, &[], ""), T0 + 1.0, 0.5),
        Action::Done
    );
    let out = op.take_output().unwrap().unwrap();
    assert_eq!(out["delivered"], json!(pending));
    assert_eq!(engine.borrow().outbox_pending(), 0);
}
