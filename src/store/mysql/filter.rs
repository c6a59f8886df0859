//! The MySQL dialect of the database stores' filters (`store/sql_filter.rs`): LIKE with
//! backslash escapes as PostgreSQL's, ILIKE as a LIKE of lowered text (case-sensitive and not,
//! as in MLflow), and the parameters as the store's client takes them.

use super::sql::ToSql;

pub use crate::store::sql_filter::{Param, SqlDialect, compile, order_by};

/// MySQL's way of writing the filters.
#[derive(Debug)]
pub struct Mysql;

impl SqlDialect for Mysql {
    const NULL_TEXT: &'static str = "CAST(NULL AS CHAR)";
    const NULL_INT: &'static str = "CAST(NULL AS SIGNED)";
    fn trim_slashes(column: &str) -> String {
        format!("TRIM(TRAILING '/' FROM {column})")
    }
    fn like(column: &str, p: &str, case_sensitive: bool) -> String {
        if case_sensitive {
            format!("{column} LIKE {p} ESCAPE '\\'")
        } else {
            format!("LOWER({column}) LIKE LOWER({p}) ESCAPE '\\'")
        }
    }
}

/// SQL being built for MySQL.
pub type Fragment = crate::store::sql_filter::Fragment<Mysql>;

impl Fragment {
    /// The parameters as the client takes them.
    pub fn args(&self) -> Vec<&dyn ToSql> {
        self.params
            .iter()
            .map(|p| -> &dyn ToSql {
                match p {
                    Param::Text(s) => s,
                    Param::Real(x) => x,
                    Param::Int(i) => i,
                    Param::Bool(b) => b,
                }
            })
            .collect()
    }
}

pub(super) use crate::store::named_filter::{
    EXPERIMENTS, LOGGED_MODELS, MODELS, VERSIONS, named_filter_sql,
};
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_in_binding_order() {
        let e = crate::search::parse_filter(
            "metrics.a < 1 and (params.b = 'x' or tags.c like 'y%')",
            0,
        )
        .unwrap()
        .unwrap();
        let mut f = Fragment::default();
        compile(&e, "/s", &mut f);
        assert_eq!(f.params.len(), 6);
        for n in 1..=6 {
            assert!(f.sql.contains(&format!("${n}")), "{}", f.sql);
        }
        assert!(f.sql.contains(" LIKE $6"), "{}", f.sql);
        assert!(!f.sql.contains('?'));
    }
}
