//! Intent and entity coverage of a suite.
//!
//! Definitions (the same for intents and for entities, which cognigy-v2 calls slots):
//!
//! - A case *expects* a name when it asserts it: its intent assertion (seed-v1 `intent`,
//!   playbook `assertIntent` `params.intent`) or an entity assertion (seed-v1 `entity`, playbook
//!   `assertSlot` `params.slot`). Negated playbook asserts expect nothing.
//! - A name is *verified* in a case when that case's assertion for it passed, whatever the rest
//!   of the case did.
//! - The *known set* is `knownIntents` / `knownEntities` when given (duplicates ignored), else
//!   the set of names expected anywhere in the suite.
//! - Coverage = (known names verified in at least one case) / (size of the known set), and 0 when
//!   the known set is empty. So with no known list it is the fraction of the suite's expected
//!   intents that were recognised at least once; with one it is the fraction of the bot's
//!   intents that the suite exercised successfully.
//! - `seedIntentCoverage` is the seed's `intent_coverage`, reported beside ours for comparison:
//!   the share of cases with any matched intent (a wrong match counts too).
//!
//! The breakdown lists every expected or known name, sorted by name, with the number of cases
//! expecting it and how many of those verified it (`passed`) or not (`failed`, so
//! `cases == passed + failed`). A case asserting the same name twice counts once, as passed when
//! any of its assertions for it passed.

use super::{clip, ratio, CaseResult};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Intent and entity coverage of a suite (see the module documentation for the definitions).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Coverage {
    /// Fraction of the known intents verified in at least one case.
    pub intent_coverage: f64,
    /// Fraction of the known entities verified in at least one case.
    pub entity_coverage: f64,
    /// The seed's own `intent_coverage`, for comparison only: the share of cases for which any
    /// intent was matched (right or wrong, asserted or not). Not a coverage of intents.
    pub seed_intent_coverage: f64,
    /// Per-intent breakdown, sorted by name.
    pub intents: Vec<NameStats>,
    /// Per-entity breakdown, sorted by name.
    pub entities: Vec<NameStats>,
}

/// How the suite exercised one intent or entity.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct NameStats {
    /// The intent or entity name.
    pub name: String,
    /// Cases expecting it.
    pub cases: usize,
    /// Cases whose assertion for it passed.
    pub passed: usize,
    /// Cases whose assertion for it failed.
    pub failed: usize,
    /// Whether it belongs to the known set (always true when no known list was given).
    pub known: bool,
}

/// Running counts for one name; `seen_in`/`verified_in` hold the 1-based position of the last
/// case that expected/verified it, so a case is counted once without any per-case set.
#[derive(Default)]
struct Tally {
    cases: usize,
    passed: usize,
    seen_in: usize,
    verified_in: usize,
}

impl Tally {
    fn expect(&mut self, mark: usize) {
        if self.seen_in != mark {
            self.seen_in = mark;
            self.cases = self.cases.saturating_add(1);
        }
    }

    fn verify(&mut self, mark: usize) {
        if self.seen_in == mark && self.verified_in != mark {
            self.verified_in = mark;
            self.passed = self.passed.saturating_add(1);
        }
    }
}

impl Coverage {
    /// Computes coverage over `cases` against the optional known sets. Linear in the number of
    /// assertions (times the log of the number of distinct names).
    pub fn compute(
        cases: &[CaseResult],
        known_intents: Option<&[String]>,
        known_entities: Option<&[String]>,
    ) -> Self {
        let mut intents: BTreeMap<&str, Tally> = BTreeMap::new();
        let mut entities: BTreeMap<&str, Tally> = BTreeMap::new();
        let mut matched = 0usize;
        for (pos, case) in cases.iter().enumerate() {
            let mark = pos.saturating_add(1);
            if case
                .matched_intent
                .as_deref()
                .is_some_and(|i| !i.is_empty())
            {
                matched = matched.saturating_add(1);
            }
            if let Some(name) = case.expected_intent.as_deref() {
                let tally = intents.entry(name).or_default();
                tally.expect(mark);
                if case.intent_verified {
                    tally.verify(mark);
                }
            }
            for name in &case.entities_expected {
                entities.entry(name).or_default().expect(mark);
            }
            for name in &case.entities_extracted {
                if let Some(tally) = entities.get_mut(name.as_str()) {
                    tally.verify(mark);
                }
            }
        }
        let (intent_coverage, intents) = summarise(intents, known_intents);
        let (entity_coverage, entities) = summarise(entities, known_entities);
        Coverage {
            intent_coverage,
            entity_coverage,
            seed_intent_coverage: ratio(matched, cases.len()),
            intents,
            entities,
        }
    }
}

/// Turns the tallies into (coverage, breakdown) against the optional known set.
fn summarise(tallies: BTreeMap<&str, Tally>, known: Option<&[String]>) -> (f64, Vec<NameStats>) {
    // Case names were clipped when parsed; clip known names the same way so they compare.
    // Sets and maps are filled by `insert`: `collect` into one sorts, one more sort in the binary.
    let known: Option<BTreeSet<String>> = known.map(|list| {
        let mut set = BTreeSet::new();
        for n in list {
            set.insert(clip(n));
        }
        set
    });
    let mut stats: BTreeMap<&str, NameStats> = BTreeMap::new();
    for (name, t) in tallies {
        let stat = NameStats {
            name: name.to_owned(),
            cases: t.cases,
            passed: t.passed,
            failed: t.cases.saturating_sub(t.passed),
            known: known.as_ref().map_or(true, |k| k.contains(name)),
        };
        stats.insert(name, stat);
    }
    let coverage = match &known {
        Some(known) => {
            let covered = known
                .iter()
                .filter(|name| stats.get(name.as_str()).is_some_and(|s| s.passed > 0))
                .count();
            for name in known {
                stats.entry(name.as_str()).or_insert_with(|| NameStats {
                    name: name.clone(),
                    known: true,
                    ..NameStats::default()
                });
            }
            ratio(covered, known.len())
        }
        None => ratio(stats.values().filter(|s| s.passed > 0).count(), stats.len()),
    };
    (coverage, stats.into_values().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(intent: Option<(&str, bool)>, expected: &[&str], extracted: &[&str]) -> CaseResult {
        CaseResult {
            expected_intent: intent.map(|(n, _)| n.to_owned()),
            intent_verified: intent.is_some_and(|(_, ok)| ok),
            entities_expected: expected.iter().map(|s| s.to_string()).collect(),
            entities_extracted: extracted.iter().map(|s| s.to_string()).collect(),
            ..CaseResult::default()
        }
    }

    fn stat(name: &str, cases: usize, passed: usize, known: bool) -> NameStats {
        NameStats {
            name: name.to_owned(),
            cases,
            passed,
            failed: cases - passed,
            known,
        }
    }

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn without_known_sets_coverage_is_over_expected_names() {
        let cases = [
            case(Some(("a", true)), &["x", "y"], &["x"]),
            case(Some(("a", false)), &["y"], &[]),
            case(Some(("b", false)), &[], &[]),
            case(None, &["z"], &["z"]),
        ];
        let c = Coverage::compute(&cases, None, None);
        // Intents a (verified once) and b (never): 1/2.
        assert_eq!(c.intent_coverage, 0.5);
        assert_eq!(
            c.intents,
            vec![stat("a", 2, 1, true), stat("b", 1, 0, true)]
        );
        // Entities x (verified), y (never), z (verified): 2/3.
        assert_eq!(c.entity_coverage, 2.0 / 3.0);
        assert_eq!(
            c.entities,
            vec![
                stat("x", 1, 1, true),
                stat("y", 2, 0, true),
                stat("z", 1, 1, true)
            ]
        );
    }

    #[test]
    fn known_sets_count_untested_names_and_flag_unknown_ones() {
        let cases = [
            case(Some(("a", true)), &["x"], &["x"]),
            case(Some(("typo", true)), &[], &[]),
        ];
        let known_i = names(&["a", "b", "c", "a"]);
        let known_e = names(&["x", "w"]);
        let c = Coverage::compute(&cases, Some(&known_i), Some(&known_e));
        // Known {a, b, c}: only a verified. The verified "typo" is not known and does not count.
        assert_eq!(c.intent_coverage, 1.0 / 3.0);
        assert_eq!(
            c.intents,
            vec![
                stat("a", 1, 1, true),
                stat("b", 0, 0, true),
                stat("c", 0, 0, true),
                stat("typo", 1, 1, false)
            ]
        );
        assert_eq!(c.entity_coverage, 0.5);
        assert_eq!(
            c.entities,
            vec![stat("w", 0, 0, true), stat("x", 1, 1, true)]
        );
        // An empty known set covers nothing.
        let c = Coverage::compute(&cases, Some(&[]), None);
        assert_eq!(c.intent_coverage, 0.0);
    }

    #[test]
    fn a_case_counts_once_per_name() {
        let cases = [
            case(None, &["x", "x"], &["x"]),
            case(None, &["x", "x"], &[]),
            case(None, &[], &["x"]), // extracted but not expected: ignored
        ];
        let c = Coverage::compute(&cases, None, None);
        assert_eq!(c.entities, vec![stat("x", 2, 1, true)]);
        assert_eq!(c.entity_coverage, 1.0);
    }

    #[test]
    fn no_expectations_means_zero_coverage() {
        let c = Coverage::compute(&[case(None, &[], &[])], None, None);
        assert_eq!(c.intent_coverage, 0.0);
        assert_eq!(c.entity_coverage, 0.0);
        assert!(c.intents.is_empty());
    }
}
