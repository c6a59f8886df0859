//! The store contract: one set of cases written against the store traits
//! (`mlf::store::{Backend, TrackingStore, RegistryStore}`), each run against every
//! implementation — the SQLite store (`sqlite::…`), the PostgreSQL store on a throwaway
//! cluster (`postgres::…`), the MySQL store on a throwaway MariaDB server (`mysql::…`) and the
//! REST store talking to a real `mlf server` over a store directory (`rest::…`), over
//! PostgreSQL (`rest_postgres::…`) and over MySQL (`rest_mysql::…`) —
//! with the same assertions.
//!
//! A case is a plain `fn(&mut dyn Backend)` in the module of its area; list it below and it
//! runs against both. Where the implementations legitimately differ (calls that exist only in
//! a local store), the case says so and tests each side where it applies.

// The harness reads its own PATH to give the server process.
#![allow(clippy::disallowed_methods)]

mod common;
mod db_cases;
mod experiments;
mod logging;
mod my;
mod paging;
mod pg;
mod registry;
mod registry_extra;
mod runs;
mod search;
mod support;

/// For each area and case, `sqlite::AREA::CASE`, `rest::AREA::CASE`, `postgres::AREA::CASE`,
/// `mysql::AREA::CASE`, `rest_postgres::AREA::CASE` and `rest_mysql::AREA::CASE` (the REST
/// store talking to `mlf server` on a database) tests. Attributes written before a case (such
/// as `#[ignore = "why"]`) go on all; after it, `sqlite: #[…]`, `rest: #[…]` (every REST side)
/// or `postgres: #[…]` (both databases) go on that side only.
macro_rules! contracts {
    ($( $area:ident {
        $( $(#[$attr:meta])* $case:ident
           $(sqlite: $(#[$sqlite:meta])+)?
           $(rest: $(#[$rest:meta])+)?
           $(postgres: $(#[$postgres:meta])+)? ),* $(,)?
    } )*) => {
        mod sqlite {
            $( mod $area {
                $( $(#[$attr])* $($(#[$sqlite])+)? #[test] fn $case() {
                    crate::support::with_sqlite(crate::$area::$case)
                } )*
            } )*
        }
        mod rest {
            $( mod $area {
                $( $(#[$attr])* $($(#[$rest])+)? #[test] fn $case() {
                    crate::support::with_rest(crate::$area::$case)
                } )*
            } )*
        }
        mod postgres {
            $( mod $area {
                $( $(#[$attr])* $($(#[$postgres])+)? #[test] fn $case() {
                    crate::support::with_postgres(crate::$area::$case)
                } )*
            } )*
        }
        mod mysql {
            $( mod $area {
                $( $(#[$attr])* $($(#[$postgres])+)? #[test] fn $case() {
                    crate::support::with_mysql(crate::$area::$case)
                } )*
            } )*
        }
        mod rest_mysql {
            $( mod $area {
                $( $(#[$attr])* $($(#[$rest])+)? #[test] fn $case() {
                    crate::support::with_rest_mysql(crate::$area::$case)
                } )*
            } )*
        }
        mod rest_postgres {
            $( mod $area {
                $( $(#[$attr])* $($(#[$rest])+)? #[test] fn $case() {
                    crate::support::with_rest_postgres(crate::$area::$case)
                } )*
            } )*
        }
    };
}

contracts! {
    experiments {
        default_experiment,
        create_get_and_find,
        duplicate_name_is_refused,
        unknown_experiment_is_not_found,
        list_by_view,
        rename,
        delete_and_restore,
        no_runs_in_a_deleted_experiment,
        name_wins_over_id,
        artifact_location,
    }
    runs {
        create_and_get,
        generated_name,
        run_name_from_tag,
        user_tag_is_kept,
        update_run,
        update_run_without_end_time,
        delete_and_restore_views,
        delete_runs_is_all_or_none,
        resolve_run,
        unknown_run_is_not_found,
        active_run,
    }
    logging {
        log_batch,
        params_are_write_once,
        metric_history,
    }
    search {
        search_filter_and_order,
        search_pages,
        completion_lists,
    }
    registry {
        create_and_get_model,
        list_models,
        create_versions,
        transition_stages,
        aliases,
        tags_and_descriptions,
        delete_version_and_model,
        unknown_model_is_not_found,
    }
    paging {
        model_pages,
        version_pages,
        metric_history_pages,
    }
    registry_extra {
        local_only,
        version_files,
        register_copied_files,
        approvals,
        history,
        history_keeps_comments
            rest: #[ignore = "mlf server's MLflow routes (transition-stage, alias, update, set-tag, delete) take no comment, so the REST store cannot send Act::comment and the history over a server records none (src/server/routes/)"],
    }
}
