//! `loadgen`: bounded load against a usertrail server on this machine.
//!
//! Prints one JSON line with the result on stdout (for scripts/bench.sh to
//! parse) and diagnostics on stderr. It refuses targets that are not
//! loopback addresses, and every run is bounded both by a request count and
//! by time, so it always stops by itself.

mod cli;
mod scim_create;
mod stats;

use clap::Parser;

use crate::cli::{Cli, Command};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::ScimCreate(args) => {
            let plan = scim_create::Plan::from_args(&args)?;
            let report = scim_create::run(plan).await?;
            print_report(&report)?;
            if report.succeeded == 0 {
                anyhow::bail!("no request succeeded (expected HTTP 201 from {})", args.url);
            }
            Ok(())
        }
    }
}

#[expect(
    clippy::print_stdout,
    reason = "the JSON result line is this program's output"
)]
fn print_report(report: &stats::Report) -> anyhow::Result<()> {
    if let Some(sample) = &report.error_sample {
        eprintln!("loadgen: first error: {sample}");
    }
    println!("{}", serde_json::to_string(report)?);
    Ok(())
}
