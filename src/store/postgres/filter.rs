//! The PostgreSQL dialect of the database stores' filters (`store/sql_filter.rs`): LIKE and
//! ILIKE as PostgreSQL has them (case-sensitive and not, as in MLflow), and the parameters as
//! its client takes them.

use postgres::types::ToSql;

pub use crate::store::sql_filter::{Param, SqlDialect, compile, order_by};

/// PostgreSQL's way of writing the filters.
#[derive(Debug)]
pub struct Postgres;

impl SqlDialect for Postgres {
    const NULL_TEXT: &'static str = "NULL::text";
    const NULL_INT: &'static str = "NULL::bigint";
    fn trim_slashes(column: &str) -> String {
        format!("rtrim({column}, '/')")
    }
    fn like(column: &str, p: &str, case_sensitive: bool) -> String {
        let like = if case_sensitive { "LIKE" } else { "ILIKE" };
        format!("{column} {like} {p}")
    }
}

/// SQL being built for PostgreSQL.
pub type Fragment = crate::store::sql_filter::Fragment<Postgres>;

impl Fragment {
    /// The parameters as the client takes them.
    pub fn args(&self) -> Vec<&(dyn ToSql + Sync)> {
        self.params
            .iter()
            .map(|p| -> &(dyn ToSql + Sync) {
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
