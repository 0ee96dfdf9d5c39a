//! Writing files so that a reader never sees half of one: write to a
//! temporary file beside the target, flush it to disk, rename it into place.
//!
//! Every temporary file being written is registered here, so that a binary
//! interrupted by a signal can remove them all before it exits
//! ([`remove_unfinished`]); a temporary file is never renamed into place
//! after that.
//!
//! A target that exists and is not a regular file (`/dev/null`, `/dev/full`,
//! a terminal, a named pipe) cannot be replaced by a rename: it is written
//! directly, and any error writing it is reported.

use crate::error::{Error, Result};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut file = AtomicFile::create(path)?;
    file.writer
        .write_all(bytes)
        .map_err(|e| write_error(path, e))?;
    file.commit()
}

/// Temporary files created and neither committed nor dropped yet.
static UNFINISHED: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn unfinished() -> MutexGuard<'static, Vec<PathBuf>> {
    // A panic elsewhere while holding the lock leaves the list itself intact.
    UNFINISHED
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Remove every temporary file still being written, for a process about to
/// exit on a signal. The returned guard keeps any other thread from creating
/// or committing a file: hold it until the process exits. Returns the guard
/// and how many files were removed.
pub fn remove_unfinished() -> (MutexGuard<'static, Vec<PathBuf>>, usize) {
    let mut list = unfinished();
    let n = list.len();
    for path in list.drain(..) {
        let _ = std::fs::remove_file(&path);
    }
    (list, n)
}

/// What to do about an I/O error writing `path`, when there is something to say.
fn advice(path: &Path, err: &std::io::Error) -> Option<String> {
    use std::io::ErrorKind;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.display().to_string(),
        _ => ".".to_string(),
    };
    Some(match err.kind() {
        ErrorKind::PermissionDenied | ErrorKind::ReadOnlyFilesystem => format!(
            "no permission to write in {dir}: choose another output path, or make {dir} writable"
        ),
        ErrorKind::StorageFull | ErrorKind::QuotaExceeded => {
            "the device is full: free some space or write somewhere else".to_string()
        }
        ErrorKind::NotADirectory => {
            format!("{dir} is not a directory: choose an output path in a directory")
        }
        ErrorKind::IsADirectory => format!(
            "give the name of a file in it, for example {}",
            path.join("out.csv").display()
        ),
        _ => return None,
    })
}

/// An I/O error writing `path`, with the path and advice in its message. The
/// kind is kept, so a broken pipe is still recognized as one.
pub fn io_error_with_advice(path: &Path, err: std::io::Error) -> std::io::Error {
    let kind = err.kind();
    let message = match advice(path, &err) {
        Some(advice) => format!("{}: {err}; {advice}", path.display()),
        None => format!("{}: {err}", path.display()),
    };
    std::io::Error::new(kind, message)
}

/// A library error for a failed write to `path`, with advice where there is any.
pub fn write_error(path: &Path, err: std::io::Error) -> Error {
    match advice(path, &err) {
        Some(advice) => Error::Write {
            path: path.to_path_buf(),
            source: err,
            advice,
        },
        None => Error::io(path, err),
    }
}

/// A file being written; it appears at its path only on [`AtomicFile::commit`].
/// Dropped without commit, the temporary file is removed.
pub struct AtomicFile {
    /// The path as the user gave it, for messages.
    path: PathBuf,
    /// Where the file goes: renamed into place, or written in place.
    target: Target,
    writer: std::io::BufWriter<std::fs::File>,
}

enum Target {
    /// A temporary file, renamed to `dest` on commit (`None` once committed).
    Temp {
        temp: Option<tempfile::TempPath>,
        dest: PathBuf,
    },
    /// An existing file that is not a regular file (a device, a pipe): written directly.
    Direct,
}

impl AtomicFile {
    pub fn create(path: &Path) -> Result<AtomicFile> {
        // An existing target decides how it is written: through a symbolic
        // link, the file it points to is replaced; a device or a pipe is
        // written directly, since renaming a file over it would replace it.
        let mut dest = path.to_path_buf();
        match std::fs::metadata(path) {
            Ok(meta) if meta.is_dir() => {
                return Err(write_error(
                    path,
                    std::io::Error::from(std::io::ErrorKind::IsADirectory),
                ))
            }
            Ok(meta) if !meta.is_file() => {
                let file = std::fs::OpenOptions::new()
                    .write(true)
                    .open(path)
                    .map_err(|e| write_error(path, e))?;
                return Ok(AtomicFile {
                    path: path.to_path_buf(),
                    target: Target::Direct,
                    writer: std::io::BufWriter::new(file),
                });
            }
            Ok(_) => {
                if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
                    dest = std::fs::canonicalize(path).map_err(|e| Error::io(path, e))?;
                }
            }
            Err(_) => {}
        }
        let dir = match dest.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        if !dir.is_dir() {
            let problem = if dir.exists() {
                format!(
                    "{} is not a directory: choose an output path in a directory",
                    dir.display()
                )
            } else {
                format!(
                    "directory {} does not exist; create it first",
                    dir.display()
                )
            };
            return Err(Error::io(
                path,
                std::io::Error::new(std::io::ErrorKind::NotFound, problem),
            ));
        }
        let name = dest
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        // Keep the extension last: some writers (images) choose the format by it.
        let suffix = match dest.extension() {
            Some(ext) => format!(".tmp.{}", ext.to_string_lossy()),
            None => ".tmp".to_string(),
        };
        // Registered under the lock, so an interruption cannot fall between
        // creating the file and recording it.
        let mut list = unfinished();
        let temp = tempfile::Builder::new()
            .prefix(&format!(".{name}."))
            .suffix(&suffix)
            .tempfile_in(&dir)
            .map_err(|e| write_error(path, e))?;
        let (file, temp) = temp.into_parts();
        list.push(temp.to_path_buf());
        drop(list);
        Ok(AtomicFile {
            path: path.to_path_buf(),
            target: Target::Temp {
                temp: Some(temp),
                dest,
            },
            writer: std::io::BufWriter::new(file),
        })
    }

    /// The temporary file's path, for writers that need a path of their own;
    /// [`AtomicFile::commit`] then moves what they wrote into place. (For a
    /// target written directly, the target itself.)
    pub fn temp_path(&self) -> &Path {
        match &self.target {
            Target::Temp {
                temp: Some(temp), ..
            } => temp,
            _ => &self.path,
        }
    }

    pub fn commit(mut self) -> Result<()> {
        let path = self.path.clone();
        self.writer.flush().map_err(|e| write_error(&path, e))?;
        let Target::Temp { temp, dest } = &mut self.target else {
            return Ok(());
        };
        let Some(temp_path) = temp.as_ref().map(|t| t.to_path_buf()) else {
            return Ok(());
        };
        self.writer
            .get_ref()
            .sync_all()
            .map_err(|e| write_error(&path, e))?;
        #[cfg(unix)]
        {
            // Temporary files are private (0600); the result should read like any other file.
            use std::os::unix::fs::PermissionsExt;
            let permissions = std::fs::Permissions::from_mode(0o644);
            std::fs::set_permissions(&temp_path, permissions).map_err(|e| write_error(&path, e))?;
        }
        // Renamed and unregistered under the lock: an interruption either
        // removes the temporary file first or finds the rename done.
        let mut list = unfinished();
        list.retain(|p| p != &temp_path);
        let Some(temp) = temp.take() else {
            return Ok(());
        };
        let renamed = temp.persist(dest.as_path());
        drop(list);
        renamed.map_err(|e| write_error(&path, e.error))
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if let Target::Temp { temp, .. } = &mut self.target {
            if let Some(temp) = temp.take() {
                let mut list = unfinished();
                let temp_path = temp.to_path_buf();
                list.retain(|p| p != &temp_path);
                // Removed while the lock is held.
                drop(temp);
                drop(list);
            }
        }
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.writer
            .write(buf)
            .map_err(|e| io_error_with_advice(&self.path, e))
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.writer
            .flush()
            .map_err(|e| io_error_with_advice(&self.path, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_files(dir: &Path) -> Vec<String> {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains(".tmp"))
            .collect()
    }

    #[test]
    fn appears_only_on_commit_and_leaves_nothing_when_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.csv");
        let mut f = AtomicFile::create(&target).unwrap();
        f.write_all(b"a,b\n").unwrap();
        assert!(!target.exists());
        assert_eq!(temp_files(dir.path()).len(), 1);
        f.commit().unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"a,b\n");
        assert!(temp_files(dir.path()).is_empty());

        let mut f = AtomicFile::create(&target).unwrap();
        f.write_all(b"replaced").unwrap();
        drop(f);
        assert_eq!(std::fs::read(&target).unwrap(), b"a,b\n", "old file kept");
        assert!(temp_files(dir.path()).is_empty());
    }

    #[test]
    fn a_vanished_temporary_file_is_never_committed() {
        // What an interruption does (remove_unfinished removes the file;
        // calling it here would race with other tests' files): the commit
        // then fails and the previous file stays as it was.
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("model.json");
        std::fs::write(&target, b"previous").unwrap();
        let mut f = AtomicFile::create(&target).unwrap();
        f.write_all(b"half of a new model").unwrap();
        f.flush().unwrap();
        let temp = f.temp_path().to_path_buf();
        assert!(unfinished().contains(&temp), "registered while unfinished");
        std::fs::remove_file(&temp).unwrap();
        assert!(f.commit().is_err());
        assert!(!unfinished().contains(&temp), "unregistered");
        assert_eq!(std::fs::read(&target).unwrap(), b"previous");
        assert!(temp_files(dir.path()).is_empty());
    }

    #[test]
    fn a_symbolic_link_keeps_pointing_at_the_new_file() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.csv");
        std::fs::write(&real, b"old").unwrap();
        let link = dir.path().join("link.csv");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        write_atomically(&link, b"new").unwrap();
        assert!(std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(std::fs::read(&real).unwrap(), b"new");
    }

    #[test]
    fn devices_are_written_directly() {
        // /dev/null is not replaced by a regular file, and writing it works.
        write_atomically(Path::new("/dev/null"), b"discarded").unwrap();
        assert!(!std::fs::metadata("/dev/null").unwrap().is_file());
        // /dev/full fails with an error that names it and says what is wrong.
        let err = write_atomically(Path::new("/dev/full"), &[b'x'; 1 << 16])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("/dev/full") && err.contains("the device is full"),
            "{err}"
        );
        assert!(!std::fs::metadata("/dev/full").unwrap().is_file());
    }

    #[test]
    fn a_directory_or_a_file_as_directory_is_refused_with_advice() {
        let dir = tempfile::tempdir().unwrap();
        let err = write_atomically(dir.path(), b"x").unwrap_err().to_string();
        assert!(err.contains("give the name of a file in it"), "{err}");
        let file = dir.path().join("file.txt");
        std::fs::write(&file, b"x").unwrap();
        let err = write_atomically(&file.join("out.csv"), b"x")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("file.txt is not a directory") && err.contains("out.csv"),
            "{err}"
        );
    }
}
