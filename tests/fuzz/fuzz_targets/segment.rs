//! Segmenter and tokenizer: sentences are in-order trimmed slices that lose
//! no visible character; tokens follow the stems; scores are probabilities.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        checks::segment(text);
    }
});
