//! The `usertrail` binary: parses the command line and hands over.

use clap::Parser;

fn main() -> anyhow::Result<()> {
    // Settings from a `.env` file, for those not already in the environment.
    dotenvy::dotenv().ok();
    let cli = usertrail_server::cli::Cli::parse();
    usertrail_server::telemetry::init(cli.log_format);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(usertrail_server::cli::run(cli))
}
