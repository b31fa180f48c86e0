//! The NLU report of an endpoint run, as Rasa's intent evaluation reports it: accuracy, macro-F1,
//! per-intent precision / recall / F1 / support and the confusion matrix (rows: expected intent,
//! columns: predicted intent). A prediction below `minScore` (or no prediction) is [`NO_INTENT`].

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The label of "no intent predicted" (the top score was below `minScore`, or there was none).
pub const NO_INTENT: &str = "none";

/// One case of the NLU report: the intent it expects and the one predicted (`None`: [`NO_INTENT`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NluCase {
    /// The expected intent.
    pub expected: String,
    /// The predicted intent, `None` when nothing reached `minScore`.
    pub predicted: Option<String>,
}

/// Precision, recall and F1 of one label.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IntentMetrics {
    /// The intent (or [`NO_INTENT`]).
    pub intent: String,
    /// Of the cases predicted as this intent, the share that expected it (0 when none was).
    pub precision: f64,
    /// Of the cases expecting this intent, the share predicted as it (0 when none expected it).
    pub recall: f64,
    /// Harmonic mean of precision and recall (0 when both are 0).
    pub f1: f64,
    /// Cases expecting this intent.
    pub support: usize,
}

/// Counts of (expected, predicted) pairs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfusionMatrix {
    /// Every label that was expected or predicted, sorted by name.
    pub labels: Vec<String>,
    /// `matrix[i][j]`: cases expecting `labels[i]` predicted as `labels[j]`.
    pub matrix: Vec<Vec<usize>>,
}

/// The `nlu` member of an endpoint run's report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NluReport {
    /// Cases in the report (those that expect an intent).
    pub total: usize,
    /// Share of cases whose prediction equals the expected intent (0 without cases).
    pub accuracy: f64,
    /// Unweighted mean of the F1 of every label in the confusion matrix (0 without cases), as
    /// scikit-learn's and Rasa's macro average: a label only ever predicted counts with F1 0.
    pub macro_f1: f64,
    /// One entry per label, in label order.
    pub per_intent: Vec<IntentMetrics>,
    /// The confusion matrix.
    pub confusion: ConfusionMatrix,
}

/// The NLU report of `cases`.
pub fn nlu_report(cases: &[NluCase]) -> NluReport {
    let pairs: Vec<(&str, &str)> = cases
        .iter()
        .map(|c| {
            let predicted = c.predicted.as_deref().unwrap_or(NO_INTENT);
            (c.expected.as_str(), predicted)
        })
        .collect();
    let mut index: BTreeMap<&str, usize> = BTreeMap::new();
    for (expected, predicted) in &pairs {
        index.insert(expected, 0);
        index.insert(predicted, 0);
    }
    for (position, slot) in index.values_mut().enumerate() {
        *slot = position;
    }
    let size = index.len();
    let mut matrix = vec![vec![0usize; size]; size];
    let mut correct = 0usize;
    for (expected, predicted) in &pairs {
        let cell = index
            .get(expected)
            .zip(index.get(predicted))
            .and_then(|(&row, &column)| matrix.get_mut(row)?.get_mut(column));
        if let Some(cell) = cell {
            *cell = cell.saturating_add(1);
        }
        if expected == predicted {
            correct = correct.saturating_add(1);
        }
    }
    let per_intent: Vec<IntentMetrics> = index
        .iter()
        .map(|(label, &i)| {
            let row = matrix.get(i);
            let hits = row.and_then(|r| r.get(i)).copied().unwrap_or(0);
            let support: usize = row.map_or(0, |r| r.iter().sum());
            let predicted: usize = matrix.iter().filter_map(|r| r.get(i)).sum();
            let precision = super::ratio(hits, predicted);
            let recall = super::ratio(hits, support);
            let f1 = if precision + recall > 0.0 {
                2.0 * precision * recall / (precision + recall)
            } else {
                0.0
            };
            IntentMetrics {
                intent: (*label).to_owned(),
                precision,
                recall,
                f1,
                support,
            }
        })
        .collect();
    let macro_f1 = if per_intent.is_empty() {
        0.0
    } else {
        per_intent.iter().map(|m| m.f1).sum::<f64>() / per_intent.len() as f64
    };
    NluReport {
        total: pairs.len(),
        accuracy: super::ratio(correct, pairs.len()),
        macro_f1,
        per_intent,
        confusion: ConfusionMatrix {
            labels: index.keys().map(|label| (*label).to_owned()).collect(),
            matrix,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn case(expected: &str, predicted: Option<&str>) -> NluCase {
        NluCase {
            expected: expected.to_owned(),
            predicted: predicted.map(str::to_owned),
        }
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn a_report_by_hand() {
        // greeting: 2 expected, both right. pizza: 3 expected, 2 right, 1 predicted refund.
        // refund: 1 expected, predicted none. A weather case predicted greeting.
        let cases = [
            case("greeting", Some("greeting")),
            case("greeting", Some("greeting")),
            case("pizza", Some("pizza")),
            case("pizza", Some("pizza")),
            case("pizza", Some("refund")),
            case("refund", None),
            case("weather", Some("greeting")),
        ];
        let report = nlu_report(&cases);
        assert_eq!(report.total, 7);
        assert!(close(report.accuracy, 4.0 / 7.0));
        assert_eq!(
            report.confusion.labels,
            ["greeting", "none", "pizza", "refund", "weather"]
        );
        assert_eq!(
            report.confusion.matrix,
            [
                [2, 0, 0, 0, 0],
                [0, 0, 0, 0, 0],
                [0, 0, 2, 1, 0],
                [0, 1, 0, 0, 0],
                [1, 0, 0, 0, 0],
            ]
        );
        let greeting = &report.per_intent[0];
        assert_eq!(
            (greeting.intent.as_str(), greeting.support),
            ("greeting", 2)
        );
        assert!(close(greeting.precision, 2.0 / 3.0) && close(greeting.recall, 1.0));
        assert!(close(greeting.f1, 0.8));
        let pizza = &report.per_intent[2];
        assert!(close(pizza.precision, 1.0) && close(pizza.recall, 2.0 / 3.0));
        assert!(close(pizza.f1, 0.8));
        let none = &report.per_intent[1];
        assert_eq!((none.support, none.f1), (0, 0.0));
        assert!(close(report.macro_f1, (0.8 + 0.8) / 5.0));
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["perIntent"][0]["support"], 2);
        assert_eq!(json["confusion"]["matrix"][2][3], 1);
        assert!(json["macroF1"].is_number());
    }

    #[test]
    fn no_cases_and_all_correct() {
        let empty = nlu_report(&[]);
        assert_eq!((empty.total, empty.accuracy, empty.macro_f1), (0, 0.0, 0.0));
        assert!(empty.confusion.labels.is_empty() && empty.confusion.matrix.is_empty());
        let perfect = nlu_report(&[case("a", Some("a")), case("b", Some("b"))]);
        assert_eq!((perfect.accuracy, perfect.macro_f1), (1.0, 1.0));
        let expected_none = nlu_report(&[case(NO_INTENT, None)]);
        assert_eq!(expected_none.accuracy, 1.0);
    }

    fn label() -> impl Strategy<Value = String> {
        prop_oneof![Just("a"), Just("b"), Just("c"), Just("none")].prop_map(str::to_owned)
    }

    proptest! {
        #[test]
        fn counts_and_rates_agree(
            raw in proptest::collection::vec((label(), proptest::option::of(label())), 0..40)
        ) {
            let cases: Vec<NluCase> = raw
                .iter()
                .map(|(e, p)| NluCase { expected: e.clone(), predicted: p.clone() })
                .collect();
            let report = nlu_report(&cases);
            let n = report.confusion.labels.len();
            prop_assert_eq!(report.confusion.matrix.len(), n);
            let cells: usize = report.confusion.matrix.iter().map(|r| r.iter().sum::<usize>()).sum();
            prop_assert_eq!(cells, cases.len());
            let diagonal: usize = (0..n).map(|i| report.confusion.matrix[i][i]).sum();
            prop_assert!(close(report.accuracy, super::super::ratio(diagonal, cases.len())));
            for (i, m) in report.per_intent.iter().enumerate() {
                prop_assert_eq!(&m.intent, &report.confusion.labels[i]);
                prop_assert_eq!(m.support, cases.iter().filter(|c| c.expected == m.intent).count());
                for rate in [m.precision, m.recall, m.f1] {
                    prop_assert!((0.0..=1.0).contains(&rate));
                }
                prop_assert!(m.f1 <= m.precision.max(m.recall) + 1e-12);
            }
            prop_assert!((0.0..=1.0).contains(&report.macro_f1));
            let mut sorted = report.confusion.labels.clone();
            sorted.sort();
            prop_assert_eq!(sorted, report.confusion.labels);
        }
    }
}
