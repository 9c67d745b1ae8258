//! One console process per data dir: an exclusive lock on `<data-dir>/console.lock`, held for
//! the life of the process (the OS drops it when the process dies, even on `kill -9`).

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// File name of the lock inside the data dir.
pub const LOCK_FILE: &str = "console.lock";

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("another katonic-console is already running (pid {pid}) on data dir {dir}")]
    AlreadyRunning { dir: PathBuf, pid: String },
    #[error("cannot lock {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Held while the console runs; released on drop or process exit.
#[derive(Debug)]
pub struct DataDirLock {
    _file: File,
}

impl DataDirLock {
    pub fn acquire(data_dir: &Path) -> Result<DataDirLock, LockError> {
        let path = data_dir.join(LOCK_FILE);
        let io = |source| LockError::Io {
            path: path.clone(),
            source,
        };
        // Owner-only from the start (whatever the umask): the store would otherwise find a
        // directory it just made "mode 755" and warn about it.
        let mut dir = std::fs::DirBuilder::new();
        dir.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut dir, 0o700);
        dir.create(data_dir).map_err(io)?;
        let mut options = OpenOptions::new();
        options.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&path).map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut pid = String::new();
                // The holder wrote its pid; if it cannot be read, say so rather than fail.
                let _ = file.read_to_string(&mut pid);
                let pid = pid.trim();
                return Err(LockError::AlreadyRunning {
                    dir: data_dir.to_path_buf(),
                    pid: if pid.is_empty() {
                        "unknown".to_string()
                    } else {
                        pid.to_string()
                    },
                });
            }
            Err(TryLockError::Error(e)) => return Err(io(e)),
        }
        file.set_len(0).map_err(io)?;
        file.seek(SeekFrom::Start(0)).map_err(io)?;
        write!(file, "{}", std::process::id()).map_err(io)?;
        file.sync_all().map_err(io)?;
        Ok(DataDirLock { _file: file })
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn a_data_dir_the_lock_creates_is_owner_only_from_the_start() {
        let temp = tempfile::tempdir().unwrap();
        let dir = temp.path().join("new/data");
        let _lock = DataDirLock::acquire(&dir).unwrap();
        let mode = std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777;
        // The store then finds nothing to tighten, so a first start warns about nothing.
        assert_eq!(mode, 0o700);
    }
}
