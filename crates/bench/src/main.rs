//! `loadgen`: bounded load against a usertrail server on this machine.
//!
//! Prints one JSON line with the result on stdout (for scripts/bench.sh to
//! parse) and diagnostics on stderr. It refuses targets that are not
//! loopback addresses, and every run is bounded both by a request count and
//! by time, so it always stops by itself.

mod cli;
mod runner;
mod scim_create;
mod scim_filter;
mod stats;
#[cfg(test)]
mod test_server;

use clap::Parser;
use uuid::Uuid;

use crate::cli::{Cli, Command};
use crate::runner::Plan;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let (report, success) = match &cli.command {
        Command::ScimCreate(args) => {
            let plan = Plan::from_args(args)?;
            let scenario = scim_create::Create::new(Uuid::new_v4());
            (runner::run(plan, scenario).await?, "HTTP 201")
        }
        Command::ScimFilter(args) => {
            let plan = Plan::from_args(&args.load)?;
            // A random seed: each run asks for its own sequence of users.
            let seed = Uuid::new_v4().as_u64_pair().0;
            let scenario = scim_filter::Lookup::from_args(args, seed)?;
            (
                runner::run(plan, scenario).await?,
                "HTTP 200 with totalResults 1",
            )
        }
    };
    print_report(&report)?;
    if report.succeeded == 0 {
        anyhow::bail!("no request succeeded (expected {success})");
    }
    Ok(())
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
