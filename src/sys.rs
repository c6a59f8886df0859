//! The operating-system calls the standard library lacks, behind safe functions. This is the
//! only module allowed `unsafe` (`lib.rs` denies it everywhere else); each block says why it
//! is sound.

use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The width of the terminal on standard output, if it is one.
pub fn terminal_width() -> Option<u16> {
    // SAFETY: TIOCGWINSZ fills a winsize struct; a zeroed one is a valid starting value, and
    // the pointer is to a local that outlives the call.
    unsafe {
        let mut ws: libc::winsize = std::mem::zeroed();
        if libc::ioctl(libc::STDOUT_FILENO, libc::TIOCGWINSZ, &mut ws) == 0 && ws.ws_col > 0 {
            Some(ws.ws_col)
        } else {
            None
        }
    }
}

/// Sends `signal` to process `pid`; whether it was delivered. Async-signal-safe.
pub fn send_signal(pid: i32, signal: libc::c_int) -> bool {
    // SAFETY: kill takes plain integers and touches no memory of ours.
    unsafe { libc::kill(pid, signal) == 0 }
}

/// Whether a process with this id exists (one owned by another user counts).
pub fn process_exists(pid: i32) -> bool {
    // SAFETY: signal 0 only checks whether the process exists.
    let rc = unsafe { libc::kill(pid, 0) };
    rc == 0 || io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

/// This machine's host name ("" when it cannot be read).
pub fn hostname() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: gethostname writes at most buf.len() bytes into buf, which we own.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if rc != 0 {
        return String::new();
    }
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    String::from_utf8_lossy(&buf[..end]).into_owned()
}

/// The name of the account this process runs as (from the password database), if it has one.
pub fn account_name() -> Option<String> {
    let mut buf = vec![0u8; 1024];
    loop {
        // SAFETY: passwd is plain data, zeroed is a valid value; getpwuid_r writes into `pwd`
        // and into `buf` (at most buf.len() bytes), both ours, and points `result` at `pwd`
        // or sets it to null. The name it points to lives in `buf`, read before buf is freed.
        let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
        let mut result: *mut libc::passwd = std::ptr::null_mut();
        let rc = unsafe {
            libc::getpwuid_r(
                libc::getuid(),
                &mut pwd,
                buf.as_mut_ptr().cast(),
                buf.len(),
                &mut result,
            )
        };
        if rc == libc::ERANGE && buf.len() < 1 << 20 {
            buf.resize(buf.len() * 4, 0);
            continue;
        }
        if rc != 0 || result.is_null() || pwd.pw_name.is_null() {
            return None;
        }
        // SAFETY: pw_name is a NUL-terminated string inside `buf`, still alive here.
        let name = unsafe { std::ffi::CStr::from_ptr(pwd.pw_name) };
        let name = name.to_string_lossy().into_owned();
        return (!name.is_empty()).then_some(name);
    }
}

/// Takes an exclusive lock on `file`, waiting for it; released when the file is closed.
pub fn lock_exclusive(file: &File) -> io::Result<()> {
    // SAFETY: flock on a descriptor that `file` owns and keeps open for the call.
    let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// The terminal on standard input with echo off; the settings come back when dropped.
pub struct EchoOff {
    saved: libc::termios,
}

/// Turns echo off on standard input (a newline is still echoed).
pub fn echo_off() -> io::Result<EchoOff> {
    // SAFETY: termios is plain data; tcgetattr fills the local it points to or fails.
    let mut term: libc::termios = unsafe { std::mem::zeroed() };
    if unsafe { libc::tcgetattr(libc::STDIN_FILENO, &mut term) } != 0 {
        return Err(io::Error::last_os_error());
    }
    let guard = EchoOff { saved: term };
    term.c_lflag &= !libc::ECHO;
    term.c_lflag |= libc::ECHONL;
    // SAFETY: sets settings derived from those just read, from a local we own.
    if unsafe { libc::tcsetattr(libc::STDIN_FILENO, libc::TCSAFLUSH, &term) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(guard)
}

impl Drop for EchoOff {
    fn drop(&mut self) {
        // SAFETY: restores settings read by tcgetattr on the same descriptor.
        unsafe {
            libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, &self.saved);
        }
    }
}

/// `si_code` of signals the kernel raised (the terminal), as opposed to `kill` from a process.
const SI_KERNEL: libc::c_int = 0x80;

/// The handler `on_signals` installed, as a `fn(signal, from_terminal)` address.
static HANDLER: AtomicUsize = AtomicUsize::new(0);

extern "C" fn trampoline(sig: libc::c_int, info: *mut libc::siginfo_t, _: *mut libc::c_void) {
    let code = if info.is_null() {
        0
    } else {
        // SAFETY: the kernel passes a valid siginfo_t to an SA_SIGINFO handler.
        unsafe { (*info).si_code }
    };
    let f = HANDLER.load(Ordering::SeqCst);
    if f != 0 {
        // SAFETY: HANDLER only ever holds a `fn(c_int, bool)` stored by `on_signals`.
        let f: fn(libc::c_int, bool) = unsafe { std::mem::transmute(f) };
        f(sig, code == SI_KERNEL);
    }
}

/// Calls `handler(signal, from_terminal)` when one of `signals` arrives. The handler runs
/// inside the signal handler: it may only do async-signal-safe work (atomics, `send_signal`).
pub fn on_signals(signals: &[libc::c_int], handler: fn(libc::c_int, bool)) {
    HANDLER.store(handler as usize, Ordering::SeqCst);
    for &sig in signals {
        // SAFETY: a zeroed sigaction with a valid handler, flags and an emptied mask is a
        // valid argument; the old action is not asked for.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = trampoline as *const () as usize;
            action.sa_flags = libc::SA_SIGINFO | libc::SA_RESTART;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(sig, &action, std::ptr::null_mut());
        }
    }
}

/// Makes the child that `cmd` starts receive SIGTERM when the thread that started it ends,
/// killed or not, so that no training process outlives the `mlf run` that watches it.
pub fn end_with_parent(cmd: &mut std::process::Command) {
    use std::os::unix::process::CommandExt;
    // SAFETY: the closure runs in the child between fork and exec and only makes
    // async-signal-safe calls (prctl, getppid, kill on itself).
    unsafe {
        cmd.pre_exec(|| {
            let parent = libc::getppid();
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) != 0 {
                return Err(io::Error::last_os_error());
            }
            // The parent may have died before the signal was asked for.
            if libc::getppid() != parent {
                libc::kill(libc::getpid(), libc::SIGTERM);
            }
            Ok(())
        });
    }
}

/// Waits until `fd` has something to read (or its writer closed it): `Ok(false)` when
/// `timeout` passed first.
pub fn wait_readable(fd: std::os::fd::RawFd, timeout: std::time::Duration) -> io::Result<bool> {
    let mut pfd = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    let ms = timeout.as_millis().min(i32::MAX as u128) as libc::c_int;
    loop {
        // SAFETY: poll reads and writes the one pollfd we own for the length of the call.
        let rc = unsafe { libc::poll(&mut pfd, 1, ms) };
        if rc >= 0 {
            return Ok(rc > 0);
        }
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
}

/// Ignores `signal` in this process from now on (SIGINT while a pager shows the output: the
/// pager answers the keys, and mlf waits for it to end).
pub fn ignore_signal(signal: libc::c_int) {
    // SAFETY: SIG_IGN is a valid disposition for any catchable signal; no memory is shared.
    unsafe {
        libc::signal(signal, libc::SIG_IGN);
    }
}

/// A new pseudo-terminal of `cols` × `rows`: (controller, terminal). The terminal end is what
/// a child gets as its stdin, stdout and stderr; the controller reads what it writes.
pub fn openpty(cols: u16, rows: u16) -> io::Result<(std::os::fd::OwnedFd, std::os::fd::OwnedFd)> {
    use std::os::fd::FromRawFd;
    let mut controller: libc::c_int = -1;
    let mut terminal: libc::c_int = -1;
    let size = libc::winsize {
        ws_row: rows,
        ws_col: cols,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: openpty writes two descriptors into the locals; name and termios may be null and
    // the winsize pointer is to a local that outlives the call.
    let rc = unsafe {
        libc::openpty(
            &mut controller,
            &mut terminal,
            std::ptr::null_mut(),
            std::ptr::null(),
            &size,
        )
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: both descriptors were just opened by openpty and are owned by nobody else.
    let (c, t) = unsafe {
        (
            std::os::fd::OwnedFd::from_raw_fd(controller),
            std::os::fd::OwnedFd::from_raw_fd(terminal),
        )
    };
    for fd in [&c, &t] {
        set_cloexec(fd.as_raw_fd())?;
    }
    Ok((c, t))
}

fn set_cloexec(fd: std::os::fd::RawFd) -> io::Result<()> {
    // SAFETY: fcntl on a descriptor we own, with integer arguments only.
    let rc = unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// The size (columns, rows) of the terminal on standard output, if it is one.
pub fn terminal_size() -> Option<(u16, u16)> {
    // SAFETY: as in `terminal_width`.
    unsafe {
        let mut ws: libc::winsize = std::mem::zeroed();
        if libc::ioctl(libc::STDOUT_FILENO, libc::TIOCGWINSZ, &mut ws) == 0 && ws.ws_col > 0 {
            Some((ws.ws_col, ws.ws_row))
        } else {
            None
        }
    }
}

/// Turns off output processing (`\n` → `\r\n`) on the terminal end of a pseudo-terminal, so
/// what a child writes arrives as written.
pub fn raw_output(fd: &std::os::fd::OwnedFd) -> io::Result<()> {
    // SAFETY: termios is plain data; tcgetattr fills the local or fails, and tcsetattr reads
    // settings derived from it, on a descriptor the caller owns.
    unsafe {
        let mut term: libc::termios = std::mem::zeroed();
        if libc::tcgetattr(fd.as_raw_fd(), &mut term) != 0 {
            return Err(io::Error::last_os_error());
        }
        term.c_oflag &= !libc::OPOST;
        if libc::tcsetattr(fd.as_raw_fd(), libc::TCSANOW, &term) != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

/// Clock ticks per second, the unit of CPU times in `/proc/PID/stat` (100 when unknown).
pub fn clock_ticks() -> u64 {
    // SAFETY: sysconf takes an integer and reads no memory of ours.
    let n = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if n > 0 { n as u64 } else { 100 }
}

/// The size of a memory page in bytes, the unit of resident sizes in `/proc/PID/stat`.
pub fn page_size() -> u64 {
    // SAFETY: sysconf takes an integer and reads no memory of ours.
    let n = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if n > 0 { n as u64 } else { 4096 }
}

/// Bytes used and bytes available to unprivileged users on the file system holding `path`.
pub fn disk_usage(path: &std::path::Path) -> Option<(u64, u64)> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).ok()?;
    // SAFETY: statvfs fills the zeroed struct we own from a NUL-terminated path we own.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    if unsafe { libc::statvfs(c.as_ptr(), &mut st) } != 0 {
        return None;
    }
    let unit = st.f_frsize as u64;
    let used = (st.f_blocks as u64).saturating_sub(st.f_bfree as u64) * unit;
    Some((used, st.f_bavail as u64 * unit))
}

/// One GPU's readings from NVML; a field NVML could not read is `None`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GpuReading {
    pub memory_used: Option<u64>,
    pub memory_total: Option<u64>,
    /// Percent of the last sample period the GPU was busy.
    pub utilization: Option<u32>,
    pub power_milliwatts: Option<u32>,
    pub power_limit_milliwatts: Option<u32>,
}

#[repr(C)]
struct NvmlMemory {
    total: u64,
    free: u64,
    used: u64,
}

#[repr(C)]
struct NvmlUtilization {
    gpu: u32,
    memory: u32,
}

type NvmlDevice = *mut libc::c_void;
type NvmlInit = unsafe extern "C" fn() -> libc::c_int;
type NvmlCount = unsafe extern "C" fn(*mut u32) -> libc::c_int;
type NvmlHandle = unsafe extern "C" fn(u32, *mut NvmlDevice) -> libc::c_int;
type NvmlMemoryInfo = unsafe extern "C" fn(NvmlDevice, *mut NvmlMemory) -> libc::c_int;
type NvmlUtilRates = unsafe extern "C" fn(NvmlDevice, *mut NvmlUtilization) -> libc::c_int;
type NvmlU32 = unsafe extern "C" fn(NvmlDevice, *mut u32) -> libc::c_int;

/// NVIDIA's management library, opened at run time: a machine without it has no GPUs to read.
pub struct Nvml {
    devices: Vec<usize>,
    memory: Option<NvmlMemoryInfo>,
    utilization: Option<NvmlUtilRates>,
    power: Option<NvmlU32>,
    power_limit: Option<NvmlU32>,
}

/// Looks a symbol up in a library opened with dlopen.
fn symbol(lib: *mut libc::c_void, name: &std::ffi::CStr) -> Option<usize> {
    // SAFETY: dlsym on a handle dlopen returned, with a NUL-terminated name.
    let p = unsafe { libc::dlsym(lib, name.as_ptr()) };
    (!p.is_null()).then_some(p as usize)
}

impl Nvml {
    /// Opens `libnvidia-ml.so.1` and lists the GPUs; `None` when there is no library or no GPU.
    pub fn open() -> Option<Nvml> {
        // SAFETY: dlopen with a NUL-terminated name; the library stays loaded for the
        // process's life (never dlclosed), so the function pointers below stay valid.
        let lib = unsafe { libc::dlopen(c"libnvidia-ml.so.1".as_ptr(), libc::RTLD_NOW) };
        if lib.is_null() {
            return None;
        }
        let get = |name: &std::ffi::CStr| symbol(lib, name);
        // SAFETY (every transmute below): each symbol has the C signature of NVML's API that
        // the target type spells, as documented in nvml.h.
        let init: NvmlInit = unsafe { std::mem::transmute(get(c"nvmlInit_v2")?) };
        let count: NvmlCount = unsafe { std::mem::transmute(get(c"nvmlDeviceGetCount_v2")?) };
        let handle: NvmlHandle =
            unsafe { std::mem::transmute(get(c"nvmlDeviceGetHandleByIndex_v2")?) };
        // SAFETY: NVML's functions take out-pointers to locals we own.
        if unsafe { init() } != 0 {
            return None;
        }
        let mut n = 0u32;
        if unsafe { count(&mut n) } != 0 || n == 0 {
            return None;
        }
        let mut devices = Vec::new();
        for i in 0..n {
            let mut dev: NvmlDevice = std::ptr::null_mut();
            if unsafe { handle(i, &mut dev) } == 0 {
                devices.push(dev as usize);
            }
        }
        let memory = get(c"nvmlDeviceGetMemoryInfo")
            .map(|p| unsafe { std::mem::transmute::<usize, NvmlMemoryInfo>(p) });
        let utilization = get(c"nvmlDeviceGetUtilizationRates")
            .map(|p| unsafe { std::mem::transmute::<usize, NvmlUtilRates>(p) });
        let power = get(c"nvmlDeviceGetPowerUsage")
            .map(|p| unsafe { std::mem::transmute::<usize, NvmlU32>(p) });
        let power_limit = get(c"nvmlDeviceGetEnforcedPowerLimit")
            .map(|p| unsafe { std::mem::transmute::<usize, NvmlU32>(p) });
        Some(Nvml {
            devices,
            memory,
            utilization,
            power,
            power_limit,
        })
    }

    /// The current readings of each GPU, in NVML's index order.
    pub fn read(&self) -> Vec<GpuReading> {
        self.devices
            .iter()
            .map(|&d| {
                let dev = d as NvmlDevice;
                let mut r = GpuReading::default();
                // SAFETY: each call passes a device handle NVML gave us and an out-pointer to
                // a local; a non-zero return leaves the reading out.
                if let Some(f) = self.memory {
                    let mut m = NvmlMemory {
                        total: 0,
                        free: 0,
                        used: 0,
                    };
                    if unsafe { f(dev, &mut m) } == 0 {
                        r.memory_used = Some(m.used);
                        r.memory_total = Some(m.total);
                    }
                }
                if let Some(f) = self.utilization {
                    let mut u = NvmlUtilization { gpu: 0, memory: 0 };
                    if unsafe { f(dev, &mut u) } == 0 {
                        r.utilization = Some(u.gpu);
                    }
                }
                let read_u32 = |f: Option<NvmlU32>| {
                    let mut v = 0u32;
                    f.filter(|f| unsafe { f(dev, &mut v) } == 0).map(|_| v)
                };
                r.power_milliwatts = read_u32(self.power);
                r.power_limit_milliwatts = read_u32(self.power_limit);
                r
            })
            .collect()
    }
}
