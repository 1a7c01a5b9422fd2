//! Placeholder until the terminal app lands.
use crate::cli::{Context, Failure, Outcome};

pub fn run(_ctx: &Context) -> Result<Outcome, Failure> {
    Err(Failure("the terminal app is not built yet; see `madoguchi --help`".into()))
}
