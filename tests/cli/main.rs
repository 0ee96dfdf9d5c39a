//! End-to-end tests of the `stance` binary, compiled into one test binary.
//! Each module covers one area; `util` runs the built program.

mod compare;
mod concurrent;
mod errors;
mod hostile_input;
mod hostile_output;
mod model_files;
mod pipeline;
mod retrain;
mod tone;
mod util;
