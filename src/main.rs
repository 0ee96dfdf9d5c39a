//! The `stance` command line: argument parsing, dispatch and exit codes.
//! The work happens in the library; see `src/cli/` for each subcommand.

mod cli;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    match cli::run(args) {
        Ok(cli::Outcome::Done) => ExitCode::SUCCESS,
        Ok(cli::Outcome::Skipped(n)) => {
            eprintln!("stance: {n} input(s) skipped (see the messages above)");
            ExitCode::from(cli::EXIT_SKIPPED)
        }
        Err(err) => {
            if cli::is_broken_pipe(&err) {
                // `stance classify … | head` closed the pipe: not an error.
                return ExitCode::SUCCESS;
            }
            eprintln!("stance: error: {err}");
            for cause in err.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            ExitCode::FAILURE
        }
    }
}
