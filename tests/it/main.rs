//! The integration tests, in one binary: the command line as a real process, the screens
//! as snapshots, workflows in a pseudo-terminal, properties with hostile input, the
//! permission matrix, crashes and concurrency. Shared helpers are in `support`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

mod architecture;
mod cli;
mod concurrency;
mod counter;
mod crash;
mod failpoints;
mod flows;
mod hostile;
mod integrity;
mod paper;
mod permissions;
mod postgres;
mod screens;
mod serve;
mod tls;
