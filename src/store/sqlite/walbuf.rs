//! The store's connections open the database through a thin layer over SQLite's own Unix VFS
//! that gathers the writes of one transaction to the write-ahead log and gives them to the
//! file system in one call.
//!
//! SQLite appends each page to the WAL as two writes, a 24-byte frame header and the page, so
//! a commit of 20 pages is 40 system calls, each page straddling two of the kernel's pages.
//! Here the writes of a transaction are kept in memory while they are contiguous, and written
//! together when the commit frame's page arrives: the header of the commit frame is the only
//! one with a non-zero database size. The write that completes the commit returns the error of
//! the combined write, so a failed commit fails as before. Before anything else is done with
//! the file (a read, a sync, a size, a truncation, a close), whatever is held is written.
//!
//! Nothing changes for readers: another connection only reads frames once the commit's
//! header is published in the shared index, which SQLite does after the commit frame's write
//! has returned. Nothing changes for durability either: the commit still returns once its
//! frames are in the file (and synced where the connection's `synchronous` says so).

use std::ffi::{CStr, c_int, c_void};
use std::sync::OnceLock;

use rusqlite::ffi;

/// The name the layer is registered under.
const NAME: &CStr = c"mlf-wal";

/// What is held before it is written regardless of a commit.
const MAX_HELD: usize = 4 << 20;

/// The most the Unix VFS writes in one call (it keeps the low 17 bits of a length).
const MAX_WRITE: usize = 0x1ffff;

/// A WAL frame's header: its page number, then the database size in pages, non-zero only in
/// the commit frame.
const FRAME_HEADER: usize = 24;

/// The VFS to open the store with: this layer, or SQLite's default where it cannot be
/// registered (a platform without the Unix VFS).
pub(super) fn vfs() -> Option<&'static CStr> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    REGISTERED.get_or_init(register).then_some(NAME)
}

fn register() -> bool {
    // SAFETY: `sqlite3_vfs_find` initialises SQLite and returns a VFS that lives for the
    // process. The copy is leaked, so it lives as long; SQLite only reads it.
    unsafe {
        let unix = ffi::sqlite3_vfs_find(c"unix".as_ptr());
        if unix.is_null() || (*unix).szOsFile < 0 {
            return false;
        }
        let mut ours: ffi::sqlite3_vfs = std::ptr::read(unix);
        // The Unix VFS's methods other than `xOpen` use nothing of the VFS object but its
        // `mxPathname`, which the copy keeps; `xOpen` is wrapped.
        ours.szOsFile = (inner_offset() + (*unix).szOsFile as usize) as c_int;
        ours.zName = NAME.as_ptr();
        ours.pNext = std::ptr::null_mut();
        ours.pAppData = unix.cast();
        ours.xOpen = Some(open);
        let ours = Box::leak(Box::new(ours));
        ffi::sqlite3_vfs_register(ours, 0) == ffi::SQLITE_OK
    }
}

/// A WAL file of this layer; SQLite's own file follows it in the same allocation.
#[repr(C)]
struct WalFile {
    base: ffi::sqlite3_file,
    inner: *mut ffi::sqlite3_file,
    /// Writes not yet given to the file, contiguous from `start`.
    held: Vec<u8>,
    start: i64,
    /// The last write was a commit frame's header: its page ends the transaction.
    commit_next: bool,
}

fn inner_offset() -> usize {
    std::mem::size_of::<WalFile>().next_multiple_of(16)
}

unsafe extern "C" fn open(
    vfs: *mut ffi::sqlite3_vfs,
    name: ffi::sqlite3_filename,
    file: *mut ffi::sqlite3_file,
    flags: c_int,
    out_flags: *mut c_int,
) -> c_int {
    // SAFETY: SQLite passes this VFS, and a zeroed allocation of its `szOsFile` bytes for the
    // file, which holds a `WalFile` followed by the Unix VFS's own file.
    unsafe {
        let unix = (*vfs).pAppData as *mut ffi::sqlite3_vfs;
        let Some(unix_open) = (*unix).xOpen else {
            return ffi::SQLITE_ERROR;
        };
        if flags & ffi::SQLITE_OPEN_WAL == 0 {
            return unix_open(unix, name, file, flags, out_flags);
        }
        let inner = file
            .cast::<u8>()
            .add(inner_offset())
            .cast::<ffi::sqlite3_file>();
        let rc = unix_open(unix, name, inner, flags, out_flags);
        if rc != ffi::SQLITE_OK {
            (*file).pMethods = std::ptr::null();
            return rc;
        }
        file.cast::<WalFile>().write(WalFile {
            base: ffi::sqlite3_file { pMethods: &METHODS },
            inner,
            held: Vec::new(),
            start: 0,
            commit_next: false,
        });
        ffi::SQLITE_OK
    }
}

/// The file as this layer's, and SQLite's own file's methods.
///
/// # Safety
/// `file` is a file this layer opened (its methods are `METHODS`).
unsafe fn parts<'a>(
    file: *mut ffi::sqlite3_file,
) -> (&'a mut WalFile, &'a ffi::sqlite3_io_methods) {
    // SAFETY: as the caller promises; the inner file was opened, so its methods are set.
    unsafe {
        let w = &mut *file.cast::<WalFile>();
        let m = &*(*w.inner).pMethods;
        (w, m)
    }
}

/// Writes what is held; the held bytes are dropped whatever the outcome (SQLite writes the
/// frames of a failed transaction again).
unsafe fn flush(w: &mut WalFile, m: &ffi::sqlite3_io_methods) -> c_int {
    if w.held.is_empty() {
        return ffi::SQLITE_OK;
    }
    let Some(write) = m.xWrite else {
        return ffi::SQLITE_IOERR_WRITE;
    };
    let mut rc = ffi::SQLITE_OK;
    let mut offset = w.start;
    for chunk in w.held.chunks(MAX_WRITE) {
        // SAFETY: the inner file is open and `chunk` is readable; its length fits a c_int.
        rc = unsafe { write(w.inner, chunk.as_ptr().cast(), chunk.len() as c_int, offset) };
        if rc != ffi::SQLITE_OK {
            break;
        }
        offset += chunk.len() as i64;
    }
    w.held.clear();
    rc
}

/// Runs `f` on the inner file after writing what is held.
macro_rules! after_flush {
    ($file:ident, $method:ident ( $($arg:expr),* ), $missing:expr) => {{
        // SAFETY: SQLite calls these methods only on files this layer opened.
        unsafe {
            let (w, m) = parts($file);
            let rc = flush(w, m);
            match m.$method {
                Some(f) if rc == ffi::SQLITE_OK => f(w.inner $(, $arg)*),
                Some(_) => rc,
                None => $missing,
            }
        }
    }};
}

unsafe extern "C" fn write(
    file: *mut ffi::sqlite3_file,
    data: *const c_void,
    amount: c_int,
    offset: i64,
) -> c_int {
    // SAFETY: SQLite calls this on a file this layer opened, with `amount` readable bytes.
    unsafe {
        let (w, m) = parts(file);
        let Ok(len) = usize::try_from(amount) else {
            return ffi::SQLITE_IOERR_WRITE;
        };
        let bytes = std::slice::from_raw_parts(data.cast::<u8>(), len);
        let commit_header = len == FRAME_HEADER && bytes[4..8] != [0; 4];
        if !w.held.is_empty() && offset != w.start + w.held.len() as i64 {
            let rc = flush(w, m);
            if rc != ffi::SQLITE_OK {
                return rc;
            }
        }
        let alone = w.held.is_empty();
        if alone {
            w.start = offset;
        }
        w.held.extend_from_slice(bytes);
        let ends_commit = std::mem::take(&mut w.commit_next);
        if commit_header {
            // Its page follows at once and ends the transaction. A commit header with nothing
            // held before it goes out at once too: that is a transaction of one frame, or the
            // last write of a transaction whose checksums SQLite rewrites after overwriting a
            // frame in place (each rewritten header follows a read, the commit's comes last).
            w.commit_next = true;
            if alone { flush(w, m) } else { ffi::SQLITE_OK }
        } else if ends_commit || w.held.len() >= MAX_HELD {
            flush(w, m)
        } else {
            ffi::SQLITE_OK
        }
    }
}

unsafe extern "C" fn close(file: *mut ffi::sqlite3_file) -> c_int {
    // SAFETY: SQLite closes a file this layer opened, once; the `WalFile` is dropped here.
    unsafe {
        let (w, m) = parts(file);
        let rc = flush(w, m);
        let closed = match m.xClose {
            Some(f) => f(w.inner),
            None => ffi::SQLITE_OK,
        };
        std::ptr::drop_in_place(file.cast::<WalFile>());
        (*file).pMethods = std::ptr::null();
        if rc != ffi::SQLITE_OK { rc } else { closed }
    }
}

unsafe extern "C" fn read(
    file: *mut ffi::sqlite3_file,
    buf: *mut c_void,
    n: c_int,
    off: i64,
) -> c_int {
    after_flush!(file, xRead(buf, n, off), ffi::SQLITE_IOERR_READ)
}

unsafe extern "C" fn truncate(file: *mut ffi::sqlite3_file, size: i64) -> c_int {
    after_flush!(file, xTruncate(size), ffi::SQLITE_IOERR_TRUNCATE)
}

unsafe extern "C" fn sync(file: *mut ffi::sqlite3_file, flags: c_int) -> c_int {
    after_flush!(file, xSync(flags), ffi::SQLITE_IOERR_FSYNC)
}

unsafe extern "C" fn file_size(file: *mut ffi::sqlite3_file, size: *mut i64) -> c_int {
    after_flush!(file, xFileSize(size), ffi::SQLITE_IOERR_FSTAT)
}

unsafe extern "C" fn lock(file: *mut ffi::sqlite3_file, level: c_int) -> c_int {
    after_flush!(file, xLock(level), ffi::SQLITE_OK)
}

unsafe extern "C" fn unlock(file: *mut ffi::sqlite3_file, level: c_int) -> c_int {
    after_flush!(file, xUnlock(level), ffi::SQLITE_OK)
}

unsafe extern "C" fn check_reserved_lock(file: *mut ffi::sqlite3_file, out: *mut c_int) -> c_int {
    after_flush!(file, xCheckReservedLock(out), ffi::SQLITE_OK)
}

unsafe extern "C" fn file_control(
    file: *mut ffi::sqlite3_file,
    op: c_int,
    arg: *mut c_void,
) -> c_int {
    after_flush!(file, xFileControl(op, arg), ffi::SQLITE_NOTFOUND)
}

unsafe extern "C" fn sector_size(file: *mut ffi::sqlite3_file) -> c_int {
    // SAFETY: SQLite calls this on a file this layer opened.
    unsafe {
        let (w, m) = parts(file);
        m.xSectorSize.map_or(4096, |f| f(w.inner))
    }
}

unsafe extern "C" fn device_characteristics(file: *mut ffi::sqlite3_file) -> c_int {
    // SAFETY: SQLite calls this on a file this layer opened.
    unsafe {
        let (w, m) = parts(file);
        m.xDeviceCharacteristics.map_or(0, |f| f(w.inner))
    }
}

unsafe extern "C" fn shm_map(
    file: *mut ffi::sqlite3_file,
    page: c_int,
    size: c_int,
    extend: c_int,
    out: *mut *mut c_void,
) -> c_int {
    after_flush!(
        file,
        xShmMap(page, size, extend, out),
        ffi::SQLITE_IOERR_SHMMAP
    )
}

unsafe extern "C" fn shm_lock(
    file: *mut ffi::sqlite3_file,
    offset: c_int,
    n: c_int,
    flags: c_int,
) -> c_int {
    after_flush!(file, xShmLock(offset, n, flags), ffi::SQLITE_IOERR_SHMLOCK)
}

unsafe extern "C" fn shm_barrier(file: *mut ffi::sqlite3_file) {
    // SAFETY: SQLite calls this on a file this layer opened.
    unsafe {
        let (w, m) = parts(file);
        let _ = flush(w, m);
        if let Some(f) = m.xShmBarrier {
            f(w.inner);
        }
    }
}

unsafe extern "C" fn shm_unmap(file: *mut ffi::sqlite3_file, delete: c_int) -> c_int {
    after_flush!(file, xShmUnmap(delete), ffi::SQLITE_OK)
}

unsafe extern "C" fn fetch(
    file: *mut ffi::sqlite3_file,
    off: i64,
    n: c_int,
    out: *mut *mut c_void,
) -> c_int {
    // SAFETY: SQLite calls this on a file this layer opened, with a place for the pointer.
    unsafe {
        let (w, m) = parts(file);
        let rc = flush(w, m);
        if rc != ffi::SQLITE_OK {
            return rc;
        }
        match m.xFetch {
            Some(f) if m.iVersion >= 3 => f(w.inner, off, n, out),
            _ => {
                *out = std::ptr::null_mut();
                ffi::SQLITE_OK
            }
        }
    }
}

unsafe extern "C" fn unfetch(file: *mut ffi::sqlite3_file, off: i64, p: *mut c_void) -> c_int {
    // SAFETY: SQLite calls this on a file this layer opened.
    unsafe {
        let (w, m) = parts(file);
        match m.xUnfetch {
            Some(f) if m.iVersion >= 3 => f(w.inner, off, p),
            _ => ffi::SQLITE_OK,
        }
    }
}

static METHODS: ffi::sqlite3_io_methods = ffi::sqlite3_io_methods {
    iVersion: 3,
    xClose: Some(close),
    xRead: Some(read),
    xWrite: Some(write),
    xTruncate: Some(truncate),
    xSync: Some(sync),
    xFileSize: Some(file_size),
    xLock: Some(lock),
    xUnlock: Some(unlock),
    xCheckReservedLock: Some(check_reserved_lock),
    xFileControl: Some(file_control),
    xSectorSize: Some(sector_size),
    xDeviceCharacteristics: Some(device_characteristics),
    xShmMap: Some(shm_map),
    xShmLock: Some(shm_lock),
    xShmBarrier: Some(shm_barrier),
    xShmUnmap: Some(shm_unmap),
    xFetch: Some(fetch),
    xUnfetch: Some(unfetch),
};

#[cfg(test)]
mod tests {
    use rusqlite::{Connection, OpenFlags};

    /// Through the layer: transactions of some 300 KiB (more than one write of the Unix VFS),
    /// with a page cache of ten pages so that SQLite spills frames before the commit and then
    /// overwrites them and rewrites their checksums. The files, copied while the connection
    /// is still open, recover every committed row: SQLite checks each frame's checksum while
    /// it recovers a WAL, so a commit still held in memory would be missing from the copy.
    #[test]
    fn every_commit_is_in_the_log_file_while_the_connection_is_open() {
        let dir = std::env::temp_dir().join(format!("mlf-walbuf-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let db = dir.join("t.db");
        let vfs = super::vfs().expect("the layer registers");
        let conn = Connection::open_with_flags_and_vfs(&db, OpenFlags::default(), vfs).unwrap();
        conn.pragma_update(None, "journal_mode", "WAL").unwrap();
        conn.pragma_update(None, "synchronous", "NORMAL").unwrap();
        conn.pragma_update(None, "cache_size", 10).unwrap();
        conn.pragma_update(None, "wal_autocheckpoint", 0).unwrap();
        conn.execute_batch("CREATE TABLE t (k INTEGER PRIMARY KEY, v BLOB NOT NULL)")
            .unwrap();
        let reader = Connection::open(&db).unwrap();
        for round in 0..3i64 {
            let tx = conn.unchecked_transaction().unwrap();
            for i in 0..300i64 {
                tx.execute(
                    "INSERT INTO t (k, v) VALUES (?1, zeroblob(1000))",
                    [round * 1000 + i],
                )
                .unwrap();
            }
            // Pages spilled early in the transaction, changed again.
            tx.execute("UPDATE t SET v = randomblob(1000) WHERE k % 1000 < 20", [])
                .unwrap();
            tx.commit().unwrap();
            // And a transaction of one frame.
            conn.execute(
                "INSERT INTO t (k, v) VALUES (?1, x'00')",
                [round * 1000 + 999],
            )
            .unwrap();
            let want = (round + 1) * 301;
            let seen: i64 = reader
                .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
                .unwrap();
            assert_eq!(seen, want);
            let copy = dir.join(format!("copy{round}"));
            std::fs::create_dir_all(&copy).unwrap();
            std::fs::copy(&db, copy.join("t.db")).unwrap();
            std::fs::copy(dir.join("t.db-wal"), copy.join("t.db-wal")).unwrap();
            let recovered = Connection::open(copy.join("t.db")).unwrap();
            let rows: i64 = recovered
                .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
                .unwrap();
            assert_eq!(rows, want, "round {round}: the copy recovered {rows} rows");
            let check: String = recovered
                .query_row("PRAGMA integrity_check", [], |r| r.get(0))
                .unwrap();
            assert_eq!(check, "ok");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
