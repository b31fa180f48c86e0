use super::*;
#[allow(unused_imports)]
use crate::suite_run::testkit::drive;
