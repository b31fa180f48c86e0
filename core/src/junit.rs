//! JUnit XML rendering of a [`SuiteReport`], for CI systems that display test results.
//!
//! One `<testsuite>` per report, one `<testcase>` per entry of [`SuiteReport::cases`]. The
//! suite's `name` and every case's `classname` are the report's `suiteId` (else its execution id,
//! else `cognigy-guard`), so CI can track a test across runs. Failed cases carry a `<failure>`
//! listing their reasons, unverified cases a `<skipped>`, cases that never ran an `<error>`, a
//! case that passed only in a rerun (`flaky`) a `<flakyFailure>`. The count attributes (`tests`,
//! `failures`, `errors`, `skipped`) are the report's own counts. Every piece of text is escaped,
//! and characters XML 1.0 does not allow are dropped, so hostile utterances or intent names
//! cannot break the document.

use crate::aggregate::{CaseResult, CaseStatus, FlakyCase, SuiteReport};

/// Suite name used when the report carries neither a suite id nor an execution id.
const DEFAULT_SUITE_NAME: &str = "cognigy-guard";
/// The `<skipped>` message of an unverified case.
const UNVERIFIED_MESSAGE: &str = "unverified: asserts nothing";

/// Renders `report` as a JUnit XML document (UTF-8, with an XML declaration).
///
/// `time` attributes are seconds with 3 decimals: a case's latency, and the report's
/// `durationMs` (or, when absent, the sum of the case latencies) for the suite.
pub fn to_junit_xml(report: &SuiteReport) -> String {
    let name = report
        .suite_id
        .as_deref()
        .or(report.execution_id.as_deref())
        .unwrap_or(DEFAULT_SUITE_NAME);
    let suite_ms = report
        .duration_ms
        .unwrap_or_else(|| report.cases.iter().filter_map(|c| c.latency_ms).sum());
    let mut out = String::with_capacity(report.cases.len().saturating_mul(160).saturating_add(512));
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    for (i, tag) in ["<testsuites", "  <testsuite"].into_iter().enumerate() {
        out.push_str(tag);
        attr(&mut out, "name", name);
        attr(&mut out, "tests", &report.total.to_string());
        attr(&mut out, "failures", &report.failed.to_string());
        attr(&mut out, "errors", &report.errored.to_string());
        attr(&mut out, "skipped", &report.unverified.to_string());
        attr(&mut out, "time", &seconds(Some(suite_ms)));
        if i == 1 {
            attr(
                &mut out,
                "timestamp",
                report.started_at.as_deref().unwrap_or(""),
            );
        }
        out.push_str(">\n");
    }
    for case in &report.cases {
        let flaky = report
            .flaky
            .iter()
            .flatten()
            .find(|f| f.index == case.index);
        push_case(&mut out, name, case, flaky);
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

/// Appends one `<testcase>` element; a passed case listed as `flaky` carries a
/// `<flakyFailure>` (Maven Surefire's rerun report) with why its first attempt failed.
fn push_case(out: &mut String, suite: &str, case: &CaseResult, flaky: Option<&FlakyCase>) {
    out.push_str("    <testcase");
    let title = if case.input_text.is_empty() {
        format!("#{}", case.index)
    } else {
        format!("#{} {}", case.index, case.input_text)
    };
    attr(out, "name", &title);
    attr(out, "classname", suite);
    attr(out, "time", &seconds(case.latency_ms));
    match case.status {
        CaseStatus::Passed => match flaky {
            None => out.push_str("/>\n"),
            Some(flaky) => {
                out.push_str(">\n      <flakyFailure");
                attr(out, "message", &flaky.reasons.join("; "));
                attr(out, "type", "AssertionFailure");
                out.push('>');
                escape_into(out, &format!("passed at attempt {}", flaky.attempts), false);
                out.push_str("</flakyFailure>\n    </testcase>\n");
            }
        },
        CaseStatus::Unverified => {
            out.push_str(">\n      <skipped");
            attr(out, "message", UNVERIFIED_MESSAGE);
            out.push_str("/>\n    </testcase>\n");
        }
        CaseStatus::Errored => {
            out.push_str(">\n      <error");
            attr(out, "message", &case.reasons.join("; "));
            attr(out, "type", "NotRun");
            out.push_str("/>\n    </testcase>\n");
        }
        CaseStatus::Failed => {
            out.push_str(">\n      <failure");
            attr(out, "message", &case.reasons.join("; "));
            attr(out, "type", "AssertionFailure");
            out.push('>');
            escape_into(out, &case.reasons.join("\n"), false);
            out.push_str("</failure>\n    </testcase>\n");
        }
    }
}

/// Appends ` key="value"` with the value escaped for an attribute.
fn attr(out: &mut String, key: &str, value: &str) {
    out.push(' ');
    out.push_str(key);
    out.push_str("=\"");
    escape_into(out, value, true);
    out.push('"');
}

/// Milliseconds as seconds with 3 decimals (`0.000` for none, negative or non-finite).
fn seconds(ms: Option<f64>) -> String {
    let s = ms.filter(|m| m.is_finite() && *m > 0.0).unwrap_or(0.0) / 1000.0;
    format!("{s:.3}")
}

/// Appends `text` escaped for XML 1.0: `& < > " '` become entities, characters outside the
/// XML 1.0 `Char` production are dropped, and in attributes tab, newline and carriage return
/// become character references so parsers do not normalise them to spaces.
pub fn escape_into(out: &mut String, text: &str, in_attribute: bool) {
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' if in_attribute => out.push_str("&#9;"),
            '\n' if in_attribute => out.push_str("&#10;"),
            '\r' if in_attribute => out.push_str("&#13;"),
            c if is_xml_char(c) => out.push(c),
            _ => {}
        }
    }
}

/// The XML 1.0 `Char` production (Rust `char`s are never surrogates).
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::{aggregate_seed_v1, AggregateOptions};
    use crate::json::Json;
    use serde_json::{json, Value};

    fn escaped(text: &str, attr: bool) -> String {
        let mut s = String::new();
        escape_into(&mut s, text, attr);
        s
    }

    /// Counts the occurrences of `needle` in `hay`.
    fn count(hay: &str, needle: &str) -> usize {
        hay.matches(needle).count()
    }

    /// The value of the first `key="..."` attribute after `tag`.
    fn attr_value<'a>(xml: &'a str, tag: &str, key: &str) -> &'a str {
        let start = xml.find(tag).unwrap();
        let rest = &xml[start..];
        let pat = format!(" {key}=\"");
        let at = rest.find(&pat).unwrap() + pat.len();
        let end = rest[at..].find('"').unwrap();
        &rest[at..at + end]
    }

    fn hostile_report() -> SuiteReport {
        let hostile =
            "<script>alert('x')</script> & \"quoted\" \u{0}\u{1b}\u{fffe}bell\u{7}\ttab\nline";
        let results = json!({"execution_id": "exec<&>\"'", "test_results": [
            {"input_text": hostile, "latency_ms": 420,
             "assertions": [{"type": "intent", "expected": "a", "actual": "a", "passed": true}]},
            {"input_text": hostile, "latency_ms": 1500.5,
             "assertions": [
                 {"type": "response_contains", "expected": hostile, "actual": "", "passed": false},
                 {"type": "latency", "expected": 800, "actual": 1500.5, "passed": false}]},
            {"input_text": "no checks", "assertions": []},
            7
        ]});
        aggregate_seed_v1(&Json::from(&results), &AggregateOptions::default()).unwrap()
    }

    #[test]
    fn a_flaky_case_carries_a_flaky_failure() {
        let mut report = hostile_report();
        let passed = report
            .cases
            .iter()
            .find(|c| c.status == CaseStatus::Passed)
            .map(|c| c.index)
            .unwrap();
        assert!(!to_junit_xml(&report).contains("flakyFailure"));
        report.flaky = Some(vec![FlakyCase {
            index: passed,
            input_text: String::new(),
            attempts: 2,
            reasons: vec!["intent: expected <a>".into()],
        }]);
        let xml = to_junit_xml(&report);
        assert_eq!(count(&xml, "<flakyFailure "), 1);
        assert!(xml.contains("message=\"intent: expected &lt;a&gt;\""));
        assert!(xml.contains(">passed at attempt 2</flakyFailure>"));
        assert_eq!(count(&xml, "<failure "), report.failed);
    }

    #[test]
    fn escaping_by_hand() {
        assert_eq!(
            escaped("<script>&\"'</script>", false),
            "&lt;script&gt;&amp;&quot;&apos;&lt;/script&gt;"
        );
        assert_eq!(escaped("a\u{0}b\u{1f}c\u{fffe}d\u{ffff}e", false), "abcde");
        assert_eq!(escaped("a\tb\nc\rd", false), "a\tb\nc\rd");
        assert_eq!(escaped("a\tb\nc\rd", true), "a&#9;b&#10;c&#13;d");
        assert_eq!(escaped("é😀\u{d7ff}\u{e000}", true), "é😀\u{d7ff}\u{e000}");
    }

    #[test]
    fn hostile_text_cannot_break_the_document() {
        let report = hostile_report();
        let xml = to_junit_xml(&report);
        assert!(!xml.contains("<script>"));
        assert!(!xml.contains('\u{0}') && !xml.contains('\u{1b}') && !xml.contains('\u{7}'));
        assert!(!xml.contains('\u{fffe}'));
        assert!(xml.contains(
            "&lt;script&gt;alert(&apos;x&apos;)&lt;/script&gt; &amp; &quot;quoted&quot;"
        ));
        // Every element opened is closed: only the tags we emit appear unescaped.
        assert_eq!(count(&xml, "<testcase "), 4);
        assert_eq!(count(&xml, "<failure "), count(&xml, "</failure>"));
        assert_eq!(count(&xml, "<"), count(&xml, ">"));
        assert_eq!(
            attr_value(&xml, "<testsuite ", "name"),
            "exec&lt;&amp;&gt;&quot;&apos;"
        );
    }

    #[test]
    fn counts_match_the_report() {
        let report = hostile_report();
        assert_eq!((report.total, report.failed, report.unverified), (4, 2, 1));
        let xml = to_junit_xml(&report);
        for tag in ["<testsuites ", "<testsuite "] {
            assert_eq!(attr_value(&xml, tag, "tests"), report.total.to_string());
            assert_eq!(attr_value(&xml, tag, "failures"), report.failed.to_string());
            assert_eq!(
                attr_value(&xml, tag, "skipped"),
                report.unverified.to_string()
            );
        }
        assert_eq!(count(&xml, "<testcase "), report.total);
        assert_eq!(count(&xml, "<failure "), report.failed);
        assert_eq!(
            count(&xml, "<skipped message=\"unverified: asserts nothing\"/>"),
            report.unverified
        );
        // Suite time is the sum of latencies (0.420 + 1.5005 s) without a duration.
        assert_eq!(attr_value(&xml, "<testsuite ", "time"), "1.921");
        assert_eq!(attr_value(&xml, "<testcase ", "time"), "0.420");
        assert!(xml.contains("latency 1500.5 ms over 800 ms"));
        assert!(xml.contains("name=\"#2 no checks\""));
        assert!(xml.contains("name=\"#3\""));
    }

    #[test]
    fn the_suite_id_names_the_suite_and_every_case() {
        let mut report = hostile_report();
        report.suite_id = Some("suite_a".into());
        let xml = to_junit_xml(&report);
        assert_eq!(attr_value(&xml, "<testsuites ", "name"), "suite_a");
        assert_eq!(attr_value(&xml, "<testsuite ", "name"), "suite_a");
        assert_eq!(count(&xml, "classname=\"suite_a\""), report.total);
        assert!(!xml.contains("exec&lt;"));
    }

    #[test]
    fn duration_and_empty_report() {
        let mut report = SuiteReport {
            duration_ms: Some(61_234.0),
            ..SuiteReport::default()
        };
        report.started_at = Some("2024-01-01T00:00:00.000Z".into());
        let xml = to_junit_xml(&report);
        assert_eq!(attr_value(&xml, "<testsuite ", "time"), "61.234");
        assert_eq!(attr_value(&xml, "<testsuite ", "tests"), "0");
        assert_eq!(attr_value(&xml, "<testsuite ", "name"), "cognigy-guard");
        assert_eq!(
            attr_value(&xml, "<testsuite ", "timestamp"),
            "2024-01-01T00:00:00.000Z"
        );
        assert!(xml.ends_with("</testsuite>\n</testsuites>\n"));
        // A report that went through JSON (e.g. from JS) renders the same.
        let back: SuiteReport =
            serde_json::from_value(serde_json::to_value(hostile_report()).unwrap()).unwrap();
        assert_eq!(to_junit_xml(&back), to_junit_xml(&hostile_report()));
        let _: Value = serde_json::to_value(&back).unwrap();
    }
}
