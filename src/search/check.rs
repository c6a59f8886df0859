//! What a parsed clause may say: which operators and values each kind of key takes.

use super::parser::Parser;
use super::*;

impl Parser<'_> {
    pub(super) fn check(
        &self,
        start: usize,
        op_pos: usize,
        value_pos: usize,
        target: &Target,
        op: Op,
        value: &Value,
    ) -> Result<(), SearchError> {
        use Op::*;
        let bad_op = |allowed: &str| {
            Err(self.err_at(
                op_pos,
                &format!(
                    "{} cannot be compared with {}: use {allowed}",
                    describe(target),
                    op.as_str()
                ),
            ))
        };
        match target {
            Target::Metric(_) => {
                if !matches!(op, Eq | Ne | Lt | Le | Gt | Ge) {
                    return bad_op("=, !=, <, <=, > or >=");
                }
                if let Value::Time(_) = value {
                    return Err(self.err_at(
                        value_pos,
                        "relative times such as -7d apply only to start_time and end_time",
                    ));
                }
                if !matches!(value, Value::Number(_)) {
                    return Err(self.err_at(
                        value_pos,
                        &format!("{} needs a number, not a string", describe(target)),
                    ));
                }
            }
            Target::Param(_) | Target::Tag(_) => {
                if !matches!(op, Eq | Ne | Like | ILike | IsNull | IsNotNull) {
                    return bad_op("=, !=, LIKE, ILIKE, IS NULL or IS NOT NULL");
                }
                if let Value::Number(_) | Value::Time(_) = value {
                    return Err(self.err_at(
                        value_pos,
                        &format!("{} takes a quoted string, such as '0.5'", describe(target)),
                    ));
                }
            }
            Target::Attr(Attr::VersionNumber) => {
                if !matches!(op, Eq | Ne | Lt | Le | Gt | Ge) {
                    return bad_op("=, !=, <, <=, > or >=");
                }
                if !matches!(value, Value::Number(n) if n.fract() == 0.0) {
                    return Err(self.err_at(value_pos, "version_number needs an integer"));
                }
            }
            Target::Attr(a) if a.is_numeric() => {
                if !matches!(op, Eq | Ne | Lt | Le | Gt | Ge) {
                    return bad_op("=, !=, <, <=, > or >=");
                }
                if !matches!(value, Value::Number(_) | Value::Time(_)) {
                    return Err(self.err_at(
                        value_pos,
                        &format!(
                            "{} needs a number of milliseconds or a relative time such as -7d",
                            describe(target)
                        ),
                    ));
                }
            }
            Target::Attr(a) => {
                let list_ok = matches!(a, Attr::RunId | Attr::Name);
                if matches!(op, In | NotIn) && !list_ok {
                    return Err(self.err_at(
                        op_pos,
                        "only run_id can be compared with a list (IN, NOT IN)",
                    ));
                }
                if !matches!(op, Eq | Ne | Like | ILike | In | NotIn) {
                    return bad_op("=, !=, LIKE or ILIKE");
                }
                if let Value::Number(_) | Value::Time(_) = value {
                    return Err(self.err_at(
                        value_pos,
                        &format!("{} takes a quoted string", describe(target)),
                    ));
                }
            }
            Target::Dataset(_) => {
                if !matches!(op, Eq | Ne | Like | ILike | In | NotIn) {
                    return bad_op("=, !=, LIKE, ILIKE, IN or NOT IN");
                }
                if let Value::Number(_) | Value::Time(_) = value {
                    return Err(self.err_at(
                        value_pos,
                        &format!("{} takes a quoted string", describe(target)),
                    ));
                }
            }
        }
        let _ = start;
        Ok(())
    }
}
