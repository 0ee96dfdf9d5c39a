//! `stance report`: the comparison and every article in one HTML page.

use super::compare::{group, GroupArgs};
use super::{outcome, Outcome};
use anyhow::Result;
use clap::Args;
use stance::output::write_atomically;
use stance::report::{chart, html};
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct ReportArgs {
    #[command(flatten)]
    pub group: GroupArgs,
    /// The HTML file to write (self-contained: open it anywhere, offline).
    #[arg(long, value_name = "FILE.html")]
    pub out: PathBuf,
    /// Page title.
    #[arg(long, default_value = "How the articles frame Russia")]
    pub title: String,
}

pub fn run(args: ReportArgs) -> Result<Outcome> {
    // Fail on a bad destination before the work.
    super::refuse_input_as_output("--out", &args.out, &args.group.paths)?;
    stance::output::AtomicFile::create(&args.out)?;
    let grouped = group(&args.group, true)?;
    let svg = chart::svg(&grouped.comparison)?;
    let page = html::render(
        &args.title,
        &grouped.comparison,
        &grouped.articles,
        grouped.model.heads(),
        &svg,
    );
    write_atomically(&args.out, page.as_bytes())?;
    eprintln!("stance: report written to {}", args.out.display());
    Ok(outcome(grouped.skipped))
}
