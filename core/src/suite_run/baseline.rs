//! The `baseline` and `failOnRegression` run options: a report is compared with an earlier one
//! ([`compare_reports`]) and, with `failOnRegression`, any regression fails the gate.

use crate::aggregate::{compare_reports, Gate, SuiteReport};
use crate::error::GuardError;
use crate::json::parse_untrusted;
use serde_json::Value;

/// What a run compares its report with.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BaselineOptions {
    /// The earlier SuiteReport (checked to be one when read).
    pub baseline: Option<Value>,
    /// Whether a regression fails the gate.
    pub fail_on_regression: bool,
}

impl BaselineOptions {
    /// Reads `{ baseline?, failOnRegression? }` (`null` means neither): `baseline` a SuiteReport
    /// object or its JSON text, `failOnRegression` a boolean that needs a `baseline`. Anything else
    /// is a [`GuardError::Config`] naming the option.
    pub fn from_json(value: &Value) -> Result<Self, GuardError> {
        let baseline = match value.get("baseline") {
            None | Some(Value::Null) => None,
            Some(Value::String(text)) => Some(parse_untrusted(text).map_err(|issue| {
                GuardError::Config(format!(
                    "baseline is not JSON: {} at {}",
                    issue.message, issue.path
                ))
            })?),
            Some(other) => Some(other.clone()),
        };
        let fail_on_regression = match value.get("failOnRegression") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(flag)) => *flag,
            Some(_) => {
                return Err(GuardError::Config(
                    "failOnRegression must be a boolean".to_owned(),
                ))
            }
        };
        if fail_on_regression && baseline.is_none() {
            return Err(GuardError::Config(
                "failOnRegression needs a baseline report".to_owned(),
            ));
        }
        if let Some(report) = &baseline {
            // Checked now, so a bad baseline fails before anything is sent.
            compare_reports(report, report)?;
        }
        Ok(BaselineOptions {
            baseline,
            fail_on_regression,
        })
    }

    /// Sets `report.comparison` against the baseline and, with `failOnRegression`, fails the
    /// gate when a case regressed. Without a baseline the report is left as it is.
    pub fn apply(&self, report: &mut SuiteReport) -> Result<(), GuardError> {
        let Some(baseline) = &self.baseline else {
            return Ok(());
        };
        let current = serde_json::to_value(&*report)
            .map_err(|e| GuardError::Config(format!("the report could not be compared: {e}")))?;
        let comparison = compare_reports(&current, baseline)?;
        if self.fail_on_regression && !comparison.regressions.is_empty() {
            report.gate = Gate::Failed;
        }
        report.comparison = Some(comparison);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::{build_report, AggregateOptions, CaseResult, CaseStatus};
    use crate::ErrorCode;
    use serde_json::json;

    fn report(statuses: &[CaseStatus]) -> SuiteReport {
        let cases = statuses
            .iter()
            .enumerate()
            .map(|(index, status)| CaseResult {
                index,
                input_text: format!("case {index}"),
                status: *status,
                expected_intent: Some("greet".into()),
                intent_verified: *status == CaseStatus::Passed,
                ..CaseResult::default()
            })
            .collect();
        build_report(
            cases,
            &AggregateOptions {
                pass_threshold: 0.5,
                ..AggregateOptions::default()
            },
        )
    }

    #[test]
    fn a_regression_fails_the_gate_only_when_asked() {
        use CaseStatus::{Failed, Passed};
        let baseline = serde_json::to_value(report(&[Passed, Passed, Failed])).unwrap();
        for (fail, gate) in [(false, Gate::Passed), (true, Gate::Failed)] {
            let options = BaselineOptions::from_json(
                &json!({ "baseline": baseline.to_string(), "failOnRegression": fail }),
            )
            .unwrap();
            let mut now = report(&[Passed, Failed, Passed]);
            assert_eq!(now.gate, Gate::Passed);
            options.apply(&mut now).unwrap();
            assert_eq!(now.gate, gate);
            let comparison = now.comparison.unwrap();
            assert_eq!(comparison.regressions.len(), 1);
            assert_eq!(comparison.regressions[0].input_text, "case 1");
            assert_eq!(comparison.fixed.len(), 1);
        }
        let mut same = report(&[Passed]);
        BaselineOptions::default().apply(&mut same).unwrap();
        assert!(same.comparison.is_none());
    }

    #[test]
    fn bad_baseline_options_are_config_errors() {
        for options in [
            json!({ "failOnRegression": true }),
            json!({ "baseline": "{", "failOnRegression": false }),
            json!({ "baseline": { "cases": [] } }),
            json!({ "baseline": [1] }),
            json!({ "baseline": null, "failOnRegression": "yes" }),
        ] {
            let err = BaselineOptions::from_json(&options).unwrap_err();
            assert_eq!(err.code(), ErrorCode::Config, "{options}");
        }
        assert_eq!(
            BaselineOptions::from_json(&Value::Null).unwrap(),
            BaselineOptions::default()
        );
    }
}
