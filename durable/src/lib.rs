//! healthzk-durable: the one way healthzk writes a file it must not lose or tear — key files,
//! issuer trees, revocation lists, packages, account keys, the embedded chain's state, the
//! service's blobs. Used by the CLI, the service and the chain layer; depends on `std` only.
//!
//! [`write`] replaces a file so that a crash leaves the old or the new contents, never a torn
//! mix, and a successful return means both the contents and the directory entry reached the
//! disk: the bytes go to a fresh temporary file beside the target (created with the final
//! mode, so a secret is never readable by others, not even briefly), which is fsynced, renamed
//! over the target, and then the directory is fsynced. [`write_new`] does the same but refuses
//! to replace an existing file.
#![deny(missing_docs)]

use std::{
    fs::{File, OpenOptions},
    io::{self, Write},
    path::{Path, PathBuf},
    sync::atomic::{AtomicU64, Ordering},
};

/// Mode of files anyone on the machine may read (keys' public halves, packages' ciphertext).
pub const PUBLIC: u32 = 0o644;
/// Mode of secrets: the owner only.
pub const SECRET: u32 = 0o600;

/// A temporary name beside `path`, unique within this process and across processes (pid).
fn temporary(path: &Path) -> PathBuf {
    static N: AtomicU64 = AtomicU64::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    path.with_file_name(format!(".{name}.tmp-{}-{n}", std::process::id()))
}

/// The directory holding `path` (`.` for a bare file name).
fn parent(path: &Path) -> &Path {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

fn open_new(path: &Path, mode: u32) -> io::Result<File> {
    let mut opts = OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, mode);
    #[cfg(not(unix))]
    let _ = mode;
    opts.open(path)
}

/// Fsyncs a directory, so a rename or a new entry in it survives a crash. (Not possible, and
/// not needed, on platforms without directory handles.)
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

/// Writes `bytes` to `path` durably and atomically, creating missing directories; the file
/// gets `mode` (Unix). Errors are `std::io`'s (the caller names the file).
pub fn write(path: &Path, bytes: &[u8], mode: u32) -> io::Result<()> {
    let dir = parent(path);
    std::fs::create_dir_all(dir)?;
    let tmp = temporary(path);
    let result = (|| {
        let mut f = open_new(&tmp, mode)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    sync_dir(dir)
}

/// Like [`write`], but refuses (`AlreadyExists`) to replace an existing file: for secrets that
/// must never be overwritten by accident (a holder secret, an account key).
pub fn write_new(path: &Path, bytes: &[u8], mode: u32) -> io::Result<()> {
    let dir = parent(path);
    std::fs::create_dir_all(dir)?;
    let tmp = temporary(path);
    let result = (|| {
        let mut f = open_new(&tmp, mode)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        // A hard link fails if the target exists: no window in which it could be replaced.
        std::fs::hard_link(&tmp, path)
    })();
    let _ = std::fs::remove_file(&tmp);
    result?;
    sync_dir(dir)
}

/// Mode of a directory only its owner may enter (Unix).
pub const PRIVATE_DIR: u32 = 0o700;

/// Sets `path`'s mode (Unix; elsewhere nothing), for files and directories an earlier version
/// created with the umask's.
pub fn restrict(path: &Path, mode: u32) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
    }
    #[cfg(not(unix))]
    {
        let _ = (path, mode);
        Ok(())
    }
}

/// Creates an empty file at `path` with `mode` if there is none (so that a program which later
/// opens it, such as SQLite, never creates it with the umask's mode).
pub fn create_file(path: &Path, mode: u32) -> io::Result<()> {
    match open_new(path, mode) {
        Ok(f) => {
            f.sync_all()?;
            sync_dir(parent(path))
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

/// Creates `dir` (and its parents) if missing; a directory it creates gets `mode` (Unix).
pub fn create_dir(dir: &Path, mode: u32) -> io::Result<()> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut b, mode);
    #[cfg(not(unix))]
    let _ = mode;
    b.create(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_replaces_whole_files_and_leaves_no_temporary() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("a/b/file.json");
        write(&p, b"first", PUBLIC).unwrap();
        write(&p, b"second", PUBLIC).unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"second");
        let names: Vec<_> = std::fs::read_dir(p.parent().unwrap()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, vec![std::ffi::OsString::from("file.json")]);
    }

    #[cfg(unix)]
    #[test]
    fn modes_are_set_at_creation() {
        use std::os::unix::fs::PermissionsExt;
        let d = tempfile::tempdir().unwrap();
        let (s, p) = (d.path().join("secret"), d.path().join("public"));
        write(&s, b"k", SECRET).unwrap();
        write(&p, b"k", PUBLIC).unwrap();
        assert_eq!(std::fs::metadata(&s).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(std::fs::metadata(&p).unwrap().permissions().mode() & 0o777, 0o644);
        let dir = d.path().join("private/inner");
        create_dir(&dir, 0o700).unwrap();
        assert_eq!(std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777, 0o700);
    }

    #[test]
    fn write_new_refuses_to_replace() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("holder.json");
        write_new(&p, b"one", SECRET).unwrap();
        let e = write_new(&p, b"two", SECRET).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read(&p).unwrap(), b"one");
        assert_eq!(std::fs::read_dir(d.path()).unwrap().count(), 1, "no temporary left behind");
    }

    #[test]
    fn a_failed_write_leaves_the_old_file() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("f");
        write(&p, b"old", PUBLIC).unwrap();
        // A directory in the way of the rename.
        let blocked = d.path().join("dir");
        std::fs::create_dir(&blocked).unwrap();
        std::fs::write(blocked.join("x"), b"").unwrap();
        assert!(write(&blocked, b"new", PUBLIC).is_err());
        assert_eq!(std::fs::read(&p).unwrap(), b"old");
        assert!(blocked.is_dir());
    }
}
