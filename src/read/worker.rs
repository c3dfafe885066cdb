//! Spreadsheets parsed in worker processes: whatever a parser does on one file (abort, stack
//! overflow, runaway memory, endless loop), only that file is lost.
//!
//! A worker is this same binary started with the hidden first argument [`SUBCOMMAND`]. It caps
//! its own address space (`RLIMIT_AS`, through the `rlimit` crate) and then serves requests on
//! stdin until stdin closes: one request is a header frame (file name, format, limits, length)
//! followed by the file's bytes; the reply is a stream of frames, each one [`Reply`] in postcard
//! (numbers travel as their bits, never as text), ending with `Done` or `Failed`. A frame is a
//! little-endian `u32` length and that many bytes.
//!
//! The parent keeps a small pool of idle workers. It waits for a file's reply frames for at most
//! `read_seconds` in all (the time it spends on the rows it took meanwhile is not counted: a
//! sheet's rows may be mapped as they come); a worker that overruns is killed, and one that dies
//! is replaced.
//! Either way the file is reported (`E_FILE_LIMIT` for memory and time, `E_FILE_UNREADABLE`
//! otherwise) and the next file gets a fresh worker.

use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitCode, Stdio};
use std::sync::{Arc, Mutex, OnceLock, mpsc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::sheet::{Assembler, Event};
use super::{Content, Format, ReadError, UNREADABLE_WORKBOOK, contain_panic};
use crate::diag::Code;
use crate::limits::{Exceeded, Limits};

/// The hidden first argument that makes the binary a worker.
pub const SUBCOMMAND: &str = "__read-worker";
/// No reply frame is larger than this (a batch of rows is about 64 Ki cells).
const MAX_FRAME: usize = 1 << 30;
/// How much of a worker's stderr is kept to tell why it died.
const STDERR_TAIL: usize = 4096;
/// Reply frames read ahead of the parent.
const READ_AHEAD: usize = 8;

#[derive(Serialize, Deserialize)]
struct Header {
    name: String,
    format: Format,
    limits: Limits,
    len: u64,
}

#[derive(Debug, Serialize, Deserialize)]
enum Reply {
    Event(Event),
    Done,
    Failed { code: Code, message: String, hint: String },
}

fn write_frame(out: &mut impl Write, payload: &[u8]) -> std::io::Result<()> {
    let len = u32::try_from(payload.len()).map_err(|_| std::io::Error::other("frame too large"))?;
    out.write_all(&len.to_le_bytes())?;
    out.write_all(payload)
}

/// The next frame, or `None` at a clean end of stream.
fn read_frame(input: &mut impl Read) -> std::io::Result<Option<Vec<u8>>> {
    let mut len = [0u8; 4];
    match input.read_exact(&mut len) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let len = u32::from_le_bytes(len) as usize;
    if len > MAX_FRAME {
        return Err(std::io::Error::other(format!("a frame of {len} bytes")));
    }
    let mut buf = vec![0u8; len];
    input.read_exact(&mut buf)?;
    Ok(Some(buf))
}

fn send(out: &mut impl Write, reply: &Reply) -> std::io::Result<()> {
    let payload = postcard::to_stdvec(reply).map_err(std::io::Error::other)?;
    write_frame(out, &payload)
}

/// The worker's main loop: serve requests until stdin closes. `args` are the arguments after
/// [`SUBCOMMAND`]: `--memory-mb N`.
#[allow(clippy::print_stderr)]
pub fn serve(args: &[String]) -> ExitCode {
    let memory_mb = match args {
        [flag, n] if flag == "--memory-mb" => n.parse::<u64>().ok(),
        _ => None,
    };
    let Some(memory_mb) = memory_mb else {
        eprintln!("usage: clusterkpi {SUBCOMMAND} --memory-mb N (started by clusterkpi itself)");
        return ExitCode::from(2);
    };
    let bytes = memory_mb.saturating_mul(1 << 20);
    if let Err(e) = rlimit::setrlimit(rlimit::Resource::AS, bytes, bytes) {
        eprintln!("cannot limit the worker's memory: {e}");
        return ExitCode::from(3);
    }
    // A reader's panic is caught and reported as the file's; nothing to print.
    std::panic::set_hook(Box::new(|_| {}));
    let mut input = BufReader::new(std::io::stdin().lock());
    let mut out = BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    loop {
        let header: Header = match read_frame(&mut input) {
            Ok(Some(frame)) => match postcard::from_bytes(&frame) {
                Ok(h) => h,
                Err(_) => return ExitCode::from(3),
            },
            Ok(None) => return ExitCode::SUCCESS,
            Err(_) => return ExitCode::from(3),
        };
        let mut bytes = vec![0u8; usize::try_from(header.len).unwrap_or(usize::MAX)];
        if input.read_exact(&mut bytes).is_err() {
            return ExitCode::from(3);
        }
        crate::fault::in_worker(&header.name);
        let mut broken = None;
        let mut batches = 0;
        let result = contain_panic(header.format, || {
            super::sheet::stream(&bytes, header.format, &header.limits, &mut |event| {
                if let Event::Rows(_) = event {
                    batches += 1;
                    crate::fault::in_worker_rows(&header.name, batches);
                }
                send(&mut out, &Reply::Event(event)).map_err(|e| {
                    broken = Some(e);
                    ReadError::Reported {
                        code: Code::Internal,
                        message: "the parent is gone".into(),
                        hint: String::new(),
                    }
                })
            })
        });
        drop(bytes);
        if broken.is_some() {
            return ExitCode::from(3);
        }
        let reply = match result {
            Ok(()) => Reply::Done,
            Err(e) => {
                let (code, message, hint) = e.describe();
                Reply::Failed { code, message, hint }
            }
        };
        if send(&mut out, &reply).and_then(|()| out.flush()).is_err() {
            return ExitCode::from(3);
        }
    }
}

/// The pool of workers, started by the command line; `None` means spreadsheets are parsed in
/// this process (library use, fuzzing).
static POOL: OnceLock<Pool> = OnceLock::new();

/// Parse spreadsheets in workers started from `exe` (this binary) from now on.
pub fn start(exe: PathBuf) {
    let _ = POOL.set(Pool { exe, idle: Mutex::new(Vec::new()) });
}

pub fn pool() -> Option<&'static Pool> {
    POOL.get()
}

/// Stop the pool's idle workers, and wait for each to end: none is left behind, and their time
/// and memory are counted as this process's children's (what `time` reports of a run).
pub fn stop() {
    let Some(pool) = POOL.get() else { return };
    let idle = std::mem::take(&mut *pool.idle.lock().unwrap_or_else(std::sync::PoisonError::into_inner));
    for Worker { mut child, stdin, .. } in idle {
        // A worker ends when its requests do.
        drop(stdin);
        let _ = child.wait();
    }
}

pub struct Pool {
    exe: PathBuf,
    idle: Mutex<Vec<Worker>>,
}

struct Worker {
    child: Child,
    stdin: BufWriter<ChildStdin>,
    replies: mpsc::Receiver<Result<Reply, String>>,
    stderr: Option<JoinHandle<String>>,
    memory_mb: u64,
}

impl Pool {
    /// Read a workbook in a worker, within the limits' memory and time.
    pub fn read(
        &'static self,
        bytes: &[u8],
        format: Format,
        file: &Arc<str>,
        limits: &Limits,
    ) -> Result<Content, ReadError> {
        let mut replies = self.open(bytes, format, file, limits)?;
        let mut assembler = Assembler::new(file, limits);
        loop {
            match replies.next(true)? {
                Next::Event(event) => assembler.push(event)?,
                Next::Done => return Ok(assembler.finish()),
                Next::NotYet => {}
            }
        }
    }

    /// Send a workbook to a worker: its events are then read from the [`Replies`], as the
    /// worker sends them, within the limits' memory and time.
    pub fn open(
        &'static self,
        bytes: &[u8],
        format: Format,
        file: &Arc<str>,
        limits: &Limits,
    ) -> Result<Replies, ReadError> {
        let left = Duration::from_secs(limits.read_seconds);
        let mut worker = self.take(limits.worker_memory_mb).map_err(|e| ReadError::Reported {
            code: Code::Internal,
            message: format!("cannot start a spreadsheet reader process ({e})"),
            hint: "check that the clusterkpi binary is still in place and that the machine can start processes".into(),
        })?;
        let header = Header { name: file.to_string(), format, limits: limits.clone(), len: bytes.len() as u64 };
        let sent = postcard::to_stdvec(&header)
            .map_err(std::io::Error::other)
            .and_then(|h| write_frame(&mut worker.stdin, &h))
            .and_then(|()| worker.stdin.write_all(bytes))
            .and_then(|()| worker.stdin.flush());
        if sent.is_err() {
            return Err(worker.died(limits));
        }
        Ok(Replies { pool: self, worker: Some(worker), left, limits: limits.clone(), broken: false })
    }

    /// An idle worker with this memory limit, or a new one.
    fn take(&self, memory_mb: u64) -> std::io::Result<Worker> {
        let mut idle = self.idle.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        while let Some(i) = idle.iter().position(|w| w.memory_mb == memory_mb) {
            let mut w = idle.swap_remove(i);
            if matches!(w.child.try_wait(), Ok(None)) {
                return Ok(w);
            }
            w.kill();
        }
        drop(idle);
        Worker::spawn(&self.exe, memory_mb)
    }

    fn give_back(&self, worker: Worker) {
        self.idle.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(worker);
    }
}

/// The events a worker sends back for one workbook, read one at a time. A worker that ends
/// the workbook (`Done`, or a failure it reports) goes back to the pool; one dropped before
/// that, or that broke, is killed.
pub struct Replies {
    pool: &'static Pool,
    worker: Option<Worker>,
    /// How much longer the worker may be waited for: the file's `read_seconds`, less the time
    /// spent waiting for it so far (not the time its events take to be mapped as they come).
    left: Duration,
    limits: Limits,
    /// The replies ended before the workbook did (an error, or stopped).
    broken: bool,
}

impl Replies {
    /// The next event, or `Done` once the workbook is read. With `wait`, it is waited for
    /// for as long as is left; without, an event not sent yet is `NotYet`. An error ends the
    /// replies.
    pub fn next(&mut self, wait: bool) -> Result<Next, ReadError> {
        let next = self.step(wait);
        self.broken |= next.is_err();
        next
    }

    fn step(&mut self, wait: bool) -> Result<Next, ReadError> {
        let Some(worker) = self.worker.as_mut() else {
            // Past an error, or once stopped, the workbook was not read to its end.
            if self.broken {
                return Err(ReadError::Reported {
                    code: Code::Internal,
                    message: "the spreadsheet reader's replies were read past their end".into(),
                    hint: String::new(),
                });
            }
            return Ok(Next::Done);
        };
        let reply = if wait {
            let waiting = Instant::now();
            let reply = worker.replies.recv_timeout(self.left);
            self.left = self.left.saturating_sub(waiting.elapsed());
            reply
        } else {
            match worker.replies.try_recv() {
                Ok(reply) => Ok(reply),
                Err(mpsc::TryRecvError::Empty) if !self.left.is_zero() => return Ok(Next::NotYet),
                Err(mpsc::TryRecvError::Empty) => Err(mpsc::RecvTimeoutError::Timeout),
                Err(mpsc::TryRecvError::Disconnected) => Err(mpsc::RecvTimeoutError::Disconnected),
            }
        };
        let worker = self.worker.take().expect("a worker while replies come");
        match reply {
            Ok(Ok(Reply::Event(event))) => {
                self.worker = Some(worker);
                Ok(Next::Event(event))
            }
            Ok(Ok(Reply::Done)) => {
                self.pool.give_back(worker);
                Ok(Next::Done)
            }
            Ok(Ok(Reply::Failed { code, message, hint })) => {
                self.pool.give_back(worker);
                Err(ReadError::Reported { code, message, hint })
            }
            Ok(Err(garbled)) => {
                let mut worker = worker;
                worker.kill();
                Err(ReadError::Reported {
                    code: Code::FileUnreadable,
                    message: format!("the spreadsheet reader failed on this file ({garbled})"),
                    hint: UNREADABLE_WORKBOOK.into(),
                })
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                let mut worker = worker;
                worker.kill();
                Err(ReadError::Limit(Exceeded::new(
                    "read_seconds",
                    "the time to parse the file",
                    format!("more than {} s", self.limits.read_seconds),
                    format!("{} s", self.limits.read_seconds),
                )))
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => Err(worker.died(&self.limits)),
        }
    }

    /// Stop the worker, if it is still at the workbook: no more replies are read.
    pub fn stop(&mut self) {
        if let Some(mut worker) = self.worker.take() {
            worker.kill();
            self.broken = true;
        }
    }
}

impl Drop for Replies {
    fn drop(&mut self) {
        self.stop();
    }
}

/// What one look at a worker's replies found.
pub enum Next {
    Event(Event),
    Done,
    NotYet,
}

impl Worker {
    fn spawn(exe: &Path, memory_mb: u64) -> std::io::Result<Worker> {
        let mut child = Command::new(exe)
            .arg(SUBCOMMAND)
            .arg("--memory-mb")
            .arg(memory_mb.to_string())
            // The allocator reserves address space 64 MiB at a time (1 GiB by default), so
            // the worker's address-space limit bounds what the parser uses, not a reservation.
            .env("MIMALLOC_ARENA_RESERVE", "65536")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        let (Some(stdin), Some(stdout), Some(mut stderr)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            let _ = child.kill();
            return Err(std::io::Error::other("the worker's pipes were not opened"));
        };
        let (tx, replies) = mpsc::sync_channel(READ_AHEAD);
        std::thread::spawn(move || {
            let mut stdout = BufReader::with_capacity(1 << 16, stdout);
            loop {
                let reply = match read_frame(&mut stdout) {
                    Ok(Some(frame)) => postcard::from_bytes::<Reply>(&frame).map_err(|e| e.to_string()),
                    Ok(None) => return,
                    Err(e) => Err(e.to_string()),
                };
                let garbled = reply.is_err();
                if tx.send(reply).is_err() || garbled {
                    return;
                }
            }
        });
        let stderr = std::thread::spawn(move || {
            let mut tail = Vec::new();
            let mut buf = [0u8; 4096];
            while let Ok(n) = stderr.read(&mut buf) {
                if n == 0 {
                    break;
                }
                tail.extend_from_slice(&buf[..n]);
                if tail.len() > STDERR_TAIL {
                    tail.drain(..tail.len() - STDERR_TAIL);
                }
            }
            String::from_utf8_lossy(&tail).into_owned()
        });
        Ok(Worker { child, stdin: BufWriter::with_capacity(1 << 16, stdin), replies, stderr: Some(stderr), memory_mb })
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Why the worker stopped mid-file, as the file's error.
    fn died(mut self, limits: &Limits) -> ReadError {
        let status = self.child.wait();
        let said = self.stderr.take().and_then(|h| h.join().ok()).unwrap_or_default();
        tracing::warn!(status = ?status, stderr = %said.trim(), "a spreadsheet reader process stopped");
        if said.contains("memory allocation of") {
            return ReadError::Limit(Exceeded::new(
                "worker_memory_mb",
                "the memory needed to parse the file",
                format!("more than {} MiB", limits.worker_memory_mb),
                format!("{} MiB", limits.worker_memory_mb),
            ));
        }
        let how = if said.contains("overflowed its stack") {
            "it overflowed its stack".to_owned()
        } else {
            match status {
                Ok(s) => format!("it stopped: {s}"),
                Err(e) => format!("it stopped ({e})"),
            }
        };
        ReadError::Reported {
            code: Code::FileUnreadable,
            message: format!("the spreadsheet reader failed on this file: {how}"),
            hint: UNREADABLE_WORKBOOK.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::{Cell, GridRow};

    #[test]
    fn numbers_cross_the_pipe_as_their_bits() {
        let bits = [
            0.1f64 + 0.2,
            47_357_830.699_999_996,
            -0.0,
            f64::MIN_POSITIVE / 3.0, // subnormal
            f64::MAX,
            f64::from_bits(0x7ff8_0000_dead_beef), // a NaN with a payload
        ];
        let row =
            GridRow { at: 7, cells: bits.iter().map(|&n| Cell::Number(n)).chain([Cell::Text("é".into())]).collect() };
        let mut pipe = Vec::new();
        send(&mut pipe, &Reply::Event(Event::Rows(vec![row.clone()]))).unwrap();
        send(&mut pipe, &Reply::Done).unwrap();
        let mut input = pipe.as_slice();
        let frame = read_frame(&mut input).unwrap().unwrap();
        let Reply::Event(Event::Rows(rows)) = postcard::from_bytes(&frame).unwrap() else { panic!("rows expected") };
        for (got, want) in rows[0].cells.iter().zip(&row.cells) {
            match (got, want) {
                (Cell::Number(a), Cell::Number(b)) => assert_eq!(a.to_bits(), b.to_bits()),
                _ => assert_eq!(got, want),
            }
        }
        assert!(matches!(postcard::from_bytes(&read_frame(&mut input).unwrap().unwrap()).unwrap(), Reply::Done));
        assert!(read_frame(&mut input).unwrap().is_none(), "a clean end of stream");
    }

    #[test]
    fn a_frame_too_large_is_refused_before_it_is_allocated() {
        let mut input: &[u8] = &[0xff, 0xff, 0xff, 0xff, 1, 2, 3];
        assert!(read_frame(&mut input).is_err());
    }
}
