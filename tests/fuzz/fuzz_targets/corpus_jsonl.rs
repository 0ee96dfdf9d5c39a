//! A JSONL file through the corpus reader.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

/// Input files live in memory (/dev/shm when there is one): appends flush to disk.
fn dir() -> &'static std::path::Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let shm = std::path::Path::new("/dev/shm");
        if shm.is_dir() {
            tempfile::tempdir_in(shm)
        } else {
            tempfile::tempdir()
        }
        .expect("a temporary directory")
    })
    .path()
}

fuzz_target!(|data: &[u8]| {
    checks::corpus_jsonl(dir(), data);
});
