//! madoguchi (窓口): the counter terminal for corporate internet-banking support.
//!
//! Layers: `domain` (pure rules) ← `service` (use cases, one transaction each) ← `store`
//! (the only SQL) ; `ui` draws `app` state; `cli` runs the subcommands.
pub mod config;
pub mod demo;
pub mod domain;
pub mod i18n;
pub mod keyfile;
pub mod secret;
pub mod service;
pub mod store;
pub mod cli;
pub mod text;
pub mod tui;
