// SPDX-License-Identifier: GPL-2.0

//! The CLI's errors and their exit statuses: 1 an error in the request
//! (unknown device or domain, bad address, malformed saved dump), 2 usage,
//! 3 environment (module not loaded, debugfs not mounted, not root,
//! unexpected text from the module).
//!
//! Owns: the exit statuses and the one-line messages. Must not: print
//! (`cli` writes the message).

use std::fmt;

/// Exit status of a request error.
pub const EXIT_REQUEST: i32 = 1;
/// Exit status of a usage error.
pub const EXIT_USAGE: i32 = 2;
/// Exit status of an environment error.
pub const EXIT_ENV: i32 = 3;

/// What went wrong; `Display` is the one-line message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// The request names something that does not exist or is malformed.
    Request(String),
    /// The command line itself is wrong.
    Usage(String),
    /// The system is not as needed (mounts, module, permissions).
    Env(String),
    /// A file vanished (ENOENT) or its domain was freed (EIO) while it was
    /// read: an environment error, which the commands that walk every
    /// domain take as "this domain went away" and skip.
    Gone(String),
    /// A file did not have the documented format.
    Parse {
        /// The file (path or name).
        file: String,
        /// 1-based line number.
        line: usize,
        /// What was wrong.
        msg: String,
    },
    /// Standard output was closed by its reader (`| head`): not an error,
    /// the command stops quietly with status 0.
    Closed,
}

impl Error {
    /// The exit status for this error. A malformed file from the module is
    /// an environment error (a module of another version); the commands
    /// that read files the user names (`diff`) turn theirs into
    /// `Request` errors.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Request(_) => EXIT_REQUEST,
            Error::Usage(_) => EXIT_USAGE,
            Error::Env(_) | Error::Gone(_) | Error::Parse { .. } => EXIT_ENV,
            Error::Closed => 0,
        }
    }

    /// A parse error at `line` of `file`.
    pub fn parse(file: &str, line: usize, msg: impl Into<String>) -> Self {
        Error::Parse {
            file: file.to_string(),
            line,
            msg: msg.into(),
        }
    }

    /// The same error as a request error (for files the user named).
    pub fn into_request(self) -> Self {
        match self {
            Error::Parse { .. } | Error::Env(_) | Error::Gone(_) => {
                Error::Request(self.to_string())
            }
            e => e,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Request(m) | Error::Usage(m) | Error::Env(m) | Error::Gone(m) => f.write_str(m),
            Error::Parse { file, line, msg } => write!(f, "{}:{}: {}", file, line, msg),
            Error::Closed => f.write_str("output closed"),
        }
    }
}

impl std::error::Error for Error {}

/// Writing to standard output: a closed pipe ends the command quietly.
/// So does a write the binary's sink gave up on a stop signal.
pub fn out_err(e: std::io::Error) -> Error {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        Error::Closed
    } else {
        Error::Env(format!("writing the output: {}", e))
    }
}

/// A `Result` with this crate's error.
pub type Result<T> = std::result::Result<T, Error>;
