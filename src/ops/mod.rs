//! What the command line and the tracking server both do: operations that change the store's
//! rows and the files those rows own together, so that every front end gets the same result.
//! Commands and server routes call these; they call the store. Nothing here prints.

pub mod registry;
