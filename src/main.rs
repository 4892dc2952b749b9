//! The `flaskscan` binary: parse the command line, call the library, map the outcome to an exit code.

use clap::Parser;

// The scan allocates many small AST nodes and strings across threads; mimalloc handles that
// workload far better than the system allocator (a third of the scan's time went to malloc).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    // Users get a one-line message, never a backtrace.
    std::panic::set_hook(Box::new(|_| {}));
    let cli = flaskscan::cli::Cli::parse();
    let code = match std::panic::catch_unwind(|| flaskscan::cli::run(cli)) {
        Ok(Ok(code)) => code,
        Ok(Err(e)) => {
            // One line, however long or multi-line the cause, and never a secret.
            eprintln!(
                "flaskscan: error: {}",
                flaskscan::redact::one_line(&e.to_string(), 2000)
            );
            2
        }
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown cause".into());
            eprintln!(
                "flaskscan: internal error: {}. Please report it with the command you ran.",
                flaskscan::redact::one_line(&what, 2000)
            );
            2
        }
    };
    std::process::exit(code);
}
