//! Model loader: bytes in, a usable model or an error naming the file.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    checks::model(data);
});
