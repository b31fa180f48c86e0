//! Talking to a bot directly: a Cognigy REST Endpoint message (`POST {endpointUrl}`
//! `{ userId, sessionId, text, data }`) and NLU scores (`POST {base}/new/v2.0/projects/{projectId}/
//! nlu/scores`). See `docs/WIRE.md` ("REST Endpoint and NLU scores").
//!
//! The endpoint URL is a secret (its path holds the URL token): it is taken as a [`SecretUrl`], and
//! nothing here puts it in an error; the requests' `Debug` output shows only its origin.

use super::problem::clip;
use super::request::{Credentials, HttpRequest};
use super::url::{path_segment, BaseUrl, SecretUrl};
use super::{parse_json_answer, parse_object_answer, str_member};
use crate::error::GuardError;
use serde::Serialize;
use serde_json::{Map, Value};

/// Most texts kept from one answer (`text` plus the `outputStack` texts).
pub const MAX_ANSWER_TEXTS: usize = 100;
/// Most entity names read at `entitiesPath`.
pub const MAX_ENTITY_NAMES: usize = 200;
/// Most intent scores read from one NLU answer.
pub const MAX_SCORES: usize = 1000;
/// Longest user or session id accepted.
const MAX_ID_CHARS: usize = 256;

/// `POST {endpointUrl}` with body `{ userId, sessionId, text?, data? }`: at least one of `text` and
/// `data`, `data` an object, both ids non-empty (at most 256 characters); otherwise a
/// [`GuardError::Config`]. No credentials header: the URL token authorizes the message.
pub fn endpoint_message(
    url: &SecretUrl,
    user_id: &str,
    session_id: &str,
    text: Option<&str>,
    data: Option<&Value>,
) -> Result<HttpRequest, GuardError> {
    for (name, id) in [("userId", user_id), ("sessionId", session_id)] {
        if id.is_empty() || id.chars().count() > MAX_ID_CHARS {
            return Err(GuardError::Config(format!(
                "{name} must be 1 to {MAX_ID_CHARS} characters"
            )));
        }
    }
    if text.is_none() && data.is_none() {
        return Err(GuardError::Config(
            "an endpoint message needs text or data".to_owned(),
        ));
    }
    let mut body = Map::new();
    body.insert("userId".to_owned(), Value::from(user_id));
    body.insert("sessionId".to_owned(), Value::from(session_id));
    if let Some(text) = text {
        body.insert("text".to_owned(), Value::from(text));
    }
    match data {
        Some(data @ Value::Object(_)) => {
            body.insert("data".to_owned(), data.clone());
        }
        Some(_) => {
            return Err(GuardError::Config(
                "the data of an endpoint message must be an object".to_owned(),
            ))
        }
        None => {}
    }
    Ok(HttpRequest::post_json_secret(url, &Value::Object(body)))
}

/// What a REST Endpoint answered to one message.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EndpointAnswer {
    /// The answer's `text` (all outputs joined) and then each `outputStack[].text`, non-empty ones
    /// only, at most [`MAX_ANSWER_TEXTS`].
    pub texts: Vec<String>,
    /// The answer's `data` (`null` when it is not an object).
    pub data: Value,
    /// The `sessionId` the endpoint answered for, when it said.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
}

impl EndpointAnswer {
    /// Whether one of the texts contains `fragment` (case-insensitive; Unicode lower case).
    pub fn contains(&self, fragment: &str) -> bool {
        let wanted = fragment.to_lowercase();
        self.texts
            .iter()
            .any(|text| text.to_lowercase().contains(&wanted))
    }

    /// The entity names found at `path` in [`EndpointAnswer::data`] (see [`entities_at`]).
    pub fn entities(&self, path: &str) -> Vec<String> {
        entities_at(&self.data, path)
    }
}

/// Reads `{ text, data, outputStack: [{ text, data, source }], userId, sessionId }`. A non-2xx status
/// is the error [`super::parse_error`] describes; a body that is not a JSON object is a
/// [`GuardError::BadResponse`]. Missing members are empty.
pub fn parse_endpoint_answer(
    status: u16,
    headers: &[(String, String)],
    body: &str,
) -> Result<EndpointAnswer, GuardError> {
    let answer = parse_object_answer(status, headers, body, "endpoint answer")?;
    let outputs = answer
        .get("outputStack")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|output| output.as_object().and_then(|o| str_member(o, "text")));
    let texts = str_member(&answer, "text")
        .into_iter()
        .chain(outputs)
        .filter(|text| !text.trim().is_empty())
        .take(MAX_ANSWER_TEXTS)
        .map(str::to_owned)
        .collect();
    let data = match answer.get("data") {
        Some(data @ Value::Object(_)) => data.clone(),
        _ => Value::Null,
    };
    Ok(EndpointAnswer {
        texts,
        data,
        session_id: str_member(&answer, "sessionId").map(clip),
    })
}

/// The entity names at the dot-separated `path` of `data` (`"slots"`, `"cognigy.slots"`; an empty
/// path is `data` itself): the keys of an object whose values are not `null`, `false` or `""`, or
/// the strings of an array (and the `name` of its objects). Object keys come sorted by name, array
/// names in their order; without repeats, each clipped to 300 characters, at most
/// [`MAX_ENTITY_NAMES`]. Nothing at `path` is no names.
pub fn entities_at(data: &Value, path: &str) -> Vec<String> {
    let found = path
        .split('.')
        .filter(|key| !key.is_empty())
        .try_fold(data, |value, key| value.get(key));
    let names: Box<dyn Iterator<Item = &str>> = match found {
        Some(Value::Object(object)) => Box::new(
            object
                .iter()
                .filter(|(_, value)| !matches!(value, Value::Null | Value::Bool(false)))
                .filter(|(_, value)| value.as_str() != Some(""))
                .map(|(key, _)| key.as_str()),
        ),
        Some(Value::Array(items)) => Box::new(items.iter().filter_map(|item| match item {
            Value::String(name) => Some(name.as_str()),
            Value::Object(object) => str_member(object, "name"),
            _ => None,
        })),
        _ => Box::new(std::iter::empty()),
    };
    let mut out: Vec<String> = Vec::new();
    for name in names.filter(|name| !name.is_empty()) {
        let name = clip(name);
        if out.len() >= MAX_ENTITY_NAMES {
            break;
        }
        if !out.contains(&name) {
            out.push(name);
        }
    }
    out
}

/// `POST {base}/new/v2.0/projects/{projectId}/nlu/scores` with body `{ flowReferenceId,
/// localeReferenceId, sentence }` (the ids non-empty, else a [`GuardError::Config`]).
pub fn nlu_scores(
    base: &BaseUrl,
    credentials: &Credentials,
    project_id: &str,
    flow_reference_id: &str,
    locale_reference_id: &str,
    sentence: &str,
) -> Result<HttpRequest, GuardError> {
    let project = path_segment("projectId", project_id)?;
    for (name, value) in [
        ("flowReferenceId", flow_reference_id),
        ("localeReferenceId", locale_reference_id),
    ] {
        if value.is_empty() {
            return Err(GuardError::Config(format!("{name} must not be empty")));
        }
    }
    let url = base.join(&format!("/new/v2.0/projects/{project}/nlu/scores"));
    let body = serde_json::json!({
        "flowReferenceId": flow_reference_id,
        "localeReferenceId": locale_reference_id,
        "sentence": sentence,
    });
    HttpRequest::post_json(url, &body).authorized(credentials)
}

/// One intent's NLU score.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IntentScore {
    /// The intent's id, when the answer gave one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The intent's name (clipped to 300 characters).
    pub name: String,
    /// Its score.
    pub score: f64,
    /// Whether the platform marked the match negated.
    pub negated: bool,
}

/// Reads `{ scores: [{ id, name, score, negated, flow, ... }] }` or a bare array of them; entries
/// without a string `name` or a finite numeric `score` are skipped (at most [`MAX_SCORES`] read).
/// Anything else is a [`GuardError::BadResponse`].
pub fn parse_nlu_scores(
    status: u16,
    headers: &[(String, String)],
    body: &str,
) -> Result<Vec<IntentScore>, GuardError> {
    let answer = parse_json_answer(status, headers, body)?;
    let entries = match &answer {
        Value::Array(entries) => entries,
        Value::Object(object) => object
            .get("scores")
            .and_then(Value::as_array)
            .ok_or_else(|| GuardError::BadResponse("NLU scores: no scores array".to_owned()))?,
        _ => {
            return Err(GuardError::BadResponse(
                "NLU scores: expected an object or an array".to_owned(),
            ))
        }
    };
    Ok(entries
        .iter()
        .take(MAX_SCORES)
        .filter_map(Value::as_object)
        .filter_map(|entry| {
            let name = str_member(entry, "name")?;
            let score = entry
                .get("score")
                .and_then(Value::as_f64)
                .filter(|s| s.is_finite())?;
            Some(IntentScore {
                id: str_member(entry, "id").map(clip),
                name: clip(name),
                score,
                negated: entry
                    .get("negated")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
            })
        })
        .collect())
}

/// The predicted intent: the name of the highest score that is not negated (the first of equal
/// ones), or `None` when there is none or it is below `min_score` (the report calls that `none`).
pub fn top_intent(scores: &[IntentScore], min_score: f64) -> Option<&str> {
    scores
        .iter()
        .filter(|s| !s.negated)
        .fold(None, |best: Option<&IntentScore>, s| match best {
            Some(b) if b.score >= s.score => Some(b),
            _ => Some(s),
        })
        .filter(|s| s.score >= min_score)
        .map(|s| s.name.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::Method;
    use crate::ErrorCode;
    use serde_json::json;

    const TOKEN: &str = "0a1b2c3d4e5f6a7b8c9dTOKEN";

    fn endpoint() -> SecretUrl {
        SecretUrl::new(&format!("https://endpoint-trial.cognigy.ai/{TOKEN}"), false).unwrap()
    }

    fn base() -> BaseUrl {
        BaseUrl::new("https://api-trial.cognigy.ai", false).unwrap()
    }

    #[test]
    fn endpoint_messages_and_their_refusals() {
        let data = json!({ "channel": "ci" });
        let req = endpoint_message(&endpoint(), "u1", "s-1", Some("hi"), Some(&data)).unwrap();
        assert_eq!(req.method(), Method::Post);
        assert_eq!(
            req.url(),
            format!("https://endpoint-trial.cognigy.ai/{TOKEN}")
        );
        assert_eq!(req.header("Content-Type"), Some("application/json"));
        assert_eq!(req.header("X-API-Key"), None);
        let body: Value = serde_json::from_str(req.body().unwrap()).unwrap();
        assert_eq!(
            body,
            json!({ "userId": "u1", "sessionId": "s-1", "text": "hi", "data": { "channel": "ci" } })
        );
        let debug = format!("{req:?}");
        assert!(!debug.contains(TOKEN), "{debug}");
        assert!(debug.contains("https://endpoint-trial.cognigy.ai…"));
        let text_only = endpoint_message(&endpoint(), "u", "s", Some(""), None).unwrap();
        let body: Value = serde_json::from_str(text_only.body().unwrap()).unwrap();
        assert_eq!(body, json!({ "userId": "u", "sessionId": "s", "text": "" }));

        let long = "x".repeat(257);
        for (user, session, text, data) in [
            ("", "s", Some("t"), None),
            ("u", "", Some("t"), None),
            (long.as_str(), "s", Some("t"), None),
            ("u", "s", None, None),
            ("u", "s", None, Some(json!([1]))),
        ] {
            let err =
                endpoint_message(&endpoint(), user, session, text, data.as_ref()).unwrap_err();
            assert_eq!(err.code(), ErrorCode::Config);
            assert!(!err.to_string().contains(TOKEN));
        }
    }

    #[test]
    fn endpoint_answers_give_texts_data_and_entities() {
        let answer = parse_endpoint_answer(
            200,
            &[],
            &json!({
                "text": "Great, a large pizza. Anything else?",
                "data": { "slots": { "size": "large", "city": null, "crust": "", "extra": false, "n": 0 },
                          "cognigy": { "entities": ["date", { "name": "time" }, 3, "date"] } },
                "outputStack": [ { "text": "Great, a large pizza.", "data": {}, "source": "bot" },
                                 { "text": " ", "source": "bot" }, { "data": {} }, 7,
                                 { "text": "Anything ELSE?", "source": "bot" } ],
                "userId": "u", "sessionId": "s1"
            })
            .to_string(),
        )
        .unwrap();
        assert_eq!(answer.texts.len(), 3);
        assert!(answer.contains("anything else"));
        assert!(!answer.contains("pepperoni"));
        assert_eq!(answer.entities("slots"), ["n", "size"]);
        assert_eq!(answer.entities("cognigy.entities"), ["date", "time"]);
        assert!(answer.entities("missing.path").is_empty());
        assert!(answer.entities("slots.size").is_empty());
        assert_eq!(answer.session_id.as_deref(), Some("s1"));
        assert_eq!(entities_at(&json!({ "a": 1 }), ""), ["a"]);

        let bare = parse_endpoint_answer(200, &[], r#"{"data":[1]}"#).unwrap();
        assert_eq!((bare.texts.len(), bare.data.clone()), (0, Value::Null));
        for (status, body, code) in [
            (200, "[]", ErrorCode::BadResponse),
            (200, "{", ErrorCode::BadResponse),
            (404, r#"{"error":"not found"}"#, ErrorCode::Http),
            (429, "", ErrorCode::RateLimited),
        ] {
            assert_eq!(
                parse_endpoint_answer(status, &[], body).unwrap_err().code(),
                code
            );
        }
    }

    #[test]
    fn nlu_score_requests_and_answers() {
        let key = Credentials::ApiKey("k".into());
        let req = nlu_scores(&base(), &key, "p 1", "flow-ref", "loc-ref", "I want pizza").unwrap();
        assert_eq!(
            req.url(),
            "https://api-trial.cognigy.ai/new/v2.0/projects/p%201/nlu/scores"
        );
        assert_eq!(req.header("X-API-Key"), Some("k"));
        let body: Value = serde_json::from_str(req.body().unwrap()).unwrap();
        assert_eq!(
            body,
            json!({ "flowReferenceId": "flow-ref", "localeReferenceId": "loc-ref", "sentence": "I want pizza" })
        );
        for (p, f, l) in [("", "f", "l"), ("p", "", "l"), ("p", "f", "")] {
            assert_eq!(
                nlu_scores(&base(), &key, p, f, l, "s").unwrap_err().code(),
                ErrorCode::Config
            );
        }

        let scores = parse_nlu_scores(
            200,
            &[],
            r#"{"scores":[{"id":"1","name":"greeting","score":0.2,"negated":false,"flow":"f"},
                {"name":"orderPizza","score":0.91},{"name":"refund","score":0.95,"negated":true},
                {"name":"x"},{"score":0.99},3]}"#,
        )
        .unwrap();
        assert_eq!(scores.len(), 3);
        assert_eq!(scores[0].id.as_deref(), Some("1"));
        assert_eq!(top_intent(&scores, 0.5), Some("orderPizza"));
        assert_eq!(top_intent(&scores, 0.95), None);
        assert_eq!(top_intent(&[], 0.0), None);
        let bare = parse_nlu_scores(
            200,
            &[],
            r#"[{"name":"a","score":0.5},{"name":"b","score":0.5}]"#,
        )
        .unwrap();
        assert_eq!(top_intent(&bare, 0.5), Some("a"));
        for body in [r#"{"items":[]}"#, "7", ""] {
            assert_eq!(
                parse_nlu_scores(200, &[], body).unwrap_err().code(),
                ErrorCode::BadResponse,
                "{body}"
            );
        }
        assert_eq!(
            parse_nlu_scores(401, &[], "").unwrap_err().code(),
            ErrorCode::Auth
        );
    }

    proptest::proptest! {
        #[test]
        fn endpoint_parsers_never_panic(status in 0u16..700, body in ".{0,200}", path in "[a-z.]{0,12}") {
            if let Ok(answer) = parse_endpoint_answer(status, &[], &body) {
                let _ = answer.entities(&path);
            }
            if let Ok(scores) = parse_nlu_scores(status, &[], &body) {
                let _ = top_intent(&scores, 0.5);
            }
        }

        #[test]
        fn the_top_intent_has_the_highest_unnegated_score(
            raw in proptest::collection::vec((0u8..5, 0.0f64..1.0, proptest::bool::ANY), 0..12),
            min in 0.0f64..1.0,
        ) {
            let scores: Vec<IntentScore> = raw.iter().map(|(n, score, negated)| IntentScore {
                id: None, name: format!("i{n}"), score: *score, negated: *negated,
            }).collect();
            let best = scores.iter().filter(|s| !s.negated).map(|s| s.score).fold(f64::NEG_INFINITY, f64::max);
            match top_intent(&scores, min) {
                Some(name) => {
                    proptest::prop_assert!(best >= min);
                    proptest::prop_assert!(scores.iter().any(|s| !s.negated && s.name == name && s.score == best));
                }
                None => proptest::prop_assert!(best < min),
            }
        }
    }
}
