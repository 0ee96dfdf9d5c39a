//! Writing files so that a reader never sees half of one: write to a
//! temporary file beside the target, flush it to disk, rename it into place.

use crate::error::{Error, Result};
use std::io::Write;
use std::path::Path;

pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut file = AtomicFile::create(path)?;
    file.write_all(bytes).map_err(|e| Error::io(path, e))?;
    file.commit()
}

/// A file being written; it appears at its path only on [`AtomicFile::commit`].
/// Dropped without commit, the temporary file is removed.
pub struct AtomicFile {
    path: std::path::PathBuf,
    temp: tempfile::NamedTempFile,
    writer: std::io::BufWriter<std::fs::File>,
}

impl AtomicFile {
    pub fn create(path: &Path) -> Result<AtomicFile> {
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        if !dir.is_dir() {
            return Err(Error::io(
                path,
                std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    format!(
                        "directory {} does not exist; create it first",
                        dir.display()
                    ),
                ),
            ));
        }
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        // Keep the extension last: some writers (images) choose the format by it.
        let suffix = match path.extension() {
            Some(ext) => format!(".tmp.{}", ext.to_string_lossy()),
            None => ".tmp".to_string(),
        };
        let temp = tempfile::Builder::new()
            .prefix(&format!(".{name}."))
            .suffix(&suffix)
            .tempfile_in(dir)
            .map_err(|e| Error::io(path, e))?;
        let writer =
            std::io::BufWriter::new(temp.as_file().try_clone().map_err(|e| Error::io(path, e))?);
        Ok(AtomicFile {
            path: path.to_path_buf(),
            temp,
            writer,
        })
    }

    /// The temporary file's path, for writers that need a path of their own;
    /// [`AtomicFile::commit`] then moves what they wrote into place.
    pub fn temp_path(&self) -> &Path {
        self.temp.path()
    }

    pub fn commit(mut self) -> Result<()> {
        self.writer.flush().map_err(|e| Error::io(&self.path, e))?;
        self.temp
            .as_file()
            .sync_all()
            .map_err(|e| Error::io(&self.path, e))?;
        #[cfg(unix)]
        {
            // Temporary files are private (0600); the result should read like any other file.
            use std::os::unix::fs::PermissionsExt;
            let permissions = std::fs::Permissions::from_mode(0o644);
            std::fs::set_permissions(self.temp.path(), permissions)
                .map_err(|e| Error::io(&self.path, e))?;
        }
        self.temp
            .persist(&self.path)
            .map_err(|e| Error::io(&self.path, e.error))?;
        Ok(())
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.writer.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.writer.flush()
    }
}
