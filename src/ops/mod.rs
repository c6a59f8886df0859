//! What the command line and the tracking server both do: operations that change the store's
//! rows and the files those rows own together, so that every front end gets the same result.
//! Commands and server routes call these; they call the store. Nothing here prints: errors
//! come back as data (the store's, or this layer's own), and front ends word them.

pub mod copy;
pub mod gc;
pub mod import;
pub mod registry;
pub mod sweep;
pub mod sync;

/// Why an operation could not be done: the store refused or failed, or a setting it needs
/// could not be read.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Store(#[from] crate::store::Error),
    /// The registry policy (`<store>/config.toml`) cannot be read or is invalid.
    #[error(transparent)]
    Policy(#[from] crate::registry::PolicyError),
}
