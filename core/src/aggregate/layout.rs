//! The one walk over a platform's raw results: each platform says where its list of cases and its
//! id are and how one case is read ([`Layout`]); the walk checks the shape, reads every case
//! (a malformed one becomes a failed case) and builds the report.

use super::{build_report, str_field, AggregateOptions, CaseResult, SuiteReport};
use crate::error::GuardError;
use crate::json::Json;

/// Where a platform's results keep their cases and id, and how one case is read.
pub struct Layout {
    /// The results, named for messages (`"seed-v1 results"`).
    pub what: &'static str,
    /// The key of the list of cases.
    pub list: &'static str,
    /// The key of the execution (or run) id.
    pub id: &'static str,
    /// Reads the case at a position; never fails (malformed entries become failed cases).
    pub case: fn(usize, &Json<'_>) -> CaseResult,
}

impl Layout {
    /// Aggregates `results` with `opts`; `BAD_RESPONSE` when the list of cases is missing or is
    /// not an array.
    pub fn aggregate(
        &self,
        results: &Json<'_>,
        opts: &AggregateOptions,
    ) -> Result<SuiteReport, GuardError> {
        opts.validate()?;
        let list = match results.get(self.list) {
            Some(Json::Array(list)) => list,
            Some(other) => {
                return Err(GuardError::BadResponse(format!(
                    "{}: {} is {}, expected an array",
                    self.what,
                    self.list,
                    other.type_name()
                )))
            }
            None => {
                return Err(GuardError::BadResponse(format!(
                    "{} must be an object with a {} array, got {}",
                    self.what,
                    self.list,
                    results.type_name()
                )))
            }
        };
        let cases = list
            .iter()
            .enumerate()
            .map(|(pos, raw)| (self.case)(pos, raw))
            .collect();
        let mut report = build_report(cases, opts);
        report.execution_id = str_field(results, self.id);
        report.status = str_field(results, "status");
        Ok(report)
    }
}
