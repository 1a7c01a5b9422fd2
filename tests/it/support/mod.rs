//! What the integration tests share: running the real binary, a pseudo-terminal that reads
//! its screen, and the worker processes of the crash and concurrency tests.

pub mod http;
pub mod peek;
pub mod pg;
pub mod procs;
pub mod pty;
pub mod run;
pub mod tls_relay;
