//! Charts and reports.
