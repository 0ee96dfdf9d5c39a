//! The `stance` command line: argument parsing, dispatch and exit codes.
//! The work happens in the library; see `src/cli/` for each subcommand.

/// `println!` that returns an error instead of panicking when standard
/// output cannot be written (a full disk, `/dev/full`, a closed pipe).
/// Defined before `mod cli` so that every subcommand can use it.
macro_rules! outln {
    () => {
        $crate::write_stdout(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::write_stdout(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// `print!` that returns an error instead of panicking; see [`outln!`].
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::write_stdout(format_args!($($arg)*))
    };
}

mod cli;

use clap::Parser;
use std::io::Write;
use std::process::ExitCode;

/// Write to standard output, naming it in the error.
fn write_stdout(args: std::fmt::Arguments<'_>) -> anyhow::Result<()> {
    std::io::stdout()
        .lock()
        .write_fmt(args)
        .map_err(stdout_error)?;
    Ok(())
}

/// An error writing standard output, with advice; the kind is kept, so a
/// broken pipe is still recognized as one.
pub fn stdout_error(err: std::io::Error) -> std::io::Error {
    let kind = err.kind();
    let advice = match kind {
        std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded => {
            "; the device is full: free some space or write with --out somewhere else"
        }
        _ => "",
    };
    std::io::Error::new(kind, format!("writing to standard output: {err}{advice}"))
}

/// On SIGINT, SIGTERM or SIGHUP: remove every unfinished output file, so an
/// interrupted run leaves the previous outputs as they were and no temporary
/// files behind, and exit with 128 + the signal number (130 for Ctrl-C).
fn stop_cleanly_on_signals() {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) else {
        // Without the handler, the default action still stops the process;
        // only the temporary files would be left behind.
        return;
    };
    std::thread::spawn(move || {
        if let Some(signal) = signals.forever().next() {
            // Held until exit: no other thread can commit a file now.
            let (_held, removed) = stance::output::remove_unfinished();
            let name = match signal {
                SIGINT => "SIGINT",
                SIGTERM => "SIGTERM",
                _ => "SIGHUP",
            };
            let _ = writeln!(
                std::io::stderr(),
                "stance: interrupted ({name}); {removed} unfinished output file(s) removed, existing files left as they were"
            );
            std::process::exit(128 + signal);
        }
    });
}

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    stop_cleanly_on_signals();
    match cli::run(args) {
        Ok(cli::Outcome::Done) => ExitCode::SUCCESS,
        Ok(cli::Outcome::Skipped(n)) => {
            let _ = writeln!(
                std::io::stderr(),
                "stance: {n} input(s) skipped (see the messages above)"
            );
            ExitCode::from(cli::EXIT_SKIPPED)
        }
        Err(err) => {
            if cli::is_broken_pipe(&err) {
                // `stance classify … | head` closed the pipe: not an error.
                return ExitCode::SUCCESS;
            }
            let message = err.to_string();
            let mut stderr = std::io::stderr().lock();
            let _ = writeln!(stderr, "stance: error: {message}");
            // Messages often already include their cause: say each once.
            let mut said = message;
            for cause in err.chain().skip(1) {
                let cause = cause.to_string();
                if !said.contains(&cause) {
                    let _ = writeln!(stderr, "  caused by: {cause}");
                    said.push_str(&cause);
                }
            }
            ExitCode::FAILURE
        }
    }
}
