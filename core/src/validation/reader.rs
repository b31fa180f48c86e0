//! Shared machinery of the validators: an issue collector that tracks the current path as a cheap
//! segment stack (formatted only when an issue is reported), a field table reader that resolves
//! camelCase/snake_case aliases, and readers for the primitive kinds of field.

use super::Validated;
use crate::issue::Issue;
use crate::json::{parse_borrowed_within, Json, Object, MAX_INPUT_BYTES};
use std::fmt::{self, Write as _};

/// Most issues listed per list (errors, warnings); the rest are summarised by one
/// `TOO_MANY_ISSUES` issue at the root.
pub const MAX_LISTED_ISSUES: usize = 100;
/// Deepest nesting accepted inside free-form objects (fallback template, context variables);
/// the object itself is level 1.
pub const MAX_NESTING: usize = 32;
/// Longest identifier (`endpointId`, `suiteId`), in characters.
pub const MAX_IDENTIFIER_CHARS: usize = 128;

/// One step of a path into the input.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Segment<'a> {
    /// An object key (always the camelCase name for known fields).
    Key(&'a str),
    /// An array index.
    Index(usize),
}

/// Issues of one severity: the first [`MAX_LISTED_ISSUES`] and a count of the others.
#[derive(Default)]
struct IssueList {
    listed: Vec<Issue>,
    omitted: usize,
}

impl IssueList {
    fn push(&mut self, path: &[Segment<'_>], code: &str, message: fmt::Arguments<'_>) {
        if self.listed.len() < MAX_LISTED_ISSUES {
            self.listed
                .push(Issue::new(format_path(path), code, message.to_string()));
        } else {
            self.omitted = self.omitted.saturating_add(1);
        }
    }

    fn finish(mut self, kind: &str) -> Vec<Issue> {
        if self.omitted > 0 {
            self.listed.push(Issue::new(
                "",
                "TOO_MANY_ISSUES",
                format!("{} more {kind} were found but not listed", self.omitted),
            ));
        }
        self.listed
    }
}

/// Formats a segment stack as `testCases[12].outcome.allowedLatencyMs`.
fn format_path(path: &[Segment<'_>]) -> String {
    let mut out = String::new();
    for segment in path {
        match segment {
            Segment::Key(key) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            Segment::Index(index) => {
                // Writing into a String cannot fail.
                let _ = write!(out, "[{index}]");
            }
        }
    }
    out
}

/// Collects errors and warnings while a validator walks the input.
pub(crate) struct Collector<'a> {
    path: Vec<Segment<'a>>,
    errors: IssueList,
    warnings: IssueList,
}

impl<'a> Collector<'a> {
    /// A collector positioned at the root.
    pub(crate) fn new() -> Self {
        Collector {
            path: Vec::with_capacity(8),
            errors: IssueList::default(),
            warnings: IssueList::default(),
        }
    }

    /// Runs `f` with `segment` appended to the current path.
    pub(crate) fn within<R>(&mut self, segment: Segment<'a>, f: impl FnOnce(&mut Self) -> R) -> R {
        self.path.push(segment);
        let result = f(self);
        self.path.pop();
        result
    }

    /// Reports an error at the current path.
    pub(crate) fn error(&mut self, code: &str, message: fmt::Arguments<'_>) {
        self.errors.push(&self.path, code, message);
    }

    /// Reports a warning at the current path.
    pub(crate) fn warning(&mut self, code: &str, message: fmt::Arguments<'_>) {
        self.warnings.push(&self.path, code, message);
    }

    /// The result: `value` is kept only when no error was reported.
    pub(crate) fn finish<T>(self, value: Option<T>) -> Validated<T> {
        let errors = self.errors.finish("errors");
        let warnings = self.warnings.finish("warnings");
        let value = if errors.is_empty() { value } else { None };
        match value {
            Some(value) => Validated {
                value: Some(value),
                errors,
                warnings,
            },
            // A validator that produced no value always reported why; this keeps the invariant
            // `value.is_some() == errors.is_empty()` even if one forgot.
            None if errors.is_empty() => Validated {
                value: None,
                errors: vec![Issue::new("", "INVALID", "input is invalid")],
                warnings,
            },
            None => Validated {
                value: None,
                errors,
                warnings,
            },
        }
    }
}

/// Validates an input whose root must be an object (a `TYPE` error at `""` otherwise).
pub(crate) fn validate_root<'a, T>(
    input: &'a Json<'a>,
    read: impl FnOnce(&mut Collector<'a>, &'a Object<'a>) -> Option<T>,
) -> Validated<T> {
    let mut c = Collector::new();
    let value = match object(&mut c, input) {
        Some(map) => read(&mut c, map),
        None => None,
    };
    c.finish(value)
}

/// Parses untrusted JSON text and validates it with `validate`; a parse failure is one error at
/// the root.
pub(crate) fn validate_text<T>(
    text: &str,
    validate: impl FnOnce(&Json<'_>) -> Validated<T>,
) -> Validated<T> {
    match parse_borrowed_within(text, MAX_INPUT_BYTES) {
        Ok(value) => validate(&value),
        Err(issue) => Validated {
            value: None,
            errors: vec![issue],
            warnings: Vec::new(),
        },
    }
}

/// A field of an input object: its camelCase name and the seed's snake_case alias, if different.
pub(crate) struct FieldName {
    /// The camelCase name, also used in paths.
    pub camel: &'static str,
    /// The snake_case alias accepted for seed compatibility.
    pub snake: Option<&'static str>,
}

/// Reads the known fields of `object` in one pass. `null` counts as absent. A field given under
/// both spellings is a `DUPLICATE_FIELD` error (the camelCase value is kept); unknown keys are
/// `UNKNOWN_FIELD` warnings.
pub(crate) fn read_fields<'a, const N: usize>(
    c: &mut Collector<'a>,
    object: &'a Object<'a>,
    fields: &[FieldName; N],
) -> [Option<&'a Json<'a>>; N] {
    let mut slots: [Option<&'a Json<'a>>; N] = [None; N];
    for (key, value) in object.iter() {
        let found = fields
            .iter()
            .zip(slots.iter_mut())
            .find(|(field, _)| field.camel == key || field.snake == Some(key));
        let Some((field, slot)) = found else {
            c.within(Segment::Key(key), |c| {
                c.warning(
                    "UNKNOWN_FIELD",
                    format_args!("unknown field `{key}` is ignored"),
                );
            });
            continue;
        };
        if value.is_null() {
            continue;
        }
        if slot.is_some() {
            let camel = field.camel;
            let snake = field.snake.unwrap_or(camel);
            c.within(Segment::Key(camel), |c| {
                c.error(
                    "DUPLICATE_FIELD",
                    format_args!("both `{camel}` and `{snake}` are given; use only `{camel}`"),
                );
            });
            if key != camel {
                continue;
            }
        }
        *slot = Some(value);
    }
    slots
}

/// Reads a required field: `REQUIRED` when absent, else `read` runs at the field's path.
pub(crate) fn required<'a, R>(
    c: &mut Collector<'a>,
    name: &'static str,
    value: Option<&'a Json<'a>>,
    read: impl FnOnce(&mut Collector<'a>, &'a Json<'a>) -> Option<R>,
) -> Option<R> {
    c.within(Segment::Key(name), |c| match value {
        Some(value) => read(c, value),
        None => {
            c.error("REQUIRED", format_args!("`{name}` is required"));
            None
        }
    })
}

/// Reads an optional field: `Some(None)` when absent, `None` when present but invalid.
pub(crate) fn optional<'a, R>(
    c: &mut Collector<'a>,
    name: &'static str,
    value: Option<&'a Json<'a>>,
    read: impl FnOnce(&mut Collector<'a>, &'a Json<'a>) -> Option<R>,
) -> Option<Option<R>> {
    match value {
        Some(value) => c.within(Segment::Key(name), |c| read(c, value).map(Some)),
        None => Some(None),
    }
}

/// Reports a `TYPE` error at the current path.
pub(crate) fn type_error(c: &mut Collector<'_>, expected: &str, got: &Json<'_>) {
    c.error(
        "TYPE",
        format_args!("expected {expected}, got {}", got.type_name()),
    );
}

/// An integer in `min..=max`. Integral floats (`15000.0`) are accepted.
pub(crate) fn integer(c: &mut Collector<'_>, value: &Json<'_>, min: u32, max: u32) -> Option<u32> {
    let Json::Number(number) = value else {
        type_error(c, "an integer", value);
        return None;
    };
    let in_range = |n: u64| u32::try_from(n).ok().filter(|n| (min..=max).contains(n));
    let checked = if let Some(n) = number.as_u64() {
        in_range(n)
    } else if number.as_i64().is_some() {
        None // negative
    } else {
        let f = number.as_f64().unwrap_or(f64::NAN);
        if !f.is_finite() || f.fract() != 0.0 {
            c.error(
                "NOT_INTEGER",
                format_args!("must be an integer, got {number}"),
            );
            return None;
        }
        // Integral and finite: the range check decides; out-of-u64 values fall below/above.
        if (0.0..=f64::from(u32::MAX)).contains(&f) {
            // Exact: f is integral and within u32.
            in_range(f as u64)
        } else {
            None
        }
    };
    if checked.is_none() {
        let below = number.as_f64().is_some_and(|f| f < f64::from(min));
        if below {
            c.error(
                "OUT_OF_RANGE",
                format_args!("must be at least {min}, got {number}"),
            );
        } else {
            c.error(
                "OUT_OF_RANGE",
                format_args!("must be at most {max}, got {number}"),
            );
        }
    }
    checked
}

/// Whether `s` has more than `max` characters (stops counting at `max + 1`).
fn longer_than(s: &str, max: usize) -> bool {
    s.len() > max && s.chars().nth(max).is_some()
}

/// A string that is not blank and has at most `max_chars` characters.
pub(crate) fn text<'a>(
    c: &mut Collector<'_>,
    value: &'a Json<'_>,
    max_chars: usize,
) -> Option<&'a str> {
    let Json::String(s) = value else {
        type_error(c, "a string", value);
        return None;
    };
    if s.trim().is_empty() {
        c.error("EMPTY", format_args!("must not be empty or blank"));
        return None;
    }
    if longer_than(s, max_chars) {
        c.error(
            "TOO_LONG",
            format_args!("must have at most {max_chars} characters"),
        );
        return None;
    }
    Some(s)
}

/// An identifier placed in URL paths: 1..=128 characters of `[A-Za-z0-9_.-]`, not `.` or `..`.
pub(crate) fn identifier<'a>(c: &mut Collector<'_>, value: &'a Json<'_>) -> Option<&'a str> {
    let Json::String(s) = value else {
        type_error(c, "a string", value);
        return None;
    };
    if s.is_empty() {
        c.error("EMPTY", format_args!("must not be empty"));
        return None;
    }
    if longer_than(s, MAX_IDENTIFIER_CHARS) {
        c.error(
            "TOO_LONG",
            format_args!("must have at most {MAX_IDENTIFIER_CHARS} characters"),
        );
        return None;
    }
    let allowed = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-');
    if !s.bytes().all(allowed) || s == "." || s == ".." {
        c.error(
            "PATTERN",
            format_args!(
                "may contain only letters, digits, `_`, `.` and `-` (and must not be `.` or `..`)"
            ),
        );
        return None;
    }
    Some(s)
}

/// An array, or a `TYPE` error.
pub(crate) fn array<'a>(c: &mut Collector<'_>, value: &'a Json<'a>) -> Option<&'a [Json<'a>]> {
    match value {
        Json::Array(items) => Some(items),
        other => {
            type_error(c, "an array", other);
            None
        }
    }
}

/// An object, or a `TYPE` error.
pub(crate) fn object<'a>(c: &mut Collector<'_>, value: &'a Json<'a>) -> Option<&'a Object<'a>> {
    match value {
        Json::Object(map) => Some(map),
        other => {
            type_error(c, "an object", other);
            None
        }
    }
}

/// Checks that a free-form object nests at most [`MAX_NESTING`] levels (`TOO_DEEP`) and, when
/// `max_bytes` is given, that its compact JSON serialization has at most that many bytes
/// (`TOO_LARGE`). Work is bounded by the limits, whatever the size of the input.
pub(crate) fn bounded_object(
    c: &mut Collector<'_>,
    map: &Object<'_>,
    max_bytes: Option<usize>,
) -> bool {
    if nesting_exceeds(map, MAX_NESTING) {
        c.error(
            "TOO_DEEP",
            format_args!("must nest at most {MAX_NESTING} levels deep"),
        );
        return false;
    }
    if let Some(max_bytes) = max_bytes {
        // Safe to serialize recursively: the nesting was bounded above, and the text is no
        // larger than the parsed input it came from.
        let too_large = serde_json::to_string(map).map_or(true, |text| text.len() > max_bytes);
        if too_large {
            c.error(
                "TOO_LARGE",
                format_args!("must serialize to at most {max_bytes} bytes of JSON"),
            );
            return false;
        }
    }
    true
}

/// Whether an object nests more than `levels` levels (the object is level 1). Recursion depth is
/// bounded by `levels`.
fn nesting_exceeds(map: &Object<'_>, levels: usize) -> bool {
    fn value_exceeds(value: &Json<'_>, levels: usize) -> bool {
        match value {
            Json::Object(map) => nesting_exceeds(map, levels),
            Json::Array(items) => {
                levels == 0
                    || items
                        .iter()
                        .any(|v| value_exceeds(v, levels.saturating_sub(1)))
            }
            _ => false,
        }
    }
    levels == 0
        || map
            .values()
            .any(|v| value_exceeds(v, levels.saturating_sub(1)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    /// A borrowed tree of `value`.
    fn tree(value: &Value) -> Json<'_> {
        Json::from(value)
    }

    /// The object of an object tree.
    fn obj<'t>(tree: &'t Json<'t>) -> &'t Object<'t> {
        tree.as_object().unwrap()
    }

    fn run<'a, R>(f: impl FnOnce(&mut Collector<'a>) -> R) -> (R, Vec<Issue>, Vec<Issue>) {
        let mut c = Collector::new();
        let r = f(&mut c);
        (r, c.errors.finish("errors"), c.warnings.finish("warnings"))
    }

    #[test]
    fn paths_are_formatted_with_dots_and_brackets() {
        let path = [
            Segment::Key("testCases"),
            Segment::Index(12),
            Segment::Key("outcome"),
            Segment::Key("allowedLatencyMs"),
        ];
        assert_eq!(format_path(&path), "testCases[12].outcome.allowedLatencyMs");
        assert_eq!(format_path(&[]), "");
        assert_eq!(
            format_path(&[Segment::Index(0), Segment::Index(3)]),
            "[0][3]"
        );
    }

    #[test]
    fn integers_accept_integral_floats_and_reject_fractions() {
        let (r, errors, _) = run(|c| integer(c, &tree(&json!(15000.0)), 1000, 30000));
        assert_eq!(r, Some(15000));
        assert!(errors.is_empty());
        let (r, errors, _) = run(|c| integer(c, &tree(&json!(1500.5)), 1000, 30000));
        assert_eq!(r, None);
        assert_eq!(errors[0].code, "NOT_INTEGER");
        let (_, errors, _) = run(|c| integer(c, &tree(&json!(-3)), 0, 5));
        assert_eq!(errors[0].code, "OUT_OF_RANGE");
        assert!(errors[0].message.contains("at least 0"));
        let (_, errors, _) = run(|c| integer(c, &tree(&json!(1e300)), 0, 5));
        assert_eq!(errors[0].code, "OUT_OF_RANGE");
        assert!(errors[0].message.contains("at most 5"));
        let (_, errors, _) = run(|c| integer(c, &tree(&json!(u64::MAX)), 0, 5));
        assert!(errors[0].message.contains("at most 5"));
        let (_, errors, _) = run(|c| integer(c, &tree(&json!(-1e300)), 0, 5));
        assert!(errors[0].message.contains("at least 0"));
        let (_, errors, _) = run(|c| integer(c, &tree(&json!("12")), 0, 50));
        assert_eq!(errors[0].code, "TYPE");
        assert_eq!(errors[0].message, "expected an integer, got a string");
    }

    #[test]
    fn issue_lists_are_capped_with_a_summary() {
        let (_, errors, warnings) = run(|c| {
            for i in 0..250 {
                c.within(Segment::Index(i), |c| c.error("X", format_args!("bad")));
            }
            c.warning("W", format_args!("hm"));
        });
        assert_eq!(errors.len(), MAX_LISTED_ISSUES + 1);
        assert_eq!(errors[99].path, "[99]");
        let last = &errors[100];
        assert_eq!(last.code, "TOO_MANY_ISSUES");
        assert_eq!(last.path, "");
        assert!(last.message.contains("150 more errors"));
        assert_eq!(warnings.len(), 1);
    }

    #[test]
    fn nesting_and_size_are_bounded() {
        let mut deep = json!(1);
        for _ in 0..MAX_NESTING {
            deep = json!({ "a": deep });
        }
        let ok = tree(&deep);
        let (r, errors, _) = run(|c| bounded_object(c, obj(&ok), None));
        assert!(r, "{errors:?}");
        let deeper = json!({ "a": [deep] });
        let bad = tree(&deeper);
        let (r, errors, _) = run(|c| bounded_object(c, obj(&bad), None));
        assert!(!r);
        assert_eq!(errors[0].code, "TOO_DEEP");

        let small_value = json!({ "ab": "cd" });
        let small = tree(&small_value);
        // {"ab":"cd"} is 11 bytes.
        assert!(run(|c| bounded_object(c, obj(&small), Some(11))).0);
        let (r, errors, _) = run(|c| bounded_object(c, obj(&small), Some(10)));
        assert!(!r);
        assert_eq!(errors[0].code, "TOO_LARGE");
        assert!(errors[0].message.contains("10 bytes"));
    }

    #[test]
    fn identifiers_and_texts() {
        let good_value = json!("a.b-c_9");
        let good = tree(&good_value);
        assert_eq!(run(|c| identifier(c, &good)).0, Some("a.b-c_9"));
        for (bad, code) in [
            (json!(""), "EMPTY"),
            (json!("a/b"), "PATTERN"),
            (json!("."), "PATTERN"),
            (json!(".."), "PATTERN"),
            (json!("é"), "PATTERN"),
            (json!("x".repeat(129)), "TOO_LONG"),
            (json!(7), "TYPE"),
        ] {
            let (r, errors, _) = run(|c| identifier(c, &tree(&bad)).map(str::to_owned));
            assert_eq!(r, None);
            assert_eq!(errors[0].code, code, "{bad}");
        }
        let longest = json!("x".repeat(128));
        assert!(run(|c| identifier(c, &tree(&longest)).is_some()).0);
        let three_value = json!("ééé");
        let three = tree(&three_value);
        assert_eq!(run(|c| text(c, &three, 3)).0, Some("ééé"));
        let four = json!("éééé");
        assert_eq!(
            run(|c| text(c, &tree(&four), 3).is_some()).1[0].code,
            "TOO_LONG"
        );
        let blank = json!(" \t");
        assert_eq!(
            run(|c| text(c, &tree(&blank), 3).is_some()).1[0].code,
            "EMPTY"
        );
    }

    #[test]
    fn fields_resolve_aliases_duplicates_and_unknowns() {
        const FIELDS: [FieldName; 2] = [
            FieldName {
                camel: "endpointId",
                snake: Some("endpoint_id"),
            },
            FieldName {
                camel: "outcome",
                snake: None,
            },
        ];
        let input = json!({ "endpoint_id": "a", "endpointId": "b", "zzz": 1, "outcome": null });
        let input = tree(&input);
        let (slots, errors, warnings) = run(|c| read_fields(c, obj(&input), &FIELDS));
        assert_eq!(slots[0], Some(&tree(&json!("b"))));
        assert_eq!(slots[1], None);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].path, "endpointId");
        assert_eq!(errors[0].code, "DUPLICATE_FIELD");
        assert_eq!(warnings.len(), 1);
        assert_eq!(warnings[0].path, "zzz");
        assert_eq!(warnings[0].code, "UNKNOWN_FIELD");
    }
}
