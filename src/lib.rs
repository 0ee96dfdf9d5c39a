//! stance: how news articles frame Russia.
//!
//! The pipeline: article text ([`corpus`], page furniture removed) →
//! sentences ([`segment`]) → stemmed tokens ([`analyze`]) → TF-IDF rows
//! ([`features`]) → multinomial logistic regression ([`model`]) → each
//! sentence labeled hawkish, conciliatory or neutral with probabilities →
//! per-article profiles ([`profile`]). Models are trained from label files
//! ([`labels`]) with settings chosen by cross-validation and scored with
//! [`eval`]. The `stance` binary is a thin command line over this library.

pub mod analyze;
pub mod compare;
pub mod corpus;
pub mod error;
pub mod eval;
pub mod features;
pub mod labels;
pub mod model;
pub mod output;
pub mod profile;
pub mod report;
pub mod segment;
pub mod stats;
pub mod target;

pub use error::{Error, Result};
